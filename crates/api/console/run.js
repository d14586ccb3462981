/**
 * The page of one payment run: summary, live progress (SSE with single-use tickets), the actions
 * the user's role and the run's state allow (approve, reject, cancel, retry, verify again), the
 * verification report, the transfers and the CSV downloads.
 *
 * The server decides; the page only hides what cannot work. Rules mirrored from the API:
 * approve/reject: APPROBATEUR, AWAITING_APPROVAL, never the uploader; cancel: the uploader
 * (GESTIONNAIRE) or an APPROBATEUR while nothing was sent; retry: a GESTIONNAIRE, on a finished run
 * with FAILED rows; verify again: the uploader or an APPROBATEUR, verified run AWAITING_APPROVAL.
 */

import {json, download, runPath, ApiError} from '/console/api.js';
import {el, append, replace, table, row, num, select} from '/console/dom.js';
import {t, label, TRANSFER_STATUSES, RESULTS, GRADES} from '/console/i18n.js';
import {money, count, percent, dateTime} from '/console/format.js';
import {badge, errorBox, showError, errorText} from '/console/pages.js';

const FINAL = new Set(['COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED', 'REJECTED', 'CANCELLED']);
const CANCELLABLE = new Set(['VERIFYING', 'AWAITING_APPROVAL', 'SCHEDULED', 'PENDING']);
const RETRYABLE = new Set(['COMPLETED', 'PARTIALLY_COMPLETED', 'FAILED']);
const PAGE = 100;

/** What the user may try on this run. */
function allowed(s, user) {
  const approver = user.role === 'APPROBATEUR';
  const owner = user.role === 'GESTIONNAIRE' && s.createdBy === user.username;
  const waiting = s.state === 'AWAITING_APPROVAL';
  const signer = approver && waiting && s.createdBy !== user.username;
  const excluded = s.verification ? s.verification.excluded : 0;
  return {
    approve: signer,
    reject: signer,
    cancel: CANCELLABLE.has(s.state) && (approver || owner),
    retry: user.role === 'GESTIONNAIRE' && RETRYABLE.has(s.state) && s.failed - excluded > 0,
    verify: Boolean(s.verification) && waiting && (approver || owner),
  };
}

function registeredName(r) {
  return r.registeredName || [r.firstName, r.middleName, r.lastName].filter(Boolean).join(' ') || '—';
}

function runLink(id) {
  return el('a', {href: `#/runs/${encodeURIComponent(id)}`}, id);
}

/** `<div><dt>label</dt><dd>value</dd></div>` of a facts list. */
function item(key, value, cls) {
  return el('div', {class: cls}, el('dt', null, t(key)), el('dd', null, value));
}

function decisions(s) {
  const lines = [];
  if (s.approval) {
    lines.push(el('p', null, t('run.approved', {by: s.approval.by, at: dateTime(s.approval.at)})));
  }
  if (s.rejection) {
    lines.push(el('p', null, t('run.rejected', {by: s.rejection.by, at: dateTime(s.rejection.at)})));
    if (s.rejection.reason) lines.push(el('p', {class: 'reason'}, t('run.reason', {reason: s.rejection.reason})));
  }
  if (s.cancellation) {
    lines.push(el('p', null, t('run.cancelled', {by: s.cancellation.by, at: dateTime(s.cancellation.at)})));
  }
  if (s.parentBulkTransferId) lines.push(el('p', {id: 'run-parent'}, t('run.parent'), ' ', runLink(s.parentBulkTransferId)));
  if (s.childBulkTransferIds && s.childBulkTransferIds.length) {
    lines.push(el('div', {id: 'run-children'}, el('p', null, t('run.children')),
      el('ul', null, s.childBulkTransferIds.map((c) => el('li', null, runLink(c))))));
  }
  return lines.length ? el('div', {id: 'run-decisions', class: 'decisions'}, lines) : null;
}

/** Rows set aside by verification: final, counted among `failed` by the server, shown apart. */
function excludedOf(s) {
  return s.verification ? {count: s.verification.excluded, amount: s.verification.excludedAmount}
    : {count: 0, amount: 0};
}

function figure(key, id, n, amount, currency) {
  return el('div', {class: 'figure'}, el('p', {class: 'figure-label'}, t(key)),
    el('p', {id, class: 'figure-count'}, count(n)),
    el('p', {id: `${id}-amount`, class: 'figure-amount'}, money(amount, currency)));
}

