"""Benchmarks run by `make bench` (bench_*.py, which pytest does not collect)."""
