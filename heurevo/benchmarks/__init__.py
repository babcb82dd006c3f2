"""Instances: file formats, generators, suites, reference values, benchmarks."""
