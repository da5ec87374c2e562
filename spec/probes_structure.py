"""Structural probes: what is wrong with a model's structure, whatever the bug that made it.

spec/probes.py fits a parameter inside a known family; these measure properties any implementation must have,
so they name bugs nobody listed: a module that is random in eval mode, parameters of the wrong shape, one
module object at two places, the init's statistics per parameter, the contract's defaults of generate, and
generate with its KV cache against generate without it. Each is a fixed, small amount of work on a tiny model.
"""

from __future__ import annotations

import inspect
import itertools
from collections.abc import Callable
from pathlib import Path

import torch

from gpt2spec.remote.proxy import beside
from gpt2spec.verdicts import OBSERVED, Finding

from .alongside import low_precision
from .oracles import GPT2_SMALL, TINY, hf_lm, to_contract_names
from .variants import same

SMALL = dict(block_size=16, vocab_size=64, n_layer=1, n_head=4, n_embd=32)
_NAMES = {"attention": "attention", "mlp": "mlp", "block": "block", "gpt": "gpt"}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---------------------------------------------------------------- randomness in eval mode


def _module(impl, component: str) -> tuple[torch.nn.Module, Callable[[torch.nn.Module], torch.Tensor]]:
    """A fresh module of ``component`` in eval mode (fp64) and a function that runs it on a fixed input."""
    if component == "gpt":
        torch.manual_seed(0)
        model = impl.GPT(impl.GPTConfig(**TINY)).double().eval()
        idx = torch.randint(0, TINY["vocab_size"], (2, 8), generator=_gen(91))
        return model, lambda m: m(idx)[0]
    cls = {"attention": impl.CausalSelfAttention, "mlp": impl.MLP, "block": impl.Block}.get(component)
    torch.manual_seed(0)
    if cls is None:  # LayerNorm takes its width, not a config
        module = impl.LayerNorm(SMALL["n_embd"]).double().eval()
    else:
        module = cls(impl.GPTConfig(**SMALL)).double().eval()
    x = torch.randn(2, 8, SMALL["n_embd"], generator=_gen(92), dtype=torch.float64)
    return module, lambda m: m(x.clone())


def eval_randomness(impl, component: str) -> list[Finding]:
    """The same input twice in eval mode: the outputs differ, and re-seeding torch's RNG makes them equal, so
    the module draws random numbers in eval mode (dropout applied whatever self.training says). For a block or
    a model, the attention or MLP that draws them is named when it is random on its own."""
    state = torch.get_rng_state()  # building the module seeds torch: the caller's RNG is left as it was
    try:
        module, run = _module(impl, component)
    finally:
        torch.set_rng_state(state)
    if not _random(module, run):
        return []
    name = _NAMES[component]
    if component in ("block", "gpt"):  # which submodule: a random part makes its parent random too
        x = torch.randn(2, 8, SMALL["n_embd"] if component == "block" else TINY["n_embd"], generator=_gen(93))
        for part, tag in (("attn", "attention"), ("mlp", "mlp")):
            sub = _find(module, part)
            if sub is not None and _random(sub, lambda m: m(x.double().clone())) is True:
                name = tag
                break
    words = (
        f"in eval mode your {name} gives different outputs for the same input, and the same ones once torch's "
        "seed is reset: it draws random numbers in eval mode (dropout applied whatever self.training is)"
    )
    fix = (
        "dropout only in training: F.dropout(h, p, training=self.training); SDPA's dropout_p=p if self.training else 0"
    )
    return [Finding(f"{name}-dropout: in eval", words, fix, evidence="two eval-mode calls on one input, reseeded")]


def writes_input(impl, component: str) -> list[Finding]:
    """The module called on a tensor leaves that tensor as it was. One that writes into it (``x += ...``,
    ``x -= mean``, ``x.sub_``) changes its caller's residual stream, and makes every other probe's repeated
    calls on one input meaningless: so it is checked first, and said alone. The fix is said only where it is
    known: a block's residual adds, or a part that changes its input and returns a new tensor; a part that
    returns the very tensor it was given (``x.add_(...)``: a residual inside attention) is only observed,
    and the known bugs are left to name it."""
    state = torch.get_rng_state()  # building and running the module may draw: the caller's RNG is left as it was
    try:
        module, _ = _module(impl, component)
        x = torch.randn(2, 8, SMALL["n_embd"], generator=_gen(94), dtype=torch.float64)
        given = x.clone()
        out = module(x)
    finally:
        torch.set_rng_state(state)
    if torch.equal(x, given):
        return []
    name = component  # attention, layernorm, mlp or block: the part's own name
    tag, evidence = f"{name}: modifies its input in place", "the input compared before and after"
    if component != "block" and isinstance(out, torch.Tensor) and out.data_ptr() == x.data_ptr():
        words = f"your {name} writes its result into the tensor it is given and returns that same tensor"
        return [Finding(tag, words, kind=OBSERVED, evidence=evidence)]
    words = f"your {name} writes into the tensor it is given (an in-place op on its input): the caller's x changes"
    fix = (
        "x = x + self.attn(self.ln_1(x)); x = x + self.mlp(self.ln_2(x)): new tensors, not x += ..."
        if component == "block"
        else "leave the input as it is: compute new tensors, e.g. (x - mean), not x -= mean or x.sub_(...)"
    )
    return [Finding(tag, words, fix, evidence=evidence)]


