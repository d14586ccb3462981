// Shared pieces of the browser tests: the real `demo` binary started on free ports with its own
// SQLite folder, a static server for the cross-origin page, Debian's Chromium through
// playwright-core, and small waits. Nothing here mocks the gateway: every test talks to the binary.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname, extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = join(HERE, '..', '..');

/** The demo binary: DEMO_BIN, else the debug build `cargo test --workspace` leaves behind. */
export function demoBinary() {
  const bin = process.env.DEMO_BIN || join(ROOT, 'target', 'debug', 'gateway-demo');
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: run \`cargo build -p demo\` first (or set DEMO_BIN)`);
  }
  return bin;
}

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a truthy value or `ms` pass. */
export async function waitFor(what, check, ms = 30_000, every = 200) {
  const until = Date.now() + ms;
  let last;
  while (Date.now() < until) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last})`);
}

/**
 * Starts the embedded gateway (API + worker + simulator + SQLite) on free ports.
 * `env` adds or overrides variables (e.g. CORS_ALLOWED_ORIGINS).
 */
export async function startDemo(env = {}) {
  const apiPort = await freePort();
  const simPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'gw-browser-'));
  const child = spawn(demoBinary(), [], {
    cwd: dir,
    env: {
      ...process.env,
      DATABASE_URL: `sqlite://${join(dir, 'data', 'gateway.db')}`,
      BIND_ADDR: `127.0.0.1:${apiPort}`,
      SIM_BIND_ADDR: `127.0.0.1:${simPort}`,
      BCRYPT_COST: '4',
      SIM_LATENCY_MS: '200',
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const url = `http://127.0.0.1:${apiPort}`;
  try {
    await waitFor('the demo to answer /health/ready', async () => {
      if (child.exitCode !== null) throw new Error(`demo exited: ${output}`);
      const res = await fetch(`${url}/health/ready`);
      return res.ok;
    }, 60_000);
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`${e.message}\n--- demo output ---\n${output}`);
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        let timer;
        const late = new Promise((r) => { timer = setTimeout(() => r(false), 15_000); });
        const killed = await Promise.race([exited.then(() => true), late]);
        clearTimeout(timer);
        if (!killed) {
          child.kill('SIGKILL');
          await exited;
        }
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** Serves the files of `folder` on a free port of 127.0.0.1 (a second origin for CORS tests). */
export async function serveFolder(folder) {
  const port = await freePort();
  const srv = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname.replace(/\.\.+/g, '');
    const file = join(folder, path === '/' ? 'index.html' : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': TYPES[extname(file)] || 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((r) => srv.listen(port, '127.0.0.1', r));
  return {
    port,
    close: () => new Promise((r) => { srv.close(r); srv.closeAllConnections(); }),
  };
}

/** Debian's Chromium, headless, with the flags CI needs. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * A new page that fails the test on any JavaScript dialog (an injected `alert` would open one),
 * on an uncaught page error, and on a Content-Security-Policy violation.
 */
export async function newPage(browser, { locale = 'fr-FR', timezoneId = 'Africa/Lome' } = {}) {
  const context = await browser.newContext({
    locale, timezoneId, viewport: { width: 1280, height: 860 }, acceptDownloads: true,
  });
  const page = await context.newPage();
  const problems = [];
  page.on('dialog', async (d) => {
    problems.push(`dialog opened: ${d.type()} ${d.message()}`);
    await d.dismiss();
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) {
      problems.push(`CSP violation: ${m.text()}`);
    }
  });
  page.problems = problems;
  return page;
}

/** Where screenshots go when SCREENSHOTS names a folder (the README's pictures). */
export async function screenshot(page, name) {
  const dir = process.env.SCREENSHOTS;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`) });
}

/** Spaces of any kind (no-break, narrow no-break) as plain spaces, trimmed. */
export const plain = (s) => (s || '').replace(/[\s\u00a0\u202f]+/g, ' ').trim();
