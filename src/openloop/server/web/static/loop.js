// The Loop panel on every page: threads and history, streamed answers (safe Markdown), tool
// calls as collapsible cards (result table + Chart tab), approval cards, the message queue
// (send while running; Enter on an empty box interrupts), edit and re-run, the model
// allowlist, auto-accept, per-thread tool switches, "+ Context" and the page's own object
// attached automatically.
import { api, el, preview, project, store, toast } from "./app.js";
import { lineChart, topList } from "./chart.js";
import { renderMarkdown } from "./markdown.js";
import { streamSSE } from "./sse.js";
import { unifiedDiff } from "./textdiff.js";

const body = document.getElementById("loop-panel-body");
const panel = document.getElementById("loop-panel");
const S = {
  available: null, models: [], defaultModel: null, tools: [], thread: null, threads: [],
  stream: null, running: false, pending: new Map(), early: new Map(), sources: [], bubble: null, cards: new Map(),
};
const threadKey = () => `openloop.loop.thread.${project.id || "org"}`;

// ---- shell -----------------------------------------------------------------------------------
const ui = {};
function shell() {
  ui.threads = el("select", { id: "loop-threads", "aria-label": "Loop threads" });
  ui.settings = el("div", { class: "pop-body right", id: "loop-settings", hidden: true },
    el("label", { class: "row small" }, ui.auto = el("input", { type: "checkbox", id: "loop-auto-accept" }), "Auto-accept edits"),
    el("p", { class: "muted small", text: "Changes (saving charts, datasets, scorers…) run without asking." }),
    el("div", { class: "loop-tools-head" }, el("strong", { class: "small", text: "Tools" })),
    el("p", { class: "muted small", text: "Switched-off tools are not offered to the model and their slash commands do not run." }),
    ui.tools = el("div", { id: "loop-tools", class: "loop-tools" }));
  ui.messages = el("div", { id: "loop-messages", class: "loop-messages", "aria-live": "polite" });
  ui.notice = el("div", { id: "loop-notice", class: "loop-notice", hidden: true });
  ui.context = el("div", { id: "loop-context", class: "loop-context" });
  ui.picker = el("div", { class: "pop-body loop-picker", id: "loop-picker", hidden: true },
    ui.pickerFilter = el("input", { type: "search", placeholder: "Find a dataset, experiment, prompt…", "aria-label": "Find a data source" }),
    ui.pickerList = el("div", { class: "loop-picker-list" }));
  ui.queue = el("ul", { id: "loop-queue", class: "loop-queue", hidden: true });
  ui.input = el("textarea", { id: "loop-input", rows: 3, placeholder: "Ask Loop, or type /help  (Enter sends · Shift+Enter new line)", "aria-label": "Message Loop" });
  ui.model = el("select", { id: "loop-model", "aria-label": "Loop model" });
  ui.status = el("span", { id: "loop-status", class: "muted small" });
  body.replaceChildren(
    el("div", { class: "loop-bar" }, ui.threads,
      el("button", { type: "button", class: "btn small", id: "loop-new", text: "New", title: "New thread", onclick: newThread }),
      el("div", { class: "pop" }, el("button", { type: "button", class: "btn small", id: "loop-settings-toggle", title: "Settings", text: "⚙",
        onclick: () => { ui.settings.hidden = !ui.settings.hidden; } }), ui.settings)),
    ui.notice, ui.messages, ui.queue,
    el("div", { class: "loop-compose" },
      el("div", { class: "row loop-context-row" },
        el("div", { class: "pop" }, el("button", { type: "button", class: "btn small", id: "loop-add-context", text: "+ Context", onclick: openPicker }), ui.picker),
        ui.context),
      ui.input,
      el("div", { class: "row" }, ui.model, ui.status, el("span", { class: "spacer" }),
        ui.stop = el("button", { type: "button", class: "btn small", id: "loop-stop", text: "Stop", hidden: true, onclick: interrupt }),
        el("button", { type: "button", class: "btn small primary", id: "loop-send", text: "Send", onclick: () => send() }))));
  ui.threads.addEventListener("change", () => selectThread(ui.threads.value || null));
  ui.auto.addEventListener("change", async () => {
    const t = await ensureThread();
    S.thread = await api(`/v1/loop/threads/${t.id}`, { method: "PATCH", body: { auto_accept: ui.auto.checked } });
    toast(ui.auto.checked ? "Auto-accept is on for this thread" : "Loop will ask before changing anything");
  });
  ui.model.addEventListener("change", async () => {
    if (!S.thread) return;
    S.thread = await api(`/v1/loop/threads/${S.thread.id}`, { method: "PATCH", body: { model: ui.model.value || null } });
  });
  ui.input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.shiftKey || e.isComposing) return;
    e.preventDefault();
    if (!ui.input.value.trim()) { if (S.running) interrupt(); return; }
    send();
  });
  ui.pickerFilter.addEventListener("input", renderPicker);
}

