"""Bytes → ``ExportTraceServiceRequest``: content negotiation, bounded decompression, protobuf and
OTLP/JSON parsing, and ``AnyValue`` → plain Python values.

Everything a client can get wrong here ends as :class:`~openloop.errors.InvalidInput` (415 for an
unsupported media type or content encoding) or :class:`~openloop.errors.PayloadTooLarge`.
"""

from __future__ import annotations

import base64
import logging
import math
import zlib
from typing import Any

import orjson
from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from openloop.errors import InvalidInput, PayloadTooLarge
from openloop.ingest.rows import invalid_json

logger = logging.getLogger(__name__)

#: Longest single attribute string kept whole, in UTF-8 bytes; longer ones are cut with a marker.
MAX_STRING_BYTES = 1024 * 1024
TRUNCATION_MARKER = "…[truncated {dropped} bytes]"

PROTOBUF_TYPES = frozenset({"application/x-protobuf", "application/protobuf"})
JSON_TYPES = frozenset({"application/json"})

# OTLP/JSON field names of the id fields (lowerCamelCase is the spec; snake_case is tolerated).
_TRACE_ID_KEYS = ("traceId", "trace_id")
_SPAN_ID_KEYS = ("spanId", "span_id")
_PARENT_ID_KEYS = ("parentSpanId", "parent_span_id")


def media_type(content_type: str | None) -> str:
    """``"application/json; charset=utf-8"`` → ``"application/json"``."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_request(
    body: bytes, *, content_type: str, content_encoding: str | None, max_bytes: int
) -> ExportTraceServiceRequest:
    """Decode one OTLP/HTTP trace export body (see ``openloop.ingest.otlp`` for the contract)."""
    kind = media_type(content_type)
    if kind not in PROTOBUF_TYPES and kind not in JSON_TYPES:
        raise InvalidInput(
            f"unsupported Content-Type {kind or '(none)'!r} for OTLP traces; send "
            "application/x-protobuf or application/json",
            status=415,
        )
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"request body is {len(body)} bytes; the limit is {max_bytes}")
    data = decompress(body, content_encoding, max_bytes)
    request = ExportTraceServiceRequest()
    if not data.strip():
        return request
    if kind in PROTOBUF_TYPES:
        try:
            request.ParseFromString(data)
        except Exception as exc:  # DecodeError, and whatever a corrupt buffer provokes
            raise InvalidInput(f"body is not a valid OTLP protobuf trace export: {exc}") from exc
        return request
    return _parse_json(data, request)


def decompress(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate, identity; listed in the order applied)."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    data = body
    for coding in reversed(codings):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            data = _inflate(data, 16 + zlib.MAX_WBITS, max_bytes, coding)
        elif coding == "deflate":
            # HTTP "deflate" is zlib-wrapped, but some clients send a raw deflate stream.
            try:
                data = _inflate(data, zlib.MAX_WBITS, max_bytes, coding)
            except InvalidInput as exc:
                if isinstance(exc, PayloadTooLarge):
                    raise
                data = _inflate(data, -zlib.MAX_WBITS, max_bytes, coding)
        else:
            raise InvalidInput(
                f"unsupported Content-Encoding {coding!r}; send gzip, deflate or identity",
                status=415,
            )
    return data


def _inflate(data: bytes, wbits: int, max_bytes: int, coding: str) -> bytes:
    """Inflate ``data`` without ever holding more than ``max_bytes + 1`` bytes of output."""
    out = bytearray()
    pending = data
    inflater = zlib.decompressobj(wbits)
    try:
        while True:
            out += inflater.decompress(pending, max_bytes + 1 - len(out))
            if len(out) > max_bytes:
                raise PayloadTooLarge(
                    f"{coding} body inflates to more than {max_bytes} bytes (the limit)"
                )
            if inflater.eof:
                pending = inflater.unused_data
                # gzip allows several members back to back; trailing zero padding is harmless.
                if wbits > zlib.MAX_WBITS and pending.strip(b"\0"):
                    inflater = zlib.decompressobj(wbits)
                    continue
                return bytes(out)
            pending = inflater.unconsumed_tail
            if not pending:
                more = inflater.decompress(b"", max_bytes + 1 - len(out))
                if not more:
                    raise InvalidInput(f"{coding} body is truncated")
                out += more
    except zlib.error as exc:
        raise InvalidInput(f"body is not valid {coding} data: {exc}") from exc


def _parse_json(data: bytes, request: ExportTraceServiceRequest) -> ExportTraceServiceRequest:
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise invalid_json("OTLP/JSON body", data, exc) from exc
    if not isinstance(doc, dict):
        raise InvalidInput("OTLP/JSON body must be an object with a resourceSpans list")
    _hex_ids_to_base64(doc)
    try:
        json_format.ParseDict(doc, request, ignore_unknown_fields=True)
    except Exception as exc:  # ParseError; RecursionError/ValueError on pathological input
        raise InvalidInput(f"body is not a valid OTLP/JSON trace export: {exc}") from exc
    return request


def _items(obj: Any, *keys: str) -> list[Any]:
    if not isinstance(obj, dict):
        return []
    for key in keys:
        value = obj.get(key)
        if isinstance(value, list):
            return value
    return []


def _hex_ids_to_base64(doc: dict[str, Any]) -> None:
    """OTLP/JSON carries ids as hex; protobuf's JSON mapping wants base64 for ``bytes`` fields."""
    for i, rs in enumerate(_items(doc, "resourceSpans", "resource_spans")):
        for j, ss in enumerate(_items(rs, "scopeSpans", "scope_spans")):
            for k, span in enumerate(_items(ss, "spans")):
                where = f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]"
                _convert_ids(span, where, _TRACE_ID_KEYS + _SPAN_ID_KEYS + _PARENT_ID_KEYS)
                for n, link in enumerate(_items(span, "links")):
                    _convert_ids(link, f"{where}.links[{n}]", _TRACE_ID_KEYS + _SPAN_ID_KEYS)


