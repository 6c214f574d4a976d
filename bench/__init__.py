"""Benchmarks: `python -m bench.search` (see bench/README.md)."""
