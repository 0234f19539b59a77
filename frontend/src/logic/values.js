// The HTTP API sends non-finite numbers as strings, because JSON has no NaN:
// "NaN", "Infinity", "-Infinity" (TensorBoard's own spelling, used for
// points), and older answers' evidence says "nan", "inf", "-inf". Every
// spelling is read here and nowhere else.

const NON_FINITE = new Map([
  ['nan', NaN], ['inf', Infinity], ['+inf', Infinity], ['infinity', Infinity], ['+infinity', Infinity],
  ['-inf', -Infinity], ['-infinity', -Infinity],
]);

/** A number the API sent, or null when `v` is neither a number nor a non-finite spelling. */
export function decodeNumber(v) {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return null;
  const key = v.trim().toLowerCase();
  return NON_FINITE.has(key) ? NON_FINITE.get(key) : null;
}

/** A point's value: a missing or unreadable one is a hole (NaN), never 0. */
export function parseValue(v) {
  const d = decodeNumber(v);
  if (d !== null) return d;
  if (v === null || v === undefined || v === '') return NaN;
  const n = Number(v);
  return Number.isNaN(n) ? NaN : n;
}

export function parseValues(arr) {
  const out = new Float64Array(arr.length);
  for (let i = 0; i < arr.length; i++) out[i] = parseValue(arr[i]);
  return out;
}

/** 'nan' | 'posinf' | 'neginf' | null */
export function nonFiniteKind(v) {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'posinf';
  if (v === -Infinity) return 'neginf';
  return null;
}

/**
 * Consecutive non-finite values of one kind become one stretch, so a run that
 * stays NaN for 10k steps is one marker, not 10k DOM nodes.
 * @returns {{kind: string, start: number, end: number, count: number}[]}
 */
export function nonFiniteStretches(steps, values) {
  const out = [];
  let cur = null;
  for (let i = 0; i < steps.length; i++) {
    const kind = nonFiniteKind(values[i]);
    if (kind && cur && cur.kind === kind) {
      cur.end = steps[i];
      cur.count += 1;
    } else if (kind) {
      cur = { kind, start: steps[i], end: steps[i], count: 1 };
      out.push(cur);
    } else {
      cur = null;
    }
  }
  return out;
}

export function formatValue(v) {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '−Inf';
  if (v === undefined || v === null) return '—';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(4);
  return Number(v.toPrecision(6)).toString();
}

export function formatSteps(start, end) {
  return start === end ? `step ${start}` : `steps ${start}–${end}`;
}
