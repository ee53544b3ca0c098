"""Where DuckDB and ClickHouse differ, said once per backend.

Each :class:`Dialect` subclass answers the same questions (how to read a JSON path, truncate a
timestamp, take a percentile, …) with sqlglot expressions; the compiler never branches on the
backend name. Function names that sqlglot transpiles correctly (``COUNT(DISTINCT …)``,
``CASE``, ``ILIKE``) are left to sqlglot; everything else is spelled out here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

from sqlglot import exp

__all__ = [
    "DIALECTS",
    "ClickHouseDialect",
    "Dialect",
    "DuckDBDialect",
    "all_of",
    "any_of",
    "get_dialect",
    "num",
]

PathPart = str | int


def fn(name: str, *args: exp.Expr) -> exp.Expr:
    """A function call rendered verbatim (the name is ours, never user text)."""
    return exp.Anonymous(this=name, expressions=list(args))


def all_of(*terms: exp.Expr) -> exp.Expr:
    """``a AND b AND …`` built directly (sqlglot's ``exp.and_`` re-parses and copies)."""
    out = terms[0]
    for t in terms[1:]:
        out = exp.And(this=out, expression=t)
    return out


def any_of(*terms: exp.Expr) -> exp.Expr:
    out = terms[0]
    for t in terms[1:]:
        out = exp.Or(this=out, expression=t)
    return exp.Paren(this=out) if len(terms) > 1 else out


def num(value: object) -> exp.Expr:
    """``exp.Literal.number(value)`` built directly. That classmethod converts its text with
    int() and, failing that, Decimal (raising and catching for every fraction) only to turn a
    negative number into ``Neg``; only text with a leading minus can be one."""
    text = str(value)
    if text.startswith("-"):
        return exp.Literal.number(text)
    return exp.Literal(this=text, is_string=False)


def lit(value: object) -> exp.Expr:
    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return num(repr(value)) if value >= 0 else exp.Neg(this=num(repr(-value)))
    return exp.Literal.string(str(value))


def _dtype(name: str) -> exp.DataType:
    """A plain SQL type built directly (``DataType.build`` parses its argument each time)."""
    return exp.DataType(this=exp.DataType.Type[name], nested=False)


# Numbers that to_datetime() reads as seconds since the epoch: 1900-01-01 up to 2300-01-01
# (ClickHouse's DateTime64 range).
_MIN_EPOCH_S = -2_208_988_800
_MAX_EPOCH_S = 10_413_791_999


def _interval(amount: int, unit: str) -> exp.Expr:
    return exp.Interval(this=num(amount), unit=exp.Var(this=unit.upper()))


class Dialect(ABC):
    """Per-backend differences. Subclasses set the data attributes and override methods."""

    #: sqlglot dialect used to render SQL text.
    name: str = ""
    #: Whether ``LIKE`` needs an explicit ``ESCAPE '\\'`` for backslash escapes to work.
    like_needs_escape_clause: bool = False
    #: The function that strips blanks from both ends of a text.
    _trim: str = "trim"
    #: Per-query engine settings appended to every statement (``SETTINGS k = v``).
    query_settings: dict[str, int] = {}
    #: Whether a scan pinned to one trace or row (``root_span_id = 'x'`` / ``id = 'x'``) first
    #: selects it alone in a CTE behind a LIMIT: DuckDB answers a lone equality from the column's
    #: ART index, but scans the whole table when other predicates sit next to it.
    pinned_lookup: bool = False

    def key_set(self, column: exp.Expr, keys: Sequence[int], params: list[object]) -> exp.Expr:
        """``column IN keys`` for a sorted list of integer keys (full-text hits). Default: the
        keys written as numbers; ``params`` receives any bound parameter instead."""
        return exp.In(this=column, expressions=[num(k) for k in keys])

    @abstractmethod
    def json_raw(self, column: exp.Expr, path: Sequence[PathPart]) -> exp.Expr:
        """JSON text of the value at ``path``, for output: missing, ``''`` and ``null`` all read
        back as None."""
        ...

    @abstractmethod
    def json_str(self, column: exp.Expr, path: Sequence[PathPart]) -> exp.Expr:
        """The value at ``path`` as text: strings unquoted, other values as JSON text."""
        ...

    @abstractmethod
    def json_strings(self, column: exp.Expr, path: Sequence[PathPart]) -> exp.Expr:
        """The JSON array at ``path`` as an array of strings."""
        ...

    def json_text(self, column: exp.Expr) -> exp.Expr:
        """A whole JSON column as text."""
        return column

    def json_or_null(self, text: exp.Expr) -> exp.Expr:
        """``text`` when it is valid JSON, else NULL (json_extract on a bad string is NULL)."""
        return text

    def to_double(self, e: exp.Expr) -> exp.Expr:
        """Text → number (surrounding blanks allowed), NULL when it is not one."""
        return exp.TryCast(this=e, to=_dtype("DOUBLE"))

    @abstractmethod
    def to_bigint(self, e: exp.Expr) -> exp.Expr:
        """Text → whole number: integer text exactly, any other number truncated toward zero;
        NULL when it is not a number or does not fit in 64 bits."""
        ...

    def to_bool(self, e: exp.Expr) -> exp.Expr:
        """Text → boolean: a number is true unless it is zero; true/t/yes/y and false/f/no/n
        in any case; NULL otherwise."""
        number = self.to_double(e)
        text = exp.Lower(this=fn(self._trim, self.to_string(e.copy())))
        yes = [exp.Literal.string(v) for v in ("true", "t", "yes", "y")]
        no = [exp.Literal.string(v) for v in ("false", "f", "no", "n")]
        return exp.Case(ifs=[
            exp.If(this=exp.Not(this=exp.Is(this=number, expression=exp.Null())),
                   true=exp.NEQ(this=number.copy(), expression=num(0))),
            exp.If(this=exp.In(this=text, expressions=yes), true=exp.true()),
            exp.If(this=exp.In(this=text.copy(), expressions=no), true=exp.false()),
        ])  # fmt: skip

    def json_of(self, e: exp.Expr) -> exp.Expr:
        """An array or map as JSON text."""
        return exp.Cast(this=fn("to_json", e), to=_dtype("VARCHAR"))

    def to_string(self, e: exp.Expr) -> exp.Expr:
        return exp.Cast(this=e, to=_dtype("VARCHAR"))

    def epoch_seconds(self, ts: exp.Expr) -> exp.Expr:
        """Seconds since the epoch, with the microseconds as a fraction."""
        return exp.Div(this=fn("epoch_us", ts), expression=num("1e6"))

    @abstractmethod
    def ts_text(self, ts: exp.Expr) -> exp.Expr:
        """A timestamp as text, in UTC and in the form results show it:
        ``YYYY-MM-DDTHH:MM:SS.ffffffZ``, without the fraction when it is zero."""
        ...

    @abstractmethod
    def to_datetime(self, e: exp.Expr) -> exp.Expr:
        """Text → timestamp: ISO-8601 text, or a number as seconds since the epoch (years 1900
        to 2299); NULL otherwise."""
        ...

    @abstractmethod
    def ts_literal(self, iso_utc: str) -> exp.Expr:
        """A timestamp constant; ``iso_utc`` is ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC."""
        ...

    def now(self) -> exp.Expr:
        return exp.CurrentTimestamp()

    def today(self) -> exp.Expr:
        return exp.CurrentDate()

    @abstractmethod
    def trunc(self, unit: str, ts: exp.Expr, amount: int = 1) -> exp.Expr:
        """Start of the ``amount`` x ``unit`` bucket holding ``ts`` (UTC, epoch-aligned)."""
        ...

    def shift(self, ts: exp.Expr, minutes: int) -> exp.Expr:
        op = exp.Add if minutes > 0 else exp.Sub
        return op(this=ts, expression=_interval(abs(minutes), "minute"))

    @abstractmethod
    def percentile(self, e: exp.Expr, p: float) -> exp.Expr:
        """Exact percentile with linear interpolation between the two nearest values."""

    @abstractmethod
    def any_value(self, e: exp.Expr) -> exp.Expr: ...

    def root_value(self, e: exp.Expr) -> exp.Expr:
        """Aggregate: the value of ``e`` on the trace's root span."""
        return exp.Filter(this=self.any_value(e),
                          expression=exp.Where(this=exp.column("is_root")))  # fmt: skip

    def count_if(self, cond: exp.Expr) -> exp.Expr:
        return exp.Sum(this=exp.Case(ifs=[exp.If(this=cond, true=num(1))],
                                     default=num(0)))  # fmt: skip

    @abstractmethod
    def array_item(self, arr: exp.Expr, index: int) -> exp.Expr:
        """0-based ``index`` (negative from the end); NULL when out of range."""
        ...

    def array_len(self, arr: exp.Expr) -> exp.Expr:
        return exp.ArraySize(this=arr)

    def json_len(self, column: exp.Expr, path: Sequence[PathPart]) -> exp.Expr:
        """Number of elements of the JSON array at ``path``: 0 for any other value, NULL when
        the column itself is empty."""
        return self.array_len(self.json_strings(column, path))

    def array_contains(self, arr: exp.Expr, value: exp.Expr) -> exp.Expr:
        """Whether ``arr`` holds ``value``: false, not NULL, when there is no array."""
        return exp.Coalesce(this=exp.ArrayContains(this=arr, expression=value),
                            expressions=[exp.false()])  # fmt: skip

    def str_len(self, e: exp.Expr) -> exp.Expr:
        return exp.Length(this=e)

    def map_get(self, m: exp.Expr, key: str) -> exp.Expr:
        return exp.Bracket(this=m, expressions=[exp.Literal.string(key)])

    @abstractmethod
    def map_keys(self, m: exp.Expr) -> exp.Expr: ...

    @abstractmethod
    def unnest(self, arr: exp.Expr) -> exp.Expr: ...

    @abstractmethod
    def json_array_items(self, column: exp.Expr, path: Sequence[PathPart]) -> exp.Expr:
        """The JSON array at ``path`` as an array of JSON texts (for UNPIVOT)."""
        ...

    @abstractmethod
    def collect(self, e: exp.Expr) -> exp.Expr:
        """Aggregate into a list."""
        ...

    @abstractmethod
    def sample_hash(self, e: exp.Expr) -> exp.Expr:
        """A stable pseudo-random integer in [0, 10000) from ``e``."""
        ...

    def random(self) -> exp.Expr:
        return exp.Rand()

    def null_safe_eq(self, a: exp.Expr, b: exp.Expr, *, negate: bool) -> exp.Expr:
        """``a <=> b`` (or ``a <!=> b`` when ``negate``): NULLs compare equal to each other."""
        return (exp.NullSafeNEQ if negate else exp.NullSafeEQ)(this=a, expression=b)


class DuckDBDialect(Dialect):
    name = "duckdb"
    like_needs_escape_clause = True
    pinned_lookup = True

    def key_set(self, column, keys, params):
        # One BIGINT[] parameter ($n): no literals to render, parse and fold; DuckDB plans it as a
        # semi-join and pushes the keys' min/max into the scan, pruning row groups.
        params.append(list(keys))
        array = exp.DataType(this=exp.DataType.Type.ARRAY, nested=True,
                             expressions=[exp.DataType(this=exp.DataType.Type.BIGINT)])  # fmt: skip
        bound = exp.Cast(this=exp.Placeholder(this=str(len(params))), to=array)
        unnest = exp.Select(expressions=[exp.Unnest(expressions=[bound])])
        return exp.In(this=column, query=exp.Subquery(this=unnest))

    @staticmethod
    def _path(path: Sequence[PathPart]) -> exp.Expr:
        out = ["$"]
        for part in path:
            if isinstance(part, int):
                out.append(f"[{part}]" if part >= 0 else f"[#{part}]")
            else:
                escaped = part.replace("\\", "\\\\").replace('"', '\\"')
                out.append(f'."{escaped}"')
        return exp.Literal.string("".join(out))

    def json_raw(self, column, path):
        # JSON values reach Python as text either way; JSON null parses to None there.
        return fn("json_extract", column, self._path(path)) if path else column

    def json_str(self, column, path):
        return fn("json_extract_string", column, self._path(path))

    def json_strings(self, column, path):
        return fn("json_extract_string", column, exp.Literal.string(self._path(path).name + "[*]"))

    def json_array_items(self, column, path):
        return exp.Cast(this=fn("json_extract", column, self._path(path)),
                        to=exp.DataType.build("JSON[]", dialect="duckdb"))  # fmt: skip

    def json_text(self, column):
        return exp.Cast(this=column, to=_dtype("VARCHAR"))

    def json_or_null(self, text):
        return exp.Case(ifs=[exp.If(this=fn("json_valid", text), true=text.copy())])

    def to_bigint(self, e):
        text = fn("trim", e)
        whole = fn("regexp_full_match", text.copy(), exp.Literal.string("[+-]?[0-9]+"))
        return exp.Case(
            ifs=[exp.If(this=whole, true=exp.TryCast(this=text.copy(), to=_dtype("BIGINT")))],
            default=exp.TryCast(this=fn("trunc", exp.TryCast(this=e.copy(), to=_dtype("DOUBLE"))),
                                to=_dtype("BIGINT")),
        )  # fmt: skip

    def ts_text(self, ts):
        text = fn("strftime", fn("timezone", exp.Literal.string("UTC"), ts),
                  exp.Literal.string("%Y-%m-%dT%H:%M:%S.%fZ"))  # fmt: skip
        return fn("replace", text, exp.Literal.string(".000000Z"), exp.Literal.string("Z"))

    def to_datetime(self, e):
        seconds = exp.TryCast(this=e, to=_dtype("DOUBLE"))
        in_range = exp.Between(this=seconds, low=num(_MIN_EPOCH_S), high=num(_MAX_EPOCH_S))
        return exp.Case(
            ifs=[exp.If(this=exp.Is(this=seconds.copy(), expression=exp.Null()),
                        true=exp.TryCast(this=e.copy(), to=_dtype("TIMESTAMPTZ"))),
                 exp.If(this=in_range, true=fn("to_timestamp", seconds.copy()))],
        )  # fmt: skip

    def ts_literal(self, iso_utc):
        return exp.Cast(this=exp.Literal.string(iso_utc + "+00"),
                        to=_dtype("TIMESTAMPTZ"))  # fmt: skip

    def trunc(self, unit, ts, amount=1):
        naive = fn("timezone", exp.Literal.string("UTC"), ts)
        if amount == 1:
            return fn("date_trunc", exp.Literal.string(unit), naive)
        return fn("time_bucket", _interval(amount, unit), naive,
                  exp.Cast(this=exp.Literal.string("1970-01-01"), to=_dtype("TIMESTAMP")))  # fmt: skip

    def any_value(self, e):
        return exp.AnyValue(this=e)

    def percentile(self, e, p):
        return fn("quantile_cont", e, num(repr(p)))

    def array_item(self, arr, index):
        return fn("list_extract", arr, num(index + 1 if index >= 0 else index))

    def map_keys(self, m):
        return fn("map_keys", m)

    def unnest(self, arr):
        return exp.Unnest(expressions=[arr])

    def collect(self, e):
        return fn("list", e)

    def sample_hash(self, e):
        return exp.Mod(this=fn("hash", e), expression=num(10000))


class ClickHouseDialect(Dialect):
    name = "clickhouse"
    # ClickHouse lets a SELECT alias shadow a column everywhere in the query (``sum(x) AS x``
    # or ``day(created) AS created`` would rewrite WHERE); this restores standard SQL scoping.
    query_settings = {"prefer_column_name_to_alias": 1}
    _trim = "trimBoth"

    @staticmethod
    def _args(path: Sequence[PathPart]) -> list[exp.Expr]:
        return [num(p + 1 if p >= 0 else p) if isinstance(p, int)
                else exp.Literal.string(p) for p in path]  # fmt: skip

    def _indexed(self, column: exp.Expr, path: Sequence[PathPart], value: exp.Expr,
                 otherwise: exp.Expr | None = None) -> exp.Expr:  # fmt: skip
        """``value``, guarded so that an index into something that is not an array finds
        nothing (ClickHouse's JSON functions index an object's members by position)."""
        array = exp.Literal.string("Array")
        checks = [
            exp.EQ(
                this=fn("JSONType", column.copy(), *self._args(path[:k])), expression=array.copy()
            )
            for k, part in enumerate(path)
            if isinstance(part, int)
        ]
        if not checks:
            return value
        return exp.Case(ifs=[exp.If(this=all_of(*checks), true=value)], default=otherwise)

    def json_raw(self, column, path):
        # '' (missing) and 'null' both read back as None in Python.
        if not path:
            return column
        return self._indexed(column, path, fn("JSONExtractRaw", column, *self._args(path)))

    def json_str(self, column, path):
        value = fn("JSONExtract", column, *self._args(path), exp.Literal.string("Nullable(String)"))
        return self._indexed(column, path, value)

    def json_strings(self, column, path):
        value = fn("JSONExtract", column, *self._args(path), exp.Literal.string("Array(String)"))
        return self._indexed(column, path, value, exp.Array(expressions=[]))

    def json_array_items(self, column, path):
        value = fn("JSONExtractArrayRaw", column, *self._args(path))
        return self._indexed(column, path, value, exp.Array(expressions=[]))

    def json_text(self, column):
        return fn("nullIf", column, exp.Literal.string(""))  # '' is an absent value

    def json_or_null(self, text):
        return fn("ifNull", text, exp.Literal.string(""))  # JSON functions take no Nullable

    def json_len(self, column, path):
        size = self.array_len(self.json_strings(column, path))
        empty = exp.EQ(this=column.copy(), expression=exp.Literal.string(""))
        return exp.Case(ifs=[exp.If(this=empty, true=exp.Null())], default=size)

    def to_double(self, e):
        return fn("toFloat64OrNull", fn(self._trim, fn("toString", e)))

    def to_bigint(self, e):
        text = fn(self._trim, fn("toString", e))
        truncated = fn("accurateCastOrNull", fn("trunc", fn("toFloat64OrNull", text.copy())),
                       exp.Literal.string("Int64"))  # fmt: skip
        return exp.Coalesce(this=fn("toInt64OrNull", text), expressions=[truncated])

    def to_string(self, e):
        return fn("toString", e)

    def json_of(self, e):
        return fn("toJSONString", e)

    def epoch_seconds(self, ts):
        return exp.Div(this=fn("toUnixTimestamp64Micro", ts), expression=num("1e6"))

    def ts_text(self, ts):
        text = fn("formatDateTime", ts, exp.Literal.string("%Y-%m-%dT%H:%i:%S.%fZ"),
                  exp.Literal.string("UTC"))  # fmt: skip
        return fn("replaceOne", text, exp.Literal.string(".000000Z"), exp.Literal.string("Z"))

    def to_datetime(self, e):
        text = fn(self._trim, fn("toString", e))
        seconds = fn("toFloat64OrNull", text)
        in_range = exp.Between(this=seconds.copy(), low=num(_MIN_EPOCH_S), high=num(_MAX_EPOCH_S))
        return exp.Case(
            ifs=[exp.If(this=exp.Is(this=seconds, expression=exp.Null()),
                        true=fn("parseDateTime64BestEffortOrNull", text.copy(), num(6),
                                exp.Literal.string("UTC"))),
                 exp.If(this=in_range, true=fn("toDateTime64", seconds.copy(), num(6),
                                                exp.Literal.string("UTC")))],
        )  # fmt: skip

    def ts_literal(self, iso_utc):
        return fn("toDateTime64", exp.Literal.string(iso_utc), num(6),
                  exp.Literal.string("UTC"))  # fmt: skip

    def now(self):
        return fn("now64", num(6))

    def today(self):
        return fn("today")

    _TRUNC = {"second": "toStartOfSecond", "minute": "toStartOfMinute", "hour": "toStartOfHour",
              "day": "toStartOfDay", "week": "toMonday", "month": "toStartOfMonth",
              "year": "toStartOfYear"}  # fmt: skip

    def trunc(self, unit, ts, amount=1):
        if amount == 1:
            inner = fn(self._TRUNC[unit], ts)
        else:
            inner = fn("toStartOfInterval", ts, _interval(amount, unit))
        return fn("toDateTime64", inner, num(6), exp.Literal.string("UTC"))

    def percentile(self, e, p):
        # quantile() is approximate; the exact, interpolating one matches DuckDB's quantile_cont.
        return _parametric("quantileExactInclusive", float(p), e)

    def any_value(self, e):
        return fn("any", e)

    def root_value(self, e):
        return fn("anyIf", e, exp.column("is_root"))

    def count_if(self, cond):
        return fn("countIf", cond)

    def array_item(self, arr, index):
        return fn("arrayElementOrNull", arr, num(index + 1 if index >= 0 else index))

    def array_len(self, arr):
        return fn("length", arr)

    def array_contains(self, arr, value):
        return fn("has", arr, value)

    def str_len(self, e):
        return fn("lengthUTF8", e)

    def map_keys(self, m):
        return fn("mapKeys", m)

    def unnest(self, arr):
        return fn("arrayJoin", arr)

    def collect(self, e):
        return fn("groupArray", e)

    def sample_hash(self, e):
        return exp.Mod(this=fn("cityHash64", e), expression=num(10000))

    def random(self):
        return fn("rand")

    def null_safe_eq(self, a, b, *, negate):
        node = fn("isNotDistinctFrom", a, b)
        return exp.Not(this=node) if negate else node


def _parametric(name: str, p: float, arg: exp.Expr) -> exp.Expr:
    """ClickHouse parametric aggregate ``name(p)(x)``; ``p`` is a float checked by the resolver."""
    return exp.Anonymous(this=f"{name}({p!r})", expressions=[arg])


DIALECTS: dict[str, Dialect] = {"duckdb": DuckDBDialect(), "clickhouse": ClickHouseDialect()}


def get_dialect(name: str) -> Dialect:
    try:
        return DIALECTS[name]
    except KeyError:
        raise ValueError(f"unknown dialect {name!r}; expected one of {sorted(DIALECTS)}") from None
