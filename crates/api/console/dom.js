/**
 * DOM construction helpers. Every node is built with createElement and text nodes: strings passed
 * as children always become text, never markup, because payee names, file names and server
 * messages are untrusted. Attributes go through setAttribute, except a short list of properties;
 * event handlers are attached with addEventListener (`on: {click: fn}`), never as attributes.
 */

/** Properties set directly on the element rather than as attributes. */
const PROPS = new Set(['value', 'checked', 'disabled', 'hidden', 'required', 'selected']);

/** Only same-document and same-origin links are built by the console. */
function safeHref(value) {
  const v = String(value);
  return v.startsWith('#') || (v.startsWith('/') && !v.startsWith('//')) ? v : '#';
}

/** Appends children: strings and numbers as text nodes, arrays flattened, null/false skipped. */
export function append(node, ...children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** `el('a', {href: '#/runs', class: 'x'}, 'text', otherNode)`. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'on') {
      for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value)) if (v !== null && v !== undefined) node.dataset[k] = v;
    } else if (key === 'class') {
      node.className = value;
    } else if (PROPS.has(key)) {
      node[key] = value;
    } else if (/^on/i.test(key)) {
      throw new Error('event handlers go in `on`');
    } else {
      node.setAttribute(key, key === 'href' ? safeHref(value) : value === true ? '' : String(value));
    }
  }
  return append(node, ...children);
}

/** Removes every child, then appends the given ones. */
export function replace(node, ...children) {
  node.replaceChildren();
  return append(node, ...children);
}

/** A scrollable table: header cells, then a `tbody` element or an array of rows. */
export function table(id, headers, body, caption) {
  const tbody = body instanceof HTMLTableSectionElement ? body : el('tbody', null, body);
  return el('div', {class: 'table-wrap'},
    el('table', {id},
      caption ? el('caption', null, caption) : null,
      el('thead', null, el('tr', null, headers.map((h) => el('th', {scope: 'col'}, h)))),
      tbody));
}

/** A body row; each cell is a `td` already built, or content for a new one. */
export function row(attrs, cells) {
  return el('tr', attrs, cells.map((c) => (c instanceof HTMLTableCellElement ? c : el('td', null, c))));
}

/** A right-aligned numeric cell. */
export function num(content) {
  return el('td', {class: 'num'}, content);
}

/** A `<select>` from `[value, label]` pairs, with `value` preselected. */
export function select(attrs, options, value) {
  return el('select', attrs,
    options.map(([v, label]) => el('option', {value: v, selected: v === value}, label)));
}

/** A labelled form field: `<div class="field"><label for=id>…</label>control hint</div>`. */
export function field(label, control, hint) {
  if (hint) control.setAttribute('aria-describedby', control.id + '-hint');
  return el('div', {class: 'field'}, el('label', {for: control.id}, label), control,
    hint ? el('p', {class: 'hint', id: control.id + '-hint'}, hint) : null);
}
