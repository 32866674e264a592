// Fulcrum's dashboard: a plain ES module, no framework, no build step. It reads only the public
// API (Octavia /v2/lbaas, networks /v2.0, identity) with the signed-in user's token, which lives in
// sessionStorage and is never put in a URL. Every string from the API is inserted as text
// (textContent / text nodes), never as HTML. Live state comes from GET /v2/lbaas/events, read with
// fetch() because EventSource cannot send X-Auth-Token, resumed with Last-Event-ID.

const SESSION_KEY = 'fulcrum.dashboard.session';
const ACTIVITY_MAX = 200;
const HISTORY_MAX = 60;

// ---------------------------------------------------------------- small DOM helpers

const $ = (id) => document.getElementById(id);

/** An element with attributes and children (strings become text nodes: never parsed as HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

/** A status as a badge: the word is always there (colour is never the only signal). */
function badge(status) {
  const s = status ?? 'UNKNOWN';
  return h('span', { class: `badge s-${s.toLowerCase().replace(/_/g, '-')}` }, s);
}

function formatBytes(n) {
  if (!Number.isFinite(n)) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

function formatRate(n, unit) {
  if (!Number.isFinite(n)) return '–';
  return `${n < 10 ? n.toFixed(1) : Math.round(n)} ${unit}/s`;
}

const time = (iso) => {
  const d = iso ? new Date(iso) : new Date();
  return d.toLocaleTimeString(undefined, { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0');
};

// ---------------------------------------------------------------- session and API

let config = { identity_url: '/v3' };
let session = null; // { token, expiresAt, user, project, projectId, roles }

function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
    if (s && typeof s.token === 'string' && Date.parse(s.expiresAt) > Date.now()) return s;
  } catch { /* a damaged entry is no session */ }
  sessionStorage.removeItem(SESSION_KEY);
  return null;
}

/** Roles that may change objects (Octavia's `write` rule); readers and observers only look. */
const canWrite = () => !!session && session.roles.some((r) => ['admin', 'member', 'load-balancer_admin', 'load-balancer_member'].includes(r));
const isAdmin = () => !!session && session.roles.some((r) => r === 'admin' || r === 'load-balancer_admin');

/** An API answer that was not 2xx, with the API's own message. */
class ApiError extends Error {
  constructor(status, message, requestId) {
    super(message);
    this.status = status;
    this.requestId = requestId;
  }
  /** What a person reads: the API's message, the HTTP status and the request id to quote. */
  describe() {
    return `${this.message} (HTTP ${this.status}${this.requestId ? `, request ${this.requestId}` : ''})`;
  }
}

/** The message of an error body in any of the three formats (Octavia, Neutron, Keystone). */
function messageOf(body, text, status) {
  if (body && typeof body === 'object') {
    if (typeof body.faultstring === 'string') return body.faultstring;
    if (body.NeutronError && typeof body.NeutronError.message === 'string') return body.NeutronError.message;
    if (body.error && typeof body.error.message === 'string') return body.error.message;
  }
  return text && text.length < 300 ? text : `The request failed with HTTP ${status}.`;
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (session) headers['X-Auth-Token'] = session.token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
  } catch {
    throw new ApiError(0, 'Fulcrum cannot be reached.', null);
  }
  const text = await res.text();
  let parsed = null;
  try { parsed = text === '' ? null : JSON.parse(text); } catch { parsed = null; }
  if (!res.ok) {
    const err = new ApiError(res.status, messageOf(parsed, text, res.status), res.headers.get('x-openstack-request-id'));
    if (res.status === 401 && session) signOut('Your session has ended: sign in again.');
    throw err;
  }
  return parsed;
}

// ---------------------------------------------------------------- state

/** Load balancers by id (wire shape). */
const lbs = new Map();
/** Counters by load balancer id: { stats, listeners, history: [{t, conns, bytes}] }. */
const stats = new Map();
/** The selected load balancer's details: { id, tree, listeners, pools, members: Map(poolId → [member]) }. */
let detail = null;
let selectedId = null;
let configOpenFor = null;

// ---------------------------------------------------------------- rendering

let renderQueued = false;
function render() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    const focusKey = document.activeElement?.dataset?.key;
    renderList();
    renderDetail();
    if (focusKey) document.querySelector(`[data-key="${CSS.escape(focusKey)}"]`)?.focus();
  });
}

function rates(id) {
  const hist = stats.get(id)?.history ?? [];
  if (hist.length < 2) return null;
  const a = hist[hist.length - 2];
  const b = hist[hist.length - 1];
  const dt = (b.t - a.t) / 1000;
  if (dt <= 0) return null;
  return { conns: Math.max(0, (b.conns - a.conns) / dt), bytes: Math.max(0, (b.bytes - a.bytes) / dt) };
}

