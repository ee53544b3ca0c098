"""OpenLoop's query language: BTQL and its SQL form, compiled to DuckDB or ClickHouse SQL.

    >>> from openloop.query import parse
    >>> parse("SELECT id FROM project_logs('p') LIMIT 3").limit
    3

Pipeline: :mod:`tokens` -> :mod:`parser` -> :mod:`ast` -> :mod:`resolve` -> :mod:`compile` /
:mod:`shapes` (sqlglot, per :mod:`dialects`) -> :mod:`run`; :mod:`describe` explains a query.
"""

from __future__ import annotations

from .ast import Query
from .build import Compiled, compile_query
from .describe import describe
from .parser import parse
from .run import run_query
from .shapes import OutputColumn

__all__ = ["Compiled", "OutputColumn", "Query", "compile_query", "describe", "parse", "run_query"]
