// When a chart wants a log scale. One validation loss of 12,000 among values
// near 0.5 flattens every other point to a line at 0; on a log scale both
// show. TensorBoard's Scalars tab offers the same toggle.

// Past three decades (a factor of 1,000) the smallest values sit within one
// pixel of the axis on a 230-pixel linear plot, so the chart stops showing them.
export const SUGGEST_DECADES = 3;
// A log axis cannot draw 0 or negative values; when more than this share of
// the finite values are such, a log scale would hide more than it shows.
export const MAX_NON_POSITIVE_SHARE = 0.05;

/**
 * @param {ArrayLike<number>[]} arrays values (NaN/±Infinity and null are skipped)
 * @returns {{decades: number, finite: number, nonPositive: number}}
 */
export function decadeSpan(arrays) {
  let lo = Infinity;
  let hi = -Infinity;
  let finite = 0;
  let nonPositive = 0;
  for (const ys of arrays) {
    for (let i = 0; i < ys.length; i++) {
      const v = ys[i];
      if (v === null || v === undefined || !Number.isFinite(v)) continue;
      finite += 1;
      if (v <= 0) {
        nonPositive += 1;
        continue;
      }
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  const decades = lo === Infinity ? 0 : Math.log10(hi / lo);
  return { decades, finite, nonPositive };
}

/** {suggested, decades}: suggested when the positive values span more than SUGGEST_DECADES. */
export function suggestLogScale(arrays) {
  const { decades, finite, nonPositive } = decadeSpan(arrays);
  const suggested = finite > 0 && decades > SUGGEST_DECADES && nonPositive / finite <= MAX_NON_POSITIVE_SHARE;
  return { suggested, decades };
}

/** The column a log axis can draw: values ≤ 0 become holes (null), counted. */
export function forLogScale(ys) {
  let dropped = 0;
  const out = ys.map((v) => {
    if (v === null || v === undefined) return v;
    if (v <= 0) {
      dropped += 1;
      return null;
    }
    return v;
  });
  return { ys: out, dropped };
}
