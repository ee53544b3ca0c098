// The trace view: span tree with a timeline (Gantt bars colored by span type) and the selected
// span's detail (input/output/expected pretty or raw, metadata, metrics, scores, error, tags,
// comments, add to dataset).
import { api, el, esc, features, fmtDuration, fmtNumber, fmtTime, lit, project, runQuery, toast } from "./app.js";

const TYPES = ["llm", "tool", "task", "function", "score", "eval"];
let current = { traceId: null, spans: [], byId: new Map(), selected: null, comments: [] };

const view = () => document.getElementById("trace-view");
const typeClass = (t) => `t-${TYPES.includes(t) ? t : "other"}`;

export function closeTrace() {
  const v = view();
  if (v) v.hidden = true;
  current.traceId = null;
}

export async function openTrace(traceId, spanId = null) {
  const v = view();
  if (!v) return;
  v.hidden = false;
  current = { traceId, spans: [], byId: new Map(), selected: null, comments: [] };
  v.replaceChildren(head(traceId), el("div", { class: "trace-body" }, el("div", { class: "trace-left" }, el("p", { class: "muted", style: "padding:.6rem", text: "Loading trace…" })), el("div", { class: "trace-right" })));
  const q = ["select: *", `from: project_logs(${lit(project.id)}) spans`, `filter: root_span_id = ${lit(traceId)} AND comment IS NULL`,
    "sort: _pagination_key asc", "preview_length: -1", "limit: 1000"].join("\n");
  try {
    const res = await runQuery(q);
    if (current.traceId !== traceId) return;
    current.spans = res.data || [];
    current.spans.forEach((s) => current.byId.set(s.span_id, s));
    await loadComments();
    if (current.traceId !== traceId) return;
    renderTree();
    const first = (spanId && current.spans.find((s) => s.id === spanId || s.span_id === spanId)) || roots()[0] || current.spans[0];
    if (first) selectSpan(first.span_id);
    else v.querySelector(".trace-left").replaceChildren(el("p", { class: "muted", style: "padding:.6rem", text: "No spans found for this trace in the selected project." }));
  } catch (err) {
    v.querySelector(".trace-left").replaceChildren(el("p", { class: "alert", text: err.message }));
  }
}

function head(traceId) {
  const close = el("button", { type: "button", class: "ghost", "aria-label": "Close trace", text: "✕" });
  close.addEventListener("click", () => document.dispatchEvent(new CustomEvent("openloop:escape")));
  const copy = el("button", { type: "button", class: "btn small", text: "Copy link" });
  copy.addEventListener("click", () => { navigator.clipboard?.writeText(window.location.href); toast("Link copied"); });
  return el("div", { class: "trace-head" }, el("strong", { text: "Trace" }), el("span", { class: "mono muted small", text: traceId }),
    el("span", { class: "spacer" }), el("span", { class: "muted small", text: "j/k: next/previous · Esc: close" }), copy, close);
}

async function loadComments() {
  const ids = current.spans.map((s) => s.id);
  if (!ids.length) { current.comments = []; return; }
  const oldest = current.spans.map((s) => s.created).sort()[0];
  const q = ["select: id, created, comment, origin", `from: project_logs(${lit(project.id)}) spans`,
    `filter: comment IS NOT NULL AND created >= ${lit(oldest)} AND origin.id IN (${ids.map(lit).join(", ")})`,
    "sort: created asc", "limit: 200"].join("\n");
  try { current.comments = (await runQuery(q)).data || []; } catch { current.comments = []; }
}

function roots() {
  return current.spans.filter((s) => !(s.span_parents || []).some((p) => current.byId.has(p)));
}
function children(spanId) {
  return current.spans.filter((s) => (s.span_parents || [])[0] === spanId && s.span_id !== spanId);
}
const startOf = (s) => s.metrics?.start ?? (Date.parse(s.created) / 1000);
const endOf = (s) => s.metrics?.end ?? startOf(s);

