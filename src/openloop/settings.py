"""OpenLoop's configuration: one pydantic-settings class, env prefix ``OPENLOOP_``.

Built once at an entry point (CLI, server factory, tests) and passed down; library code never
reads ``os.environ``. ``docs/configuration.md`` is generated from this class
(``python -m openloop.settings > docs/configuration.md``) and a test fails when they drift.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "render_markdown"]


#: Where ``make serve`` keeps its data, in the checkout it runs from.
CHECKOUT_DATA_DIR = ".openloop-data"


def _default_data_dir() -> Path:
    """``.openloop-data`` in the current directory when it exists, else ``~/.openloop``: so
    ``openloop login-link`` or ``openloop keys create``, run in the checkout where ``make serve``
    runs, act on that server's data rather than on another organization's."""
    try:
        local = Path.cwd() / CHECKOUT_DATA_DIR
    except OSError:  # the current directory is gone
        return Path.home() / ".openloop"
    return local if local.is_dir() else Path.home() / ".openloop"


class Settings(BaseSettings):
    """Every knob OpenLoop reads. Set any field with ``OPENLOOP_<FIELD>`` in the environment."""

    model_config = SettingsConfigDict(
        env_prefix="OPENLOOP_", env_file=None, extra="ignore", validate_default=True
    )

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Directory holding the embedded stores: control.db (SQLite), data.duckdb, the "
        "full-text index and the generated secret key. Created on first start.",
    )
    control_db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the control-plane database (orgs, users, keys, projects, "
        "registry). Empty means SQLite at `<data_dir>/control.db`. Example: "
        "`postgresql+psycopg://openloop:pw@localhost/openloop`.",
    )
    data_backend: Literal["duckdb"] = Field(
        default="duckdb",
        description="Data-plane engine for logs, experiments and datasets. `duckdb` is embedded "
        "(file `<data_dir>/data.duckdb`) and is the only engine this release serves from; the "
        "query compiler already emits ClickHouse SQL, verified on embedded ClickHouse in tests.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Key that signs session cookies and encrypts AI-provider secrets at rest. "
        "Empty means a random key generated once and kept in `<data_dir>/secret.key` (mode 0600). "
        "Keep it stable: changing it logs everyone out and makes stored provider keys unreadable.",
    )
    host: str = Field(default="127.0.0.1", description="Interface the server listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="TCP port the server listens on.")
    public_url: str | None = Field(
        default=None,
        description="Base URL users reach the server at, used in printed login links. Empty means "
        "`http://<host>:<port>`.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Server log level."
    )
    load_demo: bool = Field(
        default=True,
        description="Load the `demo-support-bot` project the first time the server starts on an "
        "empty data directory.",
    )
    session_ttl_hours: int = Field(
        default=24 * 14, ge=1, description="Lifetime of a browser session cookie, in hours."
    )
    login_link_ttl_minutes: int = Field(
        default=60, ge=1, description="Lifetime of a one-time login link, in minutes."
    )
    max_request_bytes: int = Field(
        default=32 * 1024 * 1024,
        ge=1024,
        description="Largest accepted request body (after decompression), in bytes; larger "
        "requests get 413.",
    )
    max_field_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=256,
        description="Largest accepted single field (input, output, metadata, ...) of one row, in "
        "bytes of JSON; a larger row is rejected on its own with a per-row error.",
    )
    max_json_depth: int = Field(
        default=64, ge=4, description="Deepest accepted JSON nesting inside one row."
    )
    ingest_max_rows: int = Field(
        default=10_000, ge=1, description="Most rows accepted in one ingest request."
    )
    ingest_decode_processes: int | None = Field(
        default=None,
        ge=0,
        description="Worker processes that decode ingest request bodies (native batches and "
        "OTLP exports) into columns, leaving the server's own interpreter to HTTP, writes and "
        "indexing. Unset: one per CPU beyond the first, at most 4. 0 decodes in the server "
        "process.",
    )
    query_default_limit: int = Field(
        default=100, ge=1, description="Row limit applied to a query that names none."
    )
    query_max_limit: int = Field(
        default=10_000, ge=1, description="Largest row limit a single query may ask for."
    )
    query_strict: bool = Field(
        default=False,
        description="Reject (instead of warn about) project-log queries that have no range filter "
        "on `created`, `_xact_id` or `_pagination_key` and are not scoped to a trace or row id.",
    )
    query_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Queries running longer than this are cancelled."
    )
    duckdb_checkpoint_mb: int = Field(
        default=256,
        ge=1,
        description="Write-ahead log size (MB) at which DuckDB folds new rows into the "
        "compressed table. Larger means fewer, cheaper checkpoints under steady ingest (each "
        "one recompresses the table's last, partly filled row group) at the price of a longer "
        "log replay after a crash.",
    )
    index_commit_interval_ms: int = Field(
        default=2000,
        ge=10,
        description="How often new rows are committed to the full-text index. Rows not yet "
        "indexed are still found by search (scanned directly), so this trades CPU (each commit "
        "writes a segment, and small segments are merged again later) against the length of "
        "that scan under heavy ingest.",
    )
    online_scoring_interval_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How often the server applies online scoring rules to new logs, in seconds. "
        "0 turns the background scorer off (rules can still be run on demand).",
    )
    loop_default_model: str | None = Field(
        default=None,
        description="Model Loop uses when a thread names none and the org allows it, e.g. "
        "`openai:gpt-4.1`. Empty means the first model in the org's allowlist.",
    )

    @field_validator("data_dir", mode="before")
    @classmethod
    def _expand(cls, v: object) -> object:
        if isinstance(v, str):
            return Path(v).expanduser()
        if isinstance(v, Path):
            return v.expanduser()
        return v

    # -- derived values -------------------------------------------------------------------------

    @property
    def resolved_control_db_url(self) -> str:
        return self.control_db_url or f"sqlite:///{self.data_dir / 'control.db'}"

    @property
    def duckdb_path(self) -> Path:
        return self.data_dir / "data.duckdb"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def resolved_ingest_decode_processes(self) -> int:
        if self.ingest_decode_processes is not None:
            return self.ingest_decode_processes
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        return min(4, max(0, (cpus or 1) - 1))

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def resolved_secret_key(self) -> bytes:
        """The configured secret, or the one kept in ``<data_dir>/secret.key`` (created once)."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip().encode()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.touch(mode=0o600)
        path.write_text(key + "\n")
        return key.encode()


def render_markdown() -> str:
    """The configuration reference page, generated from :class:`Settings`."""
    lines = [
        "# Configuration",
        "",
        "OpenLoop reads its settings from environment variables prefixed `OPENLOOP_`. Every",
        "setting has a default, so `make serve` needs none. This page is generated from",
        "`openloop.settings.Settings` (`python -m openloop.settings > docs/configuration.md`);",
        "a test fails if it drifts from the code.",
        "",
        "| Variable | Default | Description |",
        "| --- | --- | --- |",
    ]
    for name, field in Settings.model_fields.items():
        if field.default_factory is not None:
            default = (
                f"`./{CHECKOUT_DATA_DIR}` if it exists, else `~/.openloop`"
                if name == "data_dir"
                else "(computed)"
            )
        elif field.default is None:
            default = "(empty)"
        else:
            default = f"`{str(field.default).lower() if isinstance(field.default, bool) else field.default}`"
        desc = (field.description or "").replace("|", "\\|")
        lines.append(f"| `OPENLOOP_{name.upper()}` | {default} | {desc} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(render_markdown(), end="")
