"""``gpt2spec``: one entry point for the project's commands.

Each subcommand hands its arguments to the module that implements it (its ``main(argv)``), so
``gpt2spec grade ARGS`` and the older ``python -m`` forms (kept as aliases) run the same code. ``--help`` on a
subcommand prints that module's own help, then examples.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from .contract import BENCH_DIR


@dataclass(frozen=True)
class Command:
    module: str  # its main(argv) does the work; empty for `bench`, which is a pytest run
    summary: str
    examples: tuple[str, ...]
    argv_prefix: tuple[str, ...] = ()  # what the module's own parser expects first


COMMANDS: dict[str, Command] = {
    "new": Command(
        "gpt2spec.scaffold",
        "create impls/NAME from the template (every blank raises NotImplementedError with its week)",
        ("gpt2spec new alice", "pytest --impl=alice            # then: the spec, blanks shown as NOT IMPLEMENTED"),
        argv_prefix=("new",),
    ),
    "grade": Command(
        "gpt2spec.grading.grade",
        "grade implementations, each in its own limited interpreter -> grade-report/",
        ("gpt2spec grade --impl alice", "gpt2spec grade --impl all -j 2", "gpt2spec grade --impl list"),
    ),
    "leaderboard": Command(
        "gpt2spec.leaderboard",
        "grade everyone and write leaderboard/leaderboard.{md,html,json,svg}",
        ("gpt2spec leaderboard", "gpt2spec leaderboard --impl reference,template --spec spec/test_config.py"),
    ),
    "train": Command(
        "gpt2spec.training.train",
        "pre-train an implementation's GPT-2 on a text corpus (its own parts wherever they work)",
        ("gpt2spec train --impl alice", "gpt2spec train --impl reference --max-steps 200 --n-layer 2"),
    ),
    "race": Command(
        "gpt2spec.training.race",
        "the training race: train every implementation the same way -> leaderboard/race.{md,json,svg}",
        ("gpt2spec race --impl all", "gpt2spec race --impl reference,template --steps 4 --evals 2"),
    ),
    "gpu-check": Command(
        "gpt2spec.gpucheck",
        "everything that needs CUDA, in < 8 min on one GPU -> gpu-check/report.{md,json}",
        (
            "gpt2spec gpu-check",
            "gpt2spec gpu-check --dry-run --out /tmp/gpu-check   # CPU, tiny sizes: proves it runs to the end",
            "gpt2spec gpu-check --only spec,mfu --limit mfu=200",
        ),
    ),
    "bench": Command(
        "",
        "benchmarks (pytest spec/bench --bench): throughput and ratios against the reference",
        (
            "gpt2spec bench",
            "gpt2spec bench --impl=alice,bob -k cpu",
            "GPT2SPEC_BENCH_QUICK=1 gpt2spec bench     # smoke run: tiny shapes, 1 round",
        ),
    ),
}


def _examples(name: str) -> str:
    return "examples:\n" + "\n".join(f"  {e}" for e in COMMANDS[name].examples)


def _usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: gpt2spec COMMAND [ARGS]   (or python -m gpt2spec COMMAND)", "", "commands:"]
    lines += [f"  {n:<{width}}  {c.summary}\n  {'':<{width}}  e.g. {c.examples[0]}" for n, c in COMMANDS.items()]
    lines += ["", "gpt2spec COMMAND --help shows a command's options and more examples."]
    return "\n".join(lines)


def _bench(args: Sequence[str]) -> int:
    """``pytest spec/bench --bench ARGS`` from the project root, in a fresh interpreter as a user types it."""
    from .registry import ROOT

    return subprocess.run([sys.executable, "-m", "pytest", BENCH_DIR, "--bench", *args], cwd=ROOT).returncode


def _run(name: str, args: Sequence[str]) -> int:
    cmd = COMMANDS[name]
    if not cmd.module:
        return _bench(args)
    module = importlib.import_module(cmd.module)
    try:
        return int(module.main([*cmd.argv_prefix, *args]) or 0)
    except SystemExit as exc:  # argparse's --help and usage errors; a text's exit says why (never swallowed)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(_usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"gpt2spec: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    if "-h" in rest or "--help" in rest:
        if COMMANDS[name].module:
            code = _run(name, ["--help"])
        else:
            print(f"usage: gpt2spec bench [PYTEST ARGS]\n\n{COMMANDS[name].summary}\n")
            code = 0
        print(f"\n{_examples(name)}")
        return code
    return _run(name, rest)


if __name__ == "__main__":
    sys.exit(main())
