"""Deterministic skills behind Loop's tools: the logs report, query repair, filter checking,
chart series, trace trees and result summaries.

Each skill is plain Python over the service layer, so a slash command runs it without any model
and a tool wrapper stays a few lines long. Every query a skill runs goes through
:func:`openloop.services.query.run_user_query`, the one query path, and is bounded by a time
window and a row limit.
"""
