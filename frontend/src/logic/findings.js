// What the tab does with the `findings` answer, kept free of the DOM so node
// can test it.

import { compilePattern } from './regex.js';

export const SEVERITIES = ['error', 'warning', 'info'];

/** A key that survives a refresh, for the URL and for selection. */
export function findingKey(f) {
  return [f.run, f.tag, f.kind, f.start_step].join('\u241f');
}

// Matching every run name against one pattern costs at most this many
// automaton steps in all (about a second of work): past it the filter stops
// and says so, whatever the number of runs.
export const MATCH_BUDGET = 2e7;

let lastMatcher = null;

/**
 * A regular expression as TensorBoard's run filter takes it: case-insensitive,
 * and an invalid pattern matches nothing (TensorBoard says so; so do we).
 * Matched in linear time (logic/regex.js), each name once: the same matcher
 * is handed back while the pattern stays the same.
 * @returns {{ok: boolean, error?: string, test: (run: string) => boolean, tooSlow: () => boolean}}
 */
export function runMatcher(pattern) {
  if (lastMatcher && lastMatcher.pattern === pattern) return lastMatcher;
  lastMatcher = makeMatcher(pattern);
  lastMatcher.pattern = pattern;
  return lastMatcher;
}

/** A fresh matcher for `pattern` that stops after `budget` automaton steps (runMatcher's, uncached). */
export function makeMatcher(pattern, budget = MATCH_BUDGET) {
  const never = { test: () => false, tooSlow: () => false };
  if (!pattern) return { ok: true, test: () => true, tooSlow: () => false };
  try {
    // Compiling runs nothing: the browser's own message for a bad pattern.
    new RegExp(pattern, 'i'); // eslint-disable-line no-new
  } catch (e) {
    return { ok: false, error: `Invalid regular expression: ${String(e.message || e)}`, ...never };
  }
  let compiled;
  try {
    compiled = compilePattern(pattern);
  } catch (e) {
    return { ok: false, error: `Cannot use this pattern: ${String(e.message || e)}`, ...never };
  }
  const seen = new Map();
  let stopped = false;
  return {
    ok: true,
    test(run) {
      const name = String(run);
      if (seen.has(name)) return seen.get(name);
      if (stopped) return false;
      const hit = compiled.test(name);
      seen.set(name, hit);
      if (compiled.steps() > budget) stopped = true;
      return hit;
    },
    tooSlow: () => stopped,
  };
}

export function filterFindings(findings, { severities, runPattern }) {
  const m = runMatcher(runPattern);
  return findings.filter((f) => severities.has(f.severity) && m.test(f.run));
}

