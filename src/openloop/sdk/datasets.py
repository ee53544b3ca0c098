"""Datasets from code: ``init_dataset(project, name)`` returns a :class:`Dataset` you insert
into, update, delete from and iterate.

Writes are buffered and sent together by :meth:`Dataset.flush` (one new version per flush);
reading (iteration, :attr:`Dataset.version`, :meth:`Dataset.summarize`) flushes first, so you
always read your own writes. Unlike logging, dataset calls raise on server errors: a dataset
write is something you asked for explicitly.

Server contract: ``POST /v1/dataset {project_name, name}`` (get-or-create),
``POST /v1/dataset/{id}/insert {events}``, ``GET /v1/dataset/{id}/rows?version=``,
``GET /v1/dataset/{id}/summary``.

>>> ds = openloop.init_dataset("my-app", "golden")  # doctest: +SKIP
>>> ds.insert(input={"q": "2+2"}, expected="4")  # doctest: +SKIP
>>> for row in ds: print(row["input"], row["expected"])  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import httpx

from openloop.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    OpenLoopError,
    PayloadTooLarge,
    Unauthorized,
    UsageError,
)
from openloop.sdk._util import new_id, snapshot

__all__ = ["Dataset", "init_dataset"]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
_FLUSH_EVERY = 500
_ERRORS: dict[int, type[OpenLoopError]] = {
    400: InvalidInput, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
    413: PayloadTooLarge, 422: InvalidInput,
}  # fmt: skip


class ApiClient:
    """A small synchronous REST client for the SDK's request/response calls. Works with any
    httpx transport, including async-only ones (``httpx.ASGITransport``) through a private
    event loop. Error envelopes become :class:`~openloop.errors.OpenLoopError` subclasses."""

    def __init__(
        self, base_url: str | None, api_key: str | None, *, transport: Any = None,
        timeout: float = 60.0,
    ) -> None:  # fmt: skip
        url = base_url or os.environ.get("OPENLOOP_BASE_URL") or DEFAULT_BASE_URL
        key = api_key if api_key is not None else os.environ.get("OPENLOOP_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        kwargs: dict[str, Any] = {"base_url": url, "headers": headers, "timeout": timeout}
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._async: httpx.AsyncClient | None = None
        self._sync: httpx.Client | None = None
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            self._async = httpx.AsyncClient(transport=transport, **kwargs)
            self._loop = asyncio.new_event_loop()
        else:
            self._sync = httpx.Client(transport=transport, **kwargs)

    def request(self, method: str, path: str, *, json: Any = None,
                params: Mapping[str, Any] | None = None) -> Any:  # fmt: skip
        """Send one request; returns the decoded JSON body (None for 204)."""
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        with self._lock:
            if self._sync is not None:
                resp = self._sync.request(method, path, json=json, params=clean)
            else:
                assert self._async is not None and self._loop is not None
                resp = self._loop.run_until_complete(
                    self._async.request(method, path, json=json, params=clean)
                )
        if resp.status_code >= 400:
            raise _error(resp)
        if resp.status_code == 204 or not resp.content:
            return None
        return resp.json()

    def close(self) -> None:
        with self._lock:
            if self._sync is not None:
                self._sync.close()
            if self._async is not None and self._loop is not None:
                self._loop.run_until_complete(self._async.aclose())
                self._loop.close()
                self._async = None


def _error(resp: httpx.Response) -> OpenLoopError:
    try:
        body = resp.json().get("error") or {}
        message = str(body.get("message") or resp.text)
    except ValueError:
        message = resp.text or resp.reason_phrase
    cls = _ERRORS.get(resp.status_code, OpenLoopError)
    return cls(f"{resp.request.method} {resp.request.url.path}: {message}", status=resp.status_code)


class Dataset:
    """A dataset on the server. Build it with :func:`init_dataset`."""

    def __init__(self, client: ApiClient, info: Mapping[str, Any], *, version: str | None = None):
        self._client = client
        self._info = dict(info)
        self._pinned = None if version is None else str(version)
        self._pending: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._last_version: str | None = None

    @property
    def id(self) -> str:
        return self._info["id"]

    @property
    def name(self) -> str:
        return self._info["name"]

    @property
    def project_id(self) -> str:
        return self._info["project_id"]

    @property
    def version(self) -> str | None:
        """The pinned version, else the latest (after sending pending writes)."""
        if self._pinned is not None:
            return self._pinned
        self.flush()
        return self.summarize()["version"]

    # -- writes ---------------------------------------------------------------------------------

    def _queue(self, row: dict[str, Any]) -> None:
        with self._lock:
            self._pending.append(row)
            full = len(self._pending) >= _FLUSH_EVERY
        if full:
            self.flush()

    def insert(
        self,
        input: Any = None,
        expected: Any = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        id: str | None = None,
        output: Any = None,
    ) -> str:
        """Add a row (or replace the row with this ``id``); returns its id. ``output`` is an
        alias of ``expected``."""
        if metadata is not None and not isinstance(metadata, dict):
            raise InvalidInput("metadata must be a dict")
        row_id = id or new_id()
        row: dict[str, Any] = {"id": row_id, "input": snapshot(input)}
        exp = expected if expected is not None else output
        if exp is not None:
            row["expected"] = snapshot(exp)
        if metadata is not None:
            row["metadata"] = snapshot(metadata)
        if tags is not None:
            row["tags"] = list(tags)
        self._queue(row)
        return row_id

    def update(self, id: str, **fields: Any) -> str:
        """Merge ``input``/``expected``/``metadata``/``tags`` into the row ``id``."""
        unknown = sorted(set(fields) - {"input", "expected", "metadata", "tags"})
        if unknown:
            raise UsageError(f"update() takes input, expected, metadata, tags; not {unknown}")
        row = {k: snapshot(v) for k, v in fields.items() if v is not None}
        self._queue({"id": id, **row, "_is_merge": True})
        return id

    def delete(self, id: str) -> None:
        """Delete the row ``id`` (older versions keep it)."""
        self._queue({"id": id, "_object_delete": True})

    def flush(self) -> str | None:
        """Send pending writes as one new version; returns that version (None if nothing was
        pending). Raises if the server rejects them."""
        with self._lock:
            rows, self._pending = self._pending, []
        if not rows:
            return None
        try:
            result = self._client.request(
                "POST", f"/v1/dataset/{self.id}/insert", json={"events": rows}
            )
        except Exception:
            with self._lock:
                self._pending[:0] = rows
            raise
        self._last_version = result.get("xact_id")
        return self._last_version

    # -- reads ----------------------------------------------------------------------------------

    def fetch(self) -> Iterator[dict[str, Any]]:
        """Rows as of the pinned version (or now), oldest first."""
        self.flush()
        body = self._client.request(
            "GET", f"/v1/dataset/{self.id}/rows", params={"version": self._pinned}
        )
        yield from body["rows"]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.fetch()

    def summarize(self) -> dict[str, Any]:
        """``{project_name, dataset_name, dataset_id, num_rows, version}`` (current state)."""
        self.flush()
        return self._client.request("GET", f"/v1/dataset/{self.id}/summary")

    def close(self) -> None:
        """Send pending writes and release the connection."""
        try:
            self.flush()
        finally:
            self._client.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Dataset {self.name!r} id={self.id}>"


def init_dataset(
    project: str,
    name: str,
    *,
    description: str | None = None,
    version: str | int | None = None,
    metadata: dict[str, Any] | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    transport: Any = None,
) -> Dataset:
    """Open the dataset ``name`` of ``project``, creating both if needed. ``version`` pins
    reads to that version. ``base_url``/``api_key`` default to ``OPENLOOP_BASE_URL`` /
    ``OPENLOOP_API_KEY``; ``transport`` is any httpx transport (tests use ASGI)."""
    client = ApiClient(base_url, api_key, transport=transport)
    body: dict[str, Any] = {"project_name": project, "name": name}
    if description is not None:
        body["description"] = description
    if metadata is not None:
        body["metadata"] = metadata
    try:
        info = client.request("POST", "/v1/dataset", json=body)
    except Exception:
        client.close()
        raise
    return Dataset(client, info, version=None if version is None else str(version))
