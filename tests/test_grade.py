"""The grader against broken and hostile implementations (tests/hostile/): each is reported with
a clear reason and no credit, and the reference's and template's grades do not change.

Every implementation is graded on one cheap spec test (spec/test_config.py, -k defaults), so the
cost is one interpreter start per implementation; the hang cases run under short limits.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import torch

from gpt2spec.contract import WEEKS
from gpt2spec.grading import grade as g
from gpt2spec.grading import jail, records, reports
from gpt2spec.grading.sandbox import Integrity, static_violations, warm_up
from gpt2spec.points import POINTS, week_scores

from .submissions import once_per_session

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ROOT / "tests" / "hostile"
SPEC = ["spec/test_config.py"]
ONE_TEST = ["-k", "test_defaults_are_gpt2_small"]
LIMITS = g.Limits(test_seconds=3, impl_seconds=90, memory_mb=8192)  # 90 s: startup is slow on a loaded box
# Jailed where bubblewrap runs (CI installs it); elsewhere these packages, ours, are graded as trusted code.
# tests/test_sandbox.py holds the attacks only the jail stops, and skips without it.
TRUSTED = jail.available() is not None
ORACLE_IMPORTS = ("oracle_import_minbpe", "oracle_import_pypi")  # real code's module-level oracle imports

# implementation -> (status, words the reason must contain)
EXPECTED = {
    "hang_in_test": ("graded", "per-test limit"),
    "hang_at_import": ("timeout", "per-implementation limit"),
    "segfault": ("graded", "SIGSEGV"),  # the crash costs its test only (here: the one test)
    "exit_at_import": ("exit-at-import", "while importing"),
    "conftest_inside": ("graded", "conftest.py"),
    # patching torch changes only the implementation's own process (gpt2spec/remote): its wrong GPTConfig fails
    "monkeypatch": ("graded", ""),
    "forbidden_static": ("forbidden-import", "reference"),
    "fake_output": ("graded", ""),
    "forge_channel": ("import-error", "broke the protocol"),  # it can only write into its own channel
    "syntax_error": ("syntax-error", "config.py"),
    "memory_hog": ("out-of-memory", "MemoryError"),
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> records.Run:
    refs = [("reference", ROOT / "impls" / "reference"), ("template", ROOT / "impls" / "template")]
    refs += [(name, HOSTILE / name) for name in EXPECTED]
    refs += [(name, ROOT / "tests" / "fixtures" / name) for name in ORACLE_IMPORTS]
    grade = lambda _scratch: g.grade_all(refs, SPEC, ONE_TEST, LIMITS, jobs=2, trusted=TRUSTED)  # noqa: E731
    return once_per_session(tmp_path_factory, "hostile_run", grade)


def by_name(run: records.Run) -> dict[str, records.Grade]:
    return {grade.name: grade for grade in run.grades}


@pytest.mark.parametrize("name", EXPECTED)
def test_hostile_implementation_is_handled(hostile_run: records.Run, name: str) -> None:
    """Each hostile case gets the status and reason it should, and earns nothing."""
    status, words = EXPECTED[name]
    grade = by_name(hostile_run)[name]
    explained = grade.reason + " " + " ".join(grade.notes)
    assert grade.status == status, f"{name}: status {grade.status!r} ({explained}), expected {status!r}"
    assert words in explained, f"{name}: the reason {explained!r} should mention {words!r}"
    assert grade.score == 0, f"{name}: earned {grade.score} points"
    if status != "graded":
        assert all(t.points == 0 for t in grade.tests)


def test_good_implementations_unaffected(hostile_run: records.Run) -> None:
    """Graded next to the hostile ones, the reference and the template keep their grades."""
    grades = by_name(hostile_run)
    solo = by_name(g.grade_all([("reference", ROOT / "impls" / "reference")], SPEC, ONE_TEST, LIMITS, trusted=TRUSTED))
    assert grades["reference"].status == "graded"
    assert grades["reference"].score == grades["reference"].max_score == solo["reference"].score > 0
    assert [t.outcome for t in grades["reference"].tests] == [t.outcome for t in solo["reference"].tests]
    assert grades["template"].status == "graded"  # GPTConfig is given in the template


@pytest.mark.parametrize(
    ("name", "outcome", "how"),
    [("crash_in_one_test", "crash", "killed by SIGSEGV"), ("hang_in_c", "timeout", "per-test limit")],
)
def test_a_crash_costs_only_its_test(name: str, outcome: str, how: str) -> None:
    """Partial credit survives a crash: the first test kills (or hangs past the per-test limit, where
    pytest-timeout cannot reach) the interpreter; it earns 0, and the second test, rerun in a fresh
    interpreter, keeps its points."""
    [grade] = g.grade_all([(name, HOSTILE / name)], SPEC, [], LIMITS, trusted=TRUSTED).grades
    outcomes = {t.key.split("::")[1]: (t.outcome, t.message) for t in grade.tests}
    assert grade.status == "graded", (grade.status, grade.reason)
    assert outcomes["test_defaults_are_gpt2_small[impl]"][0] == outcome, outcomes
    assert how in outcomes["test_defaults_are_gpt2_small[impl]"][1], outcomes
    assert outcomes["test_built_by_keyword[impl]"][0] == "passed", outcomes
    assert grade.score == pytest.approx(grade.max_score / 2) and grade.score > 0
    assert any("fresh worker" in note or "fresh interpreter" in note for note in grade.notes), grade.notes


def test_fake_results_are_never_read(hostile_run: records.Run, tmp_path: Path) -> None:
    """fake_output printed '31337 passed' and wrote results.json / junit.xml where it ran: its grade
    is still its real one (its GPTConfig is wrong), and no report carries the fake numbers."""
    grade = by_name(hostile_run)["fake_output"]
    assert [t.outcome for t in grade.tests] == ["failed"]
    reports.write_all(hostile_run, tmp_path)
    assert "31337" not in (tmp_path / "report.json").read_text()


def test_reports_agree_with_exit_code(hostile_run: records.Run, tmp_path: Path) -> None:
    """The JSON report, the JUnit XML, Gradescope's results.json and the Markdown summary say the
    same thing, and the exit code is the one the JSON states."""
    paths = reports.write_all(hostile_run, tmp_path)
    data = json.loads(paths["json"].read_text())
    assert data["exit_code"] == hostile_run.exit_code == records.EXIT_UNGRADABLE
    assert data["exit_meaning"] == records.EXIT_MEANING[data["exit_code"]]
    suites = {s.get("name"): s for s in ET.parse(paths["junit"]).getroot().iter("testsuite")}
    assert set(suites) == {grade.name for grade in hostile_run.grades}
    ref_props = {p.get("name"): p.get("value") for p in suites["reference"].iter("property")}
    assert ref_props["status"] == "graded" and float(ref_props["score"]) == by_name(hostile_run)["reference"].score
    scope = json.loads((tmp_path / "gradescope" / "forbidden_static" / "results.json").read_text())
    assert scope["score"] == 0 and "forbidden-import" in scope["output"]
    md = paths["markdown"].read_text()
    assert "| `segfault` | ✅ graded |" in md and "**crash**: " in md and "(killed by SIGSEGV)" in md
    assert "| `forbidden_static` | ❌ forbidden-import |" in md


def test_summary_shows_the_assertion_message(hostile_run: records.Run, tmp_path: Path) -> None:
    """summary.md (the PR comment) quotes each failure by the spec's own assertion message, not by
    pytest's first traceback line (``impl = <...>``)."""
    grade = by_name(hostile_run)["fake_output"]
    message = grade.tests[0].message
    assert message.startswith("GPTConfig() = {'block_size': 1,"), message
    assert "impl = " in grade.tests[0].details  # pytest's report is kept, for the curious
    md = reports.write_all(hostile_run, tmp_path)["markdown"].read_text()
    assert "**failed**: GPTConfig() = {'block_size': 1," in md
    assert "impl = " not in md


