#!/usr/bin/env node
// The dashboard's figures (docs/performance.md, "The dashboard"), measured in
// Debian's chromium driven by playwright-core against real programs:
// nats-server, iot-server and a fleet of 10 000 sensors measuring every
// second. Each figure comes with a raw limit measured in the same run: the
// same work done by a bare page with no logic.
//
//   IOT_SERVER_BIN=build/apps/iot-server IOT_SENSOR_BIN=build/apps/iot-sensor \
//     node tools/bench/dashboard.mjs [--sensors 10000] [--seconds 30]

import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  launchBrowser, startNats, startSensors, startServer, tempDir, webDir,
} from '../../tests/browser/fixture.mjs';

const { values: opts } = parseArgs({
  options: {
    sensors: { type: 'string', default: '10000' },
    seconds: { type: 'string', default: '30' },
    points: { type: 'string', default: '86400' },
  },
});
const SENSORS = Number(opts.sensors);
const SECONDS = Number(opts.seconds);
const POINTS = Number(opts.points);
const DYGRAPHS = '/usr/share/javascript/dygraphs/dygraph.min.js';

const figures = {};
const log = (...a) => console.error(...a);

// Frame times (requestAnimationFrame) and long tasks, from the page's start.
const SAMPLER = `
  window.__frames = [];
  window.__longTasks = [];
  new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__longTasks.push([e.startTime, e.duration]); })
    .observe({ type: 'longtask', buffered: true });
  (function tick(t) { window.__frames.push(t); requestAnimationFrame(tick); })(performance.now());
  // How often the event stream was lost (cut off by the server, or failed) and opened again.
  window.__streamLost = 0;
  document.addEventListener('DOMContentLoaded', () => {
    const el = document.getElementById('connection');
    if (!el) return;
    new MutationObserver(() => { if (el.dataset.state !== 'open') window.__streamLost++; })
      .observe(el, { attributes: true, attributeFilter: ['data-state'] });
  });
`;

// Frame and long-task figures over [from, to) of the page's clock.
function sampleStats({ frames, longTasks, from, to }) {
  const gaps = [];
  for (let i = 1; i < frames.length; ++i) if (frames[i - 1] >= from && frames[i] < to) gaps.push(frames[i] - frames[i - 1]);
  gaps.sort((a, b) => a - b);
  const q = (p) => gaps[Math.min(gaps.length - 1, Math.floor(p * gaps.length))];
  const tasks = longTasks.filter(([start]) => start >= from && start < to);
  const seconds = (to - from) / 1000;
  return {
    frames_per_s: +(gaps.length / seconds).toFixed(1),
    frame_ms_median: +q(0.5).toFixed(1),
    frame_ms_p95: +q(0.95).toFixed(1),
    frame_ms_max: +gaps[gaps.length - 1].toFixed(1),
    long_tasks_per_s: +(tasks.length / seconds).toFixed(2),
    long_task_ms_per_s: +(tasks.reduce((s, [, d]) => s + d, 0) / seconds).toFixed(1),
  };
}

async function samplePage(page) {
  const from = await page.evaluate(() => performance.now());
  await page.waitForTimeout(SECONDS * 1000);
  return page.evaluate(({ from }) => ({ frames: window.__frames, longTasks: window.__longTasks, from, to: performance.now() }), { from });
}

// Measurements iot-server has stored so far (its Prometheus counter): what
// the fleet really published, to compare the events the page received with.
async function storedSoFar(base) {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('iot_ingest_rows_total{outcome="stored"}'));
  return line ? Number(line.split(' ').pop()) : NaN;
}

