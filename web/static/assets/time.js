// Dates, durations and percentages, in the report's time zone (S.zone)
// and on the server's clock (S.skew).
import { S } from './state.js';
import { t, locale } from './text.js';

export function now() { return Date.now() + S.skew; }
export const fmtCache = new Map();
export function dtf(opts) {
  const key = S.lang + S.zone + JSON.stringify(opts);
  let f = fmtCache.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), Object.assign({ timeZone: S.zone }, opts));
    fmtCache.set(key, f);
  }
  return f;
}
export function wallParts(ms) {
  const f = dtf({ hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = {};
  for (const x of f.formatToParts(new Date(ms))) p[x.type] = x.value;
  return { y: +p.year, mo: +p.month, d: +p.day, h: +p.hour % 24, mi: +p.minute, s: +p.second };
}
// Offset of the zone at an instant, in ms east of UTC.
export function zoneOffset(ms) {
  const p = wallParts(ms);
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(ms / 1000) * 1000;
}
// "2026-11-27T09:00[:ss]" read as wall time in the zone → instant (ms).
export function wallToMs(v) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(v || '');
  if (!m) return NaN;
  const guess = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  let inst = guess - zoneOffset(guess);
  const off2 = zoneOffset(inst);
  if (guess - off2 !== inst) inst = guess - off2;
  return inst;
}
export function msToWall(ms) {
  const p = wallParts(ms);
  const z = (n) => String(n).padStart(2, '0');
  return `${p.y}-${z(p.mo)}-${z(p.d)}T${z(p.h)}:${z(p.mi)}:${z(p.s)}`;
}
const toMs = (x) => (typeof x === 'number' ? x : Date.parse(x));
export function fmtShort(iso) {
  const ms = toMs(iso);
  const a = wallParts(ms), b = wallParts(now());
  if (a.y === b.y && a.mo === b.mo && a.d === b.d) return dtf({ hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  if (a.y === b.y) return dtf({ day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
  return dtf({ day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
}
export function fmtFull(iso) {
  return dtf({ day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(toMs(iso));
}
export function fmtDate(iso) { return dtf({ day: '2-digit', month: '2-digit', year: 'numeric' }).format(toMs(iso)); }
export function fmtDur(ms) {
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
export function fmtAvail(v) {
  let digits = 3;
  while (v < 100 && digits < 7 && Number(v.toFixed(digits)) >= 100) digits++;
  return fmtPct(v, digits);
}
export function quarterOf(ms) {
  const p = wallParts(ms);
  return { y: p.y, q: Math.floor((p.mo - 1) / 3) + 1 };
}
export function quarterKey(q) { return `${q.y}Q${q.q}`; }
