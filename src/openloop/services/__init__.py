"""The service layer: every API route, CLI command, UI page and Loop tool is a thin adapter over
these functions. Services take a :class:`~openloop.auth.Principal` and enforce org scoping and
roles themselves, so no adapter can forget to.

``Services`` bundles the opened stores; build it once at an entry point with
:meth:`Services.open` and pass it down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from openloop.ingest.pool import DecodePool

if TYPE_CHECKING:
    from openloop.settings import Settings
    from openloop.store.control import ControlStore
    from openloop.store.data.base import DataStore

__all__ = ["Services"]

logger = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    control: ControlStore
    data: DataStore
    #: worker processes that decode ingest bodies (none unless ``open`` configures them)
    decoders: DecodePool = field(default_factory=DecodePool)

    @classmethod
    def open(cls, settings: Settings, *, data: bool = True) -> Services:
        """Open (and migrate) the control store and, unless ``data=False``, the data store."""
        from openloop.services.datadir import prepare_data_dir
        from openloop.store.control import ControlStore

        prepare_data_dir(settings)
        control = ControlStore.open(
            settings.resolved_control_db_url, secret_key=settings.resolved_secret_key()
        )
        store: DataStore | None = None
        if data:
            from openloop.store.data import open_data_store

            try:
                store = open_data_store(settings)
            except Exception:
                control.close()
                raise
        decoders = DecodePool(settings.resolved_ingest_decode_processes if data else 0)
        return cls(settings=settings, control=control, data=store, decoders=decoders)  # type: ignore[arg-type]

    def close(self) -> None:
        self.decoders.close()
        if self.data is not None:
            self.data.close()
        self.control.close()
