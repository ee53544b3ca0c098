"""Loop: the assistant that works on a project's data through the same services as the API.

``tools/base.py`` is the one file that defines what a tool is; every tool lives in its own
module under ``tools/`` and registers itself there.
"""
