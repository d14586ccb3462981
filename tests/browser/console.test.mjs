// The operator console in a real browser against the real demo binary: login, French and English,
// an upload watched to 100 %, a refused file's problem table, the two-person approval, a hostile
// payee name shown as text, downloads. With SCREENSHOTS=<folder> it also takes the README's pictures.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, startDemo, launchBrowser, newPage, screenshot, plain } from './harness.mjs';

let demo;
let browser;

before(async () => {
  demo = await startDemo();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await demo?.stop();
});

const FINAL = ['COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED'];

async function login(page, name, password) {
  await page.goto(`${demo.url}/`);
  await page.locator('#login-name').fill(name);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-submit').click();
  await page.locator('#user-name').waitFor();
}

async function logout(page) {
  await page.locator('#logout').click();
  await page.locator('#login-form').waitFor();
}

/** Uploads `content` as `name` from the upload page; returns the page after the answer. */
async function upload(page, name, content, fields = {}) {
  await page.locator('#nav-upload').click();
  await page.locator('#upload-form').waitFor();
  await page.locator('#upload-file').setInputFiles({
    name, mimeType: 'text/csv', buffer: Buffer.from(content),
  });
  for (const [id, value] of Object.entries(fields)) {
    await page.locator(`#${id}`).fill(value);
  }
  await page.locator('#upload-submit').click();
}

async function waitRunState(page, states, timeout = 60_000) {
  await page.waitForFunction(
    (wanted) => wanted.includes(document.querySelector('#run-state')?.dataset.state),
    states,
    { timeout },
  );
  return page.locator('#run-state').getAttribute('data-state');
}

function csv(prefix, rows) {
  const lines = ['transferId,amount,currency,partyIdType,partyIdentifier'];
  for (let i = 1; i <= rows; i += 1) {
    lines.push(`${prefix}-${i},${1000 * i},XOF,MSISDN,2289${String(7000000 + i).padStart(7, '0')}`);
  }
  return `${lines.join('\n')}\n`;
}

