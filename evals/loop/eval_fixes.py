"""Loop suite 3: Fix with Loop on broken queries.

Each query from ``cases/fixes.jsonl`` fails to parse or run (or, when only its time range is
missing, is rejected in strict mode). Loop fixes it — the deterministic repairs first, the model
when none applies (``OPENLOOP_LOOP_EVAL_FIX_MODE``) — and the fix must run and, where the case
has a reference, return the reference's rows. Run with ``openloop eval evals/loop/eval_fixes.py``.
"""

from __future__ import annotations

import harness as h

import openloop

cfg = h.config()
loop = h.open_backend(cfg, "fixes")
try:
    result = openloop.Eval(
        h.EVAL_PROJECT,
        data=h.eval_data("fixes", cfg.limit),
        task=lambda broken, hooks: h.ask_fix(loop, hooks.expected, cfg.fix_mode),
        scores=[h.answer_correct, h.valid_query, h.repaired],
        **h.eval_options(cfg, "fixes"),
    )
    h.print_report("Loop: Fix with Loop", result.results)
finally:
    loop.close()
