// What a database's public schema is made of, read from information_schema and pg_catalog, as flat
// records keyed by name, and the differences between two such snapshots in plain words. Used by
// schema.test.mjs to compare the schema Better Auth's migrator creates with ours.
import { pool } from './db.mjs';

/**
 * Snapshot of the public schema: { relations, columns, constraints, indexes, triggers, extensions },
 * each an object from a stable key ("table", "table.column", "table.constraint", ...) to a record.
 * Column records leave the position out (see columnOrder).
 */
export async function snapshot(url) {
  const db = pool(url, { max: 1 });
  try {
    const q = async (sql) => (await db.query(sql)).rows;
    const out = { relations: {}, columns: {}, constraints: {}, indexes: {}, triggers: {}, extensions: {} };
    for (const r of await q(`
        select c.relname as name, c.relkind as kind, c.relpersistence as persistence
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' order by 1`)) {
      out.relations[r.name] = { kind: r.kind, persistence: r.persistence };
    }
    for (const r of await q(`
        select table_name, column_name, data_type, udt_name, is_nullable, column_default,
               character_maximum_length, numeric_precision, numeric_scale, datetime_precision,
               is_identity, identity_generation, is_generated, collation_name
        from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`)) {
      const { table_name: t, column_name: c, ...rest } = r;
      out.columns[`${t}.${c}`] = rest;
    }
    // pg_catalog's view of the same columns: the exact type with modifiers and the default expression.
    for (const r of await q(`
        select c.relname as table, a.attname as column, format_type(a.atttypid, a.atttypmod) as type,
               a.attnotnull as not_null, pg_get_expr(d.adbin, d.adrelid) as default_expr
        from pg_attribute a
        join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
        left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
        where n.nspname = 'public' and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped`)) {
      Object.assign(out.columns[`${r.table}.${r.column}`], { type: r.type, not_null: r.not_null, default_expr: r.default_expr });
    }
    for (const r of await q(`
        select c.relname as table, k.conname as name, k.contype as type, pg_get_constraintdef(k.oid) as definition,
               k.condeferrable as deferrable, k.condeferred as deferred, k.convalidated as validated
        from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public'`)) {
      const { table, name, ...rest } = r;
      out.constraints[`${table}.${name}`] = rest;
    }
    for (const r of await q(`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public'`)) {
      out.indexes[`${r.tablename}.${r.indexname}`] = { definition: r.indexdef };
    }
    for (const r of await q(`
        select c.relname as table, t.tgname as name, pg_get_triggerdef(t.oid) as definition
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and not t.tgisinternal`)) {
      out.triggers[`${r.table}.${r.name}`] = { definition: r.definition };
    }
    for (const r of await q(`select extname, extversion from pg_extension`)) {
      out.extensions[r.extname] = { version: r.extversion };
    }
    return out;
  } finally {
    await db.end();
  }
}

/** Each table's columns in their physical order: { table: [column, ...] }. */
export async function columnOrder(url) {
  const db = pool(url, { max: 1 });
  try {
    const { rows } = await db.query(`
        select table_name, column_name from information_schema.columns
        where table_schema = 'public' order by table_name, ordinal_position`);
    const out = {};
    for (const r of rows) (out[r.table_name] ??= []).push(r.column_name);
    return out;
  } finally {
    await db.end();
  }
}

/**
 * Removes from a snapshot everything `ignore(kind, key)` says to ignore (kind: "relations",
 * "columns", ...; key as in the snapshot). Returns a new snapshot.
 */
export function without(snap, ignore) {
  const out = {};
  for (const [kind, recs] of Object.entries(snap)) {
    out[kind] = Object.fromEntries(Object.entries(recs).filter(([key]) => !ignore(kind, key)));
  }
  return out;
}

/** The differences between two snapshots, one line each: "<kind> <key>: only in <a>", ... */
export function diff(a, b, { aName = 'a', bName = 'b' } = {}) {
  const lines = [];
  for (const kind of Object.keys({ ...a, ...b })) {
    const ra = a[kind] ?? {};
    const rb = b[kind] ?? {};
    for (const key of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
      if (!(key in rb)) lines.push(`${kind} ${key}: only in ${aName}: ${JSON.stringify(ra[key])}`);
      else if (!(key in ra)) lines.push(`${kind} ${key}: only in ${bName}: ${JSON.stringify(rb[key])}`);
      else {
        for (const f of [...new Set([...Object.keys(ra[key]), ...Object.keys(rb[key])])].sort()) {
          if (JSON.stringify(ra[key][f]) !== JSON.stringify(rb[key][f])) {
            lines.push(`${kind} ${key}.${f}: ${aName} ${JSON.stringify(ra[key][f])}, ${bName} ${JSON.stringify(rb[key][f])}`);
          }
        }
      }
    }
  }
  return lines;
}
