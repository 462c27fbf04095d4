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

const builds = new Map();
/** Builds a Go package of the repository (e.g. './examples/basic') once per process, into a temporary
 * directory removed at exit; resolves to the binary's path. With the environment variable `prebuilt`
 * set, that binary is used instead (handy while the working tree does not compile). */
function goBuild(pkg, prebuilt) {
  if (prebuilt && process.env[prebuilt]) return Promise.resolve(path.resolve(process.env[prebuilt]));
  if (!builds.has(pkg)) {
    builds.set(pkg, (async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'betterauth-interop-'));
      process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
      const bin = path.join(dir, path.basename(pkg));
      try {
        await promisify(execFile)(process.env.GO || 'go', ['build', '-o', bin, pkg], {
          cwd: REPO_ROOT, timeout: 300_000, maxBuffer: 16 << 20,
        });
      } catch (err) {
        throw new Error(`go build ${pkg} failed (cwd ${REPO_ROOT}):\n${err.stderr || err.message}`);
      }
      return bin;
    })());
  }
  return builds.get(pkg);
}

/** Builds examples/basic once per process (INTEROP_BASIC_BIN: a prebuilt one). */
export const buildBasic = () => goBuild('./examples/basic', 'INTEROP_BASIC_BIN');
/** Builds cmd/betterauth, the CLI, once per process (INTEROP_CLI_BIN: a prebuilt one). */
export const buildCLI = () => goBuild('./cmd/betterauth', 'INTEROP_CLI_BIN');
/** Builds examples/api (the JWT-only service) once per process. */
export const buildAPI = () => goBuild('./examples/api');

/**
 * Spawns a server binary with env, keeps its last megabyte of output, and waits until readyURL answers
 * 200. Resolves to { child, logs(), stop() }; the child is killed when this process exits.
 */
async function spawnServer(bin, env, readyURL) {
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(bin, [], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
    await waitReady(readyURL, { child, logs });
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, logs, stop };
}

/** Starts examples/api on a free loopback port, trusting the auth server at authURL (its
 * BETTER_AUTH_URL); waits for GET /api/hello. Returns { origin, logs(), stop() }. */
export async function startAPI({ authURL }) {
  const bin = await buildAPI();
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR, PORT: String(port), BETTER_AUTH_URL: authURL };
  const { logs, stop } = await spawnServer(bin, env, `${origin}/api/hello`);
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
  const { logs, stop } = await spawnServer(bin, childEnv, `${origin}/api/auth/ok`);
  return { port, origin, baseURL: childEnv.BETTER_AUTH_URL, logs, mails: () => devMails(logs()), stop };
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
