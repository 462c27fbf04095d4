// Schema compatibility: Better Auth 1.7.25's own migrator (getMigrations(options).runMigrations(),
// from better-auth/db/migration, on a node-postgres Pool) on one empty database, our migrations
// (`betterauth migrate --database-url <url>`, cmd/betterauth built from the repository root) on
// another; then the two public schemas are compared through information_schema and pg_catalog:
// relations, columns (type, nullability, default), constraints and indexes with their definitions,
// triggers, extensions. The only differences allowed are our version table
// (betterauth_schema_migrations) and the four indexes we add on purpose (EXTRA_INDEXES).
//
// Then, both ways on one database: Better Auth's migrator after ours has nothing to do, and ours after
// Better Auth's adds exactly those four indexes and its version table.
//
// For text ids, uuid ids (generateId: "uuid" / --uuid), both with additional fields of every type
// (user and session), and both with rateLimit.storage "database" (--rate-limit-storage database: the
// rateLimit table). One throwaway PostgreSQL for the file (lib/pg.mjs, or INTEROP_DATABASE_URL's
// server), one database per scenario; skipped without PostgreSQL, except under CI.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { getMigrations } from 'better-auth/db/migration';
import { columnOrder, diff, snapshot, without } from '../lib/catalog.mjs';
import { createDatabase, pool, postgresServer } from '../lib/db.mjs';
import { SECRET, buildCLI, runCLI } from '../lib/servers.mjs';

const TIMEOUT = 120_000;
// Indexes Better Auth lacks and its setup guide asks for (README, "Migrations").
const EXTRA_INDEXES = ['user_createdAt_idx', 'session_expiresAt_idx', 'account_providerId_accountId_idx', 'verification_expiresAt_idx'];
const VERSION_TABLE = 'betterauth_schema_migrations';

// Additional fields of every type and flag our schema JSON understands, in Better Auth's words.
const ADDITIONAL = {
  user: {
    additionalFields: {
      role: { type: 'string', defaultValue: 'member', input: false },
      nickname: { type: 'string', required: false },
      handle: { type: 'string', required: false, unique: true },
      age: { type: 'number', required: false, index: true },
      karma: { type: 'number', bigint: true, defaultValue: 0 },
      newsletter: { type: 'boolean', defaultValue: false },
      birthday: { type: 'date', required: false },
      prefs: { type: 'json', required: false },
      secretNote: { type: 'string', required: false, returned: false, fieldName: 'secret_note' },
    },
  },
  session: {
    additionalFields: {
      device: { type: 'string', required: false },
    },
  },
};

const SCENARIOS = [
  { name: 'text ids', uuid: false, config: {} },
  { name: 'uuid ids', uuid: true, config: {} },
  { name: 'text ids, additional fields', uuid: false, config: ADDITIONAL },
  { name: 'uuid ids, additional fields', uuid: true, config: ADDITIONAL },
  // The fields added to tables that already exist (and are empty): ADD COLUMN, not CREATE TABLE;
  // a unique one gets Better Auth's separate unique index "user_handle_uidx".
  {
    name: 'text ids, additional fields added later', uuid: false, config: ADDITIONAL, later: true,
  },
  // rateLimit.storage "database" (--rate-limit-storage database): the rateLimit table too.
  { name: 'text ids, rate limits in the database', uuid: false, config: {}, rateLimitDB: true },
  { name: 'uuid ids, rate limits in the database', uuid: true, config: {}, rateLimitDB: true },
];

let server;
let tmp;
const cleanups = [];

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'betterauth-interop-schema-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  await buildCLI();
  server = await postgresServer();
  if (server) cleanups.push(() => server.stop());
}, { timeout: 300_000 });

after(async () => {
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch {}
  }
});

