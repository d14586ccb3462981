// A frontend on another origin (a static page on its own port, calling the API the way the seed's
// React app does) works when its origin is in CORS_ALLOWED_ORIGINS, and is kept out when not.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HERE, startDemo, serveFolder, launchBrowser, newPage, waitFor } from './harness.mjs';

let site;
let demo;
let browser;

before(async () => {
  site = await serveFolder(join(HERE, 'cross-origin'));
  demo = await startDemo({ CORS_ALLOWED_ORIGINS: `http://127.0.0.1:${site.port}` });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
  await site?.close();
});

async function runPage(origin) {
  const page = await newPage(browser);
  const query = new URLSearchParams({
    api: demo.url, email: 'gestionnaire@cnss.example', password: 'gestionnaire123',
  });
  await page.goto(`${origin}/?${query}`);
  const text = await waitFor('the page to finish', async () => {
    const t = await page.locator('#result').textContent();
    return t && t.length > 0 ? t : null;
  }, 60_000);
  await page.context().close();
  return JSON.parse(text);
}

test('an allowed origin logs in by e-mail, uploads with its callback, polls and reads the stream', async () => {
  const r = await runPage(`http://127.0.0.1:${site.port}`);
  assert.equal(r.error, undefined, JSON.stringify(r));
  assert.equal(r.login.status, 200);
  assert.ok(r.login.body.access && r.login.body.refresh, 'access and refresh tokens');
  assert.equal(r.login.body.user.username, 'gestionnaire');
  assert.equal(r.upload.status, 202, JSON.stringify(r.upload));
  assert.ok(r.upload.requestId, 'X-Request-Id is readable (exposed)');
  assert.equal(r.poll.status, 200);
  assert.equal(r.poll.state, 'COMPLETED');
  assert.equal(r.poll.percent, 100);
  assert.equal(r.poll.callbackUrl, 'http://localhost:8000/api/transfers', 'the callback is stored');
  assert.equal(r.stream.status, 200);
  assert.ok(r.stream.sawDone, 'the stream ends with done');
});

test('another origin is kept out: the browser refuses to hand it the answers', async () => {
  // Same page, same port, other host name: another origin, not in the list.
  const r = await runPage(`http://localhost:${site.port}`);
  assert.match(r.error || '', /Failed to fetch|TypeError/, JSON.stringify(r));
  assert.equal(r.login, undefined);
});

test('preflights: allowed origin answered with Authorization allowed, others 403 in the error shape', async () => {
  const ok = await fetch(`${demo.url}/api/bulk-transfers`, {
    method: 'OPTIONS',
    headers: {
      Origin: `http://127.0.0.1:${site.port}`,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization,idempotency-key',
    },
  });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get('access-control-allow-origin'), `http://127.0.0.1:${site.port}`);
  assert.match(ok.headers.get('access-control-allow-headers'), /Authorization/);
  assert.notEqual(ok.headers.get('access-control-allow-origin'), '*');
  const refused = await fetch(`${demo.url}/api/auth/login`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://evil.example', 'Access-Control-Request-Method': 'POST' },
  });
  assert.equal(refused.status, 403);
  assert.equal((await refused.json()).error, 'cors_origin_not_allowed');
  assert.equal(refused.headers.get('access-control-allow-origin'), null);
});
