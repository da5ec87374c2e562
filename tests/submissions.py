"""Generated submissions for the grader's own tests (tests/test_grade_e2e.py) and the seminar-sized
run (tools/seminar_run.py): copies of the template with some weeks filled in from the reference's
*source files* (copied, not imported: importing `reference` at run time would earn nothing), plus
broken variants. Generated into a scratch directory, never committed.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "impls" / "template"
REFERENCE = ROOT / "reference"
HOSTILE = ROOT / "tests" / "hostile"

# week -> the files of the template that the reference's copy completes (same names on both sides)
WEEK_FILES: dict[int, tuple[str, ...]] = {
    1: ("config.py", "attention.py"),
    3: ("layernorm.py", "mlp.py", "block.py", "gpt.py"),
    4: ("tokenizer.py",),
    5: ("data.py",),
    6: ("training.py",),
}

# What nanoGPT, build-nanogpt and minGPT do: transformers imported lazily inside a from_pretrained
# variant that the spec never calls. Graded on what it does: a warning, no lost points.
LAZY_HF_IMPORT = '''

def from_hf_hub(model_type: str = "gpt2"):
    """nanoGPT-style loader through Hugging Face (never called by the spec)."""
    from transformers import GPT2LMHeadModel

    return GPT2LMHeadModel.from_pretrained(model_type)
'''


def make_submission(dest: Path, weeks: set[int] | frozenset[int] = frozenset(), lazy_hf_import: bool = False) -> Path:
    """A copy of the template with ``weeks`` done (the reference's files copied in)."""
    if 3 in weeks and 1 not in weeks:
        raise ValueError("week 3's files use week 1's attention: fill week 1 too")
    shutil.copytree(TEMPLATE, dest, ignore=shutil.ignore_patterns("__pycache__"))
    for week in sorted(weeks):
        for name in WEEK_FILES[week]:
            shutil.copyfile(REFERENCE / name, dest / name)
    if lazy_hf_import:
        with open(dest / "gpt.py", "a") as f:
            f.write(LAZY_HF_IMPORT)
    return dest


def break_file(dest: Path, name: str, old: str, new: str) -> Path:
    """Apply one textual bug to a generated submission (the text must be there exactly once)."""
    path = dest / name
    text = path.read_text()
    if text.count(old) != 1:
        raise ValueError(f"{path}: {old!r} found {text.count(old)} times, expected once")
    path.write_text(text.replace(old, new))
    return dest


def copy_hostile(name: str, dest: Path) -> Path:
    shutil.copytree(HOSTILE / name, dest, ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def once_per_session(tmp_path_factory, name: str, compute):
    """``compute(directory)`` once per test session, even when pytest-xdist runs this module's tests
    in several workers (each would otherwise build its own module-scoped fixture and grade twice):
    the first worker computes under a file lock, the others read its pickled result."""
    import fcntl
    import pickle

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # shared by the workers of one session
    directory = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        cached = directory / "result.pickle"
        if cached.exists():
            return pickle.loads(cached.read_bytes())
        directory.mkdir(parents=True, exist_ok=True)
        result = compute(directory)
        cached.write_bytes(pickle.dumps(result))
        return result
