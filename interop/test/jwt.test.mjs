// The jwt and bearer plugins against a real Better Auth 1.7.25 (jwt() and bearer() with their defaults).
//
// 1. Same answers, two servers, in memory: Better Auth (ba-server.mjs, plugins: [jwt(), bearer()]) and
//    examples/basic (BETTER_AUTH_JWT=true, BETTER_AUTH_BEARER=true) run the same steps; each step's
//    expectations are checked against Better Auth first, then against examples/basic, and the two
//    normalized records (statuses, body shapes, JWT header and claim names in order, the plugins'
//    headers, Set-Cookie without values) must be equal: GET /token, GET /jwks, set-auth-jwt on
//    get-session, set-auth-token on sign-up and sign-in, and the Authorization header in its forms.
//
// 2. One PostgreSQL database, both ways (skipped without PostgreSQL, except under CI, as db.test.mjs):
//    Better Auth with jwt()+bearer() on a node-postgres Pool and examples/basic on the same DATABASE_URL
//    and secret. Schema: Better Auth's migrator first and examples/basic adopts the jwks table, and
//    examples/basic first and Better Auth's migrator has nothing to do; the jwks table is the same
//    either way. Keys: whichever server makes the first key, the other signs with it (one row). Tokens:
//    a token of either verifies (jose) against either's /jwks. Rows: the jwks row each writes looks the
//    same.
//
// 3. examples/api (the service that accepts only JWTs, through jwtverify) takes the tokens of either
//    server, each against its own /jwks, and refuses the other's.
//
// INTEROP_DEBUG=1 prints every exchange.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { symmetricDecrypt } from 'better-auth/crypto';
import { getMigrations } from 'better-auth/db/migration';
import { bearer } from 'better-auth/plugins/bearer';
import { jwt } from 'better-auth/plugins/jwt';
import { startBetterAuth } from '../ba-server.mjs';
import { diff, columnOrder, snapshot } from '../lib/catalog.mjs';
import { createDatabase, pool, postgresServer } from '../lib/db.mjs';
import { SESSION_COOKIE, call, decodeJWT, pluginHeaders, sessionCookieValue, signValue, verifyWith } from '../lib/jwt.mjs';
import { SECRET, buildAPI, buildBasic, startAPI, startBasic } from '../lib/servers.mjs';
import { shape } from '../lib/shape.mjs';

const TIMEOUT = 180_000;
const PASSWORD = 'correct-horse-1';
const PLUGIN_ENV = { BETTER_AUTH_JWT: 'true', BETTER_AUTH_BEARER: 'true' };
const KID = /^[A-Za-z0-9]{32}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;
const JWKS_MEMBERS = ['alg', 'crv', 'x', 'kty', 'kid'];
// What our migrations add to a Better Auth database on purpose (schema.test.mjs checks them in detail).
const EXTRA_INDEXES = ['user_createdAt_idx', 'session_expiresAt_idx', 'account_providerId_accountId_idx', 'verification_expiresAt_idx'];
const VERSION_TABLE = 'betterauth_schema_migrations';

const cleanups = [];
let server; // the PostgreSQL server, null when there is none

before(async () => {
  await Promise.all([buildBasic(), buildAPI()]);
  server = await postgresServer();
  if (server) cleanups.push(() => server.stop());
}, { timeout: 300_000 });

after(async () => {
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch {}
  }
});

const newEmail = (tag) => `jwt-${tag}-${randomBytes(5).toString('hex')}@example.com`;

/** Signs up { name, email } on srv; resolves to { id, email, user, token, cookieValue, signed,
 * setAuthToken, answer } (cookieValue as sent in Set-Cookie, signed = cookieValue percent-decoded). */
async function signUp(srv, tag) {
  const email = newEmail(tag);
  const r = await call(srv, 'POST', '/sign-up/email', { body: { name: `JWT ${tag}`, email, password: PASSWORD } });
  assert.equal(r.status, 200, r.what);
  return credentials(r);
}

function credentials(r) {
  const cookieValue = sessionCookieValue(r);
  assert.ok(cookieValue, `${r.what}: a session cookie`);
  return {
    id: r.json.user.id, email: r.json.user.email, user: r.json.user, token: r.json.token, cookieValue,
    signed: decodeURIComponent(cookieValue), setAuthToken: r.header('set-auth-token'), answer: r,
    cookie: `${SESSION_COOKIE}=${cookieValue}`,
  };
}

/** Who a get-session answer is about: 'A' or 'B' (ctx's users), null, or the answer itself. */
function who(ctx, json) {
  if (json === null) return null;
  for (const k of ['A', 'B']) if (json?.user?.id === ctx[k]?.id) return k;
  return json;
}

/** A token's verifiable facts: header and claim names in order, exp - iat, iss/aud = baseURL, sub,
 * the user's fields as claims. */
