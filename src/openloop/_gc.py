"""The cyclic garbage collector, paused around bulk work.

Decoding a request, building a batch's columns or shaping a query's result creates tens of
thousands of new, acyclic containers. Left running, the collector would start several passes
over every live object of the process during that work, costing more than the work itself in
a large server process; nothing built there needs it.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["gc_paused"]


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic collector for the block (restoring its previous state after)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