/** A small line of the connection rate over the last samples (aria-hidden: the numbers are beside it). */
function sparkline(id) {
  const hist = stats.get(id)?.history ?? [];
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', '0 0 100 20');
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('aria-hidden', 'true');
  const points = [];
  for (let i = 1; i < hist.length; i++) {
    const dt = (hist[i].t - hist[i - 1].t) / 1000;
    points.push(dt > 0 ? Math.max(0, (hist[i].conns - hist[i - 1].conns) / dt) : 0);
  }
  if (points.length > 1) {
    const max = Math.max(1, ...points);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points.map((v, i) => `${(i / (points.length - 1)) * 100},${19 - (v / max) * 18}`).join(' '));
    svg.append(line);
  }
  return svg;
}

function renderList() {
  const rows = $('lb-rows');
  const sorted = [...lbs.values()].sort((a, b) => (a.name || a.id).localeCompare(b.name || b.id));
  rows.replaceChildren(...sorted.map((lb) => {
    const s = stats.get(lb.id)?.stats;
    const r = rates(lb.id);
    const selected = lb.id === selectedId;
    return h('tr', { class: selected ? 'selected' : '', dataset: { lb: lb.id } },
      h('th', { scope: 'row' },
        h('button', {
          type: 'button', class: 'link', 'aria-current': selected ? 'true' : undefined,
          dataset: { key: `select-${lb.id}` }, onclick: () => select(lb.id),
          'aria-label': `${lb.name || lb.id}: show details`,
        }, lb.name || lb.id.slice(0, 8))),
      h('td', { class: 'mono' }, lb.vip_address ?? ''),
      h('td', { class: 'prov' }, badge(lb.provisioning_status)),
      h('td', { class: 'oper' }, badge(lb.operating_status)),
      h('td', { class: 'num' }, s ? String(s.active_connections) : '–'),
      h('td', { class: 'traffic-cell' },
        sparkline(lb.id),
        h('span', { class: 'num', title: r ? `${formatBytes(r.bytes)}/s` : '' }, r ? formatRate(r.conns, 'conn') : s ? `${s.total_connections} conn` : '–')));
  }));
  $('lb-empty').hidden = lbs.size > 0;
  $('lb-table').hidden = lbs.size === 0;
}

function fact(dl, term, value, cls) {
  dl.append(h('dt', {}, term), h('dd', { class: cls }, value));
}

function renderDetail() {
  const section = $('detail');
  const lb = selectedId ? lbs.get(selectedId) : null;
  if (!lb) {
    section.hidden = true;
    return;
  }
  section.hidden = false;
  $('detail-title').textContent = `Load balancer ${lb.name || lb.id}`;
  const facts = $('detail-facts');
  facts.replaceChildren();
  fact(facts, 'ID', lb.id, 'mono');
  fact(facts, 'VIP', `${lb.vip_address ?? ''}`, 'mono');
  fact(facts, 'Provider', lb.provider ?? '');
  fact(facts, 'Provisioning', badge(lb.provisioning_status));
  fact(facts, 'Operating', badge(lb.operating_status));
  if (lb.description) fact(facts, 'Description', lb.description);
  if (isAdmin() && session.projectId !== lb.project_id) fact(facts, 'Project', lb.project_id, 'mono');

  const st = stats.get(lb.id);
  const r = rates(lb.id);
  const traffic = $('detail-traffic');
  traffic.replaceChildren();
  if (st) {
    const cell = (label, value) => h('div', { class: 'stat', dataset: { stat: label.toLowerCase().replace(/ /g, '-') } }, h('span', { class: 'label' }, label), h('span', { class: 'value' }, value));
    traffic.append(
      cell('Active sessions', String(st.stats.active_connections)),
      cell('Connections', String(st.stats.total_connections)),
      cell('Rate', r ? formatRate(r.conns, 'conn') : '–'),
      cell('Throughput', r ? `${formatBytes(r.bytes)}/s` : '–'),
      cell('Bytes in', formatBytes(st.stats.bytes_in)),
      cell('Bytes out', formatBytes(st.stats.bytes_out)),
      cell('Request errors', String(st.stats.request_errors)),
      h('div', { class: 'stat wide' }, h('span', { class: 'label' }, 'Connections per second, last 5 minutes at most'),
        (st.history.length > 2 ? sparkline(lb.id) : h('span', { class: 'hint' }, 'collecting…'))),
    );
  }
  renderTree(lb);
  $('config').hidden = !isAdmin();
}

