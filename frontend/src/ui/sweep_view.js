// The sweep overview: one row per run (worst finding, kinds, last step,
// hyperparameters), sortable by any column and filtered by the side panel's
// run filter and severities and its own kind filter, above it what the
// hyperparameters say about the failures. Rendered virtually: a fixed row
// height in one scroll container, only the rows in view (and a few around)
// exist in the DOM, so 1,000 or 100,000 runs cost the same to draw.

import { h, clear } from './dom.js';
import {
  sweepRows, hparamNames, kindCounts, filterRows, sortRows, parseSort, nextSort, rankName, formatHparam, KIND_ANY,
} from '../logic/sweep.js';

const ROW_H = 28; // px, also in style.css (.cc-sweep-row)
const HEAD_H = 32; // px, the sticky header row's height in style.css
// Rows drawn beyond the visible ones on each side: a fast scroll shows rows,
// not a blank, before the next frame fills them in.
const OVERSCAN = 8;

const BASE_COLUMNS = [
  { id: 'run', label: 'Run', width: 'minmax(220px, 3fr)' },
  { id: 'worst', label: 'Worst', width: '84px' },
  { id: 'findings', label: 'Findings', width: '72px', numeric: true },
  { id: 'kinds', label: 'Kinds', width: 'minmax(160px, 2fr)' },
  { id: 'last_step', label: 'Last step', width: '84px', numeric: true },
];

const kindText = (k) => String(k).replace(/_/g, ' ');

