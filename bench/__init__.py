"""Benchmarks (not run as tests). `python -m bench.ingest`, `python -m bench.query`."""
