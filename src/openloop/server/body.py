"""Reading request bodies with limits: size caps before and after decompression."""

from __future__ import annotations

import zlib

import orjson
from fastapi import Request

from openloop._gc import gc_paused
from openloop.errors import InvalidInput, PayloadTooLarge
from openloop.ingest.rows import invalid_json

__all__ = ["decompress", "parse_json", "read_body"]


async def read_body(request: Request, max_bytes: int) -> bytes:
    """The raw body (still compressed, if it was), refusing more than ``max_bytes``."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > max_bytes:
        raise PayloadTooLarge(f"request body is {int(length)} bytes; the limit is {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"request body exceeds the limit of {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decompress(body: bytes, encoding: str | None, max_bytes: int) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate), refusing output beyond ``max_bytes``."""
    enc = (encoding or "identity").strip().lower()
    if enc in ("", "identity"):
        return body
    if enc not in ("gzip", "x-gzip", "deflate"):
        raise InvalidInput(
            f"unsupported Content-Encoding {encoding!r}; use gzip or deflate", status=415
        )
    wbits = 16 + zlib.MAX_WBITS if enc != "deflate" else zlib.MAX_WBITS
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(body, max_bytes + 1)
    except zlib.error as exc:
        raise InvalidInput(f"body is not valid {enc} data: {exc}") from None
    if len(out) > max_bytes or d.unconsumed_tail:
        raise PayloadTooLarge(f"decompressed body exceeds the limit of {max_bytes} bytes")
    if not d.eof:
        raise InvalidInput(f"body is truncated {enc} data")
    return out


def parse_json(data: bytes) -> object:
    """Parse JSON with a message that says where it broke."""
    if not data.strip():
        raise InvalidInput("request body is empty; expected JSON")
    try:
        with gc_paused():
            return orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise invalid_json("request body", data, exc) from None
