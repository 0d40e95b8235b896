// The local console: sign in through the hosted UI, show who you are, call every route the way a
// real front end would, and compare each answer with the expected access matrix.

import { currentTokens, decodeJwt, endHostedUiSession, finishSignIn, startSignIn } from "./oauth.js";
import { signRequest } from "./sigv4.js";

const $ = (selector) => document.querySelector(selector);

const session = { config: null, expected: null, tokens: null, user: null, credentials: null };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function showError(message) {
  const box = $("#error");
  box.textContent = message;
  box.hidden = false;
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  const body = await response.json();
  if (!response.ok) throw new Error(`${path}: ${body.message || response.status}`);
  return body;
}

// --- expectations -----------------------------------------------------------------------------

function label(outcome) {
  if (outcome === "not_applicable") return "n/a";
  return outcome === "allow" ? "2xx" : String(outcome);
}

function outcomeClass(outcome) {
  if (outcome === "not_applicable") return "na";
  return outcome === "allow" ? "allow" : `e${outcome}`;
}

function meets(outcome, status) {
  if (typeof status !== "number") return false;
  return outcome === "allow" ? status >= 200 && status < 300 : status === outcome;
}

function expectedFor(route) {
  if (!session.user) return undefined;
  return (session.expected.expected[session.user.name] || {})[route.name];
}

// --- identity ---------------------------------------------------------------------------------

function when(epochSeconds) {
  const minutes = Math.round((epochSeconds * 1000 - Date.now()) / 60000);
  return `${new Date(epochSeconds * 1000).toLocaleTimeString()} (in ${minutes} min)`;
}

function fillClaims(list, entries) {
  list.replaceChildren();
  for (const [name, value] of entries) {
    list.append(el("dt", { text: name }), el("dd", { text: value === undefined ? "—" : String(value) }));
  }
}

async function cognitoIdentity(target, payload) {
  // Cognito Identity's unsigned APIs (GetId, GetCredentialsForIdentity), called cross-origin like the
  // AWS SDK does from a browser: JSON 1.1 protocol, the action in X-Amz-Target.
  const response = await fetch(session.config.cognito_identity_endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": `AWSCognitoIdentityService.${target}`,
    },
    body: JSON.stringify(payload),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`${target}: ${body.__type || response.status}: ${body.message || ""}`);
  return body;
}

async function loadCredentials() {
  const { config, tokens } = session;
  const logins = { [config.user_pool_provider]: tokens.id };
  const { IdentityId } = await cognitoIdentity("GetId", {
    IdentityPoolId: config.identity_pool_id,
    Logins: logins,
  });
  const { Credentials } = await cognitoIdentity("GetCredentialsForIdentity", {
    IdentityId,
    Logins: logins,
  });
  return {
    identityId: IdentityId,
    accessKeyId: Credentials.AccessKeyId,
    secretAccessKey: Credentials.SecretKey,
    sessionToken: Credentials.SessionToken,
    expiration: Credentials.Expiration,
  };
}

async function showIdentity() {
  const id = decodeJwt(session.tokens.id);
  const access = decodeJwt(session.tokens.access);
  fillClaims($("#claims-id"), [
    ["sub", id.sub],
    ["email", id.email],
    ["cognito:groups", (id["cognito:groups"] || []).join(", ") || "(none)"],
    ["cognito:preferred_role", id["cognito:preferred_role"] || "(none)"],
    ["aud", id.aud],
    ["expires", when(id.exp)],
  ]);
  fillClaims($("#claims-access"), [
    ["scope", access.scope],
    ["cognito:groups", (access["cognito:groups"] || []).join(", ") || "(none)"],
    ["client_id", access.client_id],
    ["expires", when(access.exp)],
  ]);
  const pool = $("#identity-pool");
  fillClaims(pool, [["identity id", "…"]]);
  try {
    session.credentials = await loadCredentials();
    const role = id["cognito:preferred_role"];
    fillClaims(pool, [
      ["identity id", session.credentials.identityId],
      [
        "IAM role",
        role
          ? `${role} (the ID token's cognito:preferred_role, which the pool's role mapping selects)`
          : "the pool's default authenticated role (no group: it denies everything)",
      ],
      ["access key", session.credentials.accessKeyId],
      ["expires", when(session.credentials.expiration)],
    ]);
  } catch (error) {
    session.credentials = null;
    fillClaims(pool, [["identity pool", `refused: ${error.message}`]]);
  }
  $("#identity").hidden = false;
}