function renderTree(lb) {
  const tree = $('tree');
  if (!detail || detail.id !== lb.id) {
    tree.replaceChildren(h('p', { class: 'hint' }, 'Loading…'));
    return;
  }
  const root = detail.tree;
  const listenerInfo = new Map(detail.listeners.map((l) => [l.id, l]));
  const poolInfo = new Map(detail.pools.map((p) => [p.id, p]));
  const listenerStats = stats.get(lb.id)?.listeners ?? {};
  // Octavia's status tree lists pools under their listener only: a pool of the load balancer that
  // no listener uses yet is shown from the pools and members lists.
  const inTree = new Set(root.listeners.flatMap((l) => l.pools.map((p) => p.id)));
  const loose = detail.pools.filter((p) => !inTree.has(p.id)).map((p) => ({
    id: p.id, name: p.name, provisioning_status: p.provisioning_status, operating_status: p.operating_status, health_monitor: null,
    members: (detail.members.get(p.id) ?? []).map((m) => ({
      id: m.id, name: m.name, address: m.address, protocol_port: m.protocol_port,
      provisioning_status: m.provisioning_status, operating_status: m.operating_status,
    })),
  }));
  const looseList = loose.length === 0 ? null : h('div', {},
    h('h4', {}, 'Pools without a listener'), h('ul', { class: 'level' }, loose.map((p) => poolNode(p, poolInfo.get(p.id)))));
  if (root.listeners.length === 0) {
    tree.replaceChildren(h('p', { class: 'hint' }, 'No listeners.'), looseList ?? '');
    return;
  }
  tree.replaceChildren(h('ul', { class: 'level' }, root.listeners.map((l) => {
    const li = listenerInfo.get(l.id);
    const ls = listenerStats[l.id];
    return h('li', { class: 'node listener', dataset: { id: l.id } },
      h('div', { class: 'head' },
        h('span', { class: 'kind' }, 'Listener'),
        h('span', { class: 'name' }, l.name || l.id.slice(0, 8)),
        li ? h('span', { class: 'mono' }, `${li.protocol}:${li.protocol_port}`) : null,
        badge(l.provisioning_status), badge(l.operating_status),
        ls ? h('span', { class: 'hint' }, `${ls.active_connections} active · ${ls.total_connections} conn · ${formatBytes(ls.bytes_in)} in · ${formatBytes(ls.bytes_out)} out`) : null),
      l.pools.length === 0 ? null : h('ul', { class: 'level' }, l.pools.map((p) => poolNode(p, poolInfo.get(p.id)))));
  })), looseList ?? '');
}

function poolNode(p, info) {
  const members = detail.members.get(p.id) ?? [];
  const byId = new Map(members.map((m) => [m.id, m]));
  const hm = p.health_monitor;
  return h('li', { class: 'node pool', dataset: { id: p.id } },
    h('div', { class: 'head' },
      h('span', { class: 'kind' }, 'Pool'),
      h('span', { class: 'name' }, p.name || p.id.slice(0, 8)),
      info ? h('span', { class: 'mono' }, `${info.protocol} ${info.lb_algorithm}`) : null,
      badge(p.provisioning_status), badge(p.operating_status),
      canWrite() ? h('button', {
        type: 'button', class: 'small', dataset: { key: `add-member-${p.id}` },
        'aria-label': `Add member to pool ${p.name || p.id}`, onclick: () => openMember(p, null),
      }, 'Add member') : null),
    hm ? h('div', { class: 'head monitor', dataset: { id: hm.id } },
      h('span', { class: 'kind' }, 'Health monitor'),
      hm.name ? h('span', { class: 'name' }, hm.name) : null,
      h('span', { class: 'mono' }, hm.type),
      badge(hm.provisioning_status), badge(hm.operating_status)) : h('p', { class: 'hint' }, 'No health monitor: members are not checked (NO_MONITOR).'),
    p.members.length === 0 ? h('p', { class: 'hint' }, 'No members.') : h('table', { class: 'grid members' },
      h('caption', { class: 'visually-hidden' }, `Members of pool ${p.name || p.id}`),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Member'), h('th', { scope: 'col' }, 'Address'), h('th', { scope: 'col' }, 'Weight'),
        h('th', { scope: 'col' }, 'Health'), h('th', { scope: 'col' }, 'Provisioning'),
        canWrite() ? h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')) : null)),
      h('tbody', {}, p.members.map((m) => {
        const full = byId.get(m.id);
        return h('tr', { class: `member o-${String(m.operating_status).toLowerCase()}`, dataset: { id: m.id } },
          h('th', { scope: 'row' }, m.name || m.id.slice(0, 8)),
          h('td', { class: 'mono' }, `${m.address}:${m.protocol_port}`),
          h('td', { class: 'num' }, full ? String(full.weight) + (full.admin_state_up ? '' : ' (admin down)') : ''),
          h('td', { class: 'health' }, badge(m.operating_status)),
          h('td', {}, badge(m.provisioning_status)),
          canWrite() ? h('td', {}, h('button', {
            type: 'button', class: 'small', dataset: { key: `edit-member-${m.id}` },
            'aria-label': `Edit member ${m.name || m.address}`, onclick: () => openMember(p, full ?? m),
          }, 'Edit…')) : null);
      }))));
}

