// The Logs page: traces/spans table paged by cursor through POST /btql, the filter editor
// (basic rows or a raw expression), chosen columns, time ranges and saved views.
import {
  api, el, features, fmtDuration, fmtNumber, fmtTime, lit, preview, project, runQuery,
  showError, store, toast,
} from "./app.js";
import { closeTrace, openTrace } from "./trace.js";

const PAGE_SIZE = 50;
const RANGES = { "1h": 3600, "24h": 86400, "7d": 7 * 86400, "14d": 14 * 86400, "30d": 30 * 86400 };

const metric = (r, k) => (r.metrics ? r.metrics[k] : null);
const scoreChips = (r) => {
  const s = r.scores || {};
  return Object.keys(s).filter((k) => s[k] !== null && s[k] !== undefined).map((k) =>
    el("span", { class: "score" }, `${k} `, el("b", { text: fmtNumber(s[k]) })));
};
const spanDuration = (r) => {
  const d = metric(r, "duration");
  if (d !== null && d !== undefined) return d;
  const s = metric(r, "start"), e = metric(r, "end");
  return s && e ? e - s : null;
};

/** Column catalog: key -> [label, render(row) -> Node|string, numeric?]. */
const COLUMNS = {
  created: ["Time", (r) => fmtTime(r.created)],
  name: ["Name", (r) => r.span_attributes?.name || "—"],
  type: ["Type", (r) => r.span_attributes?.type || ""],
  model: ["Model", (r) => r.model || ""],
  input: ["Input", (r) => preview(r.input)],
  output: ["Output", (r) => preview(r.output)],
  expected: ["Expected", (r) => preview(r.expected)],
  error: ["Error", (r) => (r.error ? el("span", { class: "err-text", text: preview(r.error, 80) }) : "")],
  tags: ["Tags", (r) => (r.tags || []).map((t) => el("span", { class: "tag", text: t }))],
  scores: ["Scores", scoreChips],
  duration: ["Duration", (r) => fmtDuration(spanDuration(r)), true],
  tokens: ["Tokens", (r) => fmtNumber(metric(r, "total_tokens") ?? metric(r, "tokens")), true],
  cost: ["Cost", (r) => { const c = metric(r, "estimated_cost"); return c === null || c === undefined ? "" : `$${fmtNumber(c, 4)}`; }, true],
  ttft: ["TTFT", (r) => fmtDuration(metric(r, "time_to_first_token")), true],
  llm_calls: ["LLM calls", (r) => fmtNumber(metric(r, "llm_calls")), true],
  tool_calls: ["Tool calls", (r) => fmtNumber(metric(r, "tool_calls")), true],
  id: ["Id", (r) => el("span", { class: "mono muted", text: r.id })],
};
const AVAILABLE = {
  traces: ["created", "name", "input", "output", "expected", "error", "tags", "scores", "duration", "tokens", "cost", "ttft", "llm_calls", "tool_calls", "id"],
  spans: ["created", "name", "type", "model", "input", "output", "expected", "error", "tags", "scores", "duration", "tokens", "cost", "ttft", "id"],
};
const DEFAULTS = {
  traces: ["created", "name", "input", "output", "error", "tags", "scores", "duration", "tokens", "cost"],
  spans: ["created", "name", "type", "model", "input", "output", "error", "duration", "tokens"],
};

const FIELDS = ["span_attributes.name", "span_attributes.type", "metadata.model", "metadata.user_id",
  "metadata.session_id", "input", "output", "expected", "error", "tags", "latency", "metrics.tokens",
  "metrics.estimated_cost", "metrics.time_to_first_token", "scores.Factuality", "scores.Helpfulness",
  "root_span_id", "id"];
const OPS = ["=", "!=", ">", ">=", "<", "<=", "contains", "not contains", "matches", "includes", "is set", "is not set"];
const NUMERIC = /^(metrics\.|scores\.|latency$|duration$)/;

