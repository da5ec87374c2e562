"""The implementation contract as data: one table of the seminar's weeks and the sections each one grades,
and every view of it the tool, the spec and the meta-tests use. spec/CONTRACT.md is the prose version.

``TABLE`` is the only place a week or a section is written down. Each row is a week (its number, topic,
points) holding its sections; a section names the contract exports participants write (and the training
part each one is, for ``gpt2spec train``), the spec modules that grade it, the spec modules downstream
that its bugs must fail too, and the sections it is built from. Everything else is derived here or
where it is used:

- ``EXPORTS`` (name -> week) and ``WEEKS`` (week -> topic): the registry, the plugin, ``gpt2spec new``;
- ``gpt2spec.points.POINTS`` and the ``weekN`` pytest markers (registered by gpt2spec/plugin.py);
- ``SECTIONS``: ``Mutant.section`` (gpt2spec/known_bugs) is a key of it; ``section_specs()`` is what
  tests/mutation.py grades a mutant with; ``suspects()`` is what gpt2spec/fingerprint.py re-runs a failed
  test with; ``prerequisites()`` is spec/hints.py's ``@needs`` order; ``component`` is gpt2spec/bugs.py's word;
- ``training_parts()``: gpt2spec/training/parts.py's parts.

Adding a week is adding one ``Week`` row (CONTRIBUTING.md); tests/test_contract.py adds a fake one and
checks that every view picks it up.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The pre-tokenizer regex of the GPT-2 release, in the ``regex`` package's syntax (spec/CONTRACT.md, W4-pattern).
# The spec, the benchmarks and the training tool read it here; the answer key (reference/tokenizer.py) and
# every implementation write their own copy, since a submission may not import the tool, and the spec checks
# that copy against this one.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

# Where the spec lives, relative to the project root: the grader runs only files under it; its benchmarks are
# collected only with --bench.
SPEC_DIR = "spec"
BENCH_DIR = f"{SPEC_DIR}/bench"


@dataclass(frozen=True)
class Section:
    """One gradable piece of a week; its ``name`` is the key every view uses."""

    name: str
    component: str  # in the seminar's words ("GPT assembly"): how a diagnosis names it
    exports: dict[str, str] = field(default_factory=dict)  # contract name -> its training part ("" if none)
    spec: tuple[str, ...] = ()  # the spec modules that grade it (stems); the first is its home
    also: tuple[str, ...] = ()  # spec modules downstream that its bugs must fail as well
    needs: tuple[str, ...] = ()  # the sections it is built from, nearest first


@dataclass(frozen=True)
class Week:
    number: int  # N of the ``weekN`` marker
    topic: str
    points: float
    sections: tuple[Section, ...]
    label: str = ""  # how the seminar calls it when it is not the number ("1-2")


# spec/test_tokenizer_*.py: the week-4 spec, one module per clause
TOKENIZER_PARTS = ("training", "roundtrip", "parity", "specials", "streaming")
TOKENIZER_SPEC = tuple(f"test_tokenizer_{part}" for part in TOKENIZER_PARTS)

TABLE: tuple[Week, ...] = (
    Week(1, "causal self-attention (weeks 1-2)", 25.0, label="1-2", sections=(
        Section("config", "config", {"GPTConfig": "model"}, ("test_config",), also=("test_gpt",)),
        Section("attention", "attention", {"CausalSelfAttention": ""}, ("test_attention",),
                also=("test_block", "test_gpt")),
    )),
    Week(3, "LayerNorm, MLP, block and the assembled GPT", 35.0, sections=(
        Section("layernorm", "LayerNorm", {"LayerNorm": ""}, ("test_layernorm",), also=("test_block",)),
        Section("mlp", "MLP", {"MLP": ""}, ("test_mlp",), also=("test_block",)),
        Section("block", "block", {"Block": ""}, ("test_block",), also=("test_gpt",),
                needs=("attention", "layernorm", "mlp")),
        Section("gpt", "GPT assembly", {"GPT": "model"}, ("test_gpt", "test_pretrained"), needs=("block",)),
        Section("loss", "loss", {}, ("test_gpt",)),
        Section("generate", "generate", {}, ("test_generate",)),
    )),
    Week(4, "byte-level BPE tokenizer", 15.0, sections=(
        Section("tokenizer", "tokenizer", {"Tokenizer": "tokenizer"}, TOKENIZER_SPEC),
    )),
    Week(5, "data loader", 10.0, sections=(
        Section("data", "data loader", {"DataLoader": "loader"}, ("test_data",)),
    )),
    Week(6, "training loop", 15.0, sections=(
        Section("training", "training loop", {
            "configure_optimizers": "optimizer", "get_lr": "schedule", "train_step": "train_step",
            "save_checkpoint": "checkpoint", "load_checkpoint": "checkpoint",
        }, ("test_training",)),
    )),
)  # fmt: skip

# ---------------------------------------------------------------- views of the table

SECTIONS: dict[str, Section] = {s.name: s for week in TABLE for s in week.sections}
EXPORTS: dict[str, int] = {n: week.number for week in TABLE for s in week.sections for n in s.exports}
WEEKS: dict[int, str] = {week.number: week.topic for week in TABLE}


def week_of(section: str) -> int:
    return next(week.number for week in TABLE if any(s.name == section for s in week.sections))


def spec_path(module: str) -> str:
    """``test_gpt`` -> ``spec/test_gpt.py`` (relative to the project root)."""
    return f"{SPEC_DIR}/{module}.py"


def markers() -> list[str]:
    """The ``weekN`` pytest markers, as pyproject's ``markers`` lines."""
    return [f"week{week.number}: {week.topic}" for week in TABLE]


def section_specs() -> dict[str, tuple[str, ...]]:
    """Section -> the spec files a bug of it is graded with (its own, then downstream)."""
    return {name: tuple(spec_path(m) for m in (*s.spec, *s.also)) for name, s in SECTIONS.items()}


def prerequisites(section: str) -> tuple[str, ...]:
    """Every section ``section`` is built from, directly or not, nearest first (breadth-first)."""
    order: list[str] = []
    frontier = list(SECTIONS[section].needs)
    while frontier:
        name = frontier.pop(0)
        if name not in order:
            order.append(name)
            frontier += SECTIONS[name].needs
    return tuple(order)


def suspects(module: str) -> tuple[str, ...]:
    """Spec module (stem) -> the sections whose bugs can fail it, most direct first: the sections it grades,
    then, in a section's home module, what that section is built from."""
    own = [name for name, s in SECTIONS.items() if module in s.spec]
    built_from = [p for name in own if SECTIONS[name].spec[0] == module for p in prerequisites(name)]
    return tuple(dict.fromkeys([*own, *built_from]))


def training_parts() -> dict[str, tuple[str, ...]]:
    """Training part -> the contract names it needs, in the order of the table."""
    parts: dict[str, tuple[str, ...]] = {}
    for s in SECTIONS.values():
        for name, part in s.exports.items():
            if part:
                parts[part] = (*parts.get(part, ()), name)
    return parts


class NotImplementedExport(NotImplementedError):
    """An implementation does not export a contract name (yet)."""

    def __init__(self, name: str, week: int) -> None:
        super().__init__(f"{name} is not exported by this implementation (week {week}: {WEEKS.get(week, '')})")
        self.name = name
        self.week = week
