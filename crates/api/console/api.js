/**
 * Client of the gateway's API (same origin).
 *
 * Tokens: the access token lives in this module's memory only; the refresh token is in
 * sessionStorage `gw.refresh` so a reload keeps the session. Neither ever goes into a URL. The
 * access token is renewed at ~80 % of its life; a 401 from any call triggers one refresh and one
 * retry of that call. When a refresh fails the session is lost and the handler set with
 * `onSessionLost` is told (the app goes back to the login page with a message).
 */

const REFRESH_KEY = 'gw.refresh';

let access = null;
let timer = null;
let refreshing = null;
let lostHandler = () => {};

/** An API refusal: HTTP status, stable `code`, server `message`, `details`, `retryAfter` (s). */
export class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || (status === 0 ? 'network' : `http_${status}`);
    this.details = Array.isArray(body && body.details) ? body.details : [];
    this.retryAfter = retryAfter;
    /** `invalid_file`: every problem found (`details` lists the first ones) and their count by code. */
    this.totalProblems = body && Number.isInteger(body.totalProblems) ? body.totalProblems : undefined;
    this.problemsByCode = (body && body.problemsByCode) || {};
  }
}

/** Called with a reason key when the session cannot be renewed. */
export function onSessionLost(fn) {
  lostHandler = fn;
}

/** Whether a refresh token is kept from an earlier page load. */
export function hasSession() {
  return Boolean(sessionStorage.getItem(REFRESH_KEY));
}

/** The payload of a JWT (base64url JSON), or null. */
function decodeJwt(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const bin = atob(part.padEnd(part.length + ((4 - (part.length % 4)) % 4), '='));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
  } catch {
    return null;
  }
}

function keep(pair) {
  access = pair.access;
  sessionStorage.setItem(REFRESH_KEY, pair.refresh);
  schedule();
}

function forget() {
  access = null;
  clearTimeout(timer);
  sessionStorage.removeItem(REFRESH_KEY);
}

/** Renews at 80 % of the token's life, counted from now (the token was just received). */
function schedule() {
  clearTimeout(timer);
  const claims = decodeJwt(access);
  if (!claims || !claims.exp || !claims.iat) return;
  const delay = Math.min(Math.max((claims.exp - claims.iat) * 800, 5000), 2 ** 31 - 1);
  timer = setTimeout(() => {
    renew().catch((e) => {
      // The server was unreachable or busy: try the exchange again shortly (the session stays).
      if (e.status !== 401) timer = setTimeout(retryRenew, 10000);
    });
  }, delay);
}

/** Another exchange after a failed one, until it works or the session is refused. */
function retryRenew() {
  renew().catch((e) => {
    if (e.status !== 401) timer = setTimeout(retryRenew, 10000);
  });
}

function lose(reason) {
  forget();
  lostHandler(reason);
}

/** Exchanges the refresh token (rotation: the new one replaces it). One exchange at a time. */
export function renew() {
  if (!refreshing) {
    refreshing = (async () => {
      const refresh = sessionStorage.getItem(REFRESH_KEY);
      if (!refresh) throw new ApiError(401, {error: 'no_session'});
      try {
        keep(await json('/api/auth/refresh', {method: 'POST', body: {refresh}, auth: false}));
      } catch (e) {
        // Only a refusal of the token ends the session; a 429, 5xx or network failure does not.
        if (e.status === 401) lose('login.expired');
        throw e;
      }
    })().finally(() => { refreshing = null; });
  }
  return refreshing;
}

function url(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function failure(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  const wait = Number.parseInt(res.headers.get('Retry-After') || '', 10);
  return new ApiError(res.status, body, Number.isFinite(wait) ? wait : undefined);
}

/**
 * One call: `{method, query, body (JSON), form (FormData), auth (default true), accept}` → the
 * Response. Refreshes and retries once after a 401.
 */
export async function call(path, opts = {}, retried = false) {
  const auth = opts.auth !== false;
  const headers = {Accept: opts.accept || 'application/json'};
  if (auth && access) headers.Authorization = `Bearer ${access}`;
  let body = opts.form;
  if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(opts.body);
  }
  let res;
  try {
    res = await fetch(url(path, opts.query), {
      method: opts.method || 'GET', headers, body, cache: 'no-store', credentials: 'same-origin',
    });
  } catch (e) {
    throw new ApiError(0, {error: 'network', message: String((e && e.message) || e)});
  }
  if (res.status === 401 && auth) {
    if (retried) {
      lose('login.expired');
      throw await failure(res);
    }
    await renew();
    return call(path, opts, true);
  }
  if (!res.ok) throw await failure(res);
  return res;
}

/** A call whose answer is JSON (null for 204). */
export async function json(path, opts) {
  const res = await call(path, opts);
  return res.status === 204 ? null : res.json();
}

/** Logs in; keeps the tokens and answers the user. */
export async function login(username, password) {
  const answer = await json('/api/auth/login', {method: 'POST', body: {username, password}, auth: false});
  keep(answer);
  return answer.user;
}

/** Restores a session from the kept refresh token; answers the user. */
export async function resume() {
  await renew();
  return json('/api/auth/me');
}

/** Revokes the refresh token (best effort) and forgets both tokens. */
export async function logout() {
  const refresh = sessionStorage.getItem(REFRESH_KEY);
  try {
    if (refresh && access) await call('/api/auth/logout', {method: 'POST', body: {refresh}});
  } catch {
    // The session ends locally anyway.
  }
  forget();
}

/** Downloads an authenticated file: fetched with the bearer header, saved from a Blob. */
export async function download(path, fileName) {
  const res = await call(path, {accept: fileName.endsWith('.xml') ? 'application/xml' : 'text/csv'});
  const href = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10000);
}

/** `/api/bulk-transfers/<id><suffix>` with the id encoded. */
export function runPath(id, suffix = '') {
  return `/api/bulk-transfers/${encodeURIComponent(id)}${suffix}`;
}
