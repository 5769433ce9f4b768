// Calls to the deskwatch HTTP API with the Bearer token.
import { S } from './state.js';
import { t } from './text.js';

// What a 401 ends is the session's business (session.js sets it): this
// module and the stream only report it, so they need not import the session.
let onUnauthorizedFn = () => {};
export function onUnauthorized(fn) { onUnauthorizedFn = fn; }
export function unauthorized() { onUnauthorizedFn(); }

class ApiError extends Error {
  constructor(status, msg, code) { super(msg); this.status = status; this.code = code; }
}
export async function api(method, path, body) {
  const headers = { Authorization: 'Bearer ' + S.token, 'Accept-Language': S.lang };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, t('err.network'));
  }
  let data = null;
  if ((res.headers.get('Content-Type') || '').includes('json')) {
    try { data = await res.json(); } catch (e) { data = null; }
  }
  if (res.status === 401) {
    unauthorized();
    throw new ApiError(401, (data && data.error) || t('login.expired'), 'unauthorized');
  }
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || t('err.status', { status: res.status }), data && data.code);
  return data;
}

// apiAll GETs every page of a list (the API pages by limit and cursor)
// and returns its items, under key as one page would.
export async function apiAll(path, key) {
  const sep = path.includes('?') ? '&' : '?';
  let items = [];
  let cursor = null;
  do {
    const page = await api('GET', path + sep + 'limit=10000' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
    items = items.concat(page[key] || []);
    cursor = page.next_cursor;
  } while (cursor);
  return { [key]: items };
}

export function errText(e) {
  if (e && e.status === 403) return t('act.forbidden');
  return t('err.title', { msg: e && e.message ? e.message : String(e) });
}
