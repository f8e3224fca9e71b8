// DOM helpers. Text always goes in through text nodes, never innerHTML,
// so names and payloads cannot inject markup.

// h creates an element: h('a', {href: '#/', class: 'x', onclick: f}, 'text', child, [more]).
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'value') el.value = v;
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden' || k === 'open') el[k] = !!v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// Formatting.
export function fmtNum(n) {
  if (n === undefined || n === null || n === '') return '';
  return Number(n).toLocaleString('en-US');
}

export function fmtRate(r) {
  if (r === undefined || r === null) return '';
  const n = Number(r);
  if (n === 0) return '0.0/s';
  return (n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')) + '/s';
}

export function fmtBytes(n) {
  if (n === undefined || n === null) return '';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(n), i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

export function fmtDuration(ms) {
  let s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const mm = Math.floor(s / 60); s -= mm * 60;
  return (d ? d + 'd ' : '') + (d || hh ? hh + 'h ' : '') + mm + 'm ' + s + 's';
}

export function rate(o, key) {
  const ms = o && o.message_stats;
  return ms && ms[key + '_details'] ? ms[key + '_details'].rate : undefined;
}

// json renders a value compactly for a table cell.
export function jsonCell(v) {
  if (v === undefined || v === null) return '';
  if (typeof v === 'object' && Object.keys(v).length === 0) return '';
  return h('code', {}, JSON.stringify(v));
}

// features renders declare flags as tags, RabbitMQ-style.
export function features(o) {
  const t = [];
  if (o.durable) t.push(h('span', { class: 'tag', title: 'durable' }, 'D'));
  if (o.auto_delete) t.push(h('span', { class: 'tag', title: 'auto-delete' }, 'AD'));
  if (o.exclusive) t.push(h('span', { class: 'tag', title: 'exclusive' }, 'Excl'));
  if (o.internal) t.push(h('span', { class: 'tag', title: 'internal' }, 'I'));
  for (const k of Object.keys(o.arguments || {})) {
    t.push(h('span', { class: 'tag warn', title: k + ': ' + JSON.stringify(o.arguments[k]) }, shortArg(k)));
  }
  return t;
}

function shortArg(k) {
  const m = { 'x-message-ttl': 'TTL', 'x-expires': 'Exp', 'x-max-length': 'Lim', 'x-max-length-bytes': 'Lim B',
    'x-dead-letter-exchange': 'DLX', 'x-dead-letter-routing-key': 'DLK', 'x-max-priority': 'Pri',
    'x-overflow': 'Ovfl', 'x-queue-type': 'Type', 'alternate-exchange': 'AE', 'x-single-active-consumer': 'SAC' };
  return m[k] || k;
}

// table renders rows. cols: [{title, get(row) → node|string, num: bool}].
export function table(cols, rows, empty = 'Nothing to show') {
  const head = h('tr', {}, cols.map((c) => h('th', { class: c.num ? 'num' : null }, c.title)));
  const body = rows.length === 0
    ? [h('tr', {}, h('td', { class: 'empty', colspan: cols.length }, empty))]
    : rows.map((r) => h('tr', {}, cols.map((c) => h('td', { class: c.num ? 'num' : null }, c.get(r)))));
  return h('div', { class: 'table-wrap' }, h('table', { class: 'grid' }, h('thead', {}, head), h('tbody', {}, body)));
}

// kv renders a two-column key/value table.
export function kv(pairs) {
  return h('table', { class: 'grid kv' }, h('tbody', {}, pairs.map(([k, v, id]) =>
    h('tr', {}, h('th', {}, k), h('td', { dataset: id ? { k: id } : undefined }, v)))));
}

// section is a collapsible panel.
export function section(title, open, ...body) {
  return h('details', { class: 'section', open }, h('summary', {}, title), h('div', { class: 'body' }, body));
}

// field is one labelled form control; name is the FormData key.
export function field(label, control, hint) {
  return [h('label', {}, h('span', {}, label), control), hint ? h('div', { class: 'hint' }, hint) : null];
}

export const input = (name, props = {}) => h('input', { name, ...props });
export const textarea = (name, props = {}) => h('textarea', { name, ...props });
export const checkbox = (name, checked) => h('input', { type: 'checkbox', name, checked });

export function select(name, options, value, props = {}) {
  return h('select', { name, ...props }, options.map((o) => {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    return h('option', { value: v, selected: v === value }, label);
  }));
}

// form builds a fields form whose submit handler gets the form values
// (checkboxes as booleans) and reports errors as toasts.
export function form(fields, submitLabel, onSubmit, extra) {
  const f = h('form', { class: 'fields' }, fields,
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, submitLabel), extra || null));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const vals = {};
    for (const el of f.elements) {
      if (!el.name) continue;
      vals[el.name] = el.type === 'checkbox' ? el.checked : el.value;
    }
    const btn = f.querySelector('button[type=submit]');
    btn.disabled = true;
    try {
      await onSubmit(vals, f);
    } catch (e) {
      toast(e.message, true);
    } finally {
      btn.disabled = false;
    }
  });
  return f;
}

// parseJSONObject reads an optional JSON object from a textarea.
export function parseJSONObject(text, what) {
  const s = (text || '').trim();
  if (!s) return {};
  let v;
  try { v = JSON.parse(s); } catch (e) { throw new Error(what + ': not valid JSON (' + e.message + ')'); }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(what + ': must be a JSON object');
  return v;
}

export function toast(text, isErr) {
  const t = h('div', { class: 'toast' + (isErr ? ' err' : ''), role: isErr ? 'alert' : 'status' }, text);
  document.getElementById('toasts').appendChild(t);
  setTimeout(() => t.remove(), isErr ? 8000 : 3000);
}

// danger is a delete-style button that asks first.
export function danger(label, question, action, cls = 'danger small') {
  return h('button', {
    type: 'button', class: cls, onclick: async () => {
      if (!window.confirm(question)) return;
      try { await action(); } catch (e) { toast(e.message, true); }
    },
  }, label);
}

export function link(href, text) { return h('a', { href }, text); }
