"""More fits for spec/probes.py's model families: LayerNorm's init and the dims its statistics run over, an
activation after the MLP's output, and the loss fitted against your own logits (probabilities given as logits,
positions left out). Each reproduces the output to round-off before it names anything.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from gpt2spec import bugs
from gpt2spec.verdicts import Finding

from .variants import EPS, same


def layernorm_init(impl) -> list[Finding]:
    """A fresh LayerNorm's weight is ones and its bias zeros (GPT-2's init)."""
    params = dict(impl.LayerNorm(8).named_parameters())
    if set(params) != {"weight", "bias"}:
        return []
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


def layernorm_dims(x: torch.Tensor, y1: torch.Tensor) -> list[Finding]:
    """y1 (weight 1, bias 0) fitted as a LayerNorm whose statistics run over other dims than C alone."""
    for dims, name in (((-2, -1), "T and C"), ((0, 1, 2), "B, T and C"), ((0, -1), "B and C")):
        mean = x.mean(dim=dims, keepdim=True)
        var = (x - mean).pow(2).mean(dim=dims, keepdim=True)
        if same(y1, (x - mean) / (var + EPS).sqrt()):
            words = f"your LayerNorm takes its mean and variance over {name}, not over C (the last dim) alone"
            fix = "mean = x.mean(-1, keepdim=True); var = (x - mean).pow(2).mean(-1, keepdim=True)"
            return [Finding(f"layernorm: normalises over {name}", words, fix, evidence="fitted on (2, 9, C) inputs")]
    return []


def mlp_output(ours, hf, x: torch.Tensor) -> list[Finding]:
    """The MLP's output with one more activation after c_proj (GPT-2's GELU is between c_fc and c_proj only)."""
    y = ours(x)
    for name, fn in (("GELU", lambda t: F.gelu(t, approximate="tanh")), ("exact GELU", F.gelu)):
        if same(y, fn(hf(x))):
            words = f"the MLP applies {name} after c_proj as well as between c_fc and c_proj"
            fix = 'return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")): no activation after c_proj'
            return [Finding("mlp: activation after c_proj too", words, fix, evidence="reproduced")]
    return []


def loss_fits(flat: torch.Tensor, targets: torch.Tensor, loss: torch.Tensor, T: int) -> list[Finding]:
    """The loss against your own logits: cross-entropy of the softmax's probabilities (treated as logits), or
    the mean over a subset of positions (the last or the first left out)."""
    fix = "loss = F.cross_entropy(logits.view(-1, V), targets.view(-1)): the logits, every position"
    evidence = "the loss fitted against your own logits"
    if torch.allclose(loss, F.cross_entropy(F.softmax(flat, -1), targets), rtol=1e-9, atol=1e-12):
        words = "cross_entropy is given probabilities (softmax first); it takes the logits and applies log_softmax"
        return [Finding("loss: softmax before cross-entropy", words, fix, evidence=evidence)]
    per = F.cross_entropy(flat, targets, reduction="none").view(-1, T)
    for name, part in (("last position dropped", per[:, :-1]), ("first position dropped", per[:, 1:])):
        if torch.allclose(loss, part.mean(), rtol=1e-9, atol=1e-12):
            words = f"the loss leaves out every sequence's {name.split()[0]} position; each position has a target"
            return [Finding(f"loss: {name}", words, fix, evidence=evidence)]
    return []
