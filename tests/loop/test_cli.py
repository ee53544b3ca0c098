"""``openloop chat`` in-process (CliRunner) and over HTTP (a live server in a thread)."""

from __future__ import annotations

from typer.testing import CliRunner

from openloop.cli.main import app as app_cli
from openloop.loop.models import override_models

from ._script import call, returns, scripted, text


def _env(data_dir) -> dict[str, str]:
    return {
        "OPENLOOP_DATA_DIR": str(data_dir),
        "OPENLOOP_SECRET_KEY": "test-secret-key",
        "OPENLOOP_LOAD_DEMO": "false",
    }


def test_chat_message_help_without_a_model(data_dir, test_tools):
    r = CliRunner().invoke(app_cli, ["chat", "--message", "/help"], env=_env(data_dir))
    assert r.exit_code == 0, r.output
    assert "/t-rows" in r.output and "/choose" in r.output


def writer(messages, info):
    back = returns(messages)
    if not back:
        return call("t_save_note", {"text": "cli note"})
    return text(f"Result: {back[0].content}")


def test_chat_asks_before_a_change_and_applies_on_yes(data_dir, test_tools):
    with override_models(scripted(writer)):
        r = CliRunner().invoke(
            app_cli, ["chat", "-m", "save a note"], input="y\n", env=_env(data_dir)
        )
    assert r.exit_code == 0, r.output
    assert "Loop wants to: Save the note 'cli note'" in r.output
    assert "Result: saved note 'cli note'" in r.output
    assert test_tools == ["cli note"]


def test_chat_no_keeps_data_unchanged_and_yes_flag_skips_the_question(data_dir, test_tools):
    with override_models(scripted(writer)):
        r = CliRunner().invoke(app_cli, ["chat", "-m", "save"], input="n\n", env=_env(data_dir))
        assert r.exit_code == 0, r.output
        assert test_tools == []
        r = CliRunner().invoke(app_cli, ["chat", "-m", "save", "--yes"], env=_env(data_dir))
    assert r.exit_code == 0, r.output
    assert "Apply this change?" not in r.output
    assert test_tools == ["cli note"]


def test_chat_over_http_against_a_live_server(services, test_tools):
    """The same command against a running server (uvicorn in a thread, real HTTP + SSE)."""

    from openloop.server.app import create_app
    from tests.server.live import serve_in_thread

    boot = services.control.bootstrap()
    with serve_in_thread(create_app(services.settings, services=services)) as url:
        env = {"OPENLOOP_BASE_URL": url, "OPENLOOP_API_KEY": boot.api_key}
        with override_models(scripted(writer)):
            r = CliRunner().invoke(app_cli, ["chat", "-m", "save"], input="y\n", env=env)
    assert r.exit_code == 0, r.output
    assert "Loop wants to: Save the note 'cli note'" in r.output
    assert "Result: saved note 'cli note'" in r.output
    assert test_tools == ["cli note"]