export function countBySeverity(findings) {
  const c = { error: 0, warning: 0, info: 0 };
  for (const f of findings) if (f.severity in c) c[f.severity] += 1;
  return c;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// Notes past this many are counted, not listed: a logdir of hundreds of runs each skipped for the same
// reason says so in a count, and the side panel stays a list of findings.
export const MAX_NOTES = 20;

/** The notes to list and a line counting the rest (null when all are listed). */
export function notesShown(notes, max = MAX_NOTES) {
  const list = (notes || []).map(String);
  const shown = list.slice(0, max);
  const more = list.length - shown.length;
  return { shown, more: more > 0 ? `… and ${more} more (curvecheck scan LOGDIR lists them all)` : null };
}

export function summaryText(summary, shown = null) {
  const runs = plural(summary.runs, 'run', 'runs');
  const series = plural(summary.series, 'series', 'series');
  const total = summary.error + summary.warning + summary.info;
  if (total === 0) return `No problems found in ${runs}, ${series}`;
  const parts = [
    plural(summary.error, 'error', 'errors'),
    plural(summary.warning, 'warning', 'warnings'),
    plural(summary.info, 'info', 'infos'),
  ];
  let text = `${parts.join(' · ')} across ${runs} and ${series}`;
  if (shown !== null && shown < total) text += ` (${shown} shown)`;
  return text;
}

/**
 * Groups findings by experiment (train/validation runs that belong together)
 * and by run inside it. Runs without an experiment form their own group.
 * @returns {{name: string, runs: {run: string, findings: object[]}[]}[]}
 */
export function groupFindings(findings, experiments) {
  const expOfRun = new Map();
  for (const e of experiments || []) for (const r of e.runs) expOfRun.set(r, e.name);
  const groups = new Map();
  for (const f of findings) {
    const name = expOfRun.has(f.run) ? expOfRun.get(f.run) : f.run;
    if (!groups.has(name)) groups.set(name, new Map());
    const runs = groups.get(name);
    if (!runs.has(f.run)) runs.set(f.run, []);
    runs.get(f.run).push(f);
  }
  const rank = { error: 0, warning: 1, info: 2 };
  const worst = (list) => Math.min(...list.map((f) => rank[f.severity] ?? 3));
  const out = [];
  for (const [name, runs] of groups) {
    const runList = [];
    for (const [run, list] of runs) {
      list.sort((a, b) => (rank[a.severity] - rank[b.severity]) || (a.start_step - b.start_step));
      runList.push({ run, findings: list });
    }
    runList.sort((a, b) => a.run.localeCompare(b.run));
    out.push({ name, runs: runList, worst: Math.min(...runList.map((r) => worst(r.findings))) });
  }
  out.sort((a, b) => (a.worst - b.worst) || a.name.localeCompare(b.name));
  return out;
}

/** Findings whose range covers `step` on any of the given (run, tag) series. */
export function findingsAtStep(findings, seriesKeys, step) {
  return findings.filter((f) => seriesKeys.has(`${f.run}\u241f${f.tag}`)
    && step >= f.start_step && step <= f.end_step);
}

export function seriesKey(run, tag) {
  return `${run}\u241f${tag}`;
}

/**
 * The chart a finding is drawn on: the scalar chart holding its (run, tag),
 * else a histogram chart id (see histogramChartId).
 */
export function chartForFinding(f, charts) {
  return chartForFindingIn(f, chartIndex(charts));
}

/** chartForFinding with the charts' index (chartIndex) at hand. */
export function chartForFindingIn(f, index) {
  // A finding over many layers at once gets its own chart with all of them:
  // the single-tag chart of its first layer would hide that it is many.
  if (groupTags(f).length > 1) return histogramChartId(f);
  const id = index.get(seriesKey(f.run, f.tag));
  return id === undefined ? histogramChartId(f) : id;
}

// (run, tag) -> the first scalar chart holding it, built once per charts
// list: at 1,000 runs a scan of every chart for every finding card made one
// filter keystroke take 35 s. Kept with the list's length, so a list that
// grew gets a fresh index.
const chartIndexes = new WeakMap();

export function chartIndex(charts) {
  const cached = chartIndexes.get(charts);
  if (cached && cached.length === charts.length) return cached.index;
  const index = new Map();
  for (const c of charts) {
    if (c.kind === 'histogram') continue;
    for (const s of c.series) {
      const key = seriesKey(s.run, s.tag);
      if (!index.has(key)) index.set(key, c.id);
    }
  }
  chartIndexes.set(charts, { length: charts.length, index });
  return index;
}

export function histogramChartId(f) {
  // One chart per statistic: a layer can be flagged on its largest |value|
  // and on its step-to-step change, two different curves.
  const stat = f.evidence && typeof f.evidence.statistic === 'string' ? f.evidence.statistic : '';
  return `hist\u241f${f.run}\u241f${f.tag}\u241f${stat}`;
}

/**
 * The tags a grouped finding covers (`evidence.tags`, same run), its own tag
 * first; just `[f.tag]` for an ordinary finding.
 */
export function groupTags(f) {
  const listed = f.evidence && Array.isArray(f.evidence.tags)
    ? f.evidence.tags.filter((t) => typeof t === 'string') : [];
  return [f.tag, ...listed.filter((t) => t !== f.tag)];
}

/**
 * The findings a lead finding folded into its story (`evidence.corroborating`,
 * full finding objects), each with `leadKey` set to the lead's key.
 */
export function corroboratingOf(f) {
  const list = f && f.evidence && Array.isArray(f.evidence.corroborating) ? f.evidence.corroborating : [];
  const lead = findingKey(f);
  return list
    .filter((c) => c && typeof c === 'object' && typeof c.run === 'string' && typeof c.tag === 'string'
      && Number.isFinite(c.start_step) && Number.isFinite(c.end_step))
    .map((c) => ({ ...c, leadKey: lead }));
}
