// Starting and stopping the servers the interop tests talk to: examples/basic (built once per
// process from the repository root) and a free loopback port to put it on; and the CLI
// (cmd/betterauth, built the same way) for the schema test.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const INTEROP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(INTEROP_DIR, '..');
export const SECRET = 'interop-test-secret-0123456789abcdefABCDEF';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Every child we start is killed when this process exits, however it exits.
const children = new Set();
function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch {}
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killAll(); process.exit(128 + (os.constants.signals[sig] ?? 0)); });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

let built;
/** Builds examples/basic once per process; resolves to the binary's path. With INTEROP_BASIC_BIN
 * set, that prebuilt binary is used instead (handy while the working tree does not compile). */
export function buildBasic() {
  if (process.env.INTEROP_BASIC_BIN) return Promise.resolve(path.resolve(process.env.INTEROP_BASIC_BIN));
  built ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'betterauth-interop-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const bin = path.join(dir, 'basic');
    const go = process.env.GO || 'go';
    try {
      await promisify(execFile)(go, ['build', '-o', bin, './examples/basic'], {
        cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 << 20,
      });
    } catch (err) {
      throw new Error(`go build ./examples/basic failed (cwd ${REPO_ROOT}):\n${err.stderr || err.message}`);
    }
    return bin;
  })();
  return built;
}

let builtCLI;
/** Builds cmd/betterauth (the CLI) once per process, as `go run ./cmd/betterauth` would; resolves to
 * the binary's path. INTEROP_CLI_BIN uses a prebuilt one instead. */
export function buildCLI() {
  if (process.env.INTEROP_CLI_BIN) return Promise.resolve(path.resolve(process.env.INTEROP_CLI_BIN));
  builtCLI ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'betterauth-interop-cli-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const bin = path.join(dir, 'betterauth');
    try {
      await promisify(execFile)(process.env.GO || 'go', ['build', '-o', bin, './cmd/betterauth'], {
        cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 << 20,
      });
    } catch (err) {
      throw new Error(`go build ./cmd/betterauth failed (cwd ${REPO_ROOT}):\n${err.stderr || err.message}`);
    }
    return bin;
  })();
  return builtCLI;
}

let builtAPI;
/** Builds examples/api (the JWT-only service) once per process; resolves to the binary's path. */
export function buildAPI() {
  builtAPI ??= (async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'betterauth-interop-api-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    const bin = path.join(dir, 'api');
    try {
      await promisify(execFile)(process.env.GO || 'go', ['build', '-o', bin, './examples/api'], {
        cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 << 20,
      });
    } catch (err) {
      throw new Error(`go build ./examples/api failed (cwd ${REPO_ROOT}):\n${err.stderr || err.message}`);
    }
    return bin;
  })();
  return builtAPI;
}

/** Starts examples/api on a free loopback port, trusting the auth server at authURL (its
 * BETTER_AUTH_URL); waits for GET /api/hello. Returns { origin, logs(), stop() }. */
export async function startAPI({ authURL }) {
  const bin = await buildAPI();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const child = spawn(bin, [], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, PORT: String(port), BETTER_AUTH_URL: authURL },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  const keep = (chunk) => { out = (out + chunk).slice(-1024 * 1024); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((r) => child.once('exit', r));
  exited.then(() => children.delete(child));
  const logs = () => out;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  };
  try {
    await waitReady(`${origin}/api/hello`, { child, logs });
  } catch (err) {
    await stop();
    throw err;
  }
  return { origin, logs, stop };
}

/** Runs the CLI (`betterauth <args>`) from the repository root; resolves to { code, stdout, stderr }. */
export async function runCLI(args, { timeoutMs = 120_000 } = {}) {
  const bin = await buildCLI();
  try {
    const { stdout, stderr } = await promisify(execFile)(bin, args, {
      cwd: REPO_ROOT, timeout: timeoutMs, maxBuffer: 16 << 20,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (typeof err.code !== 'number') throw err;
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Polls GET url until it answers 200, the child exits, or the deadline passes. */
export async function waitReady(url, { child, timeoutMs = 20_000, logs = () => '' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`server exited with ${child.exitCode} before ${url} answered\n${logs()}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (err) {
      last = err.cause?.code || err.message;
    }
    await sleep(50);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})\n${logs()}`);
}

/**
 * Starts examples/basic on a free loopback port and waits for GET /api/auth/ok.
 * env: extra environment (BETTER_AUTH_URL defaults to http://127.0.0.1:<port>; BETTER_AUTH_SECRET
 * to SECRET; BETTER_AUTH_RATE_LIMIT to false; no DATABASE_URL means the in-memory store). Returns { port, origin (where it listens),
 * baseURL (its BETTER_AUTH_URL), logs(), mails(), stop() }.
 */
export async function startBasic({ env = {}, port } = {}) {
  const bin = await buildBasic();
  port ??= await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const childEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR,
    BETTER_AUTH_URL: origin,
    BETTER_AUTH_SECRET: SECRET,
    // The scripts sign in more often than Better Auth's limits allow (the reference runs with
    // rateLimit: { enabled: false } too); a test about limits passes 'true'.
    BETTER_AUTH_RATE_LIMIT: 'false',
    ...env,
    PORT: String(port),
  };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  const child = spawn(bin, [], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const keep = (chunk) => { out = (out + chunk).slice(-1024 * 1024); };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((r) => child.once('exit', r));
  exited.then(() => children.delete(child));
  const logs = () => out;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  };
  try {
    await waitReady(`${origin}/api/auth/ok`, { child, logs });
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, origin, baseURL: childEnv.BETTER_AUTH_URL, logs, mails: () => devMails(out), stop };
}

/** The messages examples/basic's development mailer logged, oldest first, as { kind, to, url,
 * token }: one log/slog text line each, `msg="dev mailer" kind=... to=... url="..." token=...`. */
export function devMails(logText) {
  const mails = [];
  for (const line of logText.split('\n')) {
    if (!line.includes('msg="dev mailer"')) continue;
    const fields = {};
    for (const m of line.matchAll(/(\w+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
      fields[m[1]] = m[2].startsWith('"') ? JSON.parse(m[2]) : m[2];
    }
    mails.push({ kind: fields.kind, to: fields.to, url: fields.url, token: fields.token });
  }
  return mails;
}
