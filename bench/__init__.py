"""Benchmarks of orglife on synthetic registers; see bench/README.md."""
