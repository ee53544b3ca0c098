// The Playground: prompts × dataset × scorers. "Run all" streams each (row, prompt) result
// into the grid with its scores; diff mode shows each output against the first prompt's;
// "Save as experiment" runs again keeping each prompt's run; "Tune scorer" sends the rows
// the user selected, with the verdict they expected, to Loop.
import { api, el, fmtNumber, preview, project, toast } from "./app.js";
import { streamSSE } from "./sse.js";
import { inlineDiff } from "./textdiff.js";

const $ = (id) => document.getElementById(id);
const outText = (v) => (v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));
const state = { rows: [], prompts: [], results: new Map(), running: null, scorerNames: [], lastRun: null };

const chosen = (name) => [...document.querySelectorAll(`input[name=${name}]:checked`)];
const thresholds = () => Object.fromEntries(chosen("scorer").map((c) => [c.dataset.name, c.dataset.threshold === "" ? 0.5 : Number(c.dataset.threshold)]));
const key = (rowId, pi) => `${rowId}:${pi}`;

function header() {
  $("pg-grid").tHead.rows[0].replaceChildren(
    el("th", {}, el("input", { type: "checkbox", id: "select-all", "aria-label": "Select all rows" })),
    el("th", { text: "Input" }), el("th", { text: "Expected" }),
    ...state.prompts.map((p) => el("th", { text: p.name })));
  $("select-all").addEventListener("change", (e) => {
    document.querySelectorAll(".row-pick").forEach((c) => { c.checked = e.target.checked; });
    updateTune();
  });
}
function scoreChips(result) {
  const th = thresholds();
  return Object.entries(result.scores || {}).map(([n, v]) => {
    const pass = v === null || v === undefined ? null : v >= (th[n] ?? 0.5);
    return el("span", { class: `score ${pass === null ? "" : pass ? "pass" : "fail"}`, "data-score": n }, `${n} `, el("b", { text: v === null || v === undefined ? "–" : fmtNumber(v, 2) }));
  });
}
function cell(rowId, pi) {
  const r = state.results.get(key(rowId, pi));
  const td = el("td", { class: "pg-cell", "data-prompt": String(pi) });
  if (!r) { td.append(el("span", { class: "muted", text: state.running ? "…" : "" })); return td; }
  const base = state.results.get(key(rowId, 0));
  const body = $("diff-mode").checked && pi > 0 && base
    ? inlineDiff(outText(base.output), outText(r.output))
    : el("div", { class: "pg-output", text: outText(r.output) });
  td.append(body);
  if (r.error) td.append(el("div", { class: "err-text small", text: preview(r.error, 200) }));
  td.append(el("div", { class: "pg-scores" }, scoreChips(r)));
  return td;
}
function renderRow(rowId) {
  const row = state.rows.find((r) => r.id === rowId);
  if (!row) return;
  const old = $("pg-grid").querySelector(`tr[data-id="${rowId}"]`);
  const picked = old?.querySelector(".row-pick")?.checked || false;
  const tr = el("tr", { "data-id": rowId },
    el("td", {}, el("input", { type: "checkbox", class: "row-pick", checked: picked, "aria-label": "Select row" })),
    el("td", { class: "trunc", title: outText(row.input).slice(0, 2000), text: preview(row.input, 120) }),
    el("td", { class: "trunc", title: outText(row.expected).slice(0, 2000), text: preview(row.expected, 120) }),
    ...state.prompts.map((_, pi) => cell(rowId, pi)));
  if (old) old.replaceWith(tr); else $("pg-grid").tBodies[0].append(tr);
}
function renderAll() {
  header();
  $("pg-grid").tBodies[0].replaceChildren();
  state.rows.forEach((r) => renderRow(r.id));
}
function updateTune() {
  $("tune-scorer").disabled = !document.querySelector(".row-pick:checked") || !state.results.size;
}

async function run({ save = null } = {}) {
  if (state.running) { state.running.abort(); return; }
  const prompts = chosen("prompt").map((c) => c.value);
  const dataset = $("pick-dataset").value;
  if (!prompts.length || !dataset) { toast("Pick at least one prompt and a dataset"); return; }
  $("pg-error").hidden = true;
  $("pg-meta").textContent = "Loading rows…";
  try {
    state.rows = (await api(`/v1/dataset/${dataset}/rows?limit=1000`)).rows;
  } catch (err) { $("pg-error").hidden = false; $("pg-error").textContent = err.message; return; }
  state.prompts = chosen("prompt").map((c) => ({ id: c.value, name: c.dataset.name }));
  state.results.clear();
  state.running = new AbortController();
  $("run-all").textContent = "Stop";
  renderAll();
  let done = 0;
  const total = state.rows.length * prompts.length;
  const body = { project: project.id, prompts, dataset_id: dataset, scorers: chosen("scorer").map((c) => c.value) };
  if (save) body.save_as_experiment = save;
  try {
    await streamSSE("/v1/playground/run", {
      body, signal: state.running.signal,
      onEvent: (type, data) => {
        if (type === "start") {
          state.prompts = data.prompts.map((p) => ({ id: prompts[p.index], name: p.name }));
          header();
        } else if (type === "row") {
          state.results.set(key(data.row_id, data.prompt_index), data);
          done += 1;
          $("pg-meta").textContent = `${done} / ${total} results`;
          renderRow(data.row_id);
        } else if (type === "done") {
          $("pg-summary").replaceChildren(...data.summaries.map((s) => el("span", { class: "pg-sum" }, el("b", { text: s.prompt }), " ",
            Object.values(s.scores || {}).map((sc) => `${sc.name} ${fmtNumber((sc.score ?? 0) * 100, 1)}%`).join(" · "))));
          const ids = (data.experiment_ids || []).filter(Boolean);
          if (ids.length) {
            toast(`Saved ${ids.length} experiment${ids.length === 1 ? "" : "s"}`);
            $("pg-meta").replaceChildren(`${done} results · saved: `, ...ids.map((id) => el("a", { href: `/p/${project.slug}/experiments/${id}`, class: "saved-exp", text: id.slice(0, 8) + " " })));
          }
        } else if (type === "error") {
          $("pg-error").hidden = false;
          $("pg-error").textContent = data.message;
        }
      },
    });
    state.lastRun = body;
    if ($("save-experiment")) $("save-experiment").disabled = false;
  } catch (err) {
    if (err.name !== "AbortError") { $("pg-error").hidden = false; $("pg-error").textContent = err.message; }
  } finally {
    state.running = null;
    $("run-all").textContent = "Run all";
    state.rows.forEach((r) => { if (!state.results.has(key(r.id, 0))) renderRow(r.id); });
    updateTune();
  }
}

