"""Moving dataset rows in and out: CSV and JSONL import/export, and copying logged spans into a
dataset ("add to dataset").

CSV cells that look like JSON (``{...}``, ``[...]``, ``"..."``) are parsed, so objects survive
a round trip; every other cell is kept as text. Export writes a string that itself looks like
JSON as a JSON string literal, so import gives back exactly what was exported.

Without a column mapping, the columns ``id``, ``input``, ``expected`` (or ``output``),
``metadata`` and ``tags`` fill those fields and any other column goes to ``metadata.<column>``.
A mapping ``{"column": "target"}`` sends a column to ``input``, ``expected``, ``metadata``,
``tags``, ``id`` or a key inside one (``input.question``); unmapped columns are ignored.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from openloop.auth import require_write
from openloop.errors import InvalidInput, NotFound
from openloop.services.datasets import (
    ROW_FIELDS,
    clean_row,
    dataset_ref,
    get_dataset,
    write_rows,
)
from openloop.store.data.base import ObjectRef

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services

__all__ = ["FORMATS", "add_from_logs", "export_rows", "import_rows", "parse_csv", "parse_jsonl"]

logger = logging.getLogger(__name__)

FORMATS = ("csv", "jsonl", "json")
_TARGETS = ("input", "expected", "metadata", "tags", "id")
_CSV_COLUMNS = ("id", "input", "expected", "metadata", "tags")
_MAX_FROM_LOGS = 1000


# -- parsing ---------------------------------------------------------------------------------


def _cell(text: str) -> Any:
    stripped = text.strip()
    if stripped[:1] in ("{", "[", '"'):
        try:
            return json.loads(stripped)
        except ValueError:
            return text
    return text


def _check_mapping(mapping: Mapping[str, str], header: Sequence[str]) -> None:
    for column, target in mapping.items():
        if column not in header:
            raise InvalidInput(
                f"column mapping names {column!r}, which is not a CSV column "
                f"(columns: {', '.join(header)})"
            )
        head = str(target).split(".", 1)[0]
        if head not in _TARGETS or (head in ("tags", "id") and "." in str(target)):
            raise InvalidInput(
                f"column {column!r} maps to {target!r}; use one of {', '.join(_TARGETS)} "
                "or a key inside input, expected or metadata (e.g. 'input.question')"
            )


def _place(row: dict[str, Any], target: str, value: Any, line: int) -> None:
    head, _, key = target.partition(".")
    if not key:
        row[head] = value
        return
    inner = row.setdefault(head, {})
    if not isinstance(inner, dict):
        raise InvalidInput(f"line {line}: {head} is set both whole and by key", line=line)
    inner[key] = value


def _tags(value: Any, line: int) -> list[str] | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        return [t.strip() for t in value.split(",") if t.strip()]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return value
    raise InvalidInput(f"line {line}: tags must be a JSON list of strings or comma-separated text",
                       line=line)  # fmt: skip


def parse_csv(text: str, mapping: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """CSV text → dataset rows. Errors name the (1-based) line of the file."""
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InvalidInput("CSV is empty; the first line must name the columns") from None
    except csv.Error as exc:
        raise InvalidInput(f"line 1: {exc}", line=1) from None
    header = [h.strip() for h in header]
    if mapping:
        _check_mapping(mapping, header)
    elif not {"input", "expected", "output"} & set(header):
        raise InvalidInput(
            f"CSV needs an 'input' or 'expected' column (found: {', '.join(header)}); "
            "or send a column mapping"
        )
    rows: list[dict[str, Any]] = []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InvalidInput(f"line {reader.line_num}: {exc}", line=reader.line_num) from None
        line = reader.line_num
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            raise InvalidInput(
                f"line {line}: expected {len(header)} fields, got {len(cells)}", line=line
            )
        rows.append(_csv_row(header, cells, mapping, line))
    return rows


def _csv_row(
    header: Sequence[str], cells: Sequence[str], mapping: Mapping[str, str] | None, line: int
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column, raw in zip(header, cells, strict=True):
        if mapping is not None:
            target = mapping.get(column)
        elif column in _CSV_COLUMNS:
            target = column
        elif column == "output":
            target = "expected"
        else:
            target = f"metadata.{column}"
        if target is None or (raw == "" and target != "input"):
            continue
        value = _cell(raw) if target != "id" else raw
        if target == "tags":
            value = _tags(value, line)
        _place(row, target, value, line)
    try:
        return clean_row(row, line, where="line")
    except InvalidInput as exc:
        raise InvalidInput(exc.message, line=line) from None


def _json_reason(exc: ValueError) -> str:
    """Why ``json.loads`` refused: a syntax error carries ``msg``; other ValueErrors (such as an
    integer too long to convert) carry only their text."""
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)


def parse_jsonl(text: str) -> list[dict[str, Any]]:
    """One JSON object per line → dataset rows; blank lines are skipped."""
    rows: list[dict[str, Any]] = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError as exc:
            raise InvalidInput(f"line {n}: not valid JSON ({_json_reason(exc)})", line=n) from None
        try:
            rows.append(clean_row(value, n, where="line"))
        except InvalidInput as exc:
            raise InvalidInput(exc.message, line=n) from None
    return rows


def _parse(text: str, fmt: str, mapping: Mapping[str, str] | None) -> list[dict[str, Any]]:
    if fmt == "csv":
        return parse_csv(text, mapping)
    if fmt == "jsonl":
        return parse_jsonl(text)
    if fmt == "json":
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(f"line {exc.lineno}: not valid JSON ({exc.msg})") from None
        except ValueError as exc:
            raise InvalidInput(f"not valid JSON ({exc})") from None
        if not isinstance(value, list):
            raise InvalidInput("a JSON import must be a list of row objects")
        return [clean_row(v, i) for i, v in enumerate(value)]
    raise InvalidInput(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def import_rows(
    svc: Services,
    p: Principal,
    dataset_id: str,
    content: str | bytes,
    *,
    fmt: str,
    mapping: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Parse ``content`` (csv, jsonl or json) and insert every row as one new version. A bad
    line rejects the whole import and names the line."""
    require_write(p)
    obj = get_dataset(svc, p, dataset_id)
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the file is not UTF-8 text") from None
    rows = _parse(content.lstrip("\ufeff"), fmt.lower(), mapping)
    for row in rows:
        row.setdefault("id", str(uuid.uuid4()))
    result = write_rows(svc, dataset_ref(obj), rows)
    logger.info("datasets.import id=%s fmt=%s rows=%d", obj.id, fmt, len(rows))
    return {**result, "rows": len(rows)}


