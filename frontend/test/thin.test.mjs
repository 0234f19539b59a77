import test from 'node:test';
import assert from 'node:assert/strict';
import { thinMinMax } from '../src/logic/thin.js';

const range = (n) => Array.from({ length: n }, (_, i) => i);

test('short series are returned whole', () => {
  const r = thinMinMax([1, 2, 3], [4, 5, 6], 10);
  assert.equal(r.thinned, false);
  assert.deepEqual(r.steps, [1, 2, 3]);
});

test('long series shrink to about the budget and keep both ends', () => {
  const steps = range(100000);
  const values = steps.map((i) => Math.sin(i / 50));
  const r = thinMinMax(steps, values, 1000);
  assert.equal(r.thinned, true);
  assert.ok(r.steps.length <= 1002, `${r.steps.length}`);
  assert.ok(r.steps.length >= 500);
  assert.equal(r.steps[0], 0);
  assert.equal(r.steps.at(-1), 99999);
  for (let i = 1; i < r.steps.length; i++) assert.ok(r.steps[i] > r.steps[i - 1]);
});

test('a one-point spike survives thinning', () => {
  const steps = range(50000);
  const values = steps.map(() => 1);
  values[31337] = 1000;
  values[777] = -5;
  const r = thinMinMax(steps, values, 200);
  assert.ok(r.steps.includes(31337));
  assert.ok(r.steps.includes(777));
});

test('non-finite values and requested steps are always kept', () => {
  const steps = range(10000);
  const values = steps.map((i) => i);
  values[4242] = NaN;
  values[4243] = Infinity;
  const r = thinMinMax(steps, values, 100, new Set([1234, 9876]));
  for (const s of [4242, 4243, 1234, 9876]) assert.ok(r.steps.includes(s), `step ${s}`);
  assert.ok(Number.isNaN(r.values[r.steps.indexOf(4242)]));
});
