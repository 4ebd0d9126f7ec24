// chatd's browser page, part two: the transport (the event stream, or the long-poll, and
// sending), the session (login, resume, its end) and what the person types, which goes to the
// server verbatim, as the netcat line it is. chat.js holds the chat and draws it.
import * as chat from './chat.js';

const { $, keep, state, lower } = chat;

// Commands whose default target is the current room: before sending one from a room's view, the
// page makes that room current (`/join` of a room one is in only does that).
const ROOM_COMMANDS = new Set(['me', 'part', 'topic', 'who', 'kick', 'mode', 'invite']);
const RETRY_MS = 2000;
const SESSION_OVER = 'Your session has ended. Join again to get your rooms back.';

// The connection to the server, as far as the chat does not care.
const link = {
  token: '', // sent with every line: a header other sites' forms cannot send
  generation: 0, // bumped when a session starts or ends, to stop the old stream, poll and sends
  stream: null,
  probing: false,
  rejoin: [], // rooms to join again once a fresh session says hello
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parse(json) {
  try {
    return JSON.parse(json);
  } catch {
    return null;
  }
}

// One event from the stream or the poll: the chat's, and the session's when it starts or ends.
function receive(id, ev) {
  if (!chat.onEvent(id, ev) || !ev) return;
  if (ev.t === 'hello') for (const room of link.rejoin.splice(0)) sendLine('/join ' + room);
  if (ev.t === 'closing') sessionOver(`The server ended the session: ${ev.reason}`);
}

// ---- transport: the event stream (or the long-poll) and sending ------------------------------

function setOnline(online) {
  $('status').hidden = online;
}

function openStream() {
  closeStream();
  if (!window.EventSource) {
    pollLoop(link.generation);
    return;
  }
  // A new stream resumes after the last event handled; EventSource's own reconnects send
  // Last-Event-ID, which the server prefers to the query.
  const stream = new EventSource(state.lastId ? `/api/events?after=${state.lastId}` : '/api/events');
  link.stream = stream;
  stream.onopen = () => setOnline(true);
  stream.onmessage = (message) => receive(Number(message.lastEventId) || 0, parse(message.data));
  stream.onerror = () => {
    if (link.stream !== stream) return;
    setOnline(false);
    probe(stream);
  };
}

function closeStream() {
  if (link.stream) link.stream.close();
  link.stream = null;
}

// EventSource cannot see an HTTP status: when the stream fails, ask whether the session is still
// there. Gone: log in again. There but the stream gave up (closed): open a new one.
async function probe(stream) {
  if (link.probing) return;
  link.probing = true;
  const generation = link.generation;
  const answer = await fetch('/api/session', { cache: 'no-store' }).catch(() => null);
  link.probing = false;
  if (generation !== link.generation || link.stream !== stream) return;
  if (answer && answer.status === 404) {
    sessionOver(SESSION_OVER);
  } else if (stream.readyState === EventSource.CLOSED) {
    setTimeout(() => link.stream === stream && openStream(), RETRY_MS);
  }
}

// The fallback for browsers without EventSource: ask for the events after the last one, again
// and again; each answer comes at once when there are events, else after up to ~25 s.
async function pollLoop(generation) {
  while (generation === link.generation) {
    try {
      const answer = await fetch(`/api/poll?after=${state.lastId}`, { cache: 'no-store' });
      if (generation !== link.generation) return;
      if (answer.status === 401) return sessionOver(SESSION_OVER);
      if (!answer.ok) throw new Error('poll answered ' + answer.status);
      const body = await answer.json();
      setOnline(true);
      for (const ev of body.events || []) receive(Number(ev.id) || 0, ev);
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
  const generation = link.generation;
  let failures = 0;
  while (outbox.length && generation === link.generation) {
    const line = outbox[0];
    const headers = { 'Content-Type': 'text/plain;charset=utf-8', 'X-Chatd-Session': link.token };
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
      chat.systemLine(chat.shownView(), `Not sent (no connection): ${line}`, 'error');
    } else if (answer.status === 401) {
      outbox.length = 0;
      sessionOver(SESSION_OVER);
    } else if (answer.status === 413) {
      chat.systemLine(chat.shownView(), 'Not sent: that line is too long.', 'error');
    } else if (!answer.ok) {
      const body = await answer.json().catch(() => ({}));
      chat.systemLine(chat.shownView(), `Not sent: ${body.error || 'refused (' + answer.status + ')'}`, 'error');
    }
  }
  sending = false;
  // Lines queued for a session that started while this one's last send was on its way.
  if (outbox.length && generation !== link.generation) pump();
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
    return chat.systemLine(view, '/me describes an action in a room; here, just type the message.', 'error');
  }
  if (view && view.kind === 'room' && (command === null || ROOM_COMMANDS.has(command))) {
    if (!view.joined || lower(state.current || '') !== lower(view.name)) {
      sendLine('/join ' + view.name);
      state.current = view.name;
    }
  }
  if (command === 'msg') {
    const target = text.split(/\s+/)[1];
    if (target && !target.startsWith('#')) state.openOnPrivate = lower(target);
  }
  sendLine(text);
}

// ---- sessions -------------------------------------------------------------------------------

function startSession(session, resumed) {
  link.generation += 1;
  state.nick = session.nick;
  link.token = session.token;
  const last = keep.get('sessionStorage', 'last', null);
  if (resumed && last && lower(last.nick) === lower(session.nick)) {
    state.replayUntil = last.id;
  } else {
    // A new session numbers its events from 1: forget what the old one had seen.
    state.replayUntil = 0;
    state.read = {};
    keep.set('sessionStorage', 'read', state.read);
    for (const view of chat.roomViews()) Object.assign(view, { joined: false, members: new Map() });
  }
  state.lastId = 0;
  keep.set('localStorage', 'nick', session.nick);
  $('login').hidden = true;
  $('chat').hidden = false;
  setOnline(true);
  chat.renderLists();
  chat.renderHeader();
  openStream();
  $('line').focus();
}

function sessionOver(reason) {
  link.generation += 1;
  closeStream();
  link.token = '';
  outbox.length = 0; // lines for the session that ended
  setOnline(true);
  // Rooms to offer again: the page joins them once the next session says hello.
  link.rejoin = keep.get('localStorage', 'rooms', []);
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

// The body is the nickname, and on a second line the password of its account, if given.
async function login(nick, password) {
  $('login-button').disabled = true;
  const headers = { 'Content-Type': 'text/plain;charset=utf-8' };
  const payload = password ? `${nick}\n${password}` : nick;
  const answer = await fetch('/api/login', { method: 'POST', headers, body: payload }).catch(() => null);
  $('login-password').value = '';
  const body = answer ? await answer.json().catch(() => ({})) : {};
  $('login-button').disabled = false;
  if (!answer) return showLogin('The server cannot be reached; try again in a moment.');
  if (!answer.ok) return showLogin(body.error || `Could not join (${answer.status}).`);
  if (!link.rejoin.length) link.rejoin = keep.get('localStorage', 'rooms', []);
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
    if (nick) login(nick, $('login-password').value);
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
      chat.show(target.dataset.key);
    } else if (target.dataset.close) {
      const view = state.views.get(target.dataset.close);
      if (view && view.kind === 'room' && view.joined) sendLine('/part ' + view.name);
      else if (view) chat.dropView(view);
    } else if (target.dataset.nick && !chat.isMe(target.dataset.nick)) {
      chat.show(chat.viewFor('private', target.dataset.nick).key);
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
  $('scrim').addEventListener('click', chat.closeDrawers);
}

// On load: resume the session the cookie names (a reload within the grace period), else log in.
async function boot() {
  wire();
  const answer = await fetch('/api/session', { cache: 'no-store' }).catch(() => null);
  const session = answer && answer.ok ? await answer.json().catch(() => null) : null;
  if (session) return startSession(session, true);
  link.rejoin = keep.get('localStorage', 'rooms', []);
  showLogin('');
}

boot();
