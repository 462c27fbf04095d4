// Better Auth 1.7.25's React client (better-auth/react, useSession) in headless Chromium against
// examples/basic, through a same-origin proxy (page at /, /api/* forwarded). Checks every point of
// /work/shared/client-notes.md a browser can observe. The same scenario runs first against a real
// Better Auth 1.7.25 server behind the same kind of proxy, which keeps the expectations honest.
//
// The last test drives examples/basic's own page (examples/basic/index.html, no Better Auth client)
// through two-factor enrolment and challenged sign-ins.
//
// CHROMIUM (default /usr/bin/chromium): the browser binary; playwright never downloads one.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { startBetterAuth } from '../ba-server.mjs';
import { parseSetCookie } from '../lib/jar.mjs';
import { buildPage } from '../lib/page.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { INTEROP_DIR, SECRET, buildBasic, startBasic } from '../lib/servers.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = path.join(INTEROP_DIR, 'out');
const WEEK_S = 7 * 24 * 3600;
const SESSION_COOKIE = 'better-auth.session_token';
const UI_TIMEOUT = 10_000;
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let tmp;
let staticDir;
const cleanups = [];

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM)`);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'betterauth-browser-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  [staticDir] = await Promise.all([buildPage(path.join(tmp, 'static')), buildBasic()]);
}, { timeout: 300_000 });

after(async () => {
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch {}
  }
});

/**
 * Runs the browser scenario against a server started by `startUpstream(publicOrigin)` (which
 * resolves to { origin, stop }) behind a fresh proxy, in a fresh Chromium profile.
 */
async function scenario(t, { label, startUpstream, screenshot }) {
  const proxy = await startProxy({ staticDir });
  cleanups.push(() => proxy.close());
  // The public origin is the proxy's: that is where the page lives and what Origin says.
  const upstream = await startUpstream(proxy.origin);
  cleanups.push(() => upstream.stop());
  proxy.state.upstream = upstream.origin;

  const profile = mkdtempSync(path.join(tmp, 'profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000,
    viewport: { width: 900, height: 700 },
  });
  cleanups.push(() => context.close());
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => consoleErrors.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));

  const byId = (id) => page.getByTestId(id);
  const email = `browser-${Date.now().toString(36)}@example.com`;
  const password = 'correct-horse-1';
  const name = 'Browser User';
  const renamed = 'Browser User Renamed';

  /** The exchanges the proxy forwarded since index `from`, for one method and API path. */
  const exchanges = (from, method, apiPath) => proxy.state.log.slice(from)
    .filter((e) => e.method === method && e.path.split('?')[0] === `/api/auth${apiPath}`);

  /** Waits until the proxy has seen (and finished) a matching exchange. */
  async function waitExchange(from, method, apiPath) {
    const deadline = Date.now() + UI_TIMEOUT;
    while (Date.now() < deadline) {
      const xs = exchanges(from, method, apiPath);
      if (xs.length && xs.every((x) => x.status)) return xs;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${method} ${apiPath} seen by the proxy`);
  }

  const sessionCookies = async () => (await context.cookies(proxy.origin)).filter((c) => c.name.startsWith('better-auth'));

  /** Waits for the signed-in view with this name, failing at once with the page's error text. */
  async function expectSignedIn(who) {
    const ok = byId('user-name').filter({ hasText: new RegExp(`^${who}$`) });
    await ok.or(byId('error')).first().waitFor();
    if (await byId('error').count()) assert.fail(`the page shows an error: ${await byId('error').textContent()}`);
    await ok.waitFor();
    assert.equal(await byId('status').textContent(), 'signed-in');
    assert.equal(await byId('user-email').textContent(), email);
    assert.equal(await byId('dates').textContent(), 'ok', 'the client parsed the dates into sane Date objects');
  }

  async function expectSignedOut() {
    await byId('status').filter({ hasText: 'signed-out' }).waitFor();
    assert.equal(await byId('user-name').count(), 0);
  }

  // UI steps depend on each other: after the first failure the rest are skipped, not timed out.
  let broken = false;
  const step = (stepName, fn) => t.test(stepName, async (st) => {
    if (broken) return st.skip('an earlier step failed');
    try {
      await fn();
    } catch (err) {
      broken = true;
      err.message = `[${label}] ${err.message}`;
      throw err;
    }
  });

  await step('the signed-out page loads: GET /get-session answers 200 null', async () => {
    const from = proxy.state.log.length;
    await page.goto(`${proxy.origin}/`);
    await expectSignedOut();
    const [g] = await waitExchange(from, 'GET', '/get-session');
    assert.equal(g.status, 200);
    assert.equal(g.responseBody, 'null');
  });

  await step('sign-up: the name appears through useSession; cookie as Better Auth sets it', async () => {
    const from = proxy.state.log.length;
    await byId('name').fill(name);
    await byId('email').fill(email);
    await byId('password').fill(password);
    await byId('sign-up').click();
    await expectSignedIn(name);
    const [x] = await waitExchange(from, 'POST', '/sign-up/email');
    assert.equal(x.status, 200, `sign-up answered ${x.status} ${x.responseBody}`);
    // The client refetched the session ~10 ms after the write and found it (writes committed first).
    const gets = await waitExchange(from, 'GET', '/get-session');
    assert.ok(gets.some((g) => JSON.parse(g.responseBody)?.user?.email === email), 'a get-session after sign-up saw the user');

    const cookies = await sessionCookies();
    assert.deepEqual(cookies.map((c) => c.name), [SESSION_COOKIE], 'exactly one Better Auth cookie');
    const [c] = cookies;
    assert.equal(c.httpOnly, true, 'HttpOnly');
    assert.equal(c.sameSite, 'Lax', 'SameSite=Lax');
    assert.equal(c.secure, false, 'not Secure over http');
    assert.equal(c.path, '/', 'Path=/');
    assert.equal(c.domain, '127.0.0.1', 'a host-only cookie for the page\'s host');
    assert.ok(Math.abs(c.expires - (Date.now() / 1000 + WEEK_S)) < 120, `expires in a week (${new Date(c.expires * 1000).toISOString()})`);
    const raw = parseSetCookie(x.setCookies.find((h) => h.startsWith(`${SESSION_COOKIE}=`)));
    assert.deepEqual(raw.attrs, { 'max-age': '604800', path: '/', httponly: true, samesite: 'Lax' }, 'Set-Cookie attributes: no Domain, no Secure');
  });

  await step('reload: still signed in', async () => {
    await page.reload();
    await expectSignedIn(name);
  });

  await step('listSessions: a GET whose items carry get-session\'s session.id', async () => {
    const from = proxy.state.log.length;
    const listed = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/list-sessions');
    await byId('list-sessions').click();
    await listed;
    await byId('busy').waitFor({ state: 'detached' });
    await byId('sessions').or(byId('error')).first().waitFor();
    assert.equal(await byId('sessions').textContent(), '1 session(s), current listed: yes');
    const [x] = await waitExchange(from, 'GET', '/list-sessions');
    assert.equal(x.status, 200);
  });

  await step('updateUser: the new name appears', async () => {
    const from = proxy.state.log.length;
    await byId('new-name').fill(renamed);
    await byId('update-user').click();
    await expectSignedIn(renamed);
    const [x] = await waitExchange(from, 'POST', '/update-user');
    assert.equal(x.status, 200, `update-user answered ${x.status} ${x.responseBody}`);
    assert.deepEqual(JSON.parse(x.requestBody), { name: renamed });
  });

  await step('sign-out: signed-out state; the sign-out response itself clears the cookie', async () => {
    const from = proxy.state.log.length;
    await byId('sign-out').click();
    await expectSignedOut();
    const [x] = await waitExchange(from, 'POST', '/sign-out');
    assert.equal(x.status, 200);
    assert.equal(x.requestBody, '{}', 'signOut() posts {}');
    const cleared = x.setCookies.map(parseSetCookie).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cleared, `sign-out's own response clears ${SESSION_COOKIE} (got ${JSON.stringify(x.setCookies)})`);
    assert.equal(cleared.value, '');
    assert.equal(cleared.attrs['max-age'], '0');
    assert.equal(cleared.attrs.path, '/');
    assert.deepEqual(await sessionCookies(), [], 'no Better Auth cookie left in the browser');
  });

  await step('errors shown word for word: duplicate sign-up (422), wrong password (401)', async () => {
    let from = proxy.state.log.length;
    await byId('name').fill(name);
    await byId('email').fill(email);
    await byId('password').fill(password);
    await byId('sign-up').click();
    await byId('error').waitFor();
    assert.equal(await byId('error').textContent(), 'User already exists. Use another email.');
    let [x] = await waitExchange(from, 'POST', '/sign-up/email');
    assert.equal(x.status, 422);
    assert.deepEqual(JSON.parse(x.responseBody), { message: 'User already exists. Use another email.', code: 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL' });

    from = proxy.state.log.length;
    await byId('password').fill('wrong-password-9');
    await byId('sign-in').click();
    await byId('error').filter({ hasText: 'Invalid email or password' }).waitFor();
    [x] = await waitExchange(from, 'POST', '/sign-in/email');
    assert.equal(x.status, 401);
    assert.deepEqual(JSON.parse(x.responseBody), { message: 'Invalid email or password', code: 'INVALID_EMAIL_OR_PASSWORD' });
    await expectSignedOut();
  });

  await step('sign-in: the (new) name appears again', async () => {
    const from = proxy.state.log.length;
    await byId('password').fill(password);
    await byId('sign-in').click();
    await expectSignedIn(renamed);
    const [x] = await waitExchange(from, 'POST', '/sign-in/email');
    assert.equal(x.status, 200, `sign-in answered ${x.status} ${x.responseBody}`);
    assert.deepEqual((await sessionCookies()).map((c) => c.name), [SESSION_COOKIE]);
    const listed = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/list-sessions');
    await byId('list-sessions').click();
    await listed;
    await byId('busy').waitFor({ state: 'detached' });
    assert.equal(await byId('sessions').textContent(), '1 session(s), current listed: yes');
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: path.join(OUT, screenshot), fullPage: true });
  });

  // Checks over everything the proxy saw.
  const log = proxy.state.log;
  await t.test('every POST carried Origin = the page\'s origin and Sec-Fetch-Site: same-origin; no GET carried Origin', () => {
    assert.ok(log.some((e) => e.method === 'POST'), 'POSTs were made');
    for (const e of log) {
      if (e.method === 'POST') {
        assert.equal(e.requestHeaders.origin, proxy.origin, `${e.path}: Origin`);
        assert.equal(e.requestHeaders['sec-fetch-site'], 'same-origin', `${e.path}: Sec-Fetch-Site`);
      } else {
        assert.equal(e.requestHeaders.origin, undefined, `${e.method} ${e.path}: no Origin`);
      }
    }
  });

  await t.test('get-session is only ever a GET and never sends needsRefresh', () => {
    const gs = log.filter((e) => e.path.startsWith('/api/auth/get-session'));
    assert.ok(gs.length > 3, 'get-session calls seen');
    assert.deepEqual(gs.filter((e) => e.method !== 'GET').map((e) => e.method), []);
    for (const e of gs) assert.ok(!e.responseBody.includes('needsRefresh'), `no needsRefresh in ${e.responseBody.slice(0, 80)}`);
  });

  await t.test('every timestamp the page received has three fractional digits', () => {
    const stamps = log.flatMap((e) => e.responseBody.match(/"\d{4}-\d{2}-\d{2}T[^"]*"/g) ?? []);
    assert.ok(stamps.length > 5, `timestamps seen: ${stamps.length}`);
    assert.deepEqual(stamps.filter((s) => !/^"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"$/.test(s)), []);
  });

  await t.test('no console errors or page errors, except the two deliberate failed requests', () => {
    // Chromium logs "Failed to load resource: ... 422/401" for the two error-path requests above.
    const unexpected = consoleErrors.filter((m) => !/^console: Failed to load resource: the server responded with a status of (422|401) /.test(m));
    assert.deepEqual(unexpected, []);
    if (!broken) assert.equal(consoleErrors.length, 2, `the two deliberate failures were logged: ${JSON.stringify(consoleErrors)}`);
  });

  if (process.env.INTEROP_DEBUG) {
    console.error(label, JSON.stringify({ consoleErrors, log: log.map((e) => [e.method, e.path, e.status, e.setCookies]) }, null, 1));
  }
  await context.close();
  await upstream.stop();
  await proxy.close();
}

