// The outages view: the filtered list, and the dialogs that exclude an
// outage or revoke its exclusion (their forms are sent by forms.js).
import { S } from './state.js';
import { $, el, showMsg } from './dom.js';
import { t, causeText, sourceText } from './text.js';
import { now, fmtFull, fmtDur, quarterOf, quarterKey } from './time.js';
import { apiAll, errText } from './api.js';
import { deskName } from './desks.js';

const MAX_ROWS = 500;

let outSeq = 0;
export async function loadOutages() {
  S.dirty.outages = false;
  const q = new URLSearchParams();
  q.set('period', $('#f-period').value || quarterKey(quarterOf(now())));
  if ($('#f-desk').value) q.set('workstation', $('#f-desk').value);
  if ($('#f-hotline').value) q.set('hotline', $('#f-hotline').value);
  if ($('#f-open').value) q.set('open', $('#f-open').value);
  const seq = ++outSeq;
  $('#out-status').textContent = t('out.loading');
  try {
    const data = await apiAll('/api/v1/outages?' + q.toString(), 'outages');
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

export function renderOutages() {
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
      el('td', null, el('div', { text: causeText(o.cause) }), o.note ? el('div', { class: 'sub', text: t('out.note', { note: o.note }) }) : null,
        o.planned ? el('span', { class: 'tag planned', title: (o.maintenance || []).join(', '), text: t('planned') }) : null),
      el('td', { text: sourceText(o.sources) }),
      el('td', { class: 'excl' }, exclCell),
      actions);
  });
  $('#out-table tbody').replaceChildren(...rows);
  let status = total ? t('out.count', { n: total }) : t('out.none');
  if (total > shown.length) status += ' ' + t('out.shown', { shown: shown.length, n: total });
  $('#out-status').textContent = status;
}

export function outageLabel(o) {
  return `${deskName(o.workstation)} (${o.workstation}): ${fmtFull(o.start)} — ${o.end ? fmtFull(o.end) : t('out.ongoing')}, ${fmtDur(outageDur(o))}; ${causeText(o.cause)}`;
}
export let dlgOutage = null;
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
