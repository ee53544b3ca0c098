from __future__ import annotations

import pytest

from openloop.errors import Conflict, NotFound
from openloop.evals.score import Score
from openloop.evals.scorers.registry import (
    ScorerSpec,
    get_scorer,
    list_builtin_scorers,
    list_scorers,
    register_scorer,
    unregister_scorer,
)

LLM_JUDGES = {
    "Factuality",
    "Battle",
    "ClosedQA",
    "Humor",
    "Possible",
    "Security",
    "Sql",
    "Summary",
    "Translation",
}
RAG = {
    "Faithfulness",
    "AnswerRelevancy",
    "ContextRelevancy",
    "ContextRecall",
    "ContextPrecision",
    "AnswerCorrectness",
}
HEURISTIC = {"ExactMatch", "Levenshtein", "NumericDiff", "JSONDiff", "ValidJSON", "ListContains"}
EMBEDDING = {"EmbeddingSimilarity", "AnswerSimilarity"}
MODERATION = {"Moderation"}


def test_builtins_are_listed_by_kind() -> None:
    infos = list_builtin_scorers()
    by_kind: dict[str, set[str]] = {}
    for info in infos:
        by_kind.setdefault(info.kind, set()).add(info.name)
        assert info.description and info.args
    assert by_kind == {
        "heuristic": HEURISTIC,
        "llm": LLM_JUDGES,
        "rag": RAG,
        "embedding": EMBEDDING,
        "moderation": MODERATION,
    }
    closed_qa = next(i for i in infos if i.name == "ClosedQA")
    assert closed_qa.args == ["input", "output", "criteria"]


def test_get_scorer_builds_with_options_and_suggests_names() -> None:
    assert get_scorer("Levenshtein").evaluate(output="ab", expected="ab").score == 1.0
    assert get_scorer("exactmatch").name == "ExactMatch"
    judge = get_scorer("Translation", language="French", use_cot=False)
    assert judge.render_args == {"language": "French"} and judge.use_cot is False
    with pytest.raises(NotFound) as info:
        get_scorer("Factualty")
    assert "did you mean Factuality" in str(info.value)


class Shouting:
    name = "Shouting"

    def evaluate(self, *, output=None, **_):
        letters = [c for c in str(output) if c.isalpha()]
        return Score(self.name, sum(c.isupper() for c in letters) / max(1, len(letters)))

    async def evaluate_async(self, **kwargs):
        return self.evaluate(**kwargs)


def test_third_party_registration_uses_the_same_registry() -> None:
    spec = ScorerSpec("Shouting", "heuristic", "Share of upper-case letters", ("output",), Shouting)
    register_scorer(spec)
    try:
        assert get_scorer("Shouting").evaluate(output="HEllo").score == pytest.approx(0.4)
        assert "Shouting" in {i.name for i in list_scorers()}
        assert "Shouting" not in {i.name for i in list_builtin_scorers()}
        with pytest.raises(Conflict):
            register_scorer(ScorerSpec("Shouting", "heuristic", "other", ("output",), Shouting))
        with pytest.raises(Conflict):
            register_scorer(ScorerSpec("ExactMatch", "heuristic", "mine", ("output",), Shouting))
    finally:
        unregister_scorer("Shouting")
    with pytest.raises(NotFound):
        get_scorer("Shouting")
