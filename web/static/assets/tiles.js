// The board: a tile for each desk, grouped by hotline, and the counts on
// top; kept up to date by snapshots and single changes from the stream.
import { S } from './state.js';
import { $, $$, el, sv } from './dom.js';
import { t, locale, causeText } from './text.js';
import { now, fmtShort, fmtFull, fmtDur } from './time.js';
import { hotlineGroups, desksOf, sortedDesks } from './desks.js';
import { fillSelects } from './forms.js';
import { scheduleRefresh } from './tabs.js';

const COMPACT_FROM = 49; // desks; more than that: compact tiles

const ICONS = {
  up: ['M7 12.5l3.2 3.2L17 9'],
  down: ['M8.5 8.5l7 7', 'M15.5 8.5l-7 7'],
  unknown: ['M9.6 9.4a2.5 2.5 0 1 1 3.4 2.4c-.7.3-1 .8-1 1.5v.6', 'M12 16.9v.2'],
  off: ['M8 12h8'],
};
// shown is the state a tile shows: off shift is its own, neither up nor down.
export function shown(d) {
  if (d.on_shift === false) return 'off';
  return ['up', 'down', 'unknown'].includes(d.state) ? d.state : 'unknown';
}
function icon(state) {
  const s = sv('svg', { viewBox: '0 0 24 24', 'aria-hidden': 'true' });
  s.append(sv('circle', { cx: '12', cy: '12', r: '9.5' }));
  for (const d of ICONS[state] || ICONS.unknown) s.append(sv('path', { d }));
  return s;
}

// A tile: name; icon, state word and id; since when and for how long;
// the cause in words; the probe's RTT or "probe only". Never colour alone.
function tileBody(tile, d) {
  const st = shown(d);
  tile.dataset.state = st;
  let cause = '';
  if (st === 'off') cause = t('off.why', { s: d.schedule || '' });
  else if (st === 'down') cause = causeText(d.cause);
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
  if (d.maintenance) meta.push(t('planned') + ' ' + d.maintenance);
  if (d.computer && d.computer.state === 'down' && d.cause !== 'computer') meta.push(t('computer.down', { host: d.computer.host }));
  const epTitle = (d.endpoints || []).map((ep) => [ep.id, ep.state, ep.contact || ''].join(' ')).join('\n');
  tile.title = `${d.name || d.id} (${d.id})\n${epTitle}`;
  const kids = [
    el('div', { class: 'name', text: d.name || d.id }),
    el('div', { class: 'state' }, icon(st), el('span', { class: 'word', text: t('state.' + st) }), el('span', { class: 'id', text: d.id })),
    when,
  ];
  tile.classList.toggle('planned', !!d.maintenance);
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

export function renderBoard() {
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
    // The counts are of the desks on shift.
    const all = desksOf(h);
    const list = all.filter((d) => shown(d) !== 'off');
    const off = all.length - list.length;
    const up = list.filter((d) => d.state === 'up').length;
    const down = list.filter((d) => d.state === 'down').length;
    const unk = list.filter((d) => d.state !== 'up' && d.state !== 'down').length;
    const label = h || t('hotline.none');
    const detail = el('div', { class: 'detail' });
    if (down) detail.append(el('span', { class: 'bad', text: t('count.down', { n: down }) }));
    if (down && unk) detail.append(' · ');
    if (unk) detail.append(el('span', { text: t('count.unknown', { n: unk }) }));
    if (off) detail.append(down || unk ? ' · ' : '', el('span', { class: 'off', text: t('count.off', { n: off }) }));
    if (!down && !unk && !off) detail.append('\u00a0');
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
export function setDesks(list, fromStream) {
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
export function upsertDesk(d) {
  const old = S.desks.get(d.id);
  S.desks.set(d.id, d);
  const key = layoutKey();
  if (key !== S.layoutKey) {
    S.layoutKey = key;
    renderBoard();
  } else {
    updateTile(d, old && shown(old) !== shown(d));
    renderSummary();
  }
  if (!old || old.state !== d.state) {
    S.dirty.outages = S.dirty.quarter = true;
    scheduleRefresh();
  }
}
export function tickDurations() {
  $$('.tile .at[data-since]').forEach((e) => { e.textContent = t('since', { time: fmtShort(e.dataset.since) }); });
  $$('.tile .dur[data-since]').forEach((e) => { e.textContent = fmtDur(now() - Date.parse(e.dataset.since)); });
}
