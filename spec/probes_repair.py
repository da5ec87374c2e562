"""The repair search: which single edit of *your* code makes it behave as GPT-2's.

The edit search (spec/probes_search.py) edits GPT-2's code until it behaves as yours, so it names a slip made in
GPT-2's own text. A participant who wrote the piece their own way (a loop for a view, a dict for a heap) made
the slip in code GPT-2 does not have. This search turns the question round: every single edit of your
component's own source (the same operators, spec/edits.py), executed in your package with your other files
re-executed around it, observed on the edit search's calls, and compared with what GPT-2's code gives on them.
An edit after which your code behaves exactly as GPT-2's on every call, and again on a second set of calls
(other shapes, seeds and arguments, spec/probes_search.py's CONFIRMERS), is a fix checked on both: the verdict
names your file and line, and the fix is the edit. Two or three places are "consistent with any of"
(no fix); more, or none, say nothing.

It runs only where your code runs in the test's own process (your ``pytest --impl=X`` loop). Under
``--isolate`` the judge never executes a submission's code, edited or not, so it says nothing there.
The work is a count (at most MAX_EDITS edits), each edited copy stopped like the edit search's.
"""

from __future__ import annotations

import ast
import difflib
import functools
import inspect
import re
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

from gpt2spec.registry import squeezed
from gpt2spec.verdicts import CONSISTENT, REPRODUCED, Finding

from . import probes_sampling as sampling
from . import probes_search as search
from .edits import CONSTANTS, TWIN, Edit, _functions, change_words, edits

MAX_EDITS = 6000  # per component; the tokenizer has ~5200 with the twins' own operands (its pattern's edits come last)
# component -> the contract names whose source is edited, most direct first (their files' other functions follow)
OWNERS: dict[str, tuple[str, ...]] = {
    "config": ("GPTConfig",),
    "attention": ("CausalSelfAttention",),
    "layernorm": ("LayerNorm",),
    "mlp": ("MLP",),
    "block": ("Block",),
    "gpt": ("GPT",),
    "pretrained": ("GPT",),
    "generate": ("GPT", "CausalSelfAttention"),
    "data": ("DataLoader",),
    "training": ("train_step", "get_lr", "configure_optimizers", "save_checkpoint", "load_checkpoint"),
    "tokenizer": ("Tokenizer",),
}


# a component's parts, each with tests of its own that a slip can pass: a block whose MLP is frozen fails the block's
# gradient test first (the MLP's tests check its forward); the part that behaves otherwise is repaired first (v24)
PARTS: dict[str, tuple[str, ...]] = {"block": ("attention", "layernorm", "mlp")}


def differing_parts(impl, component: str) -> tuple[str, ...]:
    """The parts of ``component`` whose code behaves otherwise than GPT-2's on the edit search's calls."""
    return tuple(
        part
        for part in PARTS.get(component, ())
        if not search.same_observations(
            search.observed(search.OBSERVERS[part], impl), search.reference_observations(search.OBSERVERS[part])[0]
        )
    )


# what each of the training observer's calls (probes_search._observe_training) runs: the function to edit when
# only that call differs from GPT-2's
_TRAINING_CALLS = (("get_lr",), ("configure_optimizers",), ("train_step",), ("train_step",),
                   ("save_checkpoint", "load_checkpoint"), ("configure_optimizers",), ("configure_optimizers",),
                   ("train_step",), ("train_step",), ("train_step",), ("train_step",))  # fmt: skip


def training_part(impl) -> str:
    """``training/<function>`` when exactly one of the training functions behaves otherwise than GPT-2's on the
    edit search's calls (the repair then edits that function alone: a fifth of the edits), else ``training``."""
    observe = search.OBSERVERS["training"]
    yours, gpt2 = search.observed(observe, impl), search.reference_observations(observe)[0]
    differ = {_TRAINING_CALLS[i] for i, (a, b) in enumerate(zip(yours, gpt2, strict=True))
              if not search.same_observations([a], [b])}  # fmt: skip
    return "training/" + ",".join(differ.pop()) if len(differ) == 1 else "training"


