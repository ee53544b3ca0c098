"""Prompts from code: ``load_prompt(project, slug)`` fetches a saved prompt (the latest
version, or a pinned one) and :meth:`Prompt.build` renders it into keyword arguments for an
OpenAI-style client.

>>> prompt = openloop.load_prompt("my-app", "qa-bot", version="1732712345000001")  # doctest: +SKIP
>>> client.chat.completions.create(**prompt.build(question="2+2?"))  # doctest: +SKIP

Server contract: ``GET /v1/prompt?project=&slug=&version=`` → ``{"objects": [prompt]}``.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from openloop.errors import NotFound
from openloop.sdk.datasets import ApiClient

__all__ = ["Prompt", "load_prompt"]

logger = logging.getLogger(__name__)


class Prompt:
    """One version of a saved prompt. Build it with :func:`load_prompt`."""

    def __init__(self, data: Mapping[str, Any], *, defaults: Mapping[str, Any] | None = None):
        self._data = copy.deepcopy(dict(data))
        self._defaults = dict(defaults or {})

    @property
    def id(self) -> str:
        return self._data["id"]

    @property
    def name(self) -> str:
        return self._data["name"]

    @property
    def slug(self) -> str:
        return self._data["slug"]

    @property
    def project_id(self) -> str:
        return self._data["project_id"]

    @property
    def version(self) -> str:
        """The version (``_xact_id``) this object holds; pass it to ``load_prompt`` to pin."""
        return self._data["version"]

    @property
    def prompt_data(self) -> dict[str, Any]:
        return copy.deepcopy(self._data["prompt_data"])

    @property
    def model(self) -> str | None:
        return (self._data["prompt_data"].get("options") or {}).get("model")

    @property
    def params(self) -> dict[str, Any]:
        return dict((self._data["prompt_data"].get("options") or {}).get("params") or {})

    @property
    def messages(self) -> list[dict[str, Any]]:
        return copy.deepcopy((self._data["prompt_data"].get("prompt") or {}).get("messages") or [])

    def build(
        self, variables: Mapping[str, Any] | None = None, /, *, strict: bool = True, **kwargs: Any
    ) -> dict[str, Any]:
        """Render the messages with ``variables`` and/or keyword variables; returns
        ``{model, messages, **params, tools?, response_format?}`` ready for
        ``client.chat.completions.create(**...)``. ``defaults`` given to ``load_prompt`` fill
        in params the prompt does not set. In strict mode a missing variable raises
        :class:`~openloop.errors.InvalidInput` naming it."""
        from openloop.evals.prompts import build

        values = {**(variables or {}), **kwargs}
        out = build(self._data["prompt_data"], values, strict=strict)
        for key, value in self._defaults.items():
            out.setdefault(key, value)
        return out

    def __repr__(self) -> str:
        return f"<Prompt {self.slug!r} version={self.version}>"


def load_prompt(
    project: str,
    slug: str,
    version: str | int | None = None,
    *,
    defaults: Mapping[str, Any] | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    transport: Any = None,
) -> Prompt:
    """Fetch the prompt ``slug`` of ``project`` (id or name): the latest version, or exactly
    ``version``. Raises :class:`~openloop.errors.NotFound` when there is no such prompt or
    version."""
    client = ApiClient(base_url, api_key, transport=transport)
    try:
        params = {"project": project, "slug": slug,
                  "version": None if version is None else str(version)}  # fmt: skip
        body = client.request("GET", "/v1/prompt", params=params)
    finally:
        client.close()
    objects = body.get("objects") or []
    if not objects:
        raise NotFound(f"no prompt with slug {slug!r} in project {project!r}")
    return Prompt(objects[0], defaults=defaults)