def precision(impl, component: str) -> list[Finding]:
    """A float32 call, then a float64 one, every operation's result dtype recorded (spec/alongside.py, where the
    module lives): an operation that yields float16 or bfloat16 inside the module (``.half()``,
    ``dtype=torch.float16``, an autocast region of its own) rounds to about 3 significant digits whatever
    precision the caller chose; one that narrows float64 to float32 (``x.float()``), to about 7. The line is the
    participant's own, so this is measured, not guessed; it runs before the fits, which would otherwise fit that
    rounding as some parameter."""
    state = torch.get_rng_state()
    try:
        module, _ = _module(impl, component)
        hit, raised = None, ""
        for dtype in (torch.float32, torch.float64):  # then float64: a float32 kept inside it (v29's residual stream)
            module = module.to(dtype)
            if component == "gpt":
                inputs = (torch.randint(0, TINY["vocab_size"], (2, 8), generator=_gen(95)),)
            else:
                inputs = (torch.randn(2, 8, SMALL["n_embd"], generator=_gen(95), dtype=dtype),)
            try:
                hit = beside(module, low_precision, module, *inputs)
            except Exception:  # a float64 call that fails otherwise: another test's business
                if dtype == torch.float32:
                    raise
            if hit is not None:
                raised = _raised_at(module, inputs)
                break
    finally:
        torch.set_rng_state(state)
    if hit is None:
        return []
    op, dtype, file, line, source = hit
    given = "float64" if dtype == "float32" else "float32"
    place = f"{Path(file).name} line {line}"
    name = {"gpt": "GPT", "layernorm": "LayerNorm"}.get(component, component)
    digits = "7" if dtype == "float32" else "3"
    # A cast whose result then meets the caller's dtype and raises rounds nothing: the call fails (v33's c_proj
    # built in float64), so the words say that rather than "every output is rounded".
    consequence = (
        f", and the call then raises ({raised})"
        if raised
        else f": {dtype} keeps about {digits} significant digits, so every output is rounded"
    )
    words = f"your {name} computes in {dtype} when it is given {given} ({op} at {place}: `{source}`){consequence}"
    fix = (
        "compute in the dtype you are given: no .float(), .half(), .bfloat16(), dtype=torch.float16 or "
        "torch.autocast inside the module (the caller chooses the precision)"
    )
    evidence = "each operation's result dtype, a float32 and a float64 call"
    return [Finding(f"precision: {dtype}", words, fix, evidence=evidence)]


def _raised_at(module: torch.nn.Module, inputs: tuple) -> str:
    """The call's error in one line ("TypeName: first line of the message"), or "" when it returns."""
    try:
        with torch.no_grad():
            module(*inputs)
    except Exception as err:  # the participant's code may raise anything
        first = (str(err).strip().splitlines() or [""])[0][:160]
        return f"{type(err).__name__}: {first}"
    return ""


def _find(module: torch.nn.Module, part: str) -> torch.nn.Module | None:
    for name, sub in module.named_modules():
        if name == part or name.endswith(f".{part}"):
            return sub
    return None


def _random(module: torch.nn.Module, run: Callable[[torch.nn.Module], torch.Tensor]) -> bool | None:
    """True: two calls differ and reseeding reproduces them; False: two calls agree; None: not RNG-driven."""
    state = torch.get_rng_state()
    try:
        torch.manual_seed(7)
        a = run(module)
        b = run(module)
        if torch.equal(a, b) or bool((a.isnan() == b.isnan()).all() and (a == b)[~a.isnan()].all()):
            return False  # NaN where the other is NaN is the same output (a NaN bug is not randomness)
        torch.manual_seed(7)
        return True if torch.equal(run(module), a) else None
    finally:
        torch.set_rng_state(state)


# ---------------------------------------------------------------- parameters: shapes, sharing, init


def _dims(config) -> dict[int, str]:
    """Sizes named by the config field they come from (TINY's sizes are all distinct)."""
    C = config.n_embd
    named = {getattr(config, "padded_vocab_size", config.vocab_size): "padded_vocab_size"}
    named |= {k * C: f"{k}*n_embd" for k in (8, 6, 5, 3, 2)}  # a hidden width written 2 * n_embd (v23)
    named |= {config.block_size: "block_size", config.vocab_size: "vocab_size", C: "n_embd", 3 * C: "3*n_embd"}
    return named | {4 * C: "4*n_embd"}


def param_shapes(impl, within: str = "") -> list[Finding]:
    """Each parameter's shape against the contract's (HF GPT-2's, renamed): a table sized by the wrong config
    field is named by that field, e.g. wpe with vocab_size rows. ``within``: only the parameters whose name has
    it (``.mlp.``: the MLP's, for a failure of the MLP's own tests)."""
    config = impl.GPTConfig(**TINY)
    model = impl.GPT(config)
    want = to_contract_names(hf_lm(TINY, seed=0).state_dict())
    want.setdefault("lm_head.weight", want["transformer.wte.weight"])
    have = dict(model.named_parameters(remove_duplicate=False))
    moved = renamed(have, want)
    if moved:  # a parameter under another name: HF's state dict has nowhere to load it
        return [moved]
    twice = registered_twice(have, want, within)
    if twice:  # the contract's names all there, and some of them again under another
        return [twice]
    dims = _dims(config)
    if getattr(config, "padded_vocab_size", config.vocab_size) != config.vocab_size:  # padded unasked
        return [_padding(impl)]
    for name, tensor in want.items():
        if within not in name or name not in have or tuple(have[name].shape) == tuple(tensor.shape):
            continue
        got, shape = tuple(have[name].shape), tuple(tensor.shape)
        short = name.removeprefix("transformer.").removesuffix(".weight")
        short = short.split(".", 2)[2] if short.startswith("h.") else short  # h.0.mlp.c_fc: mlp.c_fc
        rows = [dims.get(n, str(n)) for n in got]
        if got:  # which field it grows with, measured: TINY's 4*block_size is also 2*n_embd (v30)
            rows[0] = _scaled_by(impl, name, got[0]) or rows[0]
        if len(got) == len(shape) and got[1:] == shape[1:]:
            tag = f"{short}: {rows[0]} rows"
            words = f"{name} has {got[0]} rows ({rows[0]}); the contract says {shape[0]} ({dims.get(shape[0])})"
        else:
            tag = f"param-shape: {short} ({', '.join(rows)})"
            words = f"{name} has shape {got}; the contract says {shape}"
        fix = f"{name}: shape {shape}, {' x '.join(dims.get(n, str(n)) for n in shape)} (spec/CONTRACT.md)"
        return [Finding(tag, words, fix, evidence="parameter shapes")]  # the first only: its fit costs four models
    return []


