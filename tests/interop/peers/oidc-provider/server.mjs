// Minimal oidc-provider peer for the lucca-auth interop suite.
//
// Client credentials grant only, token endpoint at /connect/token, RFC 7009 revocation at
// /connect/revocation, clients and scopes from ../clients.json, and one protected resource,
// GET /lucca-api/leaves (needs `leaves.readonly`), checked with the provider's own token store
// (ClientCredentials.find: unknown, expired and revoked tokens are all "not found").
//
// Environment:
//   PEER_PORT                  loopback port to listen on (default 0: the OS picks one)
//   PEER_TOKEN_LIFETIME_SECS   access token lifetime in seconds (default 3600)
//   PEER_CLOCK_TOLERANCE_SECS  how long past `exp` tokens are still accepted (oidc-provider's
//                              clockTolerance; its own default is 15, this peer's is 0)
//   PEER_CLIENTS               path of the clients file (default ../clients.json)
// Prints `READY http://127.0.0.1:<port>` on stdout once it accepts connections.
// Exits when stdin reaches end of file, so it never outlives the test process that started it.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.PEER_PORT ?? '0');
const lifetime = Number(process.env.PEER_TOKEN_LIFETIME_SECS ?? '3600');
const clockTolerance = Number(process.env.PEER_CLOCK_TOLERANCE_SECS ?? '0');
const clientsFile = process.env.PEER_CLIENTS ?? new URL('../clients.json', import.meta.url);
const registry = JSON.parse(readFileSync(clientsFile, 'utf8'));

if (!Number.isInteger(lifetime) || lifetime < 1) {
  throw new Error('PEER_TOKEN_LIFETIME_SECS must be a positive integer');
}
if (!Number.isInteger(clockTolerance) || clockTolerance < 0) {
  throw new Error('PEER_CLOCK_TOLERANCE_SECS must be a non-negative integer');
}

let provider;
const server = createServer((req, res) => {
  if (req.url === '/lucca-api/leaves' || req.url.startsWith('/lucca-api/leaves?')) {
    leaves(req, res).catch((err) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  } else {
    provider.callback()(req, res);
  }
});

// Same formatting as oidc-provider's own WWW-Authenticate helper (used by its userinfo endpoint).
function challenge(fields) {
  return 'Bearer ' + Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(', ');
}

function reject(res, err, withError) {
  res.statusCode = err.statusCode;
  res.setHeader('WWW-Authenticate', challenge({
    realm: provider.issuer,
    error: withError ? err.error : undefined,
    error_description: withError ? err.error_description : undefined,
    scope: err.scope,
  }));
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: err.error, error_description: err.error_description }));
}

async function leaves(req, res) {
  if (req.method !== 'GET') {
    res.statusCode = 405;
    res.setHeader('Allow', 'GET');
    res.end();
    return;
  }
  const match = /^Bearer ([^ ]+)$/i.exec(req.headers.authorization ?? '');
  if (!match) {
    // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
    reject(res, new errors.InvalidToken(), false);
    return;
  }
  const token = await provider.ClientCredentials.find(match[1]);
  if (!token) {
    reject(res, new errors.InvalidToken(), true);
    return;
  }
  if (!(token.scope ?? '').split(' ').includes('leaves.readonly')) {
    reject(res, new errors.InsufficientScope('access token missing required scope', 'leaves.readonly'), true);
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ data: { items: [{ id: 1, name: 'interop leave' }] }, clientId: token.clientId }));
}

server.listen(port, '127.0.0.1', () => {
  const { port: actual } = server.address();
  const issuer = `http://127.0.0.1:${actual}`;
  provider = new Provider(issuer, {
    // A client registered with client_secret_basic also authenticates with client_secret_post and
    // the other way round: oidc-provider treats the two as one family. Secrets must be VSCHAR
    // (RFC 6749 Appendix A, ASCII only), so non-ASCII secrets are registered with Authlib only.
    clients: registry.clients.filter((c) => c.peers.includes('oidc-provider')).map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      token_endpoint_auth_method: c.registered_auth_method,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      scope: c.scope,
    })),
    scopes: registry.scopes,
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    features: {
      clientCredentials: { enabled: true },
      devInteractions: { enabled: false },
      // Any authenticated client may revoke any token: the test harness revokes with one client.
      revocation: { enabled: true, allowedPolicy: async () => true },
    },
    routes: { token: '/connect/token', revocation: '/connect/revocation' },
    ttl: { ClientCredentials: () => lifetime },
    clockTolerance,
  });
  process.stdout.write(`READY ${issuer}\n`);
});

process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
