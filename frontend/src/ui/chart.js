import uPlot from 'uplot';
import { h, clear } from './dom.js';
import { smooth } from '../logic/smoothing.js';
import { alignSeries, nearestIndex } from '../logic/align.js';
import { formatValue } from '../logic/values.js';
import { findingsAtStep, seriesKey, findingKey } from '../logic/findings.js';
import { suggestLogScale, forLogScale } from '../logic/logscale.js';
import { spliceRange, detailCovers, pointsInRange } from '../logic/series.js';
import { pick } from './theme.js';
import { splitDash } from '../logic/charts.js';
import {
  withAlpha, shortKind, tickLabel, halfStep, layoutBands, layoutNonFinite, drawFlaggedPoints,
} from './chart_marks.js';

const HEIGHT = 230;

// A zoom waits this long after the last drag before it asks for its points:
// a reader zooming twice in a row asks once.
const DETAIL_DELAY_MS = 150;
// The context overlay's colour: neutral, dashed, apart from every run colour.
const CONTEXT_COLOR = ['#5f6368', '#bdc1c6'];

/**
 * One chart: a quantity's train and validation series (or a histogram
 * statistic), the flagged ranges as DOM bands over the plot (inspectable,
 * and they stay put through zoom and resize), non-finite stretches as DOM
 * markers on the edge, flagged points on the canvas. Optionally on a log
 * scale (suggested when the values span decades) and with a context series
 * (the run's learning rate) on a second axis.
 *
 * It knows nothing of the tab around it: `opts` holds what it reads
 * (theme, smoothing, colours, the run filter, its zoom and log choice from
 * the URL) and the loaders and callbacks it calls:
 *   isDark(), smoothing(), colorOf(d), runVisible(run),
 *   zoom: [lo, hi] | null, logScale: true | false | null (not chosen),
 *   loadRange(lo, hi, width) -> Promise<data>, loadContext() -> Promise<data>,
 *   onZoom([lo, hi] | null), onLogScale(on), onDrawn().
 */
export class ChartCard {
  constructor(spec, opts) {
    this.opts = opts;
    this.spec = spec;
    this.id = spec.id;
    this.base = [];
    this.detail = null;
    this.data = [];
    this.findings = [];
    this.corroborating = [];
    this.selectedCorroborating = [];
    this.selectedKey = '';
    this.xZoom = opts.zoom || null;
    this.logChoice = opts.logScale ?? null;
    this.suggestion = { suggested: false, decades: 0 };
    this.contextOn = false;
    this.contextData = null;
    this.plot = null;
    this.state = 'pending';
    this.onKey = this.onKey.bind(this);

    this.titleEl = h('h3', { class: 'cc-card-title', text: spec.title });
    this.subEl = h('div', { class: 'cc-card-sub', text: spec.subtitle || '' });
    this.logButton = h('button', {
      type: 'button', class: 'cc-chip cc-log-toggle', 'aria-pressed': 'false', text: 'log scale',
      onclick: () => this.setLogScale(!this.logScale()),
    });
    this.contextButton = (spec.context || []).length ? h('button', {
      type: 'button', class: 'cc-chip cc-context-toggle', 'aria-pressed': 'false', text: 'learning rate',
      title: `Overlay ${spec.context.map((c) => c.label).join(', ')} on a second axis`,
      onclick: () => this.toggleContext(),
    }) : null;
    this.toolsEl = h('div', { class: 'cc-card-tools' }, this.logButton, this.contextButton);
    this.plotEl = h('div', { class: 'cc-plot' });
    this.legendEl = h('div', { class: 'cc-legend' });
    this.statusEl = h('div', { class: 'cc-card-status', role: 'status', text: 'Waiting to load…' });
    this.tooltip = h('div', { class: 'cc-tooltip', role: 'tooltip', hidden: true });
    this.el = h('section', {
      class: 'cc-card',
      tabindex: '0',
      dataset: { chartId: spec.id, state: 'pending', kind: spec.kind },
      'aria-label': `Chart ${spec.title}${spec.subtitle ? `, ${spec.subtitle}` : ''}. Arrow keys move the cursor, Escape resets zoom.`,
      onkeydown: this.onKey,
    }, h('header', { class: 'cc-card-head' }, this.titleEl, this.subEl, this.toolsEl), this.statusEl, this.plotEl, this.legendEl);
  }

