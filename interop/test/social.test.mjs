// Social sign-in against a real Better Auth 1.7.25 with the same generic OpenID provider, and a certified
// OpenID provider (oidc-provider, lib/op.mjs) in front of both.
//
// Better Auth: genericOAuth({config: [{providerId: 'oidc', discoveryUrl, clientId, clientSecret}]}), every
// other option at its default. examples/basic: OIDC_DISCOVERY_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET.
//
// 1. In memory, the same script against each server: a sign-up through the provider, a second sign-in, and
//    every misuse (tampered state, a missing state cookie, a replayed callback, no state, an unknown
//    provider, a callback for another provider, a local user with an unverified email, link-social with
//    another email, unlinking the last account). Each answer is checked against Better Auth first, and the
//    normalized records (status, redirect path, ?error= code, error code of JSON answers) must be equal.
//
// 2. One PostgreSQL database, both servers behind one origin (a proxy whose upstream is switched, as a
//    load balancer would, so that both have the same callback URL): users made through either sign in
//    through the other as the same user, with one user row and one account row; a flow begun on one
//    server finishes on the other (its state row and signed state cookie read by the other); link-social
//    begun on one finishes on the other; the account rows of both look alike.
//
// Skipped without PostgreSQL for part 2, except under CI. INTEROP_DEBUG=1 prints every exchange.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { genericOAuth } from 'better-auth/plugins/generic-oauth';
import { startBetterAuth } from '../ba-server.mjs';
import { createDatabase, pool, postgresServer } from '../lib/db.mjs';
import { CookieJar } from '../lib/jar.mjs';
import { CLIENT_ID, CLIENT_SECRET, startOP } from '../lib/op.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { INTEROP_DIR, SECRET, buildBasic, freePort, startBasic } from '../lib/servers.mjs';

const TIMEOUT = 180_000;
const PASSWORD = 'correct-horse-1';
const CALLBACK = '/api/auth/callback/oidc';
const debug = (what) => { if (process.env.INTEROP_DEBUG) console.error(`[social] ${what}`); };

const cleanups = [];
let server;

before(async () => {
  await buildBasic();
  server = await postgresServer();
  if (server) cleanups.push(() => server.stop());
}, { timeout: 300_000 });

after(async () => {
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch {}
  }
});

const tag = () => randomBytes(4).toString('hex');

/** A browser: one cookie jar for every 127.0.0.1 port (browsers do not tell ports apart). */
function browser() {
  const jar = new CookieJar();
  async function request(url, { method = 'GET', body, origin } = {}) {
    const headers = new Headers();
    if (jar.header()) headers.set('cookie', jar.header());
    if (body !== undefined) headers.set('content-type', 'application/json');
    if (origin) headers.set('origin', origin);
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    jar.apply(res.headers.getSetCookie());
    const text = await res.text();
    debug(`${method} ${url} -> ${res.status} ${res.headers.get('location') ?? ''} ${text.slice(0, 200)}`);
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch {}
    return { status: res.status, location: res.headers.get('location'), json };
  }
  return { jar, request };
}

/**
 * Starts a flow on base (POST path with body), lets the provider approve, and stops at the redirect to
 * the app's callback: resolves to { start, callbackURL }. The browser's cookies (the state cookie, the
 * provider's session) stay in its jar.
 */
async function toCallback(b, base, path, body) {
  const start = await b.request(`${base}/api/auth${path}`, { method: 'POST', body, origin: base });
  if (start.status !== 200) return { start };
  let url = start.json.url;
  for (let i = 0; i < 10; i++) {
    const res = await b.request(url);
    assert.ok(res.location, `the provider redirects (${res.status} ${JSON.stringify(res.json)})`);
    url = new URL(res.location, url).href;
    if (new URL(url).pathname.endsWith(CALLBACK)) return { start, callbackURL: url };
  }
  assert.fail('the provider never redirected to the callback');
}

/** The callback's answer as compared between servers: status, where it sends the browser, ?error=. */
function outcome(res) {
  if (res.status !== 302) return { status: res.status, code: res.json?.code };
  const to = new URL(res.location, 'http://x');
  return { status: 302, path: to.pathname, error: to.searchParams.get('error') };
}

/** A whole sign-in through the provider as the OP's current user; resolves to the callback's outcome. */
async function signIn(b, base, body = {}) {
  const { start, callbackURL } = await toCallback(b, base, '/sign-in/social', { provider: 'oidc', ...body });
  if (!callbackURL) return outcome(start);
  return outcome(await b.request(callbackURL));
}

