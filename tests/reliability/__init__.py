"""Reliability figures: shared helpers of the fuzz, fault, load and integrity tests (see README.md)."""
