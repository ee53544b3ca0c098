"""Where the Loop under evaluation runs: in-process over a data directory, or over HTTP.

Both expose the same small surface to :mod:`harness`:

``generate_query(request, current_query=None) -> (query, model_calls)``,
``generate_filter(request) -> (expr, model_calls)``, ``last_calls()``,
``run(text, strict=False) -> rows``, ``filter_ids(expr) -> frozenset``,
``offline_fix(text) -> query | None`` and ``failure(text, strict=False) -> message | None``.

``model_calls`` is how many model requests one generation took (2 = the self-repair round
ran); over HTTP it is unknown (``None``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from harness import DEMO, FILTER_WINDOW, Config, counting

logger = logging.getLogger(__name__)

__all__ = ["HttpLoop", "LocalLoop", "QueryFailed"]

#: Largest page a filter comparison reads at once (the query language's maximum limit).
_PAGE = 10_000
_MAX_PAGES = 20


class QueryFailed(Exception):
    """A query that parses and runs, but is rejected by the strict check (no range filter)."""


def _strict_check(result: dict[str, Any]) -> dict[str, Any]:
    for w in result.get("warnings") or []:
        if w.get("code") == "no_range_filter":
            raise QueryFailed(f"strict mode: {w.get('message')}")
    return result


def _id_query(expr: str) -> str:
    return f"select: id | from: project_logs('{DEMO}') | filter: ({expr}) AND {FILTER_WINDOW} " \
           f"| sort: _pagination_key | limit: {_PAGE}"  # fmt: skip


class _Common(ABC):
    """Paging and error text shared by both backends (``_query`` is theirs)."""

    @abstractmethod
    def _query(self, text: str, cursor: str | None = None) -> dict[str, Any]:
        """One page of ``text``'s result: ``{data, cursor, warnings}``."""

    def run(self, text: str, *, strict: bool = False) -> list[dict[str, Any]]:
        result = self._query(text)
        return list((_strict_check(result) if strict else result)["data"])

    def failure(self, text: str, *, strict: bool = False) -> str | None:
        try:
            self.run(text, strict=strict)
        except Exception as exc:
            return getattr(exc, "message", None) or str(exc)
        return None

    def filter_ids(self, expr: str) -> frozenset[str]:
        ids: set[str] = set()
        cursor = None
        for _ in range(_MAX_PAGES):
            page = self._query(_id_query(expr), cursor)
            ids.update(str(r["id"]) for r in page["data"])
            cursor = page.get("cursor")
            if not cursor or not page["data"]:
                break
        return frozenset(ids)


