"""Held-out bugs: plausible participant mistakes written independently of the known-bug library.

They measure whether the diagnosis generalises (docs/DIAGNOSIS.md, ``python -m tools.diagnosis --heldout``).
They are NOT known bugs: gpt2spec/known_bugs never imports this module, the fingerprint never runs them,
and no probe or variant was written or tuned by looking at them. Written (and committed) before the
diagnosis they measure.

Each entry is a source edit to reference/ (the library's ``Mutant`` shape, so it materialises the same way)
and ``accept``: the tags a right diagnosis names in its first verdict. A tag is what a Diagnosis section
prints in square brackets: either a known bug's name (``[unbiased-variance]``), when the held-out bug is
the same mistake written differently, or a measured family with its fitted parameter
(``[layernorm-eps: 1e-06]``). A family tag counts only with the right parameter (numbers within 1%).
"""

from __future__ import annotations

from dataclasses import dataclass

from gpt2spec.known_bugs.mutant import Mutant

_SDPA = "return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))"
_SPLIT = "q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))"
_LN_NORM = "x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt"
_LN_OUT = "return x_hat * self.weight + self.bias"
_GELU = 'F.gelu(self.c_fc(x), approximate="tanh")'
_POS = "pos = torch.arange(start, start + T, device=idx.device)"
_ENTRY = (
    "def entry(pair: tuple[int, int], count: int) -> tuple:\n"
    "            # heapq pops the smallest: the highest count, then the smallest (left bytes, right bytes).\n"
    "            return (-count, vocab[pair[0]], vocab[pair[1]], pair)"
)
_ENTRY_FIRST_SEEN = (  # a participant's first-seen order: a dict filled as pairs turn up
    "first_seen: dict = {}\n\n"
    "        def entry(pair: tuple[int, int], count: int) -> tuple:\n"
    "            return (-count, first_seen.setdefault(pair, len(first_seen)), pair)"
)
_TOPK = 'logits = logits.masked_fill(logits < kth, float("-inf"))'


def _hand_attention(mask_diagonal: int = 1, scale: str = "k.size(-1) ** -0.5") -> str:
    """A hand-written attention (as participants write it) with a given mask diagonal and scale."""
    return (
        f"att = (q @ k.transpose(-2, -1)) * ({scale})\n"
        f"        T_ = q.size(-2)\n"
        f"        future = torch.ones(T_, T_, dtype=torch.bool, device=q.device).triu({mask_diagonal})\n"
        f"        att = att.masked_fill(future, float('-inf'))\n"
        f"        return torch.softmax(att, dim=-1) @ v"
    )


@dataclass(frozen=True)
class HeldOut:
    bug: Mutant
    accept: tuple[str, ...]  # tags (without brackets) that name this bug rightly


def _m(name: str, file: str, old: str, new: str, section: str, why: str) -> Mutant:
    return Mutant(name=f"ho-{name}", file=file, old=old, new=new, catches=(), section=section, why=why)


