"""What a participant sees: pytest --impl=... end to end, in a child interpreter."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gpt2spec import points

from .helpers import FIXTURES, Run, run_pytest


def summary(output: str) -> str:
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|not implemented|error)", line)]
    return lines[-1] if lines else ""


@pytest.fixture(scope="module")
def template_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Path]:
    """The untouched template through the whole spec, once for the tests below: output and junit XML."""
    junit = tmp_path_factory.mktemp("template") / "junit.xml"
    return run_pytest("--impl=template", "-q", f"--junitxml={junit}"), junit


def test_template_is_all_not_implemented_and_exits_0(template_run: tuple[Run, Path]) -> None:
    run, _ = template_run
    assert run.returncode == 0, run.output[-3000:]
    assert "failed" not in summary(run.output), summary(run.output)
    assert re.search(r"\d+ not implemented", summary(run.output)), summary(run.output)
    assert "not implemented (week 1): GPTConfig" in run.output
    assert "not implemented (week 3): LayerNorm.forward" in run.output


def test_untouched_template_scores_0(template_run: tuple[Run, Path]) -> None:
    """Code the template hands out earns nothing (gpt2spec/points.py): the untouched template once scored
    6.3/100 for GPTConfig and parameter layouts it was given."""
    _, junit = template_run
    outcomes = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        week = int(props["week"]) if props.get("week", "None").isdigit() else None
        outcome = "failed" if any(c.tag in ("failure", "error", "skipped") for c in case) else "passed"
        outcomes.append((week, outcome))
    weeks = sorted(points.POINTS)
    scores = points.week_scores(outcomes, weeks)
    assert sum(s.max_points for s in scores.values()) == 100, scores
    passed_for_points = [(w, o) for w, o in outcomes if o == "passed" and w is not None]
    assert sum(s.points for s in scores.values()) == 0, f"the template earns points for given code: {scores}"
    assert not passed_for_points, passed_for_points


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


def test_broken_import_is_not_run_and_spares_the_others() -> None:
    run = run_pytest(f"--impl={FIXTURES / 'syntax_error'},reference", "spec/test_config.py", "-q")
    assert run.returncode == 2, run.output[-3000:]  # 2: some implementation could not be graded
    assert "implementation 'syntax_error' failed to import: SyntaxError" in run.output
    assert re.search(r"2 passed, 2 not run \(import error\)", run.output), run.output[-3000:]


def test_import_error_is_one_line_not_one_per_test() -> None:
    """A typo that breaks the import (nn.GeLU) once printed 1151 lines: the error per test, three times."""
    run = run_pytest(f"--impl={FIXTURES / 'import_typo'},reference", "spec/test_config.py", "spec/test_mlp.py", "-q")
    assert run.returncode == 2, run.output[-3000:]
    line = (
        "implementation 'import_typo' failed to import: AttributeError: module 'torch.nn' has no attribute "
        "'GeLU' at tests/fixtures/import_typo/mlp.py:5"
    )
    assert run.output.count("has no attribute 'GeLU'") == 1, run.output
    assert line in run.output, run.output
    assert "Traceback" not in run.output and "ERROR" not in run.output, run.output
    assert len(run.output.splitlines()) <= 15, run.output
    assert re.search(r"\d+ passed, \d+ not run \(import error\)", summary_line(run.output)), run.output


def test_unknown_name_in_a_list_spares_the_others() -> None:
    run = run_pytest("--impl=reference,bobb", "spec/test_config.py", "-q")
    assert run.returncode == 2, run.output[-3000:]
    assert run.output.count("no implementation named 'bobb' under impls/") == 1, run.output
    assert "2 passed" in summary_line(run.output), run.output


def test_directory_without_init_is_reported_not_skipped(tmp_path: Path) -> None:
    """impls/carol holds Python files but no __init__.py: --impl all once skipped it in silence."""
    shutil.copytree(FIXTURES / "attention_only", tmp_path / "alice")
    (tmp_path / "carol").mkdir()
    (tmp_path / "carol" / "attention.py").write_text("X = 1\n")
    run = run_pytest("--impl=all", "spec/test_config.py", "-q", env={"GPT2SPEC_IMPLS_DIR": str(tmp_path)})
    assert run.returncode == 2, run.output[-3000:]
    assert re.search(r"^carol +not graded", run.output, flags=re.M), run.output
    assert "implementation 'carol' failed to import: " in run.output and "has no __init__.py" in run.output
    assert "2 passed, 2 not run (import error)" in summary_line(run.output), run.output


def summary_line(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.mark.parametrize("fixture", ["torch_notimpl", "torch_notimpl_c"])
def test_not_implemented_error_from_torch_is_a_failure(fixture: str) -> None:
    """R-blank: only the implementation's own ``raise NotImplementedError`` is a blank. Bug caught: torch's
    NotImplementedError raised from C on the participant's line (``x ^ 2``) graded as "not implemented"."""
    run = run_pytest(f"--impl={FIXTURES / fixture}", "spec/test_attention.py", "-q", "-k", "parity")
    assert run.returncode == 1, run.output[-3000:]
    assert "not implemented" not in summary(run.output), summary(run.output)
    assert "NotImplementedError" in run.output


def test_not_slow_is_the_fast_loop_without_124M() -> None:
    """README: `pytest --impl=alice -m "not slow"` leaves out the 124M cases (and only the slow ones)."""
    run = run_pytest("--impl=reference", "-m", "not slow", "--collect-only", "-q")
    assert run.returncode == 0, run.output[-3000:]
    ids = [line for line in run.output.splitlines() if "::" in line]
    assert len(ids) >= 100 and not [i for i in ids if "124M" in i], ids
    slow = run_pytest("--impl=reference", "-m", "slow", "--collect-only", "-q")
    slow_ids = [line for line in slow.output.splitlines() if "::" in line]
    assert {i.split("::")[1].split("[")[0] for i in slow_ids} == {
        "test_parity_with_hf",
        "test_parameter_count_124M",
        "test_real_weights_logits",
        "test_real_weights_greedy_continuation",
        "test_samples_follow_softmax_over_temperature",
    }, slow_ids
