"""More fits for spec/probes.py's model families: LayerNorm's init and the dims its statistics run over, an
activation after the MLP's output, and the loss fitted against your own logits (probabilities given as logits,
positions left out). Each reproduces the output to round-off before it names anything.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gpt2spec import bugs
from gpt2spec.verdicts import Finding

from .probes_structure import renamed
from .variants import EPS, same

_LN_EVIDENCE = "fitted on rows of std 3 down to 1e-7"


def layernorm_keepdim(run, C: int) -> list[Finding]:
    """A LayerNorm that raises on (B, T, C) inputs, run on a (1, C, C) one, where statistics of shape (B, T)
    (reduced without keepdim) broadcast over the last dim by accident: which statistic lost its dim, fitted."""
    x = 0.7 + torch.randn(1, C, C, generator=torch.Generator().manual_seed(23), dtype=torch.float64)
    try:
        y = run(x)
    except Exception:
        return []
    mean = x.mean(-1, keepdim=True)
    flat = x - x.mean(-1)[:, None, :]  # the mean without keepdim, broadcast along the rows

    def norm(xc: torch.Tensor, var: torch.Tensor) -> torch.Tensor:
        return xc * torch.rsqrt(var + EPS)

    candidates = {
        "var without keepdim": norm(x - mean, (x - mean).pow(2).mean(-1)[:, None, :]),
        "mean without keepdim": norm(flat, flat.pow(2).mean(-1, keepdim=True)),
        "mean and var without keepdim": norm(flat, flat.pow(2).mean(-1)[:, None, :]),
    }
    for name, want in candidates.items():
        if same(y, want):
            stat = name.replace(" without keepdim", "")
            words = (f"the {stat} is reduced without keepdim=True: its (B, T) shape does not broadcast against "
                     "(B, T, C) (an error), or broadcasts along the wrong dim when T = C")  # fmt: skip
            fix = "mean = x.mean(-1, keepdim=True); var = (x - mean).pow(2).mean(-1, keepdim=True)"
            evidence = "an error on (B, T, C) inputs, reproduced on a (1, C, C) one"
            return [Finding(f"layernorm: {name}", words, fix, evidence=evidence)]
    return []


def layernorm_init(impl) -> list[Finding]:
    """A fresh LayerNorm's weight is ones and its bias zeros (GPT-2's init)."""
    params = dict(impl.LayerNorm(8).named_parameters())
    if set(params) != {"weight", "bias"}:
        moved = renamed(params, {"weight": torch.ones(8), "bias": torch.zeros(8)}, "LayerNorm")
        return [moved] if moved else []
    again = dict(impl.LayerNorm(8).named_parameters())
    fix = "self.weight = nn.Parameter(torch.ones(ndim)); self.bias = nn.Parameter(torch.zeros(ndim))"
    for name, want in (("weight", 1.0), ("bias", 0.0)):
        p = params[name].detach()
        if not torch.equal(p, again[name].detach()) and not torch.all(p == want):  # garbage is no parameter
            want_words = "ones" if name == "weight" else "zeros"
            words = f"a fresh LayerNorm's {name} differs from one instance to the next (drawn at random, or "
            words += f"torch.Tensor(n) / torch.empty(n) left uninitialised), not {want_words}"
            tag = f"layernorm-init: {name} differs per instance"  # random and garbage look alike: not told apart
            return [Finding(tag, words, fix, evidence="two fresh LayerNorm(8)")]
        if not torch.all(p == want):
            got = "zeros" if torch.all(p == 0) else "ones" if torch.all(p == 1) else f"mean {p.mean().item():.3g}"
            words = f"a fresh LayerNorm's {name} is {got}; GPT-2 initialises the weight to ones, the bias to zeros"
            known = f"layernorm-{name}-init-{got}"  # the library's name, when it has one
            try:
                bug = bugs.by_name(known)
                return [Finding(bug.name, bug.why, bug.fix, evidence="a fresh LayerNorm(8)")]
            except KeyError:
                return [Finding(f"layernorm-init: {name} {got}", words, fix, evidence="a fresh LayerNorm(8)")]
    return []


_DIMS = {(-1,): "C", (-2, -1): "T and C", (0, 1, 2): "B, T and C", (0, -1): "B and C", (-2,): "T"}


def layernorm_dims(x: torch.Tensor, y1: torch.Tensor) -> list[Finding]:
    """y1 (weight 1, bias 0) fitted as a LayerNorm whose mean, or variance, or both run over other dims than C
    alone: each statistic's dims fitted on its own (the variance taken around the mean as written, or around its
    own dims' mean, as x.var(dims) would)."""
    fix = "mean = x.mean(-1, keepdim=True); var = (x - mean).pow(2).mean(-1, keepdim=True)"
    for mean_dims, mean_name in _DIMS.items():
        mean = x.mean(dim=mean_dims, keepdim=True)
        for var_dims, var_name in _DIMS.items():
            if mean_dims == var_dims == (-1,):
                continue
            own = x - x.mean(dim=var_dims, keepdim=True)
            for centred in dict.fromkeys((x - mean, own), None):
                var = centred.pow(2).mean(dim=var_dims, keepdim=True)
                if not same(y1, (x - mean) / (var + EPS).sqrt()):
                    continue
                if mean_dims == var_dims:
                    words = f"your LayerNorm takes its mean and variance over {mean_name}, not over C (the last dim)"
                    tag = f"layernorm: normalises over {mean_name}"
                else:
                    words = (f"your LayerNorm takes its mean over {mean_name} and its variance over {var_name}: both "
                             "run over C (the last dim) alone")  # fmt: skip
                    tag = f"layernorm: mean over {mean_name}, variance over {var_name}"
                return [Finding(tag, words, fix, evidence="fitted on (2, 9, C) inputs")]
    return []


