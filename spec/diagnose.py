"""Where a GPT stops agreeing with Hugging Face's, and which known bug that looks like.

``explain(model, hf, idx, targets)`` runs both models (same weights, same input) with forward
hooks on every component in data-flow order (embeddings, then per block ln_1, attn, ln_2,
mlp and the block's output, then ln_f and the head), finds the first whose output diverges,
and says where (max abs/rel diff, index, first wrong position). It then runs HF's component
on *your* component's input: if that reproduces your output, the component is right and its
input is wrong (the wiring around it); if not, it compares your output with the known bugs
(missing mask, wrong scale, head split, eps, biased variance, GELU variant, post-LN, missing
positions, untied head, loss shifts...) computed from HF's weights, and names the one that fits.

spec/test_gpt.py calls it from the parity test's failure path.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .assertions import _first_bad_position, _index

Fn = Callable[[torch.Tensor], torch.Tensor]
BTC = ("B", "T", "C")


def explain(model: nn.Module, hf: nn.Module, idx: torch.Tensor, targets: torch.Tensor | None = None) -> str:
    """A few lines for a parity failure message; never raises."""
    try:
        with torch.no_grad():
            return "Diagnosis (your activations vs HF's, same weights and input):\n" + _explain(model, hf, idx, targets)
    except Exception as exc:  # a diagnosis must never hide the failure it explains
        return f"Diagnosis unavailable: {type(exc).__name__}: {exc}"


def tolerance(dtype: torch.dtype) -> tuple[float, float]:
    """(atol, rtol) for activations: fp32 errors measured ~3e-6, fp64 ~1e-14 (see spec/test_gpt.py)."""
    return (1e-9, 1e-7) if dtype == torch.float64 else (1e-4, 1e-3)


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


def _capture(root: nn.Module, comps: list[tuple[str, nn.Module]], run: Callable[[], object]) -> dict[str, tuple]:
    """Run ``run()`` with hooks; record each component's (input, output) the first time it runs."""
    seen: dict[str, tuple] = {}
    handles = []
    for name, module in comps:
        if name == "embeddings":
            hook = _pre_hook(name, seen)
            handles.append(module.register_forward_pre_hook(hook))
        else:
            handles.append(module.register_forward_hook(_hook(name, seen)))
    try:
        run()
    finally:
        for h in handles:
            h.remove()
    return seen


def _first(x: object) -> torch.Tensor:
    return x[0] if isinstance(x, (tuple, list)) else x


def _pre_hook(name: str, seen: dict):
    def hook(module, args):
        seen.setdefault(name, (None, _first(args).detach().clone()))

    return hook


def _hook(name: str, seen: dict):
    def hook(module, args, output):
        seen.setdefault(name, (_first(args).detach().clone() if args else None, _first(output).detach().clone()))

    return hook


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
    if outside.any():
        text += f"; {int(outside.sum())}/{outside.numel()} elements off{_first_bad_position(outside, names)}"
    return not bool(outside.any()), text


def _explain(model: nn.Module, hf: nn.Module, idx: torch.Tensor, targets: torch.Tensor | None) -> str:
    comps = _components(model, hf)
    ours = _capture(model, [(n, a) for n, a, _ in comps], lambda: model(idx))
    theirs = _capture(hf, [(n, b) for n, _, b in comps], lambda: hf(idx))
    lines = []
    for name, our_module, hf_module in comps:
        if name not in ours or name not in theirs:
            lines.append(f"  {name}: not reached by your forward (is it called?)")
            return "\n".join(lines)
        (x_ours, y_ours), y_hf = ours[name], theirs[name][1]
        close, text = _diff(y_ours, y_hf)
        if close:
            continue
        lines.append(f"  first divergence: {name}: {text}")
        lines += [f"  -> {h}" for h in _hints(name, our_module, hf_module, x_ours, y_ours, y_hf, hf, ours)]
        return "\n".join(lines)
    lines.append("  every activation matches HF's, up to the logits.")
    lines += [f"  -> {h}" for h in _after_forward(model, hf, idx, targets)]
    return "\n".join(lines)