function renderTree() {
  const starts = current.spans.map(startOf), ends = current.spans.map(endOf);
  const t0 = Math.min(...starts), t1 = Math.max(...ends, t0 + 1e-6);
  const list = el("ul", { class: "span-tree", role: "tree" });
  const seen = new Set();
  const walk = (span, depth) => {
    if (seen.has(span.span_id)) return;
    seen.add(span.span_id);
    const type = span.span_attributes?.type || "";
    const dur = endOf(span) - startOf(span);
    const left = ((startOf(span) - t0) / (t1 - t0)) * 100;
    const width = Math.max((dur / (t1 - t0)) * 100, 0.5);
    const node = el("li", { class: `span-node${span.error ? " span-err" : ""}`, role: "treeitem", "data-span": span.span_id, tabindex: "0" },
      el("span", { class: "span-label", style: `padding-left:${depth * 14}px` },
        el("span", { class: `span-type ${typeClass(type)}`, text: type || "span" }),
        el("span", { text: span.span_attributes?.name || span.id }),
        el("span", { class: "muted small", text: fmtDuration(dur) })),
      el("span", { class: "gantt", title: `${fmtDuration(dur)} from +${fmtDuration(startOf(span) - t0)}` },
        el("span", { class: `gantt-bar ${typeClass(type)}`, style: `left:${left.toFixed(2)}%;width:${Math.min(width, 100 - left).toFixed(2)}%` })));
    node.addEventListener("click", () => selectSpan(span.span_id));
    node.addEventListener("keydown", (e) => { if (e.key === "Enter") selectSpan(span.span_id); });
    list.append(node);
    children(span.span_id).sort((a, b) => startOf(a) - startOf(b)).forEach((c) => walk(c, depth + 1));
  };
  roots().sort((a, b) => startOf(a) - startOf(b)).forEach((r) => walk(r, 0));
  current.spans.forEach((s) => walk(s, 0));
  const legend = el("div", { class: "legend", style: "padding:.4rem .6rem" }, TYPES.map((t) => el("span", {}, el("i", { class: typeClass(t) }), t)));
  view().querySelector(".trace-left").replaceChildren(el("h3", { style: "padding:.5rem .6rem 0", text: `Spans (${current.spans.length}) · timeline` }), list, legend);
}

function selectSpan(spanId) {
  const span = current.byId.get(spanId);
  if (!span) return;
  current.selected = span;
  view().querySelectorAll(".span-node").forEach((n) => n.classList.toggle("selected", n.dataset.span === spanId));
  renderDetail(span);
}

// ---- span detail ---------------------------------------------------------------------------
export function jsonHtml(value, indent = 0) {
  const pad = "  ".repeat(indent);
  if (value === null || value === undefined) return '<span class="j-lit">null</span>';
  if (typeof value === "string") return `<span class="j-str">${esc(JSON.stringify(value))}</span>`;
  if (typeof value === "number") return `<span class="j-num">${value}</span>`;
  if (typeof value === "boolean") return `<span class="j-lit">${value}</span>`;
  if (Array.isArray(value)) {
    if (!value.length) return "[]";
    return "[\n" + value.map((v) => `${pad}  ${jsonHtml(v, indent + 1)}`).join(",\n") + `\n${pad}]`;
  }
  const keys = Object.keys(value);
  if (!keys.length) return "{}";
  return "{\n" + keys.map((k) => `${pad}  <span class="j-key">${esc(JSON.stringify(k))}</span>: ${jsonHtml(value[k], indent + 1)}`).join(",\n") + `\n${pad}}`;
}

function messagesOf(value) {
  if (Array.isArray(value) && value.length && value.every((m) => m && typeof m === "object" && "role" in m)) return value;
  if (value && typeof value === "object" && Array.isArray(value.messages)) return messagesOf(value.messages);
  return null;
}
function pretty(value) {
  const msgs = messagesOf(value);
  if (msgs) {
    return el("div", { class: "pretty" }, msgs.map((m) => el("div", { class: "msg" }, el("div", { class: "role", text: m.role }),
      el("div", { style: "white-space:pre-wrap", text: typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? m.tool_calls ?? "", null, 2) }))));
  }
  if (typeof value === "string") return el("div", { class: "pretty", style: "white-space:pre-wrap", text: value });
  const pre = el("pre", { class: "json" });
  pre.innerHTML = jsonHtml(value);
  return pre;
}

function fieldSection(title, value) {
  if (value === null || value === undefined) return null;
  const body = el("div", {}, pretty(value));
  const toggle = el("div", { class: "seg", role: "group", "aria-label": `${title} view` });
  const mk = (label, render) => {
    const b = el("button", { type: "button", class: "small", "aria-pressed": String(label === "Pretty"), text: label });
    b.addEventListener("click", () => {
      toggle.querySelectorAll("button").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
      body.replaceChildren(render());
    });
    return b;
  };
  toggle.append(mk("Pretty", () => pretty(value)), mk("JSON", () => { const p = el("pre", { class: "json" }); p.innerHTML = jsonHtml(value); return p; }));
  return el("section", { class: "detail-section", "data-field": title.toLowerCase() }, el("div", { class: "head" }, el("h3", { text: title }), toggle), body);
}

function kvSection(title, obj, fmt = (v) => (typeof v === "number" ? fmtNumber(v, 4) : typeof v === "object" ? JSON.stringify(v) : String(v))) {
  const entries = Object.entries(obj || {}).filter(([, v]) => v !== null && v !== undefined);
  if (!entries.length) return null;
  return el("section", { class: "detail-section", "data-field": title.toLowerCase() }, el("div", { class: "head" }, el("h3", { text: title })),
    el("dl", { class: "kv" }, entries.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: fmt(v, k) })])));
}