// --- calling routes ---------------------------------------------------------------------------

function credentialFor(route) {
  if (route.auth === "iam") return "SigV4 (identity-pool credentials)";
  if (route.auth === "lambda") return "Bearer access token";
  return route.scopes.length ? `access token (scopes: ${route.scopes.join(" ")})` : "ID token";
}

// What to send: the console server aims each call the way `make up`'s matrix does (writes at items
// written for the call, the caller's own record put back afterwards: the demo stays as seeded) and
// hands back a ticket to undo it with once the call is answered (local/console/targets.py).
async function postJson(path, payload) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
    cache: "no-store",
  });
  const body = await response.json();
  if (!response.ok) throw new Error(body.message || String(response.status));
  return body;
}

function prepareCall(route) {
  if (!route.prepare) return Promise.resolve({ ...route.probe, ticket: null, note: "" }); // a read
  return postJson("/probe", { route: route.name, id_token: session.tokens.id });
}

function finishCall(target) {
  return target.ticket ? postJson("/probe/done", { ticket: target.ticket }) : Promise.resolve(null);
}

async function buildRequest(route, target) {
  const url = session.config.api_url + target.path;
  const headers = {};
  const body = target.body === null ? undefined : JSON.stringify(target.body);
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const { tokens, credentials, config } = session;
  if (route.auth === "iam") {
    // No credentials: the identity pool refused them (a user in no group under the Rules mapping).
    // The call goes out unsigned, as local/matrix.py sends it; API Gateway answers 403.
    if (!credentials) return { url, init: { method: target.method, headers, body } };
    const signed = await signRequest({ method: target.method, url, headers, body }, credentials, config.region, "execute-api");
    return { url, init: { method: target.method, headers: signed.headers, body } };
  }
  if (route.auth === "lambda") headers["Authorization"] = `Bearer ${tokens.access}`;
  else headers["Authorization"] = route.scopes.length ? tokens.access : tokens.id;
  return { url, init: { method: target.method, headers, body } };
}

async function callRoute(route) {
  const row = document.querySelector(`#route-table tr[data-route="${route.name}"]`);
  const statusCell = row.querySelector(".status");
  const bodyCell = row.querySelector(".body");
  statusCell.textContent = "…";
  let status;
  let text;
  let target;
  try {
    target = await prepareCall(route);
  } catch (error) {
    status = "not sent";
    text = `not sent: ${error.message}`;
  }
  if (target) {
    const request = row.querySelector(".request");
    request.textContent = `${target.method} ${target.path}`;
    request.title = target.note;
    row.dataset.sent = `${target.method} ${target.path}`;
    try {
      const { url, init } = await buildRequest(route, target);
      const response = await fetch(url, { ...init, mode: "cors", credentials: "omit", cache: "no-store" });
      status = response.status;
      text = await response.text();
      try {
        text = JSON.stringify(JSON.parse(text), null, 1);
      } catch {
        // not JSON: shown as is
      }
    } catch (error) {
      status = "blocked";
      text = `the browser could not read the response (CORS or network): ${error.message}`;
    } finally {
      await finishCall(target).catch((error) => showError(`could not undo ${route.name}: ${error.message}`));
    }
  }
  statusCell.textContent = String(status);
  bodyCell.textContent = text.length > 400 ? `${text.slice(0, 400)}…` : text;
  const outcome = expectedFor(route);
  const ok = outcome === undefined ? null : meets(outcome, status); // null: not a demo user
  row.dataset.status = String(status);
  row.dataset.verdict = ok === null ? "unknown" : ok ? "ok" : "mismatch";
  statusCell.className = `status ${ok === null ? "" : ok ? "ok" : "mismatch"}`;
  const cell = session.user
    ? document.querySelector(`#matrix td[data-user="${session.user.name}"][data-route="${route.name}"]`)
    : null;
  if (cell) {
    cell.dataset.live = String(status);
    cell.textContent = `${status}/${label(outcome)}${ok ? "" : " !!"}`;
    cell.classList.toggle("mismatch", !ok);
  }
  return { status, ok };
}

