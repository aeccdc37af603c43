// A real OAuth2 token service for the reporting-mailbox tests
// (tests/api/report_mailbox.rs): oidc-provider on 127.0.0.1 at the port
// given, issuing short-lived opaque access tokens that the test's dovecot
// checks at the introspection endpoint.
//
//   node mailbox_provider.mjs PORT MAILBOX_USER
//
// Clients (secrets are test values):
//   safetynet-app      client credentials (an app registration)
//   safetynet-mailbox  refresh tokens (someone signed in once, offline access):
//                      "Sign in as the mailbox" signs in as MAILBOX_USER at once
//   dovecot            introspects tokens for the mail server
// Access tokens last 4 seconds; every use of a refresh token replaces it.
// Extra for the tests: POST /test/refresh-token mints a refresh token for
// safetynet-mailbox, as if MAILBOX_USER had signed in with offline access
// (answers {"refresh_token": "..."}). Prints "listening PORT" once ready.
//
// Node resolves oidc-provider from NODE_PATH-less ESM imports only next to
// the script, so the test passes the node_modules folder in
// SAFETYNET_TEST_NODE_MODULES and this imports from there.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [port, user] = process.argv.slice(2);
if (!port || !user) {
  console.error('usage: mailbox_provider.mjs PORT MAILBOX_USER');
  process.exit(2);
}
const modules = process.env.SAFETYNET_TEST_NODE_MODULES;
const { default: Provider } = await import(
  pathToFileURL(path.join(modules, 'oidc-provider', 'lib', 'index.js')).href
);

const ACCESS_TOKEN_SECONDS = 4;

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: 'safetynet-app',
      client_secret: 'app-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    },
    {
      client_id: 'safetynet-mailbox',
      client_secret: 'mailbox-secret',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      // A native client: any loopback port, as the test app's is random.
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/simulation/mailbox/connected'],
    },
    {
      client_id: 'dovecot',
      client_secret: 'dovecot-secret',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
  ],
  cookies: { keys: ['safetynet-test-cookie-key'] },
  features: {
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    devInteractions: { enabled: false },
  },
  scopes: ['openid', 'offline_access'],
  ttl: {
    AccessToken: ACCESS_TOKEN_SECONDS,
    ClientCredentials: ACCESS_TOKEN_SECONDS,
    Grant: 86400,
    RefreshToken: 86400,
    Session: 86400,
  },
  rotateRefreshToken: true,
  async findAccount(ctx, sub) {
    return { accountId: sub, async claims() { return { sub, email: sub }; } };
  },
  // The mail server reads whose mailbox a token opens from "email"; an app
  // registration's token is for the one test mailbox too.
  async extraTokenClaims() {
    return { email: user };
  },
});

provider.use(async (ctx, next) => {
  // "Sign in as the mailbox": the mailbox's owner signs in and agrees at
  // once (the page a person would click through is not what is tested).
  const interaction = ctx.path.match(/^\/interaction\/([A-Za-z0-9_-]+)$/);
  if (ctx.method === 'GET' && interaction) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const grant = new provider.Grant({ accountId: user, clientId: details.params.client_id });
    grant.addOIDCScope('openid offline_access');
    const grantId = await grant.save();
    await provider.interactionFinished(ctx.req, ctx.res, {
      login: { accountId: user },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
    return;
  }
  if (ctx.method === 'POST' && ctx.path === '/test/refresh-token') {
    const client = await provider.Client.find('safetynet-mailbox');
    const grant = new provider.Grant({ accountId: user, clientId: client.clientId });
    grant.addOIDCScope('openid offline_access');
    const grantId = await grant.save();
    const rt = new provider.RefreshToken({
      accountId: user,
      client,
      grantId,
      gty: 'authorization_code',
      scope: 'openid offline_access',
      authTime: Math.floor(Date.now() / 1000),
      expiresWithSession: false,
    });
    ctx.body = { refresh_token: await rt.save() };
    return;
  }
  await next();
});

provider.on('server_error', (ctx, err) => console.error('server_error', err));

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening ${port}`);
});
