// A real OpenID Connect provider on loopback for the sign-in tests (the npm
// package oidc-provider, installed by .ci/run).
//
//   node provider.mjs <port> <redirect_uri> <client_secret>
//
// People sign in on its own page by typing their email address (any address
// is an account here, like an organisation's directory); ticking "second
// factor" makes the provider say so in the ID token (amr ["pwd","otp"], acr
// "mfa"), as Entra ID and Keycloak do after MFA. Consent is skipped, as for a
// first-party application.
//
// For the refusal tests, POST /test/next-token with a body naming one change
// (wrong-audience, expired, bad-signature, wrong-nonce, wrong-issuer,
// unverified-email) and the next ID token from the token endpoint is re-signed
// with that change. Prints "ready" on stdout once it is listening.

import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK, SignJWT, decodeJwt } from 'jose';

const [port, redirectUri, clientSecret] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signing = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
const { privateKey: strangerKey } = await generateKeyPair('RS256');

let nextChange = null;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'safetynet',
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signing] },
  findAccount: async (ctx, sub) => ({
    accountId: sub,
    async claims() {
      return { sub, email: sub, email_verified: true };
    },
  }),
  claims: { openid: ['sub', 'acr', 'amr'], email: ['email', 'email_verified'] },
  // The email in the ID token itself, as Entra ID and Keycloak put it.
  conformIdTokenClaims: false,
  acrValues: ['pwd', 'mfa'],
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  pkce: { required: () => true, methods: ['S256'] },
  cookies: { keys: ['a-test-cookie-signing-key-of-no-value'] },
  async loadExistingGrant(ctx) {
    const id = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (id) return ctx.oidc.provider.Grant.find(id);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'acr', 'amr']);
    await grant.save();
    return grant;
  },
});

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => { data += c; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function change(idToken, what) {
  const claims = decodeJwt(idToken);
  let key = privateKey;
  if (what === 'wrong-audience') claims.aud = 'another-application';
  if (what === 'expired') { claims.iat -= 7200; claims.exp = claims.iat + 3600; }
  if (what === 'bad-signature') key = strangerKey;
  if (what === 'wrong-nonce') claims.nonce = 'not-the-nonce-that-was-sent';
  if (what === 'wrong-issuer') claims.iss = 'http://127.0.0.1:1/someone-else';
  if (what === 'unverified-email') claims.email_verified = false;
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key', typ: 'JWT' }).sign(key);
}

provider.use(async (ctx, next) => {
  const interaction = ctx.path.match(/^\/interaction\/([A-Za-z0-9_-]+)$/);
  if (interaction && ctx.method === 'GET') {
    await provider.interactionDetails(ctx.req, ctx.res);
    ctx.type = 'html';
    ctx.body = `<!doctype html><html lang="en"><head><title>Test organisation sign-in</title></head>
<body><main><h1>Test organisation sign-in</h1>
<form method="post" action="/interaction/${escapeHtml(interaction[1])}">
<p><label for="login">Email address</label> <input id="login" name="login" type="email"></p>
<p><input id="mfa" name="mfa" type="checkbox" value="yes"> <label for="mfa">Use a second factor</label></p>
<p><button type="submit" id="continue">Continue</button></p>
</form></main></body></html>`;
    return;
  }
  if (interaction && ctx.method === 'POST') {
    const form = new URLSearchParams(await readBody(ctx.req));
    const mfa = form.get('mfa') === 'yes';
    await provider.interactionFinished(ctx.req, ctx.res, {
      login: {
        accountId: form.get('login') || 'nobody@example.invalid',
        amr: mfa ? ['pwd', 'otp'] : ['pwd'],
        acr: mfa ? 'mfa' : 'pwd',
      },
    }, { mergeWithLastSubmission: false });
    return;
  }
  if (ctx.path === '/test/next-token' && ctx.method === 'POST') {
    nextChange = (await readBody(ctx.req)).trim();
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/token' && nextChange && ctx.body && ctx.body.id_token) {
    ctx.body = { ...ctx.body, id_token: await change(ctx.body.id_token, nextChange) };
    nextChange = null;
  }
});

provider.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write('ready\n');
});
