"""The user pool's hosted UI and OAuth 2.0 endpoints (authorization code with PKCE, client credentials).

Scenario S7 needs an access token with OAuth scopes such as `email`; InitiateAuth access tokens only
carry `aws.cognito.signin.user.admin` (on AWS too), so those come from the hosted UI. moto has none;
this module serves one per user pool under `<emulator>/_local/cognito/<user_pool_id>/`:

- `GET  oauth2/authorize` (response_type=code, client_id, redirect_uri, scope, state,
  code_challenge + code_challenge_method=S256) → redirect to the login page;
- `GET  login` (a form) and `POST login` (username, password) → redirect to
  `redirect_uri?code=...&state=...`;
- `POST oauth2/token`: `authorization_code` (single-use codes, 5 minutes, PKCE verified) and
  `client_credentials` (confidential clients, custom scopes only); every answer carries
  `Access-Control-Allow-Origin: *`, so a browser app can redeem its code cross-origin;
- `GET  logout` (client_id + logout_uri, one of the client's LogoutURLs → redirect there; or
  redirect_uri + the authorize parameters → the login page again);
- `GET  token-requests`: the tokens issued so far per grant and client (local only; what Cognito
  bills M2M traffic by: local/cognito_idp/token_requests.py).

Checks are Cognito's: the pool has a domain, the client has AllowedOAuthFlowsUserPoolClient and the
flow in AllowedOAuthFlows, redirect_uri is one of its CallbackURLs, scopes are a subset of its
AllowedOAuthScopes (all of them when none are requested), PKCE is S256 only, confidential clients
authenticate with their secret. Tokens are signed with the pool's key; the access token's `scope`
is the granted scopes, plus `cognito:groups`, `client_id`, `username`, `token_use`; an ID token is
issued only with `openid`; a code grant also returns a refresh token (RevokeToken revokes it and the
tokens of its family; InitiateAuth REFRESH_TOKEN_AUTH redeems it). Not modelled: grant_type
refresh_token at this endpoint, MFA and password-change pages, implicit grant, identity-provider
redirects, and the hosted UI's own session cookie (every
authorize shows the login page, so `logout` has no session to end: it validates and redirects).

`code_flow_tokens()` drives the whole flow over HTTP for tests and clients.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from werkzeug.wrappers import Request, Response

from local.cognito_idp import token_requests
from local.cognito_idp.pools import (
    find_user_pool,
    pool_issuer,
    pool_signing_key,
    token_validity_seconds,
)
from local.core.web import json_response, log_decision, oauth_error

#: Authorization codes are single use and expire after 5 minutes (Cognito's lifetime).
AUTH_CODE_TTL_SECONDS = 300
CSRF_COOKIE = "XSRF-TOKEN"
MOUNT = "/_local/cognito"
_CSRF_FIELD = re.compile(r'name="_csrf" value="([^"]+)"')
_ERROR_TEXT = re.compile(r'<p class="error">([^<]*)</p>')


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def s256(verifier: str) -> str:
    """PKCE S256 code challenge of a verifier (RFC 7636 §4.2)."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


