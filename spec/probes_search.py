"""The edit search: which single edit of GPT-2's code behaves exactly as yours.

The probes (spec/probes.py) fit the bug families someone wrote down. A bug nobody listed is, very often, still
GPT-2's code with one thing written differently. This probe takes every single edit of the failing component's
reference code (spec/edits.py: generic mutation operators, in source order, at most MAX_EDITS), runs each
edited copy on fixed inputs next to your implementation (the same calls, the same weights, fp64), and keeps the
edits whose every output equals yours (tensors to round-off, everything else exactly, an exception by its type
and message). One edit left is a diagnosis with a place and a fix: your attention "behaves as GPT-2's with
`y.transpose(1, 2)` written `y.transpose(2, 3)`". Two or three are "consistent with any of", without a fix;
more say nothing, and so does an output no edit reproduces (a bug of two edits, or written another way).

The work is counted in edits and calls, not seconds; an edited copy that loops forever is stopped after
EDIT_SECONDS of CPU time (sooner for a component whose reference runs in milliseconds) and counts as not
reproducing (yours finished). Results are cached per implementation and component.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import inspect
import math
import re
import signal
import sys
import threading
import time
import types
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import torch

from gpt2spec.known_bugs.mutant import REFERENCE
from gpt2spec.registry import squeezed, unparsed, written_source
from gpt2spec.verdicts import CONSISTENT, REPRODUCED, Finding

from .alongside import takes_keyword
from .edits import CONSTANTS, Edit, change_words, edits
from .variants import same

MAX_EDITS = 5000  # per component: the work is bounded by a count, so a loaded machine gives the same answer
MAX_SHOWN = 3  # more places than this where an edit reproduces yours tell nothing
MAX_NARROWED = 12  # up to this many places are narrowed by your code's text (_where_yours_has_it) before that
EDIT_SECONDS = 2.0  # CPU seconds: an edited copy still running after this is an endless loop the edit made
# ... or after this many times the reference's own CPU time on the same calls, if sooner (not under MIN_SECONDS):
# an edit of a tokenizer that trains in 3 ms is stopped at 0.25 s, not 2 s (half the search was nine endless loops)
TIMES_REFERENCE, MIN_SECONDS = 50, 0.25

# component -> (file, functions) whose edits are tried, most direct first
SEARCHED: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "config": (("config.py", ("GPTConfig.__post_init__", "GPTConfig.padded_vocab_size")),),
    "attention": (("attention.py", ("CausalSelfAttention.__init__", "CausalSelfAttention.forward",
                                    "CausalSelfAttention.attend")),),
    "layernorm": (("layernorm.py", ("LayerNorm.__init__", "LayerNorm.forward")),),
    "mlp": (("mlp.py", ("MLP.__init__", "MLP.forward")),),
    "block": (("block.py", ("Block.__init__", "Block.forward")),),
    "gpt": (("gpt.py", ("GPT.__init__", "GPT._init_weights", "GPT.forward")),),
    "generate": (("gpt.py", ("GPT.generate", "GPT.forward")),
                 ("attention.py", ("CausalSelfAttention.forward", "CausalSelfAttention.attend_cached",
                                   "KVCache.__init__", "KVCache.append"))),
    "data": (("data.py", ("as_token_tensor", "DataLoader.__init__", "DataLoader.next_batch", "DataLoader.reset",
                          "DataLoader.state_dict", "DataLoader.load_state_dict")),),
    "training": (("training.py", ("configure_optimizers", "get_lr", "train_step", "save_checkpoint",
                                  "load_checkpoint")),),
    "pretrained": (("gpt.py", ("GPT.from_pretrained", "GPT.from_hf_state_dict", "_local_hf_snapshot",
                               "_read_hf_weights")),),
    "tokenizer": (("tokenizer.py", ("Tokenizer.train", "_merge", "_split_out", "Tokenizer._encode_piece", "_bpe",
                                    "Tokenizer.encode_ordinary", "Tokenizer.encode_iter", "Tokenizer.decode_bytes",
                                    "Tokenizer.decode", "Tokenizer.merges", "Tokenizer.from_ranks", "Tokenizer.save",
                                    "Tokenizer.load", CONSTANTS)),),
}  # fmt: skip
# a reference file -> the files that import it (re-executed with the edited one in place)
DEPENDENTS = {"attention.py": ("block.py", "gpt.py"), "layernorm.py": ("block.py", "gpt.py"),
              "mlp.py": ("block.py",), "block.py": ("gpt.py",), "data.py": ("training.py",)}  # fmt: skip

SMALL = dict(block_size=16, vocab_size=64, n_layer=2, n_head=4, n_embd=32)
WIDE = {**SMALL, "n_embd": 96, "n_head": 3}  # the module confirmers': 4 * n_embd past 256
ONE_LAYER = {**SMALL, "n_layer": 1}  # generate's calls run the model dozens of times: one block is enough


def once_per_implementation(fn: Callable[[object, str], list[Finding]]) -> Callable[[object, str], list[Finding]]:
    """``fn(impl, component)`` run once per implementation and component; one that cannot run says nothing (the
    failure itself is reported elsewhere)."""
    cache: dict[tuple[str, str], list[Finding]] = {}

    @functools.wraps(fn)
    def run(impl, component: str) -> list[Finding]:
        key = (impl.name, component)
        if key not in cache:
            try:
                cache[key] = fn(impl, component)
            except Exception:
                cache[key] = []
        return cache[key]

    return run


@once_per_implementation
def search(impl, component: str) -> list[Finding]:
    """The edits of ``component``'s reference code that reproduce ``impl`` on every observation (cached)."""
    observe = OBSERVERS.get(component)
    if observe is None or component not in SEARCHED:
        return []
    yours = _observed(observe, impl)
    theirs, seconds = reference_observations(observe)
    if _same(yours, theirs):
        return []  # yours behaves as GPT-2's on these calls: nothing for an edit to explain
    if blank(yours):
        return []  # a blank of the template (or a part not exported): not an edit of GPT-2's code
    found: list[Edit] = []
    for edit in _candidates(component):
        try:
            namespace = _namespace(edit)
        except Exception:
            continue
        if _bounded(lambda ns=namespace: _matches(observe, ns, yours), seconds):
            found.append(edit)
            if len({(e.file, e.line) for e in found}) > MAX_NARROWED:
                return []
    written = written_source(getattr(getattr(impl, "ref", None), "path", None))  # your files' text, read once
    found, among = _where_yours_has_it(found, written)
    if len(by_place(found)) > MAX_SHOWN:
        return []
    # a crash alone is only consistent with an edit; a crash and the edited text in your code name the place
    findings = _findings(component, found, raises_only=not among and all(o[0] == "raised" for o in yours))
    if among:
        findings = [replace(f, text=f"{f.text}; of the {among} places where an edit behaves as yours, only here "
                            "does your code have the edited text") for f in findings]  # fmt: skip
    return [_unless_elsewhere(f, found, written) for f in findings]


def by_place(found: list[Edit]) -> dict[tuple[str, int], list[Edit]]:
    """The edits grouped by their place (file, line), in the order first found: one verdict per place."""
    places: dict[tuple[str, int], list[Edit]] = {}
    for e in found:
        places.setdefault((e.file, e.line), []).append(e)
    return places


def _where_yours_has_it(found: list[Edit], yours: str | None) -> tuple[list[Edit], int]:
    """Several places where an edit of GPT-2's code behaves as yours cannot be told apart by behaviour; by text
    they can: when your code has the edited text of exactly one of them (its statement, or its expression, more
    often than GPT-2's file has it; six characters at least), that one is your slip (v15: `S, T` unpacked for
    `T, S` or the mask built `ones(S, T)` behave alike; the participant's code has the first). Of several
    spellings at one place, the ones your code has (v16: `encode_ordinary(buf)`, not its sibling
    `_encode_piece(buf)`). ``yours``: your files as registry.written_source gives them. Returns the edits kept
    and, when narrowed among places, how many there were."""
    places = by_place(found)
    if not 1 <= len(places) <= MAX_NARROWED or yours is None:
        return found, 0

    def distinctive(e: Edit, texts: tuple[str, ...]) -> bool:  # more often in your files than in GPT-2's files
        gpt2 = gpt2_text()  # all of them, as yours are (v17: `ValueError` counted in your package against one file)
        return any(len(t) >= 6 and yours.count(t) > gpt2.count(t) for t in map(squeezed, filter(None, texts)))

    if len(places) == 1:  # one place, several spellings: the one you wrote (`encode_ordinary(buf)`, not a sibling)
        spelled = [e for e in found if distinctive(e, (e.statement, e.new))]
        return spelled or found, 0

    # the whole edited statement first: `LayerNorm(config.block_size)` is an expression of two places (ln_1, ln_2)
    # but `self.ln_2 = LayerNorm(config.block_size)` is one's statement
    for spelled in (lambda e: (e.statement,), lambda e: (e.statement, e.new)):
        hit = [place for place, edits_there in places.items() if any(distinctive(e, spelled(e)) for e in edits_there)]
        if len(hit) == 1:
            return [e for e in places[hit[0]] if distinctive(e, spelled(e))], len(places)
    return found, 0