const params = new URLSearchParams(window.location.search);
const state = {
  rowType: params.get("rows") === "spans" ? "spans" : "traces",
  range: params.get("from") ? "custom" : (RANGES[params.get("range")] ? params.get("range") : "7d"),
  from: params.get("from") || "",
  to: params.get("to") || "",
  filter: params.get("filter") || "",
  mode: params.get("filter") ? "query" : "basic",
  basic: [],
  columns: null,
  cursor: null,
  rows: [],
  loading: false,
  generation: 0,
  selected: -1,
  views: [],
  view: "",
};

const $ = (id) => document.getElementById(id);
const colKey = () => `openloop.columns.${project.id}.${state.rowType}`;

function loadColumns() {
  const saved = store.get(colKey());
  state.columns = Array.isArray(saved) ? saved.filter((c) => AVAILABLE[state.rowType].includes(c)) : null;
  if (!state.columns || !state.columns.length) state.columns = [...DEFAULTS[state.rowType]];
}

// ---- query building ------------------------------------------------------------------------
function toIso(local) {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
export function rangeCondition() {
  if (state.range === "custom") {
    const parts = [];
    const f = toIso(state.from), t = toIso(state.to);
    if (f) parts.push(`created >= ${lit(f)}`);
    if (t) parts.push(`created <= ${lit(t)}`);
    if (parts.length) return parts.join(" AND ");
  }
  const secs = RANGES[state.range] || RANGES["7d"];
  return `created >= ${lit(new Date(Date.now() - secs * 1000).toISOString())}`;
}

export function conditionFor(row) {
  const f = (row.field || "").trim();
  const v = row.value ?? "";
  if (!f) return "";
  const numeric = v !== "" && !Number.isNaN(Number(v)) && NUMERIC.test(f);
  const val = numeric ? String(Number(v)) : lit(v);
  switch (row.op) {
    case "contains": return `${f} ILIKE ${lit(`%${v}%`)}`;
    case "not contains": return `${f} NOT ILIKE ${lit(`%${v}%`)}`;
    case "matches": return `${f} MATCH ${lit(v)}`;
    case "includes": return `${lit(v)} IN ${f}`;
    case "is set": return `${f} IS NOT NULL`;
    case "is not set": return `${f} IS NULL`;
    default: return OPS.includes(row.op) ? `${f} ${row.op} ${val}` : "";
  }
}
function basicExpression() {
  return state.basic.map(conditionFor).filter(Boolean).join(" AND ");
}

// Where the user's filter sits in the query the page sends: from line 3 ("filter: (" + text),
// its lines as typed, then ")" on a line of its own (so a "--" comment cannot swallow the rest);
// an error in it is shown against what the user typed rather than the whole generated query.
const FILTER_LINE = 3;
const FILTER_COLUMN = "filter: (".length + 1;

function userFilter() {
  return state.filter.trim();
}

/** The [line, column] (0-based, in characters) of a ")" in ``text`` that closes nothing, outside
 *  strings, quoted names and comments; null if there is none. Such a filter would parse, but
 *  its end would close the page's parenthesis and leave the time range out of an OR. */
export function strayParen(text) {
  const chars = Array.from(text);
  let depth = 0;
  let line = 0;
  let lineStart = 0;
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    if (c === "\n") { line++; lineStart = i + 1; }
    else if (c === "'" || c === '"' || c === "`") {
      for (i++; i < chars.length; i++) { // to the closing quote; doubled quotes are escapes
        if (chars[i] === "\\" && c === "'") i++;
        else if (chars[i] === "\n") { line++; lineStart = i + 1; }
        else if (chars[i] === c) { if (chars[i + 1] !== c) break; i++; }
      }
    } else if (c === "-" && chars[i + 1] === "-") {
      while (i + 1 < chars.length && chars[i + 1] !== "\n") i++;
    } else if (c === "/" && chars[i + 1] === "*") {
      for (i += 2; i < chars.length && !(chars[i] === "*" && chars[i + 1] === "/"); i++) {
        if (chars[i] === "\n") { line++; lineStart = i + 1; }
      }
      i++;
    } else if (c === "(") depth++;
    else if (c === ")") { if (depth === 0) return [line, i - lineStart]; depth--; }
  }
  return null;
}

