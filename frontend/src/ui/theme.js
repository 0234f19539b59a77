// TensorBoard marks its dark theme with `dark-mode` on the parent page's
// <body>; the iframe is same-origin, so it can read and watch that class. When
// it cannot (the tab opened on its own), the OS preference decides.

// TensorBoard's default run palette (light, dark), in its order.
export const RUN_PALETTE = [
  ['#425066', '#8e98a3'],
  ['#12b5cb', '#12b5cb'],
  ['#e52592', '#e52592'],
  ['#f9ab00', '#f9ab00'],
  ['#9334e6', '#9334e6'],
  ['#7cb342', '#7cb342'],
  ['#e8710a', '#e8710a'],
];

export const SEVERITY_COLORS = {
  error: ['#d32f2f', '#ef5350'],
  warning: ['#e37400', '#ffa726'],
  info: ['#1a73e8', '#64b5f6'],
};

function parentBody() {
  try {
    if (window.parent !== window && window.parent.document && window.parent.document.body) {
      return window.parent.document.body;
    }
  } catch (e) {
    // cross-origin parent: fall back to the media query
  }
  return null;
}

export function watchTheme(onChange) {
  const media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  const body = parentBody();
  const isDark = () => (body ? body.classList.contains('dark-mode') : Boolean(media && media.matches));
  let current = isDark();
  const check = () => {
    const next = isDark();
    if (next !== current) {
      current = next;
      onChange(next);
    }
  };
  if (body) new MutationObserver(check).observe(body, { attributes: true, attributeFilter: ['class'] });
  if (media && media.addEventListener) media.addEventListener('change', check);
  return current;
}

export function pick(pair, dark) {
  return pair[dark ? 1 : 0];
}

/**
 * Run colours as TensorBoard gives them: by its run order when it told us
 * (RunsChanged), else after those by our own run list.
 */
export class RunColors {
  constructor() {
    this.order = [];
    this.known = [];
  }

  /** True when the order changed (charts and list then recolour). */
  setOrder(runs) {
    if (!Array.isArray(runs)) return false;
    const same = runs.length === this.order.length && runs.every((r, i) => r === this.order[i]);
    if (same) return false;
    this.order = runs.slice();
    return true;
  }

  setKnown(runs) {
    this.known = runs.slice();
  }

  colorFor(run, dark) {
    let i = this.order.indexOf(run);
    if (i < 0) {
      const j = this.known.indexOf(run);
      i = j < 0 ? 0 : this.order.length + j;
    }
    return pick(RUN_PALETTE[i % RUN_PALETTE.length], dark);
  }

  /** A drawn series' colour: its own palette slot in a grouped chart, else its run's. */
  colorOf(d, dark) {
    if (d.paletteIndex !== null && d.paletteIndex !== undefined) {
      return pick(RUN_PALETTE[d.paletteIndex % RUN_PALETTE.length], dark);
    }
    return this.colorFor(d.run, dark);
  }
}