def _scaled_by(impl, name: str, rows: int) -> str | None:
    """The config field a parameter's row count is proportional to, fitted over four models, each with one field
    of TINY doubled: "256*n_head" when only the doubled n_head doubles it (v30: a hidden width of 4 * 64 * n_head,
    GPT-2's head size typed in), "a constant" when no field moves it. None when it does not fit one field."""
    moved = []
    for field in ("n_embd", "n_head", "block_size", "vocab_size"):
        try:
            model = impl.GPT(impl.GPTConfig(**{**TINY, field: 2 * TINY[field]}))
            n = dict(model.named_parameters(remove_duplicate=False))[name].shape[0]
        except Exception:  # a config it refuses, or the parameter under another name: no fit
            return None
        if n != rows:
            moved.append((field, n))
    if not moved:
        return f"{rows}, a constant: no config field changes it"
    if len(moved) == 1 and moved[0][1] == 2 * rows and rows % TINY[moved[0][0]] == 0:
        field = moved[0][0]
        return field if rows == TINY[field] else f"{rows // TINY[field]}*{field}"  # "vocab_size", not "1*vocab_size"
    return None


def layernorm_shapes(impl) -> list[Finding]:
    """LayerNorm(C)'s weight and bias are (C,): a gain shaped (1, 1, C) broadcasts on (B, T, C) inputs and turns a
    2-D input 3-D, which a fit of the statistics' dims reads as statistics over a fixed dim (v30)."""
    ln = impl.LayerNorm(16)
    params = dict(ln.named_parameters())
    wrong = {n: tuple(params[n].shape) for n in ("weight", "bias") if n in params and tuple(params[n].shape) != (16,)}
    if not wrong:  # right shapes; the same tensors also under a second name (v35: a wrapped nn.LayerNorm aliased)
        have = dict(ln.named_parameters(remove_duplicate=False))
        want = {n: t for n, t in have.items() if n in ("weight", "bias")}
        twice = registered_twice(
            have, want, what="LayerNorm", example="F.layer_norm(x, (C,), self.weight, self.bias, eps)"
        )
        return [twice] if twice else []
    said = ", ".join(f"{n} {shape}" for n, shape in wrong.items())
    words = (f"LayerNorm(16)'s {said}, not (16,): it broadcasts on (B, T, C) inputs, but makes a 2-D input 3-D and "
             "cannot load GPT-2's (C,) weights")  # fmt: skip
    fix = "nn.Parameter(torch.ones(ndim)) and nn.Parameter(torch.zeros(ndim)): one gain and one bias per feature"
    return [Finding(f"param-shape: layernorm {said}", words, fix, evidence="LayerNorm(16)'s parameters")]