// ---- tool switches (per thread) --------------------------------------------------------------
const TOOL_GROUPS = [["read", "Read"], ["write", "Change (asks for approval)"]];
function renderTools() {
  const off = new Set(S.thread?.disabled_tools || []);
  ui.tools.replaceChildren(...TOOL_GROUPS.map(([kind, label]) => {
    const items = S.tools.filter((t) => t.kind === kind);
    if (!items.length) return null;
    return el("fieldset", { class: "loop-tool-group", "data-kind": kind }, el("legend", { class: "muted small", text: label }),
      items.map((t) => el("label", { class: "loop-tool small", title: t.description },
        el("input", { type: "checkbox", "data-tool": t.name, checked: !off.has(t.name), onchange: toggleTool }),
        el("span", { text: t.name.replace(/_/g, " ") }), t.command ? el("code", { class: "muted", text: t.command }) : null)));
  }).filter(Boolean));
}
async function toggleTool() {
  const boxes = [...ui.tools.querySelectorAll("input[data-tool]")];
  const disabled = boxes.filter((b) => !b.checked).map((b) => b.dataset.tool);
  try {
    const t = await ensureThread();
    S.thread = await api(`/v1/loop/threads/${t.id}`, { method: "PATCH", body: { disabled_tools: disabled } });
  } catch (err) { toast(err.message); }
  renderTools();
}

// ---- page context and data sources -----------------------------------------------------------
function pageContext() {
  const detail = { page: document.body.dataset.page || "" };
  if (project.id) detail.project = project.id;
  const q = document.getElementById("query-text") || document.getElementById("quick-filter");
  if (q && q.value.trim()) detail.query = q.value.trim();
  document.dispatchEvent(new CustomEvent("openloop:loop-context", { detail }));
  return detail;
}
function renderContext() {
  const page = pageContext();
  const obj = ["experiment_id", "dataset_id", "prompt_id", "scorer_id"].find((k) => page[k]);
  const chips = [el("span", { class: "tag ctx-page", title: "Attached automatically", text: `page: ${page.page}${obj ? ` · ${obj.replace("_id", "")}` : ""}${page.query ? " · query" : ""}` })];
  S.sources.forEach((s, i) => chips.push(el("span", { class: "tag ctx-source", "data-kind": s.kind }, `${s.kind}: ${s.name}`,
    el("button", { type: "button", class: "ghost", "aria-label": `Remove ${s.name}`, text: "✕", onclick: () => { S.sources.splice(i, 1); renderContext(); } }))));
  ui.context.replaceChildren(...chips);
}
async function openPicker() {
  ui.picker.hidden = !ui.picker.hidden;
  if (ui.picker.hidden || !project.id) return;
  if (!S.candidates) {
    try { S.candidates = (await api(`/ui/api/loop/sources?project=${encodeURIComponent(project.id)}`)).objects; } catch { S.candidates = []; }
  }
  renderPicker();
  ui.pickerFilter.focus();
}
function renderPicker() {
  const q = ui.pickerFilter.value.trim().toLowerCase();
  const items = (S.candidates || []).filter((c) => !q || `${c.kind} ${c.name}`.toLowerCase().includes(q));
  ui.pickerList.replaceChildren(...(items.length ? items.map((c) => el("button", { type: "button", class: "ghost picker-item", "data-kind": c.kind, "data-id": c.id,
    onclick: () => { if (!S.sources.some((s) => s.id === c.id)) S.sources.push(c); ui.picker.hidden = true; renderContext(); } },
  el("span", { class: "muted small", text: c.kind }), " ", c.name)) : [el("p", { class: "muted small", text: "Nothing to attach." })]));
}

