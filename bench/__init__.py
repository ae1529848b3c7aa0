"""Benchmarks: ``python -m bench [name ...] [--quick]`` prints one JSON object per result."""
