import test from 'node:test';
import assert from 'node:assert/strict';
import {
  sweepRows, hparamNames, kindCounts, filterRows, sortRows, parseSort, nextSort, rankName, formatHparam,
  experimentRuns, KIND_ANY,
} from '../src/logic/sweep.js';
import { runMatcher, chartForFinding, chartIndex, histogramChartId } from '../src/logic/findings.js';
import { planCharts, seriesLabel, splitDash } from '../src/logic/charts.js';
import { parseState, formatState, DEFAULTS } from '../src/logic/urlstate.js';

const f = (run, kind, severity, tag = 'loss') => ({ run, kind, severity, tag, start_step: 1, end_step: 2 });

function data() {
  const runs = ['a', 'b', 'c', 'd', 'broken'].map((run) => ({ run, status: run === 'broken' ? 'failed' : 'analysed', reason: run === 'broken' ? 'bad file' : null }));
  runs[0].last_step = 7;
  const findings = [f('a', 'non_finite', 'error'), f('a', 'oscillation', 'info'), f('b', 'oscillation', 'info'), f('c', 'overfitting', 'warning')];
  const hparams = { a: { lr: 0.1, opt: 'sgd' }, b: { lr: 0.01 }, c: { lr: 0.001, opt: 'adam' } };
  const tagInfo = { b: { loss: { type: 'scalar', max_step: 40 }, acc: { type: 'scalar', max_step: 42 } } };
  return sweepRows({ runs, findings, hparams, tagInfo });
}

const ALL = new Set(['error', 'warning', 'info']);
const every = runMatcher('');
const names = (entries) => entries.map((e) => e.row.run);

test('sweep rows: findings per run, last step from the run or its tags, hyperparameters', () => {
  const rows = data();
  assert.deepEqual(rows.map((r) => [r.run, r.findings.length, r.lastStep]),
    [['a', 2, 7], ['b', 1, 42], ['c', 1, null], ['d', 0, null], ['broken', 0, null]]);
  assert.deepEqual(hparamNames(rows), ['lr', 'opt']);
  assert.deepEqual(kindCounts(rows), [{ kind: 'oscillation', runs: 2 }, { kind: 'non_finite', runs: 1 }, { kind: 'overfitting', runs: 1 }]);
  // No hparams in the answer: no columns.
  assert.deepEqual(hparamNames(sweepRows({ runs: [{ run: 'x' }], findings: [] })), []);
});

test('sweep filters: severities hide runs whose findings are all hidden, kinds select runs', () => {
  const rows = data();
  const all = sortRows(filterRows(rows, { severities: ALL, matcher: every, kind: '' }), '');
  assert.deepEqual(names(all), ['a', 'broken', 'c', 'b', 'd']);
  assert.deepEqual(all.map((e) => rankName(e.rank)), ['error', 'failed', 'warning', 'info', 'none']);
  const noInfo = filterRows(rows, { severities: new Set(['error', 'warning']), matcher: every, kind: '' });
  assert.deepEqual(names(noInfo).sort(), ['a', 'broken', 'c', 'd']);
  assert.deepEqual(noInfo.find((e) => e.row.run === 'a').kinds, ['non_finite']);
  const osc = filterRows(rows, { severities: ALL, matcher: every, kind: 'oscillation' });
  assert.deepEqual(names(osc).sort(), ['a', 'b']);
  // 'a' is shown for its oscillation, with everything else it has.
  assert.deepEqual(osc.find((e) => e.row.run === 'a').kinds, ['non_finite', 'oscillation']);
  const any = filterRows(rows, { severities: ALL, matcher: every, kind: KIND_ANY });
  assert.deepEqual(names(any).sort(), ['a', 'b', 'broken', 'c']);
  const byName = filterRows(rows, { severities: ALL, matcher: runMatcher('^(a|d)$'), kind: '' });
  assert.deepEqual(names(byName).sort(), ['a', 'd']);
});

