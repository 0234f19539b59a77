// The findings list in the side panel: grouped by experiment and run, worst
// first; a finding opens to its explanation, evidence and the findings its
// story rests on. Selecting one goes through the store (it is in the URL).

import { h, clear } from './dom.js';
import { formatSteps, formatValue, decodeNumber } from '../logic/values.js';
import {
  groupFindings, summaryText, findingKey, corroboratingOf, notesShown,
} from '../logic/findings.js';

// Evidence lists past this many entries end in '…': the numbers behind a
// finding are a handful, a longer list is context the chart shows better.
const MAX_EVIDENCE_ITEMS = 12;

function evidenceText(v) {
  const num = decodeNumber(v);
  if (num !== null) return formatValue(num);
  if (Array.isArray(v)) {
    return v.slice(0, MAX_EVIDENCE_ITEMS).map(evidenceText).join(', ') + (v.length > MAX_EVIDENCE_ITEMS ? ', …' : '');
  }
  if (v && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

export class FindingsView {
  /**
   * @param {HTMLElement} el the list's container
   * @param {{store: object, colorFor: (run: string) => string, onShowCorroborating: (lead, c) => void}} opts
   */
  constructor(el, { store, colorFor, onShowCorroborating }) {
    this.el = el;
    this.store = store;
    this.colorFor = colorFor;
    this.onShowCorroborating = onShowCorroborating;
  }

  render() {
    const { store } = this;
    if (!store.summary) return;
    if (store.sweepMode() && !store.state.open) {
      // The overview's table lists the runs; nothing here to redo per keystroke.
      if (!this.el.querySelector('.cc-open-hint')) {
        clear(this.el);
        this.el.appendChild(h('p', { class: 'cc-empty-sub cc-open-hint', text: 'Open a run in the table to see its findings and charts.' }));
      }
      return;
    }
    const openKeys = new Set(Array.from(this.el.querySelectorAll('details[open]')).map((d) => d.dataset.findingKey));
    const active = document.activeElement;
    const focusKey = active && this.el.contains(active) ? active.dataset.findingKey : null;
    const scrollTop = this.el.scrollTop;
    clear(this.el);

    const visible = store.visibleFindings();
    const failed = store.runs.filter((r) => r.status === 'failed' && store.runVisible(r.run));
    if (!store.findings.length && !failed.length) {
      this.el.appendChild(h('div', { class: 'cc-empty' },
        h('div', { class: 'cc-empty-mark', 'aria-hidden': 'true', text: '✓' }),
        h('p', { class: 'cc-empty-title', text: summaryText(store.summary) }),
        h('p', { class: 'cc-empty-sub', text: 'CurveCheck looked for non-finite values, divergence, collapses, stuck metrics, saturated losses, oscillation, overfitting and histogram problems.' })));
    } else if (!visible.length && store.findings.length) {
      this.el.appendChild(h('p', { class: 'cc-empty-sub', text: `No findings match the filters (${store.findings.length} hidden).` }));
    }
    // Said beside "no problems found" as much as beside findings: a curve never judged is no all-clear.
    if (store.notes.length) {
      const { shown, more } = notesShown(store.notes);
      this.el.appendChild(h('div', { class: 'cc-notes', role: 'note' },
        h('p', { class: 'cc-notes-head', text: store.notes.length === 1 ? 'Note on what was read:' : 'Notes on what was read:' }),
        h('ul', { class: 'cc-notes-list' }, shown.map((n) => h('li', { text: n }))),
        more ? h('p', { class: 'cc-notes-more', text: more }) : null));
    }

    const groups = groupFindings(visible, store.experiments);
    const failedByExp = new Map();
    for (const r of failed) {
      const e = store.experiments.find((x) => x.runs.includes(r.run));
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
          h('strong', { text: r.run }),
          // Some of its series could not be decoded while the rest were read and analysed (listed below).
          (r.scalar_series || 0) + (r.histogram_series || 0) > 0
            ? ' could be read only in part (the rest is analysed): ' : ' could not be analysed: ',
          h('span', { text: r.reason || 'unknown error' })));
      }
      for (const r of g.runs) {
        section.appendChild(h('div', { class: 'cc-run-head' },
          h('span', { class: 'cc-swatch', style: { background: this.colorFor(r.run) } }),
          h('span', { class: 'cc-run-name', text: r.run })));
        for (const f of r.findings) section.appendChild(this.item(f, openKeys));
      }
      this.el.appendChild(section);
    }
    this.el.scrollTop = scrollTop;
    if (focusKey) {
      const again = this.el.querySelector(`[data-finding-key="${CSS.escape(focusKey)}"].cc-finding-head`);
      if (again) again.focus({ preventScroll: true });
    }
  }

  item(f, openKeys) {
    const { store } = this;
    const key = findingKey(f);
    const selected = key === store.state.finding;
    const head = h('button', {
      type: 'button',
      class: 'cc-finding-head',
      'aria-pressed': selected ? 'true' : 'false',
      dataset: { findingKey: key },
      // The state, not `selected`: this button outlives the render that made it.
      onclick: () => store.update({ finding: store.state.finding === key ? '' : key }),
    },
    h('span', { class: `cc-sev-badge cc-sev-${f.severity}`, text: f.severity }),
    h('span', { class: 'cc-finding-title', text: f.title }),
    h('span', { class: 'cc-finding-meta', text: `${f.tag} · ${formatSteps(f.start_step, f.end_step)}` }));
    const details = h('details', { class: 'cc-finding-details', dataset: { findingKey: key }, open: openKeys.has(key) },
      h('summary', { text: 'Why, and what to check' }),
      this.causeList(f.evidence),
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
        onclick: () => this.onShowCorroborating(f, c),
      },
      h('span', { class: `cc-sev-dot cc-sev-${c.severity}` }),
      h('span', { class: 'cc-corroborating-where', text: `${c.run} · ${c.tag}` }),
      h('span', { class: 'cc-corroborating-what', text: ` ${String(c.kind).replace(/_/g, ' ')}, ${formatSteps(c.start_step, c.end_step)}` }))))));
  }

  /** The causes this run's own logs point at, most likely first. */
  causeList(evidence) {
    const causes = evidence && Array.isArray(evidence.likely_causes) ? evidence.likely_causes : [];
    if (!causes.length) return null;
    return h('div', { class: 'cc-causes' },
      h('p', { class: 'cc-causes-head', text: 'Likely causes, from this run\'s logs:' }),
      h('ol', { class: 'cc-causes-list' }, causes.map((c) => h('li', { dataset: { confidence: String(c.confidence || '') } },
        h('span', { class: 'cc-cause-confidence', text: String(c.confidence || '') }),
        h('span', { class: 'cc-cause-text', text: String(c.text || c.cause || '') })))));
  }

  evidenceList(evidence) {
    if (!evidence || typeof evidence !== 'object') return null;
    const dl = h('dl', { class: 'cc-evidence' });
    for (const [k, v] of Object.entries(evidence)) {
      // Listed on their own, finding by finding and cause by cause.
      if (k === 'corroborating' || k === 'likely_causes') continue;
      dl.appendChild(h('dt', { text: k.replace(/_/g, ' ') }));
      dl.appendChild(h('dd', { text: evidenceText(v) }));
    }
    return dl;
  }

  /** Marks the selected finding (no scrolling: the charts view shows its chart). */
  select(key) {
    for (const el of this.el.querySelectorAll('.cc-finding')) {
      const on = el.dataset.findingKey === key;
      el.classList.toggle('cc-selected', on);
      el.querySelector('.cc-finding-head').setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  }
}