@search.once_per_implementation
def repair(impl, component: str) -> list[Finding]:
    """The single edits of ``impl``'s own code for ``component`` after which it behaves as GPT-2's (cached).
    ``component/f,g`` edits only the functions f and g of the component's files."""
    component, _, only = component.partition("/")
    observe = search.OBSERVERS.get(component)
    package = getattr(impl, "module", None)  # None: a RemoteImplementation (--isolate): never run it here
    if observe is None or component not in OWNERS or package is None or not hasattr(package, "__path__"):
        return []
    root = Path(package.__path__[0]).resolve()
    gpt2, seconds = search.reference_observations(observe)
    yours = search.observed(observe, impl)
    if search.blank(yours) or search.same_observations(yours, gpt2):  # a template's blank, or nothing to repair
        return []
    confirm = search.CONFIRMERS[component], search.reference_observations(search.CONFIRMERS[component])[0]
    # v20: a KV cache fed a counter one ahead was "repaired" by guards that never take the cached path: a repair of
    # generate must keep using the cache your code uses (a generate without one is allowed, and stays so), at every
    # step yours does (v21: every layer handed layer 0's cache was "repaired" by a cache one step long, which reads
    # from it at the first step only and recomputes the rest)
    cached = search.cached_steps(impl) if component == "generate" else None
    # v31: a generate that raises before its second step (layer caches indexed from 1) shows no cached steps, and
    # was "repaired" by a cache length made negative, which never caches: where yours builds a cache, so must a repair
    keeps_cache = component == "generate" and cached is None and _builds_a_cache(package)
    harmless = _harmless_to(impl, component)
    drawn_right = _draws_right(impl, component, seconds)
    found: list[Edit] = []
    by_draws: list[Edit] = []  # repairs judged by their counted draws: kept only where no exact one is found
    for edit, path, module in _candidates(package, root, component, tuple(filter(None, only.split(",")))):
        try:
            namespace = _namespace(package, root, edit, path, module)
        except Exception:
            continue
        exact = search.bounded(lambda ns=namespace: search.matches(observe, ns, gpt2), seconds)
        if (
            ((exact and _confirmed(namespace, confirm, seconds)) or (not exact and drawn_right(edit, namespace)))
            and (not cached or cached <= (search.cached_steps(namespace) or frozenset()))
            and (not keeps_cache or search.cached_steps(namespace))
            and harmless(namespace)
        ):
            (found if exact else by_draws).append(edit)
            if len({(e.file, e.line) for e in found}) > MAX_PLACES:
                return []
    counted = not found and bool(by_draws)
    found = _where_yours_departs(_one_change_first(found or by_draws))
    if len({(e.file, e.line) for e in found}) > search.MAX_SHOWN:
        return []
    return _findings(component, found, counted)


COUNTING_SECONDS = 5.0  # CPU seconds for the first count of a repaired sampler's draws (the full count gets ten times)
MAX_PLACES = 8  # repairs at more places than this: nothing narrows them to one

# the model's components are also run by generate: a repair of one must leave generate as right as it was
_DOWNSTREAM = {c: "generate" for c in ("attention", "layernorm", "mlp", "block", "gpt")}


def _harmless_to(impl, component: str) -> Callable[[types.SimpleNamespace], bool]:
    """A check that a repaired copy still behaves as GPT-2's wherever yours already did downstream (generate, for
    a part of the model). v22: a LayerNorm skipped when targets are given was "repaired" as skipped when a cache
    is given, which matches GPT-2 on the model's calls and breaks the cached generation that was right. Yours is
    observed there once, at the first repair that needs it."""
    downstream = _DOWNSTREAM.get(component)
    if downstream is None:
        return lambda namespace: True
    observe = search.OBSERVERS[downstream]

    @functools.cache
    def right_there() -> tuple[list, float] | None:
        gpt2, seconds = search.reference_observations(observe)
        return (gpt2, seconds) if search.same_observations(search.observed(observe, impl), gpt2) else None

    def harmless(namespace: types.SimpleNamespace) -> bool:
        there = right_there()
        if there is None:  # yours was wrong there too: nothing to keep
            return True
        gpt2, seconds = there
        return bool(search.bounded(lambda: search.matches(observe, namespace, gpt2), 4 * seconds))

    return harmless