// ---------------------------------------------------------------- activity log

function describeEvent(e) {
  const name = e.name ? `${e.name}` : e.id.slice(0, 8);
  const what = e.kind === 'loadbalancer' ? 'load balancer' : e.kind === 'healthmonitor' ? 'health monitor' : e.kind;
  if (e.provisioning_status === 'DELETED') return `${what} ${name}: deleted`;
  if (!e.previous) return `${what} ${name}: created, ${e.provisioning_status} / ${e.operating_status}`;
  const parts = [];
  if (e.previous.provisioning_status !== e.provisioning_status) parts.push(`${e.previous.provisioning_status} → ${e.provisioning_status}`);
  if (e.previous.operating_status !== e.operating_status) parts.push(`${e.previous.operating_status} → ${e.operating_status}`);
  return `${what} ${name}: ${parts.join(', ') || 'updated'}`;
}

function logActivity(text, at, level) {
  const list = $('activity');
  list.prepend(h('li', { class: level ? `lv-${level}` : '' }, h('time', { datetime: at ?? new Date().toISOString() }, time(at)), ' ', text));
  while (list.children.length > ACTIVITY_MAX) list.lastElementChild.remove();
}

// ---------------------------------------------------------------- loading

async function loadAll() {
  const body = await api('GET', '/v2/lbaas/loadbalancers');
  lbs.clear();
  for (const lb of body.loadbalancers) lbs.set(lb.id, lb);
  await Promise.all([...lbs.keys()].map((id) => loadStats(id)));
  if (selectedId && !lbs.has(selectedId)) selectedId = null;
  if (selectedId) await loadDetail(selectedId);
  render();
}

async function loadStats(id) {
  try {
    const body = await api('GET', `/v2/lbaas/loadbalancers/${encodeURIComponent(id)}/stats`);
    recordStats(id, body.stats, stats.get(id)?.listeners ?? {});
  } catch { /* a load balancer being deleted: the stream tells */ }
}

/**
 * The stream sends a load balancer's counters only when they changed, at most every 5 s (the
 * agent's period): no event for longer means they did not change, so a sample of the same counters
 * is added then, and the rate falls to 0 instead of showing the last one forever.
 */
const IDLE_SAMPLE_MS = 7000;
setInterval(() => {
  let changed = false;
  for (const [id, entry] of stats) {
    const last = entry.history[entry.history.length - 1];
    if (!last || Date.now() - last.t < IDLE_SAMPLE_MS) continue;
    entry.history.push({ t: Date.now(), conns: last.conns, bytes: last.bytes });
    if (entry.history.length > HISTORY_MAX) entry.history.shift();
    if (lbs.has(id)) changed = true;
  }
  if (changed) render();
}, IDLE_SAMPLE_MS / 2);

function recordStats(id, s, listeners) {
  const entry = stats.get(id) ?? { history: [] };
  entry.stats = s;
  entry.listeners = listeners;
  entry.history.push({ t: Date.now(), conns: s.total_connections, bytes: s.bytes_in + s.bytes_out });
  if (entry.history.length > HISTORY_MAX) entry.history.shift();
  stats.set(id, entry);
}

async function loadDetail(id) {
  const q = `loadbalancer_id=${encodeURIComponent(id)}`;
  const [status, listeners, pools] = await Promise.all([
    api('GET', `/v2/lbaas/loadbalancers/${encodeURIComponent(id)}/status`),
    api('GET', `/v2/lbaas/listeners?${q}`),
    api('GET', `/v2/lbaas/pools?${q}`),
  ]);
  const members = new Map();
  await Promise.all(pools.pools.map(async (p) => {
    members.set(p.id, (await api('GET', `/v2/lbaas/pools/${encodeURIComponent(p.id)}/members`)).members);
  }));
  if (selectedId !== id) return;
  detail = { id, tree: status.statuses.loadbalancer, listeners: listeners.listeners, pools: pools.pools, members };
  render();
}

/** Reloads the selected load balancer's details soon (coalescing a burst of events). */
let detailTimer = null;
function refreshDetailSoon(id) {
  if (id !== selectedId) return;
  clearTimeout(detailTimer);
  detailTimer = setTimeout(() => loadDetail(id).catch(showAppError), 150);
}

async function select(id) {
  selectedId = id;
  detail = null;
  configOpenFor = null;
  $('config').open = false;
  render();
  try {
    await loadDetail(id);
  } catch (err) {
    showAppError(err);
  }
}

