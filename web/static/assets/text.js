// The words of the page, from i18n.js (a classic script that runs first
// and leaves them in window.DW_I18N).
import { S } from './state.js';
import { $, $$ } from './dom.js';

const I18N = window.DW_I18N;

export function t(key, params) {
  let s = (I18N[S.lang] && I18N[S.lang][key]);
  if (s === undefined) s = I18N.ru[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
  return s;
}
export function locale() { return S.lang === 'en' ? 'en-GB' : 'ru-RU'; }

export function applyStatic() {
  document.documentElement.lang = S.lang;
  document.title = t('doc.title');
  $$('[data-i18n]').forEach((e) => { e.textContent = t(e.dataset.i18n); });
  $$('[data-i18n-placeholder]').forEach((e) => { e.placeholder = t(e.dataset.i18nPlaceholder); });
  $$('[data-i18n-title]').forEach((e) => { e.title = t(e.dataset.i18nTitle); });
  $$('[data-i18n-aria]').forEach((e) => { e.setAttribute('aria-label', t(e.dataset.i18nAria)); });
  $$('.lang button').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === S.lang)));
  $('#wall-toggle').textContent = t(S.wall ? 'wall.off' : 'wall.on');
  $('#manual-hint').textContent = t('man.hint', { zone: S.zone });
  $('#who-name').textContent = S.name ? t('who.name', { name: S.name }) : '';
  $('#who').textContent = S.role ? t('role.' + S.role) : '';
}

export function causeText(c) {
  if (!c) return '';
  const k = 'cause.' + c;
  return I18N.ru[k] !== undefined ? t(k) : c;
}

export function sourceText(list) { return (list || []).map((s) => (I18N.ru['src.' + s] !== undefined ? t('src.' + s) : s)).join(', '); }