class FlowError(Exception):
    """An OAuth error: redirect it to the client when `redirect_uri` is trustworthy, else show it."""

    def __init__(
        self, error: str, description: str, *, redirect_uri: str | None = None, state: str | None = None
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state

    def response(self) -> Response:
        if self.redirect_uri:
            params = {"error": self.error, "error_description": self.description}
            if self.state:
                params["state"] = self.state
            return _redirect(self.redirect_uri, params)
        return oauth_error(self.error, self.description, 404 if self.error == "not_found" else 400)


def _redirect(uri: str, params: dict[str, str]) -> Response:
    separator = "&" if urlparse(uri).query else "?"
    response = Response(status=302)
    response.headers["Location"] = uri + separator + urlencode(params)
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class AuthorizeRequest:
    """A validated authorization request (the query string of authorize and login)."""

    pool: Any
    client: Any
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    code_challenge: str | None
    nonce: str | None


@dataclass(frozen=True)
class IssuedCode:
    pool_id: str
    client_id: str
    username: str
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None
    nonce: str | None
    expires_at: float


def _client_config(client: Any) -> dict[str, Any]:
    config: dict[str, Any] = client.extended_config
    return config


def _oauth_client(pool: Any, client_id: str | None, flow: str) -> Any:
    client = pool.clients.get(client_id) if client_id else None
    if client is None:
        raise FlowError("invalid_client", "Client does not exist for this user pool")
    config = _client_config(client)
    if not config.get("AllowedOAuthFlowsUserPoolClient") or flow not in (
        config.get("AllowedOAuthFlows") or []
    ):
        raise FlowError("unauthorized_client", f"The {flow} flow is not enabled for this client")
    return client


def _lookup_pool(pool_id: str, *, require_domain: bool) -> Any:
    pool = find_user_pool(pool_id)
    if pool is None:
        raise FlowError("not_found", f"User pool {pool_id} does not exist")
    if require_domain and pool.domain is None:
        raise FlowError("not_found", f"User pool {pool_id} has no domain, so it has no hosted UI")
    return pool


def parse_authorize_request(pool_id: str, args: Any) -> AuthorizeRequest:
    """Validate authorize/login query parameters the way Cognito's authorization endpoint does."""
    pool = _lookup_pool(pool_id, require_domain=True)
    client = _oauth_client(pool, args.get("client_id"), "code")
    config = _client_config(client)
    redirect_uri = args.get("redirect_uri") or ""
    if redirect_uri not in (config.get("CallbackURLs") or []):
        raise FlowError("redirect_mismatch", "redirect_uri is not one of the client's callback URLs")
    state = args.get("state")
    if args.get("response_type") != "code":
        raise FlowError(
            "unsupported_response_type",
            "Only response_type=code is supported",
            redirect_uri=redirect_uri,
            state=state,
        )
    allowed = list(config.get("AllowedOAuthScopes") or [])
    requested = [s for s in (args.get("scope") or "").split(" ") if s]
    if not requested:
        requested = allowed
    if not requested or any(s not in allowed for s in requested):
        raise FlowError(
            "invalid_scope",
            "A requested scope is not allowed for this client",
            redirect_uri=redirect_uri,
            state=state,
        )
    challenge = args.get("code_challenge")
    if challenge and args.get("code_challenge_method") != "S256":
        raise FlowError(
            "invalid_request", "code_challenge_method must be S256", redirect_uri=redirect_uri, state=state
        )
    if args.get("code_challenge_method") and not challenge:
        raise FlowError(
            "invalid_request", "code_challenge is missing", redirect_uri=redirect_uri, state=state
        )
    return AuthorizeRequest(
        pool=pool,
        client=client,
        redirect_uri=redirect_uri,
        scopes=tuple(dict.fromkeys(requested)),
        state=state,
        code_challenge=challenge,
        nonce=args.get("nonce"),
    )


_LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
<h1>Sign in to {pool}</h1>
{error}
<form method="post" action="{action}">
<input type="hidden" name="_csrf" value="{csrf}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<button type="submit">Sign in</button>
</form>
</body></html>
"""


def _sign_in(pool: Any, username: str, password: str) -> Any:
    """The user if the credentials are right and the user may sign in; else a FlowError to show."""
    user = pool._get_user(username) if username else None
    password_ok = user is not None and hmac.compare_digest(str(user.password or ""), password)
    if user is None or not password_ok:
        raise FlowError("access_denied", "Incorrect username or password.")
    if not user.enabled:
        raise FlowError("access_denied", "User is disabled.")
    status = getattr(user.status, "value", user.status)
    if status != "CONFIRMED":
        raise FlowError("access_denied", f"User cannot sign in here (status {status}).")
    return user


def _access_token(
    pool: Any, client_id: str, username: str, scopes: tuple[str, ...], origin_jti: str
) -> tuple[str, int]:
    token, expires_in = pool.create_jwt(
        client_id,
        username,
        "access",
        extra_data={"scope": " ".join(scopes), "origin_jti": origin_jti, "version": 2},
    )
    return str(token), int(expires_in)


def _id_token(
    pool: Any, client_id: str, user: Any, *, access_token: str, origin_jti: str, nonce: str | None
) -> str:
    extra: dict[str, Any] = pool.get_user_extra_data_by_client_id(client_id, user.username)
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    extra.update(origin_jti=origin_jti, at_hash=_b64url(digest[: len(digest) // 2]))
    if nonce:
        extra["nonce"] = nonce
    token, _ = pool.create_jwt(client_id, user.username, "id", extra_data=extra)
    return str(token)


class HostedUI:
    """WSGI app mounted at `/_local/cognito`: the hosted UI of every user pool in the emulator."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, IssuedCode] = {}
        self.token_requests = token_requests.TokenRequests()

    # --- pages ---------------------------------------------------------------------------------

    def _login_page(self, request: Request, pool_id: str, error: str | None = None) -> Response:
        csrf = secrets.token_urlsafe(24)
        body = _LOGIN_PAGE.format(
            pool=html.escape(pool_id),
            error=f'<p class="error">{html.escape(error)}</p>' if error else "",
            action=html.escape(request.script_root + request.full_path.rstrip("?")),
            csrf=csrf,
        )
        response = Response(body, status=200, mimetype="text/html")
        response.headers["Cache-Control"] = "no-store"
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="Lax", path=f"{MOUNT}/{pool_id}")
        return response

    def _authorize(self, request: Request, pool_id: str) -> Response:
        parse_authorize_request(pool_id, request.args)
        response = Response(status=302)
        response.headers["Location"] = (
            f"{request.script_root}/{pool_id}/login?{urlencode(list(request.args.items(multi=True)))}"
        )
        return response

    def _login_post(self, request: Request, pool_id: str) -> Response:
        authz = parse_authorize_request(pool_id, request.args)
        sent, expected = request.form.get("_csrf", ""), request.cookies.get(CSRF_COOKIE, "")
        if not sent or not expected or not hmac.compare_digest(sent, expected):
            return oauth_error("invalid_request", "Missing or wrong CSRF token; reload the sign-in page", 403)
        username = request.form.get("username", "")
        try:
            user = _sign_in(authz.pool, username, request.form.get("password", ""))
        except FlowError as exc:
            log_decision(
                "hosted_ui.login", outcome="refused", user_pool_id=pool_id, client_id=authz.client.id
            )
            return self._login_page(request, pool_id, exc.description)
        code = secrets.token_urlsafe(32)
        with self._lock:
            now = time.monotonic()
            self._codes = {k: v for k, v in self._codes.items() if v.expires_at > now}
            self._codes[code] = IssuedCode(
                pool_id=pool_id,
                client_id=authz.client.id,
                username=user.username,
                redirect_uri=authz.redirect_uri,
                scopes=authz.scopes,
                code_challenge=authz.code_challenge,
                nonce=authz.nonce,
                expires_at=now + AUTH_CODE_TTL_SECONDS,
            )
        log_decision(
            "hosted_ui.login", outcome="code issued", user_pool_id=pool_id, client_id=authz.client.id
        )
        params = {"code": code}
        if authz.state:
            params["state"] = authz.state
        return _redirect(authz.redirect_uri, params)

    # --- token endpoint --------------------------------------------------------------------------

    def _authenticate_client(self, request: Request, pool: Any) -> tuple[Any, bool]:
        """The calling client (and whether it used HTTP Basic), or FlowError(invalid_client)."""
        auth = request.authorization
        used_basic = auth is not None and auth.type == "basic"
        if used_basic and auth is not None:
            client_id, secret = auth.username, auth.password
        else:
            client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
        client = pool.clients.get(client_id) if client_id else None
        if client is None:
            raise FlowError("invalid_client", "Client does not exist for this user pool")
        if client.generate_secret and not (secret and hmac.compare_digest(str(secret), str(client.secret))):
            raise FlowError("invalid_client", "Client authentication failed")
        return client, used_basic

    def _redeem_code(self, request: Request, pool: Any, client: Any) -> Response:
        _oauth_client(pool, client.id, "code")
        code = request.form.get("code", "")
        with self._lock:
            issued = self._codes.pop(code, None)  # single use, even when the rest of the request fails
        if issued is None or issued.expires_at <= time.monotonic():
            raise FlowError("invalid_grant", "The authorization code is invalid, expired or already used")
        if issued.pool_id != pool.id or issued.client_id != client.id:
            raise FlowError("invalid_grant", "The authorization code was issued to another client")
        if request.form.get("redirect_uri") != issued.redirect_uri:
            raise FlowError("invalid_grant", "redirect_uri does not match the authorization request")
        if issued.code_challenge:
            verifier = request.form.get("code_verifier", "")
            if not verifier or not hmac.compare_digest(s256(verifier), issued.code_challenge):
                raise FlowError("invalid_grant", "PKCE verification failed (code_verifier)")
        user = pool._get_user(issued.username)
        if user is None or not user.enabled:
            raise FlowError("invalid_grant", "The user can no longer sign in")
        # A refresh token, as Cognito issues with every code grant; its family (origin_jti) is in
        # the access and ID tokens, so RevokeToken on it revokes them (local.cognito_idp.revocation).
        refresh_token, origin_jti = pool.create_refresh_token(client.id, user.username)
        access_token, expires_in = _access_token(pool, client.id, user.username, issued.scopes, origin_jti)
        body: dict[str, Any] = {
            "access_token": access_token,
            "refresh_token": refresh_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
        }
        if "openid" in issued.scopes:
            body["id_token"] = _id_token(
                pool, client.id, user, access_token=access_token, origin_jti=origin_jti, nonce=issued.nonce
            )
        self.token_requests.issued(pool.id, "authorization_code", client.id)
        log_decision(
            "hosted_ui.token",
            outcome="issued",
            grant="authorization_code",
            user_pool_id=pool.id,
            client_id=client.id,
            scope=" ".join(issued.scopes),
        )
        return json_response(body)

    def _client_credentials(self, request: Request, pool: Any, client: Any) -> Response:
        if not client.generate_secret:
            raise FlowError("unauthorized_client", "client_credentials needs a client with a secret")
        _oauth_client(pool, client.id, "client_credentials")
        allowed = [s for s in _client_config(client).get("AllowedOAuthScopes") or [] if "/" in s]
        requested = [s for s in (request.form.get("scope") or "").split(" ") if s] or allowed
        if not requested or any(s not in allowed for s in requested):
            raise FlowError(
                "invalid_scope", "client_credentials grants only the client's custom (resource server) scopes"
            )
        now = int(time.time())
        expires_in = token_validity_seconds(client, "access")
        claims = {
            "sub": client.id,
            "token_use": "access",
            "scope": " ".join(dict.fromkeys(requested)),
            "auth_time": now,
            "iss": pool_issuer(pool),
            "exp": now + expires_in,
            "iat": now,
            "version": 2,
            "jti": str(uuid.uuid4()),
            "client_id": client.id,
        }
        self.token_requests.issued(pool.id, "client_credentials", client.id)
        log_decision(
            "hosted_ui.token",
            outcome="issued",
            grant="client_credentials",
            user_pool_id=pool.id,
            client_id=client.id,
            scope=claims["scope"],
        )
        return json_response(
            {
                "access_token": pool_signing_key(pool).sign(claims),
                "token_type": "Bearer",
                "expires_in": expires_in,
            }
        )

    def _token(self, request: Request, pool_id: str) -> Response:
        used_basic = request.authorization is not None
        try:
            pool = _lookup_pool(pool_id, require_domain=True)
            if request.mimetype != "application/x-www-form-urlencoded":
                raise FlowError("invalid_request", "The body must be application/x-www-form-urlencoded")
            client, used_basic = self._authenticate_client(request, pool)
            grant = request.form.get("grant_type")
            if grant == "authorization_code":
                return self._redeem_code(request, pool, client)
            if grant == "client_credentials":
                return self._client_credentials(request, pool, client)
            raise FlowError(
                "unsupported_grant_type", "grant_type must be authorization_code or client_credentials"
            )
        except FlowError as exc:
            log_decision("hosted_ui.token", outcome="refused", user_pool_id=pool_id, error=exc.error)
            status = (
                401
                if exc.error == "invalid_client" and used_basic
                else (404 if exc.error == "not_found" else 400)
            )
            return oauth_error(exc.error, exc.description, status)

    # --- sign-out --------------------------------------------------------------------------------

    def _logout(self, request: Request, pool_id: str) -> Response:
        """Cognito's /logout (https://docs.aws.amazon.com/cognito/latest/developerguide/logout-endpoint.html):
        with client_id + logout_uri, redirect to logout_uri when it is one of the client's allowed
        sign-out URLs; with redirect_uri (+ the authorize parameters), back to the login page."""
        pool = _lookup_pool(pool_id, require_domain=True)
        client_id = request.args.get("client_id")
        client = pool.clients.get(client_id) if client_id else None
        if client is None:
            raise FlowError("invalid_request", "client_id is missing or not a client of this user pool")
        logout_uri = request.args.get("logout_uri")
        if logout_uri is not None:
            if logout_uri not in (_client_config(client).get("LogoutURLs") or []):
                raise FlowError("redirect_mismatch", "logout_uri is not one of the client's sign-out URLs")
            log_decision("hosted_ui.logout", outcome="signed out", user_pool_id=pool_id, client_id=client.id)
            response = Response(status=302)
            response.headers["Location"] = logout_uri
            response.headers["Cache-Control"] = "no-store"
            return response
        if request.args.get("redirect_uri"):
            return self._authorize(request, pool_id)
        raise FlowError(
            "invalid_request", "logout needs logout_uri, or redirect_uri with the sign-in parameters"
        )

    # --- routing -------------------------------------------------------------------------------

    def _login_get(self, request: Request, pool_id: str) -> Response:
        parse_authorize_request(pool_id, request.args)
        return self._login_page(request, pool_id)

    def _token_requests(self, request: Request, pool_id: str) -> Response:
        _lookup_pool(pool_id, require_domain=False)
        return json_response({"issued": self.token_requests.of_pool(pool_id)})

    def dispatch(self, request: Request) -> Response:
        """Route `/<user_pool_id>/<endpoint>` (paths relative to the `/_local/cognito` mount)."""
        pool_id, _, rest = request.path.strip("/").partition("/")
        routes = {
            ("oauth2/authorize", "GET"): self._authorize,
            ("login", "GET"): self._login_get,
            ("login", "POST"): self._login_post,
            ("oauth2/token", "POST"): self._token,
            ("logout", "GET"): self._logout,
            (token_requests.PATH, "GET"): self._token_requests,
        }
        handler = routes.get((rest, request.method))
        if not pool_id or handler is None:
            return oauth_error("not_found", f"No route {request.method} {request.full_path}", 404)
        try:
            response = handler(request, pool_id)
        except FlowError as exc:
            log_decision("hosted_ui.authorize", outcome="refused", user_pool_id=pool_id, error=exc.error)
            response = exc.response()
        if rest == "oauth2/token":
            # "The token endpoint returns an Access-Control-Allow-Origin: * response header" (no
            # custom CORS policy): https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html
            response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self.dispatch(Request(environ))(environ, start_response)


