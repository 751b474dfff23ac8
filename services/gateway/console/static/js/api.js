// The JSON API at /api/v1 with the signed-in bearer token; refusals become ApiError carrying the envelope.
const BASE = "/api/v1";
const TOKEN_KEY = "skills.session";

export class ApiError extends Error {
  constructor(status, envelope) {
    const error = (envelope && envelope.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || "HTTP_" + status;
    this.details = Array.isArray(error.details) ? error.details : [];
  }
}

/** The fetch itself failed: no answer arrived (offline, connection dropped). */
export class NetworkError extends Error {}

export const session = {
  get() { try { return JSON.parse(sessionStorage.getItem(TOKEN_KEY)); } catch { return null; } },
  set(value) { sessionStorage.setItem(TOKEN_KEY, JSON.stringify(value)); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

let onUnauthorised = () => {};
export function whenUnauthorised(handler) { onUnauthorised = handler; }

async function send(method, path, { json, body, contentType, raw = false } = {}) {
  const headers = { Accept: "application/json" };
  const current = session.get();
  if (current) headers.Authorization = `Bearer ${current.token}`;
  if (json !== undefined) { headers["Content-Type"] = "application/json"; body = JSON.stringify(json); }
  else if (contentType) headers["Content-Type"] = contentType;
  let reply;
  try {
    reply = await fetch(BASE + path, { method, headers, body, cache: "no-store", credentials: "omit" });
  } catch (cause) {
    throw new NetworkError(cause.message);
  }
  if (!reply.ok) {
    let envelope = null;
    try { envelope = await reply.json(); } catch { /* not JSON: the status says it */ }
    const error = new ApiError(reply.status, envelope);
    if (reply.status === 401 && current) onUnauthorised(error);
    throw error;
  }
  if (raw) return reply;
  return reply.status === 204 ? null : reply.json();
}

export const api = {
  get: (path) => send("GET", path),
  post: (path, json) => send("POST", path, { json }),
  put: (path, json) => send("PUT", path, { json }),
  patch: (path, json) => send("PATCH", path, { json }),
  del: (path) => send("DELETE", path),
  upload: (method, path, file) => send(method, path, { body: file, contentType: file.type || "application/octet-stream" }),
  /** Fetch an export with the token and hand it to the browser as a download. */
  async download(path, fallbackName) {
    const reply = await send("GET", path, { raw: true });
    const disposition = reply.headers.get("Content-Disposition") || "";
    const name = (/filename="?([^";]+)"?/.exec(disposition) || [])[1] || fallbackName;
    const url = URL.createObjectURL(await reply.blob());
    const link = Object.assign(document.createElement("a"), { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    return name;
  },
};

export const enc = encodeURIComponent;

/** A fresh request_id: the API records a request once however often the same id is sent again. */
export function requestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));  // works on plain-http tablets too (randomUUID does not)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
