// The view lives in the URL so that a link reproduces it. Inside TensorBoard's
// iframe that is the iframe's own hash; TensorBoard keeps plugin keys in the
// parent's hash as `p.<plugin>.<key>` (its GetURLPluginData message reads
// them back), so the same state is written there too when we can.

export const DEFAULTS = Object.freeze({
  finding: '',
  severities: 'error,warning,info',
  runs: '',
  smoothing: 0.6,
  // Per chart: `zoom` holds `<chart id>:<first step>:<last step>` entries,
  // `log` holds `<chart id>:1|0` (log scale on or off by the reader's choice),
  // comma-separated; ids are URI-encoded, which never leaves ',' or ':'.
  zoom: '',
  log: '',
  // The sweep overview (many runs): the run opened from it, the column its
  // rows are sorted by ('-' first for descending; '' is worst first) and the
  // kind of finding its rows must have ('' all runs, '*' any finding).
  open: '',
  sort: '',
  kind: '',
});

export function parseState(hash) {
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  const state = { ...DEFAULTS };
  if (params.has('finding')) state.finding = params.get('finding');
  if (params.has('severities')) state.severities = normaliseSeverities(params.get('severities'));
  if (params.has('runs')) state.runs = params.get('runs');
  for (const key of ['open', 'sort', 'kind']) if (params.has(key)) state[key] = params.get(key);
  if (params.has('zoom')) state.zoom = formatChartMap(parseZoom(params.get('zoom')), formatRange);
  if (params.has('log')) state.log = formatChartMap(parseLogChoices(params.get('log')), (on) => (on ? '1' : '0'));
  if (params.has('smoothing')) {
    const s = Number(params.get('smoothing'));
    if (Number.isFinite(s) && s >= 0 && s < 1) state.smoothing = s;
  }
  return state;
}

function normaliseSeverities(text) {
  const allowed = ['error', 'warning', 'info'];
  return String(text).split(',').filter((s) => allowed.includes(s)).join(',');
}

/** Only what differs from the defaults, so a plain link stays plain. */
export function stateEntries(state) {
  const out = [];
  for (const key of Object.keys(DEFAULTS)) {
    const v = state[key];
    if (v === undefined || v === DEFAULTS[key]) continue;
    out.push([key, String(v)]);
  }
  return out;
}

export function formatState(state) {
  const params = new URLSearchParams(stateEntries(state));
  const s = params.toString();
  return s ? `#${s}` : '';
}

/** Reads `p.<plugin>.<key>` entries from TensorBoard's own hash. */
export function parseParentHash(hash, plugin) {
  const prefix = `p.${plugin}.`;
  const params = new URLSearchParams();
  for (const part of String(hash || '').replace(/^#/, '').split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = decodeURIComponent(part.slice(0, eq));
    if (key.startsWith(prefix)) params.set(key.slice(prefix.length), decodeURIComponent(part.slice(eq + 1)));
  }
  return parseState(params.toString());
}

/**
 * TensorBoard's hash with our keys replaced: its other keys (the active tab,
 * its own settings) are kept as they are.
 */
export function composeParentHash(hash, plugin, state) {
  const prefix = `p.${plugin}.`;
  const kept = String(hash || '').replace(/^#/, '').split('&')
    .filter((part) => part && !decodeURIComponent(part.split('=')[0]).startsWith(prefix));
  if (!kept.length) kept.push(plugin);
  for (const [k, v] of stateEntries(state)) {
    kept.push(`${encodeURIComponent(prefix + k)}=${encodeURIComponent(v)}`);
  }
  return `#${kept.join('&')}`;
}

function parseChartMap(text, parseFields) {
  const out = new Map();
  for (const entry of String(text || '').split(',')) {
    const parts = entry.split(':');
    if (parts.length < 2) continue;
    let id;
    try {
      id = decodeURIComponent(parts[0]);
    } catch (e) {
      continue;
    }
    const value = parseFields(parts.slice(1));
    if (id && value !== null) out.set(id, value);
  }
  return out;
}

function formatChartMap(map, formatValue) {
  return Array.from(map.keys()).sort()
    .map((id) => `${encodeURIComponent(id)}:${formatValue(map.get(id))}`).join(',');
}

function formatRange([lo, hi]) {
  return `${lo}:${hi}`;
}

/** `zoom` text → Map(chart id → [first step, last step]); malformed entries are dropped. */
export function parseZoom(text) {
  return parseChartMap(text, (f) => {
    if (f.length !== 2 || f[0] === '' || f[1] === '') return null;
    const lo = Number(f[0]);
    const hi = Number(f[1]);
    return Number.isFinite(lo) && Number.isFinite(hi) && lo < hi ? [lo, hi] : null;
  });
}

/** `zoom` text with one chart's range set (steps rounded outwards) or removed (null). */
export function withZoom(text, id, range) {
  const map = parseZoom(text);
  if (range) map.set(id, [Math.floor(range[0]), Math.ceil(range[1])]);
  else map.delete(id);
  return formatChartMap(map, formatRange);
}

/** `log` text → Map(chart id → true|false). */
export function parseLogChoices(text) {
  return parseChartMap(text, (f) => (f.length === 1 && (f[0] === '1' || f[0] === '0') ? f[0] === '1' : null));
}

/** `log` text with one chart's choice set, or removed (null: back to not chosen). */
export function withLog(text, id, on) {
  const map = parseLogChoices(text);
  if (on === null || on === undefined) map.delete(id);
  else map.set(id, Boolean(on));
  return formatChartMap(map, (v) => (v ? '1' : '0'));
}