def _draws_right(impl, component: str, seconds: float) -> Callable[[Edit, object], bool]:
    """For a generate that differs from GPT-2's where a sampler draws: a check that a repaired copy is GPT-2's on
    every call whose tokens no sampler decides, and that its draws, counted, follow the contract's distributions.
    A sampler written otherwise than GPT-2's (the Gumbel-max trick, an inverse CDF, torch.multinomial asked for
    other samples) never draws GPT-2's very tokens, even when right (v22: noise log(-log u) for -log(-log u) had
    no repair). Only edits of the lines yours runs when it samples and not when it is greedy are counted (a
    thousand edits of a whole generate, counted, took 13 minutes): on a few thousand rows first, then all."""
    greedy = search.GREEDY.get(component)  # (called only where yours differs from GPT-2's: repair returns before)
    if greedy is None:
        return lambda edit, namespace: False
    lines = functools.cache(lambda: sampling.sampling_lines(impl))
    # a sampler whose own draws follow the contract differs from GPT-2's only by drawing other tokens: nothing to
    # repair (every idle edit of it would count right too: a correct nanoGPT-style generate took 15 minutes)
    yours_right = functools.cache(lambda: sampling.draws_follow_the_contract(impl))
    gpt2_greedy = search.reference_observations(greedy)[0]
    confirm = search.GREEDY_CONFIRMERS[component]
    confirm_gpt2 = search.reference_observations(confirm)[0]

    def right(edit: Edit, namespace: types.SimpleNamespace) -> bool:
        return bool(
            (Path(edit.file).name, edit.line) in lines()
            and not yours_right()
            and search.bounded(lambda: search.matches(greedy, namespace, gpt2_greedy), seconds)
            and search.bounded(lambda: search.matches(confirm, namespace, confirm_gpt2), 4 * seconds)
            and search.bounded(
                lambda: [sampling.draws_follow_the_contract(namespace, sampling.SCREEN_ROWS)], COUNTING_SECONDS
            )
            == [True]
            and search.bounded(lambda: [sampling.draws_follow_the_contract(namespace)], 10 * COUNTING_SECONDS) == [True]
        )

    return right


def _where_yours_departs(found: list[Edit]) -> list[Edit]:
    """Of several places where one change makes your code GPT-2's, the one line that is yours alone: a line GPT-2's
    code has too (same statement, other spacing) is less likely your slip than the line you wrote your own way.
    v15: an einsum with q and k labelled the other way round was repaired by swapping q and k at five places, four
    of them lines GPT-2 has (the split, the call, the signature); `T, B = self.B, self.T` at three, two of them
    GPT-2's. When exactly one place is a line of yours alone, it is kept; otherwise all are."""
    places = search.by_place(found)
    if len(places) < 2:
        return found
    gpt2 = search.gpt2_text()

    def yours_alone(e: Edit) -> bool:
        # a statement moved into or out of a loop of yours alone: GPT-2 has the line, not that loop (v18: a counter
        # advanced inside the rows' loop); moved around a loop GPT-2 has too, it is GPT-2's line where GPT-2 has it
        text = squeezed(e.loop or e.was)
        return len(text) >= 6 and text not in gpt2

    alone = [place for place, edits_there in places.items() if any(map(yours_alone, edits_there))]
    return places[alone[0]] if len(alone) == 1 else found


