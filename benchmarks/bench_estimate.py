"""Benchmark placeholder: replaced by the benchmark suite (see docs/performance.md)."""