  setState(state, message = '') {
    this.state = state;
    this.el.dataset.state = state;
    this.statusEl.hidden = state === 'drawn';
    this.statusEl.textContent = message;
    this.statusEl.classList.toggle('cc-card-error', state === 'error');
  }

  /**
   * The whole series, thinned by the server for the chart's width; a zoomed
   * range's full-resolution points are fetched again for the new data.
   * @param data [{run, tag, label, steps, values: Float64Array, thinned, sampled, total}]
   */
  setData(data) {
    this.base = data;
    this.detail = null;
    this.suggestion = suggestLogScale(data.map((d) => d.values));
    this.build();
  }

  /** The findings drawn as bands (`findings`), and those listed in the tooltip too. */
  setFindings({ findings, corroborating, selectedCorroborating }) {
    this.findings = findings;
    this.corroborating = corroborating;
    this.selectedCorroborating = selectedCorroborating;
  }

  logScale() {
    return this.logChoice ?? false;
  }

  setLogScale(on, { fromUrl = false } = {}) {
    this.logChoice = on;
    if (!fromUrl) this.opts.onLogScale(on);
    if (this.loaded()) this.build();
    else this.syncTools();
  }

  /** A zoom from the URL (a link, the back button); null shows everything. */
  setZoom(range) {
    this.xZoom = range;
    if (!this.plot) return;
    if (range) this.plot.setScale('x', { min: range[0], max: range[1] });
    else this.resetZoom();
  }

  async toggleContext() {
    this.contextOn = !this.contextOn;
    this.syncTools();
    if (this.contextOn && !this.contextData) {
      try {
        this.contextData = await this.opts.loadContext();
      } catch (err) {
        this.contextOn = false;
        this.contextButton.title = `Could not load the learning rate: ${err.message}`;
        this.syncTools();
        return;
      }
    }
    if (this.loaded()) this.build();
  }

  syncTools() {
    const on = this.logScale();
    const { suggested, decades } = this.suggestion;
    this.logButton.setAttribute('aria-pressed', on ? 'true' : 'false');
    this.logButton.classList.toggle('cc-log-suggested', suggested && !on);
    this.logButton.title = suggested
      ? `The values span ${decades.toFixed(1)} decades: a log scale shows the small ones too`
      : 'Log scale for the values (0 and negative values are not drawn on it)';
    this.el.dataset.log = on ? 'true' : 'false';
    this.el.dataset.logSuggested = suggested ? 'true' : 'false';
    if (this.contextButton) {
      this.contextButton.setAttribute('aria-pressed', this.contextOn ? 'true' : 'false');
      this.el.dataset.context = this.contextOn ? 'true' : 'false';
    }
    // A histogram statistic such as a share of zeros has no decades to show.
    this.logButton.hidden = this.spec.kind === 'histogram' && !suggested;
  }

  /** Has data to draw (a filtered-out chart has data but no plot). */
  loaded() {
    return this.state === 'drawn' || this.state === 'empty';
  }

  /** The selected story's key and its corroborating findings (drawn as their own bands). */
  setSelected(key, selectedCorroborating = this.selectedCorroborating) {
    this.selectedKey = key || '';
    this.selectedCorroborating = selectedCorroborating;
    if (this.plot) this.layoutBands();
  }

  destroy() {
    if (this.plot) this.plot.destroy();
    this.plot = null;
  }

  visibleData() {
    return this.data.filter((d) => this.opts.runVisible(d.run));
  }

  /** The drawn points: the base series with a zoomed range at full resolution. */
  merged() {
    const det = this.detail;
    if (!det) return this.base;
    return this.base.map((d) => {
      const fine = det.data.find((x) => x.run === d.run && x.tag === d.tag);
      if (!fine) return d;
      const { steps, values } = spliceRange(d, fine, det.lo, det.hi);
      return { ...d, steps, values };
    });
  }