async function sessionUser(b, base) {
  const res = await b.request(`${base}/api/auth/get-session`);
  return res.json?.user ?? null;
}

const baPlugins = (op) => [genericOAuth({ config: [{ providerId: 'oidc', discoveryUrl: op.discoveryURL, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }] })];
const goEnv = (op) => ({ OIDC_DISCOVERY_URL: op.discoveryURL, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET });

/** The script of part 1 against one server; returns its records. */
async function script(op, base, name) {
  const records = [];
  const step = (what, got, want) => {
    debug(`${name}: ${what}: ${JSON.stringify(got)}`);
    if (want) assert.deepEqual(got, want, `${name}: ${what}`);
    records.push({ what, got });
  };
  const t = tag();
  const sub = `sub-${name}-${t}`;
  const email = `oidc-${name}-${t}@example.com`;
  op.users.set(sub, { email, email_verified: true, name: 'Ada' });
  op.setUser(sub);

  let b = browser();
  let res = await b.request(`${base}/api/auth/sign-in/social`, { method: 'POST', body: { provider: 'nope' }, origin: base });
  step('unknown provider', { status: res.status, code: res.json?.code }, { status: 404, code: 'PROVIDER_NOT_FOUND' });

  step('sign-up', await signIn(b, base, { callbackURL: '/dashboard', newUserCallbackURL: '/welcome' }), { status: 302, path: '/welcome', error: null });
  const user = await sessionUser(b, base);
  assert.equal(user?.email, email);
  assert.equal(user?.emailVerified, true);
  step('sign-in again', await signIn(browser(), base, { callbackURL: '/dashboard', newUserCallbackURL: '/welcome' }), { status: 302, path: '/dashboard', error: null });

  res = await b.request(`${base}/api/auth/list-accounts`);
  step('list-accounts', { status: res.status, accounts: res.json.map((a) => [a.providerId, a.accountId === sub, a.scopes]) }, { status: 200, accounts: [['oidc', true, ['openid']]] });
  res = await b.request(`${base}/api/auth/unlink-account`, { method: 'POST', body: { accountId: res.json[0].id }, origin: base });
  step('unlink the last account', { status: res.status, code: res.json?.code }, { status: 400, code: 'FAILED_TO_UNLINK_LAST_ACCOUNT' });

  // State misuse.
  b = browser();
  let flow = await toCallback(b, base, '/sign-in/social', { provider: 'oidc', errorCallbackURL: '/oops' });
  const u = new URL(flow.callbackURL);
  u.searchParams.set('state', 'x'.repeat(32));
  step('tampered state', outcome(await b.request(u.href)), { status: 302, path: '/api/auth/error', error: 'state_mismatch' });
  b = browser();
  flow = await toCallback(b, base, '/sign-in/social', { provider: 'oidc', errorCallbackURL: '/oops' });
  const jarWithout = browser();
  step('missing state cookie', outcome(await jarWithout.request(flow.callbackURL)), { status: 302, path: '/oops', error: 'state_mismatch' });
  step('the real browser still finishes', outcome(await b.request(flow.callbackURL)), { status: 302, path: '/', error: null });
  step('replayed callback', outcome(await b.request(flow.callbackURL)), { status: 302, path: '/api/auth/error', error: 'state_mismatch' });
  const noState = new URL(flow.callbackURL);
  noState.searchParams.delete('state');
  step('no state', outcome(await b.request(noState.href)), { status: 302, path: '/api/auth/error', error: 'state_not_found' });
  b = browser();
  flow = await toCallback(b, base, '/sign-in/social', { provider: 'oidc', errorCallbackURL: '/oops' });
  step('another provider\'s callback', outcome(await b.request(flow.callbackURL.replace('/callback/oidc', '/callback/other'))), { status: 302, path: '/oops', error: 'oauth_provider_not_found' });

  // A local user with an unverified email: not linked implicitly, no session, no account.
  const local = `local-${name}-${t}@example.com`;
  b = browser();
  res = await b.request(`${base}/api/auth/sign-up/email`, { method: 'POST', body: { name: 'Local', email: local, password: PASSWORD }, origin: base });
  assert.equal(res.status, 200);
  const localSub = `sub-local-${name}-${t}`;
  op.users.set(localSub, { email: local, email_verified: true, name: 'Provider' });
  op.setUser(localSub);
  const nb = browser();
  step('unverified local user', await signIn(nb, base, { errorCallbackURL: '/oops' }), { status: 302, path: '/oops', error: 'account_not_linked' });
  assert.equal(await sessionUser(nb, base), null);

  // link-social of the signed-in local user to a provider account with another email.
  op.users.set(localSub, { email: `other-${t}@example.com`, email_verified: true, name: 'Provider' });
  flow = await toCallback(b, base, '/link-social', { provider: 'oidc', callbackURL: '/settings', errorCallbackURL: '/oops' });
  step('link-social, another email', outcome(await b.request(flow.callbackURL)), { status: 302, path: '/oops', error: 'email_does_not_match' });
  op.users.set(localSub, { email: local, email_verified: false, name: 'Provider' });
  flow = await toCallback(b, base, '/link-social', { provider: 'oidc', callbackURL: '/settings', errorCallbackURL: '/oops' });
  step('link-social, unverified provider email', outcome(await b.request(flow.callbackURL)), { status: 302, path: '/oops', error: 'unable_to_link_account' });
  op.users.set(localSub, { email: local, email_verified: true, name: 'Provider' });
  flow = await toCallback(b, base, '/link-social', { provider: 'oidc', callbackURL: '/settings', errorCallbackURL: '/oops' });
  step('link-social', outcome(await b.request(flow.callbackURL)), { status: 302, path: '/settings', error: null });
  res = await b.request(`${base}/api/auth/list-accounts`);
  step('accounts after link', res.json.map((a) => a.providerId).sort(), ['credential', 'oidc']);

  // A provider that says the email is not verified still signs a new user up.
  const unverified = `sub-unverified-${name}-${t}`;
  op.users.set(unverified, { email: `unverified-${name}-${t}@example.com`, email_verified: false, name: 'U' });
  op.setUser(unverified);
  const ub = browser();
  step('unverified provider email, new user', await signIn(ub, base), { status: 302, path: '/', error: null });
  assert.equal((await sessionUser(ub, base))?.emailVerified, false);
  return records;
}

