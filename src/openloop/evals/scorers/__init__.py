"""Scorers: built-in heuristics, LLM judges, embedding and moderation scorers, and sandboxed code
scorers.

The contract and the registry live in :mod:`openloop.evals.scorers.registry`; every built-in
registers there the way a plugin would.
"""

from __future__ import annotations

from openloop.evals.scorers.code import CodeScorer, run_code_scorer, run_code_scorer_async
from openloop.evals.scorers.embedding import AnswerSimilarity, EmbeddingSimilarity
from openloop.evals.scorers.heuristic import (
    ExactMatch,
    JSONDiff,
    Levenshtein,
    ListContains,
    NumericDiff,
    ValidJSON,
)
from openloop.evals.scorers.judges import BUILTIN_JUDGES, JudgeSpec, judge_from_spec
from openloop.evals.scorers.moderation import Moderation, moderation_target
from openloop.evals.scorers.registry import (
    Scorer,
    ScorerInfo,
    ScorerKind,
    ScorerSpec,
    get_scorer,
    get_scorer_spec,
    list_builtin_scorers,
    list_scorers,
    register_scorer,
    unregister_scorer,
)

__all__ = [
    "BUILTIN_JUDGES",
    "AnswerSimilarity",
    "CodeScorer",
    "EmbeddingSimilarity",
    "ExactMatch",
    "JSONDiff",
    "JudgeSpec",
    "Levenshtein",
    "ListContains",
    "Moderation",
    "NumericDiff",
    "Scorer",
    "ScorerInfo",
    "ScorerKind",
    "ScorerSpec",
    "ValidJSON",
    "get_scorer",
    "get_scorer_spec",
    "judge_from_spec",
    "list_builtin_scorers",
    "list_scorers",
    "moderation_target",
    "register_scorer",
    "run_code_scorer",
    "run_code_scorer_async",
    "unregister_scorer",
]