async function callAll() {
  const button = $("#call-all");
  button.disabled = true;
  try {
    for (const route of session.config.routes) await callRoute(route);
  } finally {
    button.disabled = false;
    document.body.dataset.calledAll = "true";
  }
}

// --- rendering --------------------------------------------------------------------------------

function renderStack() {
  const c = session.config;
  $("#stack").textContent = `API ${c.api_url} · region ${c.region} · user pool ${c.user_pool_id} · identity pool ${c.identity_pool_id}`;
  $("#expect-source").textContent = `Expected: ${session.expected.source}`;
}

function renderSignIn() {
  const body = $("#signin tbody");
  body.replaceChildren();
  for (const user of session.config.users) {
    if (user.external) continue; // signs in at the external IdP, not through this hosted UI
    const button = el("button", { type: "button", "data-user": user.name, text: "Sign in" });
    button.addEventListener("click", () => startSignIn(session.config, user.name).catch((e) => showError(e.message)));
    body.append(
      el(
        "tr",
        {},
        el("td", { text: user.name }),
        el("td", { text: user.groups.join(", ") || "(none)" }),
        el("td", { class: "mono", text: user.username }),
        el("td", { class: "mono", text: user.password }),
        el("td", {}, button),
      ),
    );
  }
}

function renderRoutes() {
  const body = $("#route-table tbody");
  body.replaceChildren();
  for (const route of session.config.routes) {
    const outcome = expectedFor(route);
    const button = el("button", { type: "button", class: "call", text: "Call" });
    button.disabled = !session.tokens;
    button.addEventListener("click", () => callRoute(route));
    body.append(
      el(
        "tr",
        { "data-route": route.name },
        el("td", { text: route.name }),
        el("td", { class: "mono request", text: `${route.probe.method} ${route.probe.path}` }),
        el("td", { class: `mode ${route.auth}`, text: route.auth }),
        el("td", { text: credentialFor(route) }),
        el("td", {}, button),
        el("td", { class: "status" }),
        el("td", { class: `expected ${outcome === undefined ? "" : outcomeClass(outcome)}`, text: outcome === undefined ? "" : label(outcome) }),
        el("td", {}, el("pre", { class: "body" })),
      ),
    );
  }
  $("#call-all").disabled = !session.tokens;
}

// Machine callers are shown, never signed in as: a browser must not hold a client secret.
function renderMachines() {
  const body = $("#machines tbody");
  body.replaceChildren();
  for (const machine of session.config.machines || []) {
    const policy = machine.declared ? machine.policy : "none: the Lambda authorizer refuses it";
    body.append(
      el(
        "tr",
        { "data-machine": machine.name },
        el("td", { text: machine.name }),
        el("td", { text: machine.declared ? "declared" : "not declared" }),
        el("td", { class: "mono", text: machine.scopes.join(" ") }),
        el("td", { class: "mono", text: policy }),
        el("td", { class: "mono", text: `python -m local call --client ${machine.name} GET /news` }),
      ),
    );
  }
}

function renderMatrix() {
  const users = session.config.users.map((u) => u.name);
  const machines = (session.config.machines || []).map((m) => m.name);
  const table = $("#matrix");
  const head = el("tr", {}, el("th", { text: "route" }));
  for (const user of users) {
    head.append(el("th", { class: session.user && session.user.name === user ? "me" : "", text: user }));
  }
  for (const machine of machines) head.append(el("th", { class: "machine", text: `${machine} (machine)` }));
  const rows = [el("thead", {}, head)];
  const body = el("tbody");
  for (const route of session.config.routes) {
    const tr = el("tr", {}, el("th", { class: "mono", text: `${route.name}  ${route.method} ${route.path} [${route.auth}]` }));
    for (const user of users) {
      const outcome = (session.expected.expected[user] || {})[route.name];
      tr.append(el("td", { class: outcomeClass(outcome), "data-user": user, "data-route": route.name, text: label(outcome) }));
    }
    for (const machine of machines) {
      const outcome = ((session.expected.machines || {})[machine] || {})[route.name];
      tr.append(el("td", { class: outcomeClass(outcome), "data-machine": machine, "data-route": route.name, text: label(outcome) }));
    }
    body.append(tr);
  }
  rows.push(body);
  table.replaceChildren(...rows);
}