test('Better Auth and examples/basic answer the same, in memory', { timeout: TIMEOUT }, async () => {
  const [baPort, goPort] = [await freePort(), await freePort()];
  const op = await startOP({ redirectURIs: [`http://127.0.0.1:${baPort}${CALLBACK}`, `http://127.0.0.1:${goPort}${CALLBACK}`] });
  cleanups.push(() => op.close());
  const ba = await startBetterAuth({ port: baPort, secret: SECRET, options: { plugins: baPlugins(op) } });
  cleanups.push(() => ba.close());
  const go = await startBasic({ port: goPort, env: goEnv(op) });
  cleanups.push(() => go.stop());

  const want = await script(op, ba.origin, 'ba');
  let got;
  try {
    got = await script(op, go.origin, 'go');
  } catch (err) {
    err.message += `\n--- examples/basic logs ---\n${go.logs().slice(-4000)}`;
    throw err;
  }
  assert.deepEqual(got, want);
  assert.ok(!go.logs().includes(CLIENT_SECRET), 'the client secret is never logged');
});

test('one PostgreSQL database, both servers behind one origin', { timeout: TIMEOUT }, async (t) => {
  if (!server) return t.skip('no PostgreSQL');
  const url = await createDatabase(server.url, 'interop_social');
  const proxy = await startProxy({ staticDir: `${INTEROP_DIR}/page` });
  cleanups.push(() => proxy.close());
  const base = proxy.origin;
  const op = await startOP({ redirectURIs: [`${base}${CALLBACK}`] });
  cleanups.push(() => op.close());
  // examples/basic first: its migrations make the tables Better Auth then uses.
  const go = await startBasic({ env: { ...goEnv(op), DATABASE_URL: url, BETTER_AUTH_URL: base } });
  cleanups.push(() => go.stop());
  const baPool = pool(url);
  cleanups.push(() => baPool.end());
  const ba = await startBetterAuth({ secret: SECRET, baseURL: base, options: { database: baPool, plugins: baPlugins(op) } });
  cleanups.push(() => ba.close());
  const db = pool(url);
  cleanups.push(() => db.end());
  const to = (which) => { proxy.state.upstream = which === 'ba' ? ba.origin : go.origin; };
  const rows = async (email) => {
    const users = (await db.query('select id, "emailVerified", name from "user" where email = $1', [email])).rows;
    const accounts = users.length ? (await db.query('select * from account where "userId" = $1 order by "createdAt"', [users[0].id])).rows : [];
    return { users, accounts };
  };

  for (const [first, second] of [['ba', 'go'], ['go', 'ba']]) {
    const sub = `sub-${first}-${tag()}`;
    const email = `${sub}@example.com`;
    op.users.set(sub, { email, email_verified: true, name: `Made on ${first}` });
    op.setUser(sub);
    to(first);
    const b1 = browser();
    assert.deepEqual(await signIn(b1, base, { callbackURL: '/dashboard' }), { status: 302, path: '/dashboard', error: null }, `sign-up on ${first}`);
    const u1 = await sessionUser(b1, base);
    to(second);
    const b2 = browser();
    assert.deepEqual(await signIn(b2, base, { callbackURL: '/dashboard', newUserCallbackURL: '/welcome' }), { status: 302, path: '/dashboard', error: null }, `sign-in on ${second}: not a new user`);
    const u2 = await sessionUser(b2, base);
    assert.equal(u2.id, u1.id, `${second} signs in the user ${first} made`);
    assert.equal((await sessionUser(b1, base))?.id, u1.id, `${second} reads ${first}'s session`);
    const { users, accounts } = await rows(email);
    assert.equal(users.length, 1);
    assert.equal(accounts.length, 1, 'one account row');
    const a = accounts[0];
    assert.equal(a.providerId, 'oidc');
    assert.equal(a.accountId, sub);
    assert.equal(a.scope, 'openid');
    for (const col of ['accessToken', 'refreshToken', 'idToken', 'accessTokenExpiresAt']) assert.ok(a[col], `${col} is set`);
    assert.equal(users[0].name, `Made on ${first}`);
  }

  // A flow begun on one server ends on the other: its state row and signed state cookie are read there.
  for (const [first, second] of [['ba', 'go'], ['go', 'ba']]) {
    const sub = `sub-cross-${first}-${tag()}`;
    op.users.set(sub, { email: `${sub}@example.com`, email_verified: true, name: 'Cross' });
    op.setUser(sub);
    to(first);
    const b = browser();
    const { callbackURL } = await toCallback(b, base, '/sign-in/social', { provider: 'oidc', callbackURL: '/dashboard', newUserCallbackURL: '/welcome', errorCallbackURL: '/oops' });
    to(second);
    assert.deepEqual(outcome(await b.request(callbackURL)), { status: 302, path: '/welcome', error: null }, `begun on ${first}, ended on ${second}`);
    assert.equal((await sessionUser(b, base))?.email, `${sub}@example.com`);
    // The same misuse gets the same answer wherever it lands: a replay, and a flow without its cookie.
    assert.deepEqual(outcome(await b.request(callbackURL)), { status: 302, path: '/api/auth/error', error: 'state_mismatch' });
    to(first);
    const { callbackURL: cb2 } = await toCallback(browser(), base, '/sign-in/social', { provider: 'oidc', errorCallbackURL: '/oops' });
    to(second);
    assert.deepEqual(outcome(await browser().request(cb2)), { status: 302, path: '/oops', error: 'state_mismatch' });
  }

  // link-social begun on one server, ended on the other; then the provider signs in on the first.
  for (const [first, second] of [['ba', 'go'], ['go', 'ba']]) {
    const email = `link-${first}-${tag()}@example.com`;
    to(second);
    const b = browser();
    assert.equal((await b.request(`${base}/api/auth/sign-up/email`, { method: 'POST', body: { name: 'Linker', email, password: PASSWORD }, origin: base })).status, 200);
    const sub = `sub-link-${first}-${tag()}`;
    op.users.set(sub, { email, email_verified: true, name: 'Provider' });
    op.setUser(sub);
    to(first);
    const { callbackURL } = await toCallback(b, base, '/link-social', { provider: 'oidc', callbackURL: '/settings' });
    to(second);
    assert.deepEqual(outcome(await b.request(callbackURL)), { status: 302, path: '/settings', error: null }, `link begun on ${first}, ended on ${second}`);
    to(first);
    const b2 = browser();
    assert.deepEqual(await signIn(b2, base, { callbackURL: '/dashboard' }), { status: 302, path: '/dashboard', error: null });
    const { users, accounts } = await rows(email);
    assert.equal(users.length, 1);
    assert.equal((await sessionUser(b2, base))?.id, users[0].id);
    assert.deepEqual(accounts.map((a) => a.providerId), ['credential', 'oidc']);
  }

  // The account rows each server wrote have the same columns set.
  const written = (await db.query('select * from account where "providerId" = $1', ['oidc'])).rows;
  const setColumns = (r) => Object.keys(r).filter((k) => r[k] !== null && !['password'].includes(k)).sort();
  const shapes = new Set(written.map((r) => JSON.stringify(setColumns(r))));
  assert.equal(shapes.size, 1, `every oidc account row has the same columns set: ${[...shapes].join(' | ')}`);
});