# ---------------------------------------------------------------- hints


def _hints(name, our_module, hf_module, x_ours, y_ours, y_hf, hf, captured) -> list[str]:
    part = name.split(".")[-1].split(" ")[0]
    config = hf.config
    if name == "embeddings":
        return _match(y_ours, _embedding_variants(hf, y_hf)) or ["check x = wte(idx) + wpe(arange(T))"]
    if name.startswith("lm_head"):
        return _head_hints(our_module, hf_module)
    if x_ours is not None and part in ("ln_1", "ln_2", "ln_f", "attn", "mlp"):
        same_fn, _ = _diff(y_ours, _hf_call(part, hf_module, x_ours))
        if same_fn:
            wiring = (
                f"{part} itself computes what HF's does on your input: its *input* differs, so look at the wiring "
                "around it (GPT-2 is pre-LN: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)))"
            )
            return [wiring, *_block_wiring(name, hf, captured)]
    if part.startswith("ln"):
        probe = _layernorm_probe(x_ours)  # rows of tiny variance tell the eps variants apart
        hits = _match(_first(our_module(probe)), _layernorm_variants(hf_module, probe))
        return hits or ["the LayerNorm math differs from HF's: (x - mean) / sqrt(biased var + 1e-5) * weight + bias"]
    if part == "attn":
        hints = _match(y_ours, _attention_variants(hf_module, x_ours, config.n_head))
        return hints or _position_hint(y_ours, _hf_call(part, hf_module, x_ours))
    if part == "mlp":
        return _match(y_ours, _mlp_variants(hf_module, x_ours)) or ["the MLP differs: c_fc -> GELU(tanh) -> c_proj"]
    if "block output" in name:
        return _block_wiring(name, hf, captured)
    return []