def layernorm_offset(x: torch.Tensor, y1: torch.Tensor, normalisation) -> list[Finding]:
    """y1 (weight 1, bias 0) fitted as a right normalisation plus one constant c on every entry: eps added to the
    normalised output (c = eps, with no eps left under the square root) or another offset. ``normalisation``
    fits what remains once c is taken away."""
    xc = x - x.mean(-1, keepdim=True)
    c = y1.mean(-1, keepdim=True)  # (x - mean) has mean 0, so a row's mean is the constant
    c0 = c.flatten()[0]
    if c0.abs() < 1e-12 or not torch.allclose(c, c0.expand_as(c), rtol=1e-3, atol=0):  # round-off of tiny rows
        return []
    z = y1 - c0
    if not same(z * (xc.abs().amax(-1, keepdim=True) / z.abs().amax(-1, keepdim=True)), xc):
        return []
    r, v = xc.abs().amax(-1) / z.abs().amax(-1), xc.pow(2).mean(-1)
    fix = "(x - mean) / sqrt(var + eps): eps under the square root, nothing added to the normalised output"
    if abs(c0 - EPS) <= 1e-3 * EPS and torch.allclose(r, v.sqrt(), rtol=1e-6, atol=0):
        words = f"eps = {EPS:g} is added to the normalised output, not to the variance under the square root"
        return [Finding("layernorm-eps: added to the output", words, fix, evidence=_LN_EVIDENCE)]
    words = f"the normalised output is shifted by {c0.item():.3g} before the weight and bias apply"
    return [Finding(f"layernorm: output offset {c0.item():.3g}", words, fix, evidence=_LN_EVIDENCE), *normalisation(z)]


def layernorm_norm(r: torch.Tensor, v: torch.Tensor, C: int) -> list[Finding]:
    """Each row's divisor r fitted as max(sqrt(C var), e): F.normalize (the L2 norm of x - mean, which is sqrt(C)
    times the std, floored at its eps) instead of the standard deviation."""
    norm = (C * v).sqrt()
    e = r[-1]  # the row of least variance shows the floor, when there is one
    if not e > norm[-1] * (1 + 1e-6) or not torch.allclose(r, norm.clamp(min=e), rtol=1e-6, atol=0):
        return []
    words = (f"each centred row is divided by its L2 norm (F.normalize), floored at {e.item():.2g}: that is sqrt(C) "
             "times the standard deviation, so the output is 1/sqrt(C) of LayerNorm's")  # fmt: skip
    fix = "(x - mean) / sqrt(var + 1e-5) with var = (x - mean).pow(2).mean(-1): the std, not the norm"
    return [Finding("layernorm: L2-normalised (norm, not std)", words, fix, evidence=_LN_EVIDENCE)]


