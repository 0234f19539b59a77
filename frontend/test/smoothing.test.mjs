import test from 'node:test';
import assert from 'node:assert/strict';
import { smooth } from '../src/logic/smoothing.js';

test('weight 0 returns the raw values', () => {
  assert.deepEqual(Array.from(smooth([1, 5, 2], 0)), [1, 5, 2]);
});

test('debiased: the first smoothed value equals the first raw value', () => {
  const out = smooth([10, 0, 0], 0.9);
  assert.equal(out[0], 10);
  // second: (0.9*0.1*10 + 0.1*0) / (1 - 0.81) = 0.9/0.19
  assert.ok(Math.abs(out[1] - 0.9 / 0.19) < 1e-12);
  assert.ok(out[2] < out[1]);
});

test('matches the closed form of a debiased EMA', () => {
  const xs = [3, 1, 4, 1, 5, 9, 2, 6];
  const w = 0.6;
  const out = smooth(xs, w);
  for (let k = 0; k < xs.length; k++) {
    let num = 0;
    for (let i = 0; i <= k; i++) num += (1 - w) * Math.pow(w, k - i) * xs[i];
    const expect = num / (1 - Math.pow(w, k + 1));
    assert.ok(Math.abs(out[k] - expect) < 1e-12, `index ${k}`);
  }
});

test('non-finite values pass through and do not poison later points', () => {
  const out = smooth([1, NaN, Infinity, 1, -Infinity, 1], 0.5);
  assert.ok(Number.isNaN(out[1]));
  assert.equal(out[2], Infinity);
  assert.equal(out[4], -Infinity);
  assert.equal(out[3], 1);
  assert.equal(out[5], 1);
});

test('a constant series stays exactly constant', () => {
  const out = smooth([0.5467, 0.5467, 0.5467, 0.5467], 0.99);
  assert.deepEqual(Array.from(out), [0.5467, 0.5467, 0.5467, 0.5467]);
});

test('a step change is followed gradually, never overshooting', () => {
  const xs = [0, 0, 0, 1, 1, 1, 1, 1];
  const out = smooth(xs, 0.6);
  for (let i = 3; i < xs.length; i++) {
    assert.ok(out[i] > out[i - 1] && out[i] < 1);
  }
});
