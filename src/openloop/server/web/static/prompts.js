// Prompts: the list (+ Prompt) and the editor — messages, model, parameters, response format;
// save writes a new version; versions with a diff between two; "Try it" invokes the prompt
// with the template's variables and streams the answer.
import { api, el, fmtTime, project, toast } from "./app.js";
import { streamSSE } from "./sse.js";
import { unifiedDiff } from "./textdiff.js";

const $ = (id) => document.getElementById(id);
const ROLES = ["system", "user", "assistant", "tool"];

$("prompts-table")?.addEventListener("click", (e) => {
  if (e.target.closest("a")) return;
  const tr = e.target.closest("tr[data-href]");
  if (tr) window.location.href = tr.dataset.href;
});
$("new-prompt")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = new FormData(e.target).get("name");
  try {
    const obj = await api("/v1/prompt", { method: "POST", body: {
      name, project: project.id, model: "gpt-4o-mini",
      messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: "{{input}}" }],
    } });
    window.location.href = `/p/${project.slug}/prompts/${obj.id}`;
  } catch (err) { toast(err.message); }
});

const head = $("prompt-head");
if (head) {
  const promptId = head.dataset.promptId;
  const state = { prompt: null, running: null };
  const showError = (msg) => { $("prompt-error").hidden = !msg; $("prompt-error").textContent = msg || ""; };

  function messageNode(m) {
    const role = el("select", { class: "msg-role", "aria-label": "Role" }, ROLES.map((r) => el("option", { value: r, text: r })));
    role.value = ROLES.includes(m.role) ? m.role : "user";
    const content = el("textarea", { class: "code msg-content", rows: 3, spellcheck: "false", "aria-label": "Content" });
    content.value = typeof m.content === "string" ? m.content : JSON.stringify(m.content);
    content.addEventListener("input", renderVariables);
    const remove = el("button", { type: "button", class: "ghost", title: "Remove message", "aria-label": "Remove message", text: "✕",
      onclick: () => { node.remove(); renderVariables(); } });
    const node = el("div", { class: "msg-edit" }, el("div", { class: "row" }, role, el("span", { class: "spacer" }), remove), content);
    return node;
  }
  function fill(p) {
    state.prompt = p;
    const data = p.prompt_data || {};
    const opts = data.options || {};
    const params = opts.params || {};
    $("messages").replaceChildren(...((data.prompt || {}).messages || []).map(messageNode));
    $("model").value = opts.model || "";
    $("temperature").value = params.temperature ?? "";
    $("max-tokens").value = params.max_tokens ?? "";
    const rf = data.response_format || params.response_format || null;
    $("response-format").value = rf && rf.type === "json_schema" ? "json_schema" : "text";
    $("json-schema").value = rf && rf.json_schema ? JSON.stringify(rf.json_schema, null, 2) : "";
    $("schema-box").hidden = $("response-format").value !== "json_schema";
    $("version-label").textContent = `version ${p.version}`;
    renderVariables();
  }
  function collect() {
    const messages = [...$("messages").querySelectorAll(".msg-edit")].map((n) => ({
      role: n.querySelector(".msg-role").value, content: n.querySelector(".msg-content").value,
    }));
    const params = {};
    if ($("temperature").value !== "") params.temperature = Number($("temperature").value);
    if ($("max-tokens").value !== "") params.max_tokens = Number($("max-tokens").value);
    let response_format = { type: "text" };
    if ($("response-format").value === "json_schema") {
      let schema;
      try { schema = JSON.parse($("json-schema").value || "{}"); } catch { throw new Error("the JSON schema is not valid JSON"); }
      response_format = { type: "json_schema", json_schema: schema };
    }
    return { messages, model: $("model").value.trim() || null, params, response_format };
  }

  function variables() {
    const names = new Set();
    for (const t of $("messages").querySelectorAll(".msg-content")) {
      for (const m of t.value.matchAll(/\{\{\{?\s*([#^/!>&]?)\s*([A-Za-z_][\w.]*)\s*\}?\}\}/g)) {
        if (!m[1] || m[1] === "#" || m[1] === "^" || m[1] === "&") names.add(m[2].split(".")[0]);
      }
    }
    return [...names];
  }
  function renderVariables() {
    const box = $("variables");
    const old = Object.fromEntries([...box.querySelectorAll("textarea")].map((t) => [t.name, t.value]));
    const names = variables();
    box.replaceChildren(...(names.length ? names.map((n) => el("label", { class: "field" }, `{{${n}}}`,
      (() => { const t = el("textarea", { name: n, rows: 2, class: "code var-input", spellcheck: "false", placeholder: "text or JSON" }); t.value = old[n] || ""; return t; })()))
      : [el("p", { class: "muted small", text: "This prompt has no {{variables}}." })]));
  }
  function inputs() {
    const out = {};
    for (const t of $("variables").querySelectorAll("textarea")) {
      const s = t.value.trim();
      try { out[t.name] = s ? JSON.parse(s) : ""; } catch { out[t.name] = t.value; }
    }
    return out;
  }

  async function load() {
    try { fill(await api(`/v1/prompt/${promptId}`)); loadVersions(); } catch (err) { showError(err.message); }
  }
  async function save() {
    showError("");
    try {
      const p = await api(`/v1/prompt/${promptId}/versions`, { method: "POST", body: collect() });
      toast(`Saved version ${p.version}`);
      fill(p);
      loadVersions();
    } catch (err) { showError(err.message); }
  }
  async function loadVersions() {
    const res = await api(`/v1/prompt/${promptId}/versions`);
    const vs = res.versions || [];
    $("versions-table").tBodies[0].replaceChildren(...vs.map((v, i) => el("tr", { "data-version": v.version },
      el("td", {}, el("input", { type: "radio", name: "diff-from", value: v.version, checked: i === 1 || (vs.length === 1 && i === 0), "aria-label": "Diff from" })),
      el("td", {}, el("input", { type: "radio", name: "diff-to", value: v.version, checked: i === 0, "aria-label": "Diff to" })),
      el("td", {}, el("div", { class: "mono small", text: v.version }), el("div", { class: "muted small", text: fmtTime(v.created) })),
      el("td", { class: "small", text: v.model || "" }))));
  }
  async function showDiff() {
    const from = document.querySelector("input[name=diff-from]:checked")?.value;
    const to = document.querySelector("input[name=diff-to]:checked")?.value;
    if (!from || !to) return;
    try {
      const d = await api(`/v1/prompt/${promptId}/diff?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
      $("diff-out").replaceChildren(d.diff ? unifiedDiff(d.diff) : el("p", { class: "muted", text: "No differences." }));
    } catch (err) { toast(err.message); }
  }

  async function run() {
    if (state.running) { state.running.abort(); return; }
    const out = $("run-output");
    out.hidden = false;
    out.textContent = "";
    out.classList.remove("err-text");
    $("run-meta").textContent = "Running…";
    $("run-prompt").textContent = "Stop";
    state.running = new AbortController();
    try {
      await streamSSE(`/v1/prompt/${promptId}/invoke`, {
        body: { input: inputs(), stream: true }, signal: state.running.signal,
        onEvent: (type, data) => {
          if (type === "text_delta") out.textContent += data;
          else if (type === "done") {
            if (!out.textContent && data.output) out.textContent = typeof data.output === "string" ? data.output : JSON.stringify(data.output, null, 2);
            const u = data.usage || {};
            $("run-meta").textContent = `${data.model || ""} · version ${data.version}${u.input_tokens !== undefined ? ` · ${u.input_tokens}+${u.output_tokens} tokens` : ""}`;
          } else if (type === "error") { out.classList.add("err-text"); out.textContent += `\n${data.message}`; $("run-meta").textContent = "Failed"; }
        },
      });
    } catch (err) {
      if (err.name !== "AbortError") { out.classList.add("err-text"); out.textContent = err.message; $("run-meta").textContent = "Failed"; }
    } finally {
      state.running = null;
      $("run-prompt").textContent = "Run";
    }
  }

  $("add-message").addEventListener("click", () => { $("messages").append(messageNode({ role: "user", content: "" })); });
  $("response-format").addEventListener("change", () => { $("schema-box").hidden = $("response-format").value !== "json_schema"; });
  $("save-version")?.addEventListener("click", save);
  $("show-diff").addEventListener("click", showDiff);
  $("run-prompt").addEventListener("click", run);
  document.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "s" && $("save-version")) { e.preventDefault(); save(); }
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); run(); }
  });
  document.addEventListener("openloop:loop-context", (e) => { e.detail.page = "prompt"; e.detail.prompt_id = promptId; });
  load();
}
