/**
 * Entry point of the operator console: session bootstrap, header, language switch and hash
 * routing (`#/login`, `#/runs`, `#/upload`, `#/runs/<id>`, `#/accounts`).
 *
 * Each navigation renders the whole page again (also after a language switch): the previous page's
 * clean-ups run first (e.g. closing its live stream), and its late answers are ignored because its
 * `ctx.alive()` turns false.
 */

import * as api from '/console/api.js';
import {el, replace, select} from '/console/dom.js';
import {t, label, setLang, currentLang} from '/console/i18n.js';
import {loginPage, runsPage, uploadPage, accountsPage} from '/console/pages.js';
import {runPage} from '/console/run.js';

const ROUTES = {'/login': loginPage, '/runs': runsPage, '/upload': uploadPage, '/accounts': accountsPage};

const session = {user: null, notice: null, afterLogin: null};
let generation = 0;
let cleanups = [];

/** `#/runs/abc` → `{path: '/runs/:id', id: 'abc'}`; unknown paths → `{path: null}`. */
function parseHash() {
  const path = location.hash.replace(/^#/, '') || '/runs';
  const m = /^\/runs\/([^/]+)$/.exec(path);
  if (m) {
    try {
      return {path: '/runs/:id', id: decodeURIComponent(m[1])};
    } catch {
      return {path: null};
    }
  }
  return {path: ROUTES[path] ? path : null};
}

function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

function languagePicker() {
  const picker = select({id: 'lang', on: {change: (e) => {
    setLang(e.target.value);
    render();
    const again = document.getElementById('lang');
    if (again) again.focus();
  }}}, [['fr', 'Français'], ['en', 'English']], currentLang());
  return el('div', {class: 'lang'}, el('label', {for: 'lang', class: 'visually-hidden'}, t('lang.label')), picker);
}

function navLink(id, hash, key, current) {
  return el('a', {id, href: hash, 'aria-current': current ? 'page' : null}, t(key));
}

async function logout() {
  await api.logout();
  session.user = null;
  session.notice = null;
  go('#/login');
}

function renderHeader(path) {
  const header = document.getElementById('top');
  const user = session.user;
  replace(header,
    el('a', {class: 'brand', href: user ? '#/runs' : '#/login'},
      el('img', {src: '/console/favicon.svg', alt: '', width: 24, height: 24}), t('app.brand')),
    user ? el('nav', {'aria-label': t('nav.label')},
      navLink('nav-runs', '#/runs', 'nav.runs', path === '/runs' || path === '/runs/:id'),
      user.role === 'GESTIONNAIRE' ? navLink('nav-upload', '#/upload', 'nav.upload', path === '/upload') : null,
      navLink('nav-accounts', '#/accounts', 'nav.accounts', path === '/accounts')) : null,
    user ? el('div', {class: 'who'},
      el('span', {id: 'org-name', class: 'org'}, user.organisation ? user.organisation.name : ''),
      el('span', {id: 'user-name'}, user.username),
      el('span', {id: 'user-role', class: 'role', dataset: {role: user.role}}, label('role', user.role)),
      el('button', {id: 'logout', type: 'button', class: 'secondary', on: {click: logout}}, t('logout')),
      languagePicker()) : languagePicker());
}

function render() {
  for (const fn of cleanups) fn();
  cleanups = [];
  const mine = ++generation;
  const route = parseHash();
  if (!session.user && route.path !== '/login') {
    session.afterLogin = route.path ? location.hash : null;
    go('#/login');
    return;
  }
  if (session.user && (route.path === '/login' || !route.path)) {
    go('#/runs');
    return;
  }
  const ctx = {
    user: session.user,
    notice: session.notice,
    alive: () => mine === generation,
    onLeave: (fn) => cleanups.push(fn),
    signedIn: (user) => {
      session.user = user;
      session.notice = null;
      go(session.afterLogin || '#/runs');
      session.afterLogin = null;
    },
  };
  renderHeader(route.path);
  const main = document.getElementById('main');
  if (route.path === '/runs/:id') runPage(main, ctx, route.id);
  else ROUTES[route.path](main, ctx);
}

api.onSessionLost((reason) => {
  session.user = null;
  session.notice = reason;
  render();
});

async function start() {
  window.addEventListener('hashchange', render);
  if (api.hasSession()) {
    replace(document.getElementById('main'), el('p', {class: 'loading'}, t('loading')));
    try {
      session.user = await api.resume();
    } catch {
      session.user = null;
    }
  }
  render();
}

start();
