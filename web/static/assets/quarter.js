// The quarter view: D and Di by desk and hotline, the timeline of
// outages, and the report downloads.
import { S } from './state.js';
import { $, el, sv, showMsg } from './dom.js';
import { t, applyStatic } from './text.js';
import { now, fmtCache, dtf, wallParts, zoneOffset, fmtFull, fmtDate, fmtDur, fmtAvail, quarterOf, quarterKey } from './time.js';
import { api, apiAll, errText } from './api.js';
import { MAIN_HOTLINES, byDesk, deskName } from './desks.js';
import { outageLabel } from './outages.js';

let qSeq = 0;
export async function loadQuarter() {
  S.dirty.quarter = false;
  const period = $('#q-period').value || quarterKey(quarterOf(now()));
  const seq = ++qSeq;
  $('#q-measured').textContent = t('av.loading');
  try {
    const [av, outs] = await Promise.all([
      api('GET', '/api/v1/availability?period=' + encodeURIComponent(period)),
      apiAll('/api/v1/outages?period=' + encodeURIComponent(period), 'outages'),
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

export function renderQuarter() {
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

export function renderTimeline() {
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
export async function checkReports(period) {
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
