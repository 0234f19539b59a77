import test from 'node:test';
import assert from 'node:assert/strict';
import { compilePattern, MAX_STATES } from '../src/logic/regex.js';
import { runMatcher, makeMatcher } from '../src/logic/findings.js';
import { suggestLogScale, decadeSpan, forLogScale, SUGGEST_DECADES } from '../src/logic/logscale.js';
import {
  parseState, formatState, parseZoom, withZoom, parseLogChoices, withLog, composeParentHash, parseParentHash, DEFAULTS,
} from '../src/logic/urlstate.js';
import { spliceRange, detailCovers, pointsInRange } from '../src/logic/series.js';
import { planCharts, contextSeriesFor, isLearningRateTag } from '../src/logic/charts.js';
import { decodeNumber, parseValues } from '../src/logic/values.js';

// Patterns and names the linear matcher must judge exactly as the browser's
// backtracking RegExp does (case-insensitive, unanchored search).
const PATTERNS = [
  '^(diverged|keras)', 'train$', '(a+)+$', 'a{2,3}b', 'a{2,}', 'x{0}y', '[^a-c]x', '[a\\-z]', '\\bval', 'n\\B',
  'x|', '^$', '(?:ab)*c', '(?<g>ab)+', '[\\d_]+$', 'A.C', '\\.', 'a{', 'lr-\\w+', '\\s', '[]', '[^]', 'a??b',
  '\\x41', '\\u0042', 'exp\\d{2}/(train|validation)', '(a|ab)(c|bcd)(d*)', '^.*$', '\\W', '[.]',
];
const NAMES = [
  'diverged', 'keras/train', `${'a'.repeat(30)}!`, 'aaab', 'dx', 'ax', 'Ax', 'exp/validation', '', 'ababc',
  'a_1', 'abc', 'x.y', 'a{', 'lr-Adam', 'Keras', 'a b', 'z', '-', 'y', 'B', 'exp07/train', 'abcd', 'line\nbreak',
  'run', 'AB',
];

test('the linear matcher agrees with RegExp on every pattern and name', () => {
  for (const p of PATTERNS) {
    const mine = compilePattern(p);
    const re = new RegExp(p, 'i');
    for (const name of NAMES) assert.equal(mine.test(name), re.test(name), `${p} on ${JSON.stringify(name)}`);
  }
});

test('the hostile pattern costs steps linear in the name, not exponential', () => {
  const m = compilePattern('(a+)+$');
  const cost = (n) => {
    const before = m.steps();
    assert.equal(m.test(`${'a'.repeat(n)}!`), false);
    return m.steps() - before;
  };
  const c30 = cost(30);
  const c60 = cost(60);
  // Twice the name, about twice the work (a backtracker does 2^30 times more).
  assert.ok(c60 <= 2.5 * c30, `${c30} → ${c60}`);
  assert.ok(c30 < 30 * 20, `${c30} steps for 31 characters`);
});

test('what cannot be matched in linear time is refused with a reason', () => {
  assert.throws(() => compilePattern('(a)\\1'), /back-references/);
  assert.throws(() => compilePattern('(?=a)b'), /look-ahead/);
  assert.throws(() => compilePattern('(?<!a)b'), /look-ahead/);
  assert.throws(() => compilePattern('x{1000}{1000}'), new RegExp(`over ${MAX_STATES}`));
});

test('the run filter says why a pattern matches nothing', () => {
  const bad = runMatcher('(');
  assert.equal(bad.ok, false);
  assert.match(bad.error, /^Invalid regular expression/);
  const unsupported = runMatcher('(a)\\1');
  assert.equal(unsupported.ok, false);
  assert.match(unsupported.error, /back-references/);
  assert.equal(unsupported.test('aa'), false);
  const ok = runMatcher('(a+)+$');
  assert.equal(ok.ok, true);
  assert.equal(ok.test(`${'a'.repeat(30)}!`), false);
  assert.equal(ok.test('aaa'), true);
  assert.equal(ok.tooSlow(), false);
  assert.equal(runMatcher('').test('anything'), true);
});

test('past its budget the filter stops, says so, and keeps what it matched', () => {
  const m = makeMatcher('(x+x+)+y', 2000);
  const names = Array.from({ length: 200 }, (_, i) => `${'x'.repeat(20 + (i % 5))}${i % 2 ? 'y' : 'z'}`);
  const first = names.map((n) => m.test(n));
  assert.equal(m.tooSlow(), true);
  // Names judged before the stop keep their answer; later ones match nothing.
  const judged = first.findIndex((hit, i) => !hit && i % 2 === 1);
  assert.ok(judged > 0, 'some names were judged before the budget ran out');
  assert.equal(first[1], true);
  assert.equal(m.test(names[1]), true);
  assert.equal(m.test(`${names[199]}-new`), false);
  assert.equal(makeMatcher('(x+x+)+y').tooSlow(), false);
});