def init_layernorms(model: torch.nn.Module) -> list[Finding]:
    """A fresh model's LayerNorms (ln_1, ln_2, ln_f) start at weight ones, bias zeros, as GPT-2's init leaves them;
    an init loop meant for Linear and Embedding weights (``hasattr(module, "weight")``) reaches them too."""
    ln = {n: p.detach().double() for n, p in model.named_parameters() if ".ln_" in f".{n}" and p.dim() == 1}
    off = {n: p for n, p in ln.items() if not bool((p == (1.0 if n.endswith("weight") else 0.0)).all())}
    if not off:
        return []
    name, p = next(iter(off.items()))
    kind = "weights" if all(n.endswith("weight") for n in off) else "parameters"
    if all(bool((q == 0).all()) for q in off.values()):  # zeroed with the biases: an init by p.dim() == 1, say
        words = (f"{len(off)} LayerNorm {kind} are zeros in a fresh model (e.g. {name}), not GPT-2's ones: the init "
                 "that zeroes the Linear biases reaches the LayerNorm gains too, and a zero gain blocks every "
                 "branch")  # fmt: skip
        fix = ("zero only the biases (nn.Linear's .bias, or names ending in .bias); LayerNorm keeps weight ones: "
               "select by module type, not by p.dim() == 1")  # fmt: skip
        return [Finding(f"init: layernorm {kind} zeroed", words, fix, evidence="a fresh model's LayerNorm parameters")]
    drawn = f"mean {p.mean().item():.2g}, std {p.std().item():.2g}" if p.numel() > 1 else f"{p.item():.3g}"
    words = (f"{len(off)} LayerNorm {kind} are not GPT-2's ones (weight) and zeros (bias) in a fresh "
             f"model (e.g. {name}: {drawn})")  # fmt: skip
    if name.endswith("weight") and abs(p.mean().item()) < 0.5:  # drawn around 0, as the Linear weights are
        words += ": the init meant for Linear and Embedding weights reaches the LayerNorms too"
        fix = ("draw N(0, 0.02) only for nn.Linear and nn.Embedding weights (isinstance), never for a module "
               "merely having a .weight: LayerNorm keeps weight ones, bias zeros")  # fmt: skip
    else:  # drawn around their own centre (v28: gains from N(1, 0.02), by an init of their own)
        words += ": they are drawn where GPT-2 sets them to exactly ones and zeros"
        fix = "LayerNorm's weight starts at exactly ones and its bias at zeros: do not draw them at init"
    return [Finding(f"init: layernorm {kind} drawn", words, fix, evidence="a fresh model's LayerNorm parameters")]


def init_biases(model: torch.nn.Module) -> list[Finding]:
    """A fresh model's Linear biases (c_attn, c_proj, c_fc) are zeros in GPT-2's init."""
    drawn = {n: p.detach().double() for n, p in model.named_parameters()
             if n.endswith(".bias") and p.dim() == 1 and "ln_" not in n and p.abs().max() > 0}  # fmt: skip
    if not drawn:
        return []
    sd = torch.cat(list(drawn.values())).std().item()
    words = f"{len(drawn)} Linear biases are initialised with std {sd:.2g} (e.g. {next(iter(drawn))}), not zeros"
    fix = "nn.init.zeros_(module.bias) for every Linear with a bias"
    return [Finding("init: biases not zeroed", words, fix, evidence="a fresh model's biases measured")]


def _std_by_kind(model: torch.nn.Module) -> dict[str, float]:
    """The mean std of a model's matrices per kind: attn.c_attn, mlp.c_proj, transformer.wte, lm_head, ..."""
    stds: dict[str, list[float]] = {}
    for name, p in model.named_parameters():
        if p.dim() == 2:
            kind = ".".join(n for n in name.split(".")[-3:-1] if not n.isdigit()) or name
            stds.setdefault(kind, []).append(p.detach().double().std().item())
    return {k: sum(v) / len(v) for k, v in stds.items()}