function showAppError(err) {
  $('app-error').textContent = err instanceof ApiError ? err.describe() : String(err?.message ?? err);
}

// ---------------------------------------------------------------- live: the event stream

let stream = null; // { abort: AbortController }
let lastEventId = null;

function setLive(text, ok) {
  const el = $('live');
  el.textContent = text;
  el.classList.toggle('ok', ok);
}

/** Follows the event stream until signed out; reconnects with Last-Event-ID after a drop. */
async function follow() {
  const abort = new AbortController();
  stream = { abort };
  let retryMs = 1000;
  while (!abort.signal.aborted && session) {
    try {
      const headers = { 'X-Auth-Token': session.token, Accept: 'text/event-stream' };
      if (lastEventId !== null) headers['Last-Event-ID'] = String(lastEventId);
      const res = await fetch('/v2/lbaas/events', { headers, signal: abort.signal, cache: 'no-store' });
      if (res.status === 401) {
        signOut('Your session has ended: sign in again.');
        return;
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      setLive('live', true);
      // The first connection has no Last-Event-ID: read everything now that no event can be missed.
      if (lastEventId === null) await loadAll().catch(showAppError);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const retry = /^retry: (\d+)$/m.exec(frame);
          if (retry) retryMs = Number(retry[1]);
          await dispatch(frame);
        }
      }
    } catch (err) {
      if (abort.signal.aborted) return;
    }
    if (abort.signal.aborted || !session) return;
    setLive('reconnecting…', false);
    await new Promise((r) => setTimeout(r, retryMs));
  }
}