def layernorm_output(impl) -> list[Finding]:
    """LayerNorm(C) on a (B, T, C) input returns a (B, T, C) output: the rows flattened for the statistics are viewed
    back (v35: the (B*T, C) rows returned)."""
    ln = impl.LayerNorm(16).double()
    x = torch.randn(2, 5, 16, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    with torch.no_grad():
        out = ln(x)
        want = torch.nn.functional.layer_norm(x, (16,), ln.weight, ln.bias, 1e-5)
    found = rearranged(out, want, "B, T, C", "LayerNorm")
    return [found] if found else []


def unregistered_blocks(impl) -> list[Finding]:
    """The blocks are held where torch sees them (an nn.ModuleList): a plain list keeps their parameters out of
    parameters(), state_dict(), .to() and .double(), so GPT-2's weights have nowhere to load (v30: every
    transformer.h key refused, which a loader fit read as the loader's fault)."""
    model = impl.GPT(impl.GPTConfig(**TINY))
    if any(n.startswith("transformer.h.") for n, _ in model.named_parameters()):
        return []
    blocks = getattr(getattr(model, "transformer", None), "h", None)
    if not isinstance(blocks, list | tuple) or not blocks or not all(isinstance(b, torch.nn.Module) for b in blocks):
        return []
    words = (f"transformer.h is a plain {type(blocks).__name__} of {len(blocks)} blocks: torch does not register "
             "modules held in one, so no block's parameters are the model's (not in parameters(), state_dict(), "
             ".to() or .double()), and GPT-2's transformer.h.* weights have nowhere to load")  # fmt: skip
    fix = "self.transformer.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)]) (or h=nn.ModuleList(...))"
    return [Finding("blocks: a plain list, not registered", words, fix, evidence="the model's parameter names")]


# How a round-up to a multiple m is written wrong, as functions of (vocab_size, m); the right one is the first.
_ROUND_UPS: dict[str, Callable[[int, int], int]] = {
    "(v + m - 1) // m * m": lambda v, m: (v + m - 1) // m * m,
    "(v // m + 1) * m": lambda v, m: (v // m + 1) * m,  # a whole multiple added even when v is one already
    "(v + m) // m * m": lambda v, m: (v + m) // m * m,
    "v + m": lambda v, m: v + m,
    "v // m * m": lambda v, m: v // m * m,
}


def _padding(impl) -> Finding:
    """padded_vocab_size differs from vocab_size with no padding asked for: the round-up fitted on a grid of
    (vocab_size, vocab_pad_multiple), else the library's padding-by-default bug when the default pads to 50,304."""
    evidence = "GPTConfig(vocab_size=96).padded_vocab_size"
    grid = [(96, 1), (96, 32), (100, 32), (64, 8), (65, 8)]
    try:
        got = {(v, m): impl.GPTConfig(**{**TINY, "vocab_size": v, "vocab_pad_multiple": m}).padded_vocab_size
               for v, m in grid}  # fmt: skip
    except Exception:  # no vocab_pad_multiple field: only the default can be read
        got = {}
    rules = [r for r, f in _ROUND_UPS.items() if got and all(f(v, m) == n for (v, m), n in got.items())]
    if rules and rules[0] != next(iter(_ROUND_UPS)):
        shown = ", ".join(f"{n} for ({v}, {m})" for (v, m), n in list(got.items())[:3])
        words = (f"your round-up computes padded_vocab_size as {rules[0]} (v = vocab_size, m = vocab_pad_multiple: "
                 f"{shown}); the table must have exactly vocab_size rows when vocab_size is a multiple of m already, "
                 "m = 1 (no padding) included")  # fmt: skip
        fix = "padded_vocab_size = (vocab_size + m - 1) // m * m"
        return Finding(f"vocab-padding: {rules[0]}", words, fix, evidence=evidence + " and 5 (vocab_size, m) pairs")
    from gpt2spec import bugs

    bug = bugs.by_name("vocab-padded-by-default")
    if impl.GPTConfig().padded_vocab_size == 50304:
        return Finding(bug.name, bug.why, bug.fix, evidence=evidence)
    n = impl.GPTConfig(**TINY).padded_vocab_size
    words = f"GPTConfig(vocab_size=96) has padded_vocab_size {n}: the table is padded although no padding was asked for"
    return Finding("vocab-padding: unasked", words, kind=OBSERVED, evidence=evidence)


def renamed(have: dict[str, torch.Tensor], want: dict[str, torch.Tensor], what: str = "") -> Finding | None:
    """Parameters the contract names that yours lack, each matched to one of yours that the contract lacks, of the
    same shape and, where shapes alone do not decide, the same init (LayerNorm's ones and zeros), then the nearest
    place (the same layer's, h.0's to h.0's) and the order written (norm1 before norm2 as ln_1 before ln_2):
    ``gamma`` holding what GPT-2 calls ``weight``, an MLP's ``net.0`` (an nn.Sequential) what GPT-2 calls ``c_fc``
    (v32). The maths may be right; the names are what HF's state dict loads into."""
    missing = [n for n in want if n not in have]
    extra = [n for n in have if n not in want]
    if not missing or len(missing) != len(extra):
        return None

    def same_init(ours: str, theirs: str) -> bool:
        a, b = have[ours].detach().double(), want[theirs].detach().double()
        constant = bool((b == b.flatten()[0]).all())  # ones, zeros: an init that says which parameter it is
        return not constant or bool((a == b).all())

    def shared(ours: str, theirs: str) -> int:  # leading path segments in common: h.0.mlp.net.0 with h.0.mlp.c_fc
        a, b = ours.split("."), theirs.split(".")
        return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))

    pairs, free = [], list(extra)  # extra in the order written: the first unmatched option is the likeliest
    for theirs in missing:
        options = [o for o in free if tuple(have[o].shape) == tuple(want[theirs].shape)]
        if len(options) > 1:
            options = [o for o in options if same_init(o, theirs)]
        if not options:
            return None
        nearest = max(shared(o, theirs) for o in options)
        pairs.append((next(o for o in options if shared(o, theirs) == nearest), theirs))
        free.remove(pairs[-1][0])
    renames = list(dict.fromkeys(_renamed_part(o, t) for o, t in pairs))  # per module: net.0 -> c_fc, once
    shown = ", ".join(f"{o} where GPT-2 has {t}" for o, t in renames[:4]) + (", ..." if len(renames) > 4 else "")
    words = (
        f"your {what or 'model'}'s parameters are named otherwise than GPT-2's: {shown} ({pairs[0][0]} holds what "
        f"GPT-2 calls {pairs[0][1]}): same shapes, other names, so a GPT-2 state dict (HF's ln_1.weight, "
        "attn.c_attn.weight, ...) has nowhere to load them; the contract's names are GPT-2's"
    )
    fix = "rename " + ", ".join(f"{o} -> {t}" for o, t in renames[:6])
    if any(o.split(".")[-1].isdigit() for o, _ in renames):  # net.0: an nn.Sequential numbers its layers
        fix += " (an nn.Sequential numbers its layers: give each its GPT-2 name as an attribute)"
    short = ", ".join(sorted(f"{o}->{t}" for o, t in renames))
    return Finding(f"param-names: {short}", words, fix, evidence="parameter names and shapes against the contract's")


def registered_twice(
    have: dict[str, torch.Tensor],
    want: dict[str, torch.Tensor],
    within: str = "",
    what: str = "model",
    example: str = "self.mlp(self.ln_2(x))",
) -> Finding | None:
    """Parameters of the contract's that yours also registers under a second name, the same tensor: a submodule
    assigned to a second attribute (v34: ``self.mlp_branch = nn.Sequential(self.ln_2, self.mlp)``), so the state
    dict carries both names and a GPT-2 state dict loads into neither set of keys cleanly."""
    theirs = {id(t): n for n, t in have.items() if n in want}
    twice = [(n, theirs[id(t)]) for n, t in have.items() if n not in want and within in n and id(t) in theirs]
    if not twice:
        return None
    parts = list(dict.fromkeys(_renamed_part(o, t) for o, t in twice))  # per module: mlp_branch.0 -> ln_2
    shown = ", ".join(f"{o} is your {t}" for o, t in parts[:4]) + (", ..." if len(parts) > 4 else "")
    words = (
        f"your {what} registers some of its parameters twice, under GPT-2's name and another: {shown} ({twice[0][0]} "
        f"is the tensor {twice[0][1]}). A module assigned to a second attribute (an nn.Sequential of modules the "
        "class already holds, say) puts its parameters in the state dict under both names; GPT-2's has one"
    )
    extra = sorted({o.split(".")[0] for o, _ in parts})
    fix = (f"register each parameter once, under the contract's name: drop self.{', self.'.join(extra)} and use "
           f"what it held through the contract's attributes in forward (e.g. {example})")  # fmt: skip
    short = ", ".join(sorted(f"{o}={t}" for o, t in parts))
    return Finding(f"param-names: registered twice ({short})", words, fix, evidence="parameters by identity")


