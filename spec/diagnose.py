"""Where a GPT stops agreeing with Hugging Face's, and which known bug that looks like.

``explain(model, hf, idx, targets)`` runs both models (same weights, same input) with forward
hooks on every component in data-flow order (embeddings, then per block ln_1, attn, ln_2,
mlp and the block's output, then ln_f and the head), finds the first whose output diverges,
and says where (max abs/rel diff, index, first wrong position). It then runs HF's component
on *your* component's input: if that reproduces your output, the component is right and its
input is wrong (the wiring around it); if not, it compares your output with the known bugs
of spec/variants.py (missing mask, wrong scale, head split, eps, biased variance, GELU variant,
post-LN, missing positions, ...) computed from HF's weights, and names the one that fits.

Three rules keep it from misdiagnosing:
- it works in fp64 whatever the failing case's dtype (both models are cast in place and cast
  back): at fp32 tolerances a small bug hides inside each component and only the block's sum
  shows, where a wiring variant can match by accident;
- a component whose hook never fires (called through ``.forward``, a lambda or a functional
  path) is skipped, not the end of the diagnosis: the next observable tensor, usually the
  block's output, is compared instead, against HF's block with each known bug inside it;
- the oracle's LayerNorms are random (spec/oracles.py), so ln_1 and ln_2 are distinguishable.

spec/test_gpt.py calls it from the parity test's failure path. What it finds is recorded for the failure's
one Diagnosis section (gpt2spec/verdicts.py): the divergence as an observation, a reproduced known bug or a
wiring fault as a finding; the message itself gets one line saying where the divergence starts.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gpt2spec import verdicts
from gpt2spec.remote.proxy import beside

from . import variants
from .alongside import capture, first_tensor
from .assertions import _first_bad_position, _index
from .variants import tolerance

__all__ = ["explain", "tolerance"]
BTC = ("B", "T", "C")


def explain(model: nn.Module, hf: nn.Module, idx: torch.Tensor, targets: torch.Tensor | None = None) -> str:
    """A few lines for a parity failure message; never raises. Diagnoses in fp64, then restores the dtypes."""
    try:
        dtypes = (_dtype(model), _dtype(hf))
        where = "fp64"
        try:
            with torch.no_grad():
                model.to(torch.float64), hf.to(torch.float64)
                text = _explain(model, hf, idx, targets)
            if dtypes[0] != torch.float64 and "the forward pass and the loss match" in text:  # fp32-only trouble?
                own = _explain_no_grad(model.to(dtypes[0]), hf.to(dtypes[1]), idx, targets)
                if "first divergence" in own:  # only in the test's dtype: the arithmetic, not a formula, so
                    where = str(dtypes[0]).removeprefix("torch.")  # the walk's formula hints do not apply
                    verdicts.observe(f"in fp64 every activation and the loss match HF's, in {where} they do not: "
                                     "something depends on the dtype (float16 or bfloat16 arithmetic, autocast, a "
                                     "constant such as torch.finfo(x.dtype).eps)")  # fmt: skip
                    text = next(ln for ln in own.splitlines() if "first divergence" in ln)
                else:
                    text += f"\n  (in fp64; in {dtypes[0]}:)\n" + own
        except Exception:  # e.g. a model that hard-codes float32 somewhere: diagnose in its own dtype
            where = str(dtypes[0]).removeprefix("torch.")
            text = _explain_no_grad(model.to(dtypes[0]), hf.to(dtypes[1]), idx, targets)
        finally:
            model.to(dtypes[0]), hf.to(dtypes[1])
        lines = text.splitlines()
        for line in lines:  # the hints: "-> ..." lines; a reproduced bug was recorded by _exact
            if line.strip().startswith("-> ") and _MATCHED not in line:
                verdicts.observe(line.strip()[3:])
        first = next((ln.strip() for ln in lines if "first divergence" in ln or "every activation" in ln), "")
        if first:
            verdicts.observe(f"{first} (your activations vs HF's, same weights and input, in {where})")
        return f"Where it starts: {first or 'see the Diagnosis below'}"
    except Exception as exc:  # a diagnosis must never hide the failure it explains
        return f"(first-divergence walk unavailable: {type(exc).__name__}: {exc})"


def _dtype(module: nn.Module) -> torch.dtype:
    return next((p.dtype for p in module.parameters() if p.is_floating_point()), torch.float32)


def _explain_no_grad(model, hf, idx, targets) -> str:
    with torch.no_grad():
        return _explain(model, hf, idx, targets)


# ---------------------------------------------------------------- capture


def _components(model: nn.Module, hf: nn.Module) -> list[tuple[str, nn.Module, nn.Module]]:
    """(name, ours, HF's) in data-flow order. The embeddings are read as the first block's input."""
    ours_t, hf_t = model.transformer, hf.transformer
    out = [("embeddings", ours_t.h[0], hf_t.h[0])]
    for i, (a, b) in enumerate(zip(ours_t.h, hf_t.h, strict=True)):
        out += [(f"h.{i}.{part}", getattr(a, part), getattr(b, part)) for part in ("ln_1", "attn", "ln_2", "mlp")]
        out.append((f"h.{i} (block output)", a, b))
    out += [("ln_f", ours_t.ln_f, hf_t.ln_f), ("lm_head (logits)", model.lm_head, hf.lm_head)]
    return out


def _capture(model: nn.Module, comps: list[tuple[str, nn.Module]], idx: torch.Tensor) -> dict[str, tuple]:
    """Each component's (input, output) the first time it runs in ``model(idx)``; under --isolate the hooks are
    set and read in the implementation's process (spec/alongside.py), and the tensors come back by value."""
    return beside(model, capture, model, comps, idx)


# ---------------------------------------------------------------- compare


def _diff(actual: torch.Tensor, expected: torch.Tensor, dims=BTC) -> tuple[bool, str]:
    """(close?, 'max abs diff ... at [..]; max rel diff ...; first wrong position T=..')."""
    if tuple(actual.shape) != tuple(expected.shape):
        return False, f"shape {tuple(actual.shape)} != HF's {tuple(expected.shape)}"
    atol, rtol = tolerance(expected.dtype)
    a, e = actual.double(), expected.double()
    diff = (a - e).abs().nan_to_num(nan=math.inf)
    outside = diff > atol + rtol * e.abs()
    flat = int(diff.argmax())
    where = [int(i) for i in torch.unravel_index(torch.tensor(flat), diff.shape)] if diff.dim() else []
    rel = (diff / e.abs().clamp_min(1e-30)).max().item()
    names = dims if len(dims) == diff.dim() else ()
    text = f"max abs diff {diff.max().item():.2e} at {_index(where, names)}, max rel diff {rel:.2e}"
    if torch.isnan(a).any():
        text += f"; {int(torch.isnan(a).sum())} NaN values"
    if outside.any():
        text += f"; {int(outside.sum())}/{outside.numel()} elements off{_first_bad_position(outside, names)}"
    return not bool(outside.any()), text


def _explain(model: nn.Module, hf: nn.Module, idx: torch.Tensor, targets: torch.Tensor | None) -> str:
    comps = _components(model, hf)
    ours = _capture(model, [(n, a) for n, a, _ in comps], idx)
    theirs = _capture(hf, [(n, b) for n, _, b in comps], idx)
    lines, unseen = [], []
    for name, our_module, hf_module in comps:
        if name not in ours or name not in theirs:
            unseen.append(name)  # called without its module's __call__: compare the next tensor we can see
            continue
        (x_ours, y_ours), y_hf = ours[name], theirs[name][1]
        close, text = _diff(y_ours, y_hf)
        if close:
            continue
        lines.append(f"  first divergence: {name}: {text}")
        lines += _unseen_note(unseen, name)
        lines += [f"  -> {h}" for h in _hints(name, our_module, hf_module, x_ours, y_ours, y_hf, hf, ours, idx)]
        return "\n".join(lines)
    logits, hf_logits = first_tensor(model(idx)), hf(idx).logits
    close, text = _diff(logits, hf_logits, dims=("B", "T", "V"))
    if not close:  # nothing observable diverged, yet the output does: say where we could not look
        lines.append(f"  first divergence: the logits: {text}")
        return "\n".join(lines + _unseen_note(unseen, "the logits"))
    lines.append("  every activation matches HF's, up to the logits.")
    lines += [f"  -> {h}" for h in _after_forward(model, hf, idx, targets)]
    return "\n".join(lines)


def _unseen_note(unseen: list[str], name: str) -> list[str]:
    if not unseen:
        return []
    return [f"  (not observable, so compared through {name} instead: {', '.join(unseen)}; your forward calls them "
            "without going through the module's __call__ (via .forward, a lambda or a functional path), so no "
            "hook sees them)"]  # fmt: skip


# ---------------------------------------------------------------- hints


def _hints(name, our_module, hf_module, x_ours, y_ours, y_hf, hf, captured, idx) -> list[str]:
    part = name.split(".")[-1].split(" ")[0]
    n_head = hf.config.n_head
    if name == "embeddings":
        return _exact(variants.matches(y_ours, variants.embeddings(hf, idx), idx)) or [
            "check x = wte(idx) + wpe(arange(T))"
        ]
    if name.startswith("lm_head"):
        return _head_hints(our_module)
    if x_ours is not None and part in ("ln_1", "ln_2", "ln_f", "attn", "mlp"):
        if _diff(y_ours, _hf_call(part, hf_module, x_ours))[0]:
            block = (_block_hints(name, hf, captured, wiring=False) or _between_blocks(name, hf, captured)
                     or _skipped_blocks(name, hf, captured, x_ours, idx))  # fmt: skip
            if block:
                return block
            text = f"{part} itself computes what HF's does on your input: its *input* differs (the wiring around it)"
            return _wiring(f"{part} input", text)
    if part.startswith("ln"):
        probe = _layernorm_probe(x_ours)  # rows of tiny variance tell the eps variants apart
        ours = first_tensor(our_module(probe))
        hits = variants.matches(ours, variants.layernorm(hf_module.weight, hf_module.bias), probe)
        return _exact(hits) or ["the LayerNorm math differs from HF's: (x - mean) / sqrt(biased var + 1e-5) * w + b"]
    if part == "attn":
        hints = _exact(variants.matches(y_ours, variants.attention(hf_module, n_head), x_ours))
        return hints or _position_hint(y_ours, _hf_call(part, hf_module, x_ours))
    if part == "mlp":
        return _exact(variants.matches(y_ours, variants.mlp(hf_module), x_ours)) or [
            "the MLP differs: c_fc -> GELU(tanh) -> c_proj"
        ]
    if "block output" in name:
        return _block_hints(name, hf, captured)  # the components before it matched: the residual wiring
    return []


_MATCHED = "reproduced by the known bug"


def _exact(names: list[str], evidence: str = "reproduces the diverging activation to round-off") -> list[str]:
    """Record the known bugs that reproduce this output (gpt2spec/known_bugs names) for the Diagnosis."""
    from .hints import known

    for name in names:
        verdicts.record(known(name, evidence))
    return [f"{_MATCHED} [{n}]" for n in names]


def _measured(tag: str, text: str, fix: str, evidence: str) -> list[str]:
    """Record a measured finding for the Diagnosis; the walk's line that points to it."""
    verdicts.record(verdicts.Finding(tag, text, fix, evidence=evidence))
    return [f"{_MATCHED} [{tag}]"]


def _wiring(part: str, text: str) -> list[str]:
    """A component right on its own input, wrong in place: the wiring around it, measured."""
    fix = "GPT-2 is pre-LN: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))"
    return _measured(f"block-wiring: {part}", text, fix, "each component run on your input")


def _hf_call(part: str, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """HF's component on an input of ours (HF's attention needs its causal mask passed in)."""
    return variants.hf_attention_fn(module)(x) if part == "attn" else first_tensor(module(x))


def _layernorm_probe(x: torch.Tensor) -> torch.Tensor:
    """Your LayerNorm's real input plus rows of standard deviation 1, 3e-3 and 1e-6, where eps = 1e-5,
    1e-12, 0 and eps-outside-the-sqrt all give visibly different results."""
    C = x.shape[-1]
    g = torch.Generator().manual_seed(0)
    rows = [x.reshape(-1, C)[:8]]
    rows += [torch.randn(8, C, generator=g, dtype=x.dtype) * std + 0.5 for std in (1.0, 3e-3, 1e-6)]
    return torch.cat(rows)[None]


def _position_hint(actual: torch.Tensor, expected: torch.Tensor) -> list[str]:
    per_t = (actual - expected).abs().nan_to_num(nan=math.inf).amax(dim=(0, 2))
    atol, _ = tolerance(expected.dtype)
    if per_t.numel() > 1 and per_t[0] <= atol < per_t[1:].max():
        return ["position 0 is right and later ones are wrong: position 0 attends only to itself, so look at what "
                "depends on several keys: the 1/sqrt(head_dim) scale, the softmax axis, the head split"]  # fmt: skip
    if per_t.numel() > 1 and per_t[-1] <= atol < per_t[:-1].max():
        return ["the last position is right and earlier ones are wrong: the causal mask is missing or inverted"]
    return ["attention differs from HF's; run spec/test_attention.py first"]


def _between_blocks(name: str, hf: nn.Module, captured: dict[str, tuple]) -> list[str]:
    """Block i's input is not block i-1's output: the loop in GPT.forward does something between blocks,
    fitted as ln_f applied to every block's output."""
    if not name.startswith("h.") or not name.endswith("ln_1"):
        return []
    i = int(name.split(".")[1])
    prev, cur = captured.get(f"h.{i - 1} (block output)"), captured.get(f"h.{i} (block output)")
    if i == 0 or not prev or not cur or prev[1] is None or cur[0] is None or _diff(cur[0], prev[1])[0]:
        return []
    loop = "for block in self.transformer.h: x = block(x)"
    if _diff(cur[0], hf.transformer.ln_f(prev[1].to(hf.transformer.ln_f.weight.dtype)))[0]:
        text = f"block {i}'s input is ln_f of block {i - 1}'s output: ln_f runs after every block, not once at the end"
        fix = f"{loop}; then once: x = self.transformer.ln_f(x)"
        return _measured("ln_f: after every block", text, fix, "the blocks' inputs, measured")
    if prev[0] is not None and _diff(cur[0], prev[1] + prev[0])[0]:
        text = (f"block {i}'s input is block {i - 1}'s output plus its input: GPT.forward adds the residual around "
                "each block (x = x + block(x)), and the block already adds its own")  # fmt: skip
        return _measured("blocks: residual added around each block", text, f"{loop}: the block adds the residual",
                         "the blocks' inputs and outputs, measured")  # fmt: skip
    # Block i's input is not block i-1's output, and no fit says why: the loop, not the block's own wiring (ln_1's
    # input *is* the block's input), so no block-wiring fix.
    text = f"block {i}'s input is not block {i - 1}'s output: GPT.forward's loop changes x between the blocks"
    verdicts.record(verdicts.Finding("blocks: input is not the previous output", text, kind=verdicts.OBSERVED,
                                     evidence="the blocks' inputs and outputs, measured"))  # fmt: skip
    return [f"{text} (expected: {loop})"]


def _skipped_blocks(
    name: str, hf: nn.Module, captured: dict[str, tuple], x: torch.Tensor, idx: torch.Tensor
) -> list[str]:
    """ln_f reads the output of a block that is not the last, and the blocks after it never ran: the loop in
    GPT.forward leaves blocks out (a slice such as h[:-1], a range one short); or no block ran, and ln_f reads the
    embeddings themselves (v25: blocks zipped with `cache or []`, empty without a cache)."""
    n = len(hf.transformer.h)
    ran = [i for i in range(n) if (c := captured.get(f"h.{i} (block output)")) and c[1] is not None]
    missing = [i for i in range(n) if i not in ran]
    fix = "for block in self.transformer.h: x = block(x): every block, in order, then ln_f"
    if name == "ln_f" and not ran and n:  # no hook saw a block: ln_f's input *is* the embeddings (measured)
        t = hf.transformer
        embedded = t.wte(idx) + t.wpe(torch.arange(idx.size(1), device=idx.device))
        if _diff(x, embedded.to(x.dtype))[0]:
            text = f"none of the {n} blocks runs: ln_f reads the embeddings wte(idx) + wpe(pos) themselves"
            return _measured(f"blocks: none of {n} run", text, fix, "the blocks that ran (none) and ln_f's input")
    if name != "ln_f" or not ran or not missing or not _diff(x, captured[f"h.{ran[-1]} (block output)"][1])[0]:
        return []
    last = missing == [n - 1]
    tag = "blocks: last block skipped" if last else f"blocks: {len(missing)} of {n} never run"
    text = "the last block never runs" if last else f"blocks {', '.join(map(str, missing))} never run"
    text += f": ln_f reads block {ran[-1]}'s output"
    return _measured(tag, text, fix, "the blocks that ran, measured")


def _block_hints(name: str, hf: nn.Module, captured: dict[str, tuple], wiring: bool = True) -> list[str]:
    """Compare your block's output with HF's block with each known bug inside it, on your block's input."""
    if not name.startswith("h."):
        return []
    i = int(name.split(".")[1].split(" ")[0])
    key = f"h.{i} (block output)"
    if key not in captured or captured[key][0] is None:
        return []
    x, y = captured[key]
    hits = variants.matches(y, variants.block(hf.transformer.h[i], hf.config.n_head), x)
    if hits or not wiring:
        return _exact(hits)
    text = f"every component of block {i} computes what HF's does on its input, yet the block's output differs"
    return _wiring("block output", text)


def _head_hints(ours: nn.Module) -> list[str]:
    if getattr(ours, "bias", None) is not None:
        return _exact(["lm-head-with-bias"], "lm_head has a bias parameter")
    return ["ln_f matches but the logits do not: logits = lm_head(ln_f(x)) with lm_head tied to wte"]


def _after_forward(model: nn.Module, hf: nn.Module, idx: torch.Tensor, targets: torch.Tensor | None) -> list[str]:
    hints = []
    if model.lm_head.weight is not model.transformer.wte.weight:  # measured: not the same Parameter
        hints += _exact(["untied-head"], "lm_head.weight is not wte.weight, so wte's gradient lacks the head's part")
    if targets is not None:
        logits, loss = model(idx, targets)
        V = logits.size(-1)
        if tuple(logits.shape) != (*idx.shape, V):  # v30: the view taken for the loss returned in their place
            return [f"with targets, forward returns logits of shape {tuple(logits.shape)}, not (B, T, V) = "
                    f"{(*idx.shape, V)}: flatten a copy for the loss, and return the logits as they were"]  # fmt: skip
        right = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
        losses = {
            "loss-summed": lambda _: F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), reduction="sum"),
            "loss-targets-shifted-again": (
                lambda _: F.cross_entropy(logits[:, :-1].reshape(-1, V), targets[:, 1:].reshape(-1))
            ),
        }
        if loss is not None and loss.dtype != right.dtype:  # v35: a float64 loss was said to differ "in the gradients"
            hints.append(f"the loss is {loss.dtype} where the logits are {logits.dtype} (F.cross_entropy keeps the "
                         "logits' dtype): the loss is computed in, or cast to, another precision")  # fmt: skip
        if loss is not None and not _diff(loss, right, dims=())[0]:
            hits = _exact(variants.matches(loss, losses, idx))
            hints += hits or [f"the loss {loss.item():.6g} differs from F.cross_entropy(logits, targets) = "
                              f"{right.item():.6g}"]  # fmt: skip
    return hints or ["the forward pass and the loss match: the difference is in the gradients (detached tensors? "
                     "a parameter used twice? an untied head?)"]  # fmt: skip
