// Datasets: the list (+ Dataset), and one dataset's grid paged through POST /btql — inline
// edit (merge into the row = a new version), add and delete rows, import/export, versions
// with "view at this version" and restore (preview, then confirm).
import { api, el, fmtNumber, fmtTime, lit, preview, project, toast } from "./app.js";

const $ = (id) => document.getElementById(id);

// ---- list ------------------------------------------------------------------------------------
$("datasets-table")?.addEventListener("click", (e) => {
  if (e.target.closest("a")) return;
  const tr = e.target.closest("tr[data-href]");
  if (tr) window.location.href = tr.dataset.href;
});
$("new-dataset")?.addEventListener("submit", async (e) => {
  e.preventDefault();
  const name = new FormData(e.target).get("name");
  try {
    const obj = await api("/v1/dataset", { method: "POST", body: { name, project: project.id } });
    window.location.href = `/p/${project.slug}/datasets/${obj.id}`;
  } catch (err) { toast(err.message); }
});

// ---- one dataset -----------------------------------------------------------------------------
const head = $("dataset-head");
if (head) {
  const dsId = head.dataset.datasetId;
  const FIELDS = ["input", "expected", "metadata", "tags"];
  const state = { cursor: null, count: 0, version: head.dataset.version || null, rows: new Map(), editing: null };
  const writable = () => head.dataset.canWrite === "1" && !state.version;
  const showError = (msg) => { $("ds-error").hidden = !msg; $("ds-error").textContent = msg || ""; };
  const asText = (v) => (v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v, null, 2));
  const parse = (t) => { const s = t.trim(); if (!s) return null; try { return JSON.parse(s); } catch { return t; } };

  function query() {
    return `select: id, input, expected, metadata, tags | from: dataset(${lit(dsId)}) | limit: 50`;
  }
  function rowNode(r) {
    const tr = el("tr", { "data-id": r.id },
      FIELDS.map((f) => el("td", { class: "cell trunc", "data-field": f, title: writable() ? "Click to edit" : "",
        text: f === "tags" ? (r.tags || []).join(", ") : preview(r[f], 140) })),
      el("td", { class: "nowrap" }, writable()
        ? el("button", { type: "button", class: "btn small danger", "data-action": "delete", text: "Delete" }) : ""));
    return tr;
  }
  async function loadRows(append = false) {
    showError("");
    try {
      const res = await api("/btql", { method: "POST", body: { query: query(), cursor: append ? state.cursor : null, project: project.id, version: state.version } });
      const body = $("rows-table").tBodies[0];
      if (!append) { body.replaceChildren(); state.count = 0; state.rows.clear(); }
      for (const r of res.data || []) { state.rows.set(r.id, r); body.append(rowNode(r)); }
      state.count += (res.data || []).length;
      state.cursor = (res.data || []).length ? res.cursor : null;
      $("rows-more").hidden = !state.cursor;
      $("row-count").textContent = `${state.count} row${state.count === 1 ? "" : "s"}${state.cursor ? " (more available)" : ""}`;
    } catch (err) { showError(err.message); }
  }

  // -- editing --
  function openEditor(rowId, field) {
    state.editing = { rowId, field };
    const r = rowId ? state.rows.get(rowId) : null;
    $("cell-title").textContent = rowId ? `Edit ${field}` : "New row · input";
    $("cell-text").value = r ? (field === "tags" ? JSON.stringify(r.tags || []) : asText(r[field])) : "";
    $("cell-error").hidden = true;
    $("cell-editor").showModal();
    $("cell-text").focus();
  }
  async function saveEditor() {
    const { rowId, field } = state.editing || {};
    const value = parse($("cell-text").value);
    try {
      if (rowId) {
        if (field === "tags" && value !== null && !Array.isArray(value)) throw new Error("tags must be a JSON list of strings");
        const res = await api(`/v1/dataset/${dsId}/rows/${rowId}`, { method: "PATCH", body: { [field]: value } });
        const r = { ...state.rows.get(rowId), [field]: value };
        state.rows.set(rowId, r);
        $("rows-table").querySelector(`tr[data-id="${rowId}"]`)?.replaceWith(rowNode(r));
        toast(`Saved · version ${res?.xact_id ?? ""}`);
      } else {
        const res = await api(`/v1/dataset/${dsId}/rows`, { method: "POST", body: { rows: [{ input: value }] } });
        toast(`Row added · version ${res?.xact_id ?? ""}`);
        loadRows();
      }
      $("cell-editor").close();
      if (!$("versions").hidden) loadVersions();
    } catch (err) { $("cell-error").hidden = false; $("cell-error").textContent = err.message; }
  }
  $("rows-table").addEventListener("click", async (e) => {
    const tr = e.target.closest("tr[data-id]");
    if (!tr) return;
    const del = e.target.closest("[data-action=delete]");
    if (del) {
      if (del.dataset.armed !== "1") { del.dataset.armed = "1"; del.textContent = "Really delete?"; return; }
      try {
        await api(`/v1/dataset/${dsId}/rows/${tr.dataset.id}`, { method: "DELETE" });
        tr.remove();
        state.count -= 1;
        $("row-count").textContent = `${state.count} rows`;
        toast("Row deleted (a new version; restore brings it back)");
        if (!$("versions").hidden) loadVersions();
      } catch (err) { toast(err.message); }
      return;
    }
    const cell = e.target.closest("td[data-field]");
    if (cell && writable()) openEditor(tr.dataset.id, cell.dataset.field);
  });
  $("cell-save").addEventListener("click", saveEditor);
  $("cell-cancel").addEventListener("click", () => $("cell-editor").close());
  $("cell-text").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); saveEditor(); }
  });
  $("add-row")?.addEventListener("click", () => openEditor(null, "input"));

  // -- import / export --
  $("io-toggle").addEventListener("click", () => {
    const pop = $("io-pop");
    pop.hidden = !pop.hidden;
    $("io-toggle").setAttribute("aria-expanded", String(!pop.hidden));
  });
  $("import-form")?.addEventListener("submit", async (e) => {
    e.preventDefault();
    const resp = await fetch(`/v1/dataset/${dsId}/import`, {
      method: "POST", body: new FormData(e.target), credentials: "same-origin",
      headers: { "x-openloop-csrf": "1", accept: "application/json" },
    });
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) { toast(data?.error?.message || `import failed (${resp.status})`); return; }
    const n = data.inserted ?? data.rows ?? data.count ?? (data.ids || []).length;
    toast(`Imported ${fmtNumber(n)} rows`);
    $("io-pop").hidden = true;
    e.target.reset();
    loadRows();
    if (!$("versions").hidden) loadVersions();
  });

  // -- versions --
  async function loadVersions() {
    try {
      const res = await api(`/v1/dataset/${dsId}/versions`);
      const latest = res.versions[0]?.version;
      $("versions-table").tBodies[0].replaceChildren(...res.versions.map((v) => el("tr", { "data-version": v.version, class: v.version === state.version ? "selected" : "" },
        el("td", {}, el("div", { class: "mono small", text: v.version }), el("div", { class: "muted small", text: fmtTime(v.created) })),
        el("td", { class: "num", text: fmtNumber(v.num_rows) }),
        el("td", { class: "num", text: fmtNumber(v.rows_changed) }),
        el("td", { class: "nowrap" },
          el("button", { type: "button", class: "btn small", "data-action": "view", text: v.version === latest ? "Latest" : "View" }),
          head.dataset.canWrite === "1" && v.version !== latest
            ? el("button", { type: "button", class: "btn small", "data-action": "restore", text: "Restore" }) : ""))));
    } catch (err) { showError(err.message); }
  }
  function setVersion(v, latest) {
    state.version = v && v !== latest ? v : null;
    const url = new URL(window.location.href);
    if (state.version) url.searchParams.set("version", state.version); else url.searchParams.delete("version");
    history.replaceState(null, "", url);
    const badge = $("version-badge");
    badge.hidden = !state.version;
    badge.textContent = state.version ? `Viewing version ${state.version} (read-only)` : "";
    if ($("add-row")) $("add-row").disabled = !!state.version;
    loadRows();
    loadVersions();
  }
  $("versions-table").addEventListener("click", async (e) => {
    const btn = e.target.closest("button[data-action]");
    if (!btn) return;
    const v = btn.closest("tr").dataset.version;
    const latest = $("versions-table").tBodies[0].rows[0]?.dataset.version;
    if (btn.dataset.action === "view") { setVersion(v, latest); return; }
    try {
      const p = await api(`/v1/dataset/${dsId}/restore/preview`, { method: "POST", body: { version: v } });
      const box = $("restore-preview");
      box.hidden = false;
      box.replaceChildren(
        el("div", { text: `Restoring version ${v} brings back ${p.rows_to_restore} row(s) and deletes ${p.rows_to_delete} row(s). It is written as a new version; nothing is lost.` }),
        el("div", { class: "row mt" },
          el("button", { type: "button", class: "btn primary small", id: "restore-confirm", text: "Confirm restore", onclick: async () => {
            try {
              const r = await api(`/v1/dataset/${dsId}/restore`, { method: "POST", body: { version: v } });
              box.hidden = true;
              toast(`Restored: ${r.rows_restored} row(s) back, ${r.rows_deleted} deleted`);
              setVersion(null, null);
            } catch (err) { toast(err.message); }
          } }),
          el("button", { type: "button", class: "btn small", text: "Cancel", onclick: () => { box.hidden = true; } })));
    } catch (err) { toast(err.message); }
  });
  $("versions-toggle").addEventListener("click", () => {
    const v = $("versions");
    v.hidden = !v.hidden;
    $("versions-toggle").setAttribute("aria-expanded", String(!v.hidden));
    if (!v.hidden) loadVersions();
  });
  $("rows-more").addEventListener("click", () => loadRows(true));
  document.addEventListener("openloop:loop-context", (e) => { e.detail.page = "dataset"; e.detail.dataset_id = dsId; });
  if (state.version) {
    $("version-badge").hidden = false;
    $("version-badge").textContent = `Viewing version ${state.version} (read-only)`;
    $("versions").hidden = false;
    loadVersions();
  }
  loadRows();
}