def _renamed_part(ours: str, theirs: str) -> tuple[str, str]:
    """The part of two dotted names that differs, the common head and tail cut: h.0.mlp.net.0.weight against
    h.0.mlp.c_fc.weight is ("net.0", "c_fc"); h.0.ln_1.gamma against h.0.ln_1.weight is ("gamma", "weight")."""
    a, b = ours.split("."), theirs.split(".")
    while len(a) > 1 and len(b) > 1 and a[0] == b[0]:
        a, b = a[1:], b[1:]
    while len(a) > 1 and len(b) > 1 and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    return ".".join(a), ".".join(b)


def shared_modules(impl) -> list[Finding]:
    """One module object at two places in the model (the tied lm_head/wte weight is a parameter, not a module):
    every layer the same Block, say, so the layers share one set of weights."""
    model = impl.GPT(impl.GPTConfig(**TINY))
    places: dict[int, list[str]] = {}
    for name, sub in model.named_modules(remove_duplicate=False):
        if next(sub.parameters(), None) is not None:
            places.setdefault(id(sub), []).append(name)
    shared = [names for names in places.values() if len(names) > 1]
    if not shared:
        return []
    blocks = [n for n in shared[0] if n.startswith("transformer.h.") and n.count(".") == 2]
    fix = "nn.ModuleList(Block(config) for _ in range(n_layer)): one object, one set of weights, per layer"
    if len(blocks) > 1 and len(blocks) == len(shared[0]):
        words = f"{', '.join(blocks)} are one Block object: the layers share one set of weights"
        return [Finding("blocks: one block shared", words, fix, evidence="the model's modules, by identity")]
    words = f"{' and '.join(shared[0][:2])} are one module object: they share their weights"
    return [Finding(f"modules-shared: {', '.join(shared[0][:2])}", words, fix, evidence="modules by identity")]


def init_fit(impl) -> list[Finding]:
    """The init's std of every matrix fitted as one rule of its shape (std 1/sqrt(fan_in), 1/sqrt(fan_out), 1),
    where GPT-2 uses 0.02 (spec/probes.py's _init measures the per-kind stds around 0.02)."""
    shape = dict(block_size=64, vocab_size=512, n_layer=4, n_head=4, n_embd=128)
    torch.manual_seed(0)
    model = impl.GPT(impl.GPTConfig(**shape))
    # the residual projections' own scaling is spec/probes.py's _init; every other matrix follows one rule here
    mats = {n: p.detach().double() for n, p in model.named_parameters() if p.dim() == 2 and "c_proj" not in n}
    rules: dict[str, Callable[[torch.Tensor], float]] = {
        "1/sqrt(fan_in)": lambda p: p.size(-1) ** -0.5,  # nn.Linear stores (out, in): size(-1) is fan_in
        "1/sqrt(fan_out)": lambda p: p.size(0) ** -0.5,
        "1": lambda p: 1.0,
    }
    for rule, std_of in rules.items():
        if all(abs(p.std().item() / std_of(p) - 1) < 0.05 for p in mats.values()):
            words = f"every weight matrix is initialised with std {rule} (e.g. {next(iter(mats))}), not 0.02"
            fix = "N(0, 0.02) for every Linear and Embedding weight; c_proj N(0, 0.02/sqrt(2*n_layer))"
            return [Finding(f"init: std {rule}", words, fix, evidence="the init measured on a 4-layer model")]
    return []


def length_check(impl) -> list[Finding]:
    """forward accepts a sequence of exactly block_size tokens (and the contract rejects longer ones): told only
    where a shorter one runs (v32: positions made float raise at every length, and "the length check is off by
    one" was said beside the right fix, of a check that was right)."""
    model = impl.GPT(impl.GPTConfig(**TINY)).eval()
    T = TINY["block_size"]
    try:
        model(torch.zeros(1, T - 1, dtype=torch.long))
    except Exception:  # nothing to do with the length: no premise for a check off by one
        return []
    try:
        model(torch.zeros(1, T, dtype=torch.long))
    except IndexError:  # a lookup past a table, not a check (v29: positions counted from 1 reach row block_size)
        return []
    except Exception as exc:
        words = f"forward raises for a sequence of exactly block_size = {T} tokens ({type(exc).__name__}): "
        words += "the length check is off by one"
        fix = "reject only T > block_size (if T > block_size: raise)"
        return [Finding("length-check: rejects block_size", words, fix, evidence=f"forward on {T} tokens")]
    return []


# ---------------------------------------------------------------- GPTConfig's defaults

# why a default is likely to be what it is (the value a participant copied from somewhere)
_CONFIG_SOURCES = {
    ("vocab_size", 50256): "50,000 merges + 256 bytes, without <|endoftext|> (the 50,257th token)",
    ("vocab_size", 50304): "nanoGPT's padded vocabulary (a multiple of 64), a speed trick, not GPT-2's size",
    ("vocab_size", 50000): "the merges alone, without the 256 byte tokens and <|endoftext|>",
    ("block_size", 256): "nanoGPT's Shakespeare config",
    ("block_size", 512): "BERT's context length",
    ("block_size", 2048): "GPT-3's context length",
    ("n_layer", 24): "GPT-2 medium",
    ("n_embd", 1024): "GPT-2 medium",
    ("n_head", 16): "GPT-2 medium",
}