def _law(model: torch.nn.Module, s: float) -> str:
    """N(0, s), or U(-a, a) when the largest matrix's extreme is within 2 stds of 0: 16k normal draws reach about 4
    stds, uniform ones stop at sqrt(3) (v27: an init by hand drew from U(-0.02, 0.02), std 0.0115)."""
    big = max((p.detach().double() for p in model.parameters() if p.dim() == 2), key=torch.numel)
    a = big.abs().max().item()
    if big.numel() >= 4096 and a < 2 * big.std().item():
        return f"U(-{a:.2g}, {a:.2g}) (a uniform law, std {s:.2g})"
    return f"N(0, {s:.2g})"


def init_by_tensor(model: torch.nn.Module, wider: torch.nn.Module, L: int, L2: int, fix: str, evidence: str
                   ) -> list[Finding]:  # fmt: skip
    """The init's std per weight kind, fitted as one std s for every weight GPT-2 draws from N(0, 0.02) (the
    same s in a model of another width: a std that follows the shape, 1/sqrt(fan_in) say, is not a constant),
    or the residual scaling 0.02/sqrt(2*n_layer) put on other tensors than c_proj (at both depths, L and L2)."""
    std, again = _std_by_kind(model), _std_by_kind(wider)
    residual = {k for k in std if k.endswith("c_proj")}
    plain = set(std) - residual
    scaled = 0.02 / (2 * L) ** 0.5

    def near(a: float, b: float) -> bool:
        return abs(a - b) <= 0.05 * b

    s = std[min(plain)] if plain else 0.0
    if plain and not near(s, 0.02) and all(near(std[k], s) and near(again.get(k, 0.0), s) for k in plain):
        words = f"every weight GPT-2 draws from N(0, 0.02) ({', '.join(sorted(plain))}) is drawn from {_law(model, s)}"
        return [Finding(f"init: std {s:.2g}", words, fix, evidence=evidence)]
    moved = sorted(k for k in plain if near(std[k], scaled) and near(again.get(k, 0.0), 0.02 / (2 * L2) ** 0.5))
    if moved and all(near(std[k], 0.02) for k in plain - set(moved)):
        names = ", ".join(k.split(".")[-1] for k in moved)
        if all(near(std[k], 0.02) for k in residual):
            words = f"the 0.02/sqrt(2*n_layer) init is applied to {names} instead of the residual projections (c_proj)"
            return [Finding(f"residual-init: {names}, not c_proj", words, fix, evidence=evidence)]
        words = f"the 0.02/sqrt(2*n_layer) init is applied to {names} as well as to the residual projections"
        return [Finding(f"residual-init: {names} too", words, fix, evidence=evidence)]
    return []


def mlp_output(ours, hf, x: torch.Tensor) -> list[Finding]:
    """The MLP's output with one more activation after c_proj (GPT-2's GELU is between c_fc and c_proj only), or
    with c_fc's bias added after the activation instead of before it."""
    y = ours(x)
    w1, b1, w2, b2 = hf.c_fc.weight, hf.c_fc.bias, hf.c_proj.weight, hf.c_proj.bias  # HF's Conv1D: (in, out)
    if same(y, (F.gelu(x @ w1, approximate="tanh") + b1) @ w2 + b2):
        words = "the MLP adds c_fc's bias after the GELU: gelu(x W1) + b1, not gelu(x W1 + b1)"
        fix = 'self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")): the bias inside c_fc, before the GELU'
        return [Finding("mlp: c_fc bias after the activation", words, fix, evidence="reproduced")]
    for name, fn in (("GELU", lambda t: F.gelu(t, approximate="tanh")), ("exact GELU", F.gelu)):
        if same(y, fn(hf(x))):
            words = f"the MLP applies {name} after c_proj as well as between c_fc and c_proj"
            fix = 'return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")): no activation after c_proj'
            return [Finding("mlp: activation after c_proj too", words, fix, evidence="reproduced")]
    return []


