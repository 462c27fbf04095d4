// A tiny cookie jar for one host (every cookie here has Path=/ and no Domain), and a fetch wrapper
// that behaves like a browser towards it: it sends the jar's cookies, applies every Set-Cookie, and
// sends `Origin` on every request but GET and HEAD.

/** Splits one Set-Cookie header into { name, value, attrs } with lower-cased attribute names. */
export function parseSetCookie(header) {
  const [pair, ...rest] = header.split(';');
  const eq = pair.indexOf('=');
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  const attrs = {};
  for (const part of rest) {
    const i = part.indexOf('=');
    const k = (i < 0 ? part : part.slice(0, i)).trim().toLowerCase();
    if (k) attrs[k] = i < 0 ? true : part.slice(i + 1).trim();
  }
  return { name, value, attrs };
}

export class CookieJar {
  #cookies = new Map();

  apply(setCookieHeaders) {
    for (const h of setCookieHeaders) {
      const { name, value, attrs } = parseSetCookie(h);
      const maxAge = attrs['max-age'] !== undefined ? Number(attrs['max-age']) : undefined;
      const expired = (maxAge !== undefined && maxAge <= 0) ||
        (maxAge === undefined && attrs.expires && Date.parse(attrs.expires) <= Date.now());
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get(name) { return this.#cookies.get(name); }
  set(name, value) { this.#cookies.set(name, value); }
  names() { return [...this.#cookies.keys()].sort(); }
  clear() { this.#cookies.clear(); }

  header() {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/**
 * A fetch for createAuthClient's fetchOptions.customFetchImpl. Every exchange is pushed to `log`
 * as { method, path, status, setCookies, text, requestBody, headers, requestHeaders }.
 */
export function browserLikeFetch({ jar, origin, log = [] }) {
  return async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method || 'GET').toUpperCase();
    const headers = new Headers(init.headers);
    const cookie = jar.header();
    if (cookie) headers.set('cookie', cookie);
    else headers.delete('cookie');
    if (method !== 'GET' && method !== 'HEAD' && origin) headers.set('origin', origin);
    const res = await fetch(url, { ...init, method, headers, redirect: 'manual', signal: init.signal ?? AbortSignal.timeout(15_000) });
    const setCookies = res.headers.getSetCookie();
    jar.apply(setCookies);
    const text = await res.clone().text();
    log.push({
      method, path: new URL(url).pathname, status: res.status, setCookies, text,
      requestBody: typeof init.body === 'string' ? init.body : init.body == null ? null : '[stream]',
      headers: Object.fromEntries(res.headers), requestHeaders: Object.fromEntries(headers),
    });
    return res;
  };
}