function transferRow(x) {
  const payee = [x.payeeName || x.partyIdentifier];
  if (x.repeatInPeriod) payee.push(' ', el('span', {class: 'tag'}, t('tr.repeat')));
  return row({dataset: {transferId: x.transferId}}, [num(String(x.line)), payee,
    `${x.partyIdType} ${x.partyIdentifier}`, num(money(x.amount, x.currency)), badge('status', x.status),
    x.errorMessage || x.errorCode || '', num(count(x.attempts))]);
}

function verificationRow(r, currency) {
  return row({dataset: {transferId: r.transferId, status: r.status}}, [num(String(r.line)),
    r.payeeName || '—', registeredName(r),
    r.nameMatch ? el('span', {class: 'badge', dataset: {grade: r.nameMatch}}, label('grade', r.nameMatch)) : '—',
    r.result ? label('result', r.result) : label('result', 'NOT_LOOKED_UP'),
    r.status === 'EXCLUDED' ? t('yes') : t('no'), num(money(r.amount, currency))]);
}

function tallyTable(id, kind, tallies, currency, caption) {
  const rows = Object.entries(tallies || {}).map(([k, v]) => row({dataset: {[kind]: k}},
    [label(kind, k), num(count(v.count)), num(money(v.amount, currency))]));
  return table(id, [t(`col.${kind}`), t('col.count'), t('col.amount')], rows, caption);
}

