from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from openloop.settings import Settings, render_markdown

DOC = Path(__file__).parent.parent / "docs" / "configuration.md"


def test_every_setting_is_described():
    for name, field in Settings.model_fields.items():
        assert field.description and len(field.description) > 15, f"{name} needs a description"


def test_configuration_doc_is_generated_from_code():
    assert DOC.read_text() == render_markdown(), (
        "docs/configuration.md is stale: run `python -m openloop.settings > docs/configuration.md`"
    )
    for name in Settings.model_fields:
        assert f"OPENLOOP_{name.upper()}" in DOC.read_text()


def test_env_prefix_and_validation(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENLOOP_PORT", "9123")
    monkeypatch.setenv("OPENLOOP_DATA_DIR", str(tmp_path))
    s = Settings()
    assert s.port == 9123 and s.data_dir == tmp_path
    assert s.resolved_control_db_url == f"sqlite:///{tmp_path / 'control.db'}"
    monkeypatch.setenv("OPENLOOP_PORT", "not-a-port")
    with pytest.raises(ValidationError):
        Settings()


def test_commands_run_in_a_checkout_use_its_data_directory(monkeypatch, tmp_path):
    # `make serve` keeps its data in <checkout>/.openloop-data: `openloop login-link` or
    # `openloop keys create` run in that checkout must act on the same server
    monkeypatch.delenv("OPENLOOP_DATA_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    monkeypatch.chdir(checkout)
    assert Settings().data_dir == tmp_path / "home" / ".openloop"
    (checkout / ".openloop-data").mkdir()
    assert Settings().data_dir == checkout / ".openloop-data"
    monkeypatch.setenv("OPENLOOP_DATA_DIR", str(tmp_path / "elsewhere"))
    assert Settings().data_dir == tmp_path / "elsewhere"


def test_secret_key_generated_once_and_private(tmp_path):
    s = Settings(data_dir=tmp_path)
    k1 = s.resolved_secret_key()
    assert k1 == Settings(data_dir=tmp_path).resolved_secret_key()
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
