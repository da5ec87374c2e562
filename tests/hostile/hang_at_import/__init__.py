"""Hangs while being imported, outside any test: only the per-implementation limit can stop it."""

while True:
    pass
