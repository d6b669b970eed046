// Browser test of the web viewer (issue 6), driven by bench/browser-test.sh.
// Usage: PLAYWRIGHT_CORE=path/to/playwright-core node tests/browser/viewer.cjs URL OUT_DIR SCREENSHOT.png
//
// Opens the page in headless Debian Chromium with a fresh profile and checks: no page errors (uncaught
// exceptions, console errors other than tile 404s, failed requests); tiles load (HTTP 200 for tile URLs,
// 256-px images in the tile pane, not blank); the date slider changes which events are shown; clicking an
// event opens a popup quoting one of its sources, word for word from events.geojson; the same page opened
// from file:// shows the same events (its data script index.data.js loads without a server). Saves a
// screenshot.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require(process.env.PLAYWRIGHT_CORE || 'playwright-core');

const [url, outDir, shot] = process.argv.slice(2);
if (!url || !outDir || !shot) {
  console.error('usage: viewer.cjs URL OUT_DIR SCREENSHOT.png');
  process.exit(2);
}
const failures = [];
function check(ok, what) {
  console.log((ok ? 'ok   ' : 'FAIL ') + what);
  if (!ok) failures.push(what);
}

(async () => {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'frontmap-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
  const page = context.pages()[0] || await context.newPage();
  const pageErrors = [], consoleErrors = [], failedRequests = [];
  const tileStatus = {};
  const isTile = (u) => /\/tiles(@\dx)?\/\d+\/\d+\/\d+\.png$/.test(new URL(u).pathname);
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const loc = (m.location() && m.location().url) || '';
    // A background-only tile is not written: its 404 is expected (the viewer shows the background colour).
    if (/Failed to load resource/.test(m.text()) && loc && isTile(loc)) return;
    consoleErrors.push(m.text() + (loc ? ' @ ' + loc : ''));
  });
  page.on('requestfailed', (r) => {
    const why = (r.failure() || {}).errorText || '';
    // Leaflet cancels the tiles it no longer needs while zooming.
    if (isTile(r.url()) && /ABORTED/.test(why)) return;
    failedRequests.push(r.url() + ' ' + why);
  });
  page.on('response', (r) => {
    if (isTile(r.url())) tileStatus[r.url()] = r.status();
    else if (r.status() >= 400) failedRequests.push(r.url() + ' HTTP ' + r.status());
  });

  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.frontmap && window.frontmap.ready, null, { timeout: 20000 });
  await page.waitForLoadState('networkidle');
  await page.waitForFunction(
    () => document.querySelectorAll('img.leaflet-tile-loaded').length >= 6, null, { timeout: 20000 });

  // Tiles: HTTP 200s for tile URLs and real 256-px images on screen, not blank.
  const statuses = Object.values(tileStatus);
  const ok200 = statuses.filter((s) => s === 200).length;
  const other = statuses.filter((s) => s !== 200 && s !== 404);
  check(ok200 >= 6, `tiles served: ${ok200} tile URLs answered 200 (${statuses.length - ok200} background-only 404s)`);
  check(other.length === 0, `no tile answered other than 200/404 (${other.join(',') || 'none'})`);
  const tiles = await page.evaluate(() => {
    const imgs = Array.from(document.querySelectorAll('img.leaflet-tile-loaded')).filter((i) => i.naturalWidth === 256);
    let varied = 0;
    for (const img of imgs) {
      const c = document.createElement('canvas');
      c.width = c.height = 256;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, 256, 256).data;
      const colours = new Set();
      for (let i = 0; i < d.length; i += 4 * 97) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      if (colours.size > 3) varied++;
    }
    return { rendered: imgs.length, varied };
  });
  check(tiles.rendered >= 6, `tile images rendered: ${tiles.rendered} of 256 px`);
  check(tiles.varied >= 1, `tiles show a map (${tiles.varied} tiles with lines or labels on them)`);

  // The slider: the first day shows fewer events than the last (events accumulate up to the chosen day).
  const eventsAt = async () => page.evaluate(() => ({
    shown: window.frontmap.events,
    paths: document.querySelectorAll('path.fm-layer-events').length,
    day: document.getElementById('fm-date-label').textContent,
  }));
  const atEnd = await eventsAt();
  const slider = page.locator('#fm-date');
  await slider.focus();
  await page.keyboard.press('Home');
  const atStart = await eventsAt();
  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.screenshot({ path: shot.replace(/\.png$/, '-first-day.png') });
  check(atStart.day !== atEnd.day, `the slider moves the date: ${atEnd.day} → ${atStart.day}`);
  check(atStart.shown < atEnd.shown && atStart.paths < atEnd.paths,
    `the slider changes which events show: ${atEnd.shown} events (${atEnd.paths} dots) on ${atEnd.day}, ` +
    `${atStart.shown} (${atStart.paths} dots) on ${atStart.day}`);
  for (let i = 0; i < 8; i++) await page.keyboard.press('ArrowRight');
  const mid = await eventsAt();
  check(mid.shown >= atStart.shown && mid.shown <= atEnd.shown, `${mid.shown} events on ${mid.day}`);
  await page.keyboard.press('End');
  const back = await eventsAt();
  check(back.shown === atEnd.shown, `back at the last day: ${back.shown} events`);

  // A popup quotes a source: click event dots until one opens, compare with events.geojson.
  const events = JSON.parse(fs.readFileSync(path.join(outDir, 'events.geojson'), 'utf8'));
  const quotes = new Set();
  for (const f of events.features) for (const s of (f.properties.sources || [])) quotes.add('« ' + s.quote + ' »');
  const dots = page.locator('path.fm-layer-events');
  const n = await dots.count();
  let quoted = null;
  for (let i = 0; i < n && !quoted; i++) {
    try {
      await dots.nth(i).click({ timeout: 2000 });
      await page.waitForSelector('.leaflet-popup-content blockquote.fm-quote', { timeout: 2000 });
      quoted = await page.locator('.leaflet-popup-content blockquote.fm-quote').first().textContent();
    } catch (e) {
      // covered by another dot or label: try the next one
    }
  }
  check(quoted !== null && quotes.has(quoted), `a popup quotes its source: ${quoted ? quoted.slice(0, 90) + '…' : 'no popup'}`);
  const popupText = quoted ? await page.locator('.leaflet-popup-content').textContent() : '';
  check(/Date/.test(popupText) && /Type/.test(popupText) && /Acteur 1/.test(popupText),
    'the popup shows the date, the type and the actors');
  const attribution = await page.locator('.leaflet-control-attribution').textContent();
  check(/Natural Earth/.test(attribution) && /GeoNames/.test(attribution), `attribution: ${attribution}`);

  fs.mkdirSync(path.dirname(shot), { recursive: true });
  await page.waitForTimeout(600); // let the popup finish fading in
  await page.screenshot({ path: shot });
  console.log('screenshot: ' + shot);

  // From file:// too: the data script beside index.html loads with a <script src>, no server needed.
  const local = await context.newPage();
  const localErrors = [];
  local.on('pageerror', (e) => localErrors.push(String(e)));
  await local.goto('file://' + path.resolve(outDir, 'index.html'), { waitUntil: 'load' });
  const fromFile = await local.waitForFunction(() => window.frontmap && window.frontmap.ready, null, { timeout: 20000 })
    .then(() => local.evaluate(() => ({
      shown: window.frontmap.events,
      paths: document.querySelectorAll('path.fm-layer-events').length,
    })))
    .catch((e) => ({ error: String(e) }));
  check(!fromFile.error && fromFile.shown === atEnd.shown && fromFile.paths > 0 && localErrors.length === 0,
    `from file:// the page shows ${fromFile.shown} events (${fromFile.paths} dots)` +
    (fromFile.error || localErrors.length ? ': ' + (fromFile.error || localErrors.join(' | ')) : ''));
  await local.close();

  check(pageErrors.length === 0, `no page errors${pageErrors.length ? ': ' + pageErrors.join(' | ') : ''}`);
  check(consoleErrors.length === 0, `no console errors${consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''}`);
  check(failedRequests.length === 0, `no failed requests${failedRequests.length ? ': ' + failedRequests.join(' | ') : ''}`);
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
  if (failures.length) {
    console.error(`${failures.length} browser check(s) failed`);
    process.exit(1);
  }
  console.log('browser test passed');
})().catch((e) => {
  console.error('browser test crashed: ' + (e && e.stack || e));
  process.exit(1);
});