function renderDetail(span) {
  const right = view().querySelector(".trace-right");
  const attrs = span.span_attributes || {};
  const metrics = { ...(span.metrics || {}) };
  if (metrics.start && metrics.end) metrics.duration = metrics.duration ?? metrics.end - metrics.start;
  const fmtMetric = (v, k) => (["start", "end"].includes(k) ? fmtTime(new Date(v * 1000).toISOString())
    : ["duration", "time_to_first_token"].includes(k) ? fmtDuration(v) : k === "estimated_cost" ? `$${fmtNumber(v, 6)}` : fmtNumber(v, 4));
  const errorBox = span.error ? el("section", { class: "detail-section", "data-field": "error" }, el("div", { class: "head" }, el("h3", { text: "Error" })),
    el("pre", { class: "json err-text", text: typeof span.error === "string" ? span.error : JSON.stringify(span.error, null, 2) })) : null;
  right.replaceChildren(...[
    el("div", { class: "row", style: "margin-bottom:.6rem" },
      el("span", { class: `span-type ${typeClass(attrs.type)}`, text: attrs.type || "span" }),
      el("h2", { style: "margin:0", text: attrs.name || span.id }),
      el("span", { class: "muted small", text: fmtTime(span.created) }),
      el("span", { class: "mono muted small", text: span.id })),
    errorBox,
    fieldSection("Input", span.input),
    fieldSection("Output", span.output),
    fieldSection("Expected", span.expected),
    kvSection("Scores", span.scores, (v) => fmtNumber(v, 3)),
    kvSection("Metrics", metrics, fmtMetric),
    kvSection("Metadata", span.metadata),
    tagsSection(span),
    commentsSection(span),
    datasetSection(span),
    rawSection(span),
  ].filter(Boolean));
}

function rawSection(span) {
  const det = el("details", { class: "detail-section" }, el("summary", { text: "Raw span JSON" }));
  det.addEventListener("toggle", () => { if (det.open && det.childElementCount === 1) { const p = el("pre", { class: "json" }); p.innerHTML = jsonHtml(span); det.append(p); } });
  return det;
}

async function feedback(item) {
  return api(`/v1/project_logs/${project.id}/feedback`, { method: "POST", body: { feedback: [{ ...item, source: "app" }] } });
}

function tagsSection(span) {
  const tags = span.tags || [];
  const input = el("input", { type: "text", placeholder: "add tag", "aria-label": "Add tag", style: "width:140px" });
  const form = el("form", { class: "row" }, tags.map((t) => el("span", { class: "tag", text: t })), input, el("button", { type: "submit", class: "btn small", text: "Add" }));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const tag = input.value.trim();
    if (!tag || tags.includes(tag)) return;
    try {
      await feedback({ id: span.id, tags: [...tags, tag] });
      span.tags = [...tags, tag];
      toast(`Tagged “${tag}”`);
      renderDetail(span);
    } catch (err) { toast(err.message); }
  });
  return el("section", { class: "detail-section", "data-field": "tags" }, el("div", { class: "head" }, el("h3", { text: "Tags" })), form);
}

function commentsSection(span) {
  const mine = current.comments.filter((c) => c.origin?.id === span.id);
  const text = el("textarea", { rows: "2", placeholder: "Write a comment", "aria-label": "Comment", style: "width:100%" });
  const form = el("form", { class: "stack" }, text, el("div", {}, el("button", { type: "submit", class: "btn small", text: "Comment" })));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = text.value.trim();
    if (!body) return;
    try {
      await feedback({ id: span.id, comment: body });
      current.comments.push({ id: `local-${Date.now()}`, created: new Date().toISOString(), comment: { text: body }, origin: { id: span.id } });
      toast("Comment added");
      renderDetail(span);
    } catch (err) { toast(err.message); }
  });
  return el("section", { class: "detail-section comments", "data-field": "comments" }, el("div", { class: "head" }, el("h3", { text: `Comments (${mine.length})` })),
    mine.map((c) => el("div", { class: "comment" }, el("div", { class: "muted small", text: fmtTime(c.created) }), el("div", { text: c.comment?.text ?? JSON.stringify(c.comment) }))), form);
}

let datasetCache = null;
function datasetSection(span) {
  if (!features.datasets) return null;
  const sel = el("select", { "aria-label": "Dataset" }, el("option", { value: "", text: "Choose a dataset…" }));
  const btn = el("button", { type: "button", class: "btn small", text: "Add to dataset" });
  const fill = (list) => list.forEach((d) => sel.append(el("option", { value: d.id, text: d.name })));
  if (datasetCache) fill(datasetCache);
  else api(`/v1/dataset?project=${encodeURIComponent(project.id)}`).then((res) => { datasetCache = res.objects || []; fill(datasetCache); }).catch(() => {});
  btn.addEventListener("click", async () => {
    if (!sel.value) { toast("Choose a dataset first"); return; }
    try {
      await api(`/v1/dataset/${sel.value}/rows`, { method: "POST", body: { rows: [{
        input: span.input, expected: span.output, metadata: { ...(typeof span.metadata === "object" && span.metadata ? span.metadata : {}), source_span_id: span.id },
      }] } });
      toast(`Added to ${sel.options[sel.selectedIndex].text}`);
    } catch (err) { toast(err.message); }
  });
  return el("section", { class: "detail-section", "data-field": "dataset" }, el("div", { class: "head" }, el("h3", { text: "Dataset" })), el("div", { class: "row" }, sel, btn));
}
