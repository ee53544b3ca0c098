// Experiments: the list (tick two to compare), one experiment's rows paged through
// POST /btql, its score summary against the baseline, and the row-by-row comparison
// (improvements / regressions per score, sortable by change, side-by-side output diff).
import { api, el, fmtDuration, fmtNumber, lit, preview, project, runQuery } from "./app.js";
import { sideBySide } from "./textdiff.js";

const $ = (id) => document.getElementById(id);
const pct = (v) => (v === null || v === undefined ? "–" : `${fmtNumber(v * 100, 1)}%`);
const signed = (v) => (v === null || v === undefined ? "" : `${v > 0 ? "+" : ""}${fmtNumber(v * 100, 1)}%`);

// ---- list page ------------------------------------------------------------------------------
const listTable = $("experiments-table");
if (listTable) {
  const button = $("compare-selected");
  const picked = () => [...listTable.querySelectorAll(".pick:checked")].map((c) => c.value);
  listTable.addEventListener("change", () => { button.disabled = picked().length !== 2; });
  listTable.addEventListener("click", (e) => {
    if (e.target.closest("a, input")) return;
    const tr = e.target.closest("tr[data-href]");
    if (tr) window.location.href = tr.dataset.href;
  });
  button.addEventListener("click", () => {
    // The newer experiment is compared against the older one (rows are newest first).
    const [a, b] = picked();
    if (a && b) window.location.href = `/p/${project.slug}/experiments/${a}?baseline=${b}`;
  });
}

