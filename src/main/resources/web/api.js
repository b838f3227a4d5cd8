// The API as the page calls it: the secret the user entered, requests, and failures as plain sentences.
export const API = '/api/v1/audio';
export const $ = (id) => document.getElementById(id);

export function key() { return sessionStorage.getItem('earshot.key') || ''; }

export function setKey(value) { sessionStorage.setItem('earshot.key', value); }

/** True when the secret is a JWT (three dot-separated parts), sent as a bearer token; anything else is an API key. */
export function isJwt(k = key()) { return k.split('.').length === 3; }

export function authHeaders() {
  const k = key();
  if (!k) return {};
  return isJwt(k) ? { Authorization: 'Bearer ' + k } : { 'X-API-KEY': k };
}

/** The secret as a query parameter, for EventSource and WebSocket, which cannot set headers. */
export function tokenQuery(extra = {}) {
  const params = new URLSearchParams(extra);
  if (key()) params.set('token', key());
  const q = params.toString();
  return q ? '?' + q : '';
}

export function showError(text) {
  const e = $('error');
  e.textContent = text || '';
  e.hidden = !text;
}

/** A failed answer as a plain sentence. */
export async function explain(res) {
  if (res.status === 401) {
    return isJwt() ? 'The token was not accepted (expired or not signed for this server). Paste a new one and press Use.'
      : 'The API key or token was not accepted. Check it and press Use.';
  }
  if (res.status === 403) return 'This key may not do that.';
  let detail = '';
  try {
    const body = await res.json();
    detail = body.detail || (body.error && body.error.message) || body.title || '';
    if (res.status === 429 && body.quota) return 'Quota reached (' + body.quota + '): ' + detail;
  } catch (ignored) { /* not JSON */ }
  return 'The server answered ' + res.status + (detail ? ': ' + detail : '.');
}

export async function call(method, path, body) {
  const headers = authHeaders();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new Error('The server could not be reached.');
  }
  if (!res.ok) throw new Error(await explain(res));
  return res;
}

export async function json(method, path, body) { return (await call(method, path, body)).json(); }

export function button(label, testid, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.dataset.testid = testid;
  b.addEventListener('click', onClick);
  return b;
}

/** Seconds as m:ss.s. */
export function clock(seconds) {
  const s = Math.max(0, seconds || 0);
  const m = Math.floor(s / 60);
  return m + ':' + (s - 60 * m).toFixed(1).padStart(4, '0');
}
