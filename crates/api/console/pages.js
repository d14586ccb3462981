/**
 * The login, runs list, upload and accounts pages, and the small pieces of UI they share with the
 * run page (state badges, error blocks, the problems table).
 *
 * A page is `page(main, ctx)`: it fills `main` at once, loads its data, and checks `ctx.alive()`
 * before touching the DOM after an await (the user may have moved on).
 */

import {json, login, ApiError} from '/console/api.js';
import {el, append, replace, table, row, num, select, field} from '/console/dom.js';
import {t, has, label, RUN_STATES} from '/console/i18n.js';
import {money, count, percent, dateTime, exponent, toMinor} from '/console/format.js';

/** Codes whose server message carries figures worth showing under the translated text. */
const DETAILED = new Set(['declared_totals_mismatch', 'insufficient_funds', 'invalid_callback_url',
  'invalid_period', 'invalid_field', 'invalid_execute_at', 'nothing_to_retry', 'invalid_reason']);

/** A translated state/status badge; the raw value stays in `data-state` / `data-status`. */
export function badge(kind, value, id) {
  const data = kind === 'state' ? {state: value} : {status: value};
  return el('span', {id, class: 'badge', dataset: data}, label(kind, value));
}

/** « 42 s » or « 3 min ». */
function waitText(seconds) {
  const s = Number(seconds) || 0;
  return s > 90 ? t('wait.min', {n: Math.ceil(s / 60)}) : t('wait.s', {n: s});
}

/** The sentence to show for an API refusal, in the current language when the code is known. */
export function errorText(err) {
  if (!(err instanceof ApiError)) return String((err && err.message) || err);
  if (err.code === 'too_many_requests') return t('err.too_many_requests', {wait: waitText(err.retryAfter)});
  return has(`err.${err.code}`) ? t(`err.${err.code}`) : err.message;
}

/** Fills `box` with an error (and the server's own text when it adds figures) and shows it. */
export function showError(box, err) {
  const detail = err instanceof ApiError && DETAILED.has(err.code) ? err.message : null;
  replace(box, el('p', null, errorText(err)), detail ? el('p', {class: 'detail'}, detail) : null);
  box.hidden = false;
}

/** A box for error messages, hidden until used. */
export function errorBox(id) {
  return el('div', {id, class: 'error', role: 'alert', hidden: true});
}

/** `<h1>` of a page. */
function heading(key) {
  return el('h1', null, t(key));
}

// ---------------------------------------------------------------- login

