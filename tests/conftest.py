"""Shared fixtures. Model requests to real LLM providers are blocked for the whole suite:
tests use pydantic-ai's TestModel/FunctionModel at the provider boundary."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Never let a test reach a real provider, even by accident.
os.environ.pop("OPENAI_API_KEY", None)
os.environ.pop("ANTHROPIC_API_KEY", None)
os.environ.pop("OPENLOOP_API_KEY", None)
os.environ.pop("OPENLOOP_BASE_URL", None)
# Ingest bodies are decoded in the server process unless a test asks for worker processes
# (tests/ingest/test_pool.py, and the live servers of tests/server/live.py).
os.environ["OPENLOOP_INGEST_DECODE_PROCESSES"] = "0"

try:
    from pydantic_ai import models as _pai_models

    _pai_models.ALLOW_MODEL_REQUESTS = False
except Exception:  # pragma: no cover - pydantic-ai is a hard dependency
    pass


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "openloop-data"
    d.mkdir()
    return d


@pytest.fixture
def settings(data_dir: Path):
    from openloop.settings import Settings

    return Settings(data_dir=data_dir, load_demo=False, secret_key="test-secret-key")
