// uPlot wants one shared x array. Steps missing from a series become
// `undefined` (uPlot draws across them), non-finite values become `null`
// (uPlot breaks the line there): a NaN is a hole with a marker, never a zero.

/**
 * @param {{steps: ArrayLike<number>, values: ArrayLike<number>}[]} series
 * @returns {{x: number[], ys: (number|null|undefined)[][]}}
 */
export function alignSeries(series) {
  const all = new Set();
  for (const s of series) for (let i = 0; i < s.steps.length; i++) all.add(s.steps[i]);
  const x = Array.from(all).sort((a, b) => a - b);
  const index = new Map();
  x.forEach((step, i) => index.set(step, i));
  const ys = series.map((s) => {
    const y = new Array(x.length).fill(undefined);
    for (let i = 0; i < s.steps.length; i++) {
      const v = s.values[i];
      y[index.get(s.steps[i])] = Number.isFinite(v) ? v : null;
    }
    return y;
  });
  return { x, ys };
}

/** Index of the entry of sorted `xs` nearest to `x`. */
export function nearestIndex(xs, x) {
  let lo = 0;
  let hi = xs.length - 1;
  if (hi < 0) return -1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(xs[lo - 1] - x) <= Math.abs(xs[lo] - x)) return lo - 1;
  return lo;
}

/** Finite y range of the given arrays, padded; null when nothing is finite. */
export function finiteRange(arrays, lo = -Infinity, hi = Infinity, xs = null) {
  let min = Infinity;
  let max = -Infinity;
  for (const ys of arrays) {
    for (let i = 0; i < ys.length; i++) {
      if (xs && (xs[i] < lo || xs[i] > hi)) continue;
      const v = ys[i];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min === Infinity) return null;
  if (min === max) {
    const pad = Math.abs(min) > 0 ? Math.abs(min) * 0.05 : 0.5;
    return [min - pad, max + pad];
  }
  const pad = (max - min) * 0.06;
  return [min - pad, max + pad];
}
