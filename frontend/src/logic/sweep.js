// The sweep overview's rows: one per run, what it found, its last step and
// hyperparameters; filtered and sorted without the DOM (node tests it), in
// time linear in runs and findings, so a keystroke stays fast at 1,000 runs.

export const SEVERITY_RANK = { error: 0, warning: 1, info: 2 };
// Ranks past the severities: a run that could not be analysed sorts right
// after the errors (it may hide one), a run without findings last.
const FAILED_RANK = 0.5;
const CLEAN_RANK = 3;

// From this many runs the tab opens on the overview: below it the findings
// list and every chart fit one page (the list-and-charts view); past it a
// sweep's charts would be thousands of cards.
export const SWEEP_MIN_RUNS = 20;

export const KIND_ANY = '*';

// Names and text values compare as people read them: seed=2 before seed=10.
const collator = new Intl.Collator(undefined, { numeric: true });

function lastStepOf(tags) {
  let last = null;
  for (const info of Object.values(tags || {})) {
    if (info && Number.isFinite(info.max_step) && (last === null || info.max_step > last)) last = info.max_step;
  }
  return last;
}

/**
 * @param {{runs: object[], findings: object[], hparams?: object, tagInfo?: object}} data
 *   the `findings` answer's runs, findings and hparams, and the `tags` answer's runs
 * @returns {{run, status, reason, findings: object[], lastStep: number|null, hp: object}[]}
 */
export function sweepRows({ runs, findings, hparams, tagInfo }) {
  const byRun = new Map();
  for (const f of findings || []) {
    if (!byRun.has(f.run)) byRun.set(f.run, []);
    byRun.get(f.run).push(f);
  }
  const hp = hparams && typeof hparams === 'object' ? hparams : {};
  const rows = (runs || []).map((r) => ({
    run: r.run,
    status: r.status,
    reason: r.reason || '',
    findings: byRun.get(r.run) || [],
    lastStep: Number.isFinite(r.last_step) ? r.last_step : lastStepOf((tagInfo || {})[r.run]),
    hp: hp[r.run] && typeof hp[r.run] === 'object' ? hp[r.run] : {},
    order: 0,
  }));
  // Each name's place in name order, found once: every sort after a
  // keystroke then breaks ties with a subtraction, not a string collation.
  rows.slice().sort((a, b) => collator.compare(a.run, b.run)).forEach((r, i) => { r.order = i; });
  return rows;
}

/** Every hyperparameter name any run has, sorted. */
export function hparamNames(rows) {
  const names = new Set();
  for (const r of rows) for (const k of Object.keys(r.hp)) names.add(k);
  return Array.from(names).sort();
}

/** Kinds of finding with the number of runs that have each, most runs first. */
export function kindCounts(rows) {
  const counts = new Map();
  for (const r of rows) {
    for (const k of new Set(r.findings.map((f) => f.kind))) counts.set(k, (counts.get(k) || 0) + 1);
  }
  return Array.from(counts, ([kind, runs]) => ({ kind, runs }))
    .sort((a, b) => (b.runs - a.runs) || a.kind.localeCompare(b.kind));
}

/**
 * The rows the filters let through, each with what its shown findings say.
 * A run shows when the run filter matches it and it has a finding of a
 * checked severity (and of `kind`, when given); a run without findings shows
 * unless a kind is asked for; one that could not be analysed unless a
 * particular kind is.  A run read only in part (some of its series could not
 * be decoded) that still has findings is ranked by them like any other: its
 * error must not hide behind "failed".
 * @param {object[]} rows sweepRows
 * @param {{severities: Set<string>, matcher: {test: (run: string) => boolean}, kind: string}} filters
 * @returns {{row, rank: number, kinds: string[], shown: number}[]}
 */
export function filterRows(rows, { severities, matcher, kind }) {
  const out = [];
  for (const row of rows) {
    if (!matcher.test(row.run)) continue;
    if (row.status === 'failed' && !row.findings.length) {
      if (!kind || kind === KIND_ANY) out.push({ row, rank: FAILED_RANK, kinds: [], shown: 0 });
      continue;
    }
    if (!row.findings.length) {
      if (!kind) out.push({ row, rank: CLEAN_RANK, kinds: [], shown: 0 });
      continue;
    }
    let rank = CLEAN_RANK;
    let hasKind = !kind || kind === KIND_ANY;
    const kinds = new Set();
    let shown = 0;
    for (const f of row.findings) {
      if (!severities.has(f.severity)) continue;
      shown += 1;
      kinds.add(f.kind);
      if (f.kind === kind) hasKind = true;
      const r = SEVERITY_RANK[f.severity] ?? CLEAN_RANK;
      if (r < rank) rank = r;
    }
    if (shown && hasKind) out.push({ row, rank, kinds: Array.from(kinds).sort(), shown });
  }
  return out;
}

/** The worst shown severity's name for a rank ('failed', 'none' past them). */
export function rankName(rank) {
  if (rank === FAILED_RANK) return 'failed';
  return Object.keys(SEVERITY_RANK).find((k) => SEVERITY_RANK[k] === rank) || 'none';
}

function compareValues(a, b) {
  const an = typeof a === 'number';
  const bn = typeof b === 'number';
  if (an && bn) return a - b;
  if (an !== bn) return an ? -1 : 1; // numbers before text
  return collator.compare(String(a), String(b));
}

/** The column a sort key names, and its direction: '-last_step' -> {column: 'last_step', desc: true}. */
export function parseSort(sort) {
  const text = String(sort || '');
  const desc = text.startsWith('-');
  const column = desc ? text.slice(1) : text;
  return { column: column || 'worst', desc };
}

/** The sort key a click on `column`'s header asks for: that column, or the other direction of it. */
export function nextSort(sort, column) {
  const cur = parseSort(sort);
  if (cur.column !== column) return column === 'worst' ? '' : column;
  const flipped = cur.desc ? column : `-${column}`;
  return flipped === 'worst' ? '' : flipped;
}

function columnValue(entry, column) {
  if (column === 'run') return entry.row.order;
  if (column === 'worst') return entry.rank;
  if (column === 'kinds') return entry.kinds.length ? entry.kinds.join(', ') : null;
  if (column === 'findings') return entry.shown;
  if (column === 'last_step') return entry.row.lastStep;
  if (column.startsWith('hp:')) {
    const v = entry.row.hp[column.slice(3)];
    return v === undefined || v === null ? null : (typeof v === 'boolean' ? String(v) : v);
  }
  return null;
}

/**
 * The entries sorted by `sort` (parseSort); a run without a value sorts
 * last either way, ties go worst first, then by name. Sorts a copy.
 */
export function sortRows(entries, sort) {
  const { column, desc } = parseSort(sort);
  const keyed = entries.map((e) => ({ e, v: columnValue(e, column) }));
  keyed.sort((a, b) => {
    if (a.v === null || b.v === null) {
      if (a.v !== b.v) return a.v === null ? 1 : -1;
    } else {
      const c = compareValues(a.v, b.v);
      if (c) return desc ? -c : c;
    }
    return (a.e.rank - b.e.rank) || (b.e.shown - a.e.shown)
      || (a.e.row.order - b.e.row.order);
  });
  return keyed.map((k) => k.e);
}

/** A hyperparameter value as the table shows it. */
export function formatHparam(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return String(v);
}

/** The runs of the experiment `run` belongs to (itself alone when none). */
export function experimentRuns(run, experiments) {
  for (const e of experiments || []) if (e.runs.includes(run)) return e.runs.slice();
  return [run];
}