// ---- one experiment --------------------------------------------------------------------------
const head = $("experiment-head");
if (head) {
  const expId = head.dataset.experimentId;
  const state = { cursor: null, count: 0, scoreNames: [], compare: null, sort: "change", dir: -1 };

  const baseline = () => $("baseline-select").value;
  const showError = (err) => { $("exp-error").hidden = false; $("exp-error").textContent = err.message; };

  function setTab(tab) {
    document.querySelectorAll("[data-tab]").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.tab === tab)));
    $("tab-rows").hidden = tab !== "rows";
    $("tab-compare").hidden = tab !== "compare";
    const url = new URL(window.location.href);
    if (tab === "compare" && baseline()) url.searchParams.set("baseline", baseline());
    else url.searchParams.delete("baseline");
    history.replaceState(null, "", url);
    if (tab === "compare") loadCompare();
  }

  async function loadSummary() {
    const q = baseline() ? `?comparison_experiment_id=${encodeURIComponent(baseline())}` : "";
    try {
      const s = await api(`/v1/experiment/${expId}/summarize${q}`);
      const cards = Object.values(s.scores || {}).map((sc) => el("div", { class: "score-card", "data-score": sc.name },
        el("div", { class: "muted small", text: sc.name }),
        el("div", { class: "big-number", text: pct(sc.score) }),
        sc.diff === null || sc.diff === undefined ? null : el("div", { class: "small" },
          el("span", { class: sc.diff >= 0 ? "up" : "down", text: signed(sc.diff) }), " vs ", s.comparison_experiment_name || "baseline",
          el("span", { class: "up", text: ` ↑${sc.improvements}` }), el("span", { class: "down", text: ` ↓${sc.regressions}` }))));
      cards.push(el("div", { class: "score-card" }, el("div", { class: "muted small", text: "Rows" }),
        el("div", { class: "big-number", text: String(s.row_count ?? "") }),
        el("div", { class: "small muted", text: `${s.error_count || 0} errors` })));
      $("summary").replaceChildren(...cards);
      state.scoreNames = Object.keys(s.scores || {});
    } catch (err) { showError(err); }
  }

  // -- rows tab --
  const rowsQuery = () => `select: * | from: experiment(${lit(expId)}) summary | preview_length: 240 | limit: 50`;
  function rowCells(r) {
    const m = r.metrics || {};
    return [
      el("td", { class: "trunc", text: preview(r.input, 120) }),
      el("td", { class: "trunc", text: preview(r.output, 120) }),
      el("td", { class: "trunc", text: preview(r.expected, 120) }),
      ...state.scoreNames.map((n) => el("td", { class: "num", "data-score": n, text: pct((r.scores || {})[n]) })),
      el("td", { class: "num", text: fmtDuration(m.duration) }),
      el("td", { class: "num", text: fmtNumber(m.total_tokens ?? m.tokens) }),
      el("td", {}, r.error ? el("span", { class: "err-text", text: preview(r.error, 60) }) : ""),
    ];
  }
  async function loadRows(append = false) {
    try {
      const res = await runQuery(rowsQuery(), append ? state.cursor : null);
      const body = $("rows-table").tBodies[0];
      if (!append) {
        const heads = ["Input", "Output", "Expected", ...state.scoreNames, "Duration", "Tokens", "Error"];
        $("rows-table").tHead.rows[0].replaceChildren(...heads.map((h) => el("th", { text: h })));
        body.replaceChildren();
        state.count = 0;
      }
      for (const r of res.data || []) {
        const tr = el("tr", { "data-id": r.id, class: r.error ? "row-error" : "" }, rowCells(r));
        tr.addEventListener("click", () => openRow(r.id));
        body.append(tr);
      }
      state.count += (res.data || []).length;
      state.cursor = (res.data || []).length ? res.cursor : null;
      $("rows-more").hidden = !state.cursor;
      $("row-count").textContent = `${state.count} row${state.count === 1 ? "" : "s"}${state.cursor ? " (more available)" : ""}`;
    } catch (err) { showError(err); }
  }

  async function openRow(id) {
    const panel = $("row-detail");
    panel.hidden = false;
    panel.replaceChildren(el("p", { class: "muted", text: "Loading…" }));
    try {
      const res = await runQuery(`select: input, output, expected, scores, metadata, error | from: experiment(${lit(expId)}) | filter: id = ${lit(id)} | limit: 1`);
      const r = (res.data || [])[0] || {};
      panel.replaceChildren(
        el("header", { class: "trace-head" }, el("strong", { text: "Row" }), el("span", { class: "mono muted small", text: id }),
          el("span", { class: "spacer" }), el("button", { type: "button", class: "ghost", text: "✕", "aria-label": "Close", onclick: () => { panel.hidden = true; } })),
        el("div", { class: "side-body" }, ["input", "output", "expected", "scores", "metadata", "error"].filter((k) => r[k] !== null && r[k] !== undefined)
          .map((k) => el("section", { class: "detail-section", "data-field": k }, el("h3", { text: k }),
            el("pre", { class: "json", text: typeof r[k] === "string" ? r[k] : JSON.stringify(r[k], null, 2) })))));
    } catch (err) { panel.replaceChildren(el("div", { class: "alert", text: err.message })); }
  }

  // -- compare tab --
  const change = (m, score) => {
    const names = score ? [score] : Object.keys(m.scores || {});
    return names.reduce((acc, n) => acc + ((m.scores || {})[n]?.diff || 0), 0);
  };
  async function loadCompare() {
    if (!baseline()) {
      $("compare-meta").textContent = "Choose a baseline to compare with.";
      $("compare-table").tBodies[0].replaceChildren();
      $("compare-counts").replaceChildren();
      return;
    }
    $("compare-meta").textContent = "Comparing…";
    try {
      state.compare = await api(`/v1/experiment/${expId}/compare?baseline=${encodeURIComponent(baseline())}`);
      const names = new Set();
      state.compare.matches.forEach((m) => Object.keys(m.scores || {}).forEach((n) => names.add(n)));
      const sel = $("compare-score");
      const keep = sel.value;
      sel.replaceChildren(el("option", { value: "", text: "All scores" }), ...[...names].sort().map((n) => el("option", { value: n, text: n })));
      sel.value = names.has(keep) ? keep : "";
      renderCompare();
    } catch (err) { $("compare-meta").textContent = ""; showError(err); }
  }

  function renderCompare() {
    const c = state.compare;
    if (!c) return;
    const score = $("compare-score").value;
    const names = [...new Set(c.matches.flatMap((m) => Object.keys(m.scores || {})))].sort();
    $("compare-counts").replaceChildren(...names.map((n) => {
      const up = c.matches.filter((m) => (m.improved || []).includes(n)).length;
      const down = c.matches.filter((m) => (m.regressed || []).includes(n)).length;
      return el("div", { class: "score-card", "data-score": n },
        el("div", { class: "muted small", text: n }),
        el("div", { class: "row" }, el("span", { class: "big-number up", "data-count": "improvements", text: `↑ ${up}` }),
          el("span", { class: "big-number down", "data-count": "regressions", text: `↓ ${down}` })),
        el("div", { class: "small muted", text: "improvements · regressions" }));
    }));
    const matched = c.matches.filter((m) => m.matched).length;
    $("compare-meta").textContent = `${c.experiment_name} vs ${c.baseline_experiment_name} · ${matched} of ${c.matches.length} rows matched by input`;
    const show = $("compare-show").value;
    let rows = c.matches.filter((m) => show === "all"
      || (m[show] || []).some((n) => !score || n === score));
    const key = state.sort;
    rows = [...rows].sort((a, b) => {
      const va = key === "change" ? change(a, score) : preview(a.input, 500);
      const vb = key === "change" ? change(b, score) : preview(b.input, 500);
      return (va < vb ? -1 : va > vb ? 1 : 0) * state.dir;
    });
    const th = (label, k) => el("th", { class: k ? "sortable" : "", "data-sort": k || null,
      onclick: k ? () => { state.dir = state.sort === k ? -state.dir : -1; state.sort = k; renderCompare(); } : null },
    label, k && state.sort === k ? (state.dir < 0 ? " ↓" : " ↑") : "");
    $("compare-table").tHead.rows[0].replaceChildren(th("Input", "input"), th("Baseline output"), th("Output"),
      ...names.map((n) => th(n)), th("Change", "change"));
    $("compare-table").tBodies[0].replaceChildren(...rows.map((m) => {
      const d = change(m, score);
      const tr = el("tr", { "data-key": m.key, class: d > 0 ? "improved" : d < 0 ? "regressed" : "" },
        el("td", { class: "trunc", text: preview(m.input, 100) }),
        el("td", { class: "trunc", text: preview(m.baseline_output, 100) }),
        el("td", { class: "trunc", text: preview(m.output, 100) }),
        ...names.map((n) => {
          const s = (m.scores || {})[n] || {};
          return el("td", { class: "num nowrap" }, `${pct(s.baseline)} → ${pct(s.score)} `,
            s.diff ? el("span", { class: s.diff > 0 ? "up" : "down", text: signed(s.diff) }) : "");
        }),
        el("td", { class: "num" }, el("span", { class: d > 0 ? "up" : d < 0 ? "down" : "muted", text: d ? signed(d) : "0" })));
      tr.addEventListener("click", () => openDiff(m));
      return tr;
    }));
  }

  function openDiff(m) {
    const panel = $("row-detail");
    panel.hidden = false;
    panel.replaceChildren(
      el("header", { class: "trace-head" }, el("strong", { text: "Output diff" }), el("span", { class: "trunc muted", text: preview(m.input, 80) }),
        el("span", { class: "spacer" }), el("button", { type: "button", class: "ghost", text: "✕", "aria-label": "Close", onclick: () => { panel.hidden = true; } })),
      el("div", { class: "side-body" },
        sideBySide(m.baseline_output, m.output, { left: state.compare.baseline_experiment_name, right: state.compare.experiment_name }),
        el("section", { class: "detail-section mt" }, el("h3", { text: "expected" }), el("pre", { class: "json", text: typeof m.expected === "string" ? m.expected : JSON.stringify(m.expected, null, 2) })),
        el("section", { class: "detail-section" }, el("h3", { text: "scores" }), el("pre", { class: "json", text: JSON.stringify(m.scores, null, 2) }))));
  }

  document.querySelectorAll("[data-tab]").forEach((b) => b.addEventListener("click", () => setTab(b.dataset.tab)));
  $("baseline-select").addEventListener("change", () => {
    loadSummary();
    if (!$("tab-compare").hidden) setTab("compare");
  });
  $("compare-score").addEventListener("change", renderCompare);
  $("compare-show").addEventListener("change", renderCompare);
  $("rows-more").addEventListener("click", () => loadRows(true));
  document.addEventListener("openloop:escape", () => { $("row-detail").hidden = true; });
  document.addEventListener("openloop:loop-context", (e) => {
    e.detail.page = "experiment";
    e.detail.experiment_id = expId;
  });
  loadSummary().then(() => {
    loadRows();
    if (!$("tab-compare").hidden) loadCompare();
  });
}
