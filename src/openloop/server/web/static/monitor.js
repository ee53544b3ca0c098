// The Monitor page: preset charts and saved custom charts, each one query through POST /btql.
import { api, el, features, lit, project, runQuery, showError, toast } from "./app.js";
import { bigNumber, lineChart, topList } from "./chart.js";

const config = JSON.parse(document.getElementById("monitor-config").textContent);
const RANGES = { "1h": [3600, "5 minutes", 300], "24h": [86400, "hour", 3600], "7d": [7 * 86400, "6 hours", 21600], "14d": [14 * 86400, "day", 86400], "30d": [30 * 86400, "day", 86400] };
const state = { range: "7d", group: "none", charts: [] };
const $ = (id) => document.getElementById(id);

function window_() {
  const [secs, bucket, step] = RANGES[state.range];
  const end = Date.now();
  const start = Math.floor((end - secs * 1000) / (step * 1000)) * step * 1000;
  return { start, end, bucket, step, cond: `created >= ${lit(new Date(start).toISOString())}` };
}

function presetQuery(p, w) {
  const src = `project_logs(${lit(project.id)})`;
  const t = `date_trunc('${w.bucket}', created) AS t`;
  if (p.scores) {
    return `SELECT ${t}, score AS g, avg(value) AS v0 FROM ${src} UNPIVOT (value FOR score IN (scores)) WHERE ${w.cond} GROUP BY 1, 2 ORDER BY t LIMIT 10000`;
  }
  const group = config.groups[state.group];
  const filter = (group && p.group_filter) || p.filter;
  const measures = p.measures.map(([, expr], i) => `${expr} AS v${i}`).join(", ");
  const where = [filter, "comment IS NULL", w.cond].filter(Boolean).join(" AND ");
  return group
    ? `SELECT ${t}, ${group} AS g, ${measures} FROM ${src} WHERE ${where} GROUP BY 1, 2 ORDER BY t LIMIT 10000`
    : `SELECT ${t}, ${measures} FROM ${src} WHERE ${where} GROUP BY 1 ORDER BY t LIMIT 10000`;
}

/** Turn rows {t, g?, v0.., or named numeric columns} into line series. */
function toSeries(rows, labels) {
  const series = new Map();
  for (const r of rows) {
    if (!r.t) continue;
    const t = new Date(r.t);
    const numeric = Object.keys(r).filter((k) => k !== "t" && k !== "g" && typeof r[k] === "number");
    numeric.forEach((k, i) => {
      const measure = labels ? labels[Number(k.slice(1))] ?? k : k;
      const name = r.g !== undefined ? (numeric.length > 1 ? `${r.g ?? "(none)"} · ${measure}` : String(r.g ?? "(none)")) : measure;
      if (!series.has(name)) series.set(name, { name, g: r.g, points: [] });
      series.get(name).points.push({ t, v: r[k], row: r, measure: i });
    });
  }
  return [...series.values()];
}

function logsUrl(p, point, s, w) {
  const params = new URLSearchParams();
  const from = point.t.getTime();
  params.set("from", new Date(from).toISOString());
  params.set("to", new Date(from + w.step * 1000).toISOString());
  const group = config.groups[state.group];
  const conds = [];
  const base = p.logs_filter || ((group && p.group_filter) || p.filter);
  if (base && base !== "is_root") conds.push(base);
  if (p.scores && s.g !== undefined) conds.push(`scores.${JSON.stringify(String(s.g))} IS NOT NULL`);
  else if (group && s.g !== undefined && s.g !== null) conds.push(`${group} = ${lit(s.g)}`);
  if (conds.length) params.set("filter", conds.join(" AND "));
  if (conds.length && base !== "is_root") params.set("rows", "spans");
  return `/p/${encodeURIComponent(project.slug)}/logs?${params}`;
}

function card(title, id, extra = []) {
  return el("section", { class: "chart", "data-chart": id }, el("div", { class: "chart-head" }, el("h3", { text: title }), ...extra), el("div", { class: "chart-body chart-empty", text: "Loading…" }));
}

async function drawPreset(p, node, w) {
  const body = node.querySelector(".chart-body");
  try {
    const res = await runQuery(presetQuery(p, w));
    const series = toSeries(res.data || [], p.measures.map(([label]) => label));
    body.className = "chart-body";
    body.replaceChildren(lineChart(series, { unit: p.unit, start: w.start, end: w.end, onPoint: (pt, s) => { window.location.href = logsUrl(p, pt, s, w); } }));
  } catch (err) {
    body.className = "chart-body alert";
    body.textContent = err.message;
  }
}

function customQuery(text, w) {
  return text.replaceAll("{range}", w.cond).replaceAll("{bucket}", w.bucket).replaceAll("{project}", lit(project.id));
}

