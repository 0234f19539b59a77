import test from 'node:test';
import assert from 'node:assert/strict';
import { alignSeries, nearestIndex, finiteRange } from '../src/logic/align.js';
import { parseValues, nonFiniteStretches, formatValue } from '../src/logic/values.js';
import {
  filterFindings, groupFindings, summaryText, runMatcher, findingsAtStep, seriesKey, findingKey, chartForFinding,
  groupTags, corroboratingOf, notesShown, MAX_NOTES,
} from '../src/logic/findings.js';
import {
  parseState, formatState, composeParentHash, parseParentHash, DEFAULTS,
} from '../src/logic/urlstate.js';

test('API strings become non-finite numbers', () => {
  const v = parseValues([1, 'NaN', 'Infinity', '-Infinity']);
  assert.equal(v[0], 1);
  assert.ok(Number.isNaN(v[1]));
  assert.equal(v[2], Infinity);
  assert.equal(v[3], -Infinity);
});

test('alignment: missing steps are undefined, non-finite are null, never 0', () => {
  const { x, ys } = alignSeries([
    { steps: [0, 1, 2], values: [1, NaN, 3] },
    { steps: [1, 3], values: [5, -Infinity] },
  ]);
  assert.deepEqual(x, [0, 1, 2, 3]);
  assert.deepEqual(ys[0], [1, null, 3, undefined]);
  assert.deepEqual(ys[1], [undefined, 5, undefined, null]);
});

test('non-finite stretches group consecutive values of one kind', () => {
  const s = nonFiniteStretches([1, 2, 3, 4, 5, 6], [0, NaN, NaN, Infinity, 1, NaN]);
  assert.deepEqual(s, [
    { kind: 'nan', start: 2, end: 3, count: 2 },
    { kind: 'posinf', start: 4, end: 4, count: 1 },
    { kind: 'nan', start: 6, end: 6, count: 1 },
  ]);
});

test('nearest index and finite range', () => {
  assert.equal(nearestIndex([0, 10, 20], 14), 1);
  assert.equal(nearestIndex([0, 10, 20], 16), 2);
  assert.equal(nearestIndex([0, 10, 20], -3), 0);
  assert.deepEqual(finiteRange([[null, undefined]]), null);
  const [lo, hi] = finiteRange([[1, null, 3], [2, undefined]]);
  assert.ok(lo < 1 && hi > 3);
  assert.equal(formatValue(NaN), 'NaN');
  assert.equal(formatValue(0.5467), '0.5467');
});

const F = (run, tag, severity, start, end = start) => ({
  run, tag, severity, kind: 'k', start_step: start, end_step: end, title: `${run} ${tag}`,
});

test('filters by severity and by a case-insensitive run regex', () => {
  const fs = [F('a/train', 'loss', 'error', 1), F('b/validation', 'acc', 'info', 2), F('B/train', 'loss', 'warning', 3)];
  const out = filterFindings(fs, { severities: new Set(['error', 'warning']), runPattern: '^b' });
  assert.deepEqual(out.map((f) => f.run), ['B/train']);
  assert.equal(runMatcher('(').ok, false);
  assert.equal(filterFindings(fs, { severities: new Set(['error']), runPattern: '(' }).length, 0);
});

test('groups by experiment, worst first, runs inside', () => {
  const fs = [F('x/train', 'loss', 'info', 1), F('y/validation', 'acc', 'error', 5), F('y/train', 'loss', 'warning', 2), F('lonely', 'loss', 'warning', 0)];
  const g = groupFindings(fs, [{ name: 'x', runs: ['x/train'] }, { name: 'y', runs: ['y/train', 'y/validation'] }]);
  assert.deepEqual(g.map((e) => e.name), ['y', 'lonely', 'x']);
  assert.deepEqual(g[0].runs.map((r) => r.run), ['y/train', 'y/validation']);
});

test('summary line says what was checked', () => {
  assert.equal(summaryText({ error: 0, warning: 0, info: 0, runs: 7, series: 42 }),
    'No problems found in 7 runs, 42 series');
  assert.equal(summaryText({ error: 1, warning: 2, info: 0, runs: 1, series: 3 }, 1),
    '1 error · 2 warnings · 0 infos across 1 run and 3 series (1 shown)');
});

test('findings covering a step, on the chart\'s series only', () => {
  const fs = [F('r', 'loss', 'error', 3, 7), F('r', 'acc', 'error', 3, 7)];
  const keys = new Set([seriesKey('r', 'loss')]);
  assert.equal(findingsAtStep(fs, keys, 5).length, 1);
  assert.equal(findingsAtStep(fs, keys, 8).length, 0);
});