HELDOUT: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _m("mask-sees-next", "attention.py", _SDPA, _hand_attention(2), "attention", "mask triu(2): t sees t+1"),
        ("causal-mask: sees t+1",),
    ),
    HeldOut(
        _m("mask-sees-two-ahead", "attention.py", _SDPA, _hand_attention(3), "attention", "triu(3): sees t+2"),
        ("causal-mask: sees t+2",),
    ),
    HeldOut(
        _m(
            "scale-sqrt-2hd",
            "attention.py",
            _SDPA,
            _hand_attention(1, "(2 * k.size(-1)) ** -0.5"),
            "attention",
            "scores scaled by 1/sqrt(2*head_dim)",
        ),
        ("attention-scale: 1/sqrt(2*head_dim)",),
    ),
    HeldOut(
        _m(
            "scale-multiplied",
            "attention.py",
            _SDPA,
            _hand_attention(1, "math.sqrt(k.size(-1))"),
            "attention",
            "scores multiplied by sqrt(head_dim) instead of divided",
        ),
        ("attention-scale: sqrt(head_dim)",),
    ),
    HeldOut(
        _m(
            "scale-by-hd",
            "attention.py",
            _SDPA,
            _hand_attention(1, "1.0 / k.size(-1)"),
            "attention",
            "scores divided by head_dim, not its square root",
        ),
        ("attention-scale: 1/head_dim",),
    ),
    HeldOut(
        _m(
            "head-split-reshape",
            "attention.py",
            _SPLIT,
            "q, k, v = (t.reshape(B, self.n_head, T, C // self.n_head) for t in (q, k, v))",
            "attention",
            "heads split with reshape(B, n_head, T, head_dim)",
        ),
        ("heads-split-wrong",),
    ),
    HeldOut(
        _m(
            "kv-swapped",
            "attention.py",
            "q, k, v = self.c_attn(x).split(self.n_embd, dim=2)",
            "q, v, k = self.c_attn(x).split(self.n_embd, dim=2)",
            "attention",
            "k and v swapped in the split",
        ),
        ("qkv-order: q, v, k",),
    ),
    HeldOut(
        _m(
            "c-proj-no-bias",
            "attention.py",
            "return self.c_proj(y)",
            "return y @ self.c_proj.weight.t()",
            "attention",
            "output projection without its bias",
        ),
        ("unused-parameter: c_proj.bias",),
    ),
    # ---------------------------------------------------------------- LayerNorm
    HeldOut(
        _m("ln-eps-1e-6", "layernorm.py", "eps: float = 1e-5", "eps: float = 1e-6", "layernorm", "eps 1e-6"),
        ("layernorm-eps: 1e-6",),
    ),
    HeldOut(
        _m("ln-eps-1e-8", "layernorm.py", "eps: float = 1e-5", "eps: float = 1e-8", "layernorm", "eps 1e-8"),
        ("layernorm-eps: 1e-8",),
    ),
    HeldOut(
        _m("ln-eps-1e-4", "layernorm.py", "eps: float = 1e-5", "eps: float = 1e-4", "layernorm", "eps 1e-4"),
        ("layernorm-eps: 1e-4",),
    ),
    HeldOut(
        _m("ln-no-weight", "layernorm.py", _LN_OUT, "return x_hat + self.bias", "layernorm", "weight unused"),
        ("layernorm-affine: no weight",),
    ),
    HeldOut(
        _m("ln-no-bias", "layernorm.py", _LN_OUT, "return x_hat * self.weight", "layernorm", "bias unused"),
        ("layernorm-affine: no bias",),
    ),
    HeldOut(
        _m(
            "ln-no-sqrt",
            "layernorm.py",
            _LN_NORM,
            "x_hat = (x - mean) / (var + self.eps)",
            "layernorm",
            "divides by the variance, not the standard deviation",
        ),
        ("layernorm-power: 1",),
    ),
    HeldOut(
        _m(
            "ln-var-mean-unbiased",
            "layernorm.py",
            "var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C",
            "var, _ = torch.var_mean(x, dim=-1, keepdim=True)",
            "layernorm",
            "torch.var_mean (unbiased)",
        ),
        ("unbiased-variance", "layernorm-variance: unbiased"),
    ),
    # ---------------------------------------------------------------- MLP
    HeldOut(
        _m("silu", "mlp.py", _GELU, "F.silu(self.c_fc(x))", "mlp", "SiLU instead of GELU"),
        ("gelu: silu",),
    ),
    HeldOut(
        _m(
            "hand-erf-gelu",
            "mlp.py",
            _GELU,
            "(lambda h: 0.5 * h * (1 + torch.erf(h / 2**0.5)))(self.c_fc(x))",
            "mlp",
            "exact GELU written by hand",
        ),
        ("exact-gelu", "gelu: exact"),
    ),
    HeldOut(
        _m(
            "gelu-no-cubic",
            "mlp.py",
            _GELU,
            "(lambda h: 0.5 * h * (1 + torch.tanh((2 / torch.pi) ** 0.5 * h)))(self.c_fc(x))",
            "mlp",
            "tanh GELU without the 0.044715 x^3 term",
        ),
        ("gelu: other",),
    ),
    HeldOut(
        _m(
            "c-fc-no-bias",
            "mlp.py",
            "F.gelu(self.c_fc(x),",
            "F.gelu(x @ self.c_fc.weight.t(),",
            "mlp",
            "c_fc without its bias",
        ),
        ("unused-parameter: c_fc.bias",),
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _m(
            "parallel-branches",
            "block.py",
            "x = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(x))",
            "x = x + self.attn(self.ln_1(x), cache) + self.mlp(self.ln_2(x))",
            "block",
            "attention and MLP in parallel (GPT-J style)",
        ),
        ("block-wiring: ln_2 input",),
    ),
    HeldOut(
        _m(
            "no-mlp-residual",
            "block.py",
            "x = x + self.mlp(self.ln_2(x))",
            "x = self.mlp(self.ln_2(x))",
            "block",
            "the MLP branch without its residual",
        ),
        ("block-wiring: block output",),
    ),
    # ---------------------------------------------------------------- GPT
    HeldOut(
        _m(
            "positions-reversed",
            "gpt.py",
            _POS,
            "pos = torch.arange(start + T - 1, start - 1, -1, device=idx.device)",
            "gpt",
            "positions counted from the end",
        ),
        ("positions: reversed",),
    ),
    HeldOut(
        _m(
            "positions-from-1",
            "gpt.py",
            _POS,
            "pos = torch.arange(start + 1, start + T + 1, device=idx.device)",
            "gpt",
            "positions start at 1",
        ),
        ("positions: offset 1",),
    ),
    HeldOut(
        _m(
            "embeddings-scaled",
            "gpt.py",
            "x = self.transformer.wte(idx) + self.transformer.wpe(pos)",
            "x = self.transformer.wte(idx) * math.sqrt(self.config.n_embd) + self.transformer.wpe(pos)",
            "gpt",
            "token embeddings scaled by sqrt(n_embd)",
        ),
        ("embedding-scale: sqrt(n_embd)",),
    ),
    HeldOut(
        _m(
            "head-copied-not-tied",
            "gpt.py",
            "self.lm_head.weight = self.transformer.wte.weight",
            "self.lm_head.weight = nn.Parameter(self.transformer.wte.weight.detach().clone())",
            "gpt",
            "lm_head gets a copy of wte, not wte itself",
        ),
        ("untied-head",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _m(
            "top-k-less-equal",
            "gpt.py",
            _TOPK,
            'logits = logits.masked_fill(logits <= kth, float("-inf"))',
            "generate",
            "top-k masks <= the k-th value: keeps k-1",
        ),
        ("top-k-keeps-k-minus-one", "top-k: keeps k-1"),
    ),
    HeldOut(
        _m(
            "crop-one-short",
            "gpt.py",
            "idx_cond = idx[:, -self.config.block_size :]",
            "idx_cond = idx[:, -(self.config.block_size - 1) :]",
            "generate",
            "crops to block_size - 1",
        ),
        ("generate-crop: block_size - 1",),
    ),
    HeldOut(
        _m(
            "temperature-ignored",
            "gpt.py",
            "logits = logits / temperature",
            "logits = logits",
            "generate",
            "temperature not applied when sampling",
        ),
        ("temperature: ignored",),
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _m(
            "tie-break-first-seen",
            "tokenizer.py",
            _ENTRY,
            _ENTRY_FIRST_SEEN,
            "tokenizer",
            "ties go to the pair seen first",
        ),
        ("tokenizer-tie-break: first seen",),
    ),
    HeldOut(
        _m(
            "encode-left-to-right",
            "tokenizer.py",
            "rank = min(pair_ranks)",
            "rank = next((r for r in pair_ranks if r < limit), inf)",
            "tokenizer",
            "encode merges the leftmost mergeable pair, not the lowest rank",
        ),
        ("encode-merge-order: leftmost",),
    ),
    HeldOut(
        _m(
            "encode-highest-rank",
            "tokenizer.py",
            "rank = min(pair_ranks)",
            "rank = max((r for r in pair_ranks if r < limit), default=inf)",
            "tokenizer",
            "encode merges the highest-ranked pair first",
        ),
        ("encode-merge-order: highest rank",),
    ),
    HeldOut(
        _m(
            "decode-ignore",
            "tokenizer.py",
            '.decode("utf-8", errors="replace")',
            '.decode("utf-8", errors="ignore")',
            "tokenizer",
            "decode drops invalid bytes instead of U+FFFD",
        ),
        ("decode-errors: ignore",),
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _m(
            "targets-shift-2",
            "data.py",
            "y = buf[1:].view(B, T)",
            "y = torch.cat([buf[2:], buf[:1]]).view(B, T)",
            "data",
            "targets two ahead",
        ),
        ("target-shift: 2",),
    ),
    HeldOut(
        _m("loader-stuck", "data.py", "self.batches += 1", "pass", "data", "the loader never advances"),
        ("loader: does not advance",),
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _m(
            "warmup-off-by-one",
            "training.py",
            "return max_lr * (step + 1) / warmup_steps",
            "return max_lr * step / warmup_steps",
            "training",
            "warmup starts at lr 0",
        ),
        ("lr-schedule: warmup from 0",),
    ),
    HeldOut(
        _m(
            "cosine-over-all-steps",
            "training.py",
            "decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1",
            "decay_ratio = step / max_steps",
            "training",
            "cosine over all steps, not after warmup",
        ),
        ("lr-schedule: cosine range",),
    ),
    HeldOut(
        _m(
            "loss-accum-summed",
            "training.py",
            "loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)",
            "loss_accum = loss.detach() * n + loss_accum.to(loss.device, loss.dtype)",
            "training",
            "the reported loss is summed over micro-batches",
        ),
        ("train-step: loss summed",),
    ),
]

BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT}
