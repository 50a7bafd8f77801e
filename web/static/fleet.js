// The fleet overview: every sensor with its status, last value, interval and
// last seen; counts per status; search by id; sorting. Rows are drawn only
// where visible (a virtualised list) and the event stream's updates are
// applied once per animation frame, so that a fleet of 10 000 sensors
// measuring every second keeps the page responsive.

import { getJson } from './api.js';
import { followEvents } from './events.js';
import { formatDuration } from './duration.js';
import { ago, el, sensorHref, value } from './format.js';

const ROW_HEIGHT = 32; // px; the same as .fleet-row's height in app.css
const OVERSCAN = 6;
const FIRST_PAGE = 100; // enough to fill the screen: drawn before the rest arrives
const PAGE = 1000; // the API's largest
const RESORT_MS = 1000; // volatile sort keys are re-sorted at most this often
const STATUSES = ['online', 'offline', 'unknown'];

// Numbers with the missing ones first.
function byNumber(x, y) {
  const a = x ?? -Infinity;
  const b = y ?? -Infinity;
  return a === b ? 0 : a < b ? -1 : 1;
}

// A fleet's members in the order of their numbers (plant.2 before plant.10),
// other ids as text: [base, number] made once per sensor, so that sorting
// 10 000 rows takes no string apart.
function idOrder(id) {
  const dot = id.lastIndexOf('.');
  const member = id.slice(dot + 1);
  return dot > 0 && /^[1-9][0-9]{0,14}$/.test(member) ? [id.slice(0, dot), Number(member)] : [id, 0];
}

