"""The contract between a query and a store's full-text search: what a query needs from a
search when it shows only one page of the matches."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SearchPage"]


@dataclass(frozen=True)
class SearchPage:
    """What a query needs from a search when it shows one page of matches in ``created`` order:
    the first ``limit`` of the matches that also meet ``condition``, newest first when
    ``descending``, ties broken by the larger ``_pagination_key``. A store may then answer with
    fewer keys, as long as every key of that page is among them (see
    ``openloop.store.data._search.narrow_to_page``).

    ``condition`` is the rest of the query's filter as SQL over the store's ``rows`` table,
    rendered by the query compiler (user text in it only as quoted literals); ``None`` when the
    search is the whole filter. ``lo`` and ``hi`` repeat the bounds it puts on ``created``, if
    any, as microseconds since the epoch (``lo <= created < hi``; ``None`` is unbounded)."""

    limit: int
    descending: bool
    lo: int | None = None
    hi: int | None = None
    condition: str | None = None