# --- client helpers ----------------------------------------------------------------------------------


class CodeFlowError(RuntimeError):
    """The hosted-UI flow failed; `error` is the OAuth error code (or "login_failed")."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


def _error_of(response: requests.Response) -> CodeFlowError:
    try:
        body = response.json()
        return CodeFlowError(str(body.get("error")), str(body.get("error_description")))
    except ValueError:
        return CodeFlowError("http_error", f"HTTP {response.status_code}")


def code_flow_tokens(  # noqa: PLR0917 - the documented call shape (all positional)
    emulator_url: str,
    pool_id: str,
    client_id: str,
    username: str,
    password: str,
    scopes: list[str] | tuple[str, ...],
    redirect_uri: str,
    *,
    client_secret: str | None = None,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Sign in through the hosted UI (authorization code + PKCE S256) and return the token response.

    Raises CodeFlowError with the OAuth error (`invalid_scope`, `redirect_mismatch`, `invalid_grant`,
    ...) or `login_failed` with the page's message when the credentials are refused.
    """
    base = f"{emulator_url.rstrip('/')}{MOUNT}/{pool_id}"
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(16)
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes),
        "state": state,
        "code_challenge": s256(verifier),
        "code_challenge_method": "S256",
    }
    with requests.Session() as session:
        session.trust_env = False  # the emulator is on loopback: never through an HTTP(S)_PROXY
        authorize = session.get(
            f"{base}/oauth2/authorize", params=params, allow_redirects=False, timeout=timeout
        )
        location = authorize.headers.get("Location", "")
        if authorize.status_code != 302:
            raise _error_of(authorize)
        if not location.startswith(f"{MOUNT}/{pool_id}/login"):
            query = parse_qs(urlparse(location).query)
            raise CodeFlowError(query.get("error", ["unknown"])[0], query.get("error_description", [""])[0])
        login_url = f"{emulator_url.rstrip('/')}{location}"
        page = session.get(login_url, timeout=timeout)
        csrf = _CSRF_FIELD.search(page.text)
        if page.status_code != 200 or csrf is None:
            raise _error_of(page)
        login = session.post(
            login_url,
            data={"_csrf": csrf.group(1), "username": username, "password": password},
            allow_redirects=False,
            timeout=timeout,
        )
        if login.status_code != 302:
            message = _ERROR_TEXT.search(login.text)
            if message:
                raise CodeFlowError("login_failed", html.unescape(message.group(1)))
            raise _error_of(login)
        query = parse_qs(urlparse(login.headers["Location"]).query)
        if "error" in query:
            raise CodeFlowError(query["error"][0], query.get("error_description", [""])[0])
        if query.get("state", [None])[0] != state:
            raise CodeFlowError("invalid_state", "The redirect's state does not match the request")
        form = {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
        auth = (client_id, client_secret) if client_secret else None
        if auth is None:
            form["client_id"] = client_id
        token = session.post(f"{base}/oauth2/token", data=form, auth=auth, timeout=timeout)
        if token.status_code != 200:
            raise _error_of(token)
        result: dict[str, Any] = token.json()
        return result


def client_credentials_token(
    emulator_url: str,
    pool_id: str,
    client_id: str,
    client_secret: str,
    scopes: list[str] | tuple[str, ...] = (),
    *,
    timeout: float = 10.0,
) -> dict[str, Any]:
    """The token response of the client-credentials grant (confidential clients, custom scopes)."""
    url = f"{emulator_url.rstrip('/')}{MOUNT}/{pool_id}/oauth2/token"
    form = {"grant_type": "client_credentials"}
    if scopes:
        form["scope"] = " ".join(scopes)
    with requests.Session() as session:
        session.trust_env = False  # the emulator is on loopback: never through an HTTP(S)_PROXY
        response = session.post(url, data=form, auth=(client_id, client_secret), timeout=timeout)
    if response.status_code != 200:
        raise _error_of(response)
    result: dict[str, Any] = response.json()
    return result
