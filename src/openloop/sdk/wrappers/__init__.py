"""Drop-in wrappers that trace LLM client calls as ``llm`` spans."""

from __future__ import annotations

from openloop.sdk.wrappers.anthropic import wrap_anthropic
from openloop.sdk.wrappers.openai import wrap_openai

__all__ = ["wrap_anthropic", "wrap_openai"]