def test_summary_keeps_the_hint() -> None:
    """A multi-line assertion message keeps its hint in the summary, however long the message."""
    message = "logits differ: max abs diff 3.1e-01 at B=0, T=3\n" + "detail\n" * 10 + "Hint: scale by 1/sqrt(hd)"
    test = records.TestResult("spec/test_attention.py::test_x[impl]", 1, "failed", message, "impl = <module>, B = 2")
    grade = records.Grade("alice", "alice", tests=[test], counts={"failed": 1})
    md = reports.markdown(records.Run([grade], [1], ["spec"], 1.0, records.EXIT_FAILURES))
    assert "**failed**: logits differ: max abs diff 3.1e-01 at B=0, T=3" in md
    assert "Hint: scale by 1/sqrt(hd)" in md and "impl = <module>" not in md


def test_runtime_guard_and_cli(tmp_path: Path) -> None:
    """With the static check off, the run-time guard alone catches a call into an oracle made during a
    test (one whose error the implementation even swallowed): that test earns nothing and names the call
    and its site, the implementation is still graded; the CLI's exit code matches its JSON."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "gpt2spec", "grade", "--impl", f"reference,{HOSTILE / 'forbidden_runtime'}"]
    cmd += ["--no-static-check", "--spec", *SPEC, *ONE_TEST, "--out", str(out), "-q", *(["--trusted"] * TRUSTED)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    data = json.loads((out / "report.json").read_text())
    assert proc.returncode == data["exit_code"] == records.EXIT_FAILURES, proc.stdout + proc.stderr
    grades = {i["name"]: i for i in data["implementations"]}
    cheat = grades["forbidden_runtime"]
    assert cheat["status"] == "graded" and cheat["score"] == 0
    [test] = cheat["tests"]
    assert test["outcome"] == "forbidden-import", test
    assert "tiktoken.get_encoding (forbidden_runtime/__init__.py:" in test["message"], test  # the call site
    assert "called" in test["message"], test
    assert "forbidden_runtime/__init__.py:" in test["message"], test  # the call site
    assert any("tiktoken" in note and "test_defaults_are_gpt2_small" in note for note in cheat["notes"]), cheat
    assert grades["reference"]["score"] == grades["reference"]["max_score"] > 0


def test_list_and_usage_errors() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gpt2spec", "grade", "--impl", "list"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0 and "reference" in proc.stdout and "template" in proc.stdout
    proc = subprocess.run(
        [sys.executable, "-m", "gpt2spec", "grade", "--impl", "nobody"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == records.EXIT_USAGE and "nobody" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "gpt2spec", "grade", "--impl", "reference", "--spec", "../tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == records.EXIT_USAGE and "grader's spec" in proc.stderr


# ---------------------------------------------------------------- in-process units


def test_static_check() -> None:
    """Forbidden imports and dynamic-import tricks are found; the registered packages are clean."""
    found = {v.module for v in static_violations(HOSTILE / "forbidden_static")}
    assert {"transformers", "spec.assertions", "reference"} <= found
    assert not any(v.dynamic for v in static_violations(HOSTILE / "forbidden_static"))  # left to the run-time guard
    assert not static_violations(ROOT / "impls" / "template")
    assert static_violations(ROOT / "impls" / "reference")  # imports reference/ ...
    assert not static_violations(ROOT / "impls" / "reference", frozenset({"reference"}))  # ... its one exception


def test_static_check_tricks(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        "import os, sys\nm = sys.modules\nn = os.sys\nf = __import__\nimport importlib\n"
        "def ok(model):\n    return list(model.modules())\n"
    )
    found = sorted((v.module, v.dynamic) for v in static_violations(pkg))
    assert found == [("<module>.sys", True), ("__import__", True), ("importlib", False), ("sys.modules", True)]


def test_lazy_forbidden_import_is_only_a_warning(tmp_path: Path) -> None:
    """nanoGPT's `from transformers import GPT2LMHeadModel` inside an uncalled from_pretrained: graded on
    what it does (its one test passes), the import reported as a warning with file:line."""
    pkg = tmp_path / "lazy"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(
        (ROOT / "reference" / "config.py").read_text()  # a correct GPTConfig, as source text
        + "\n\ndef from_pretrained(name):\n    from transformers import GPT2LMHeadModel\n\n"
        "    return GPT2LMHeadModel.from_pretrained(name)\n"
    )
    [grade] = g.grade_all([("lazy", pkg)], SPEC, ONE_TEST, LIMITS, trusted=True).grades
    assert grade.status == "graded" and grade.score == grade.max_score > 0, (grade.status, grade.reason)
    assert any(n.startswith("warning:") and "transformers (lazy/__init__.py:" in n for n in grade.notes), grade.notes
    # trusted, so unjailed: `python -I` ignores PYTHONDONTWRITEBYTECODE, the child's -B does not
    assert not list(pkg.rglob("__pycache__")), "the graded child wrote bytecode into the submission"


@pytest.mark.parametrize("name", ORACLE_IMPORTS)
def test_oracle_imported_but_unused_costs_nothing(hostile_run: records.Run, name: str) -> None:
    """minbpe's gpt4.py imports tiktoken at module level, a PyPI GPT-2 imports transformers for
    from_pretrained: neither is run by the spec, so both are graded on what they compute (full marks here),
    with a warning that names the import."""
    grade = by_name(hostile_run)[name]
    assert grade.status == "graded" and grade.score == grade.max_score > 0, (grade.status, grade.reason, grade.notes)
    assert any(n.startswith("warning:") for n in grade.notes), grade.notes


def test_no_sandbox_no_grade(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys) -> None:
    """Where bubblewrap is missing the grader says so in one line and grades nothing (exit 4, no report);
    with --trusted it grades."""
    monkeypatch.setattr(jail, "available", lambda: "bwrap is not installed (apt-get install bubblewrap)")
    argv = ["--impl", "reference", "--spec", *SPEC, *ONE_TEST, "--out", str(tmp_path / "out"), "-q"]
    assert g.main(argv) == records.EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "bwrap is not installed" in err and "--trusted" in err, err
    assert not (tmp_path / "out").exists()
    assert g.main([*argv, "--trusted"]) == records.EXIT_OK
    assert json.loads((tmp_path / "out" / "report.json").read_text())["implementations"][0]["score"] > 0


def test_integrity_allows_torch_own_patches(monkeypatch: pytest.MonkeyPatch) -> None:
    """torch wraps an optimizer class's step the first time one is built (after a snapshot taken at
    import): after the warm-up that is no change; torch's own wrapper around the snapshotted step is
    accepted later too, but a look-alike wrapper (functools.wraps, __wrapped__ set) is named."""
    import functools

    warm_up()
    snapshot = Integrity()
    model = torch.nn.Linear(2, 2)
    torch.optim.AdamW(model.parameters()).step()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    assert snapshot.changed() == []
    original = torch.optim.Adagrad.step
    monkeypatch.setattr(torch.optim.Adagrad, "step", torch.optim.Optimizer.profile_hook_step(original))
    assert snapshot.changed() == []
    monkeypatch.setattr(torch.optim.Adagrad, "step", functools.wraps(original)(lambda *a, **k: None))
    assert snapshot.changed() == ["torch.optim.adagrad.Adagrad.step"]


def test_integrity_catches_patches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replacing a comparison, or shadowing an inherited Tensor method, is named."""
    import spec.assertions

    snapshot = Integrity()
    assert snapshot.changed() == []
    monkeypatch.setattr(torch, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(torch.Tensor, "__sub__", lambda a, b: a, raising=False)
    monkeypatch.setattr(spec.assertions, "assert_close", lambda *a, **k: None)
    changed = snapshot.changed(limit=10)
    assert {"torch.allclose", "torch.Tensor.__sub__", "spec.assertions.assert_close"} <= set(changed), changed


def test_points_table_covers_every_week() -> None:
    """Every week of the contract has points, and every spec module is marked with a known week."""
    assert set(POINTS) == set(WEEKS)
    for path in sorted((ROOT / "spec").glob("test_*.py")):
        tree = ast.parse(path.read_text())
        marks = [
            n.value
            for n in tree.body
            if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in n.targets)
        ]
        text = ast.unparse(marks[0]) if marks else ""
        weeks = [int(w) for w in __import__("re").findall(r"mark\.week(\d)", text)]
        assert weeks and all(w in POINTS for w in weeks), f"{path.name}: pytestmark must carry a weekN with points"


