// Many instances: three examples/basic processes on ONE PostgreSQL and ONE Redis (REDIS_URL: sessions
// and verification values in Redis, rate limits in Redis, behind a trusted proxy so clients are
// counted by X-Forwarded-For), as a deployment of stateless replicas behind a load balancer runs them.
//
// (A fourth replica, counting its limits in memory, joins the load of the last scenario.)
//
// - A session made on one replica is read, listed and revoked on the others.
// - A client's requests count as one against the rate limits, whichever replica they land on.
// - Redis stopped and restarted under load: while it is down every replica answers 503 (never a
//   signed-out answer, never a cleared cookie); once it is back every replica recovers by itself and
//   the session is still there.
//
// One throwaway PostgreSQL and one throwaway Redis (lib/pg.mjs, lib/redis.mjs); skipped without them,
// except under CI.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createDatabase, postgresServer } from '../lib/db.mjs';
import { CookieJar, browserLikeFetch, parseSetCookie } from '../lib/jar.mjs';
import { redisClient, redisServer } from '../lib/redis.mjs';
import { buildBasic, startBasic } from '../lib/servers.mjs';

const TIMEOUT = 180_000;
const SESSION_COOKIE = 'better-auth.session_token';
const PASSWORD = 'correct-horse-1';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let pgServer;
let redis;
const cleanups = [];

before(async () => {
  await buildBasic();
  pgServer = await postgresServer();
  if (pgServer) cleanups.push(() => pgServer.stop());
  redis = await redisServer();
  if (redis) cleanups.push(() => redis.close());
}, { timeout: 300_000 });

after(async () => {
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch {}
  }
});

/** A browser behind the load balancer: one cookie jar for every replica, its address in
 * X-Forwarded-For. */
class Browser {
  jar = new CookieJar();
  log = [];
  constructor(ip = `198.51.100.${1 + (randomBytes(1)[0] % 250)}`) { this.ip = ip; }

