"""Calling a provider over HTTP: timeouts, retries with exponential backoff, and errors that
name who failed.

:func:`send_with_retries` retries 408, 409, 429, 5xx and connection errors, waiting
``base_delay * 2**attempt`` (jittered, capped) or what the provider's ``Retry-After`` asks.
Whatever still fails becomes a :class:`ProviderError` naming the provider and the model.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from openloop.errors import OpenLoopError

if TYPE_CHECKING:
    from openloop.llm.providers import ResolvedModel

__all__ = ["DEFAULT_RETRY", "ProviderError", "RetryPolicy", "send_with_retries", "upstream_message"]

logger = logging.getLogger(__name__)

_RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 520, 522, 524, 529})


class ProviderError(OpenLoopError):
    """A provider failed to answer (after retries) or refused the request. Names the provider
    and the model; ``status`` is 502 unless the provider's own answer says otherwise (429 when
    it keeps rate-limiting, 400 when it rejects the request itself)."""

    status = 502

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        model: str,
        status: int | None = None,
        upstream_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message,
            status=status,
            provider=provider,
            model=model,
            upstream_status=upstream_status,
            retry_after=retry_after,
        )
        self.provider = provider
        self.model = model
        self.upstream_status = upstream_status
        self.retry_after = retry_after


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one provider call.

    ``retries`` extra attempts after the first, waiting ``base_delay * 2**n`` seconds (with
    jitter, capped at ``max_delay``) or the provider's ``Retry-After`` when it sends one (capped
    at ``max_retry_after``). ``timeout`` bounds each attempt's connect/read/write phase.
    """

    retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0
    timeout: float = 120.0
    connect_timeout: float = 10.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        backoff = min(self.base_delay * (2**attempt), self.max_delay)
        return backoff * (0.5 + random.random() / 2)

    def httpx_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, connect=self.connect_timeout)


DEFAULT_RETRY = RetryPolicy()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after-ms")
    if value:
        try:
            return float(value) / 1000
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).timestamp() - time.time()
    except (TypeError, ValueError):
        return None


def upstream_message(body: bytes) -> str:
    """The human part of a provider's error body (OpenAI and Anthropic both nest it)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body.decode("utf-8", "replace")[:300].strip()
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"][:300]
        if isinstance(err, str):
            return err[:300]
    return str(data)[:300]


async def send_with_retries(
    client: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    target: ResolvedModel,
    policy: RetryPolicy = DEFAULT_RETRY,
    *,
    stream: bool = False,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> httpx.Response:
    """Send ``build()`` until it succeeds, retrying 408/409/429/5xx and connection errors.

    Returns a 2xx response (body unread when ``stream``; the caller closes it). Raises
    :class:`ProviderError` naming the provider and model once retries are exhausted or when
    the provider rejects the request outright.
    """
    who = f"provider {target.provider_name!r} ({target.kind}) for model {target.model!r}"
    for attempt in range(policy.retries + 1):
        last = attempt == policy.retries
        try:
            response = await client.send(build(), stream=stream)
        except (httpx.TransportError, httpx.TimeoutException) as exc:
            kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "unreachable"
            logger.warning(
                "llm.retry provider=%s model=%s attempt=%d error=%s",
                target.provider_name,
                target.model,
                attempt + 1,
                type(exc).__name__,
            )
            if last:
                raise ProviderError(
                    f"{who} {kind} after {attempt + 1} attempts: {exc}",
                    provider=target.provider_name,
                    model=target.model,
                ) from exc
            await sleep(policy.delay(attempt, None))
            continue
        if response.status_code < 400:
            return response
        body = await response.aread()
        await response.aclose()
        status = response.status_code
        detail = upstream_message(body)
        wait = _retry_after(response)
        if status in _RETRY_STATUSES and not last:
            logger.warning(
                "llm.retry provider=%s model=%s attempt=%d status=%d",
                target.provider_name,
                target.model,
                attempt + 1,
                status,
            )
            await sleep(policy.delay(attempt, wait))
            continue
        raise _status_error(who, target, status, detail, wait, attempt + 1)
    raise AssertionError("unreachable")  # pragma: no cover


def _status_error(
    who: str, target: ResolvedModel, status: int, detail: str, wait: float | None, attempts: int
) -> ProviderError:
    common: dict[str, Any] = {
        "provider": target.provider_name,
        "model": target.model,
        "upstream_status": status,
    }
    if status == 429:
        return ProviderError(
            f"{who} is rate-limiting requests (429 after {attempts} attempts): {detail}",
            status=429,
            retry_after=wait,
            **common,
        )
    if status in (401, 403):
        return ProviderError(
            f"{who} rejected the stored API key ({status}): {detail}. An admin can update it "
            "with POST /v1/ai_provider.",
            **common,
        )
    if status in _RETRY_STATUSES or status >= 500:
        return ProviderError(
            f"{who} failed with {status} after {attempts} attempts: {detail}", **common
        )
    return ProviderError(f"{who} rejected the request ({status}): {detail}", status=400, **common)
