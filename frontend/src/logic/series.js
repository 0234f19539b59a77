// A chart's points: the whole series as the server thinned it for the full
// width, with a zoomed range replaced by that range at full resolution.

/** Number of sorted `steps` inside [lo, hi]. */
export function pointsInRange(steps, lo, hi) {
  let n = 0;
  for (let i = 0; i < steps.length; i++) if (steps[i] >= lo && steps[i] <= hi) n += 1;
  return n;
}

/**
 * `base` with its points in [lo, hi] replaced by `detail`'s (both sorted by step).
 * @param {{steps: ArrayLike<number>, values: ArrayLike<number>}} base
 * @param {{steps: ArrayLike<number>, values: ArrayLike<number>}} detail
 * @returns {{steps: number[], values: Float64Array}}
 */
export function spliceRange(base, detail, lo, hi) {
  const steps = [];
  const values = [];
  let i = 0;
  while (i < base.steps.length && base.steps[i] < lo) {
    steps.push(base.steps[i]);
    values.push(base.values[i]);
    i += 1;
  }
  for (let j = 0; j < detail.steps.length; j++) {
    if (detail.steps[j] < lo || detail.steps[j] > hi) continue;
    steps.push(detail.steps[j]);
    values.push(detail.values[j]);
  }
  while (i < base.steps.length && base.steps[i] <= hi) i += 1;
  for (; i < base.steps.length; i++) {
    steps.push(base.steps[i]);
    values.push(base.values[i]);
  }
  return { steps, values: Float64Array.from(values) };
}

/** Whether a detail fetched for [dLo, dHi] (thinned or not) serves a zoom on [lo, hi]. */
export function detailCovers(detail, lo, hi) {
  if (!detail) return false;
  if (detail.lo > lo || detail.hi < hi) return false;
  // A thinned detail still drops points: it serves a zoom only until the
  // zoom narrows to under half of it, when a new fetch gets more of them.
  return !detail.thinned || (hi - lo) * 2 > detail.hi - detail.lo;
}