# -- export ----------------------------------------------------------------------------------


def _csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return (
            json.dumps(value, ensure_ascii=False) if value.strip()[:1] in ("{", "[", '"') else value
        )
    return json.dumps(value, ensure_ascii=False)


def export_rows(
    svc: Services, p: Principal, dataset_id: str, *, fmt: str = "jsonl"
) -> Iterator[str]:
    """The dataset's current rows as CSV or JSONL text, streamed in chunks (oldest first)."""
    fmt = fmt.lower()
    if fmt not in ("csv", "jsonl"):
        raise InvalidInput(f"unknown export format {fmt!r}; use csv or jsonl")
    obj = get_dataset(svc, p, dataset_id)
    batches = svc.data.iter_rows(dataset_ref(obj))

    def generate() -> Iterator[str]:
        if fmt == "csv":
            buf = io.StringIO()
            writer = csv.writer(buf, lineterminator="\n")
            writer.writerow(_CSV_COLUMNS)
            for batch in batches:
                for row in batch:
                    writer.writerow([row["id"]] + [_csv_text(row.get(c)) for c in _CSV_COLUMNS[1:]])
                yield buf.getvalue()
                buf.seek(0)
                buf.truncate()
            if buf.tell():
                yield buf.getvalue()
            return
        for batch in batches:
            yield "".join(
                json.dumps(
                    {"id": r["id"], **{k: r.get(k) for k in ROW_FIELDS if r.get(k) is not None}},
                    ensure_ascii=False,
                ) + "\n"
                for r in batch
            )  # fmt: skip

    return generate()


# -- from logs -------------------------------------------------------------------------------


def _copy_of(span: Mapping[str, Any], project_id: str) -> dict[str, Any]:
    expected = span.get("expected")
    if expected is None:
        expected = span.get("output")
    row: dict[str, Any] = {"id": str(uuid.uuid4()), "input": span.get("input")}
    if expected is not None:
        row["expected"] = expected
    if span.get("metadata"):
        row["metadata"] = span["metadata"]
    if span.get("tags"):
        row["tags"] = span["tags"]
    row["origin"] = {
        "object_type": "project_logs",
        "object_id": project_id,
        "id": span["id"],
        "_xact_id": str(span["_xact_id"]),
    }
    return row


def add_from_logs(
    svc: Services,
    p: Principal,
    dataset_id: str,
    *,
    span_ids: Sequence[str] | None = None,
    query: str | None = None,
    project: str | None = None,
) -> dict[str, Any]:
    """Copy logged spans into the dataset (one new version): ``input``, ``expected`` (the span's
    ``expected``, else its ``output``), ``metadata`` and ``tags``, with ``origin`` pointing back
    at the span. Spans are named by id, or found with a query (BTQL or SQL, which must return
    the spans' ``id``). Logs are read from ``project`` (default: the dataset's project)."""
    require_write(p)
    if bool(span_ids) == bool(query):
        raise InvalidInput("give either span_ids or query")
    obj = get_dataset(svc, p, dataset_id)
    proj = svc.control.get_project(p.org_id, project or obj.project_id)
    logs = ObjectRef(p.org_id, proj.id, "project_logs", proj.id)
    if query:
        from openloop.services.query import run_user_query

        result = run_user_query(svc, p, query, project=proj.name)
        data = result.get("data") or []
        if data and "id" not in data[0]:
            raise InvalidInput("the query must return each span's id (select id, or *)")
        span_ids = list(dict.fromkeys(str(r["id"]) for r in data if r.get("id") is not None))
    ids = list(dict.fromkeys(span_ids or []))
    if len(ids) > _MAX_FROM_LOGS:
        raise InvalidInput(f"{len(ids)} spans at once; the limit is {_MAX_FROM_LOGS}")
    spans = {s["id"]: s for s in svc.data.read(logs, ids=ids)} if ids else {}
    missing = [i for i in ids if i not in spans]
    if missing and span_ids is not None and not query:
        raise NotFound(f"span {missing[0]!r} not found in the logs of project {proj.name!r}")
    rows = [_copy_of(spans[i], proj.id) for i in ids if i in spans]
    result = write_rows(svc, dataset_ref(obj), rows)
    logger.info("datasets.from_logs id=%s rows=%d", obj.id, len(rows))
    return {**result, "rows": len(rows)}
