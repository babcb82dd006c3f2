"""Benchmark maintainers' tools: leaderboards, result cache, tables, plots, run reports, ablations."""