export function runPage(main, ctx, id) {
  const user = ctx.user;
  const view = {summary: null, cursor: null, filter: '', report: null, verCursor: null,
    verFilter: {result: '', grade: ''}, panel: null, lastSeq: -1};
  const top = el('div', {class: 'run-top'}, el('p', {class: 'loading'}, t('loading')));
  const message = el('div', {id: 'run-message', class: 'message', role: 'status', 'aria-live': 'polite', hidden: true});
  const verification = el('div');
  const transfers = el('tbody');
  const moreTransfers = el('button', {id: 'transfers-more', type: 'button', class: 'secondary', hidden: true}, t('more'));
  const emptyTransfers = el('p', {class: 'empty', hidden: true}, t('tr.empty'));
  const loadError = errorBox('run-error');
  let live = {es: null, timer: null, opening: false};
  let reloading = null;
  let reloadAgain = false;

  function say(text, isError) {
    replace(message, text).hidden = false;
    message.classList.toggle('error', Boolean(isError));
  }

  // ------------------------------------------------------------ rendering

  function renderTop() {
    const s = view.summary;
    const progress = el('progress', {id: 'run-progress', max: 100, value: s.progress_percent, 'aria-label': t('run.progress')});
    const can = allowed(s, user);
    const button = (btnId, key, fn, cls) => (can[key] ? el('button', {id: btnId, type: 'button', class: cls, on: {click: fn}}, t(`btn.${key}`)) : null);
    replace(top,
      el('p', {class: 'back'}, el('a', {href: '#/runs'}, t('run.back'))),
      el('div', {class: 'run-head'}, el('h1', null, t('run.title'), ' ', el('code', {id: 'run-id'}, s.bulkTransferId)),
        badge('state', s.state, 'run-state')),
      el('dl', {class: 'facts'},
        item('run.file', el('span', {id: 'run-file-name'}, s.fileName || '—')),
        item('run.period', el('span', {id: 'run-period'}, s.period || '—')),
        item('run.created', el('span', {id: 'run-created'}, dateTime(s.createdAt))),
        item('run.createdBy', el('span', {id: 'run-created-by'}, s.createdBy)),
        s.executeAt ? item('run.executeAt', el('span', {id: 'run-execute-at'}, dateTime(s.executeAt))) : null,
        s.completedAt ? item('run.completedAt', dateTime(s.completedAt)) : null,
        item('run.approvalRequired', s.approvalRequired ? t('yes') : t('no')),
        s.msgId ? item('run.msgId', el('code', {id: 'run-msg-id'}, s.msgId)) : null,
        item('run.sha', el('code', {id: 'run-sha256', class: 'hash'}, s.fileSha256), 'wide')),
      el('div', {class: 'progress-box'}, progress,
        el('span', {id: 'run-progress-text', class: 'progress-text'}, percent(s.progress_percent))),
      el('p', {id: 'run-phase', class: 'phase', hidden: true}),
      el('div', {class: 'figures'},
        figure('run.total', 'run-total', s.total, s.totalAmount, s.currency),
        figure('run.succeeded', 'run-succeeded', s.succeeded, s.succeededAmount, s.currency),
        figure('run.failed', 'run-failed', s.failed - excludedOf(s).count, s.failedAmount - excludedOf(s).amount, s.currency),
        s.verification ? figure('run.excluded', 'run-excluded', s.verification.excluded, s.verification.excludedAmount, s.currency) : null),
      decisions(s),
      el('div', {class: 'actions', id: 'run-actions'},
        button('btn-approve', 'approve', openApprove),
        button('btn-reject', 'reject', openReject, 'danger'),
        button('btn-cancel', 'cancel', openCancel, 'danger'),
        button('btn-retry', 'retry', retry),
        button('btn-verify', 'verify', reverify, 'secondary')),
      el('div', {id: 'run-panel'}),
      el('div', {class: 'actions downloads'},
        el('button', {id: 'dl-report', type: 'button', class: 'secondary', on: {click: () => save('/report.csv', 'report')}}, t('dl.report')),
        el('button', {id: 'dl-pain002', type: 'button', class: 'secondary',
          on: {click: () => save('/pain002', 'pain002', 'xml')}}, t('dl.pain002')),
        s.verification ? el('button', {id: 'dl-verification', type: 'button', class: 'secondary',
          on: {click: () => save('/verification.csv', 'verification')}}, t('dl.verification')) : null));
    if (s.state === 'VERIFYING' && view.report) showPhase(view.report.verified, view.report.total);
  }

  function showPhase(done, total) {
    const phase = top.querySelector('#run-phase');
    if (!phase) return;
    replace(phase, t('run.phase', {done: count(done), total: count(total)})).hidden = false;
  }

  /** A progress event: bar, counts and the verification line; a new state reloads the page data. */
  function onProgress(ev) {
    if (!ev || ev.seq <= view.lastSeq || !view.summary) return;
    view.lastSeq = ev.seq;
    const bar = top.querySelector('#run-progress');
    if (bar) bar.value = ev.progress_percent;
    const set = (sel, text) => { const n = top.querySelector(sel); if (n) n.textContent = text; };
    set('#run-progress-text', percent(ev.progress_percent));
    set('#run-total', count(ev.total));
    set('#run-succeeded', count(ev.succeeded));
    set('#run-failed', count(ev.failed - excludedOf(view.summary).count));
    if (ev.phase === 'verification') showPhase(ev.verified || 0, ev.total);
    else { const p = top.querySelector('#run-phase'); if (p) p.hidden = true; }
    if (ev.state !== view.summary.state) reload();
  }

  // ------------------------------------------------------------ panels and actions

  function openPanel(name, panelId, ...children) {
    const slot = top.querySelector('#run-panel');
    view.panel = name;
    const panel = el('section', {id: panelId, class: 'panel card', 'aria-labelledby': `${panelId}-title`}, children);
    replace(slot, panel);
    const first = panel.querySelector('textarea, button');
    if (first) first.focus();
  }

  function closePanel() {
    const name = view.panel;
    view.panel = null;
    const slot = top.querySelector('#run-panel');
    if (slot) slot.replaceChildren();
    const back = name && top.querySelector(`#btn-${name}`);
    if (back) back.focus();
  }

  const abort = (panelId) => el('button', {id: `${panelId}-abort`, type: 'button', class: 'secondary', on: {click: closePanel}}, t('back'));

  async function act(button, path, body, done) {
    button.disabled = true;
    message.hidden = true;
    try {
      const answer = await json(runPath(id, path), {method: 'POST', body});
      if (!ctx.alive()) return;
      done(answer);
    } catch (err) {
      if (!ctx.alive()) return;
      say(errorText(err), true);
      button.disabled = false;
      if (err instanceof ApiError && err.status === 409) reload();
    }
  }

  function decided(key) {
    return () => { view.panel = null; say(t(key)); reload(); };
  }

  function openApprove() {
    const s = view.summary;
    const version = view.report ? view.report.version : s.verification && s.verification.version;
    const confirm = el('button', {id: 'approve-confirm', type: 'button', on: {click: () => act(confirm, '/approve',
      s.verification ? {fileSha256: s.fileSha256, verificationVersion: version} : {fileSha256: s.fileSha256},
      decided('msg.approved'))}}, t('approve.confirm'));
    openPanel('approve', 'approve-panel', el('h2', {id: 'approve-panel-title'}, t('approve.title')),
      el('p', null, t('approve.check')), el('p', null, el('code', {id: 'approve-sha', class: 'hash'}, s.fileSha256)),
      s.verification ? el('p', {id: 'approve-verification'}, t('approve.version',
        {version, excluded: count(view.report ? view.report.summary.excluded.count : s.verification.excluded)})) : null,
      el('div', {class: 'actions'}, confirm, abort('approve')));
  }

  function openReject() {
    const reason = el('textarea', {id: 'reject-reason', required: true, maxlength: 1000, rows: 3});
    const problem = el('p', {id: 'reject-problem', class: 'error', role: 'alert', hidden: true}, t('reject.required'));
    const confirm = el('button', {id: 'reject-confirm', type: 'button', class: 'danger', on: {click: () => {
      const text = reason.value.trim();
      problem.hidden = Boolean(text);
      reason.setAttribute('aria-invalid', text ? 'false' : 'true');
      if (text) act(confirm, '/reject', {reason: text}, decided('msg.rejected'));
      else reason.focus();
    }}}, t('reject.confirm'));
    openPanel('reject', 'reject-panel', el('h2', {id: 'reject-panel-title'}, t('reject.title')),
      el('div', {class: 'field'}, el('label', {for: 'reject-reason'}, t('reject.reason')), reason), problem,
      el('div', {class: 'actions'}, confirm, abort('reject')));
  }

  function openCancel() {
    const confirm = el('button', {id: 'cancel-confirm', type: 'button', class: 'danger',
      on: {click: () => act(confirm, '/cancel', undefined, decided('msg.cancelled'))}}, t('cancel.confirm'));
    openPanel('cancel', 'cancel-panel', el('h2', {id: 'cancel-panel-title'}, t('cancel.title')),
      el('p', null, t('cancel.text')), el('div', {class: 'actions'}, confirm, abort('cancel')));
  }

  function retry(e) {
    act(e.currentTarget, '/retry', undefined, (child) => {
      location.hash = `#/runs/${encodeURIComponent(child.bulkTransferId)}`;
    });
  }

  function reverify(e) {
    act(e.currentTarget, '/verify', undefined, decided('msg.verify'));
  }

  async function save(suffix, kind, ext = 'csv') {
    try {
      await download(runPath(id, suffix), `${id}-${kind}.${ext}`);
    } catch (err) {
      if (ctx.alive()) say(errorText(err), true);
    }
  }

  // ------------------------------------------------------------ data

  async function loadTransfers(reset) {
    const page = await json(runPath(id, '/status'), {query: {limit: PAGE, status: view.filter,
      cursor: reset ? null : view.cursor}});
    if (!ctx.alive()) return page;
    if (reset) transfers.replaceChildren();
    append(transfers, page.transfers.map(transferRow));
    view.cursor = page.nextCursor;
    moreTransfers.hidden = !view.cursor;
    emptyTransfers.hidden = transfers.children.length > 0;
    return page;
  }

  async function loadVerification(reset) {
    const f = view.verFilter;
    const report = await json(runPath(id, '/verification'), {query: {limit: PAGE, result: f.result,
      grade: f.grade, cursor: reset ? null : view.verCursor}});
    if (!ctx.alive()) return;
    view.report = report;
    view.verCursor = report.nextCursor;
    if (reset) renderVerification(report);
    const body = verification.querySelector('#verification-rows tbody');
    append(body, report.rows.map((r) => verificationRow(r, report.currency)));
    verification.querySelector('#verification-more').hidden = !report.nextCursor;
  }

  function renderVerification(report) {
    const s = report.summary;
    const filter = (selId, key, values, all) => select({id: selId, on: {change: (e) => {
      view.verFilter[key] = e.target.value;
      loadVerification(true).catch((err) => say(errorText(err), true));
    }}}, [['', t(all)], ...values.map((v) => [v, label(key, v)])], view.verFilter[key]);
    replace(verification, el('section', {id: 'verification', class: 'card'},
      el('h2', null, t('ver.title')),
      el('p', null, t(`ver.mode.${report.mode}`)),
      report.inProgress ? el('p', {class: 'notice'}, t('ver.inProgress')) : null,
      el('dl', {class: 'facts'},
        item('ver.version', el('span', {id: 'verification-version'}, String(report.version))),
        item('ver.verifiedAt', dateTime(report.verifiedAt)),
        item('ver.excluded', el('span', {id: 'verification-excluded'},
          `${count(s.excluded.count)} — ${money(s.excluded.amount, report.currency)}`))),
      el('div', {class: 'tallies'},
        tallyTable('verification-results', 'result', s.byResult, report.currency, t('ver.byResult')),
        tallyTable('verification-grades', 'grade', s.byGrade, report.currency, t('ver.byGrade'))),
      el('h3', null, t('ver.rows')),
      el('div', {class: 'filters'},
        el('label', {for: 'verification-filter-result', class: 'visually-hidden'}, t('col.result')),
        filter('verification-filter-result', 'result', RESULTS, 'ver.allResults'),
        el('label', {for: 'verification-filter-grade', class: 'visually-hidden'}, t('col.grade')),
        filter('verification-filter-grade', 'grade', GRADES, 'ver.allGrades')),
      table('verification-rows', ['col.line', 'col.fileName', 'col.registeredName', 'col.grade', 'col.result',
        'col.excluded', 'col.amount'].map((k) => t(k)), []),
      el('div', {class: 'actions'}, el('button', {id: 'verification-more', type: 'button', class: 'secondary', hidden: true,
        on: {click: () => loadVerification(false).catch((err) => say(errorText(err), true))}}, t('more')))));
  }

  /** Summary, first page of transfers and the verification report, again. Calls coalesce. */
  function reload() {
    if (reloading) {
      reloadAgain = true;
      return reloading;
    }
    reloading = (async () => {
      try {
        const page = await loadTransfers(true);
        if (!ctx.alive()) return;
        const before = view.panel;
        // The status body is the summary's fields flattened beside `transfers` (older: `summary`).
        view.summary = page.summary || page;
        if (view.summary.verification) await loadVerification(true);
        else verification.replaceChildren();
        if (!ctx.alive()) return;
        renderTop();
        loadError.hidden = true;
        if (before && allowed(view.summary, user)[before]) {
          ({approve: openApprove, reject: openReject, cancel: openCancel})[before]?.();
        } else view.panel = null;
        follow();
      } catch (err) {
        if (!ctx.alive()) return;
        showError(loadError, err);
        if (!view.summary) top.replaceChildren();
      }
    })().finally(() => {
      reloading = null;
      if (reloadAgain && ctx.alive()) {
        reloadAgain = false;
        reload();
      }
    });
    return reloading;
  }

  // ------------------------------------------------------------ live stream

  function stopLive() {
    if (live.es) live.es.close();
    clearTimeout(live.timer);
    live = {es: null, timer: null, opening: false};
  }

  function later(ms) {
    clearTimeout(live.timer);
    live.timer = setTimeout(() => { live.timer = null; follow(); }, ms);
  }

  function parse(data) {
    try {
      return JSON.parse(data);
    } catch {
      return null;
    }
  }

  /** Opens the stream while the run is not final (a new ticket each time: tickets work once). */
  async function follow() {
    if (!ctx.alive() || !view.summary) return;
    if (FINAL.has(view.summary.state)) {
      stopLive();
      return;
    }
    if (live.es || live.timer || live.opening) return;
    live.opening = true;
    let ticket;
    try {
      ticket = (await json(runPath(id, '/stream-ticket'), {method: 'POST'})).ticket;
    } catch (err) {
      live.opening = false;
      if (ctx.alive() && !(err instanceof ApiError && [401, 403, 404].includes(err.status))) later(5000);
      return;
    }
    live.opening = false;
    if (!ctx.alive() || live.es) return;
    const es = new EventSource(`${runPath(id, '/stream')}?ticket=${encodeURIComponent(ticket)}`);
    live.es = es;
    es.addEventListener('progress', (e) => onProgress(parse(e.data)));
    es.addEventListener('done', (e) => {
      stopLive();
      onProgress(parse(e.data));
      reload();
    });
    es.addEventListener('error', () => {
      if (live.es !== es) return;
      es.close();
      live.es = null;
      if (view.summary && !FINAL.has(view.summary.state)) later(2000);
    });
  }

  // ------------------------------------------------------------ page

  const statusFilter = select({id: 'transfers-filter', on: {change: (e) => {
    view.filter = e.target.value;
    loadTransfers(true).catch((err) => say(errorText(err), true));
  }}}, [['', t('tr.all')], ...TRANSFER_STATUSES.map((s) => [s, label('status', s)])], view.filter);
  moreTransfers.addEventListener('click', () => loadTransfers(false).catch((err) => say(errorText(err), true)));

  replace(main, loadError, top, message, verification,
    el('section', {class: 'transfers'}, el('h2', null, t('tr.title')),
      el('div', {class: 'filters'}, el('label', {for: 'transfers-filter'}, t('col.status')), statusFilter),
      table('transfers-table', ['col.line', 'col.payee', 'col.identifier', 'col.amount', 'col.status',
        'col.error', 'col.attempts'].map((k) => t(k)), transfers),
      emptyTransfers, el('div', {class: 'actions'}, moreTransfers)));
  ctx.onLeave(stopLive);
  reload();
}

