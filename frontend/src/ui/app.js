// The tab: a store (URL state, polled answers), the settings, the findings
// list and the charts, and for many runs the sweep overview, wired together. Each part is its own module; this one
// only builds the page and passes changes from one to the others.

import { h, clear } from './dom.js';
import { Store } from './store.js';
import { Controls } from './controls.js';
import { FindingsView } from './findings_view.js';
import { ChartsView } from './charts_view.js';
import { SweepView } from './sweep_view.js';
import { watchTheme, RunColors } from './theme.js';
import { connectTensorBoard } from './tensorboard.js';
import { summaryText, countBySeverity, findingKey } from '../logic/findings.js';

export class App {
  constructor(root) {
    this.root = root;
    this.store = new Store();
    this.colors = new RunColors();
    this.dark = watchTheme((dark) => this.setDark(dark));
  }

  start() {
    performance.mark('curvecheck:start');
    this.buildShell();
    this.setDark(this.dark);
    const { store } = this;
    store.onState((prev, next, { fromUrl }) => this.onState(prev, next, fromUrl));
    store.onData(({ first }) => this.onData(first));
    store.onHealth((err, { first }) => this.onHealth(err, first));
    store.listenToUrl();
    this.tb = connectTensorBoard({
      onDataReloaded: () => store.refresh(),
      onRunsChanged: (runs) => this.setRunOrder(runs),
    });
    if (this.tb) this.tb.request('experimental.GetRuns').then((runs) => this.setRunOrder(runs), () => {});
    window.addEventListener('resize', () => this.charts.onResize());
    store.startPolling();
  }

  buildShell() {
    document.documentElement.lang = 'en';
    const { store } = this;
    this.summaryEl = h('p', { class: 'cc-summary', role: 'status', 'aria-live': 'polite', text: 'Checking the runs…' });
    this.controls = new Controls({ store });
    const findingsEl = h('nav', { class: 'cc-findings', 'aria-label': 'Findings' });
    this.side = h('aside', { class: 'cc-side' },
      h('header', { class: 'cc-side-head' }, h('h2', { class: 'cc-brand', text: 'CurveCheck' }), this.summaryEl),
      this.controls.el,
      findingsEl);
    this.banner = h('div', { class: 'cc-banner', role: 'status', hidden: true });
    this.chartsEl = h('div', { class: 'cc-charts' });
    this.overviewEl = h('div', { class: 'cc-overview', hidden: true });
    this.openTitle = h('h2', { class: 'cc-open-title' });
    this.openBar = h('div', { class: 'cc-open-bar', hidden: true },
      h('button', {
        type: 'button', class: 'cc-button cc-back', text: '← All runs',
        onclick: () => store.update({ open: '', finding: '', zoom: '', log: '' }),
      }),
      this.openTitle);
    this.main = h('main', { class: 'cc-main', 'aria-label': 'Charts' }, this.banner, this.overviewEl, this.openBar, this.chartsEl);
    this.app = h('div', { class: 'cc-app', dataset: { state: 'loading' } }, this.side, this.main);
    this.root.appendChild(this.app);
    this.charts = new ChartsView(this.chartsEl, {
      store, colors: this.colors, isDark: () => this.dark, root: this.app,
    });
    this.sweepView = new SweepView(this.overviewEl, { store, root: this.app });
    this.findingsView = new FindingsView(findingsEl, {
      store,
      colorFor: (run) => this.colors.colorFor(run, this.dark),
      onShowCorroborating: (lead, c) => {
        const key = findingKey(lead);
        if (store.state.finding !== key) store.update({ finding: key });
        this.charts.showFinding(c);
      },
    });
    this.showLoading();
    this.controls.sync();
  }

  showLoading() {
    clear(this.chartsEl);
    this.chartsEl.appendChild(h('div', { class: 'cc-loading', role: 'status' },
      h('div', { class: 'cc-spinner', 'aria-hidden': 'true' }),
      h('p', { text: 'Reading the logs and checking every series…' })));
  }