def test_week_scores() -> None:
    """Only passes earn; not implemented/skipped/xfailed/errors earn 0; spec-side skips leave the maximum."""
    outcomes = [(1, "passed"), (1, "failed"), (1, "not implemented"), (1, "not graded here"), (3, "xfailed")]
    scores = week_scores(outcomes, [1, 3])
    assert scores[1].total == 3 and scores[1].passed == 1
    assert scores[1].points == pytest.approx(POINTS[1] / 3, abs=0.01)
    assert scores[3].points == 0 and scores[3].max_points == POINTS[3]


def test_exit_code_rule() -> None:
    ok = records.Grade("a", "a", tests=[records.TestResult("k", 1, "passed")])
    blank = records.Grade("b", "b", tests=[records.TestResult("k", 1, "not implemented")])
    failing = records.Grade("c", "c", tests=[records.TestResult("k", 1, "failed")])
    crashed = records.Grade("d", "d", status="crash")
    assert records.exit_code([ok, blank]) == records.EXIT_OK
    assert records.exit_code([ok, failing]) == records.EXIT_FAILURES
    assert records.exit_code([ok, failing, crashed]) == records.EXIT_UNGRADABLE


def test_scaffold_new_implementation(tmp_path: Path) -> None:
    """`gpt2spec new` copies the template and writes a README of the weeks read from the contract."""
    from gpt2spec.scaffold import new

    dest = new("alice", impls_dir=tmp_path)
    assert (dest / "__init__.py").read_text() == (ROOT / "impls" / "template" / "__init__.py").read_text()
    readme = (dest / "README.md").read_text()
    assert all(topic in readme for topic in WEEKS.values())
    assert "`CausalSelfAttention`" in readme and "`attention.py`" in readme and "spec/test_attention.py" in readme
    assert not static_violations(dest)
    with pytest.raises(ValueError, match="already exists"):
        new("alice", impls_dir=tmp_path)
    with pytest.raises(ValueError, match="lowercase"):
        new("../evil", impls_dir=tmp_path)