@dataclass
class LocalLoop(_Common):
    """Loop in-process over ``data_dir``: the service functions of :mod:`openloop.services`."""

    svc: Any
    principal: Any
    model: Any = None
    now: datetime | None = None
    _calls: threading.local = field(default_factory=threading.local)
    _built: Any = None
    scratch: Path | None = None  # a directory of our own, removed on close

    @classmethod
    def open(cls, data_dir: Path, *, now: datetime, traces: int, model: Any = None) -> LocalLoop:
        """Open (or create) ``data_dir`` and make sure it holds the demo project. A new data
        dir gets an organization of its own; an existing one is used through the org named by
        ``OPENLOOP_LOOP_EVAL_ORG`` (default: its first), as one of the org's owners."""
        from openloop.auth import Principal
        from openloop.demo import load_demo
        from openloop.services import Services
        from openloop.settings import Settings

        svc = Services.open(Settings(data_dir=data_dir, load_demo=False))
        if svc.control.is_empty():
            boot = svc.control.bootstrap(org_name="loop-evals")
            principal = Principal(boot.org.id, boot.user.id, "owner")
        else:
            wanted = os.environ.get("OPENLOOP_LOOP_EVAL_ORG")
            orgs = [o for o in svc.control.list_orgs() if wanted in (None, o.id, o.name)]
            if not orgs:
                raise LookupError(f"no organization {wanted!r} in {data_dir}")
            owners = [m for m in svc.control.list_members(orgs[0].id) if m.role == "owner"]
            principal = Principal(orgs[0].id, owners[0].user_id, "owner")
        summary = load_demo(svc.control, svc.data, principal.org_id, now=now, traces=traces)
        logger.info("loop_evals.open dir=%s demo_now=%s loaded=%s", data_dir, summary.now,
                    summary.loaded)  # fmt: skip
        return cls(svc, principal, model, datetime.fromisoformat(summary.now))

    def close(self) -> None:
        self.svc.close()
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)

    # -- the model ---------------------------------------------------------------------------
    def _model(self) -> Any:
        """A fresh counting wrapper around the configured model (built once, on first use)."""
        if self._built is None:
            model = self.model
            if model is None or isinstance(model, str):
                from openloop.llm.providers import build_model
                from openloop.services.providers import resolve_loop_model

                model = build_model(resolve_loop_model(self.svc, self.principal, model))
            self._built = model
        return counting(self._built)

    def last_calls(self) -> int | None:
        return getattr(self._calls, "n", None)

    def _generate(self, fn: Any, request: str, **kwargs: Any) -> tuple[dict[str, Any], int]:
        model = self._model()
        # The generator runs the agent synchronously on this thread's event loop; give it one of
        # its own and close it, so worker threads of the eval runner leave no loop behind.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            out = fn(self.svc, self.principal, request, project=DEMO, model=model, **kwargs)
        finally:
            self._calls.n = model.calls
            asyncio.set_event_loop(None)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
        return out, model.calls

    def generate_query(self, request: str, current_query: str | None = None) -> tuple[str, int]:
        from openloop.services.generate import generate_query

        out, calls = self._generate(generate_query, request, current_query=current_query)
        return out["query"], calls

    def generate_filter(self, request: str) -> tuple[str, int]:
        from openloop.services.generate import generate_filter

        out, calls = self._generate(generate_filter, request)
        return out["filter"], calls

    # -- queries -----------------------------------------------------------------------------
    def _query(self, text: str, cursor: str | None = None) -> dict[str, Any]:
        from openloop.services.query import run_user_query

        return run_user_query(self.svc, self.principal, text, project=DEMO, cursor=cursor)

    def offline_fix(self, text: str) -> str | None:
        from openloop.loop.skills.query_fix import fix_query
        from openloop.loop.skills.querying import Scope

        proj = self.svc.control.get_project(self.principal.org_id, DEMO)
        fix = fix_query(Scope(self.svc, self.principal, proj.id, proj.name), text)
        return fix.query if fix.ok else None


class HttpLoop(_Common):
    """Loop behind a running server: ``/btql``, ``/v1/loop/generate/{query,filter}`` and the
    query sandbox's fixer. The server must hold the demo project (``openloop demo``)."""

    def __init__(self, base_url: str, api_key: str, model: str | None = None) -> None:
        import httpx

        self.model = model
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=300.0,
                                  headers={"Authorization": f"Bearer {api_key}"})  # fmt: skip

    @classmethod
    def from_env(cls, cfg: Config) -> HttpLoop:
        base, key = os.environ.get("OPENLOOP_BASE_URL"), os.environ.get("OPENLOOP_API_KEY")
        if not base or not key:
            raise RuntimeError("the http target needs OPENLOOP_BASE_URL and OPENLOOP_API_KEY")
        return cls(base, key, cfg.model)

    def close(self) -> None:
        self._http.close()

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(path, json=body)
        if response.status_code >= 400:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:500]
            raise RuntimeError(f"{path}: {response.status_code} {message}")
        return response.json()

    def last_calls(self) -> int | None:
        return None

    def generate_query(self, request: str, current_query: str | None = None) -> tuple[str, None]:
        body = {"project": DEMO, "request": request, "model": self.model,
                "current_query": current_query}  # fmt: skip
        return self._post("/v1/loop/generate/query", body)["query"], None

    def generate_filter(self, request: str) -> tuple[str, None]:
        body = {"project": DEMO, "request": request, "model": self.model}
        return self._post("/v1/loop/generate/filter", body)["filter"], None

    def _query(self, text: str, cursor: str | None = None) -> dict[str, Any]:
        return self._post("/btql", {"query": text, "project": DEMO, "cursor": cursor})

    def offline_fix(self, text: str) -> str | None:
        out = self._post("/ui/api/fix_query", {"query": text, "project": DEMO})
        fixed = out.get("query")
        return fixed if fixed and self.failure(fixed, strict=True) is None else None
