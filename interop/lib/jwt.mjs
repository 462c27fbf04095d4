// Helpers for jwt.test.mjs: plain HTTP calls that keep every header the jwt and bearer plugins set,
// a JWT taken apart without verifying it (member order kept, as JSON.parse keeps it), a JWT verified
// with jose against a server's JWKS, and a session cookie's signature as Better Auth makes it.
import { createHmac } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { cookieShape } from './shape.mjs';

export const SESSION_COOKIE = 'better-auth.session_token';

/**
 * One request to srv ({ name, origin }) under /api/auth, with `cookie` and `authorization` headers
 * when given, a JSON body and the server's Origin on non-GET requests. Resolves to { status, text,
 * json, setCookies, header(name), what } — `what` describes the exchange for assertion messages.
 */
export async function call(srv, method, p, { body, cookie, authorization } = {}) {
  const headers = {};
  if (cookie) headers.cookie = cookie;
  if (authorization !== undefined) headers.authorization = authorization;
  if (method !== 'GET') headers.origin = srv.origin;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${srv.origin}/api/auth${p}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual',
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch {}
  const sent = [authorization !== undefined && `Authorization: ${authorization}`, cookie && 'with a cookie'].filter(Boolean).join(', ');
  if (process.env.INTEROP_DEBUG) console.error(`[jwt] ${srv.name}: ${method} ${p}${sent ? ` (${sent})` : ''} → ${res.status} ${text.slice(0, 300)}`);
  return {
    status: res.status, text, json, setCookies: res.headers.getSetCookie(), header: (n) => res.headers.get(n),
    what: `${srv.name}: ${method} ${p}${sent ? ` (${sent})` : ''} → ${res.status} ${text.slice(0, 400)}`,
  };
}

/** The session cookie's value in r's Set-Cookie (still percent-encoded), or undefined. */
export function sessionCookieValue(r) {
  for (const h of r.setCookies) {
    const [pair] = h.split(';');
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq).trim() === SESSION_COOKIE) return pair.slice(eq + 1).trim();
  }
  return undefined;
}

/** What an answer says through the headers the two plugins use, and its cookies without values.
 * Access-Control-Expose-Headers is a set of header names (their order means nothing to a browser):
 * it is given sorted, or null when absent. */
export function pluginHeaders(r) {
  const expose = r.header('access-control-expose-headers');
  return {
    setCookies: cookieShape(r.setCookies),
    setAuthToken: r.header('set-auth-token') !== null,
    setAuthJwt: r.header('set-auth-jwt') !== null,
    exposeHeaders: expose === null ? null : expose.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean).sort(),
  };
}

/** A compact JWS taken apart, unverified: { header, claims } as parsed JSON (member order kept). */
export function decodeJWT(token) {
  const parts = String(token).split('.');
  if (parts.length !== 3) throw new Error(`not a compact JWS: ${token}`);
  const [header, claims] = parts.slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
  return { header, claims };
}

/** jose's jwtVerify of token against a JWKS body ({ keys }), requiring iss and aud = baseURL. */
export async function verifyWith(jwks, token, baseURL) {
  return jwtVerify(token, createLocalJWKSet(jwks), { issuer: baseURL, audience: baseURL, algorithms: ['EdDSA'] });
}

/** "<value>.<signature>" as Better Auth signs a cookie: standard padded base64 of HMAC-SHA256(secret, value). */
export function signValue(value, secret) {
  return `${value}.${createHmac('sha256', secret).update(value).digest('base64')}`;
}
