// End-to-end test of the release bundle: what a person does in the browser and what they see.
//
//   node e2e/test.mjs <base-url>      (e2e/run.sh serves dist/ and calls this)
//
// A sequence of named checks. Each prints `ok` or `FAIL` with the reason; the last line is
// exactly `e2e: N passed, N failed` (CI reads it) and the exit status is 1 if any failed.
// Every console error and uncaught page error that appears while a check runs fails that
// check. Every request any page makes is recorded, and the last check fails if one went to a
// host other than the local server. Screenshots go to e2e/screenshots/.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SHOTS = path.join(HERE, 'screenshots');
// The same arguments as web/webdriver.json (headless is playwright's own option); no sandbox
// because the tests run as root here.
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/// How long an action or a wait may take before the check fails (the app is local).
const ACTION_TIMEOUT = 5000;
/// How long a key press has to show its effect.
const KEY_TIMEOUT = 1000;
/// The whole run, after which it stops and reports what it has.
const WATCHDOG_MS = 600_000;

const baseArg = process.argv[2];
if (!baseArg) {
  console.error('usage: node e2e/test.mjs <base-url>   (e.g. http://127.0.0.1:8094/)');
  process.exit(2);
}
const BASE = baseArg.endsWith('/') ? baseArg : baseArg + '/';
const ORIGIN = new URL(BASE).origin;
/** A page's address: `raft.html#scenario=...` (each algorithm page is its own document). */
const pageAt = (name, state = '') => `${BASE}${name}.html${state ? `#${state}` : ''}`;
/** An address as links had it before each page was its own document: `#/raft?scenario=...`. */
const oldLink = (hash) => `${BASE}#${hash}`;
/** The algorithm pages, with what their view draws. */
const PAGE_VIEWS = [
  ['messaging', 'svg.cluster'],
  ['hashring', 'svg.hashring'],
  ['locks', 'svg.locks'],
  ['transactions', 'svg.txn'],
  ['raft', 'svg.raft'],
  ['paxos', 'svg.paxos'],
  ['chord', 'svg.chord'],
  ['kvstore', 'svg.kvstore'],
];

// ---------- the check runner -------------------------------------------------------------

let passed = 0;
let failed = 0;
const done = new Set(); // names of checks that passed
const problems = []; // console errors and page errors, in order: { text }
const requests = []; // every URL any page requested

function finish() {
  console.log(`e2e: ${passed} passed, ${failed} failed`);
}

const watchdog = setTimeout(() => {
  console.log(`FAIL watchdog: the run took more than ${WATCHDOG_MS / 1000} s and was stopped`);
  failed += 1;
  finish();
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

/** The first lines of an error's message (playwright adds a long call log). */
function short(e) {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').filter((l) => l.trim() !== '').slice(0, 3).join(' | ');
}

/**
 * Runs one named check. `needs` names checks that must have passed first; when one did not,
 * this check fails at once with that reason instead of timing out on a page that is not there.
 */
async function check(name, fn, { needs = [] } = {}) {
  if (ONLY && !ONLY.test(name)) return;
  const missing = needs.filter((n) => !done.has(n));
  if (missing.length) {
    failed += 1;
    console.log(`FAIL ${name}: not run, needs: ${missing.join('; ')}`);
    return;
  }
  const from = problems.length;
  const t0 = Date.now();
  let why = null;
  try {
    await fn();
  } catch (e) {
    why = short(e);
  }
  // Errors that happened while the check ran, whatever the check itself found.
  const errs = problems.slice(from).map((p) => p.text);
  if (errs.length) {
    const list = `${errs.length} console/page error(s): ${errs.slice(0, 3).join(' || ')}`;
    why = why ? `${why}; and ${list}` : list;
  }
  const ms = Date.now() - t0;
  if (why) {
    failed += 1;
    console.log(`FAIL ${name}: ${why} (${ms} ms)`);
  } else {
    passed += 1;
    done.add(name);
    console.log(`ok   ${name} (${ms} ms)`);
  }
}

/** E2E_ONLY=regex runs only the checks whose names match (while working on one part). */
const ONLY = process.env.E2E_ONLY ? new RegExp(process.env.E2E_ONLY) : null;

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Frame-to-frame times (ms) from requestAnimationFrame over `ms` milliseconds, counted
 * while the page is playing (its Pause button shows).
 */
async function frameTimes(page, ms) {
  return page.evaluate(
    (ms) =>
      new Promise((resolve) => {
        const out = [];
        let last = null;
        const end = performance.now() + ms;
        const tick = (now) => {
          const playing = !!document.querySelector('.control-bar button[aria-label="Pause"]');
          if (last !== null && playing) out.push(now - last);
          last = now;
          if (now < end) requestAnimationFrame(tick);
          else resolve(out);
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
}

/** Polls `get` until `ok(value)` or the timeout; returns the last value either way. */
async function poll(get, ok, timeout = KEY_TIMEOUT) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > end) return v;
    await sleep(40);
  }
}

// ---------- the browser ------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: CHROMIUM_ARGS,
});

/** A fresh context (no shared storage or state) that records errors and requests. */
async function newContext(options = {}) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  ctx.setDefaultTimeout(ACTION_TIMEOUT);
  ctx.on('request', (r) => requests.push(r.url()));
  ctx.on('page', (page) => watchPage(page));
  // Time of the first render: when a page's view first appears, in ms since navigation start.
  await ctx.addInitScript(() => {
    const seen = () => {
      if (window.__e2eFirstRender === undefined && document.querySelector('.app-view svg[data-view]')) {
        window.__e2eFirstRender = performance.now();
        observer.disconnect();
      }
    };
    const observer = new MutationObserver(seen);
    observer.observe(document, { childList: true, subtree: true });
  });
  return ctx;
}

function watchPage(page) {
  // Nothing is ignored: a 404, a failed fetch, a wasm panic (console.error from the panic
  // hook) and an uncaught exception all fail the check that is running.
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const loc = m.location();
      const where = loc && loc.url ? ` [${loc.url}]` : '';
      problems.push({ text: `console.error: ${m.text()}${where}` });
    }
  });
  page.on('pageerror', (e) => problems.push({ text: `page error: ${short(e)}` }));
}

/**
 * Opens `url` in `page` as a fresh load, as if typed in a new tab. A `goto` that changes
 * only the hash is a same-document navigation, and Playwright may count the page's own
 * `history.replaceState` (the URL following the state) as that navigation and return before
 * the hash changed; reloading then would reload the old URL. So: wait for the hash, then
 * reload.
 */
async function openFresh(page, url) {
  await page.goto(url);
  const hash = new URL(url).hash;
  await page.waitForFunction((h) => location.hash === h, hash, { timeout: ACTION_TIMEOUT });
  await page.reload();
}

/** Files → the button `label`: the text of the file the page offers; the popover closed again. */
async function exportFile(page, label) {
  if (!(await page.locator('.popover[aria-label="Files"]').count())) {
    await page.locator('.app-header button', { hasText: /^Files$/ }).click();
  }
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.locator('.popover button', { hasText: label }).click(),
  ]);
  const text = await readFile(await download.path(), 'utf8');
  await page.keyboard.press('Escape');
  if (await page.locator('.popover[aria-label="Files"]').count()) {
    await page.locator('.popover[aria-label="Files"] button', { hasText: 'Close' }).click();
  }
  return text;
}

/** Files → "Export view (SVG)". */
const exportView = (page) => exportFile(page, 'Export view (SVG)');

async function shot(page, file) {
  await page.screenshot({ path: path.join(SHOTS, file) });
}

// ---------- what the page shows ----------------------------------------------------------

/** The clock `step P / H` of a page or frame. */
async function clock(frame) {
  const text = (await frame.locator('.control-bar .clock').textContent({ timeout: ACTION_TIMEOUT })) ?? '';
  const m = /step\s+(\d+)\s*\/\s*(\d+)/.exec(text);
  assert(m, `the clock reads "${text}", not "step P / H"`);
  const t = /t=\s*(\d+)\s*ms/.exec(text);
  return { pos: Number(m[1]), horizon: Number(m[2]), time: t ? Number(t[1]) : null, text: text.trim() };
}
const pos = async (frame) => (await clock(frame)).pos;

/** Waits (KEY_TIMEOUT) for the step to become `want`; fails with what it is instead. */
async function expectStep(frame, want, what) {
  const got = await poll(() => pos(frame), (p) => p === want);
  assert(got === want, `${what}: expected step ${want}, the clock says step ${got}`);
}

/** The newest event-log entry (highest step number), whitespace collapsed; null if none. */
function newestLogEntry(frame) {
  return frame.evaluate(() => {
    const entries = [...document.querySelectorAll('.event-log .log-entry')];
    if (!entries.length) return null;
    const num = (e) => {
      const m = /#(\d+)/.exec(e.querySelector('.log-step')?.textContent ?? '');
      return m ? Number(m[1]) : -1;
    };
    const newest = entries.reduce((a, b) => (num(b) > num(a) ? b : a));
    return newest.innerText.replace(/\s+/g, ' ').trim();
  });
}

/** aria-labels of the nodes drawn as crashed, sorted. */
function crashedNodes(frame) {
  return frame.evaluate(() =>
    [...document.querySelectorAll('svg.cluster g.node.crashed')]
      .map((g) => g.getAttribute('aria-label'))
      .sort(),
  );
}