function tokenRecord(token, { srv, user, kid }) {
  const { header, claims } = decodeJWT(token);
  const { iat, exp, iss, aud, sub, ...rest } = claims;
  return {
    header: Object.keys(header), alg: header.alg, kidIsTheJwksKey: header.kid === kid,
    claims: Object.keys(claims), expMinusIat: exp - iat, iatNearNow: Math.abs(iat - Date.now() / 1000) < 60,
    issIsBaseURL: iss === srv.baseURL, audIsBaseURL: aud === srv.baseURL, subIsUserId: sub === user.id,
    userAsClaims: JSON.stringify(rest) === JSON.stringify(user),
  };
}

// The Authorization header in its forms, each with or without another user's (B's) session cookie.
// `want`: whose session get-session answers ('A', 'B' or null); `clears`: the answer clears the
// session cookies. Every expectation is Better Auth 1.7.25's behaviour, checked against it first.
const BEARER_CASES = [
  { name: 'the set-auth-token value (signed, decoded)', auth: (c) => `Bearer ${c.A.setAuthToken}`, want: 'A' },
  { name: 'the raw session token', auth: (c) => `Bearer ${c.A.token}`, want: 'A' },
  { name: 'the signed token percent-encoded (the cookie\'s value as is)', auth: (c) => `Bearer ${c.A.cookieValue}`, want: 'A' },
  { name: 'lower-case "bearer"', auth: (c) => `bearer ${c.A.signed}`, want: 'A' },
  { name: 'upper-case "BEARER" and spaces around the token', auth: (c) => `BEARER   ${c.A.signed}  `, want: 'A' },
  { name: 'the bearer wins over another session\'s cookie', auth: (c) => `Bearer ${c.A.signed}`, cookie: 'B', want: 'A' },
  { name: 'a wrong signature: null, no cookie set', auth: (c) => `Bearer ${signValue(c.A.token, 'not-the-secret-0123456789abcdefghij')}`, want: null },
  { name: 'a wrong signature with a cookie: the cookie decides', auth: (c) => `Bearer ${signValue(c.A.token, 'not-the-secret-0123456789abcdefghij')}`, cookie: 'B', want: 'B' },
  { name: 'an unknown token, validly signed: null, cookies cleared', auth: () => `Bearer ${signValue('unknownSessionToken0123456789ABC', SECRET)}`, want: null, clears: true },
  { name: 'an unknown token, validly signed, over a cookie: null, cookies cleared', auth: () => `Bearer ${signValue('unknownSessionToken0123456789ABC', SECRET)}`, cookie: 'B', want: null, clears: true },
  { name: 'an unknown raw token: null, cookies cleared', auth: () => 'Bearer unknownSessionToken0123456789ABC', want: null, clears: true },
  { name: '"Basic" is ignored', auth: (c) => `Basic ${c.A.signed}`, want: null },
  { name: '"Basic" is ignored: the cookie decides', auth: (c) => `Basic ${c.A.signed}`, cookie: 'B', want: 'B' },
  { name: 'an empty bearer is ignored', auth: () => 'Bearer ', cookie: 'B', want: 'B' },
  { name: '"Bearer" without a space is ignored', auth: (c) => `Bearer${c.A.signed}`, cookie: 'B', want: 'B' },
  { name: 'a malformed percent-escape is ignored', auth: (c) => `Bearer ${c.A.token}%ZZ.${c.A.signed.split('.')[1]}`, cookie: 'B', want: 'B' },
  // Better Auth's bearer hook checks the HMAC (split at the first '.', any base64 alphabet, padding
  // optional) and, when it holds, puts the credential in place of the session cookie; get-session then
  // reads that cookie as any other (split at the last '.', a 44-character standard base64 signature
  // ending in '='). A credential that passes the first check but not the second is no session at all,
  // whatever cookie came with it.
  { name: 'the signature in URL-safe base64 (padded): no session', auth: (c) => `Bearer ${c.A.token}.${c.A.signed.split('.')[1].replace(/\+/g, '-').replace(/\//g, '_')}`, want: null },
  { name: 'the signature in URL-safe base64 (padded), over a cookie: no session', auth: (c) => `Bearer ${c.A.token}.${c.A.signed.split('.')[1].replace(/\+/g, '-').replace(/\//g, '_')}`, cookie: 'B', want: null },
  { name: 'the signature without its "=": no session', auth: (c) => `Bearer ${c.A.signed.replace(/=$/, '')}`, want: null },
  { name: 'the signature without its "=", over a cookie: no session', auth: (c) => `Bearer ${c.A.signed.replace(/=$/, '')}`, cookie: 'B', want: null },
  { name: 'a third ".segment" after the signature, over a cookie: no session', auth: (c) => `Bearer ${c.A.signed}.x`, cookie: 'B', want: null },
];

/**
 * The in-memory steps. Each step's run(srv, ctx) resolves to { record, check }: the normalized record
 * the two servers must share, and check(), the step's expectations on that server's raw answers.
 */
