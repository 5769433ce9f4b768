// Logging in with a token (kept in sessionStorage only, never in a URL),
// logging out, and finding out the role.
import { S } from './state.js';
import { $, $$, showMsg } from './dom.js';
import { t, applyStatic } from './text.js';
import { setDesks } from './tiles.js';
import { fillSelects } from './forms.js';
import { showTab, tabFromHash } from './tabs.js';
import { startStream, stopStream, setBanner } from './stream.js';
import { renderOutages } from './outages.js';
import { pollHA } from './ha.js';

export const TOKEN_KEY = 'deskwatch.token';

export async function tryLogin(tok, fromStorage) {
  const msg = $('#login-msg');
  tok = (tok || '').trim();
  if (!tok) { showMsg(msg, t('login.empty'), 'error'); return; }
  const btn = $('#login-submit');
  btn.disabled = true;
  showMsg(msg, t('login.checking'));
  let res;
  try {
    res = await fetch('/api/v1/workstations', { headers: { Authorization: 'Bearer ' + tok, 'Accept-Language': S.lang }, cache: 'no-store' });
  } catch (e) {
    btn.disabled = false;
    showMsg(msg, t('login.failed', { msg: t('err.network') }), 'error');
    return;
  }
  btn.disabled = false;
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showMsg(msg, fromStorage ? t('login.expired') : t('login.refused'), 'error');
    $('#token').focus();
    return;
  }
  let data = null;
  try { data = await res.json(); } catch (e) { data = null; }
  if (!res.ok || !data) {
    showMsg(msg, t('login.failed', { msg: (data && data.error) || t('err.status', { status: res.status }) }), 'error');
    return;
  }
  showMsg(msg, '');
  S.token = tok;
  sessionStorage.setItem(TOKEN_KEY, tok);
  $('#token').value = '';
  document.body.classList.remove('logged-out');
  setDesks(data.workstations || [], false);
  fillSelects();
  S.dirty.outages = S.dirty.quarter = true;
  showTab(tabFromHash());
  pollHA();
  startStream();
  detectRole();
}

export function logout(message) {
  stopStream();
  S.token = null;
  S.role = '';
  S.name = '';
  sessionStorage.removeItem(TOKEN_KEY);
  S.desks.clear();
  S.tiles.clear();
  S.layoutKey = '';
  S.outages = [];
  S.avail = null;
  $('#groups').replaceChildren();
  $('#summary').replaceChildren();
  $('#out-table tbody').replaceChildren();
  $('#q-table tbody').replaceChildren();
  $('#timeline').replaceChildren();
  document.body.classList.add('logged-out');
  document.body.classList.remove('supervisor', 'stale');
  setBanner('');
  $$('dialog[open]').forEach((d) => d.close());
  applyStatic();
  showMsg($('#login-msg'), message || '', message ? 'error' : '');
  $('#token').focus();
}
export function sessionEnded() {
  if (S.token) logout(t('login.expired'));
}

// Who is signed in (the token's name, in the header) and whether they may
// write, from whoami. A failed check leaves the actions shown, and a 403 on
// a real write is reported.
async function detectRole() {
  let me = null;
  try {
    const res = await fetch('/api/v1/whoami', { headers: { Authorization: 'Bearer ' + S.token }, cache: 'no-store' });
    if (res.ok) me = await res.json();
  } catch (e) {
    me = null;
  }
  S.role = me && (me.role === 'viewer' || me.role === 'supervisor') ? me.role : '';
  S.name = (me && typeof me.name === 'string') ? me.name : '';
  document.body.classList.toggle('supervisor', S.role !== 'viewer');
  applyStatic();
  if (S.tab === 'outages') renderOutages();
}
