"""Search over OpenLoop's own documentation (what Loop's ``/docs`` answers from).

The pages in ``docs/*.md`` ship inside the package (``openloop/_docs``, see ``pyproject.toml``);
a source checkout falls back to the repository's ``docs/`` directory. Each page is split at
its headings into sections; a section is found by BM25 over its words (title words count
double), and every hit links to ``docs/<page>.md#<anchor>`` with a GitHub-style anchor.

    >>> index = DocsIndex.from_texts({"tracing.md": "# Tracing\\n## Send spans\\nUse the SDK."})
    >>> index.search("send spans")[0].link
    'docs/tracing.md#send-spans'

:class:`BM25` is the small ranking function the index uses; Loop's trace search reuses it.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = ["BM25", "DocHit", "DocSection", "DocsIndex", "default_index", "docs_dir", "terms"]

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[^\W_]+")
_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_PAGE_WEIGHT = 1.0
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "my",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "use",
        "using",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "you",
        "your",
        "me",
        "we",
        "our",
        "their",
        "they",
        "them",
        "there",
        "some",
        "any",
        "all",
        "about",
        "show",
        "find",
        "get",
        "give",
        "want",
        "need",
        "please",
    ]
)


def _stem(word: str) -> str:
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 6 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def terms(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Lowercased, lightly stemmed words of ``text`` (stop words dropped unless asked)."""
    words = (w.lower() for w in _WORD.findall(text))
    return [_stem(w) for w in words if keep_stopwords or w not in _STOP]


class BM25:
    """Okapi BM25 over a fixed list of documents (each a list of terms)."""

    def __init__(self, docs: list[list[str]], *, k1: float = 1.4, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tfs = [Counter(d) for d in docs]
        self.lengths = [len(d) for d in docs]
        self.avg = (sum(self.lengths) / len(docs)) if docs else 0.0
        df: Counter[str] = Counter()
        for tf in self.tfs:
            df.update(tf.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def score(self, query: Iterable[str], i: int) -> float:
        tf, length, total = self.tfs[i], self.lengths[i], 0.0
        norm = self.k1 * (1 - self.b + self.b * length / self.avg) if self.avg else self.k1
        for t in set(query):
            f = tf.get(t, 0)
            if f:
                total += self.idf.get(t, 0.0) * f * (self.k1 + 1) / (f + norm)
        return total

    def rank(self, query: Iterable[str], *, limit: int = 10) -> list[tuple[int, float]]:
        q = list(query)
        scored = [(i, self.score(q, i)) for i in range(len(self.tfs))]
        scored = [s for s in scored if s[1] > 0]
        scored.sort(key=lambda s: (-s[1], s[0]))
        return scored[:limit]


def anchor(heading: str) -> str:
    """GitHub-style anchor of a heading: lowercase, punctuation dropped, spaces to dashes."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@dataclass(frozen=True)
class DocSection:
    page: str  # file name, e.g. "tracing-otel.md"
    page_title: str
    title: str
    anchor: str
    text: str

    @property
    def link(self) -> str:
        return f"docs/{self.page}" + (f"#{self.anchor}" if self.anchor else "")


@dataclass(frozen=True)
class DocHit:
    section: DocSection
    score: float

    @property
    def link(self) -> str:
        return self.section.link

    def snippet(self, query: str, width: int = 300) -> str:
        """The part of the section around the first query word it contains."""
        body = " ".join(self.section.text.split())
        qterms = set(terms(query))
        at = 0
        for m in _WORD.finditer(body):
            if _stem(m.group(0).lower()) in qterms:
                at = max(0, m.start() - 60)
                break
        piece = body[at : at + width]
        return ("…" if at else "") + piece + ("…" if at + width < len(body) else "")


def split_page(page: str, text: str) -> list[DocSection]:
    """Sections of one markdown page, split at ``#``..``####`` headings outside code fences."""
    sections: list[DocSection] = []
    page_title, title, anchor_, in_code = page, page, "", False
    lines: list[str] = []
    seen: Counter[str] = Counter()

    def flush() -> None:
        body = "\n".join(lines).strip()
        if body or title != page_title:
            sections.append(DocSection(page, page_title, title, anchor_, body))

    for line in text.splitlines():
        if _FENCE.match(line.strip()):
            in_code = not in_code
        m = None if in_code else _HEADING.match(line)
        if m is None:
            lines.append(line)
            continue
        flush()
        title, lines = m.group(2).strip(), []
        if len(m.group(1)) == 1 and page_title == page:
            page_title, anchor_ = title, ""
            continue
        base = anchor(title)
        anchor_ = base if not seen[base] else f"{base}-{seen[base]}"
        seen[base] += 1
    flush()
    return sections


class DocsIndex:
    """BM25 over documentation sections."""

    def __init__(self, sections: list[DocSection]) -> None:
        self.sections = sections
        docs = [
            terms(f"{s.title} {s.title} {s.page_title} {s.page_title} {s.text}") for s in sections
        ]
        self._bm25 = BM25(docs)
        # A page that is about the question as a whole lifts its sections: "send traces with
        # OpenTelemetry" belongs on the OpenTelemetry page, not on a page that mentions it once.
        self._pages = sorted({s.page for s in sections})
        page_docs: dict[str, list[str]] = {p: [] for p in self._pages}
        for sec, words in zip(sections, docs, strict=True):
            page_docs[sec.page].extend(words)
        self._page_bm25 = BM25([page_docs[p] for p in self._pages])

    @classmethod
    def from_texts(cls, pages: Mapping[str, str]) -> DocsIndex:
        sections: list[DocSection] = []
        for page, text in sorted(pages.items()):
            sections.extend(split_page(page, text))
        return cls(sections)

    @classmethod
    def from_dir(cls, path: Path) -> DocsIndex:
        pages = {p.name: p.read_text(encoding="utf-8") for p in sorted(path.glob("*.md"))}
        logger.info("docs.index pages=%d dir=%s", len(pages), path)
        return cls.from_texts(pages)

    def search(self, query: str, *, limit: int = 5) -> list[DocHit]:
        q = terms(query)
        if not q:
            q = terms(query, keep_stopwords=True)
        page_score = {
            self._pages[i]: sc for i, sc in self._page_bm25.rank(q, limit=len(self._pages))
        }
        hits = [(i, sc + _PAGE_WEIGHT * page_score.get(self.sections[i].page, 0.0))
                for i, sc in self._bm25.rank(q, limit=len(self.sections))]  # fmt: skip
        hits.sort(key=lambda h: (-h[1], h[0]))
        return [DocHit(self.sections[i], sc) for i, sc in hits[:limit]]

    def pages(self) -> list[str]:
        return sorted({s.page for s in self.sections})


def docs_dir() -> Path | None:
    """Where the docs are: the installed copy (``openloop/_docs``), else the repo's ``docs/``."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "_docs", here.parents[3] / "docs"):
        if candidate.is_dir() and any(candidate.glob("*.md")):
            return candidate
    return None


@lru_cache(maxsize=1)
def default_index() -> DocsIndex:
    """The index over the shipped docs (built once per process; empty when none are found)."""
    path = docs_dir()
    if path is None:
        logger.warning("docs.index no docs directory found")
        return DocsIndex([])
    return DocsIndex.from_dir(path)
