// deskwatch board: plain JavaScript modules, no build step, no third-party
// code. Talks to the deskwatch HTTP API with the Bearer token the user
// pasted. This module wires the page up; the others each hold one concern.
import { S } from './state.js';
import { $, $$, showMsg } from './dom.js';
import { applyStatic } from './text.js';
import { fmtCache } from './time.js';
import { onUnauthorized } from './api.js';
import { renderBoard, tickDurations } from './tiles.js';
import { setConn, showStreamBanner, watchdog } from './stream.js';
import { TOKEN_KEY, tryLogin, logout, sessionEnded } from './session.js';
import { showTab, tabFromHash } from './tabs.js';
import { fillSelects, submitExclude, submitRevoke, submitManual } from './forms.js';
import { fillScope, toggleCategory, loadMaintenance, submitMaintenance } from './maintenance.js';
import { loadOutages, renderOutages } from './outages.js';
import { loadQuarter, renderQuarter, renderTimeline, checkReports } from './quarter.js';
import { pollHA, renderHA } from './ha.js';

const LANG_KEY = 'deskwatch.lang';
const WALL_KEY = 'deskwatch.wall';

// Language and wall mode are remembered in localStorage.
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
  renderHA();
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
  onUnauthorized(sessionEnded);
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
  $('#mw-form').addEventListener('submit', submitMaintenance);
  $('#mw-counts').addEventListener('change', toggleCategory);
  $('#maint').addEventListener('toggle', () => { if ($('#maint').open) { fillScope(); loadMaintenance(); } });
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
  setInterval(pollHA, 10000);

  const saved = sessionStorage.getItem(TOKEN_KEY);
  if (saved) tryLogin(saved, true);
  else $('#token').focus();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
else init();
