// The desks as the API gives them: grouped by hotline, in the order people
// expect, and their names.
import { S } from './state.js';

export const MAIN_HOTLINES = ['122', '117'];

export function hotlineGroups() {
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
export function desksOf(h) {
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
export function byDesk(a, b) {
  return hotlineRank(a.hotlines) - hotlineRank(b.hotlines) || a.id.localeCompare(b.id, 'en', { numeric: true });
}
export function sortedDesks() {
  return Array.from(S.desks.values()).sort(byDesk);
}
export function deskName(id) {
  const d = S.desks.get(id);
  return d && d.name ? d.name : id;
}
