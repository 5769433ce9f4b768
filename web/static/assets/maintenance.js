// Planned maintenance (плановые работы): a supervisor declares a window
// ahead, and ends or cancels it; the list shows every window of the last
// 30 days and the next 90.
import { $, el, showMsg } from './dom.js';
import { t } from './text.js';
import { now, wallToMs, msToWall, fmtFull } from './time.js';
import { api, errText } from './api.js';
import { hotlineGroups, sortedDesks } from './desks.js';

// fillScope lists "all", each hotline and each desk in the scope select.
export function fillScope() {
  const s = $('#mw-scope');
  const keep = s.value;
  s.replaceChildren(el('option', { value: 'all', text: t('mw.all') }),
    ...hotlineGroups().filter((h) => h).map((h) => el('option', { value: 'h:' + h, text: t('hotline', { h }) })),
    ...sortedDesks().map((d) => el('option', { value: 'd:' + d.id, text: d.name && d.name !== d.id ? `${d.name} (${d.id})` : d.id })));
  if (keep) s.value = keep;
  if (!$('#mw-from').value) {
    const n = now() + 3600e3;
    $('#mw-from').value = msToWall(n).slice(0, 16);
    $('#mw-to').value = msToWall(n + 2 * 3600e3).slice(0, 16);
  }
  toggleCategory();
}

export function toggleCategory() {
  $('#mw-cat-row').hidden = $('#mw-counts').checked;
}

export async function loadMaintenance() {
  const msg = $('#mw-msg-list');
  try {
    const r = await api('GET', '/api/v1/maintenance');
    $('#mw-list').replaceChildren(...r.maintenance.map(windowRow));
    $('#mw-none').hidden = r.maintenance.length > 0;
    showMsg(msg, '');
  } catch (e) {
    showMsg(msg, errText(e), 'error');
  }
}

function scopeText(m) {
  if (m.all) return t('mw.all');
  return m.hotlines.map((h) => t('hotline', { h })).concat(m.workstations).join(', ');
}

function windowRow(m) {
  const act = (path, method, label) => el('button', { type: 'button', class: 'small', 'data-act': label, 'data-id': m.id, text: t('mw.' + label),
    onclick: (ev) => change(ev.target, method, path) });
  return el('li', { 'data-id': m.id, 'data-state': m.state },
    el('div', null, el('span', { class: 'tag planned', text: t('mw.state.' + m.state) }), ' ', el('b', { text: m.id }), ' · ', scopeText(m)),
    el('div', { class: 'sub', text: `${fmtFull(m.from)} — ${fmtFull(m.to)}` + (m.ended_at ? ' · ' + t('mw.ended_at', { at: fmtFull(m.ended_at), who: m.ended_by }) : '') }),
    el('div', { text: m.reason }),
    el('div', { class: 'sub', text: (m.counts ? t('mw.counts') : t('mw.excluded', { cat: t('cat.' + m.category) })) + ' · ' + t('mw.by', { who: m.by }) }),
    m.state === 'running' ? act(`/api/v1/maintenance/${encodeURIComponent(m.id)}/end`, 'POST', 'end') : null,
    m.state === 'scheduled' ? act(`/api/v1/maintenance/${encodeURIComponent(m.id)}`, 'DELETE', 'cancel') : null);
}

async function change(btn, method, path) {
  btn.disabled = true;
  try {
    await api(method, path);
    showMsg($('#mw-msg-list'), t('mw.changed'), 'ok');
    loadMaintenance();
  } catch (e) {
    showMsg($('#mw-msg-list'), errText(e), 'error');
    btn.disabled = false;
  }
}

export async function submitMaintenance(ev) {
  ev.preventDefault();
  const msg = $('#mw-msg');
  const from = wallToMs($('#mw-from').value), to = wallToMs($('#mw-to').value);
  if (isNaN(from) || isNaN(to)) { showMsg(msg, t('man.bad_time'), 'error'); return; }
  const scope = $('#mw-scope').value;
  const body = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), reason: $('#mw-reason').value, counts: $('#mw-counts').checked };
  if (scope === 'all') body.all = true;
  else if (scope.startsWith('h:')) body.hotlines = [scope.slice(2)];
  else body.workstations = [scope.slice(2)];
  if (!body.counts) body.category = $('#mw-category').value;
  const btn = $('#mw-form button[type=submit]');
  btn.disabled = true;
  try {
    const m = await api('POST', '/api/v1/maintenance', body);
    showMsg(msg, t('mw.done', { id: m.id }), 'ok');
    $('#mw-reason').value = '';
    loadMaintenance();
  } catch (e) {
    showMsg(msg, errText(e), 'error');
  } finally {
    btn.disabled = false;
  }
}
