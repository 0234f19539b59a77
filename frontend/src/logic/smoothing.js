// TensorBoard's scalar smoothing: an exponential moving average debiased the
// way Adam debiases its moments, so the first points are not dragged towards 0.
// Non-finite values pass through untouched and do not enter the average: one
// NaN must not wipe out the rest of the smoothed curve.

/**
 * @param {ArrayLike<number>} values raw values (NaN / ±Infinity allowed)
 * @param {number} weight in [0, 1); 0 returns a copy of the input
 * @returns {Float64Array}
 */
export function smooth(values, weight) {
  const n = values.length;
  const out = new Float64Array(n);
  const w = Number.isFinite(weight) ? Math.min(Math.max(weight, 0), 0.999) : 0;
  if (w === 0 || isConstant(values)) {
    for (let i = 0; i < n; i++) out[i] = values[i];
    return out;
  }
  let last = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    last = last * w + (1 - w) * v;
    count += 1;
    out[i] = last / (1 - Math.pow(w, count));
  }
  return out;
}

// A flat line would come out of the debiased average with rounding wiggles;
// TensorBoard special-cases it too, so the two tabs show the same curve.
function isConstant(values) {
  let first = null;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (first === null) first = v;
    else if (v !== first) return false;
  }
  return true;
}
