"""The data plane: rows of project logs, experiments, datasets, prompts and functions.

``base.py`` is the contract every backend implements; ``duckdb.py`` is the embedded default.
"""

from __future__ import annotations

from openloop.store.data.base import DataStore, ObjectRef, WriteRequest, WriteResult

__all__ = ["DataStore", "ObjectRef", "WriteRequest", "WriteResult", "open_data_store"]


def open_data_store(settings: object) -> DataStore:
    """Open the backend named by ``settings.data_backend``."""
    backend = getattr(settings, "data_backend", "duckdb")
    if backend == "duckdb":
        from openloop.store.data.duckdb import DuckDBStore

        return DuckDBStore.open(settings)  # type: ignore[arg-type]
    from openloop.errors import ConfigError

    raise ConfigError(
        f"data backend {backend!r} is not available in this build; use OPENLOOP_DATA_BACKEND=duckdb"
    )
