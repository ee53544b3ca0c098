"""OpenLoop: evaluation and observability for LLM applications.

Tracing in three lines::

    import openloop

    logger = openloop.init_logger("my-app")     # OPENLOOP_API_KEY / OPENLOOP_BASE_URL from env

    @openloop.traced
    def answer(question: str) -> str: ...

Importing ``openloop`` stays light: it loads the SDK (httpx, orjson) and nothing of the server.
"""

from __future__ import annotations

from openloop._version import __version__
from openloop.sdk import (
    Logger,
    SenderConfig,
    Span,
    TracedThreadPoolExecutor,
    current_logger,
    current_span,
    flush,
    init_logger,
    log_feedback,
    start_span,
    traced,
    wrap_anthropic,
    wrap_openai,
)
from openloop.sdk.datasets import Dataset, init_dataset
from openloop.sdk.eval import Eval, EvalAsync, init_experiment
from openloop.sdk.prompts import Prompt, load_prompt

__all__ = [
    "Dataset",
    "Eval",
    "EvalAsync",
    "Logger",
    "Prompt",
    "SenderConfig",
    "Span",
    "TracedThreadPoolExecutor",
    "__version__",
    "current_logger",
    "current_span",
    "flush",
    "init_dataset",
    "init_experiment",
    "init_logger",
    "load_prompt",
    "log_feedback",
    "start_span",
    "traced",
    "wrap_anthropic",
    "wrap_openai",
]