const STEPS = [
  {
    name: 'GET /token without a session: 401 UNAUTHORIZED, no cookie, no set-auth-jwt',
    async run(srv) {
      const r = await call(srv, 'GET', '/token');
      return {
        record: { status: r.status, body: r.json, bodyKeys: Object.keys(r.json ?? {}), contentType: r.header('content-type'), ...pluginHeaders(r) },
        check() {
          assert.equal(r.status, 401, r.what);
          assert.deepEqual(r.json, { message: 'Unauthorized', code: 'UNAUTHORIZED' }, r.what);
          assert.deepEqual(pluginHeaders(r), { setCookies: [], setAuthToken: false, setAuthJwt: false, exposeHeaders: null }, r.what);
        },
      };
    },
  },
  {
    name: 'GET /jwks makes the key on first use: {"keys":[{alg,crv,x,kty,kid}]}, the same on every call',
    async run(srv, ctx) {
      const r = await call(srv, 'GET', '/jwks');
      const again = await call(srv, 'GET', '/jwks');
      ctx.jwks = r.json;
      ctx.kid = r.json?.keys?.[0]?.kid;
      const keys = (r.json?.keys ?? []).map((k) => ({
        members: Object.keys(k), alg: k.alg, crv: k.crv, kty: k.kty, kid: KID.test(k.kid), x: B64URL.test(k.x) && k.x.length,
      }));
      return {
        record: { status: r.status, members: Object.keys(r.json ?? {}), keys, contentType: r.header('content-type'), ...pluginHeaders(r), sameAgain: again.text === r.text },
        check() {
          assert.equal(r.status, 200, r.what);
          assert.deepEqual(Object.keys(r.json), ['keys'], r.what);
          assert.deepEqual(keys, [{ members: JWKS_MEMBERS, alg: 'EdDSA', crv: 'Ed25519', kty: 'OKP', kid: true, x: 43 }], r.what);
          assert.equal(again.text, r.text, `${again.what}: the same key set again`);
          assert.deepEqual(pluginHeaders(r), { setCookies: [], setAuthToken: false, setAuthJwt: false, exposeHeaders: null }, r.what);
        },
      };
    },
  },
  {
    name: 'sign-up: set-auth-token is the session cookie\'s value decoded, exposed; no set-auth-jwt',
    async run(srv, ctx) {
      ctx.A = await signUp(srv, 'a');
      ctx.B = await signUp(srv, 'b');
      const r = ctx.A.answer;
      return {
        record: { status: r.status, ...pluginHeaders(r), setAuthTokenIsCookie: ctx.A.setAuthToken === ctx.A.signed },
        check() {
          assert.equal(ctx.A.setAuthToken, ctx.A.signed, `${r.what}: set-auth-token = the cookie's value, decoded`);
          assert.ok(ctx.A.signed.startsWith(`${ctx.A.token}.`), 'the signed session token');
          assert.deepEqual(pluginHeaders(r).exposeHeaders, ['set-auth-token'], r.what);
          assert.equal(r.header('set-auth-jwt'), null, r.what);
          assert.equal(ctx.B.setAuthToken, ctx.B.signed, `${ctx.B.answer.what}: set-auth-token`);
        },
      };
    },
  },
  {
    name: 'sign-in: set-auth-token is the new session cookie\'s value decoded, exposed; no set-auth-jwt',
    async run(srv, ctx) {
      // A session whose signature has a '+' or '/', so that its URL-safe form differs (bearer cases).
      let r;
      for (let i = 0; i < 30; i++) {
        r = await call(srv, 'POST', '/sign-in/email', { body: { email: ctx.A.email, password: PASSWORD } });
        if (r.status !== 200 || /[+/]/.test(decodeURIComponent(sessionCookieValue(r) ?? '').split('.')[1])) break;
      }
      const c = credentials(r);
      ctx.A = { ...c, user: ctx.A.user };
      return {
        record: { status: r.status, ...pluginHeaders(r), setAuthTokenIsCookie: c.setAuthToken === c.signed },
        check() {
          assert.equal(r.status, 200, r.what);
          assert.equal(c.setAuthToken, c.signed, `${r.what}: set-auth-token = the cookie's value, decoded`);
          assert.match(c.signed.split('.')[1], /[+/]/, 'a signature with + or /');
          assert.deepEqual(pluginHeaders(r).exposeHeaders, ['set-auth-token'], r.what);
          assert.equal(r.header('set-auth-jwt'), null, r.what);
        },
      };
    },
  },
  {
    name: 'GET /token with a session: {"token"} only, no cookie, no set-auth-jwt; header {alg: EdDSA, kid}, claims iat, the user, sub, exp = iat + 900, iss = aud = base URL',
    async run(srv, ctx) {
      const g = await call(srv, 'GET', '/get-session', { cookie: ctx.A.cookie });
      ctx.A.user = g.json?.user ?? ctx.A.user;
      const r = await call(srv, 'GET', '/token', { cookie: ctx.A.cookie });
      const token = r.json?.token;
      ctx.token = token;
      const rec = tokenRecord(token, { srv, user: ctx.A.user, kid: ctx.kid });
      let verified;
      try { verified = (await verifyWith(ctx.jwks, token, srv.baseURL)).payload; } catch (err) { verified = err; }
      return {
        record: { status: r.status, bodyKeys: Object.keys(r.json ?? {}), ...pluginHeaders(r), token: rec, verifies: !(verified instanceof Error) },
        check() {
          assert.equal(r.status, 200, r.what);
          assert.deepEqual(Object.keys(r.json), ['token'], r.what);
          assert.deepEqual(pluginHeaders(r), { setCookies: [], setAuthToken: false, setAuthJwt: false, exposeHeaders: null }, r.what);
          assert.deepEqual(decodeJWT(token).header, { alg: 'EdDSA', kid: ctx.kid }, 'the JWT header: alg and kid only (no typ)');
          assert.deepEqual(rec.claims, ['iat', ...Object.keys(ctx.A.user), 'sub', 'exp', 'iss', 'aud'], 'claim names in order');
          assert.deepEqual(rec, {
            ...rec, alg: 'EdDSA', kidIsTheJwksKey: true, expMinusIat: 900, iatNearNow: true, issIsBaseURL: true, audIsBaseURL: true, subIsUserId: true, userAsClaims: true,
          }, `the token's claims (${JSON.stringify(decodeJWT(token).claims)})`);
          assert.ok(!(verified instanceof Error), `jose verifies it against ${srv.name}'s /jwks: ${verified?.message}`);
          assert.equal(verified.sub, ctx.A.id);
          assert.equal(verified.email, ctx.A.email);
        },
      };
    },
  },
  {
    name: 'GET /token with a bearer: a token for the bearer\'s user',
    async run(srv, ctx) {
      const r = await call(srv, 'GET', '/token', { authorization: `Bearer ${ctx.B.setAuthToken}` });
      const sub = r.json?.token && decodeJWT(r.json.token).claims.sub;
      return {
        record: { status: r.status, bodyKeys: Object.keys(r.json ?? {}), ...pluginHeaders(r), subIsB: sub === ctx.B.id },
        check() {
          assert.equal(r.status, 200, r.what);
          assert.equal(sub, ctx.B.id, `${r.what}: sub`);
        },
      };
    },
  },
  {
    name: 'get-session with a session: set-auth-jwt, exposed, with /token\'s header and claims',
    async run(srv, ctx) {
      const r = await call(srv, 'GET', '/get-session', { cookie: ctx.A.cookie });
      const token = r.header('set-auth-jwt');
      const rec = token && tokenRecord(token, { srv, user: ctx.A.user, kid: ctx.kid });
      let verified;
      try { verified = (await verifyWith(ctx.jwks, token, srv.baseURL)).payload; } catch (err) { verified = err; }
      const strip = ({ iat, exp, ...c }) => c;
      const sameAsToken = token && JSON.stringify(strip(decodeJWT(token).claims)) === JSON.stringify(strip(decodeJWT(ctx.token).claims));
      return {
        record: { status: r.status, body: shape(r.json), ...pluginHeaders(r), token: rec, verifies: !(verified instanceof Error), sameAsToken },
        check() {
          assert.equal(r.status, 200, r.what);
          assert.equal(who(ctx, r.json), 'A', r.what);
          assert.ok(token, `${r.what}: set-auth-jwt`);
          assert.deepEqual(pluginHeaders(r).exposeHeaders, ['set-auth-jwt'], r.what);
          assert.deepEqual(r.setCookies, [], r.what);
          assert.ok(!(verified instanceof Error), `jose verifies set-auth-jwt against ${srv.name}'s /jwks: ${verified?.message}`);
          assert.equal(sameAsToken, true, 'the claims of /token, iat and exp aside');
          assert.equal(rec.expMinusIat, 900);
        },
      };
    },
  },
  {
    name: 'get-session without a session: null, no set-auth-jwt, no Access-Control-Expose-Headers',
    async run(srv) {
      const r = await call(srv, 'GET', '/get-session');
      return {
        record: { status: r.status, body: r.json, ...pluginHeaders(r) },
        check() {
          assert.equal(r.status, 200, r.what);
          assert.equal(r.json, null, r.what);
          assert.deepEqual(pluginHeaders(r), { setCookies: [], setAuthToken: false, setAuthJwt: false, exposeHeaders: null }, r.what);
        },
      };
    },
  },
  ...BEARER_CASES.map((bc) => ({
    name: `bearer: ${bc.name}`,
    async run(srv, ctx) {
      const r = await call(srv, 'GET', '/get-session', { authorization: bc.auth(ctx), cookie: bc.cookie && ctx[bc.cookie].cookie });
      const h = pluginHeaders(r);
      return {
        record: { status: r.status, who: who(ctx, r.json), ...h },
        check() {
          assert.equal(r.status, 200, r.what);
          assert.deepEqual(who(ctx, r.json), bc.want, `${r.what}: whose session`);
          if (bc.clears) {
            const cleared = h.setCookies.filter((c) => c.empty && c.attrs['max-age'] === '0').map((c) => c.name);
            assert.ok(cleared.includes(SESSION_COOKIE), `${r.what}: the session cookie cleared (${JSON.stringify(h.setCookies)})`);
          } else {
            assert.deepEqual(h.setCookies, [], `${r.what}: no cookie set`);
          }
          assert.equal(h.setAuthJwt, bc.want !== null, `${r.what}: set-auth-jwt only with a session`);
          assert.deepEqual(h.exposeHeaders, bc.want === null ? null : ['set-auth-jwt'], `${r.what}: Access-Control-Expose-Headers`);
        },
      };
    },
  })),
  {
    name: 'sign-out with a bearer: the session ends, no set-auth-token on the clearing answer',
    async run(srv, ctx) {
      const r = await call(srv, 'POST', '/sign-out', { body: {}, authorization: `Bearer ${ctx.B.setAuthToken}` });
      const g = await call(srv, 'GET', '/get-session', { cookie: ctx.B.cookie });
      return {
        record: { status: r.status, body: r.json, ...pluginHeaders(r), after: g.json },
        check() {
          assert.equal(r.status, 200, r.what);
          assert.equal(r.header('set-auth-token'), null, r.what);
          assert.equal(g.json, null, `${g.what}: B's session ended`);
        },
      };
    },
  },
];

