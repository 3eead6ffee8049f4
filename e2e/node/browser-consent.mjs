#!/usr/bin/env node
// Plays the person through an OAuth connect link in headless Chromium
// (Debian's /usr/bin/chromium through playwright-core; no browser is ever
// downloaded): opens switchboard's connect page, checks that it names the
// toolkit and the user, clicks "Continue to …" (#continue), picks an
// identity on the fake provider's consent page by its label text, clicks
// Approve (#approve) or Deny (#deny), and lands back on switchboard's
// callback page.
//
// Input (stdin, one JSON document):
//   {"link": "http://127.0.0.1:PORT/connect/…",   required, loopback only
//    "identity": "octo-home",                    label text of the radio to choose (optional)
//    "decision": "approve" | "deny",             default "approve"
//    "expect": {"toolkit": "GitHub", "user": "alice"},   texts the connect page must show
//    "screenshot": "/tmp/…/final.png",           where to save the final page (optional)
//    "chromium": "/usr/bin/chromium",            default /usr/bin/chromium
//    "timeoutMs": 20000}
// Output (stdout, one JSON document):
//   {"finalURL", "title", "text", "status",      the page the browser ended on
//    "connectPage": {"url", "title", "text"}, "consentPage": {"url", "title", "text"},
//    "navigations": [{"url", "status"}],        main-frame documents in order
//    "blocked": ["…"],                           requests refused for not being loopback
//    "error": "…"}                               only when something failed
// Exit codes: 0 the flow ran to the callback page; 1 it did not (the output
// says where it stopped); 2 bad input.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { readInput, writeOutput, log } from './lib.mjs';

const input = await readInput();
const decision = input.decision ?? 'approve';
if (typeof input.link !== 'string' || !isLoopback(input.link) || !['approve', 'deny'].includes(decision)) {
  log('input.link must be an http URL on a loopback address, decision "approve" or "deny"');
  process.exit(2);
}
const timeout = input.timeoutMs ?? 20000;
const out = { finalURL: null, title: null, text: null, status: null, navigations: [], blocked: [] };

// The test's servers are all on loopback; nothing else may be reached.
function isLoopback(u) {
  try {
    const { protocol, hostname } = new URL(u);
    if (protocol === 'about:' || protocol === 'data:') return true;
    if (protocol !== 'http:' && protocol !== 'https:') return false;
    return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
  } catch {
    return false;
  }
}

const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'switchboard-chromium-'));
let context;
let exitCode = 0;
try {
  // launchPersistentContext: the fresh profile directory is Chromium's
  // --user-data-dir (playwright refuses that flag in args).
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: input.chromium ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // No name resolves to anything but the loopback targets.
      '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    ],
    viewport: { width: 900, height: 700 },
    timeout,
  });
  context.setDefaultTimeout(timeout);
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (isLoopback(u)) return route.continue();
    out.blocked.push(u);
    return route.abort('blockedbyclient');
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) {
      out.navigations.push({ url: r.url(), status: r.status() });
    }
  });
  const snapshot = async () => ({ url: page.url(), title: await page.title(), text: await page.locator('body').innerText() });

  // 1. switchboard's connect page.
  const first = await page.goto(input.link, { waitUntil: 'load' });
  out.connectPage = { status: first?.status() ?? null, ...(await snapshot()) };
  for (const [what, want] of Object.entries(input.expect ?? {})) {
    if (!out.connectPage.text.includes(want)) throw new Error(`the connect page does not name the ${what} (${JSON.stringify(want)})`);
  }
  const linkOrigin = new URL(input.link).origin;

  // 2. to the provider.
  await Promise.all([page.waitForURL((u) => u.origin !== linkOrigin), page.locator('#continue').click()]);
  await page.locator('#approve').waitFor();
  out.consentPage = await snapshot();

  // 3. choose the identity and decide.
  if (input.identity) await page.getByLabel(input.identity).check();
  await Promise.all([
    page.waitForURL((u) => u.origin === linkOrigin, { waitUntil: 'load' }),
    page.locator(decision === 'approve' ? '#approve' : '#deny').click(),
  ]);

  // 4. back on switchboard's callback page.
  Object.assign(out, { finalURL: page.url(), title: await page.title(), text: await page.locator('body').innerText() });
  out.status = out.navigations.at(-1)?.status ?? null;
  if (input.screenshot) await page.screenshot({ path: input.screenshot, fullPage: true });
} catch (e) {
  log('failure:', e?.stack ?? e);
  out.error = String(e?.message ?? e);
  exitCode = 1;
  try {
    const page = context?.pages()[0];
    if (page) {
      out.finalURL = page.url();
      out.title = await page.title();
      out.text = await page.locator('body').innerText({ timeout: 2000 });
      if (input.screenshot) await page.screenshot({ path: input.screenshot, fullPage: true });
    }
  } catch {
    /* the page is gone */
  }
} finally {
  try {
    await context?.close();
  } catch (e) {
    log('close:', e?.message ?? e);
  }
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
if (exitCode === 0 && out.blocked.length) {
  out.error = `the browser tried to reach non-loopback addresses: ${out.blocked.join(', ')}`;
  exitCode = 1;
}
writeOutput(out);
process.exit(exitCode);