  async call(srv, method, p, body) {
    const fetch = browserLikeFetch({ jar: this.jar, origin: srv.origin, log: this.log });
    const init = { method, headers: { 'x-forwarded-for': this.ip } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${srv.origin}/api/auth${p}`, init);
    const x = this.log.at(-1);
    let json;
    try { json = JSON.parse(x.text); } catch {}
    const shown = body === undefined ? '' : ` ${JSON.stringify(body)}`;
    return { status: res.status, json, headers: x.headers, what: `${srv.name}: ${method} ${p}${shown} → ${res.status} ${x.text.slice(0, 400)}` };
  }

  token() { return decodeURIComponent(this.jar.get(SESSION_COOKIE) ?? '').split('.')[0]; }
}

function expectStatus(r, status) {
  assert.equal(r.status, status, r.what);
  return r;
}

/** n replicas; extra env for the last `special` of them. */
async function startReplicas(tag, n = 3, { special = 0, specialEnv = {} } = {}) {
  const url = await createDatabase(pgServer.url, `replicas_${tag}`);
  const redisURL = redis.url(0);
  const kv = redisClient(redisURL);
  cleanups.push(() => kv.disconnect());
  await kv.flushdb();
  const replicas = [];
  for (let i = 0; i < n; i++) { // one after the other: the first one migrates
    const basic = await startBasic({
      env: {
        DATABASE_URL: url,
        REDIS_URL: redisURL,
        BETTER_AUTH_RATE_LIMIT: 'true',
        BETTER_AUTH_TRUSTED_PROXIES: '127.0.0.1',
        ...(i >= n - special ? specialEnv : {}),
      },
    });
    cleanups.push(() => basic.stop());
    replicas.push({ name: `replica ${i}`, origin: basic.origin, logs: basic.logs });
  }
  return { replicas, kv };
}

const newEmail = (tag) => `replicas-${tag}-${randomBytes(5).toString('hex')}@example.com`;

function skipWithout(t) {
  if (!pgServer) return t.skip('no PostgreSQL: install it or set INTEROP_DATABASE_URL'), true;
  if (!redis) return t.skip('no redis-server: install it or set INTEROP_REDIS_URL'), true;
  return false;
}

test('three replicas on one PostgreSQL and one Redis agree on sessions and limits, and survive Redis restarting', { timeout: TIMEOUT }, async (t) => {
  if (skipWithout(t)) return;
  // A fourth replica counts its rate limits in memory: during the outage its answers come from the
  // session lookup itself, not from the (shared) rate limiter failing first.
  const { replicas: [r0, r1, r2, r3], kv } = await startReplicas('main', 4, {
    special: 1, specialEnv: { BETTER_AUTH_RATE_LIMIT_STORAGE: 'memory' },
  });
  const all = [r0, r1, r2];

  await t.test('a session made on one replica is read, listed and revoked on the others', async () => {
    const email = newEmail('sessions');
    const a = new Browser();
    const user = expectStatus(await a.call(r0, 'POST', '/sign-up/email', { name: 'Replica', email, password: PASSWORD }), 200).json.user;
    for (const r of all) {
      const s = expectStatus(await a.call(r, 'GET', '/get-session'), 200).json;
      assert.equal(s?.user?.id, user.id, `${r.name} reads the session made on ${r0.name}`);
    }
    const b = new Browser();
    expectStatus(await b.call(r1, 'POST', '/sign-in/email', { email, password: PASSWORD }), 200);
    for (const r of all) {
      const list = expectStatus(await a.call(r, 'GET', '/list-sessions'), 200).json;
      assert.deepEqual(new Set(list.map((x) => x.token)), new Set([a.token(), b.token()]), `${r.name} lists both sessions`);
    }
    // Revoked on the third, gone on all.
    expectStatus(await b.call(r2, 'POST', '/revoke-session', { token: a.token() }), 200);
    for (const r of all) assert.equal(expectStatus(await a.call(r, 'GET', '/get-session'), 200).json, null, `${r.name}: a's session was revoked on ${r2.name}`);
    assert.equal(expectStatus(await b.call(r0, 'GET', '/get-session'), 200).json?.user?.id, user.id, 'b is still signed in');
    // revoke-sessions on one signs the user out on every replica.
    const c = new Browser();
    expectStatus(await c.call(r2, 'POST', '/sign-in/email', { email, password: PASSWORD }), 200);
    expectStatus(await c.call(r0, 'POST', '/revoke-sessions'), 200);
    for (const r of all) {
      assert.equal(expectStatus(await b.call(r, 'GET', '/get-session'), 200).json, null, `${r.name}: b was signed out`);
      assert.equal(expectStatus(await c.call(r, 'GET', '/get-session'), 200).json, null, `${r.name}: c was signed out`);
    }
  });

  await t.test('a client is counted as one across the replicas', async () => {
    const email = newEmail('limits');
    const setup = new Browser('203.0.113.200');
    expectStatus(await setup.call(r0, 'POST', '/sign-up/email', { name: 'Limited', email, password: PASSWORD }), 200);
    const attacker = new Browser('203.0.113.66');
    // Better Auth's rule for /sign-in: 3 per 10 s. One try on each replica uses the three.
    for (const r of all) {
      const res = await attacker.call(r, 'POST', '/sign-in/email', { email, password: 'wrong-password-1' });
      assert.equal(res.status, 401, res.what);
    }
    for (const r of all) {
      const res = await attacker.call(r, 'POST', '/sign-in/email', { email, password: PASSWORD });
      assert.equal(res.status, 429, `${res.what}: the fourth try is refused on every replica, even with the right password`);
      assert.match(res.headers['x-retry-after'] ?? '', /^\d+$/, 'X-Retry-After');
    }
    assert.equal(await kv.get('better-auth:203.0.113.66|/sign-in/email'), '6', 'one counter for the client, refused tries counted');
    // Another client is not limited.
    expectStatus(await new Browser('203.0.113.67').call(r1, 'POST', '/sign-in/email', { email, password: PASSWORD }), 200);
  });

