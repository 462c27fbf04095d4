// Golden vectors for the cookie cache, made by a real Better Auth 1.7.25 (betterAuth() on its
// memoryAdapter, through auth.handler) with its clock fixed: for each strategy (compact, jwt, jwe)
// a sign-up with session.cookieCache on, recording the session cookie, the session_data cookie(s)
// Better Auth set, and Better Auth's own get-session answer from that cache. Plus a compact cache
// of a user with a 3,000-character name, which Better Auth splits into session_data.0 and .1.
// The Go side (cookiecache_golden_test.go) proves that each cache is honoured without a store read
// and answers the same, and that the compact and jwt caches it makes at the same instant are these
// very bytes (the jwe one is random: IV and jti).
//
// Regenerate (needs Node 20+ and interop's node_modules):
//
//   cd interop && node golden/cookiecache.mjs     # writes ../testdata/better-auth-cookiecache.json
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Better Auth reads the clock through Date.now() and new Date(); jose through new Date().
const NOW = Date.UTC(2026, 10, 27, 11, 9, 19, 882);
const RealDate = Date;
globalThis.Date = class extends RealDate {
  constructor(...args) { super(...(args.length ? args : [NOW])); }
  static now() { return NOW; }
};

const { betterAuth } = await import('better-auth');
const { memoryAdapter } = await import('better-auth/adapters/memory');

const SECRET = 'golden-secret-0123456789abcdefABCDEF';
const BASE_URL = 'http://localhost:3000';
const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../testdata/better-auth-cookiecache.json');

const cookiesOf = (res) => res.headers.getSetCookie().map((line) => {
  const [pair, ...attrs] = line.split('; ');
  const i = pair.indexOf('=');
  return { name: pair.slice(0, i), value: pair.slice(i + 1), attributes: attrs.join('; '), line };
});

async function run(strategy, name) {
  const db = { user: [], session: [], account: [], verification: [] };
  const auth = betterAuth({
    secret: SECRET, baseURL: BASE_URL, database: memoryAdapter(db),
    rateLimit: { enabled: false }, telemetry: { enabled: false }, logger: { disabled: true },
    emailAndPassword: { enabled: true },
    session: { cookieCache: { enabled: true, strategy } },
    databaseHooks: { user: { create: { before: async (user) => ({ data: { ...user, image: user.image ?? null } }) } } },
  });
  const signUp = await auth.handler(new Request(`${BASE_URL}/api/auth/sign-up/email`, {
    method: 'POST', headers: { 'content-type': 'application/json', origin: BASE_URL },
    body: JSON.stringify({ name, email: `${strategy}-${name.length}@example.com`, password: 'correct-horse-1' }),
  }));
  if (signUp.status !== 200) throw new Error(`sign-up: ${signUp.status} ${await signUp.text()}`);
  const cookies = cookiesOf(signUp);
  const header = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  // Better Auth's answer from its own cache: the session row is gone first, so it cannot come from it.
  db.session.length = 0;
  const get = await auth.handler(new Request(`${BASE_URL}/api/auth/get-session`, { headers: { cookie: header } }));
  const body = await get.text();
  if (body === 'null') throw new Error(`${strategy}: Better Auth did not honour its own cache`);
  return {
    strategy, nameLength: name.length,
    setCookies: cookies.map((c) => c.line),
    cookie: header,
    getSession: JSON.parse(body),
    getSessionSetCookies: get.headers.getSetCookie(),
  };
}

const cases = [];
for (const strategy of ['compact', 'jwt', 'jwe']) cases.push(await run(strategy, 'Ada Lovelace'));
cases.push(await run('compact', 'n'.repeat(3000)));
writeFileSync(OUT, JSON.stringify({
  generatedBy: 'interop/golden/cookiecache.mjs (better-auth 1.7.25)',
  secret: SECRET, baseURL: BASE_URL, now: new RealDate(NOW).toISOString(), cases,
}, null, 2) + '\n');
console.log(`wrote ${OUT}`);
