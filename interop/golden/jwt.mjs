// Golden vectors for the jwt plugin, made by a real Better Auth 1.7.25: one run per key algorithm it
// offers (EdDSA, the default; ES256; ES512; RS256; PS256) and one with
// `jwks: { disablePrivateKeyEncryption: true }`. Each run signs up a user, then asks for
// GET /api/auth/token (with the session cookie) and GET /api/auth/jwks through auth.handler, and
// records the token, the /jwks answer, the `jwks` table row(s) exactly as Better Auth stored them
// (privateKey: the JSON-quoted hex of symmetricEncrypt(secret, private JWK JSON), or the plain JWK
// JSON when encryption is off) and the user object. The Go side uses them to prove that jwtverify
// accepts Better Auth's tokens, and that a Go jwt plugin reads (decrypts) and signs with the keys
// Better Auth made.
//
// Regenerate (needs Node 20+ and interop's node_modules, e.g. `cd interop && npm ci`, or a symlink
// to another checkout's interop/node_modules):
//
//   cd interop && node golden/jwt.mjs        # writes ../testdata/better-auth-jwt.json
//
// Keys are random, so every run writes different values; the tests only rely on their shape.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { jwt } from 'better-auth/plugins';

const SECRET = 'golden-secret-0123456789abcdefABCDEF';
const BASE_URL = 'http://localhost:3000';
const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../testdata/better-auth-jwt.json');

const cases = [
  { name: 'EdDSA', plugin: {} },
  { name: 'ES256', plugin: { jwks: { keyPairConfig: { alg: 'ES256' } } } },
  { name: 'ES512', plugin: { jwks: { keyPairConfig: { alg: 'ES512' } } } },
  { name: 'RS256', plugin: { jwks: { keyPairConfig: { alg: 'RS256', modulusLength: 2048 } } } },
  { name: 'PS256', plugin: { jwks: { keyPairConfig: { alg: 'PS256', modulusLength: 2048 } } } },
  { name: 'EdDSA-unencrypted', plugin: { jwks: { disablePrivateKeyEncryption: true } } },
];

async function run({ name, plugin }) {
  const db = { user: [], session: [], account: [], verification: [], jwks: [] };
  const auth = betterAuth({
    secret: SECRET,
    baseURL: BASE_URL,
    database: memoryAdapter(db),
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
    emailAndPassword: { enabled: true },
    // As on a SQL database, a user without an image has "image": null (the memory adapter would
    // leave the key out), so the token's user object is the one a real deployment signs.
    databaseHooks: {
      user: { create: { before: async (user) => ({ data: { ...user, image: user.image ?? null } }) } },
    },
    plugins: [jwt(plugin)],
  });
  const call = async (method, p, { body, cookie } = {}) => {
    const headers = { origin: BASE_URL };
    if (body) headers['content-type'] = 'application/json';
    if (cookie) headers.cookie = cookie;
    const res = await auth.handler(new Request(BASE_URL + '/api/auth' + p, {
      method, headers, body: body ? JSON.stringify(body) : undefined,
    }));
    const text = await res.text();
    if (res.status !== 200) throw new Error(`${name}: ${method} ${p}: ${res.status} ${text}`);
    return { res, json: JSON.parse(text) };
  };

  const email = `golden-${name.toLowerCase()}@example.com`;
  const signUp = await call('POST', '/sign-up/email', {
    body: { email, password: 'golden-password-123', name: `Golden ${name}` },
  });
  const cookie = signUp.res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const before = Math.floor(Date.now() / 1000);
  const { json: { token } } = await call('GET', '/token', { cookie });
  const after = Math.floor(Date.now() / 1000);
  const { json: jwks } = await call('GET', '/jwks');

  const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
  if (payload.iat < before || payload.iat > after) throw new Error(`${name}: iat ${payload.iat} not in [${before}, ${after}]`);
  return {
    name,
    alg: jwks.keys[0].alg,
    pluginOptions: plugin,
    secret: SECRET,
    baseURL: BASE_URL,
    issuedAt: payload.iat,
    token,
    header: JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()),
    payload,
    jwks,
    jwksRows: db.jwks.map((row) => ({
      id: row.id,
      publicKey: row.publicKey,
      privateKey: row.privateKey,
      createdAt: row.createdAt instanceof Date ? row.createdAt.toISOString() : row.createdAt,
      expiresAt: row.expiresAt instanceof Date ? row.expiresAt.toISOString() : (row.expiresAt ?? null),
      alg: row.alg ?? null,
      crv: row.crv ?? null,
    })),
    user: signUp.json.user,
  };
}

const out = {
  generatedBy: 'better-auth 1.7.25, jwt() plugin: interop/golden/jwt.mjs',
  generatedAt: new Date().toISOString(),
  cases: [],
};
for (const c of cases) out.cases.push(await run(c));
writeFileSync(OUT, JSON.stringify(out, null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), OUT)}: ${out.cases.map((c) => c.name).join(', ')}`);
