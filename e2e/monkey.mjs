// Monkey test: random clicks, keys, fault actions, form input, scenario files and address
// edits against every algorithm page, in headless Chromium (playwright-core). Nothing a
// person can do may hang the tab or crash the page.
//
//   node e2e/monkey.mjs <base-url> [label]      (e2e/run.sh runs it on dist/ and dist-dev/)
//
//   MONKEY_ACTIONS=1000   actions per page (default 100)
//   MONKEY_SEED=12345     the seed (default: a new one each run, printed)
//   MONKEY_PAGES=raft,locks   only these pages (each page's own seed stays the same)
//   MONKEY_ANSWER_MS=5000 how long the page may take to answer after an action
//   MONKEY_VERBOSE=1      print every action as it is done
//
// After every action the page must answer a script within MONKEY_ANSWER_MS (a tab whose
// main thread is stuck in a long computation does not), show no panic panel
// (`.panic-panel`), log no console error and throw no uncaught error, and show its clock
// as numbers: `step P / H`, or a long seek's `computing step R of T`. At the end a step
// forward must move the clock. Every choice comes from the seed: a failure prints the seed,
// the page, every action done and a command that replays them (playback runs on the wall
// clock, so a replay is close but not always exact), and saves a screenshot in
// e2e/screenshots/. The last line is `monkey-LABEL: N passed, N failed` (scripts/test.sh
// counts it).
import { chromium } from 'playwright-core';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const SHOTS = path.join(HERE, 'screenshots');
const [baseArg, label = 'release'] = process.argv.slice(2);
if (!baseArg) {
  console.error('usage: node e2e/monkey.mjs <base-url> [label]');
  process.exit(2);
}
const BASE = baseArg.endsWith('/') ? baseArg : `${baseArg}/`;
const ACTIONS = Number(process.env.MONKEY_ACTIONS ?? 100);
const SEED = Number(process.env.MONKEY_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ANSWER_MS = Number(process.env.MONKEY_ANSWER_MS ?? 5000);
const VERBOSE = Boolean(process.env.MONKEY_VERBOSE);
const ALL_PAGES = ['messaging', 'hashring', 'locks', 'transactions', 'raft', 'paxos', 'chord', 'kvstore'];
const PAGES = ALL_PAGES.filter(
  (p) => !process.env.MONKEY_PAGES || process.env.MONKEY_PAGES.split(',').includes(p),
);
/// How long a page may take to show its view (a debug build is slow to start).
const LOAD_TIMEOUT = 60_000;
/// How long one action may take (a click or key press waits for the page to take it).
const ACTION_TIMEOUT = 10_000;
/// The keys of the keyboard sheet (web/src/components/help.rs), and a few more a person
/// presses: Tab moves the focus onto buttons, Enter presses the focused one.
const KEYS = [
  'Space',
  'ArrowRight',
  'PageDown',
  'ArrowLeft',
  'PageUp',
  'Shift+ArrowRight',
  'Shift+ArrowLeft',
  'Home',
  'End',
  '?',
  'Escape',
  'Tab',
  'Shift+Tab',
  'Enter',
];
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

// ---------- the generator -------------------------------------------------------------------

/** mulberry32: a small seeded generator. */
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    below: (n) => Math.floor(next() * n),
    pick: (items) => items[Math.floor(next() * items.length)],
    chance: (p) => next() < p,
  };
}

/** Text that breaks assumptions, for fields and files. */
function oddText(r) {
  return r.pick([
    '',
    ' ',
    '0',
    '1',
    '7',
    '-1',
    '3.5',
    '1e9',
    '99999999999999999999',
    '18446744073709551615',
    'NaN',
    'abc',
    'x=1, y=2',
    'x=1,,=2',
    'k0001',
    'n1',
    'n99',
    'ñandú 🦀',
    '\u202Eolleh',
    '%%%',
    '<b>hi</b>',
    'a'.repeat(5000),
    String(r.below(100000)),
  ]);
}

/**
 * A step for the address: small, near a run's end, past it, past every bound (a link's
 * step is at most a million, the kernel's limit ten million), past u64, or not a number.
 */
function stepValue(r) {
  switch (r.below(8)) {
    case 0:
      return String(r.below(30));
    case 1:
      return String(r.below(6000));
    case 2:
    case 3:
      return String(10 ** (5 + r.below(7)) + r.below(1000));
    case 4:
      return r.pick(['999999', '1000000', '1000001', '10000000', '10000001', '99999999999']);
    case 5:
      return r.pick(['9223372036854775807', '18446744073709551615', '18446744073709551616', '1e400']);
    case 6:
      return r.pick(['-1', '', 'x', '1.5', '0x10', '+3', ' 7', '%31%32']);
    default:
      return String(Math.floor(r.next() * 2 ** 53));
  }
}

