// A certified OpenID provider for the social sign-in test: the `oidc-provider` package (panva's, OpenID
// Certified), on 127.0.0.1, with one confidential client (client_secret_post) whose redirect URIs are
// given, PKCE required, RFC 9207's iss in authorization responses (its default), and an interaction that
// approves at once: it logs in as `op.user` (set it before a flow) and grants what was asked. The user's
// email, email_verified and name are released with the scope "openid" alone, since Better Auth's
// genericOAuth asks for nothing more by default.
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';
import { freePort } from './servers.mjs';

export const CLIENT_ID = 'interop-client';
export const CLIENT_SECRET = 'interop-client-secret-0123456789';

/** Starts the provider; resolves to { issuer, discoveryURL, users, setUser(sub), close() }.
 * users maps a subject to { email, email_verified, name }. */
export async function startOP({ redirectURIs }) {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'interop', alg: 'RS256', use: 'sig' };
  const users = new Map();
  const state = { user: null };
  const provider = new Provider(issuer, {
    clients: [{
      client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: redirectURIs,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: ['interop-cookie-key-0123456789'] },
    claims: { openid: ['sub', 'email', 'email_verified', 'name'] },
    features: { devInteractions: { enabled: false } },
    pkce: { required: () => true },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(_ctx, sub) {
      const u = users.get(sub);
      if (!u) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...u }) };
    },
    // Refresh tokens for every code grant (Better Auth stores them).
    issueRefreshToken: async () => true,
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 3600, RefreshToken: 86400, IdToken: 3600, AuthorizationCode: 60 },
  });
  const callback = provider.callback();
  const server = http.createServer(async (req, res) => {
    if (!req.url.startsWith('/interaction/')) return callback(req, res);
    try {
      const { prompt, params, session } = await provider.interactionDetails(req, res);
      if (prompt.name === 'login') {
        await provider.interactionFinished(req, res, { login: { accountId: state.user } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new provider.Grant({ accountId: session.accountId, clientId: params.client_id });
      grant.addOIDCScope(params.scope);
      if (prompt.details.missingOIDCClaims) grant.addOIDCClaims(prompt.details.missingOIDCClaims);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err?.stack || err));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    issuer,
    discoveryURL: `${issuer}/.well-known/openid-configuration`,
    users,
    setUser(sub) { state.user = sub; },
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