/** The page of an address and the state in its hash: `raft.html#a=1&b` → { page: 'raft', params }. */
function hashState(url) {
  const u = new URL(url);
  const file = u.pathname.split('/').pop() || 'index.html';
  const page = file.replace(/\.html$/, '');
  const params = new URLSearchParams(u.hash.replace(/^#/, ''));
  return { page, params };
}
const paramsObject = (params, drop = []) =>
  Object.fromEntries([...params].filter(([k]) => !drop.includes(k)).sort(([a], [b]) => a.localeCompare(b)));

/** Moves the keyboard focus to the page body (nothing focused), then presses `key`. */
async function pressOnBody(page, key) {
  await page.evaluate(() => {
    if (document.activeElement && document.activeElement !== document.body) document.activeElement.blur();
  });
  await page.keyboard.press(key);
}

/** Waits for the cluster to be drawn (the wasm app has started). */
async function waitForApp(frame, timeout = 15000) {
  await frame.locator('svg.cluster').waitFor({ state: 'visible', timeout });
}

const button = (frame, text) => frame.locator('button', { hasText: text });

// ---------- the checks -------------------------------------------------------------------

await mkdir(SHOTS, { recursive: true });
for (const f of await readdir(SHOTS)) {
  if (f.endsWith('.png')) await rm(path.join(SHOTS, f));
}
console.log(`e2e: testing ${BASE} with ${browser.version()}`);

// 1. The home page and the way to the messaging page.
{
  const ctx = await newContext();
  const page = await ctx.newPage();
  await check('home: lists the Messaging card', async () => {
    await page.goto(BASE);
    const card = page.locator('.cards .card', { hasText: 'Messaging' });
    await card.first().waitFor({ state: 'visible', timeout: 15000 });
    await shot(page, '01-home.png');
  });
  await check(
    'home: the Messaging card opens the messaging page',
    async () => {
      await page.locator('.cards .card', { hasText: 'Messaging' }).first().locator('a').first().click();
      await waitForApp(page);
      const { page: name } = hashState(page.url());
      assert(name === 'messaging', `the link went to ${page.url()}, not messaging.html`);
    },
    { needs: ['home: lists the Messaging card'] },
  );
  await ctx.close();
}

// Every page: a first visit renders its view within a second (printed), and the home page
// downloads no WebAssembly.
{
  for (const [name, view] of PAGE_VIEWS) {
    // A fresh context: nothing cached, as a first visit.
    const ctx = await newContext();
    const page = await ctx.newPage();
    await check(`${name}: first render within 1 s (navigation start to ${view})`, async () => {
      await page.goto(pageAt(name));
      await page.locator(view).first().waitFor({ state: 'visible', timeout: 15000 });
      const ms = await page.evaluate(() => window.__e2eFirstRender);
      assert(typeof ms === 'number', 'the first render was not recorded');
      console.log(`first render: ${name} ${Math.round(ms)} ms`);
      assert(ms < 1000, `the first render took ${Math.round(ms)} ms`);
    });
    await ctx.close();
  }
  const ctx = await newContext();
  const home = await ctx.newPage();
  await check('home: plain HTML, no WebAssembly or script file downloaded', async () => {
    const seen = [];
    home.on('request', (r) => seen.push(r.url()));
    await home.goto(BASE);
    await home.locator('.cards .card').first().waitFor({ state: 'visible' });
    await sleep(300);
    const code = seen.filter((u) => /\.(wasm|js)(\?|$)/.test(u));
    assert(code.length === 0, `the home page downloaded ${code.join(', ')}`);
    const cards = await home.locator('.cards .card').count();
    assert(cards === PAGE_VIEWS.length, `${cards} cards, expected ${PAGE_VIEWS.length}`);
  });
  await ctx.close();
}

// Old addresses (before each page was its own document) and moving between pages.
{
  const ctx = await newContext();
  const page = await ctx.newPage();
  await check('old link: index.html#/raft?... lands on raft.html in the same state', async () => {
    await page.goto(oldLink('/raft?scenario=raft-partition&seed=3&step=12'));
    await page.locator('svg.raft').waitFor({ state: 'visible', timeout: 15000 });
    await expectStep(page, 12, 'the old link');
    const { page: name, params } = hashState(page.url());
    assert(name === 'raft', `the old link went to ${page.url()}`);
    assert(params.get('scenario') === 'raft-partition', `scenario=${params.get('scenario')} in ${page.url()}`);
    assert((await page.locator('select[aria-label="Scenario"]').inputValue()) === 'raft-partition', 'another scenario is loaded');
  });
  await check('old link: an old embed snippet shows the same state embedded', async () => {
    await page.setContent(`<!DOCTYPE html><html><body style="margin:0">
      <iframe id="old" src="${oldLink('/messaging?scenario=messaging-lossy-link&seed=3&step=5&embed')}" width="800" height="520"></iframe>
      </body></html>`);
    const frame = await (await page.locator('iframe#old').elementHandle()).contentFrame();
    await waitForApp(frame);
    await expectStep(frame, 5, 'the old embed');
    const { page: name, params } = hashState(frame.url());
    assert(name === 'messaging' && params.has('embed'), `the frame is at ${frame.url()}`);
    assert(!(await frame.locator('.app-header').isVisible().catch(() => false)), 'the embed shows the header');
  });
  await check('old link: an unknown page says so on the home page', async () => {
    await page.goto(oldLink('/nope?step=3'));
    const alert = page.locator('[role="alert"]');
    await alert.first().waitFor({ state: 'visible' });
    const text = await alert.first().innerText();
    assert(/nope/.test(text) && /raft/i.test(text), `the home page says "${text}"`);
  });
  await check('pages: editing the hash to another page in the same tab loads that page and its scenario', async () => {
    await page.goto(pageAt('messaging', 'scenario=messaging-normal&step=2'));
    await waitForApp(page);
    await page.evaluate(() => {
      location.hash = '#/raft?scenario=raft-split-vote&step=7';
    });
    await page.locator('svg.raft').waitFor({ state: 'visible', timeout: 15000 });
    await expectStep(page, 7, 'after editing the hash');
    assert((await page.locator('select[aria-label="Scenario"]').inputValue()) === 'raft-split-vote', 'the Raft page shows another scenario');
    assert(hashState(page.url()).page === 'raft', `the tab is at ${page.url()}`);
  });
  await check('pages: editing the hash to another scenario of the page loads it in place', async () => {
    await page.evaluate(() => {
      location.hash = '#scenario=raft-leader-crash&step=4';
    });
    const got = await poll(() => page.locator('select[aria-label="Scenario"]').inputValue(), (v) => v === 'raft-leader-crash');
    assert(got === 'raft-leader-crash', `the page shows ${got}`);
    await expectStep(page, 4, 'after editing the hash');
  });
  await check('pages: the brand goes home and a card opens another page in the same tab', async () => {
    await page.locator('.app-header a.brand').click();
    await page.locator('.cards .card', { hasText: 'Distributed locks' }).first().locator('a').first().click();
    await page.locator('svg.locks').waitFor({ state: 'visible', timeout: 15000 });
    assert(hashState(page.url()).page === 'locks', `the tab is at ${page.url()}`);
    await expectStep(page, 0, 'the locks page');
  });
  await ctx.close();
}

// 2-5. One visit: play, step, keys, crash, then the link to that state.
const story = await newContext();
const page = await story.newPage();
const LOADED = 'messaging: clock reads step 0 / M';

await check(LOADED, async () => {
  await page.goto(pageAt('messaging'));
  await waitForApp(page);
  const c = await clock(page);
  assert(c.pos === 0, `the clock reads "${c.text}", expected step 0`);
  // The keyboard checks below move between steps 0 and 20.
  assert(c.horizon >= 20, `the clock reads "${c.text}", expected a horizon M >= 20`);
});

await check(
  'messaging: Play, wait 1.5 s, Pause advances the step',
  async () => {
    await page.locator('button[aria-label="Play"]').click();
    await page.locator('button[aria-label="Pause"]').waitFor({ state: 'visible' });
    await sleep(1500);
    await shot(page, '02-playing.png');
    // Playback stops by itself at the end of the run; then there is no Pause to click.
    const pause = page.locator('button[aria-label="Pause"]');
    if (await pause.count()) await pause.click();
    await page.locator('button[aria-label="Play"]').waitFor({ state: 'visible' });
    const p = await pos(page);
    assert(p > 0, `the step is still ${p} after 1.5 s of playing`);
  },
  { needs: [LOADED] },
);

await check(
  'messaging: the event log has entries',
  async () => {
    const n = await page.locator('.event-log .log-entry').count();
    assert(n > 0, 'no .event-log .log-entry after playing');
  },
  { needs: [LOADED] },
);

await check(
  'controls: Step forward adds one step',
  async () => {
    const p = await pos(page);
    await page.locator('button[aria-label="Step forward"]').click();
    await expectStep(page, p + 1, 'after Step forward');
  },
  { needs: [LOADED] },
);

await check(
  'controls: Step back removes one step',
  async () => {
    await page.locator('button[aria-label="Step forward"]').click();
    const p = await pos(page);
    assert(p > 0, 'cannot test Step back at step 0');
    await page.locator('button[aria-label="Step back"]').click();
    await expectStep(page, p - 1, 'after Step back');
  },
  { needs: [LOADED] },
);

// Keyboard shortcuts, pressed with the focus on the page body (the contract: Right/PageDown
// +1, Left/PageUp -1, Shift+Right +10, Shift+Left -10, Home 0, End horizon, Space play/pause,
// ? the shortcut sheet, Escape closes it).
/** Moves to step `n` with the Step forward / Step back buttons (at most 60 clicks). */
async function goToStep(frame, n) {
  for (let i = 0; i < 60; i++) {
    const p = await pos(frame);
    if (p === n) return;
    await frame.locator(`button[aria-label="${p < n ? 'Step forward' : 'Step back'}"]`).click();
  }
  throw new Error(`could not reach step ${n} with the step buttons (at step ${await pos(frame)})`);
}
/** Presses `key` on the body at step `from` and expects step `from + delta`. */
const keyStep = (key, from, delta) =>
  check(
    `keys: ${key} moves ${delta > 0 ? '+' : ''}${delta}`,
    async () => {
      await goToStep(page, from);
      await pressOnBody(page, key);
      await expectStep(page, from + delta, `after ${key} at step ${from}`);
    },
    { needs: [LOADED] },
  );
// Each key starts from a step of its own (the built-in scenario has 20 steps), so one
// missing shortcut does not throw the next check off.
await keyStep('ArrowRight', 10, 1);
await keyStep('ArrowLeft', 10, -1);
await keyStep('PageDown', 10, 1);
await keyStep('PageUp', 10, -1);
await keyStep('Shift+ArrowRight', 5, 10);
await keyStep('Shift+ArrowLeft', 15, -10);

await check(
  'keys: End goes to the horizon',
  async () => {
    await goToStep(page, 10);
    await pressOnBody(page, 'End');
    const c = await poll(() => clock(page), (c) => c.pos === c.horizon);
    assert(c.pos === c.horizon, `after End at step 10 the clock reads "${c.text}"`);
  },
  { needs: [LOADED] },
);

await check(
  'keys: Home goes to step 0',
  async () => {
    await goToStep(page, 10);
    await pressOnBody(page, 'Home');
    await expectStep(page, 0, 'after Home at step 10');
  },
  { needs: [LOADED] },
);

await check(
  'keys: Space starts and stops playback',
  async () => {
    // Not at the end, where there is nothing to play.
    await goToStep(page, 5);
    await pressOnBody(page, 'Space');
    const playing = await poll(
      () => page.locator('.control-bar button[aria-label="Pause"]').count(),
      (n) => n > 0,
    );
    assert(playing > 0, 'Space did not start playback (no Pause button)');
    await sleep(300);
    await pressOnBody(page, 'Space');
    const stopped = await poll(
      () => page.locator('.control-bar button[aria-label="Play"]').count(),
      (n) => n > 0,
    );
    assert(stopped > 0, 'the second Space did not stop playback (no Play button)');
  },
  { needs: [LOADED] },
);

await check(
  'keys: ? opens the shortcut sheet and Escape closes it',
  async () => {
    const sheet = page.locator('[role="dialog"]', { hasText: 'Shortcuts' });
    await pressOnBody(page, '?');
    const open = await poll(() => sheet.isVisible(), (v) => v);
    assert(open, 'no visible [role="dialog"] containing "Shortcuts" after pressing ?');
    await page.keyboard.press('Escape');
    const closed = await poll(() => sheet.isVisible(), (v) => !v);
    assert(!closed, 'the shortcut sheet is still visible after Escape');
  },
  { needs: [LOADED] },
);

await check(
  'keys: typing in the message text field does not step',
  async () => {
    // Mid-run, so that every key could move the step if it leaked out of the field.
    await goToStep(page, 10);
    const p = await pos(page);
    const input = page.locator('input[aria-label="Message text"]');
    await input.click();
    await page.keyboard.type('a b?');
    for (const key of ['ArrowLeft', 'ArrowRight', 'Shift+ArrowLeft', 'Home', 'End', 'PageDown', 'PageUp']) {
      await page.keyboard.press(key);
    }
    await sleep(300);
    const value = await input.inputValue();
    const after = await pos(page);
    const sheet = await page.locator('[role="dialog"]', { hasText: 'Shortcuts' }).isVisible();
    const playing = await page.locator('.control-bar button[aria-label="Pause"]').count();
    assert(value === 'a b?', `the field holds "${value}", expected "a b?"`);
    assert(after === p, `typing moved the step from ${p} to ${after}`);
    assert(!sheet, 'typing ? in the field opened the shortcut sheet');
    assert(playing === 0, 'typing a space in the field started playback');
    await input.fill('');
    await input.blur();
  },
  { needs: [LOADED] },
);

// 4. Crash a node.
let spacetimeBefore = null;
const CRASHED = 'crash n2: the node is drawn crashed';
await check(
  CRASHED,
  async () => {
    await goToStep(page, 8);
    spacetimeBefore = await page.evaluate(() => document.querySelector('svg.spacetime')?.innerHTML ?? null);
    const node = page.locator('svg.cluster g.node[aria-label^="n2"]');
    await node.click();
    // The inspector of the clicked node offers the crash (the fault palette has one too).
    await page.locator('.inspector button', { hasText: /^\s*Crash n2\s*$/ }).click();
    const cls = await poll(() => node.getAttribute('class'), (c) => /\bcrashed\b/.test(c ?? ''));
    assert(/\bcrashed\b/.test(cls ?? ''), `the node's class is "${cls}", without "crashed"`);
    await shot(page, '03-crash.png');
  },
  { needs: [LOADED] },
);
await check(
  'crash n2: the newest log entry mentions it',
  async () => {
    const text = await newestLogEntry(page);
    assert(text !== null, 'the event log is empty');
    assert(/crash(es|ed)?\s+n2\b/i.test(text), `the newest log entry is "${text}"`);
  },
  { needs: [CRASHED] },
);
await check(
  'crash n2: the space-time diagram changed',
  async () => {
    assert(spacetimeBefore !== null, 'there was no svg.spacetime before the crash');
    const arrows = await page.locator('svg.spacetime .st-msg').count();
    assert(arrows > 0, 'svg.spacetime has no .st-msg message arrows');
    const after = await page.evaluate(() => document.querySelector('svg.spacetime')?.innerHTML ?? null);
    assert(after !== null, 'svg.spacetime is gone after the crash');
    assert(after !== spacetimeBefore, 'svg.spacetime is the same before and after the crash');
  },
  { needs: [CRASHED] },
);

// 5. The URL holds the state.
await check(
  'url: the hash holds scenario, step and the actions',
  async () => {
    const p = await pos(page);
    const scenario = await page.locator('select[aria-label="Scenario"]').inputValue();
    // The app may update the URL after rendering: give it a moment.
    const url = await poll(
      () => page.url(),
      (u) => hashState(u).params.get('step') === String(p),
    );
    const { page: name, params } = hashState(url);
    assert(name === 'messaging', `the page is "${name}" in ${url}`);
    assert(params.get('scenario') === scenario, `scenario=${params.get('scenario')} in ${url}, expected ${scenario}`);
    assert(params.get('step') === String(p), `step=${params.get('step')} in ${url}, expected ${p}`);
    if (params.has('seed')) assert(/^\d+$/.test(params.get('seed')), `seed is not a number in ${url}`);
    const actions = params.get('actions');
    assert(actions, `no actions= in ${url} after crashing n2`);
    let decoded;
    try {
      assert(/^[A-Za-z0-9_-]+={0,2}$/.test(actions), 'not base64url');
      decoded = JSON.parse(Buffer.from(actions, 'base64url').toString('utf8'));
    } catch (e) {
      throw new Error(`actions=${actions} is not base64url JSON: ${short(e)}`);
    }
    const json = JSON.stringify(decoded);
    assert(/crash/.test(json) && /n2/.test(json), `the actions ${json} do not hold the crash of n2`);
  },
  { needs: [CRASHED] },
);
await check('url: the Share popover offers "Copy link" with the link to this state', async () => {
  await button(page, 'Share').first().click();
  assert((await button(page, 'Copy link').count()) > 0, 'no button with the text "Copy link"');
  const link = await page.locator('input[aria-label="Link to this step"]').inputValue();
  assert(link === page.url(), `the link shown is ${link}, the page is at ${page.url()}`);
}, { needs: [LOADED] });
await check('embed: the Share popover offers "Copy embed code" with an iframe of this state', async () => {
  assert((await button(page, 'Copy embed code').count()) > 0, 'no button with the text "Copy embed code"');
  const code = await page.locator('textarea[aria-label="Embed code"]').inputValue();
  assert(/^<iframe src="[^"]*[?&]embed[^"]*"/.test(code), `the embed code is ${code}`);
  assert(code.includes(`step=${await pos(page)}`), `the embed code ${code} is not at step ${await pos(page)}`);
  await button(page, 'Close').first().click();
}, { needs: [LOADED] });

const REOPENED = 'url: the link opens in a new context';
let reopened = null;
let original = null;
await check(
  REOPENED,
  async () => {
    original = {
      url: page.url(),
      clock: await clock(page),
      crashed: await crashedNodes(page),
      newest: await newestLogEntry(page),
    };
    const ctx = await newContext();
    reopened = await ctx.newPage();
    await reopened.goto(original.url);
    await waitForApp(reopened);
    await sleep(200);
    await shot(reopened, '04-reopened.png');
  },
  { needs: [CRASHED] },
);
await check(
  'url: reopened at the same step',
  async () => {
    const c = await clock(reopened);
    const o = original.clock;
    assert(
      c.pos === o.pos && c.time === o.time,
      `the clock reads "${c.text}", the original "${o.text}" (${original.url})`,
    );
  },
  { needs: [REOPENED] },
);
await check(
  'url: reopened with the same crashed nodes',
  async () => {
    const got = await crashedNodes(reopened);
    assert(
      JSON.stringify(got) === JSON.stringify(original.crashed),
      `crashed nodes ${JSON.stringify(got)}, the original ${JSON.stringify(original.crashed)}`,
    );
  },
  { needs: [REOPENED] },
);
await check(
  'url: reopened with the same newest log entry',
  async () => {
    const got = await newestLogEntry(reopened);
    assert(got === original.newest, `the newest log entry is "${got}", the original "${original.newest}"`);
  },
  { needs: [REOPENED] },
);
if (reopened) await reopened.context().close();
await story.close();

// A malformed link: a message that says what is wrong, and a page that still works.
{
  const ctx = await newContext();
  const bad = await ctx.newPage();
  const BAD_URL = pageAt('messaging', 'scenario=nope&step=abc&actions=%%%');
  await check('bad url: an alert names the problem', async () => {
    await bad.goto(BAD_URL);
    await waitForApp(bad);
    const alert = bad.locator('[role="alert"]');
    const visible = await poll(() => alert.first().isVisible(), (v) => v);
    assert(visible, `no visible [role="alert"] for ${BAD_URL}`);
    const text = (await alert.allInnerTexts()).join(' ').replace(/\s+/g, ' ').trim();
    assert(/nope|scenario|step|abc|action/i.test(text), `the alert says "${text}", naming none of scenario, step, actions`);
  });
  await check('bad url: the page still works', async () => {
    if (!(await bad.locator('svg.cluster').count())) await bad.goto(BAD_URL);
    await waitForApp(bad);
    const p = await pos(bad);
    await bad.locator('button[aria-label="Step forward"]').click();
    await expectStep(bad, p + 1, 'Step forward after a malformed link');
  });
  await ctx.close();
}

// 2 (performance). The busiest built-in scenario at 8x.
{
  const ctx = await newContext();
  const perf = await ctx.newPage();
  await check('perf: frame time while playing messaging-no-dedup at 8x', async () => {
    await perf.goto(pageAt('messaging'));
    await waitForApp(perf);
    await perf.locator('select[aria-label="Scenario"]').selectOption('messaging-no-dedup');
    await perf.locator('select[aria-label="Playback speed"]').selectOption('8');
    const before = await pos(perf);
    await perf.locator('button[aria-label="Play"]').click();
    // Frame deltas from requestAnimationFrame, counted while the Pause button shows (playing).
    const deltas = await frameTimes(perf, 3000);
    const after = await pos(perf);
    if (await perf.locator('button[aria-label="Pause"]').count()) await perf.locator('button[aria-label="Pause"]').click();
    assert(deltas.length >= 10, `only ${deltas.length} frames while playing (did playback stop at once?)`);
    const sorted = [...deltas].sort((a, b) => a - b);
    const pick = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    const median = pick(0.5);
    const p95 = pick(0.95);
    console.log(
      `frame time: median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (${deltas.length} frames, steps ${before} -> ${after})`,
    );
    assert(median <= 100, `median frame time ${median.toFixed(1)} ms is over 100 ms`);
  });
  await ctx.close();
}

// 6. Embedding.
{
  const ctx = await newContext();
  const em = await ctx.newPage();
  const EMBED_URL = pageAt('messaging', 'scenario=messaging-lossy-link&step=5&embed');
  const SHOWN = 'embed: cluster and control bar shown, no header, no side panel';
  await check(SHOWN, async () => {
    await em.goto(EMBED_URL);
    await waitForApp(em);
    await em.locator('.control-bar').waitFor({ state: 'visible' });
    await sleep(200);
    await shot(em, '05-embed.png');
    const header = await em.locator('.app-header').first().isVisible();
    const side = await em.locator('.side-panel').first().isVisible();
    assert(!header && !side, `visible in embed mode: ${[header && '.app-header', side && '.side-panel'].filter(Boolean).join(', ')}`);
  });
  await check('embed: clock reads step 5', async () => {
    await expectStep(em, 5, EMBED_URL);
  }, { needs: [SHOWN] });
  await check('embed: "Open in dsplay" links to the same state without embed', async () => {
    const link = em.locator('a', { hasText: 'Open in dsplay' });
    assert((await link.count()) > 0, 'no link with the text "Open in dsplay"');
    const href = new URL(await link.first().getAttribute('href'), em.url()).href;
    const target = hashState(href);
    const here = hashState(em.url());
    assert(href.startsWith(BASE), `the link goes to ${href}, outside ${BASE}`);
    assert(target.page === 'messaging', `the link's page is "${target.page}" (${href})`);
    assert(!target.params.has('embed'), `the link keeps embed: ${href}`);
    assert(target.params.get('scenario') === 'messaging-lossy-link', `the link's scenario is ${target.params.get('scenario')} (${href})`);
    assert(target.params.get('step') === '5', `the link's step is ${target.params.get('step')} (${href})`);
    const a = JSON.stringify(paramsObject(target.params));
    const b = JSON.stringify(paramsObject(here.params, ['embed']));
    assert(a === b, `the link's state ${a} differs from the page's ${b}`);
  }, { needs: [SHOWN] });

  // Two embeds of different scenarios on one page (as in a course's notes).
  const two = await ctx.newPage();
  await two.setViewportSize({ width: 1400, height: 900 });
  const A = pageAt('messaging', 'scenario=messaging-lossy-link&step=5&embed');
  const B = pageAt('messaging', 'scenario=messaging-normal&step=3&embed');
  let frames = null;
  const TWO = 'embed: two iframes each show their own state';
  await check(TWO, async () => {
    await two.setContent(`<!DOCTYPE html><html><body style="margin:0;display:flex;gap:8px">
      <iframe id="a" src="${A}" style="width:690px;height:880px;border:1px solid #888"></iframe>
      <iframe id="b" src="${B}" style="width:690px;height:880px;border:1px solid #888"></iframe>
      </body></html>`);
    frames = {
      a: await (await two.locator('iframe#a').elementHandle()).contentFrame(),
      b: await (await two.locator('iframe#b').elementHandle()).contentFrame(),
    };
    await waitForApp(frames.a);
    await waitForApp(frames.b);
    await sleep(200);
    await shot(two, '06-two-iframes.png');
    const [pa, pb] = [await pos(frames.a), await pos(frames.b)];
    assert(pa === 5 && pb === 3, `the iframes show steps ${pa} and ${pb}, expected 5 (${A}) and 3 (${B})`);
  });
  await check('embed: stepping one iframe does not move the other', async () => {
    if (!frames) throw new Error('the iframes did not load');
    const [pa, pb] = [await pos(frames.a), await pos(frames.b)];
    await frames.a.locator('button[aria-label="Step forward"]').click();
    await expectStep(frames.a, pa + 1, 'the first iframe after Step forward');
    await sleep(200);
    const pb2 = await pos(frames.b);
    assert(pb2 === pb, `the second iframe moved from step ${pb} to ${pb2}`);
  });
  await ctx.close();
}

// Presenter mode at 1920x1080, for the screenshot.
{
  const ctx = await newContext({ viewport: { width: 1920, height: 1080 } });
  const pres = await ctx.newPage();
  await check('presenter: the page at 1920x1080 in presenter mode', async () => {
    await pres.goto(pageAt('messaging'));
    await waitForApp(pres);
    for (let i = 0; i < 8; i++) await pres.locator('button[aria-label="Step forward"]').click();
    await pres.evaluate(() => document.documentElement.classList.add('presenter'));
    await sleep(200);
    await shot(pres, '07-presenter.png');
    const px = await pres.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
    assert(px >= 20, `presenter mode: the body's font size is ${px}px, under 20px`);
  });
  await ctx.close();
}

// 6b. The consistent hashing page: from its home card, the ring renders and moves on.
{
  const ctx = await newContext();
  const hp = await ctx.newPage();
  const CARD = 'hashring: the home card opens the page and the ring renders';
  await check(CARD, async () => {
    await hp.goto(BASE);
    await hp.locator('.cards .card', { hasText: 'Consistent hashing' }).first().locator('a').first().click();
    await hp.locator('svg.hashring').waitFor({ state: 'visible', timeout: 15000 });
    const { page: name } = hashState(hp.url());
    assert(name === 'hashring', `the card went to ${hp.url()}`);
  });
  await check(
    'hashring: adding a node migrates keys, narrated step by step',
    async () => {
      await openFresh(hp, pageAt('hashring', 'scenario=hashring-add-node'));
      await hp.locator('svg.hashring').waitFor({ state: 'visible' });
      for (let i = 0; i < 5; i++) await hp.locator('button[aria-label="Step forward"]').click();
      const c = await clock(hp);
      assert(c.pos === 5, `the clock reads "${c.text}", expected step 5`);
      const log = await hp.locator('.event-log .log-entry').allTextContents();
      assert(log.some((t) => /n5/.test(t) && /keys/.test(t)), `no log entry about keys moving to n5: ${log.slice(0, 3).join(' | ')}`);
      await shot(hp, '08-hashring.png');
    },
    { needs: [CARD] },
  );
  await check(
    'files: "Export view (SVG)" saves the ring with the messages in flight',
    async () => {
      // Step 5 of hashring-add-node: keys are being transferred to n5.
      const svg = await exportView(hp);
      assert(/class="hashring"/.test(svg), 'the file has no ring');
      assert(/class="msgs"/.test(svg) && /class="msg /.test(svg), 'the file has no messages in flight');
      assert(/^<\?xml/.test(svg) && /xmlns="http:\/\/www.w3.org\/2000\/svg"/.test(svg), 'not a standalone SVG file');
    },
    { needs: ['hashring: adding a node migrates keys, narrated step by step'] },
  );
  await check(
    'hashring: a key pointed at (keys, then hover) shows its hash and preference list',
    async () => {
      await openFresh(hp, pageAt('hashring', 'scenario=hashring-crash-replicas&step=0'));
      await hp.locator('svg.hashring').waitFor({ state: 'visible' });
      const before = await pos(hp);
      // Keyboard: focus the keys' band, the arrows walk the keys (and do not step).
      await hp.locator('.keys-hit').focus();
      await hp.keyboard.press('ArrowRight');
      await hp.keyboard.press('ArrowRight');
      const card = hp.locator('.probe-card');
      await card.waitFor({ state: 'visible' });
      const text = (await card.allTextContents()).join(' ');
      const key = text.match(/^(k\d+)/)?.[1];
      assert(key, `the card does not start with a key name: ${text}`);
      assert(/hash [0-9a-f]{16} = \d+\.\d°/.test(text), `no hash position in: ${text}`);
      const list = text.match(/preference list: ((?:n\d+(?:, )?)+)/)?.[1]?.split(', ') ?? [];
      assert(list.length === 3 && new Set(list).size === 3, `expected 3 distinct nodes (R = 3) in: ${text}`);
      assert((await pos(hp)) === before, `the arrows on the keys stepped the run to ${await pos(hp)}`);
      assert((await hp.locator('.probe .pref').count()) === 3, 'no line to each of the 3 nodes');
      await hp.keyboard.press('Escape');
      assert((await poll(() => card.count(), (n) => n === 0)) === 0, 'Escape left the key pinned');
      // Pointer: hovering where that key's dot is shows the same key.
      await hp.keyboard.press('ArrowRight');
      await hp.keyboard.press('ArrowRight');
      const spot = await hp.locator('.probe .spot').boundingBox();
      await hp.keyboard.press('Escape');
      await hp.mouse.move(spot.x + spot.width / 2, spot.y + spot.height / 2);
      const hovered = await poll(() => card.allTextContents(), (t) => t.length > 0);
      assert(hovered.join(' ').startsWith(key), `hovering the dot shows ${hovered.join(' ')}, expected ${key}`);
      await hp.mouse.move(5, 5);
      assert((await poll(() => card.count(), (n) => n === 0)) === 0, 'the card stayed after the pointer left');
    },
    { needs: [CARD] },
  );
  await check(
    'hashring: virtual nodes out of range are refused with a message and Set is disabled',
    async () => {
      await openFresh(hp, pageAt('hashring', 'scenario=hashring-vnodes&step=0'));
      await hp.locator('svg.hashring').waitFor({ state: 'visible' });
      const field = hp.locator('input[aria-label="Virtual nodes per node"]');
      await field.fill('0');
      const err = (await hp.locator('.command-form .form-error').first().textContent()) ?? '';
      assert(/Virtual nodes/.test(err) && /1 to 500/.test(err), `the error reads "${err}"`);
      const set = hp.locator('.command-form button[type="submit"]', { hasText: /^Set/ }).first();
      assert(await set.isDisabled(), 'Set is enabled for 0 virtual nodes');
      await field.fill('600');
      assert(await set.isDisabled(), 'Set is enabled for 600 virtual nodes');
      await expectStep(hp, 0, 'after refused input');
      await field.fill('20');
      assert(!(await set.isDisabled()), 'Set stays disabled for 20');
    },
    { needs: [CARD] },
  );
  // Measured, printed: the page at the issue's size (64 nodes x 200 virtual nodes, 10,000
  // keys): the main-thread time of adding a node (the ring rebuilt, every key placed again,
  // the migration planned and drawn) and of each step through the migration after it.
  await check('perf: consistent hashing at 64 nodes x 200 virtual nodes x 10,000 keys', async () => {
    const scenario = {
      version: 1, algorithm: 'hashring', title: 'Stress: 64 nodes', seed: 1,
      params: { nodes: 64, spare: 2, vnodes: 200, keys: 10000, replicas: 1 }, run: { steps: 0 },
    };
    const custom = Buffer.from(JSON.stringify(scenario)).toString('base64url');
    await openFresh(hp, pageAt(`hashring`, `custom=${custom}`));
    await hp.locator('svg.hashring').waitFor({ state: 'visible' });
    const cdp = await ctx.newCDPSession(hp);
    await cdp.send('Performance.enable');
    const busy = async () => {
      const m = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
      return (m.ScriptDuration + m.RecalcStyleDuration + m.LayoutDuration) * 1000;
    };
    // One action, then let the page settle (the URL is written a moment later).
    const timed = async (act) => {
      const t0 = await busy();
      await act();
      await sleep(250);
      return (await busy()) - t0;
    };
    const add = await timed(() => hp.locator('button', { hasText: /^Add n6/ }).first().click());
    const start = await pos(hp);
    assert(start === 1, `adding a node made the run ${start} steps long, expected 1`);
    const steps = [];
    for (let i = 0; i < 12; i++) steps.push(await timed(() => hp.keyboard.press('ArrowRight')));
    // A step's own work: the script (the core step and the page rendered again, which
    // Yew finishes within the microtasks after the key) and the style and layout it causes.
    const parts = [];
    for (let i = 0; i < 12; i++) {
      parts.push(await hp.evaluate(async () => {
        const t0 = performance.now();
        document.body.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true, cancelable: true }));
        for (let k = 0; k < 20; k++) await Promise.resolve();
        const t1 = performance.now();
        void document.body.offsetHeight;
        return [t1 - t0, performance.now() - t1];
      }));
      await sleep(60);
    }
    const end = await pos(hp);
    assert(end === 25, `24 steps forward ended at step ${end}`);
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const script = median(parts.map((p) => p[0]));
    const layout = median(parts.map((p) => p[1]));
    const whole = median(parts.map((p) => p[0] + p[1]));
    console.log(
      `hashring 64x200x10k: a step's script ${script.toFixed(1)} ms + style and layout ${layout.toFixed(1)} ms (median of 12; whole median ${whole.toFixed(1)} ms, budget 16 ms)`,
    );
    steps.sort((a, b) => a - b);
    // Then play the rest of the migration and time the frames.
    await hp.locator('select[aria-label="Playback speed"]').selectOption('2');
    await hp.locator('button[aria-label="Play"]').click();
    const deltas = await frameTimes(hp, 2000);
    assert(deltas.length >= 10, `only ${deltas.length} frames while playing`);
    if (await hp.locator('button[aria-label="Pause"]').count()) await hp.locator('button[aria-label="Pause"]').click();
    assert((await pos(hp)) > end, 'playing did not move the run on');
    deltas.sort((a, b) => a - b);
    console.log(
      `hashring 64x200x10k: add node ${add.toFixed(1)} ms; one step and its 250 ms of animation: median ${steps[6].toFixed(1)} ms, max ${steps[11].toFixed(1)} ms (script + style + layout); playing at 2x: frame median ${deltas[deltas.length >> 1].toFixed(1)} ms, p95 ${deltas[Math.floor(deltas.length * 0.95)].toFixed(1)} ms`,
    );
  }, { needs: [CARD] });
  await ctx.close();
}