def loss_fits(flat: torch.Tensor, targets: torch.Tensor, loss: torch.Tensor, T: int) -> list[Finding]:
    """The loss against your own logits: cross-entropy of the softmax's probabilities (treated as logits), another
    objective (sigmoid BCE, nll_loss of logits or probabilities, squared error), or the mean over a subset of
    positions (the last or the first left out)."""
    fix = "loss = F.cross_entropy(logits.view(-1, V), targets.view(-1)): the logits, every position"
    evidence = "the loss fitted against your own logits"
    if torch.allclose(loss, F.cross_entropy(F.softmax(flat, -1), targets), rtol=1e-9, atol=1e-12):
        words = "cross_entropy is given probabilities (softmax first); it takes the logits and applies log_softmax"
        return [Finding("loss: softmax before cross-entropy", words, fix, evidence=evidence)]
    onehot = F.one_hot(targets, flat.size(-1)).to(flat.dtype)
    for tag, other, words in (  # another objective on the same logits (v16: a per-class sigmoid loss)
        ("sigmoid binary cross-entropy", F.binary_cross_entropy_with_logits(flat, onehot),
         "the loss is a per-class sigmoid (binary cross-entropy against one-hot targets, averaged over the "
         "vocabulary), not the softmax cross-entropy"),
        ("nll_loss on logits", F.nll_loss(flat, targets),
         "nll_loss is given the logits: it expects log-probabilities (log_softmax first), or use cross_entropy"),
        ("nll_loss on probabilities", F.nll_loss(F.softmax(flat, -1), targets),
         "nll_loss is given probabilities (softmax): it expects log-probabilities (log_softmax)"),
        ("squared error on probabilities", F.mse_loss(F.softmax(flat, -1), onehot),
         "the loss is the squared error between the softmax and one-hot targets, not the cross-entropy"),
    ):  # fmt: skip
        if torch.allclose(loss, other, rtol=1e-9, atol=1e-12):
            return [Finding(f"loss: {tag}", words, fix, evidence=evidence)]
    per = F.cross_entropy(flat, targets, reduction="none").view(-1, T)
    for name, part in (("last position dropped", per[:, :-1]), ("first position dropped", per[:, 1:])):
        if torch.allclose(loss, part.mean(), rtol=1e-9, atol=1e-12):
            words = f"the loss leaves out every sequence's {name.split()[0]} position; each position has a target"
            return [Finding(f"loss: {name}", words, fix, evidence=evidence)]
    for name, part in (("last", per[:, -1]), ("first", per[:, 0])):  # one position only (v27: the last, at inference)
        if torch.allclose(loss, part.mean(), rtol=1e-9, atol=1e-12):
            words = f"the loss is the cross-entropy of each sequence's {name} position only; every position counts"
            return [Finding(f"loss: {name} position only", words, fix, evidence=evidence)]
    V, B = flat.size(-1), per.size(0)
    for size, value in (("vocab_size V", V), ("T", T), ("B", B)):  # the mean divided once more by a size
        if value > 1 and torch.allclose(loss, per.mean() / value, rtol=1e-9, atol=1e-12):
            words = f"the loss is the mean cross-entropy divided by {size} = {value}" + (
                ": a mean over the vocabulary axis too (mean of one_hot * log_softmax, where that axis sums)"
                if value == V
                else ""
            )
            return [Finding(f"loss: divided by {size.split()[-1]}", words, fix, evidence=evidence)]
    lse = torch.logsumexp(flat, -1)
    if torch.allclose(loss, (lse[:, None] - flat[:, targets]).mean(), rtol=1e-9, atol=1e-12):  # v27
        words = (
            "the target logits are taken as logits[:, targets], an N x N matrix (every row's logits at every "
            "row's target), which broadcasts against the N logsumexps: each row is scored against every target"
        )
        fix = "the target logit of each row: logits[torch.arange(N), targets] (or logits.gather(-1, targets[:, None]))"
        return [Finding("loss: target logits indexed by column", words, fix, evidence=evidence)]
    return []
