// Live states come from GET /api/v1/events, read with fetch() because
// EventSource cannot send an Authorization header.
import { S } from './state.js';
import { $ } from './dom.js';
import { t } from './text.js';
import { unauthorized } from './api.js';
import { setDesks, upsertDesk } from './tiles.js';
import { scheduleRefresh } from './tabs.js';

const STALE_MS = 20000; // the server sends a keepalive comment every 15 s
const BACKOFF_MIN = 1000, BACKOFF_MAX = 15000;

export function setConn(state) {
  const c = $('#conn');
  c.dataset.state = state;
  $('#conn-text').textContent = t('conn.' + state);
}
export function setBanner(text) {
  const b = $('#banner');
  b.textContent = text;
  b.hidden = !text;
  document.body.classList.toggle('stale', !!text);
}

// One stream at a time. phase: connecting → open → (ended or stale) →
// waiting (backoff) → connecting … A connection superseded by a newer one
// (st.ctrl changed) ends quietly.
export function startStream() {
  stopStream();
  const st = { ctrl: null, phase: 'connecting', last: Date.now(), dead: false, attempt: 0, retryAt: 0, timer: 0, stale: false, lost: false };
  S.stream = st;
  connect(st);
}
export function stopStream() {
  const st = S.stream;
  if (!st) return;
  st.dead = true;
  clearTimeout(st.timer);
  if (st.ctrl) st.ctrl.abort();
  S.stream = null;
}

async function connect(st) {
  if (st.dead) return;
  const ctrl = new AbortController();
  st.ctrl = ctrl;
  st.phase = 'connecting';
  st.last = Date.now();
  setConn(st.lost ? 'down' : 'connecting');
  let res;
  try {
    res = await fetch('/api/v1/events', {
      headers: { Authorization: 'Bearer ' + S.token, Accept: 'text/event-stream' },
      cache: 'no-store',
      signal: ctrl.signal,
    });
  } catch (e) {
    ended(st, ctrl);
    return;
  }
  if (st.dead || st.ctrl !== ctrl) return;
  if (res.status === 401) { unauthorized(); return; }
  if (!res.ok || !res.body) { ended(st, ctrl); return; }
  st.phase = 'open';
  st.last = Date.now();
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let ev = { event: '', data: [] };
  const line = (l) => {
    if (l === '') {
      if (ev.data.length) dispatch(st, ev.event || 'message', ev.data.join('\n'));
      ev = { event: '', data: [] };
      return;
    }
    if (l[0] === ':') return; // a comment: the keepalive
    const i = l.indexOf(':');
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? '' : l.slice(i + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'event') ev.event = value;
    else if (field === 'data') ev.data.push(value);
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done || st.ctrl !== ctrl) break;
      st.last = Date.now();
      buf += dec.decode(value, { stream: true });
      for (;;) {
        const m = /\r\n|\n|\r/.exec(buf);
        if (!m) break;
        if (m[0] === '\r' && m.index === buf.length - 1) break; // may be half of \r\n
        line(buf.slice(0, m.index));
        buf = buf.slice(m.index + m[0].length);
      }
    }
  } catch (e) {
    // aborted by us (stale, logout) or the connection broke
  }
  ended(st, ctrl);
}
function ended(st, ctrl) {
  if (st.dead || st.ctrl !== ctrl) return; // superseded or stopped
  ctrl.abort();
  retry(st);
}

function dispatch(st, event, data) {
  let v;
  try { v = JSON.parse(data); } catch (e) { return; }
  if (event === 'snapshot') {
    if (v.at) S.skew = Date.parse(v.at) - Date.now();
    st.attempt = 0;
    st.stale = false;
    setDesks(v.workstations || [], true);
    setConn('live');
    setBanner('');
    if (st.lost) {
      st.lost = false;
      S.dirty.outages = S.dirty.quarter = true;
      scheduleRefresh();
    }
  } else if (event === 'workstation') {
    upsertDesk(v);
  }
}

// retry waits (exponential backoff with jitter), then connects again.
function retry(st) {
  st.phase = 'waiting';
  st.lost = true;
  st.ctrl = null;
  const base = Math.min(BACKOFF_MAX, BACKOFF_MIN * Math.pow(2, st.attempt));
  const delay = Math.round(base / 2 + Math.random() * base / 2);
  st.attempt++;
  st.retryAt = Date.now() + delay;
  setConn('down');
  showStreamBanner(st);
  clearTimeout(st.timer);
  st.timer = setTimeout(() => connect(st), delay);
}
export function showStreamBanner(st) {
  if (st.stale) { setBanner(t('banner.stale')); return; }
  const s = Math.max(0, Math.ceil((st.retryAt - Date.now()) / 1000));
  setBanner(st.phase === 'waiting' && s > 0 ? t('banner.down', { s, n: st.attempt }) : t('banner.connecting'));
}

// watchdog: a stream (or a connection attempt) silent for more than 20 s
// is taken as dead: the server sends a keepalive every 15 s.
export function watchdog() {
  const st = S.stream;
  if (!st || st.dead) return;
  if (st.phase !== 'waiting' && Date.now() - st.last > STALE_MS) {
    st.stale = true;
    const c = st.ctrl;
    st.ctrl = null;
    if (c) c.abort();
    retry(st);
    return;
  }
  if (st.phase !== 'open' && st.lost) showStreamBanner(st);
}