@functools.cache
def gpt2_text() -> str:
    """Every file of GPT-2's reference code as ast.unparse writes it, squeezed (compared with all of yours)."""
    return "\n".join(unparsed(p.read_text()) for p in sorted(REFERENCE.glob("*.py")))


def _unless_elsewhere(f: Finding, found: list[Edit], yours: str | None) -> Finding:
    """A reproduction whose edited text your code does not contain is a behaviour, not your line: v14's MLP
    written with addmm and no transposes behaved as `self.c_fc(x)` written `self.c_proj(x)`, and the fix "write
    `self.c_fc(x)`" corrected nothing in it. Then only consistent, without a fix (the repair search, run next,
    looks for the place in your own code)."""
    if f.kind != REPRODUCED:
        return f
    spellings = [e.new for e in found if e.tag == f.tag]
    if any(re.fullmatch(r"\([a-z][\w ,]*\)", s) or s.startswith("def ") for s in spellings):
        # a statement deleted or moved, a signature: no text of its own to look for (v22: an expression that starts
        # with a parenthesis, `(logits / temperature).masked_fill`, was taken for one and kept its fix). The fix
        # writes GPT-2's statement back: yours only if your code has the attributes it sets and reads (v23: a loader
        # counting in `self.pos` behaved as `self.batches = 0` deleted, and the fix wrote back a field it lacks)
        attributes = set(re.findall(r"self\.\w+", " ".join(e.was for e in found if e.tag == f.tag)))
        if yours is None or all(a in yours for a in attributes):
            return f
        missing = sorted(a for a in attributes if a not in yours)
        words = f"{f.text}; but your code has no `{missing[0]}`, so your mistake is written another way near there"
        return Finding(f.tag, words, kind=CONSISTENT, evidence=f.evidence)
    # the edited statement where there is one: a bare `ValueError` is in any file (v17: an `except` line the
    # participant does not have was given as the fix)
    texts = [e.statement or e.new for e in found if e.tag == f.tag]
    if yours is None or any(squeezed(t) in yours for t in texts):
        return f
    words = f"{f.text}; but your code has no `{spellings[0]}`, so your mistake is written another way near there"
    return Finding(f.tag, words, kind=CONSISTENT, evidence=f.evidence)


def reference_observations(observe: Callable) -> tuple[list[tuple], float]:
    """GPT-2's observations on these calls, and the CPU seconds an edited copy gets before it counts as endless."""
    start = time.process_time()
    theirs = _observed(observe, _reference_namespace())
    return theirs, min(EDIT_SECONDS, max(MIN_SECONDS, TIMES_REFERENCE * (time.process_time() - start)))


def contract_names() -> list[str]:
    import reference

    return list(reference.__all__)


def _candidates(component: str) -> Iterator[Edit]:
    n = 0
    for file, functions in SEARCHED[component]:
        peers = tuple(_source(p.name) for p in sorted(REFERENCE.glob("*.py")) if p.name != file)
        for edit in edits(file, _source(file), functions, peers=peers):
            if edit.code is None:
                continue
            n += 1
            if n > MAX_EDITS:
                return
            yield edit


@functools.cache
def _source(file: str) -> str:
    return (REFERENCE / file).read_text()


@functools.cache
def _compiled(file: str):
    return compile(_source(file), f"reference/{file}", "exec")


def _reference_namespace() -> types.SimpleNamespace:
    import reference

    return types.SimpleNamespace(name="reference", **{n: getattr(reference, n) for n in reference.__all__})


def _namespace(edit: Edit) -> types.SimpleNamespace:
    """The reference's public names, with the edited file (and the files that import it) executed afresh."""
    import reference

    order = []
    for file in (edit.file, *DEPENDENTS.get(edit.file, ())):
        module = types.ModuleType(f"reference.{file[:-3]}")
        module.__package__, module.__file__ = "reference", str(REFERENCE / file)
        order.append((module, edit.code if file == edit.file else _compiled(file)))
    built = executed(order)
    names = {}
    for n in reference.__all__:
        home = getattr(reference, n).__module__
        names[n] = getattr(built[home], n) if home in built else getattr(reference, n)
    return types.SimpleNamespace(name=f"edit {edit.tag}", **names)


def executed(order: list[tuple[types.ModuleType, object]]) -> dict[str, types.ModuleType]:
    """Each (fresh module, code) executed in order, each module in sys.modules under its name while the ones after
    it run (they import it); sys.modules is left as it was. The modules by name."""
    built: dict[str, types.ModuleType] = {}
    saved: dict[str, types.ModuleType | None] = {}
    try:
        for module, code in order:
            saved.setdefault(module.__name__, sys.modules.get(module.__name__))
            sys.modules[module.__name__] = module
            exec(code, module.__dict__)
            built[module.__name__] = module
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return built


def _bounded(run: Callable[[], list], seconds: float = EDIT_SECONDS) -> list | None:
    """``run()``, stopped after ``seconds`` of this process's CPU time (an edit can turn a loop into an endless
    one): None then. CPU time, not wall time, so a loaded machine stops the same edits (ITIMER_PROF leaves
    pytest-timeout's SIGALRM alone)."""
    if threading.current_thread() is not threading.main_thread():
        return _quiet(run)

    def stop(signum, frame):
        raise _Endless

    outer = signal.signal(signal.SIGPROF, stop)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        with _memory_capped():
            return _quiet(run)
    except _Endless:
        return None
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, outer)


EDIT_MEMORY = 4 << 30  # bytes an edited copy may add to this process's address space


@contextlib.contextmanager
def _memory_capped() -> Iterator[None]:
    """This process's address space capped at its current size + EDIT_MEMORY while an edited copy runs: an edit
    can also turn a loop into one that appends without end (v20: a merge loop grew every word until the machine's
    OOM killer ended the run), and the MemoryError it then raises is that copy's failure, not the participant's
    machine's. Only where Linux reports the size and no GPU is in use (CUDA maps far more than it uses)."""
    import resource

    statm = Path("/proc/self/statm")
    if not statm.exists() or (torch.cuda.is_available() and torch.cuda.is_initialized()):
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    size = int(statm.read_text().split()[0]) * resource.getpagesize()
    cap = size + EDIT_MEMORY if hard == resource.RLIM_INFINITY else min(size + EDIT_MEMORY, hard)
    if soft != resource.RLIM_INFINITY and soft <= cap:
        yield  # already capped as tightly (the grader's limit)
        return
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


class _Endless(BaseException):
    """Raised by the alarm inside an edited copy (a BaseException: the observers catch Exception only)."""


def _quiet(run: Callable[[], list]) -> list | None:
    try:
        with warnings.catch_warnings():  # an edited copy's deprecation warnings are not the participant's
            warnings.simplefilter("ignore")
            return run()
    except _Endless:
        raise
    except BaseException:  # an edited copy can raise anything, SystemExit and recursion included
        return None


# ---------------------------------------------------------------- comparing observations


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))


