import { h, clear } from './dom.js';
import { api } from './api.js';
import { ChartCard } from './chart.js';
import { watchTheme, RUN_PALETTE, pick } from './theme.js';
import { connectTensorBoard } from './tensorboard.js';
import { parseValues, formatSteps, formatValue } from '../logic/values.js';
import { thinMinMax } from '../logic/thin.js';
import {
  SEVERITIES, filterFindings, groupFindings, summaryText, countBySeverity, runMatcher,
  findingKey, chartForFinding, histogramChartId, seriesKey, groupTags, corroboratingOf,
} from '../logic/findings.js';
import {
  parseState, formatState, parseParentHash, composeParentHash, DEFAULTS,
} from '../logic/urlstate.js';

const PLUGIN = 'curvecheck';
// The `findings` answer carries a generation id, so a poll that finds nothing
// new costs one small request; TensorBoard's DataReloaded also triggers one.
const POLL_MS = 5000;
// A grouped finding can cover dozens of tags; past this many lines a chart
// is unreadable, so the rest are named under it instead.
const MAX_GROUP_TAGS = 6;
const SEVERITY_LABEL = { error: 'Errors', warning: 'Warnings', info: 'Infos' };
const STAT_LABEL = {
  zero_fraction: 'share of exact zeros',
  abs_max: 'largest |value|',
  std: 'standard deviation',
  mean: 'mean',
  ends_fraction: 'share piled at 0 and 1',
  change: 'change from the previous step',
};