def _one_change_first(found: list[Edit]) -> list[Edit]:
    """Of repairs that change one place and repairs that make the same change at several, the ones of one place:
    one slip is likelier than the same slip twice. v32: an einsum that reads c_proj's weight the wrong way round
    was repaired at its own subscripts, and also by relabelling both einsums' batch and time, which transposes
    twice; the second was told beside the first as an equal option."""
    single = [e for e in found if TWIN not in e.new]
    return single if single else found


def _confirmed(namespace: types.SimpleNamespace, confirm: tuple, seconds: float) -> bool:
    """The repaired code also behaves as GPT-2's on a second set of calls it was not found on (other shapes,
    batch sizes, seeds, top_k 1 and past the vocabulary): a repair that matches on the first calls by accident
    (the batch size standing in for the vocabulary size) is no fix."""
    observe, gpt2 = confirm
    return bool(search.bounded(lambda: search.matches(observe, namespace, gpt2), 4 * seconds))


def _candidates(package, root: Path, component: str, only: tuple[str, ...] = ()) -> Iterator[tuple[Edit, Path, str]]:
    """Edits of the files that define the component's contract names, each with its file and that file's module
    name: those names' own functions first, then the rest of each file (a helper the class calls); with ``only``,
    those functions alone."""
    files: dict[Path, list[str]] = {}
    for name in OWNERS[component]:
        obj = getattr(package, name, None)
        try:
            path = Path(inspect.getsourcefile(obj)).resolve()
        except (TypeError, OSError):
            continue
        if path.is_relative_to(root):  # code outside the package (a re-exported library) is not theirs to fix
            files.setdefault(path, []).append(obj.__name__)
    n, contract = 0, set(search.contract_names())
    for path, owners in files.items():
        source, module = path.read_text(), _module_name(package.__name__, root, path)
        every = [q for q, _ in _qualnames(source)]
        # the owners' functions the edit search edits in GPT-2's code first (GPT.forward, GPT.generate), then their
        # other methods and the file's module-level functions (a helper they call), then the file's other classes
        searched = {f.split(".")[-1] for _, functions in search.SEARCHED[component] for f in functions}
        mine = [q for q in every if q.split(".")[0] in owners]
        first = [q for q in mine if q.split(".")[-1] in searched]
        then = [q for q in every if q not in first and (q in mine or "." not in q)]
        # last, the file's classes that are no contract name: a helper they use (the KV cache generate fills), not
        # another component (nanoGPT's one model.py holds them all, each searched as its own component)
        helpers = [q for q in every if q not in first and q not in then and q.split(".")[0] not in contract]
        then += helpers
        if only:
            first, then = [q for q in every if set(q.split(".")) & set(only)], []  # nested: get_lr.multiplier
        defined = {q.split(".")[-1] for q in every}
        peers = tuple(p.read_text() for p in sorted(path.parent.glob("*.py")) if p != path)  # their classes' fields
        for functions in (tuple(first), (*then, CONSTANTS)):
            for edit in edits(path.name, source, functions, twins=True, peers=peers):
                if edit.code is None or _reroutes(edit, defined) or _bypasses_a_cache(edit, source):
                    continue
                n += 1
                if n > MAX_EDITS:
                    return
                yield edit, path, module


def _reroutes(edit: Edit, defined: set[str]) -> bool:
    """The edit calls another of the file's own functions than the code did (``self.attend`` for
    ``self.attend_cached``): it steps around the code with the mistake instead of fixing it. A method of another
    object that shares a name with one of the file's (``chr(i).encode()``, a string's) is no call of the file's, and
    nor is a function read as an object (v28: a loss total kept in ``train_step.__dict__``, dropped)."""

    def own(text: str) -> set[str]:
        return {w for w in re.findall(r"(?:(?<=self\.)|(?<![.\w]))\w+(?![\w.])", text) if w in defined}

    added = edit.new.startswith("(followed by ")  # a statement added after yours keeps yours
    return own(edit.old) != own(edit.old + edit.new if added else edit.new)


_CACHE = re.compile(r"\w*cache\w*", re.IGNORECASE)


