"""Platform fixtures (stores, org, live server, scripted models) for the experiment tests."""

from __future__ import annotations

from tests.evals._platform import client, fake_model, live_url, org, services

__all__ = ["client", "fake_model", "live_url", "org", "services"]
