"""Loop's built-in tools, one module per tool. Importing this package registers them."""

from __future__ import annotations

import importlib
import pkgutil

_loaded = False


def load_builtin_tools() -> None:
    """Import every tool module in this package once (each calls ``register_tool``)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for mod in pkgutil.iter_modules(__path__):
        if mod.name.startswith("_") or mod.name == "base":
            continue
        importlib.import_module(f"{__name__}.{mod.name}")
