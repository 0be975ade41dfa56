// Loads pages in headless Chromium through the DevTools protocol (no npm packages: Node's own
// WebSocket), takes screenshots at desktop and phone widths, prints an A4 PDF, runs axe-core, and
// prints one JSON report on stdout. Usage:
//   node --experimental-websocket tests/browser/check.mjs CONFIG.json
// CONFIG: {"chromium": "/usr/bin/chromium", "axe": "tests/vendor/axe.min.js", "out": "target/screenshots",
//          "pages": [{"name": "league", "url": "http://127.0.0.1:PORT/", "widths": [1280, 360], "pdf": true}]}
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const STEP_MS = 30000;
const TOTAL_MS = config.timeoutMs ?? 150000;

const profile = mkdtempSync(join(tmpdir(), 'dvc-chromium-'));
const browser = spawn(config.chromium, [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-extensions', '--hide-scrollbars', '--font-render-hinting=none',
  `--user-data-dir=${profile}`, '--remote-debugging-port=0', 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe'] });

let finished = false;
function finish(code, report) {
  if (finished) return;
  finished = true;
  try { browser.kill('SIGKILL'); } catch {}
  try { rmSync(profile, { recursive: true, force: true }); } catch {}
  // Exit once the report is written out: a pipe takes 64 KiB at a time, and exit would cut the rest.
  if (report) process.stdout.write(JSON.stringify(report) + '\n', () => process.exit(code));
  else process.exit(code);
}
const overall = setTimeout(() => { console.error(`browser check: over ${TOTAL_MS} ms, giving up`); finish(2); }, TOTAL_MS);
browser.on('exit', (code) => { if (!finished) { console.error(`chromium exited early (${code})`); finish(2); } });

function withTimeout(promise, what) {
  return Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), STEP_MS))]);
}

const endpoint = await withTimeout(new Promise((resolve) => {
  let buf = '';
  browser.stderr.on('data', (chunk) => {
    buf += chunk.toString();
    const m = buf.match(/DevTools listening on (ws:\/\/\S+)/);
    if (m) resolve(m[1]);
  });
}), 'chromium start');

const ws = new WebSocket(endpoint);
await withTimeout(new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; }), 'websocket');
let nextId = 1;
const pending = new Map();
const listeners = [];
ws.onmessage = (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) reject(new Error(JSON.stringify(msg.error))); else resolve(msg.result);
  } else if (msg.method) {
    for (const l of [...listeners]) l(msg);
  }
};
function send(method, params = {}, sessionId) {
  const id = nextId++;
  ws.send(JSON.stringify({ id, method, params, sessionId }));
  return withTimeout(new Promise((resolve, reject) => pending.set(id, { resolve, reject })), method);
}
function once(method, sessionId) {
  return withTimeout(new Promise((resolve) => {
    const l = (msg) => {
      if (msg.method === method && msg.sessionId === sessionId) {
        listeners.splice(listeners.indexOf(l), 1);
        resolve(msg.params);
      }
    };
    listeners.push(l);
  }), method);
}

const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
const s = (method, params) => send(method, params, sessionId);
await s('Page.enable');
await s('Runtime.enable');
const axeSource = readFileSync(config.axe, 'utf8');
mkdirSync(config.out, { recursive: true });

async function evaluate(expression, awaitPromise = false) {
  const r = await s('Runtime.evaluate', { expression, awaitPromise, returnByValue: true });
  if (r.exceptionDetails) throw new Error(`evaluate failed: ${JSON.stringify(r.exceptionDetails)}`);
  return r.result.value;
}

async function load(url, width) {
  await s('Emulation.setDeviceMetricsOverride', { width, height: width < 600 ? 740 : 900, deviceScaleFactor: 1, mobile: width < 600 });
  const loaded = once('Page.loadEventFired', sessionId);
  const nav = await s('Page.navigate', { url });
  if (nav.errorText) throw new Error(`navigation to ${url} failed: ${nav.errorText}`);
  await loaded;
}

const report = { pages: [] };
try {
  for (const page of config.pages) {
    for (const width of page.widths) {
      await load(page.url, width);
      const facts = await evaluate(`(() => ({
        title: document.title,
        lang: document.documentElement.lang,
        text: document.body.innerText,
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        height: document.documentElement.scrollHeight,
        tables: [...document.querySelectorAll('table')].map(t => ({
          caption: t.caption ? t.caption.textContent.trim() : null,
          rows: t.tBodies[0] ? t.tBodies[0].rows.length : 0,
        })),
        sparklines: document.querySelectorAll('svg.spark').length,
        charts: document.querySelectorAll('svg.chart').length,
        links: [...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
      }))()`);
      // A full-page screenshot, at most 5000 px tall.
      const height = Math.min(facts.height, 5000);
      const shot = await s('Page.captureScreenshot', {
        format: 'png', captureBeyondViewport: true, clip: { x: 0, y: 0, width, height, scale: 1 },
      });
      const file = join(config.out, `${page.name}-${width}.png`);
      writeFileSync(file, Buffer.from(shot.data, 'base64'));
      await evaluate(axeSource);
      const violations = await evaluate(`axe.run(document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
          resultTypes: ['violations'] })
        .then(r => r.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
          nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ')) })))`, true);
      let pdf = null;
      if (page.pdf && width === page.widths[0]) {
        const printed = await s('Page.printToPDF', { preferCSSPageSize: true, printBackground: true });
        pdf = join(config.out, `${page.name}-print.pdf`);
        writeFileSync(pdf, Buffer.from(printed.data, 'base64'));
      }
      report.pages.push({ name: page.name, url: page.url, width, screenshot: file, pdf, violations, ...facts });
    }
  }
} catch (e) {
  console.error(`browser check failed: ${e.stack || e}`);
  clearTimeout(overall);
  finish(1, report);
}
clearTimeout(overall);
ws.close();
finish(0, report);