test('log scale is suggested past three decades of positive values', () => {
  const loss = Array.from({ length: 30 }, (_, i) => 1 / (1 + i / 10));
  const spiked = loss.slice();
  spiked[10] = 12000;
  assert.equal(suggestLogScale([loss]).suggested, false);
  const s = suggestLogScale([loss, spiked]);
  assert.equal(s.suggested, true);
  assert.ok(s.decades > SUGGEST_DECADES && s.decades < 5, `${s.decades}`);
  // NaN and infinities are not values to span; too many zeros rule it out.
  assert.equal(suggestLogScale([[1, NaN, Infinity, 2]]).suggested, false);
  assert.equal(suggestLogScale([[1e-6, 1, 0, 0, 0]]).suggested, false);
  assert.equal(decadeSpan([[0.001, 10, -1, null]]).nonPositive, 1);
  assert.deepEqual(forLogScale([1, 0, -2, null, undefined, 3]), { ys: [1, null, null, null, undefined, 3], dropped: 2 });
});

test('zoom and log choices live in the URL per chart and survive odd chart ids', () => {
  const id = 'exp:a,b|loss|epoch';
  let zoom = withZoom('', id, [1000.4, 1999.2]);
  zoom = withZoom(zoom, 'other', [5, 9]);
  assert.deepEqual(parseZoom(zoom).get(id), [1000, 2000]);
  assert.deepEqual(parseZoom(zoom).get('other'), [5, 9]);
  assert.equal(parseZoom(withZoom(zoom, id, null)).has(id), false);
  const log = withLog(withLog('', id, true), 'other', false);
  assert.deepEqual(Array.from(parseLogChoices(log)), [[id, true], ['other', false]].sort());
  const state = { ...DEFAULTS, zoom, log };
  assert.deepEqual(parseState(formatState(state)), state);
  // Through TensorBoard's own hash, as a copied link carries it.
  const hash = composeParentHash('#curvecheck', 'curvecheck', state);
  assert.deepEqual(parseParentHash(hash, 'curvecheck'), state);
  // Malformed entries are dropped, not guessed.
  assert.equal(parseState('#zoom=a:5:1,b:x:2,c:1').zoom, '');
  assert.equal(parseState('#log=a:2').log, '');
});

test('a zoomed range replaces the thinned points inside it', () => {
  const base = { steps: [0, 50, 100, 150, 200], values: [1, 2, 3, 4, 5] };
  const detail = { steps: [90, 95, 100, 105, 110], values: [9, 9.5, 10, 10.5, 11] };
  const out = spliceRange(base, detail, 90, 110);
  assert.deepEqual(out.steps, [0, 50, 90, 95, 100, 105, 110, 150, 200]);
  assert.deepEqual(Array.from(out.values), [1, 2, 9, 9.5, 10, 10.5, 11, 4, 5]);
  assert.equal(pointsInRange(out.steps, 90, 110), 5);
  assert.equal(detailCovers({ lo: 0, hi: 100, thinned: false }, 10, 20), true);
  assert.equal(detailCovers({ lo: 0, hi: 100, thinned: true }, 10, 20), false);
  assert.equal(detailCovers({ lo: 0, hi: 100, thinned: true }, 10, 70), true);
  assert.equal(detailCovers({ lo: 10, hi: 100, thinned: false }, 0, 50), false);
  assert.equal(detailCovers(null, 0, 1), false);
});

test('every spelling of a non-finite number decodes in one place', () => {
  for (const [text, want] of [['NaN', NaN], ['nan', NaN], ['Infinity', Infinity], ['inf', Infinity], ['+inf', Infinity],
    ['-Infinity', -Infinity], ['-inf', -Infinity]]) {
    assert.ok(Object.is(decodeNumber(text), want), text);
  }
  assert.equal(decodeNumber('relu'), null);
  assert.equal(decodeNumber(2.5), 2.5);
  const v = parseValues(['nan', '-inf', 3, null]);
  assert.ok(Number.isNaN(v[0]) && v[1] === -Infinity && v[2] === 3 && Number.isNaN(v[3]));
});

test('learning-rate tags by every writer\'s name, offered on the experiment\'s charts', () => {
  for (const tag of ['epoch_learning_rate', 'learning_rate', 'lr', 'lr-Adam', 'lr-SGD/pg1', 'train/learning_rate']) {
    assert.ok(isLearningRateTag(tag, null), tag);
  }
  for (const tag of ['epoch_loss', 'clr', 'learning_rate_warmup_steps', 'blr-x']) assert.ok(!isLearningRateTag(tag, null), tag);
  assert.ok(isLearningRateTag('whatever', { role: 'learning_rate' }));
  const tagInfo = {
    'e/train': { epoch_loss: { type: 'scalar', role: 'loss' }, epoch_learning_rate: { type: 'scalar', role: 'learning_rate' } },
    'e/validation': { epoch_loss: { type: 'scalar', role: 'loss' } },
  };
  const experiments = [{ name: 'e', runs: ['e/train', 'e/validation'] }];
  assert.deepEqual(contextSeriesFor(['e/train', 'e/validation'], tagInfo, experiments).map((c) => [c.run, c.tag]),
    [['e/train', 'epoch_learning_rate']]);
  const charts = planCharts({
    scalarCharts: [
      { id: 'e|loss|epoch', experiment: 'e', title: 'epoch_loss', series: [{ run: 'e/train', tag: 'epoch_loss' }, { run: 'e/validation', tag: 'epoch_loss' }] },
      { id: 'e|lr|epoch', experiment: 'e', title: 'epoch_learning_rate', series: [{ run: 'e/train', tag: 'epoch_learning_rate' }] },
    ],
    findings: [],
    experiments,
    tagInfo,
  });
  assert.equal(charts[0].context.length, 1);
  assert.deepEqual(charts[1].context, []); // the learning rate is not overlaid on itself
});
