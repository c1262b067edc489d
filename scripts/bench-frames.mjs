// Main-thread work per animation frame: dsplay's Raft page playing at 1x against RaftScope
// (https://github.com/ongardie/raftscope, the Raft paper's visualisation), measured in one
// browser with one probe, then the Raft page with 9 servers and a busy network.
//
//   cargo xtask dist && node scripts/bench-frames.mjs
//   FRAMES_SECONDS=4 RAFTSCOPE=/path/to/raftscope node scripts/bench-frames.mjs
//
// A static server on 127.0.0.1 (a free port) serves dist/ under /dsplay/ and a RaftScope
// checkout (RAFTSCOPE, default ../shared/peers/raftscope beside the repository) under /raftscope/, from where
// it is: none of RaftScope is copied here. Each measurement opens its page in a fresh
// context (1600x900), starts it playing, lets it run WARMUP_MS, then probes it for
// FRAMES_SECONDS (default 6): requestAnimationFrame intervals and messages in flight in
// the page, and the main thread's task, script, layout and style time from CDP
// `Performance.getMetrics` read before and after, divided by the frames counted. dsplay and
// RaftScope are measured twice, alternating, so the noise shows; then the 9-server case.
//
// Numbers only: nothing fails on them. The exit status is 1 when a page does not load,
// shows an error banner, logs a console error or stops playing during the probe.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIST = path.join(ROOT, 'dist');
const RAFTSCOPE = path.resolve(process.env.RAFTSCOPE ?? path.join(ROOT, '..', 'shared', 'peers', 'raftscope'));
const SECONDS = Number(process.env.FRAMES_SECONDS ?? 6);
/** Played before the probe starts, so that both pages are past their first election. */
const WARMUP_MS = 2000;
/** How long loading a page and starting it may take. */
const LOAD_TIMEOUT = 15000;
// As in e2e/test.mjs (no sandbox: this runs as root here).
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1600, height: 900 };

/**
 * RaftScope's speed slider is logarithmic: value v plays at 1/10^v of real time. dsplay at 1x
 * plays 0.1 simulated ms per real ms (BASE_RATE in web/src/store.rs), so v = 1 (1/10x) gives
 * both the same simulated time per second; RaftScope's own default is 2 (1/100x).
 */
const RAFTSCOPE_SPEED = 1;

/**
 * The 9-server case (the figure: 200 messages in flight): heartbeats every 25 ms over
 * links of 50 to 200 ms, and a client request every 10 ms from 1 s on, to the servers in
 * turn. `dsplay run` shows 200 to 245 messages in flight from 2 s on, steady (a leader
 * sends a follower its new entries once, and again only on a heartbeat or a failed check).
 * Election timeouts above the slowest link, so no follower times out between heartbeats.
 */
const NINE_SERVERS = {
  version: 1,
  algorithm: 'raft',
  title: 'Benchmark: 9 servers, busy network',
  seed: 1,
  params: { servers: 9, election_timeout: [400, 800], heartbeat_interval: 25 },
  network: { latency: [50, 200] },
  actions: Array.from({ length: 700 }, (_, k) => ({
    at: 1000 + k * 10,
    action: { command: { node: `n${(k % 9) + 1}`, cmd: { client: { key: `k${k % 7}`, value: String(k) } } } },
  })),
  run: { until: 8000, steps: 200000 },
};
/** Opened at this step (about 2 s simulated: the leader elected, the load steady). */
const NINE_SERVERS_STEP = 990;

if (!(SECONDS > 0)) fail(`FRAMES_SECONDS must be a positive number, not "${process.env.FRAMES_SECONDS}"`);

function fail(why) {
  console.error(`bench-frames: ${why}`);
  process.exit(1);
}

// ---------- the static server ------------------------------------------------------------

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
};
const MOUNTS = { '/dsplay/': DIST, '/raftscope/': RAFTSCOPE };
/**
 * Requests RaftScope's page makes for files its checkout does not have, answered empty (status
 * and type) so that a 404 is not a console error.
 */
const STAND_INS = {
  // A build output of the bootstrap-slider submodule (from less): the sliders work without it.
  '/raftscope/bootstrap-slider/css/bootstrap-slider.css': [200, TYPES['.css']],
  // What the browser asks for when a page names no icon.
  '/favicon.ico': [204, 'image/x-icon'],
};

/** The file a URL path names under one of MOUNTS, or null (never outside the mount). */
async function fileFor(urlPath) {
  const mount = Object.keys(MOUNTS).find((m) => urlPath.startsWith(m));
  if (!mount) return null;
  const root = MOUNTS[mount];
  let rest = decodeURIComponent(urlPath.slice(mount.length));
  if (rest === '' || rest.endsWith('/')) rest += 'index.html';
  const file = path.resolve(root, '.' + path.posix.normalize('/' + rest));
  if (!file.startsWith(root + path.sep)) return null;
  try {
    return (await stat(file)).isFile() ? file : null;
  } catch {
    return null;
  }
}