function buildQuery() {
  const conds = [];
  const user = userFilter();
  if (user) conds.push(`(${user}\n)`);
  conds.push(rangeCondition(), "comment IS NULL");
  const src = `project_logs(${lit(project.id)})`;
  const select = state.rowType === "traces"
    ? "select: *"
    : "select: id, span_id, root_span_id, created, span_parents, span_attributes, input, output, expected, error, tags, scores, metrics, metadata.model as model";
  return [select, `from: ${src} ${state.rowType === "traces" ? "summary" : "spans"}`,
    `filter: ${conds.join(" AND ")}`, "sort: created desc", "preview_length: 160",
    `limit: ${PAGE_SIZE}`].join("\n");
}

// ---- table ---------------------------------------------------------------------------------
function renderHead() {
  const tr = $("logs-table").querySelector("thead tr");
  tr.replaceChildren(...state.columns.map((c) => el("th", { class: COLUMNS[c][2] ? "num" : "", text: COLUMNS[c][0] })));
}
function rowNode(r, index) {
  const tr = el("tr", { "data-index": index, "data-id": r.id, class: r.error || r.span_type_info?.has_error ? "row-error" : "" });
  for (const c of state.columns) {
    const [, render, numeric] = COLUMNS[c];
    const v = render(r);
    const td = el("td", { class: [numeric ? "num" : "", ["input", "output", "expected", "error"].includes(c) ? "trunc" : "", c === "created" ? "nowrap muted" : "", ["tags", "scores"].includes(c) ? "nowrap" : ""].join(" ").trim() });
    td.append(...(Array.isArray(v) ? v : [v]));
    tr.append(td);
  }
  tr.addEventListener("click", () => { select(index); openRow(index); });
  return tr;
}
function openRow(index) {
  const r = state.rows[index];
  if (!r) return;
  const traceId = r.root_span_id || r.id;
  openTrace(traceId, state.rowType === "spans" ? r.id : null);
  const url = new URL(window.location.href);
  url.searchParams.set("trace", traceId);
  history.replaceState(null, "", url);
}
function select(index) {
  const body = $("logs-table").tBodies[0];
  body.querySelector("tr.selected")?.classList.remove("selected");
  state.selected = index;
  const tr = body.querySelector(`tr[data-index="${index}"]`);
  if (tr) { tr.classList.add("selected"); tr.scrollIntoView({ block: "nearest" }); }
}

function updateFoot() {
  const more = Boolean(state.cursor);
  $("row-count").textContent = `${state.rows.length} ${state.rowType}${more ? " loaded" : ""}`;
  $("load-more").hidden = !more;
  const active = $("active-filter");
  active.replaceChildren();
  if (state.filter) active.append("Filter: ", el("code", { text: state.filter }));
}

async function loadPage(reset) {
  if (state.loading && !reset) return;
  const gen = reset ? ++state.generation : state.generation;
  if (reset) { state.rows = []; state.cursor = null; state.selected = -1; $("logs-table").tBodies[0].replaceChildren(); renderHead(); }
  state.loading = true;
  $("logs-error").hidden = true;
  $("row-count").textContent = "Loading…";
  try {
    const stray = strayParen(userFilter());
    if (stray) {
      const [index, at] = stray;
      throw Object.assign(new Error(), {
        parts: filterError("unmatched ')': the filter closes a parenthesis it did not open", index, at),
      });
    }
    const res = await runQuery(buildQuery(), reset ? null : state.cursor);
    if (gen !== state.generation) return;
    const start = state.rows.length;
    const data = res.data || [];
    state.rows.push(...data);
    state.cursor = data.length ? res.cursor || null : null;
    const body = $("logs-table").tBodies[0];
    data.forEach((r, i) => body.append(rowNode(r, start + i)));
  } catch (err) {
    if (gen !== state.generation) return;
    state.cursor = null;
    const box = $("logs-error");
    box.hidden = false;
    const { message, snippet } = err.parts || errorParts(err);
    showError(box, message, snippet);
  } finally {
    if (gen === state.generation) { state.loading = false; updateFoot(); }
  }
}