  build() {
    const dark = this.opts.isDark();
    if (this.plot) {
      this.rememberZoom();
      this.plot.destroy();
      this.plot = null;
    }
    clear(this.plotEl);
    clear(this.legendEl);
    this.syncTools();
    this.data = this.merged();
    const visible = this.visibleData();
    if (!visible.length || visible.every((d) => d.steps.length === 0)) {
      this.setState('empty', this.data.length ? 'No series match the run filter.' : 'No data points yet.');
      this.opts.onDrawn();
      return;
    }
    // A log axis with nothing positive to draw has no range: stay linear and say so.
    const positive = visible.some((d) => d.values.some((v) => Number.isFinite(v) && v > 0));
    const log = this.logScale() && positive;
    this.logUnavailable = this.logScale() && !positive;
    const weight = this.spec.kind === 'histogram' ? 0 : this.opts.smoothing();
    const context = this.contextOn && this.contextData ? this.contextData.filter((d) => d.steps.length) : [];
    const all = visible.concat(context);
    const raw = alignSeries(all.map((d) => ({ steps: d.steps, values: d.values })));
    const x = raw.x;
    const series = [{ label: 'step' }];
    const columns = [x];
    let dropped = 0;
    const onScale = (ys) => {
      if (!log) return ys;
      const out = forLogScale(ys);
      dropped += out.dropped;
      return out.ys;
    };
    this.layers = [];
    visible.forEach((d, i) => {
      const color = this.opts.colorOf(d);
      // Train and validation of one run share its colour: validation dashed.
      const dash = splitDash(d.split);
      const style = dash ? { dash } : {};
      const rawYs = onScale(raw.ys[i]);
      if (weight > 0) {
        const sm = alignSeries([{ steps: d.steps, values: smooth(d.values, weight) }]).ys[0];
        // alignSeries over one series only covers its own steps: re-map to x.
        const smoothed = log ? forLogScale(remap(d.steps, sm, x)).ys : remap(d.steps, sm, x);
        series.push({ label: `${d.label} (raw)`, stroke: withAlpha(color, dark ? 0.35 : 0.28), width: 1, points: { show: false }, ...style });
        columns.push(rawYs);
        series.push({ label: d.label, stroke: color, width: 1.6, points: { show: false }, ...style });
        columns.push(smoothed);
        this.layers.push({ d, rawIdx: columns.length - 2, mainIdx: columns.length - 1, hasNonFinite: hasNonFinite(d.values) });
      } else {
        series.push({ label: d.label, stroke: color, width: 1.6, points: { show: x.length < 60, size: 4 }, ...style });
        columns.push(rawYs);
        this.layers.push({ d, rawIdx: columns.length - 1, mainIdx: columns.length - 1, hasNonFinite: hasNonFinite(d.values) });
      }
    });
    // The context series: on its own axis, so a learning rate of 1e-3 and a
    // loss of 2 both fill the chart; dashed, in neither run's colour.
    const contextLog = context.length > 0 && suggestLogScale(context.map((d) => d.values)).suggested;
    this.contextLayers = context.map((d, j) => {
      const ys = raw.ys[visible.length + j];
      series.push({
        label: d.label, scale: 'ctx', stroke: pick(CONTEXT_COLOR, dark), width: 1.2, dash: [5, 4],
        points: { show: false }, spanGaps: true,
      });
      columns.push(contextLog ? forLogScale(ys).ys : ys);
      return { d, idx: columns.length - 1 };
    });
    this.x = x;
    this.rawByLayer = this.layers.map((l) => new Map(Array.from(l.d.steps, (st, j) => [st, l.d.values[j]])));
    this.contextByLayer = this.contextLayers.map((l) => new Map(Array.from(l.d.steps, (st, j) => [st, l.d.values[j]])));

    const axisColor = () => (this.opts.isDark() ? '#bdbdbd' : '#616161');
    const gridColor = () => (this.opts.isDark() ? 'rgba(255,255,255,0.08)' : 'rgba(0,0,0,0.07)');
    const width = Math.max(260, this.plotEl.clientWidth || this.el.clientWidth - 24 || 420);
    const scales = { x: { time: false }, y: log ? { distr: 3 } : {} };
    // On a log axis a grid line per decade: lines at 2…9 of each would
    // cover the plot in grey.
    // (uPlot takes an absent filter as "all"; an undefined one would replace its default.)
    const decadesOnly = log ? { filter: (u, splits) => splits.map((v) => (isDecade(v) ? v : null)) } : {};
    const axes = [
      { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor } },
      {
        stroke: axisColor,
        grid: { stroke: gridColor, width: 1, ...decadesOnly },
        ticks: { stroke: gridColor, ...decadesOnly },
        size: 56,
        values: (u, splits) => splits.map(tickLabel),
      },
    ];
    if (context.length) {
      scales.ctx = contextLog ? { distr: 3 } : {};
      axes.push({
        scale: 'ctx', side: 1, stroke: () => pick(CONTEXT_COLOR, this.opts.isDark()), grid: { show: false },
        size: 56, values: (u, splits) => splits.map(tickLabel),
      });
    }
    const opts = {
      width,
      height: HEIGHT,
      legend: { show: false },
      scales,
      cursor: {
        drag: { x: true, y: false, setScale: true },
        points: { size: 6 },
        focus: { prox: 16 },
      },
      axes,
      series,
      hooks: {
        draw: [(u) => { this.drawFlaggedPoints(u); this.layoutBands(); this.layoutNonFinite(); this.noteSpans(u); }],
        setCursor: [(u) => this.showTooltip(u)],
        setScale: [(u, key) => { if (key === 'x') this.noteZoom(u); }],
      },
    };
    this.setState('drawn');
    this.overlay = null;
    this.plot = new uPlot(opts, columns, this.plotEl);
    this.overlay = h('div', { class: 'cc-overlay' });
    this.plot.over.appendChild(this.overlay);
    this.plot.over.appendChild(this.tooltip);
    this.plot.over.addEventListener('mouseleave', () => { this.tooltip.hidden = true; });
    if (this.xZoom) this.plot.setScale('x', { min: this.xZoom[0], max: this.xZoom[1] });
    else this.layoutBands();
    this.renderLegend(visible, weight, dropped);
    this.el.dataset.points = String(visible.reduce((acc, d) => acc + d.steps.length, 0));
    this.noteInView();
    this.opts.onDrawn();
  }

  renderLegend(visible, weight, dropped) {
    const det = this.detail;
    for (const d of visible) {
      const note = [];
      if (d.thinned) {
        note.push(det ? `every point of steps ${Math.ceil(det.lo)}–${Math.floor(det.hi)}${det.thinned ? ' thinned again' : ''}, ${d.total} in all`
          : `${d.steps.length} of ${d.total} points drawn`);
      }
      if (d.sampled) note.push('TensorBoard kept a sample');
      const swatch = d.split
        ? h('span', { class: `cc-swatch cc-swatch-line cc-swatch-${d.split}`, style: { borderColor: this.opts.colorOf(d) } })
        : h('span', { class: 'cc-swatch', style: { background: this.opts.colorOf(d) } });
      this.legendEl.appendChild(h('span', {
        class: 'cc-legend-item', dataset: { run: d.run, tag: d.tag, split: d.split || '' },
      },
        swatch,
        h('span', { class: 'cc-legend-run', text: d.label }),
        note.length ? h('span', { class: 'cc-legend-note', text: ` (${note.join('; ')})` }) : null));
    }
    for (const l of this.contextLayers) {
      this.legendEl.appendChild(h('span', { class: 'cc-legend-item cc-legend-context', dataset: { run: l.d.run, tag: l.d.tag } },
        h('span', { class: 'cc-swatch cc-swatch-dashed', style: { borderColor: pick(CONTEXT_COLOR, this.opts.isDark()) } }),
        h('span', { class: 'cc-legend-run', text: `${l.d.label} (right axis)` })));
    }
    if (weight > 0) this.legendEl.appendChild(h('span', { class: 'cc-legend-note', text: `smoothed ${weight}, raw curve faint` }));
    if (this.logUnavailable) this.legendEl.appendChild(h('span', { class: 'cc-legend-note', text: 'no value above 0: drawn on a linear scale' }));
    if (dropped) this.legendEl.appendChild(h('span', { class: 'cc-legend-note', text: `${dropped} values ≤ 0 not drawn on the log scale` }));
    if (this.spec.more) this.legendEl.appendChild(h('span', { class: 'cc-legend-note cc-legend-more', text: this.spec.more }));
  }

  rememberZoom() {
    if (!this.plot) return;
    const s = this.plot.scales.x;
    const x = this.x;
    if (!x || !x.length || s.min === null || s.min === undefined) return;
    this.xZoom = (s.min > x[0] || s.max < x[x.length - 1]) ? [s.min, s.max] : null;
  }

  noteZoom(u) {
    const x = this.x;
    if (!x || !x.length) return;
    const s = u.scales.x;
    const zoomed = s.min > x[0] || s.max < x[x.length - 1];
    this.xZoom = zoomed ? [s.min, s.max] : null;
    this.el.dataset.zoomed = zoomed ? 'true' : 'false';
    if (zoomed) this.el.dataset.zoom = `${s.min}:${s.max}`;
    else delete this.el.dataset.zoom;
    this.opts.onZoom(this.xZoom);
    this.noteInView();
    this.fetchDetail();
  }

  /** How many points of the shown series lie in the shown step range (for readers and tests). */
  noteInView() {
    if (!this.plot) return;
    const s = this.plot.scales.x;
    const lo = this.xZoom ? this.xZoom[0] : -Infinity;
    const hi = this.xZoom ? this.xZoom[1] : Infinity;
    const counts = this.visibleData().map((d) => pointsInRange(d.steps, s.min ?? lo, s.max ?? hi));
    this.el.dataset.pointsInView = counts.join(',');
  }

  /**
   * Zoomed into a thinned series: ask the server for the range at full
   * resolution (it thins only inside the range, and only past the chart's
   * width in points), then redraw with those points spliced in.
   */
  fetchDetail() {
    clearTimeout(this.detailTimer);
    if (!this.xZoom || !this.base.some((d) => d.thinned) || this.spec.kind === 'histogram') return;
    const lo = Math.floor(this.xZoom[0]);
    const hi = Math.ceil(this.xZoom[1]);
    if (detailCovers(this.detail, lo, hi)) return;
    this.detailTimer = setTimeout(async () => {
      const token = {};
      this.detailToken = token;
      this.el.dataset.detail = 'loading';
      try {
        const data = await this.opts.loadRange(lo, hi, this.plotEl.clientWidth || 500);
        if (this.detailToken !== token) return;
        this.detail = { lo, hi, thinned: data.some((d) => d.thinned), data };
        this.el.dataset.detail = `${lo}:${hi}`;
        this.build();
      } catch (err) {
        if (this.detailToken === token) this.el.dataset.detail = `error: ${err.message}`;
      }
    }, DETAIL_DELAY_MS);
  }

  /** Each main series' drawn height in pixels, over the shown range (for readers and tests). */
  noteSpans(u) {
    const s = u.scales.x;
    const spans = this.layers.map((l) => {
      let lo = Infinity;
      let hi = -Infinity;
      const ys = u.data[l.rawIdx];
      for (let i = 0; i < this.x.length; i++) {
        if (this.x[i] < s.min || this.x[i] > s.max) continue;
        const v = ys[i];
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (lo === Infinity) return 0;
      return Math.round(Math.abs(u.valToPos(lo, 'y') - u.valToPos(hi, 'y')) * 10) / 10;
    });
    this.el.dataset.ySpans = JSON.stringify(this.layers.map((l, i) => ({ run: l.d.run, tag: l.d.tag, px: spans[i] })));
  }

  resetZoom() {
    if (!this.plot || !this.x.length) return;
    this.xZoom = null;
    this.plot.setScale('x', { min: this.x[0], max: this.x[this.x.length - 1] });
  }

  chartSeriesKeys() {
    return new Set(this.visibleData().map((d) => seriesKey(d.run, d.tag)));
  }

  /** Half the typical gap between steps: an inclusive range [a, b] covers a-½ … b+½. */
  halfStep() {
    return halfStep(this.x);
  }

  layoutBands() {
    if (!this.plot || !this.overlay) return;
    layoutBands(this.plot, this.overlay, {
      findings: this.findings,
      corroborating: this.selectedCorroborating,
      keys: this.chartSeriesKeys(),
      half: this.halfStep(),
      selectedKey: this.selectedKey,
      dark: this.opts.isDark(),
      labelTop: 2 + this.layers.filter((l) => l.hasNonFinite).length * 16,
    });
  }

  layoutNonFinite() {
    if (!this.plot || !this.overlay) return;
    layoutNonFinite(this.plot, this.overlay, { layers: this.layers, half: this.halfStep(), colorOf: this.opts.colorOf });
  }

  drawFlaggedPoints(u) {
    drawFlaggedPoints(u, { x: this.x, layers: this.layers, findings: this.findings, dark: this.opts.isDark() });
  }

  showTooltip(u) {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || u.cursor.left < 0) {
      this.tooltip.hidden = true;
      return;
    }
    const step = this.x[idx];
    clear(this.tooltip);
    this.tooltip.appendChild(h('div', { class: 'cc-tip-step', text: `step ${step}` }));
    const weight = this.spec.kind === 'histogram' ? 0 : this.opts.smoothing();
    this.layers.forEach((layer, i) => {
      const rawVal = this.rawByLayer[i].get(step);
      const smoothed = u.data[layer.mainIdx][idx];
      let text = rawVal === undefined ? '—' : formatValue(rawVal);
      if (weight > 0 && rawVal !== undefined && Number.isFinite(rawVal) && smoothed !== null && smoothed !== undefined) {
        text = `${formatValue(smoothed)} (raw ${formatValue(rawVal)})`;
      }
      this.tooltip.appendChild(h('div', { class: 'cc-tip-row' },
        h('span', { class: 'cc-swatch', style: { background: this.opts.colorOf(layer.d) } }),
        h('span', { class: 'cc-tip-run', text: layer.d.label }),
        h('span', { class: 'cc-tip-val', text })));
    });
    this.contextLayers.forEach((layer, i) => {
      const v = this.contextByLayer[i].get(step);
      this.tooltip.appendChild(h('div', { class: 'cc-tip-row cc-tip-context' },
        h('span', { class: 'cc-swatch cc-swatch-dashed', style: { borderColor: pick(CONTEXT_COLOR, this.opts.isDark()) } }),
        h('span', { class: 'cc-tip-run', text: layer.d.label }),
        h('span', { class: 'cc-tip-val', text: v === undefined ? '—' : formatValue(v) })));
    });
    // Every finding whose range covers the step, a story's corroborating
    // findings included (whether or not that story is selected), each once.
    const keys = this.chartSeriesKeys();
    const listed = new Set();
    const covering = findingsAtStep(this.findings, keys, step)
      .concat(findingsAtStep(this.corroborating, keys, step))
      .filter((f) => {
        const k = findingKey(f);
        if (listed.has(k)) return false;
        listed.add(k);
        return true;
      });
    for (const f of covering) {
      const part = f.leadTitle ? ` (part of: ${f.leadTitle})` : '';
      this.tooltip.appendChild(h('div', {
        class: `cc-tip-finding cc-sev-${f.severity}${f.leadKey ? ' cc-tip-corroborating' : ''}`,
        dataset: { kind: f.kind, run: f.run, tag: f.tag },
      }, h('span', { class: 'cc-sev-dot' }), h('span', { text: `${f.title || shortKind(f.kind)}${part}` })));
    }
    this.tooltip.hidden = false;
    const w = u.over.clientWidth;
    const tipW = this.tooltip.offsetWidth;
    const left = u.cursor.left + 14 + tipW > w ? Math.max(0, u.cursor.left - 14 - tipW) : u.cursor.left + 14;
    this.tooltip.style.left = `${left}px`;
    this.tooltip.style.top = `${Math.max(0, Math.min(u.cursor.top + 10, u.over.clientHeight - this.tooltip.offsetHeight))}px`;
  }

  onKey(event) {
    if (!this.plot || event.target !== this.el) return;
    const u = this.plot;
    const n = this.x.length;
    let idx = u.cursor.idx;
    if (event.key === 'Escape') {
      this.resetZoom();
    } else if (event.key === 'ArrowRight' || event.key === 'ArrowLeft' || event.key === 'Home' || event.key === 'End') {
      const s = u.scales.x;
      if (idx === null || idx === undefined) idx = nearestIndex(this.x, (s.min + s.max) / 2);
      else if (event.key === 'ArrowRight') idx = Math.min(n - 1, idx + 1);
      else if (event.key === 'ArrowLeft') idx = Math.max(0, idx - 1);
      if (event.key === 'Home') idx = nearestIndex(this.x, s.min);
      if (event.key === 'End') idx = nearestIndex(this.x, s.max);
      const left = u.valToPos(this.x[idx], 'x');
      const firstY = u.data[this.layers[0].mainIdx][idx];
      const top = firstY === null || firstY === undefined ? u.over.clientHeight / 2 : u.valToPos(firstY, 'y');
      u.setCursor({ left, top });
    } else {
      return;
    }
    event.preventDefault();
  }

  resize() {
    if (!this.plot) return;
    const width = Math.max(260, this.plotEl.clientWidth);
    if (Math.abs(width - this.plot.width) > 2) this.plot.setSize({ width, height: HEIGHT });
  }
}

function isDecade(v) {
  if (!(v > 0)) return false;
  const e = Math.log10(v);
  return Math.abs(e - Math.round(e)) < 1e-9;
}

function hasNonFinite(values) {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return true;
  return false;
}

function remap(steps, values, x) {
  const out = new Array(x.length).fill(undefined);
  let j = 0;
  for (let i = 0; i < steps.length; i++) {
    while (x[j] < steps[i]) j++;
    out[j] = values[i];
  }
  return out;
}