export async function drawCustom(meta, body, w) {
  try {
    const res = await runQuery(customQuery(meta.query || "", w));
    const rows = res.data || [];
    body.className = "chart-body";
    if (meta.type === "number") {
      const first = rows[0] || {};
      const k = Object.keys(first).find((c) => typeof first[c] === "number");
      body.replaceChildren(bigNumber(k ? first[k] : null, meta.unit));
    } else if (meta.type === "toplist") {
      const items = rows.map((r) => {
        const label = Object.keys(r).find((c) => typeof r[c] !== "number");
        const val = Object.keys(r).find((c) => typeof r[c] === "number");
        return { label: String(label ? r[label] : ""), v: val ? r[val] : 0 };
      }).sort((a, b) => b.v - a.v);
      body.replaceChildren(topList(items, meta.unit));
    } else {
      body.replaceChildren(lineChart(toSeries(rows, null), { unit: meta.unit, start: w.start, end: w.end }));
    }
  } catch (err) {
    // Where the query broke: its line, and the line as run ({range} and {bucket} filled in)
    // with a caret under the spot, in a fixed-width font.
    const d = err.detail || {};
    body.className = "chart-body alert query-error";
    showError(body, d.line ? `${err.message} (line ${d.line})` : err.message, d.snippet);
  }
}

async function drawAll() {
  const w = window_();
  const grid = $("charts");
  grid.replaceChildren();
  for (const p of config.presets) {
    const node = card(p.title, p.id);
    grid.append(node);
    drawPreset(p, node, w);
  }
  await loadCustom(w);
}

async function loadCustom(w) {
  let charts = [];
  try { charts = (await api(`/ui/api/p/${project.id}/charts`)).objects || []; } catch { charts = []; }
  $("custom-title").hidden = !charts.length;
  const grid = $("custom-charts");
  grid.replaceChildren(...charts.map((c) => {
    const del = el("button", { type: "button", class: "btn small danger", "aria-label": `Delete chart ${c.name}`, text: "Delete" });
    del.addEventListener("click", async () => {
      if (!window.confirm(`Delete the chart “${c.name}”?`)) return;
      try { await api(`/ui/api/p/${project.id}/charts/${c.id}`, { method: "DELETE" }); loadCustom(window_()); } catch (err) { toast(err.message); }
    });
    const node = card(c.metadata.title || c.name, c.id, [del]);
    drawCustom(c.metadata, node.querySelector(".chart-body"), w);
    return node;
  }));
}

// ---- chart editor --------------------------------------------------------------------------
function openEditor() {
  $("chart-title").value = "";
  $("chart-type").value = "line";
  $("chart-query").value = `SELECT date_trunc('{bucket}', created) AS t, metadata.model AS g, count(1) AS calls\nFROM project_logs({project})\nWHERE span_attributes.type = 'llm' AND {range}\nGROUP BY 1, 2 ORDER BY t LIMIT 10000`;
  $("chart-preview").replaceChildren();
  $("chart-editor").showModal();
}
function editorMeta() {
  return { title: $("chart-title").value.trim() || "Untitled chart", type: $("chart-type").value, query: $("chart-query").value };
}
function previewChart() {
  const box = $("chart-preview");
  const body = el("div", { class: "chart-body chart-empty", text: "Loading…" });
  box.replaceChildren(body);
  drawCustom(editorMeta(), body, window_());
}

function init() {
  document.querySelectorAll("[data-range]").forEach((b) => b.addEventListener("click", () => {
    state.range = b.dataset.range;
    document.querySelectorAll("[data-range]").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
    drawAll();
  }));
  $("group-by").addEventListener("change", (e) => { state.group = e.target.value; drawAll(); });
  $("refresh").addEventListener("click", drawAll);
  $("add-chart")?.addEventListener("click", openEditor);
  $("chart-preview-btn").addEventListener("click", previewChart);
  document.querySelector("#chart-editor [data-close]").addEventListener("click", () => $("chart-editor").close());
  $("chart-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const meta = editorMeta();
    try {
      await api(`/ui/api/p/${project.id}/charts`, { method: "POST", body: { name: meta.title, metadata: meta } });
      $("chart-editor").close();
      toast(`Saved chart “${meta.title}”`);
      loadCustom(window_());
    } catch (err) { toast(err.message); }
  });
  $("chart-generate")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = $("chart-generate-text").value.trim();
    if (!text) return;
    try {
      const res = await api("/v1/loop/generate/chart", { method: "POST", body: { text, prompt: text, project: project.id } });
      const c = res.chart || res;
      if (c.title) $("chart-title").value = c.title;
      if (c.type) $("chart-type").value = ["line", "toplist", "number"].includes(c.type) ? c.type : "line";
      if (c.query) $("chart-query").value = c.query;
      previewChart();
    } catch (err) { toast(err.message); }
  });
  if (!features.generate_chart) $("chart-generate")?.remove();
  drawAll();
}

init();