export function loginPage(main, ctx) {
  const name = el('input', {id: 'login-name', name: 'username', autocomplete: 'username', required: true});
  const password = el('input', {id: 'login-password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true});
  const submit = el('button', {id: 'login-submit', type: 'submit'}, t('login.submit'));
  const error = errorBox('login-error');
  if (ctx.notice) replace(error, el('p', null, t(ctx.notice))).hidden = false;

  async function onSubmit(e) {
    e.preventDefault();
    submit.disabled = true;
    error.hidden = true;
    try {
      ctx.signedIn(await login(name.value.trim(), password.value));
    } catch (err) {
      if (ctx.alive()) showError(error, err);
    } finally {
      submit.disabled = false;
    }
  }

  replace(main, el('section', {class: 'login card'}, heading('login.title'),
    el('form', {id: 'login-form', on: {submit: onSubmit}},
      field(t('login.name'), name), field(t('login.password'), password), error,
      el('div', {class: 'actions'}, submit))));
  name.focus();
}

// ---------------------------------------------------------------- runs list

/** Filters survive a language switch or a visit to another page. */
const filters = {state: '', period: ''};

function runRow(b) {
  const link = el('a', {href: `#/runs/${encodeURIComponent(b.bulkTransferId)}`},
    b.fileName || b.bulkTransferId);
  return row({dataset: {bulkId: b.bulkTransferId}}, [dateTime(b.createdAt), link, b.period || '—',
    badge('state', b.state), num(count(b.total)), num(money(b.totalAmount, b.currency)),
    num(percent(b.progress_percent)), b.createdBy]);
}

export function runsPage(main, ctx) {
  const tbody = el('tbody');
  const more = el('button', {id: 'runs-more', type: 'button', class: 'secondary', hidden: true}, t('more'));
  const empty = el('p', {id: 'runs-empty', class: 'empty', hidden: true}, t('runs.empty'));
  const error = errorBox('runs-error');
  let cursor = null;
  let generation = 0;

  async function load(reset) {
    const mine = ++generation;
    try {
      const page = await json('/api/bulk-transfers', {query: {limit: 50, cursor: reset ? null : cursor,
        state: filters.state, period: /^\d{4}-\d{2}$/.test(filters.period) ? filters.period : null}});
      if (!ctx.alive() || mine !== generation) return;
      if (reset) tbody.replaceChildren();
      append(tbody, page.items.map(runRow));
      cursor = page.nextCursor;
      more.hidden = !cursor;
      empty.hidden = tbody.children.length > 0;
      error.hidden = true;
    } catch (err) {
      if (ctx.alive()) showError(error, err);
    }
  }

  const stateSelect = select({id: 'filter-state', on: {change: (e) => { filters.state = e.target.value; load(true); }}},
    [['', t('runs.allStates')], ...RUN_STATES.map((s) => [s, label('state', s)])], filters.state);
  const period = el('input', {id: 'filter-period', type: 'month', value: filters.period,
    pattern: '[0-9]{4}-[0-9]{2}', placeholder: t('month.placeholder'),
    on: {change: (e) => { filters.period = e.target.value; load(true); }}});
  more.addEventListener('click', () => load(false));

  replace(main, heading('runs.title'),
    el('div', {class: 'filters'}, field(t('col.state'), stateSelect), field(t('col.period'), period)),
    error,
    table('runs-table', ['col.created', 'col.file', 'col.period', 'col.state', 'col.rows',
      'col.totalAmount', 'col.progress', 'col.createdBy'].map((k) => t(k)), tbody),
    empty, el('div', {class: 'actions'}, more));
  load(true);
}

// ---------------------------------------------------------------- upload

function checkbox(id, key) {
  return el('div', {class: 'check'}, el('input', {id, type: 'checkbox'}), el('label', {for: id}, t(key)));
}

function formatHelp() {
  return el('details', {class: 'help'}, el('summary', null, t('help.title')),
    el('p', null, t('help.headers')),
    el('pre', null, el('code', null, 'transferId,amount,currency,partyIdType,partyIdentifier[,payeeName]')),
    el('pre', null, el('code', null, 'type_id,valeur_id,devise,montant[,nom_complet]')),
    el('p', null, t('help.amounts')), el('p', null, t('help.format')), el('p', null, t('help.pain001')));
}

/** A problem's message in the console's language, the server's detail (with the values) below. */
function problemText(p) {
  const detail = p.message ?? p.code ?? '';
  if (!p.code || !has(`problem.${p.code}`)) return detail;
  return el('span', null, t(`problem.${p.code}`), el('small', {class: 'detail'}, detail));
}

/** « 300 000 problèmes, les 1 000 premiers listés », then the count of each kind. */
function problemsTotal(err, shown) {
  const kinds = Object.entries(err.problemsByCode).sort((a, b) => b[1] - a[1])
    .map(([code, n]) => el('li', {'data-code': code}, `${count(n)} × `,
      has(`problem.${code}`) ? t(`problem.${code}`) : code));
  return el('div', {id: 'problems-total', class: 'message'},
    el('p', null, t('upload.problemsMore', {total: count(err.totalProblems), shown: count(shown)})),
    el('ul', null, kinds));
}

/** The problems of a refused file: one row per `{line, field, message}`. */
function problemsTable(details) {
  return table('problems-table', [t('col.line'), t('col.field'), t('col.message')],
    details.map((p) => row({'data-code': p.code ?? ''}, [num(String(p.line ?? '')), p.field ?? '', problemText(p)])),
    t('upload.problems'));
}

/** Hints from the organisation's policy (period required, approval, verification). */
function policyHints(policy, currency, periodInput) {
  const hints = [];
  if (policy.periodGuard) {
    periodInput.required = true;
    hints.push(t('upload.periodRequired'));
  }
  if (policy.approval === 'required') {
    hints.push(policy.approvalThreshold == null ? t('upload.approvalAll')
      : t('upload.approvalFrom', {amount: money(policy.approvalThreshold, currency)}));
  }
  if (policy.verification && policy.verification !== 'off') hints.push(t('upload.verification'));
  return hints.map((h) => el('li', null, h));
}

export function uploadPage(main, ctx) {
  if (ctx.user.role !== 'GESTIONNAIRE') {
    replace(main, heading('upload.title'), el('p', {class: 'notice'}, t('upload.notAllowed')));
    return;
  }
  let file = null;
  let currency = 'XOF';
  const input = (id, attrs) => el('input', {id, ...attrs});
  const fileInput = input('upload-file', {type: 'file', accept: '.csv,text/csv,.xml,application/xml,text/xml', class: 'visually-hidden'});
  const fileName = el('p', {id: 'upload-file-name', class: 'file-name', 'aria-live': 'polite'}, t('upload.noFile'));
  const period = input('upload-period', {type: 'month', pattern: '[0-9]{4}-[0-9]{2}', placeholder: t('month.placeholder')});
  const executeAt = input('upload-execute-at', {type: 'datetime-local'});
  const expectedCount = input('upload-expected-count', {type: 'number', min: 1, step: 1, inputmode: 'numeric'});
  const expectedTotal = input('upload-expected-total', {inputmode: 'decimal', autocomplete: 'off'});
  const totalLabel = el('label', {for: 'upload-expected-total'}, t('upload.expectedTotal', {currency}));
  const callback = input('upload-callback-url', {type: 'url', placeholder: 'https://'});
  const submit = el('button', {id: 'upload-submit', type: 'submit'}, t('upload.submit'));
  const error = errorBox('upload-error');
  const problems = el('div', {class: 'problems'});
  const hints = el('ul', {id: 'upload-policy', class: 'hints'});

  function choose(f) {
    if (!f) return;
    file = f;
    replace(fileName, `${f.name} — ${t('upload.size', {n: count(Math.max(1, Math.ceil(f.size / 1024)))})}`);
  }
  fileInput.addEventListener('change', () => choose(fileInput.files[0]));
  const zone = el('div', {id: 'dropzone', class: 'dropzone', on: {
    click: (e) => { if (!e.target.closest('label, input')) fileInput.click(); },
    dragover: (e) => { e.preventDefault(); zone.classList.add('over'); },
    dragleave: () => zone.classList.remove('over'),
    drop: (e) => {
      e.preventDefault();
      zone.classList.remove('over');
      const files = e.dataTransfer && e.dataTransfer.files;
      if (!files || !files.length) return;
      try { fileInput.files = files; } catch { /* older browsers: the variable is enough */ }
      choose(files[0]);
    },
  }}, el('p', null, t('upload.drop'), ' ', el('label', {for: 'upload-file', class: 'link'}, t('upload.choose'))),
  fileInput, fileName);

  function fail(message) {
    replace(error, el('p', null, message)).hidden = false;
    return null;
  }

  /** The multipart body, or null after showing why it cannot be sent. */
  function buildForm() {
    if (!file) return fail(t('upload.fileMissing'));
    const form = new FormData();
    form.append('file', file, file.name);
    if (period.value.trim()) form.append('period', period.value.trim());
    if (executeAt.value) {
      const when = new Date(executeAt.value);
      if (!Number.isNaN(when.getTime())) form.append('execute_at', when.toISOString());
    }
    const n = expectedCount.value.trim();
    if (n) {
      if (!/^[1-9]\d*$/.test(n)) return fail(t('upload.badCount'));
      form.append('expected_count', n);
    }
    if (expectedTotal.value.trim()) {
      const exp = exponent(currency);
      const minor = toMinor(expectedTotal.value, exp);
      if (!minor) return fail(t('upload.badTotal', {exp}));
      form.append('expected_total', minor);
    }
    if (callback.value.trim()) form.append('callback_url', callback.value.trim());
    for (const [id, name] of [['upload-allow-duplicates', 'allow_duplicate_payees'], ['upload-force', 'force'],
      ['upload-allow-repeat', 'allow_repeat_in_period']]) {
      if (main.querySelector(`#${id}`).checked) form.append(name, 'true');
    }
    return form;
  }

  function refused(err) {
    showError(error, err);
    const lines = err.details.filter((d) => d && d.line !== undefined);
    if (err.totalProblems > lines.length) problems.append(problemsTotal(err, lines.length));
    if (lines.length) problems.append(problemsTable(lines));
    const other = err.details.find((d) => d && d.bulkTransferId && d.line === undefined);
    if (other) {
      error.append(el('p', null, t('upload.existing'), ' ',
        el('a', {href: `#/runs/${encodeURIComponent(other.bulkTransferId)}`}, other.bulkTransferId)));
    }
  }

  async function onSubmit(e) {
    e.preventDefault();
    error.hidden = true;
    problems.replaceChildren();
    const form = buildForm();
    if (!form) return;
    submit.disabled = true;
    try {
      const accepted = await json('/api/bulk-transfers', {method: 'POST', form});
      if (ctx.alive()) location.hash = `#/runs/${encodeURIComponent(accepted.bulkTransferId)}`;
    } catch (err) {
      if (ctx.alive()) refused(err);
    } finally {
      submit.disabled = false;
    }
  }

  replace(main, heading('upload.title'), hints,
    el('form', {id: 'upload-form', class: 'card', novalidate: true, on: {submit: onSubmit}}, zone,
      el('div', {class: 'grid'},
        field(t('upload.period'), period),
        field(t('upload.executeAt'), executeAt, t('upload.executeAtHint')),
        field(t('upload.expectedCount'), expectedCount),
        el('div', {class: 'field'}, totalLabel, expectedTotal),
        field(t('upload.callbackUrl'), callback)),
      el('p', {class: 'hint'}, t('upload.declaredHint')),
      checkbox('upload-allow-duplicates', 'upload.allowDuplicates'),
      checkbox('upload-force', 'upload.force'),
      checkbox('upload-allow-repeat', 'upload.allowRepeat'),
      error, el('div', {class: 'actions'}, submit)),
    problems, formatHelp());

  Promise.all([json('/api/accounts').catch(() => null), json('/api/organisation/policy').catch(() => null)])
    .then(([accounts, policy]) => {
      if (!ctx.alive()) return;
      const first = accounts && accounts.accounts && accounts.accounts[0];
      if (first) currency = first.currency;
      replace(totalLabel, t('upload.expectedTotal', {currency}));
      if (policy) append(hints, policyHints(policy, currency, period));
    });
}

// ---------------------------------------------------------------- accounts

export function accountsPage(main, ctx) {
  const tbody = el('tbody');
  const error = errorBox('accounts-error');
  const empty = el('p', {id: 'accounts-empty', class: 'empty', hidden: true}, t('accounts.empty'));
  replace(main, heading('accounts.title'), error,
    table('accounts-table', ['col.account', 'col.currency', 'col.balance', 'col.reserved', 'col.available'].map((k) => t(k)), tbody),
    empty);
  json('/api/accounts').then((answer) => {
    if (!ctx.alive()) return;
    const list = answer.accounts || [];
    append(tbody, list.map((a) => row({dataset: {accountId: a.accountId}}, [a.accountId, a.currency,
      num(money(a.balance, a.currency)), num(money(a.reserved, a.currency)), num(money(a.available, a.currency))])));
    empty.hidden = list.length > 0;
  }).catch((err) => { if (ctx.alive()) showError(error, err); });
}

