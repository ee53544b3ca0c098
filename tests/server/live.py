"""Start a real ``openloop serve`` process for end-to-end tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    proc: subprocess.Popen
    url: str
    api_key: str | None
    login_link: str | None
    data_dir: Path
    output: str
    _pump: threading.Thread | None = None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._pump is not None:
            self._pump.join(5)
        if self.proc.stdout and not self.proc.stdout.closed:
            self.proc.stdout.close()


def start_server(
    data_dir: Path, *, demo: bool = False, timeout: float = 60.0, decode_processes: int | None = 1
) -> LiveServer:
    """``openloop serve`` in a child process; ``decode_processes`` None keeps the server's
    default (by default 1: what a 2-core machine gets)."""
    port = free_port()
    env = {
        **os.environ,
        "OPENLOOP_DATA_DIR": str(data_dir),
        "OPENLOOP_SECRET_KEY": "live-test-secret",
    }
    env.pop("OPENLOOP_INGEST_DECODE_PROCESSES", None)
    if decode_processes is not None:
        env["OPENLOOP_INGEST_DECODE_PROCESSES"] = str(decode_processes)
    cmd = [sys.executable, "-m", "openloop.cli.main", "serve", "--port", str(port)]
    cmd.append("--demo" if demo else "--no-demo")
    proc = subprocess.Popen(
        cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    url = f"http://127.0.0.1:{port}"
    lines: list[str] = []

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)

    pump_thread = threading.Thread(target=pump, daemon=True)
    pump_thread.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited early:\n" + "".join(lines))
        try:
            if httpx.get(url + "/health", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("server did not start:\n" + "".join(lines))
    time.sleep(0.3)
    out = "".join(lines)
    key = re.search(r"(olk_[A-Za-z0-9_\-]+)", out)
    link = re.search(r"(http://\S+/auth/link/\S+)", out)
    return LiveServer(
        proc,
        url,
        key.group(1) if key else None,
        link.group(1) if link else None,
        data_dir,
        out,
        pump_thread,
    )


@contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port in a background thread; yields
    its base URL once ``/health`` answers, and stops the server on exit."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
