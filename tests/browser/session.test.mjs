// The session with short-lived access tokens: renewed silently (rotation of the refresh token)
// while the user works, and gone from the tab after logout.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, launchBrowser, newPage } from './harness.mjs';

let demo;
let browser;

before(async () => {
  demo = await startDemo({ ACCESS_TOKEN_TTL: '6s' });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

test('an access token of 6 s is renewed silently; logout forgets the session', async () => {
  const page = await newPage(browser);
  const refreshes = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/auth/refresh')) refreshes.push(r.url()); });
  await page.goto(`${demo.url}/`);
  await page.locator('#login-name').fill('superviseur@cnss.example');
  await page.locator('#login-password').fill('superviseur123');
  await page.locator('#login-submit').click();
  await page.locator('#user-name').waitFor();
  const first = await page.evaluate(() => sessionStorage.getItem('gw.refresh'));
  await page.waitForTimeout(13_000);
  await page.locator('#nav-accounts').click();
  await page.locator('#accounts-table tbody tr').first().waitFor();
  assert.equal(await page.locator('#login-form').count(), 0, 'still logged in');
  assert.ok(refreshes.length >= 2, `renewed ${refreshes.length} time(s)`);
  const now = await page.evaluate(() => sessionStorage.getItem('gw.refresh'));
  assert.notEqual(now, first, 'the refresh token rotated');

  await page.locator('#logout').click();
  await page.locator('#login-form').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('gw.refresh')), null);
  // The refresh token of the session is revoked on the server too.
  const res = await fetch(`${demo.url}/api/auth/refresh`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ refresh: now }),
  });
  assert.equal(res.status, 401);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
