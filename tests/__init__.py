"""Test suites by tier (unit, functional, policy, terraform, e2e), event fixtures and benchmarks.

A package only so that `python -m tests.bench` (make bench) can import shared helpers.
"""