def config_defaults(impl) -> list[Finding]:
    """GPTConfig()'s fields against GPT-2 small's, one finding naming every field that differs (a known bug when
    the library has the very one); with the defaults right, the padding of the vocabulary (spec/CONTRACT.md: none
    unless asked for)."""
    try:
        config = impl.GPTConfig()
        given = {k: getattr(config, k) for k in GPT2_SMALL if hasattr(config, k)}
    except Exception:  # a default its own check refuses (v22: n_embd 1024, which 12 heads do not divide)
        given = _declared_defaults(impl.GPTConfig)
    if missing := [k for k in GPT2_SMALL if k not in given]:
        return [_missing_fields(impl, missing)]
    if refused := [k for k in GPT2_SMALL if _refused_keyword(impl, k, given[k])]:
        return [_unsettable_fields(refused, given, impl.GPTConfig)]
    wrong = {k: given.get(k) for k, v in GPT2_SMALL.items() if given.get(k) != v}
    if not wrong:
        tiny = impl.GPTConfig(**TINY)
        if getattr(tiny, "padded_vocab_size", tiny.vocab_size) != tiny.vocab_size:  # padded unasked
            return [_padding(impl)]
        return []
    if len(wrong) == 1 and wrong == {"block_size": 256}:
        from gpt2spec import bugs

        bug = bugs.by_name("config-block-size-256")
        return [Finding(bug.name, bug.why, bug.fix, evidence="GPTConfig()")]
    said = []
    for k, got in wrong.items():
        source = _CONFIG_SOURCES.get((k, got))
        said.append(f"{k} = {got!r} (GPT-2 small: {GPT2_SMALL[k]}{'; ' + source if source else ''})")
    words = "GPTConfig()'s defaults differ from GPT-2 small's: " + ", ".join(said)
    fix = "; ".join(f"{k}: int = {GPT2_SMALL[k]}" for k in wrong) + " (GPTConfig's defaults)"
    tag = "config-default: " + ", ".join(f"{k} {got!r}" for k, got in wrong.items())
    return [Finding(tag, words, fix, evidence="GPTConfig()")]


def _missing_fields(impl, missing: list[str]) -> Finding:
    """Fields of the contract GPTConfig does not have, each with the field it has instead when one is a near
    spelling (v28: ``n_layers``; the spec builds ``GPTConfig(n_layer=...)`` and reads ``config.n_layer``)."""
    import difflib

    has = sorted(_declared_defaults(impl.GPTConfig) or vars(impl.GPTConfig).get("__annotations__", {}))
    said, fixes = [], []
    for k in missing:
        near = difflib.get_close_matches(k, [h for h in has if h not in GPT2_SMALL], n=1, cutoff=0.8)
        said.append(f"{k} (it has {near[0]})" if near else k)
        fixes.append(f"rename {near[0]} to {k}" if near else f"{k}: int = {GPT2_SMALL[k]}")
    words = f"GPTConfig has no field {', '.join(said)}: the spec builds GPTConfig({missing[0]}=...) and reads it"
    tag = "config-field: " + ", ".join(f"no {k}" for k in missing)
    return Finding(tag, words, "; ".join(fixes) + " (GPTConfig's fields)", evidence="GPTConfig()")


def _refused_keyword(impl, field: str, value: object) -> bool:
    """Whether ``GPTConfig(field=value)``, its own default handed back, raises a TypeError that names the field:
    a name the instances have but the constructor does not take."""
    try:
        impl.GPTConfig(**{field: value})
    except TypeError as err:
        return field in str(err)
    except Exception:  # a check of its own: not about the keyword
        return False
    return False


def _unsettable_fields(refused: list[str], given: dict, cls: type) -> Finding:
    """Fields GPTConfig() has but GPTConfig(field=...) refuses (v29: ``block_size = 1024`` without an annotation,
    a class attribute the dataclass does not make a field of)."""
    props = _properties_over_fields(cls, refused)
    if props:  # v35: the field spelled n_embed, n_embd a read-only property over it
        said = "; ".join(f"{k} is a read-only @property over the field {f}" for k, f in props.items())
        words = f"GPTConfig({next(iter(props))}=...) raises TypeError: {said}, so no config can set it by that name"
        fix = "; ".join(f"rename the field {f} to {k} ({k}: int = ...), delete the property" for k, f in props.items())
        return Finding(f"config-field: {', '.join(props)} a property", words, fix, evidence="GPTConfig's class")
    names = ", ".join(refused)
    words = (f"GPTConfig() has {names} ({', '.join(f'{k} = {given[k]!r}' for k in refused)}), but "
             f"GPTConfig({refused[0]}=...) raises TypeError: a class attribute, not a field (a dataclass makes a "
             "field only of a name with a type annotation), so no config can set it")  # fmt: skip
    fix = "; ".join(f"annotate it: {k}: int = {given[k]!r}" for k in refused)
    return Finding(f"config-field: {names} not a field", words, fix, evidence="GPTConfig(field=its own default)")


def _properties_over_fields(cls, refused: list[str]) -> dict[str, str]:
    """Each refused name that is a property of the class, with the dataclass field it reads (the one of the
    nearest name)."""
    import dataclasses
    import difflib

    if not dataclasses.is_dataclass(cls):
        return {}
    fields = [f.name for f in dataclasses.fields(cls)]
    out = {}
    for k in refused:
        near = difflib.get_close_matches(k, fields, n=1, cutoff=0.6)
        if isinstance(inspect.getattr_static(cls, k, None), property) and near:
            out[k] = near[0]
    return out


def _declared_defaults(cls) -> dict:
    """The defaults a config class declares, read without building it (a dataclass's fields, else __init__'s)."""
    import dataclasses
    import inspect

    if dataclasses.is_dataclass(cls):
        return {f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING}
    params = inspect.signature(cls).parameters.values()
    return {p.name: p.default for p in params if p.default is not inspect.Parameter.empty}


# ---------------------------------------------------------------- generate: defaults, top-k, argmax, KV cache

_GENERATE_DEFAULTS = {"temperature": 1.0, "top_k": None, "use_kv_cache": True}  # spec/CONTRACT.md


def generate_contract(impl) -> list[Finding]:
    """generate's defaults, a top_k above the vocabulary, greedy decoding, and the KV cache, each against the
    contract, on a tiny model with HF's weights."""
    hf = hf_lm(TINY, seed=81, dtype=torch.float64)
    from .oracles import load_into

    ours = load_into(impl.GPT(impl.GPTConfig(**TINY)).double().eval(), hf, what="GPT")
    for part in (_defaults, _top_k_above_vocab, _greedy_appends, _greedy_argmax_dim, _kv_cache):
        try:
            found = part(ours)
        except Exception:
            continue
        if found:
            return found
    return []