export class App {
  constructor(root) {
    this.root = root;
    this.state = this.initialState();
    this.runOrder = [];
    this.findings = [];
    this.runs = [];
    this.experiments = [];
    this.summary = null;
    this.charts = [];
    this.cards = new Map();
    this.generation = null;
    this.polling = false;
    this.dark = watchTheme((dark) => this.setDark(dark));
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { rootMargin: '300px 0px' });
  }

  initialState() {
    if (window.location.hash.length > 1) return parseState(window.location.hash);
    try {
      if (window.parent !== window) return parseParentHash(window.parent.location.hash, PLUGIN);
    } catch (e) {
      // cross-origin parent: start from the defaults
    }
    return { ...DEFAULTS };
  }

  start() {
    performance.mark('curvecheck:start');
    this.buildShell();
    this.setDark(this.dark);
    this.tb = connectTensorBoard({
      onDataReloaded: () => this.refresh(),
      onRunsChanged: (runs) => this.setRunOrder(runs),
    });
    if (this.tb) this.tb.request('experimental.GetRuns').then((runs) => this.setRunOrder(runs), () => {});
    window.addEventListener('hashchange', () => {
      const next = parseState(window.location.hash);
      if (formatState(next) !== formatState(this.state)) this.applyState(next, { fromUrl: true });
    });
    window.addEventListener('resize', () => this.onResize());
    this.refresh().finally(() => this.schedulePoll());
  }

  // ---------------------------------------------------------------- shell

  buildShell() {
    document.documentElement.lang = 'en';
    this.summaryEl = h('p', { class: 'cc-summary', role: 'status', 'aria-live': 'polite', text: 'Checking the runs…' });
    this.smoothRange = h('input', {
      type: 'range', min: '0', max: '0.99', step: '0.01', id: 'cc-smoothing', 'aria-label': 'Smoothing',
      oninput: (e) => this.update({ smoothing: Number(e.target.value) }),
    });
    this.smoothNumber = h('input', {
      type: 'number', min: '0', max: '0.99', step: '0.01', class: 'cc-smooth-number', 'aria-label': 'Smoothing value',
      onchange: (e) => {
        const v = Number(e.target.value);
        if (Number.isFinite(v) && v >= 0 && v < 1) this.update({ smoothing: v });
      },
    });
    this.sevBoxes = {};
    const sevRow = h('div', { class: 'cc-sev-filters', role: 'group', 'aria-label': 'Severities shown' });
    for (const sev of SEVERITIES) {
      const box = h('input', { type: 'checkbox', id: `cc-sev-${sev}`, onchange: () => this.onSeverityToggle() });
      const count = h('span', { class: 'cc-count', text: '' });
      this.sevBoxes[sev] = { box, count };
      sevRow.appendChild(h('label', { class: `cc-sev-filter cc-sev-${sev}`, for: `cc-sev-${sev}` },
        box, h('span', { class: 'cc-sev-dot' }), h('span', { text: SEVERITY_LABEL[sev] }), count));
    }
    this.runInput = h('input', {
      type: 'text', id: 'cc-runs', class: 'cc-run-filter', placeholder: 'Filter runs (regex)', spellcheck: 'false',
      autocomplete: 'off', 'aria-label': 'Filter runs by regular expression',
      oninput: (e) => this.update({ runs: e.target.value }),
    });
    this.runError = h('div', { class: 'cc-run-error', role: 'alert', hidden: true });
    this.linkButton = h('button', { type: 'button', class: 'cc-button', onclick: () => this.copyLink(), text: 'Copy link to this view' });
    this.linkOut = h('input', { type: 'text', class: 'cc-link-out', readonly: true, hidden: true, 'aria-label': 'Link to this view' });
    this.findingsEl = h('nav', { class: 'cc-findings', 'aria-label': 'Findings' });
    this.side = h('aside', { class: 'cc-side' },
      h('header', { class: 'cc-side-head' }, h('h2', { class: 'cc-brand', text: 'CurveCheck' }), this.summaryEl),
      h('section', { class: 'cc-controls', 'aria-label': 'Settings' },
        h('div', { class: 'cc-control' }, h('label', { for: 'cc-smoothing', class: 'cc-control-label', text: 'Smoothing' }),
          h('div', { class: 'cc-smooth-row' }, this.smoothRange, this.smoothNumber)),
        h('div', { class: 'cc-control' }, h('span', { class: 'cc-control-label', text: 'Severity' }), sevRow),
        h('div', { class: 'cc-control' }, h('label', { for: 'cc-runs', class: 'cc-control-label', text: 'Runs' }), this.runInput, this.runError),
        h('div', { class: 'cc-control' }, this.linkButton, this.linkOut)),
      this.findingsEl);
    this.banner = h('div', { class: 'cc-banner', role: 'status', hidden: true });
    this.chartsEl = h('div', { class: 'cc-charts' });
    this.main = h('main', { class: 'cc-main', 'aria-label': 'Charts' }, this.banner, this.chartsEl);
    this.app = h('div', { class: 'cc-app', dataset: { state: 'loading' } }, this.side, this.main);
    this.root.appendChild(this.app);
    this.showLoading();
    this.syncControls();
  }

  showLoading() {
    clear(this.chartsEl);
    this.chartsEl.appendChild(h('div', { class: 'cc-loading', role: 'status' },
      h('div', { class: 'cc-spinner', 'aria-hidden': 'true' }),
      h('p', { text: 'Reading the logs and checking every series…' })));
  }

  syncControls() {
    const s = this.state;
    this.smoothRange.value = String(s.smoothing);
    if (document.activeElement !== this.smoothNumber) this.smoothNumber.value = String(s.smoothing);
    const sev = new Set(s.severities.split(',').filter(Boolean));
    for (const k of SEVERITIES) this.sevBoxes[k].box.checked = sev.has(k);
    if (document.activeElement !== this.runInput) this.runInput.value = s.runs;
    const m = runMatcher(s.runs);
    this.runError.hidden = m.ok;
    this.runError.textContent = m.ok ? '' : `Invalid regular expression: ${m.error}`;
    this.runInput.setAttribute('aria-invalid', m.ok ? 'false' : 'true');
  }

  setDark(dark) {
    this.dark = dark;
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
    for (const card of this.cards.values()) if (card.loaded()) card.build();
  }

  setRunOrder(runs) {
    if (!Array.isArray(runs)) return;
    const same = runs.length === this.runOrder.length && runs.every((r, i) => r === this.runOrder[i]);
    if (same) return;
    this.runOrder = runs.slice();
    for (const card of this.cards.values()) if (card.loaded()) card.build();
    this.renderFindings();
  }

  smoothing() {
    return this.state.smoothing;
  }

  isDark() {
    return this.dark;
  }

  /** A drawn series' colour: its own palette slot in a grouped chart, else its run's. */
  colorOf(d) {
    if (d.paletteIndex !== null && d.paletteIndex !== undefined) {
      return pick(RUN_PALETTE[d.paletteIndex % RUN_PALETTE.length], this.dark);
    }
    return this.colorFor(d.run);
  }

  colorFor(run) {
    let i = this.runOrder.indexOf(run);
    if (i < 0) {
      const j = this.runs.findIndex((r) => r.run === run);
      i = j < 0 ? 0 : this.runOrder.length + j;
    }
    return pick(RUN_PALETTE[i % RUN_PALETTE.length], this.dark);
  }

  // ---------------------------------------------------------------- state

  onSeverityToggle() {
    const on = SEVERITIES.filter((k) => this.sevBoxes[k].box.checked);
    this.update({ severities: on.join(',') });
  }

  update(patch) {
    this.applyState({ ...this.state, ...patch }, { fromUrl: false });
  }

  applyState(next, { fromUrl }) {
    const prev = this.state;
    this.state = next;
    if (!fromUrl) this.writeUrl();
    this.syncControls();
    const filtersChanged = prev.severities !== next.severities || prev.runs !== next.runs;
    if (filtersChanged) {
      this.renderFindings();
      this.renderSummary();
      this.updateCards({ rebuild: prev.runs !== next.runs });
    }
    if (prev.smoothing !== next.smoothing) {
      for (const card of this.cards.values()) if (card.loaded()) card.build();
    }
    if (prev.finding !== next.finding) this.select(next.finding, { smooth: !fromUrl });
  }

  writeUrl() {
    const hash = formatState(this.state);
    const url = `${window.location.pathname}${window.location.search}${hash}`;
    window.history.replaceState(null, '', url || window.location.pathname);
    // Mirror into TensorBoard's own address bar while our tab is the one
    // shown, so the page URL itself reproduces the view.
    try {
      const p = window.parent;
      if (p !== window && /^#curvecheck(&|$)/.test(p.location.hash)) {
        p.history.replaceState(p.history.state, '', composeParentHash(p.location.hash, PLUGIN, this.state));
      }
    } catch (e) {
      // cross-origin parent: the iframe's hash and the copy-link button remain
    }
  }

  linkToView() {
    try {
      const p = window.parent;
      if (p !== window) {
        const base = `${p.location.origin}${p.location.pathname}${p.location.search}`;
        return base + composeParentHash(p.location.hash.startsWith('#curvecheck') ? p.location.hash : '', PLUGIN, this.state);
      }
    } catch (e) {
      // fall through to the iframe's own URL
    }
    return window.location.href;
  }

  async copyLink() {
    const link = this.linkToView();
    this.linkOut.value = link;
    try {
      await navigator.clipboard.writeText(link);
      this.linkButton.textContent = 'Link copied';
      this.linkOut.hidden = true;
    } catch (e) {
      // Clipboard access can be refused inside an iframe: show the link instead.
      this.linkOut.hidden = false;
      this.linkOut.focus();
      this.linkOut.select();
      this.linkButton.textContent = 'Copy the link below';
    }
    setTimeout(() => { this.linkButton.textContent = 'Copy link to this view'; }, 2500);
  }

  severitySet() {
    return new Set(this.state.severities.split(',').filter(Boolean));
  }

  visibleFindings() {
    return filterFindings(this.findings, { severities: this.severitySet(), runPattern: this.state.runs });
  }

  runVisible(run) {
    return runMatcher(this.state.runs).test(run);
  }

  // ---------------------------------------------------------------- data

  schedulePoll() {
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => this.refresh().finally(() => this.schedulePoll()), POLL_MS);
  }

  async refresh() {
    if (this.polling) return;
    this.polling = true;
    try {
      const res = await api.findings();
      this.hideBanner();
      if (res.generation !== undefined && res.generation === this.generation && this.generation !== null) return;
      const first = this.generation === null;
      const tags = await api.tags();
      this.generation = res.generation ?? String(Date.now());
      this.findings = res.findings || [];
      this.runs = res.runs || [];
      this.experiments = res.experiments || [];
      this.summary = res.summary || { ...countBySeverity(this.findings), runs: this.runs.length, series: 0 };
      this.tagInfo = tags.runs || {};
      this.charts = this.planCharts(tags.charts || []);
      this.app.dataset.state = 'ready';
      this.app.dataset.generation = this.generation;
      this.renderSummary();
      this.renderFindings();
      this.renderCharts({ reloadData: !first });
      if (first && this.state.finding) this.select(this.state.finding, { smooth: false });
    } catch (err) {
      if (this.generation === null) this.showFatal(err);
      else this.showBanner(`Could not refresh: ${err.message}. Showing the last answer; retrying.`);
    } finally {
      this.polling = false;
    }
  }

  /** Scalar charts from `tags`, plus one chart per histogram finding's statistic. */
  planCharts(scalarCharts) {
    const out = scalarCharts.map((c) => ({
      id: c.id,
      kind: 'scalar',
      experiment: c.experiment,
      title: c.title,
      subtitle: c.experiment && c.experiment !== '.' ? c.experiment : '',
      series: c.series.map((s) => ({ ...s, label: s.run })),
    }));
    const seen = new Set(out.map((c) => c.id));
    for (const f of this.findings) {
      if (chartForFinding(f, out) !== histogramChartId(f)) continue;
      const id = histogramChartId(f);
      if (seen.has(id)) continue;
      seen.add(id);
      const stat = (f.evidence && typeof f.evidence.statistic === 'string') ? f.evidence.statistic : null;
      const exp = this.experiments.find((e) => e.runs.includes(f.run));
      const runTags = this.tagInfo[f.run] || {};
      const all = groupTags(f);
      const tags = all.slice(0, MAX_GROUP_TAGS);
      const more = all.length - tags.length;
      const grouped = all.length > 1;
      // "value": the flagged series is a scalar (a callback's gradient norm).
      const info = runTags[f.tag];
      const scalar = stat === 'value' || Boolean(info && info.type === 'scalar');
      const statText = stat && stat !== 'value' ? (STAT_LABEL[stat] || stat) : '';
      // Several tags of one run: each gets a colour of its own, the run's
      // colour would make them one line.
      const series = tags.map((tag, i) => ({
        run: f.run,
        tag,
        label: grouped ? tag : (scalar ? f.run : `${f.run} · ${statText}`),
        paletteIndex: grouped ? i : null,
      }));
      const parts = [f.run];
      if (statText) parts.push(`${statText} per step`);
      if (grouped) parts.push(`${all.length} tags flagged together`);
      out.push({
        id,
        kind: scalar ? 'scalar' : 'histogram',
        experiment: exp ? exp.name : f.run,
        title: grouped ? `${f.kind.replace(/_/g, ' ')}: ${all.length} tags` : f.tag,
        subtitle: parts.join(' · '),
        statistic: scalar ? null : stat,
        grouped,
        more: more > 0 ? `${more} more flagged with it, not drawn: ${all.slice(MAX_GROUP_TAGS).join(', ')}` : '',
        series,
      });
    }
    return out;
  }

  renderSummary() {
    if (!this.summary) return;
    const shown = this.visibleFindings().length;
    this.summaryEl.textContent = summaryText(this.summary, shown);
    const counts = countBySeverity(this.findings);
    for (const sev of SEVERITIES) this.sevBoxes[sev].count.textContent = String(counts[sev]);
    const total = counts.error + counts.warning + counts.info;
    this.app.dataset.findings = String(total);
  }

  // ---------------------------------------------------------------- findings list

  renderFindings() {
    if (!this.summary) return;
    const openKeys = new Set(Array.from(this.findingsEl.querySelectorAll('details[open]')).map((d) => d.dataset.findingKey));
    const active = document.activeElement;
    const focusKey = active && this.findingsEl.contains(active) ? active.dataset.findingKey : null;
    const scrollTop = this.findingsEl.scrollTop;
    clear(this.findingsEl);

    const visible = this.visibleFindings();
    const failed = this.runs.filter((r) => r.status === 'failed' && this.runVisible(r.run));
    if (!this.findings.length && !failed.length) {
      this.findingsEl.appendChild(h('div', { class: 'cc-empty' },
        h('div', { class: 'cc-empty-mark', 'aria-hidden': 'true', text: '✓' }),
        h('p', { class: 'cc-empty-title', text: summaryText(this.summary) }),
        h('p', { class: 'cc-empty-sub', text: 'CurveCheck looked for non-finite values, divergence, collapses, stuck metrics, saturated losses, oscillation, overfitting and histogram problems.' })));
    } else if (!visible.length && this.findings.length) {
      this.findingsEl.appendChild(h('p', { class: 'cc-empty-sub', text: `No findings match the filters (${this.findings.length} hidden).` }));
    }

    const groups = groupFindings(visible, this.experiments);
    const failedByExp = new Map();
    for (const r of failed) {
      const e = this.experiments.find((x) => x.runs.includes(r.run));
      const name = e ? e.name : r.run;
      if (!failedByExp.has(name)) failedByExp.set(name, []);
      failedByExp.get(name).push(r);
      if (!groups.some((g) => g.name === name)) groups.push({ name, runs: [], worst: 0 });
    }
    for (const g of groups) {
      const section = h('section', { class: 'cc-group', dataset: { experiment: g.name } },
        h('h3', { class: 'cc-group-title', text: g.name === '.' ? '(logdir root)' : g.name }));
      for (const r of failedByExp.get(g.name) || []) {
        section.appendChild(h('div', { class: 'cc-run-failed', role: 'alert', dataset: { run: r.run } },
          h('strong', { text: r.run }), ' could not be analysed: ', h('span', { text: r.reason || 'unknown error' })));
      }
      for (const r of g.runs) {
        const runHead = h('div', { class: 'cc-run-head' },
          h('span', { class: 'cc-swatch', style: { background: this.colorFor(r.run) } }),
          h('span', { class: 'cc-run-name', text: r.run }));
        section.appendChild(runHead);
        for (const f of r.findings) section.appendChild(this.findingItem(f, openKeys));
      }
      this.findingsEl.appendChild(section);
    }
    this.findingsEl.scrollTop = scrollTop;
    if (focusKey) {
      const again = this.findingsEl.querySelector(`[data-finding-key="${CSS.escape(focusKey)}"].cc-finding-head`);
      if (again) again.focus({ preventScroll: true });
    }
  }

  findingItem(f, openKeys) {
    const key = findingKey(f);
    const selected = key === this.state.finding;
    const head = h('button', {
      type: 'button',
      class: 'cc-finding-head',
      'aria-pressed': selected ? 'true' : 'false',
      dataset: { findingKey: key },
      // The state, not `selected`: this button outlives the render that made it.
      onclick: () => this.update({ finding: this.state.finding === key ? '' : key }),
    },
    h('span', { class: `cc-sev-badge cc-sev-${f.severity}`, text: f.severity }),
    h('span', { class: 'cc-finding-title', text: f.title }),
    h('span', { class: 'cc-finding-meta', text: `${f.tag} · ${formatSteps(f.start_step, f.end_step)}` }));
    const details = h('details', { class: 'cc-finding-details', dataset: { findingKey: key }, open: openKeys.has(key) },
      h('summary', { text: 'Why, and what to check' }),
      h('p', { class: 'cc-explanation', text: f.explanation || '' }),
      this.evidenceList(f.evidence),
      (f.related && f.related.length) ? h('p', { class: 'cc-related' }, 'Also rests on: ',
        f.related.map((r, i) => h('span', { class: 'cc-related-item', text: `${i ? ', ' : ''}${r.run} · ${r.tag}` }))) : null,
      this.corroboratingList(f));
    return h('article', {
      class: `cc-finding cc-sev-${f.severity}${selected ? ' cc-selected' : ''}`,
      dataset: { findingKey: key, run: f.run, tag: f.tag, kind: f.kind, severity: f.severity },
    }, head, details);
  }

  /** The findings folded into this story; a click shows that one's chart. */
  corroboratingList(f) {
    const list = corroboratingOf(f);
    if (!list.length) return null;
    return h('div', { class: 'cc-corroborating' },
      h('p', { class: 'cc-corroborating-head', text: 'The same event shows in:' }),
      h('ul', { class: 'cc-corroborating-list' }, list.map((c) => h('li', null, h('button', {
        type: 'button',
        class: 'cc-corroborating-item',
        dataset: { run: c.run, tag: c.tag, kind: c.kind, startStep: c.start_step, endStep: c.end_step },
        onclick: () => this.showCorroborating(f, c),
      },
      h('span', { class: `cc-sev-dot cc-sev-${c.severity}` }),
      h('span', { class: 'cc-corroborating-where', text: `${c.run} · ${c.tag}` }),
      h('span', { class: 'cc-corroborating-what', text: ` ${String(c.kind).replace(/_/g, ' ')}, ${formatSteps(c.start_step, c.end_step)}` }))))));
  }

  showCorroborating(lead, c) {
    const key = findingKey(lead);
    if (this.state.finding !== key) this.update({ finding: key });
    const card = this.cards.get(chartForFinding(c, this.charts));
    if (!card || card.el.hidden) return;
    card.el.scrollIntoView({ block: 'center', behavior: 'smooth' });
    card.el.classList.add('cc-card-flash');
    setTimeout(() => card.el.classList.remove('cc-card-flash'), 1200);
    if (card.state === 'pending') this.loadCard(card);
  }

  /** The selected story's corroborating findings, while it passes the filters. */
  corroboratingFor(key) {
    if (!key) return [];
    const f = this.visibleFindings().find((x) => findingKey(x) === key);
    return f ? corroboratingOf(f) : [];
  }

  evidenceList(evidence) {
    if (!evidence || typeof evidence !== 'object') return null;
    const dl = h('dl', { class: 'cc-evidence' });
    for (const [k, v] of Object.entries(evidence)) {
      // Listed on its own below, finding by finding.
      if (k === 'corroborating') continue;
      let text;
      if (typeof v === 'number') text = formatValue(v);
      else if (Array.isArray(v)) text = v.map((x) => (typeof x === 'number' ? formatValue(x) : String(x))).slice(0, 12).join(', ') + (v.length > 12 ? ', …' : '');
      else if (v && typeof v === 'object') text = JSON.stringify(v);
      else text = String(v);
      dl.appendChild(h('dt', { text: k.replace(/_/g, ' ') }));
      dl.appendChild(h('dd', { text }));
    }
    return dl;
  }

  select(key, { smooth }) {
    for (const el of this.findingsEl.querySelectorAll('.cc-finding')) {
      const on = el.dataset.findingKey === key;
      el.classList.toggle('cc-selected', on);
      el.querySelector('.cc-finding-head').setAttribute('aria-pressed', on ? 'true' : 'false');
    }
    for (const card of this.cards.values()) card.setSelected(key);
    const f = this.findings.find((x) => findingKey(x) === key);
    if (!f) return;
    const card = this.cards.get(chartForFinding(f, this.charts));
    if (!card) return;
    card.el.scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'auto' });
    card.el.classList.add('cc-card-flash');
    setTimeout(() => card.el.classList.remove('cc-card-flash'), 1200);
    if (card.state === 'pending') this.loadCard(card);
  }

  // ---------------------------------------------------------------- charts

  renderCharts({ reloadData }) {
    const wanted = new Set(this.charts.map((c) => c.id));
    for (const [id, card] of this.cards) {
      if (!wanted.has(id)) {
        this.observer.unobserve(card.el);
        card.destroy();
        card.el.remove();
        this.cards.delete(id);
      }
    }
    const loading = this.chartsEl.querySelector('.cc-loading');
    if (loading) loading.remove();

    // Experiments with findings first, worst first; inside, charts with findings first.
    const rank = { error: 0, warning: 1, info: 2 };
    const worstOfChart = new Map();
    const note = (f) => {
      const id = chartForFinding(f, this.charts);
      worstOfChart.set(id, Math.min(worstOfChart.get(id) ?? 9, rank[f.severity] ?? 3));
    };
    for (const f of this.findings) {
      note(f);
      // The charts where a story also shows (its loss, its other split) sit
      // with its own, not after every chart that has a finding.
      for (const c of corroboratingOf(f)) note(c);
    }
    const byExp = new Map();
    for (const c of this.charts) {
      if (!byExp.has(c.experiment)) byExp.set(c.experiment, []);
      byExp.get(c.experiment).push(c);
    }
    const expOrder = Array.from(byExp.keys()).map((name) => ({
      name,
      worst: Math.min(...byExp.get(name).map((c) => worstOfChart.get(c.id) ?? 9)),
    })).sort((a, b) => (a.worst - b.worst) || String(a.name).localeCompare(String(b.name)));

    const sections = new Map(Array.from(this.chartsEl.querySelectorAll('.cc-exp')).map((s) => [s.dataset.experiment, s]));
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
      const charts = byExp.get(name).slice().sort((a, b) => (worstOfChart.get(a.id) ?? 9) - (worstOfChart.get(b.id) ?? 9));
      for (const spec of charts) {
        let card = this.cards.get(spec.id);
        if (!card) {
          card = new ChartCard(this, spec);
          this.cards.set(spec.id, card);
          this.observer.observe(card.el);
        } else {
          card.spec = spec;
        }
        grid.appendChild(card.el);
      }
    }
    for (const stale of sections.values()) stale.remove();
    for (const s of orderedSections) this.chartsEl.appendChild(s);
    if (!this.charts.length) {
      this.chartsEl.appendChild(h('p', { class: 'cc-empty-sub cc-no-charts', text: 'No scalar or histogram data in this logdir yet. The tab refreshes on its own while training writes.' }));
    } else {
      const none = this.chartsEl.querySelector('.cc-no-charts');
      if (none) none.remove();
    }
    this.updateCards({ rebuild: false });
    if (reloadData) for (const card of this.cards.values()) if (card.state !== 'pending') this.loadCard(card);
  }

  updateCards({ rebuild }) {
    const visible = this.visibleFindings();
    for (const card of this.cards.values()) {
      const show = card.spec.series.some((s) => this.runVisible(s.run));
      card.el.hidden = !show;
      const onCard = (run, tag) => card.spec.series.some((s) => s.run === run && s.tag === tag);
      const mine = card.spec.kind === 'histogram'
        ? visible.filter((f) => chartForFinding(f, this.charts) === card.id)
        : visible.filter((f) => chartForFinding(f, this.charts) === card.id
          || onCard(f.run, f.tag) || (f.related || []).some((r) => onCard(r.run, r.tag)));
      card.findings = mine;
      card.setSelected(this.state.finding);
      // Bands and flagged points follow the filters; the run filter also
      // changes which series are drawn (`rebuild` says so, for readers).
      if (card.loaded()) card.build(rebuild);
    }
    for (const section of this.chartsEl.querySelectorAll('.cc-exp')) {
      section.hidden = !Array.from(section.querySelectorAll('.cc-card')).some((c) => !c.hidden);
    }
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
    const width = card.plotEl.clientWidth || 500;
    const maxPoints = Math.min(4000, Math.max(1000, Math.round(width * 2)));
    try {
      let data;
      if (card.spec.kind === 'histogram') {
        data = await this.histogramData(card.spec);
      } else {
        const res = await api.series(card.spec.series, maxPoints);
        data = (res.series || []).map((s) => {
          const spec = card.spec.series.find((x) => x.run === s.run && x.tag === s.tag) || {};
          const values = parseValues(s.values);
          let steps = s.steps;
          let vals = values;
          let thinned = Boolean(s.thinned);
          if (steps.length > maxPoints * 1.5) {
            const keep = new Set();
            for (const f of this.findings) if (f.run === s.run && f.tag === s.tag) { keep.add(f.start_step); keep.add(f.end_step); }
            const t = thinMinMax(steps, values, maxPoints, keep);
            steps = t.steps;
            vals = Float64Array.from(t.values);
            thinned = thinned || t.thinned;
          }
          return {
            run: s.run, tag: s.tag, label: spec.label || s.run, paletteIndex: spec.paletteIndex ?? null, steps, values: vals,
            thinned, sampled: Boolean(s.sampled), total: s.total_points ?? s.steps.length,
          };
        });
      }
      if (card.loadToken !== token) return;
      card.setData(data);
      this.noteDrawn();
    } catch (err) {
      if (card.loadToken !== token) return;
      card.setState('error', `Could not load this chart: ${err.message}`);
      const retry = h('button', { type: 'button', class: 'cc-button', text: 'Retry', onclick: () => this.loadCard(card) });
      card.statusEl.appendChild(document.createTextNode(' '));
      card.statusEl.appendChild(retry);
      this.noteDrawn();
    }
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
      this.app.dataset.chartsDrawnMs = String(Math.round(m.duration));
    }
  }

  onResize() {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => { for (const c of this.cards.values()) c.resize(); }, 120);
  }

  // ---------------------------------------------------------------- errors

  showFatal(err) {
    this.app.dataset.state = 'error';
    clear(this.chartsEl);
    this.summaryEl.textContent = 'CurveCheck could not read the findings.';
    this.chartsEl.appendChild(h('div', { class: 'cc-fatal', role: 'alert' },
      h('p', { class: 'cc-fatal-title', text: 'CurveCheck could not read the findings.' }),
      h('p', { class: 'cc-fatal-detail', text: err.message || String(err) }),
      h('button', { type: 'button', class: 'cc-button', text: 'Try again', onclick: () => { this.showLoading(); this.refresh(); } })));
  }

  showBanner(text) {
    this.banner.textContent = text;
    this.banner.hidden = false;
  }

  hideBanner() {
    this.banner.hidden = true;
  }
}

export { seriesKey };
