// The reference: a real Better Auth 1.7.25 server (email and password, in-memory database, rate
// limit off), served with node:http. The client test runs the same script against it and against
// examples/basic and compares the answers, so it is configured as examples/basic is: verification
// mail on sign-up, password reset, change-email and delete-user (with a confirmation mail) on. Mail
// is not sent: each message lands in `mails` ({ kind, to, url, token }), as examples/basic's
// development mailer logs it.
//
// With `twoFactor` (BETTER_AUTH_TWO_FACTOR=true when run alone) it also has Better Auth's twoFactor()
// plugin with its defaults, as examples/basic has with BETTER_AUTH_TWO_FACTOR=true: each one-time code
// of the second step lands in `mails` as { kind: 'two-factor-otp', to, token: <code> } (and, run alone,
// on stderr as examples/basic's development mailer logs it: msg="dev mailer" kind=two-factor-otp to=... token=...).
//
//   node ba-server.mjs            # listens on 127.0.0.1:$PORT (default 3005) until Ctrl-C
import http from 'node:http';
import { pathToFileURL } from 'node:url';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { toNodeHandler } from 'better-auth/node';
import { twoFactor as twoFactorPlugin } from 'better-auth/plugins/two-factor';

// Run as a program (node ba-server.mjs) rather than imported by a test.
const standalone = import.meta.url === pathToFileURL(process.argv[1] ?? '').href;

/** Starts Better Auth on 127.0.0.1:port (0: any free port). Resolves to { origin, auth, mails, close() }.
 * twoFactor: true (or twoFactor()'s options) adds the two-factor plugin to options.plugins, its
 * one-time codes captured in mails. */
export async function startBetterAuth({ port = 0, secret, baseURL, options = {}, twoFactor = false } = {}) {
  let handler = (_req, res) => { res.statusCode = 503; res.end(); };
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  // jwks and twoFactor: the jwt and two-factor plugins' tables, for tests that enable them (the memory
  // adapter needs every model's array).
  const db = { user: [], session: [], account: [], verification: [], jwks: [], twoFactor: [] };
  const mails = [];
  const mailer = (kind) => async ({ user, newEmail, url, token }) => {
    mails.push({ kind, to: newEmail ?? user.email, url, token });
    if (process.env.BA_LOG) console.error('mail', kind, user.email, url);
  };
  const plugins = [...(options.plugins ?? [])];
  if (twoFactor) {
    plugins.push(twoFactorPlugin({
      ...(twoFactor === true ? {} : twoFactor),
      otpOptions: {
        async sendOTP({ user, otp }) {
          mails.push({ kind: 'two-factor-otp', to: user.email, url: undefined, token: otp });
          if (process.env.BA_LOG || standalone) console.error(`msg="dev mailer" kind=two-factor-otp to=${user.email} token=${otp}`);
        },
      },
    }));
  }
  const auth = betterAuth({
    secret: secret ?? 'interop-test-secret-0123456789abcdefABCDEF',
    baseURL: baseURL ?? origin,
    database: memoryAdapter(db),
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: !process.env.BA_LOG },
    emailAndPassword: {
      enabled: true,
      requireEmailVerification: process.env.BETTER_AUTH_REQUIRE_EMAIL_VERIFICATION === 'true',
      sendResetPassword: mailer('reset-password'),
    },
    emailVerification: { sendVerificationEmail: mailer('verify-email'), sendOnSignUp: true },
    user: {
      changeEmail: { enabled: true, sendChangeEmailConfirmation: mailer('change-email-confirmation') },
      deleteUser: { enabled: true, sendDeleteAccountVerification: mailer('delete-account') },
    },
    // On a SQL database (the transcript's PostgreSQL, and what examples/basic mirrors) a user created
    // without an image reads back with "image": null; the memory adapter would keep the key absent
    // instead. Store the null explicitly so the reference answers as Better Auth on SQL does.
    databaseHooks: {
      user: { create: { before: async (user) => ({ data: { ...user, image: user.image ?? null } }) } },
    },
    ...options,
    plugins,
  });
  handler = toNodeHandler(auth);
  return {
    origin,
    auth,
    db,
    mails,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

if (standalone) {
  const port = Number(process.env.PORT || 3005);
  const { origin, close } = await startBetterAuth({
    port, secret: process.env.BETTER_AUTH_SECRET, baseURL: process.env.BETTER_AUTH_URL,
    twoFactor: process.env.BETTER_AUTH_TWO_FACTOR === 'true',
  });
  console.log(`Better Auth 1.7.25 at ${origin}/api/auth (Ctrl-C stops it)`);
  const stop = () => close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
