"""A local OpenID Connect issuer that stands in for an external IdP such as Google (scenario S2).

It is registered in the local environment exactly as the real IdP is in dev/prod: an IAM OIDC
provider whose URL is the issuer, listed in the identity pool's OpenIdConnectProviderARNs, with
the client ids the pool accepts in its ClientIDList. Its signing key is generated when it starts.

Issuer: `https://<emulator host>/_local/oidc/<emulator port>` (see `server.local_issuer` for why
https and why the port is in the path). The emulator serves plain HTTP, so the identity pool
resolves this issuer's keys in-process (`find_local_idp`); its discovery document and JWKS are
also served over HTTP under `<emulator url>/_local/oidc/`:

- `GET  /_local/oidc/.well-known/openid-configuration`, `GET /_local/oidc/jwks.json`
- `POST /_local/oidc/token` (form: grant_type=password, username, password, client_id) → an RS256
  `id_token` with iss, aud, sub, email, email_verified, given_name, family_name, iat, exp
- `POST /_local/oidc/users` (JSON) and `POST /_local/oidc/clients` (JSON) to seed users and
  clients from another process; `LocalIdP.add_user` / `add_client` do the same in-process.
- what an IdP's administrator can do, for `make verify`'s ephemeral external user (its sweeper finds
  the leftovers of a killed run by name prefix): `GET /_local/oidc/users?prefix=` (names, subs and
  creation times, never a password), `DELETE /_local/oidc/users/<username>` and
  `PUT /_local/oidc/users/<username>/password` (JSON `{"password": ...}`).

Unknown clients answer 400 `invalid_client`, wrong passwords 400 `invalid_grant`, as OAuth does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from werkzeug.wrappers import Request, Response

from local.core.keys import SIGNING_ALGORITHM, SigningKey, generate_signing_key, jwks_document
from local.core.web import json_body, json_response, log_decision, oauth_error

#: Lifetime of the ID tokens this issuer mints (Google's are one hour too).
ID_TOKEN_TTL_SECONDS = 3600
_PBKDF2_ROUNDS = 20_000


class OidcError(Exception):
    """An OAuth error response: `error` code, human description, HTTP status."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


def _hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, _PBKDF2_ROUNDS)


@dataclass(frozen=True)
class LocalUser:
    username: str
    sub: str
    salt: bytes = field(repr=False)
    password_hash: bytes = field(repr=False)
    claims: dict[str, Any] = field(default_factory=dict)
    created: float = field(default_factory=time.time)

    def password_matches(self, password: str) -> bool:
        return hmac.compare_digest(self.password_hash, _hash_password(password, self.salt))


_issuers_lock = threading.Lock()
_issuers: dict[str, LocalIdP] = {}


def find_local_idp(issuer: str) -> LocalIdP | None:
    """The in-process issuer with this `iss` (None when the issuer is not a local one)."""
    with _issuers_lock:
        return _issuers.get(issuer.rstrip("/"))