def test_changed_impls_keeps_a_package_without_init(tmp_path: Path):
    """A pull request that adds impls/carol without __init__.py is graded (and reported as an import
    error), not skipped; deleted directories and files outside impls/<name>/ are not graded."""
    from gpt2spec.grading.grade import impls_touched

    (tmp_path / "carol").mkdir()
    (tmp_path / "carol" / "attention.py").write_text("x = 1\n")
    (tmp_path / "alice").mkdir()
    (tmp_path / "alice" / "__init__.py").write_text("")
    changed = ["impls/carol/attention.py", "impls/alice/__init__.py", "impls/gone/x.py", "impls/README.md", "x.py"]
    assert impls_touched(changed, tmp_path) == ["alice", "carol"]


def test_shards_cover_everyone_once() -> None:
    """`grade --shard K/N`: the N shares are disjoint, cover every implementation, and do not depend on
    the order the implementations were listed in."""
    refs = [(f"p{i:02d}", Path(f"/x/p{i:02d}")) for i in range(11)]
    shares = [g.shard(refs, k, 4) for k in range(1, 5)]
    assert sorted(r for share in shares for r in share) == sorted(refs)
    assert g.shard(list(reversed(refs)), 2, 4) == shares[1]
    with pytest.raises(SystemExit):
        g.parse_args(["--impl", "all", "--shard", "5/4"])


