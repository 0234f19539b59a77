// What a chart draws over its curves: the findings' bands, the non-finite
// markers, the flagged points, and the axis labels. Plain functions of the
// plot and what to draw; the chart card calls them from uPlot's draw hook.

import { h } from './dom.js';
import { nonFiniteStretches, formatSteps } from '../logic/values.js';
import { seriesKey, findingKey } from '../logic/findings.js';
import { SEVERITY_COLORS, pick } from './theme.js';

// Past this many flagged points a finding's markers would hide the curve;
// its band already says where it is, so only the ends get a marker.
const MAX_MARKED_POINTS = 150;
const NONFINITE_LABEL = { nan: 'NaN', posinf: '+∞', neginf: '−∞' };
const NONFINITE_NAME = { nan: 'NaN', posinf: '+Inf', neginf: '−Inf' };

export function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

export function shortKind(kind) {
  return String(kind || '').replace(/_/g, ' ');
}

// Exploding weights reach 1e8: plain digits would not fit the axis.
export function tickLabel(v) {
  if (v === null || v === undefined) return '';
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1).replace('e+', 'e');
  return String(Number(v.toPrecision(6)));
}

/** Half the typical gap between steps: an inclusive range [a, b] covers a-½ … b+½. */
export function halfStep(x) {
  if (!x || x.length < 2) return 0.5;
  const gaps = [];
  const stride = Math.max(1, Math.floor(x.length / 200));
  for (let i = stride; i < x.length; i += stride) gaps.push(x[i] - x[i - stride]);
  gaps.sort((a, b) => a - b);
  return Math.max(gaps[gaps.length >> 1] / stride / 2, 0.5);
}

/**
 * The findings' ranges as DOM bands over the plot (inspectable, and they
 * stay put through zoom and resize): `findings` on the chart's series or
 * resting on them (`related`, fainter), and the selected story's
 * `corroborating` findings on their own tags.
 */
export function layoutBands(u, overlay, {
  findings, corroborating, keys, half, selectedKey, dark, labelTop,
}) {
  for (const el of Array.from(overlay.querySelectorAll('.cc-band'))) el.remove();
  const width = u.over.clientWidth || u.bbox.width / devicePixelRatio;
  // One label serves every band of the same kind and range (train and
  // validation together); labels start at `labelTop`, below the non-finite
  // markers' rows.
  const labelled = new Set();
  let row = 0;
  // With a story selected the other bands step back: stacked on one range
  // (a collapse and every histogram finding that cites it) they would
  // otherwise paint it opaque.
  const dim = selectedKey ? 0.4 : 1;
  let holdsSelected = false;
  for (const f of findings) {
    // A finding also shades the series it rests on (`related`), fainter:
    // "training loss diverged" belongs on the loss chart of a collapse.
    const own = keys.has(seriesKey(f.run, f.tag));
    if (!own && !(f.related || []).some((r) => keys.has(seriesKey(r.run, r.tag)))) continue;
    let left = u.valToPos(f.start_step - half, 'x');
    let right = u.valToPos(f.end_step + half, 'x');
    if (right < 0 || left > width) continue;
    left = Math.max(0, left);
    right = Math.min(width, right);
    if (right - left < 3) {
      const mid = (left + right) / 2;
      left = mid - 1.5;
      right = mid + 1.5;
    }
    const color = pick(SEVERITY_COLORS[f.severity] || SEVERITY_COLORS.info, dark);
    const key = findingKey(f);
    const selected = key === selectedKey;
    if (selected && own) holdsSelected = true;
    const band = h('div', {
      class: `cc-band cc-sev-${f.severity}${selected ? ' cc-band-selected' : ''}${own ? '' : ' cc-band-related'}`,
      dataset: { startStep: f.start_step, endStep: f.end_step, run: f.run, tag: f.tag, kind: f.kind, findingKey: key },
      style: {
        left: `${left}px`,
        width: `${right - left}px`,
        background: withAlpha(color, (selected ? 0.3 : 0.14 * dim) * (own ? 1 : 0.5)),
        borderColor: color,
      },
    });
    const labelKey = `${f.kind}|${f.start_step}|${f.end_step}`;
    if (own && !labelled.has(labelKey)) {
      labelled.add(labelKey);
      band.appendChild(h('span', {
        class: 'cc-band-label',
        text: shortKind(f.kind),
        style: { top: `${labelTop + (row % 4) * 14}px`, color },
      }));
      row += 1;
    }
    overlay.appendChild(band);
  }
  // The selected story's corroborating findings, each on its own tag's
  // chart: fainter than a finding of its own, since it is not one, and only
  // outlined where the story's own band already fills the range.
  for (const c of corroborating) {
    if (!keys.has(seriesKey(c.run, c.tag))) continue;
    let left = u.valToPos(c.start_step - half, 'x');
    let right = u.valToPos(c.end_step + half, 'x');
    if (right < 0 || left > width) continue;
    left = Math.max(0, left);
    right = Math.min(width, Math.max(right, left + 3));
    const color = pick(SEVERITY_COLORS[c.severity] || SEVERITY_COLORS.info, dark);
    const band = h('div', {
      class: `cc-band cc-band-corroborating cc-sev-${c.severity}`,
      dataset: {
        startStep: c.start_step, endStep: c.end_step, run: c.run, tag: c.tag, kind: c.kind, leadKey: c.leadKey,
      },
      title: `${c.run} · ${c.tag}: ${c.title || shortKind(c.kind)} (part of the selected finding)`,
      style: { left: `${left}px`, width: `${right - left}px`, background: withAlpha(color, holdsSelected ? 0 : 0.1), borderColor: color },
    });
    // One label per kind: a story's stuck-metric findings on both splits
    // start a step apart and would print the same words twice.
    const labelKey = `corroborating|${c.kind}`;
    if (!labelled.has(labelKey) && !labelled.has(`${c.kind}|${c.start_step}|${c.end_step}`)) {
      labelled.add(labelKey);
      band.appendChild(h('span', {
        class: 'cc-band-label cc-band-label-corroborating',
        text: shortKind(c.kind),
        style: { top: `${labelTop + (row % 4) * 14}px`, color },
      }));
      row += 1;
    }
    overlay.appendChild(band);
  }
}

