// One sensor: its state, a live plot from the event stream, its history in
// server-side buckets, the interval form, a correction form and its dead
// letters.

import { enc, getJson, putJson } from './api.js';
import { followEvents } from './events.js';
import { formatDuration, parseInterval } from './duration.js';
import { ago, el, value } from './format.js';
import { historyPlot, livePlot } from './plots.js';
import { deadLetterTable } from './deadletters.js';

const LIVE_POINTS = 3600; // the live plot keeps this many measurements
const RECENT_ROWS = 8;
const RANGES = [
  { label: '15 min', ms: 15 * 60e3, step: '5s' },
  { label: '1 h', ms: 3600e3, step: '15s' },
  { label: '24 h', ms: 86400e3, step: '5m' },
  { label: '7 days', ms: 7 * 86400e3, step: '30m' },
];

// The median of the gaps between the last timestamps (ms), or null.
function observedInterval(xs) {
  const gaps = [];
  for (let i = Math.max(1, xs.length - 6); i < xs.length; ++i) gaps.push((xs[i] - xs[i - 1]) * 1000);
  if (gaps.length < 3) return null;
  gaps.sort((a, b) => a - b);
  return Math.round(gaps[Math.floor(gaps.length / 2)]);
}

export function showSensor(container, id) {
  const teardowns = [];
  let stopped = false;

  // What the sensor is.
  const summary = {
    status: el('dd', { class: 'status' }),
    value: el('dd'),
    interval: el('dd'),
    observed: el('dd'),
    seen: el('dd'),
  };
  const facts = el('dl', { class: 'facts' },
    el('dt', {}, 'Status'), summary.status,
    el('dt', {}, 'Last value'), summary.value,
    el('dt', {}, 'Interval'), summary.interval,
    el('dt', {}, 'Measured every'), summary.observed,
    el('dt', {}, 'Last seen'), summary.seen);
  let seenMs = null;

  // The outcome of commands, announced.
  const outcome = el('p', { role: 'status', class: 'outcome', id: 'command-status' });
  const pending = new Map(); // command uuid -> what it does, until its result

  function announce(kind, text) {
    outcome.dataset.outcome = kind;
    outcome.textContent = text;
  }

  function showResult(what, r) {
    if (r.status === 'applied') {
      const now = r.config ? `: interval now ${r.config.interval}` : '';
      announce('applied', `${what} applied${now}.`);
    } else if (r.status === 'rejected') {
      announce('rejected', `${what} rejected: ${r.error || r.detail || 'no reason given'}.`);
    } else if (r.status === 'queued') {
      announce('queued', `${what} queued: the sensor has not taken it yet; it applies it when it runs.`);
    } else if (r.status === 'taken') {
      announce('taken', `${what} taken by the sensor, no answer yet.`);
    } else {
      announce('failed', `${what} failed: ${r.error || 'no reason given'}.`);
    }
  }

  // The answer of a command's PUT.
  function answered(what, { status, body }, onProblem) {
    if ((status === 200 || status === 202) && body) {
      if (status === 202) pending.set(body.command_uuid, what);
      showResult(what, body);
    } else if (status === 422 && body) {
      showResult(what, { status: 'rejected', detail: body.detail });
    } else if (status === 400 && onProblem) {
      onProblem(body?.detail || 'the server refused the request');
      announce('invalid', `${what} not sent: ${body?.detail || 'a bad request'}.`);
    } else {
      announce('failed', `${what} failed: ${body?.detail || `HTTP ${status}`}.`);
    }
  }

  // The interval form.
  const intervalInput = el('input', {
    id: 'interval', name: 'interval', type: 'text', autocomplete: 'off', spellcheck: 'false',
    'aria-describedby': 'interval-hint interval-error', placeholder: '5s',
  });
  const intervalError = el('p', { id: 'interval-error', class: 'error' });
  const configForm = el('form', { class: 'config', novalidate: true },
    el('label', { for: 'interval' }, 'Interval'),
    intervalInput,
    el('button', { type: 'submit' }, 'Apply'),
    el('p', { id: 'interval-hint', class: 'hint' }, 'A duration from 1ms to 24h: 250ms, 5s, 1m30s.'),
    intervalError);

  function intervalProblem(text) {
    intervalError.textContent = text;
    intervalInput.setAttribute('aria-invalid', text ? 'true' : 'false');
  }

  configForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = intervalInput.value.trim();
    const parsed = parseInterval(text);
    if (parsed.error) {
      intervalProblem(parsed.error);
      intervalInput.focus();
      return;
    }
    intervalProblem('');
    announce('sending', 'Interval change sent…');
    const answer = await putJson(`/sensors/${enc(id)}/config?timeout=5s`, { interval: text });
    if (!stopped) answered('Interval change', answer, intervalProblem);
  });

  // Correcting one measurement.
  const lectureInput = el('input', { id: 'lecture-id', name: 'lecture_id', type: 'text', inputmode: 'numeric', autocomplete: 'off' });
  const valueInput = el('input', { id: 'corrected-value', name: 'value', type: 'text', autocomplete: 'off' });
  const correctionError = el('p', { id: 'correction-error', class: 'error' });
  const correctionForm = el('form', { class: 'correction', novalidate: true },
    el('label', { for: 'lecture-id' }, 'Lecture id'), lectureInput,
    el('label', { for: 'corrected-value' }, 'Corrected value'), valueInput,
    el('button', { type: 'submit' }, 'Correct'),
    correctionError);
  correctionForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const lecture = lectureInput.value.trim();
    const v = valueInput.value.trim();
    if (!/^\d+$/.test(lecture)) {
      correctionError.textContent = 'The lecture id is a whole number: pick one of the recent measurements.';
      return;
    }
    if (v === '') {
      correctionError.textContent = 'The corrected value is empty.';
      return;
    }
    correctionError.textContent = '';
    announce('sending', 'Correction sent…');
    const answer = await putJson(`/sensors/${enc(id)}/measurements/${lecture}?timeout=5s`, { value: v });
    if (!stopped) answered(`Correction of ${lecture}`, answer, (t) => { correctionError.textContent = t; });
  });

  const recentBody = el('tbody');
  const recent = el('table', { class: 'recent' },
    el('caption', {}, 'Recent measurements'),
    el('thead', {}, el('tr', {},
      ...['Lecture id', 'Taken', 'Value', ''].map((h) => el('th', { scope: 'col' }, h)))),
    recentBody);

  // The live plot.
  const liveTarget = el('div', { class: 'plot', 'data-testid': 'live-plot', dataset: { points: '0' } });
  const xs = [];
  const ys = [];
  const corrected = [];
  const lectures = [];
  const readings = []; // the lectures as the sensor wrote them ("20.41")
  let live = null;
  let frame = 0;
  let changed = false; // measurements came since the last frame

  function draw() {
    frame = 0;
    if (stopped) return;
    if (!live) live = livePlot(liveTarget, '');
    if (changed) {
      live.plot.setData([xs, ys, corrected]);
      liveTarget.dataset.points = String(xs.length);
      renderRecent();
      changed = false;
    }
    const every = observedInterval(xs);
    summary.observed.textContent = every ? formatDuration(every) : '';
    liveTarget.dataset.observedIntervalMs = every ?? '';
    summary.seen.textContent = seenMs ? ago(seenMs) : 'never';
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(draw);
  }

  function renderRecent() {
    const rows = [];
    for (let i = xs.length - 1; i >= 0 && rows.length < RECENT_ROWS; --i) {
      const lecture = lectures[i];
      rows.push(el('tr', {},
        el('td', {}, String(lecture)),
        el('td', {}, new Date(xs[i] * 1000).toLocaleTimeString()),
        el('td', { class: corrected[i] !== null ? 'corrected' : '' }, readings[i]),
        el('td', {}, el('button', {
          type: 'button',
          'aria-label': `Correct measurement ${lecture}`,
          onclick: () => {
            lectureInput.value = String(lecture);
            valueInput.value = readings[lectures.indexOf(lecture)] ?? '';
            valueInput.focus();
          },
        }, 'Correct'))));
    }
    recentBody.replaceChildren(...rows);
  }

  function measured(m) {
    const x = Date.parse(m.timestamp) / 1000;
    if (xs.length > 0 && x < xs[xs.length - 1]) return; // out of order: not for a line
    xs.push(x);
    ys.push(m.value);
    corrected.push(m.revision > 1 ? m.value : null);
    lectures.push(m.lecture_id);
    readings.push(m.lecture);
    if (xs.length > LIVE_POINTS) {
      xs.shift();
      ys.shift();
      corrected.shift();
      lectures.shift();
      readings.shift();
    }
    if (liveTarget.dataset.firstSeq === undefined) liveTarget.dataset.firstSeq = m.seq;
    liveTarget.dataset.lastSeq = m.seq;
    liveTarget.dataset.lastStreamSeq = m.stream_seq;
    summary.value.textContent = value(m);
    seenMs = Math.max(seenMs ?? 0, x * 1000);
    changed = true;
  }

  function correctedLive(m) {
    const i = lectures.lastIndexOf(m.lecture_id);
    if (i < 0) return;
    ys[i] = m.value;
    corrected[i] = m.value;
    readings[i] = m.lecture;
    changed = true;
  }

  function setStatus(status) {
    summary.status.textContent = status;
    summary.status.dataset.status = status;
  }

  function setConfig(config) {
    summary.interval.textContent = config ? config.interval : '';
  }

  // History in buckets.
  const historyTarget = el('div', { class: 'plot', 'data-testid': 'history-plot', dataset: { buckets: '0' } });
  const historyNote = el('p', { class: 'hint', 'aria-live': 'polite' });
  const rangeButtons = RANGES.map((r) => el('button', {
    type: 'button', 'aria-pressed': 'false', onclick: () => showRange(r),
  }, r.label));
  let history = null;
  let range = RANGES[1];
  let historyRequest = 0;

  async function showRange(r) {
    range = r;
    rangeButtons.forEach((b, i) => b.setAttribute('aria-pressed', String(RANGES[i] === r)));
    const mine = ++historyRequest;
    const to = new Date();
    const from = new Date(to.getTime() - r.ms);
    historyTarget.setAttribute('aria-busy', 'true');
    try {
      const page = await getJson(`/sensors/${enc(id)}/measurements?from=${from.toISOString()}&to=${to.toISOString()}&step=${r.step}`);
      if (stopped || mine !== historyRequest) return;
      const bx = [];
      const mins = [];
      const maxs = [];
      const avgs = [];
      const marks = [];
      for (const b of page.buckets) {
        bx.push(Date.parse(b.start) / 1000);
        mins.push(b.min);
        maxs.push(b.max);
        avgs.push(b.avg);
        marks.push(null);
      }
      // Corrections seen on this page, marked in their bucket.
      for (let i = 0; i < xs.length; ++i) {
        if (corrected[i] === null) continue;
        const at = bx.findLastIndex((t) => t <= xs[i]);
        if (at >= 0) marks[at] = corrected[i];
      }
      if (!history) history = historyPlot(historyTarget, '');
      history.plot.setData([bx, mins, maxs, avgs, marks]);
      historyTarget.dataset.buckets = String(bx.length);
      historyTarget.dataset.range = r.label;
      historyTarget.dataset.firstBucket = bx.length ? page.buckets[0].start : '';
      historyNote.textContent = `${r.label}: ${bx.length} buckets of ${formatDuration(page.step_ms)}, min/max band and average.`;
    } catch (e) {
      historyNote.textContent = `The history could not be loaded: ${e.message}`;
    } finally {
      historyTarget.removeAttribute('aria-busy');
    }
  }

  const deadLetters = el('div', { class: 'deadletter-list' });

  container.append(
    el('h1', {}, `Sensor ${id}`),
    facts,
    el('section', { 'aria-labelledby': 'live-title' },
      el('h2', { id: 'live-title' }, 'Live'), liveTarget),
    el('section', { 'aria-labelledby': 'history-title' },
      el('h2', { id: 'history-title' }, 'History'),
      el('div', { class: 'ranges', role: 'group', 'aria-label': 'Range' }, ...rangeButtons),
      historyTarget, historyNote),
    el('section', { 'aria-labelledby': 'commands-title' },
      el('h2', { id: 'commands-title' }, 'Commands'),
      configForm, outcome, correctionForm, recent),
    el('section', { 'aria-labelledby': 'deadletters-title' },
      el('h2', { id: 'deadletters-title' }, 'Dead letters'), deadLetters));

  teardowns.push(followEvents((type, data) => {
    const d = JSON.parse(data);
    if (d.sensor_id !== id) return;
    if (type === 'measurement') measured(d);
    else if (type === 'correction') correctedLive(d);
    else if (type === 'sensor_status') setStatus(d.status);
    else if (type === 'command_result') {
      if (d.config) setConfig(d.config);
      const what = pending.get(d.command_uuid);
      if (what) {
        pending.delete(d.command_uuid);
        showResult(what, d);
      }
    }
    schedule();
  }, { sensors: [id] }));

  getJson(`/sensors/${enc(id)}`).then((s) => {
    if (stopped) return;
    setStatus(s.status);
    setConfig(s.config);
    if (s.config_error) summary.interval.textContent = `unreadable config: ${s.config_error}`;
    if (s.last_measurement && summary.value.textContent === '') summary.value.textContent = value(s.last_measurement);
    if (s.last_seen) seenMs = Math.max(seenMs ?? 0, Date.parse(s.last_seen));
    if (s.config && intervalInput.value === '') intervalInput.value = s.config.interval;
    schedule();
  }).catch((e) => {
    facts.after(el('p', { class: 'error', role: 'alert' }, `Sensor ${id}: ${e.message}`));
  });
  showRange(range);
  deadLetterTable(deadLetters, { sensor: id, limit: 20, withSensor: false, caption: `Newest first, of ${id}` });
  const clock = setInterval(schedule, 1000);

  return () => {
    stopped = true;
    clearInterval(clock);
    if (frame) cancelAnimationFrame(frame);
    for (const t of teardowns) t();
    live?.destroy();
    history?.destroy();
  };
}