/** The message and snippet of a failed page, the caret placed in the user's filter when the
 *  error is there: an error past the filter's end (an unclosed parenthesis, a dangling operator)
 *  means the filter ended too soon, so the caret goes at its end instead of at the page's own
 *  clauses. */
export function errorParts(err, user = userFilter()) {
  const d = err.detail || {};
  const generic = { message: err.message, snippet: d.snippet || null };
  if (!user || !d.line || !d.column || d.line < FILTER_LINE) return generic;
  const lines = user.split("\n");
  const index = d.line - FILTER_LINE;
  const at = index < lines.length ? d.column - (index === 0 ? FILTER_COLUMN : 1) : Infinity;
  return at < 0 ? generic : filterError(err.message, index, at, user);
}

/** ``message`` with the filter's line ``index`` and a caret under character ``at`` of it; a
 *  spot at or past the filter's end reads "found the end of the filter". */
function filterError(message, index, at, user = userFilter()) {
  const lines = user.split("\n").map((l) => Array.from(l)); // columns count characters
  const last = lines.length - 1;
  if (index > last || (index === last && at >= lines[last].length)) {
    index = last;
    at = lines[last].length;
    message = message.replace(/, found [^]*$/, ", found the end of the filter");
  }
  let shown = lines[index];
  at = Math.min(at, shown.length);
  if (shown.length > 100) { // keep long lines readable: 100 characters around the caret
    const start = Math.max(0, Math.min(at - 60, shown.length - 100));
    shown = shown.slice(start, start + 100);
    at -= start;
  }
  const where = lines.length > 1 ? ` (line ${index + 1} of the filter)` : "";
  return { message: message + where, snippet: `${shown.join("")}\n${" ".repeat(at)}^` };
}

