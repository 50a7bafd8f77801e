// Real processes for the browser suite: nats-server, iot-server and
// iot-sensor on free loopback ports with temporary directories, started and
// stopped by PID; readiness is read from their logs. And Debian's chromium,
// driven by playwright-core.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = path.dirname(fileURLToPath(import.meta.url));
export const webDir = path.resolve(here, '../../web');
const require = createRequire(path.join(webDir, 'package.json'));
const { chromium } = require('playwright-core');

// Absolute: the programs run in temporary directories.
const program = (name) => (process.env[name] ? path.resolve(process.env[name]) : undefined);
export const serverBin = program('IOT_SERVER_BIN');
export const sensorBin = program('IOT_SENSOR_BIN');
const natsBin = process.env.NATS_SERVER_BIN || 'nats-server';
const chromiumBin = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
// This machine's closed network needs these (and a fresh profile).
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export function tempDir(name) {
  return mkdtempSync(path.join(os.tmpdir(), `iot-browser-${name}-`));
}

// A port free now on 127.0.0.1 (the kernel's choice for port 0).
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// A child process whose output is kept; waits on lines of it.
export class Child {
  constructor(name, command, args, { env = {}, cwd } = {}) {
    this.name = name;
    this.log = '';
    this.waiters = [];
    this.proc = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.proc.pid;
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exitCode = code ?? signal;
        this.check();
        resolve(this.exitCode);
      });
    });
    this.proc.once('error', (e) => {
      this.log += `\n${e.message}`;
      this.exitCode = 'spawn-error';
      this.check();
    });
    const take = (chunk) => {
      this.log += chunk;
      this.check();
    };
    this.proc.stdout.setEncoding('utf8').on('data', take);
    this.proc.stderr.setEncoding('utf8').on('data', take);
  }

  check() {
    this.waiters = this.waiters.filter((w) => {
      const m = this.log.slice(w.from).match(w.pattern);
      if (m) w.resolve(m);
      else if (this.exitCode !== undefined) w.reject(new Error(`${this.name} exited (${this.exitCode}) before ${w.pattern}:\n${this.log}`));
      else return true;
      clearTimeout(w.timer);
      return false;
    });
  }

  // Resolves with the match of `pattern` in the output written after `from`.
  waitFor(pattern, timeoutMs = 30000, from = 0) {
    return new Promise((resolve, reject) => {
      const w = { pattern, from, resolve, reject };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`${this.name}: no ${pattern} within ${timeoutMs} ms:\n${this.log}`));
      }, timeoutMs);
      this.waiters.push(w);
      this.check();
    });
  }

  signal(sig) {
    if (this.exitCode === undefined) process.kill(this.pid, sig);
  }

  // SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status.
  async stop(graceMs = 10000) {
    if (this.exitCode !== undefined) return this.exitCode;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}

export async function startNats() {
  const dir = tempDir('nats');
  const port = await freePort();
  const nats = new Child('nats-server', natsBin, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir]);
  await nats.waitFor(/Server is ready/);
  nats.url = `nats://127.0.0.1:${port}`;
  nats.dir = dir;
  return nats;
}

// iot-server with its database in `dir`, on `port` (a free one when 0):
// .base is its URL, as its log says.
export async function startServer(natsUrl, dir, port = 0, extra = []) {
  const server = new Child('iot-server', serverBin,
    ['--db', `sqlite:${path.join(dir, 'iot.db')}`, '--http-listen', `127.0.0.1:${port}`, ...extra],
    { cwd: dir, env: { NATS_URL: natsUrl } });
  const [, scheme, hostPort] = await server.waitFor(/HTTP API on (https?):\/\/(\S+)/);
  server.port = Number(hostPort.slice(hostPort.lastIndexOf(':') + 1));
  server.base = `${scheme}://127.0.0.1:${server.port}`;
  await waitReady(server);
  return server;
}

// Until /readyz says ready (events following the stream included).
async function waitReady(server, timeoutMs = 30000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${server.base}/readyz`).catch(() => null);
    if (res?.ok) return;
    if (Date.now() > until) throw new Error(`iot-server not ready: ${res ? await res.text() : 'no answer'}\n${server.log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// One sensor (`count` absent) or a fleet `id.1` … `id.N`.
export async function startSensors(natsUrl, id, { count, interval = '1s', dir, extra = [] } = {}) {
  const args = ['--sensorID', id, '--interval', interval, ...extra];
  if (count) args.push('--count', String(count));
  const sensors = new Child(`iot-sensor ${id}`, sensorBin, args, { cwd: dir, env: { NATS_URL: natsUrl } });
  return sensors;
}

// Publishes `payload` on `subject` with NATS's text protocol (the suite
// needs no NATS client library for the few raw messages it sends).
export function publishRaw(natsUrl, subject, payload) {
  const { hostname, port } = new URL(natsUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let seen = '';
    socket.setEncoding('utf8');
    socket.once('error', reject);
    socket.on('data', (chunk) => {
      seen += chunk;
      if (seen.startsWith('INFO') && !socket.sent) {
        socket.sent = true;
        const body = Buffer.from(payload);
        socket.write(`CONNECT {"verbose":false,"pedantic":false}\r\nPUB ${subject} ${body.length}\r\n`);
        socket.write(body);
        socket.write('\r\nPING\r\n');
      } else if (seen.includes('-ERR')) {
        socket.destroy();
        reject(new Error(`nats-server: ${seen}`));
      } else if (seen.includes('PONG')) {
        socket.end();
        resolve();
      }
    });
  });
}

// Chromium with a fresh profile in a temporary directory.
export async function launchBrowser() {
  const profile = tempDir('chromium');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumBin,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 1400 },
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// A page whose console errors, failed requests and HTTP errors are kept.
export async function openPage(context) {
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return { page, problems };
}

// axe-core's serious and critical violations on the page as it is. axe is
// evaluated through the DevTools protocol: a <script> tag (addScriptTag)
// would be inline, which the page's Content-Security-Policy refuses.
export async function accessibilityViolations(page) {
  await page.evaluate(readFileSync(path.join(webDir, 'node_modules/axe-core/axe.min.js'), 'utf8'));
  const result = await page.evaluate(() => globalThis.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}