// Rows are refilled on every scroll frame and keystroke: text that did not
// change is left alone (no new text node, nothing to lay out again).
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export class SweepView {
  /**
   * @param {HTMLElement} el the overview's container
   * @param {{store: object, root: HTMLElement}} opts
   */
  constructor(el, { store, root }) {
    this.el = el;
    this.store = store;
    this.root = root;
    this.rows = [];
    this.entries = [];
    this.columns = BASE_COLUMNS;
    this.pool = [];
    this.frame = 0;
    this.countEl = h('p', { class: 'cc-sweep-count', role: 'status' });
    this.kindSelect = h('select', {
      id: 'cc-kind', class: 'cc-kind-filter', 'aria-label': 'Show runs with this kind of finding',
      onchange: (e) => store.update({ kind: e.target.value }),
    });
    this.hparamsEl = h('section', { class: 'cc-sweep-hparams', 'aria-label': 'Hyperparameters and findings', hidden: true });
    this.headRow = h('div', { class: 'cc-sweep-headrow', role: 'row' });
    this.spacer = h('div', { class: 'cc-sweep-spacer', role: 'rowgroup' });
    this.emptyEl = h('p', { class: 'cc-empty-sub cc-sweep-empty', hidden: true, text: 'No runs match the filters.' });
    this.body = h('div', {
      class: 'cc-sweep-body', role: 'table', 'aria-label': 'Runs', tabindex: '-1',
      onscroll: () => this.schedule(),
    }, h('div', { class: 'cc-sweep-head', role: 'rowgroup' }, this.headRow), this.spacer, this.emptyEl);
    el.appendChild(h('div', { class: 'cc-sweep' },
      h('header', { class: 'cc-sweep-top' },
        h('h2', { class: 'cc-sweep-title', text: 'Runs' }),
        this.countEl,
        h('label', { class: 'cc-kind-label', for: 'cc-kind', text: 'Kind' }),
        this.kindSelect),
      this.hparamsEl,
      this.body));
  }

  /** New answers from the server: rebuild the rows (filters and sort apply after). */
  setData() {
    const { store } = this;
    this.rows = sweepRows({
      runs: store.runs, findings: store.findings, hparams: store.hparams, tagInfo: store.tagInfo,
    });
    const names = hparamNames(this.rows);
    this.columns = BASE_COLUMNS.concat(names.map((n) => ({ id: `hp:${n}`, label: n, width: 'minmax(72px, 1fr)', numeric: true, hp: true })));
    this.template = this.columns.map((c) => c.width).join(' ');
    this.minWidth = this.columns.reduce((acc, c) => acc + (parseInt(c.width.replace('minmax(', ''), 10) || 72), 0);
    this.renderHead();
    for (const r of this.pool) r.el.remove();
    this.pool = [];
    this.renderKinds();
    this.renderHparams();
    this.refresh();
  }

  renderHead() {
    clear(this.headRow);
    this.headRow.style.gridTemplateColumns = this.template;
    this.headRow.style.minWidth = `${this.minWidth}px`;
    this.spacer.style.minWidth = `${this.minWidth}px`;
    for (const c of this.columns) {
      const button = h('button', {
        type: 'button', class: 'cc-sweep-sort', dataset: { column: c.id },
        title: c.hp ? `Hyperparameter ${c.label}: sort` : `Sort by ${c.label.toLowerCase()}`,
        onclick: () => this.store.update({ sort: nextSort(this.store.state.sort, c.id) }),
      }, h('span', { class: 'cc-sweep-col-label', text: c.label }), h('span', { class: 'cc-sweep-arrow', 'aria-hidden': 'true' }));
      this.headRow.appendChild(h('div', {
        class: `cc-sweep-cell cc-sweep-colhead${c.numeric ? ' cc-num' : ''}`, role: 'columnheader', dataset: { column: c.id },
      }, button));
    }
  }

  renderKinds() {
    const { state } = this.store;
    clear(this.kindSelect);
    const withFindings = this.rows.filter((r) => r.findings.length || r.status === 'failed').length;
    this.kindSelect.appendChild(h('option', { value: '', text: `All runs (${this.rows.length})` }));
    this.kindSelect.appendChild(h('option', { value: KIND_ANY, text: `Runs with findings (${withFindings})` }));
    const counts = kindCounts(this.rows);
    for (const { kind, runs } of counts) {
      this.kindSelect.appendChild(h('option', { value: kind, text: `${kindText(kind)} (${runs})` }));
    }
    // A kind from a link that this logdir does not have (yet) stays chosen.
    if (state.kind && state.kind !== KIND_ANY && !counts.some((c) => c.kind === state.kind)) {
      this.kindSelect.appendChild(h('option', { value: state.kind, text: `${kindText(state.kind)} (0)` }));
    }
    this.kindSelect.value = state.kind;
  }

  /** What the server found about the hyperparameters (`sweep`), or nothing when it sent none. */
  renderHparams() {
    const sweep = this.store.sweep;
    clear(this.hparamsEl);
    const seps = sweep && Array.isArray(sweep.separations) ? sweep.separations : [];
    const notes = sweep && Array.isArray(sweep.notes) ? sweep.notes : [];
    this.hparamsEl.hidden = !seps.length && !notes.length;
    if (this.hparamsEl.hidden) return;
    this.hparamsEl.appendChild(h('h3', { class: 'cc-sweep-hparams-title', text: 'Which hyperparameters go with the findings' }));
    if (seps.length) {
      this.hparamsEl.appendChild(h('ul', { class: 'cc-separations' }, seps.map((s) => h('li', {
        class: 'cc-separation', dataset: { kind: String(s.kind || ''), hparam: String(s.hparam || '') },
      },
      h('span', { class: 'cc-separation-text', text: String(s.sentence || `${kindText(s.kind)}: ${s.rule}`) }),
      h('span', { class: 'cc-separation-counts', text: separationCounts(s) }),
      h('button', {
        type: 'button', class: 'cc-chip cc-separation-show', text: `show the runs with ${kindText(s.kind)}`,
        onclick: () => this.store.update({ kind: String(s.kind || '') }),
      })))));
    }
    if (notes.length) {
      this.hparamsEl.appendChild(h('ul', { class: 'cc-sweep-notes' }, notes.map((n) => h('li', { text: String(n) }))));
    }
  }

  /** The filters or the sort changed: the shown rows again, the scroll kept where it can be. */
  refresh() {
    // Where the table is scrolled, read before anything is written: a read
    // after the writes would lay the page out twice per keystroke.
    const geometry = this.geometry();
    const { store } = this;
    const { state } = store;
    const filtered = filterRows(this.rows, { severities: store.severitySet(), matcher: store.matcher(), kind: state.kind });
    this.entries = sortRows(filtered, state.sort);
    const { column, desc } = parseSort(state.sort);
    for (const cell of this.headRow.children) {
      const on = cell.dataset.column === column;
      cell.setAttribute('aria-sort', on ? (desc ? 'descending' : 'ascending') : 'none');
      cell.querySelector('.cc-sweep-arrow').textContent = on ? (desc ? ' ▼' : ' ▲') : '';
    }
    if (this.kindSelect.value !== state.kind) this.renderKinds();
    const withFindings = this.entries.filter((e) => e.shown).length;
    this.countEl.textContent = `${this.entries.length} of ${this.rows.length} runs shown · ${withFindings} with findings`;
    this.spacer.style.height = `${this.entries.length * ROW_H}px`;
    this.body.setAttribute('aria-rowcount', String(this.entries.length + 1));
    this.emptyEl.hidden = this.entries.length > 0;
    this.el.dataset.rows = String(this.entries.length);
    this.el.dataset.sort = state.sort;
    this.el.dataset.kind = state.kind;
    this.renderWindow(geometry);
    this.noteFirstRows();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderWindow();
    });
  }

  /** The rows in view: pooled row elements refilled, nothing else in the DOM. */
  geometry() {
    return { view: this.body.clientHeight || 600, top: Math.max(0, this.body.scrollTop - HEAD_H) };
  }

  renderWindow({ view, top } = this.geometry()) {
    const first = Math.max(0, Math.floor(top / ROW_H) - OVERSCAN);
    const last = Math.min(this.entries.length, Math.ceil((top + view) / ROW_H) + OVERSCAN);
    const need = Math.max(0, last - first);
    while (this.pool.length < need) this.pool.push(this.makeRow());
    this.pool.forEach((r, i) => {
      if (i >= need) {
        r.el.hidden = true;
        return;
      }
      r.el.hidden = false;
      this.fillRow(r, first + i);
    });
  }

  /** "First rows": the overview shows its first answer (rows, or that none match). */
  noteFirstRows() {
    if (this.root.dataset.firstRowsMs) return;
    performance.mark('curvecheck:rows');
    const m = performance.measure('curvecheck:open-to-rows', 'curvecheck:start', 'curvecheck:rows');
    this.root.dataset.firstRowsMs = String(Math.round(m.duration));
  }

  makeRow() {
    const cells = this.columns.map((c) => h('div', { class: `cc-sweep-cell${c.numeric ? ' cc-num' : ''}`, role: 'cell', dataset: { column: c.id } }));
    const open = h('button', {
      type: 'button', class: 'cc-sweep-open',
      onclick: (e) => {
        e.stopPropagation();
        this.open(row.entry);
      },
    });
    cells[0].appendChild(open);
    const badge = h('span', { class: 'cc-sev-badge' });
    cells[1].appendChild(badge);
    const el = h('div', {
      class: 'cc-sweep-row', role: 'row',
      style: { gridTemplateColumns: this.template, minWidth: `${this.minWidth}px` },
      onclick: () => this.open(row.entry),
    }, cells);
    const row = { el, cells, open, badge, entry: null };
    this.spacer.appendChild(el);
    return row;
  }

  fillRow(r, index) {
    const e = this.entries[index];
    r.entry = e;
    const { row } = e;
    const worst = rankName(e.rank);
    r.el.style.transform = `translateY(${index * ROW_H}px)`;
    r.el.setAttribute('aria-rowindex', String(index + 2));
    r.el.dataset.run = row.run;
    r.el.dataset.worst = worst;
    r.el.classList.toggle('cc-sweep-odd', index % 2 === 1);
    setText(r.open, row.run);
    const partial = row.status === 'failed' && row.findings.length > 0;
    r.open.title = row.status !== 'failed' ? `Open ${row.run}: its findings and charts`
      : partial ? `${row.run}: read only in part (${row.reason}); open its findings and charts`
        : `${row.run}: could not be analysed: ${row.reason}`;
    const badgeClass = `cc-sev-badge cc-sev-${worst}`;
    if (r.badge.className !== badgeClass) r.badge.className = badgeClass;
    setText(r.badge, worst === 'none' ? '—' : worst);
    setText(r.cells[2], e.shown ? String(e.shown) : '');
    const kinds = row.status === 'failed' && !partial ? (row.reason || 'could not be analysed')
      : e.kinds.map(kindText).join(', ') + (partial ? ' (read only in part)' : '');
    setText(r.cells[3], kinds);
    r.cells[3].title = kinds;
    setText(r.cells[4], row.lastStep === null ? '' : String(row.lastStep));
    for (let i = BASE_COLUMNS.length; i < this.columns.length; i++) {
      setText(r.cells[i], formatHparam(row.hp[this.columns[i].label]));
    }
  }

  open(entry) {
    if (!entry) return;
    this.store.update({ open: entry.row.run, finding: '' });
  }

  /** Shown again after a run was open: the rows as they were, scrolled where they were. */
  show() {
    this.renderWindow();
  }
}

// The server's sentence already gives the counts; without one they are spelled out.
function separationCounts(s) {
  const parts = [];
  if (!s.sentence && Number.isFinite(s.with_total)) parts.push(`with it: ${s.with_matching} of ${s.with_total}`);
  if (!s.sentence && Number.isFinite(s.without_total)) parts.push(`without: ${s.without_matching} of ${s.without_total}`);
  if (Number.isFinite(s.p_value)) parts.push(`p = ${Number(s.p_value).toPrecision(2)}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}