test('sweep sort: any column, both ways, runs without a value last either way', () => {
  const entries = filterRows(data(), { severities: ALL, matcher: every, kind: '' });
  assert.deepEqual(names(sortRows(entries, 'hp:lr')), ['c', 'b', 'a', 'broken', 'd']);
  assert.deepEqual(names(sortRows(entries, '-hp:lr')), ['a', 'b', 'c', 'broken', 'd']);
  assert.deepEqual(names(sortRows(entries, 'hp:opt')), ['c', 'a', 'broken', 'b', 'd']);
  assert.deepEqual(names(sortRows(entries, '-last_step')), ['b', 'a', 'broken', 'c', 'd']);
  assert.deepEqual(names(sortRows(entries, '-run')), ['d', 'c', 'broken', 'b', 'a']);
  const seeds = sweepRows({ runs: ['s=10', 's=9', 's=100'].map((run) => ({ run })), findings: [] });
  assert.deepEqual(names(sortRows(filterRows(seeds, { severities: ALL, matcher: every, kind: '' }), 'run')), ['s=9', 's=10', 's=100']);
  assert.deepEqual(parseSort(''), { column: 'worst', desc: false });
  assert.deepEqual(parseSort('-hp:lr'), { column: 'hp:lr', desc: true });
  assert.equal(nextSort('', 'run'), 'run');
  assert.equal(nextSort('run', 'run'), '-run');
  assert.equal(nextSort('-run', 'run'), 'run');
  assert.equal(nextSort('run', 'worst'), '');
  assert.equal(nextSort('', 'worst'), '-worst');
  assert.equal(formatHparam(0.1 + 0.2), '0.3');
  assert.equal(formatHparam(32), '32');
  assert.equal(formatHparam(true), 'true');
  assert.deepEqual(experimentRuns('x/train', [{ name: 'x', runs: ['x/train', 'x/validation'] }]), ['x/train', 'x/validation']);
  assert.deepEqual(experimentRuns('y', []), ['y']);
});

test('a finding finds its chart through an index built once per charts list', () => {
  const charts = [];
  for (let i = 0; i < 3000; i++) charts.push({ id: `c${i}`, kind: 'scalar', series: [{ run: `r${i}`, tag: 'loss' }, { run: `r${i}`, tag: 'val_loss' }] });
  const index = chartIndex(charts);
  assert.equal(chartIndex(charts), index); // the same list: the same index
  assert.equal(chartForFinding(f('r2999', 'x', 'error', 'val_loss'), charts), 'c2999');
  const missing = f('nope', 'x', 'error');
  assert.equal(chartForFinding(missing, charts), histogramChartId(missing));
  charts.push({ id: 'late', kind: 'scalar', series: [{ run: 'nope', tag: 'loss' }] });
  assert.equal(chartForFinding(missing, charts), 'late'); // a grown list is indexed again
});

test('train and validation of one run: run/train, run/validation, validation dashed', () => {
  const series = [{ run: 'r', tag: 'train/loss', split: 'train' }, { run: 'r', tag: 'val/loss', split: 'validation' }];
  assert.deepEqual(series.map((s) => seriesLabel(s, series)), ['r/train', 'r/validation']);
  // Separate runs keep their names; two tags of one run without splits are named by tag.
  const two = [{ run: 'x/train', tag: 'loss', split: 'train' }, { run: 'x/validation', tag: 'loss', split: 'validation' }];
  assert.deepEqual(two.map((s) => seriesLabel(s, two)), ['x/train', 'x/validation']);
  const tags = [{ run: 'r', tag: 'a', split: null }, { run: 'r', tag: 'b', split: null }];
  assert.deepEqual(tags.map((s) => seriesLabel(s, tags)), ['r · a', 'r · b']);
  assert.equal(splitDash('train'), null);
  assert.ok(Array.isArray(splitDash('validation')));
  const planned = planCharts({ scalarCharts: [{ id: 'r|loss|step', experiment: 'r', title: 'loss', series }], findings: [], experiments: [], tagInfo: {} });
  assert.deepEqual(planned[0].series.map((s) => [s.label, s.split]), [['r/train', 'train'], ['r/validation', 'validation']]);
});

test('the sweep view state lives in the URL', () => {
  const state = { ...DEFAULTS, open: 'lr=0.1_bs=32', sort: '-hp:lr', kind: 'non_finite' };
  const hash = formatState(state);
  assert.deepEqual(parseState(hash), state);
  assert.equal(formatState(DEFAULTS), '');
});

test('sweep rows: a run read only in part is ranked by the findings it still has', () => {
  const runs = [
    { run: 'partly', status: 'failed', reason: "could not decode 'dense/kernel_0'" },
    { run: 'unreadable', status: 'failed', reason: 'bad file' },
    { run: 'fine', status: 'analysed', reason: null },
  ];
  const findings = [f('partly', 'never_learned', 'error'), f('fine', 'overfitting', 'warning')];
  const rows = sweepRows({ runs, findings, hparams: {}, tagInfo: {} });
  const all = sortRows(filterRows(rows, { severities: ALL, matcher: every, kind: '' }), '');
  assert.deepEqual(names(all), ['partly', 'unreadable', 'fine']);
  assert.deepEqual(all.map((e) => rankName(e.rank)), ['error', 'failed', 'warning']);
  assert.deepEqual(all[0].kinds, ['never_learned']);
  // Asked for its kind, it is there like any run with that kind.
  const never = filterRows(rows, { severities: ALL, matcher: every, kind: 'never_learned' });
  assert.deepEqual(names(never), ['partly']);
});
