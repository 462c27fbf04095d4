// Normalized records: what two servers must agree on, without the values that always differ
// (ids, tokens, times).
import { parseSetCookie } from './jar.mjs';

/** The type tree of a value: 'string', 'number', 'boolean', 'null', 'undefined', 'Date',
 * 'InvalidDate', an array of item shapes, or an object of key shapes with sorted keys. */
export function shape(v) {
  if (v === null) return 'null';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'InvalidDate' : 'Date';
  if (Array.isArray(v)) return v.map(shape);
  if (typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = shape(v[k]);
    return out;
  }
  return typeof v;
}

/** Set-Cookie headers without their values: name, whether it clears, and the attributes. */
export function cookieShape(headers) {
  return headers.map((h) => {
    const { name, value, attrs } = parseSetCookie(h);
    const a = { ...attrs };
    delete a.expires;
    return { name, empty: value === '', attrs: a };
  }).sort((x, y) => x.name.localeCompare(y.name));
}

/** A {data, error} result from Better Auth's client, normalized. */
export function resultShape(result, http) {
  const { data, error } = result;
  return {
    httpStatus: http?.status ?? null,
    data: shape(data),
    error: error ? {
      keys: Object.keys(error).sort(),
      status: error.status,
      statusText: error.statusText,
      code: error.code,
      message: error.message,
    } : null,
    setCookies: cookieShape(http?.setCookies ?? []),
  };
}

/** Every "YYYY-MM-DDTHH:MM:SS(.fff)Z"-like string in a JSON text. */
export function timestampsIn(text) {
  return text.match(/"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})"/g) ?? [];
}
