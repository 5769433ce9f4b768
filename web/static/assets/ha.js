// With ha on, the header names the instance the board talks to and its
// role, from /healthz (public, no token): a standby's board shows its own
// evidence while the leader writes.
import { S } from './state.js';
import { $ } from './dom.js';
import { t } from './text.js';

let last = null;

export async function pollHA() {
  if (!S.token) return;
  try {
    const res = await fetch('/healthz', { cache: 'no-store' });
    last = (await res.json()).ha || null;
  } catch (e) {
    last = null;
  }
  renderHA();
}

export function renderHA() {
  const el = $('#ha');
  el.hidden = !last;
  if (!last) return;
  el.dataset.role = last.role;
  el.textContent = t('ha.line', { instance: last.instance, role: t('ha.' + last.role), epoch: last.epoch });
  el.title = t('ha.peers', { peers: (last.peers || []).join(', ') });
}
