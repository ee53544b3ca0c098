"""API routers. Each is a thin adapter over ``openloop.services``."""
