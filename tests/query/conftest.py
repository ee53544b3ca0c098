from __future__ import annotations

import pytest

from .fixtures import ChStore, DuckStore, arrow_table, build_rows


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/query/golden/*.sql from the current compiler")  # fmt: skip


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


@pytest.fixture(scope="session")
def rows():
    return build_rows()


@pytest.fixture(scope="session")
def duck(tmp_path_factory, rows):
    store = DuckStore(tmp_path_factory.mktemp("duck") / "data.duckdb", arrow_table(rows))
    yield store
    store.con.close()


@pytest.fixture(scope="session")
def ch(tmp_path_factory, rows):
    chdb = pytest.importorskip("chdb")
    del chdb
    store = ChStore(tmp_path_factory.mktemp("ch"), arrow_table(rows))
    yield store
    store.close()
