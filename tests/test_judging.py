"""tools/judging.py: the blind judges' folders hold what a judge needs and nothing of the diagnosis's workings, and
the stats read a run log and the judges' lines together."""

import json
from pathlib import Path

from tests.heldout_bugs import ALL_BY_NAME
from tools import judging

BUG = "ho34-q-and-k-biases-unpacked-swapped"


def _log(tmp_path: Path) -> Path:
    held = ALL_BY_NAME[BUG]
    rows = [
        {"bug": BUG, "run": "as found", "first_failure": "spec/test_attention.py::t", "text": "Verdict: swapped.\n",
         "named": ["attention: q and k swapped"], "accept": list(held.accept), "exact": True, "seconds": 60.0},
        {"bug": BUG, "run": "loaded", "first_failure": "x", "text": "", "named": [], "accept": [], "exact": False,
         "seconds": 1.0},
    ]  # fmt: skip
    log = tmp_path / "run.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return log


def test_a_judge_folder_holds_the_bug_and_the_diagnosis_only(tmp_path):
    """A folder per 'as found' row: the author's words, both files (the participant's numbered), the diff and the
    Diagnosis text; a second grading of the same bug (--loaded) is not judged twice."""
    held = ALL_BY_NAME[BUG]
    index = judging.folders(_log(tmp_path), tmp_path / "judge")
    assert index == [f"01-{BUG}"], index
    folder = tmp_path / "judge" / index[0]
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["author.md", "diagnosis.txt", "diff.txt", "participant_attention.py.numbered",
                            "reference_attention.py"]), names  # fmt: skip
    assert held.bug.why in (folder / "author.md").read_text()
    assert (folder / "diagnosis.txt").read_text() == "Verdict: swapped.\n"
    numbered = (folder / "participant_attention.py.numbered").read_text()
    assert held.bug.new.splitlines()[0].strip() in numbered, "the participant's file carries the planted mistake"
    assert (folder / "diff.txt").read_text().startswith("--- reference/attention.py")


def test_the_stats_join_the_run_and_the_judges(tmp_path):
    """The judged category, the fix and the strict tag count are read off the two files, bug by bug."""
    judged = tmp_path / "judged.jsonl"
    judged.write_text(json.dumps({"bug": BUG, "category": "half", "fix": "partial", "facts": None, "reason": "r"}))
    lines = judging.stats(_log(tmp_path), [judged])
    assert lines[0].startswith("graded 1, judged 1"), lines
    assert "named 0%" in "\n".join(lines) and f"half     fix partial  {BUG} | r" in lines[-1], lines


def test_the_prompt_names_the_folder_and_the_output():
    """The instructions point the judge at its folders and its output file, every placeholder filled."""
    text = judging.PROMPT.format(judge_dir="/j", out_file="/o.jsonl", python="py")
    assert "/j/INDEX.txt" in text and "/o.jsonl" in text and "{" not in text.replace('{"', "")