// ---- filter editor -------------------------------------------------------------------------
function renderBasic() {
  const box = $("filter-rows");
  box.replaceChildren();
  state.basic.forEach((row, i) => {
    const field = el("input", { class: "f-field", list: "field-list", value: row.field, "aria-label": "Field", placeholder: "field" });
    field.addEventListener("input", () => { row.field = field.value; });
    const op = el("select", { class: "f-op", "aria-label": "Operator" }, OPS.map((o) => el("option", { value: o, selected: o === row.op, text: o })));
    op.addEventListener("change", () => { row.op = op.value; value.hidden = row.op.startsWith("is "); });
    const value = el("input", { class: "f-value", value: row.value, "aria-label": "Value", placeholder: "value", hidden: row.op.startsWith("is ") });
    value.addEventListener("input", () => { row.value = value.value; });
    value.addEventListener("keydown", (e) => { if (e.key === "Enter") applyFilter(); });
    const rm = el("button", { type: "button", class: "btn small", "aria-label": "Remove condition", text: "✕" });
    rm.addEventListener("click", () => { state.basic.splice(i, 1); renderBasic(); });
    box.append(el("div", { class: "filter-row" }, field, op, value, rm));
  });
}
function setMode(mode) {
  if (mode === "query" && state.mode === "basic") {
    const expr = basicExpression();
    if (expr) $("filter-text").value = expr;
  }
  state.mode = mode;
  document.querySelectorAll("[data-mode]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.mode === mode)));
  $("basic-mode").hidden = mode !== "basic";
  $("query-mode").hidden = mode !== "query";
}
// The one-line box shows a multi-line filter with its lines joined (a text input drops newlines).
const oneLine = (text) => text.replace(/\s*\n\s*/g, " ");
function showQuick() {
  $("quick-filter").value = oneLine(state.filter);
}

function applyFilter() {
  state.filter = state.mode === "basic" ? basicExpression() : $("filter-text").value.trim();
  showQuick();
  if (state.mode === "basic") $("filter-text").value = state.filter;
  syncUrl();
  loadPage(true);
}
function toggleEditor(open) {
  const ed = $("filter-editor");
  ed.hidden = !(open ?? ed.hidden);
  $("filter-toggle").setAttribute("aria-expanded", String(!ed.hidden));
  if (!ed.hidden && state.mode === "basic" && !state.basic.length) { state.basic.push({ field: "", op: "=", value: "" }); renderBasic(); }
}

function syncUrl() {
  const url = new URL(window.location.href);
  const set = (k, v) => (v ? url.searchParams.set(k, v) : url.searchParams.delete(k));
  set("filter", state.filter);
  set("rows", state.rowType === "spans" ? "spans" : "");
  set("range", state.range !== "custom" ? state.range : "");
  set("from", state.range === "custom" ? state.from : "");
  set("to", state.range === "custom" ? state.to : "");
  history.replaceState(null, "", url);
}

function setRowType(type) {
  state.rowType = type;
  document.querySelectorAll("[data-rows]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.rows === type)));
  loadColumns();
  renderColumnsPicker();
  syncUrl();
  loadPage(true);
}
function setRange(range) {
  state.range = range;
  document.querySelectorAll("[data-range]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.range === range)));
  $("custom-range").hidden = range !== "custom";
  if (range !== "custom") { syncUrl(); loadPage(true); }
}

function renderColumnsPicker() {
  const list = $("columns-list");
  list.replaceChildren(...AVAILABLE[state.rowType].map((c) => {
    const box = el("input", { type: "checkbox", value: c, checked: state.columns.includes(c) });
    box.addEventListener("change", () => {
      state.columns = AVAILABLE[state.rowType].filter((k) => (k === c ? box.checked : state.columns.includes(k)));
      store.set(colKey(), state.columns);
      renderHead();
      const body = $("logs-table").tBodies[0];
      body.replaceChildren(...state.rows.map(rowNode));
    });
    return el("label", {}, box, COLUMNS[c][0]);
  }));
}

// ---- saved views ---------------------------------------------------------------------------
async function loadViews() {
  try {
    const res = await api(`/ui/api/p/${project.id}/views`);
    state.views = res.objects || [];
  } catch { state.views = []; }
  const sel = $("view-select");
  sel.replaceChildren(el("option", { value: "", text: "Default" }), ...state.views.map((v) => el("option", { value: v.id, text: v.name, selected: v.id === state.view })));
  const del = $("view-delete");
  if (del) del.hidden = !state.view;
}
function applyView(id) {
  state.view = id;
  const v = state.views.find((x) => x.id === id);
  const m = v ? v.metadata : {};
  state.filter = m.filter || "";
  $("filter-text").value = state.filter;
  showQuick();
  if (state.filter) setMode("query");
  state.rowType = m.row_type === "spans" ? "spans" : "traces";
  document.querySelectorAll("[data-rows]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.rows === state.rowType)));
  loadColumns();
  if (Array.isArray(m.columns) && m.columns.length) { state.columns = m.columns.filter((c) => AVAILABLE[state.rowType].includes(c)); store.set(colKey(), state.columns); }
  renderColumnsPicker();
  state.from = m.from || ""; state.to = m.to || "";
  $("range-from").value = state.from; $("range-to").value = state.to;
  const del = $("view-delete");
  if (del) del.hidden = !id;
  setRange(m.range && (RANGES[m.range] || m.range === "custom") ? m.range : "7d");
  if (state.range === "custom") { syncUrl(); loadPage(true); }
}
async function saveView() {
  const current = state.views.find((v) => v.id === state.view);
  const name = window.prompt("Name this view", current ? current.name : "");
  if (!name) return;
  try {
    const saved = await api(`/ui/api/p/${project.id}/views`, { method: "POST", body: { name, metadata: {
      filter: state.filter, columns: state.columns, row_type: state.rowType, range: state.range, from: state.from, to: state.to,
    } } });
    state.view = saved.id;
    await loadViews();
    toast(`Saved view “${name}”`);
  } catch (err) { toast(err.message); }
}
async function deleteView() {
  const v = state.views.find((x) => x.id === state.view);
  if (!v || !window.confirm(`Delete the view “${v.name}”?`)) return;
  try {
    await api(`/ui/api/p/${project.id}/views/${v.id}`, { method: "DELETE" });
    state.view = "";
    await loadViews();
    toast("View deleted");
  } catch (err) { toast(err.message); }
}

// ---- generate (plain language -> filter) ---------------------------------------------------
async function generate(e) {
  e.preventDefault();
  const text = $("generate-text").value.trim();
  if (!text) return;
  try {
    const res = await api("/v1/loop/generate/filter", { method: "POST", body: { text, prompt: text, project: project.id, row_type: state.rowType } });
    const expr = res.filter ?? res.expression ?? res.query ?? "";
    setMode("query");
    $("filter-text").value = expr;
    applyFilter();
  } catch (err) { toast(err.message); }
}

// ---- wiring --------------------------------------------------------------------------------
function init() {
  document.body.append(el("datalist", { id: "field-list" }, FIELDS.map((f) => el("option", { value: f }))));
  loadColumns();
  renderColumnsPicker();
  document.querySelectorAll("[data-rows]").forEach((b) => {
    b.setAttribute("aria-pressed", String(b.dataset.rows === state.rowType));
    b.addEventListener("click", () => setRowType(b.dataset.rows));
  });
  document.querySelectorAll("[data-range]").forEach((b) => b.addEventListener("click", () => setRange(b.dataset.range)));
  document.querySelectorAll("[data-mode]").forEach((b) => b.addEventListener("click", () => setMode(b.dataset.mode)));
  $("range-from").value = state.from; $("range-to").value = state.to;
  $("range-apply").addEventListener("click", () => { state.from = $("range-from").value; state.to = $("range-to").value; syncUrl(); loadPage(true); });
  $("filter-toggle").addEventListener("click", () => toggleEditor());
  $("add-condition").addEventListener("click", () => { state.basic.push({ field: "", op: "=", value: "" }); renderBasic(); });
  $("filter-apply").addEventListener("click", applyFilter);
  $("filter-clear").addEventListener("click", () => { state.basic = [{ field: "", op: "=", value: "" }]; renderBasic(); $("filter-text").value = ""; applyFilter(); });
  showQuick();
  $("filter-text").value = state.filter;
  $("quick-filter").addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    setMode("query");
    // An unedited one-line view of a multi-line filter applies the filter itself, lines kept.
    if (e.target.value !== oneLine(state.filter)) $("filter-text").value = e.target.value;
    applyFilter();
  });
  $("columns-toggle").addEventListener("click", () => { const p = $("columns-pop"); p.hidden = !p.hidden; $("columns-toggle").setAttribute("aria-expanded", String(!p.hidden)); });
  document.addEventListener("click", (e) => { if (!e.target.closest(".pop")) $("columns-pop").hidden = true; });
  $("refresh").addEventListener("click", () => loadPage(true));
  $("load-more").addEventListener("click", () => loadPage(false));
  $("view-select").addEventListener("change", (e) => applyView(e.target.value));
  $("view-save")?.addEventListener("click", saveView);
  $("view-delete")?.addEventListener("click", deleteView);
  $("generate-form")?.addEventListener("submit", generate);
  if (!features.generate_filter) $("generate-form")?.remove();
  setMode(state.mode);
  document.querySelectorAll("[data-range]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.range === state.range)));
  $("custom-range").hidden = state.range !== "custom";

  new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && state.cursor && !state.loading) loadPage(false);
  }, { root: $("table-wrap"), rootMargin: "200px" }).observe($("sentinel"));

  document.addEventListener("keydown", (e) => {
    if (e.metaKey || e.ctrlKey || e.altKey || ["INPUT", "TEXTAREA", "SELECT"].includes(e.target.tagName)) return;
    if (!$("trace-view").hidden && e.key !== "j" && e.key !== "k") return;
    if (e.key === "j") { select(Math.min(state.selected + 1, state.rows.length - 1)); if (!$("trace-view").hidden) openRow(state.selected); }
    else if (e.key === "k") { select(Math.max(state.selected - 1, 0)); if (!$("trace-view").hidden) openRow(state.selected); }
    else if (e.key === "Enter" && state.selected >= 0) openRow(state.selected);
  });
  document.addEventListener("openloop:escape", () => {
    closeTrace();
    const url = new URL(window.location.href);
    url.searchParams.delete("trace");
    history.replaceState(null, "", url);
  });

  loadViews();
  loadPage(true);
  if (params.get("trace")) openTrace(params.get("trace"), params.get("span"));
}

init();