// ---- tune scorer -----------------------------------------------------------------------------
function openTune() {
  const names = [...new Set([...state.results.values()].flatMap((r) => Object.keys(r.scores || {})))];
  if (!names.length) { toast("Run with at least one scorer first"); return; }
  $("tune-scorer-name").replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
  fillTuneRows();
  $("tune-dialog").showModal();
}
function fillTuneRows() {
  const name = $("tune-scorer-name").value;
  const th = thresholds()[name] ?? 0.5;
  const picked = [...document.querySelectorAll(".row-pick:checked")].map((c) => c.closest("tr").dataset.id);
  $("tune-rows").tBodies[0].replaceChildren(...picked.flatMap((rowId) => state.prompts.map((_, pi) => {
    const r = state.results.get(key(rowId, pi));
    if (!r || !(name in (r.scores || {}))) return null;
    const said = r.scores[name];
    const sel = el("select", { class: "tune-expected", "aria-label": "Expected verdict" },
      el("option", { value: "pass", text: "pass (1)" }), el("option", { value: "fail", text: "fail (0)" }));
    sel.value = said !== null && said >= th ? "fail" : "pass"; // the user says the verdict was wrong
    return el("tr", { "data-id": rowId, "data-prompt": String(pi) },
      el("td", { class: "trunc", text: preview(r.input, 60) }), el("td", { class: "trunc", text: preview(r.output, 60) }),
      el("td", { text: said === null || said === undefined ? "–" : fmtNumber(said, 2) }), el("td", {}, sel));
  }).filter(Boolean)));
}
function sendTune() {
  const name = $("tune-scorer-name").value;
  const rows = [...$("tune-rows").tBodies[0].rows].map((tr) => {
    const r = state.results.get(key(tr.dataset.id, Number(tr.dataset.prompt)));
    return { dataset_row_id: tr.dataset.id, input: r.input, output: r.output, expected: r.expected,
      scorer_score: r.scores[name], expected_classification: tr.querySelector(".tune-expected").value };
  });
  if (!rows.length) { toast("No selected row has a score from this scorer"); return; }
  const note = $("tune-note").value.trim();
  const text = `Tune the scorer "${name}": on these ${rows.length} playground row(s) its verdict was wrong. `
    + "Each row has the score it gave and the classification I expect (pass = should score high, fail = should score low). "
    + `Propose a change to the scorer so it classifies them as expected without breaking other rows.${note ? `\n\nAlso: ${note}` : ""}`
    + `\n\nRows:\n\`\`\`json\n${JSON.stringify(rows, null, 2)}\n\`\`\``;
  const scorer = chosen("scorer").find((c) => c.dataset.name === name);
  const sources = [{ kind: "dataset", id: $("pick-dataset").value }];
  if (scorer && scorer.dataset.kind === "saved") sources.push({ kind: "scorer", id: scorer.value });
  document.dispatchEvent(new CustomEvent("openloop:loop-send", { detail: { text, data_sources: sources } }));
  $("tune-dialog").close();
}

$("run-all").addEventListener("click", () => run());
$("save-experiment")?.addEventListener("click", () => {
  const name = $("experiment-name").value.trim();
  const stamp = new Date().toISOString().slice(0, 16).replace("T", " ");
  run({ save: name || `playground ${stamp}` });
});
$("diff-mode").addEventListener("change", () => state.rows.forEach((r) => renderRow(r.id)));
$("pg-grid").addEventListener("change", (e) => { if (e.target.classList.contains("row-pick")) updateTune(); });
$("tune-scorer").addEventListener("click", openTune);
$("tune-scorer-name").addEventListener("change", fillTuneRows);
$("tune-send").addEventListener("click", sendTune);
$("tune-cancel").addEventListener("click", () => $("tune-dialog").close());
document.addEventListener("keydown", (e) => {
  if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); run(); }
});
document.addEventListener("openloop:loop-context", (e) => {
  e.detail.page = "playground";
  if ($("pick-dataset").value) e.detail.dataset_id = $("pick-dataset").value;
  const p = chosen("prompt")[0];
  if (p) e.detail.prompt_id = p.value;
});
