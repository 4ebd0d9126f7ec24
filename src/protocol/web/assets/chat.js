// chatd's browser page, part one: the chat as the page knows it (rooms, private conversations,
// members, topics, unread counts) and how it is drawn, kept up to date by the server's events
// (README, "The web face": every event is JSON with a type `t` and an increasing id). It knows
// nothing of HTTP: app.js (the transport, sessions and input) feeds it events.
//
// Safety rule for this file: user text (messages, nicknames, topics, reasons, server notices)
// only ever reaches the document through textContent / createTextNode, never as HTML. The
// server's Content-Security-Policy forbids inline script and style, so none is used.

export const $ = (id) => document.getElementById(id);

// localStorage keeps the nickname and rooms across sessions (a phone that comes back after the
// session's grace period is offered them again); sessionStorage keeps what this tab had seen, so
// a reload does not count old messages as unread. Both may be unavailable (private browsing).
export const keep = {
  get(area, key, fallback) {
    try {
      const raw = window[area].getItem('chatd.' + key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch {
      return fallback;
    }
  },
  set(area, key, value) {
    try {
      window[area].setItem('chatd.' + key, JSON.stringify(value));
    } catch {} // full or forbidden: the page works without it
  },
};

const MAX_LINES = 2000; // per view; older lines are dropped from the page

export const state = {
  nick: '',
  lastId: 0, // the last event handled; the stream and the poll resume after it
  replayUntil: 0, // after a reload: events up to here were seen before, so no view jumps
  restoreKey: keep.get('sessionStorage', 'shown', null),
  read: keep.get('sessionStorage', 'read', {}), // view key -> last event id seen in it
  views: new Map(), // key ('r:#room', 'p:nick', 's:') -> view
  shown: null, // the key of the view on screen
  current: null, // the room plain lines go to, as the server last said
  openOnPrivate: null, // a conversation to show when the page's own /msg comes back
};

export const lower = (s) => String(s).toLowerCase();
export const roomKey = (name) => 'r:' + lower(name);
const privateKey = (nick) => 'p:' + lower(nick);
export const isMe = (nick) => lower(nick) === lower(state.nick);

// An element with a class and (as text, never HTML) its text.
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(className, text, data) {
  const node = el('button', className, text);
  node.type = 'button';
  Object.assign(node.dataset, data);
  return node;
}

// A nickname's colour class, the same on every page load (8 colours, light and dark in the CSS).
function colourOf(nick) {
  let hash = 0;
  for (const ch of lower(nick)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return 'c' + (hash % 8);
}

// ---- views: rooms and private conversations -------------------------------------------------

export function viewFor(kind, name, create = true) {
  const key = kind === 'room' ? roomKey(name) : kind === 'private' ? privateKey(name) : 's:';
  let view = state.views.get(key);
  if (!view && create) {
    const log = el('div', 'log');
    log.setAttribute('role', 'log');
    log.hidden = true;
    $('logs').append(log);
    view = { key, kind, name, joined: true, topic: null, members: new Map(), crowded: false };
    // seen: messages shown (history overlaps what came live); pinned: scrolled to the bottom.
    Object.assign(view, { unread: 0, mention: false, log, seen: new Set(), lastDay: '', pinned: true });
    log.addEventListener('scroll', () => (view.pinned = log.scrollHeight - log.scrollTop - log.clientHeight < 40));
    state.views.set(key, view);
    renderLists();
  }
  return view;
}

// Where server notices and errors go: the view on screen, else a "server" view (when the person
// is in no room and no conversation).
export function shownView() {
  const view = state.views.get(state.shown);
  if (view) return view;
  const server = viewFor('server', 'server');
  show(server.key);
  return server;
}

export function dropView(view) {
  view.log.remove();
  state.views.delete(view.key);
  if (state.shown === view.key) {
    state.shown = null;
    const next = state.views.get(roomKey(state.current || '')) || state.views.values().next().value;
    if (next) show(next.key);
  }
  renderLists();
}

export function show(key) {
  const view = state.views.get(key);
  if (!view) return;
  const previous = state.views.get(state.shown);
  if (previous) previous.log.hidden = true;
  state.shown = key;
  keep.set('sessionStorage', 'shown', key);
  view.log.hidden = false;
  Object.assign(view, { unread: 0, mention: false });
  markRead(view);
  if (view.pinned) view.log.scrollTop = view.log.scrollHeight;
  closeDrawers();
  renderLists();
  renderHeader();
  renderMembers();
}

// Shows a view the server moved us to, except while replaying what this tab had already seen
// before a reload: then only the view the person was looking at is brought back.
function follow(key, replaying) {
  if (!replaying || key === state.restoreKey || !state.shown) show(key);
}

function markRead(view) {
  state.read[view.key] = state.lastId;
  keep.set('sessionStorage', 'read', state.read);
}

function rememberRooms() {
  const rooms = [...state.views.values()].filter((v) => v.kind === 'room' && v.joined).map((v) => v.name);
  keep.set('localStorage', 'rooms', rooms);
}

// ---- lines ----------------------------------------------------------------------------------

function timeNode(at) {
  const when = new Date(at);
  const node = el('time', 'when', when.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  node.dateTime = when.toISOString();
  node.title = when.toLocaleString();
  return node;
}

function nickButton(nick) {
  const node = button('nick ' + colourOf(nick), nick, { nick });
  node.title = isMe(nick) ? 'you' : 'Talk privately with ' + nick;
  return node;
}

// Text with its web addresses as links (the address is the link's text too).
function richText(text) {
  const span = el('span', 'text');
  const url = /\bhttps?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]'}]/g;
  let from = 0;
  for (const match of text.matchAll(url)) {
    span.append(document.createTextNode(text.slice(from, match.index)));
    const link = el('a', '', match[0]);
    Object.assign(link, { href: match[0], target: '_blank', rel: 'noopener noreferrer' });
    span.append(link);
    from = match.index + match[0].length;
  }
  span.append(document.createTextNode(text.slice(from)));
  return span;
}

function append(view, line, at) {
  const day = new Date(at).toDateString();
  if (day !== view.lastDay) {
    if (view.lastDay) view.log.append(el('div', 'day', new Date(at).toLocaleDateString()));
    view.lastDay = day;
  }
  const wasPinned = view.pinned;
  view.log.append(line);
  while (view.log.childElementCount > MAX_LINES) view.log.firstElementChild.remove();
  if (wasPinned && !view.log.hidden) view.log.scrollTop = view.log.scrollHeight;
}

// One chat message (`said`, `private` or a history entry) in `view`, once.
function addMessage(view, msg, id, old = false) {
  const seenKey = [msg.at, msg.from, msg.kind, msg.text].join('\u0000');
  if (view.seen.has(seenKey)) return;
  view.seen.add(seenKey);
  // Bounded like the log: a Set keeps insertion order, so the oldest keys go first.
  if (view.seen.size > 2 * MAX_LINES) view.seen.delete(view.seen.values().next().value);
  const mine = isMe(msg.from);
  const mention = !mine && view.kind === 'room' && mentions(msg.text);
  const line = el('div', `line msg ${msg.kind}${mine ? ' mine' : ''}${mention ? ' mention' : ''}${old ? ' old' : ''}`);
  line.append(timeNode(msg.at));
  // As a terminal shows them: "* bob waves", "-bob- notice", "bob text".
  if (msg.kind === 'action') line.append(el('span', 'mark', '*'));
  if (msg.kind === 'notice') line.append(el('span', 'mark', '-'), nickButton(msg.from), el('span', 'mark', '-'));
  else line.append(nickButton(msg.from));
  line.append(richText(msg.text));
  append(view, line, msg.at);
  if (view.key === state.shown) {
    markRead(view);
  } else if (!mine && !old && id > (state.read[view.key] || 0)) {
    view.unread += 1;
    view.mention = view.mention || mention || view.kind === 'private';
    renderLists();
  }
}

function mentions(text) {
  if (!state.nick) return false;
  const escaped = state.nick.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^\\w])${escaped}($|[^\\w])`, 'i').test(text);
}

// A line from the page or the server that is no one's message: joins, notices, errors.
export function systemLine(view, text, className = 'sys') {
  const at = Date.now();
  const line = el('div', 'line ' + className);
  line.append(timeNode(at), el('span', 'text', text));
  append(view, line, at);
}

// ---- rendering the lists and header ---------------------------------------------------------

export function renderLists() {
  const rooms = $('room-list');
  const privates = $('private-list');
  rooms.replaceChildren();
  privates.replaceChildren();
  let total = 0;
  for (const view of state.views.values()) {
    if (view.kind === 'server') continue;
    total += view.unread;
    const item = el('li', 'view-item');
    const open = button(view.joined ? 'view-open' : 'view-open left', undefined, { key: view.key });
    open.append(el('span', 'view-name', view.name));
    if (view.key === state.shown) open.setAttribute('aria-current', 'true');
    if (view.unread) open.append(el('span', 'badge' + (view.mention ? ' hot' : ''), String(view.unread)));
    const close = button('view-close', '\u00d7', { close: view.key });
    close.title = view.kind === 'room' ? 'Leave ' + view.name : 'Close this conversation';
    item.append(open, close);
    (view.kind === 'room' ? rooms : privates).append(item);
  }
  $('private-empty').hidden = privates.childElementCount > 0;
  const badge = $('unread-total');
  badge.hidden = total === 0;
  badge.textContent = String(total);
  document.title = total ? `(${total}) chatd` : 'chatd';
}

export function renderHeader() {
  const view = state.views.get(state.shown);
  $('view-title').textContent = view ? view.name : '';
  const topic = $('view-topic');
  if (view && view.kind === 'room' && view.topic) {
    topic.textContent = view.topic.text;
    topic.title = view.topic.by ? `set by ${view.topic.by}` : '';
  } else {
    topic.textContent = view && view.kind === 'private' ? 'private conversation' : '';
    topic.title = '';
  }
  $('me-nick').textContent = state.nick;
}

function renderMembers() {
  const view = state.views.get(state.shown);
  const list = $('member-list');
  list.replaceChildren();
  if (!view || view.kind !== 'room') {
    $('members-title').textContent = 'People';
    return;
  }
  const rank = (m) => (m.op ? 0 : m.voice ? 1 : 2);
  const byName = (a, b) => lower(a.nick).localeCompare(lower(b.nick));
  const members = [...view.members.values()].sort((a, b) => rank(a) - rank(b) || byName(a, b));
  const crowded = view.crowded && !members.length;
  $('members-title').textContent = crowded ? 'People (a crowd: /who lists them)' : `People (${members.length})`;
  for (const member of members) {
    const item = el('li', member.away ? 'member away' : 'member');
    item.append(el('span', 'rank', prefix(member)), nickButton(member.nick));
    if (member.away) item.append(el('span', 'away-tag', 'away'));
    list.append(item);
  }
}

// A line about a room's members or topic: the header and member list may change too.
function roomLine(view, text) {
  systemLine(view, text);
  renderLists();
  if (view.key === state.shown) {
    renderHeader();
    renderMembers();
  }
}

function setNick(nick) {
  state.nick = nick;
  keep.set('localStorage', 'nick', nick);
  renderHeader();
}

const because = (reason) => (reason ? ` (${reason})` : '');

// ---- events from the server -----------------------------------------------------------------

const prefix = (member) => (member.op ? '@' : member.voice ? '+' : '');

function memberMap(list) {
  return new Map(list.map((m) => [lower(m.nick), { nick: m.nick, op: !!m.op, voice: !!m.voice, away: !!m.away }]));
}

export function roomViews() {
  return [...state.views.values()].filter((v) => v.kind === 'room');
}

// One handler per event type (README, "The web face"); `replaying`: seen before a reload.
const handlers = {
  hello: (ev) => setNick(ev.nick), // app.js then joins the rooms of an earlier session
  joined_self(ev, id, replaying) {
    const view = viewFor('room', ev.room);
    Object.assign(view, { name: ev.room, joined: true, topic: ev.topic, members: memberMap(ev.members) });
    view.crowded = ev.members.length === 0; // a crowded room's joins are not listed one by one
    state.current = ev.room;
    rememberRooms();
    roomLine(view, `You joined ${ev.room}.`);
    follow(view.key, replaying);
  },
  history(ev, id) {
    const view = viewFor('room', ev.room);
    for (const entry of ev.entries) addMessage(view, entry, id, true);
  },
  said: (ev, id) => addMessage(viewFor('room', ev.room), ev, id),
  private(ev, id) {
    const other = isMe(ev.from) ? ev.to : ev.from;
    const view = viewFor('private', other);
    view.name = other;
    addMessage(view, ev, id);
    if (isMe(ev.from) && state.openOnPrivate === lower(other)) {
      state.openOnPrivate = null;
      show(view.key);
    }
  },
  joined(ev) {
    const view = viewFor('room', ev.room);
    view.members.set(lower(ev.nick), { nick: ev.nick, op: false, voice: false, away: false });
    roomLine(view, `${ev.nick} joined ${ev.room}.`);
  },
  parted(ev) {
    // Our own nickname leaving is a kick (a part of our own is `parted_self`).
    if (isMe(ev.nick)) {
      const current = lower(state.current || '') === lower(ev.room) ? null : state.current;
      return handlers.parted_self({ room: ev.room, current, reason: ev.reason });
    }
    const view = viewFor('room', ev.room);
    view.members.delete(lower(ev.nick));
    roomLine(view, `${ev.nick} left ${ev.room}${because(ev.reason)}.`);
  },
  parted_self(ev) {
    const view = state.views.get(roomKey(ev.room));
    state.current = ev.current;
    if (view) dropView(view);
    rememberRooms();
    systemLine(shownView(), `You left ${ev.room}${because(ev.reason)}.`);
  },
  quit(ev) {
    const text = `${ev.nick} left the server${because(ev.reason)}.`;
    for (const view of roomViews()) if (view.members.delete(lower(ev.nick))) roomLine(view, text);
    const conversation = state.views.get(privateKey(ev.nick));
    if (conversation) systemLine(conversation, text);
  },
  nick(ev) {
    const text = ev.you ? `You are now known as ${ev.new}.` : `${ev.old} is now known as ${ev.new}.`;
    if (ev.you) setNick(ev.new);
    for (const view of roomViews()) {
      const member = view.members.get(lower(ev.old));
      if (!member || !view.members.delete(lower(ev.old))) continue;
      view.members.set(lower(ev.new), { ...member, nick: ev.new });
      roomLine(view, text);
    }
    const conversation = state.views.get(privateKey(ev.old));
    if (conversation && !state.views.has(privateKey(ev.new))) {
      state.views.delete(conversation.key);
      if (state.shown === conversation.key) state.shown = privateKey(ev.new);
      Object.assign(conversation, { key: privateKey(ev.new), name: ev.new });
      state.views.set(conversation.key, conversation);
      roomLine(conversation, text);
    }
    renderLists();
  },
  topic(ev) {
    const view = viewFor('room', ev.room);
    view.topic = ev.topic === null ? null : { text: ev.topic, by: ev.by };
    roomLine(view, ev.topic === null ? `${ev.by} cleared the topic.` : `${ev.by} set the topic: ${ev.topic}`);
  },
  members(ev) {
    const view = viewFor('room', ev.room);
    view.members = memberMap(ev.members);
    roomLine(view, `${ev.members.length} here: ` + ev.members.map((m) => prefix(m) + m.nick).join(', '));
  },
  current(ev, id, replaying) {
    state.current = ev.room;
    follow(roomKey(ev.room), replaying);
  },
  away(ev) {
    $('away-mark').hidden = ev.text === null;
    $('away-mark').title = ev.text || '';
    systemLine(shownView(), ev.text === null ? 'You are back.' : `You are marked away: ${ev.text}`);
  },
  crowd: (ev) => systemLine(viewFor('room', ev.room), `${ev.room}: ${ev.joined} joined, ${ev.left} left.`),
  // Netcat's system lines start with "-- "; the page marks them by style instead.
  notice: (ev) => systemLine(shownView(), ev.text.replace(/^-- ?/gm, ''), 'sys notice-text'),
  error: (ev) => systemLine(shownView(), ev.text, 'error'),
  closing() {}, // app.js shows the login form
  resync() {
    // The server could not replay everything missed: rooms and members come again in full.
    for (const view of roomViews()) {
      Object.assign(view, { joined: false, members: new Map(), topic: null });
      roomLine(view, 'Reconnected; some messages may be missing here.');
    }
    renderLists();
  },
};

// Applies event number `id`; false when it was handled already (an overlapping replay).
export function onEvent(id, ev) {
  if (id && id <= state.lastId) return false;
  if (id) state.lastId = id;
  const handler = ev && Object.prototype.hasOwnProperty.call(handlers, ev.t) ? handlers[ev.t] : null;
  if (!handler) return true;
  try {
    handler(ev, id, id > 0 && id <= state.replayUntil);
  } catch (error) {
    console.error('chatd: event', ev, error);
  }
  if (id) keep.set('sessionStorage', 'last', { nick: state.nick, id });
  return true;
}

// The side lists are drawers on a narrow screen; these close them.
export function closeDrawers() {
  document.body.classList.remove('open-views', 'open-members');
  $('scrim').hidden = true;
  $('toggle-views').setAttribute('aria-expanded', 'false');
  $('toggle-members').setAttribute('aria-expanded', 'false');
}
