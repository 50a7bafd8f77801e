// Durations as the API reads them ("5" seconds, "250ms", "1m30s", "1.5s"):
// the grammar of lib/iot's parse_duration, so that a bad interval is refused
// here before anything is sent.

const UNITS = { d: [86400000, 4], h: [3600000, 3], m: [60000, 2], s: [1000, 1], ms: [1, 0] };

export const MIN_INTERVAL_MS = 1;
export const MAX_INTERVAL_MS = 24 * 3600 * 1000;

// { ms } or { error } with a one-line reason.
export function parseDuration(text) {
  const s = String(text).trim();
  if (s === '') return { error: 'the duration is empty' };
  const what = `duration "${s}"`;
  const garbage = {
    error: `${what} is not a duration: use a number and a unit (ms, s, m, h, d), like 250ms, 5s, 1m30s or 30d`,
  };
  if (s.startsWith('-')) return { error: `${what} is negative` };
  const part = /(\d*)(?:\.(\d*))?([A-Za-z]*)/y;
  let total = 0;
  let lastRank = 5;
  let i = 0;
  let first = true;
  while (i < s.length) {
    part.lastIndex = i;
    const m = part.exec(s);
    const [whole, integer, fraction = '', unit] = m;
    if (integer === '' && fraction === '') return garbage;
    i += whole.length;
    let scale;
    if (unit === '') {
      if (!first || i !== s.length) {
        if (i < s.length && !/\d/.test(s[i])) return garbage;
        return { error: `${what} needs a unit after every number of a combined duration` };
      }
      scale = 1000;
    } else {
      const info = UNITS[unit];
      if (!info) return { error: `${what} has an unknown unit "${unit}": use ms, s, m, h or d` };
      if (info[1] >= lastRank) {
        return { error: `${what}: combine units from the largest to the smallest, each once (like 1h30m)` };
      }
      lastRank = info[1];
      scale = info[0];
    }
    total += Number(`${integer || '0'}.${fraction || '0'}`) * scale;
    if (!Number.isFinite(total) || total > Number.MAX_SAFE_INTEGER) return { error: `${what} is too large` };
    first = false;
  }
  return { ms: Math.round(total) };
}

// { ms } for a valid measurement interval (1 ms to 24 h), else { error }.
export function parseInterval(text) {
  const d = parseDuration(text);
  if (d.error) return d;
  if (d.ms < MIN_INTERVAL_MS || d.ms > MAX_INTERVAL_MS) {
    return { error: `the interval must be from 1ms to 24h (got ${d.ms} ms)` };
  }
  return d;
}

// "250ms", "5s", "1m30s", "2h"
export function formatDuration(ms) {
  if (ms === 0) return '0s';
  let out = '';
  let v = ms;
  for (const [name, [unit]] of Object.entries(UNITS)) {
    if (name === 'd') continue;
    const n = Math.floor(v / unit);
    if (n === 0) continue;
    out += `${n}${name}`;
    v -= n * unit;
  }
  return out;
}