// ---- threads ---------------------------------------------------------------------------------
async function loadThreads() {
  const q = project.id ? `?project=${encodeURIComponent(project.id)}` : "";
  S.threads = (await api(`/v1/loop/threads${q}`)).objects || [];
  ui.threads.replaceChildren(el("option", { value: "", text: "New conversation" }),
    ...S.threads.map((t) => el("option", { value: t.id, text: t.title || `Thread ${t.created.slice(0, 16).replace("T", " ")}` })));
}
async function ensureThread() {
  if (S.thread) return S.thread;
  const first = ui.input.value.trim().slice(0, 60);
  S.thread = await api("/v1/loop/threads", { method: "POST", body: { project: project.id || null, title: first, model: ui.model.value || null } });
  store.set(threadKey(), S.thread.id);
  await loadThreads();
  ui.threads.value = S.thread.id;
  subscribe(S.thread.state?.last_event_id ?? 0);
  return S.thread;
}
function newThread() {
  stopStream();
  S.thread = null;
  S.bubble = null;
  ui.threads.value = "";
  ui.messages.replaceChildren();
  ui.queue.hidden = true;
  S.pending.clear();
  setRunning(false);
  renderTools();
  store.set(threadKey(), null);
  ui.input.focus();
}
async function selectThread(id) {
  if (!id) { newThread(); return; }
  stopStream();
  try {
    S.thread = await api(`/v1/loop/threads/${id}`);
  } catch { newThread(); return; }
  store.set(threadKey(), id);
  ui.threads.value = id;
  ui.auto.checked = S.thread.auto_accept === true;
  renderTools();
  if (S.thread.model) ui.model.value = S.thread.model;
  const msgs = (await api(`/v1/loop/threads/${id}/messages`)).objects || [];
  ui.messages.replaceChildren();
  S.bubble = null;
  S.cards.clear();
  msgs.forEach(renderStored);
  scrollDown();
  setRunning(!!S.thread.state?.running);
  subscribe(S.thread.state?.last_event_id ?? 0);
}

