// Word-level text diff (longest common subsequence) rendered as two aligned panes or one
// inline view. Used by the experiment comparison and the playground's diff mode.
import { el } from "./app.js";

const MAX_TOKENS = 1500;

function text(v) {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v, null, 2);
}

/** Ops [{op: "=", "-", "+", text}] turning ``a`` into ``b`` word by word. */
export function diffWords(a, b) {
  const x = text(a).split(/(\s+)/).filter((t) => t !== "");
  const y = text(b).split(/(\s+)/).filter((t) => t !== "");
  if (x.length > MAX_TOKENS || y.length > MAX_TOKENS) {
    return x.join("") === y.join("") ? [{ op: "=", text: x.join("") }]
      : [{ op: "-", text: x.join("") }, { op: "+", text: y.join("") }];
  }
  const n = x.length, m = y.length;
  const dp = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i][j] = x[i] === y[j] ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
    }
  }
  const ops = [];
  const push = (op, t) => {
    const last = ops[ops.length - 1];
    if (last && last.op === op) last.text += t; else ops.push({ op, text: t });
  };
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { push("=", x[i]); i++; j++; }
    else if (dp[i + 1][j] >= dp[i][j + 1]) { push("-", x[i]); i++; }
    else { push("+", y[j]); j++; }
  }
  while (i < n) push("-", x[i++]);
  while (j < m) push("+", y[j++]);
  return ops;
}

/** Two panes: the old text with deletions marked, the new one with insertions marked. */
export function sideBySide(a, b, { left = "Baseline", right = "Current" } = {}) {
  const ops = diffWords(a, b);
  const l = el("pre", { class: "diff-pane", "data-side": "left" });
  const r = el("pre", { class: "diff-pane", "data-side": "right" });
  for (const o of ops) {
    if (o.op !== "+") l.append(o.op === "-" ? el("del", { text: o.text }) : o.text);
    if (o.op !== "-") r.append(o.op === "+" ? el("ins", { text: o.text }) : o.text);
  }
  return el("div", { class: "diff-2" },
    el("div", {}, el("h3", { text: left }), l), el("div", {}, el("h3", { text: right }), r));
}

/** One pane: deletions struck through, insertions highlighted. */
export function inlineDiff(a, b) {
  const pre = el("pre", { class: "diff-pane" });
  for (const o of diffWords(a, b)) {
    pre.append(o.op === "=" ? o.text : el(o.op === "-" ? "del" : "ins", { text: o.text }));
  }
  return pre;
}

/** A unified diff (``---``/``+++``/``@@`` lines) colored line by line. */
export function unifiedDiff(textValue) {
  const pre = el("pre", { class: "diff-pane unified" });
  for (const line of String(textValue || "").split("\n")) {
    const cls = line.startsWith("+++") || line.startsWith("---") ? "d-file"
      : line.startsWith("@@") ? "d-hunk" : line.startsWith("+") ? "d-add"
        : line.startsWith("-") ? "d-del" : "";
    pre.append(el("span", { class: cls, text: line + "\n" }));
  }
  return pre;
}
