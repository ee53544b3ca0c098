"""Loop's own overhead before the first token: ``python -m bench.loop``.

An instant stub model (a pydantic-ai FunctionModel that streams one word the moment it is
asked) stands in for the provider, so what is measured is Loop alone: the request is queued,
the turn starts, the user message is recorded, page context and history are loaded, the system
prompt and the agent with every registered tool are built (``prompt_built``: the model is
called), and the first ``text_delta`` reaches a subscriber (``first_token``). 50 turns on one
thread (history grows as it would); p50/p95 in milliseconds. Target: first token < 200 ms.

Results print as JSON and go to ``bench/results/loop.json``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench._machine import machine_facts

TURNS = 50
TARGET_MS = 200.0
RESULTS = Path(__file__).parent / "results" / "loop.json"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def _measure(svc: Any, p: Any, thread_id: str, marks: dict[str, float]) -> dict[str, list]:
    import openloop.services.loop as svc_loop

    out: dict[str, list[float]] = {"prompt_built_ms": [], "first_token_ms": [], "turn_ms": []}
    for i in range(TURNS):
        t0 = time.perf_counter()
        sent = await svc_loop.send_message(svc, p, thread_id, f"question {i}")
        first = None
        stream = await svc_loop.subscribe(
            svc, p, thread_id, after=sent["last_event_id"], until_idle=True
        )
        async for e in stream:
            if e is not None and e.type == "text_delta" and first is None:
                first = time.perf_counter()
        end = time.perf_counter()
        out["prompt_built_ms"].append((marks["called"] - t0) * 1e3)
        out["first_token_ms"].append(((first or end) - t0) * 1e3)
        out["turn_ms"].append((end - t0) * 1e3)
    return out


def main() -> dict[str, Any]:
    from pydantic_ai.models.function import FunctionModel

    import openloop.services.loop as svc_loop
    from openloop.auth import Principal
    from openloop.loop.models import override_models
    from openloop.loop.tools.base import list_tools
    from openloop.services import Services
    from openloop.settings import Settings

    marks: dict[str, float] = {}

    async def instant(messages: Any, info: Any) -> Any:
        marks["called"] = time.perf_counter()
        yield "ok"

    model = FunctionModel(stream_function=instant, model_name="instant")
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            data_dir=Path(tmp), load_demo=False, secret_key=SecretStr("bench-secret")
        )
        svc = Services.open(settings)
        try:
            boot = svc.control.bootstrap()
            p = Principal(boot.org.id, boot.user.id, "owner")
            svc.control.create_project(boot.org.id, "bench")
            thread = svc_loop.create_thread(svc, p, project="bench")
            tools = len(list_tools())
            with override_models(model):
                asyncio.run(_measure(svc, p, thread.id, marks))  # warm-up: imports, caches
                thread = svc_loop.create_thread(svc, p, project="bench")
                runs = asyncio.run(_measure(svc, p, thread.id, marks))
        finally:
            svc.close()
    result: dict[str, Any] = {
        "benchmark": "loop_first_token_overhead",
        "turns": TURNS,
        "tools_registered": tools,
        "target_first_token_ms": TARGET_MS,
        "machine": machine_facts(),
    }
    for name, values in runs.items():
        result[name] = {
            "p50": _pct(values, 0.5),
            "p95": _pct(values, 0.95),
            "mean": round(statistics.fmean(values), 2),
        }
    result["meets_target"] = result["first_token_ms"]["p95"] < TARGET_MS
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
