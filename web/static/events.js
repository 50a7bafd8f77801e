// iot-server's event stream (server-sent events), read with fetch() so that
// the API token can go in a header (EventSource cannot send one). Like
// EventSource it reconnects by itself and sends Last-Event-ID: the server
// then replays the measurements missed, so none is lost nor repeated.

import { askToken, authHeaders, token } from './api.js';

const RETRY_MS = 1000;
const listeners = new Set();
let state = 'connecting';

// The connection state of the newest stream: connecting, open, lost.
export function connectionState() {
  return state;
}

export function onConnectionState(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function setState(s) {
  if (s === state) return;
  state = s;
  for (const fn of listeners) fn(s);
}

// Follows /api/v1/events (only `sensors` when given) and calls onEvent(type,
// data, id) for each event; returns a function that ends the stream.
export function followEvents(onEvent, { sensors = [] } = {}) {
  const query = sensors.map((s) => `sensor=${encodeURIComponent(s)}`).join('&');
  const url = `/api/v1/events${query ? `?${query}` : ''}`;
  const stop = new AbortController();
  let lastId = '';
  let retry = RETRY_MS;

  async function readOnce() {
    const headers = authHeaders({ Accept: 'text/event-stream' });
    if (lastId !== '') headers['Last-Event-ID'] = lastId;
    const res = await fetch(url, { headers, signal: stop.signal, cache: 'no-store' });
    if (res.status === 401) {
      await askToken(token() !== '');
      return;
    }
    if (!res.ok || !res.body) throw new Error(`event stream: HTTP ${res.status}`);
    setState('open');
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let type = '';
    let data = [];
    let id = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (let line of lines) {
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (id !== null) lastId = id;
          if (data.length > 0) onEvent(type || 'message', data.join('\n'), id);
          type = '';
          data = [];
          id = null;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let v = colon < 0 ? '' : line.slice(colon + 1);
        if (v.startsWith(' ')) v = v.slice(1);
        if (field === 'event') type = v;
        else if (field === 'data') data.push(v);
        else if (field === 'id' && !v.includes('\0')) id = v;
        else if (field === 'retry' && /^\d+$/.test(v)) retry = Number(v);
      }
    }
  }

  (async () => {
    while (!stop.signal.aborted) {
      try {
        await readOnce();
      } catch (e) {
        if (stop.signal.aborted) return;
      }
      if (stop.signal.aborted) return;
      setState('lost');
      await new Promise((resolve) => setTimeout(resolve, retry));
    }
  })();
  setState('connecting');
  return () => stop.abort();
}