def test_merge_builds_one_report(tmp_path: Path) -> None:
    """`grade --merge DIR...` reads the shards' reports and writes one, with the exit code of the whole."""
    ok = records.Grade("alice", "alice", score=10.0, max_score=10.0, tests=[records.TestResult("k", 1, "passed")])
    bad = records.Grade("bob", "bob", tests=[records.TestResult("k", 1, "failed", "wrong")], counts={"failed": 1})
    for name, grade in (("s1", ok), ("s2", bad)):
        reports.write_all(records.Run([grade], [1], ["spec"], 2.0, records.exit_code([grade]), seed=7), tmp_path / name)
    code = g.main(["--merge", str(tmp_path / "s1"), str(tmp_path / "s2"), "--out", str(tmp_path / "all")])
    data = json.loads((tmp_path / "all" / "report.json").read_text())
    assert code == data["exit_code"] == records.EXIT_FAILURES
    assert [i["name"] for i in data["implementations"]] == ["alice", "bob"] and data["seed"] == 7
    assert g.main(["--merge", str(tmp_path / "missing"), "--out", str(tmp_path / "x")]) == records.EXIT_USAGE


def test_one_bad_path_does_not_stop_the_others(tmp_path: Path) -> None:
    """A list with one path that is not a package (here a symlink loop) is reported for that entry in one
    line; the others are still graded."""
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    cmd = [sys.executable, "-m", "gpt2spec", "grade", "--impl", f"{loop},template", "--spec", *SPEC, *ONE_TEST]
    proc = subprocess.run(
        [*cmd, "--out", str(tmp_path / "out"), "-q", *(["--trusted"] * TRUSTED)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    data = json.loads((tmp_path / "out" / "report.json").read_text())
    grades = {i["name"]: i for i in data["implementations"]}
    assert grades["template"]["status"] == "graded"
    [bad] = [i for n, i in grades.items() if n != "template"]
    assert bad["status"] == "not-a-package" and "symlink" in bad["reason"].lower(), bad
    assert proc.returncode == data["exit_code"] == records.EXIT_UNGRADABLE


def test_crashes_cost_only_their_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process grading (trusted code): after MAX_CRASHES_PER_MODULE crashes in one spec module (1 here,
    to keep it cheap), that module's remaining tests are "not run"; the tests of the other modules are still
    run (here: attention, which a GPTConfig-only package has not implemented), not scored 0 as "not run"."""
    monkeypatch.setattr(g, "MAX_CRASHES_PER_MODULE", 1)
    spec = [*SPEC, "spec/test_attention.py"]
    in_process = dataclasses.replace(LIMITS, isolate=False)  # with a worker, the judge outlives every crash
    [grade] = g.grade_all([("crash", HOSTILE / "crash_in_one_test")], spec, [], in_process, trusted=TRUSTED).grades
    outcomes = {t.key: t.outcome for t in grade.tests}
    assert outcomes["spec/test_config.py::test_defaults_are_gpt2_small[impl]"] == "crash", outcomes
    assert outcomes["spec/test_config.py::test_built_by_keyword[impl]"] == "not run", outcomes
    others = {o for k, o in outcomes.items() if k.startswith("spec/test_attention.py")}
    assert others and "not run" not in others, others
    assert any("crashed the interpreter 1 times" in n and "still run" in n for n in grade.notes), grade.notes


def test_threads_per_job_share_the_cores_and_honour_omp_num_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Clause: each graded interpreter gets the machine's cores over the jobs, never more than OMP_NUM_THREADS
    when that is set. Catches: CI's two test workers each grading with two threads on two cores (spin-waits)."""
    monkeypatch.setattr(g.os, "cpu_count", lambda: 8)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert [g.threads_per_job(j) for j in (1, 2, 3, 16)] == [8, 4, 2, 1]
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert [g.threads_per_job(j) for j in (1, 2)] == [1, 1]
    monkeypatch.setenv("OMP_NUM_THREADS", "not a number")
    assert g.threads_per_job(2) == 4


@pytest.mark.parametrize(
    "log, said",
    [
        ("bwrap: Can't find source path /tmp/x: No such file\nI\n=== gpt2spec: not graded ===\n1 not run in 8s\n",
         "bwrap: Can't find source path /tmp/x: No such file"),
        (".\n=== short test summary info ===\n1 deselected, 1 error in 15.73s\n", ""),
    ],
    ids=["worker-complained", "worker-silent"],
)  # fmt: skip
def test_an_exit_at_import_quotes_the_worker_not_the_judge(log: str, said: str) -> None:
    """Clause: an implementation's process that dies while importing is reported with the last line it printed
    before the judge's report, or nothing. Catches: CI's "died (exit code 1)" with no why (bwrap's complaint was
    in the log), and quoting the judge's own summary line ("1 deselected, 1 error") as the worker's words."""
    run = g.ChildRun(records=[], forged=0, returncode=0, stderr_tail=log, seconds=1.0)
    assert g._worker_last_words(run) == said
