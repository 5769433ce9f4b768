// The three views (board, outages, quarter), chosen by the URL's hash; a
// view's data loads when it is shown or, while shown, when it changed.
import { S } from './state.js';
import { $$ } from './dom.js';
import { loadOutages } from './outages.js';
import { loadQuarter } from './quarter.js';

export function tabFromHash() {
  const h = (location.hash || '').slice(1);
  return ['board', 'outages', 'quarter'].includes(h) ? h : 'board';
}
export function showTab(tab) {
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
export function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = 0;
    if (!S.token) return;
    if (S.tab === 'outages' && S.dirty.outages) loadOutages();
    if (S.tab === 'quarter' && S.dirty.quarter) loadQuarter();
  }, 2500);
}