def _builds_a_cache(package) -> bool:
    """Whether the participant's generate names a cache (its source, read: the behaviour cannot say when it raises)."""
    try:
        return bool(_CACHE.search(inspect.getsource(package.GPT.generate)))
    except (AttributeError, OSError, TypeError):
        return False


def _bypasses_a_cache(edit: Edit, source: str) -> bool:
    """The edit stops the code reading or filling a cache it keeps: a name called a cache replaced by another name
    (``self._cache.get`` for ``self._decoder.get``, ``<= cache_len`` for ``<= max_new_tokens``), the store into
    one deleted, or the ``if`` that tests a value read from one dropped (``ids = self._cache.get(piece)``, then
    ``if ids is None:``). Code that never meets its cache behaves as code without one, whatever the cache's slip
    (v21: a list shared with the cache and then extended was "consistent with" three such edits, none the fix). A
    cache argument dropped from a call that should not take it (v14: the MLP handed the attention's cache) is no
    replacement: it stays a repair."""
    gone, came = Counter(re.findall(r"\w+", edit.old)), Counter(re.findall(r"\w+", edit.new))
    gone, came = gone - came, came - gone
    if any(_CACHE.fullmatch(w) for w in gone) and any(not w.isdigit() and not _CACHE.fullmatch(w) for w in came):
        return True
    if edit.new == "(deleted)" and re.match(r"[\w.]*cache[\w.]*\[.*\]\s*=[^=]", edit.old, re.IGNORECASE):
        return True
    if edit.new != "(its body without the if)" or not edit.old.startswith("if "):
        return False
    tested = set(re.findall(r"\b(?!if\b|is\b|not\b|None\b|in\b|and\b|or\b)[A-Za-z_]\w*", edit.old))
    return any(re.search(rf"^\s*{name}\s*=.*cache", source, re.MULTILINE | re.IGNORECASE) for name in tested)


def _qualnames(source: str) -> list[tuple[str, object]]:
    return list(_functions(ast.parse(source)))