function byId(a, b) {
  const [x, y] = [a.idOrder, b.idOrder];
  if (x[0] !== y[0]) return x[0] < y[0] ? -1 : 1;
  return x[1] - y[1] || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const COLUMNS = [
  { key: 'id', title: 'Sensor', cmp: byId },
  { key: 'status', title: 'Status', cmp: (a, b) => a.status.localeCompare(b.status), volatile: true },
  { key: 'value', title: 'Last value', cmp: (a, b) => byNumber(a.value, b.value), volatile: true },
  { key: 'interval', title: 'Interval', cmp: (a, b) => byNumber(a.intervalMs, b.intervalMs), volatile: true },
  { key: 'seen', title: 'Last seen', cmp: (a, b) => byNumber(a.seenMs, b.seenMs), volatile: true },
];

// A sensor of the API as the row's fields.
function rowOf(s) {
  const m = s.last_measurement;
  return {
    id: s.id,
    idOrder: idOrder(s.id),
    status: s.status,
    value: m ? m.value : null,
    text: value(m),
    intervalMs: s.config ? s.config.interval_ms : null,
    seenMs: s.last_seen ? Date.parse(s.last_seen) : null,
  };
}

export function showFleet(container) {
  const sensors = new Map();
  let order = [];
  let sortBy = COLUMNS[0];
  let ascending = true;
  let filter = '';
  let orderDirty = true;
  let lastSort = 0;
  let frame = 0;
  let stopped = false;
  let events = 0;

  const counts = el('p', { class: 'fleet-counts', 'aria-live': 'polite' });
  const search = el('input', { id: 'fleet-search', type: 'search', name: 'search', autocomplete: 'off' });
  const headerCells = COLUMNS.map((c) =>
    el('div', { role: 'columnheader', class: `cell cell-${c.key}`, 'aria-sort': 'none' },
      el('button', { type: 'button', onclick: () => sortOn(c) }, c.title)));
  const header = el('div', { role: 'rowgroup', class: 'fleet-head' },
    el('div', { role: 'row', class: 'fleet-row', 'aria-rowindex': '1' }, ...headerCells));
  const spacer = el('div', { role: 'rowgroup', class: 'fleet-body' });
  // The table scrolls; its header row sticks to the top.
  const table = el('div', {
    role: 'table', class: 'fleet', tabindex: '0', 'aria-label': 'Sensors', 'aria-rowcount': '1',
  }, header, spacer);
  container.append(
    el('h1', {}, 'Fleet'),
    el('div', { class: 'fleet-tools' },
      el('label', { for: 'fleet-search' }, 'Search by id'), search, counts),
    table);

  const pool = []; // row elements, reused as the list scrolls

  function sortOn(column) {
    ascending = sortBy === column ? !ascending : true;
    sortBy = column;
    headerCells.forEach((h, i) =>
      h.setAttribute('aria-sort', COLUMNS[i] === sortBy ? (ascending ? 'ascending' : 'descending') : 'none'));
    orderDirty = true;
    lastSort = 0;
    schedule();
  }

  function rebuildOrder() {
    const list = [];
    for (const s of sensors.values()) if (filter === '' || s.id.includes(filter)) list.push(s);
    const cmp = sortBy.cmp;
    list.sort(ascending ? (a, b) => cmp(a, b) || COLUMNS[0].cmp(a, b) : (a, b) => cmp(b, a) || COLUMNS[0].cmp(a, b));
    order = list;
    orderDirty = false;
    lastSort = performance.now();
    spacer.style.height = `${order.length * ROW_HEIGHT}px`;
    table.setAttribute('aria-rowcount', String(order.length + 1));
  }

  function renderCounts() {
    const n = { online: 0, offline: 0, unknown: 0 };
    for (const s of sensors.values()) n[s.status] = (n[s.status] || 0) + 1;
    const text = `${sensors.size} sensors: ${STATUSES.map((k) => `${n[k]} ${k}`).join(', ')}`;
    if (counts.textContent !== text) counts.textContent = text;
    for (const k of STATUSES) counts.dataset[k] = n[k];
    counts.dataset.total = sensors.size;
    table.dataset.events = events; // how many the stream brought, for measurements
  }

  function makeRow() {
    const link = el('a');
    const cells = [el('div', { role: 'cell', class: 'cell cell-id' }, link)];
    for (const c of COLUMNS.slice(1)) cells.push(el('div', { role: 'cell', class: `cell cell-${c.key}` }));
    const row = el('div', { role: 'row', class: 'fleet-row' }, ...cells);
    row.link = link;
    row.cells = cells;
    spacer.append(row);
    return row;
  }

  function setText(node, text) {
    if (node.textContent !== text) node.textContent = text;
  }

  function renderRows() {
    const now = Date.now();
    const top = table.scrollTop - ROW_HEIGHT; // under the header row
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(order.length, Math.ceil((top + table.clientHeight) / ROW_HEIGHT) + OVERSCAN);
    const n = Math.max(0, last - first);
    while (pool.length < n) pool.push(makeRow());
    for (let i = 0; i < pool.length; ++i) {
      const row = pool[i];
      if (i >= n) {
        row.hidden = true;
        continue;
      }
      const s = order[first + i];
      row.hidden = false;
      row.style.transform = `translateY(${(first + i) * ROW_HEIGHT}px)`;
      row.setAttribute('aria-rowindex', String(first + i + 2));
      if (row.dataset.sensorId !== s.id) {
        row.dataset.sensorId = s.id;
        row.link.href = sensorHref(s.id);
        row.link.textContent = s.id;
      }
      row.dataset.status = s.status;
      const [, status, val, interval, seen] = row.cells;
      setText(status, s.status);
      status.dataset.status = s.status;
      setText(val, s.text);
      setText(interval, s.intervalMs ? formatDuration(s.intervalMs) : '');
      setText(seen, s.seenMs ? ago(s.seenMs, now) : 'never');
    }
  }

  function render() {
    frame = 0;
    if (stopped) return;
    if (orderDirty && (!sortBy.volatile || performance.now() - lastSort >= RESORT_MS || lastSort === 0)) rebuildOrder();
    renderCounts();
    renderRows();
  }

  function schedule() {
    if (!frame) frame = requestAnimationFrame(render);
  }

  function touch() {
    if (sortBy.volatile) orderDirty = true;
    schedule();
  }

  // A sensor of a page of the list. Events may have told newer things since
  // the page was read: those stay.
  function add(row) {
    const known = sensors.get(row.id);
    if (!known) {
      sensors.set(row.id, row);
      orderDirty = true;
      return;
    }
    if (!known.statusFromEvent) known.status = row.status;
    if (!known.intervalFromEvent) known.intervalMs = row.intervalMs;
    if ((row.seenMs ?? 0) > (known.seenMs ?? 0)) {
      known.value = row.value;
      known.text = row.text;
      known.seenMs = row.seenMs;
    }
  }

  function entry(id) {
    let s = sensors.get(id);
    if (!s) {
      s = { id, idOrder: idOrder(id), status: 'unknown', value: null, text: '', intervalMs: null, seenMs: null };
      sensors.set(id, s);
      orderDirty = true;
    }
    return s;
  }

  const stopEvents = followEvents((type, data) => {
    ++events;
    const d = JSON.parse(data);
    if (type === 'measurement' || type === 'correction') {
      const s = entry(d.sensor_id);
      const at = Date.parse(d.timestamp);
      if (type === 'correction' && s.seenMs !== null && at < s.seenMs) return;
      s.value = d.value;
      s.text = value(d);
      s.seenMs = Math.max(s.seenMs ?? 0, at);
    } else if (type === 'sensor_status') {
      const s = entry(d.sensor_id);
      s.status = d.status;
      s.statusFromEvent = true;
    } else if (type === 'command_result') {
      if (!d.config) return;
      const s = entry(d.sensor_id);
      s.intervalMs = d.config.interval_ms;
      s.intervalFromEvent = true;
    } else {
      return;
    }
    touch();
  });

  search.addEventListener('input', () => {
    filter = search.value.trim();
    orderDirty = true;
    lastSort = 0;
    table.scrollTop = 0;
    schedule();
  });
  table.addEventListener('scroll', schedule, { passive: true });
  addEventListener('resize', schedule);
  const clock = setInterval(schedule, 1000); // "last seen" moves on

  (async () => {
    let cursor = null;
    table.setAttribute('aria-busy', 'true');
    try {
      do {
        const q = `limit=${cursor ? `${PAGE}&cursor=${encodeURIComponent(cursor)}` : FIRST_PAGE}`;
        const page = await getJson(`/sensors?${q}`);
        if (stopped) return;
        for (const s of page.sensors) add(rowOf(s));
        lastSort = 0;
        schedule();
        cursor = page.next_cursor;
      } while (cursor);
      table.dataset.loaded = 'true';
    } catch (e) {
      container.append(el('p', { class: 'error', role: 'alert' }, `The sensors could not be loaded: ${e.message}`));
    } finally {
      table.removeAttribute('aria-busy');
    }
  })();

  return () => {
    stopped = true;
    stopEvents();
    clearInterval(clock);
    removeEventListener('resize', schedule);
    if (frame) cancelAnimationFrame(frame);
  };
}
