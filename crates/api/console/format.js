/**
 * Number, money, percentage and date formatting for the current language.
 *
 * Amounts arrive as integers of minor units; the currency's exponent is what Intl reports for it
 * (XOF → 0, EUR → 2), so the conversion never relies on a table of our own.
 */

import {locale} from '/console/i18n.js';

const cache = new Map();

function formatter(key, make) {
  const k = locale() + '|' + key;
  if (!cache.has(k)) cache.set(k, make());
  return cache.get(k);
}

/** Decimal places of a currency (ISO 4217 exponent), 2 when the code is unknown to Intl. */
export function exponent(currency) {
  try {
    return new Intl.NumberFormat('en', {style: 'currency', currency}).resolvedOptions()
      .maximumFractionDigits;
  } catch {
    return 2;
  }
}

/** `37500, 'XOF'` → « 37 500 F CFA » (fr-FR) / « XOF 37,500 » (en-GB). */
export function money(minor, currency) {
  if (minor === null || minor === undefined) return '—';
  const exp = exponent(currency);
  try {
    const f = formatter('cur:' + currency, () => new Intl.NumberFormat(locale(),
      {style: 'currency', currency, minimumFractionDigits: exp, maximumFractionDigits: exp}));
    return f.format(Number(minor) / 10 ** exp);
  } catch {
    return `${minor} ${currency}`;
  }
}

/** An integer count with the locale's grouping. */
export function count(n) {
  if (n === null || n === undefined) return '—';
  return formatter('int', () => new Intl.NumberFormat(locale())).format(n);
}

/** `42` → « 42 % » (narrow no-break space in French), `42.5` → « 42,5 % »; no decimals when whole. */
export function percent(p) {
  const n = formatter('pct', () => new Intl.NumberFormat(locale(), {maximumFractionDigits: 2}))
    .format(Number(p) || 0);
  return locale() === 'fr-FR' ? `${n}\u202f%` : `${n}%`;
}

/** An RFC 3339 time shown in local time; « — » when absent. */
export function dateTime(s) {
  if (!s) return '—';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? String(s) : d.toLocaleString(locale());
}

/**
 * Major units typed by a person (« 1 250 000 », « 12,50 », « 12.5 ») → integer of minor units as
 * a string, or null when the text is not an amount with at most `exp` decimals. Pure string work:
 * no floating point between what was typed and what is sent.
 */
export function toMinor(text, exp) {
  const s = String(text).replace(/[\s\u00a0\u202f']/g, '').replace(',', '.');
  const m = /^(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const frac = m[2] || '';
  if (frac.length > exp) return null;
  const minor = (m[1] + frac.padEnd(exp, '0')).replace(/^0+(?=\d)/, '');
  return /^0+$/.test(minor) ? null : minor;
}
