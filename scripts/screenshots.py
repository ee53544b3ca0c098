"""Refresh docs/screenshots/*.png: start a server over a temporary data directory with the demo
loaded, log in with a one-time link and capture the main pages in both themes.

Run with ``make screenshots`` (needs Debian's chromium at /usr/bin/chromium)."""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"


def _loop_shot(page: object, url: str, path: Path) -> None:
    """The Loop panel on the Logs page after an offline ``/analyze-logs``."""
    page.goto(url)  # type: ignore[attr-defined]
    page.click("#loop-button")  # type: ignore[attr-defined]
    page.wait_for_selector("#loop-notice:not([hidden])")  # type: ignore[attr-defined]
    page.fill("#loop-input", "/analyze-logs")  # type: ignore[attr-defined]
    page.press("#loop-input", "Enter")  # type: ignore[attr-defined]
    page.wait_for_selector("#loop-messages .loop-msg.assistant")  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]  # the event stream never idles
    page.screenshot(path=str(path))  # type: ignore[attr-defined]


def main() -> int:
    from playwright.sync_api import sync_playwright

    from openloop.demo import load_demo
    from openloop.server.app import create_app
    from openloop.services import Services
    from openloop.settings import Settings

    if not Path(CHROMIUM).exists():
        sys.stderr.write(f"screenshots need chromium at {CHROMIUM}\n")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", load_demo=False, secret_key="shots")
        svc = Services.open(settings)
        boot = svc.control.bootstrap()
        demo = load_demo(svc.control, svc.data, boot.org.id, traces=600)
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings, services=svc), port=8765, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        url = "http://127.0.0.1:8765"
        for _ in range(200):
            try:
                if httpx.get(url + "/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        proj = f"/p/{demo.project_name}"
        shots = {
            "projects": "/",
            "overview": proj,
            "logs": f"{proj}/logs?range=14d",
            "monitor": f"{proj}/monitor",
            "query": f"{proj}/query",
            "settings": "/settings",
        }
        evals = demo.facts["evals"]
        exps = evals["experiments"]
        shots.update(
            {
                "experiments": f"{proj}/experiments",
                "experiment-compare": f"{proj}/experiments/{exps['citations-v2']['id']}"
                f"?baseline={exps['baseline-v1']['id']}",
                "datasets": f"{proj}/datasets/{evals['dataset']['id']}",
                "prompts": f"{proj}/prompts/{evals['prompt']['id']}",
                "scorers": f"{proj}/scorers/{evals['scorers']['Answer quality (judge)']}",
                "playground": f"{proj}/playground",
            }
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
                env={**os.environ, "HOME": tmp},
            )
            for theme in ("light", "dark"):
                ctx = browser.new_context(viewport={"width": 1280, "height": 800})
                ctx.add_init_script(f"localStorage.setItem('openloop.theme', '{theme}')")
                page = ctx.new_page()
                page.goto(
                    f"{url}/auth/link/{svc.control.create_login_link(boot.org.id, boot.user.id)}"
                )
                for name, path in shots.items():
                    page.goto(url + path)
                    page.wait_for_load_state("networkidle")
                    suffix = "" if theme == "light" else "-dark"
                    page.screenshot(path=str(OUT / f"{name}{suffix}.png"))
                page.goto(url + shots["logs"])
                page.wait_for_selector("#logs-table tbody tr")
                page.locator("#logs-table tbody tr").first.click()
                page.wait_for_selector("#trace-view .span-node")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(OUT / f"trace{'' if theme == 'light' else '-dark'}.png"))
                _loop_shot(
                    page,
                    url + shots["logs"],
                    OUT / f"loop{'' if theme == 'light' else '-dark'}.png",
                )
                ctx.close()
            browser.close()
        server.should_exit = True
        svc.close()
    print(f"screenshots written to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
