"""Facts about the machine a benchmark ran on, recorded next to every result."""

from __future__ import annotations

import os
import platform
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def machine_facts() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    avail_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable"):
                avail_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else (None, None, None)
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "mem_gb": mem_gb,
        "mem_available_gb": avail_gb,
        "disk_free_gb": round(shutil.disk_usage(".").free / 1e9, 1),
        "python": platform.python_version(),
        "versions": _versions(),
        "load_1m": round(load[0], 2) if load[0] is not None else None,
        "load_5m": round(load[1], 2) if load[1] is not None else None,
        "load_15m": round(load[2], 2) if load[2] is not None else None,
    }


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("openloop", "duckdb", "tantivy", "sqlglot", "pyarrow", "uvicorn", "orjson"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def load_1m() -> float:
    """The 1-minute load average now (the machine is shared: > 1 on 2 cores means noise)."""
    return round(os.getloadavg()[0], 2)


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def proc_tree(pid: int) -> list[int]:
    """``pid`` and its live descendants (the server's decoding workers, for one) (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (fields := _stat(int(entry.name))) is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in proc_tree(pid):
        fields = _stat(p)
        if fields is not None:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def proc_peak_rss_mb(pid: int) -> float | None:
    """Peak resident memory of a process plus its live descendants' peaks (Linux)."""
    total = 0.0
    for p in proc_tree(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmHWM"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total or None
