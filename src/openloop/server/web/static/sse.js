// Server-sent events over fetch (so POST bodies, the CSRF header and aborting all work).
import { ApiError } from "./app.js";

/** POST/GET ``path`` and call ``onEvent(type, data, id)`` for each event until the stream ends
 * or ``signal`` aborts. A non-2xx answer throws ApiError with the JSON error envelope. */
export async function streamSSE(path, { method = "POST", body, signal, onEvent }) {
  const headers = { accept: "text/event-stream" };
  if (method !== "GET") headers["x-openloop-csrf"] = "1";
  if (body !== undefined) headers["content-type"] = "application/json";
  const resp = await fetch(path, {
    method, headers, signal, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!resp.ok) {
    let data = null;
    try { data = await resp.json(); } catch { data = null; }
    throw new ApiError(resp.status, data);
  }
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      let type = null, data = "", id = null;
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const i = line.indexOf(":");
        const key = i < 0 ? line : line.slice(0, i);
        let val = i < 0 ? "" : line.slice(i + 1);
        if (val.startsWith(" ")) val = val.slice(1);
        if (key === "event") type = val;
        else if (key === "data") data += val;
        else if (key === "id") id = Number(val);
      }
      if (!type) continue;
      let parsed = null;
      try { parsed = data ? JSON.parse(data) : null; } catch { parsed = data; }
      onEvent(type, parsed, id);
    }
  }
}
