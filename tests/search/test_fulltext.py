"""The full-text word rule: query parsing and the exact matcher the tail scan uses."""

from __future__ import annotations

import orjson
import pytest

from openloop.errors import InvalidInput
from openloop.search.fulltext import field_text, matcher, parse_query


def test_parse_query_words_phrases_and_punctuation() -> None:
    assert parse_query('Timeout  "rate LIMIT"  gpt-4o  snake_case') == [
        ["timeout"],
        ["rate", "limit"],
        ["gpt", "4o"],
        ["snake", "case"],
    ]
    assert parse_query('"unterminated phrase') == [["unterminated", "phrase"]]
    with pytest.raises(InvalidInput):
        parse_query('  "" -- ')


def test_field_text_blanks_json_escapes() -> None:
    raw = orjson.dumps({"msg": 'say "hi"\nnext\tline \\n literal'}).decode()
    words = field_text(raw).split()
    assert "next" in words and "line" in words and "nnext" not in raw.replace("\\n", " ")
    assert "hi" in " ".join(words)


@pytest.mark.parametrize(
    ("query", "text", "hit"),
    [
        ("fox", "The quick brown fox", True),
        ("fo", "The quick brown fox", False),
        ("FOX", "the fox.", True),
        ('"brown fox"', "brown, fox", True),
        ('"fox brown"', "brown fox", False),
        ("brown fox", "fox ... brown", True),
        ("next", "line1\nnext", True),
        ("nnext", "line1\nnext", False),
        ("café", "un café noir", True),
        ("caf", "un café noir", False),
        ("snake", "snake_case", True),
    ],
)
def test_matcher_word_rule(query: str, text: str, hit: bool) -> None:
    assert matcher(parse_query(query))([orjson.dumps(text)]) is hit
