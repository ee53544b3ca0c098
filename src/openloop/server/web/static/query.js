// The query sandbox: a textarea under a highlighted <pre>, Run with Ctrl/Cmd+Enter, results
// paged by cursor, errors with line/column and caret, and "Fix with Loop".
import { api, el, esc, features, preview, project, runQuery, toast } from "./app.js";

const KEYWORDS = new Set(("select from where group by order limit offset having as and or not in is null " +
  "like ilike match between asc desc true false interval day hour minute second week month year " +
  "filter dimensions measures sort cursor unpivot pivot for any shape preview_length sample " +
  "final_filter includes contains tablesample percent rows spans traces summary now").split(" "));
const TOKEN = /(--[^\n]*|\/\*[\s\S]*?\*\/)|('(?:[^'\\]|\\.|'')*'?)|("(?:[^"\\]|\\.)*"?)|(\b\d+(?:\.\d+)?\b)|([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_"][A-Za-z0-9_"]*)*)(\s*\()?/g;

/** Highlight query text as HTML (keywords, strings, numbers, fields, functions, comments). */
export function highlight(text) {
  let out = "", last = 0;
  for (const m of text.matchAll(TOKEN)) {
    out += esc(text.slice(last, m.index));
    last = m.index + m[0].length;
    const [whole, comment, str, dq, num, word, paren] = m;
    if (comment) out += `<span class="s-com">${esc(comment)}</span>`;
    else if (str) out += `<span class="s-str">${esc(str)}</span>`;
    else if (dq) out += `<span class="s-field">${esc(dq)}</span>`;
    else if (num) out += `<span class="s-num">${esc(num)}</span>`;
    else if (word) {
      const cls = paren ? "s-fn" : KEYWORDS.has(word.toLowerCase()) ? "s-kw" : "s-field";
      out += `<span class="${cls}">${esc(word)}</span>${esc(paren || "")}`;
    } else out += esc(whole);
  }
  return out + esc(text.slice(last)) + "\n";
}

const $ = (id) => document.getElementById(id);
const area = $("query-text");
const state = { cursor: null, columns: [], count: 0, query: "" };

function refresh() {
  $("highlight").innerHTML = highlight(area.value);
  $("highlight").scrollTop = area.scrollTop;
}
function autosize() {
  area.style.height = "auto";
  area.style.height = `${Math.max(150, area.scrollHeight + 2)}px`;
}

function cell(v) {
  if (v === null || v === undefined) return el("td", { class: "muted", text: "null" });
  if (typeof v === "number") return el("td", { class: "num", text: String(v) });
  return el("td", { class: "trunc", title: typeof v === "string" ? v.slice(0, 2000) : JSON.stringify(v).slice(0, 2000), text: preview(v, 200) });
}
function render(res, append) {
  const rows = res.data || [];
  if (!append) {
    const props = res.schema?.items?.properties;
    state.columns = props ? Object.keys(props) : Object.keys(rows[0] || {});
    $("results").querySelector("thead tr").replaceChildren(...state.columns.map((c) => el("th", { text: c })));
    $("results").tBodies[0].replaceChildren();
    state.count = 0;
  }
  const body = $("results").tBodies[0];
  rows.forEach((r) => body.append(el("tr", {}, state.columns.map((c) => cell(r[c])))));
  state.count += rows.length;
  state.cursor = rows.length ? res.cursor || null : null;
  $("more").hidden = !state.cursor;
  $("result-meta").textContent = `${state.count} row${state.count === 1 ? "" : "s"}${state.cursor ? " (more available)" : ""}`;
  $("warnings").textContent = (res.warnings || []).map((w) => w.message).join(" · ");
}

function showError(err) {
  const box = $("query-error");
  box.hidden = false;
  const d = err.detail || {};
  const where = d.line ? ` (line ${d.line}, column ${d.column})` : "";
  $("error-message").textContent = `${err.message}${where}`;
  $("error-snippet").textContent = d.snippet || "";
  $("error-snippet").hidden = !d.snippet;
  if ($("fix-result")) $("fix-result").hidden = true;
  if (d.line && d.column) {
    // Put the caret where the problem is so the user can fix it in place.
    const lines = area.value.split("\n");
    let pos = 0;
    for (let i = 0; i < d.line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
    area.setSelectionRange(pos + d.column - 1, pos + d.column - 1);
  }
}

async function run(append = false) {
  if (!append) state.query = area.value;
  $("query-error").hidden = true;
  $("result-meta").textContent = "Running…";
  const started = performance.now();
  try {
    const res = await runQuery(state.query, append ? state.cursor : null);
    render(res, append);
    $("result-meta").textContent += ` · ${Math.round(performance.now() - started)} ms`;
    const url = new URL(window.location.href);
    url.searchParams.set("q", state.query);
    history.replaceState(null, "", url);
  } catch (err) {
    $("result-meta").textContent = "";
    showError(err);
  }
}

async function fix() {
  const note = $("fix-note");
  note.textContent = "Asking Loop…";
  const body = { query: area.value, error: $("error-message").textContent, project: project.id };
  try {
    const res = features.loop_fix
      ? await api("/v1/loop/fix", { method: "POST", body })
      : await api("/ui/api/fix_query", { method: "POST", body });
    const fixed = res.query || res.fixed || res.fixed_query || "";
    note.textContent = res.text && !fixed ? preview(res.text, 300) : "";
    if (fixed) {
      $("fix-query").innerHTML = highlight(fixed);
      $("fix-result").hidden = false;
      $("fix-apply").onclick = () => { area.value = fixed; refresh(); autosize(); run(); };
    } else if (!res.text) note.textContent = "No fix found.";
  } catch (err) { note.textContent = ""; toast(err.message); }
}

area.addEventListener("input", () => { refresh(); autosize(); });
area.addEventListener("scroll", refresh);
area.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); }
  else if (e.key === "Tab" && !e.shiftKey) {
    e.preventDefault();
    const s = area.selectionStart;
    area.setRangeText("  ", s, area.selectionEnd, "end");
    refresh();
  }
});
$("run").addEventListener("click", () => run());
$("more").addEventListener("click", () => run(true));
$("fix")?.addEventListener("click", fix);
refresh();
autosize();
run();
