// chatd's browser page: the login form, then rooms, private conversations and members, fed by
// the server's event stream (README, "The web face": every event is JSON with a type `t` and an
// increasing id). What the person types goes to the server verbatim, as the netcat line it is.
//
// Safety rule for this file: user text (messages, nicknames, topics, reasons, server notices)
// only ever reaches the document through textContent / createTextNode, never as HTML. The
// server's Content-Security-Policy forbids inline script and style, so none is used.
'use strict';

const $ = (id) => document.getElementById(id);

// localStorage keeps the nickname and rooms across sessions (a phone that comes back after the
// session's grace period is offered them again); sessionStorage keeps what this tab had seen, so
// a reload does not count old messages as unread. Both may be unavailable (private browsing).
const keep = {
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

// Commands whose default target is the current room: before sending one from a room's view, the
// page makes that room current (`/join` of a room one is in only does that).
const ROOM_COMMANDS = new Set(['me', 'part', 'topic', 'who', 'kick', 'mode', 'invite']);
const MAX_LINES = 2000; // per view; older lines are dropped from the page
const RETRY_MS = 2000;
const SESSION_OVER = 'Your session has ended. Join again to get your rooms back.';

const state = {
  nick: '',
  token: '',
  lastId: 0, // the last event handled; the stream and the poll resume after it
  replayUntil: 0, // after a reload: events up to here were seen before, so no view jumps
  restoreKey: keep.get('sessionStorage', 'shown', null),
  read: keep.get('sessionStorage', 'read', {}), // view key -> last event id seen in it
  views: new Map(), // key ('r:#room', 'p:nick', 's:') -> view
  shown: null, // the key of the view on screen
  current: null, // the room plain lines go to, as the server last said
  rejoin: [], // rooms to join again once a fresh session says hello
  openOnPrivate: null, // a conversation to show when the page's own /msg comes back
  generation: 0, // bumped when a session starts or ends, to stop the old stream, poll and sends
  stream: null,
  probing: false,
};

const lower = (s) => String(s).toLowerCase();
const roomKey = (name) => 'r:' + lower(name);
const privateKey = (nick) => 'p:' + lower(nick);
const isMe = (nick) => lower(nick) === lower(state.nick);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

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

function viewFor(kind, name, create = true) {
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
function shownView() {
  const view = state.views.get(state.shown);
  if (view) return view;
  const server = viewFor('server', 'server');
  show(server.key);
  return server;
}

function dropView(view) {
  view.log.remove();
  state.views.delete(view.key);
  if (state.shown === view.key) {
    state.shown = null;
    const next = state.views.get(roomKey(state.current || '')) || state.views.values().next().value;
    if (next) show(next.key);
  }
  renderLists();
}

function show(key) {
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
function systemLine(view, text, className = 'sys') {
  const at = Date.now();
  const line = el('div', 'line ' + className);
  line.append(timeNode(at), el('span', 'text', text));
  append(view, line, at);
}

// ---- rendering the lists and header ---------------------------------------------------------

function renderLists() {
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

function renderHeader() {
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

function roomViews() {
  return [...state.views.values()].filter((v) => v.kind === 'room');
}

// One handler per event type (README, "The web face"); `replaying`: seen before a reload.
const handlers = {
  hello(ev) {
    setNick(ev.nick);
    for (const room of state.rejoin.splice(0)) sendLine('/join ' + room);
  },
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
  closing: (ev) => sessionOver(`The server ended the session: ${ev.reason}`),
  resync() {
    // The server could not replay everything missed: rooms and members come again in full.
    for (const view of roomViews()) {
      Object.assign(view, { joined: false, members: new Map(), topic: null });
      roomLine(view, 'Reconnected; some messages may be missing here.');
    }
    renderLists();
  },
};

function parse(json) {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}

function onEvent(id, ev) {
  if (id && id <= state.lastId) return; // already handled (an overlapping replay)
  if (id) state.lastId = id;
  const handler = ev && Object.prototype.hasOwnProperty.call(handlers, ev.t) ? handlers[ev.t] : null;
  if (!handler) return;
  try {
    handler(ev, id, id > 0 && id <= state.replayUntil);
  } catch (error) {
    console.error('chatd: event', ev, error);
  }
  if (id) keep.set('sessionStorage', 'last', { nick: state.nick, id });
}

// ---- transport: the event stream (or the long-poll) and sending ------------------------------

function setOnline(online) {
  $('status').hidden = online;
}

function openStream() {
  closeStream();
  if (!window.EventSource) {
    pollLoop(state.generation);
    return;
  }
  // A new stream resumes after the last event handled; EventSource's own reconnects send
  // Last-Event-ID, which the server prefers to the query.
  const stream = new EventSource(state.lastId ? `/api/events?after=${state.lastId}` : '/api/events');
  state.stream = stream;
  stream.onopen = () => setOnline(true);
  stream.onmessage = (message) => onEvent(Number(message.lastEventId) || 0, parse(message.data));
  stream.onerror = () => {
    if (state.stream !== stream) return;
    setOnline(false);
    probe(stream);
  };
}

function closeStream() {
  if (state.stream) state.stream.close();
  state.stream = null;
}

// EventSource cannot see an HTTP status: when the stream fails, ask whether the session is still
// there. Gone: log in again. There but the stream gave up (closed): open a new one.
async function probe(stream) {
  if (state.probing) return;
  state.probing = true;
  const generation = state.generation;
  const answer = await fetch('/api/session', { cache: 'no-store' }).catch(() => null);
  state.probing = false;
  if (generation !== state.generation || state.stream !== stream) return;
  if (answer && answer.status === 404) {
    sessionOver(SESSION_OVER);
  } else if (stream.readyState === EventSource.CLOSED) {
    setTimeout(() => state.stream === stream && openStream(), RETRY_MS);
  }
}

// The fallback for browsers without EventSource: ask for the events after the last one, again
// and again; each answer comes at once when there are events, else after up to ~25 s.
async function pollLoop(generation) {
  while (generation === state.generation) {
    try {
      const answer = await fetch(`/api/poll?after=${state.lastId}`, { cache: 'no-store' });
      if (generation !== state.generation) return;
      if (answer.status === 401) return sessionOver(SESSION_OVER);
      if (!answer.ok) throw new Error('poll answered ' + answer.status);
      const body = await answer.json();
      setOnline(true);
      for (const ev of body.events || []) onEvent(Number(ev.id) || 0, ev);
    } catch {
      setOnline(false);
      await sleep(RETRY_MS);
    }
  }
}

const outbox = [];
let sending = false;

function sendLine(line) {
  outbox.push(line);
  pump();
}

// Sends the queued lines one at a time, in order: a `/join` that makes a room current must be
// applied before the line meant for that room.
async function pump() {
  if (sending) return;
  sending = true;
  const generation = state.generation;
  let failures = 0;
  while (outbox.length && generation === state.generation) {
    const line = outbox[0];
    const headers = { 'Content-Type': 'text/plain;charset=utf-8', 'X-Chatd-Session': state.token };
    const answer = await fetch('/api/send', { method: 'POST', headers, body: line }).catch(() => null);
    if (!answer && ++failures < 5) {
      await sleep(RETRY_MS); // the network may be back in a moment (the stream says so meanwhile)
      continue;
    }
    if (answer && answer.status === 429) {
      // Flood control, as for netcat users: wait as told, then send the same line again.
      await sleep((Number(answer.headers.get('Retry-After')) || 1) * 1000);
      continue;
    }
    failures = 0;
    outbox.shift();
    if (!answer) {
      systemLine(shownView(), `Not sent (no connection): ${line}`, 'error');
    } else if (answer.status === 401) {
      outbox.length = 0;
      sessionOver(SESSION_OVER);
    } else if (answer.status === 413) {
      systemLine(shownView(), 'Not sent: that line is too long.', 'error');
    } else if (!answer.ok) {
      const body = await answer.json().catch(() => ({}));
      systemLine(shownView(), `Not sent: ${body.error || 'refused (' + answer.status + ')'}`, 'error');
    }
  }
  sending = false;
}

// What the person typed, as the line(s) the server expects.
function submit(text) {
  if (!text.trim()) return;
  const view = state.views.get(state.shown);
  const command = text.startsWith('/') && !text.startsWith('//') ? lower(text.slice(1).split(/\s/, 1)[0]) : null;
  if (view && view.kind === 'private' && command === null) {
    return sendLine(`/msg ${view.name} ${text.startsWith('//') ? text.slice(1) : text}`);
  }
  if (view && view.kind === 'private' && command === 'me') {
    return systemLine(view, '/me describes an action in a room; here, just type the message.', 'error');
  }
  if (view && view.kind === 'room' && (command === null || ROOM_COMMANDS.has(command))) {
    if (!view.joined || lower(state.current || '') !== lower(view.name)) {
      sendLine('/join ' + view.name);
      state.current = view.name;
    }
  }
  if (command === 'msg' || command === 'query') {
    const target = text.split(/\s+/)[1];
    if (target && !target.startsWith('#')) state.openOnPrivate = lower(target);
  }
  sendLine(text);
}

// ---- sessions -------------------------------------------------------------------------------

function startSession(session, resumed) {
  state.generation += 1;
  state.nick = session.nick;
  state.token = session.token;
  const last = keep.get('sessionStorage', 'last', null);
  if (resumed && last && lower(last.nick) === lower(session.nick)) {
    state.replayUntil = last.id;
  } else {
    // A new session numbers its events from 1: forget what the old one had seen.
    state.replayUntil = 0;
    state.read = {};
    keep.set('sessionStorage', 'read', state.read);
    for (const view of roomViews()) Object.assign(view, { joined: false, members: new Map() });
  }
  state.lastId = 0;
  keep.set('localStorage', 'nick', session.nick);
  $('login').hidden = true;
  $('chat').hidden = false;
  setOnline(true);
  renderLists();
  renderHeader();
  openStream();
  $('line').focus();
}

function sessionOver(reason) {
  state.generation += 1;
  closeStream();
  state.token = '';
  setOnline(true);
  // Rooms to offer again: the page joins them once the next session says hello.
  state.rejoin = keep.get('localStorage', 'rooms', []);
  $('login-nick').value = keep.get('localStorage', 'nick', state.nick);
  showLogin(reason);
}

function showLogin(message) {
  $('chat').hidden = true;
  $('login').hidden = false;
  const error = $('login-error');
  error.hidden = !message;
  error.textContent = message || '';
  const input = $('login-nick');
  if (!input.value) input.value = keep.get('localStorage', 'nick', '');
  input.focus();
  input.select();
}

async function login(nick) {
  $('login-button').disabled = true;
  const headers = { 'Content-Type': 'text/plain;charset=utf-8' };
  const answer = await fetch('/api/login', { method: 'POST', headers, body: nick }).catch(() => null);
  const body = answer ? await answer.json().catch(() => ({})) : {};
  $('login-button').disabled = false;
  if (!answer) return showLogin('The server cannot be reached; try again in a moment.');
  if (!answer.ok) return showLogin(body.error || `Could not join (${answer.status}).`);
  if (!state.rejoin.length) state.rejoin = keep.get('localStorage', 'rooms', []);
  startSession(body, false);
}

// ---- the person's input ---------------------------------------------------------------------

const typed = { lines: [], at: 0, draft: '' };

// Up and down bring back earlier lines, as in a terminal.
function onComposerKey(event) {
  if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return;
  const input = event.target;
  if (typed.at === typed.lines.length) typed.draft = input.value;
  typed.at = Math.max(0, Math.min(typed.lines.length, typed.at + (event.key === 'ArrowUp' ? -1 : 1)));
  input.value = typed.at === typed.lines.length ? typed.draft : typed.lines[typed.at];
  event.preventDefault();
}

function wire() {
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const nick = $('login-nick').value.trim();
    if (nick) login(nick);
  });
  $('composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('line');
    const text = input.value;
    if (!text.trim()) return;
    typed.lines.push(text);
    if (typed.lines.length > 100) typed.lines.shift();
    typed.at = typed.lines.length;
    input.value = '';
    submit(text);
  });
  $('line').addEventListener('keydown', onComposerKey);
  document.addEventListener('click', (event) => {
    const target = event.target.closest('button');
    if (!target) return;
    if (target.dataset.key) {
      show(target.dataset.key);
    } else if (target.dataset.close) {
      const view = state.views.get(target.dataset.close);
      if (view && view.kind === 'room' && view.joined) sendLine('/part ' + view.name);
      else if (view) dropView(view);
    } else if (target.dataset.nick && !isMe(target.dataset.nick)) {
      show(viewFor('private', target.dataset.nick).key);
      $('line').focus();
    }
  });
  const toggle = (name) => () => {
    const open = !document.body.classList.contains(name);
    document.body.classList.remove('open-views', 'open-members');
    document.body.classList.toggle(name, open);
    $('scrim').hidden = !open;
    $('toggle-views').setAttribute('aria-expanded', String(name === 'open-views' && open));
    $('toggle-members').setAttribute('aria-expanded', String(name === 'open-members' && open));
  };
  $('toggle-views').addEventListener('click', toggle('open-views'));
  $('toggle-members').addEventListener('click', toggle('open-members'));
  $('scrim').addEventListener('click', closeDrawers);
}

// The side lists are drawers on a narrow screen; these close them.
function closeDrawers() {
  document.body.classList.remove('open-views', 'open-members');
  $('scrim').hidden = true;
  $('toggle-views').setAttribute('aria-expanded', 'false');
  $('toggle-members').setAttribute('aria-expanded', 'false');
}

// On load: resume the session the cookie names (a reload within the grace period), else log in.
async function boot() {
  wire();
  const answer = await fetch('/api/session', { cache: 'no-store' }).catch(() => null);
  const session = answer && answer.ok ? await answer.json().catch(() => null) : null;
  if (session) return startSession(session, true);
  state.rejoin = keep.get('localStorage', 'rooms', []);
  showLogin('');
}

boot();
