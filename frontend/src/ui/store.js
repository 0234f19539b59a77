// The tab's state: the view (in the URL, so a link reproduces it) and the
// last answers of the server (polled). Views read it and subscribe; they
// change it only through `update`.

import { api } from './api.js';
import {
  filterFindings, countBySeverity, runMatcher, corroboratingOf, findingKey,
} from '../logic/findings.js';
import {
  parseState, formatState, parseParentHash, composeParentHash, DEFAULTS,
} from '../logic/urlstate.js';
import { planCharts } from '../logic/charts.js';
import { SWEEP_MIN_RUNS, experimentRuns } from '../logic/sweep.js';

export const PLUGIN = 'curvecheck';
// The `findings` answer carries a generation id, so a poll that finds nothing
// new costs one small request; TensorBoard's DataReloaded also triggers one.
const POLL_MS = 5000;

function initialState() {
  if (window.location.hash.length > 1) return parseState(window.location.hash);
  try {
    if (window.parent !== window) return parseParentHash(window.parent.location.hash, PLUGIN);
  } catch (e) {
    // cross-origin parent: start from the defaults
  }
  return { ...DEFAULTS };
}

export class Store {
  constructor() {
    this.state = initialState();
    this.findings = [];
    this.runs = [];
    this.experiments = [];
    this.summary = null;
    this.notes = [];
    this.tagInfo = {};
    this.planned = null;
    this.planInput = null;
    this.hparams = null;
    this.sweep = null;
    this.generation = null;
    this.polling = false;
    this.stateListeners = [];
    this.dataListeners = [];
    this.healthListeners = [];
  }

  // ---------------------------------------------------------------- view state

  /** fn(prev, next, {fromUrl}) after every change of the view state. */
  onState(fn) { this.stateListeners.push(fn); }

  update(patch) {
    const next = { ...this.state, ...patch };
    if (formatState(next) === formatState(this.state)) return;
    this.applyState(next, { fromUrl: false });
  }

  applyState(next, { fromUrl }) {
    const prev = this.state;
    this.state = next;
    if (!fromUrl) this.writeUrl();
    for (const fn of this.stateListeners) fn(prev, next, { fromUrl });
  }

  /** Follows the iframe's hash (the back button, a pasted link). */
  listenToUrl() {
    window.addEventListener('hashchange', () => {
      const next = parseState(window.location.hash);
      if (formatState(next) !== formatState(this.state)) this.applyState(next, { fromUrl: true });
    });
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

  // ---------------------------------------------------------------- derived

  severitySet() {
    return new Set(this.state.severities.split(',').filter(Boolean));
  }

  matcher() {
    return runMatcher(this.state.runs);
  }

  /** Many runs: the tab opens on the sweep overview, charts only for the run opened from it. */
  sweepMode() {
    return this.runs.length >= SWEEP_MIN_RUNS;
  }

  /** The runs of the opened run's experiment, in sweep mode with a run open; else null. */
  openScope() {
    if (!this.sweepMode() || !this.state.open) return null;
    const memo = this.scopeMemo;
    if (memo && memo.open === this.state.open && memo.experiments === this.experiments) return memo.scope;
    const scope = new Set(experimentRuns(this.state.open, this.experiments));
    this.scopeMemo = { open: this.state.open, experiments: this.experiments, scope };
    return scope;
  }

  /** A run's series are drawn: it is in the opened experiment, or (no run open) the run filter matches it. */
  runVisible(run) {
    const scope = this.openScope();
    return scope ? scope.has(run) : this.matcher().test(run);
  }

  /** The findings the list and the charts show; computed once per data and filters. */
  visibleFindings() {
    const scope = this.openScope();
    const key = [this.state.severities, scope ? '' : this.state.runs, scope ? this.state.open : ''].join('\u241f');
    const memo = this.visibleMemo;
    if (memo && memo.findings === this.findings && memo.key === key) return memo.list;
    const list = scope
      ? filterFindings(this.findings.filter((f) => scope.has(f.run)), { severities: this.severitySet(), runPattern: '' })
      : filterFindings(this.findings, { severities: this.severitySet(), runPattern: this.state.runs });
    this.visibleMemo = { findings: this.findings, key, list };
    return list;
  }

  /**
   * Every chart (logic/charts.js), planned when first asked for: the sweep
   * overview needs none, and at 1,000 runs planning them is most of the
   * work between the answers and the first rows.
   */
  get charts() {
    if (!this.planned) this.planned = this.planInput ? planCharts(this.planInput) : [];
    return this.planned;
  }

  /** The charts the charts view holds: all of them, or in sweep mode the opened run's only. */
  shownCharts() {
    if (!this.sweepMode()) return this.charts;
    const scope = this.openScope();
    if (!scope) return [];
    const memo = this.chartsMemo;
    if (memo && memo.charts === this.charts && memo.scope === scope) return memo.list;
    const list = this.charts.filter((c) => c.series.some((s) => scope.has(s.run)));
    this.chartsMemo = { charts: this.charts, scope, list };
    return list;
  }

  /** The selected story's corroborating findings, while it passes the filters. */
  corroboratingFor(key) {
    if (!key) return [];
    const f = this.visibleFindings().find((x) => findingKey(x) === key);
    return f ? corroboratingOf(f) : [];
  }

  // ---------------------------------------------------------------- server data

  /** fn({first}) after an answer with a new generation. */
  onData(fn) { this.dataListeners.push(fn); }

  /** fn(err or null, {first}) after every refresh: whether the server answered. */
  onHealth(fn) { this.healthListeners.push(fn); }

  startPolling() {
    this.refresh().finally(() => this.schedulePoll());
  }

  schedulePoll() {
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => this.refresh().finally(() => this.schedulePoll()), POLL_MS);
  }

  async refresh() {
    if (this.polling) return;
    this.polling = true;
    const first = this.generation === null;
    try {
      // The first time both answers are needed: asked together. Afterwards
      // `tags` is asked only when the findings' generation changed.
      const early = first ? api.tags() : null;
      if (early) early.catch(() => {}); // its failure surfaces below, when awaited
      const res = await api.findings();
      for (const fn of this.healthListeners) fn(null, { first });
      if (res.generation !== undefined && res.generation === this.generation && this.generation !== null) return;
      const tags = await (early || api.tags());
      this.generation = res.generation ?? String(Date.now());
      this.findings = res.findings || [];
      this.runs = res.runs || [];
      this.experiments = res.experiments || [];
      // Absent from older servers and from logdirs without hyperparameters: nothing shown then.
      this.hparams = res.hparams && typeof res.hparams === 'object' ? res.hparams : null;
      this.sweep = res.sweep && typeof res.sweep === 'object' ? res.sweep : null;
      this.summary = res.summary || { ...countBySeverity(this.findings), runs: this.runs.length, series: 0 };
      // What the analysis says of the logs themselves (series it left out, experiments it could not judge).
      this.notes = Array.isArray(res.notes) ? res.notes.map(String) : [];
      this.tagInfo = tags.runs || {};
      this.planInput = {
        scalarCharts: tags.charts || [], findings: this.findings, experiments: this.experiments, tagInfo: this.tagInfo,
      };
      this.planned = null;
      for (const fn of this.dataListeners) fn({ first });
    } catch (err) {
      for (const fn of this.healthListeners) fn(err, { first: this.generation === null });
    } finally {
      this.polling = false;
    }
  }
}