// 6c. The distributed transactions page: lanes render, 3PC's partition violates AC1 in a
// few clicks, bad input is refused, and a scenario embeds.
{
  const ctx = await newContext();
  const tp = await ctx.newPage();
  const CARD = 'transactions: the home card opens the page and the lanes render';
  await check(CARD, async () => {
    await tp.goto(BASE);
    await tp.locator('.cards .card', { hasText: 'Distributed transactions' }).first().locator('a').first().click();
    await tp.locator('.txn-view').waitFor({ state: 'visible', timeout: 15000 });
    const { page: name } = hashState(tp.url());
    assert(name === 'transactions', `the card went to ${tp.url()}`);
  });
  await check(
    'transactions: the 2PC coordinator crash shows participants blocked',
    async () => {
      await openFresh(tp, pageAt('transactions', 'scenario=txn-2pc-coord-crash&step=20'));
      await tp.locator('svg.txn').waitFor({ state: 'visible' });
      const alert = await tp.locator('.txn-alerts li.blocked').first().textContent();
      assert(/blocked: voted YES, coordinator down since t=165/.test(alert ?? ''), `the alert reads "${alert}"`);
      const lanes = await tp.locator('svg.txn .lane').count();
      assert(lanes === 4, `${lanes} lanes, expected 4`);
      // Selecting a process highlights its state in the state diagram.
      await tp.locator('svg.txn .lane-label[aria-label^="n2:"]').click();
      const current = await tp.locator('svg.txn .sbox.current .sname').textContent();
      assert(/READY/.test(current ?? ''), `the diagram highlights "${current}" for n2`);
      await shot(tp, '09-transactions-blocked.png');
    },
    { needs: [CARD] },
  );
  await check(
    'transactions: "Export view (SVG)" saves the lanes',
    async () => {
      const svg = await exportView(tp);
      assert(/class="txn"/.test(svg) && /class="lane/.test(svg), 'the file has no lanes');
    },
    { needs: ['transactions: the 2PC coordinator crash shows participants blocked'] },
  );
  await check(
    'transactions: the 3PC partition preset violates AC1 in two clicks',
    async () => {
      await openFresh(tp, pageAt('transactions', 'scenario=txn-3pc-coord-crash'));
      await tp.locator('svg.txn').waitFor({ state: 'visible' });
      assert(/No transaction yet/.test(await tp.locator('.txn-phase').textContent()), 'step 0 says no transaction yet');
      await button(tp, 'Partition once PRECOMMIT reaches one participant').click();
      await tp.locator('.preset-msg').waitFor({ state: 'visible' });
      await tp.locator('button[aria-label="Go to the end"]').click();
      const v = tp.locator('.txn-alerts li.violation');
      await v.waitFor({ state: 'visible' });
      const text = await v.textContent();
      assert(/AC1 violated/.test(text ?? ''), `the alert reads "${text}"`);
      await shot(tp, '10-transactions-3pc-partition.png');
    },
    { needs: [CARD] },
  );
  await check(
    'transactions: malformed writes are refused with a message',
    async () => {
      const input = tp.locator('input[aria-label="Values the transaction writes"]');
      await input.fill('x');
      const err = await tp.locator('.txn-panel .form-error').textContent();
      assert(/key=value/.test(err ?? ''), `the error reads "${err}"`);
      const disabled = await button(tp, 'Run a transaction').isDisabled();
      assert(disabled, 'the Run button is enabled with malformed writes');
      await input.fill('x=7');
      assert(!(await button(tp, 'Run a transaction').isDisabled()), 'the Run button stays disabled');
    },
    { needs: [CARD] },
  );
  await check(
    'transactions: a scenario embeds at a chosen step',
    async () => {
      await openFresh(tp, pageAt('transactions', 'scenario=txn-2pc-happy&step=12&embed'));
      await tp.locator('.app-shell.embed svg.txn').waitFor({ state: 'visible' });
      await expectStep(tp, 12, 'the embed');
    },
    { needs: [CARD] },
  );
  await ctx.close();
}

// 6c. The distributed locks page: the lesson in a few clicks. Pause the holder of a lease
// lock past its TTL: its stale write is accepted out of token order; tick fencing: the stale
// write is rejected and the token order (what fencing promises) holds.
{
  const ctx = await newContext();
  const lp = await ctx.newPage();
  const CARD = 'locks: the home card opens the page and the timeline renders';
  const meStatus = () =>
    lp.locator('.invariants li', { hasText: 'Fenced order' }).locator('.prop-status').textContent();
  await check(CARD, async () => {
    await lp.goto(BASE);
    await lp.locator('.cards .card', { hasText: 'Distributed locks' }).first().locator('a').first().click();
    await lp.locator('svg.locks').waitFor({ state: 'visible', timeout: 15000 });
    const { page: name } = hashState(lp.url());
    assert(name === 'locks', `the card went to ${lp.url()}`);
  });
  await check(
    'locks: pausing the holder past the TTL breaks the token order; fencing rejects the stale write',
    async () => {
      await openFresh(lp, pageAt('locks', 'scenario=locks-lease-try'));
      await lp.locator('svg.locks').waitFor({ state: 'visible' });
      const pause = lp.locator('button.pause-holder');
      assert(await pause.isDisabled(), 'the pause button is enabled before anyone holds the lock');
      for (let i = 0; i < 12; i++) await lp.locator('button[aria-label="Step forward"]').click();
      await expectStep(lp, 12, 'stepping to c1 holding the lock');
      assert(!(await pause.isDisabled()), 'the pause button stays disabled while c1 holds the lock');
      await pause.click();
      await poll(() => lp.locator('svg.locks .chip.paused').count(), (n) => n === 1);
      await lp.locator('button[aria-label="Go to the end"]').first().click();
      const st = await poll(meStatus, (t) => /violated/.test(t ?? ''));
      assert(/violated/.test(st ?? ''), `after the pause, fenced order reads "${st}"`);
      assert((await lp.locator('svg.locks .violation-mark').count()) > 0, 'no violation mark on the timeline');
      await shot(lp, '09-locks-violation.png');
      // The same run with fencing tokens (the pause is kept).
      await lp.locator('.locks-panel label.check', { hasText: 'Fencing' }).locator('input').check();
      // The rerun comes back to the step we were at (the end): End makes sure of it.
      await pressOnBody(lp, 'End');
      const st2 = await poll(meStatus, (t) => /holds/.test(t ?? ''));
      assert(/holds/.test(st2 ?? ''), `with fencing, fenced order reads "${st2}"`);
      const rejected = await lp.locator('svg.locks .log-line.rejected').count();
      assert(rejected > 0, 'with fencing, the storage log shows no rejected write');
      await shot(lp, '10-locks-fencing.png');
    },
    { needs: [CARD] },
  );
  await check(
    'locks: "Export view (SVG)" saves the timeline',
    async () => {
      const svg = await exportView(lp);
      assert(/class="locks"/.test(svg) && /Who believes they hold the lock/.test(svg), 'the file has no timeline');
    },
    { needs: [CARD] },
  );
  await check(
    'locks: a parameter out of range is refused and the page keeps its state',
    async () => {
      const before = await lp.locator('svg.locks .row').count();
      const field = lp.locator('.lock-params input[aria-label="clients"]');
      await field.fill('40');
      await lp.locator('.lock-params button[type="submit"]').click();
      const err = await lp.locator('.locks-panel .form-error').textContent();
      assert(/clients/.test(err ?? '') && /1 to 12/.test(err ?? ''), `the error reads "${err}"`);
      assert((await lp.locator('svg.locks .row').count()) === before, 'the timeline changed');
    },
    { needs: [CARD] },
  );
  await ctx.close();
}

// 6c. The Raft page: from its home card; a scenario from the URL; a server clicked and
// crashed from the side panel; the Figure 8 scenario marks its violation.
{
  const ctx = await newContext();
  const rp = await ctx.newPage();
  const CARD = 'raft: the home card opens the page and the servers render';
  await check(CARD, async () => {
    await rp.goto(BASE);
    await rp.locator('.cards .card', { hasText: 'Raft' }).first().locator('a').first().click();
    await rp.locator('svg.raft').waitFor({ state: 'visible', timeout: 15000 });
    const { page: name } = hashState(rp.url());
    assert(name === 'raft', `the card went to ${rp.url()}`);
    const servers = await rp.locator('svg.raft .server').count();
    assert(servers === 5, `${servers} servers drawn, expected 5`);
  });
  await check(
    'raft: a server is elected, then crashing it from the panel is narrated',
    async () => {
      await openFresh(rp, pageAt('raft', 'scenario=raft-first-election&step=40'));
      await rp.locator('svg.raft').waitFor({ state: 'visible' });
      const status = await rp.locator('svg.raft .cluster-status').textContent();
      assert(/leader n\d · term 1/.test(status), `the view says "${status}"`);
      await rp.locator('svg.raft .server.leader').first().click();
      const crash = rp.locator('.raft-panel button', { hasText: /^Crash n\d$/ });
      await crash.waitFor({ state: 'visible' });
      await crash.click();
      await rp.locator('button[aria-label="Step forward"]').click();
      await rp.locator('svg.raft .server.crashed').first().waitFor({ state: 'visible' });
      const log = await rp.locator('.event-log .log-entry').allTextContents();
      assert(log.some((t) => /crash n\d/.test(t)), `no log entry about the crash: ${log.slice(0, 3).join(' | ')}`);
      await shot(rp, '09-raft.png');
    },
    { needs: [CARD] },
  );
  await check(
    'raft: "Export view (SVG)" saves the servers',
    async () => {
      const svg = await exportView(rp);
      assert(/class="raft cluster"/.test(svg) && /class="node server/.test(svg), 'the file has no servers');
    },
    { needs: ['raft: a server is elected, then crashing it from the panel is narrated'] },
  );
  await check(
    'raft: Figure 8 with the unsafe rule shows the State Machine Safety violation',
    async () => {
      await openFresh(rp, pageAt('raft', 'scenario=raft-figure8-unsafe&step=200'));
      await rp.locator('svg.raft').waitFor({ state: 'visible' });
      await rp.locator('svg.raft .unsafe-flag').waitFor({ state: 'visible' });
      const panel = await rp.locator('.side-panel').textContent();
      assert(/State Machine Safety/.test(panel) && /violated/i.test(panel), 'the invariant panel does not show the violation');
    },
    { needs: [CARD] },
  );
  await check(
    'raft: 12 servers are refused with a message, the page keeps its state; 3 servers fit the scenario',
    async () => {
      await openFresh(rp, pageAt('raft', 'scenario=raft-partition&step=20'));
      await rp.locator('svg.raft').waitFor({ state: 'visible' });
      const field = rp.locator('.raft-panel input[aria-label="Number of servers"]');
      await field.fill('12');
      await field.dispatchEvent('change');
      const alert = rp.locator('[role="alert"]');
      await alert.first().waitFor({ state: 'visible' });
      const text = (await alert.allInnerTexts()).join(' ');
      assert(/3 to 9 servers/.test(text) && /12/.test(text), `the alert says "${text}"`);
      assert((await rp.locator('svg.raft .server').count()) === 5, 'the servers changed');
      await expectStep(rp, 20, 'after the refusal');
      assert((await field.inputValue()) === '5', `the field shows ${await field.inputValue()}, not the servers in use`);
      await field.fill('3');
      await field.dispatchEvent('change');
      assert((await poll(() => rp.locator('svg.raft .server').count(), (n) => n === 3)) === 3, 'not 3 servers');
      const note = (await rp.locator('.scenario-text .fit-note').textContent()) ?? '';
      assert(/left out|leaves out/.test(note) && /n4/.test(note), `no note about what was left out: "${note}"`);
    },
    { needs: [CARD] },
  );
  await ctx.close();
}

// 6d. The Paxos page: from its home card; the happy path plays until 'x' is chosen and the
// view names the step; crashing two acceptors from the fault palette leaves nothing chosen;
// a share link reopens the same state; a value accepted by a minority is drawn apart from a
// chosen one; dueling proposers show a livelock, not a violation.
{
  const ctx = await newContext();
  const xp = await ctx.newPage();
  const CARD = 'paxos: the home card opens the page and the roles render';
  await check(CARD, async () => {
    await xp.goto(BASE);
    await xp.locator('.cards .card', { hasText: 'Paxos' }).first().locator('a').first().click();
    await xp.locator('svg.paxos').waitFor({ state: 'visible', timeout: 15000 });
    const { page: name } = hashState(xp.url());
    assert(name === 'paxos', `the card went to ${xp.url()}`);
    const [p, a, l] = await Promise.all(['proposer', 'acceptor', 'learner'].map((r) => xp.locator(`svg.paxos .pnode.${r}`).count()));
    assert(p === 2 && a === 3 && l === 1, `${p} proposers, ${a} acceptors, ${l} learners drawn`);
  });
  await check(
    'paxos: the happy path plays until \'x\' is chosen, and the view names the step',
    async () => {
      await openFresh(xp, pageAt('paxos', 'scenario=paxos-happy&step=0'));
      await xp.locator('svg.paxos').waitFor({ state: 'visible' });
      assert((await xp.locator('svg.paxos .cluster-status').textContent()) === 'nothing chosen yet', 'something is chosen at step 0');
      await xp.locator('.control-bar button', { hasText: /Play/ }).first().click();
      const status = await poll(() => xp.locator('svg.paxos .cluster-status').textContent(), (t) => /chosen at step \d+/.test(t ?? ''), 15000);
      assert(/^'x' chosen at step \d+$/.test(status ?? ''), `the view says "${status}"`);
      const mark = await xp.locator('svg.paxos .chosen-mark').first().textContent();
      assert(/✓ 'x' chosen at step \d+/.test(mark ?? ''), `the chosen row reads "${mark}"`);
      await shot(xp, '10-paxos.png');
    },
    { needs: [CARD] },
  );
  await check(
    'paxos: crashing two of three acceptors from the fault palette leaves nothing chosen',
    async () => {
      await openFresh(xp, pageAt('paxos', 'scenario=paxos-happy&step=2'));
      await xp.locator('svg.paxos').waitFor({ state: 'visible' });
      for (const n of ['n3', 'n4']) {
        await xp.locator('.faults .node-row button', { hasText: new RegExp(`^Crash ${n}$`) }).first().click();
      }
      await xp.locator('button[aria-label="Step forward"]').click();
      await xp.locator('svg.paxos .pnode.crashed').nth(1).waitFor({ state: 'visible' });
      const crashed = await xp.locator('svg.paxos .acceptor-row .row-name.down').count();
      assert(crashed === 2, `${crashed} acceptor rows are marked down in the grid, not 2`);
      await pressOnBody(xp, 'End');
      await sleep(300);
      const status = await xp.locator('svg.paxos .cluster-status').textContent();
      assert(status === 'nothing chosen yet', `with a majority of acceptors down the view says "${status}"`);
    },
    { needs: [CARD] },
  );
  await check(
    'paxos: a share link reopens the same state',
    async () => {
      await openFresh(xp, pageAt('paxos', 'scenario=paxos-late-proposer&step=19'));
      await xp.locator('svg.paxos').waitFor({ state: 'visible' });
      await xp.locator('.faults .node-row button', { hasText: /^Crash n5$/ }).first().click();
      await button(xp, 'Share').first().click();
      const link = await xp.locator('input[aria-label="Link to this step"]').inputValue();
      await xp.keyboard.press('Escape');
      const before = { step: await pos(xp), grid: await xp.locator('svg.paxos .slot-grid').textContent(), box: await xp.locator('svg.paxos .proposers-box').textContent() };
      const other = await ctx.newPage();
      await other.goto(link);
      await other.locator('svg.paxos').waitFor({ state: 'visible', timeout: 15000 });
      await expectStep(other, await pos(xp), 'the reopened link');
      const after = { step: await pos(other), grid: await other.locator('svg.paxos .slot-grid').textContent(), box: await other.locator('svg.paxos .proposers-box').textContent() };
      assert(JSON.stringify(before) === JSON.stringify(after), `the link shows another state: ${JSON.stringify(after).slice(0, 200)}`);
      assert(/bound to 'x'/.test(after.box ?? ''), `the proposers' box reads "${after.box}"`);
      await other.close();
    },
    { needs: [CARD] },
  );
  await check(
    'paxos: accepted by a minority is drawn apart from chosen; dueling proposers show a livelock, not a violation',
    async () => {
      await openFresh(xp, pageAt('paxos', 'scenario=paxos-minority-accepted&step=15'));
      await xp.locator('svg.paxos').waitFor({ state: 'visible' });
      const minority = await xp.locator('svg.paxos .accepted.minority').allTextContents();
      assert(minority.some((t) => /'x'/.test(t) && /minority/.test(t)), `the minority cells read ${JSON.stringify(minority)}`);
      assert((await xp.locator('svg.paxos .accepted.chosen').count()) === 0, 'a minority-accepted value is drawn chosen');
      await openFresh(xp, pageAt('paxos', 'scenario=paxos-dueling&step=40'));
      await xp.locator('svg.paxos .livelock').waitFor({ state: 'visible' });
      const badge = await xp.locator('svg.paxos .livelock').textContent();
      assert(/Livelock/.test(badge) && /liveness, not safety/.test(badge), `the badge reads "${badge}"`);
      const panel = await xp.locator('.side-panel').textContent();
      assert(!/violated/i.test(panel), 'the livelock is shown as a violation');
      await shot(xp, '11-paxos-livelock.png');
    },
    { needs: [CARD] },
  );
  await ctx.close();
}

// Chord: the home card opens the page and the circle renders; the lookups scenario shows the
// same lookup in 7 hops along successors, then in a few by fingers; failing a node from the
// fault palette changes the run; a share link reopens the same state.
{
  const ctx = await newContext();
  const xp = await ctx.newPage();
  const CARD = 'chord: the home card opens the page and the circle renders';
  await check(CARD, async () => {
    await xp.goto(BASE);
    await xp.locator('.cards .card', { hasText: 'Chord' }).first().locator('a').first().click();
    await xp.locator('svg.chord').waitFor({ state: 'visible', timeout: 15000 });
    const { page: name } = hashState(xp.url());
    assert(name === 'chord', `the card went to ${xp.url()}`);
    const nodes = await xp.locator('svg.chord .cnode').count();
    assert(nodes >= 2, `${nodes} nodes drawn`);
  });
  await check(
    'chord: a lookup along successors takes 7 hops, the same one by fingers far fewer, in the hop chart',
    async () => {
      await openFresh(xp, pageAt('chord', 'scenario=chord-lookups&step=0'));
      await xp.locator('svg.chord').waitFor({ state: 'visible' });
      assert((await xp.locator('svg.chord .hop-chart .bar').count()) === 0, 'a lookup has ended at step 0');
      await xp.locator('.control-bar button', { hasText: /Play/ }).first().click();
      await poll(() => xp.locator('svg.chord .hop-chart .bar').count(), (n) => n >= 1, 15000);
      await pressOnBody(xp, 'End');
      await sleep(300);
      const hops = await xp.locator('svg.chord .hop-chart .bar .n').allTextContents();
      assert(hops.length === 7, `the chart has ${hops.length} lookups, not 7`);
      assert(hops.slice(0, 3).includes('7'), `the lookups along successors took ${hops.slice(0, 3)} hops (key 54 from n2: 7)`);
      assert(hops.slice(3).every((h) => Number(h) <= 3), `the lookups by fingers took ${hops.slice(3)} hops`);
      const words = await xp.locator('svg.chord .path-words').textContent();
      assert(/lookup 7 of .*24.*→ n\d+ in \d+ hops?/.test(words ?? ''), `the path reads "${words}"`);
      assert((await xp.locator('svg.chord .lookup-path .hop').count()) >= 1, 'no hop of the path is drawn');
      await shot(xp, '12-chord.png');
    },
    { needs: [CARD] },
  );
  await check(
    'chord: failing a node from the fault palette takes it out of the ring',
    async () => {
      await openFresh(xp, pageAt('chord', 'scenario=chord-lookups&step=2'));
      await xp.locator('svg.chord').waitFor({ state: 'visible' });
      const before = await xp.locator('svg.chord .cluster-status').textContent();
      assert(/^10 nodes in the ring/.test(before ?? ''), `before: "${before}"`);
      await xp.locator('.faults .node-row button', { hasText: /^Crash n6$/ }).first().click();
      await xp.locator('button[aria-label="Step forward"]').click();
      await xp.locator('svg.chord .cnode.crashed').first().waitFor({ state: 'visible' });
      await pressOnBody(xp, 'End');
      await sleep(300);
      const after = await xp.locator('svg.chord .cluster-status').textContent();
      assert(/^9 nodes in the ring · one ring/.test(after ?? ''), `after the failure: "${after}"`);
    },
    { needs: [CARD] },
  );
  await check(
    'chord: a share link reopens the same state',
    async () => {
      await openFresh(xp, pageAt('chord', 'scenario=chord-join&step=300'));
      await xp.locator('svg.chord').waitFor({ state: 'visible' });
      await button(xp, 'Share').first().click();
      const link = await xp.locator('input[aria-label="Link to this step"]').inputValue();
      await xp.keyboard.press('Escape');
      const state = (p) => Promise.all([pos(p), p.locator('svg.chord .finger-table').textContent(), p.locator('svg.chord .stab-state').textContent()]);
      const before = await state(xp);
      const other = await ctx.newPage();
      await other.goto(link);
      await other.locator('svg.chord').waitFor({ state: 'visible', timeout: 15000 });
      await expectStep(other, await pos(xp), 'the reopened link');
      const after = await state(other);
      assert(JSON.stringify(before) === JSON.stringify(after), `the link shows another state: ${JSON.stringify(after).slice(0, 200)}`);
      await other.close();
    },
    { needs: [CARD] },
  );
  await ctx.close();
}

// Key-value store: the home card opens the page and the partition table renders; a
// scenario played to its end fills the history lanes; crashing a partition's leader from the
// fault palette marks it crashed in the table; a share link reopens the same state.
{
  const ctx = await newContext();
  const xp = await ctx.newPage();
  const CARD = 'kvstore: the home card opens the page and the partition table renders';
  await check(CARD, async () => {
    await xp.goto(BASE);
    await xp.locator('.cards .card', { hasText: 'key-value' }).first().locator('a').first().click();
    await xp.locator('svg.kvstore').waitFor({ state: 'visible', timeout: 15000 });
    const { page: name } = hashState(xp.url());
    assert(name === 'kvstore', `the card went to ${xp.url()}`);
    const rows = await xp.locator('svg.kvstore .kv-row').count();
    assert(rows >= 1, `${rows} partitions drawn`);
  });
  await check(
    'kvstore: playing a scenario fills the history lanes, one bar per operation',
    async () => {
      await openFresh(xp, pageAt('kvstore', 'scenario=kv-async-failover&seed=3&step=0'));
      await xp.locator('svg.kvstore').waitFor({ state: 'visible' });
      await xp.locator('.control-bar button', { hasText: /Play/ }).first().click();
      await poll(() => xp.locator('svg.kvstore .history-lanes .op').count(), (n) => n >= 1, 15000);
      await pressOnBody(xp, 'End');
      await sleep(300);
      const ops = await xp.locator('svg.kvstore .history-lanes .op').count();
      const title = await xp.locator('svg.kvstore .history-title').textContent();
      assert(new RegExp(`^History: ${ops} operations`).test(title ?? ''), `${ops} bars, the title says "${title}"`);
      await shot(xp, '13-kvstore.png');
    },
    { needs: [CARD] },
  );
  await check(
    'kvstore: crashing a leader from the fault palette marks it crashed in the partition table',
    async () => {
      await openFresh(xp, pageAt('kvstore', 'scenario=kv-async-failover&seed=3&step=2'));
      await xp.locator('svg.kvstore').waitFor({ state: 'visible' });
      const leader = await xp.locator('svg.kvstore .chip.leader').first().getAttribute('data-node');
      await xp.locator('.faults .node-row button', { hasText: new RegExp(`^Crash ${leader}$`) }).first().click();
      await xp.locator('button[aria-label="Step forward"]').click();
      await xp.locator('svg.kvstore .chip.down').first().waitFor({ state: 'visible' });
    },
    { needs: [CARD] },
  );
  await check(
    'kvstore: a share link reopens the same state',
    async () => {
      await openFresh(xp, pageAt('kvstore', 'scenario=kv-quorum&seed=4&step=200'));
      await xp.locator('svg.kvstore').waitFor({ state: 'visible' });
      await button(xp, 'Share').first().click();
      const link = await xp.locator('input[aria-label="Link to this step"]').inputValue();
      await xp.keyboard.press('Escape');
      const state = (p) => Promise.all([pos(p), p.locator('svg.kvstore').textContent()]);
      const before = await state(xp);
      const other = await ctx.newPage();
      await other.goto(link);
      await other.locator('svg.kvstore').waitFor({ state: 'visible', timeout: 15000 });
      await expectStep(other, await pos(xp), 'the reopened link');
      const after = await state(other);
      assert(JSON.stringify(before) === JSON.stringify(after), `the link shows another state: ${JSON.stringify(after).slice(0, 200)}`);
      await other.close();
    },
    { needs: [CARD] },
  );
  await ctx.close();
}

// 7. Every page as a lecturer projects it and as a documentation author embeds it: at
// 1280x720 and in presenter mode at 1920x1080 the view is drawn, nothing is wider than the
// window and the type is large enough; embedded at 800x520 only the view and the control bar
// remain, at the step the link names. Screenshots: 20-<page>-1280x720.png,
// 21-<page>-presenter.png, 22-<page>-embed.png.
{
  const PAGES = [
    ['messaging', 'messaging-partition-heal', 10, 'svg.cluster'],
    ['hashring', 'hashring-add-node', 8, 'svg.hashring'],
    ['locks', 'locks-lease-pause', 30, 'svg.locks'],
    ['transactions', 'txn-3pc-partition', 25, 'svg.txn'],
    ['raft', 'raft-partition', 80, 'svg.raft'],
    ['paxos', 'paxos-multi-failover', 130, 'svg.paxos'],
    ['chord', 'chord-failure', 250, 'svg.chord'],
    ['kvstore', 'kv-async-failover', 200, 'svg.kvstore'],
  ];
  /** How far the page is wider than the window (px); 0 when nothing scrolls sideways. */
  const overflow = (page) =>
    page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
  for (const [name, scenario, step, view] of PAGES) {
    const url = pageAt(`${name}`, `scenario=${scenario}&step=${step}`);
    const sizes = [
      ['1280x720', { width: 1280, height: 720 }, false],
      ['presenter', { width: 1920, height: 1080 }, true],
    ];
    for (const [label, viewport, presenter] of sizes) {
      const ctx = await newContext({ viewport });
      const page = await ctx.newPage();
      await check(`layout: ${name} at ${label}: the view is drawn and nothing scrolls sideways`, async () => {
        // A new context: this is a fresh load, as a link opened in a new tab.
        await page.goto(url);
        await page.locator(view).first().waitFor({ state: 'visible', timeout: 15000 });
        await expectStep(page, step, 'the page');
        if (presenter) {
          await page.locator('.app-header button', { hasText: /^Presenter$/ }).click();
          await poll(() => page.evaluate(() => document.documentElement.classList.contains('presenter')), (v) => v);
          const px = await page.evaluate(() => parseFloat(getComputedStyle(document.body).fontSize));
          assert(px >= 20, `presenter mode: the body's font size is ${px}px, under 20px`);
        }
        await sleep(300);
        const box = await page.locator(view).first().boundingBox();
        assert(box && box.width >= 300 && box.height >= 200, `the view is ${box ? `${box.width}x${box.height}` : 'not laid out'}`);
        assert(box.x >= 0 && box.x + box.width <= viewport.width + 1, `the view runs from x=${box.x} to ${box.x + box.width}`);
        const wide = await overflow(page);
        assert(wide === 0, `the page is ${wide}px wider than the window`);
        await shot(page, `${presenter ? '21' : '20'}-${name}-${label}.png`);
      });
      await ctx.close();
    }
    const ctx = await newContext({ viewport: { width: 800, height: 520 } });
    const page = await ctx.newPage();
    await check(`embed: ${name} opens embedded at step ${step} with only the view and the controls`, async () => {
      await page.goto(`${url}&embed`);
      await page.locator(`.app-shell.embed ${view}`).first().waitFor({ state: 'visible', timeout: 15000 });
      await expectStep(page, step, 'the embed');
      const header = await page.locator('.app-header').isVisible().catch(() => false);
      const side = await page.locator('.side-panel').isVisible().catch(() => false);
      assert(!header && !side, `visible in embed mode: ${[header && '.app-header', side && '.side-panel'].filter(Boolean).join(', ')}`);
      assert(await page.locator('.control-bar').isVisible(), 'no control bar');
      const wide = await overflow(page);
      assert(wide === 0, `the embed is ${wide}px wider than the frame`);
      await page.locator('button[aria-label="Step forward"]').click();
      await expectStep(page, step + 1, 'a step in the embed');
      await shot(page, `22-${name}-embed.png`);
    });
    await ctx.close();
  }
}

// 8. Native equals wasm on what ships: a run with a random fault schedule, user actions and
// a fork, done in the page (the release bundle), exported, and run again by the command line.
{
  /** A small seeded generator (mulberry32), so that a failure can be replayed by its seed. */
  const rng = (seed) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dsplay-e2e-'));
  const cli = process.env.DSPLAY_CLI || path.join(HERE, '..', 'target', 'debug', 'dsplay');
  const CASES = [
    ['messaging', 'messaging-normal', 11],
    ['hashring', 'hashring-crash-replicas', 12],
    ['locks', 'locks-queue', 13],
    ['transactions', 'txn-2pc-happy', 14],
    ['raft', 'raft-first-election', 15],
    ['paxos', 'paxos-happy', 16],
    ['chord', 'chord-lookups', 17],
    ['kvstore', 'kv-quorum', 18],
  ];
  const ctx = await newContext();
  const page = await ctx.newPage();
  for (const [name, id, seed] of CASES) {
    await check(
      `native = wasm: ${name} with random faults, your actions and a fork: the command line, given the page's link, writes the same trace`,
      async () => {
        const random = rng(seed);
        const pick = (list) => list[Math.floor(random() * list.length)];
        // Each case is another page's document: a plain load.
        await page.goto(pageAt(name, `scenario=${id}&step=0`));
        await page.locator('.app-view svg[data-view]').first().waitFor({ state: 'visible', timeout: 15000 });
        const nodes = (await page.locator('.faults .node-row .node-name').allTextContents()).map((t) => t.trim().split(/[\s,]/)[0]);
        assert(nodes.length >= 2, `the fault palette lists ${nodes.length} nodes`);
        // The built-in scenario with a random fault schedule of its own, each fault undone.
        const scenario = JSON.parse(await (await page.request.get(`${BASE}scenarios/${id}.json`)).text());
        scenario.title = `${scenario.title}, random faults (seed ${seed})`;
        scenario.seed = seed;
        const faults = [];
        for (let i = 0; i < 4; i++) {
          const start = 1 + Math.floor(random() * 150);
          const end = start + 1 + Math.floor(random() * 200);
          const node = pick(nodes);
          const kind = pick(['crash', 'pause', 'partition', 'loss']);
          if (kind === 'crash') faults.push([start, { crash: { node } }], [end, { restart: { node } }]);
          if (kind === 'pause') faults.push([start, { pause: { node } }], [end, { resume: { node } }]);
          if (kind === 'partition') faults.push([start, { partition: { groups: [[node]] } }], [end, 'heal']);
          if (kind === 'loss') faults.push([start, { network: { loss: 0.3 } }], [end, { network: { loss: 0 } }]);
        }
        scenario.actions = [...(scenario.actions ?? []), ...faults.map(([at, action]) => ({ at, action }))];
        await page.locator('.app-header button', { hasText: /^Files$/ }).click();
        await page.locator('#import-file').setInputFiles({
          name: `${id}-random.json`,
          mimeType: 'application/json',
          buffer: Buffer.from(JSON.stringify(scenario)),
        });
        const title = await poll(() => page.locator('.scenario-text').first().textContent(), (t) => (t ?? '').includes(`seed ${seed}`), ACTION_TIMEOUT);
        assert((title ?? '').includes(`seed ${seed}`), `the imported scenario is not shown: "${(title ?? '').slice(0, 80)}"`);
        // Your actions: a crash at step 8; 6 steps on, back 3 (a fork) and a pause there.
        const [a, b] = [pick(nodes), pick(nodes)];
        await goToStep(page, 8);
        const act = async (verb, node) => {
          const btn = page.locator('.faults .node-row button', { hasText: new RegExp(`^(${verb}|Restart|Resume) ${node}$`) });
          await btn.first().click();
        };
        await act('Crash', a);
        await goToStep(page, 14);
        await goToStep(page, 11);
        await act('Pause', b);
        await goToStep(page, 16);
        const at = await pos(page);
        const trace = await exportFile(page, 'Export trace (JSON)');
        // The same input as the page's link carries it: the imported scenario and your actions.
        await button(page, 'Share').first().click();
        const href = await page.locator('input[aria-label="Link to this step"]').inputValue();
        await page.keyboard.press('Escape');
        const { params } = hashState(href);
        assert(params.get('custom') && params.get('actions'), `the link has no custom scenario or actions: ${href}`);
        assert(Number(params.get('step')) === at, `the link is at step ${params.get('step')}, the page at ${at}`);
        const file = path.join(tmp, `${id}.json`);
        const actions = path.join(tmp, `${id}-actions.json`);
        await writeFile(file, Buffer.from(params.get('custom'), 'base64url'));
        await writeFile(actions, Buffer.from(params.get('actions'), 'base64url'));
        const doc = JSON.parse(trace);
        assert(doc.final_step === at && doc.steps.length === at, `the page's trace has ${doc.steps.length} steps and final_step ${doc.final_step} at step ${at}`);
        assert(doc.steps.filter((s) => s.user).length === 2, `the trace has ${doc.steps.filter((s) => s.user).length} actions of yours, not 2`);
        // The same scenario file, run natively to the same step.
        const out = path.join(tmp, `${id}-trace.json`);
        const run = execFileSync(cli, ['run', file, '--actions', actions, '--steps', String(at), '--hash', '--trace', out], {
          encoding: 'utf8',
        });
        const hash = /^hash: ([0-9a-f]{16})$/m.exec(run)?.[1];
        assert(hash, `the command line printed no hash:\n${run}`);
        const native = await readFile(out, 'utf8');
        assert(native.trim() === trace.trim(), `the traces differ (page ${trace.length} bytes, command line ${native.length}); first difference at ${[...trace].findIndex((c, i) => c !== native[i])}`);
        console.log(`native = wasm: ${name} at step ${at}: the traces are equal byte for byte (${trace.length} bytes), hash ${hash}`);
      },
    );
  }
  await ctx.close();
  await rm(tmp, { recursive: true, force: true });
}

// 7. Offline: everything came from the local server.
// ---------- accessibility: axe-core on every page, light and dark -------------------------

/** axe-core's own script (npm, package.json), injected into each page. */
const AXE = path.join(HERE, '..', 'node_modules', 'axe-core', 'axe.min.js');

/**
 * What axe-core checks: WCAG 2.0 and 2.1, levels A and AA, and axe's best practices, plus
 * `label-content-name-mismatch` (WCAG 2.5.3, label in name), which axe counts as experimental
 * and leaves off unless a rule option turns it on (a rule's own `enabled` wins over `runOnly`).
 */
const AXE_OPTIONS = {
  runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  rules: { 'label-content-name-mismatch': { enabled: true } },
  resultTypes: ['violations', 'incomplete'],
};

/** Rules whose violations fail the check whatever impact axe gives them. */
const ALWAYS_GRAVE = ['region', 'nested-interactive', 'label-content-name-mismatch'];

/**
 * The axe-core violations on the page now, one line each: `serious` (impact serious or
 * critical, or a rule in ALWAYS_GRAVE: these fail the run) and `moderate` (moderate or
 * minor, which are printed); how many results axe could not decide (`incomplete`, by rule),
 * and the HTML elements whose colour contrast axe left undecided (for `contrastProblems`).
 */
async function axeProblems(page) {
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.addScriptTag({ path: AXE });
  const found = await page.evaluate(async (options) => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, options);
    const ran = [...r.violations, ...r.incomplete, ...r.passes, ...r.inapplicable].map((x) => x.id);
    return {
      ran: ['label-content-name-mismatch', 'color-contrast', 'region', 'nested-interactive'].filter((id) => ran.includes(id)),
      violations: r.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.length,
        first: v.nodes[0]?.target?.join(' ') ?? '',
        summary: (v.nodes[0]?.failureSummary ?? '').split('\n').slice(0, 2).join(' '),
      })),
      incomplete: r.incomplete.map((v) => [v.id, v.nodes.length]),
      // Text axe cannot judge; SVG text is looked at anyway, all of it.
      undecided: r.incomplete
        .filter((v) => v.id === 'color-contrast')
        .flatMap((v) => v.nodes.map((n) => n.target))
        .filter((t) => t.length === 1 && !(document.querySelector(t[0]) instanceof SVGElement))
        .map((t) => t[0]),
    };
  }, AXE_OPTIONS);
  const missing = ['label-content-name-mismatch', 'color-contrast', 'region', 'nested-interactive'].filter((id) => !found.ran.includes(id));
  assert(missing.length === 0, `axe-core did not run ${missing.join(', ')}`);
  const line = (v) => `${v.id} (${v.impact}, ${v.nodes}×, first ${v.first}): ${v.help}. ${v.summary}`;
  // Serious and critical fail; so do content outside every landmark (axe says moderate) and
  // the two rules this check turns on or relies on, whatever axe rates them.
  const grave = (v) => v.impact === 'serious' || v.impact === 'critical' || ALWAYS_GRAVE.includes(v.id);
  return {
    serious: found.violations.filter(grave).map(line),
    moderate: found.violations.filter((v) => !grave(v)).map(line),
    incomplete: found.incomplete,
    undecided: found.undecided,
  };
}