/** Runs STEPS on srv; resolves to { [step name]: { record, check } } (a step that throws records the error). */
async function runSteps(srv) {
  const ctx = {};
  const out = {};
  for (const step of STEPS) {
    try {
      out[step.name] = await step.run(srv, ctx);
    } catch (err) {
      out[step.name] = { record: { error: err.message }, check: () => { throw err; } };
    }
  }
  return out;
}

test('jwt and bearer: examples/basic answers as Better Auth 1.7.25 does (in-memory)', { timeout: TIMEOUT }, async (t) => {
  const baServer = await startBetterAuth({ secret: SECRET, options: { plugins: [jwt(), bearer()] } });
  cleanups.push(() => baServer.close());
  const basic = await startBasic({ env: PLUGIN_ENV });
  cleanups.push(() => basic.stop());
  const ba = { name: 'Better Auth', origin: baServer.origin, baseURL: baServer.origin };
  const go = { name: 'examples/basic', origin: basic.origin, baseURL: basic.baseURL };
  const runs = { ba: await runSteps(ba), go: await runSteps(go) };
  for (const step of STEPS) {
    await t.test(step.name, () => {
      const ref = runs.ba[step.name];
      const ours = runs.go[step.name];
      try {
        ref.check();
      } catch (err) {
        err.message = `[Better Auth: the expectation is wrong] ${err.message}`;
        throw err;
      }
      assert.deepEqual(ours.record, ref.record, 'examples/basic (actual) vs Better Auth 1.7.25 (expected)');
      ours.check();
    });
  }
});

