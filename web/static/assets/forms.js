// The forms: their selects (quarters, desks, hotlines), and the writes a
// supervisor sends (a manual outage, an exclusion, its revocation).
import { S } from './state.js';
import { $, el, showMsg } from './dom.js';
import { t } from './text.js';
import { now, wallToMs, msToWall, quarterOf, quarterKey } from './time.js';
import { api, errText } from './api.js';
import { hotlineGroups, sortedDesks } from './desks.js';
import { loadOutages, dlgOutage } from './outages.js';
import { loadQuarter } from './quarter.js';

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
export function fillSelects() {
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

export async function submitExclude(ev) {
  ev.preventDefault();
  const o = dlgOutage;
  if (!o) return;
  await send($('#ex-submit'), $('#ex-msg'), () => api('POST', `/api/v1/outages/${encodeURIComponent(o.id)}/exclusion`, {
    category: $('#ex-category').value,
    reason: $('#ex-reason').value,
    by: $('#ex-by').value.trim(),
  }), () => {
    $('#dlg-exclude').close();
    showMsg($('#out-msg'), t('ex.done'), 'ok');
  });
}
export async function submitRevoke(ev) {
  ev.preventDefault();
  const o = dlgOutage;
  if (!o) return;
  await send($('#rv-submit'), $('#rv-msg'), () => api('DELETE', `/api/v1/outages/${encodeURIComponent(o.id)}/exclusion`), () => {
    $('#dlg-revoke').close();
    showMsg($('#out-msg'), t('rv.done'), 'ok');
  });
}
export async function submitManual(ev) {
  ev.preventDefault();
  const msg = $('#manual-msg');
  const start = wallToMs($('#m-start').value), end = wallToMs($('#m-end').value);
  if (isNaN(start) || isNaN(end)) { showMsg(msg, t('man.bad_time'), 'error'); return; }
  await send($('#manual-form button[type=submit]'), msg, () => api('POST', '/api/v1/outages', {
    workstation: $('#m-desk').value,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    cause: $('#m-cause').value,
    note: $('#m-note').value,
  }), () => {
    showMsg(msg, t('man.done'), 'ok');
    $('#m-cause').value = '';
    $('#m-note').value = '';
  });
}
// send runs one write with its button disabled (no double submit); then
// done() reports it and the views reload, or msg shows the API's error.
async function send(btn, msg, write, done) {
  btn.disabled = true;
  try {
    await write();
    done();
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