def _hf_call(part: str, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """HF's component on an input of ours (HF's attention needs its causal mask passed in)."""
    return _first(module(x, attention_mask=_mask(x)) if part == "attn" else module(x))


def _layernorm_probe(x: torch.Tensor) -> torch.Tensor:
    """Your LayerNorm's real input plus rows of standard deviation 1, 3e-3 and 1e-6, where eps = 1e-5,
    1e-12, 0 and eps-outside-the-sqrt all give visibly different results."""
    C = x.shape[-1]
    g = torch.Generator().manual_seed(0)
    rows = [x.reshape(-1, C)[:8]]
    rows += [torch.randn(8, C, generator=g, dtype=x.dtype) * std + 0.5 for std in (1.0, 3e-3, 1e-6)]
    return torch.cat(rows)[None]


def _match(actual: torch.Tensor, variants: dict[str, Fn | torch.Tensor]) -> list[str]:
    """Names of the bug variants that reproduce ``actual`` (within tolerance)."""
    hits = []
    for hint, value in variants.items():
        try:
            candidate = value() if callable(value) else value
        except Exception:
            continue
        if tuple(candidate.shape) == tuple(actual.shape) and _diff(actual, candidate)[0]:
            hits.append(f"your output matches this bug exactly: {hint}")
    return hits


def _position_hint(actual: torch.Tensor, expected: torch.Tensor) -> list[str]:
    per_t = (actual - expected).abs().amax(dim=(0, 2))
    atol, _ = tolerance(expected.dtype)
    if per_t.numel() > 1 and per_t[0] <= atol < per_t[1:].max():
        return ["position 0 is right and later ones are wrong: position 0 attends only to itself, so look at what "
                "depends on several keys: the 1/sqrt(head_dim) scale, the softmax axis, the head split"]  # fmt: skip
    if per_t.numel() > 1 and per_t[-1] <= atol < per_t[:-1].max():
        return ["the last position is right and earlier ones are wrong: the causal mask is missing or inverted"]
    return ["attention differs from HF's; run spec/test_attention.py first"]


def _conv1d(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return x @ module.weight + module.bias  # HF's Conv1D: weight is (in, out)


def _attention_variants(hf_attn: nn.Module, x: torch.Tensor, n_head: int) -> dict[str, Fn]:
    B, T, C = x.shape
    hd = C // n_head

    def attend(scale: float, mask: bool = True, split: str = "view-transpose", merge_transpose: bool = True) -> Fn:
        def run() -> torch.Tensor:
            q, k, v = _conv1d(hf_attn.c_attn, x).split(C, dim=2)
            if split == "view-transpose":
                q, k, v = (t.view(B, T, n_head, hd).transpose(1, 2) for t in (q, k, v))
            else:
                q, k, v = (t.reshape(B, n_head, T, hd) for t in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * scale
            if mask:
                causal = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)
                att = att.masked_fill(causal, float("-inf"))
            y = att.softmax(dim=-1) @ v
            y = y.transpose(1, 2).reshape(B, T, C) if merge_transpose else y.reshape(B, T, C)
            return _conv1d(hf_attn.c_proj, y)

        return run

    return {
        "no causal mask (every position sees the future)": attend(hd**-0.5, mask=False),
        "scores scaled by 1/sqrt(n_embd) instead of 1/sqrt(head_dim)": attend(C**-0.5),
        "scores scaled by 1/head_dim instead of 1/sqrt(head_dim)": attend(1.0 / hd),
        "scores not scaled at all (missing 1/sqrt(head_dim))": attend(1.0),
        "heads split with view(B, n_head, T, head_dim) instead of view(B, T, n_head, head_dim).transpose(1, 2)": (
            attend(hd**-0.5, split="reshape")
        ),
        "heads split wrong and merged without transposing back": attend(
            hd**-0.5, split="reshape", merge_transpose=False
        ),
        "heads merged without transpose(1, 2) before view(B, T, C)": attend(hd**-0.5, merge_transpose=False),
    }


def _layernorm_variants(ln: nn.Module, x: torch.Tensor) -> dict[str, Fn]:
    w, b = ln.weight, ln.bias
    mean = x.mean(-1, keepdim=True)
    var = (x - mean).pow(2).mean(-1, keepdim=True)

    def with_eps(eps: float) -> Fn:
        return lambda: (x - mean) / torch.sqrt(var + eps) * w + b

    return {
        "LayerNorm eps = 1e-12 (GPT-2 uses 1e-5)": with_eps(1e-12),
        "LayerNorm eps = 1e-6 (GPT-2 uses 1e-5)": with_eps(1e-6),
        "LayerNorm eps = 1e-3 (GPT-2 uses 1e-5)": with_eps(1e-3),
        "LayerNorm without eps": with_eps(0.0),
        "unbiased variance (x.var() divides by C-1; GPT-2 divides by C)": (
            lambda: (x - mean) / torch.sqrt(x.var(-1, keepdim=True) + 1e-5) * w + b
        ),
        "eps added to the standard deviation instead of the variance": lambda: (x - mean) / (var.sqrt() + 1e-5) * w + b,
        "LayerNorm without its weight and bias": lambda: (x - mean) / torch.sqrt(var + 1e-5),
    }


def _mlp_variants(mlp: nn.Module, x: torch.Tensor) -> dict[str, Fn]:
    h = _conv1d(mlp.c_fc, x)
    return {
        "exact (erf) GELU instead of GPT-2's tanh approximation (approximate='tanh')": (
            lambda: _conv1d(mlp.c_proj, F.gelu(h))
        ),
        "ReLU instead of GELU": lambda: _conv1d(mlp.c_proj, F.relu(h)),
        "no activation between c_fc and c_proj": lambda: _conv1d(mlp.c_proj, h),
    }


def _embedding_variants(hf: nn.Module, expected: torch.Tensor) -> dict[str, Fn]:
    wte, wpe = hf.transformer.wte.weight, hf.transformer.wpe.weight
    T = expected.shape[1]
    tokens = expected - wpe[:T]  # = wte(idx), recovered from HF's own sum

    return {
        "position embeddings missing: x = wte(idx) without + wpe(arange(T))": lambda: tokens,
        "positions start at 1 instead of 0": lambda: tokens + wpe[1 : T + 1],
        "embeddings scaled by sqrt(n_embd) (that is the original Transformer, not GPT-2)": (
            lambda: tokens * math.sqrt(wte.shape[1]) + wpe[:T]
        ),
    }


def _block_wiring(name: str, hf: nn.Module, captured: dict[str, tuple]) -> list[str]:
    """Compare your block's output with HF's block rewired in the usual wrong ways, on your block's input."""
    if not name.startswith("h."):
        return []
    i = int(name.split(".")[1].split(" ")[0])
    key = f"h.{i} (block output)"
    if key not in captured or captured[key][0] is None:
        return []
    x, y = captured[key]
    block = hf.transformer.h[i]

    def attn(x: torch.Tensor) -> torch.Tensor:
        return _first(block.attn(x, attention_mask=_mask(x)))

    def post_ln() -> torch.Tensor:
        h = block.ln_1(x + attn(x))
        return block.ln_2(h + block.mlp(h))

    def no_residual() -> torch.Tensor:
        return block.mlp(block.ln_2(attn(block.ln_1(x))))

    def shared_ln() -> torch.Tensor:
        h = x + attn(block.ln_1(x))
        return h + block.mlp(block.ln_1(h))

    return _match(
        y,
        {
            "post-LN block (the original Transformer): GPT-2 is pre-LN, x = x + attn(ln_1(x))": post_ln,
            "the residual connections are missing: x = x + ..., not x = ...": no_residual,
            "ln_1 used before the MLP instead of ln_2": shared_ln,
        },
    ) or ["compare your Block.forward with: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))"]


def _mask(x: torch.Tensor) -> torch.Tensor:
    T = x.shape[1]
    return torch.full((T, T), torch.finfo(x.dtype).min, dtype=x.dtype).triu(1)[None, None]


def _head_hints(ours: nn.Module, hf_head: nn.Module) -> list[str]:
    hints = []
    if getattr(ours, "bias", None) is not None:
        hints.append("lm_head has a bias: GPT-2's head is nn.Linear(n_embd, vocab_size, bias=False)")
    return hints or ["ln_f matches but the logits do not: logits = lm_head(ln_f(x)) with lm_head tied to wte"]


def _after_forward(model: nn.Module, hf: nn.Module, idx: torch.Tensor, targets: torch.Tensor | None) -> list[str]:
    hints = []
    if model.lm_head.weight is not model.transformer.wte.weight:
        hints.append("lm_head.weight is not wte.weight: the head is untied, so wte's gradient lacks the head's "
                     "part (self.lm_head.weight = self.transformer.wte.weight)")  # fmt: skip
    if targets is not None:
        logits, loss = model(idx, targets)
        V = logits.size(-1)
        right = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
        variants = {
            "loss summed instead of averaged (reduction='sum')": F.cross_entropy(
                logits.reshape(-1, V), targets.reshape(-1), reduction="sum"
            ),
            "targets shifted again: they already are the next tokens (HF shifts its labels; the contract does not)": (
                F.cross_entropy(logits[:, :-1].reshape(-1, V), targets[:, 1:].reshape(-1))
            ),
        }
        if loss is not None and not _diff(loss, right, dims=())[0]:
            hits = _match(loss, variants)
            hints += hits or [f"the loss {loss.item():.6g} differs from F.cross_entropy(logits, targets) = "
                              f"{right.item():.6g}"]  # fmt: skip
    return hints or ["the forward pass and the loss match: the difference is in the gradients (detached tensors? "
                     "a parameter used twice? an untied head?)"]  # fmt: skip