async function dispatch(frame) {
  let id = null;
  let event = 'message';
  const data = [];
  for (const line of frame.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (id !== null) lastEventId = id;
  if (data.length === 0) return;
  const payload = JSON.parse(data.join('\n'));
  if (event === 'status') onStatus(payload);
  else if (event === 'stats') onStats(payload);
  else if (event === 'reset') {
    logActivity('Missed events are no longer kept: everything was read again.', null, 'warn');
    await loadAll().catch(showAppError);
  }
}

function onStatus(e) {
  logActivity(describeEvent(e), e.time, e.operating_status === 'ERROR' || e.provisioning_status === 'ERROR' ? 'bad' : null);
  if (e.kind === 'loadbalancer') {
    if (e.provisioning_status === 'DELETED') {
      lbs.delete(e.id);
      stats.delete(e.id);
      if (selectedId === e.id) { selectedId = null; detail = null; }
    } else if (lbs.has(e.id)) {
      Object.assign(lbs.get(e.id), { provisioning_status: e.provisioning_status, operating_status: e.operating_status, name: e.name });
      if (e.id === selectedId && e.provisioning_status === 'ACTIVE') {
        refreshDetailSoon(e.id);
        if (configOpenFor === e.id) loadConfig(e.id);
      }
    } else {
      api('GET', `/v2/lbaas/loadbalancers/${encodeURIComponent(e.id)}`)
        .then((b) => { lbs.set(e.id, b.loadbalancer); return loadStats(e.id); })
        .then(() => render())
        .catch(() => undefined);
    }
    render();
    return;
  }
  if (!detail || detail.id !== e.loadbalancer_id) return;
  const node = findNode(detail.tree, e.id);
  if (!node || e.provisioning_status === 'DELETED' || !e.previous) {
    refreshDetailSoon(e.loadbalancer_id);
    return;
  }
  node.provisioning_status = e.provisioning_status;
  node.operating_status = e.operating_status;
  render();
}

/** The node of the status tree with this id (listener, pool, health monitor or member). */
function findNode(tree, id) {
  for (const l of tree.listeners) {
    if (l.id === id) return l;
    for (const p of l.pools) {
      if (p.id === id) return p;
      if (p.health_monitor?.id === id) return p.health_monitor;
      for (const m of p.members) if (m.id === id) return m;
    }
  }
  return null;
}

function onStats(e) {
  if (!lbs.has(e.loadbalancer_id)) return;
  recordStats(e.loadbalancer_id, e.stats, e.listeners ?? {});
  render();
}

// ---------------------------------------------------------------- admin: rendered configuration

async function loadConfig(id) {
  const meta = $('config-meta');
  const pre = $('config-text');
  try {
    const body = await api('GET', `/v2/lbaas/loadbalancers/${encodeURIComponent(id)}/config`);
    if (selectedId !== id) return;
    meta.textContent = `${body.config.name} as the ${body.config.provider} provider wrote it, ${new Date(body.config.written_at).toLocaleString()}`;
    pre.textContent = body.config.text;
  } catch (err) {
    if (selectedId !== id) return;
    meta.textContent = err instanceof ApiError ? err.describe() : String(err);
    pre.textContent = '';
  }
}

// ---------------------------------------------------------------- create (fully populated)

let subnets = [];

function subnetOptions(select, withNone) {
  const opts = subnets.map((s) => h('option', { value: s.id }, `${s.name || s.id.slice(0, 8)} — ${s.cidr}`));
  select.replaceChildren(...(withNone ? [h('option', { value: '' }, '(the VIP subnet)')] : []), ...opts);
}

let memberRow = 0;
function addMemberRow(values = {}) {
  const n = ++memberRow;
  const sel = h('select', { id: `c-m-subnet-${n}`, name: 'member_subnet' });
  subnetOptions(sel, true);
  if (values.subnet_id) sel.value = values.subnet_id;
  const row = h('tr', {},
    h('td', {}, h('label', { for: `c-m-name-${n}`, class: 'visually-hidden' }, `Member ${n} name`),
      h('input', { id: `c-m-name-${n}`, name: 'member_name', value: values.name ?? '' })),
    h('td', {}, h('label', { for: `c-m-address-${n}`, class: 'visually-hidden' }, `Member ${n} address`),
      h('input', { id: `c-m-address-${n}`, name: 'member_address', inputmode: 'decimal', value: values.address ?? '' })),
    h('td', {}, h('label', { for: `c-m-port-${n}`, class: 'visually-hidden' }, `Member ${n} port`),
      h('input', { id: `c-m-port-${n}`, name: 'member_port', type: 'number', min: '1', max: '65535', value: values.protocol_port ?? '80' })),
    h('td', {}, h('label', { for: `c-m-subnet-${n}`, class: 'visually-hidden' }, `Member ${n} subnet`), sel),
    h('td', {}, h('label', { for: `c-m-weight-${n}`, class: 'visually-hidden' }, `Member ${n} weight`),
      h('input', { id: `c-m-weight-${n}`, name: 'member_weight', type: 'number', min: '0', max: '256', value: values.weight ?? '1' })),
    h('td', {}, h('button', { type: 'button', class: 'small', 'aria-label': `Remove member ${n}`, onclick: () => row.remove() }, 'Remove')));
  $('c-members').append(row);
  return row;
}

/** A number field: a number when it reads as one, else the text as typed (the API then names the field). */
function numberOf(v) {
  const t = String(v).trim();
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

/** The fully-populated create body from the form (empty optional fields are left to the API's defaults). */
function createBody(form) {
  const f = new FormData(form);
  const str = (k) => String(f.get(k) ?? '').trim();
  const protocol = str('protocol');
  const pool = { protocol, lb_algorithm: str('lb_algorithm') };
  if (str('pool_name')) pool.name = str('pool_name');
  if (f.get('hm') === 'on') {
    const hm = { type: str('hm_type'), delay: numberOf(str('delay')), timeout: numberOf(str('timeout')), max_retries: numberOf(str('max_retries')) };
    if (str('max_retries_down')) hm.max_retries_down = numberOf(str('max_retries_down'));
    if (hm.type === 'HTTP' && str('url_path')) hm.url_path = str('url_path');
    pool.healthmonitor = hm;
  }
  pool.members = [...$('c-members').rows].map((row) => {
    const v = (name) => String(row.querySelector(`[name="${name}"]`).value).trim();
    if (v('member_address') === '') return null;
    const m = { address: v('member_address'), protocol_port: numberOf(v('member_port')) };
    if (v('member_name')) m.name = v('member_name');
    if (v('member_subnet')) m.subnet_id = v('member_subnet');
    if (v('member_weight') !== '') m.weight = numberOf(v('member_weight'));
    return m;
  }).filter((m) => m !== null);
  const listener = { protocol, protocol_port: numberOf(str('protocol_port')), default_pool: pool };
  if (str('listener_name')) listener.name = str('listener_name');
  const lb = { name: str('name'), vip_subnet_id: str('vip_subnet_id'), listeners: [listener] };
  if (str('vip_address')) lb.vip_address = str('vip_address');
  return { loadbalancer: lb };
}

async function openCreate() {
  $('create-error').textContent = '';
  const dialog = $('create');
  try {
    subnets = (await api('GET', '/v2.0/subnets')).subnets;
  } catch (err) {
    showAppError(err);
    return;
  }
  subnetOptions($('c-subnet'), false);
  if ($('c-members').rows.length === 0) addMemberRow();
  for (const sel of $('c-members').querySelectorAll('select')) {
    const v = sel.value;
    subnetOptions(sel, true);
    sel.value = v;
  }
  dialog.showModal();
  $('c-name').focus();
}

async function submitCreate(ev) {
  ev.preventDefault();
  const form = $('create-form');
  const button = $('create-submit');
  $('create-error').textContent = '';
  button.disabled = true;
  try {
    const body = await api('POST', '/v2/lbaas/loadbalancers', createBody(form));
    const lb = body.loadbalancer;
    lbs.set(lb.id, lb);
    loadStats(lb.id);
    logActivity(`load balancer ${lb.name || lb.id}: create requested`, null, null);
    $('create').close();
    form.reset();
    $('c-members').replaceChildren();
    await select(lb.id);
  } catch (err) {
    $('create-error').textContent = err instanceof ApiError ? err.describe() : String(err);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- one member: add, change, remove

/** The member dialog's target: the pool, and the member (null: a new one). */
let memberEdit = null;

async function openMember(pool, member) {
  if (member === null && subnets.length === 0) {
    try {
      subnets = (await api('GET', '/v2.0/subnets')).subnets;
    } catch (err) {
      showAppError(err);
      return;
    }
  }
  memberEdit = { poolId: pool.id, memberId: member?.id ?? null };
  const isNew = member === null;
  $('member-title').textContent = isNew ? 'Add member' : `Member ${member.name || member.address}`;
  $('member-pool').textContent = `Pool ${pool.name || pool.id}${isNew ? '' : ` · ${member.address}:${member.protocol_port}`}`;
  for (const el of document.querySelectorAll('#member .create-only')) el.hidden = !isNew;
  $('member-remove').hidden = isNew;
  $('member-remove').textContent = 'Remove member';
  $('member-error').textContent = '';
  $('m-name').value = member?.name ?? '';
  $('m-weight').value = String(member?.weight ?? 1);
  $('m-enabled').checked = member?.admin_state_up ?? true;
  if (isNew) {
    $('m-address').value = '';
    $('m-port').value = '80';
    subnetOptions($('m-subnet'), true);
  }
  $('member').showModal();
  (isNew ? $('m-address') : $('m-weight')).focus();
}

async function submitMember(ev) {
  ev.preventDefault();
  if (!memberEdit) return;
  const { poolId, memberId } = memberEdit;
  const base = `/v2/lbaas/pools/${encodeURIComponent(poolId)}/members`;
  const m = { name: $('m-name').value.trim(), admin_state_up: $('m-enabled').checked };
  if ($('m-weight').value.trim() !== '') m.weight = numberOf($('m-weight').value);
  const button = $('member-save');
  button.disabled = true;
  $('member-error').textContent = '';
  try {
    if (memberId === null) {
      m.address = $('m-address').value.trim();
      m.protocol_port = numberOf($('m-port').value);
      if ($('m-subnet').value) m.subnet_id = $('m-subnet').value;
      await api('POST', base, { member: m });
    } else {
      await api('PUT', `${base}/${encodeURIComponent(memberId)}`, { member: m });
    }
    $('member').close();
    if (selectedId) refreshDetailSoon(selectedId);
  } catch (err) {
    $('member-error').textContent = err instanceof ApiError ? err.describe() : String(err);
  } finally {
    button.disabled = false;
  }
}

/** Remove asks twice: the first press only turns the button into the confirmation. */
async function removeMember() {
  if (!memberEdit?.memberId) return;
  const button = $('member-remove');
  if (button.textContent !== 'Press again to remove') {
    button.textContent = 'Press again to remove';
    return;
  }
  try {
    await api('DELETE', `/v2/lbaas/pools/${encodeURIComponent(memberEdit.poolId)}/members/${encodeURIComponent(memberEdit.memberId)}`);
    $('member').close();
  } catch (err) {
    $('member-error').textContent = err instanceof ApiError ? err.describe() : String(err);
  }
}

// ---------------------------------------------------------------- delete

function openDelete() {
  const lb = lbs.get(selectedId);
  if (!lb) return;
  $('delete-error').textContent = '';
  $('delete-text').textContent = `Delete load balancer “${lb.name || lb.id}” (${lb.id}) with its listeners, pools, members and health monitors? Traffic to ${lb.vip_address} stops.`;
  $('delete').showModal();
  $('delete-cancel').focus();
}

async function submitDelete(ev) {
  ev.preventDefault();
  const id = selectedId;
  const button = $('delete-confirm');
  button.disabled = true;
  try {
    await api('DELETE', `/v2/lbaas/loadbalancers/${encodeURIComponent(id)}?cascade=true`);
    logActivity(`load balancer ${lbs.get(id)?.name || id}: delete requested`, null, null);
    $('delete').close();
    $('delete-open').focus();
  } catch (err) {
    $('delete-error').textContent = err instanceof ApiError ? err.describe() : String(err);
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------- sign in / out

async function signIn(ev) {
  ev.preventDefault();
  const f = new FormData($('signin-form'));
  const [user, password, project, domain] = ['user', 'password', 'project', 'domain'].map((k) => String(f.get(k) ?? '').trim());
  const err = $('signin-error');
  err.textContent = '';
  const missing = [['user', 'User name'], ['password', 'Password'], ['project', 'Project']].find(([k]) => !String(f.get(k) ?? '').trim());
  if (missing) {
    err.textContent = `${missing[1]} is required.`;
    $(`si-${missing[0]}`).focus();
    return;
  }
  const dom = { name: domain || 'Default' };
  let res;
  try {
    res = await fetch(`${config.identity_url}/auth/tokens`, {
      method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, cache: 'no-store',
      body: JSON.stringify({ auth: { identity: { methods: ['password'], password: { user: { name: user, domain: dom, password } } }, scope: { project: { name: project, domain: dom } } } }),
    });
  } catch {
    err.textContent = `The identity service at ${config.identity_url} cannot be reached.`;
    return;
  }
  const text = await res.text();
  let body = null;
  try { body = JSON.parse(text); } catch { body = null; }
  const token = res.headers.get('x-subject-token');
  if (!res.ok || !token || !body?.token) {
    err.textContent = `${messageOf(body, text, res.status)} (HTTP ${res.status})`;
    return;
  }
  session = {
    token, expiresAt: body.token.expires_at, user: body.token.user?.name ?? user,
    project: body.token.project?.name ?? project, projectId: body.token.project?.id ?? null,
    roles: (body.token.roles ?? []).map((r) => r.name),
  };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  $('si-password').value = '';
  start();
}

function signOut(message) {
  const old = session;
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  stream?.abort.abort();
  stream = null;
  lastEventId = null;
  lbs.clear();
  stats.clear();
  detail = null;
  selectedId = null;
  $('activity').replaceChildren();
  if (old && message === undefined) {
    // Revoke the token, as `openstack token revoke` does; the page forgets it either way.
    fetch(`${config.identity_url}/auth/tokens`, { method: 'DELETE', headers: { 'X-Auth-Token': old.token, 'X-Subject-Token': old.token } }).catch(() => undefined);
  }
  showSignIn(message ?? '');
}

function showSignIn(message) {
  $('app').hidden = true;
  $('session').hidden = true;
  $('signin').hidden = false;
  $('signin-error').textContent = message;
  $('si-user').focus();
}

function start() {
  $('signin').hidden = true;
  $('app').hidden = false;
  $('session').hidden = false;
  $('who').textContent = `${session.user} · project ${session.project}${isAdmin() ? ' · admin' : canWrite() ? '' : ' · read only'}`;
  $('create-open').hidden = !canWrite();
  $('delete-open').hidden = !canWrite();
  $('app-error').textContent = '';
  setLive('connecting…', false);
  render();
  follow();
}

async function main() {
  try {
    const res = await fetch('/dashboard/config.json', { cache: 'no-store' });
    if (res.ok) config = await res.json();
  } catch { /* the defaults: embedded identity at /v3 */ }
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', () => signOut());
  $('create-open').addEventListener('click', openCreate);
  $('create-form').addEventListener('submit', submitCreate);
  $('create-cancel').addEventListener('click', () => $('create').close());
  $('c-member-add').addEventListener('click', () => addMemberRow().querySelector('input').focus());
  $('c-l-protocol').addEventListener('change', (e) => {
    // A pool's health check follows its protocol: UDP pools are checked with UDP-CONNECT, TCP without HTTP.
    const type = $('c-hm-type');
    const want = e.target.value === 'UDP' ? ['UDP-CONNECT', 'PING'] : e.target.value === 'TCP' ? ['TCP', 'PING', 'HTTP'] : ['HTTP', 'TCP', 'PING'];
    type.replaceChildren(...want.map((t) => h('option', {}, t)));
  });
  $('member-form').addEventListener('submit', submitMember);
  $('member-cancel').addEventListener('click', () => $('member').close());
  $('member-remove').addEventListener('click', removeMember);
  $('delete-open').addEventListener('click', openDelete);
  $('delete-form').addEventListener('submit', submitDelete);
  $('delete-cancel').addEventListener('click', () => $('delete').close());
  $('config').addEventListener('toggle', () => {
    configOpenFor = $('config').open ? selectedId : null;
    if (configOpenFor) loadConfig(configOpenFor);
  });
  if (!config.identity_url) {
    // --auth noauth: there is no one to sign in as.
    showSignIn('This Fulcrum runs without an identity service (--auth noauth): the dashboard needs --auth embedded or keystone.');
    $('signin-form').querySelector('button').disabled = true;
    return;
  }
  session = loadSession();
  if (session) start();
  else showSignIn('');
}

main();
