// A throwaway PostgreSQL for the client test, as the Go tests make one (internal/pgtest): the
// installed binaries (PG_BIN, PATH, or /usr/lib/postgresql/*/bin), a cluster in a temp directory
// listening only on a unix socket, run as `postgres` (else `nobody`) when we are root. Removed on
// stop and when this process exits.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function binDir() {
  const candidates = [];
  if (process.env.PG_BIN) candidates.push(process.env.PG_BIN);
  for (const d of (process.env.PATH || '').split(':')) if (d) candidates.push(d);
  try {
    const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(`/usr/lib/postgresql/${v}/bin`);
  } catch {}
  return candidates.find((d) => existsSync(path.join(d, 'initdb')) && existsSync(path.join(d, 'postgres')));
}

function runAs() {
  if (process.getuid?.() !== 0) return {};
  for (const user of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', user]).toString());
      const gid = Number(execFileSync('id', ['-g', user]).toString());
      return { uid, gid };
    } catch {}
  }
  throw new Error('running as root and found neither a postgres nor a nobody user to run PostgreSQL as');
}

/** Resolves to { url, stop() }, or null when no PostgreSQL binaries are installed. */
export async function startPostgres({ timeoutMs = 30_000 } = {}) {
  const bin = binDir();
  if (!bin) return null;
  const ids = runAs();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'betterauth-interop-pg-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', cleanup);
  if (ids.uid !== undefined) chownSync(dir, ids.uid, ids.gid);
  const data = path.join(dir, 'data');
  execFileSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C'],
    { ...ids, stdio: 'pipe', timeout: timeoutMs });
  const child = spawn(path.join(bin, 'postgres'), ['-D', data, '-k', dir, '-c', 'listen_addresses=', '-c', 'fsync=off',
    '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'], { ...ids, stdio: ['ignore', 'ignore', 'pipe'] });
  const killOnExit = () => { try { child.kill('SIGKILL'); } catch {} };
  process.on('exit', killOnExit);
  let log = '';
  child.stderr.on('data', (c) => { log = (log + c).slice(-16384); });
  const exited = new Promise((r) => child.once('exit', r));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT'); // fast shutdown
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    process.off('exit', killOnExit);
    cleanup();
  };
  // Ready when postmaster.pid says so (its last line is the status).
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`postgres exited with ${child.exitCode}:\n${log}`);
    }
    try {
      if (/ready/.test(readFileSync(path.join(data, 'postmaster.pid'), 'utf8'))) break;
    } catch {}
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`postgres not ready after ${timeoutMs} ms:\n${log}`);
    }
    await sleep(50);
  }
  return { url: `postgres://postgres@/postgres?host=${encodeURIComponent(dir)}&sslmode=disable`, stop };
}
