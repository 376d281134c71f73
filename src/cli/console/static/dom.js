// DOM and API helpers of the console page. Every string from the cluster goes into the page as
// text (text nodes, attribute values), never as markup: record contents, topic and group names and
// error messages are untrusted.
const errorBox = document.getElementById('error');

/** el('td', { class: 'num' }, 'text', childNode, ...): strings become text nodes. */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'value') node.value = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export class ApiError extends Error {
  constructor(name, message) {
    super(message);
    this.errorName = name;
  }
}

export async function api(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError('CONSOLE_UNREACHABLE', 'The console server does not answer: ' + e.message);
  }
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError((data && data.error) || 'HTTP_' + res.status, (data && data.message) || res.statusText);
  return data;
}

export function showError(e) {
  if (!e) {
    errorBox.hidden = true;
    errorBox.textContent = '';
    return;
  }
  errorBox.hidden = false;
  errorBox.textContent = e.errorName ? e.errorName + ': ' + e.message : String(e.message || e);
}

export const enc = encodeURIComponent;
export const fmtNum = (n) => (n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'));
export function fmtBytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return (i === 0 ? v : v.toFixed(1)) + ' ' + units[i];
}

export function table(headers, rows, attrs) {
  return el(
    'table',
    attrs,
    el('thead', {}, el('tr', {}, headers.map((h) => el('th', { class: h.num ? 'num' : null }, h.label || h)))),
    el('tbody', {}, rows.length === 0 ? el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, 'None')) : rows),
  );
}

export const td = (v, num) => el('td', { class: num ? 'num' : null }, v === null || v === undefined ? '–' : v);

/** Replaces the children of a container (the refreshable parts of a page). */
export function fill(container, ...nodes) {
  container.replaceChildren(...nodes.flat());
}

export function formData(form) {
  return Object.fromEntries(new FormData(form).entries());
}

/** A form whose submit runs fn; the result line says what happened, errors by Kafka name. */
export function actionForm(attrs, fields, label, fn, buttonClass) {
  const result = el('div', { class: 'result', role: 'status' });
  const form = el('form', { class: 'inline', ...attrs }, fields, el('button', { type: 'submit', class: buttonClass }, label));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    result.className = 'result';
    result.textContent = 'Working…';
    try {
      const text = await fn(formData(form), form);
      result.className = 'result ok';
      result.textContent = text;
    } catch (e) {
      result.className = 'result error';
      result.textContent = e.errorName ? e.errorName + ': ' + e.message : String(e.message || e);
    }
  });
  return el('div', {}, form, result);
}

export const field = (label, input) => el('label', {}, label, input);

/** 1234 ms -> '1.2 s', 95000 -> '1 min 35 s', 7200000 -> '2 h 0 min'. */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined) return '–';
  if (ms < 1000) return ms + ' ms';
  const s = ms / 1000;
  if (s < 60) return s.toFixed(1) + ' s';
  const m = Math.floor(s / 60);
  if (m < 60) return m + ' min ' + Math.floor(s % 60) + ' s';
  return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
}

/** A time as the local clock shows it, with how long ago. */
export function fmtAgo(ms, now = Date.now()) {
  if (!ms) return '–';
  return new Date(ms).toLocaleTimeString() + ' (' + fmtDuration(Math.max(0, now - ms)) + ' ago)';
}
