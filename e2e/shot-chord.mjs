import { chromium } from 'playwright-core';
const base = process.argv[2];
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const shots = [
  ['1280', { width: 1280, height: 720 }, 'chord.html#scenario=chord-lookups&step=400', false, 'light'],
  ['pres', { width: 1920, height: 1080 }, 'chord.html#scenario=chord-join&step=300', true, 'light'],
  ['dark', { width: 1280, height: 720 }, 'chord.html#scenario=chord-failure&step=250', false, 'dark'],
  ['embed', { width: 1280, height: 720 }, 'chord.html?embed#scenario=chord-lookups&step=900', false, 'light'],
];
for (const [name, vp, url, pres, scheme] of shots) {
  const p = await b.newPage({ viewport: vp, colorScheme: scheme });
  const errs = [];
  p.on('pageerror', (e) => errs.push(String(e)));
  p.on('console', (m) => { if (m.type() === 'error') errs.push(m.text()); });
  await p.goto(base + url);
  await p.locator('svg.chord').waitFor({ state: 'visible', timeout: 20000 });
  if (pres) await p.evaluate(() => document.documentElement.classList.add('presenter'));
  await p.waitForTimeout(800);
  await p.screenshot({ path: `/tmp/chord-${name}.png` });
  console.log(name, errs.join(' | '));
  await p.close();
}
await b.close();