/**
 * Runs in the page. The contrast of every visible SVG <text> and of the HTML elements named by
 * `extra` (CSS selectors), which axe cannot judge: the text's colour (fill for SVG, color for
 * HTML, times the opacities down to it) against what is painted behind it, found with
 * document.elementsFromPoint at the text's centre (or, for SVG, at one of its characters):
 * the first elements below it with a fill or background that is not transparent, composed, on
 * the page's background. A halo (a stroke painted under the glyphs, `paint-order: stroke`) is
 * the background right round the glyphs. Text out of sight in a scrolled panel is scrolled to
 * (every scroll position is put back after). WCAG 1.4.3: 4.5:1, or 3:1 for large text (24px,
 * or 18.66px bold, as rendered, after the SVG's scaling).
 */
function pageContrast(extra) {
  const unknown = new Set();
  // A computed colour: rgb(), rgba(), or color(srgb ...) (what color-mix() computes to).
  const parse = (c) => {
    let m = /^rgba?\(([^)]+)\)$/.exec(c ?? '');
    if (m) {
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    }
    m = /^color\(srgb ([^)]+)\)$/.exec(c ?? '');
    if (m) {
      const p = m[1].split(/[ /]+/).filter(Boolean).map(Number);
      return { r: p[0] * 255, g: p[1] * 255, b: p[2] * 255, a: p.length > 3 ? p[3] : 1 };
    }
    if (c && c !== 'none' && !c.startsWith('url(')) unknown.add(c);
    return null;
  };
  const over = (top, below) => {
    const a = top.a + below.a * (1 - top.a);
    if (a === 0) return { r: 0, g: 0, b: 0, a: 0 };
    const mix = (k) => (top[k] * top.a + below[k] * below.a * (1 - top.a)) / a;
    return { r: mix('r'), g: mix('g'), b: mix('b'), a };
  };
  const lum = (c) => {
    const ch = (v) => {
      v /= 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * ch(c.r) + 0.7152 * ch(c.g) + 0.0722 * ch(c.b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const opacity = (e) => {
    let o = 1;
    for (let x = e; x && x.nodeType === 1; x = x.parentElement) o *= Number(getComputedStyle(x).opacity);
    return o;
  };
  const isSvg = (e) => e instanceof SVGElement;
  // What an element paints at the point (x, y) it was hit at (null: nothing; looked through).
  // A shape paints its fill inside it, its stroke on its outline; a stroke thinner than 6px
  // (a tick, a line crossing the text) is not a background.
  const paintOf = (e, x, y) => {
    const s = getComputedStyle(e);
    if (isSvg(e)) {
      if (e.tagName === 'svg') return parse(s.backgroundColor);
      if (!(e instanceof SVGGeometryElement)) return null;
      const m = e.getScreenCTM();
      const p = new DOMPoint(x, y).matrixTransform(m.inverse());
      let paint = null;
      let alpha = 1;
      if (s.fill !== 'none' && e.isPointInFill(p)) {
        paint = s.fill;
        alpha = Number(s.fillOpacity);
      } else if (s.stroke !== 'none' && e.isPointInStroke(p) && parseFloat(s.strokeWidth) * Math.hypot(m.a, m.b) >= 6) {
        paint = s.stroke;
        alpha = Number(s.strokeOpacity);
      }
      const c = paint && parse(paint);
      return c && { ...c, a: c.a * alpha * opacity(e) };
    }
    const c = parse(s.backgroundColor);
    return c && { ...c, a: c.a * opacity(e) };
  };
  const pageBackground = () => {
    for (const e of [document.body, document.documentElement]) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) return { ...c, a: 1 };
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const describe = (e) => {
    const parts = [];
    for (let x = e; x && x.nodeType === 1 && parts.length < 4; x = x.parentElement) {
      const label = x.getAttribute('aria-label');
      parts.unshift(x.tagName.toLowerCase() + [...x.classList].map((c) => `.${c}`).join('') + (label ? `[aria-label="${label.slice(0, 30)}"]` : ''));
      if (x.tagName === 'svg' || label) break;
    }
    return parts.join(' > ');
  };
  // Shapes that let the pointer through are still painted: hit them all while this runs.
  const style = document.createElement('style');
  style.textContent = '* { pointer-events: auto !important; }';
  document.head.append(style);
  const scrolled = [...document.querySelectorAll('*')].filter((e) => e.scrollTop || e.scrollLeft).map((e) => [e, e.scrollTop, e.scrollLeft]);
  const pageScroll = [scrollX, scrollY];
  const results = [];
  const unseen = [];
  try {
    const targets = [...document.querySelectorAll('svg text')];
    for (const sel of extra) {
      const e = document.querySelector(sel);
      if (e && !targets.includes(e)) targets.push(e);
    }
    for (const t of targets) {
      const text = (t.textContent ?? '').trim();
      if (!text || t.closest('defs')) continue;
      if (!t.checkVisibility({ opacityProperty: true, visibilityProperty: true })) continue;
      const size = t.getBoundingClientRect();
      if (size.width < 1 || size.height < 1) continue;
      const s = getComputedStyle(t);
      const ink = isSvg(t) ? (s.fill === 'none' ? null : parse(s.fill)) : parse(s.color);
      if (!ink) continue;
      const inkAlpha = ink.a * (isSvg(t) ? Number(s.fillOpacity) : 1) * opacity(t);
      if (inkAlpha < 0.05) continue;
      const pointsOf = () => {
        const box = t.getBoundingClientRect();
        const points = [[box.x + box.width / 2, box.y + box.height / 2]];
        // HTML text on more than one line: the middle of each line box.
        if (!isSvg(t)) for (const r of [...t.getClientRects()].slice(0, 6)) points.push([r.x + r.width / 2, r.y + r.height / 2]);
        if (isSvg(t) && t.getNumberOfChars) {
          const m = t.getScreenCTM();
          const n = t.getNumberOfChars();
          for (let i = 0; i < Math.min(n, 6); i++) {
            try {
              const r = t.getExtentOfChar(Math.floor((i * n) / Math.min(n, 6)));
              const p = new DOMPoint(r.x + r.width / 2, r.y + r.height / 2).matrixTransform(m);
              points.push([p.x, p.y]);
            } catch {
              // a character with no glyph
            }
          }
        }
        return points;
      };
      // The elements below the text, top first, at the first point where the text is on top.
      const below = () => {
        for (const [x, y] of pointsOf()) {
          if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) continue;
          const hits = document.elementsFromPoint(x, y);
          const i = hits.findIndex((h) => h === t || t.contains(h));
          if (i >= 0) return { x, y, under: [...(isSvg(t) ? [] : [t]), ...hits.slice(i + 1).filter((h) => !t.contains(h))] };
        }
        return null;
      };
      let stack = below();
      if (!stack) {
        t.scrollIntoView({ block: 'center', inline: 'nearest' });
        stack = below();
      }
      if (!stack) {
        unseen.push(`${describe(t)} "${text.slice(0, 20)}"`);
        continue;
      }
      const layers = [];
      if (isSvg(t) && s.stroke !== 'none' && /^stroke/.test(s.paintOrder) && parseFloat(s.strokeWidth) >= 1.5) {
        const h = parse(s.stroke);
        if (h) layers.push({ ...h, a: h.a * Number(s.strokeOpacity) * opacity(t) });
      }
      for (const h of stack.under) {
        const c = paintOf(h, stack.x, stack.y);
        if (c && c.a > 0) layers.push(c);
        if (c && c.a >= 1) break;
      }
      let bg = pageBackground();
      for (const c of layers.reverse()) bg = over(c, bg);
      const fg = over({ ...ink, a: inkAlpha }, bg);
      const r = ratio(fg, bg);
      const ctm = isSvg(t) ? t.getScreenCTM() : null;
      const px = parseFloat(s.fontSize) * (ctm ? Math.hypot(ctm.a, ctm.b) : 1);
      const large = px >= 24 || (Number(s.fontWeight) >= 700 && px >= 18.66);
      const need = large ? 3 : 4.5;
      results.push({ what: describe(t), text: text.slice(0, 24), fg: hex(fg), bg: hex(bg), ratio: Math.floor(r * 100) / 100, px: Math.round(px * 10) / 10, need });
    }
  } finally {
    style.remove();
    for (const e of document.querySelectorAll('*')) if (e.scrollTop || e.scrollLeft) e.scrollTo(0, 0);
    for (const [e, top, left] of scrolled) e.scrollTo(left, top);
    scrollTo(pageScroll[0], pageScroll[1]);
  }
  return { results, unseen, unknown: [...unknown] };
}

/** Text under its contrast minimum on the page now (see `pageContrast`), worst first. */
async function contrastProblems(page, extra = []) {
  // Colours as they settle: a chip that pops in or a bar that fades is judged when done.
  await page.evaluate(() =>
    Promise.race([
      Promise.all(
        document
          .getAnimations()
          .filter((a) => a.playState === 'running' && Number.isFinite(a.effect?.getComputedTiming().endTime))
          .map((a) => a.finished.catch(() => {})),
      ),
      new Promise((r) => setTimeout(r, 2000)),
    ]),
  );
  const { results, unseen, unknown } = await page.evaluate(pageContrast, extra);
  assert(unknown.length === 0, `colours the contrast check cannot read: ${unknown.join(', ')}`);
  const low = results.filter((r) => r.ratio < r.need).sort((a, b) => a.ratio - b.ratio);
  return {
    checked: results.length,
    unseen,
    low: low.map((r) => `${r.ratio}:1 < ${r.need}:1, ${r.fg} on ${r.bg}, ${r.px}px "${r.text}" ${r.what}`),
  };
}

// The contrast check itself: it finds grey on grey, sees through a transparent shape and past
// a thin line, takes a halo as the background, and knows large text.
await check('accessibility: the SVG contrast check finds low contrast and passes good contrast', async () => {
  const ctx = await newContext();
  try {
    const page = await ctx.newPage();
    await page.setContent(`<body style="margin:0;background:#fff">
      <svg width="600" height="200" viewBox="0 0 600 200" style="font: 16px sans-serif">
        <rect x="0" y="0" width="200" height="100" fill="#888888" />
        <text id="bad" x="20" y="50" fill="#777777">grey on grey</text>
        <rect x="200" y="0" width="200" height="100" fill="#0072b2" />
        <rect x="200" y="0" width="200" height="100" fill="transparent" />
        <line x1="200" y1="45" x2="400" y2="45" stroke="#ffffff" stroke-width="1" />
        <text id="good" x="220" y="50" fill="#ffffff">white on blue</text>
        <rect x="400" y="0" width="200" height="100" fill="#009e73" />
        <text id="halo" x="420" y="50" fill="#1a1c20" stroke="#ffffff" stroke-width="5" paint-order="stroke">halo</text>
        <g opacity="0.3"><text id="faded" x="20" y="150" fill="#000000">faded</text></g>
        <text id="large" x="220" y="150" fill="#949494" style="font-size: 24px">large grey</text>
      </svg></body>`);
    const { results } = await page.evaluate(pageContrast, []);
    const by = Object.fromEntries(results.map((r) => [r.text, r]));
    const fails = (t) => by[t].ratio < by[t].need;
    assert(fails('grey on grey') && by['grey on grey'].bg === '#888888', `grey on grey: ${JSON.stringify(by['grey on grey'])}`);
    assert(!fails('white on blue') && by['white on blue'].bg === '#0072b2', `white on blue: ${JSON.stringify(by['white on blue'])}`);
    assert(!fails('halo') && by.halo.bg === '#ffffff', `halo: ${JSON.stringify(by.halo)}`);
    assert(fails('faded'), `faded: ${JSON.stringify(by.faded)}`);
    assert(by['large grey'].need === 3 && !fails('large grey'), `large grey: ${JSON.stringify(by['large grey'])}`);
  } finally {
    await ctx.close();
  }
});

// Each page, in each theme: at its first scenario some steps in; with a node selected and
// each popover open; after a crash; in presenter mode; and embedded.
for (const scheme of ['light', 'dark']) {
  await check(`accessibility: no serious or critical axe-core violation (WCAG 2.1 AA, best practices, label in name) and no text under 4.5:1 (3:1 large) on any page or the home page (${scheme}; first scenario, a node selected and popovers open, after a fault, presenter, embedded)`, async () => {
    const ctx = await newContext({ colorScheme: scheme });
    try {
      const page = await ctx.newPage();
      const found = [];
      const lowContrast = [];
      const moderate = new Set();
      const info = new Map(); // page -> what was looked at in each state
      const audit = async (where) => {
        const { serious, moderate: m, incomplete, undecided } = await axeProblems(page);
        for (const p of serious) found.push(`${where}: ${p}`);
        for (const p of m) moderate.add(`${where.split(' ')[0]}: ${p}`);
        const { checked, unseen, low } = await contrastProblems(page, undecided);
        for (const p of low) lowContrast.push(`${where}: ${p}`);
        for (const u of unseen) moderate.add(`${where.split(' ')[0]}: contrast not checked, out of sight: ${u}`);
        const [name, ...state] = where.split(' ');
        const undecidedCount = incomplete.reduce((n, [, k]) => n + k, 0);
        const byRule = incomplete.map(([id, k]) => `${id} ${k}`).join(', ');
        info.set(name, [...(info.get(name) ?? []), `${state.join(' ') || 'page'}: ${undecidedCount} undecided by axe${byRule ? ` (${byRule})` : ''}, ${checked} texts' contrast checked`]);
      };
      await page.goto(BASE);
      await page.locator('.cards .card').first().waitFor({ state: 'visible', timeout: 15000 });
      await audit('home');
      for (const [name, view] of PAGE_VIEWS) {
        await page.goto(pageAt(name));
        await page.locator(view).waitFor({ state: 'visible', timeout: 15000 });
        // Some way in, with messages and narration on the page.
        for (let i = 0; i < 12; i++) await page.keyboard.press('ArrowRight');
        await sleep(300);
        await audit(`${name} (first scenario)`);
        // A node selected (the inspector shows it) with the Share popover open; on the first
        // page also the Files popover and the keyboard shortcuts (the shell's, the same on
        // every page).
        const node = page.locator(`${view} [role="button"][aria-pressed]`).first();
        await node.click();
        await poll(() => node.getAttribute('aria-pressed'), (v) => v === 'true');
        for (const label of name === PAGE_VIEWS[0][0] ? ['Share', 'Files'] : ['Share']) {
          const button = page.locator('.app-header button', { hasText: new RegExp(`^${label}$`) });
          await button.click();
          await page.locator(`.popover[aria-label="${label}"]`).waitFor({ state: 'visible' });
          await audit(`${name} (a node selected, ${label} open)`);
          await page.locator(`.popover[aria-label="${label}"] button`, { hasText: 'Close' }).click();
        }
        if (name === PAGE_VIEWS[0][0]) {
          await page.locator('.app-header button[aria-label="Keyboard shortcuts"]').click();
          await page.locator('.modal[role="dialog"]').waitFor({ state: 'visible' });
          await audit(`${name} (a node selected, shortcuts open)`);
          await page.keyboard.press('Escape');
          await page.locator('.modal[role="dialog"]').waitFor({ state: 'hidden' });
        }
        await node.click();
        const crash = page.locator('.faults .node-row button', { hasText: /^Crash / }).first();
        await crash.click();
        for (let i = 0; i < 6; i++) await page.keyboard.press('ArrowRight');
        await sleep(300);
        assert(await page.locator('.faults .node-row button', { hasText: /^Restart / }).count() > 0, `${name}: the crash did not take`);
        await audit(`${name} (after a crash)`);
        const presenter = page.locator('.app-header button', { hasText: /^Presenter$/ });
        await presenter.click();
        await poll(() => page.evaluate(() => document.documentElement.classList.contains('presenter')), (v) => v);
        await audit(`${name} (presenter)`);
        await presenter.click();
        await page.goto(pageAt(name, 'step=12&embed'));
        await page.locator(`.app-shell.embed ${view}`).waitFor({ state: 'visible', timeout: 15000 });
        await audit(`${name} (embedded)`);
      }
      for (const [name, states] of info) console.log(`     ${scheme} ${name}: ${states.join('; ')}`);
      for (const m of moderate) console.log(`     moderate (${scheme}) ${m}`);
      for (const p of lowContrast.slice(0, 12)) console.log(`     low contrast (${scheme}) ${p}`);
      const problems = [
        ...(found.length ? [`${found.length} violation(s): ${found.slice(0, 6).join(' || ')}`] : []),
        ...(lowContrast.length ? [`${lowContrast.length} text(s) under their contrast minimum: ${lowContrast.slice(0, 4).join(' || ')}`] : []),
      ];
      assert(problems.length === 0, problems.join('; and '));
    } finally {
      await ctx.close();
    }
  });
}

// Keyboard only: Tab reaches every control of each page, in the order of the page's regions
// (header, view, side panel, diagram, log, control bar), shows where the focus is on each,
// and comes back round to the start (nothing traps the focus).
{
  const REGIONS = ['app-header', 'app-view', 'side-panel', 'diagram-panel', 'log-panel', 'control-bar'];
  for (const [name, view] of PAGE_VIEWS) {
    await check(`keyboard: Tab walks ${name} in order, every control reachable, the focus always visible, no trap`, async () => {
      const ctx = await newContext({ viewport: { width: 1280, height: 720 } });
      try {
        const page = await ctx.newPage();
        await page.goto(pageAt(name, 'step=12'));
        await page.locator(view).waitFor({ state: 'visible', timeout: 15000 });
        await sleep(300);
        // What each stop is, where it is, and a key to know it again.
        const here = () =>
          page.evaluate((regions) => {
            const e = document.activeElement;
            if (!e || e === document.body) return null;
            if (!e.dataset.tabKey) e.dataset.tabKey = String(Math.random()).slice(2);
            const r = e.getBoundingClientRect();
            const region = regions.find((c) => e.closest(`.${c}`)) ?? 'elsewhere';
            const what = `${e.tagName.toLowerCase()} "${(e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 40)}"`;
            return { key: e.dataset.tabKey, region, what, box: { x: r.x, y: r.y, width: r.width, height: r.height } };
          }, REGIONS);
        const stops = [];
        const unseen = [];
        let closed = false;
        for (let i = 0; i < 400; i++) {
          await page.keyboard.press('Tab');
          const at = await here();
          if (at && stops.length && at.key === stops[0].key) {
            closed = true;
            break;
          }
          if (!at) continue; // the document itself, between the last control and the first
          stops.push(at);
          // Focused and not: the element, with room for its focus ring, must look different.
          const pad = 8;
          const x = Math.max(0, at.box.x - pad);
          const y = Math.max(0, at.box.y - pad);
          const clip = {
            x, y,
            width: Math.max(1, Math.min(1280, at.box.x + at.box.width + pad) - x),
            height: Math.max(1, Math.min(720, at.box.y + at.box.height + pad) - y),
          };
          // Two frames first: focusing may scroll a panel, and the diagram draws on the next.
          const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
          const looksSame = async () => {
            await frames();
            const focused = await page.screenshot({ clip });
            await page.evaluate(() => document.activeElement.blur());
            await frames();
            const plain = await page.screenshot({ clip });
            await page.evaluate((k) => document.querySelector(`[data-tab-key="${k}"]`)?.focus(), at.key);
            return focused.equals(plain);
          };
          // Said to show no focus only when it looks the same twice (a frame late is not it).
          if ((await looksSame()) && (await looksSame())) unseen.push(`${at.region} ${at.what}`);
        }
        assert(closed, `after 400 presses of Tab the focus had not come back to the first control (${stops.length} stops; last: ${stops.at(-1)?.what})`);
        // The regions in page order, each visited in one run.
        const runs = stops.map((s) => s.region).filter((r, i, a) => i === 0 || a[i - 1] !== r);
        const expected = REGIONS.filter((r) => runs.includes(r));
        assert(JSON.stringify(runs) === JSON.stringify(expected), `regions in the order ${runs.join(' > ')}`);
        for (const r of ['app-header', 'app-view', 'side-panel', 'control-bar']) assert(runs.includes(r), `Tab never reached the ${r}`);
        assert(unseen.length === 0, `${unseen.length} stop(s) show no focus: ${unseen.slice(0, 5).join('; ')}`);
        // Every control a mouse can use is a stop.
        const missed = await page.evaluate(() => {
          const seen = (e) => e.dataset.tabKey !== undefined;
          return [...document.querySelectorAll('button, select, input, textarea, a[href], [tabindex]')]
            // Shown: not in a closed <details>, not hidden, not inert.
            .filter((e) => !e.disabled && e.tabIndex >= 0 && !e.closest('[inert]'))
            .filter((e) => e.checkVisibility({ visibilityProperty: true }))
            .filter((e) => !seen(e))
            .map((e) => `${e.tagName.toLowerCase()} "${(e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 40)}"`);
        });
        assert(missed.length === 0, `${missed.length} control(s) Tab never reached: ${missed.slice(0, 5).join('; ')}`);
        console.log(`     ${name}: ${stops.length} stops, ${runs.join(' > ')}`);
      } finally {
        await ctx.close();
      }
    });
  }
}

await check('offline: every request went to the local server', async () => {
  assert(requests.length > 0, 'no request was recorded');
  const foreign = requests.filter((u) => {
    const url = new URL(u);
    if (['data:', 'blob:', 'about:'].includes(url.protocol)) return false;
    return url.origin !== ORIGIN;
  });
  assert(foreign.length === 0, `${foreign.length} request(s) elsewhere: ${[...new Set(foreign)].slice(0, 5).join(', ')}`);
  console.log(`requests: ${requests.length}, all to ${ORIGIN}`);
});

await browser.close();
finish();
process.exit(failed ? 1 : 0);
