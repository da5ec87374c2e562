"""What a participant sees: pytest --impl=... end to end, in a child interpreter."""

from __future__ import annotations

import re

from .helpers import FIXTURES, run_pytest


def summary(output: str) -> str:
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|not implemented|error)", line)]
    return lines[-1] if lines else ""


def test_template_is_all_not_implemented_and_exits_0() -> None:
    run = run_pytest("--impl=template", "-q")
    assert run.returncode == 0, run.output[-3000:]
    assert "failed" not in summary(run.output), summary(run.output)
    assert re.search(r"\d+ not implemented", summary(run.output)), summary(run.output)
    assert "not implemented (week 1): CausalSelfAttention.forward" in run.output
    assert "not implemented (week 3): LayerNorm.forward" in run.output


def test_unknown_name_is_one_line_usage_error() -> None:
    run = run_pytest("--impl=nobody", "-q")
    assert run.returncode == 4, run.output
    assert "no implementation named 'nobody'" in run.output
    assert "Traceback" not in run.output


def test_path_and_list_grade_each_and_show_ids() -> None:
    run = run_pytest(
        f"--impl=reference,{FIXTURES / 'attention_only'}", "spec/test_config.py", "spec/test_layernorm.py", "-v"
    )
    assert run.returncode == 0, run.output[-3000:]
    assert "implementations (2): reference, attention_only" in run.output
    assert "test_defaults_are_gpt2_small[reference] PASSED" in run.output
    assert "test_defaults_are_gpt2_small[attention_only] PASSED" in run.output
    assert "test_biased_variance[attention_only] NOT IMPLEMENTED" in run.output
    assert "test_biased_variance[reference] PASSED" in run.output


def test_broken_import_fails_its_tests_and_spares_the_others() -> None:
    run = run_pytest(f"--impl={FIXTURES / 'syntax_error'},reference", "spec/test_config.py", "-q")
    assert run.returncode == 1, run.output[-3000:]
    assert "implementation 'syntax_error' failed to import: SyntaxError" in run.output
    assert re.search(r"2 passed, 2 errors", summary(run.output)), summary(run.output)


def test_not_implemented_error_from_torch_is_a_failure() -> None:
    run = run_pytest(f"--impl={FIXTURES / 'torch_notimpl'}", "spec/test_attention.py", "-q", "-k", "parity")
    assert run.returncode == 1, run.output[-3000:]
    assert "not implemented" not in summary(run.output), summary(run.output)
    assert "NotImplementedError" in run.output
