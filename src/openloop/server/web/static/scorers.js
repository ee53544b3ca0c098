// Scorers: the list (+ Scorer from a starter) and the editor — an LLM judge (prompt, choice →
// score map, chain of thought, model) or Python code — saved as new versions, with a test run
// of the editor's current definition on a manual input or a dataset row.
import { api, el, fmtNumber, preview, project, toast } from "./app.js";

const $ = (id) => document.getElementById(id);
const parse = (t) => { const s = t.trim(); if (!s) return null; try { return JSON.parse(s); } catch { return t; } };

$("scorers-table")?.addEventListener("click", (e) => {
  if (e.target.closest("a")) return;
  const tr = e.target.closest("tr[data-href]");
  if (tr) window.location.href = tr.dataset.href;
});
$("new-scorer")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = new FormData(e.target);
  const starters = JSON.parse($("scorer-starters").textContent);
  try {
    const obj = await api("/v1/scorer", { method: "POST", body: {
      project_id: project.id, name: form.get("name"), function_data: starters[form.get("type")],
    } });
    window.location.href = `/p/${project.slug}/scorers/${obj.id}`;
  } catch (err) { toast(err.message); }
});

const head = $("scorer-head");
if (head) {
  const scorerId = head.dataset.scorerId;
  let record = JSON.parse($("scorer-data").textContent);
  const showError = (msg) => { $("scorer-error").hidden = !msg; $("scorer-error").textContent = msg || ""; };

  function choiceRow(choice = "", score = "") {
    return el("tr", {},
      el("td", {}, el("input", { type: "text", class: "c-choice", value: choice, "aria-label": "Choice" })),
      el("td", {}, el("input", { type: "number", class: "c-score", min: 0, max: 1, step: 0.05, value: score, "aria-label": "Score" })),
      el("td", {}, el("button", { type: "button", class: "ghost", text: "✕", "aria-label": "Remove choice", onclick: (e) => e.target.closest("tr").remove() })));
  }
  function fill(r) {
    record = r;
    const d = r.function_data || {};
    $("judge-editor").hidden = d.type !== "llm_judge";
    $("code-editor").hidden = d.type !== "code";
    $("builtin-editor").hidden = d.type !== "builtin";
    if (d.type === "llm_judge") {
      $("judge-prompt").value = d.prompt || "";
      $("judge-model").value = d.model || "";
      $("use-cot").checked = d.use_cot !== false;
      $("choices-table").tBodies[0].replaceChildren(...Object.entries(d.choice_scores || {}).map(([c, s]) => choiceRow(c, s)));
    } else if (d.type === "code") {
      $("code-text").value = d.code || "";
    } else if (d.type === "builtin") {
      $("builtin-name").textContent = d.name || "";
    }
    const t = (r.metadata || {}).__pass_threshold;
    $("threshold").value = t ?? "";
  }
  function definition() {
    const d = { ...(record.function_data || {}) };
    if (d.type === "llm_judge") {
      d.prompt = $("judge-prompt").value;
      d.model = $("judge-model").value.trim();
      d.use_cot = $("use-cot").checked;
      d.choice_scores = {};
      for (const tr of $("choices-table").tBodies[0].rows) {
        const c = tr.querySelector(".c-choice").value.trim();
        if (c) d.choice_scores[c] = Number(tr.querySelector(".c-score").value);
      }
    } else if (d.type === "code") {
      d.code = $("code-text").value;
    }
    return d;
  }
  function metadata() {
    const m = { ...(record.metadata || {}) };
    if ($("threshold").value === "") delete m.__pass_threshold;
    else m.__pass_threshold = Number($("threshold").value);
    return m;
  }
  async function save() {
    showError("");
    try {
      const r = await api(`/v1/scorer/${scorerId}/versions`, { method: "POST", body: { function_data: definition(), metadata: metadata() } });
      fill(r);
      toast("Saved a new version");
    } catch (err) { showError(err.message); }
  }

  let source = "manual";
  document.querySelectorAll("[data-source]").forEach((b) => b.addEventListener("click", () => {
    source = b.dataset.source;
    document.querySelectorAll("[data-source]").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
    $("manual-input").hidden = source !== "manual";
    $("dataset-input").hidden = source !== "dataset";
  }));
  $("t-dataset").addEventListener("change", async () => {
    const id = $("t-dataset").value;
    $("t-row").replaceChildren();
    if (!id) return;
    try {
      const res = await api(`/v1/dataset/${id}/rows?limit=200`);
      $("t-row").replaceChildren(...res.rows.map((r) => el("option", { value: r.id, text: preview(r.input, 80) })));
    } catch (err) { toast(err.message); }
  });
  async function runTest() {
    const box = $("test-result");
    box.hidden = false;
    box.replaceChildren(el("span", { class: "muted", text: "Scoring…" }));
    const body = { definition: { name: record.name, function_data: definition(), metadata: metadata() } };
    if (source === "manual") {
      body.input = parse($("t-input").value);
      body.output = parse($("t-output").value);
      body.expected = parse($("t-expected").value);
    } else {
      body.dataset_id = $("t-dataset").value || null;
      body.row_id = $("t-row").value || null;
      body.output = parse($("t-row-output").value);
    }
    try {
      const r = await api("/v1/scorer/test", { method: "POST", body });
      const verdict = r.passed === true ? "pass" : r.passed === false ? "fail" : "";
      box.replaceChildren(el("div", { class: `test-result ${r.error ? "err" : verdict}` },
        r.error ? el("div", { class: "err-text", "data-result": "error", text: r.error })
          : el("div", {}, el("span", { class: "big-number", "data-result": "score", text: fmtNumber(r.score, 3) }),
            verdict ? el("span", { class: `tag ${verdict}`, text: verdict }) : ""),
        r.metadata && Object.keys(r.metadata).length ? el("pre", { class: "json", text: JSON.stringify(r.metadata, null, 2) }) : ""));
    } catch (err) { box.replaceChildren(el("div", { class: "alert", "data-result": "error", text: err.message })); }
  }
  $("add-choice").addEventListener("click", () => $("choices-table").tBodies[0].append(choiceRow()));
  $("save-scorer")?.addEventListener("click", save);
  $("run-test").addEventListener("click", runTest);
  document.addEventListener("openloop:loop-context", (e) => { e.detail.page = "scorer"; e.detail.scorer_id = scorerId; });
  fill(record);
}