/** Non-finite stretches as markers on the plot's edge (NaN and +Inf on top, −Inf below), a row per series. */
export function layoutNonFinite(u, overlay, { layers, half, colorOf }) {
  for (const el of Array.from(overlay.querySelectorAll('.cc-nonfinite'))) el.remove();
  const width = u.over.clientWidth;
  layers.forEach((layer, li) => {
    const { d } = layer;
    const color = colorOf(d);
    for (const st of nonFiniteStretches(d.steps, d.values)) {
      let left = u.valToPos(st.start - half, 'x');
      let right = u.valToPos(st.end + half, 'x');
      if (right < 0 || left > width) continue;
      left = Math.max(0, left);
      right = Math.min(width, Math.max(right, left + 14));
      const edge = st.kind === 'neginf' ? 'bottom' : 'top';
      const el = h('div', {
        class: `cc-nonfinite cc-nonfinite-${st.kind}`,
        dataset: { run: d.run, tag: d.tag, startStep: st.start, endStep: st.end, count: st.count },
        title: `${d.label}: ${NONFINITE_NAME[st.kind]} at ${formatSteps(st.start, st.end)}`,
        style: { left: `${left}px`, width: `${right - left}px`, [edge]: `${li * 16}px`, borderColor: color },
      }, h('span', { text: NONFINITE_LABEL[st.kind] }));
      overlay.appendChild(el);
    }
  });
}

/** The flagged points of each finding on its own series, on the canvas. */
export function drawFlaggedPoints(u, { x, layers, findings, dark }) {
  const keys = new Map(layers.map((l, i) => [seriesKey(l.d.run, l.d.tag), i]));
  const ctx = u.ctx;
  const pr = devicePixelRatio || 1;
  ctx.save();
  for (const f of findings) {
    const li = keys.get(seriesKey(f.run, f.tag));
    if (li === undefined) continue;
    const layer = layers[li];
    const ys = u.data[layer.rawIdx];
    const color = pick(SEVERITY_COLORS[f.severity] || SEVERITY_COLORS.info, dark);
    const idx = [];
    for (let i = 0; i < x.length; i++) {
      if (x[i] >= f.start_step && x[i] <= f.end_step && ys[i] !== null && ys[i] !== undefined) idx.push(i);
    }
    const marked = idx.length > MAX_MARKED_POINTS ? [idx[0], idx[idx.length - 1]] : idx;
    ctx.fillStyle = color;
    ctx.strokeStyle = dark ? '#303030' : '#ffffff';
    ctx.lineWidth = 1 * pr;
    for (const i of marked) {
      const cx = u.valToPos(x[i], 'x', true);
      const cy = u.valToPos(ys[i], 'y', true);
      ctx.beginPath();
      ctx.arc(cx, cy, 3.5 * pr, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  }
  ctx.restore();
}