/** A text changed: cut short, a piece dropped or repeated, odd text put in, a number made huge. */
function mutateText(r, text) {
  const a = r.below(text.length + 1);
  const b = Math.min(text.length, a + r.below(80));
  switch (r.below(6)) {
    case 0:
      return text.slice(0, a);
    case 1:
      return text.slice(0, a) + text.slice(b);
    case 2:
      return text.slice(0, b) + text.slice(a, b) + text.slice(b);
    case 3:
      return text.slice(0, a) + oddText(r) + text.slice(a);
    case 4:
      return text.replace(/\d+/, '99999999999999999999');
    default:
      return text.replace(/"n\d"/g, '"n42"');
  }
}

/** An address hash for the page: the current one with another step, a new one, or junk. */
function hashEdit(r, current, ids, name) {
  const step = stepValue(r);
  switch (r.below(5)) {
    case 0:
    case 1: {
      // The step of the address as it is (what someone editing the address bar does).
      const base = current.replace(/^#/, '');
      if (/(^|&)step=[^&]*/.test(base)) return base.replace(/(^|&)step=[^&]*/, `$1step=${step}`);
      return `${base}${base ? '&' : ''}step=${step}`;
    }
    case 2:
    case 3: {
      const id = r.chance(0.85) && ids.length ? r.pick(ids) : encodeURIComponent(oddText(r));
      let hash = `scenario=${id}&step=${step}`;
      if (r.chance(0.3)) hash += `&seed=${r.chance(0.8) ? r.below(1000) : stepValue(r)}`;
      if (r.chance(0.15)) hash += '&embed';
      // An address as links had it before each page was its own document: this page's
      // stays here, another page's goes there (and the test comes back).
      if (r.chance(0.1)) hash = `/${r.chance(0.8) ? name : r.pick(ALL_PAGES)}?${hash}`;
      return hash;
    }
    default:
      return mutateText(r, current.replace(/^#/, '') || `scenario=${ids[0]}&step=${step}`);
  }
}

// ---------- the page --------------------------------------------------------------------------

/**
 * What can be clicked now, with where: buttons, nodes, message dots, marks, log entries,
 * ticks, summaries and checkboxes that are visible and inside the window. Links are left
 * out (they leave the page), as is the file input (the Import button opens it).
 */
function clickables(page, only) {
  return page.evaluate((only) => {
    const sel = only
      ? only
      : [
          'button:not([disabled])',
          '[role="button"]',
          'svg g.node',
          'svg g.msg',
          'svg .st-step',
          'svg .st-msg',
          'svg.spacetime',
          '.scrub .mark',
          '.log-entry',
          'summary',
          'input[type="checkbox"]:not([disabled])',
          'input[type="radio"]:not([disabled])',
          'label.tick',
          '.app-view svg[data-view]',
        ].join(',');
    const out = [];
    for (const el of document.querySelectorAll(sel)) {
      if (el.closest('a[href]') || el.matches('input[type="file"]')) continue;
      const r = el.getBoundingClientRect();
      if (r.width < 1 || r.height < 1) continue;
      if (r.bottom < 0 || r.right < 0 || r.top > innerHeight || r.left > innerWidth) continue;
      const text = (el.getAttribute('aria-label') || el.textContent || el.tagName).trim().replace(/\s+/g, ' ');
      out.push({
        left: r.left,
        top: r.top,
        width: r.width,
        height: r.height,
        what: `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : ''} "${text.slice(0, 40)}"`,
      });
    }
    return out;
  }, only ?? null);
}

/** `promise`, or a rejection saying `what` did not finish within `ms`. */
function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/**
 * What the page shows now, asked by a script that must answer within ANSWER_MS: the clock
 * (`step P / H`) or a long seek's progress (`computing step R of T`), and whether the panic
 * panel is up. Returns { ms, clock, seeking, panic } or throws when the page does not answer.
 */
async function look(page) {
  const t0 = Date.now();
  const seen = await within(
    page.evaluate(() => {
      const panic = document.querySelector('.panic-panel');
      const clock = document.querySelector('.control-bar .clock');
      return {
        panic: panic ? (panic.querySelector('pre')?.textContent ?? panic.textContent) : null,
        clock: clock ? clock.textContent.replace(/\s+/g, ' ').trim() : null,
        seeking: !!clock?.classList.contains('seek-progress'),
      };
    }),
    ANSWER_MS,
    'the page answering a script',
  );
  return { ms: Date.now() - t0, ...seen };
}

/** Why what the clock says is not a step display, or null. */
function badClock(seen) {
  if (seen.clock === null) return 'no clock is shown';
  const m = seen.seeking
    ? /computing step (\d+) of (\d+)/.exec(seen.clock)
    : /^step (\d+) \/ (\d+)/.exec(seen.clock);
  if (!m) return `the clock reads "${seen.clock}"`;
  const [a, b] = [Number(m[1]), Number(m[2])];
  if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b)) return `the clock reads "${seen.clock}"`;
  if (seen.seeking && a > b) return `a seek is past its target: "${seen.clock}"`;
  return null;
}

/** A point inside a clickable's box, chosen by `r`. */
function inside(r, c) {
  return [c.left + c.width * (0.2 + 0.6 * r.next()), c.top + c.height * (0.2 + 0.6 * r.next())];
}

/** One action chosen by `r`, done on the page; returns what it was (or null: nothing to do). */
async function act(page, r, name, ids) {
  const kind = r.next();
  if (kind < 0.36) {
    const all = await clickables(page);
    if (!all.length) return null;
    const c = r.pick(all);
    await page.mouse.click(...inside(r, c));
    return `click ${c.what}`;
  }
  if (kind < 0.5) {
    // A fault, a command or a form button of the side panel or the view.
    const all = await clickables(
      page,
      '.side-panel button:not([disabled]), .side-panel input[type="checkbox"], .app-view button:not([disabled]), .app-view [role="button"]',
    );
    if (!all.length) return null;
    const c = r.pick(all);
    await page.mouse.click(...inside(r, c));
    return `panel ${c.what}`;
  }
  if (kind < 0.72) {
    const key = r.pick(KEYS);
    // Mostly on the page itself, where the shortcuts work; else wherever the focus is.
    const blur = r.chance(0.6);
    if (blur) await page.evaluate(() => document.activeElement?.blur?.());
    await page.keyboard.press(key);
    return `key ${key}${blur ? '' : ' (focus kept)'}`;
  }
  if (kind < 0.77) {
    // A choice in a select: the scenario, the speed, the log's filter, a vote.
    const n = await page.locator('select:visible').count();
    if (!n) return null;
    const sel = page.locator('select:visible').nth(r.below(n));
    const options = await sel.locator('option:not([disabled])').evaluateAll((os) => os.map((o) => o.value));
    if (!options.length) return null;
    const v = r.pick(options);
    const name = (await sel.getAttribute('aria-label')) ?? '?';
    await sel.selectOption(v, { timeout: 2000 }).catch(() => {});
    return `select ${name} = ${v}`;
  }
  if (kind < 0.83) {
    // Typing into a field: a number field, a name, writes, the seed, the editor.
    const fields = page.locator(
      'input[type="text"]:visible:not([readonly]), input[type="number"]:visible, input:not([type]):visible, textarea:visible:not([readonly])',
    );
    const n = await fields.count();
    if (!n) return null;
    const field = fields.nth(r.below(n));
    const text = oddText(r);
    const end = r.chance(0.5) ? 'Enter' : 'Tab';
    const name = (await field.getAttribute('aria-label')) ?? '?';
    await field.fill(text, { timeout: 2000 }).catch(() => {});
    await field.press(end, { timeout: 2000 }).catch(() => {});
    return `type "${text.slice(0, 30)}${text.length > 30 ? '…' : ''}" + ${end} into ${name}`;
  }
  if (kind < 0.86) {
    const scrub = page.locator('input.scrubber:visible');
    if (!(await scrub.count())) return null;
    const max = Number((await scrub.getAttribute('max')) ?? 0);
    const v = r.below(max + 1);
    await scrub.evaluate((el, v) => {
      el.value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, v);
    return `scrub to ${v}`;
  }
  if (kind < 0.95) {
    // An address edited by hand.
    const current = await page.evaluate(() => location.hash);
    const hash = hashEdit(r, current, ids, name);
    await page.evaluate((h) => {
      location.hash = h;
    }, hash);
    // An old address (`/NAME?...`, `/NAME` or `/`) naming anything but this page sends the
    // browser to the home page: wait until it has left.
    const away = /^\/([^?]*)/.exec(hash);
    if (away && away[1] !== name) {
      const here = `${BASE}${name}.html`;
      await page.waitForURL((u) => !u.href.startsWith(here), { timeout: ACTION_TIMEOUT }).catch(() => {});
    }
    return `address #${hash.length > 120 ? `${hash.slice(0, 120)}…` : hash}`;
  }
  const ms = 20 + r.below(300);
  await page.waitForTimeout(ms);
  return `wait ${ms} ms`;
}

/**
 * Runs one page: returns { failure (null or why), slowest answer }. `files` are the page's
 * scenario files ({ id, text }), for the Import button and for addresses.
 */
/**
 * An error's first line and, for a Playwright action that timed out, the last lines of its
 * call log (what it was waiting for: "element is not stable", "... intercepts pointer
 * events").
 */
function explain(e) {
  const lines = String(e?.message ?? e).split('\n');
  const log = lines.findIndex((l) => /call log/i.test(l));
  const tail = log < 0 ? [] : lines.slice(log + 1).map((l) => l.trim()).filter(Boolean).slice(-6);
  return [lines[0], ...tail].join(' | ');
}

async function monkey(browser, name, seed, files) {
  const r = rng(seed);
  // The files given to the Import button come from their own generator: the file chooser
  // opens when the page gets to it, and the actions' choices must not depend on when.
  const rf = rng(seed ^ 0x5bd1e995);
  const scenarios = files.map((f) => f.text);
  const ids = files.map((f) => f.id);
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write']).catch(() => {});
  ctx.setDefaultTimeout(ACTION_TIMEOUT);
  const page = await ctx.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console.error: ${m.text().slice(0, 500)}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${String(e.message ?? e).slice(0, 500)}`));
  page.on('dialog', (d) => d.dismiss().catch(() => {}));
  page.on('download', (d) => d.cancel().catch(() => {}));
  page.on('filechooser', (fc) => {
    const text = rf.chance(0.3) ? rf.pick(scenarios) : mutateText(rf, rf.pick(scenarios));
    fc.setFiles({ name: 'monkey.json', mimeType: 'application/json', buffer: Buffer.from(text) }).catch(() => {});
  });
  const done = [];
  let slowest = { ms: 0, after: 'the load' };
  const fail = async (why) => {
    const shot = path.join(SHOTS, `monkey-${label}-${name}.png`);
    const saved = await within(page.screenshot({ path: shot }), 5000, 'a screenshot').then(
      () => `\n  screenshot: ${path.relative(ROOT, shot)}`,
      () => '',
    );
    return `${why}${saved}\n  actions (${done.length}):\n    ${done.join('\n    ') || '(none)'}`;
  };
  const url = `${BASE}${name}.html`;
  const load = async () => {
    await page.goto(url);
    await page.locator('.app-view svg[data-view]').first().waitFor({ state: 'visible', timeout: LOAD_TIMEOUT });
  };
  await load();

  for (let i = 0; i < ACTIONS; i++) {
    let what = null;
    try {
      what = await within(act(page, r, name, ids), ACTION_TIMEOUT, `action ${i}`);
    } catch (e) {
      done.push(`${i}: (failed) ${explain(e)}`);
      return { failure: await fail(`action ${i} did not finish: ${explain(e)}`), slowest };
    }
    if (what) done.push(`${i}: ${what}`);
    if (what && VERBOSE) console.log(`  ${name} ${i}: ${what}`);
    // Back to the page if something left it (it should not).
    if (!page.url().startsWith(url)) {
      done.push(`${i}: left for ${page.url()}; back`);
      await load();
    }
    let seen;
    try {
      seen = await look(page);
    } catch (e) {
      // A link followed (Enter on a focused link, a click on one) starts a navigation after
      // the action returned: the page is left, not hung. Wait for it, and come back.
      if (!/Execution context was destroyed|navigation/i.test(String(e?.message ?? e))) {
        return { failure: await fail(`after action ${i}: ${explain(e)} (a hang)`), slowest };
      }
      await page.waitForURL((u) => !u.href.startsWith(url), { timeout: 3000 }).catch(() => {});
      await page.waitForLoadState('domcontentloaded').catch(() => {});
      done.push(`${i}: ${page.url().startsWith(url) ? 'the page reloaded' : `left for ${page.url()}`}; back`);
      await load();
      try {
        seen = await look(page);
      } catch (e2) {
        return { failure: await fail(`after action ${i}, back on the page: ${explain(e2)} (a hang)`), slowest };
      }
    }
    if (seen.ms > slowest.ms) slowest = { ms: seen.ms, after: `action ${i}` };
    if (problems.length) return { failure: await fail(`after action ${i}: ${problems.slice(0, 3).join(' || ')}`), slowest };
    if (seen.panic !== null) return { failure: await fail(`the panic panel is shown after action ${i}: ${seen.panic}`), slowest };
    const bad = badClock(seen);
    if (bad) return { failure: await fail(`after action ${i}: ${bad}`), slowest };
  }

  // Still answering: close what is open, stop playing or seeking, and step forward.
  let closing = 'pressing Escape';
  try {
    for (let k = 0; k < 3; k++) await page.keyboard.press('Escape');
    closing = 'clicking Stop computing';
    const stop = page.locator('button[aria-label="Stop computing"]');
    if (await stop.count()) await stop.click();
    closing = 'clicking Pause';
    const pause = page.locator('.control-bar button[aria-label="Pause"]');
    if (await pause.count()) await pause.click();
    const forward = page.locator('.control-bar button[aria-label="Step forward"]');
    if (await forward.isDisabled()) {
      closing = 'clicking Go to the start';
      await page.locator('.control-bar button[aria-label="Go to the start"]').click();
    }
    if (await forward.isDisabled()) {
      // A run with nothing to do at all: load the page's first scenario.
      await page.evaluate((id) => {
        location.hash = `scenario=${id}&step=0`;
      }, ids[0]);
      await page.waitForTimeout(500);
    }
    const clockOf = async () => {
      const m = /^step (\d+) \/ (\d+)/.exec((await look(page)).clock ?? '');
      return m ? Number(m[1]) : null;
    };
    closing = 'reading the clock';
    const before = await clockOf();
    if (before === null) return { failure: await fail('at the end: the clock does not show a step'), slowest };
    closing = 'clicking Step forward';
    await forward.click({ timeout: 5000 });
    const end = Date.now() + 5000;
    let after = before;
    while (Date.now() < end) {
      after = await clockOf();
      if (after === before + 1) break;
      await page.waitForTimeout(50);
    }
    if (after !== before + 1) {
      return { failure: await fail(`at the end: a step forward from step ${before} shows step ${after}`), slowest };
    }
  } catch (e) {
    return { failure: await fail(`at the end: the page does not answer (${closing}): ${explain(e)}`), slowest };
  }
  if (problems.length) return { failure: await fail(`at the end: ${problems.slice(0, 3).join(' || ')}`), slowest };
  await within(ctx.close(), 10_000, 'closing the page').catch(() => {});
  return { failure: null, slowest };
}

// ---------- the run ---------------------------------------------------------------------------

await mkdir(SHOTS, { recursive: true });
const files = (await readdir(path.join(ROOT, 'static', 'scenarios'))).filter((f) => f.endsWith('.json')).sort();
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
console.log(
  `monkey ${label}: seed ${SEED}, ${ACTIONS} actions on each of ${PAGES.length} pages, ${BASE} (replay: MONKEY_SEED=${SEED} MONKEY_ACTIONS=${ACTIONS})`,
);
const started = Date.now();
let passed = 0;
let failed = 0;
let actions = 0;
for (const name of PAGES) {
  const mine = [];
  for (const f of files) {
    const text = await readFile(path.join(ROOT, 'static', 'scenarios', f), 'utf8');
    if (JSON.parse(text).algorithm === name) mine.push({ id: f.replace(/\.json$/, ''), text });
  }
  // Each page's seed depends on the run's seed and the page only (MONKEY_PAGES keeps it).
  const seed = (SEED + 7919 * (ALL_PAGES.indexOf(name) + 1)) >>> 0;
  const t0 = Date.now();
  let result;
  try {
    result = await monkey(browser, name, seed, mine);
  } catch (e) {
    result = { failure: `the run stopped: ${explain(e)}`, slowest: { ms: 0, after: '-' } };
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  if (result.failure) {
    failed += 1;
    console.log(
      `FAIL monkey ${label} ${name} (seed ${SEED}, page seed ${seed}): ${result.failure}\n  replay: MONKEY_SEED=${SEED} MONKEY_PAGES=${name} MONKEY_ACTIONS=${ACTIONS} node e2e/monkey.mjs ${BASE} ${label} (${secs} s)`,
    );
  } else {
    passed += 1;
    actions += ACTIONS;
    console.log(
      `ok   monkey ${label} ${name}: ${ACTIONS} actions, no console error, no panic, the clock a number, answering within ${result.slowest.ms} ms at worst (after ${result.slowest.after}) (${secs} s)`,
    );
  }
}
await browser.close();
console.log(`monkey ${label}: seed ${SEED}, ${actions} actions done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`monkey-${label}: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