def _defaults(ours) -> list[Finding]:
    params = inspect.signature(ours.generate).parameters
    for name, want in _GENERATE_DEFAULTS.items():
        if name in params and params[name].default is not inspect.Parameter.empty and params[name].default != want:
            got = params[name].default
            words = f"generate's {name} defaults to {got!r}; the contract's default is {want!r}"
            value = f"{got:g}" if isinstance(got, float) else str(got)
            return [Finding(f"{name}: default {value}", words, f"{name}={want!r} in generate's signature",
                            evidence="generate's signature")]  # fmt: skip
    return []


def _top_k_above_vocab(ours) -> list[Finding]:
    idx = torch.randint(0, TINY["vocab_size"], (1, 4), generator=_gen(87))
    ours.generate(idx, 1, temperature=1.0, top_k=5, generator=_gen(88))  # top-k itself runs (else: says nothing)
    try:
        ours.generate(idx, 1, temperature=1.0, top_k=10 * TINY["vocab_size"], generator=_gen(88))
    except Exception as exc:
        words = f"generate raises for a top_k larger than the vocabulary ({type(exc).__name__}); it keeps every token"
        fix = "torch.topk(logits, min(top_k, logits.size(-1)))"
        return [Finding("top-k: k > vocab raises", words, fix, evidence=f"top_k = {10 * TINY['vocab_size']}")]
    return []


def _greedy_appends(ours) -> list[Finding]:
    """Greedy generate raises, and runs once argmax keeps its dim: the argmax's (B,) result was appended."""
    idx = torch.randint(0, TINY["vocab_size"], (1, 4), generator=_gen(89))
    try:
        ours.generate(idx, 2, temperature=0.0)
        return []
    except Exception:
        pass
    real = torch.Tensor.argmax

    def keep(self, dim=None, keepdim=False):
        return real(self, dim=dim, keepdim=dim is not None)

    torch.Tensor.argmax = keep
    try:
        out = ours.generate(idx, 2, temperature=0.0)
    except Exception:
        return []
    finally:
        torch.Tensor.argmax = real
    if not torch.equal(out, _greedy(ours, idx, 2)):
        return []
    words = "greedy generate raises: argmax without keepdim gives a (B,) tensor that torch.cat cannot append to (B, T)"
    fix = "idx_next = logits.argmax(dim=-1, keepdim=True)"
    return [Finding("generate: argmax without keepdim", words, fix, evidence="reproduced with keepdim=True")]


def _greedy_argmax_dim(ours) -> list[Finding]:
    """Greedy generate is wrong (or raises), and the argmax it takes of the last position's (B, V) logits runs
    over the batch (dim 0): measured from the call itself, and reproduced by taking that argmax over the
    vocabulary instead."""
    idx = torch.randint(0, TINY["vocab_size"], (1, 4), generator=_gen(89))
    want = _greedy(ours, idx, 2)
    try:
        if torch.equal(ours.generate(idx, 2, temperature=0.0), want):
            return []
    except Exception:
        pass
    calls: list[tuple[int, int | None]] = []  # (the tensor's dims, the dim argued)
    real_method, real_fn = torch.Tensor.argmax, torch.argmax

    def over_vocab(t: torch.Tensor, dim=None, keepdim=False):
        calls.append((t.dim(), dim))
        if t.dim() == 2 and dim in (0, -2):  # over the batch: taken over the vocabulary instead
            return real_method(t, dim=-1, keepdim=True)
        return real_method(t, dim=dim, keepdim=keepdim)

    torch.Tensor.argmax, torch.argmax = over_vocab, over_vocab
    try:
        out = ours.generate(idx, 2, temperature=0.0)
    except Exception:
        return []
    finally:
        torch.Tensor.argmax, torch.argmax = real_method, real_fn
    if not calls or not all(c == calls[0] for c in calls) or calls[0][0] != 2 or calls[0][1] not in (0, -2):
        return []
    if not torch.equal(out, want):
        return []
    words = "greedy decoding takes the argmax over the batch dimension (dim 0) of the (B, V) logits, not over the "
    words += "vocabulary"
    fix = "idx_next = logits.argmax(dim=-1, keepdim=True): over the vocabulary, the last dim"
    return [Finding("generate: argmax over the batch", words, fix, evidence="argmax's dim measured; reproduced with "
                    "the argmax over the vocabulary")]  # fmt: skip


def _greedy(ours, idx: torch.Tensor, n: int) -> torch.Tensor:
    """The greedy continuation by your own forward (no generate)."""
    for _ in range(n):
        idx = torch.cat([idx, ours(idx)[0][:, -1].argmax(-1, keepdim=True)], dim=1)
    return idx


