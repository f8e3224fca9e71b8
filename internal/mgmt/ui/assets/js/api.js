// The management API client: HTTP basic credentials kept in
// sessionStorage and sent on every request, JSON in and out.

const KEY = 'warren.auth';
const USER = 'warren.user';

export function credentials() { return sessionStorage.getItem(KEY); }
export function username() { return sessionStorage.getItem(USER) || ''; }

export function saveCredentials(user, pass) {
  // btoa takes Latin-1; encode UTF-8 first so any user name works.
  const bytes = new TextEncoder().encode(user + ':' + pass);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  sessionStorage.setItem(KEY, 'Basic ' + btoa(bin));
  sessionStorage.setItem(USER, user);
}

export function clearCredentials() {
  sessionStorage.removeItem(KEY);
  sessionStorage.removeItem(USER);
}

export class ApiError extends Error {
  constructor(status, type, reason) {
    super(reason || type || ('HTTP ' + status));
    this.status = status;
    this.type = type;
  }
}

let onUnauthenticated = () => {};
export function setUnauthenticatedHandler(f) { onUnauthenticated = f; }

// enc encodes one path segment ("/" → "%2F", as RabbitMQ's paths expect).
export const enc = encodeURIComponent;

// api sends a request to /api<path>. body: undefined, a string (sent as
// is) or a value (sent as JSON). Resolves to the parsed JSON, or null.
export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const auth = opts.auth || credentials();
  if (auth) headers.Authorization = auth;
  let data;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    data = typeof body === 'string' ? body : JSON.stringify(body);
  }
  Object.assign(headers, opts.headers || {});
  // credentials: 'omit' keeps the browser from showing its own login
  // dialog on a 401 challenge; the Authorization header is still sent.
  const resp = await fetch('api' + path, { method, headers, body: data, credentials: 'omit', cache: 'no-store' });
  const text = await resp.text();
  let json = null;
  if (text) {
    try { json = JSON.parse(text); } catch (e) { json = null; }
  }
  if (!resp.ok) {
    const type = json && json.error;
    const reason = (json && json.reason) || text || resp.statusText;
    // "not_authorized" is a failed login; "not_authorised" a missing
    // permission, which must not log the user out.
    if (resp.status === 401 && type === 'not_authorized' && !opts.auth) onUnauthenticated();
    throw new ApiError(resp.status, type, reason);
  }
  return json;
}

export const get = (path) => api('GET', path);

// userNames lists the users' names (forms that pick a user).
export async function userNames() {
  return (await api('GET', '/users?columns=name')).map((u) => u.name);
}

// listPath builds a list path, per vhost when one is chosen.
export function listPath(kind, vhost) {
  return vhost ? `/${kind}/${enc(vhost)}` : `/${kind}`;
}

// query renders URL query parameters, skipping empty ones.
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  }
  const s = q.toString();
  return s ? '?' + s : '';
}

// download fetches path with credentials and saves it as a file.
export async function download(path, filename) {
  const resp = await fetch('api' + path, { headers: { Authorization: credentials() }, credentials: 'omit', cache: 'no-store' });
  if (!resp.ok) throw new ApiError(resp.status, '', await resp.text());
  const blob = await resp.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
