"""The OpenLoop tracing SDK: loggers, spans, ``@traced`` and LLM client wrappers.

The public surface is re-exported from :mod:`openloop`; this package holds the parts:

- ``transport`` — the background sender (bounded queue, batching, retries, gzip, exit flush)
- ``spans`` — :class:`Span`, the current-span context var, exported span handles
- ``logger`` — :class:`Logger`, ``init_logger`` and the module-level API
- ``traced`` — the ``@traced`` decorator
- ``wrappers`` — ``wrap_openai`` and ``wrap_anthropic``

Server contract: ``POST /v1/project/register {"name"}`` and ``POST /v1/ingest {"rows": [...]}``
with ``Authorization: Bearer <OPENLOOP_API_KEY>`` against ``OPENLOOP_BASE_URL``.
"""

from __future__ import annotations

from openloop.sdk.logger import (
    Logger,
    current_logger,
    flush,
    init_logger,
    log_feedback,
    start_span,
)
from openloop.sdk.spans import NOOP_SPAN, Span, TracedThreadPoolExecutor, current_span
from openloop.sdk.traced import traced
from openloop.sdk.transport import SenderConfig
from openloop.sdk.wrappers import wrap_anthropic, wrap_openai

__all__ = [
    "NOOP_SPAN",
    "Logger",
    "SenderConfig",
    "Span",
    "TracedThreadPoolExecutor",
    "current_logger",
    "current_span",
    "flush",
    "init_logger",
    "log_feedback",
    "start_span",
    "traced",
    "wrap_anthropic",
    "wrap_openai",
]
