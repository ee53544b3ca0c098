"""sample_eval_code writes runnable Eval code for the demo experiment."""

from __future__ import annotations

import ast

from ._evals_demo import evals_demo, run


def test_code_reproduces_the_experiment_with_a_proposed_prompt() -> None:
    d = evals_demo()
    ctx = d.ctx(experiment_id=d.summary.experiment_ids["citations-v2"])
    msgs = [{"role": "system", "content": "Answer briefly. Cite 'Source: <title>'."},
            {"role": "user", "content": "{{input.question}}"}]  # fmt: skip
    res = run("sample_eval_code", ctx, messages=msgs, note="shorter system prompt")
    code = res.data["code"]
    ast.parse(code)
    assert "init_dataset(PROJECT, 'support-questions')" in code
    assert "PROJECT = 'demo-support-bot'" in code
    assert "Cite 'Source: <title>'" in code and "build(PROMPT, variables)" in code
    assert "LLMJudge(" in code and "CodeScorer('cites_source'" in code
    assert "Eval(" in code and "base_experiment_id=" in code


def test_without_a_proposal_it_loads_the_saved_prompt_version() -> None:
    d = evals_demo()
    ctx = d.ctx(experiment_id=d.summary.experiment_ids["baseline-v1"])
    code = run("sample_eval_code", ctx).data["code"]
    assert "load_prompt(PROJECT, 'support-answer', version=" in code
    compile(code, "eval_baseline.py", "exec")
