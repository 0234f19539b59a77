// The side panel's settings: smoothing, severities, the run filter (with what
// it matched, or why it matches nothing) and the link to this view.

import { h } from './dom.js';
import { SEVERITIES } from '../logic/findings.js';

const SEVERITY_LABEL = { error: 'Errors', warning: 'Warnings', info: 'Infos' };

export class Controls {
  constructor({ store }) {
    this.store = store;
    const update = (patch) => store.update(patch);
    this.smoothRange = h('input', {
      type: 'range', min: '0', max: '0.99', step: '0.01', id: 'cc-smoothing', 'aria-label': 'Smoothing',
      oninput: (e) => update({ smoothing: Number(e.target.value) }),
    });
    this.smoothNumber = h('input', {
      type: 'number', min: '0', max: '0.99', step: '0.01', class: 'cc-smooth-number', 'aria-label': 'Smoothing value',
      onchange: (e) => {
        const v = Number(e.target.value);
        if (Number.isFinite(v) && v >= 0 && v < 1) update({ smoothing: v });
      },
    });
    this.sevBoxes = {};
    const sevRow = h('div', { class: 'cc-sev-filters', role: 'group', 'aria-label': 'Severities shown' });
    for (const sev of SEVERITIES) {
      const box = h('input', {
        type: 'checkbox', id: `cc-sev-${sev}`,
        onchange: () => update({ severities: SEVERITIES.filter((k) => this.sevBoxes[k].box.checked).join(',') }),
      });
      const count = h('span', { class: 'cc-count', text: '' });
      this.sevBoxes[sev] = { box, count };
      sevRow.appendChild(h('label', { class: `cc-sev-filter cc-sev-${sev}`, for: `cc-sev-${sev}` },
        box, h('span', { class: 'cc-sev-dot' }), h('span', { text: SEVERITY_LABEL[sev] }), count));
    }
    this.runInput = h('input', {
      type: 'text', id: 'cc-runs', class: 'cc-run-filter', placeholder: 'Filter runs (regex)', spellcheck: 'false',
      autocomplete: 'off', 'aria-label': 'Filter runs by regular expression', 'aria-describedby': 'cc-run-status cc-run-error',
      oninput: (e) => update({ runs: e.target.value }),
    });
    this.runError = h('div', { class: 'cc-run-error', id: 'cc-run-error', role: 'alert', hidden: true });
    this.runStatus = h('div', { class: 'cc-run-status', id: 'cc-run-status', role: 'status', hidden: true });
    this.linkButton = h('button', { type: 'button', class: 'cc-button', onclick: () => this.copyLink(), text: 'Copy link to this view' });
    this.linkOut = h('input', { type: 'text', class: 'cc-link-out', readonly: true, hidden: true, 'aria-label': 'Link to this view' });
    this.el = h('section', { class: 'cc-controls', 'aria-label': 'Settings' },
      h('div', { class: 'cc-control' }, h('label', { for: 'cc-smoothing', class: 'cc-control-label', text: 'Smoothing' }),
        h('div', { class: 'cc-smooth-row' }, this.smoothRange, this.smoothNumber)),
      h('div', { class: 'cc-control' }, h('span', { class: 'cc-control-label', text: 'Severity' }), sevRow),
      h('div', { class: 'cc-control' }, h('label', { for: 'cc-runs', class: 'cc-control-label', text: 'Runs' }),
        this.runInput, this.runError, this.runStatus),
      h('div', { class: 'cc-control' }, this.linkButton, this.linkOut));
  }

  /** Shows the state as it is (after a change here, in the URL or in the data). */
  sync() {
    const s = this.store.state;
    this.smoothRange.value = String(s.smoothing);
    if (document.activeElement !== this.smoothNumber) this.smoothNumber.value = String(s.smoothing);
    const sev = new Set(s.severities.split(',').filter(Boolean));
    for (const k of SEVERITIES) this.sevBoxes[k].box.checked = sev.has(k);
    if (document.activeElement !== this.runInput) this.runInput.value = s.runs;
    this.syncRunFilter();
  }

  syncRunFilter() {
    const { store } = this;
    const m = store.matcher();
    const runs = store.runs.map((r) => r.run);
    const matched = m.ok && store.state.runs ? runs.filter((r) => m.test(r)).length : runs.length;
    let error = m.ok ? '' : m.error;
    if (m.ok && m.tooSlow()) error = 'This pattern took too long to match every run name: only the runs matched before it stopped are shown.';
    this.runError.hidden = !error;
    this.runError.textContent = error;
    this.runInput.setAttribute('aria-invalid', error ? 'true' : 'false');
    const showCount = m.ok && Boolean(store.state.runs) && store.summary !== null;
    this.runStatus.hidden = !showCount;
    this.runStatus.textContent = showCount ? `${matched} of ${runs.length} runs match` : '';
  }

  setCounts(counts) {
    for (const sev of SEVERITIES) this.sevBoxes[sev].count.textContent = String(counts[sev]);
  }

  async copyLink() {
    const link = this.store.linkToView();
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
}
