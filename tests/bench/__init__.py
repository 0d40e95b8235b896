"""Benchmarks (`make bench`): timing figures are measured and reported here, never asserted in tests."""
