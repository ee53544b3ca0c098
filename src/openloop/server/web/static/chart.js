// Small inline-SVG charts: time series (lines with clickable points), top lists, big numbers.
import { el, fmtDuration, fmtNumber } from "./app.js";

const NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#6366f1", "#06b6d4", "#f59e0b", "#ef4444", "#10b981", "#ec4899", "#8b5cf6", "#84cc16", "#f97316", "#64748b"];
export const color = (i) => PALETTE[i % PALETTE.length];

function svg(tag, attrs = {}) {
  const n = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  return n;
}

export function formatValue(v, unit) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (unit === "duration") return fmtDuration(v);
  if (unit === "cost") return `$${fmtNumber(v, 4)}`;
  if (unit === "percent") return `${fmtNumber(v * 100, 1)}%`;
  if (unit === "score") return fmtNumber(v, 3);
  return fmtNumber(v);
}

let tip = null;
function showTip(evt, text) {
  if (!tip) { tip = el("div", { class: "chart-tip" }); document.body.append(tip); }
  tip.textContent = text;
  tip.hidden = false;
  tip.style.left = `${evt.clientX + 12}px`;
  tip.style.top = `${evt.clientY - 28}px`;
}
function hideTip() { if (tip) tip.hidden = true; }

/** A round tick step (1, 2, 2.5 or 5 times a power of ten) near a third of ``max``, and how
 *  many steps reach ``max``: 209 requests give 0, 50, … 250 rather than thirds like 69.67.
 *  ``whole``: counts, whose steps are whole numbers. */
export function niceTicks(max, whole = false) {
  if (!(max > 0)) return [1, 1];
  const raw = max / 3;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = (whole ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10]).map((m) => m * power)
    .reduce((best, s) => (Math.abs(s - raw) < Math.abs(best - raw) ? s : best));
  if (whole) step = Math.max(1, Math.round(step)); // counts: whole-number ticks
  return [step, Math.max(1, Math.ceil(max / step - 1e-9))];
}

/** series: [{name, points: [{t: Date, v: number, row}]}]; onPoint(point, series). */
export function lineChart(series, { unit = "count", onPoint = null, start = null, end = null } = {}) {
  const all = series.flatMap((s) => s.points);
  if (!all.length) return el("div", { class: "chart-empty", text: "No data in this range" });
  const W = 600, H = 180, L = 52, R = 8, T = 8, B = 22;
  const ts = all.map((p) => p.t.getTime());
  const t0 = start ? Math.min(start, ...ts) : Math.min(...ts);
  const t1 = Math.max(end ? Math.max(end, ...ts) : Math.max(...ts), t0 + 1);
  const [step, steps] = niceTicks(Math.max(...all.map((p) => p.v || 0), 0), unit === "count");
  const vmax = step * steps;
  const x = (t) => L + ((t - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - (v || 0) / vmax) * (H - T - B);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img" });
  for (let i = 0; i <= steps; i++) {
    const v = step * i, yy = y(v);
    root.append(svg("line", { x1: L, x2: W - R, y1: yy, y2: yy, class: "axis" }));
    const lab = svg("text", { x: L - 4, y: yy + 3, "text-anchor": "end", class: "axis-label" });
    lab.textContent = formatValue(v, unit);
    root.append(lab);
  }
  for (let i = 0; i <= 3; i++) {
    const t = t0 + ((t1 - t0) * i) / 3;
    const lab = svg("text", { x: x(t), y: H - 6, "text-anchor": i === 0 ? "start" : i === 3 ? "end" : "middle", class: "axis-label" });
    const d = new Date(t);
    lab.textContent = t1 - t0 > 2 * 86400e3 ? d.toLocaleDateString(undefined, { month: "short", day: "numeric" }) : d.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    root.append(lab);
  }
  series.forEach((s, si) => {
    const pts = [...s.points].sort((a, b) => a.t - b.t);
    const c = color(si);
    root.append(svg("path", { d: pts.map((p, i) => `${i ? "L" : "M"}${x(p.t.getTime()).toFixed(1)},${y(p.v).toFixed(1)}`).join(" "), class: "series", stroke: c }));
    pts.forEach((p) => {
      const dot = svg("circle", { cx: x(p.t.getTime()).toFixed(1), cy: y(p.v).toFixed(1), r: 3, fill: c, class: "pt", "data-series": s.name, "data-t": p.t.toISOString() });
      const label = `${s.name} · ${p.t.toLocaleString()} · ${formatValue(p.v, unit)}`;
      dot.addEventListener("mousemove", (e) => showTip(e, label));
      dot.addEventListener("mouseleave", hideTip);
      if (onPoint) dot.addEventListener("click", () => { hideTip(); onPoint(p, s); });
      root.append(dot);
    });
  });
  const legend = el("div", { class: "legend" }, series.map((s, i) => el("span", {}, el("i", { style: `background:${color(i)}` }), s.name)));
  return el("div", {}, root, legend);
}

export function topList(rows, unit = "count") {
  if (!rows.length) return el("div", { class: "chart-empty", text: "No data in this range" });
  const max = Math.max(...rows.map((r) => r.v || 0)) || 1;
  return el("div", { class: "stack", style: "gap:.3rem" }, rows.slice(0, 12).map((r, i) => el("div", {},
    el("div", { class: "row small" }, el("span", { style: "flex:1", text: r.label }), el("b", { text: formatValue(r.v, unit) })),
    el("div", { class: "gantt" }, el("span", { class: "gantt-bar", style: `left:0;width:${((r.v || 0) / max) * 100}%;background:${color(i)}` })))));
}

export function bigNumber(v, unit = "count") {
  return el("div", { class: "chart-empty" }, el("span", { class: "big-number", text: formatValue(v, unit) }));
}