test('login in French, switch to English and back; the role shapes the menu', async () => {
  const page = await newPage(browser);
  await page.goto(`${demo.url}/`);
  assert.equal(await page.locator('html').getAttribute('lang'), 'fr');
  assert.match(plain(await page.locator('#login-submit').textContent()), /Se connecter/);
  await screenshot(page, 'login');
  // A wrong password is told, in French.
  await page.locator('#login-name').fill('gestionnaire');
  await page.locator('#login-password').fill('mauvais');
  await page.locator('#login-submit').click();
  await page.locator('#login-error').filter({ hasText: /./ }).waitFor();

  await page.locator('#login-password').fill('gestionnaire123');
  await page.locator('#login-submit').click();
  await page.locator('#user-name').waitFor();
  assert.equal(plain(await page.locator('#user-name').textContent()), 'gestionnaire');
  assert.equal(await page.locator('#user-role').getAttribute('data-role'), 'GESTIONNAIRE');
  assert.ok(await page.locator('#nav-upload').isVisible(), 'a GESTIONNAIRE may upload');
  const frRuns = plain(await page.locator('#nav-runs').textContent());

  await page.locator('#lang').selectOption('en');
  assert.equal(await page.locator('html').getAttribute('lang'), 'en');
  const enRuns = plain(await page.locator('#nav-runs').textContent());
  assert.notEqual(enRuns, frRuns, 'the menu is translated');
  assert.match(plain(await page.locator('#logout').textContent()), /Log ?out|Sign out/i);
  await page.locator('#lang').selectOption('fr');
  assert.equal(plain(await page.locator('#nav-runs').textContent()), frRuns);
  assert.match(plain(await page.locator('#logout').textContent()), /déconnecter/i);

  // The session survives a reload (refresh token in sessionStorage, never in the URL).
  await page.reload();
  await page.locator('#user-name').waitFor();
  assert.ok(!page.url().includes('eyJ'), 'no token in the URL');
  await logout(page);

  // A SUPERVISEUR reads only: no upload in the menu.
  await login(page, 'superviseur', 'superviseur123');
  assert.equal(await page.locator('#nav-upload').count() === 0 || !(await page.locator('#nav-upload').isVisible()), true);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('upload a file and watch the bar reach 100 %, then download the report', async () => {
  const page = await newPage(browser);
  await login(page, 'gestionnaire', 'gestionnaire123');
  const sample = readFileSync(join(ROOT, 'scripts', 'sample-standard.csv'), 'utf8');
  await upload(page, 'sample-standard.csv', sample, { 'upload-period': '2026-11' });
  await page.locator('#run-id').waitFor();
  const state = await waitRunState(page, FINAL);
  assert.equal(state, 'COMPLETED');
  await page.waitForFunction(() => /100/.test(document.querySelector('#run-progress-text')?.textContent || ''));
  assert.equal(plain(await page.locator('#run-progress-text').textContent()), '100 %');
  assert.equal(plain(await page.locator('#run-succeeded').textContent()), '5');
  // 37 500 XOF: no decimals, a narrow no-break space between thousands.
  const total = await page.locator('#run-total-amount').textContent();
  assert.match(total, /37\u202f500/, JSON.stringify(total));
  assert.doesNotMatch(total, /[.,]\d\d\b/, 'XOF has no decimals');
  assert.equal(await page.locator('#transfers-table tbody tr').count(), 5);
  await screenshot(page, 'run');

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('#dl-report').click(),
  ]);
  const path = await download.path();
  const report = readFileSync(path, 'utf8');
  assert.match(report, /tx-001/);
  assert.match(download.suggestedFilename(), /report\.csv$/);

  // The run is in the list.
  await page.locator('#nav-runs').click();
  await page.locator('#runs-table tbody tr').first().waitFor();
  assert.ok(await page.locator('#runs-table tbody tr').count() >= 1);
  await screenshot(page, 'runs');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a refused file shows its problems as a table of line, field and message', async () => {
  const page = await newPage(browser);
  await login(page, 'gestionnaire', 'gestionnaire123');
  const bad = 'transferId,amount,currency,partyIdType,partyIdentifier\n'
    + 'bad-1,-5,XOF,MSISDN,22890000001\n'
    + 'bad-2,100,EUR,MSISDN,22890000002\n'
    + 'bad-3,100,XOF,MSISDN,\n';
  await upload(page, 'refuse.csv', bad);
  const rows = page.locator('#problems-table tbody tr');
  await rows.first().waitFor();
  assert.ok(await rows.count() >= 3, `got ${await rows.count()} problems`);
  const first = rows.first().locator('td');
  assert.equal(plain(await first.nth(0).textContent()), '2', 'line of the first problem');
  assert.ok(plain(await first.nth(1).textContent()).length > 0, 'field');
  assert.ok(plain(await first.nth(2).textContent()).length > 0, 'message');
  const lines = await rows.evaluateAll((trs) => trs.map((tr) => tr.cells[0].textContent.trim()));
  assert.ok(lines.includes('3') && lines.includes('4'), lines.join(','));
  assert.ok(!page.url().includes('/runs/'), 'no run was created');
  await screenshot(page, 'upload-refused');

  // A file wrong everywhere: the first 1,000 problems listed, all of them counted by kind.
  let many = 'transferId,amount,currency,partyIdType,partyIdentifier\n';
  for (let i = 0; i < 1500; i += 1) many += `m-${i},-1,XOF,MSISDN,22890${String(100000 + i)}\n`;
  await upload(page, 'many.csv', many);
  await page.locator('#problems-total').waitFor();
  assert.equal(await rows.count(), 1000);
  assert.match(plain(await page.locator('#problems-total').textContent()), /1 500/);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('two-person approval: one uploads, the approver sees the file hash and approves', async () => {
  const page = await newPage(browser);
  await login(page, 'gestionnaire-visa', 'approbateur123');
  await upload(page, 'visa.csv', csv('visa', 3));
  await page.locator('#run-id').waitFor();
  assert.equal(await waitRunState(page, ['AWAITING_APPROVAL']), 'AWAITING_APPROVAL');
  const runId = plain(await page.locator('#run-id').textContent());
  const sha = plain(await page.locator('#run-sha256').textContent());
  assert.match(sha, /^[0-9a-f]{64}$/);
  assert.equal(await page.locator('#btn-approve').count(), 0, 'the uploader cannot approve');
  await logout(page);

  await login(page, 'approbateur', 'approbateur123');
  assert.equal(await page.locator('#nav-upload').count() === 0 || !(await page.locator('#nav-upload').isVisible()), true, 'an APPROBATEUR never uploads');
  await page.goto(`${demo.url}/#/runs/${runId}`);
  await page.locator('#btn-approve').click();
  await page.locator('#approve-panel').waitFor();
  assert.equal(plain(await page.locator('#approve-sha').textContent()), sha, 'the hash approved is the file\'s');
  await screenshot(page, 'approval');
  await page.locator('#approve-confirm').click();
  assert.equal(await waitRunState(page, FINAL), 'COMPLETED');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('verify before paying: the report and its grades, then an approval naming its version', async () => {
  const page = await newPage(browser);
  await login(page, 'gestionnaire-verif', 'approbateur123');
  const sample = readFileSync(join(ROOT, 'scripts', 'sample-verification.csv'), 'utf8');
  await upload(page, 'sample-verification.csv', sample);
  await page.locator('#run-id').waitFor();
  assert.equal(await waitRunState(page, ['AWAITING_APPROVAL']), 'AWAITING_APPROVAL');
  const runId = plain(await page.locator('#run-id').textContent());
  await logout(page);

  await login(page, 'approbateur-verif', 'approbateur123');
  await page.goto(`${demo.url}/#/runs/${runId}`);
  await page.locator('#verification-grades tbody tr').first().waitFor();
  const grades = await page.locator('#verification-grades tbody tr').evaluateAll(
    (trs) => trs.map((tr) => tr.dataset.grade),
  );
  assert.ok(grades.includes('MATCH') && grades.includes('MISMATCH'), grades.join(','));
  const rows = page.locator('#verification-rows tbody tr');
  assert.equal(await rows.count(), 16);
  const excluded = plain(await page.locator('#verification-excluded').textContent());
  assert.match(excluded, /^5\b/, excluded);
  // Excluded rows are shown apart, not as failures.
  assert.equal(plain(await page.locator('#run-excluded').textContent()), '5');
  assert.equal(plain(await page.locator('#run-failed').textContent()), '0');
  await screenshot(page, 'verification');
  await page.locator('#btn-approve').click();
  await page.locator('#approve-panel').waitFor();
  assert.match(plain(await page.locator('#approve-verification').textContent()), /\b1\b/);
  await page.locator('#approve-confirm').click();
  await waitRunState(page, FINAL);
  const statuses = await page.locator('#transfers-table tbody tr').evaluateAll(
    (trs) => trs.map((tr) => tr.querySelector('[data-status]')?.dataset.status),
  );
  assert.equal(statuses.filter((st) => st === 'EXCLUDED').length, 5, statuses.join(','));
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a hostile payee name is shown as text, never run', async () => {
  const page = await newPage(browser);
  await login(page, 'gestionnaire', 'gestionnaire123');
  const hostile = '<img src=x onerror=alert(1)>';
  const file = 'type_id,valeur_id,devise,montant,nom_complet\n'
    + `MSISDN,22890555001,XOF,4000,${hostile}\n`
    + 'MSISDN,22890555002,XOF,4000,Ama Mensah\n';
  await upload(page, '<b>liste</b>.csv', file);
  await page.locator('#run-id').waitFor();
  await waitRunState(page, FINAL);
  const table = page.locator('#transfers-table');
  await table.locator('tbody tr').nth(1).waitFor();
  assert.match(await table.textContent(), /<img src=x onerror=alert\(1\)>/);
  assert.equal(await page.locator('#transfers-table img, #run-file-name b, img[src="x"]').count(), 0);
  assert.equal(plain(await page.locator('#run-file-name').textContent()), '<b>liste</b>.csv');
  const alerted = await page.evaluate(() => window.__alerted === true);
  assert.equal(alerted, false);
  assert.deepEqual(page.problems, [], 'no dialog, no page error, no CSP violation');
  await page.context().close();
});

test('retry the failed rows of a partially completed run, then filter the list by state', async () => {
  const page = await newPage(browser);
  await login(page, 'gestionnaire', 'gestionnaire123');
  // …5103: the payee FSP rejects the quote (a final failure, at once).
  const file = 'transferId,amount,currency,partyIdType,partyIdentifier\n'
    + 'rt-1,2000,XOF,MSISDN,22890665103\n'
    + 'rt-2,2000,XOF,MSISDN,22890660002\n';
  await upload(page, 'retry.csv', file);
  await page.locator('#run-id').waitFor();
  assert.equal(await waitRunState(page, FINAL), 'PARTIALLY_COMPLETED');
  const parent = plain(await page.locator('#run-id').textContent());
  assert.equal(plain(await page.locator('#run-failed').textContent()), '1');
  await page.locator('#transfers-filter').selectOption('FAILED');
  await page.waitForFunction(() => document.querySelectorAll('#transfers-table tbody tr').length === 1);
  await page.locator('#btn-retry').click();
  await page.waitForFunction((p) => {
    const id = document.querySelector('#run-id')?.textContent.trim();
    return id && id !== p;
  }, parent);
  assert.equal(await waitRunState(page, FINAL), 'FAILED', 'the same payee fails again');
  assert.match(await page.locator('#run-parent').textContent(), new RegExp(parent));

  await page.locator('#nav-runs').click();
  await page.locator('#runs-table tbody tr').first().waitFor();
  await page.locator('#filter-state').selectOption('PARTIALLY_COMPLETED');
  await page.waitForFunction(() => {
    const states = [...document.querySelectorAll('#runs-table tbody tr [data-state]')].map((b) => b.dataset.state);
    return states.length > 0 && states.every((st) => st === 'PARTIALLY_COMPLETED');
  });
  assert.equal(await page.locator(`#runs-table tbody tr[data-bulk-id="${parent}"]`).count(), 1);
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('a scheduled run is cancelled before it starts', async () => {
  const page = await newPage(browser);
  await login(page, 'gestionnaire', 'gestionnaire123');
  // Two hours from now, as the datetime-local field wants it (the page's zone is UTC+0).
  const later = new Date(Date.now() + 2 * 3600 * 1000).toISOString().slice(0, 16);
  await upload(page, 'later.csv', csv('later', 2), { 'upload-execute-at': later });
  await page.locator('#run-id').waitFor();
  assert.equal(await waitRunState(page, ['SCHEDULED']), 'SCHEDULED');
  await page.locator('#btn-cancel').click();
  await page.locator('#cancel-panel').waitFor();
  await page.locator('#cancel-confirm').click();
  assert.equal(await waitRunState(page, ['CANCELLED']), 'CANCELLED');
  assert.equal(await page.locator('#btn-cancel').count(), 0, 'nothing left to cancel');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});

test('accounts show balance and reservation', async () => {
  const page = await newPage(browser, { locale: 'en-GB' });
  await login(page, 'superviseur', 'superviseur123');
  await page.locator('#nav-accounts').click();
  const row = page.locator('#accounts-table tbody tr').first();
  await row.waitFor();
  assert.match(await row.textContent(), /CNSS-XOF-001/);
  await screenshot(page, 'accounts');
  assert.deepEqual(page.problems, []);
  await page.context().close();
});
