"""Independent correct implementations of the model contract, written from spec/CONTRACT.md and the
spec tests only (never from reference/ or impls/template/). They prove the spec fails no correct
submission: tests/test_independent_impls.py grades both with the full spec."""
