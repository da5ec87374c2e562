"""``gpt2spec new alice``: start a new implementation, impls/alice, from the template.

It copies impls/template (every blank raises NotImplementedError with its week and a hint)
and writes a README listing the weeks: what to export, in which file, graded by which spec
module. Weeks, names and spec modules are read from gpt2spec/contract.py's table, files from the
template itself, so new weeks show up without an edit here.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from .contract import EXPORTS, TABLE, WEEKS, spec_path
from .registry import IMPLS_DIR, ROOT

TEMPLATE = ROOT / "impls" / "template"  # the project's own, wherever IMPLS_DIR points
RESERVED = {"template", "reference", "all", "list"}


def new(name: str, impls_dir: Path = IMPLS_DIR) -> Path:
    """Create ``impls_dir/name`` from the template; raise ValueError with a one-line reason."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise ValueError(f"{name!r}: use lowercase letters, digits and underscores, starting with a letter")
    if name in RESERVED:
        raise ValueError(f"{name!r} is reserved")
    dest = impls_dir / name
    if dest.exists():
        raise ValueError(f"{dest} already exists")
    shutil.copytree(TEMPLATE, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (dest / "README.md").write_text(readme(name, dest))
    return dest


def readme(name: str, package: Path) -> str:
    lines = [
        f"# {name}: a GPT-2 from scratch",
        "",
        "Fill in every `raise NotImplementedError` (each says its week and what to write), then:",
        "",
        "```bash",
        f"pytest --impl={name}                     # the spec, with failure messages that say what is wrong",
        f"pytest --impl={name} -m week1            # one week only",
        f"gpt2spec grade --impl {name}             # the grade, as CI computes it (docs/GRADING.md)",
        "```",
        "",
        "Only torch, numpy, regex and the standard library may be imported.",
        "",
        "| week | topic | write | in | graded by |",
        "|---|---|---|---|---|",
    ]
    specs = _spec_modules_by_week()
    labels = {week.number: week.label or str(week.number) for week in TABLE}
    for week, topic in sorted(WEEKS.items()):
        names = [n for n, w in EXPORTS.items() if w == week]
        files = sorted({f for n in names if (f := _defined_in(package, n))})
        lines.append(
            f"| {labels[week]} | {topic} | {', '.join(f'`{n}`' for n in names) or '—'} | "
            f"{', '.join(f'`{f}`' for f in files) or '—'} | {', '.join(f'`{s}`' for s in specs.get(week, [])) or '—'} |"
        )
    return "\n".join(lines) + "\n"


def _defined_in(package: Path, name: str) -> str | None:
    pattern = re.compile(rf"^(class|def) {re.escape(name)}\b|^{re.escape(name)}\s*=", re.M)
    for file in sorted(package.glob("*.py")):
        if file.name != "__init__.py" and pattern.search(file.read_text()):
            return file.name
    return None


def _spec_modules_by_week() -> dict[int, list[str]]:
    return {week.number: sorted({spec_path(m) for s in week.sections for m in s.spec}) for week in TABLE}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpt2spec", description="gpt2spec helpers")
    sub = parser.add_subparsers(dest="command", required=True)
    p_new = sub.add_parser("new", help="create impls/NAME from the template")
    p_new.add_argument("name")
    args = parser.parse_args(argv)
    try:
        dest = new(args.name)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shown = dest.relative_to(ROOT) if dest.is_relative_to(ROOT) else dest  # GPT2SPEC_IMPLS_DIR may be elsewhere
    print(f"created {shown} (see its README.md); run: pytest --impl={args.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
