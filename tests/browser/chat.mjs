// The chat page in a real browser (headless Chromium through playwright-core), run by
// tests/browser.rs: `node chat.mjs URL SHOT_DIR [SCENARIO]`. Scenarios: `chat` (the default: the
// whole conversation) and `expiry` (a page cut off for longer than the server's --web-grace).
//
// The script drives the browser only. Where the netcat user must act (say something, or check
// what it received) it prints `need STEP` and waits for the line `go` on stdin: the Rust test
// does the netcat side of STEP and answers. `ok ...` lines report progress; the last line is
// `PASS`, or `FAIL reason` (then the exit status is 1 and a screenshot of the failure is kept).
// playwright-core is found through NODE_PATH (an ES module `import` ignores NODE_PATH, a
// `require` made with createRequire honours it).

import { createRequire } from 'node:module';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import http from 'node:http';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const [url, shotDir, scenario = 'chat'] = process.argv.slice(2);
const WAIT = 15000; // any one expectation; the server is a debug build on a shared machine

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (error) {
  console.log(`FAIL playwright-core cannot be loaded (install it and set NODE_PATH): ${error.message}`);
  process.exit(2);
}

const stdin = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// Asks the Rust side to do the netcat part of `step`, and waits until it has.
async function need(step) {
  console.log(`need ${step}`);
  const { value, done } = await stdin.next();
  if (done || value.trim() !== 'go') throw new Error(`no go for ${step} (got ${done ? 'end of input' : value})`);
}

// Opens the event stream of the session `cookie` names, outside the browser.
function openStream(cookie) {
  return new Promise((resolve, reject) => {
    const headers = { Cookie: `chatd_session=${cookie}` };
    const request = http.get(new URL('/api/events', url), { headers }, (response) => {
      response.resume();
      resolve(request);
    });
    request.on('error', reject);
  });
}

const ok = (what) => console.log(`ok ${what}`);

// The lines of the view on screen, as the person reads them.
const shownLog = (page) => page.locator('#logs .log:not([hidden])');

async function expectLine(page, text, what = text) {
  await shownLog(page).locator('.line .text', { hasText: text }).first().waitFor({ timeout: WAIT });
  ok(`shown: ${what}`);
}

async function expectTitle(page, title) {
  await page.waitForFunction((t) => document.getElementById('view-title').textContent === t, title, { timeout: WAIT });
}

async function say(page, line) {
  await page.fill('#line', line);
  await page.press('#line', 'Enter');
}

// The room or conversation entry in the side list.
const listed = (page, name) => page.locator('.view-open', { has: page.locator('.view-name', { hasText: name }) });

async function login(page, nick, password = '') {
  await page.waitForSelector('#login:not([hidden])', { timeout: WAIT });
  await page.fill('#login-nick', nick);
  await page.fill('#login-password', password);
  await page.click('#login-button');
}

async function expectLoginError(page, pattern) {
  await page.waitForFunction((p) => new RegExp(p).test(document.getElementById('login-error').textContent), pattern, {
    timeout: WAIT,
  });
  ok(`login refused: ${await page.textContent('#login-error')}`);
}

async function main() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true });
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  const page = await context.newPage();
  const dialogs = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    dialog.dismiss().catch(() => {});
  });
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Failed requests are expected (the 404 of /api/session before login, the 409 of a taken
    // nickname, the network cut off on purpose); anything else the page complains about (a CSP
    // violation, a script error) is a failure.
    const expected = /Failed to load resource|net::ERR_INTERNET_DISCONNECTED/;
    if (message.type() === 'error' && !expected.test(message.text())) problems.push(message.text());
  });

  try {
    mkdirSync(shotDir, { recursive: true });
    rmSync(join(shotDir, `failure-${scenario}.png`), { force: true }); // from an earlier run
    await (scenario === 'expiry' ? runExpiry(page) : run(browser, page));
    if (dialogs.length) throw new Error(`a dialog opened: ${dialogs.join(' | ')}`);
    if (problems.length) throw new Error(`the page reported: ${problems.join(' | ')}`);
    console.log('PASS');
  } catch (error) {
    console.log(`FAIL ${error.message.split('\n')[0]}`);
    console.log(error.stack);
    await page.screenshot({ path: join(shotDir, `failure-${scenario}.png`) }).catch(() => {});
    const text = await page.locator('body').innerText().catch(() => '');
    console.log('--- page text at the failure:\n' + text);
    process.exitCode = 1;
  } finally {
    await browser.close();
  }
}

// The password the test gave alice's account (tests/browser.rs).
const ALICE_PASSWORD = 'alice in the browser';

// Streams one session may have at once (tabs); one more closes the oldest (src/broker/web.rs).
const MAX_STREAMS = 4;

