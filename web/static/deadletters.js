// Dead letters: commands a sensor could not read, newest first, with the
// reason and the payload. The whole fleet's page, and one sensor's table.

import { enc, getJson } from './api.js';
import { el, sensorHref, time } from './format.js';

function payloadOf(d) {
  if (d.unreadable !== undefined) return d.unreadable;
  if (d.payload !== undefined) return d.payload + (d.truncated ? ' …' : '');
  if (d.payload_base64 !== undefined) return `base64: ${d.payload_base64}${d.truncated ? ' …' : ''}`;
  return '';
}

// A table of dead letters (with the sensor column when `withSensor`).
export async function deadLetterTable(target, { sensor, limit = 100, withSensor = true, caption }) {
  const q = `limit=${limit}${sensor ? `&sensor=${enc(sensor)}` : ''}`;
  try {
    const page = await getJson(`/deadletters?${q}`);
    if (page.deadletters.length === 0) {
      target.replaceChildren(el('p', { class: 'empty' }, 'No dead letters.'));
      return;
    }
    const head = ['Received', ...(withSensor ? ['Sensor'] : []), 'Reason', 'Payload'];
    const rows = page.deadletters.map((d) => el('tr', { dataset: { deadletterSequence: d.deadletter_sequence } },
      el('td', {}, time(d.received_at)),
      withSensor ? el('td', {}, d.sensor_id ? el('a', { href: sensorHref(d.sensor_id) }, d.sensor_id) : '') : null,
      el('td', {}, d.reason ?? (d.unreadable !== undefined ? 'not written by a sensor' : '')),
      el('td', {}, el('code', { class: 'payload' }, payloadOf(d)))));
    target.replaceChildren(el('table', { class: 'deadletters' },
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, ...head.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, ...rows)),
    page.more ? el('p', {}, `The newest ${limit} are shown.`) : '');
  } catch (e) {
    target.replaceChildren(el('p', { class: 'error', role: 'alert' }, `Dead letters could not be loaded: ${e.message}`));
  }
}

export function showDeadLetters(container) {
  const list = el('div', { class: 'deadletter-list', 'aria-busy': 'true' }, 'Loading…');
  container.append(el('h1', {}, 'Dead letters'), list);
  deadLetterTable(list, { caption: 'Newest first' }).then(() => list.removeAttribute('aria-busy'));
  return () => {};
}