def _module_name(package: str, root: Path, path: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join((package, *parts)).removesuffix(".__init__")


def _fresh_module(name: str, path: Path) -> types.ModuleType:
    """An empty module for ``path`` of the package, named and placed so that its relative imports resolve."""
    module = types.ModuleType(name)
    module.__file__ = str(path)
    if path.name == "__init__.py":
        module.__package__, module.__path__ = name, [str(path.parent)]
    else:
        module.__package__ = name.rsplit(".", 1)[0]
    return module


def _namespace(package, root: Path, edit: Edit, path: Path, module: str) -> types.SimpleNamespace:
    """The contract's names of the package, with the edited file and the package files that mention it executed
    afresh (so a GPT built after an edit of attention uses the edited attention)."""
    order = [(module, path, edit.code), *_dependents(package.__name__, root, module)]
    built = search.executed([(_fresh_module(name, path), code) for name, path, code in order])
    names = {}
    for n in search.contract_names():
        obj = getattr(package, n, None)
        if obj is None:
            continue
        home = getattr(obj, "__module__", None)
        names[n] = getattr(built[home], n, obj) if home in built else obj
    return types.SimpleNamespace(name=f"repair {edit.tag}", **names)


@functools.cache
def _dependents(package: str, root: Path, edited: str) -> tuple[tuple[str, Path, object], ...]:
    """The package's files that mention the edited module, in the order to execute them, compiled once per
    search (reading and compiling them again for each of thousands of edits was most of the search's time)."""
    stem = edited.rsplit(".", 1)[-1]
    names = {p: _module_name(package, root, p) for p in sorted(root.rglob("*.py"))}
    others = [p for p, name in names.items() if name != edited and stem in p.read_text()]
    return tuple((names[p], p, compile(p.read_text(), str(p), "exec")) for p in _dependency_order(others))


def _dependency_order(paths: list[Path]) -> list[Path]:
    """Files that mention another of these files after it (attention before block before gpt); the package's
    __init__ last."""
    stems = {p: p.stem for p in paths}
    ordered: list[Path] = []
    pending = [p for p in paths if p.name != "__init__.py"]
    while pending:
        ready = [p for p in pending if not any(stems[q] in p.read_text() for q in pending if q is not p)]
        p = (ready or pending)[0]
        ordered.append(p)
        pending.remove(p)
    return ordered + [p for p in paths if p.name == "__init__.py"]


def _likeliest(e: Edit) -> tuple[bool, bool, bool, bool, int, float]:
    """Of the edits at one place that repair yours, a term removed first (v14's z-loss `ce + 1e-4 * z` was
    "repaired" as `1e-4 ** z`, which only makes the term vanish; dropping it is the fix), then the spelling
    closest to yours. A term is an operand of an arithmetic operator holding a name or a number (`n_head - 1` is
    fixed as `n_head`); a string is none: `path + '.tmp'` is fixed as `str(path) + '.tmp'`, not as `path` (which
    writes no temporary file), and `w[V:].zero_()` outside no_grad
    as the same call under `with torch.no_grad():`, not as `w[V:]` (which zeroes nothing). A spelling nobody writes
    (`range(n - -1)`, which repairs `range(n - 1)` as well as `range(n)` does, v17) comes after the others."""
    rest = re.sub(r"'[^']*'|\"[^\"]*\"", "", e.old.replace(e.new, "", 1)).strip()
    removed = e.new in e.old and rest[:1] in tuple("+-*/@") and re.search(r"\w", rest) is not None
    removed = removed or _deleted(e).startswith(" if ")  # a comprehension's filter dropped (v21: `if p`)
    # a method call that should not be there (v24: `x.transpose(0, 1).reshape(...)` was "fixed" as `transpose(-2, 1)`,
    # a no-op on a 3-D tensor that never says the transpose is the slip); an in-place one dropped only idles
    removed = removed or (re.fullmatch(r"\.\w*[^_\W]\(.*\)", _deleted(e)) is not None and not _idles(e))
    removed = removed or e.new == "(deleted)"  # a statement that should not be there (v24: a second `i += 1` in
    # a merge's loop was "fixed" as `i = 1`, a rescan from the start that nobody writes)
    # a clamp that should not be there, dropped (v28: a warmup clamped up to min_lr was "fixed" as `min_lr - 1`)
    clamp = re.fullmatch(r"(?:max|min)\((.*)\)", e.old)
    removed = removed or (clamp is not None and e.new in clamp.group(1) and not e.new.startswith(("max(", "min(")))
    odd = re.search(r"[-+] -\d", e.new) is not None  # `n_head - -1`: nobody writes a double sign
    # nor a size to the power of another (v31: a fast path `s + B * T <= n` one short was "fixed" as `B ** T`, which
    # only takes it less often, where `< n` is the fix)
    power = r"\b[A-Za-z_]\w*\s*\*\*\s*[A-Za-z_]"
    odd = odd or (re.search(power, e.new) is not None and re.search(power, e.old) is None)
    # the statement as edited is one GPT-2's code has (v20: `logits / max(temperature, 1.0)` was "fixed" as
    # `max(temperature, -1.0)`, a clamp switched off, where `logits / temperature` is GPT-2's own line)
    statement = squeezed(e.statement)
    gpt2s = len(statement) >= 6 and statement in _gpt2_squeezed()
    return removed, not _idles(e), gpt2s, not odd, -_numbers_apart(e), difflib.SequenceMatcher(a=e.old, b=e.new).ratio()


def _deleted(e: Edit) -> str:
    """The one stretch of yours the edit deletes and nothing else (``" if p"`` of ``[p for p in parts if p]``),
    else ""."""
    ops = [op for op in difflib.SequenceMatcher(a=e.old, b=e.new, autojunk=False).get_opcodes() if op[0] != "equal"]
    return e.old[ops[0][1] : ops[0][2]] if len(ops) == 1 and ops[0][0] == "delete" else ""


def _numbers_apart(e: Edit) -> int:
    """How far the numbers an edit changes move, when it changes only numbers: of two repairs of
    `range(1, n)`, `range(0, n)` (one apart) before `range(-1, n)` (two apart, a start that wraps round: v21
    told it as the fix because its spelling is closer to yours)."""
    number = r"-?\d+"
    if re.sub(number, "#", e.old) != re.sub(number, "#", e.new):
        return 0
    pairs = zip(re.findall(number, e.old), re.findall(number, e.new), strict=True)
    return sum(abs(int(a) - int(b)) for a, b in pairs)


@functools.cache
def _gpt2_squeezed() -> str:
    return squeezed(search.gpt2_text())


def _idles(e: Edit) -> bool:
    """The edit makes the code do nothing there rather than the right thing: a call left uncalled (`w.zero_` for
    `w.zero_()`) or an in-place call dropped (`w`), a transpose of a dim with itself (v16: each was told as the fix
    where another spelling at the same place, `with torch.no_grad():` or the key passed plainly, was meant)."""
    tail = e.old[len(e.new) :] if e.old.startswith(e.new) else None
    if tail == "()" or (tail and re.fullmatch(r"\.\w+_\(.*\)", tail)):
        return True
    return re.search(r"(transpose|swapaxes)\((-?\d+), \2\)", e.new) is not None


def _one_guard(places: dict[tuple[str, int], list[Edit]]) -> dict[tuple[str, int], list[Edit]]:
    """Two places that are one: an ``if`` deleted at line L, and the first statement of its body (line L + 1)
    deleted, that is, left as ``pass``. Either switches the guard off; the guard deleted with its body is the one
    fix (v30: ``if width % 64:`` and its ``raise`` were told as two places, and the judge read the second as leaving
    an ``if`` with no body)."""
    if len(places) != 2:
        return places
    (head, first), (body, second) = places.items()
    guard = [e for e in first if e.new == "(deleted)" and e.old.startswith("if ") and e.old.endswith(":")]
    inside = any(e.new == "(deleted)" for e in second)
    if guard and inside and head[0] == body[0] and body[1] == head[1] + 1:
        return {head: guard}
    return places


def _findings(component: str, found: list[Edit], counted: bool = False) -> list[Finding]:
    """One place: the fix, with the edit's spelling closest to yours; two or three places: consistent with any.
    ``counted``: the repairs were judged by their counted draws, not by GPT-2's very tokens."""

    found = [replace(e, file=f"your {e.file}") for e in found]  # its tag: a place in yours, not in GPT-2's file
    places = _one_guard(search.by_place(found))
    if len(places) == 1:
        e = max(found, key=_likeliest)
        behaves = (
            "give GPT-2's tokens at temperature 0 and top_k 1 and draw as the contract says where it samples "
            f"({sampling.N_ROWS:,} counted draws at each of {len(sampling.DRAWN_AT)} settings)"
            if counted else "behave exactly as GPT-2's on every call of the edit search"
        )  # fmt: skip
        change, _, instruction = change_words(e.old, e.new)
        words = (
            f"{change} at {e.file} line {e.line} (in {e.function}) makes your {component} {behaves}; no single "
            "change elsewhere does"  # one change: the same change made at several places may (_one_change_first)
        )
        fix = f"at {e.file} line {e.line}: {instruction}"
        return [Finding(e.tag, words, fix, kind=REPRODUCED, evidence="your code, edited once, run on every input")]
    return [
        Finding(e.tag, f"{change_words(e.old, e.new)[0]} at {e.file} line {e.line} ({e.function}) behaves as GPT-2's",
                kind=CONSISTENT, evidence=f"one of {len(places)} places where a single change of yours does")
        for e in (max(there, key=_likeliest) for there in places.values())  # each place's likeliest spelling
    ]  # fmt: skip
