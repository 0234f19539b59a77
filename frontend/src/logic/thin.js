// Keeps a series drawable when it has far more points than the chart has
// pixels, without hiding what CurveCheck is about: a min/max per bucket keeps
// spikes, and flagged steps and non-finite values are always kept.

/**
 * @param {ArrayLike<number>} steps ascending
 * @param {ArrayLike<number>} values same length
 * @param {number} maxPoints target size (the result may exceed it by the kept points)
 * @param {Set<number>|null} keepSteps steps that must survive
 * @returns {{steps: number[], values: number[], thinned: boolean}}
 */
export function thinMinMax(steps, values, maxPoints, keepSteps = null) {
  const n = steps.length;
  if (n <= maxPoints || maxPoints < 4) {
    return { steps: Array.from(steps), values: Array.from(values), thinned: false };
  }
  // Each bucket contributes up to 2 points (its min and max) plus its ends.
  const buckets = Math.max(1, Math.floor((maxPoints - 2) / 2));
  const keep = new Uint8Array(n);
  keep[0] = 1;
  keep[n - 1] = 1;
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.min(n, Math.floor((b + 1) * size));
    let iMin = -1;
    let iMax = -1;
    for (let i = lo; i < hi; i++) {
      const v = values[i];
      if (!Number.isFinite(v)) {
        keep[i] = 1;
        continue;
      }
      if (iMin < 0 || v < values[iMin]) iMin = i;
      if (iMax < 0 || v > values[iMax]) iMax = i;
    }
    if (iMin >= 0) keep[iMin] = 1;
    if (iMax >= 0) keep[iMax] = 1;
  }
  if (keepSteps && keepSteps.size) {
    for (let i = 0; i < n; i++) if (keepSteps.has(steps[i])) keep[i] = 1;
  }
  const outS = [];
  const outV = [];
  for (let i = 0; i < n; i++) {
    if (keep[i]) {
      outS.push(steps[i]);
      outV.push(values[i]);
    }
  }
  return { steps: outS, values: outV, thinned: true };
}