  await t.test('Redis stopped and restarted under load: 503 while it is down, never signed out; recovery by itself', async () => {
    const email = newEmail('restart');
    const u = new Browser('192.0.2.10');
    const user = expectStatus(await u.call(r0, 'POST', '/sign-up/email', { name: 'Restart', email, password: PASSWORD }), 200).json.user;
    const cookie = `${SESSION_COOKIE}=${u.jar.get(SESSION_COOKIE)}`;

    // The load: get-session with the user's cookie on every replica, from many client addresses
    // (so the rate limit does not refuse the load itself).
    const loaded = [...all, r3];
    const seen = [];
    let stopLoad = false;
    let n = 0;
    const worker = async () => {
      while (!stopLoad) {
        const r = loaded[n++ % loaded.length];
        const phase = redisPhase;
        let res;
        try {
          res = await fetch(`${r.origin}/api/auth/get-session`, {
            headers: { cookie, 'x-forwarded-for': `10.${n % 250}.${(n >> 8) % 250}.1` },
            signal: AbortSignal.timeout(15_000),
          });
        } catch (err) {
          seen.push({ phase, replica: r.name, error: err.message });
          continue;
        }
        const text = await res.text();
        const cleared = res.headers.getSetCookie().map(parseSetCookie)
          .some((c) => c.name.startsWith('better-auth.session_token') && Number(c.attrs['max-age']) <= 0);
        seen.push({ phase, replica: r.name, status: res.status, text, cleared });
      }
    };
    let redisPhase = 'up';
    const workers = Array.from({ length: 4 }, worker);
    const waitFor = async (what, pred) => {
      for (let i = 0; i < 600; i++) {
        if (pred()) return;
        await sleep(50);
      }
      assert.fail(`${what} (last answers: ${JSON.stringify(seen.slice(-3))})`);
    };
    try {
      await waitFor('answers while Redis is up', () => seen.filter((x) => x.phase === 'up').length >= 30);
      redisPhase = 'stopping';
      await redis.stop();
      redisPhase = 'down';
      await waitFor('503s from every replica while Redis is down', () => loaded.every((r) =>
        seen.some((x) => x.phase === 'down' && x.replica === r.name && x.status === 503)));
      redisPhase = 'starting';
      await redis.start();
      redisPhase = 'back';
      await waitFor('every replica answers the session again once Redis is back', () => loaded.every((r) =>
        seen.some((x) => x.phase === 'back' && x.replica === r.name && x.status === 200)));
    } finally {
      stopLoad = true;
      await Promise.all(workers);
      if (redisPhase === 'down' || redisPhase === 'stopping') await redis.start().catch(() => {});
    }

    const errors = seen.filter((x) => x.error);
    assert.deepEqual(errors, [], 'every request was answered');
    for (const x of seen) {
      assert.ok(x.status === 200 || x.status === 503, `${x.replica} (${x.phase}): ${x.status} ${x.text}`);
      assert.equal(x.cleared, false, `${x.replica} (${x.phase}): the session cookie was not cleared (${x.status} ${x.text})`);
      if (x.status === 200) {
        assert.notEqual(x.text, 'null', `${x.replica} (${x.phase}): never answered "signed out"`);
        assert.equal(JSON.parse(x.text).user.id, user.id);
      } else {
        assert.equal(JSON.parse(x.text).code, 'SERVICE_UNAVAILABLE', x.text);
      }
    }
    assert.ok(seen.filter((x) => x.phase === 'up').every((x) => x.status === 200), 'every answer was 200 while Redis was up');
    // After the restart the session is the same one, on every replica.
    for (const r of loaded) {
      assert.equal(expectStatus(await u.call(r, 'GET', '/get-session'), 200).json?.user?.id, user.id, `${r.name} after the restart`);
    }
  });
});