// ---- rendering -------------------------------------------------------------------------------
function scrollDown() {
  ui.messages.scrollTop = ui.messages.scrollHeight;
  const d = ui.notice.querySelector("details");
  if (d && ui.messages.childElementCount) d.open = false;
}
function userBubble(text, seq) {
  const node = el("div", { class: "loop-msg user", "data-seq": seq ?? "" }, el("div", { class: "loop-text", text }));
  if (seq !== null && seq !== undefined) {
    node.append(el("button", { type: "button", class: "ghost small loop-edit", text: "Edit", title: "Edit and re-run", onclick: () => editMessage(node, text, seq) }));
  }
  ui.messages.append(node);
  return node;
}
function assistantBubble(status) {
  const node = el("div", { class: `loop-msg assistant ${status || ""}` }, el("div", { class: "loop-md" }));
  node._text = "";
  ui.messages.append(node);
  return node;
}
function setBubbleText(node, text) {
  node._text = text;
  node.querySelector(".loop-md").innerHTML = renderMarkdown(text);
}
function toolTitle(name, args) {
  const a = args || {};
  if (name === "run_query" || name === "search_traces") return `Searched ${preview(a.query || a.text || "the logs", 70)}`;
  if (name === "search_docs") return `Searched the docs for ${preview(a.query || "", 60)}`;
  return `Ran ${name.replace(/_/g, " ")}`;
}
function toolCard(callId, name, args) {
  const card = el("details", { class: "loop-card tool", "data-call": callId, "data-tool": name },
    el("summary", {}, el("span", { class: "loop-card-title", text: toolTitle(name, args) }), el("span", { class: "muted small loop-card-state", text: "running…" })),
    el("div", { class: "loop-card-body" }, el("pre", { class: "json small", text: JSON.stringify(args || {}, null, 2) })));
  ui.messages.append(card);
  S.cards.set(callId, card);
  S.bubble = null;
  return card;
}
function rowsOf(data) {
  if (Array.isArray(data) && data.length && typeof data[0] === "object") return data;
  if (data && typeof data === "object") {
    for (const k of ["rows", "traces", "data", "series"]) if (Array.isArray(data[k]) && data[k].length && typeof data[k][0] === "object") return data[k];
  }
  return null;
}
function chartFor(rows) {
  const cols = Object.keys(rows[0] || {});
  const num = cols.filter((c) => rows.every((r) => r[c] === null || typeof r[c] === "number") && rows.some((r) => typeof r[c] === "number"));
  if (!num.length) return null;
  const time = cols.find((c) => !num.includes(c) && rows.every((r) => typeof r[c] === "string" && !Number.isNaN(Date.parse(r[c])) && /\d{4}-\d\d-\d\d/.test(r[c])));
  if (time) {
    return lineChart(num.slice(0, 4).map((c) => ({ name: c, points: rows.map((r) => ({ t: new Date(r[time]), v: r[c] })) })), { unit: "count" });
  }
  const label = cols.find((c) => !num.includes(c));
  return topList(rows.map((r) => ({ label: label ? String(r[label]) : "", v: r[num[0]] })), "count");
}
function resultView(data, text, display) {
  const rows = rowsOf(data);
  const textNode = el("div", { class: "loop-md" });
  textNode.innerHTML = renderMarkdown(text || "");
  if (!rows || display === "markdown") return textNode;
  const cols = Object.keys(rows[0]).slice(0, 8);
  const tableNode = el("div", { class: "loop-table" }, el("table", { class: "dense" },
    el("thead", {}, el("tr", {}, cols.map((c) => el("th", { text: c })))),
    el("tbody", {}, rows.slice(0, 50).map((r) => el("tr", {}, cols.map((c) => el("td", { class: "trunc", text: preview(r[c], 60) })))))));
  const chart = chartFor(rows);
  const views = { Table: tableNode, Text: textNode };
  if (chart) views.Chart = el("div", { class: "chart loop-chart" }, chart);
  const box = el("div", {});
  const tabs = el("div", { class: "seg small loop-tabs", role: "group" }, Object.keys(views).map((name, i) => el("button", { type: "button", "data-view": name, "aria-pressed": String(i === 0), text: name,
    onclick: (e) => { tabs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b === e.target))); box.replaceChildren(views[name]); } })));
  box.append(views.Table);
  return el("div", {}, tabs, box);
}
function finishCard(callId, name, text, data, display) {
  const card = S.cards.get(callId) || toolCard(callId, name, {});
  card.querySelector(".loop-card-state").textContent = display === "error" ? "failed" : "";
  if (display === "error") card.classList.add("failed");
  card.querySelector(".loop-card-body").append(resultView(data, text, display));
}
function approvalCard(a, status = "pending") {
  const card = el("div", { class: `loop-card approval ${status}`, "data-approval": a.id },
    el("div", { class: "loop-card-title" }, el("strong", { text: "Approve this change?" })),
    el("div", { class: "approval-desc", text: a.description || a.tool }),
    a.diff ? unifiedDiff(a.diff) : null,
    el("details", {}, el("summary", { class: "muted small", text: `${a.tool} arguments` }), el("pre", { class: "json small", text: JSON.stringify(a.args || {}, null, 2) })),
    el("div", { class: "row approval-actions" },
      status === "pending"
        ? [el("button", { type: "button", class: "btn small primary", "data-decision": "approve", text: "Approve", onclick: () => decide(a.id, "approve", card) }),
          el("button", { type: "button", class: "btn small danger", "data-decision": "reject", text: "Reject", onclick: () => decide(a.id, "reject", card) })]
        : el("span", { class: "approval-status", text: status })));
  ui.messages.append(card);
  S.bubble = null;
  return card;
}
function markDecision(card, status) {
  if (!card) return;
  card.className = `loop-card approval ${status}`;
  card.querySelector(".approval-actions").replaceChildren(el("span", { class: "approval-status", text: status }));
}
function choicesCard(d) {
  const card = el("div", { class: "loop-card choices" }, el("div", { text: d.question || "Which one?" }),
    el("div", { class: "row" }, (d.choices || []).map((c) => el("button", { type: "button", class: "btn small", text: c.name || c.id,
      onclick: () => {
        if (c.kind && c.id && !S.sources.some((s) => s.id === c.id)) S.sources.push({ kind: c.kind, id: c.id, name: c.name || c.id });
        renderContext();
        send(`Use ${c.kind || ""} ${c.name || c.id}`.replace(/\s+/g, " "));
      } }))));
  ui.messages.append(card);
}
function renderStored(m) {
  const c = m.content || {};
  if (m.role === "user") userBubble(c.text, m.seq);
  else if (m.role === "assistant") setBubbleText(assistantBubble(m.status), c.text || "");
  else if (m.role === "tool") {
    toolCard(c.call_id, c.tool, c.args);
    const r = c.result || {};
    finishCard(c.call_id, c.tool, r.text, r.data, m.status === "error" ? "error" : r.display);
  } else if (m.role === "approval") approvalCard({ id: c.id || `${S.thread.id}.${m.seq}`, tool: c.tool, description: c.description, diff: c.diff, args: c.args }, m.status);
}