// Cuts the page off: offline, and its event stream ended by the server (as many other streams
// for the session as it keeps take its place, and are then closed). Going offline alone keeps
// open connections.
async function cutOff(page) {
  await page.context().setOffline(true);
  const cookie = (await page.context().cookies()).find((c) => c.name === 'chatd_session');
  const thieves = [];
  for (let i = 0; i < MAX_STREAMS; i++) thieves.push(await openStream(cookie.value));
  await page.waitForSelector('#status:not([hidden])', { timeout: WAIT });
  ok('reconnecting shown while cut off');
  return { destroy: () => thieves.forEach((thief) => thief.destroy()) };
}

async function run(browser, page) {
  await page.goto(url);

  // A nickname someone holds is refused with the server's reason.
  await login(page, 'bob');
  await page.waitForFunction(() => /taken/.test(document.getElementById('login-error').textContent), null, { timeout: WAIT });
  ok('taken nickname refused: ' + (await page.textContent('#login-error')));
  // alice is a registered account (made by the test with `chatd account add`): her password is
  // asked for, a wrong one refused, the right one logs in.
  await login(page, 'alice');
  await expectLoginError(page, 'alice is a registered nickname');
  await login(page, 'alice', 'wrong-password');
  await expectLoginError(page, 'Invalid account name or password');
  await login(page, 'alice', ALICE_PASSWORD);
  await expectTitle(page, '#lobby');
  if (await page.inputValue('#login-password')) throw new Error('the password field kept the password');
  await page.locator('#member-list .nick', { hasText: 'bob' }).waitFor({ timeout: WAIT });
  ok('in #lobby with bob listed');

  // Both ways in #lobby, and an action.
  await need('bob-says-hello');
  await expectLine(page, 'hello from netcat');
  const time = await shownLog(page).locator('.line.msg time').last();
  const shown = await time.textContent();
  const local = await time.evaluate((node) =>
    new Date(node.dateTime).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
  );
  if (shown !== local) throw new Error(`time shown ${shown}, local time ${local}`);
  await say(page, 'hello from the browser');
  await expectLine(page, 'hello from the browser');
  await need('bob-hears-browser');
  await say(page, '/me waves from the browser');
  await shownLog(page).locator('.line.action', { hasText: 'waves from the browser' }).waitFor({ timeout: WAIT });
  await need('bob-sees-action');

  // A private conversation, opened by clicking the nickname.
  await page.click('#member-list .nick:text-is("bob")');
  await expectTitle(page, 'bob');
  await say(page, 'psst bob');
  await expectLine(page, 'psst bob');
  await need('bob-gets-private');
  await expectLine(page, 'psst back');

  // Another room: joined by command; unread counts while looking elsewhere.
  await say(page, '/join #rust');
  await expectTitle(page, '#rust');
  await need('bob-talks-in-rust');
  await expectLine(page, 'rust talk from netcat');
  await listed(page, '#lobby').click();
  await expectTitle(page, '#lobby');
  await need('bob-talks-in-rust-unseen');
  await listed(page, '#rust').locator('.badge', { hasText: '1' }).waitFor({ timeout: WAIT });
  ok('#rust shows 1 unread');
  // A plain line from #lobby's view goes to #lobby though the server's current room is #rust.
  await say(page, 'back in the lobby');
  await expectLine(page, 'back in the lobby');
  await need('bob-hears-lobby');
  await listed(page, '#rust').click();
  await expectTitle(page, '#rust');
  await expectLine(page, 'unread in rust');
  if (await listed(page, '#rust').locator('.badge').count()) throw new Error('#rust still shows unread after viewing it');

  // A reload in the middle of the conversation loses nothing.
  await need('bob-before-reload');
  await expectLine(page, 'before the reload');
  const reloading = page.reload();
  await need('bob-during-reload');
  await reloading;
  await expectTitle(page, '#rust');
  if (await page.isVisible('#login')) throw new Error('the reload lost the session');
  for (const text of ['rust talk from netcat', 'unread in rust', 'before the reload', 'during the reload']) {
    await expectLine(page, text, `after the reload: ${text}`);
  }
  if (await page.locator('.view-open .badge').count()) throw new Error('old messages counted as unread after the reload');
  await listed(page, '#lobby').click();
  for (const text of ['hello from netcat', 'hello from the browser', 'waves from the browser', 'back in the lobby']) {
    await expectLine(page, text, `after the reload: ${text}`);
  }
  await listed(page, 'bob').click();
  await expectLine(page, 'psst back', 'after the reload: psst back');
  if ((await page.textContent('#me-nick')) !== 'alice') throw new Error('the nickname changed over the reload');

  // Markup is text, whoever sends it.
  await listed(page, '#lobby').click();
  const payloads = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>'];
  for (const payload of payloads) {
    await say(page, payload);
    await expectLine(page, payload, `literally: ${payload}`);
  }
  await need('bob-sends-markup');
  await expectLine(page, '<img src=y onerror=alert(2)><b>bold</b>', 'literally: markup from netcat');
  const texts = await shownLog(page).locator('.line.msg .text').allTextContents();
  for (const payload of payloads) {
    if (!texts.includes(payload)) throw new Error(`${payload} not shown exactly; lines: ${JSON.stringify(texts)}`);
  }
  const injected = await page.locator('#logs img, #logs script, #logs b').count();
  if (injected) throw new Error(`${injected} elements made from message text`);
  ok('markup shown as text, no elements made, no dialog');

  await page.screenshot({ path: join(shotDir, 'chat.png') });
  ok(`screenshot ${join(shotDir, 'chat.png')}`);

  // Cut off and back within the grace period: what was said meanwhile arrives.
  const thief = await cutOff(page);
  await need('bob-says-while-cut-off');
  thief.destroy();
  await page.context().setOffline(false);
  await page.waitForSelector('#status[hidden]', { state: 'attached', timeout: WAIT * 2 });
  await expectLine(page, 'said while you were away');

  // Kicked out of a room: it leaves the list, with who did it and why.
  await need('bob-opens-den');
  await say(page, '/join #den');
  await expectTitle(page, '#den');
  await need('bob-kicks-alice');
  await listed(page, '#den').waitFor({ state: 'detached', timeout: WAIT });
  await expectLine(page, 'You left #den (kicked by bob: behave)');

  // A phone in dark mode: one column, the side lists behind buttons (no sliding: the
  // screenshots show where things end up).
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await page.setViewportSize({ width: 390, height: 760 });
  await page.locator('#room-list').waitFor({ state: 'hidden', timeout: WAIT }); // collapsed
  await page.screenshot({ path: join(shotDir, 'chat-phone.png') });
  await page.click('#toggle-views');
  await page.locator('#room-list').waitFor({ state: 'visible', timeout: WAIT });
  await page.screenshot({ path: join(shotDir, 'chat-phone-rooms.png') });
  await listed(page, '#rust').click();
  await expectTitle(page, '#rust');
  ok('phone layout: lists collapse and open');
  await page.setViewportSize({ width: 1100, height: 720 });
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });

  // /quit ends the session; joining again brings the remembered rooms back.
  await say(page, '/quit gone for coffee');
  await page.waitForSelector('#login:not([hidden])', { timeout: WAIT });
  if ((await page.inputValue('#login-nick')) !== 'alice') throw new Error('the last nickname is not prefilled');
  await need('bob-sees-quit');
  // The password is never kept by the page: typed again.
  await page.fill('#login-password', ALICE_PASSWORD);
  await page.click('#login-button');
  const rust = page.locator('.view-open:not(.left)', { has: page.locator('.view-name', { hasText: '#rust' }) });
  await rust.waitFor({ timeout: WAIT });
  await need('bob-sees-rejoin');
  ok('logged in again and back in #rust');

  // Without EventSource the page long-polls.
  const context = await browser.newContext({ viewport: { width: 1100, height: 720 } });
  await context.addInitScript(() => {
    delete window.EventSource;
  });
  const old = await context.newPage();
  old.on('dialog', (dialog) => dialog.dismiss().catch(() => {}));
  await old.goto(url);
  await login(old, 'carol');
  await expectTitle(old, '#lobby');
  await need('bob-writes-to-carol');
  await old.locator('.view-open .badge').waitFor({ timeout: WAIT });
  await listed(old, 'bob').click();
  await expectLine(old, 'hello long-poll');
  await listed(old, '#lobby').click();
  await say(old, 'hi from the long-poll');
  await expectLine(old, 'hi from the long-poll');
  await need('bob-hears-carol');
  await context.close();
}

// A page cut off for longer than the grace period: the session is over, the page offers the
// nickname again and, once logged in, joins the rooms it was in.
async function runExpiry(page) {
  await page.goto(url);
  await login(page, 'dave');
  await expectTitle(page, '#lobby');
  await say(page, '/join #far');
  await expectTitle(page, '#far');
  await need('bob-joins-far');
  const thief = await cutOff(page);
  thief.destroy();
  await need('bob-sees-dave-lost');
  await page.context().setOffline(false);
  await page.waitForSelector('#login:not([hidden])', { timeout: WAIT });
  if ((await page.inputValue('#login-nick')) !== 'dave') throw new Error('the last nickname is not prefilled');
  ok('session over: ' + (await page.textContent('#login-error')));
  await page.screenshot({ path: join(shotDir, 'chat-login-again.png') });
  await page.click('#login-button');
  await expectTitle(page, '#far');
  await need('bob-welcomes-dave-back');
  await expectLine(page, 'welcome back');
}

await main();
// The open stdin would keep Node running.
process.exit();
