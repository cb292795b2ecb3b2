"""Benchmarks of docgen: each module prints its figures against the floor its issue names."""