  setDark(dark) {
    this.dark = dark;
    document.documentElement.dataset.theme = dark ? 'dark' : 'light';
    if (this.charts) this.charts.rebuildLoaded();
  }

  setRunOrder(runs) {
    if (!this.colors.setOrder(runs)) return;
    this.charts.rebuildLoaded();
    this.findingsView.render();
  }

  onState(prev, next, fromUrl) {
    this.controls.sync();
    const sweep = this.store.sweepMode();
    if (prev.open !== next.open) {
      this.applyView();
      this.findingsView.render();
      this.renderSummary();
      this.charts.render({ reloadData: false });
      if (sweep && !next.open) this.sweepView.show();
    } else if (prev.severities !== next.severities || prev.runs !== next.runs) {
      // The overview first: it is what the person is looking at.
      if (sweep) this.sweepView.refresh();
      this.findingsView.render();
      this.renderSummary();
      this.charts.update();
    } else if (prev.smoothing !== next.smoothing) {
      this.charts.rebuildLoaded();
    }
    if (sweep && (prev.kind !== next.kind || prev.sort !== next.sort)) this.sweepView.refresh();
    if (fromUrl) this.charts.applyChartChoices(prev, next);
    if (prev.finding !== next.finding) this.select(next.finding, !fromUrl);
  }

  /** Which of the overview, an opened run and the list-and-charts view is shown. */
  applyView() {
    const { store } = this;
    const sweep = store.sweepMode();
    const open = sweep && Boolean(store.state.open);
    this.overviewEl.hidden = !sweep || open;
    this.openBar.hidden = !open;
    this.chartsEl.hidden = sweep && !open;
    const known = open && store.runs.some((r) => r.run === store.state.open);
    this.openTitle.textContent = !open ? '' : (known ? store.state.open : `${store.state.open}: no run of this name in the logdir`);
    this.app.dataset.view = !sweep ? 'list' : (open ? 'run' : 'overview');
    if (open) this.main.scrollTop = 0;
  }

  onData(first) {
    const { store } = this;
    this.colors.setKnown(store.runs.map((r) => r.run));
    this.app.dataset.state = 'ready';
    this.app.dataset.generation = store.generation;
    this.applyView();
    // The overview's rows before anything else: at 1,000 runs they are what
    // the person waits for.
    if (store.sweepMode()) this.sweepView.setData();
    this.renderSummary();
    this.controls.sync();
    this.findingsView.render();
    this.charts.render({ reloadData: !first });
    if (first && store.state.finding) this.select(store.state.finding, false);
  }

  onHealth(err, first) {
    if (!err) {
      this.banner.hidden = true;
    } else if (first) {
      this.showFatal(err);
    } else {
      this.banner.textContent = `Could not refresh: ${err.message}. Showing the last answer; retrying.`;
      this.banner.hidden = false;
    }
  }

  select(key, smooth) {
    this.findingsView.select(key);
    this.charts.select(key, { smooth });
  }

  renderSummary() {
    const { store } = this;
    if (!store.summary) return;
    this.summaryEl.textContent = summaryText(store.summary, store.visibleFindings().length);
    const counts = countBySeverity(store.findings);
    this.controls.setCounts(counts);
    this.app.dataset.findings = String(counts.error + counts.warning + counts.info);
  }

  showFatal(err) {
    this.app.dataset.state = 'error';
    clear(this.chartsEl);
    this.summaryEl.textContent = 'CurveCheck could not read the findings.';
    this.chartsEl.appendChild(h('div', { class: 'cc-fatal', role: 'alert' },
      h('p', { class: 'cc-fatal-title', text: 'CurveCheck could not read the findings.' }),
      h('p', { class: 'cc-fatal-detail', text: err.message || String(err) }),
      h('button', { type: 'button', class: 'cc-button', text: 'Try again', onclick: () => { this.showLoading(); this.store.refresh(); } })));
  }
}
