"""The data-plane column catalog: one readable place that says how a Braintrust-style row is
stored.

A row (a span of project logs or an experiment, a dataset record, a prompt or function
version) arrives as a JSON object with the fields of ``reference`` §2 (``id``, ``span_id``,
``root_span_id``, ``span_parents``, ``created``, ``input``, ``output``, ``expected``, ``error``,
``scores``, ``metadata``, ``metrics``, ``span_attributes``, ``tags``, ``context``, ``origin``...).

It is stored as one row of the ``rows`` table:

* **system** columns identify the row and its version (``object_type``, ``object_id``, ``id``,
  ``_xact_id``, ``_pagination_key``, ``_superseded_by``, ``_object_delete``...);
* **hot** columns are typed copies of the paths that filters and charts hit, extracted at
  ingest (``metadata.model`` → ``model``, ``metrics.prompt_tokens`` → ``prompt_tokens``,
  ``scores`` → a ``MAP(VARCHAR, DOUBLE)``...). Reading a column is ~100x faster than parsing JSON;
* **json** columns keep every top-level object whole (``input``, ``metadata``, ``metrics``...), so
  ``select *`` returns exactly what was written and any path works, hot or not.

The query compiler resolves a dotted path with :func:`hot_column_for_path` first and falls back
to JSON extraction on the owning json column. Backends derive their DDL from :data:`COLUMNS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COLUMNS",
    "COLUMN_BY_NAME",
    "HOT_PATHS",
    "JSON_FIELDS",
    "OBJECT_TYPES",
    "Column",
    "hot_column_for_path",
]

ColumnKind = Literal["system", "hot", "json"]

#: Object types a row can belong to (``origin.object_type`` uses the same names).
OBJECT_TYPES: tuple[str, ...] = ("project_logs", "experiment", "dataset", "prompt", "function")


@dataclass(frozen=True)
class Column:
    """One stored column.

    ``path`` is the Braintrust path the column is filled from (``None`` for system columns);
    ``duckdb``/``clickhouse`` are the engine types.
    """

    name: str
    kind: ColumnKind
    duckdb: str
    clickhouse: str
    description: str
    path: tuple[str, ...] | None = None


def _c(
    name: str,
    kind: ColumnKind,
    duckdb: str,
    clickhouse: str,
    description: str,
    path: str | None = None,
) -> Column:
    return Column(
        name, kind, duckdb, clickhouse, description, tuple(path.split(".")) if path else None
    )


COLUMNS: tuple[Column, ...] = (
    # -- system ---------------------------------------------------------------------------------
    _c("org_id", "system", "VARCHAR", "String", "Organization that owns the row."),
    _c("project_id", "system", "VARCHAR", "String", "Project that owns the row."),
    _c(
        "object_type",
        "system",
        "VARCHAR",
        "LowCardinality(String)",
        "One of project_logs, experiment, dataset, prompt, function.",
    ),
    _c(
        "object_id",
        "system",
        "VARCHAR",
        "String",
        "Container id: the project id for project logs, prompts and functions; the experiment "
        "or dataset id otherwise.",
    ),
    _c("id", "system", "VARCHAR", "String", "Row id, unique within its container."),
    _c(
        "_xact_id",
        "system",
        "BIGINT",
        "Int64",
        "Transaction id of the write that produced this version (monotonic).",
    ),
    _c(
        "_pagination_key",
        "system",
        "BIGINT",
        "Int64",
        "Unique, monotonic key of this stored version; the stable cursor for paging.",
    ),
    _c(
        "_superseded_by",
        "system",
        "BIGINT",
        "Nullable(Int64)",
        "Transaction id of the version that replaced this one, NULL while current.",
    ),
    _c("_object_delete", "system", "BOOLEAN", "Bool", "True for a tombstone (a delete)."),
    _c("created", "system", "TIMESTAMPTZ", "DateTime64(6, 'UTC')", "When the row was created."),
    _c("span_id", "system", "VARCHAR", "String", "Span id (dataset rows: same as id)."),
    _c("root_span_id", "system", "VARCHAR", "String", "Trace id: the span id of the root."),
    _c("span_parents", "system", "VARCHAR[]", "Array(String)", "Parent span ids; empty for roots."),
    _c("is_root", "system", "BOOLEAN", "Bool", "True when the span has no parents."),
    # -- hot: typed copies of frequently filtered paths ------------------------------------------
    _c(
        "span_type",
        "hot",
        "VARCHAR",
        "LowCardinality(Nullable(String))",
        "llm, task, tool, function, eval, score, ...",
        "span_attributes.type",
    ),
    _c(
        "span_name",
        "hot",
        "VARCHAR",
        "Nullable(String)",
        "Span display name.",
        "span_attributes.name",
    ),
    _c(
        "span_purpose",
        "hot",
        "VARCHAR",
        "LowCardinality(Nullable(String))",
        "`scorer` for spans produced while scoring.",
        "span_attributes.purpose",
    ),
    _c(
        "model",
        "hot",
        "VARCHAR",
        "LowCardinality(Nullable(String))",
        "Model name.",
        "metadata.model",
    ),
    _c(
        "provider",
        "hot",
        "VARCHAR",
        "LowCardinality(Nullable(String))",
        "Model provider.",
        "metadata.provider",
    ),
    _c("user_id", "hot", "VARCHAR", "Nullable(String)", "End user id.", "metadata.user_id"),
    _c(
        "session_id",
        "hot",
        "VARCHAR",
        "Nullable(String)",
        "Session / conversation id.",
        "metadata.session_id",
    ),
    _c(
        "prompt_tokens",
        "hot",
        "BIGINT",
        "Nullable(Int64)",
        "Prompt (input) tokens.",
        "metrics.prompt_tokens",
    ),
    _c(
        "completion_tokens",
        "hot",
        "BIGINT",
        "Nullable(Int64)",
        "Completion (output) tokens.",
        "metrics.completion_tokens",
    ),
    _c(
        "total_tokens",
        "hot",
        "BIGINT",
        "Nullable(Int64)",
        "Total tokens (metrics.tokens; also answers metrics.total_tokens).",
        "metrics.tokens",
    ),
    _c(
        "prompt_cached_tokens",
        "hot",
        "BIGINT",
        "Nullable(Int64)",
        "Prompt tokens read from cache.",
        "metrics.prompt_cached_tokens",
    ),
    _c(
        "estimated_cost",
        "hot",
        "DOUBLE",
        "Nullable(Float64)",
        "USD cost: metrics.estimated_cost when given, else tokens x the model's price; NULL for "
        "scorer spans.",
        "metrics.estimated_cost",
    ),
    _c(
        "start_time",
        "hot",
        "DOUBLE",
        "Nullable(Float64)",
        "Unix seconds the span started.",
        "metrics.start",
    ),
    _c(
        "end_time",
        "hot",
        "DOUBLE",
        "Nullable(Float64)",
        "Unix seconds the span ended.",
        "metrics.end",
    ),
    _c(
        "duration",
        "hot",
        "DOUBLE",
        "Nullable(Float64)",
        "Seconds from start to end (metrics.duration when given).",
        "metrics.duration",
    ),
    _c(
        "time_to_first_token",
        "hot",
        "DOUBLE",
        "Nullable(Float64)",
        "Seconds to the first streamed token.",
        "metrics.time_to_first_token",
    ),
    _c("has_error", "hot", "BOOLEAN", "Bool", "True when `error` is set.", None),
    _c(
        "error_type",
        "hot",
        "VARCHAR",
        "LowCardinality(Nullable(String))",
        "Error class: error.type when error is an object, else the text before the first ':'.",
        None,
    ),
    _c("tags", "hot", "VARCHAR[]", "Array(String)", "Tags.", "tags"),
    _c(
        "scores",
        "hot",
        "MAP(VARCHAR, DOUBLE)",
        "Map(String, Nullable(Float64))",
        "Scores by name, each in [0, 1] or NULL.",
        "scores",
    ),
    # -- json: every top-level object kept whole ---------------------------------------------------
    _c("input", "json", "JSON", "String", "Input (any JSON).", "input"),
    _c("output", "json", "JSON", "String", "Output (any JSON).", "output"),
    _c("expected", "json", "JSON", "String", "Expected output (any JSON).", "expected"),
    _c("error", "json", "JSON", "String", "Error (string or object).", "error"),
    _c("metadata", "json", "JSON", "String", "Metadata object.", "metadata"),
    _c("metrics", "json", "JSON", "String", "Metrics object (all metrics, hot or not).", "metrics"),
    _c("span_attributes", "json", "JSON", "String", "Span attributes object.", "span_attributes"),
    _c("context", "json", "JSON", "String", "Caller location.", "context"),
    _c("origin", "json", "JSON", "String", "Where the row was copied from.", "origin"),
    _c(
        "extra",
        "json",
        "JSON",
        "String",
        "Other top-level fields (comment, facets, classifications, prompt_data, function_data, "
        "name, slug, description...), as one object.",
        None,
    ),
)

COLUMN_BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}

#: Top-level JSON fields of a row that have their own json column.
JSON_FIELDS: tuple[str, ...] = tuple(
    c.name for c in COLUMNS if c.kind == "json" and c.name != "extra"
)

#: Dotted path -> hot column, for paths that are a single typed column.
HOT_PATHS: dict[tuple[str, ...], str] = {
    c.path: c.name
    for c in COLUMNS
    if c.kind == "hot" and c.path and c.name not in ("tags", "scores")
}
HOT_PATHS[("metrics", "total_tokens")] = "total_tokens"


def hot_column_for_path(path: tuple[str, ...]) -> str | None:
    """The hot column that stores ``path`` exactly, if any.

    >>> hot_column_for_path(("metadata", "model"))
    'model'
    >>> hot_column_for_path(("metadata", "region")) is None
    True
    """
    return HOT_PATHS.get(tuple(path))