// examples/api, the service that accepts only JWTs (through jwtverify), takes the tokens of Better
// Auth and of examples/basic alike, each against its own auth server's /jwks; and refuses the other's.
test('examples/api accepts the JWTs of Better Auth and of examples/basic', { timeout: TIMEOUT }, async (t) => {
  const baServer = await startBetterAuth({ secret: SECRET, options: { plugins: [jwt(), bearer()] } });
  cleanups.push(() => baServer.close());
  const basic = await startBasic({ env: PLUGIN_ENV });
  cleanups.push(() => basic.stop());
  const servers = [
    { name: 'Better Auth', origin: baServer.origin, baseURL: baServer.origin },
    { name: 'examples/basic', origin: basic.origin, baseURL: basic.baseURL },
  ];
  for (const srv of servers) {
    srv.api = await startAPI({ authURL: srv.baseURL });
    cleanups.push(() => srv.api.stop());
    srv.user = await signUp(srv, `api-${srv.name === 'Better Auth' ? 'ba' : 'go'}`);
    const r = await call(srv, 'GET', '/token', { cookie: srv.user.cookie });
    assert.equal(r.status, 200, r.what);
    srv.jwt = r.json.token;
  }
  const me = (api, token) => fetch(`${api.origin}/api/me`, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    .then(async (res) => ({ status: res.status, json: await res.json().catch(() => null) }));
  for (const srv of servers) {
    await t.test(`a token of ${srv.name}, checked against its /jwks`, async () => {
      const r = await me(srv.api, srv.jwt);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.sub, srv.user.id);
      assert.equal(r.json.email, srv.user.email);
      assert.doesNotMatch(srv.api.logs(), new RegExp(srv.jwt.split('.')[2].replace(/[-_]/g, '.')), 'the token is not logged');
    });
  }
  await t.test('no token: 401; the other server\'s token: 401 (another issuer, another key)', async () => {
    assert.equal((await me(servers[0].api)).status, 401);
    assert.equal((await me(servers[0].api, servers[1].jwt)).status, 401);
    assert.equal((await me(servers[1].api, servers[0].jwt)).status, 401);
  });
});

// ---------------------------------------------------------------------------------------------------
// One PostgreSQL database, both ways.

/** Better Auth's options on a pool: jwt() and bearer() with their defaults. */
function baOptions(db) {
  return { database: db, plugins: [jwt(), bearer()] };
}

