"""The leaderboard's renderers, from a synthetic grading run (no grading here: that is
tests/test_grade.py's job), and the HTML page sorted by real clicks in headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from gpt2spec import leaderboard as lb
from gpt2spec.grading import jail, records, reports
from gpt2spec.points import WeekScore

ROOT = Path(__file__).resolve().parent.parent


def _grade(name: str, w1: float, w3: float, status: str = "graded", reason: str = "") -> records.Grade:
    weeks = {1: WeekScore(1, w1, 25.0, 0, 10), 3: WeekScore(3, w3, 35.0, 0, 20)}
    return records.Grade(
        name, name, status=status, reason=reason, score=w1 + w3, max_score=60.0, weeks=weeks, seconds=1.0
    )


# bob fails one test: the leaderboard must show the spec's message and hint, not pytest's first line
FAILURE = "attention output differs from the reference: max abs diff 4.1e-01 at B=0, T=3\nHint: scale by 1/sqrt(hd)"
RUN_TESTS = [
    records.TestResult(
        "spec/test_attention.py::test_parity[impl-tiny]", 1, "failed", FAILURE, "impl = <module>, B = 2"
    ),
    records.TestResult("spec/test_gpt.py::test_x[impl]", 3, "not implemented", "not implemented (week 3): GPT"),
]


RUN = records.Run(
    [
        records.Grade(**{**_grade("bob", 20.0, 10.0).__dict__, "tests": RUN_TESTS, "counts": {"failed": 1}}),
        _grade("alice", 25.0, 35.0),
        _grade("carol", 5.0, 0.0),
        _grade("mallory", 0.0, 0.0, "tampering", "replaced torch.allclose <script>"),
    ],
    weeks=[1, 3],
    spec=["spec"],
    seconds=3.0,
)
BENCH = {
    "benchmarks": [
        {"name": "bench_attention[reference]", "group": "attention fwd", "params": {"impl": "reference"},
         "stats": {"mean": 0.010}, "extra_info": {}},
        {"name": "bench_attention[alice]", "group": "attention fwd", "params": {"impl": "alice"},
         "stats": {"mean": 0.015}, "extra_info": {}},
        {"name": "bench_attention[bob]", "group": "attention fwd", "params": {"impl": "bob"},
         "stats": {"mean": 0.030}, "extra_info": {"ratio": 2.5}},
    ]
}  # fmt: skip


@pytest.fixture
def board(tmp_path: Path) -> lb.Board:
    bench = tmp_path / "bench.json"
    bench.write_text(json.dumps(BENCH))
    return lb.build(RUN, lb.read_benchmarks([bench]))


def test_ranking_and_benchmark_ratios(board: lb.Board) -> None:
    """Ranked by total, disqualified last; ratios from extra_info when given, else mean / reference mean."""
    assert [(r.rank, r.name) for r in board.rows] == [(1, "alice"), (2, "bob"), (3, "carol"), (4, "mallory")]
    assert board.bench_columns == ["attention fwd"]
    ratios = {r.name: r.benchmarks.get("attention fwd") for r in board.rows}
    assert ratios["alice"] == pytest.approx(1.5) and ratios["bob"] == 2.5 and ratios["carol"] is None


def test_files(board: lb.Board, tmp_path: Path) -> None:
    """All four files are written and well-formed; reasons are escaped in the HTML."""
    paths = lb.write(board, tmp_path / "out")
    data = json.loads(paths["json"].read_text())
    assert data["rows"][0]["name"] == "alice" and data["rows"][0]["weeks"] == {"1": 25.0, "3": 35.0}
    assert data["rows"][1]["benchmarks"] == {"attention fwd": 2.5}
    md = paths["md"].read_text()
    assert "| 1 | `alice` | 25 | 35 | **60** / 60 | ×1.50 | graded |" in md
    svg = ET.parse(paths["svg"]).getroot()
    assert svg.tag.endswith("svg") and len(svg.findall(".//{http://www.w3.org/2000/svg}rect")) >= 4
    page = paths["html"].read_text()
    assert "<script>" in page and "&lt;script&gt;" in page  # the reason's <script> is text, not markup
    assert "Hint: scale by 1/sqrt(hd)" in page and "impl = &lt;module&gt;" not in page
    assert data["rows"][1]["failures"] == [
        {"test": "spec/test_attention.py::test_parity[tiny]", "outcome": "failed", "message": FAILURE}
    ]


def test_sections_hook(board: lb.Board, tmp_path: Path) -> None:
    """Another tool (e.g. a training race) adds a section; every renderer shows it."""
    board.sections.append(("Training race", "| who | loss |", "<p id='race'>race table</p>"))
    paths = lb.write(board, tmp_path / "out")
    assert "## Training race" in paths["md"].read_text() and "<p id='race'>" in paths["html"].read_text()
    assert json.loads(paths["json"].read_text())["sections"][0]["title"] == "Training race"


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=5000",
]

# Runs in the page after load: clicks headers like a user and records the row order each time.
CLICKER = """<script>
(function () {
  const names = () => Array.from(document.querySelectorAll("#board tbody tr td.name")).map(td => td.textContent);
  const header = label => Array.from(document.querySelectorAll("#board th"))
      .find(th => th.textContent.trim().startsWith(label)).querySelector("button");
  const out = {initial: names()};
  header("total").click(); out.total_desc = names();
  header("total").click(); out.total_asc = names();
  header("implementation").click(); out.name_desc = names();
  header("attention fwd").click(); out.bench_desc = names();
  out.aria = document.querySelector("#board th[aria-sort=descending]").textContent.trim();
  const detail = () => Array.from(document.querySelectorAll("#board tr.detail")).filter(tr => !tr.hidden)
      .map(tr => tr.textContent);
  out.open_before = detail();
  const bob = Array.from(document.querySelectorAll("#board tbody")).find(b => b.querySelector("td.name")
      .textContent === "bob");
  bob.querySelector("button.badge").click(); out.open_after = detail();
  out.bob_button = bob.querySelector("button.badge").textContent;
  const pre = document.createElement("pre"); pre.id = "test-result"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def test_html_sorts_in_headless_chromium(board: lb.Board, tmp_path: Path) -> None:
    """Clicking a header in a real browser sorts the table by that column, descending then ascending,
    numerically for numbers and alphabetically for names; a screenshot renders."""
    browser = _chromium()
    if browser is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    paths = lb.write(board, tmp_path / "out")
    probe = paths["html"].with_name("probe.html")
    probe.write_text(paths["html"].read_text().replace("</body>", CLICKER + "</body>"))
    profile = tmp_path / "profile"
    cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", probe.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r'<pre id="test-result">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"the page's test script did not run (exit {proc.returncode}): {proc.stderr[-2000:]}"
    got = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert got["initial"] == ["alice", "bob", "carol", "mallory"]
    assert got["total_desc"] == ["alice", "bob", "carol", "mallory"]
    assert got["total_asc"] == ["mallory", "carol", "bob", "alice"]
    assert got["name_desc"] == ["mallory", "carol", "bob", "alice"]
    assert got["bench_desc"][:2] == ["bob", "alice"]  # ratio 2.5 then 1.5; rows without a ratio last
    assert got["aria"].startswith("attention fwd")
    assert got["open_before"] == []  # failing tests fold away until asked for
    assert len(got["open_after"]) == 1 and "Hint: scale by 1/sqrt(hd)" in got["open_after"][0]
    assert got["bob_button"].startswith("▾ graded: 1 failing")
    shot = tmp_path / "shot.png"
    cmd = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1200,700"]
    subprocess.run([*cmd, paths["html"].as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000, "the page did not render to a screenshot"


def test_leaderboard_command(tmp_path: Path) -> None:
    """`gpt2spec leaderboard` run whole (on one spec file): grades, ranks, writes the four files."""
    import sys

    out = tmp_path / "lb"
    cmd = [
        sys.executable,
        "-m",
        "gpt2spec",
        "leaderboard",
        "--impl",
        "reference,template",
        "--spec",
        "spec/test_config.py",
    ]
    cmd += ["--trusted"] * (jail.available() is not None)  # our own packages; jailed wherever bubblewrap runs
    proc = subprocess.run([*cmd, "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = json.loads((out / "leaderboard.json").read_text())["rows"]
    assert (rows[0]["rank"], rows[0]["name"], rows[0]["status"]) == (0, "reference", "graded")  # marked, not ranked
    assert (rows[1]["rank"], rows[1]["name"]) == (1, "template")
    assert {p.name for p in out.iterdir()} >= {f"leaderboard.{ext}" for ext in ("md", "html", "json", "svg")}


def test_answer_key_is_marked_not_ranked() -> None:
    """The reference is shown for scale with an "answer key" mark; the participants' ranks start at 1."""
    run = records.Run([_grade("reference", 25.0, 35.0), *RUN.grades], weeks=[1, 3], spec=["spec"], seconds=1.0)
    board = lb.build(run)
    assert [(r.rank, r.name) for r in board.rows][:3] == [(0, "reference"), (1, "alice"), (2, "bob")]
    assert '<span class="badge key">answer key</span>' in lb.page(board)
    assert "`reference` (answer key, not ranked)" in lb.markdown(board)


def test_nothing_done_yet_is_not_all_passed() -> None:
    """A package with every test "not implemented" gets a grey "nothing done yet" badge, not the green one."""
    todo = [records.TestResult("spec/test_gpt.py::test_x[impl]", 3, "not implemented", "not implemented (week 3)")]
    blank = records.Grade(**{**_grade("dave", 0.0, 0.0).__dict__, "tests": todo, "counts": {"not implemented": 1}})
    page = lb.page(lb.build(records.Run([blank], weeks=[1, 3], spec=["spec"], seconds=1.0)))
    assert 'class="badge todo"' in page and "nothing done yet" in page
    assert "all passed" not in page and 'class="badge ok"' not in page


def test_html_links_the_race(board: lb.Board, tmp_path: Path) -> None:
    """When the race's page sits next to the leaderboard, the HTML links it; otherwise no dead link."""
    out = tmp_path / "out"
    assert "race.html" not in lb.write(board, out)["html"].read_text()
    (out / "race.html").write_text("<html></html>")
    assert '<a href="race.html">race.html</a>' in lb.write(board, out)["html"].read_text()


@pytest.mark.parametrize("content", ['{"benchmarks": [{"name": "x", "stats": {', "", None])
def test_bad_benchmark_json_is_refused_before_grading(tmp_path: Path, capsys, content: str | None) -> None:
    """A truncated, empty or missing --benchmark-json: one line naming the file, exit 4, nothing graded
    (a --from-report that does not exist would be graded from nothing: it is refused the same way)."""
    bench = tmp_path / "bench.json"
    if content is not None:
        bench.write_text(content)
    out = tmp_path / "lb"
    assert lb.main(["--impl", "reference", "--benchmark-json", str(bench), "--out", str(out)]) == records.EXIT_USAGE
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(bench) in err, err
    assert not out.exists()


def test_from_report_ranks_without_grading(tmp_path: Path) -> None:
    """`--from-report DIR` reads a grade report back (every field) and ranks it: no grading."""
    report = tmp_path / "report"
    reports.write_all(RUN, report)
    again = records.read_run(report)
    assert [gr.to_json() for gr in again.grades] == [gr.to_json() for gr in RUN.grades]
    out = tmp_path / "lb"
    assert lb.main(["--from-report", str(report), "--out", str(out)]) == 0
    rows = json.loads((out / "leaderboard.json").read_text())["rows"]
    assert [(r["rank"], r["name"]) for r in rows] == [(1, "alice"), (2, "bob"), (3, "carol"), (4, "mallory")]
    assert lb.main(["--from-report", str(tmp_path / "nowhere"), "--out", str(out)]) == records.EXIT_USAGE