test('URL state round-trips and keeps only what differs from defaults', () => {
  assert.equal(formatState({ ...DEFAULTS }), '');
  const s = { ...DEFAULTS, finding: findingKey(F('a<b>/train', 'loss', 'error', 4)), runs: 'a|b&c', smoothing: 0.25 };
  const back = parseState(formatState(s));
  assert.deepEqual(back, s);
  assert.equal(parseState('#smoothing=7').smoothing, DEFAULTS.smoothing);
  assert.equal(parseState('#severities=error,bogus').severities, 'error');
});

test('parent hash: our keys replaced, TensorBoard\'s kept', () => {
  const s = { ...DEFAULTS, runs: 'val & train', smoothing: 0.9 };
  const h = composeParentHash('#curvecheck&p.curvecheck.runs=old&other=1', 'curvecheck', s);
  assert.ok(h.startsWith('#curvecheck&other=1&'));
  assert.ok(!h.includes('old'));
  assert.deepEqual(parseParentHash(h, 'curvecheck'), s);
  assert.equal(composeParentHash('', 'curvecheck', DEFAULTS), '#curvecheck');
});

test('histogram findings get one chart per statistic; scalar findings their chart', () => {
  const charts = [{ id: 'c1', series: [{ run: 'r', tag: 'loss' }] }];
  const a = { run: 'r', tag: 'dense/kernel', evidence: { statistic: 'abs_max' } };
  const b = { run: 'r', tag: 'dense/kernel', evidence: { statistic: 'change' } };
  assert.notEqual(chartForFinding(a, charts), chartForFinding(b, charts));
  assert.equal(chartForFinding({ run: 'r', tag: 'loss' }, charts), 'c1');
});

test('a second statistic of one histogram does not land on the first one\'s chart', () => {
  const a = { run: 'r', tag: 'h', evidence: { statistic: 'abs_max' } };
  const b = { run: 'r', tag: 'h', evidence: { statistic: 'change' } };
  const charts = [{ id: chartForFinding(a, []), kind: 'histogram', series: [{ run: 'r', tag: 'h' }] }];
  assert.equal(chartForFinding(b, charts), chartForFinding(b, []));
  assert.notEqual(chartForFinding(b, charts), charts[0].id);
});

test('a grouped finding names all its tags, its own first, and gets a chart of its own', () => {
  const tags = ['g/a', 'g/b', 'g/c'];
  const f = { run: 'r', tag: 'g/b', kind: 'vanishing_gradients', evidence: { statistic: 'value', tags } };
  assert.deepEqual(groupTags(f), ['g/b', 'g/a', 'g/c']);
  assert.deepEqual(groupTags({ run: 'r', tag: 'loss', evidence: {} }), ['loss']);
  const charts = [{ id: 'single', series: [{ run: 'r', tag: 'g/b' }] }];
  assert.notEqual(chartForFinding(f, charts), 'single');
  const alone = { ...f, evidence: { statistic: 'value', tags: ['g/b'] } };
  assert.equal(chartForFinding(alone, charts), 'single');
});

test('corroborating findings carry their lead\'s key; malformed entries are dropped', () => {
  const c = { run: 'r/validation', tag: 'acc', kind: 'metric_collapse', severity: 'error', start_step: 10, end_step: 23 };
  const lead = { run: 'r/train', tag: 'acc', kind: 'metric_collapse', start_step: 10, evidence: { corroborating: [c, { run: 'x' }, null] } };
  const out = corroboratingOf(lead);
  assert.equal(out.length, 1);
  assert.equal(out[0].run, 'r/validation');
  assert.equal(out[0].leadKey, findingKey(lead));
  assert.deepEqual(corroboratingOf({ run: 'r', tag: 't', evidence: {} }), []);
});

test('notes past the cap are counted, not listed', () => {
  const few = notesShown(['a', 'b']);
  assert.deepEqual(few.shown, ['a', 'b']);
  assert.equal(few.more, null);
  const many = notesShown(Array.from({ length: MAX_NOTES + 5 }, (_, i) => `run ${i} skipped`));
  assert.equal(many.shown.length, MAX_NOTES);
  assert.equal(many.shown[0], 'run 0 skipped');
  assert.match(many.more, /and 5 more/);
  assert.deepEqual(notesShown(undefined).shown, []);
});
