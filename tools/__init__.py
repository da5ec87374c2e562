"""Scripts that regenerate the measured docs (docs/KILL_MATRIX.md, docs/TOLERANCES.md, docs/DIAGNOSIS.md,
docs/FLAKINESS.md) and the seminar-sized grading run; each runs as ``python -m tools.NAME``. They use
the meta-tests' helpers (tests/mutation.py, tests/submissions.py, tests/heldout_bugs.py) but are not
collected as tests."""