async function fleetFigures(context, base, ids) {
  // The dashboard.
  const page = await context.newPage();
  await page.addInitScript(SAMPLER);
  await page.goto(`${base}/`);
  const drawn = await page.waitForFunction(() => document.querySelector('.fleet-row[data-sensor-id]') && performance.now(),
    null, { timeout: 120000, polling: 'raf' });
  const firstRowsMs = await drawn.jsonValue();
  const known = await page.waitForFunction((n) => {
    const c = document.querySelector('.fleet-counts');
    return document.querySelector('.fleet[data-loaded="true"]') && Number(c?.dataset.total) >= n && performance.now();
  }, SENSORS, { timeout: 120000, polling: 'raf' });
  const rowsKnownMs = await known.jsonValue();
  const paint = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime);
  const bytes = await page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const res = performance.getEntriesByType('resource').filter((r) => !r.name.includes('/api/'));
    return { total: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0), files: res.map((r) => [new URL(r.name).pathname, r.transferSize]) };
  });
  await page.locator('#connection[data-state="open"]').waitFor();
  log(`fleet page: first paint ${paint.toFixed(0)} ms, first rows ${firstRowsMs.toFixed(0)} ms, ${SENSORS} rows known at ${rowsKnownMs.toFixed(0)} ms; sampling ${SECONDS} s`);
  const eventsBefore = Number(await page.locator('.fleet').getAttribute('data-events'));
  const lostBefore = await page.evaluate(() => window.__streamLost);
  const storedBefore = await storedSoFar(base);
  const sample = await samplePage(page);
  const eventsAfter = Number(await page.locator('.fleet').getAttribute('data-events'));
  const lostAfter = await page.evaluate(() => window.__streamLost);
  const storedAfter = await storedSoFar(base);
  const seconds = (sample.to - sample.from) / 1000;
  const updates = {
    events_per_s: Math.round((eventsAfter - eventsBefore) / seconds),
    stored_per_s: Math.round((storedAfter - storedBefore) / seconds),
    stream_lost: lostAfter - lostBefore,
    ...sampleStats(sample),
  };
  await page.close();

  // The raw limit: a bare page with the same rows as static HTML and no logic.
  const bare = await context.newPage();
  const rows = ids.map((id) => `<tr><td>${id}</td><td>online</td><td>21.5 C</td><td>1s</td><td>1 s ago</td></tr>`).join('');
  await bare.route(`${base}/bench/bare-fleet.html`, (r) => r.fulfill({
    contentType: 'text/html', body: `<!doctype html><title>bare</title><table>${rows}</table>`,
  }));
  await bare.addInitScript(SAMPLER);
  await bare.goto(`${base}/bench/bare-fleet.html`);
  const bareFigures = await bare.evaluate(() => ({
    paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    loaded: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
    bytes: performance.getEntriesByType('navigation')[0].transferSize,
  }));
  log(`bare page: first paint ${bareFigures.paint.toFixed(0)} ms; sampling ${SECONDS} s`);
  const bareUpdates = sampleStats(await samplePage(bare));
  await bare.close();

  figures.fleet = {
    sensors: SENSORS,
    first_contentful_paint_ms: Math.round(paint),
    first_rows_drawn_ms: Math.round(firstRowsMs),
    rows_known_ms: Math.round(rowsKnownMs),
    updates,
    bytes_shipped: bytes.total,
    files: bytes.files,
    bare: { first_contentful_paint_ms: Math.round(bareFigures.paint), rows_known_ms: Math.round(bareFigures.loaded), bytes: bareFigures.bytes, idle: bareUpdates },
    ratio: {
      first_paint: +(paint / bareFigures.paint).toFixed(2),
      rows_known: +(rowsKnownMs / bareFigures.loaded).toFixed(2),
      frame_ms_p95: +(updates.frame_ms_p95 / bareUpdates.frame_ms_p95).toFixed(2),
    },
  };
}