const SIGNOUT_REPORT = "console.signout";
const POLL_MS = 200;

/**
 * Sign out as the product means it: the API's sign-out revokes this session at Cognito and in the
 * revocation record (and flushes API Gateway's authorizer cache), then the old access token is sent
 * to a lambda route until it is refused, and only then is the hosted-UI session ended. What happened
 * is kept for the page the hosted UI redirects back to.
 */
async function signOut() {
  const { config, tokens } = session;
  $("#signout").disabled = true;
  const started = performance.now();
  const report = { user: session.user ? session.user.name : "", route: config.revocation_probe };
  try {
    const response = await fetch(`${config.api_url}${config.signout_path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${tokens.access}`, "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: tokens.refresh }),
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(`sign-out ${response.status}: ${answer.message}`);
    report.bound = answer.lambda_routes_refuse_within_seconds;
    const probe = config.revocation_probe;
    const deadline = started + (report.bound + 2) * 1000;
    for (;;) {
      const old = await fetch(`${config.api_url}${probe.path}`, {
        method: probe.method,
        headers: { Authorization: `Bearer ${tokens.access}` },
      });
      report.status = old.status;
      report.seconds = Number(((performance.now() - started) / 1000).toFixed(2));
      if (old.status === 401 || performance.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } catch (error) {
    report.error = error.message;
  }
  sessionStorage.setItem(SIGNOUT_REPORT, JSON.stringify(report));
  endHostedUiSession(config);
}

function showSignOutReport() {
  const report = JSON.parse(sessionStorage.getItem(SIGNOUT_REPORT) || "null");
  sessionStorage.removeItem(SIGNOUT_REPORT);
  if (!report) return;
  const line = $("#signout-report");
  line.hidden = false;
  line.dataset.status = String(report.status || "");
  if (report.error) {
    line.textContent = `Sign-out failed: ${report.error}`;
    return;
  }
  const refused = report.status === 401;
  line.className = refused ? "ok" : "error";
  line.textContent =
    `${report.user} signed out. The old access token on ${report.route.method} ${report.route.path} (lambda): ` +
    (refused
      ? `401 after ${report.seconds} s (the API promised at most ${report.bound} s).`
      : `still ${report.status} after ${report.seconds} s: NOT refused within ${report.bound} s.`);
}

function demoUserOf(tokens) {
  const claims = decodeJwt(tokens.id);
  const names = [claims.email, claims["cognito:username"]].filter(Boolean).map((s) => s.toLowerCase());
  return session.config.users.find((u) => names.includes(u.username.toLowerCase())) || null;
}

async function main() {
  try {
    [session.config, session.expected] = await Promise.all([getJson("/config.json"), getJson("/expectations.json")]);
  } catch (error) {
    showError(error.message);
    return;
  }
  renderStack();
  try {
    const fresh = await finishSignIn(session.config, window.location);
    if (fresh) window.history.replaceState(null, "", "/");
  } catch (error) {
    window.history.replaceState(null, "", "/");
    showError(error.message);
  }
  session.tokens = currentTokens();
  session.user = session.tokens ? demoUserOf(session.tokens) : null;
  $("#signed-out").hidden = Boolean(session.tokens);
  $("#signed-in").hidden = !session.tokens;
  if (!session.tokens) showSignOutReport();
  renderSignIn();
  renderRoutes();
  renderMatrix();
  renderMachines();
  if (session.tokens) {
    $("#whoami").textContent = session.user ? `${session.user.name} (${session.user.username})` : "an unknown user";
    await showIdentity();
  }
  $("#signout").addEventListener("click", () => signOut());
  $("#call-all").addEventListener("click", () => callAll());
  document.body.dataset.ready = "true";
}

main();
