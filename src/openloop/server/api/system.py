"""Health and version."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from openloop._version import __version__
from openloop.server.security import get_principal, get_services

router = APIRouter(tags=["system"])


@router.get("/health", summary="Liveness check (no authentication)")
def health() -> dict[str, Any]:
    return {"status": "ok", "version": __version__}


@router.get(
    "/v1/version", summary="Server version and limits", dependencies=[Depends(get_principal)]
)
def version(svc: Any = Depends(get_services)) -> dict[str, Any]:
    s = svc.settings
    return {
        "version": __version__,
        "data_backend": s.data_backend,
        "ingest_max_rows": s.ingest_max_rows,
        "max_request_bytes": s.max_request_bytes,
        "max_field_bytes": s.max_field_bytes,
    }