// Time to draw POINTS points: uPlot, dygraphs (when installed) and a bare
// canvas (lineTo, no library), each the median of 5 draws in a fresh page.
async function plotFigures(context, base) {
  const libs = { uplot: '/vendor/uPlot.iife.min.js' };
  let dygraphs = null;
  try {
    dygraphs = readFileSync(DYGRAPHS);
  } catch {
    log(`${DYGRAPHS} absent (apt-get install libjs-dygraphs): dygraphs not measured`);
  }
  const draws = {
    uplot: `
      const x = new Float64Array(N), y = new Float64Array(N);
      for (let i = 0; i < N; ++i) { x[i] = 1.7e9 + i; y[i] = 20 + 5 * Math.sin(i / 500) + Math.random(); }
      const t0 = performance.now();
      const u = new uPlot({ width: 1200, height: 400, series: [{}, { stroke: 'blue' }] }, [x, y], document.body);
      return [t0, () => u.destroy()];`,
    dygraphs: `
      const rows = new Array(N);
      for (let i = 0; i < N; ++i) rows[i] = [new Date((1.7e9 + i) * 1000), 20 + 5 * Math.sin(i / 500) + Math.random()];
      const div = document.createElement('div'); div.style.width = '1200px'; div.style.height = '400px'; document.body.append(div);
      const t0 = performance.now();
      const g = new Dygraph(div, rows, { labels: ['t', 'v'] });
      return [t0, () => { g.destroy(); div.remove(); }];`,
    canvas: `
      const x = new Float64Array(N), y = new Float64Array(N);
      for (let i = 0; i < N; ++i) { x[i] = 1.7e9 + i; y[i] = 20 + 5 * Math.sin(i / 500) + Math.random(); }
      const c = document.createElement('canvas'); c.width = 1200; c.height = 400; document.body.append(c);
      const t0 = performance.now();
      const g = c.getContext('2d'); g.beginPath();
      for (let i = 0; i < N; ++i) g.lineTo((x[i] - x[0]) / (x[N - 1] - x[0]) * 1200, 400 - (y[i] - 14) * 25);
      g.stroke();
      return [t0, () => c.remove()];`,
  };
  figures.plot = { points: POINTS };
  for (const [name, body] of Object.entries(draws)) {
    if (name === 'dygraphs' && !dygraphs) continue;
    const page = await context.newPage();
    await page.route(`${base}/bench/dygraph.min.js`, (r) => r.fulfill({ contentType: 'text/javascript', body: dygraphs ?? '' }));
    const script = name === 'uplot' ? libs.uplot : name === 'dygraphs' ? '/bench/dygraph.min.js' : null;
    await page.route(`${base}/bench/plot.html`, (r) => r.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><title>plot</title>${script ? `<script src="${script}"></script>` : ''}<body></body>`,
    }));
    await page.goto(`${base}/bench/plot.html`);
    const times = [];
    for (let run = 0; run < 5; ++run) {
      // Until the frame after the draw has been produced.
      times.push(await page.evaluate(`new Promise((resolve) => {
        const N = ${POINTS};
        const [t0, done] = (() => { ${body} })();
        requestAnimationFrame(() => setTimeout(() => { const t = performance.now() - t0; done(); resolve(t); }));
      })`));
    }
    times.sort((a, b) => a - b);
    figures.plot[`${name}_ms`] = +times[2].toFixed(1);
    log(`plot ${name}: ${times.map((t) => t.toFixed(0)).join(', ')} ms`);
    await page.close();
  }
  figures.plot.ratio_uplot_to_canvas = +(figures.plot.uplot_ms / figures.plot.canvas_ms).toFixed(2);
  const uplotBytes = readFileSync(path.join(webDir, 'node_modules/uplot/dist/uPlot.iife.min.js')).length
    + readFileSync(path.join(webDir, 'node_modules/uplot/dist/uPlot.min.css')).length;
  figures.plot.uplot_bytes = uplotBytes;
  if (dygraphs) figures.plot.dygraphs_bytes = dygraphs.length;
}

const nats = await startNats();
const dir = tempDir('bench');
let server;
let fleet;
let browser;
try {
  server = await startServer(nats.url, dir);
  log(`iot-server on ${server.base}; starting ${SENSORS} sensors`);
  fleet = await startSensors(nats.url, 'b', { count: SENSORS, interval: '1s', dir, extra: ['--jitter'] });
  await fleet.waitFor(/fleet started/, 600000); // the first start makes 10 000 consumers
  // Until iot-server lists the whole fleet.
  const ids = [];
  for (;;) {
    ids.length = 0;
    let cursor = null;
    do {
      const page = await (await fetch(`${server.base}/api/v1/sensors?limit=1000${cursor ? `&cursor=${cursor}` : ''}`)).json();
      for (const s of page.sensors) ids.push(s.id);
      cursor = page.next_cursor;
    } while (cursor);
    if (ids.length >= SENSORS) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`iot-server lists ${ids.length} sensors`);
  browser = await launchBrowser();
  await fleetFigures(browser.context, server.base, ids);
  await plotFigures(browser.context, server.base);
  figures.loadavg_1m = os.loadavg()[0];
  console.log(JSON.stringify(figures, null, 2));
} catch (e) {
  log(e.stack);
  process.exitCode = 1;
} finally {
  await browser?.close();
  for (const p of [fleet, server, nats]) await p?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(nats.dir, { recursive: true, force: true });
}
