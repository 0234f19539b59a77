// The charts: one card per planned chart (logic/charts.js), grouped by
// experiment, those with findings first; each loads its points when it
// scrolls into view. The view hands every card the findings it shows and a
// narrow set of options (ChartCard's doc), never itself.

import { h } from './dom.js';
import { api } from './api.js';
import { ChartCard } from './chart.js';
import { parseValues } from '../logic/values.js';
import { chartForFinding, corroboratingOf, findingKey } from '../logic/findings.js';
import { STAT_LABEL } from '../logic/charts.js';
import { parseZoom, withZoom, parseLogChoices, withLog } from '../logic/urlstate.js';

const RANK = { error: 0, warning: 1, info: 2 };

// Points asked per series: about two per pixel of the chart's width keeps
// every spike (min-max thinning draws both ends of each bucket); a zoomed
// range gets more, since the reader zoomed to see them.
function basePoints(width) {
  return Math.min(4000, Math.max(1000, Math.round(width * 2)));
}
function detailPoints(width) {
  return Math.min(4000, Math.max(2000, Math.round(width * 3)));
}

export class ChartsView {
  /**
   * @param {HTMLElement} el the charts' container
   * @param {{store: object, colors: object, isDark: () => boolean, root: HTMLElement}} opts
   */
  constructor(el, { store, colors, isDark, root }) {
    this.el = el;
    this.store = store;
    this.colors = colors;
    this.isDark = isDark;
    this.root = root;
    this.cards = new Map();
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { rootMargin: '300px 0px' });
  }

  cardOptions(spec) {
    const { store } = this;
    const holder = { spec };
    const log = parseLogChoices(store.state.log);
    return {
      holder,
      isDark: this.isDark,
      smoothing: () => store.state.smoothing,
      colorOf: (d) => this.colors.colorOf(d, this.isDark()),
      runVisible: (run) => store.runVisible(run),
      zoom: parseZoom(store.state.zoom).get(spec.id) || null,
      logScale: log.has(spec.id) ? log.get(spec.id) : null,
      loadRange: (lo, hi, width) => this.scalarData(holder.spec.series, detailPoints(width), { lo, hi }),
      loadContext: () => this.scalarData(holder.spec.context, basePoints(500)),
      onZoom: (range) => store.update({ zoom: withZoom(store.state.zoom, holder.spec.id, range) }),
      onLogScale: (on) => store.update({ log: withLog(store.state.log, holder.spec.id, on) }),
      onDrawn: () => this.noteDrawn(),
    };
  }

  render({ reloadData }) {
    const { store } = this;
    const charts = store.shownCharts();
    const wanted = new Set(charts.map((c) => c.id));
    for (const [id, card] of this.cards) {
      if (!wanted.has(id)) {
        this.observer.unobserve(card.el);
        card.destroy();
        card.el.remove();
        this.cards.delete(id);
      }
    }
    const loading = this.el.querySelector('.cc-loading');
    if (loading) loading.remove();

    // Experiments with findings first, worst first; inside, charts with findings first.
    const worstOfChart = new Map();
    const note = (f) => {
      const id = chartForFinding(f, charts);
      worstOfChart.set(id, Math.min(worstOfChart.get(id) ?? 9, RANK[f.severity] ?? 3));
    };
    for (const f of store.findings) {
      note(f);
      // The charts where a story also shows (its loss, its other split) sit
      // with its own, not after every chart that has a finding.
      for (const c of corroboratingOf(f)) note(c);
    }
    const byExp = new Map();
    for (const c of charts) {
      if (!byExp.has(c.experiment)) byExp.set(c.experiment, []);
      byExp.get(c.experiment).push(c);
    }
    const expOrder = Array.from(byExp.keys()).map((name) => ({
      name,
      worst: Math.min(...byExp.get(name).map((c) => worstOfChart.get(c.id) ?? 9)),
    })).sort((a, b) => (a.worst - b.worst) || String(a.name).localeCompare(String(b.name)));

    const sections = new Map(Array.from(this.el.querySelectorAll('.cc-exp')).map((s) => [s.dataset.experiment, s]));
    const orderedSections = [];
    for (const { name } of expOrder) {
      let section = sections.get(name);
      if (!section) {
        section = h('section', { class: 'cc-exp', dataset: { experiment: name } },
          h('h2', { class: 'cc-exp-title', text: name === '.' ? '(logdir root)' : name }),
          h('div', { class: 'cc-grid' }));
      }
      sections.delete(name);
      orderedSections.push(section);
      const grid = section.querySelector('.cc-grid');
      const list = byExp.get(name).slice().sort((a, b) => (worstOfChart.get(a.id) ?? 9) - (worstOfChart.get(b.id) ?? 9));
      for (const spec of list) {
        let card = this.cards.get(spec.id);
        if (!card) {
          const opts = this.cardOptions(spec);
          card = new ChartCard(spec, opts);
          card.holder = opts.holder;
          this.cards.set(spec.id, card);
          this.observer.observe(card.el);
        } else {
          card.spec = spec;
          card.holder.spec = spec;
        }
        grid.appendChild(card.el);
      }
    }
    for (const stale of sections.values()) stale.remove();
    for (const s of orderedSections) this.el.appendChild(s);
    // The sweep overview holds no charts, and says nothing about them.
    if (!charts.length && (!store.sweepMode() || store.state.open)) {
      this.el.appendChild(h('p', { class: 'cc-empty-sub cc-no-charts', text: 'No scalar or histogram data in this logdir yet. The tab refreshes on its own while training writes.' }));
    } else {
      const none = this.el.querySelector('.cc-no-charts');
      if (none) none.remove();
    }
    this.update();
    if (reloadData) for (const card of this.cards.values()) if (card.state !== 'pending') this.loadCard(card);
  }

  /** Hands each card the findings it shows (after the filters or the data changed) and redraws it. */
  update() {
    const { store } = this;
    const visible = store.visibleFindings();
    const selected = store.state.finding;
    const selectedCorroborating = store.corroboratingFor(selected);
    const corroborating = visible.flatMap((f) => corroboratingOf(f).map((c) => ({ ...c, leadTitle: f.title })));
    for (const card of this.cards.values()) {
      const series = card.spec.series;
      card.el.hidden = !series.some((s) => store.runVisible(s.run));
      const onCard = (run, tag) => series.some((s) => s.run === run && s.tag === tag);
      const mine = card.spec.kind === 'histogram'
        ? visible.filter((f) => chartForFinding(f, store.charts) === card.id)
        : visible.filter((f) => chartForFinding(f, store.charts) === card.id
          || onCard(f.run, f.tag) || (f.related || []).some((r) => onCard(r.run, r.tag)));
      card.setFindings({
        findings: mine,
        corroborating: corroborating.filter((c) => onCard(c.run, c.tag)),
        selectedCorroborating,
      });
      card.setSelected(selected, selectedCorroborating);
      // Bands and flagged points follow the filters; the run filter also
      // changes which series are drawn.
      if (card.loaded()) card.build();
    }
    for (const section of this.el.querySelectorAll('.cc-exp')) {
      section.hidden = !Array.from(section.querySelectorAll('.cc-card')).some((c) => !c.hidden);
    }
  }

  rebuildLoaded() {
    for (const card of this.cards.values()) if (card.loaded()) card.build();
  }

  /** A zoom or log-scale choice that came from the URL (a link, the back button). */
  applyChartChoices(prev, next) {
    if (prev.zoom !== next.zoom) {
      const zoom = parseZoom(next.zoom);
      for (const card of this.cards.values()) card.setZoom(zoom.get(card.id) || null);
    }
    if (prev.log !== next.log) {
      const log = parseLogChoices(next.log);
      for (const card of this.cards.values()) card.setLogScale(log.has(card.id) ? log.get(card.id) : null, { fromUrl: true });
    }
  }

  flash(card) {
    card.el.classList.add('cc-card-flash');
    setTimeout(() => card.el.classList.remove('cc-card-flash'), 1200);
    if (card.state === 'pending') this.loadCard(card);
  }

  /** Marks the selection on every card and brings the finding's chart into view. */
  select(key, { smooth }) {
    const selectedCorroborating = this.store.corroboratingFor(key);
    for (const card of this.cards.values()) card.setSelected(key, selectedCorroborating);
    const f = this.store.findings.find((x) => findingKey(x) === key);
    if (!f) return;
    const card = this.cards.get(chartForFinding(f, this.store.charts));
    if (!card) return;
    card.el.scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'auto' });
    this.flash(card);
  }

  showFinding(c) {
    const card = this.cards.get(chartForFinding(c, this.store.charts));
    if (!card || card.el.hidden) return;
    card.el.scrollIntoView({ block: 'center', behavior: 'smooth' });
    this.flash(card);
  }

  onVisible(entries) {
    for (const e of entries) {
      if (!e.isIntersecting) continue;
      const card = this.cards.get(e.target.dataset.chartId);
      if (card && card.state === 'pending') this.loadCard(card);
    }
  }

  async loadCard(card) {
    const token = {};
    card.loadToken = token;
    if (card.state === 'pending') card.setState('loading', 'Loading…');
    try {
      const data = card.spec.kind === 'histogram'
        ? await this.histogramData(card.spec)
        : await this.scalarData(card.spec.series, basePoints(card.plotEl.clientWidth || 500));
      if (card.loadToken !== token) return;
      card.setData(data);
    } catch (err) {
      if (card.loadToken !== token) return;
      card.setState('error', `Could not load this chart: ${err.message}`);
      const retry = h('button', { type: 'button', class: 'cc-button', text: 'Retry', onclick: () => this.loadCard(card) });
      card.statusEl.appendChild(document.createTextNode(' '));
      card.statusEl.appendChild(retry);
      this.noteDrawn();
    }
  }

  /** Scalar points as the server thinned them (it alone thins: plugin/thinning.py). */
  async scalarData(pairs, maxPoints, range = null) {
    const res = await api.series(pairs, maxPoints, range);
    return (res.series || []).map((s) => {
      const spec = pairs.find((x) => x.run === s.run && x.tag === s.tag) || {};
      return {
        run: s.run,
        tag: s.tag,
        label: spec.label || s.run,
        split: spec.split ?? null,
        paletteIndex: spec.paletteIndex ?? null,
        steps: s.steps,
        values: parseValues(s.values),
        thinned: Boolean(s.thinned),
        sampled: Boolean(s.sampled),
        total: s.total_points ?? s.steps.length,
      };
    });
  }

  async histogramData(spec) {
    const answers = await Promise.all(spec.series.map((s) => api.histogramStats(s.run, s.tag)));
    const out = [];
    spec.series.forEach((s, i) => {
      const res = answers[i];
      const stats = res.stats || {};
      const name = spec.statistic && stats[spec.statistic] ? spec.statistic : Object.keys(stats)[0];
      if (!name) return;
      let steps = res.steps || [];
      let values = parseValues(stats[name]);
      // A step-to-step change has no value at the first step: that NaN is not
      // in the data, and a NaN marker per layer would say it is.
      if (name === 'change' && values.length && Number.isNaN(values[0])) {
        steps = steps.slice(1);
        values = values.slice(1);
      }
      out.push({
        run: s.run, tag: s.tag, label: spec.grouped ? s.label : `${s.run} · ${STAT_LABEL[name] || name}`,
        paletteIndex: s.paletteIndex ?? null,
        steps, values, thinned: false, sampled: false, total: steps.length,
      });
    });
    return out;
  }

  noteDrawn() {
    // "Charts drawn": every chart in the first screenful has its data on it.
    if (this.firstScreenDrawn) return;
    const inView = Array.from(this.cards.values()).filter((c) => {
      if (c.el.hidden) return false;
      const r = c.el.getBoundingClientRect();
      return r.top < window.innerHeight && r.bottom > 0;
    });
    if (inView.length && inView.every((c) => c.state === 'drawn' || c.state === 'empty' || c.state === 'error')) {
      this.firstScreenDrawn = true;
      performance.mark('curvecheck:charts-drawn');
      const m = performance.measure('curvecheck:open-to-charts', 'curvecheck:start', 'curvecheck:charts-drawn');
      this.root.dataset.chartsDrawnMs = String(Math.round(m.duration));
    }
  }

  onResize() {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => { for (const c of this.cards.values()) c.resize(); }, 120);
  }
}
