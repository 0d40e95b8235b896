// Sign-in through the user pool's hosted UI: OAuth 2.0 authorization code with PKCE (S256), the
// flow a production single-page app uses (RFC 7636; Cognito's /oauth2/authorize, /oauth2/token and
// /logout endpoints). Tokens live in sessionStorage: gone when the tab closes.

const PENDING = "console.pending";
const TOKENS = "console.tokens";

function base64url(bytes) {
  let text = "";
  for (const b of new Uint8Array(bytes)) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString(byteCount) {
  return base64url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

export async function codeChallenge(verifier) {
  return base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

/** The payload of a JWT, decoded for display only: the API verifies tokens, the console does not. */
export function decodeJwt(token) {
  const part = token.split(".")[1] || "";
  const padded = part.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((part.length + 3) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Go to the hosted UI's authorization endpoint; it comes back to redirect_uri with a code. */
export async function startSignIn(config, user) {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, user }));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: config.scopes.join(" "),
    state,
    code_challenge: await codeChallenge(verifier),
    code_challenge_method: "S256",
  });
  window.location.assign(`${config.hosted_ui}/oauth2/authorize?${params}`);
}

/**
 * On the callback page: check the state, redeem the code at the token endpoint (a cross-origin
 * POST the token endpoint allows with Access-Control-Allow-Origin: *) and keep the tokens.
 * Returns null when this page load is not a callback.
 */
export async function finishSignIn(config, location) {
  const params = new URLSearchParams(location.search);
  if (!params.has("code") && !params.has("error")) return null;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  if (params.has("error")) {
    throw new Error(`hosted UI: ${params.get("error")}: ${params.get("error_description") || ""}`);
  }
  if (!pending || params.get("state") !== pending.state) {
    throw new Error("sign-in callback with an unknown state: start the sign-in again");
  }
  const response = await fetch(`${config.hosted_ui}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.client_id,
      code: params.get("code"),
      redirect_uri: config.redirect_uri,
      code_verifier: pending.verifier,
    }),
  });
  const body = await response.json();
  if (!response.ok) {
    throw new Error(`token endpoint ${response.status}: ${body.error}: ${body.error_description || ""}`);
  }
  const tokens = {
    id: body.id_token,
    access: body.access_token,
    refresh: body.refresh_token,
    expiresAt: Date.now() + body.expires_in * 1000,
    user: pending.user,
  };
  sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
  return tokens;
}

/** The kept tokens, or null when signed out or expired. */
export function currentTokens() {
  const tokens = JSON.parse(sessionStorage.getItem(TOKENS) || "null");
  if (!tokens || tokens.expiresAt <= Date.now()) return null;
  return tokens;
}

/** Forget the tokens and end the hosted-UI session; Cognito redirects back to logout_uri. */
export function endHostedUiSession(config) {
  sessionStorage.removeItem(TOKENS);
  const params = new URLSearchParams({ client_id: config.client_id, logout_uri: config.logout_uri });
  window.location.assign(`${config.hosted_ui}/logout?${params}`);
}