/** What Better Auth's migrator would do on url (getMigrations with the jwt plugin), without doing it. */
async function baPlan(url) {
  const db = pool(url);
  try {
    const m = await getMigrations({ ...baOptions(db), secret: SECRET, emailAndPassword: { enabled: true } }, { throwOnUnsafe: false });
    return {
      toBeCreated: m.toBeCreated.map((x) => `${x.table}(${Object.keys(x.fields).join(', ')})`),
      toBeAdded: m.toBeAdded.map((x) => `${x.table}(${Object.keys(x.fields).join(', ')})`),
      toBeAddedIndexes: m.toBeAddedIndexes.map((x) => `${x.table}.${x.name}`),
      unsafeChanges: m.unsafeChanges,
      schemaProblems: m.schemaProblems,
      sql: (await m.compileMigrations()).replace(/[;\s]/g, ''),
    };
  } finally {
    await db.end();
  }
}

async function baMigrate(url) {
  const db = pool(url);
  try {
    await (await getMigrations({ ...baOptions(db), secret: SECRET, emailAndPassword: { enabled: true } })).runMigrations();
  } finally {
    await db.end();
  }
}

/** The jwks table's part of a catalog snapshot (relations, columns, constraints, indexes, triggers). */
function jwksPart(snap) {
  const out = {};
  for (const [kind, recs] of Object.entries(snap)) {
    if (kind === 'extensions') continue;
    out[kind] = Object.fromEntries(Object.entries(recs).filter(([k]) => k === 'jwks' || k.startsWith('jwks.') || k.startsWith('jwks_')));
  }
  return out;
}

/** Starts Better Auth (jwt + bearer, on a pool) and examples/basic (BETTER_AUTH_JWT/BEARER) on url. */
async function startBoth(url) {
  const baPool = pool(url);
  cleanups.push(() => baPool.end());
  const baServer = await startBetterAuth({ secret: SECRET, options: baOptions(baPool) });
  cleanups.push(() => baServer.close());
  const basic = await startBasic({ env: { ...PLUGIN_ENV, DATABASE_URL: url } });
  cleanups.push(() => basic.stop());
  return {
    ba: { name: 'Better Auth', origin: baServer.origin, baseURL: baServer.origin },
    go: { name: 'examples/basic', origin: basic.origin, baseURL: basic.baseURL, logs: basic.logs },
  };
}

/** A jwks row made comparable: what always differs replaced by its form. */
async function jwksRowShape(row) {
  const pub = JSON.parse(row.publicKey);
  let priv;
  try { priv = JSON.parse(row.privateKey); } catch {}
  const jwk = typeof priv === 'string' && /^[0-9a-f]+$/.test(priv)
    ? JSON.parse(await symmetricDecrypt({ key: SECRET, data: priv }))
    : null;
  return {
    columns: Object.keys(row),
    id: KID.test(row.id) ? '<32 letters and digits>' : row.id,
    publicKey: { members: Object.keys(pub), crv: pub.crv, kty: pub.kty, x: B64URL.test(pub.x) && pub.x.length },
    privateKey: {
      jsonQuotedLowerHex: typeof priv === 'string' && /^[0-9a-f]+$/.test(priv),
      hexLength: typeof priv === 'string' ? priv.length : null,
      decrypted: jwk && { members: Object.keys(jwk), crv: jwk.crv, kty: jwk.kty, d: B64URL.test(jwk.d) && jwk.d.length, xIsPublicX: jwk.x === pub.x },
    },
    alg: row.alg,
    crv: row.crv,
    createdAt: row.createdAt instanceof Date && Math.abs(row.createdAt.getTime() - Date.now()) < 300_000 ? '<recent>' : row.createdAt,
    expiresAt: row.expiresAt,
  };
}

