// OpenLoop UI core: theme, keyboard shortcuts, the Loop slot, and helpers every page module
// imports (API calls with the CSRF header, query paging, formatting).

export const features = JSON.parse(document.getElementById("page-features")?.textContent || "{}");
export const project = {
  slug: document.body.dataset.project || null,
  id: document.body.dataset.projectId || null,
  name: document.body.dataset.projectName || null,
};

export class ApiError extends Error {
  constructor(status, body) {
    const err = (body && body.error) || {};
    super(err.message || `request failed (${status})`);
    this.status = status;
    this.detail = err;
  }
}

/** Call the JSON API as the signed-in user. Writes carry the CSRF header. */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { accept: "application/json" };
  if (method !== "GET") headers["x-openloop-csrf"] = "1";
  if (body !== undefined) headers["content-type"] = "application/json";
  const resp = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (resp.status === 204) return null;
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) throw new ApiError(resp.status, data);
  return data;
}

/** Run one page of a query through ``POST /btql``. */
export function runQuery(query, cursor = null) {
  return api("/btql", { method: "POST", body: { query, cursor, project: project.id } });
}

/** Quote text as a query string literal. */
export function lit(value) {
  return "'" + String(value).replace(/\\/g, "\\\\").replace(/'/g, "''") + "'";
}

export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Fill an error box (class ``alert query-error``) with a message and, when there is one, a
 *  snippet with its caret line, in a fixed-width font so the caret lines up. */
export function showError(box, message, snippet = null) {
  box.replaceChildren(el("div", { text: message }), snippet ? el("pre", { text: snippet }) : null);
}

export function toast(message, ms = 2600) {
  const t = document.getElementById("toast");
  if (!t) return;
  t.textContent = message;
  t.hidden = false;
  clearTimeout(toast._timer);
  toast._timer = setTimeout(() => { t.hidden = true; }, ms);
}

export function fmtNumber(v, digits = 2) {
  if (v === null || v === undefined || v === "") return "";
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  if (Number.isInteger(n)) return n.toLocaleString("en-US");
  if (Math.abs(n) >= 100) return n.toLocaleString("en-US", { maximumFractionDigits: 0 });
  return n.toLocaleString("en-US", { maximumFractionDigits: Math.abs(n) < 0.01 ? 5 : digits });
}

export function fmtDuration(s) {
  if (s === null || s === undefined) return "";
  const n = Number(s);
  if (n < 1) return `${Math.round(n * 1000)}ms`;
  if (n < 60) return `${n.toFixed(2)}s`;
  return `${Math.floor(n / 60)}m ${Math.round(n % 60)}s`;
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const pad = (x) => String(x).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function preview(value, max = 160) {
  if (value === null || value === undefined) return "";
  let s = typeof value === "string" ? value : JSON.stringify(value);
  if (s.length > max) s = s.slice(0, max) + "…";
  return s;
}

export const store = {
  get(key, fallback = null) {
    try { const v = localStorage.getItem(key); return v === null ? fallback : JSON.parse(v); }
    catch { return fallback; }
  },
  set(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch { /* private mode */ }
  },
};

// ---- theme -------------------------------------------------------------------------------
function applyTheme(theme) {
  document.documentElement.setAttribute("data-theme", theme);
  const label = document.getElementById("theme-label");
  if (label) label.textContent = theme === "dark" ? "Dark" : "Light";
  document.dispatchEvent(new CustomEvent("openloop:theme", { detail: theme }));
}
export function toggleTheme() {
  const next = document.documentElement.getAttribute("data-theme") === "dark" ? "light" : "dark";
  try { localStorage.setItem("openloop.theme", next); } catch { /* ignore */ }
  applyTheme(next);
}
applyTheme(document.documentElement.getAttribute("data-theme") || "light");
document.getElementById("theme-toggle")?.addEventListener("click", toggleTheme);

// ---- Loop slot ---------------------------------------------------------------------------
const loopPanel = document.getElementById("loop-panel");
function toggleLoop(open) {
  if (!loopPanel) return;
  const show = open ?? loopPanel.hidden;
  loopPanel.hidden = !show;
  const body = document.getElementById("loop-panel-body");
  if (show && body && !body.childElementCount) {
    body.append(el("p", { class: "muted", text: "Loop chat is not available on this server." }));
  }
  document.dispatchEvent(new CustomEvent("openloop:loop", { detail: { open: show } }));
}
document.getElementById("loop-button")?.addEventListener("click", () => toggleLoop());
document.querySelector("[data-action=loop-close]")?.addEventListener("click", () => toggleLoop(false));

// ---- help, project switch ----------------------------------------------------------------
const help = document.getElementById("help-dialog");
function openHelp() { if (help && !help.open) help.showModal(); }
document.querySelectorAll("[data-action=help]").forEach((b) => b.addEventListener("click", openHelp));

document.getElementById("project-switch")?.addEventListener("change", (e) => {
  const name = e.target.value;
  if (!name) return;
  const page = document.body.dataset.page;
  const tail = ["logs", "monitor", "query"].includes(page) ? `/${page}` : "";
  window.location.href = `/p/${encodeURIComponent(name)}${tail}`;
});

const projectFilter = document.getElementById("project-filter");
projectFilter?.addEventListener("input", () => {
  const q = projectFilter.value.trim().toLowerCase();
  document.querySelectorAll("#projects-table tbody tr").forEach((tr) => {
    tr.hidden = q && !tr.dataset.name.includes(q);
  });
});

// ---- keyboard shortcuts ------------------------------------------------------------------
function typing(target) {
  const t = target;
  return t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName));
}
function navHref(key) {
  return document.querySelector(`[data-nav="${key}"]`)?.getAttribute("href") || null;
}
const GOTO = { o: "overview", l: "logs", m: "monitor", q: "query", s: "settings", e: "experiments",
  d: "datasets", p: "prompts", r: "scorers", y: "playground" };
let pendingG = 0;
document.addEventListener("keydown", (e) => {
  if (e.defaultPrevented || e.metaKey || e.ctrlKey || e.altKey) return;
  if (e.key === "Escape") {
    document.dispatchEvent(new CustomEvent("openloop:escape"));
    if (typing(e.target)) e.target.blur();
    return;
  }
  if (typing(e.target)) return;
  const now = Date.now();
  if (pendingG && now - pendingG < 1200) {
    pendingG = 0;
    const key = e.key.toLowerCase();
    const href = key === "h" ? "/" : GOTO[key] ? navHref(GOTO[key]) : null;
    if (href) { e.preventDefault(); window.location.href = href; }
    return;
  }
  if (e.key === "g") { pendingG = now; return; }
  if (e.key === "?") { e.preventDefault(); openHelp(); return; }
  if (e.key === "t") { e.preventDefault(); toggleTheme(); return; }
  if (e.key === "/") {
    const box = document.querySelector("[data-focus-key]");
    if (box) { e.preventDefault(); box.focus(); box.select?.(); }
  }
});

// Format server-rendered timestamps in the viewer's time zone.
document.querySelectorAll("[data-time]").forEach((node) => {
  const t = node.getAttribute("data-time");
  if (t) node.textContent = fmtTime(t);
});
