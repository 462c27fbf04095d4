// PostgreSQL for the database tests (db.test.mjs, schema.test.mjs): one server per test file — a
// throwaway cluster from lib/pg.mjs, or INTEROP_DATABASE_URL's server when set — and one fresh
// database per scenario on it, plus node-postgres pools that never crash the process when the server
// goes away first.
import assert from 'node:assert/strict';
import pg from 'pg';
import { startPostgres } from './pg.mjs';

/**
 * Resolves to { url, stop() } for a PostgreSQL server the test may create databases on, or null when
 * there is none (the caller skips; under CI this fails instead, as the client test does).
 */
export async function postgresServer() {
  if (process.env.INTEROP_DATABASE_URL) return { url: process.env.INTEROP_DATABASE_URL, stop: async () => {} };
  const server = await startPostgres();
  if (!server && process.env.CI) assert.fail('no PostgreSQL binaries found (initdb, postgres) and INTEROP_DATABASE_URL is unset');
  return server;
}

/** The same URL naming another database on the same server. */
export function withDatabase(url, name) {
  const m = /^([a-z]+:\/\/[^/?#]*)(\/[^?#]*)?(.*)$/i.exec(url);
  assert.ok(m, `not a PostgreSQL URL: ${url}`);
  return `${m[1]}/${encodeURIComponent(name)}${m[3]}`;
}

/** A node-postgres pool whose idle connections dying (the server stopping) is not an uncaught error. */
export function pool(url, options = {}) {
  const p = new pg.Pool({ connectionString: url, max: 4, ...options });
  p.on('error', () => {});
  return p;
}

let seq = 0;
/** Creates an empty database named after prefix (unique within this process); resolves to its URL. */
export async function createDatabase(serverURL, prefix) {
  const name = `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_${process.pid}_${++seq}`;
  const admin = pool(serverURL, { max: 1 });
  try {
    await admin.query(`drop database if exists "${name}"`);
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return withDatabase(serverURL, name);
}
