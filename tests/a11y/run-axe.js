#!/usr/bin/env node
// Runs axe-core over HTML files in one headless Chromium and prints the violations as JSON.
//
//   node tests/a11y/run-axe.js [--incomplete] FILE.html [FILE.html ...]
//
// No browser driver: Chromium is started with --remote-debugging-pipe and spoken to with the
// Chrome DevTools Protocol over file descriptors 3 and 4 (NUL-separated JSON messages), so the
// only npm package is axe-core itself. Each file is opened via file:// in a fresh tab, axe.min.js
// is injected, and axe runs with the WCAG 2.1 A and AA rules plus best practices.
//
// Output (stdout): {"axe": "<version>", "browser": "<product>", "results": [{"file": ...,
// "url": ..., "violations": [{"id", "impact", "help", "helpUrl", "tags", "nodes": [{"target",
// "html", "failureSummary"}]}]}]}; with --incomplete each result also has "incomplete": what axe
// could not decide and a person should review (same shape). Exit status 0 when it ran (whatever it found), 2 on usage or
// browser errors. CHROMIUM (default /usr/bin/chromium) names the browser.
'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const PAGE_TIMEOUT_MS = 60_000;
// Chromium must not talk to anything: there is no network here beyond package registries, and
// a test must not depend on one. These flags stop its own background connections; the pages
// are local files, so every host name is also made unresolvable (no DNS look-ups either: even
// with the flags above Chromium still looks up a few Google hosts at start).
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--no-default-browser-check', '--disable-extensions', '--disable-default-apps',
  '--disable-domain-reliability', '--disable-client-side-phishing-detection', '--no-pings',
  '--disable-breakpad', '--metrics-recording-only',
  '--host-resolver-rules=MAP * ~NOTFOUND',
  '--disable-dev-shm-usage', '--mute-audio', '--hide-scrollbars', '--window-size=1280,1024',
  '--remote-debugging-pipe',
];

function fail(message) {
  process.stderr.write(`run-axe: ${message}\n`);
  process.exit(2);
}

class Browser {
  constructor(executable) {
    this.profile = fs.mkdtempSync(path.join(os.tmpdir(), 'briefsmith-axe-'));
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    this.stderr = '';
    this.proc = spawn(executable, [...FLAGS, `--user-data-dir=${this.profile}`, 'about:blank'], {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    this.proc.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-4000); });
    this.proc.on('error', (e) => this.die(`cannot start ${executable}: ${e.message}`));
    this.proc.on('exit', (code, signal) => {
      if (!this.closing) this.die(`Chromium exited (${signal || code}):\n${this.stderr}`);
    });
    this.out = this.proc.stdio[3];
    let buffer = Buffer.alloc(0);
    this.proc.stdio[4].on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      let end;
      while ((end = buffer.indexOf(0)) !== -1) {
        const message = JSON.parse(buffer.subarray(0, end).toString('utf8'));
        buffer = buffer.subarray(end + 1);
        this.dispatch(message);
      }
    });
  }

  die(message) {
    for (const { reject } of this.pending.values()) reject(new Error(message));
    this.pending.clear();
    this.cleanup();
    fail(message);
  }

  dispatch(message) {
    if (message.id !== undefined) {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.error) waiter.reject(new Error(`${waiter.method}: ${message.error.message}`));
      else waiter.resolve(message.result);
    } else {
      for (const listener of [...this.listeners]) listener(message);
    }
  }

  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    const message = { id, method, params };
    if (sessionId) message.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.out.write(JSON.stringify(message) + '\0');
    });
  }

  waitFor(predicate) {
    return new Promise((resolve) => {
      const listener = (message) => {
        if (predicate(message)) {
          this.listeners = this.listeners.filter((l) => l !== listener);
          resolve(message);
        }
      };
      this.listeners.push(listener);
    });
  }

  async close() {
    this.closing = true;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    try {
      await Promise.race([this.send('Browser.close'), exited]);
    } catch { /* the browser is going anyway */ }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    this.cleanup();
  }

  cleanup() {
    fs.rmSync(this.profile, { recursive: true, force: true });
  }
}

function withTimeout(promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out`)), PAGE_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function evaluate(browser, sessionId, expression) {
  const { result, exceptionDetails } = await browser.send('Runtime.evaluate', {
    expression, awaitPromise: true, returnByValue: true,
  }, sessionId);
  if (exceptionDetails) {
    const detail = exceptionDetails.exception?.description || exceptionDetails.text;
    throw new Error(`in page: ${detail}`);
  }
  return result.value;
}

const summarise = `(list) => list.map((v) => ({
  id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
  nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
}))`;

async function check(browser, axeSource, file, incomplete) {
  const url = pathToFileURL(path.resolve(file)).href;
  const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
  try {
    await browser.send('Page.enable', {}, sessionId);
    const loaded = browser.waitFor((m) => m.sessionId === sessionId
                                          && m.method === 'Page.loadEventFired');
    const nav = await browser.send('Page.navigate', { url }, sessionId);
    if (nav.errorText) throw new Error(`cannot open ${url}: ${nav.errorText}`);
    await loaded;
    await evaluate(browser, sessionId, axeSource);
    const options = JSON.stringify({
      runOnly: { type: 'tag', values: TAGS },
      resultTypes: incomplete ? ['violations', 'incomplete'] : ['violations'],
    });
    const found = await evaluate(browser, sessionId, `
      document.fonts.ready
        .then(() => axe.run(document, ${options}))
        .then((r) => ({ violations: (${summarise})(r.violations),
                        incomplete: (${summarise})(r.incomplete) }))`);
    const result = { file, url, violations: found.violations };
    if (incomplete) result.incomplete = found.incomplete;
    return result;
  } finally {
    await browser.send('Target.closeTarget', { targetId });
  }
}

async function main() {
  const args = process.argv.slice(2);
  const incomplete = args.includes('--incomplete');
  const files = args.filter((a) => a !== '--incomplete');
  if (files.length === 0 || files.some((f) => f.startsWith('--'))) {
    fail('usage: run-axe.js [--incomplete] FILE.html [FILE.html ...]');
  }
  for (const f of files) if (!fs.existsSync(f)) fail(`no such file: ${f}`);
  const axePath = require.resolve('axe-core/axe.min.js');
  const axeSource = fs.readFileSync(axePath, 'utf8');
  const axeVersion = require('axe-core/package.json').version;
  const executable = process.env.CHROMIUM || '/usr/bin/chromium';
  const browser = new Browser(executable);
  const results = [];
  let product;
  try {
    ({ product } = await withTimeout(browser.send('Browser.getVersion'), 'starting Chromium'));
    for (const file of files) {
      results.push(await withTimeout(check(browser, axeSource, file, incomplete), file));
    }
  } catch (e) {
    await browser.close();
    fail(e.message);
  }
  await browser.close();
  process.stdout.write(JSON.stringify({ axe: axeVersion, browser: product, results }, null, 1));
  process.stdout.write('\n');
}

main();
