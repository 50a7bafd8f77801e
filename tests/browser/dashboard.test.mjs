// The dashboard in a real browser (Debian's chromium, driven by
// playwright-core) against real nats-server, iot-server and iot-sensor
// processes. The cases share one set of processes and run in order.

import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  accessibilityViolations, launchBrowser, openPage, publishRaw, startNats, startSensors, startServer, tempDir,
} from './fixture.mjs';

const WAIT = 30000;
const shots = process.env.BROWSER_SCREENSHOTS || tempDir('screenshots');
mkdirSync(shots, { recursive: true });

let nats;
let server;
let serverDir;
let fleet;
let probe;
let gone;
let browser;
let restartedAt = Infinity; // when the iot-server of the cases was restarted

before(async () => {
  nats = await startNats();
  serverDir = tempDir('server');
  server = await startServer(nats.url, serverDir);
  fleet = await startSensors(nats.url, 'f', { count: 20, interval: '1s', dir: serverDir });
  probe = await startSensors(nats.url, 'probe', { interval: '200ms', dir: serverDir });
  gone = await startSensors(nats.url, 'gone', { interval: '100ms', dir: serverDir });
  await Promise.all([fleet.waitFor(/fleet started/), probe.waitFor(/started/), gone.waitFor(/started/)]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const p of [fleet, probe, gone, server, nats]) await p?.stop();
  for (const d of [serverDir, nats?.dir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function sensorPage(id) {
  const opened = await openPage(browser.context);
  await opened.page.goto(`${server.base}/#/sensors/${id}`);
  return opened;
}

const livePlot = (page) => page.locator('[data-testid="live-plot"]');

async function attr(locator, name) {
  return Number(await locator.getAttribute(name));
}

// Until `predicate` (run in the page with `arg`) holds.
function until(page, predicate, arg) {
  return page.waitForFunction(predicate, arg, { timeout: WAIT, polling: 100 });
}

test('the fleet page loads with no console error and no failed request', async () => {
  const { page, problems } = await openPage(browser.context);
  await page.goto(`${server.base}/`);
  await page.locator('.fleet[data-loaded="true"]').waitFor({ timeout: WAIT });
  await page.locator('#connection[data-state="open"]').waitFor({ timeout: WAIT });
  assert.deepEqual(problems, []);
  await page.close();
});

test('a 20-sensor fleet appears with the right statuses', async () => {
  // "gone" measured, then stopped: offline after three intervals.
  await assert.doesNotReject(gone.stop());
  const { page } = await openPage(browser.context);
  await page.goto(`${server.base}/`);
  for (let i = 1; i <= 20; ++i) {
    await page.locator(`.fleet-row[data-sensor-id="f.${i}"][data-status="online"]`).waitFor({ timeout: WAIT });
  }
  await page.locator('.fleet-row[data-sensor-id="gone"][data-status="offline"]').waitFor({ timeout: WAIT });
  await until(page, () => document.querySelector('.fleet-counts')?.dataset.online === '21');
  assert.match(await page.locator('.fleet-counts').textContent(), /22 sensors: 21 online, 1 offline, 0 unknown/);
  // A fleet's members in the order of their numbers: f.2 before f.10.
  const shown = await page.evaluate(() =>
    [...document.querySelectorAll('.fleet-row[data-sensor-id]:not([hidden])')]
      .sort((a, b) => Number(a.getAttribute('aria-rowindex')) - Number(b.getAttribute('aria-rowindex')))
      .map((row) => row.dataset.sensorId)
      .filter((id) => id.startsWith('f.')));
  assert.deepEqual(shown.slice(0, 11), ['f.1', 'f.2', 'f.3', 'f.4', 'f.5', 'f.6', 'f.7', 'f.8', 'f.9', 'f.10', 'f.11']);
  // Search by id narrows the rows.
  await page.getByLabel('Search by id').fill('f.1');
  await until(page, () => document.querySelectorAll('.fleet-row[data-sensor-id]:not([hidden])').length === 11);
  await page.getByLabel('Search by id').fill('');
  await page.screenshot({ path: path.join(shots, 'fleet.png') });
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.close();
});

test('the live plot gains points as measurements arrive', async () => {
  const { page } = await sensorPage('probe');
  const plot = livePlot(page);
  await until(page, () => Number(document.querySelector('[data-testid="live-plot"]').dataset.points) >= 3);
  const before = await attr(plot, 'data-points');
  await until(page, (n) => Number(document.querySelector('[data-testid="live-plot"]').dataset.points) >= n + 5, before);
  assert.ok(await attr(plot, 'data-points') >= before + 5);
  await page.close();
});

test('changing the interval shows "applied" and the sensor measures at the new rate', async () => {
  const { page } = await sensorPage('probe');
  await until(page, () => Number(document.querySelector('[data-testid="live-plot"]').dataset.observedIntervalMs) > 0);
  assert.ok(await attr(livePlot(page), 'data-observed-interval-ms') < 400);
  await page.getByLabel('Interval').fill('600ms');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('status').filter({ hasText: 'applied' }).waitFor({ timeout: WAIT });
  // Five gaps of 600 ms in a row: the median settles on the new rate.
  await until(page, () => Number(document.querySelector('[data-testid="live-plot"]').dataset.observedIntervalMs) >= 500);
  const observed = await attr(livePlot(page), 'data-observed-interval-ms');
  assert.ok(observed >= 500 && observed <= 700, `measured every ${observed} ms`);
  await page.close();
});

test('a bad interval shows the validation error and sends nothing', async () => {
  const { page } = await sensorPage('probe');
  const sent = [];
  page.on('request', (r) => {
    if (r.method() === 'PUT') sent.push(r.url());
  });
  await page.locator('[data-testid="live-plot"][data-points]').waitFor({ timeout: WAIT });
  for (const bad of ['fast', '0ms', '25h', '1h30']) {
    await page.getByLabel('Interval').fill(bad);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.locator('#interval-error').filter({ hasText: bad === '0ms' || bad === '25h' ? 'from 1ms to 24h' : `"${bad}"` })
      .waitFor({ timeout: WAIT });
    assert.equal(await page.getByLabel('Interval').getAttribute('aria-invalid'), 'true');
  }
  // A request that is sent is seen here: a good interval after the bad ones.
  await page.getByLabel('Interval').fill('600ms');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.getByRole('status').filter({ hasText: 'applied' }).waitFor({ timeout: WAIT });
  assert.equal(sent.length, 1, sent.join('\n'));
  assert.equal(await page.locator('#interval-error').textContent(), '');
  await page.close();
});

test('a command to a stopped sensor shows "queued", then "applied" once it runs', async () => {
  const { page } = await sensorPage('probe');
  await page.locator('.facts .status[data-status="online"]').waitFor({ timeout: WAIT });
  probe.signal('SIGSTOP');
  try {
    await page.locator('.facts .status[data-status="offline"]').waitFor({ timeout: WAIT });
    await page.getByLabel('Interval').fill('300ms');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('status').filter({ hasText: 'queued' }).waitFor({ timeout: WAIT });
  } finally {
    probe.signal('SIGCONT');
  }
  await page.getByRole('status').filter({ hasText: 'applied: interval now 300ms' }).waitFor({ timeout: WAIT });
  await page.locator('.facts .status[data-status="online"]').waitFor({ timeout: WAIT });
  await page.screenshot({ path: path.join(shots, 'sensor.png') });
  assert.deepEqual(await accessibilityViolations(page), []);
  await page.close();
});

test('correcting one measurement: applied, and marked as corrected', async () => {
  const { page } = await sensorPage('probe');
  const recent = page.locator('table.recent tbody tr');
  await recent.first().waitFor({ timeout: WAIT });
  const lecture = (await recent.last().locator('td').first().textContent()).trim();
  await page.getByRole('button', { name: `Correct measurement ${lecture}` }).click();
  assert.equal(await page.getByLabel('Lecture id').inputValue(), lecture);
  await page.getByLabel('Corrected value').fill('99.5');
  await page.getByRole('button', { name: 'Correct', exact: true }).click();
  await page.getByRole('status').filter({ hasText: `Correction of ${lecture} applied` }).waitFor({ timeout: WAIT });
  // The correction event marks it, in the table and on the plot.
  await page.locator('table.recent td.corrected').filter({ hasText: '99.5' }).waitFor({ timeout: WAIT });
  await page.close();
});

test('an event stream cut by stopping iot-server recovers with no gap', async () => {
  const { page } = await sensorPage('probe');
  const plot = livePlot(page);
  await until(page, () => Number(document.querySelector('[data-testid="live-plot"]').dataset.points) >= 5);
  restartedAt = Date.now();
  assert.equal(await server.stop(), 0);
  await page.locator('#connection[data-state="lost"]').waitFor({ timeout: WAIT });
  const cut = await attr(plot, 'data-last-seq');
  server = await startServer(nats.url, serverDir, server.port);
  await page.locator('#connection[data-state="open"]').waitFor({ timeout: WAIT });
  await until(page, (n) => Number(document.querySelector('[data-testid="live-plot"]').dataset.lastSeq) >= n + 10, cut);
  // Every sequence once: as many points as sequence numbers.
  const first = await attr(plot, 'data-first-seq');
  const last = await attr(plot, 'data-last-seq');
  assert.equal(await attr(plot, 'data-points'), last - first + 1, `points for ${first}..${last}`);
  await page.close();
});

test('history survives a restart of iot-server: the 1 h range still shows stored points', async () => {
  const { page } = await sensorPage('probe');
  await page.getByRole('button', { name: '1 h' }).click();
  await page.locator('[data-testid="history-plot"][data-range="1 h"]').waitFor({ timeout: WAIT });
  const history = page.locator('[data-testid="history-plot"]');
  assert.ok(await attr(history, 'data-buckets') >= 2);
  // Buckets from before the restart, stored by the iot-server before.
  assert.ok(Date.parse(await history.getAttribute('data-first-bucket')) < restartedAt - 15000);
  await page.close();
});

test('dead letters: newest first, with reason and payload, on their page and the sensor\'s', async () => {
  // Commands the sensor cannot read: it sets them aside as dead letters.
  await publishRaw(nats.url, 'sensor.commands.probe', 'first unreadable command');
  await publishRaw(nats.url, 'sensor.commands.probe', 'second unreadable command');
  // Stored by the sensor as it reads them: until the API lists both.
  const deadline = Date.now() + WAIT;
  for (;;) {
    const listed = await (await fetch(`${server.base}/api/v1/deadletters?sensor=probe`)).json();
    if (listed.deadletters.length >= 2) break;
    assert.ok(Date.now() < deadline, 'the dead letters were not stored');
    await new Promise((r) => setTimeout(r, 100));
  }
  const { page, problems } = await openPage(browser.context);
  await page.goto(`${server.base}/#/deadletters`);
  await page.locator('.deadletter-list:not([aria-busy])').waitFor({ timeout: WAIT });
  const rows = page.locator('.deadletters tbody tr');
  assert.match(await rows.nth(0).textContent(), /probe.*second unreadable command/);
  assert.match(await rows.nth(1).textContent(), /probe.*first unreadable command/);
  assert.notEqual((await rows.nth(0).locator('td').nth(2).textContent()).trim(), '');
  assert.deepEqual(await accessibilityViolations(page), []);
  assert.deepEqual(problems, []);
  await page.goto(`${server.base}/#/sensors/probe`);
  await page.locator('.deadletters tbody tr').filter({ hasText: 'second unreadable command' }).waitFor({ timeout: WAIT });
  await page.close();
});

test('with an API token, the page asks for it once and keeps it for the session', async () => {
  const dir = tempDir('token');
  const guarded = await startServer(nats.url, dir, 0, ['--role', 'http', '--api-token', 'browser-s3cret']);
  try {
    const { page } = await openPage(browser.context);
    await page.goto(`${guarded.base}/`);
    const dialog = page.getByRole('dialog', { name: 'API token' });
    await dialog.waitFor({ timeout: WAIT });
    await page.getByLabel('Token', { exact: true }).fill('wrong');
    await page.getByRole('button', { name: 'Use token' }).click();
    await dialog.getByText('That token was refused.').waitFor({ timeout: WAIT });
    await page.getByLabel('Token', { exact: true }).fill('browser-s3cret');
    await page.getByRole('button', { name: 'Use token' }).click();
    await page.locator('.fleet[data-loaded="true"]').waitFor({ timeout: WAIT });
    // The event stream too: it sends the token in a header.
    await page.locator('#connection[data-state="open"]').waitFor({ timeout: WAIT });
    await page.locator('.fleet-row[data-sensor-id="f.1"]').waitFor({ timeout: WAIT });
    // Kept for the session: another view asks nothing.
    await page.goto(`${guarded.base}/#/sensors/probe`);
    await page.locator('[data-testid="live-plot"]:not([data-points="0"])').waitFor({ timeout: WAIT });
    assert.equal(await dialog.isVisible(), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('iot-api-token')), 'browser-s3cret');
    await page.close();
  } finally {
    assert.equal(await guarded.stop(), 0);
    rmSync(dir, { recursive: true, force: true });
  }
});
