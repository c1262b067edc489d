import { chromium } from 'playwright-core';
const [url, out, w, h, scheme] = process.argv.slice(2);
const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox','--disable-gpu'] });
const page = await b.newPage({ viewport: { width: +w, height: +h }, colorScheme: scheme || 'light' });
await page.goto(url); await page.waitForTimeout(1500);
await page.keyboard.press('Tab'); await page.keyboard.press('Tab'); await page.keyboard.press('Tab');
await page.screenshot({ path: out }); await b.close();
