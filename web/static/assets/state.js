// The board's state, shared by every module: one object, changed in place.

export const S = {
  token: null,
  role: '', // '' unknown, 'viewer', 'supervisor'
  name: '', // the token's name, from whoami
  lang: 'ru',
  wall: false,
  zone: 'Asia/Irkutsk',
  desks: new Map(), // id → workstation as the API gives it
  tiles: new Map(), // id → [tile elements]
  layoutKey: '',
  skew: 0, // server clock − browser clock, ms (from the snapshot's "at")
  stream: null,
  tab: 'board',
  outages: [],
  avail: null,
  qOutages: [],
  dirty: { outages: true, quarter: true },
};
