"""Runnable examples for the Avala SDK (importable so the test suite can exercise them)."""
