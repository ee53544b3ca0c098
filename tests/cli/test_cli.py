"""The ``openloop`` command line against a real data directory (no server running)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from openloop.cli.main import app

runner = CliRunner()


def _env(data_dir):
    return {"OPENLOOP_DATA_DIR": str(data_dir), "OPENLOOP_SECRET_KEY": "cli-test-secret"}


def test_version():
    r = runner.invoke(app, ["version"])
    assert r.exit_code == 0 and r.output.startswith("openloop ")


def test_keys_create_list_revoke_without_a_server(tmp_path):
    env = _env(tmp_path)
    r = runner.invoke(app, ["keys", "create", "--name", "laptop"], env=env)
    assert r.exit_code == 0, r.output
    key = r.stdout.strip().splitlines()[0]
    assert key.startswith("olk_")
    listed = runner.invoke(app, ["keys", "list"], env=env)
    assert "laptop" in listed.output and key not in listed.output
    from openloop.services import Services
    from openloop.settings import Settings

    svc = Services.open(Settings(data_dir=tmp_path, secret_key="cli-test-secret"), data=False)
    try:
        principal = svc.control.authenticate_api_key(key)
        assert principal.role == "owner"
        key_id = next(
            k.id for k in svc.control.list_api_keys(principal.org_id) if k.name == "laptop"
        )
    finally:
        svc.close()
    r = runner.invoke(app, ["keys", "revoke", key_id], env=env)
    assert r.exit_code == 0 and "revoked" in r.output
    link = runner.invoke(app, ["login-link"], env=env)
    assert link.exit_code == 0 and "/auth/link/" in link.output


def test_import_query_export_round_trip(tmp_path):
    env = _env(tmp_path / "d")
    src = tmp_path / "rows.jsonl"
    lines = [json.dumps({"id": f"r{i}", "input": {"q": f"question {i}"}, "output": "answer",
                         "metadata": {"model": "gpt-4o"}}) for i in range(25)]  # fmt: skip
    lines.insert(3, "{not json")
    src.write_text("\n".join(lines) + "\n")
    r = runner.invoke(app, ["import", str(src), "--project", "imported"], env=env)
    assert r.exit_code == 0, r.output
    assert "imported 25 row(s)" in r.output and "1 rejected" in r.output
    assert "line 4" in r.output
    q = runner.invoke(
        app,
        ["query", "select: count(1) as n | from: project_logs('imported')", "--format", "json"],
        env=env,
    )
    assert q.exit_code == 0, q.output
    assert json.loads(q.stdout.strip().splitlines()[0])["n"] == 25
    out = tmp_path / "out.jsonl"
    e = runner.invoke(app, ["export", "--project", "imported", "-o", str(out)], env=env)
    assert e.exit_code == 0, e.output
    exported = [json.loads(x) for x in out.read_text().splitlines()]
    assert sorted(x["id"] for x in exported) == sorted(f"r{i}" for i in range(25))
    assert all(x["input"]["q"].startswith("question") for x in exported)


def test_query_errors_are_one_clear_line(tmp_path):
    env = _env(tmp_path)
    runner.invoke(app, ["keys", "create", "--name", "k"], env=env)
    r = runner.invoke(
        app, ["query", "select: * | from: project_logs('nope') | filter: metadta.x = 1"], env=env
    )
    assert r.exit_code == 2
    assert "error:" in r.output and "Traceback" not in r.output


def test_bad_setting_and_unusable_data_dir_are_clear(tmp_path):
    env = {**os.environ, "OPENLOOP_PORT": "eighty", "OPENLOOP_DATA_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "openloop.cli.main", "keys", "list"], env=env,
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 2
    assert "OPENLOOP_PORT" in r.stderr and "Traceback" not in r.stderr
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    r = runner.invoke(app, ["keys", "list"], env={"OPENLOOP_DATA_DIR": str(blocker)})
    assert r.exit_code == 2 and "is a file, not a directory" in r.output
    if os.geteuid() != 0:  # root can write anywhere; the check above covers the message path
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        r = runner.invoke(app, ["keys", "list"], env={"OPENLOOP_DATA_DIR": str(locked / "sub")})
        assert r.exit_code == 2 and "cannot create data directory" in r.output


@pytest.mark.parametrize(
    "cmd", [["serve", "--help"], ["demo", "--help"], ["eval", "--help"], ["chat", "--help"]]
)
def test_commands_have_help(cmd):
    r = runner.invoke(app, cmd)
    assert r.exit_code == 0 and "Usage" in r.output


def test_data_commands_on_a_directory_a_server_holds_say_how_to_go_through_it(tmp_path):
    env = _env(tmp_path)
    assert runner.invoke(app, ["demo", "--traces", "10"], env=env).exit_code == 0
    holder = subprocess.Popen(  # another process holding the data file, as a running server does
        [sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(120)", str(tmp_path / "data.duckdb")],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        query = "select: id | from: project_logs('demo-support-bot') | limit: 1"
        r = runner.invoke(app, ["query", query], env=env)
        assert r.exit_code == 1 and "Traceback" not in r.output, r.output
        message = " ".join(r.output.split())
        assert f"in use by another OpenLoop process (PID {holder.pid})" in message
        assert "OPENLOOP_BASE_URL=http://127.0.0.1:8000 and OPENLOOP_API_KEY" in message
        assert "openloop keys create --name cli" in message
        r = runner.invoke(app, ["demo", "--traces", "10"], env=env)  # no server route for this
        assert r.exit_code == 1 and "Stop it first." in " ".join(r.output.split())
        # keys work beside a running server: they do not touch the data file
        assert runner.invoke(app, ["keys", "create", "--name", "cli"], env=env).exit_code == 0
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()


def test_login_link_uses_the_address_the_running_server_noted(tmp_path):
    env = _env(tmp_path)
    assert runner.invoke(app, ["keys", "list"], env=env).exit_code == 0
    note = tmp_path / "server.json"
    # a server started with --port 8123 notes its address and process while it runs
    note.write_text(json.dumps({"url": "http://127.0.0.1:8123", "pid": os.getpid()}))
    r = runner.invoke(app, ["login-link"], env=env)
    assert r.exit_code == 0 and r.stdout.startswith("http://127.0.0.1:8123/auth/link/"), r.output
    # a note left by a server that is gone is ignored
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    note.write_text(json.dumps({"url": "http://127.0.0.1:8123", "pid": int(gone.stdout)}))
    r = runner.invoke(app, ["login-link"], env=env)
    assert r.exit_code == 0 and r.stdout.startswith("http://127.0.0.1:8000/auth/link/"), r.output
    note.write_text("not json")
    assert runner.invoke(app, ["login-link"], env=env).stdout.startswith("http://127.0.0.1:8000/")