// ---- events ----------------------------------------------------------------------------------
function onEvent(type, d) {
  if (type === "queued") renderQueue();
  else if (type === "turn_start") {
    S.bubble = null;
    if (d.kind === "message") {
      const text = S.pending.get(d.turn_id);
      S.pending.delete(d.turn_id);
      renderQueue();
      const node = userBubble(text ?? "…", d.seq);
      // The POST may answer after the turn started; it then fills in the text.
      if (text === undefined) S.early.set(d.turn_id, node);
    }
    setRunning(true);
  } else if (type === "text_delta") {
    if (!S.bubble) S.bubble = assistantBubble();
    setBubbleText(S.bubble, S.bubble._text + (d.text || ""));
  } else if (type === "tool_call") toolCard(d.call_id, d.name, d.args);
  else if (type === "tool_result") finishCard(d.call_id, d.name, d.text, d.data, d.display);
  else if (type === "choices") choicesCard(d);
  else if (type === "approval_request") approvalCard(d);
  else if (type === "approval_decision") markDecision(ui.messages.querySelector(`[data-approval="${CSS.escape(d.id)}"]`), d.decision);
  else if (type === "error") ui.messages.append(el("div", { class: "loop-msg error alert", text: d.message }));
  else if (type === "done") {
    S.bubble = null;
    if (d.status === "interrupted") ui.messages.append(el("div", { class: "muted small loop-note", text: "Interrupted." }));
    if (d.status === "awaiting_approval") ui.status.textContent = "Waiting for your approval";
    setRunning(S.pending.size > 0);
    if (d.status !== "awaiting_approval") ui.status.textContent = "";
  }
  scrollDown();
}
function stopStream() { if (S.stream) { S.stream.abort(); S.stream = null; } }
function subscribe(after) {
  stopStream();
  const thread = S.thread;
  const ctrl = new AbortController();
  S.stream = ctrl;
  const go = (from) => streamSSE(`/v1/loop/threads/${thread.id}/events?after=${from}`, {
    method: "GET", signal: ctrl.signal, onEvent: (type, data, id) => { if (id) last = id; onEvent(type, data || {}); },
  }).then(() => { if (!ctrl.signal.aborted && S.thread === thread) setTimeout(() => go(last), 500); })
    .catch(() => { if (!ctrl.signal.aborted && S.thread === thread) setTimeout(() => go(last), 1500); });
  let last = after || 0;
  go(last);
}