test('jwt and bearer: Better Auth and examples/basic share one PostgreSQL database, both ways', { timeout: TIMEOUT }, async (t) => {
  if (!server) return t.skip('no PostgreSQL: install it or set INTEROP_DATABASE_URL');

  // Database 1: Better Auth's migrator first, then examples/basic adopts it.
  const baURL = await createDatabase(server.url, 'interop_jwt_ba_first');
  await baMigrate(baURL);
  const baMigrated = await snapshot(baURL);
  const one = await startBoth(baURL);
  const adopted = await snapshot(baURL);

  // Database 2: examples/basic first (its migrations make every table, jwks included).
  const goURL = await createDatabase(server.url, 'interop_jwt_go_first');
  const goPlugins = await startBasic({ env: { ...PLUGIN_ENV, DATABASE_URL: goURL } });
  await goPlugins.stop();
  const goMigrated = await snapshot(goURL);
  const plan = await baPlan(goURL);
  const two = await startBoth(goURL);

  const db1 = pool(baURL);
  const db2 = pool(goURL);
  cleanups.push(() => db1.end(), () => db2.end());

  await t.test('schema: after Better Auth\'s migrator, examples/basic adopts the jwks table and adds nothing to it', () => {
    assert.match(one.go.logs(), /migrations applied/, 'examples/basic ran its migrations');
    assert.ok('jwks.privateKey' in baMigrated.columns, 'Better Auth\'s migrator made the jwks table');
    const added = diff(baMigrated, adopted, { aName: 'Better Auth\'s', bName: 'after examples/basic' });
    const isOurs = (l) => l.includes(': only in after examples/basic') &&
      (l.includes(VERSION_TABLE) || EXTRA_INDEXES.some((ix) => l.includes(ix)));
    for (const ix of EXTRA_INDEXES) assert.ok(added.some((l) => l.startsWith(`indexes ${ix.split('_')[0]}.${ix}: only in after`)), `${ix} added`);
    assert.deepEqual(added.filter((l) => !isOurs(l)), [], 'examples/basic changed more than its version table and its four indexes');
    assert.deepEqual(diff(jwksPart(baMigrated), jwksPart(adopted)), [], 'the jwks table is untouched');
  });

  await t.test('schema: after examples/basic, Better Auth\'s migrator (with jwt) has nothing to do', () => {
    assert.ok('jwks.privateKey' in goMigrated.columns, 'examples/basic\'s migrations made the jwks table');
    assert.deepEqual(plan, { toBeCreated: [], toBeAdded: [], toBeAddedIndexes: [], unsafeChanges: [], schemaProblems: [], sql: '' },
      'Better Auth\'s migrator on the database examples/basic made');
  });

  await t.test('schema: the jwks table is the same either way (columns, types, nullability, defaults, constraints, indexes)', async () => {
    assert.deepEqual(diff(jwksPart(baMigrated), jwksPart(goMigrated), { aName: 'Better Auth\'s', bName: 'ours' }), [],
      'jwks made by Better Auth\'s migrator vs by examples/basic\'s migrations');
    assert.ok(Object.keys(jwksPart(goMigrated).columns).length === 7, 'seven columns');
    const order = { theirs: (await columnOrder(baURL)).jwks, ours: (await columnOrder(goURL)).jwks };
    assert.deepEqual(order.ours, order.theirs, 'column order: ours (actual) vs Better Auth\'s (expected)');
  });

  // Keys, both ways: on database 1 Better Auth makes the first key, on database 2 examples/basic does.
  const tokens = []; // { db, minter, token, user }
  const jwksOf = {};
  for (const [label, { ba, go }, db, first, second] of [
    ['Better Auth makes the first key; examples/basic signs with it', one, db1, 'ba', 'go'],
    ['examples/basic makes the first key; Better Auth signs with it', two, db2, 'go', 'ba'],
  ]) {
    const srv = { ba, go };
    await t.test(`keys: ${label} (same kid, one row)`, async () => {
      assert.deepEqual((await db.query('select id from jwks')).rows, [], 'no key yet');
      const u = await signUp(srv[first], `keys-${first}`);
      const r1 = await call(srv[first], 'GET', '/token', { cookie: u.cookie });
      assert.equal(r1.status, 200, r1.what);
      const { rows } = await db.query('select id from jwks');
      assert.equal(rows.length, 1, `${r1.what}: one key made`);
      const kid = rows[0].id;
      assert.equal(decodeJWT(r1.json.token).header.kid, kid, `${srv[first].name} signs with the key it made`);
      // The other server, with the same cookie (same database, same secret).
      const r2 = await call(srv[second], 'GET', '/token', { cookie: u.cookie });
      assert.equal(r2.status, 200, r2.what);
      assert.deepEqual(decodeJWT(r2.json.token).header, { alg: 'EdDSA', kid }, `${srv[second].name} signs with the key ${srv[first].name} made`);
      const g = await call(srv[second], 'GET', '/get-session', { cookie: u.cookie });
      assert.equal(decodeJWT(g.header('set-auth-jwt')).header.kid, kid, `${g.what}: set-auth-jwt with the same key`);
      assert.equal((await db.query('select count(*)::int as n from jwks')).rows[0].n, 1, 'still one row');
      // Both publish the same key set, byte for byte.
      const j1 = await call(srv[first], 'GET', '/jwks');
      const j2 = await call(srv[second], 'GET', '/jwks');
      assert.equal(j2.text, j1.text, `${srv[second].name}'s /jwks (actual) vs ${srv[first].name}'s (expected)`);
      assert.deepEqual(j1.json.keys.map((k) => k.kid), [kid]);
      jwksOf[`${label}|ba`] = (first === 'ba' ? j1 : j2).json;
      jwksOf[`${label}|go`] = (first === 'go' ? j1 : j2).json;
      for (const [name, r] of [[first, r1], [second, r2], [second, { json: { token: g.header('set-auth-jwt') } }]]) {
        tokens.push({ label, minter: srv[name], token: r.json.token, user: u });
      }
      assert.equal((await db.query('select count(*)::int as n from jwks')).rows[0].n, 1, 'still one row after /jwks');
    });
  }

  await t.test('tokens: a token from either server verifies (jose) against either server\'s /jwks, with the right sub and email', async () => {
    assert.equal(tokens.length, 6, 'tokens from the key tests');
    for (const { label, minter, token, user } of tokens) {
      for (const side of ['ba', 'go']) {
        const jwks = jwksOf[`${label}|${side}`];
        let payload;
        try {
          ({ payload } = await verifyWith(jwks, token, minter.baseURL));
        } catch (err) {
          assert.fail(`${label}: ${minter.name}'s token does not verify against ${side === 'ba' ? 'Better Auth' : 'examples/basic'}'s /jwks: ${err.message}`);
        }
        assert.equal(payload.sub, user.id, 'sub');
        assert.equal(payload.email, user.email, 'email');
      }
    }
  });

  await t.test('tokens: for the same user both servers write the same claims in the same order (iat, exp, iss, aud aside)', () => {
    for (const label of new Set(tokens.map((x) => x.label))) {
      const claims = {};
      for (const { minter, token } of tokens.filter((x) => x.label === label)) {
        const { iat, exp, iss, aud, ...c } = decodeJWT(token).claims;
        assert.equal(exp - iat, 900, `${minter.name}: exp = iat + 900`);
        assert.deepEqual([iss, aud], [minter.baseURL, minter.baseURL], `${minter.name}: iss and aud`);
        claims[minter.name] = JSON.stringify({ names: Object.keys(decodeJWT(token).claims), c });
      }
      assert.equal(claims['examples/basic'], claims['Better Auth'], `${label}: examples/basic (actual) vs Better Auth (expected)`);
    }
  });

  await t.test('rows: the jwks row examples/basic writes looks like the one Better Auth writes', async () => {
    const theirs = (await db1.query('select * from jwks')).rows;
    const ours = (await db2.query('select * from jwks')).rows;
    assert.equal(theirs.length, 1);
    assert.equal(ours.length, 1);
    const ref = await jwksRowShape(theirs[0]);
    assert.deepEqual(ref, {
      columns: ['id', 'publicKey', 'privateKey', 'createdAt', 'expiresAt', 'alg', 'crv'],
      id: '<32 letters and digits>',
      publicKey: { members: ['crv', 'x', 'kty'], crv: 'Ed25519', kty: 'OKP', x: 43 },
      privateKey: { jsonQuotedLowerHex: true, hexLength: ref.privateKey.hexLength, decrypted: { members: ['crv', 'd', 'x', 'kty'], crv: 'Ed25519', kty: 'OKP', d: 43, xIsPublicX: true } },
      alg: 'EdDSA', crv: 'Ed25519', createdAt: '<recent>', expiresAt: null,
    }, `Better Auth's row: ${JSON.stringify(theirs[0])}`);
    assert.deepEqual(await jwksRowShape(ours[0]), ref, `examples/basic's row (actual) vs Better Auth's (expected): ${JSON.stringify(ours[0])}`);
  });

  await t.test('bearer: the set-auth-token of either is accepted by the other', async () => {
    for (const [from, to] of [[one.ba, one.go], [one.go, one.ba]]) {
      const u = await signUp(from, `bearer-${from === one.ba ? 'ba' : 'go'}`);
      assert.equal(u.setAuthToken, u.signed, `${u.answer.what}: set-auth-token`);
      for (const auth of [`Bearer ${u.setAuthToken}`, `Bearer ${u.token}`, `bearer ${u.cookieValue}`]) {
        const g = await call(to, 'GET', '/get-session', { authorization: auth });
        assert.equal(g.status, 200, g.what);
        assert.equal(g.json?.user?.id, u.id, `${g.what}: ${from.name}'s session`);
        assert.ok(g.header('set-auth-jwt'), `${g.what}: set-auth-jwt`);
      }
    }
  });

  await t.test('a session due for refresh: get-session re-issues the cookie with set-auth-token and set-auth-jwt, exposed alike', async () => {
    const answers = {};
    for (const srv of [one.ba, one.go]) {
      const u = await signUp(srv, 'refresh');
      await db1.query(`update session set "expiresAt" = now() + interval '12 hours' where token = $1`, [u.token]);
      const r = await call(srv, 'GET', '/get-session', { cookie: u.cookie });
      assert.equal(r.status, 200, r.what);
      assert.equal(r.json?.user?.id, u.id, r.what);
      answers[srv.name] = {
        ...pluginHeaders(r), setAuthTokenIsCookie: r.header('set-auth-token') === decodeURIComponent(sessionCookieValue(r) ?? ''),
        jwtSub: r.header('set-auth-jwt') && decodeJWT(r.header('set-auth-jwt')).claims.sub === u.id,
      };
    }
    // Better Auth lists them as "set-auth-jwt, set-auth-token" (its after-hooks run in plugin order,
    // jwt first), examples/basic as "set-auth-token, set-auth-jwt" (the cookie is set before the jwt
    // plugin sees the answer); the header is a set of names, compared as one.
    assert.deepEqual(answers['Better Auth'], {
      setCookies: answers['Better Auth'].setCookies, setAuthToken: true, setAuthJwt: true,
      exposeHeaders: ['set-auth-jwt', 'set-auth-token'], setAuthTokenIsCookie: true, jwtSub: true,
    }, 'Better Auth re-issues the cookie with both headers');
    assert.deepEqual(answers['examples/basic'], answers['Better Auth'], 'examples/basic (actual) vs Better Auth (expected)');
  });
});
