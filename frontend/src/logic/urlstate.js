// The view lives in the URL so that a link reproduces it. Inside TensorBoard's
// iframe that is the iframe's own hash; TensorBoard keeps plugin keys in the
// parent's hash as `p.<plugin>.<key>` (its GetURLPluginData message reads
// them back), so the same state is written there too when we can.

export const DEFAULTS = Object.freeze({
  finding: '',
  severities: 'error,warning,info',
  runs: '',
  smoothing: 0.6,
});

export function parseState(hash) {
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  const state = { ...DEFAULTS };
  if (params.has('finding')) state.finding = params.get('finding');
  if (params.has('severities')) state.severities = normaliseSeverities(params.get('severities'));
  if (params.has('runs')) state.runs = params.get('runs');
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