class LocalIdP:
    """The issuer: users, clients, a signing key, and the WSGI app serving its endpoints."""

    def __init__(self, issuer: str, *, key: SigningKey | None = None, register: bool = True) -> None:
        if not issuer.startswith("https://"):
            raise ValueError(f"issuer {issuer!r} must be an https URL (IAM OIDC providers require it)")
        self.issuer = issuer.rstrip("/")
        self.key = key or generate_signing_key()
        self._lock = threading.Lock()
        self._users: dict[str, LocalUser] = {}
        self._clients: set[str] = set()
        if register:
            with _issuers_lock:
                _issuers[self.issuer] = self

    @property
    def provider_name(self) -> str:
        """The identity pool's Logins key for this issuer: the issuer URL without `https://`."""
        return self.issuer.removeprefix("https://")

    def close(self) -> None:
        """Unregister from the in-process issuer lookup."""
        with _issuers_lock:
            if _issuers.get(self.issuer) is self:
                del _issuers[self.issuer]

    # --- administration ----------------------------------------------------------------------

    def add_client(self, client_id: str) -> None:
        """Register an OAuth client id (the `aud` of the ID tokens it gets)."""
        if not client_id or not isinstance(client_id, str):
            raise ValueError("client_id must be a non-empty string")
        with self._lock:
            self._clients.add(client_id)

    def add_user(
        self,
        username: str,
        password: str,
        *,
        email: str | None = None,
        email_verified: bool = True,
        given_name: str | None = None,
        family_name: str | None = None,
        sub: str | None = None,
        claims: dict[str, Any] | None = None,
    ) -> str:
        """Register a user and return its `sub` (generated unless given). Usernames are unique."""
        if not username or not isinstance(username, str) or not password or not isinstance(password, str):
            raise ValueError("username and password must be non-empty strings")
        profile: dict[str, Any] = dict(claims or {})
        if email is not None:
            profile["email"] = email
            profile["email_verified"] = bool(email_verified)
        if given_name is not None:
            profile["given_name"] = given_name
        if family_name is not None:
            profile["family_name"] = family_name
        reserved = {"iss", "aud", "sub", "iat", "exp", "nbf", "auth_time"} & profile.keys()
        if reserved:
            raise ValueError(f"claims may not set {sorted(reserved)}")
        salt = secrets.token_bytes(16)
        user = LocalUser(
            username=username,
            sub=sub or str(uuid.uuid4()),
            salt=salt,
            password_hash=_hash_password(password, salt),
            claims=profile,
        )
        with self._lock:
            if username in self._users:
                raise ValueError(f"user {username!r} already exists")
            self._users[username] = user
        return user.sub

    def remove_user(self, username: str) -> bool:
        """Delete a user; False when there is none of that name."""
        with self._lock:
            return self._users.pop(username, None) is not None

    def set_password(self, username: str, password: str) -> None:
        """Replace a user's password (KeyError for an unknown user, ValueError for an empty one)."""
        if not password or not isinstance(password, str):
            raise ValueError("password must be a non-empty string")
        salt = secrets.token_bytes(16)
        with self._lock:
            user = self._users[username]
            self._users[username] = replace(user, salt=salt, password_hash=_hash_password(password, salt))

    def list_users(self, prefix: str = "") -> list[dict[str, Any]]:
        """Users whose name starts with `prefix`: name, sub and creation time (epoch seconds)."""
        with self._lock:
            users = [u for name, u in sorted(self._users.items()) if name.startswith(prefix)]
        return [{"username": u.username, "sub": u.sub, "created": u.created} for u in users]

    # --- tokens --------------------------------------------------------------------------------

    def issue_id_token(
        self, *, client_id: str, username: str, password: str, nonce: str | None = None
    ) -> str:
        """Authenticate the user for the client and return a signed ID token, or raise OidcError."""
        with self._lock:
            known_client = client_id in self._clients
            user = self._users.get(username)
        if not known_client:
            raise OidcError("invalid_client", "Unknown client_id")
        if user is None or not user.password_matches(password):
            raise OidcError("invalid_grant", "Invalid username or password")
        now = int(time.time())
        claims: dict[str, Any] = {
            **user.claims,
            "iss": self.issuer,
            "aud": client_id,
            "sub": user.sub,
            "iat": now,
            "auth_time": now,
            "exp": now + ID_TOKEN_TTL_SECONDS,
        }
        if nonce:
            claims["nonce"] = nonce
        return self.key.sign(claims)

    def signing_key(self, kid: str | None) -> Any:
        """KeyLookup for the identity pool: the public key for `kid` (KeyError if unknown)."""
        if kid != self.key.kid:
            raise KeyError(kid)
        return self.key.private_key.public_key()

    def jwks(self) -> dict[str, Any]:
        return jwks_document(self.key)

    def discovery(self, base_url: str) -> dict[str, Any]:
        """The OpenID discovery document; endpoints point at `base_url` (where it is served)."""
        base = base_url.rstrip("/")
        return {
            "issuer": self.issuer,
            "jwks_uri": f"{base}/jwks.json",
            "token_endpoint": f"{base}/token",
            "response_types_supported": ["id_token"],
            "grant_types_supported": ["password"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [SIGNING_ALGORITHM],
            "token_endpoint_auth_methods_supported": ["none"],
            "claims_supported": [
                "iss",
                "aud",
                "sub",
                "iat",
                "exp",
                "email",
                "email_verified",
                "given_name",
                "family_name",
            ],
        }

    # --- HTTP ----------------------------------------------------------------------------------

    def _token(self, request: Request) -> Response:
        form = request.form
        if form.get("grant_type") != "password":
            return oauth_error("unsupported_grant_type", "Only grant_type=password is supported")
        client_id, username, password = form.get("client_id"), form.get("username"), form.get("password")
        if not client_id or not username or not password:
            return oauth_error("invalid_request", "client_id, username and password are required")
        try:
            id_token = self.issue_id_token(
                client_id=client_id, username=username, password=password, nonce=form.get("nonce")
            )
        except OidcError as exc:
            log_decision("oidc.token", outcome="refused", error=exc.error, client_id=client_id)
            return oauth_error(exc.error, exc.description, exc.status)
        log_decision("oidc.token", outcome="issued", client_id=client_id)
        return json_response(
            {
                "access_token": secrets.token_urlsafe(32),
                "id_token": id_token,
                "token_type": "Bearer",
                "expires_in": ID_TOKEN_TTL_SECONDS,
            }
        )

    def _admin_user(self, request: Request) -> Response:
        body = json_body(request)
        if body is None:
            return oauth_error("invalid_request", "Body must be a JSON object")
        known = {
            "username",
            "password",
            "email",
            "email_verified",
            "given_name",
            "family_name",
            "sub",
            "claims",
        }
        unknown = set(body) - known
        if unknown:
            return oauth_error("invalid_request", f"Unknown fields: {sorted(unknown)}")
        claims = body.get("claims")
        if claims is not None and not isinstance(claims, dict):
            return oauth_error("invalid_request", "claims must be a JSON object")
        try:
            sub = self.add_user(
                str(body.get("username") or ""),
                str(body.get("password") or ""),
                email=body.get("email"),
                email_verified=bool(body.get("email_verified", True)),
                given_name=body.get("given_name"),
                family_name=body.get("family_name"),
                sub=body.get("sub"),
                claims=claims,
            )
        except ValueError as exc:
            status = 409 if "already exists" in str(exc) else 400
            return oauth_error("invalid_request", str(exc), status)
        return json_response({"username": body["username"], "sub": sub}, status=201)

    def _admin_client(self, request: Request) -> Response:
        body = json_body(request)
        client_id = body.get("client_id") if body else None
        if not isinstance(client_id, str) or not client_id:
            return oauth_error("invalid_request", "Body must be a JSON object with a non-empty client_id")
        self.add_client(client_id)
        return json_response({"client_id": client_id}, status=201)

    def _admin_existing_user(self, request: Request, username: str, action: str) -> Response:
        if action == "" and request.method == "DELETE":
            if not self.remove_user(username):
                return oauth_error("invalid_request", f"no user {username!r}", 404)
            return Response(status=204)
        if action == "/password" and request.method == "PUT":
            body = json_body(request)
            password = body.get("password") if body else None
            if not isinstance(password, str) or not password:
                return oauth_error("invalid_request", "Body must be a JSON object with a non-empty password")
            try:
                self.set_password(username, password)
            except KeyError:
                return oauth_error("invalid_request", f"no user {username!r}", 404)
            return Response(status=204)
        return json_response({"message": f"No route {request.method} {request.path}"}, status=404)

    def _routes(self) -> dict[tuple[str, str], Callable[[Request], Response]]:
        return {
            ("GET", "/.well-known/openid-configuration"): lambda r: json_response(self.discovery(r.root_url)),
            ("GET", "/jwks.json"): lambda _r: json_response(self.jwks()),
            ("POST", "/token"): self._token,
            ("POST", "/users"): self._admin_user,
            ("GET", "/users"): lambda r: json_response({"users": self.list_users(r.args.get("prefix", ""))}),
            ("POST", "/clients"): self._admin_client,
        }

    def dispatch(self, request: Request) -> Response:
        """Route a request whose path is relative to the mount point (`/_local/oidc`)."""
        path, method = request.path, request.method
        handler = self._routes().get((method, path))
        if handler is not None:
            return handler(request)
        if path.startswith("/users/"):
            username, slash, rest = path.removeprefix("/users/").partition("/")
            return self._admin_existing_user(request, username, slash + rest)
        return json_response({"message": f"No route {method} {request.script_root}{path}"}, status=404)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.dispatch(Request(environ))(environ, start_response)