def _convert_ids(obj: Any, where: str, keys: tuple[str, ...]) -> None:
    if not isinstance(obj, dict):
        return
    for key in keys:
        value = obj.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"{where}.{key} must be a hex string, got {type(value).__name__}")
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise InvalidInput(
                f"{where}.{key} is not hex (OTLP/JSON ids are hex, not base64): {value[:48]!r}"
            ) from None
        obj[key] = base64.b64encode(raw).decode("ascii")


#: Strings this short (in characters) cannot exceed :data:`MAX_STRING_BYTES` UTF-8 bytes.
SAFE_STRING_CHARS = MAX_STRING_BYTES // 4


def truncate(text: str) -> str:
    """Cut ``text`` to :data:`MAX_STRING_BYTES` UTF-8 bytes, marking how much was dropped."""
    if len(text) <= SAFE_STRING_CHARS:
        return text
    raw = text.encode("utf-8", "replace")
    if len(raw) <= MAX_STRING_BYTES:
        return text
    kept = raw[:MAX_STRING_BYTES].decode("utf-8", "ignore")
    return kept + TRUNCATION_MARKER.format(dropped=len(raw) - len(kept.encode("utf-8")))


def any_value(value: Any) -> Any:
    """An OTLP ``AnyValue`` as JSON-ready Python (bytes → base64, non-finite floats → text)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return truncate(value.string_value)
    if kind == "bool_value":
        return value.bool_value
    if kind == "int_value":
        return value.int_value
    if kind == "double_value":
        number = value.double_value
        return number if math.isfinite(number) else str(number)
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return truncate(base64.b64encode(value.bytes_value).decode("ascii"))
    return None


def attributes(key_values: Any) -> dict[str, Any]:
    """A repeated ``KeyValue`` as a dict (a repeated key keeps its last value)."""
    out: dict[str, Any] = {}
    safe = SAFE_STRING_CHARS
    for kv in key_values:
        key = kv.key
        if len(key) > safe:
            key = truncate(key)
        value = kv.value
        # A non-empty string_value means the oneof holds a string (the common case): one
        # field read instead of WhichOneof plus a read.
        text = value.string_value
        if text:
            out[key] = text if len(text) <= safe else truncate(text)
        else:
            out[key] = any_value(value)
    return out