def _equal(x, y) -> bool:
    if isinstance(x, torch.Tensor) or isinstance(y, torch.Tensor):
        if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
            return False
        if x.dtype != y.dtype:  # int64 batches, a float32 output for a float32 input: the contract's dtypes
            return False
        if x.dtype.is_floating_point:
            return same(x, y)
        return x.shape == y.shape and torch.equal(x.long(), y.long())  # uint16 and int64 do not promote
    if isinstance(x, float) and isinstance(y, float):
        return x == y or (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(x, list | tuple) and isinstance(y, list | tuple):
        return len(x) == len(y) and all(_equal(u, v) for u, v in zip(x, y, strict=True))
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(_equal(x[k], y[k]) for k in x)
    return type(x) is type(y) and x == y


def _observed(observe: Callable, ns) -> list[tuple]:
    """An observer's list; one that raises outside its calls (building the module, loading its weights: a shape
    that is not the contract's) is one observation of that exception."""
    out = _call(lambda: list(observe(ns)))
    return out[1] if out[0] == "ok" else [out]


def blank(observations: list) -> bool:
    """A call raised NotImplementedError (or the registry's NotImplementedExport): a blank of the template."""
    return any(
        o[0] == "raised" and o[1].startswith("NotImplemented") and "not implemented for '" not in o[2]
        for o in observations
    )  # not torch's own NotImplementedError for a dtype a kernel lacks (v17: `h ^ 3` on float64 tensors)


def _matches(observe: Callable, ns, target: list) -> bool:
    """Whether ``ns`` observes exactly ``target``, stopping at the first call that differs: an observer written as
    a generator runs no further than that (most edits differ at the first or second call; the generate search
    ran every call of every edit, 400 s a bug)."""
    n = 0
    try:
        for observation in observe(ns):
            if n >= len(target) or not _equal(_plain(observation), target[n]):
                return False
            n += 1
    except _Endless:
        raise
    except Exception as err:  # raised outside a call: one observation of that exception, as _observed has it
        return n == 0 and _same([_plain(_raised(err))], target)
    return n == len(target)


def _call(fn: Callable, *args, **kwargs) -> tuple:
    """One observation: ("ok", what it returned, detached) or ("raised", type name, message's first line)."""
    try:
        out = fn(*args, **kwargs)
    except _Endless:
        raise
    except Exception as err:  # yours and an edited copy may raise anything: how is the observation
        return _raised(err)
    return ("ok", _plain(out))


def _raised(err: Exception) -> tuple:
    """An exception as an observation: its type and its message's first line."""
    return ("raised", type(err).__name__, str(err).splitlines()[0] if str(err) else "")


def _plain(out):
    if isinstance(out, torch.Tensor):
        return out.detach().clone()
    if isinstance(out, list | tuple):
        return [_plain(o) for o in out]
    if isinstance(out, dict):
        return {k: _plain(v) for k, v in out.items()}
    return out


# ---------------------------------------------------------------- what is observed, per component


def _seeded_state(module: torch.nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """Random fp64 values for every parameter of the reference module (LayerNorm gains around 1)."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for name, p in module.named_parameters(remove_duplicate=False):
        base = 1.0 if name.endswith(("ln_1.weight", "ln_2.weight", "ln_f.weight")) or name == "weight" else 0.0
        state[name] = base + 0.3 * torch.randn(tuple(p.shape), generator=g, dtype=torch.float64)
    if "lm_head.weight" in state and "transformer.wte.weight" in state:  # tied: one matrix under two names
        state["lm_head.weight"] = state["transformer.wte.weight"]
    return state


@functools.cache
def _state_of(kind: str, seed: int, sizes: tuple = tuple(SMALL.items())) -> dict[str, torch.Tensor]:
    ns = _reference_namespace()
    config = ns.GPTConfig(**dict(sizes))
    build = {**_BUILD, "gpt": lambda ns, c: ns.GPT(c), "generate": lambda ns, c: ns.GPT(ns.GPTConfig(**ONE_LAYER))}
    return _seeded_state(build[kind](ns, config), seed)


def _loaded(module, state: dict[str, torch.Tensor]):
    """The module in fp64, eval mode, with ``state`` copied into its parameters by the contract's names."""
    return _as_built(module.double(), state)


def _as_built(module, state: dict[str, torch.Tensor]):
    """The module in the dtypes it gives its own parameters, eval mode, ``state`` copied in (copy_ converts)."""
    module = module.eval()
    params = dict(module.named_parameters(remove_duplicate=False))
    if set(params) != set(state):
        raise ValueError(f"parameters {sorted(params)} are not the contract's")
    with torch.no_grad():
        for name, value in state.items():
            params[name].copy_(value)
    return module


def _x(seed: int, *shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _forward_and_grad(module, x: torch.Tensor) -> list[tuple]:
    """The output, and the gradient of a fixed projection of it with respect to the input and to each parameter
    (a parameter that takes no gradient, requires_grad=False, is said so: a frozen bias trains nothing)."""

    def run():
        inp = x.clone().requires_grad_(True)
        named = list(module.named_parameters())
        trained = [p for _, p in named if p.requires_grad]
        with torch.enable_grad():
            y = module(inp)
            r = torch.randn(y.shape, generator=torch.Generator().manual_seed(5), dtype=y.dtype)
            grads = iter(torch.autograd.grad((y * r).sum(), [inp, *trained], allow_unused=True))
        grad = next(grads)
        params = {n: next(grads) if p.requires_grad else "frozen" for n, p in named}
        return [y, grad, params]

    return [_call(run)]


def _observe_layernorm(
    C: int = 16,
    seed: int = 1,
    rows: tuple[int, float, tuple[float, ...]] = (2, 0.7, (3.0, 1.0, 1e-2, 1e-4, 1e-6)),
    last: Callable[[torch.Tensor], torch.Tensor] = lambda rows: rows + 5.0,
) -> Callable:
    """A LayerNorm of width C with seeded weight and bias, on rows of the given stds around a centre: the forward
    and gradients, then one more call on ``last(rows)``."""
    n, centre, stds = rows

    def observe(ns) -> list[tuple]:
        fresh = _call(lambda: dict(ns.LayerNorm(C).named_parameters()))  # the init: ones and zeros
        ln = _loaded(ns.LayerNorm(C), {"weight": 1.0 + 0.4 * _x(seed, C), "bias": 0.4 * _x(seed + 1, C)})
        x = torch.stack([centre + sd * _x(seed + 2 + i, n, C) for i, sd in enumerate(stds)], dim=1)
        # float32 rows far from zero: the dtype kept, and E[x^2] - E[x]^2 cancels; spread 1, so that GPT-2's
        # two-pass statistics and F.layer_norm agree (v17: 0.006 apart at spread 0.01, a correct rewrite unrepairable)
        far = (300.0 + _x(seed + 9, 2, C)).float()
        return [fresh, *_forward_and_grad(ln, x), _call(ln, last(x)), _call(ln.float(), far)]

    return observe


# component -> its module built from a namespace and a config
_BUILD: dict[str, Callable] = {
    "attention": lambda ns, c: ns.CausalSelfAttention(c),
    "mlp": lambda ns, c: ns.MLP(c),
    "block": lambda ns, c: ns.Block(c),
}


def _observe_module(
    kind: str, seed: int = 7, shapes: tuple[tuple[int, ...], ...] = ((2, 6, 32), (1, 3, 32)), sizes: dict = SMALL
) -> Callable:
    """The module with seeded weights: forward and gradients on an input of the first shape, a call on the second."""

    def observe(ns) -> list[tuple]:
        state = _state_of(kind, seed, tuple(sizes.items()))  # cached: its arguments hashable
        module = _loaded(_BUILD[kind](ns, ns.GPTConfig(**sizes)), state)
        out = [*_forward_and_grad(module, _x(seed + 1, *shapes[0])), _call(module, _x(seed + 2, *shapes[1]))]
        if kind == "attention":  # float32, scores in the thousands: a softmax without its max overflows
            hot = _loaded(_BUILD[kind](ns, ns.GPTConfig(**sizes)), {k: 8 * v for k, v in state.items()})
            out.append(_call(hot.float(), 8 * _x(seed + 3, *shapes[1]).float()))
        if kind == "attention":  # a whole block_size of positions (a mask buffer shorter than block_size shows)
            out.append(_call(module, _x(seed + 4, 1, sizes["block_size"], shapes[0][-1])))
            # and a block_size past n_embd (v29: a mask buffer sized by n_embd was whole at block_size 16, n_embd 32)
            longer = 3 * sizes["n_embd"] // 2
            wide = _loaded(_BUILD[kind](ns, ns.GPTConfig(**{**sizes, "block_size": longer})), state)
            out.append(_call(wide, _x(seed + 5, 1, longer, shapes[0][-1])))
        # the module as it builds itself, called in float32: a parameter made in a dtype of its own (v33: c_proj
        # built float64, which float32 activations then meet) shows here, where .double() and .float() hide it
        out.append(_call(_as_built(_BUILD[kind](ns, ns.GPTConfig(**sizes)), state), _x(seed + 6, *shapes[1]).float()))
        if kind in ("block", "mlp"):  # float32 in, float32 arithmetic (not a lower precision chosen inside)
            out.append(_call(module.float(), _x(seed + 3, *shapes[1]).float()))
        return out

    return observe


def _observe_gpt(ns) -> list[tuple]:
    config = ns.GPTConfig(**SMALL)
    torch.manual_seed(0)
    model = ns.GPT(config)
    shapes = sorted((n, tuple(p.shape)) for n, p in model.named_parameters())
    tied = model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()
    model = _loaded(model, _state_of("gpt", 7))
    idx = torch.randint(0, 64, (2, 9), generator=torch.Generator().manual_seed(10))
    targets = torch.randint(0, 64, (2, 9), generator=torch.Generator().manual_seed(11))
    zeros = targets.index_fill(1, torch.tensor([0, 5]), 0)  # the id 0 among the targets: a loss that ignores it shows
    full = torch.randint(0, 64, (1, SMALL["block_size"] + 1), generator=torch.Generator().manual_seed(12))
    past = ("ok", _raises((ValueError, AssertionError), model, full))  # the contract's errors past block_size
    torch.manual_seed(0)
    built = _as_built(ns.GPT(config), _state_of("gpt", 7))  # in its own dtypes (a float64 table shows)
    return [("ok", shapes), ("ok", tied), _call(model, idx, targets), _call(model, idx[:1, :4]),
            _call(model, idx, zeros), _call(model, full[:, :-1]), past,
            _call(_loss_gradients, model, idx, targets), _call(built, idx, targets), *_from_hf(ns)]  # fmt: skip


@functools.cache
def _hf_state() -> dict[str, torch.Tensor]:
    """A tiny GPT2LMHeadModel's state dict (Conv1D weights, HF's names), once per process."""
    from .oracles import TINY, hf_lm

    return {k: v.detach().clone() for k, v in hf_lm(TINY, seed=31).state_dict().items()}


def _from_hf(ns) -> list[tuple]:
    """GPT.from_hf_state_dict on a tiny HF state dict: the parameters it loads, by name, and whether the caller's
    dict is left as given (v34: ``tensor.t_()`` transposed the caller's Conv1D weights in place; a model built from
    ``GPTConfig()`` instead of the config given raised on the first shape)."""
    from .oracles import TINY

    state = _hf_state()
    given = {k: v.clone() for k, v in state.items()}

    def load() -> list:
        return sorted(
            (n, p.detach()) for n, p in ns.GPT.from_hf_state_dict(given, ns.GPTConfig(**TINY)).named_parameters()
        )

    loaded = _call(load)
    kept = given.keys() == state.keys() and all(torch.equal(given[k], v) for k, v in state.items())
    return [loaded, ("ok", kept)]


def _loss_gradients(model, idx: torch.Tensor, targets: torch.Tensor) -> list:
    """The gradients the loss gives the embedding and the first block's MLP (v23: a loss on detached logits has the
    right value and no gradient: backward raises)."""
    model.zero_grad(set_to_none=True)
    model(idx, targets)[1].backward()
    return [p.grad for n, p in sorted(model.named_parameters()) if n.endswith(("wte.weight", "0.mlp.c_fc.weight"))]


@functools.cache
def _hf_saved() -> str:
    """A tiny GPT-2 written by HF's save_pretrained (n_layer 2, n_head 4: a config key read for another shows), once
    per process, removed at exit."""
    import atexit
    import shutil
    import tempfile

    from .oracles import TINY, hf_lm

    path = tempfile.mkdtemp(prefix="gpt2spec-hf-")
    atexit.register(shutil.rmtree, path, True)
    hf_lm(TINY, seed=31).save_pretrained(path)
    return path


def _observe_pretrained(ns, seeds: tuple[int, ...] = (14, 15)) -> Iterator[tuple]:
    """GPT.from_pretrained on a saved tiny GPT-2: the config it built and its logits on fixed ids."""
    model = ns.GPT.from_pretrained(_hf_saved()).eval()
    yield ("ok", [getattr(model.config, k, None) for k in ("block_size", "vocab_size", "n_layer", "n_head", "n_embd")])
    for seed in seeds:
        yield _call(model, torch.randint(0, 96, (2, 7), generator=torch.Generator().manual_seed(seed)))


def _greedy(kwargs: dict) -> bool:
    """A call whose tokens are the argmax's, whatever the sampler: temperature 0, or top_k 1."""
    return kwargs.get("temperature") == 0 or kwargs.get("top_k") == 1


def _observe_generate(ns, greedy_only: bool = False) -> Iterator[tuple]:
    """The contract's arguments only (use_kv_cache is the reference's own), yielded one call at a time: greedy
    first (the cheapest, and where most mistakes show), one call through two layers last. ``greedy_only``: the
    calls whose tokens no sampler decides."""
    model = _loaded(ns.GPT(ns.GPTConfig(**ONE_LAYER)), _state_of("generate", 7))
    idx = torch.randint(0, 64, (2, 4), generator=torch.Generator().manual_seed(12))
    long = torch.randint(0, 64, (1, 14), generator=torch.Generator().manual_seed(13))

    def gen(prompt, n, seed, **kwargs):
        if greedy_only and not _greedy(kwargs):
            return None
        return _call(model.generate, prompt, n, generator=torch.Generator().manual_seed(seed), **kwargs)

    yield gen(idx, 4, 1, temperature=0)
    yield gen(idx, 4, 2, temperature=0.7, top_k=5)
    yield gen(idx, 4, 3, temperature=1.3, top_k=2)
    yield gen(long, 6, 4, temperature=0)  # past block_size by 4: the crop keeps 16, 16, 16, 16 tokens
    yield gen(long, 6, 5, temperature=1.0)
    yield gen(idx, 4, 6)  # the defaults: temperature 1, no top-k
    yield gen(idx, 4, 8, temperature=0.4)  # a temperature without top-k
    yield gen(idx, 5, 9, top_k=1)  # top-1 sampling is greedy
    yield gen(idx, 3, 10, top_k=100)  # k past the vocabulary keeps every token
    # two layers: a cached pass that lets a prompt position see the next one leaks only through the next layer's
    # keys (v16: one layer's last position, the only one sampled from, was right)
    deep = _loaded(ns.GPT(ns.GPTConfig(**SMALL)), _state_of("gpt", 7))
    yield _call(deep.generate, idx, 3, temperature=0)
    # ... and one prompt alone: a batch of one is where numel() and size(1) agree (v27: a cache guard written with
    # idx.numel() "repaired" a prompt pass without its causal mask by never using the cache for the batch of two)
    yield _call(deep.generate, idx[:1], 3, temperature=0)
    # 128 rows, hot enough that every token is drawn: each row its own k-th largest logit, and no top-k by default
    rows = torch.randint(0, 64, (16, 4), generator=torch.Generator().manual_seed(14)).repeat(8, 1)
    yield gen(rows, 1, 11, temperature=50.0, top_k=1)
    yield gen(rows, 1, 12, temperature=50.0)
    yield gen(torch.randint(0, 64, (2, 20), generator=torch.Generator().manual_seed(15)), 2, 13, temperature=0)


def _observe_data(ns) -> list[tuple]:
    """The contract's calls only: batches in order (kept, so a buffer refilled under them shows), ranks, a NumPy
    uint16 stream, streams shorter than one batch; a loader resumed from another's state_dict and a reset, where
    the loader has them (both are optional)."""
    import numpy as np

    tokens = list(range(100, 147))

    def batches(loader, n: int) -> list:
        return [loader.next_batch() for _ in range(n)]

    # state_dict and reset are optional, so what is observed is whether a loader that has them keeps their promise
    # a fresh loader given another's state after n batches reads what the other reads next; with ``snapshot``, the
    # other reads on before the state is loaded (the state is what the loader was when taken, not a view of it);
    # with ``into``, the fresh loader has other ranks and reads its own slice (a run's checkpoint is rank 0's);
    # with ``read``, the loader the state is loaded into has read that many batches of its own first
    def resumed(n: int, snapshot: bool = False, into: dict | None = None, read: int = 0, **ranks) -> bool:
        first, second = ns.DataLoader(tokens, 2, 3, **ranks), ns.DataLoader(tokens, 2, 3, **(into or ranks))
        batches(first, n)
        batches(second, read)
        if not (hasattr(first, "state_dict") and hasattr(first, "load_state_dict")):
            return True
        state = first.state_dict()
        if snapshot:
            batches(first, 2)
        second.load_state_dict(state)
        own = snapshot or into is not None  # the fresh loader's next batches, read by one that never stopped
        after = batches(ns.DataLoader(tokens, 2, 3, **(into or ranks)), n + 2)[n:] if own else batches(first, 2)
        return _equal(batches(second, 2), after)

    def rewound(**ranks) -> bool:  # after a reset, batch 0 again
        loader = ns.DataLoader(tokens, 2, 3, **ranks)
        start = batches(loader, 2)
        batches(loader, 1)
        return not hasattr(loader, "reset") or (loader.reset(), _equal(batches(loader, 2), start))[1]

    return [
        _call(lambda: batches(ns.DataLoader(tokens, 2, 3), 10)),
        _call(lambda: batches(ns.DataLoader(tokens, 2, 4, rank=1, world_size=2), 4)),
        _call(lambda: batches(ns.DataLoader(np.array(tokens, dtype=np.uint16), 1, 5), 3)),
        _call(lambda: batches(ns.DataLoader(torch.from_numpy(np.array(tokens, dtype=np.uint16) + 50000), 1, 5), 2)),
        _call(lambda: batches(ns.DataLoader(tokens[:5], 2, 3), 2)),
        _call(lambda: batches(ns.DataLoader(tokens[:3], 2, 3), 2)),  # a batch that wraps the data twice
        _call(resumed, 3),
        _call(resumed, 2, rank=1, world_size=3),
        _call(rewound, rank=1, world_size=2),
        _call(resumed, 3, snapshot=True),
        _call(lambda: batches(ns.DataLoader(np.array(tokens, dtype=np.uint16) + 65000, 1, 5), 2)),
        _call(lambda: batches(ns.DataLoader(tokens, 2, 3, rank=2, world_size=3), 3)),
        # ids handed in as int32 come out int64 (v25: `.int()` "repaired" by dropping it, int32 in staying int32)
        _call(lambda: batches(ns.DataLoader(torch.tensor(tokens, dtype=torch.int32), 2, 3), 2)),
        # v27: a state that carries the rank puts every resumed rank on rank 0's slice
        _call(resumed, 3, into={"rank": 1, "world_size": 2}, rank=0, world_size=2),
        # two tokens, shorter than one row, still make batches, and one token makes none (the contract's ValueError):
        # sizes none of which plus or minus one is 2 (v27: `len(tokens) < T + 1` was "repaired" as `< T`, `< T - 1`,
        # `< B + 1` and `< world_size + 1` as the sizes here were 3, then 1)
        _call(lambda: batches(ns.DataLoader(tokens[:2], 2, 5, rank=0, world_size=2), 2)),
        _call(lambda: ns.DataLoader(tokens[:1], 2, 5, rank=0, world_size=2)),
        # a stream of exactly two batches: the second batch's window ends one past the end, where a slice taken
        # "while it fits" must already wrap (v31: a fast path `if s + B*T <= n` one token short there)
        _call(lambda: batches(ns.DataLoader(tokens[:12], 2, 3), 3)),
        # the state loaded into a loader that has read on its own replaces its position (v32: `+=` added the count)
        _call(resumed, 3, read=2),
    ]


class _Tiny(torch.nn.Module):
    """A model with the contract's forward signature, small enough to step exactly (fp64)."""

    def __init__(self) -> None:
        super().__init__()
        self.wte = torch.nn.Parameter(_x(61, 8, 4))
        self.head = torch.nn.Parameter(_x(62, 4, 8))
        self.bias = torch.nn.Parameter(_x(63, 8))

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        if idx.dim() != 2:  # the contract's GPT takes (B, T), as it raises (v17: micro-batches stacked, not joined)
            raise ValueError(f"idx must be (B, T), got shape {tuple(idx.shape)}")
        logits = self.wte[idx] @ self.head + self.bias
        loss = None if targets is None else torch.nn.functional.cross_entropy(logits.view(-1, 8), targets.reshape(-1))
        return logits, loss


def _observe_training(ns) -> Iterator[tuple]:
    """One call per training function, yielded one at a time (probes_repair._TRAINING_CALLS names each)."""
    g = torch.Generator().manual_seed(64)
    # B = 2, T = 5 and 3 micro-batches: no two alike (v26: a loss weighted by y.numel() / rows is T / n times the
    # mean, which a T of 3 with 3 micro-batches could not tell from GPT-2's)
    batches = [(torch.randint(0, 8, (2, 5), generator=g), torch.randint(0, 8, (2, 5), generator=g)) for _ in range(3)]

    def lrs():  # min_lr not a tenth of the peak, as a schedule that computes its own floor assumes; and a warmup
        # whose first steps are below min_lr (v28: a ramp clamped up to the floor is GPT-2's while it starts above)
        return [[ns.get_lr(s, 6e-4, 1e-5, 3, 10) for s in range(13)],
                [ns.get_lr(s, 6e-4, 6e-5, 20, 40) for s in (0, 1, 5, 19, 20, 30, 40, 41)]]  # fmt: skip

    yield _call(lrs)
    yield _call(_groups, ns, 0.1, 2e-3)
    yield _call(_step, ns, batches, 0.5, 1e9)
    yield _call(_step, ns, batches, 0.5, 0.3)
    yield _call(_checkpoint_round_trip, ns)
    yield _call(_groups, ns, 0.0371, 2e-3)  # a weight decay that is not the usual 0.1: the given one is used
    yield _call(_decay_of, ns, torch.nn.LayerNorm(4).double())  # 1-D weights not named "bias" are not decayed
    yield _call(_step, ns, batches, 0.5, 1e9, 2)  # the second step's update holds no gradient of the first
    # in float32, two steps: a loss total kept across steps shows (v28: a buffer on the function, which the fp64
    # calls above never touched, `.to(loss.dtype)` handing them a fresh copy)
    yield _call(_step, ns, batches, 0.5, 1e9, 2, torch.float32)
    # autocast asked for: _Tiny's matmul runs in bfloat16 (v29: autocast on by default was "repaired" by deleting
    # the `with`, which no call above could refute: none asked for autocast)
    yield _call(_autocast_step, ns, batches)
    # ... and for float16, which CPU autocast also runs (v35: float16 hard-coded was "repaired" by dropping the
    # dtype, which on CPU defaults to the bfloat16 the call above asked for)
    yield _call(_autocast_step, ns, batches, torch.float16)


def _autocast_step(ns, batches: list, dtype: torch.dtype = torch.bfloat16) -> list:
    """Which loss one float32 step under ``dtype`` autocast reports: the forward's under bfloat16 or float16
    autocast, or the plain float32 one (whichever is nearest): asked for with ``autocast_dtype`` where train_step
    takes it (optional in the contract), else opened around it, as the capstone's driver does for a train_step
    without one. _Tiny's weights are scaled up so that the losses lie far apart. Which one, not the values: a
    correct step's gradients differ by bf16's rounding wherever the loss is divided (before the backward, or the
    gradients after it), and its loss by float32's where the micro-batches are joined (v17, v20, v23)."""
    model = _Tiny().float()
    with torch.no_grad():
        model.wte.mul_(8.0)
        model.head.mul_(8.0)
        plain = sum(float(model(x, y)[1]) for x, y in batches) / len(batches)
        cast = {}
        for kind in (torch.bfloat16, torch.float16):
            with torch.autocast("cpu", dtype=kind):
                cast[str(kind)] = sum(float(model(x, y)[1]) for x, y in batches) / len(batches)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    asked = takes_keyword(ns.train_step, "autocast_dtype")
    # not even a disabled autocast when it is asked for: entering one sets the device's default autocast dtype, which
    # an autocast opened without a dtype inside then takes
    with torch.enable_grad(), contextlib.nullcontext() if asked else torch.autocast("cpu", dtype=dtype):
        loss, _ = ns.train_step(model, opt, batches, 1e9, **({"autocast_dtype": dtype} if asked else {}))
    loss = float(loss)
    return [min({"float32": plain, **cast}.items(), key=lambda kv: abs(loss - kv[1]))[0]]


def _decay_of(ns, model: torch.nn.Module) -> list:
    opt = ns.configure_optimizers(model, 0.1, 1e-3)
    return sorted((tuple(p.shape), g["weight_decay"]) for g in opt.param_groups for p in g["params"])


# the settings of an optimizer's group that change its arithmetic (not how it is run: fused, foreach, capturable)
_UPDATE_RULE = ("betas", "eps", "amsgrad", "maximize", "momentum", "nesterov", "dampening")


def _groups(ns, weight_decay: float, lr: float, after_backward: bool = False) -> list:
    """configure_optimizers' optimizer on _Tiny: its class, and per group each parameter's shape, decay and lr and
    the group's update rule (v14: AdamW with amsgrad=True was invisible to a search that saw shapes and decay);
    ``after_backward``: on a model whose parameters hold gradients already (v16: parameters chosen by
    `p.grad is None` matched `requires_grad` on a fresh model only)."""
    model = _Tiny()
    if after_backward:
        with torch.enable_grad():
            model(torch.tensor([[1, 2]]), torch.tensor([[2, 3]]))[1].backward()
    # betas and eps passed, and a learning rate that is not AdamW's default: an argument not handed on shows
    opt = ns.configure_optimizers(model, weight_decay, lr, betas=(0.8, 0.9), eps=1e-6)
    rule = _update_rules(opt)
    shapes = [sorted((tuple(p.shape), g["weight_decay"], g["lr"]) for p in g["params"]) for g in opt.param_groups]
    own = {id(p) for p in model.parameters()}  # the model's own tensors, not copies (a state_dict's values)
    defaults = ns.configure_optimizers(_Tied(70), weight_decay, lr)  # betas and eps by default; embeddings decayed
    tied = [([tuple(p.shape) for p in g["params"]], g["weight_decay"]) for g in defaults.param_groups]
    mine = all(id(p) in own for g in opt.param_groups for p in g["params"])
    return [type(opt).__name__, rule, shapes, mine, tied, _update_rules(defaults)]


def _update_rules(opt: torch.optim.Optimizer) -> list[tuple]:
    return [tuple((k, g[k]) for k in _UPDATE_RULE if k in g) for g in opt.param_groups]


def _step(ns, batches: list, lr: float, max_norm: float, steps: int = 1, dtype: torch.dtype = torch.float64) -> list:
    """``steps`` train_steps of _Tiny under SGD with two parameter groups (a clip over the first alone shows): the
    last loss, whether it still holds a graph, the norm it returns, and the parameters after them."""
    model = _Tiny().to(dtype)
    opt = torch.optim.SGD([{"params": [model.wte, model.head]}, {"params": [model.bias]}], lr=lr)
    with torch.enable_grad():
        for _ in range(steps):
            loss, norm = ns.train_step(model, opt, batches, max_norm)
    grads = [p.grad for p in model.parameters()]  # the step's gradient is still there when train_step returns
    return [loss, bool(getattr(loss, "requires_grad", False)), norm, *[p.detach() for p in model.parameters()], grads]


class _Tied(torch.nn.Module):
    """A model whose output matrix is its embedding (tied, as GPT-2's lm_head) plus a buffer."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.wte = torch.nn.Embedding(8, 4).double()
        self.lm_head = torch.nn.Linear(4, 8, bias=False).double()
        self.lm_head.weight = self.wte.weight
        self.register_buffer("mask", _x(seed, 3))
        with torch.no_grad():
            self.wte.weight.copy_(_x(seed + 1, 8, 4))


def _checkpoint_round_trip(ns, step: int = 12, batches: int = 2) -> list:
    """save_checkpoint at ``step`` after a momentum step and ``batches`` batches, load_checkpoint into fresh objects:
    what comes back (the step, the state of the model, the optimizer, the loader; the RNG continues as it would;
    one more momentum step from the loaded state)."""
    import tempfile

    def momentum_step(model: _Tied, opt: torch.optim.Optimizer) -> list:
        with torch.enable_grad():
            model.lm_head(model.wte(torch.tensor([1, 2]))).pow(2).sum().backward()
        opt.step()
        return [p.detach().clone() for p in model.parameters()]

    model, loader = _Tied(70), ns.DataLoader(list(range(40)), 2, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    momentum_step(model, opt)
    for _ in range(batches):
        loader.next_batch()
    torch.manual_seed(7)
    torch.rand(3)  # mid-stream: a checkpoint that keeps the seed, not the state, restarts the stream
    with tempfile.TemporaryDirectory() as tmp:
        try:
            ns.save_checkpoint(Path(tmp) / "ckpt.pt", model, opt, loader, step)  # a PathLike, as the contract allows
            draw = torch.rand(2)
            fresh, fresh_loader = _Tied(80), ns.DataLoader(list(range(40)), 2, 3)
            fresh_opt = torch.optim.SGD(fresh.parameters(), lr=0.1, momentum=0.9)
            step = ns.load_checkpoint(Path(tmp) / "ckpt.pt", fresh, fresh_opt, fresh_loader)
        except Exception as err:  # the whole message (load_state_dict's lists the keys), without the temporary path
            return ["raised", type(err).__name__, str(err).replace(tmp, "<tmp>")]
    # and the optimizer steps on from what it loaded (v17: a state dict's "state" assigned to optimizer.state
    # looks the same in state_dict(), keyed by index, but the step finds no state for its parameters)
    return [step, fresh.state_dict(), fresh_opt.state_dict()["state"], fresh_loader.next_batch(),
            bool(torch.equal(torch.rand(2), draw)), _call(momentum_step, fresh, fresh_opt)]  # fmt: skip


_TEXT = (
    "the cat sat on the mat. the cat ate the rat! 1234 cats and 56 rats, aaaa bbbb aaaa.\n"
    "Ünïcödé wörds: naïve café, 東京 and 東京 again; it's the cat's <|endoftext|> hat's hat.  \n"
    "we'll see, you'll see, they'll see; I'd've said it'll do. x² and ٣٣ ⅫⅫ\n"
)


def _observe_tokenizer(ns) -> Iterator[tuple]:
    """A trained tokenizer's merges, encoding, decoding, streaming; pre-token boundaries; special tokens; rebuilt
    and reloaded: yielded one call at a time, the cheapest first."""
    trained = _call(lambda: ns.Tokenizer().train(_TEXT * 3, 256 + 40))
    if trained[0] == "raised":
        yield trained
        return
    tok = trained[1]
    probe = "the cats' mat, 東京 1234! naïve, we'll've they're I'd x²٣Ⅻ\nline\ttab  \n\nend "
    yield _call(lambda: sorted(tok.merges.items()))
    yield _call(lambda: tok.encode_ordinary(probe))
    yield from _pre_tokens(ns, _PIECES)
    yield _call(lambda: tok.encode("a <|endoftext|> b", allowed_special="all"))
    # one character after the last special (v25: a splitter's tail test `pos < len(text) - 1` dropped it)
    yield _call(lambda: tok.encode("a<|endoftext|>b", allowed_special="all"))
    yield _call(lambda: tok.decode(tok.encode_ordinary(probe)))
    yield _call(lambda: tok.decode(tok.encode_ordinary("é")[:1]))
    yield _call(lambda: tok.decode([195, 97]))  # a lone UTF-8 lead byte: decode's error handler
    yield _call(_raises_value_error, tok.decode, [10**6])  # an id past the vocabulary: the contract's ValueError
    yield _call(lambda: _raises_value_error(tok.decode, [len(tok.vocab)]))  # ... and the first id past it
    plain = _call(lambda: ns.Tokenizer().train("aaabdaaabac", 256 + 4, special_tokens=()))
    yield _call(lambda: sorted(plain[1].merges.items())) if plain[0] == "ok" else plain
    # a pair that follows itself ("abab", "aaaa"): a merge takes every occurrence, left to right (v24: a slice-assign
    # _merge that stepped past the token after each merge left "abab" half merged; nothing above repeats a pair)
    yield _call(lambda: sorted(ns.Tokenizer().train("abababab abab aaaa " * 5, 256 + 6, special_tokens=())
                               .merges.items()))  # fmt: skip
    # streaming: a text short enough to be all tail, a long one cut in chunks, a tokenizer without specials
    yield _call(lambda: list(tok.encode_iter(["a <|endoftext|>", " b"], allowed_special="all")))
    # a special cut eleven characters in, after a long text: the hold-back must cover the longest special (v24: it
    # held 9 characters, the count of specials plus 8)
    yield _call(lambda: list(tok.encode_iter(["word " * 10 + "<|endoftext", "|> c"], allowed_special="all")))
    yield _call(lambda: list(tok.encode_iter([probe, "<|endoftext|>", probe * 3], allowed_special="all")))
    yield _call(lambda: list(plain[1].encode_iter(["ab " * 20, "cd " * 20]))) if plain[0] == "ok" else plain
    yield from _observe_specials(ns)
    yield from _observe_reloaded(ns, tok, probe)
    yield from _observe_fresh(ns)


def _observe_fresh(ns) -> list[tuple]:
    """A tokenizer before training (its 256 bytes, no merges), one that encodes, then trains (a cache of pieces
    from before must go), one trained with its own pattern, bytes ranked otherwise than by their value, and
    streams cut inside a contraction and inside a pre-token longer than any hold-back."""
    permuted = {**{bytes([b]): (b + 33) % 256 for b in range(256)}, b"ab": 256}
    long = _substring_ranks(" pneumonoultramicroscopic")
    return [
        _call(lambda: (dict(ns.Tokenizer().vocab), dict(ns.Tokenizer().merges),
                       ns.Tokenizer().encode("\U0001f642\x00"))),
        _call(lambda: _encoded_then_trained(ns)),
        _call(lambda: sorted(ns.Tokenizer(pattern=r"[^\n]+|\n").train("ab ab ab\nab ab", 259, special_tokens=())
                             .merges.items())),
        _call(lambda: (lambda t: (t.encode_ordinary("ab! \u00e9"), dict(t.vocab)))(ns.Tokenizer.from_ranks(permuted))),
        _call(lambda: list(ns.Tokenizer.from_ranks(_ranks(b"ll", b"'ll")).encode_iter(["x " * 10 + "we'l", "l see"]))),
        # a pair's left id twice, then its right ("aab"): the second a starts the merge (v26: a training merge scan
        # that resumed two past an unmatched a was "repaired" by keeping the skipped id, which then starts no merge)
        _call(lambda: sorted(ns.Tokenizer().train("aab aab aab ab ab", 256 + 3, special_tokens=()).merges.items())),
        # runs of newlines and spaces, pre-tokens of whitespace alone: their merges are learned too (v27: training
        # that counted only the pieces with a non-space character never merged "\n\n")
        _call(lambda: sorted(ns.Tokenizer().train("a\n\n\nb\n\n\nc    d    e\n\n", 256 + 4, special_tokens=())
                             .merges.items())),
        _call(lambda: list(ns.Tokenizer.from_ranks(long).encode_iter(["a " * 30 + "pneumonoultramicro",
                                                                        "scopic end"]))),
    ]  # fmt: skip


def _encoded_then_trained(ns) -> tuple:
    tok = ns.Tokenizer()
    before = tok.encode_ordinary("aaab ab")
    return before, tok.train("aaabdaaabac", 260, special_tokens=()).encode_ordinary("aaab ab")


# Pre-token boundaries made visible: with every substring of up to four bytes of the text as a token (from_ranks),
# BPE merges across any boundary the pattern does not draw, so the ids show each pre-token's extent (a trained
# tokenizer with 40 merges encoded ' 42' as the same ids whether or not the space joined the digits)
# (v24: "$100" for a symbols class that takes digits, "\r\n" for a pre-tokenizer that normalises line ends)
_PIECES = "I'D it's we'LL 42 a1b_c 12345 x  \n\nword\tTab!!... ?!a naïve東京 \u00a0z end  $100 +5\r\nb\r\n"


def _ranks(*tokens: bytes) -> dict[bytes, int]:
    """tiktoken-style ranks: the 256 single bytes, then ``tokens`` from 256 in the order given."""
    return {**{bytes([b]): b for b in range(256)}, **{t: 256 + i for i, t in enumerate(tokens)}}


def _substring_ranks(text: str) -> dict[bytes, int]:
    data = text.encode()
    subs = {data[i : i + n] for n in (2, 3, 4) for i in range(len(data) - n + 1)}
    return _ranks(*sorted(subs, key=lambda b: (len(b), b)))


def _pre_tokens(ns, text: str) -> list[tuple]:
    """``text`` encoded by from_ranks over its own substrings: with the default pattern, and with another pattern
    passed in (a tokenizer that ignores its pattern argument)."""
    ranks = _substring_ranks(text)
    return [_call(lambda: ns.Tokenizer.from_ranks(ranks).encode_ordinary(text)),
            _call(lambda: ns.Tokenizer.from_ranks(ranks, r"\S+|\s+").encode_ordinary(text))]  # fmt: skip


_SPECIALS = ("<|pad|>", "<|fim|>", "<|fim|>_end", "<|endoftext|>")  # not sorted; a prefix of the next one first


def _observe_specials(ns) -> list[tuple]:
    """Several special tokens, given unsorted, one a prefix of another: their ids, encoding and decoding them, a
    chunk boundary inside one while streaming, the default's check anywhere in the text, from_ranks and a save
    and load (with a custom pattern) keeping them; training that runs out of pairs before vocab_size."""
    import tempfile

    made = _call(lambda: ns.Tokenizer().train(_TEXT, 256 + 12, special_tokens=_SPECIALS))
    if made[0] == "raised":
        return [made]
    tok = made[1]
    text = "a<|fim|>_end b <|fim|> c<|pad|>"
    chunks = [_PIECES * 2 + "a <|fim", "|>_end b" + " w" * 30 + " <|endof", "text|> c" + " z" * 30]  # cut in two
    out = [
        _call(lambda: sorted(tok.special_tokens.items())),
        _call(lambda: tok.encode(text, allowed_special="all")),
        _call(lambda: tok.decode(tok.encode(text, allowed_special="all"))),
        _call(lambda: list(tok.encode_iter(chunks, allowed_special="all"))),
        _call(lambda: _raises_value_error(tok.encode, "x y <|endoftext|>")),
        # a special first and two together (v21: empty parts of a split dropped before its parity was read), and a
        # special glued to a word under an explicit disallowed set (v21: looked for among text.split()'s words)
        _call(lambda: tok.encode("<|fim|><|pad|>x<|fim|>", allowed_special="all")),
        _call(lambda: _raises_value_error(lambda: tok.encode("x<|pad|>y", disallowed_special={"<|pad|>"}))),
        _call(lambda: tok.encode("x <|fim", disallowed_special={"<|pad|>"})),  # ... and none in the text: no error
        # a special neither allowed nor disallowed is text; an explicit allowed set; disallowed_special=(); a
        # disallowed special at the very start; encode_ordinary over a special; an id of -1
        _call(lambda: tok.encode("x<|endoftext|>y <|fim|>", disallowed_special={"<|pad|>"})),
        _call(lambda: tok.encode("a<|endoftext|>b<|pad|>", allowed_special={"<|endoftext|>"}, disallowed_special=())),
        _call(lambda: _raises_value_error(tok.encode, "<|endoftext|> first")),
        _call(lambda: tok.encode_ordinary("x<|endoftext|>y")),
        _call(lambda: _raises_value_error(tok.decode, [72, -1])),
        _call(lambda: list(tok.encode_iter([_PIECES + " <|endoftext", "|> z"], allowed_special="all"))),  # cut late
        _call(lambda: tok.decode(list(b"ok \xe6\x9d"))),  # an incomplete character at the very end
        _call(lambda: ns.Tokenizer.from_ranks(tok.mergeable_ranks, special_tokens=dict(tok.special_tokens))
              .encode(text, allowed_special="all")),
        _call(lambda: sorted(ns.Tokenizer().train("aaabdaaabac", 256 + 20, special_tokens=_SPECIALS[:2])
                             .special_tokens.items())),  # runs out of pairs: 4 merges learned, not 18
        # no room for a merge: the bytes and the specials exactly (v35: refused with n_merges <= 0)
        _call(lambda: sorted(ns.Tokenizer().train("aaabdaaabac", 256 + 2, special_tokens=_SPECIALS[:2])
                             .special_tokens.items())),
    ]  # fmt: skip
    ranks, specials = _substring_ranks(_PIECES), {"<|pad|>": 100_000}  # another pattern, its pre-tokens visible
    custom = _call(lambda: ns.Tokenizer.from_ranks(ranks, r"\S+|\s+", specials))
    with tempfile.TemporaryDirectory() as tmp:
        if custom[0] == "ok":
            out.append(_call(lambda: (custom[1].save(f"{tmp}/t.json"), ns.Tokenizer.load(f"{tmp}/t.json"))[1]
                             .encode(_PIECES + "<|pad|>", allowed_special="all")))  # fmt: skip
    return [*out, custom if custom[0] == "raised" else ("ok", None)]


def _raises(errors: tuple[type[BaseException], ...], fn: Callable, *args) -> bool:
    """Whether ``fn(*args)`` raises one of the contract's ``errors`` (its message is yours to word)."""
    try:
        fn(*args)
    except errors:
        return True
    except Exception:
        return False
    return False


def _raises_value_error(fn: Callable, *args) -> bool:
    return _raises((ValueError,), fn, *args)


def _observe_reloaded(ns, tok, probe: str) -> list[tuple]:
    """The trained tokenizer rebuilt from its ranks (merges recovered by BPE) and saved then loaded."""
    import tempfile

    rebuilt = _call(lambda: ns.Tokenizer.from_ranks(tok.mergeable_ranks, special_tokens=dict(tok.special_tokens)))
    with tempfile.TemporaryDirectory() as tmp:
        path = f"{tmp}/tok.json"
        loaded = _call(lambda: (tok.save(path), ns.Tokenizer.load(path))[1])
    if rebuilt[0] == "ok":  # the merges recovered by BPE on each token's own bytes, in rank order (the contract's;
        rebuilt = _call(lambda: list(rebuilt[1].merges.items()))  # v21 recovered them in the bytes' order)
    # 'abc' can be cut 'a' + 'bc' or 'ab' + 'c', both of lower rank; BPE merged 'ab' first, so its pair is (ab, c)
    ranks = _ranks(b"ab", b"bc", b"abc")
    two_cuts = _call(lambda: sorted(ns.Tokenizer.from_ranks(ranks).merges.items()))
    if loaded[0] == "ok":  # what it encodes, and the merges, vocabulary and specials it came back with
        back = loaded[1]
        loaded = _call(lambda: (back.encode_ordinary(probe), list(back.merges.items()), dict(back.vocab),
                                dict(back.special_tokens)))  # fmt: skip
    return [rebuilt, two_cuts, loaded]


def _observe_config(sizes: tuple[tuple[int, int, int], ...]) -> Callable:
    """GPTConfig built as the spec builds it: the defaults, keyword configs whose width the heads divide or not
    (n_embd, n_head) and vocabularies padded to a multiple (vocab_size, multiple, and 0, which no multiple is):
    the fields and padded_vocab_size, or the exception's type only (a check's message is yours, not GPT-2's)."""

    def observe(ns) -> list[tuple]:
        out = [_config(ns), _config(ns, **SMALL)]
        for n_embd, n_head, vocab in sizes:
            out.append(_config(ns, **{**SMALL, "n_embd": n_embd, "n_head": n_head}))
            out += [_config(ns, **{**SMALL, "vocab_size": vocab, "vocab_pad_multiple": m}) for m in (1, 2, 64, 0)]
        return out

    return observe


def _config(ns, **given) -> tuple:
    try:
        config = ns.GPTConfig(**given)
        return ("ok", {k: getattr(config, k, "<no such field>") for k in (*SMALL, "padded_vocab_size")})
    except Exception as err:
        return ("raised", type(err).__name__)


OBSERVERS: dict[str, Callable] = {
    "config": _observe_config(((30, 4, 50257), (48, 4, 64))),
    "layernorm": _observe_layernorm(),
    **{kind: _observe_module(kind) for kind in _BUILD},
    "gpt": _observe_gpt,
    "generate": _observe_generate,
    "data": _observe_data,
    "training": _observe_training,
    "pretrained": _observe_pretrained,
    "tokenizer": _observe_tokenizer,
}


# ---------------------------------------------------------------- what is said


def _findings(component: str, found: list[Edit], raises_only: bool = False) -> list[Finding]:
    """One place (however many spellings of the edit there reproduce yours: ``transpose(2, 3)`` and
    ``transpose(-1, -2)``): reproduced, with the fix. Two or three places: consistent with any, no fix. When
    every call of yours raised, an edit that raises the same error is only consistent with it (v14: any edit
    that breaks the same call "reproduced" a crash, told as another mistake): the place, without a fix."""
    places = by_place(found)
    if len(places) == 1:  # said with the spelling closest to GPT-2's text: `== -1` rather than `cache == 0`
        e = max(found, key=lambda f: difflib.SequenceMatcher(a=f.old, b=f.new).ratio())
        line = _source(e.file).splitlines()[e.line - 1].strip()
        if raises_only:
            words = (f"your {component} raises the error GPT-2's code raises with {change_words(e.old, e.new)[1]} (in "
                     f"{e.function}); other mistakes near there may raise it too")  # fmt: skip
            return [Finding(e.tag, words, f"compare with GPT-2's line there: `{line}`", kind=CONSISTENT,
                            evidence="the same exception on every call of the edit search")]  # fmt: skip
        others = [f for f in found if f is not e]
        also = f" ({len(others)} other spellings of the same edit there too)" if others else ""
        words = (f"your {component} behaves exactly as GPT-2's code would with {change_words(e.old, e.new)[1]}{also} "
                 f"(in {e.function}); no edit elsewhere does")  # fmt: skip
        return [Finding(e.tag, words, f"GPT-2's code has `{e.old}` there: `{line}`", kind=REPRODUCED,
                        evidence="reproduced on every input of the edit search")]  # fmt: skip
    return [
        Finding(e.tag, f"{change_words(e.old, e.new)[1]} ({e.function}) behaves as yours",
                kind=CONSISTENT, evidence=f"one of {len(places)} places where a single edit reproduces yours")
        for e, *_ in places.values()
    ]  # fmt: skip


# ---------------------------------------------------------------- a second look, for the repair search


def _confirm_gpt(ns) -> list[tuple]:
    model = _loaded(ns.GPT(ns.GPTConfig(**SMALL)), _state_of("gpt", 17))
    idx = torch.randint(0, 64, (3, 16), generator=torch.Generator().manual_seed(20))
    return [_call(model, idx, idx.roll(-1, 1)), _call(model, idx[:, :1])]


def _confirm_generate(ns, greedy_only: bool = False) -> list[tuple]:
    model = _loaded(ns.GPT(ns.GPTConfig(**ONE_LAYER)), _state_of("generate", 17))
    one = torch.randint(0, 64, (1, 3), generator=torch.Generator().manual_seed(22))
    three = torch.randint(0, 64, (3, 15), generator=torch.Generator().manual_seed(23))

    def gen(prompt, n, seed, **kwargs):
        if greedy_only and not _greedy(kwargs):
            return None
        return _call(model.generate, prompt, n, generator=torch.Generator().manual_seed(seed), **kwargs)

    # the cache switched off and on by name where generate has the switch, past block_size (v19: a guard flipped
    # to `cache is None` "repaired" a cache fed past block_size by never using it, the uncached path then indexing
    # None; the switch's default made False did the same)
    try:
        switch = "use_kv_cache" in inspect.signature(model.generate).parameters
    except (AttributeError, TypeError, ValueError):  # no generate, or one inspect cannot read: its only path
        switch = False
    both = [gen(three, 3, 10 + on, temperature=0, **({"use_kv_cache": bool(on)} if switch else {})) for on in (0, 1)]
    return [gen(one, 3, 6, temperature=1.0, top_k=1), gen(one, 3, 7, temperature=0.5, top_k=70),
            gen(three, 3, 8, temperature=0), gen(three, 3, 9, temperature=2.0, top_k=3), *both]  # fmt: skip


def cached_steps(ns) -> frozenset[int] | None:
    """The steps after the prompt at which greedy generate, within block_size, feeds the model less than the whole
    context (it reads the rest from a KV cache), up to where it raises if it does; None when that cannot be seen (no
    GPT, or fewer than two forward calls)."""
    fed: list[int] = []

    def record(module, args, kwargs):
        idx = args[0] if args else kwargs.get("idx")
        fed.append(int(idx.shape[-1]) if hasattr(idx, "shape") else -1)

    try:
        model = _loaded(ns.GPT(ns.GPTConfig(**ONE_LAYER)), _state_of("generate", 17))
        handle = model.register_forward_pre_hook(record, with_kwargs=True)
    except Exception:
        return None
    try:
        prompt = torch.randint(0, 64, (1, 4), generator=torch.Generator().manual_seed(24))
        model.generate(prompt, 5, temperature=0)
    except Exception:
        pass  # what it fed before it raised still says whether it uses a cache
    finally:
        handle.remove()
    # a step fed less than the whole context (4 + step tokens) reads the rest from a cache
    return frozenset(step for step, n in enumerate(fed) if step and n < 4 + step) if len(fed) > 1 else None


def _confirm_data(ns) -> list[tuple]:
    import numpy as np

    tokens = list(range(7, 90))
    return [
        _call(lambda: [ns.DataLoader(tokens, 3, 4).next_batch() for _ in range(9)]),
        _call(lambda: [ns.DataLoader(np.array(tokens, dtype=np.int32), 2, 2, rank=2, world_size=3).next_batch()
                       for _ in range(6)]),
    ]  # fmt: skip


def _confirm_training(ns) -> list[tuple]:
    g = torch.Generator().manual_seed(65)
    batches = [(torch.randint(0, 8, (3, 2), generator=g), torch.randint(0, 8, (3, 2), generator=g)) for _ in range(2)]

    # a checkpoint at another step after another number of batches (v15: a loader rebuilt from the step count was
    # "repaired" by int(step) written bool(step), right only where step and batches happened to agree)
    return [_call(lambda: [ns.get_lr(s, 1e-3, 1e-4, 5, 20) for s in range(24)]), _call(_groups, ns, 0.2, 3e-4, True),
            _call(_step, ns, batches, 0.2, 0.05), _call(_checkpoint_round_trip, ns, 5, 3)]  # fmt: skip


def _confirm_tokenizer(ns) -> list[tuple]:
    text = "Hello hello HELLO, world's worlds! 999 + 99 = 1098\n\n  tabs\tand  spaces ääää " * 4
    trained = _call(lambda: ns.Tokenizer().train(text, 256 + 25))
    if trained[0] == "raised":
        return [trained]
    tok = trained[1]
    # 'abcd' cuts 'ab' + 'cd' or 'abc' + 'd'; BPE merges ab, then cd (lower than abc): its pair is (ab, cd), not
    # the last cut (a repair that tried cuts from the right matched the observer's 'abc' by luck)
    ranks = _ranks(b"ab", b"cd", b"abc", b"abcd")
    return [
        _call(lambda: sorted(tok.merges.items())),
        _call(lambda: tok.encode_ordinary("hello worlds!! 1098ää\n x")),
        _call(lambda: tok.decode(tok.encode("x<|endoftext|>y", allowed_special="all"))),
        _call(lambda: sorted(ns.Tokenizer.from_ranks(ranks).merges.items())),
        *_pre_tokens(ns, "Hello, WORLD's 2024 1 22 333\r\n  x\t\ty!?... 'tis ünï"),
    ]


CONFIRMERS: dict[str, Callable] = {
    "config": _observe_config(((36, 6, 65), (40, 3, 50304))),
    "layernorm": _observe_layernorm(24, 21, (3, -1.3, (10.0, 1e-3, 1e-5)), lambda rows: rows[:1, :1]),
    # wider than the search's modules, 3 heads of 32: a repair right only while 4 * n_embd <= 256 (v18: a hidden
    # width rounded up to a multiple of 256, "repaired" by another rounding) is no fix
    **{kind: _observe_module(kind, 17, ((3, 5, 96), (1, 1, 96)), WIDE) for kind in _BUILD},
    "gpt": _confirm_gpt,
    "generate": _confirm_generate,
    "data": _confirm_data,
    "training": _confirm_training,
    "pretrained": lambda ns: _observe_pretrained(ns, (24, 25)),
    "tokenizer": _confirm_tokenizer,
}

# generate's calls whose tokens no sampler decides (temperature 0, top_k 1): a sampler written otherwise than
# torch.multinomial on the generator draws other tokens than GPT-2's even when right (spec/probes_sampling.py)
GREEDY = {"generate": functools.partial(_observe_generate, greedy_only=True)}
GREEDY_CONFIRMERS = {"generate": functools.partial(_confirm_generate, greedy_only=True)}

# what spec/probes_repair.py shares: the same calls, comparisons and endless-loop stop
observed, same_observations, bounded, matches = _observed, _same, _bounded, _matches