function serve() {
  const server = createServer(async (req, res) => {
    let urlPath;
    try {
      urlPath = new URL(req.url, 'http://127.0.0.1').pathname;
    } catch {
      urlPath = '';
    }
    const file = await fileFor(urlPath).catch(() => null);
    const type = file && TYPES[path.extname(file).toLowerCase()];
    if (!type) {
      const [status, ctype] = STAND_INS[urlPath] ?? [404, 'text/plain'];
      res.writeHead(status, { 'Content-Type': ctype, 'Cache-Control': 'no-store' });
      return res.end(status === 404 ? 'not found\n' : '');
    }
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---------- the probe ----------------------------------------------------------------------

/** The CDP metrics the probe reads: cumulative seconds, and counts. */
async function metrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}

/**
 * The same for every page: for `ms`, every requestAnimationFrame interval, and every
 * quarter second the messages in flight (the elements matching `msgSelector`, or for a
 * selector ending in `[data-count]` the number its element holds); the CDP time counters
 * before and after; the document's elements at the end.
 */
async function probe(page, cdp, ms, msgSelector) {
  const before = await metrics(cdp);
  const inPage = await page.evaluate(
    ([ms, sel]) =>
      new Promise((resolve) => {
        const intervals = [];
        const msgs = [];
        let last = null;
        let nextSample = 0;
        let end = null;
        const tick = (now) => {
          if (last === null) end = now + ms;
          else intervals.push(now - last);
          last = now;
          if (now >= nextSample) {
            // A selector ending in [data-count]: the count its element says (a page that
            // draws messages together while playing); otherwise the elements matching.
            const counted = sel.endsWith('[data-count]') ? document.querySelector(sel) : null;
            msgs.push(counted ? Number(counted.getAttribute('data-count')) : document.querySelectorAll(sel).length);
            nextSample = now + 250;
          }
          if (now < end) requestAnimationFrame(tick);
          else resolve({ intervals, msgs, elements: document.getElementsByTagName('*').length });
        };
        requestAnimationFrame(tick);
      }),
    [ms, msgSelector],
  );
  const after = await metrics(cdp);
  const frames = inPage.intervals.length;
  const sorted = [...inPage.intervals].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
  // Seconds over the probe, as ms per frame.
  const perFrame = (name) => ((after[name] - before[name]) * 1000) / frames;
  return {
    frames,
    median: at(0.5),
    p95: at(0.95),
    task: perFrame('TaskDuration'),
    script: perFrame('ScriptDuration'),
    layout: perFrame('LayoutDuration'),
    style: perFrame('RecalcStyleDuration'),
    // Share of the wall time the main thread was busy.
    busy: (after.TaskDuration - before.TaskDuration) / (after.Timestamp - before.Timestamp),
    msgsMean: inPage.msgs.reduce((a, b) => a + b, 0) / inPage.msgs.length,
    msgsMax: Math.max(...inPage.msgs),
    elements: inPage.elements,
  };
}

// ---------- the pages ----------------------------------------------------------------------

/** dsplay's Raft page: shown, playing (its Pause button), no error banner. */
const dsplay = (hash) => ({
  url: `/dsplay/raft.html#${hash}`,
  msgSelector: 'svg.raft g.msgs[data-count]',
  async start(page) {
    await page.locator('svg.raft').waitFor({ state: 'visible' });
    await page.locator('.control-bar button[aria-label="Play"]').click();
    await page.locator('.control-bar button[aria-label="Pause"]').waitFor();
  },
  async check(page) {
    const banner = page.locator('.error-banner');
    if (await banner.count()) throw new Error(`error banner: ${(await banner.first().innerText()).trim()}`);
    // The probe means nothing if the run ended (playback stops by itself at its end).
    if (!(await page.locator('.control-bar button[aria-label="Pause"]').count())) {
      throw new Error('playback stopped before the probe ended (the run is over: lower FRAMES_SECONDS)');
    }
  },
});

/** RaftScope: it plays from the start; only its speed is set. */
const raftscope = {
  url: '/raftscope/index.html',
  msgSelector: '#messages > a',
  async start(page) {
    await page.waitForFunction(() => document.querySelectorAll('#servers > *').length === 5);
    const speed = await page.evaluate((v) => {
      $('#speed').slider('setValue', v);
      return $('#speed').slider('getValue');
    }, RAFTSCOPE_SPEED);
    if (speed !== RAFTSCOPE_SPEED) throw new Error(`its speed slider reads ${speed}, not ${RAFTSCOPE_SPEED}`);
  },
  async check(page) {
    if (await page.evaluate(() => playback.isPaused())) throw new Error('it paused during the probe');
  },
};

/** Opens `target` in a fresh context, starts it, warms up, probes; closes the context. */
async function measure(browser, base, label, target) {
  const ctx = await browser.newContext({ viewport: VIEWPORT });
  ctx.setDefaultTimeout(LOAD_TIMEOUT);
  const errors = [];
  try {
    const page = await ctx.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console error: ${m.text()} [${m.location()?.url ?? ''}]`);
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    const res = await page.goto(base + target.url);
    if (!res || !res.ok()) throw new Error(`HTTP ${res ? res.status() : 'no response'}`);
    await target.start(page);
    await target.check(page);
    await page.waitForTimeout(WARMUP_MS);
    const cdp = await ctx.newCDPSession(page);
    await cdp.send('Performance.enable');
    const result = await probe(page, cdp, SECONDS * 1000, target.msgSelector);
    await target.check(page);
    if (errors.length) throw new Error('the page logged errors');
    return { label, ...result };
  } catch (e) {
    // Playwright's messages go on with a call log: the first line says it.
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    const logged = errors.length ? `: ${errors.slice(0, 3).join(' | ')}` : '';
    throw new Error(`${label} (${base}${target.url.slice(0, 80)}): ${why}${logged}`);
  } finally {
    await ctx.close();
  }
}

// ---------- the report ---------------------------------------------------------------------

const COLUMNS = [
  ['page', 22, (r) => r.label],
  ['frames', 6, (r) => r.frames],
  ['median ms', 9, (r) => r.median.toFixed(1)],
  ['p95 ms', 6, (r) => r.p95.toFixed(1)],
  ['task ms/f', 9, (r) => r.task.toFixed(2)],
  ['script', 6, (r) => r.script.toFixed(2)],
  ['layout', 6, (r) => r.layout.toFixed(2)],
  ['style', 6, (r) => r.style.toFixed(2)],
  ['busy', 5, (r) => `${Math.round(r.busy * 100)}%`],
  ['msgs mean/max', 13, (r) => `${r.msgsMean.toFixed(1)}/${r.msgsMax}`],
  ['elements', 8, (r) => r.elements],
];

function table(rows) {
  const line = (cells) => cells.map((c, i) => String(c)[i ? 'padStart' : 'padEnd'](COLUMNS[i][1])).join('  ');
  console.log(line(COLUMNS.map((c) => c[0])));
  for (const r of rows) console.log(line(COLUMNS.map((c) => c[2](r))));
}

// ---------- the run ------------------------------------------------------------------------

try {
  await stat(path.join(DIST, 'raft.html'));
} catch {
  fail(`${DIST}/raft.html not found: run cargo xtask dist first`);
}
try {
  await stat(path.join(RAFTSCOPE, 'index.html'));
} catch {
  fail(`${RAFTSCOPE}/index.html not found: set RAFTSCOPE to a RaftScope checkout (with its submodules)`);
}

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
try {
  console.log(
    `bench-frames: ${browser.version()}, ${VIEWPORT.width}x${VIEWPORT.height}, ${WARMUP_MS / 1000} s warm-up, ${SECONDS} s probe`,
  );
  console.log(
    `dsplay raft-first-election (5 servers) at 1x vs RaftScope (5 servers) at 1/${10 ** RAFTSCOPE_SPEED}x: both 0.1 simulated ms per real ms`,
  );
  const rows = [];
  for (const run of [1, 2]) {
    rows.push(await measure(browser, base, `dsplay #${run}`, dsplay('scenario=raft-first-election')));
    rows.push(await measure(browser, base, `RaftScope #${run}`, raftscope));
  }
  table(rows);
  // Both runs pooled: all their task time over all their frames.
  const pooled = (rs) => rs.reduce((a, r) => a + r.task * r.frames, 0) / rs.reduce((a, r) => a + r.frames, 0);
  const [d1, r1, d2, r2] = rows;
  const ratio = (d, r) => (pooled(d) / pooled(r)).toFixed(2);
  console.log(
    `task ms per frame, dsplay / RaftScope: run 1 ${ratio([d1], [r1])}, run 2 ${ratio([d2], [r2])}, both runs ${ratio([d1, d2], [r1, r2])}`,
  );

  console.log('');
  console.log(`dsplay, 9 servers, heartbeats every 25 ms and a client request every 10 ms over 50-200 ms links, from step ${NINE_SERVERS_STEP}, at 1x`);
  const custom = Buffer.from(JSON.stringify(NINE_SERVERS)).toString('base64url');
  table([await measure(browser, base, 'dsplay 9 servers', dsplay(`custom=${custom}&step=${NINE_SERVERS_STEP}`))]);
} catch (e) {
  // Not fail(): the browser and the server are closed first.
  console.error(`bench-frames: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  server.close();
}