/** Better Auth's options for a scenario (only what shapes the schema), on a pool for url. */
function baOptions(sc, db) {
  return {
    database: db,
    secret: SECRET,
    emailAndPassword: { enabled: true },
    rateLimit: sc.rateLimitDB ? { enabled: false, storage: 'database' } : { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
    advanced: sc.uuid ? { database: { generateId: 'uuid' } } : {},
    ...sc.config,
  };
}

/** Runs Better Auth's migrator on url; resolves to the SQL it ran. */
async function baMigrate(sc, url) {
  const db = pool(url);
  try {
    const m = await getMigrations(baOptions(sc, db));
    const sql = await m.compileMigrations();
    await m.runMigrations();
    return sql;
  } finally {
    await db.end();
  }
}

/** What Better Auth's migrator would still do on url, without doing it. */
async function baPlan(sc, url) {
  const db = pool(url);
  try {
    const m = await getMigrations(baOptions(sc, db), { throwOnUnsafe: false });
    return {
      toBeCreated: m.toBeCreated.map((x) => `${x.table}(${Object.keys(x.fields).join(', ')})`),
      toBeAdded: m.toBeAdded.map((x) => `${x.table}(${Object.keys(x.fields).join(', ')})`),
      toBeAddedIndexes: m.toBeAddedIndexes.map((x) => `${x.table}.${x.name}`),
      unsafeChanges: m.unsafeChanges,
      schemaProblems: m.schemaProblems,
      sql: (await m.compileMigrations()).trim(),
    };
  } finally {
    await db.end();
  }
}

/** The CLI's flags for a scenario: --uuid, and --config with its additional fields in Better Auth's words. */
function cliFlags(sc) {
  const flags = sc.uuid ? ['--uuid'] : [];
  if (sc.rateLimitDB) flags.push('--rate-limit-storage', 'database');
  if (Object.keys(sc.config).length) {
    const file = path.join(tmp, `config-${sc.name.replace(/\W+/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(sc.config));
    flags.push('--config', file);
  }
  return flags;
}

/** Runs our migrations on url through the CLI (`betterauth migrate`). */
async function ourMigrate(sc, url) {
  const args = ['migrate', '--database-url', url, ...cliFlags(sc)];
  const r = await runCLI(args);
  assert.equal(r.code, 0, `betterauth ${args.join(' ')} exited ${r.code}\n${r.stdout}${r.stderr}`);
  return r;
}

const isOurs = (kind, key) => key === VERSION_TABLE || key.startsWith(`${VERSION_TABLE}.`) ||
  key === `${VERSION_TABLE}_pkey` ||
  (kind === 'indexes' && EXTRA_INDEXES.some((ix) => key.endsWith(`.${ix}`))) ||
  (kind === 'relations' && EXTRA_INDEXES.includes(key));

/** A no-op plan: nothing to create, add or index, and SQL that is empty or only semicolons. */
function assertNothingToDo(plan, what) {
  const doing = { ...plan, sql: plan.sql.replace(/[;\s]/g, '') };
  assert.deepEqual(doing, {
    toBeCreated: [], toBeAdded: [], toBeAddedIndexes: [], unsafeChanges: [], schemaProblems: [], sql: '',
  }, `${what}: Better Auth's migrator wants changes:\n${plan.sql}`);
}

for (const sc of SCENARIOS) {
  test(`schema: Better Auth's migrator and ours make the same tables (${sc.name})`, { timeout: TIMEOUT }, async (t) => {
    if (!server) return t.skip('no PostgreSQL: install it or set INTEROP_DATABASE_URL');
    const tag = sc.name.replace(/\W+/g, '_');
    const baURL = await createDatabase(server.url, `schema_ba_${tag}`);
    const ourURL = await createDatabase(server.url, `schema_go_${tag}`);
    if (sc.later) {
      await baMigrate({ ...sc, config: {} }, baURL);
      await ourMigrate({ ...sc, config: {} }, ourURL);
    }
    await baMigrate(sc, baURL);
    await ourMigrate(sc, ourURL);
    const theirs = await snapshot(baURL);
    const ours = await snapshot(ourURL);

    const isKnown = (line) => Boolean(sc.known?.re.test(line));
    const lines = diff(theirs, without(ours, isOurs), { aName: 'Better Auth', bName: 'ours' });
    await t.test('same relations, columns, constraints, indexes, triggers and extensions', () => {
      assert.ok(Object.keys(theirs.columns).length >= 34, 'Better Auth made its tables');
      const unexpected = lines.filter((l) => !isKnown(l));
      assert.deepEqual(unexpected, [], `schema differences (besides our version table and ${EXTRA_INDEXES.join(', ')}):\n${unexpected.join('\n')}`);
    });

    await t.test('our extra indexes are exactly the documented four', () => {
      const extra = Object.keys(ours.indexes).filter((k) => !(k in theirs.indexes) && !k.startsWith(`${VERSION_TABLE}.`) && !isKnown(k));
      assert.deepEqual(extra.map((k) => k.split('.')[1]).sort(), [...EXTRA_INDEXES].sort());
    });

    const order = { theirs: await columnOrder(baURL), ours: await columnOrder(ourURL) };
    delete order.ours[VERSION_TABLE];
    // Column order is not part of the contract (every statement names its columns), but a
    // difference would show in `select *` and pg_dump: additional fields keep their declaration order.
    await t.test('columns in the same order', () => {
      assert.deepEqual(order.ours, order.theirs, 'column order: ours (actual) vs Better Auth (expected)');
    });

    await t.test('Better Auth\'s migrator after ours has nothing to do', async () => {
      assertNothingToDo(await baPlan(sc, ourURL), 'on our database');
    });

    await t.test('ours after Better Auth\'s adds only the four indexes and its version table', async () => {
      await ourMigrate(sc, baURL);
      const adopted = await snapshot(baURL);
      const added = diff(theirs, adopted, { aName: 'before', bName: 'after' });
      for (const ix of EXTRA_INDEXES) {
        assert.ok(added.some((l) => l.startsWith(`indexes ${ix.split('_')[0]}.${ix}: only in after`)), `${ix} added`);
      }
      const unexpected = added.filter((l) => !l.includes(': only in after') || !isOurs(l.split(' ')[0], l.split(' ')[1].replace(/:$/, '')));
      assert.deepEqual(unexpected, [], `ours on Better Auth's database changed more than the four indexes and its table:\n${unexpected.join('\n')}`);
      // And then both databases are the same, extra indexes and version table included.
      const rest = diff(adopted, ours, { aName: 'Better Auth + ours', bName: 'ours' }).filter((l) => !isKnown(l));
      assert.deepEqual(rest, [], rest.join('\n'));
      // Better Auth still has nothing to do there.
      assertNothingToDo(await baPlan(sc, baURL), 'on Better Auth\'s database after ours');
      const check = await runCLI(['check', '--database-url', baURL, ...cliFlags(sc)]);
      assert.equal(check.code, 0, `betterauth check on Better Auth's database:\n${check.stdout}${check.stderr}`);
    });
  });
}
