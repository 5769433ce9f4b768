// deskwatch board: plain JavaScript, no build step, no third-party code.
// Talks to the deskwatch HTTP API with the Bearer token the user pasted
// (kept in sessionStorage only, never in a URL). Live states come from
// GET /api/v1/events, read with fetch() because EventSource cannot send an
// Authorization header.
(function () {
  'use strict';

  const I18N = window.DW_I18N;
  const TOKEN_KEY = 'deskwatch.token';
  const LANG_KEY = 'deskwatch.lang';
  const WALL_KEY = 'deskwatch.wall';
  const STALE_MS = 20000; // the server sends a keepalive comment every 15 s
  const BACKOFF_MIN = 1000, BACKOFF_MAX = 15000;
  const MAIN_HOTLINES = ['122', '117'];
  const COMPACT_FROM = 49; // desks; more than that: compact tiles
  const MAX_ROWS = 500;

  const S = {
    token: null,
    role: '', // '' unknown, 'viewer', 'supervisor'
    lang: 'ru',
    wall: false,
    zone: 'Asia/Irkutsk',
    desks: new Map(), // id → workstation as the API gives it
    tiles: new Map(), // id → [tile elements]
    layoutKey: '',
    skew: 0, // server clock − browser clock, ms (from the snapshot's "at")
    stream: null,
    tab: 'board',
    outages: [],
    avail: null,
    qOutages: [],
    dirty: { outages: true, quarter: true },
  };

  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

  // ---------- text ----------
  function t(key, params) {
    let s = (I18N[S.lang] && I18N[S.lang][key]);
    if (s === undefined) s = I18N.ru[key];
    if (s === undefined) return key;
    if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
    return s;
  }
  function locale() { return S.lang === 'en' ? 'en-GB' : 'ru-RU'; }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === undefined || v === null || v === false) continue;
        if (k === 'class') e.className = v;
        else if (k === 'text') e.textContent = v;
        else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : v);
      }
    }
    for (const k of kids.flat()) {
      if (k === null || k === undefined || k === false) continue;
      e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    }
    return e;
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function sv(tag, attrs) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }

  function applyStatic() {
    document.documentElement.lang = S.lang;
    document.title = t('doc.title');
    $$('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
    $$('[data-i18n-placeholder]').forEach((e) => { e.placeholder = t(e.dataset.i18nPlaceholder); });
    $$('[data-i18n-title]').forEach((e) => { e.title = t(e.dataset.i18nTitle); });
    $$('[data-i18n-aria]').forEach((e) => { e.setAttribute('aria-label', t(e.dataset.i18nAria)); });
    $$('.lang button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === S.lang)));
    $('#wall-toggle').textContent = t(S.wall ? 'wall.off' : 'wall.on');
    $('#manual-hint').textContent = t('man.hint', { zone: S.zone });
    $('#who').textContent = S.role ? t('role.' + S.role) : '';
  }

  // ---------- time ----------
  function now() { return Date.now() + S.skew; }
  const fmtCache = new Map();
  function dtf(opts) {
    const key = S.lang + S.zone + JSON.stringify(opts);
    let f = fmtCache.get(key);
    if (!f) {
      f = new Intl.DateTimeFormat(locale(), Object.assign({ timeZone: S.zone }, opts));
      fmtCache.set(key, f);
    }
    return f;
  }
  function wallParts(ms) {
    const f = dtf({ hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    const p = {};
    for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
    return { y: +p.year, mo: +p.month, d: +p.day, h: +p.hour % 24, mi: +p.minute, s: +p.second };
  }
  // Offset of the zone at an instant, in ms east of UTC.
  function zoneOffset(ms) {
    const p = wallParts(ms);
    return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000;
  }
  // "2026-11-27T09:00[:ss]" read as wall time in the zone → instant (ms).
  function wallToMs(v) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(v || '');
    if (!m) return NaN;
    const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
    let inst = guess - zoneOffset(guess);
    const off2 = zoneOffset(inst);
    if (guess - off2 !== inst) inst = guess - off2;
    return inst;
  }
  function msToWall(ms) {
    const p = wallParts(ms);
    const z = (n) => String(n).padStart(2, '0');
    return `${p.y}-${z(p.mo)}-${z(p.d)}T${z(p.h)}:${z(p.mi)}:${z(p.s)}`;
  }
  const toMs = (x) => (typeof x === 'number' ? x : Date.parse(x));
  function fmtShort(iso) {
    const ms = toMs(iso);
    const a = wallParts(ms), b = wallParts(now());
    if (a.y === b.y && a.mo === b.mo && a.d === b.d) return dtf({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
    if (a.y === b.y) return dtf({ day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
    return dtf({ day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  }
  function fmtFull(iso) {
    return dtf({ day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(toMs(iso));
  }
  function fmtDate(iso) { return dtf({ day: '2-digit', month: '2-digit', year: 'numeric' }).format(toMs(iso)); }
  function fmtDur(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return t('dur.s', { n: s });
    const m = Math.floor(s / 60);
    if (m < 60) return t('dur.m', { n: m });
    const h = Math.floor(m / 60);
    if (h < 24) return t('dur.hm', { h, m: m % 60 });
    return t('dur.dh', { d: Math.floor(h / 24), h: h % 24 });
  }
  function fmtPct(v, digits) {
    return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(v) + '\u00a0%';
  }
  // A percentage never shows 100 for less: more digits until it differs.
  function fmtAvail(v) {
    let digits = 3;
    while (v < 100 && digits < 7 && Number(v.toFixed(digits)) >= 100) digits++;
    return fmtPct(v, digits);
  }
  function quarterOf(ms) {
    const p = wallParts(ms);
    return { y: p.y, q: Math.floor((p.mo - 1) / 3) + 1 };
  }
  function quarterKey(q) { return `${q.y}Q${q.q}`; }

  // ---------- API ----------
  class ApiError extends Error {
    constructor(status, msg, code) { super(msg); this.status = status; this.code = code; }
  }
  async function api(method, path, body) {
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
      sessionEnded();
      throw new ApiError(401, (data && data.error) || t('login.expired'), 'unauthorized');
    }
    if (!res.ok) throw new ApiError(res.status, (data && data.error) || t('err.status', { status: res.status }), data && data.code);
    return data;
  }
  function showMsg(node, text, kind) {
    if (!text) { node.hidden = true; node.textContent = ''; return; }
    node.textContent = text;
    node.className = 'msg' + (kind ? ' ' + kind : '');
    node.hidden = false;
  }
  function errText(e) {
    if (e && e.status === 403) return t('act.forbidden');
    return t('err.title', { msg: e && e.message ? e.message : String(e) });
  }

  // ---------- login ----------
  async function tryLogin(tok, fromStorage) {
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
    startStream();
    detectRole();
  }

  function logout(message) {
    stopStream();
    S.token = null;
    S.role = '';
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
  function sessionEnded() {
    if (S.token) logout(t('login.expired'));
  }

  // A supervisor may write; find out without writing anything: the role is
  // checked before the body, so an empty body gives 403 to a viewer and 400
  // (bad JSON) to a supervisor. A failed check leaves the actions shown, and
  // a 403 on a real write is reported.
  async function detectRole() {
    try {
      const res = await fetch('/api/v1/outages/-/exclusion', { method: 'POST', headers: { Authorization: 'Bearer ' + S.token }, cache: 'no-store' });
      S.role = res.status === 403 ? 'viewer' : res.status === 400 ? 'supervisor' : '';
    } catch (e) {
      S.role = '';
    }
    document.body.classList.toggle('supervisor', S.role !== 'viewer');
    applyStatic();
    if (S.tab === 'outages') renderOutages();
  }

  // ---------- board ----------
  function hotlineGroups() {
    const set = new Set();
    let none = false;
    for (const d of S.desks.values()) {
      if (!d.hotlines || d.hotlines.length === 0) none = true;
      for (const h of d.hotlines || []) set.add(h);
    }
    const rest = Array.from(set).filter((h) => !MAIN_HOTLINES.includes(h)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    const out = MAIN_HOTLINES.filter((h) => set.has(h)).concat(rest);
    if (none) out.push('');
    return out;
  }
  function desksOf(h) {
    const list = [];
    for (const d of S.desks.values()) {
      const hs = d.hotlines || [];
      if (h === '' ? hs.length === 0 : hs.includes(h)) list.push(d);
    }
    return list.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
  }
  // Desks in the order people expect: line 122, then 117, then the others; by id within.
  function hotlineRank(hs) {
    const r = (hs || []).map((h) => { const i = MAIN_HOTLINES.indexOf(h); return i < 0 ? MAIN_HOTLINES.length : i; });
    return r.length ? Math.min(...r) : MAIN_HOTLINES.length + 1;
  }
  function byDesk(a, b) {
    return hotlineRank(a.hotlines) - hotlineRank(b.hotlines) || a.id.localeCompare(b.id, 'en', { numeric: true });
  }
  function sortedDesks() {
    return Array.from(S.desks.values()).sort(byDesk);
  }
  function deskName(id) {
    const d = S.desks.get(id);
    return d && d.name ? d.name : id;
  }
  function causeText(c) {
    if (!c) return '';
    const k = 'cause.' + c;
    return I18N.ru[k] !== undefined ? t(k) : c;
  }

  const ICONS = {
    up: ['M7 12.5l3.2 3.2L17 9'],
    down: ['M8.5 8.5l7 7', 'M15.5 8.5l-7 7'],
    unknown: ['M9.6 9.4a2.5 2.5 0 1 1 3.4 2.4c-.7.3-1 .8-1 1.5v.6', 'M12 16.9v.2'],
  };
  function icon(state) {
    const s = sv('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' });
    s.append(sv('circle', { cx: '12', cy: '12', r: '9.5' }));
    for (const d of ICONS[state] || ICONS.unknown) s.append(sv('path', { d }));
    return s;
  }

  // A tile: name; icon, state word and id; since when and for how long;
  // the cause in words; the probe's RTT or "probe only". Never colour alone.
  function tileBody(tile, d) {
    const st = ['up', 'down', 'unknown'].includes(d.state) ? d.state : 'unknown';
    tile.dataset.state = st;
    let cause = '';
    if (st === 'down') cause = causeText(d.cause);
    else if (st === 'unknown') cause = t('unknown.why');
    const when = el('div', { class: 'when' });
    if (d.since) {
      when.title = fmtFull(d.since);
      when.append(el('span', { class: 'at', 'data-since': d.since, text: t('since', { time: fmtShort(d.since) }) }),
        el('span', { class: 'dur', 'data-since': d.since, text: fmtDur(now() - Date.parse(d.since)) }));
    }
    if (cause) when.append(el('span', { class: 'cause', text: cause }));
    const meta = [];
    for (const ep of d.endpoints || []) {
      if (ep.probe && ep.probe.result === 'ok' && ep.probe.rtt_ms) {
        meta.push(t('probe.rtt', { ms: new Intl.NumberFormat(locale(), { maximumFractionDigits: ep.probe.rtt_ms < 10 ? 1 : 0 }).format(ep.probe.rtt_ms) }));
        break;
      }
    }
    if (!meta.length && (d.endpoints || []).some((ep) => ep.probe && ep.probe.result === 'lost')) meta.push(t('probe.lost'));
    const epTitle = (d.endpoints || []).map((ep) => [ep.id, ep.state, ep.contact || ''].join(' ')).join('\n');
    tile.title = `${d.name || d.id} (${d.id})\n${epTitle}`;
    const kids = [
      el('div', { class: 'name', text: d.name || d.id }),
      el('div', { class: 'state' }, icon(st), el('span', { class: 'word', text: t('state.' + st) }), el('span', { class: 'id', text: d.id })),
      when,
    ];
    if (meta.length || d.probe_only) {
      kids.push(el('div', { class: 'meta' }, meta.join(' · '), meta.length && d.probe_only ? ' ' : null,
        d.probe_only ? el('span', { class: 'po', title: t('probe.only.title'), text: t('probe.only') }) : null));
    }
    tile.replaceChildren(...kids);
  }

  function makeTile(d) {
    const tile = el('article', { class: 'tile', 'data-id': d.id });
    tileBody(tile, d);
    let list = S.tiles.get(d.id);
    if (!list) S.tiles.set(d.id, (list = []));
    list.push(tile);
    return tile;
  }

  function renderBoard() {
    S.tiles.clear();
    const groups = $('#groups');
    const compact = S.desks.size >= COMPACT_FROM;
    $('#view-board').classList.toggle('board-compact', compact);
    if (S.desks.size === 0) {
      groups.replaceChildren(el('p', { class: 'muted', text: t('board.empty') }));
      renderSummary();
      return;
    }
    const out = [];
    for (const h of hotlineGroups()) {
      const list = desksOf(h);
      out.push(el('section', { class: 'group', 'data-hotline': h },
        el('h2', null, el('span', { text: h ? t('hotline', { h }) : t('hotline.none') }), el('span', { class: 'gcount', 'data-count': h })),
        el('div', { class: 'grid' }, list.map(makeTile))));
    }
    groups.replaceChildren(...out);
    renderSummary();
  }

  function renderSummary() {
    const cards = [];
    for (const h of hotlineGroups()) {
      const list = desksOf(h);
      const up = list.filter((d) => d.state === 'up').length;
      const down = list.filter((d) => d.state === 'down').length;
      const unk = list.filter((d) => d.state !== 'up' && d.state !== 'down').length;
      const label = h || t('hotline.none');
      const detail = el('div', { class: 'detail' });
      if (down) detail.append(el('span', { class: 'bad', text: t('count.down', { n: down }) }));
      if (down && unk) detail.append(' · ');
      if (unk) detail.append(el('span', { text: t('count.unknown', { n: unk }) }));
      if (!down && !unk) detail.append('\u00a0');
      cards.push(el('div', { class: 'count-card' + (down ? ' has-down' : ''), 'data-hotline': h, title: t('count.title', { up, n: list.length }) },
        el('div', { class: 'big' }, `${label}: ${up} `, el('span', { class: 'of', text: t('count.ofn', { n: list.length }) })),
        detail));
      const gc = $(`.gcount[data-count="${CSS.escape(h)}"]`);
      if (gc) gc.textContent = t('count.of', { up, n: list.length });
    }
    $('#summary').replaceChildren(...cards);
  }

  function layoutKey() {
    return sortedDesks().map((d) => d.id + ':' + (d.hotlines || []).join(',') + ':' + (d.name || '')).join('|');
  }
  // setDesks replaces every desk (a snapshot).
  function setDesks(list, fromStream) {
    const before = new Map(S.desks);
    S.desks.clear();
    for (const d of list) S.desks.set(d.id, d);
    const key = layoutKey();
    if (key !== S.layoutKey) {
      S.layoutKey = key;
      renderBoard();
      fillSelects();
    } else {
      for (const d of list) updateTile(d, fromStream && before.get(d.id) && before.get(d.id).state !== d.state);
      renderSummary();
    }
  }
  function updateTile(d, flash) {
    for (const tile of S.tiles.get(d.id) || []) {
      tileBody(tile, d);
      if (flash) {
        tile.classList.remove('flash');
        void tile.offsetWidth; // restart the animation
        tile.classList.add('flash');
      }
    }
  }
  function upsertDesk(d) {
    const old = S.desks.get(d.id);
    S.desks.set(d.id, d);
    const key = layoutKey();
    if (key !== S.layoutKey) {
      S.layoutKey = key;
      renderBoard();
    } else {
      updateTile(d, old && old.state !== d.state);
      renderSummary();
    }
    if (!old || old.state !== d.state) {
      S.dirty.outages = S.dirty.quarter = true;
      scheduleRefresh();
    }
  }
  function tickDurations() {
    $$('.tile .at[data-since]').forEach((e) => { e.textContent = t('since', { time: fmtShort(e.dataset.since) }); });
    $$('.tile .dur[data-since]').forEach((e) => { e.textContent = fmtDur(now() - Date.parse(e.dataset.since)); });
  }

  // ---------- the event stream ----------
  function setConn(state) {
    const c = $('#conn');
    c.dataset.state = state;
    $('#conn-text').textContent = t('conn.' + state);
  }
  function setBanner(text) {
    const b = $('#banner');
    b.textContent = text;
    b.hidden = !text;
    document.body.classList.toggle('stale', !!text);
  }

  // One stream at a time. phase: connecting → open → (ended or stale) →
  // waiting (backoff) → connecting … A connection superseded by a newer one
  // (st.ctrl changed) ends quietly.
  function startStream() {
    stopStream();
    const st = { ctrl: null, phase: 'connecting', last: Date.now(), dead: false, attempt: 0, retryAt: 0, timer: 0, stale: false, lost: false };
    S.stream = st;
    connect(st);
  }
  function stopStream() {
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
    if (res.status === 401) { sessionEnded(); return; }
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
  function showStreamBanner(st) {
    if (st.stale) { setBanner(t('banner.stale')); return; }
    const s = Math.max(0, Math.ceil((st.retryAt - Date.now()) / 1000));
    setBanner(st.phase === 'waiting' && s > 0 ? t('banner.down', { s, n: st.attempt }) : t('banner.connecting'));
  }

  // watchdog: a stream (or a connection attempt) silent for more than 20 s
  // is taken as dead: the server sends a keepalive every 15 s.
  function watchdog() {
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

  // ---------- tabs ----------
  function tabFromHash() {
    const h = (location.hash || '').slice(1);
    return ['board', 'outages', 'quarter'].includes(h) ? h : 'board';
  }
  function showTab(tab) {
    if (S.wall) tab = 'board';
    S.tab = tab;
    $$('.view').forEach((v) => { v.hidden = v.dataset.view !== tab; });
    $$('.tabs a').forEach((a) => {
      if (a.dataset.tab === tab) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    if (!S.token) return;
    if (tab === 'outages' && S.dirty.outages) loadOutages();
    if (tab === 'quarter' && S.dirty.quarter) loadQuarter();
  }
  let refreshTimer = 0;
  function scheduleRefresh() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => {
      refreshTimer = 0;
      if (!S.token) return;
      if (S.tab === 'outages' && S.dirty.outages) loadOutages();
      if (S.tab === 'quarter' && S.dirty.quarter) loadQuarter();
    }, 2500);
  }

  // ---------- selects ----------
  function quarterOptions(sel) {
    const keep = sel.value;
    const cur = quarterOf(now());
    const opts = [];
    let y = cur.y, q = cur.q;
    for (let i = 0; i < 8; i++) {
      const key = quarterKey({ y, q });
      opts.push(el('option', { value: key, text: t(i === 0 ? 'q.current' : 'q.label', { q, y }) }));
      q--;
      if (q === 0) { q = 4; y--; }
    }
    sel.replaceChildren(...opts);
    sel.value = keep && opts.some((o) => o.value === keep) ? keep : quarterKey(cur);
  }
  function fillSelects() {
    quarterOptions($('#f-period'));
    quarterOptions($('#q-period'));
    const desks = sortedDesks();
    const deskOpts = (withAll) => (withAll ? [el('option', { value: '', text: t('f.all') })] : []).concat(
      desks.map((d) => el('option', { value: d.id, text: d.name && d.name !== d.id ? `${d.name} (${d.id})` : d.id })));
    for (const [id, all] of [['#f-desk', true], ['#m-desk', false]]) {
      const s = $(id);
      const keep = s.value;
      s.replaceChildren(...deskOpts(all));
      if (keep && desks.some((d) => d.id === keep)) s.value = keep;
    }
    const fh = $('#f-hotline');
    const keepH = fh.value;
    fh.replaceChildren(el('option', { value: '', text: t('f.all') }), ...hotlineGroups().filter((h) => h).map((h) => el('option', { value: h, text: h })));
    fh.value = keepH;
    if (!$('#m-start').value) {
      const n = now();
      $('#m-start').value = msToWall(n - 3600e3).slice(0, 16);
      $('#m-end').value = msToWall(n).slice(0, 16);
    }
  }

  // ---------- outages ----------
  let outSeq = 0;
  async function loadOutages() {
    S.dirty.outages = false;
    const q = new URLSearchParams();
    q.set('period', $('#f-period').value || quarterKey(quarterOf(now())));
    if ($('#f-desk').value) q.set('workstation', $('#f-desk').value);
    if ($('#f-hotline').value) q.set('hotline', $('#f-hotline').value);
    if ($('#f-open').value) q.set('open', $('#f-open').value);
    const seq = ++outSeq;
    $('#out-status').textContent = t('out.loading');
    try {
      const data = await api('GET', '/api/v1/outages?' + q.toString());
      if (seq !== outSeq) return;
      S.outages = data.outages || [];
      showMsg($('#out-msg'), '');
    } catch (e) {
      if (seq !== outSeq) return;
      S.outages = [];
      showMsg($('#out-msg'), errText(e), 'error');
    }
    renderOutages();
  }

  function outageDur(o) {
    const end = o.end ? Date.parse(o.end) : now();
    return end - Date.parse(o.start);
  }
  function sourceText(list) { return (list || []).map((s) => (I18N.ru['src.' + s] !== undefined ? t('src.' + s) : s)).join(', '); }

  function renderOutages() {
    const ex = $('#f-excluded').value;
    let list = S.outages.slice();
    if (ex) list = list.filter((o) => String(!!o.excluded) === ex);
    list.sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
    const total = list.length;
    const shown = list.slice(0, MAX_ROWS);
    const sup = document.body.classList.contains('supervisor');
    const rows = shown.map((o) => {
      const excl = o.exclusion;
      const exclCell = excl
        ? [el('span', { class: 'tag excl', text: t('cat.' + excl.category) }), el('div', { text: excl.reason }), el('div', { class: 'sub', text: t('excl.by', { who: excl.by, at: fmtFull(excl.at) }) })]
        : '—';
      const actions = sup
        ? el('td', { class: 'supervisor-only nowrap' },
          o.excluded
            ? el('button', { type: 'button', class: 'small', 'data-act': 'revoke', 'data-id': o.id, text: t('act.revoke'), onclick: () => openRevoke(o) })
            : el('button', { type: 'button', class: 'small', 'data-act': 'exclude', 'data-id': o.id, text: t('act.exclude'), onclick: () => openExclude(o) }))
        : null;
      return el('tr', { 'data-id': o.id, 'data-ws': o.workstation, class: (o.end ? '' : 'open') + (o.excluded ? ' excluded' : '') },
        el('td', null, el('div', { text: deskName(o.workstation) }), el('div', { class: 'sub', text: o.workstation })),
        el('td', { class: 'nowrap', text: fmtFull(o.start) }),
        el('td', { class: 'nowrap' }, o.end ? fmtFull(o.end) : el('span', { class: 'tag open', text: t('out.ongoing') })),
        el('td', { class: 'num', text: fmtDur(outageDur(o)) }),
        el('td', null, el('div', { text: causeText(o.cause) }), o.note ? el('div', { class: 'sub', text: t('out.note', { note: o.note }) }) : null),
        el('td', { text: sourceText(o.sources) }),
        el('td', { class: 'excl' }, exclCell),
        actions);
    });
    $('#out-table tbody').replaceChildren(...rows);
    let status = total ? t('out.count', { n: total }) : t('out.none');
    if (total > shown.length) status += ' ' + t('out.shown', { shown: shown.length, n: total });
    $('#out-status').textContent = status;
  }

  function outageLabel(o) {
    return `${deskName(o.workstation)} (${o.workstation}): ${fmtFull(o.start)} — ${o.end ? fmtFull(o.end) : t('out.ongoing')}, ${fmtDur(outageDur(o))}; ${causeText(o.cause)}`;
  }
  let dlgOutage = null;
  function openExclude(o) {
    dlgOutage = o;
    $('#ex-what').textContent = outageLabel(o);
    $('#ex-reason').value = '';
    $('#ex-by').value = '';
    $('#ex-category').value = 'power';
    showMsg($('#ex-msg'), '');
    $('#dlg-exclude').showModal();
    $('#ex-reason').focus();
  }
  function openRevoke(o) {
    dlgOutage = o;
    $('#rv-what').textContent = outageLabel(o) + (o.exclusion ? ` — ${t('cat.' + o.exclusion.category)}: ${o.exclusion.reason}` : '');
    showMsg($('#rv-msg'), '');
    $('#dlg-revoke').showModal();
  }
  async function submitExclude(ev) {
    ev.preventDefault();
    const o = dlgOutage;
    if (!o) return;
    const btn = $('#ex-submit');
    btn.disabled = true;
    try {
      await api('POST', `/api/v1/outages/${encodeURIComponent(o.id)}/exclusion`, {
        category: $('#ex-category').value,
        reason: $('#ex-reason').value,
        by: $('#ex-by').value.trim(),
      });
      $('#dlg-exclude').close();
      showMsg($('#out-msg'), t('ex.done'), 'ok');
      afterWrite();
    } catch (e) {
      showMsg($('#ex-msg'), errText(e), 'error');
    } finally {
      btn.disabled = false;
    }
  }
  async function submitRevoke(ev) {
    ev.preventDefault();
    const o = dlgOutage;
    if (!o) return;
    const btn = $('#rv-submit');
    btn.disabled = true;
    try {
      await api('DELETE', `/api/v1/outages/${encodeURIComponent(o.id)}/exclusion`);
      $('#dlg-revoke').close();
      showMsg($('#out-msg'), t('rv.done'), 'ok');
      afterWrite();
    } catch (e) {
      showMsg($('#rv-msg'), errText(e), 'error');
    } finally {
      btn.disabled = false;
    }
  }
  async function submitManual(ev) {
    ev.preventDefault();
    const msg = $('#manual-msg');
    const start = wallToMs($('#m-start').value), end = wallToMs($('#m-end').value);
    if (isNaN(start) || isNaN(end)) { showMsg(msg, t('man.bad_time'), 'error'); return; }
    const btn = $('#manual-form button[type=submit]');
    btn.disabled = true;
    try {
      await api('POST', '/api/v1/outages', {
        workstation: $('#m-desk').value,
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        cause: $('#m-cause').value,
        note: $('#m-note').value,
      });
      showMsg(msg, t('man.done'), 'ok');
      $('#m-cause').value = '';
      $('#m-note').value = '';
      afterWrite();
    } catch (e) {
      showMsg(msg, errText(e), 'error');
    } finally {
      btn.disabled = false;
    }
  }
  function afterWrite() {
    S.dirty.outages = S.dirty.quarter = true;
    if (S.tab === 'outages') loadOutages();
    if (S.tab === 'quarter') loadQuarter();
  }

  // ---------- quarter ----------
  let qSeq = 0;
  async function loadQuarter() {
    S.dirty.quarter = false;
    const period = $('#q-period').value || quarterKey(quarterOf(now()));
    const seq = ++qSeq;
    $('#q-measured').textContent = t('av.loading');
    try {
      const [av, outs] = await Promise.all([
        api('GET', '/api/v1/availability?period=' + encodeURIComponent(period)),
        api('GET', '/api/v1/outages?period=' + encodeURIComponent(period)),
      ]);
      if (seq !== qSeq) return;
      S.avail = av;
      S.qOutages = outs.outages || [];
      if (av.period && av.period.zone && av.period.zone !== S.zone) {
        S.zone = av.period.zone;
        fmtCache.clear();
        applyStatic();
      }
      showMsg($('#q-msg'), '');
    } catch (e) {
      if (seq !== qSeq) return;
      S.avail = null;
      S.qOutages = [];
      showMsg($('#q-msg'), errText(e), 'error');
    }
    renderQuarter();
    checkReports(period);
  }

  function renderQuarter() {
    const av = S.avail;
    const D = $('#q-D');
    if (!av) {
      D.replaceChildren('—');
      $('#q-hotlines').replaceChildren();
      $('#q-measured').textContent = '';
      $('#q-table tbody').replaceChildren();
      $('#timeline').replaceChildren();
      return;
    }
    D.replaceChildren(t('av.D', { d: fmtAvail(av.D) }), el('span', { class: 'n', text: t('av.N', { n: av.N }) }));
    D.dataset.d = String(av.D);
    const hs = Object.keys(av.hotlines || {}).sort((a, b) => {
      const ia = MAIN_HOTLINES.indexOf(a), ib = MAIN_HOTLINES.indexOf(b);
      return (ia < 0 ? 9 : ia) - (ib < 0 ? 9 : ib) || a.localeCompare(b, 'en', { numeric: true });
    });
    $('#q-hotlines').replaceChildren(...hs.map((h) => el('span', { 'data-hotline': h, text: t('av.hotline', { h, d: fmtAvail(av.hotlines[h].D), n: av.hotlines[h].N }) })));
    const p = av.period || {};
    $('#q-measured').textContent = t('av.measured', { at: p.measured_to ? fmtFull(p.measured_to) : '—', zone: p.zone || S.zone, from: p.from ? fmtDate(p.from) : '—', to: p.to ? fmtDate(Date.parse(p.to) - 1) : '—' });
    const rows = (av.workstations || []).slice()
      .sort(byDesk)
      .map((w) => el('tr', { 'data-id': w.id, class: w.Di < 100 ? 'bad' : '' },
        el('td', null, el('div', { text: deskName(w.id) }), el('div', { class: 'sub', text: w.id })),
        el('td', { text: (w.hotlines || []).join(', ') }),
        el('td', { class: 'num di', 'data-di': String(w.Di), text: fmtAvail(w.Di) }),
        el('td', { class: 'num unavail', text: fmtDur(w.unavailable_s * 1000) }),
        el('td', { class: 'num excluded', text: fmtDur(w.excluded_s * 1000) }),
        el('td', { class: 'num', text: fmtDur(w.unknown_s * 1000) }),
        el('td', { class: 'num', text: fmtDur(w.provided_s * 1000) })));
    $('#q-table tbody').replaceChildren(...(rows.length ? rows : [el('tr', null, el('td', { colspan: '7', class: 'muted', text: t('av.none') }))]));
    renderTimeline();
  }

  function renderTimeline() {
    const av = S.avail;
    const box = $('#timeline');
    if (!av || !av.period) { box.replaceChildren(); return; }
    const from = Date.parse(av.period.from), to = Date.parse(av.period.to);
    const measured = Math.min(to, Date.parse(av.period.measured_to || av.period.to));
    const ids = (av.workstations || []).slice().sort(byDesk).map((w) => w.id);
    const width = Math.max(640, box.clientWidth - 14);
    const labelW = 170, right = 10, top = 20, rowH = ids.length > 60 ? 9 : 16, gap = ids.length > 60 ? 2 : 4;
    const trackW = width - labelW - right;
    const height = top + ids.length * (rowH + gap) + 4;
    const x = (ms) => labelW + ((Math.min(Math.max(ms, from), to) - from) / (to - from)) * trackW;
    const svg = sv('svg', { width: String(width), height: String(height), viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': t('tl.title') });
    const defs = sv('defs');
    const pat = sv('pattern', { id: 'hatch', width: '5', height: '5', patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' });
    pat.append(sv('rect', { width: '5', height: '5', fill: '#dde8f5' }), sv('rect', { width: '2', height: '5', fill: '#5a8ac6' }));
    defs.append(pat);
    svg.append(defs);
    // month ticks
    const p0 = wallParts(from);
    for (let i = 0; i <= 3; i++) {
      const mo = p0.mo - 1 + i;
      const guess = Date.UTC(p0.y, mo, 1);
      const ms = guess - zoneOffset(guess);
      if (ms < from || ms > to) continue;
      const xx = x(ms);
      svg.append(sv('line', { class: 'tick', x1: xx, x2: xx, y1: top - 4, y2: height }));
      if (ms < to) {
        const lbl = sv('text', { class: 'ticklbl', x: xx + 3, y: top - 7 });
        lbl.textContent = dtf({ month: 'long', year: 'numeric' }).format(ms + 86400e3);
        svg.append(lbl);
      }
    }
    const outsByDesk = new Map();
    for (const o of S.qOutages) {
      if (!outsByDesk.has(o.workstation)) outsByDesk.set(o.workstation, []);
      outsByDesk.get(o.workstation).push(o);
    }
    ids.forEach((id, i) => {
      const y = top + i * (rowH + gap);
      const g = sv('g', { 'data-id': id });
      g.append(sv('rect', { class: 'row', x: labelW, y, width: Math.max(0, x(measured) - labelW), height: rowH }));
      const lbl = sv('text', { class: 'lbl', x: 4, y: y + rowH - (rowH > 10 ? 4 : 1) });
      lbl.textContent = deskName(id).length > 24 ? deskName(id).slice(0, 23) + '…' : deskName(id);
      if (rowH < 10) lbl.classList.add('tiny');
      g.append(lbl);
      for (const o of outsByDesk.get(id) || []) {
        const s = Date.parse(o.start), e = o.end ? Date.parse(o.end) : measured;
        const x1 = x(s), x2 = Math.max(x(e), x1 + 2);
        const r = sv('rect', { class: (o.excluded ? 'excluded' : 'counted') + (o.end ? '' : ' open'), x: x1, y: y + 1, width: x2 - x1, height: rowH - 2 });
        const tt = sv('title');
        tt.textContent = outageLabel(o) + (o.excluded ? ` — ${t('tl.excluded')}` : '');
        r.append(tt);
        g.append(r);
      }
      svg.append(g);
    });
    if (measured < to) {
      const xx = x(measured);
      svg.append(sv('line', { class: 'now', x1: xx, x2: xx, y1: top - 4, y2: height }));
    }
    box.replaceChildren(svg);
  }

  // Report links appear only when the report API answers for the period.
  let repSeq = 0;
  const reportsFor = new Set(); // periods whose report the API served
  async function checkReports(period) {
    const seq = ++repSeq;
    const box = $('#reports');
    let ok = reportsFor.has(period);
    if (!ok) {
      try {
        const path = `/api/v1/reports/${encodeURIComponent(period)}.json`;
        let res = await fetch(path, { method: 'HEAD', headers: { Authorization: 'Bearer ' + S.token }, cache: 'no-store' });
        if (res.status === 405) res = await fetch(path, { headers: { Authorization: 'Bearer ' + S.token }, cache: 'no-store' });
        ok = res.status === 200;
      } catch (e) {
        ok = false;
      }
      if (ok) reportsFor.add(period);
    }
    if (seq !== repSeq) return;
    box.hidden = !ok;
    if (!ok) return;
    showMsg($('#report-msg'), '');
    $('#report-links').replaceChildren(...['pdf', 'xlsx', 'csv', 'json'].map((ext) =>
      el('a', { href: `/api/v1/reports/${encodeURIComponent(period)}.${ext}`, 'data-ext': ext, text: t('rep.' + ext), onclick: (ev) => { ev.preventDefault(); download(period, ext); } })));
  }
  // The API needs the Bearer header, which a plain link cannot carry: fetch
  // the file and hand it to the browser as a download.
  async function download(period, ext) {
    try {
      const res = await fetch(`/api/v1/reports/${encodeURIComponent(period)}.${ext}`, { headers: { Authorization: 'Bearer ' + S.token, 'Accept-Language': S.lang }, cache: 'no-store' });
      if (!res.ok) {
        let m = t('err.status', { status: res.status });
        try { const d = await res.json(); if (d && d.error) m = d.error; } catch (e) { /* not JSON */ }
        throw new Error(m);
      }
      const blob = await res.blob();
      const url = URL.createObjectURL(blob);
      const a = el('a', { href: url, download: `deskwatch-${period}.${ext}` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (e) {
      showMsg($('#report-msg'), t('rep.failed', { msg: e.message }), 'error');
    }
  }

  // ---------- settings ----------
  function setLang(lang) {
    S.lang = lang === 'en' ? 'en' : 'ru';
    localStorage.setItem(LANG_KEY, S.lang);
    fmtCache.clear();
    applyStatic();
    if (!S.token) {
      const m = $('#login-msg');
      if (!m.hidden) showMsg(m, '');
      return;
    }
    if (S.stream) {
      const st = S.stream;
      setConn(st.phase === 'open' && !st.lost ? 'live' : (st.lost ? 'down' : 'connecting'));
      if (st.lost) showStreamBanner(st);
    }
    renderBoard();
    fillSelects();
    renderOutages();
    renderQuarter();
    if (S.avail) checkReports($('#q-period').value);
  }
  function setWall(on) {
    S.wall = !!on;
    localStorage.setItem(WALL_KEY, S.wall ? '1' : '');
    document.body.classList.toggle('wall', S.wall);
    applyStatic();
    showTab(S.wall ? 'board' : tabFromHash());
  }

  // ---------- start ----------
  function init() {
    S.lang = localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'ru';
    const params = new URLSearchParams(location.search);
    S.wall = params.has('wall') ? params.get('wall') !== '0' : localStorage.getItem(WALL_KEY) === '1';
    document.body.classList.toggle('wall', S.wall);
    applyStatic();
    setConn('connecting');

    $('#login-form').addEventListener('submit', (ev) => { ev.preventDefault(); tryLogin($('#token').value, false); });
    $('#logout').addEventListener('click', () => logout(''));
    $$('.lang button').forEach((b) => b.addEventListener('click', () => setLang(b.dataset.lang)));
    $('#wall-toggle').addEventListener('click', () => setWall(!S.wall));
    window.addEventListener('hashchange', () => showTab(tabFromHash()));
    $('#out-filters').addEventListener('submit', (ev) => { ev.preventDefault(); loadOutages(); });
    for (const id of ['#f-period', '#f-desk', '#f-hotline', '#f-open']) $(id).addEventListener('change', loadOutages);
    $('#f-excluded').addEventListener('change', renderOutages);
    $('#q-form').addEventListener('submit', (ev) => { ev.preventDefault(); loadQuarter(); });
    $('#q-period').addEventListener('change', loadQuarter);
    $('#manual-form').addEventListener('submit', submitManual);
    $('#ex-form').addEventListener('submit', submitExclude);
    $('#rv-form').addEventListener('submit', submitRevoke);
    $$('dialog [data-close]').forEach((b) => b.addEventListener('click', () => b.closest('dialog').close()));
    let resizeTimer = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(() => { if (S.tab === 'quarter') renderTimeline(); }, 200);
    });
    setInterval(watchdog, 1000);
    setInterval(tickDurations, 15000);

    const saved = sessionStorage.getItem(TOKEN_KEY);
    if (saved) tryLogin(saved, true);
    else $('#token').focus();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
