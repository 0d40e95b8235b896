// AWS Signature Version 4 for browser requests, with WebCrypto (no dependency).
//
// Written from AWS's description of the algorithm
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
// canonical request -> string to sign -> signing key derived from the secret, the date, the
// region and the service -> hex HMAC-SHA256 signature. Checked by tests/browser against the AWS
// SigV4 test suite vectors (get-vanilla, get-vanilla-query-order-key-case) and against botocore.
//
// A browser cannot set the Host header: the signature covers `host` as the URL's host[:port],
// which is exactly what the browser sends.

const encoder = new TextEncoder();

function hex(buffer) {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function sha256Hex(data) {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  return hex(await crypto.subtle.digest("SHA-256", bytes));
}

async function hmac(key, message) {
  const raw = typeof key === "string" ? encoder.encode(key) : key;
  const cryptoKey = await crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(message));
}

// RFC 3986 percent-encoding: everything but unreserved characters (A-Z a-z 0-9 - . _ ~).
export function uriEncode(value, keepSlash = false) {
  let out = "";
  for (const byte of encoder.encode(value)) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(ch) || (keepSlash && ch === "/")) {
      out += ch;
    } else {
      out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return out;
}

// Services other than S3 encode each path segment twice: the URL's path is already encoded once,
// so it is encoded once more here (as botocore does).
function canonicalUri(url) {
  return uriEncode(url.pathname || "/", true);
}

// Each name and value decoded once and encoded strictly; a literal "+" is a plus sign here, not a
// space (URLSearchParams would read it as form encoding).
function canonicalQuery(url) {
  const pairs = [];
  for (const part of url.search.replace(/^\?/, "").split("&")) {
    if (!part) continue;
    const at = part.indexOf("=");
    const [key, value] = at < 0 ? [part, ""] : [part.slice(0, at), part.slice(at + 1)];
    pairs.push([uriEncode(decodeURIComponent(key)), uriEncode(decodeURIComponent(value))]);
  }
  pairs.sort((a, b) => (a[0] === b[0] ? (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0) : a[0] < b[0] ? -1 : 1));
  return pairs.map(([k, v]) => `${k}=${v}`).join("&");
}

export function amzDate(date) {
  return date.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}

/**
 * Sign a request. Returns the headers to send (the given ones plus X-Amz-Date,
 * X-Amz-Security-Token when there is a session token, and Authorization), and the intermediate
 * strings for display and tests.
 *
 * request: {method, url, headers: {name: value}, body: string | undefined}
 * credentials: {accessKeyId, secretAccessKey, sessionToken?}
 */
export async function signRequest(request, credentials, region, service, date = new Date()) {
  const url = new URL(request.url);
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const headers = { ...(request.headers || {}) };
  headers["X-Amz-Date"] = stamp;
  if (credentials.sessionToken) {
    headers["X-Amz-Security-Token"] = credentials.sessionToken;
  }
  const toSign = { host: url.host };
  for (const [name, value] of Object.entries(headers)) {
    toSign[name.toLowerCase()] = String(value).trim().replace(/\s+/g, " ");
  }
  const names = Object.keys(toSign).sort();
  const canonicalHeaders = names.map((n) => `${n}:${toSign[n]}\n`).join("");
  const signedHeaders = names.join(";");
  const payloadHash = await sha256Hex(request.body || "");
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(url),
    canonicalQuery(url),
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join("\n");
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", stamp, scope, await sha256Hex(canonicalRequest)].join("\n");
  let key = await hmac("AWS4" + credentials.secretAccessKey, day);
  key = await hmac(key, region);
  key = await hmac(key, service);
  key = await hmac(key, "aws4_request");
  const signature = hex(await hmac(key, stringToSign));
  headers["Authorization"] =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return { headers, canonicalRequest, stringToSign, signature };
}