def _kv_cache(ours) -> list[Finding]:
    """Greedy generate with and without the cache: where they first differ, what the first cached forward was
    fed (the whole prompt), and whether the cache holds its keys as its values."""
    idx = torch.randint(0, TINY["vocab_size"], (1, 5), generator=_gen(90))
    plain = ours.generate(idx, 6, temperature=0.0, use_kv_cache=False)
    lengths: list[int] = []
    caches: list = []

    def seen(module, args, kwargs):
        lengths.append(args[0].shape[1])
        cache = kwargs.get("cache", args[1] if len(args) > 1 else None)
        if cache is not None:
            caches.append(cache)

    handle = ours.register_forward_pre_hook(seen, with_kwargs=True)
    try:
        cached = ours.generate(idx, 6, temperature=0.0, use_kv_cache=True)
    finally:
        handle.remove()
    if torch.equal(plain, cached) or not torch.equal(plain, _greedy(ours, idx, 6)):
        return []  # the same tokens, or the uncached path is wrong too: the cache is not what is measured
    step = int((plain[0] != cached[0]).nonzero()[0]) - 5 if plain.shape == cached.shape else -1
    fix = "the first cached step feeds the whole prompt; each layer's cache appends its own k and v"
    if lengths and lengths[0] < 5:
        words = f"with the KV cache the first forward gets {lengths[0]} of the prompt's 5 tokens: the prompt never "
        words += "enters the cache"
        fix = "feed idx[:, cache.length:] each step: the whole prompt first, then one token"
        return [Finding("kv-cache: prompt not fed", words, fix, evidence="the tokens fed to forward, measured")]
    for entry in (c for group in caches for c in (group if isinstance(group, list | tuple) else [group])):
        k, v = getattr(entry, "k", None), getattr(entry, "v", None)
        if isinstance(k, torch.Tensor) and isinstance(v, torch.Tensor) and torch.equal(k, v) and k.abs().max() > 0:
            words = "the KV cache stores the keys as the values too (cache.v equals cache.k)"
            return [Finding("kv-cache: keys stored as values", words, "self.v[:, :, start:end] = v",
                            evidence="the cache's tensors after generate")]  # fmt: skip
    writes = {_cache_writes(ours, n) for n in (5, 3)}  # confirmed: the same pattern after prompts of 5 and of 3
    if len(writes) == 1 and None not in writes:
        tag, words, fix = _CACHE_WRITES[writes.pop()]
        return [Finding(tag, words, fix, evidence="layer 0's cache after each step, prompts of 5 and of 3 tokens")]
    words = f"greedy generate with the KV cache leaves the uncached tokens at new token {step}"
    return [Finding("kv-cache: differs from no cache", words, kind=OBSERVED)]


_CACHE_WRITES = {
    "slot 0": ("kv-cache: appended at slot 0", "each append writes its new keys and values at slot 0 of the cache, "
               "not after the cached positions: the earlier ones are overwritten and the slots after them stay zero",
               "self.k[:, :, start:end] = k with start = self.length (the same for v)"),
    "zeroed": ("kv-cache: cached positions zeroed", "each append leaves the cached positions zero (the buffers are "
               "allocated anew): attention reads zero keys and values for every earlier token",
               "allocate the buffers once (if self.k is None), then copy each append into self.k[:, :, start:end]"),
}  # fmt: skip


def _cache_writes(ours, prompt: int) -> str | None:
    """Where each append after the prompt writes in layer 0's cache (``.k``, (B, nh, max_len, hd)), from snapshots
    after every cached forward: "slot 0" when the new rows land at the cache's start (the slots after the cached
    positions stay zero), "zeroed" when the earlier rows are zero after it; None when neither holds at every step."""
    idx = torch.randint(0, TINY["vocab_size"], (1, prompt), generator=_gen(91))
    snaps: list[tuple[int, int, torch.Tensor]] = []  # (tokens fed so far, tokens fed by this step, layer 0's k)

    def after(module, args, kwargs, out) -> None:
        cache = kwargs.get("cache", args[1] if len(args) > 1 else None)
        entry = cache[0] if isinstance(cache, list | tuple) and cache else cache
        k = getattr(entry, "k", None)
        if isinstance(k, torch.Tensor) and k.dim() == 4:
            fed = args[0].shape[1]
            snaps.append(((snaps[-1][0] if snaps else 0) + fed, fed, k.detach().clone()))

    handle = ours.register_forward_hook(after, with_kwargs=True)
    try:
        ours.generate(idx, 4, temperature=0.0, use_kv_cache=True)
    except Exception:
        return None
    finally:
        handle.remove()
    if len(snaps) < 3 or snaps[0][0] != prompt:
        return None

    def zero(t: torch.Tensor, a: int, b: int) -> bool:
        return bool(t[:, :, a:b].abs().max() == 0)

    kinds = set()
    for (_, _, prev), (end, n, cur) in itertools.pairwise(snaps):
        start = end - n
        if cur.shape != prev.shape or cur.shape[2] < end:
            return None
        if zero(cur, start, end) and not torch.equal(cur[:, :, :n], prev[:, :, :n]) and not zero(cur, 0, n):
            kinds.add("slot 0")
        elif zero(cur, 0, start) and not zero(prev, 0, start) and not zero(cur, start, end):
            kinds.add("zeroed")
        else:
            return None
    return kinds.pop() if len(kinds) == 1 else None


def rearranged(out: torch.Tensor, want: torch.Tensor, dims: str, what: str) -> Finding | None:
    """``out`` holds ``want``'s values in another shape: its dims permuted (logits returned (B, V, T), the layout
    F.cross_entropy takes, v35) or its leading dims flattened and never viewed back (a LayerNorm's (B*T, C) rows,
    v35). ``dims`` names want's dims ("B, T, V"); None when out is not want rearranged."""
    names = [d.strip() for d in dims.split(",")]
    got, shape = tuple(out.shape), tuple(want.shape)
    if got == shape or out.numel() != want.numel():
        return None
    evidence = f"{what}'s output, compared with the right values"
    if out.dim() == want.dim():
        for perm in itertools.permutations(range(want.dim())):
            if tuple(shape[p] for p in perm) == got and same(out, want.permute(perm)):
                said = ", ".join(names[p] for p in perm)
                words = f"{what} returns its output as ({said}), shape {got}: the right values with the dims permuted;"
                words += f" the contract's layout is ({dims}) = {shape}"
                fix = f"return the ({dims}) tensor; permute only a copy handed to a function that wants another layout"
                return Finding(f"output layout: ({said}) instead of ({dims})", words, fix, evidence=evidence)
    if same(out.reshape(shape), want) and got[-1] == shape[-1]:
        kept = ", ".join(names[-(out.dim() - 1) :]) if out.dim() > 1 else ""
        lead = " * ".join(names[: want.dim() - out.dim() + 1])
        words = f"{what} returns shape {got} for an input of shape {shape}: its rows ({lead}{', ' if kept else ''}"
        words += f"{kept}) are flattened for the computation and never viewed back; the values are right"
        fix = "return out.view(x.shape) (or reshape to the input's leading dims): the output has the input's shape"
        return Finding(f"output shape: flattened to {got}", words, fix, evidence=evidence)
    return None
