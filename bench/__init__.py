"""Benchmarks: each module prints its figures. They are not tests and assert nothing on time."""
