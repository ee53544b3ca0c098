"""Evaluation engine: prompt templates, scores, and scorers (heuristic, LLM judge, embedding,
sandboxed code). Import submodules directly; this package stays cheap to import."""

from __future__ import annotations

from openloop.evals.score import Score, normalize_scores
from openloop.evals.templates import render, render_messages, template_variables

__all__ = ["Score", "normalize_scores", "render", "render_messages", "template_variables"]