test('reference: the React client in Chromium against Better Auth 1.7.25', { timeout: 120_000 }, (t) =>
  scenario(t, {
    label: 'Better Auth',
    screenshot: 'browser-reference.png',
    startUpstream: async (publicOrigin) => {
      const ba = await startBetterAuth({ secret: SECRET, baseURL: publicOrigin });
      return { origin: ba.origin, stop: ba.close };
    },
  }));

test('the React client in Chromium against examples/basic', { timeout: 120_000 }, (t) =>
  scenario(t, {
    label: 'examples/basic',
    screenshot: 'browser.png',
    startUpstream: (publicOrigin) => startBasic({ env: { BETTER_AUTH_URL: publicOrigin } }),
  }));

/** The current TOTP code (RFC 6238: SHA-1, 6 digits, 30 s) of an otpauth:// URI's base32 secret. */
function totpNow(uri) {
  const secret = new URL(uri).searchParams.get('secret');
  let bits = '';
  for (const ch of secret.replace(/=+$/, '')) {
    const v = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch.toUpperCase());
    if (v < 0) throw new Error(`not base32: ${secret}`);
    bits += v.toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const off = mac[mac.length - 1] & 15;
  return String((mac.readUInt32BE(off) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

test('examples/basic\'s own page in Chromium: two-factor enrolment, challenged sign-ins, trust, disable', { timeout: 120_000 }, async (t) => {
  const basic = await startBasic({ env: { BETTER_AUTH_TWO_FACTOR: 'true' } });
  cleanups.push(() => basic.stop());
  const profile = mkdtempSync(path.join(tmp, 'profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000,
    viewport: { width: 900, height: 1400 },
  });
  cleanups.push(() => context.close());
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  const consoleErrors = [];
  // Chromium asks for /favicon.ico, which the example does not serve (404); every other error counts.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.location().url?.endsWith('/favicon.ico')) consoleErrors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  const failed = [];
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });

  const $ = (id) => page.locator(`#${id}`);
  const email = `tf-${Date.now().toString(36)}@example.com`;
  const password = 'correct-horse-1';
  let uri;
  let backupCodes;
  // Steps depend on each other: after the first failure the rest are skipped, not timed out.
  let broken = false;
  const step = (stepName, fn) => t.test(stepName, async (st) => {
    if (broken) return st.skip('an earlier step failed');
    try {
      await fn();
    } catch (err) {
      broken = true;
      throw err;
    }
  });

  /** Waits until the session fieldset names the user, failing at once on an error message. */
  async function expectSignedIn() {
    const ok = $('who').filter({ hasText: `<${email}>` });
    await ok.or(page.locator('.msg.error')).first().waitFor();
    if (await page.locator('.msg.error').count()) assert.fail(`the page says: ${await page.locator('.msg.error').first().textContent()}`);
    await ok.waitFor();
    assert.equal(await $('tf-challenge').isHidden(), true, 'no second step left on screen');
  }
  async function signOut() {
    await $('sign-out').click();
    await $('who').filter({ hasText: 'Not signed in.' }).waitFor();
    assert.equal(await $('tf-box').isHidden(), true, 'the two-factor box is for signed-in users');
  }
  /** Signs in with the password and waits for the second step. */
  async function signInChallenged() {
    await $('si-email').fill(email);
    await $('si-password').fill(password);
    await $('sign-in').click();
    await $('tf-challenge').waitFor({ state: 'visible' });
    assert.equal(await $('who').textContent(), 'Not signed in.');
    assert.equal(await $('tf-verify-totp').isVisible(), true, 'TOTP offered');
    assert.equal(await $('tf-send-otp').isVisible(), true, 'OTP offered (the example sets SendOTP)');
    assert.equal(await $('tf-verify-backup').isVisible(), true);
  }

  await step('without BETTER_AUTH_TWO_FACTOR the page shows no two-factor box', async () => {
    const plain = await startBasic();
    cleanups.push(() => plain.stop());
    await page.goto(`${plain.origin}/`);
    await $('who').filter({ hasText: 'Not signed in.' }).waitFor();
    await $('su-name').fill('Plain');
    await $('su-email').fill(email);
    await $('su-password').fill(password);
    await $('sign-up').click();
    await expectSignedIn();
    assert.equal(await $('tf-box').isHidden(), true);
    await plain.stop();
  });

  await step('sign-up; the page learns from /api/config that two-factor is on', async () => {
    await page.goto(`${basic.origin}/`);
    await $('who').filter({ hasText: 'Not signed in.' }).waitFor();
    assert.equal(await $('tf-box').isHidden(), true);
    await $('su-name').fill('Two Factor');
    await $('su-email').fill(email);
    await $('su-password').fill(password);
    await $('sign-up').click();
    await expectSignedIn();
    await $('tf-state').filter({ hasText: 'Two-factor is off.' }).waitFor();
    assert.equal(await $('tf-box').isVisible(), true);
  });

  await step('enrolment: QR code drawn by the server, the URI, ten backup codes; the first code turns it on', async () => {
    await $('tf-password').fill(password);
    await $('tf-enable').click();
    await $('tf-enrol').waitFor({ state: 'visible' });
    uri = await $('tf-uri').textContent();
    assert.match(uri, /^otpauth:\/\/totp\/Better%20Auth:[^?]+\?secret=[A-Z2-7]+&issuer=Better\+Auth&digits=6&period=30$/);
    backupCodes = (await $('tf-backup-codes').textContent()).split('\n');
    assert.equal(backupCodes.length, 10);
    await page.waitForFunction(() => document.getElementById('tf-qr').naturalWidth > 0);
    assert.equal(await $('tf-qr').evaluate((img) => img.naturalWidth), 256, 'the PNG from POST /example/qr loaded');
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: path.join(OUT, 'browser-two-factor.png'), fullPage: true });
    await $('tf-enrol-code').fill(totpNow(uri));
    await $('tf-confirm').click();
    await $('tf-state').filter({ hasText: 'Two-factor is on.' }).waitFor();
    assert.equal(await $('tf-enrol').isHidden(), true);
    assert.equal(await $('tf-disable').isVisible(), true);
    await expectSignedIn();
  });

  await step('a challenged sign-in completed with an app code', async () => {
    await signOut();
    await signInChallenged();
    await $('tf-code').fill(totpNow(uri));
    await $('tf-verify-totp').click();
    await expectSignedIn();
  });

  await step('a challenged sign-in completed with a backup code', async () => {
    await signOut();
    await signInChallenged();
    await $('tf-code').fill(backupCodes[0]);
    await $('tf-verify-backup').click();
    await expectSignedIn();
  });

  await step('a challenged sign-in completed with a code "sent" (logged), trusting the device', async () => {
    await signOut();
    await signInChallenged();
    await $('tf-send-otp').click();
    await $('tf-challenge').locator('.msg').filter({ hasText: 'A code was sent' }).waitFor();
    const mails = basic.mails().filter((m) => m.kind === 'two-factor-otp' && m.to === email);
    assert.equal(mails.length, 1, 'one code logged by the dev mailer');
    await $('tf-code').fill(mails[0].token);
    await $('tf-trust').check();
    await $('tf-verify-otp').click();
    await expectSignedIn();
    const cookies = (await context.cookies(basic.origin)).map((c) => c.name);
    assert.ok(cookies.includes('better-auth.trust_device'), `a trust_device cookie (got ${cookies})`);
  });

  await step('the trusted device signs in without the second step', async () => {
    await signOut();
    await $('si-email').fill(email);
    await $('si-password').fill(password);
    await $('sign-in').click();
    await expectSignedIn();
  });

  await step('disable: the next sign-in is a plain one', async () => {
    await $('tf-password').fill(password);
    await $('tf-disable').click();
    await $('tf-state').filter({ hasText: 'Two-factor is off.' }).waitFor();
    await signOut();
    await context.clearCookies();
    await $('si-email').fill(email);
    await $('si-password').fill(password);
    await $('sign-in').click();
    await expectSignedIn();
  });

  await step('no failed requests, console errors or page errors (but the favicon\'s 404)', () => {
    assert.deepEqual(failed, []);
    assert.deepEqual(consoleErrors, []);
  });
  await context.close();
  await basic.stop();
});
