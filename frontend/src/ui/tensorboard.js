// TensorBoard's plugin host speaks JSON over a MessagePort that the iframe
// offers with an `experimental.bootstrap` message. Through it the tab hears
// `experimental.DataReloaded` (TensorBoard's Reload button and auto-reload,
// which otherwise never reach an iframe plugin) and asks for the run list in
// TensorBoard's order (so runs get the colours they get elsewhere).

export function connectTensorBoard({ onDataReloaded, onRunsChanged }) {
  if (window.parent === window || typeof MessageChannel === 'undefined') return null;
  const channel = new MessageChannel();
  const port = channel.port1;
  let nextId = 0;
  const waiting = new Map();
  const handlers = {
    'experimental.DataReloaded': () => onDataReloaded && onDataReloaded(),
    'experimental.RunsChanged': (runs) => onRunsChanged && onRunsChanged(runs),
  };
  port.onmessage = (event) => {
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (msg.isReply) {
      const w = waiting.get(msg.id);
      if (!w) return;
      waiting.delete(msg.id);
      if (msg.error) w.reject(new Error(String(msg.error)));
      else w.resolve(msg.payload);
      return;
    }
    const handler = handlers[msg.type];
    if (handler) handler(msg.payload);
    port.postMessage(JSON.stringify({ type: msg.type, id: msg.id, payload: null, error: null, isReply: true }));
  };
  const origin = window.location.origin && window.location.origin !== 'null' ? window.location.origin : '*';
  window.parent.postMessage('experimental.bootstrap', origin, [channel.port2]);
  return {
    request(type, payload = null, timeoutMs = 3000) {
      const id = nextId++;
      port.postMessage(JSON.stringify({ type, id, payload, error: null, isReply: false }));
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        setTimeout(() => {
          if (waiting.delete(id)) reject(new Error(`${type}: no answer`));
        }, timeoutMs);
      });
    },
  };
}