// ---- actions ---------------------------------------------------------------------------------
function setRunning(on) {
  S.running = on;
  ui.stop.hidden = !on;
  ui.status.textContent = on ? "Working…" : ui.status.textContent;
}
function renderQueue() {
  const items = [...S.pending.values()];
  ui.queue.hidden = !items.length || !S.running;
  ui.queue.replaceChildren(...items.map((t) => el("li", { class: "small", text: `Queued: ${preview(t, 90)}` })));
}
function claim(jobId, text) {
  const early = S.early.get(jobId);
  if (!early) { S.pending.set(jobId, text); return; }
  S.early.delete(jobId);
  const seq = early.dataset.seq;
  early.replaceWith(userBubble(text, seq === "" ? null : Number(seq)));
}
async function send(textArg, extraSources = []) {
  const text = (textArg ?? ui.input.value).trim();
  if (!text || S.available === false) return;
  const sources = [...S.sources, ...extraSources].map((s) => ({ kind: s.kind, id: s.id }));
  try {
    const t = await ensureThread();
    if (textArg === undefined) ui.input.value = "";
    const res = await api(`/v1/loop/threads/${t.id}/messages`, { method: "POST", body: { content: text, page: pageContext(), data_sources: sources } });
    claim(res.id, text);
    if (res.position > 0) { setRunning(true); renderQueue(); }
  } catch (err) { toast(err.message); }
}
async function interrupt() {
  if (!S.thread) return;
  try { await api(`/v1/loop/threads/${S.thread.id}/interrupt`, { method: "POST" }); } catch (err) { toast(err.message); }
}
async function decide(id, decision, card) {
  try {
    await api(`/v1/loop/approvals/${encodeURIComponent(id)}`, { method: "POST", body: { decision } });
    markDecision(card, decision === "approve" ? "approved" : "rejected");
  } catch (err) { toast(err.message); }
}
function editMessage(node, text, seq) {
  const area = el("textarea", { class: "loop-edit-box", rows: 3 });
  area.value = text;
  const done = async () => {
    const value = area.value.trim();
    if (!value || !S.thread) return;
    let n = node;
    while (n) { const next = n.nextSibling; n.remove(); n = next; }
    S.bubble = null;
    try {
      const res = await api(`/v1/loop/threads/${S.thread.id}/messages/${seq}/edit`, { method: "POST", body: { content: value } });
      claim(res.id, value);
    } catch (err) { toast(err.message); }
  };
  area.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); done(); } });
  node.replaceChildren(area, el("div", { class: "row" }, el("button", { type: "button", class: "btn small primary", text: "Re-run", onclick: done }),
    el("button", { type: "button", class: "btn small", text: "Cancel", onclick: () => { node.replaceChildren(el("div", { class: "loop-text", text })); } })));
  area.focus();
}

// ---- startup ---------------------------------------------------------------------------------
async function init() {
  try {
    const m = await api("/v1/loop/models");
    S.models = m.models || [];
    S.defaultModel = m.default || null;
    S.tools = (await api("/v1/loop/tools")).objects || [];
  } catch (err) {
    S.available = false;
    body.replaceChildren(el("p", { class: "muted", text: err.status === 404 ? "Loop chat is not available on this server." : `Loop is unavailable: ${err.message}` }));
    return;
  }
  S.available = true;
  const names = S.models.length ? S.models : S.defaultModel ? [S.defaultModel] : [];
  ui.model.replaceChildren(...(names.length ? names.map((n) => el("option", { value: n, text: n, selected: n === S.defaultModel }))
    : [el("option", { value: "", text: "No model · slash commands only" })]));
  ui.model.disabled = !names.length;
  if (!names.length) {
    const cmds = S.tools.filter((t) => t.command);
    const list = el("div", {});
    list.innerHTML = renderMarkdown("Loop runs slash commands only until an admin adds a provider in "
      + "Settings → AI providers.\n\n- `/help` — list the commands\n"
      + cmds.map((t) => `- \`${t.command}\` — ${t.description.split(". ")[0]}`).join("\n"));
    ui.notice.hidden = false;
    ui.notice.replaceChildren(el("details", { open: true }, el("summary", { text: "No AI model is configured for Loop yet" }), list));
  }
  renderContext();
  renderTools();
  await loadThreads();
  const saved = store.get(threadKey());
  if (saved && S.threads.some((t) => t.id === saved)) await selectThread(saved);
}

let started = false;
shell();
document.addEventListener("openloop:loop", (e) => {
  if (!e.detail.open) return;
  if (!started) { started = true; init(); }
  renderContext();
  setTimeout(() => ui.input.focus(), 0);
});
document.addEventListener("openloop:loop-send", async (e) => {
  if (panel.hidden) document.getElementById("loop-button")?.click();
  if (!started) { started = true; await init(); }
  send(e.detail.text, e.detail.data_sources || []);
});
