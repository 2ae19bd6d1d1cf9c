"""Minimal Flask + Authlib peer for the lucca-auth interop suite.

Client credentials grant only, token endpoint at /connect/token, RFC 7009 revocation at
/connect/revocation, clients and scopes from ../clients.json, and one protected resource,
GET /lucca-api/leaves (needs `leaves.readonly`), checked by Authlib's ResourceProtector with a
BearerTokenValidator over the in-memory token store.

Environment:
  PEER_PORT                  loopback port to listen on (default 0: the OS picks one)
  PEER_TOKEN_LIFETIME_SECS   access token lifetime in seconds (default 3600)
  PEER_CLIENTS               path of the clients file (default ../clients.json)
Prints `READY http://127.0.0.1:<port>` on stdout once it accepts connections.
Exits when stdin reaches end of file, so it never outlives the test process that started it.
"""

import json
import os
import sys
import threading
import time
from pathlib import Path

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError
from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import Flask, jsonify
from werkzeug.serving import make_server

PORT = int(os.environ.get("PEER_PORT", "0"))
LIFETIME = int(os.environ.get("PEER_TOKEN_LIFETIME_SECS", "3600"))
CLIENTS_FILE = os.environ.get("PEER_CLIENTS", Path(__file__).resolve().parent.parent / "clients.json")
if LIFETIME < 1:
    raise SystemExit("PEER_TOKEN_LIFETIME_SECS must be a positive integer")
REGISTRY = json.loads(Path(CLIENTS_FILE).read_text(encoding="utf-8"))


class Client(ClientMixin):
    def __init__(self, entry):
        self.client_id = entry["client_id"]
        self.client_secret = entry["client_secret"]
        self.scope = entry["scope"]

    def get_client_id(self):
        return self.client_id

    def get_allowed_scope(self, scope):
        # Authlib's documented implementation (and its SQLAlchemy mixin's): scopes the client
        # may not have are dropped silently.
        if not scope:
            return ""
        allowed = set(scope_to_list(self.scope))
        return list_to_scope([s for s in scope.split() if s in allowed])

    def check_client_secret(self, client_secret):
        return client_secret == self.client_secret

    def check_endpoint_auth_method(self, method, endpoint):
        # Authlib leaves this to the application; every client here may use both methods.
        return method in ("client_secret_basic", "client_secret_post")

    def check_grant_type(self, grant_type):
        return grant_type == "client_credentials"


class Token(TokenMixin):
    def __init__(self, client_id, scope, expires_in):
        self.client_id = client_id
        self.scope = scope
        self.expires_in = expires_in
        self.issued_at = time.time()
        self.revoked = False

    def check_client(self, client):
        # Any authenticated client of this peer may revoke any token: the harness revokes
        # with one client.
        return True

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return self.expires_in

    def is_expired(self):
        return time.time() >= self.issued_at + self.expires_in

    def is_revoked(self):
        return self.revoked


CLIENTS = {c["client_id"]: Client(c) for c in REGISTRY["clients"] if "authlib" in c["peers"]}
TOKENS = {}
TOKENS_LOCK = threading.Lock()


def save_token(token, request):
    with TOKENS_LOCK:
        TOKENS[token["access_token"]] = Token(
            request.client.client_id, token.get("scope", ""), token["expires_in"]
        )


def find_token(value):
    with TOKENS_LOCK:
        return TOKENS.get(value)


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string)

    def revoke_token(self, token, request):
        token.revoked = True


class InsufficientScopeChallenge(InsufficientScopeError):
    """Authlib's 403 carries no WWW-Authenticate; Lucca names the missing scope in one."""

    def __init__(self, scopes):
        super().__init__()
        self.scopes = scopes

    def get_headers(self):
        return super().get_headers() + [(
            "WWW-Authenticate",
            f'Bearer error="{self.error}", error_description="{self.get_error_description()}", '
            f'scope="{list_to_scope(self.scopes)}"',
        )]


class Validator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return find_token(token_string)

    def validate_token(self, token, scopes, request):
        try:
            super().validate_token(token, scopes, request)
        except InsufficientScopeError:
            raise InsufficientScopeChallenge(scopes) from None


app = Flask(__name__)
app.config["OAUTH2_SCOPES_SUPPORTED"] = REGISTRY["scopes"]
app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"client_credentials": LIFETIME}
server = AuthorizationServer(app, query_client=CLIENTS.get, save_token=save_token)
server.register_grant(ClientCredentialsGrant)
server.register_endpoint(Revocation)
require_oauth = ResourceProtector()
require_oauth.register_token_validator(Validator())


@app.post("/connect/token")
def token_endpoint():
    return server.create_token_response()


@app.post("/connect/revocation")
def revocation_endpoint():
    return server.create_endpoint_response(Revocation.ENDPOINT_NAME)


@app.get("/lucca-api/leaves")
@require_oauth("leaves.readonly")
def leaves():
    from authlib.integrations.flask_oauth2 import current_token

    return jsonify(
        data={"items": [{"id": 1, "name": "interop leave"}]}, clientId=current_token.client_id
    )


def exit_on_stdin_eof():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


if __name__ == "__main__":
    httpd = make_server("127.0.0.1", PORT, app, threaded=True)
    threading.Thread(target=exit_on_stdin_eof, daemon=True).start()
    print(f"READY http://127.0.0.1:{httpd.server_port}", flush=True)
    httpd.serve_forever()
