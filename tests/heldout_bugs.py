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

from dataclasses import dataclass, replace
from functools import partial

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
    # how the author wrote it: "edit" (a change at one place of the reference's code, as sets v1-v9 mostly are)
    # or "rewrite" (the piece written over in the author's own words, several lines, the mistake inside)
    written: str = "edit"


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


# ==================================================================== HELDOUT_V2
# A second held-out set, written (and committed on its own) BEFORE the diagnosis changes of issue #19's
# second round, once the first set above had been looked at (its misses are listed in docs/DIAGNOSIS.md,
# so it is now a development set). None of these is a known bug of the library written the same way, and
# none was run through the diagnosis before the diagnosis changes; they are graded once, at the end.
# Where a v2 bug is a library bug written differently, ``accept`` names that bug; otherwise it names the
# family and parameter a right diagnosis would state (families no probe measures yet included: a miss
# there is the honest result).

_ATT_SPLIT = "q, k, v = self.c_attn(x).split(self.n_embd, dim=2)"
_MERGE = "y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side"
_LN_VAR = "var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C"
_BLOCK_ATTN = "x = x + self.attn(self.ln_1(x), cache)"
_BLOCK_BOTH = "x = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(x))"
_STATS = "stats[pair] += freqs[w]\n                where[pair].add(w)"


def _v2(name: str, file: str, old: str, new: str, section: str, why: str) -> Mutant:
    return Mutant(name=f"ho2-{name}", file=file, old=old, new=new, catches=(), section=section, why=why)


HELDOUT_V2: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v2(
            "scale-by-C-hand",
            "attention.py",
            _SDPA,
            _hand_attention(1, "(q.size(1) * q.size(-1)) ** -0.5"),
            "attention",
            "scale 1/sqrt(n_head * head_dim) = 1/sqrt(C), written by hand",
        ),
        ("attention-scale-by-C", "attention-scale: 1/sqrt(n_embd)"),
    ),
    HeldOut(
        _v2(
            "mask-reversed",
            "attention.py",
            _SDPA,
            _hand_attention(-1).replace(".triu(-1)", ".tril(-1)"),
            "attention",
            "masks the past (tril) instead of the future: each position sees itself and the future",
        ),
        ("causal-mask: reversed",),
    ),
    HeldOut(
        _v2(
            "mask-filled-with-zero",
            "attention.py",
            _SDPA,
            _hand_attention(1).replace("float('-inf')", "0.0"),
            "attention",
            "masked scores set to 0 instead of -inf: the future still gets weight",
        ),
        ("causal-mask: filled with 0",),
    ),
    HeldOut(
        _v2(
            "softmax-over-queries",
            "attention.py",
            _SDPA,
            _hand_attention(1).replace("torch.softmax(att, dim=-1)", "torch.softmax(att, dim=-2)"),
            "attention",
            "hand-written softmax over the query dim",
        ),
        ("softmax-wrong-dim",),
    ),
    HeldOut(
        _v2(
            "c-attn-no-bias",
            "attention.py",
            _ATT_SPLIT,
            "q, k, v = (x @ self.c_attn.weight.t()).split(self.n_embd, dim=2)",
            "attention",
            "c_attn applied without its bias",
        ),
        ("unused-parameter: c_attn.bias",),
    ),
    HeldOut(
        _v2(
            "merge-reshape",
            "attention.py",
            _MERGE,
            "y = y.reshape(B, T, C)",
            "attention",
            "heads merged with reshape, no transpose back",
        ),
        ("heads-merged-without-transpose",),
    ),
    HeldOut(
        _v2(
            "qk-swapped",
            "attention.py",
            _ATT_SPLIT,
            "k, q, v = self.c_attn(x).split(self.n_embd, dim=2)",
            "attention",
            "q and k swapped in the split",
        ),
        ("qkv-order: k, q, v",),
    ),
    # ---------------------------------------------------------------- LayerNorm
    HeldOut(
        _v2("ln-eps-1e-3", "layernorm.py", "eps: float = 1e-5", "eps: float = 1e-3", "layernorm", "eps 1e-3"),
        ("layernorm-eps: 1e-3",),
    ),
    HeldOut(
        _v2(
            "ln-eps-squared",
            "layernorm.py",
            _LN_NORM,
            "x_hat = (x - mean) * torch.rsqrt(var + self.eps**2)",
            "layernorm",
            "eps squared inside the sqrt: behaves as eps = 1e-10",
        ),
        ("layernorm-eps: 1e-10",),
    ),
    HeldOut(
        _v2(
            "ln-torch-std",
            "layernorm.py",
            _LN_NORM,
            "x_hat = (x - mean) / (x.std(dim=-1, keepdim=True) + self.eps)",
            "layernorm",
            "x.std() (unbiased) plus eps outside the sqrt",
        ),
        ("eps-outside-sqrt + unbiased-variance", "unbiased-variance + eps-outside-sqrt"),
    ),
    HeldOut(
        _v2(
            "ln-var-summed",
            "layernorm.py",
            _LN_VAR,
            "var = (x - mean).pow(2).sum(dim=-1, keepdim=True)",
            "layernorm",
            "the variance summed over C instead of averaged",
        ),
        ("layernorm-variance: summed",),
    ),
    HeldOut(
        _v2(
            "ln-rmsnorm",
            "layernorm.py",
            _LN_NORM,
            "x_hat = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)",
            "layernorm",
            "RMSNorm (no centering) instead of LayerNorm",
        ),
        ("layernorm: rmsnorm",),
    ),
    # ---------------------------------------------------------------- MLP
    HeldOut(
        _v2(
            "gelu-constant-typo",
            "mlp.py",
            _GELU,
            "(lambda h: 0.5 * h * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (h + 0.04715 * h**3))))(self.c_fc(x))",
            "mlp",
            "hand-written tanh GELU with 0.04715 for 0.044715",
        ),
        ("gelu: other",),
    ),
    HeldOut(
        _v2(
            "gelu-after-proj",
            "mlp.py",
            'self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))',
            'F.gelu(self.c_proj(self.c_fc(x)), approximate="tanh")',
            "mlp",
            "the activation after c_proj instead of between c_fc and c_proj",
        ),
        ("mlp-order: activation after c_proj",),
    ),
    HeldOut(
        _v2(
            "mlp-c-proj-no-bias",
            "mlp.py",
            'self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))',
            'F.gelu(self.c_fc(x), approximate="tanh") @ self.c_proj.weight.t()',
            "mlp",
            "the MLP's c_proj without its bias",
        ),
        ("unused-parameter: c_proj.bias",),
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v2(
            "attn-residual-normalised",
            "block.py",
            _BLOCK_ATTN,
            "h = self.ln_1(x)\n        x = h + self.attn(h, cache)",
            "block",
            "the attention residual adds to ln_1(x), not to x",
        ),
        ("block-wiring: residual from ln_1", "residual-from-normalised"),
    ),
    HeldOut(
        _v2(
            "ln-1-ln-2-swapped",
            "block.py",
            _BLOCK_BOTH,
            "x = x + self.attn(self.ln_2(x), cache)\n        x = x + self.mlp(self.ln_1(x))",
            "block",
            "ln_2 in front of attention and ln_1 in front of the MLP",
        ),
        ("block-wiring: ln_1 and ln_2 swapped",),
    ),
    HeldOut(
        _v2(
            "no-ln-1",
            "block.py",
            _BLOCK_ATTN,
            "x = x + self.attn(x, cache)",
            "block",
            "attention reads the residual stream without ln_1",
        ),
        ("unused-parameter: ln_1", "block-wiring: ln_1 unused"),
    ),
    # ---------------------------------------------------------------- GPT
    HeldOut(
        _v2(
            "wpe-by-token-ids",
            "gpt.py",
            "x = self.transformer.wte(idx) + self.transformer.wpe(pos)",
            "x = self.transformer.wte(idx) + self.transformer.wpe(idx % self.config.block_size)",
            "gpt",
            "position embeddings looked up by token id",
        ),
        ("positions: token ids",),
    ),
    HeldOut(
        _v2(
            "logits-log-softmax",
            "gpt.py",
            "logits = self.lm_head(self.transformer.ln_f(x))",
            "logits = F.log_softmax(self.lm_head(self.transformer.ln_f(x)), dim=-1)",
            "gpt",
            "forward returns log-probabilities instead of logits",
        ),
        ("logits: log-softmax",),
    ),
    HeldOut(
        _v2(
            "residual-init-sqrt-n-layer",
            "gpt.py",
            "std=0.02 / math.sqrt(2 * config.n_layer))",
            "std=0.02 / math.sqrt(config.n_layer))",
            "gpt",
            "c_proj init scaled by 1/sqrt(n_layer), not 1/sqrt(2*n_layer)",
        ),
        ("residual-init: 1/sqrt(n_layer)",),
    ),
    HeldOut(
        _v2(
            "positions-ignore-cache",
            "gpt.py",
            _POS,
            "pos = torch.arange(0, T, device=idx.device)",
            "generate",
            "positions always start at 0, also for tokens fed after a KV cache",
        ),
        ("kv-cache-positions-restart",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v2(
            "greedy-check-none",
            "gpt.py",
            "if temperature == 0:",
            "if temperature is None:",
            "generate",
            "greedy tested with `is None`: temperature=0 divides by zero",
        ),
        ("temperature-zero-divides",),
    ),
    HeldOut(
        _v2(
            "top-k-masked-with-zero",
            "gpt.py",
            _TOPK,
            "logits = logits.masked_fill(logits < kth, 0.0)",
            "generate",
            "top-k sets the dropped logits to 0, not -inf: they can still be sampled",
        ),
        ("top-k: masked with 0",),
    ),
    HeldOut(
        _v2(
            "always-greedy",
            "gpt.py",
            "if temperature == 0:",
            "if True:",
            "generate",
            "generate always takes the argmax, whatever the temperature",
        ),
        ("generate: always greedy",),
    ),
    HeldOut(
        _v2(
            "crop-one-long",
            "gpt.py",
            "idx_cond = idx[:, -self.config.block_size :]",
            "idx_cond = idx[:, -(self.config.block_size + 1) :]",
            "generate",
            "crops to block_size + 1",
        ),
        ("generate-crop: block_size + 1", "generate-no-crop"),
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v2(
            "decode-latin-1",
            "tokenizer.py",
            '.decode("utf-8", errors="replace")',
            '.decode("latin-1")',
            "tokenizer",
            "decode reads the bytes as Latin-1",
        ),
        ("decode-encoding: latin-1",),
    ),
    HeldOut(
        _v2(
            "counts-unweighted",
            "tokenizer.py",
            _STATS,
            "stats[pair] += 1\n                where[pair].add(w)",
            "tokenizer",
            "initial pair counts ignore how often each pre-token occurs",
        ),
        ("tokenizer-counts: unweighted",),
    ),
    HeldOut(
        _v2(
            "tie-break-id-pairs",
            "tokenizer.py",
            _ENTRY,
            _ENTRY.replace("vocab[pair[0]], vocab[pair[1]]", "pair[0], pair[1]"),
            "tokenizer",
            "ties broken by the pair's ids",
        ),
        ("tie-break-by-id",),
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v2(
            "loader-stride-T",
            "data.py",
            "start = (self.batches * self.world_size + self.rank) * B * T",
            "start = (self.batches * self.world_size + self.rank) * T",
            "data",
            "the loader advances T tokens per batch, not B*T",
        ),
        ("loader-stride: T",),
    ),
    HeldOut(
        _v2(
            "rank-ignored",
            "data.py",
            "start = (self.batches * self.world_size + self.rank) * B * T",
            "start = self.batches * self.world_size * B * T",
            "data",
            "every rank reads the same slice",
        ),
        ("loader: rank ignored",),
    ),
    HeldOut(
        _v2(
            "x-y-swapped",
            "data.py",
            "x = buf[:-1].view(B, T)  # inputs\n        y = buf[1:].view(B, T)",
            "x = buf[1:].view(B, T)  # inputs\n        y = buf[:-1].view(B, T)",
            "data",
            "inputs and targets swapped",
        ),
        ("target-shift: -1",),
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v2(
            "decay-nothing",
            "training.py",
            'p.dim() >= 2], "weight_decay"',
            'p.dim() > 2], "weight_decay"',
            "training",
            "no tensor has more than 2 dims: nothing is decayed",
        ),
        ("weight-decay: none",),
    ),
    HeldOut(
        _v2(
            "betas-hardcoded",
            "training.py",
            "betas=betas, eps=eps",
            "betas=(0.9, 0.999), eps=eps",
            "training",
            "AdamW's default betas instead of the argument",
        ),
        ("adamw-betas: (0.9, 0.999)",),
    ),
    HeldOut(
        _v2(
            "linear-decay",
            "training.py",
            "coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0",
            "coeff = 1.0 - decay_ratio",
            "training",
            "linear decay instead of cosine",
        ),
        ("lr-schedule: linear decay",),
    ),
    HeldOut(
        _v2(
            "lr-zero-after-end",
            "training.py",
            "if step >= max_steps:\n        return min_lr",
            "if step >= max_steps:\n        return 0.0",
            "training",
            "lr 0 after max_steps instead of min_lr",
        ),
        ("lr-schedule: 0 after max_steps",),
    ),
]

V2_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V2}


# ==================================================================== HELDOUT_V3
# A third held-out set, written and committed on its own BEFORE the diagnosis was tuned on HELDOUT_V2 (which,
# once tuned against, becomes a development set like the first). None of these is a known bug of the library
# or a v1/v2 entry written the same way; each was checked only for validity (it materialises and a spec test
# of its section fails with the fingerprint off), never run through the diagnosis before the final run.
# ``accept`` names the known bug it is, or the family and parameter a right diagnosis would state (many are
# families no probe measures: a miss there is the honest result).

_BLOCK_MLP = "x = x + self.mlp(self.ln_2(x))"
_ATTEND = "y = self.attend(q, k, v)"
_GROUPS = (
    '{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n'
    '        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},'
)
_START = "start = (self.batches * self.world_size + self.rank) * B * T"


def _in_set(version: int, name: str, *edit: str) -> Mutant:
    """A bug of held-out set ``version``: the same fields as ``_v2`` (file, old, new, section, why), named
    ``ho{version}-``."""
    return replace(_v2(name, *edit), name=f"ho{version}-{name}")


_v3 = partial(_in_set, 3)


HELDOUT_V3: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v3(
            "mask-added-as-ones",
            "attention.py",
            _SDPA,
            "att = (q @ k.transpose(-2, -1)) * (k.size(-1) ** -0.5)\n"
            "        T_ = q.size(-2)\n"
            "        att = att + torch.ones(T_, T_, device=q.device).tril()\n"
            "        return torch.softmax(att, dim=-1) @ v",
            "attention",
            "adds the 0/1 lower-triangular matrix to the scores as if it were an additive mask: nothing is hidden",
        ),
        ("causal-mask: additive 0/1", "no-causal-mask"),
    ),
    HeldOut(
        _v3(
            "scale-after-softmax",
            "attention.py",
            _SDPA,
            "att = torch.softmax((q @ k.transpose(-2, -1)).masked_fill(\n"
            "            torch.ones(q.size(-2), q.size(-2), dtype=torch.bool, device=q.device).triu(1), float('-inf')\n"
            "        ), dim=-1)\n"
            "        return (att / math.sqrt(k.size(-1))) @ v",
            "attention",
            "divides the attention weights by sqrt(head_dim) after the softmax instead of the scores before it",
        ),
        ("attention-scale: after softmax",),
    ),
    HeldOut(
        _v3(
            "scale-by-n-head",
            "attention.py",
            _SDPA,
            _hand_attention(1, "q.size(1) ** -0.5"),
            "attention",
            "scale 1/sqrt(n_head) (q.size(1) is the head count) instead of 1/sqrt(head_dim)",
        ),
        ("attention-scale: 1/sqrt(n_head)", "attention-scale: 1.414/sqrt(head_dim)"),
    ),
    HeldOut(
        _v3(
            "values-are-queries",
            "attention.py",
            _ATTEND,
            "y = self.attend(q, k, q)",
            "attention",
            "a typo passes q as the values",
        ),
        ("qkv-order: q, k, q",),
    ),
    HeldOut(
        _v3(
            "kv-cache-not-read",
            "attention.py",
            "y = self.attend_cached(q, *cache.append(k, v))",
            "cache.append(k, v)\n            y = self.attend_cached(q, k, v)",
            "generate",
            "stores k, v in the cache but attends only to the new ones",
        ),
        ("kv-cache: cache not read",),
    ),
    # ---------------------------------------------------------------- LayerNorm
    HeldOut(
        _v3(
            "ln-var-forgot-square",
            "layernorm.py",
            _LN_VAR,
            "var = x.pow(2).mean(dim=-1, keepdim=True) - mean",
            "layernorm",
            "E[x^2] - E[x] instead of E[x^2] - E[x]^2",
        ),
        ("layernorm-variance: E[x^2] - E[x]",),
    ),
    HeldOut(
        _v3("ln-eps-0", "layernorm.py", "eps: float = 1e-5", "eps: float = 0.0", "layernorm", "no eps at all"),
        ("layernorm-eps: 0",),
    ),
    HeldOut(
        _v3(
            "ln-bias-subtracted",
            "layernorm.py",
            _LN_OUT,
            "return x_hat * self.weight - self.bias",
            "layernorm",
            "subtracts the bias",
        ),
        ("layernorm-affine: bias subtracted",),
    ),
    HeldOut(
        _v3(
            "ln-bias-before-weight",
            "layernorm.py",
            _LN_OUT,
            "return (x_hat + self.bias) * self.weight",
            "layernorm",
            "adds the bias before scaling by the weight",
        ),
        ("layernorm-affine: bias before weight",),
    ),
    # ---------------------------------------------------------------- MLP
    HeldOut(
        _v3(
            "gelu-without-half",
            "mlp.py",
            _GELU,
            "(lambda h: h * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (h + 0.044715 * h**3))))(self.c_fc(x))",
            "mlp",
            "hand-written tanh GELU without the leading 0.5: twice GELU",
        ),
        ("gelu: other", "gelu: 2x"),
    ),
    HeldOut(
        _v3("tanh-activation", "mlp.py", _GELU, "torch.tanh(self.c_fc(x))", "mlp", "tanh as the activation"),
        ("gelu: tanh-activation", "gelu: tanh", "gelu: other"),
    ),
    HeldOut(
        _v3(
            "mlp-adds-input",
            "mlp.py",
            'return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))',
            'return x + self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))',
            "mlp",
            "the MLP adds its own input (a residual inside the MLP as well as in the block)",
        ),
        ("mlp: adds its input",),
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v3(
            "mlp-residual-normalised",
            "block.py",
            _BLOCK_MLP,
            "h = self.ln_2(x)\n        x = h + self.mlp(h)",
            "block",
            "the MLP residual adds to ln_2(x), not to x",
        ),
        ("block-wiring: mlp residual normalised", "block-wiring: residual from ln_2"),
    ),
    HeldOut(
        _v3("no-ln-2", "block.py", _BLOCK_MLP, "x = x + self.mlp(x)", "block", "the MLP reads x without ln_2"),
        ("unused-parameter: ln_2", "block-wiring: ln_2 unused", "block-wiring: mlp none"),
    ),
    HeldOut(
        _v3(
            "mlp-post-ln",
            "block.py",
            _BLOCK_MLP,
            "x = self.ln_2(x + self.mlp(x))",
            "block",
            "pre-LN for attention, post-LN for the MLP",
        ),
        ("block-wiring: mlp post-ln",),
    ),
    HeldOut(
        _v3(
            "attention-twice",
            "block.py",
            _BLOCK_MLP,
            "x = x + self.attn(self.ln_2(x))",
            "block",
            "copy-paste: the second branch calls attention again, the MLP is never used",
        ),
        ("unused-parameter: mlp.c_fc, mlp.c_proj", "unused-parameter: mlp", "block-wiring: mlp is attention"),
    ),
    # ---------------------------------------------------------------- GPT, embeddings, init, loss
    HeldOut(
        _v3(
            "positions-from-wte",
            "gpt.py",
            "x = self.transformer.wte(idx) + self.transformer.wpe(pos)",
            "x = self.transformer.wte(idx) + self.transformer.wte(pos)",
            "gpt",
            "position vectors looked up in the token table",
        ),
        ("positions: token table",),
    ),
    HeldOut(
        _v3(
            "ln-f-first",
            "gpt.py",
            "for i, block in enumerate(self.transformer.h):\n"
            "            x = block(x, None if cache is None else cache[i])\n"
            "        logits = self.lm_head(self.transformer.ln_f(x))",
            "x = self.transformer.ln_f(x)\n"
            "        for i, block in enumerate(self.transformer.h):\n"
            "            x = block(x, None if cache is None else cache[i])\n"
            "        logits = self.lm_head(x)",
            "gpt",
            "the final LayerNorm applied to the embeddings, before the blocks",
        ),
        ("ln_f: before the blocks",),
    ),
    HeldOut(
        _v3(
            "embedding-default-init",
            "gpt.py",
            "if isinstance(module, (nn.Linear, nn.Embedding)):",
            "if isinstance(module, nn.Linear):",
            "gpt",
            "the embeddings keep PyTorch's N(0, 1) init",
        ),
        ("init: embeddings N(0, 1)",),
    ),
    HeldOut(
        _v3(
            "residual-init-attention-only",
            "gpt.py",
            'if name.endswith("c_proj.weight"):',
            'if name.endswith("attn.c_proj.weight"):',
            "gpt",
            "only attention's c_proj gets the 1/sqrt(2*n_layer) init, the MLP's keeps 0.02",
        ),
        ("residual-init: attention only",),
    ),
    HeldOut(
        _v3(
            "loss-ignores-token-0",
            "gpt.py",
            "targets.reshape(-1))",
            "targets.reshape(-1), ignore_index=0)",
            "loss",
            "ignore_index=0 copied from a padding recipe: targets equal to token 0 are not scored",
        ),
        ("loss: ignore_index 0",),
    ),
    HeldOut(
        _v3(
            "loss-label-smoothing",
            "gpt.py",
            "targets.reshape(-1))",
            "targets.reshape(-1), label_smoothing=0.1)",
            "loss",
            "label smoothing 0.1 in the loss",
        ),
        ("loss: label smoothing 0.1",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v3(
            "temperature-squared",
            "gpt.py",
            "logits = logits / temperature",
            "logits = logits / temperature**2",
            "generate",
            "divides the logits by the temperature squared",
        ),
        ("temperature: 4 for 2", "temperature: squared"),
    ),
    HeldOut(
        _v3(
            "top-k-threshold-row-0",
            "gpt.py",
            "kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]",
            "kth = torch.topk(logits[0], min(top_k, logits.size(-1))).values[-1]",
            "generate",
            "the top-k threshold of the first sequence used for every sequence of the batch",
        ),
        ("top-k: threshold of row 0",),
    ),
    HeldOut(
        _v3(
            "returns-new-tokens-only",
            "gpt.py",
            "idx = torch.cat((idx, idx_next), dim=1)\n        return idx",
            "idx = torch.cat((idx, idx_next), dim=1)\n        return idx[:, idx.size(1) - max_new_tokens :]",
            "generate",
            "returns only the generated tokens, without the prompt",
        ),
        ("generate: returns new tokens only",),
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v3(
            "decode-strips",
            "tokenizer.py",
            '.decode("utf-8", errors="replace")',
            '.decode("utf-8", errors="replace").strip()',
            "tokenizer",
            "decode strips leading and trailing whitespace",
        ),
        ("decode: strips whitespace",),
    ),
    HeldOut(
        _v3(
            "tie-break-right-bytes-first",
            "tokenizer.py",
            _ENTRY,
            _ENTRY.replace("vocab[pair[0]], vocab[pair[1]]", "vocab[pair[1]], vocab[pair[0]]"),
            "tokenizer",
            "ties broken by the right token's bytes first",
        ),
        ("tie-break: right bytes first",),
    ),
    HeldOut(
        _v3(
            "pattern-without-contractions",
            "tokenizer.py",
            "GPT2_PATTERN = r\"\"\"'s|'t|'re|'ve|'m|'ll|'d| ?",
            'GPT2_PATTERN = r""" ?',
            "tokenizer",
            "GPT-2's pattern typed without the contractions",
        ),
        ("pattern: no contractions",),
    ),
    HeldOut(
        _v3(
            "stops-at-count-1",
            "tokenizer.py",
            "neg_count, _, _, pair = heapq.heappop(heap)",
            "neg_count, _, _, pair = heapq.heappop(heap)\n            if -neg_count < 2:\n                break",
            "tokenizer",
            "training stops when the best pair occurs only once (a min_frequency of 2)",
        ),
        ("tokenizer: min count 2",),
    ),
    HeldOut(
        _v3(
            "from-ranks-drops-specials",
            "tokenizer.py",
            "tok._init(pattern, dict(mergeable_ranks), dict(special_tokens or {}), None)",
            "tok._init(pattern, dict(mergeable_ranks), {}, None)",
            "tokenizer",
            "from_ranks (and so load) ignores the special tokens it is given",
        ),
        ("from-ranks: specials dropped",),
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v3(
            "loader-no-wrap",
            "data.py",
            "positions = (start + torch.arange(B * T + 1)) % len(self.tokens)",
            "positions = start + torch.arange(B * T + 1)",
            "data",
            "no wrap-around: the loader indexes past the end of the tokens",
        ),
        ("loader: no wrap-around",),
    ),
    HeldOut(
        _v3(
            "loader-starts-at-1",
            "data.py",
            _START,
            _START + " + 1",
            "data",
            "every batch starts one token late (skips token 0)",
        ),
        ("loader: offset 1",),
    ),
    HeldOut(
        _v3(
            "loader-rank-offset-T",
            "data.py",
            _START,
            "start = self.batches * self.world_size * B * T + self.rank * T",
            "data",
            "ranks offset by T tokens instead of B*T: their slices overlap",
        ),
        ("loader: rank offset T",),
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v3(
            "decay-groups-inverted",
            "training.py",
            _GROUPS,
            _GROUPS.replace(
                'p.dim() >= 2], "weight_decay": weight_decay', 'p.dim() < 2], "weight_decay": weight_decay'
            ).replace('p.dim() < 2], "weight_decay": 0.0', 'p.dim() >= 2], "weight_decay": 0.0'),
            "training",
            "weight decay on the biases and gains, none on the matrices",
        ),
        ("weight-decay: vectors only",),
    ),
    HeldOut(
        _v3(
            "cosine-min-max-swapped",
            "training.py",
            "return min_lr + coeff * (max_lr - min_lr)",
            "return max_lr + coeff * (min_lr - max_lr)",
            "training",
            "min_lr and max_lr swapped in the cosine: the lr rises from min_lr to max_lr",
        ),
        ("lr-schedule: decay reversed",),
    ),
    HeldOut(
        _v3(
            "norm-after-clipping",
            "training.py",
            "norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)",
            "torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), float('inf'))",
            "training",
            "returns the gradient norm after clipping, not before",
        ),
        ("train-step: norm after clipping",),
    ),
    HeldOut(
        _v3(
            "zero-grad-per-micro-batch",
            "training.py",
            "        amp = torch.autocast(",
            "        optimizer.zero_grad(set_to_none=True)\n        amp = torch.autocast(",
            "training",
            "zero_grad inside the micro-batch loop: only the last micro-batch's gradient is used",
        ),
        ("train-step: last micro-batch gradient",),
    ),
    HeldOut(
        _v3(
            "clip-norm-hardcoded",
            "training.py",
            "clip_grad_norm_(model.parameters(), max_norm)",
            "clip_grad_norm_(model.parameters(), 1.0)",
            "training",
            "clips at 1.0 whatever max_norm is",
        ),
        ("clip: max_norm 1.0",),
    ),
]

V3_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V3}


# ==================================================================== HELDOUT_V4
# A fourth held-out set, written and committed on its own BEFORE the diagnosis is run on it (v3, once graded,
# becomes a development set like the first two). Written from the contract (spec/CONTRACT.md) and from what
# participants get wrong, not from what the probes measure. None is a known bug of the library or a v1-v3 entry
# written the same way; each was checked only for validity (it materialises and a non-slow spec test of its
# section fails with the fingerprint off), never run through the diagnosis before the final run.
# ``accept`` names the family and parameter a right diagnosis would state; a family spelled as the probes spell
# it (spec/probes.py) where one exists, otherwise a plain ``family: parameter`` marked "no probe family yet"
# (a miss there is the honest result).
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint``): 41 of the 45 fail a test.
# Spec gaps, kept because participants write them: no non-slow test catches
#   ho4-temperature-only-with-top-k  (without top_k the temperature is ignored; only the slow sampling test sees it)
#   ho4-pattern-ascii-classes        (no tokenizer test, slow or not, tells \p{L}/\p{N} from ASCII classes)
#   ho4-specials-sorted              (no test: the specials the tests pass, <|endoftext|> then <|pad|>, are sorted)
#   ho4-specials-regex-unsorted      (no test has one special token that extends another)
# (All four, and v3's top-k-threshold-row-0 and pattern-without-contractions, are caught since: docs/DIAGNOSIS.md.)
# Three candidates were dropped before the set was final. Two are invisible, not spec gaps: a Block that never
# passes its KV cache on, and a cache whose length advances by 1 per append, both leave generate's tokens exactly
# right (the first recomputes everything, the second re-feeds and overwrites the stale positions); only the speed
# differs. The third, a cached mask tril(S - T - 1), is the known mask-hides-diagonal in the cache's code path.

_SOFTMAX_CE = "loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))"
_PATTERN_CLASSES = r"| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|"
_MLP_OUT = 'self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))'


_v4 = partial(_in_set, 4)


HELDOUT_V4: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v4(
            "heads-interleaved",
            "attention.py",
            _SPLIT,
            "q, k, v = (t.view(B, T, C // self.n_head, self.n_head).permute(0, 3, 1, 2) for t in (q, k, v))",
            "attention",
            "heads split as view(B, T, head_dim, n_head): head h takes every n_head-th column, not a contiguous block",
        ),
        ("heads-split: interleaved",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "split-without-transpose",
            "attention.py",
            _SPLIT,
            "q, k, v = (t.view(B, T, self.n_head, C // self.n_head) for t in (q, k, v))",
            "attention",
            "forgot the transpose(1, 2) after the head split: attention runs over the heads of one time step",
        ),
        ("heads-split: no transpose",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "single-head",
            "attention.py",
            _SPLIT,
            "q, k, v = (t.view(B, T, 1, C).transpose(1, 2) for t in (q, k, v))",
            "attention",
            "one head of width C (the single-head version never split into n_head heads)",
        ),
        ("heads: single head",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "attention-dropout-in-eval",
            "attention.py",
            _SDPA,
            _SDPA.replace("(q, k, v, is_causal=True,", "(q, k, v, dropout_p=0.1, is_causal=True,"),
            "attention",
            "dropout_p=0.1 passed to SDPA unconditionally: it drops attention weights in eval mode too",
        ),
        ("attention-dropout: in eval",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "kv-cache-keys-as-values",
            "attention.py",
            "self.v[:, :, start:end] = v",
            "self.v[:, :, start:end] = k",
            "generate",
            "copy-paste in the cache's append: the keys are stored as the values too",
        ),
        ("kv-cache: keys stored as values",),  # no probe family yet
    ),
    # ---------------------------------------------------------------- LayerNorm
    HeldOut(
        _v4(
            "ln-var-uncentered",
            "layernorm.py",
            _LN_VAR,
            "var = x.pow(2).mean(dim=-1, keepdim=True)",
            "layernorm",
            "the variance as E[x^2], without subtracting the mean (the numerator is still centred)",
        ),
        ("layernorm-variance: E[x^2]",),  # no probe family for this parameter yet
    ),
    HeldOut(
        _v4(
            "ln-over-T-and-C",
            "layernorm.py",
            "mean = x.mean(dim=-1, keepdim=True)\n        " + _LN_VAR,
            "mean = x.mean(dim=(-2, -1), keepdim=True)\n"
            "        var = (x - mean).pow(2).mean(dim=(-2, -1), keepdim=True)",
            "layernorm",
            "statistics over the last two dims (T and C), as F.layer_norm(x, x.shape[1:]) would",
        ),
        ("layernorm: normalises over T and C",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "ln-weight-init-zeros",
            "layernorm.py",
            "self.weight = nn.Parameter(torch.ones(ndim))",
            "self.weight = nn.Parameter(torch.zeros(ndim))",
            "layernorm",
            "the gain initialised to zeros (copied the bias's line)",
        ),
        ("layernorm-init: weight zeros",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "ln-eps-1e5-typo",
            "layernorm.py",
            "eps: float = 1e-5",
            "eps: float = 1e5",
            "layernorm",
            "eps typed as 1e5 instead of 1e-5",
        ),
        ("layernorm-eps: 1e+05",),
    ),
    # ---------------------------------------------------------------- MLP
    HeldOut(
        _v4(
            "gelu-sqrt-pi-over-2",
            "mlp.py",
            _GELU,
            "(lambda h: 0.5 * h * (1 + torch.tanh((torch.pi / 2) ** 0.5 * (h + 0.044715 * h**3))))(self.c_fc(x))",
            "mlp",
            "hand-written tanh GELU with sqrt(pi/2) instead of sqrt(2/pi)",
        ),
        ("gelu: other",),
    ),
    HeldOut(
        _v4(
            "gelu-on-output-too",
            "mlp.py",
            _MLP_OUT,
            f'F.gelu({_MLP_OUT}, approximate="tanh")',
            "mlp",
            "GELU after c_proj as well as after c_fc",
        ),
        ("mlp: activation after c_proj too",),  # no probe family for this parameter yet
    ),
    HeldOut(
        _v4(
            "mlp-dropout-in-eval",
            "mlp.py",
            _MLP_OUT,
            f"F.dropout({_MLP_OUT}, 0.1)",
            "mlp",
            "F.dropout(h, 0.1) without training=self.training: F.dropout drops in eval mode too",
        ),
        ("mlp-dropout: in eval",),  # no probe family yet
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v4(
            "ln-2-before-attention",
            "block.py",
            _BLOCK_ATTN,
            "x = x + self.attn(self.ln_2(x), cache)",
            "block",
            "copy-paste: ln_2 in front of attention as well as the MLP (ln_1 is never used)",
        ),
        ("block-wiring: ln_1 unused", "unused-parameter: ln_1"),
    ),
    HeldOut(
        _v4(
            "ln-1-on-attention-output",
            "block.py",
            _BLOCK_ATTN,
            "x = x + self.ln_1(self.attn(x, cache))",
            "block",
            "ln_1 normalises the attention branch's output instead of its input",
        ),
        ("block-wiring: ln_1 on the attention output",),  # no probe family for this parameter yet
    ),
    HeldOut(
        _v4(
            "mlp-reads-attention-output",
            "block.py",
            _BLOCK_BOTH,
            "a = self.attn(self.ln_1(x), cache)\n        x = x + a\n        x = x + self.mlp(self.ln_2(a))",
            "block",
            "the MLP reads the attention output, not the residual stream",
        ),
        ("block-wiring: mlp reads attention output",),  # no probe family for this parameter yet
    ),
    # ---------------------------------------------------------------- GPT, embeddings, init, loss
    HeldOut(
        _v4(
            "wpe-vocab-rows",
            "gpt.py",
            "wpe=nn.Embedding(config.block_size, config.n_embd)",
            "wpe=nn.Embedding(config.padded_vocab_size, config.n_embd)",
            "gpt",
            "copy-paste: the position table has one row per token, not per position",
        ),
        ("wpe: vocab_size rows",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "blocks-shared",
            "gpt.py",
            "h=nn.ModuleList(Block(config) for _ in range(config.n_layer))",
            "h=nn.ModuleList([Block(config)] * config.n_layer)",
            "gpt",
            "[Block(config)] * n_layer: every layer is the same block (one set of weights)",
        ),
        ("blocks: one block shared",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "init-fan-in",
            "gpt.py",
            "nn.init.normal_(module.weight, mean=0.0, std=0.02)",
            "nn.init.normal_(module.weight, mean=0.0, std=module.weight.size(-1) ** -0.5)",
            "gpt",
            "weights drawn with std 1/sqrt(fan_in) instead of 0.02",
        ),
        ("init: std 1/sqrt(fan_in)",),  # no probe family for this parameter yet
    ),
    HeldOut(
        _v4(
            "length-check-off-by-one",
            "gpt.py",
            "if start + T > self.config.block_size:",
            "if start + T >= self.config.block_size:",
            "gpt",
            "the length check rejects a sequence of exactly block_size tokens",
        ),
        ("length-check: rejects block_size",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "loss-softmax-first",
            "gpt.py",
            _SOFTMAX_CE,
            "loss = F.cross_entropy(F.softmax(logits, dim=-1).view(-1, logits.size(-1)), targets.reshape(-1))",
            "loss",
            "cross_entropy given probabilities (softmax applied first), not logits",
        ),
        ("loss: softmax before cross-entropy",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "loss-drops-last-position",
            "gpt.py",
            _SOFTMAX_CE,
            "loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.size(-1)), targets[:, :-1].reshape(-1))",
            "loss",
            "the last position left out of the loss (a leftover of shifting, without the shift)",
        ),
        ("loss: last position dropped",),  # no probe family yet
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v4(
            "one-token-short",
            "gpt.py",
            "for _ in range(max_new_tokens):",
            "for _ in range(max_new_tokens - 1):",
            "generate",
            "generates max_new_tokens - 1 tokens",
        ),
        ("generate: max_new_tokens - 1",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "top-k-larger-than-vocab",
            "gpt.py",
            "torch.topk(logits, min(top_k, logits.size(-1)))",
            "torch.topk(logits, top_k)",
            "generate",
            "top_k larger than the vocabulary raises instead of keeping every token",
        ),
        ("top-k: k > vocab raises",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "temperature-only-with-top-k",
            "gpt.py",
            "logits = logits / temperature\n                if top_k is not None:\n",
            "if top_k is not None:\n                    logits = logits / temperature\n",
            "generate",
            "the division by the temperature indented into the top-k branch: without top_k it is ignored",
        ),
        ("temperature: only with top_k", "temperature: ignored"),
    ),
    HeldOut(
        _v4(
            "temperature-default-0",
            "gpt.py",
            "temperature: float = 1.0,",
            "temperature: float = 0.0,",
            "generate",
            "temperature defaults to 0: generate without arguments is greedy",
        ),
        ("temperature: default 0",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "kv-cache-prompt-not-fed",
            "gpt.py",
            "logits, _ = self(idx[:, cache[0].length :], cache=cache)",
            "logits, _ = self(idx[:, -1:], cache=cache)",
            "generate",
            "with the KV cache, feeds only the last token from the first step on: the prompt never enters the cache",
        ),
        ("kv-cache: prompt not fed",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "argmax-without-keepdim",
            "gpt.py",
            "idx_next = logits.argmax(dim=-1, keepdim=True)",
            "idx_next = logits.argmax(dim=-1)",
            "generate",
            "greedy argmax without keepdim: a (B,) tensor that torch.cat cannot append to (B, T)",
        ),
        ("generate: argmax without keepdim",),  # no probe family yet
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v4(
            "pattern-no-lookahead",
            "tokenizer.py",
            r"|\s+(?!\S)|\s+" + '"""',
            r"|\s+" + '"""',
            "tokenizer",
            r"GPT-2's pattern typed without \s+(?!\S): a run of spaces keeps its last space from the next word",
        ),
        (r"pattern: no \s+(?!\S)",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "pattern-ascii-classes",
            "tokenizer.py",
            _PATTERN_CLASSES,
            "| ?[a-zA-Z]+| ?[0-9]+| ?[^\\sa-zA-Z0-9]+|",
            "tokenizer",
            "the pattern written with ASCII classes ([a-zA-Z], [0-9]) instead of \\p{L} and \\p{N}",
        ),
        ("pattern: ASCII classes",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "pair-counts-distinct",
            "tokenizer.py",
            "for w, ids in enumerate(words):\n            for pair in itertools.pairwise(ids):",
            "for w, ids in enumerate(words):\n            for pair in set(itertools.pairwise(ids)):",
            "tokenizer",
            "initial counts take each distinct pair once per pre-token: 'aaa' counts (a, a) once",
        ),
        ("tokenizer-counts: distinct pairs",),  # no probe family for this parameter yet
    ),
    HeldOut(
        _v4(
            "merge-drops-last-id",
            "tokenizer.py",
            "while i < n:\n        if i < n - 1 and ids[i] == a and ids[i + 1] == b:",
            "while i < n - 1:\n        if ids[i] == a and ids[i + 1] == b:",
            "tokenizer",
            "the merge loop stops one early: a word's last id is lost when it is not part of the pair",
        ),
        ("merge: drops the last id",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "decode-per-token",
            "tokenizer.py",
            'return self.decode_bytes(ids).decode("utf-8", errors="replace")',
            'return "".join(self.decode_bytes([i]).decode("utf-8", errors="replace") for i in ids)',
            "tokenizer",
            "decodes each token on its own: a character split across tokens becomes U+FFFD",
        ),
        ("decode: per token",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "specials-sorted",
            "tokenizer.py",
            "specials = list(dict.fromkeys(special_tokens))",
            "specials = sorted(set(special_tokens))",
            "tokenizer",
            "deduplicates the special tokens with a sorted set: their ids follow sorted order, not the order given",
        ),
        ("specials: ids in sorted order",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "specials-regex-unsorted",
            "tokenizer.py",
            "alternatives = sorted(specials, key=len, reverse=True)",
            "alternatives = list(specials)",
            "tokenizer",
            "special tokens joined into the regex in dict order: a shorter one can win over a longer one",
        ),
        ("specials: shortest match",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "encode-iter-tail-dropped",
            "tokenizer.py",
            "yield from self.encode(buf, allowed_special=allowed_special, disallowed_special=disallowed_special)"
            "\n\n    def _stable_prefix",
            "return\n\n    def _stable_prefix",
            "tokenizer",
            "streaming encode never flushes what is left in the buffer after the last chunk",
        ),
        ("encode-iter: tail dropped",),  # no probe family yet
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v4(
            "loader-stride-plus-one",
            "data.py",
            _START,
            "start = (self.batches * self.world_size + self.rank) * (B * T + 1)",
            "data",
            "each batch advances B*T + 1 tokens (the extra target token counted as consumed)",
        ),
        ("loader-stride: B*T + 1",),
    ),
    HeldOut(
        _v4(
            "loader-wraps-at-len-minus-1",
            "data.py",
            "% len(self.tokens)",
            "% (len(self.tokens) - 1)",
            "data",
            "the stream wraps at len - 1 (the last token was taken to have no target)",
        ),
        ("loader: wraps at len - 1",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "loader-int32",
            "data.py",
            "return torch.from_numpy(np.asarray(tokens).astype(np.int64).reshape(-1))",
            "return torch.from_numpy(np.asarray(tokens).astype(np.int32).reshape(-1))",
            "data",
            "ids widened to int32, not int64: x and y come out int32",
        ),
        ("loader: int32 ids",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "loader-contiguous-shards",
            "data.py",
            _START,
            "start = self.rank * (len(self.tokens) // self.world_size) + self.batches * B * T",
            "data",
            "each rank reads its own contiguous shard of the tokens instead of interleaved batches",
        ),
        ("loader: contiguous shards",),  # no probe family yet
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v4(
            "warmup-one-step-long",
            "training.py",
            "if step < warmup_steps:",
            "if step <= warmup_steps:",
            "training",
            "warmup also covers step warmup_steps: the lr there is max_lr * (w + 1) / w, above max_lr",
        ),
        ("lr-schedule: warmup one step long",),  # no probe family for this parameter yet
    ),
    HeldOut(
        _v4(
            "quarter-cosine",
            "training.py",
            "coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0",
            "coeff = math.cos(math.pi / 2 * decay_ratio)",
            "training",
            "decays with cos(pi/2 * r), a quarter period, instead of 0.5 * (1 + cos(pi * r))",
        ),
        ("lr-schedule: quarter cosine",),  # no probe family for this parameter yet
    ),
    HeldOut(
        _v4(
            "decay-by-name",
            "training.py",
            _GROUPS,
            '{"params": [p for n, p in model.named_parameters() if n.endswith("weight")], '
            '"weight_decay": weight_decay},\n'
            '        {"params": [p for n, p in model.named_parameters() if not n.endswith("weight")], '
            '"weight_decay": 0.0},',
            "training",
            "decay chosen by name (every '...weight'): the LayerNorm gains are decayed too, the biases not",
        ),
        ("weight-decay: LayerNorm weights decayed",),
    ),
    HeldOut(
        _v4(
            "adam-not-adamw",
            "training.py",
            "return torch.optim.AdamW(groups,",
            "return torch.optim.Adam(groups,",
            "training",
            "torch.optim.Adam with weight_decay groups: L2 in the gradient, not AdamW's decoupled decay",
        ),
        ("optimizer: Adam",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "clip-by-value",
            "training.py",
            "norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)",
            "norm = torch.nn.utils.clip_grad_value_(model.parameters(), max_norm)",
            "training",
            "clip_grad_value_ instead of clip_grad_norm_: clips each entry, returns no norm",
        ),
        ("clip: by value",),  # no probe family yet
    ),
    HeldOut(
        _v4(
            "zero-grad-after-step",
            "training.py",
            "optimizer.step()\n    return loss_accum, norm",
            "optimizer.step()\n    optimizer.zero_grad(set_to_none=True)\n    return loss_accum, norm",
            "training",
            "zero_grad after the step as well: the gradient the step used is gone when train_step returns",
        ),
        ("train-step: zero_grad after step",),  # no probe family yet
    ),
]

V4_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V4}


# ==================================================================== HELDOUT_V5
# A fifth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the diagnosis tool (beyond its tag comparison) or any diagnosis output. Written from what participants get
# wrong when they write GPT-2 from scratch (nanoGPT / minGPT / minbpe / CS336 habits), not from what the tool
# measures. None is a known bug of the library or a v1-v4 entry written the same way; each was checked only for
# validity (it materialises and a non-slow spec test of its section fails with the fingerprint off), never run
# through the diagnosis. ``accept`` names a known bug when the entry is that mistake, otherwise the family and
# parameter in plain ``family: parameter`` words, spelled as earlier sets spell the same family where one exists.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint``): 46 of the 50 fail a test.
# Spec gaps, kept because participants write them: no non-slow test catches
#   ho5-ln-var-one-pass           (no LayerNorm input has |mean| >> std, where E[x^2] - E[x]^2 cancels)
#   ho5-reset-wrong-attribute     (no data test calls reset() after reading batches)
#   ho5-rank-check-off-by-one     (no data test builds a loader with rank == world_size)
#   ho5-pattern-ignorecase        (no tokenizer text has an upper-case contraction such as 'S or 'LL)
# After the v5 run, three of the four gaps are closed (each has a known bug of the family, spelled differently):
#   ho5-ln-var-one-pass        by spec/test_layernorm.py::test_parity_in_float32_when_the_mean_dwarfs_the_spread
#                              (fp32 rows of mean 1e3..1e4, std 1; W3-ln-variance now says "of the centred input";
#                              known bug layernorm-one-pass-variance)
#   ho5-pattern-ignorecase     by spec/test_tokenizer_training.py::test_merges_stay_inside_pre_tokens (DON'T, IT'S,
#                              WE'LL in PATTERN_TEXT; no learned token may span two GPT-2 pre-tokens; known bug
#                              pattern-case-insensitive)
#   ho5-reset-wrong-attribute  by spec/test_data.py::test_reset_rewinds_to_the_first_batch (new clause W5-reset:
#                              reset() optional, rewinds when present; known bug reset-keeps-position)
# ho5-rank-check-off-by-one stays open on purpose: no contract clause asks a DataLoader to reject a bad rank (the
# einsum_style loader, written from the contract, and nanoGPT's DataLoaderLite have no check; torchrun never hands
# out rank == world_size), and for every valid rank the bug behaves exactly as the reference.
# One candidate was dropped as invisible, not a spec gap: heads merged with y.transpose(1, 2).view(B, T, C)
# without .contiguous() raises after a hand-written att @ v, but the reference's SDPA returns a tensor whose
# memory is already (B, T, n_head, head_dim), so the view succeeds and the output is exactly right.

_QKV_SPLIT = "q, k, v = self.c_attn(x).split(self.n_embd, dim=2)"
_MLP_WIDTH = (
    "self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)\n"
    "        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)"
)
_TOPK_SAMPLE = (
    "if top_k is not None:\n"
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    "                    " + _TOPK
)
_HEAP_ORDER = (
    "return (-count, vocab[pair[0]], vocab[pair[1]], pair)\n\n"
    "        # Stale entries (a count that has changed since) are skipped when popped.\n"
    "        heap = [entry(pair, c) for pair, c in stats.items()]\n"
    "        heapq.heapify(heap)\n\n"
    "        merges: dict[tuple[int, int], int] = {}\n"
    "        while len(merges) < n_merges and heap:\n"
    "            neg_count, _, _, pair = heapq.heappop(heap)\n"
    "            if stats.get(pair, 0) != -neg_count:"
)
_BATCH_ROWS = (
    "positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input"
)


_v5 = partial(_in_set, 5)


HELDOUT_V5: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v5(
            "keys-are-queries",
            "attention.py",
            _SDPA,
            _SDPA.replace("(q, k, v,", "(q, q, v,"),
            "attention",
            "a typo passes q as the keys: the scores are q q^T, and c_attn's key columns are never used",
        ),
        ("attention: keys are queries",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "head-count-and-size-swapped",
            "attention.py",
            _SPLIT,
            "q, k, v = (t.view(B, T, C // self.n_head, self.n_head).transpose(1, 2) for t in (q, k, v))",
            "attention",
            "view(B, T, head_dim, n_head): head_dim heads of width n_head instead of n_head heads of width head_dim",
        ),
        ("heads-split: n_head and head_dim swapped", "heads-split-wrong"),
    ),
    HeldOut(
        _v5(
            "merge-permuted",
            "attention.py",
            _MERGE,
            "y = y.permute(0, 2, 3, 1).reshape(B, T, C)",
            "attention",
            "heads merged with permute(0, 2, 3, 1): the output columns come out (head_dim, n_head)-ordered",
        ),
        ("heads-merge: interleaved",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "resid-dropout-in-eval",
            "attention.py",
            "return self.c_proj(y)",
            "return F.dropout(self.c_proj(y), 0.1)",
            "attention",
            "residual dropout on c_proj's output via F.dropout without training=self.training: drops in eval too",
        ),
        ("attention-dropout: in eval", "resid-dropout: in eval"),
    ),
    HeldOut(
        _v5(
            "scale-by-seq-len",
            "attention.py",
            _SDPA,
            _SDPA.replace("math.sqrt(k.size(-1))", "math.sqrt(k.size(-2))"),
            "attention",
            "scale 1/sqrt(k.size(-2)): the sequence length, not head_dim (an off-by-one in the dim index)",
        ),
        ("attention-scale: 1/sqrt(T)",),
    ),
    HeldOut(
        _v5(
            "qkv-interleaved",
            "attention.py",
            _QKV_SPLIT,
            "q, k, v = self.c_attn(x).view(B, T, C, 3).unbind(dim=-1)",
            "attention",
            "c_attn's output read as (C, 3): q, k, v take every third column instead of three contiguous blocks",
        ),
        ("qkv-split: interleaved",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- LayerNorm
    HeldOut(
        _v5(
            "ln-mean-without-keepdim",
            "layernorm.py",
            "mean = x.mean(dim=-1, keepdim=True)",
            "mean = x.mean(dim=-1)",
            "layernorm",
            "the mean taken without keepdim=True: (B, T) does not broadcast against (B, T, C)",
        ),
        ("layernorm: mean without keepdim",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "ln-affine-on-input",
            "layernorm.py",
            _LN_OUT,
            "return x * self.weight + self.bias",
            "layernorm",
            "the gain and bias applied to x instead of x_hat: the normalised tensor is computed and never used",
        ),
        ("layernorm: output not normalised",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "ln-centres-in-place",
            "layernorm.py",
            "mean = x.mean(dim=-1, keepdim=True)\n        " + _LN_VAR + "\n        " + _LN_NORM,
            "x -= x.mean(dim=-1, keepdim=True)  # centre in place\n"
            "        var = x.pow(2).mean(dim=-1, keepdim=True)\n"
            "        x_hat = x * torch.rsqrt(var + self.eps)",
            "layernorm",
            "centres its input in place (x -= mean): the caller's tensor, the residual stream, is modified",
        ),
        ("layernorm: modifies its input in place",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "ln-var-one-pass",
            "layernorm.py",
            _LN_VAR,
            "var = x.pow(2).mean(dim=-1, keepdim=True) - mean.pow(2)",
            "layernorm",
            "one-pass variance E[x^2] - E[x]^2: cancels catastrophically in float32 when |mean| >> std",
        ),
        ("layernorm-variance: E[x^2] - E[x]^2",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- MLP
    HeldOut(
        _v5(
            "mlp-hidden-n-embd",
            "mlp.py",
            _MLP_WIDTH,
            "self.c_fc = nn.Linear(config.n_embd, config.n_embd)\n"
            "        self.c_proj = nn.Linear(config.n_embd, config.n_embd)",
            "mlp",
            "the hidden layer is n_embd wide: the 4x expansion forgotten",
        ),
        ("mlp: hidden width n_embd",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "gelu-before-c-fc",
            "mlp.py",
            _MLP_OUT,
            'self.c_proj(self.c_fc(F.gelu(x, approximate="tanh")))',
            "mlp",
            "the activation applied to the MLP's input, before c_fc, not between c_fc and c_proj",
        ),
        ("mlp: activation before c_fc",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "gelu-square-not-cube",
            "mlp.py",
            _GELU,
            "(lambda h: 0.5 * h * (1 + torch.tanh((2 / torch.pi) ** 0.5 * (h + 0.044715 * h**2))))(self.c_fc(x))",
            "mlp",
            "hand-written tanh GELU with 0.044715 * x^2 instead of x^3",
        ),
        ("gelu: other",),
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v5(
            "attention-output-dropped",
            "block.py",
            _BLOCK_BOTH,
            "h = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(h))",
            "block",
            "the attention residual goes into a new name h that only the MLP reads: the block returns x + mlp(...)",
        ),
        ("block-wiring: attention residual dropped", "no-attention-residual"),
    ),
    HeldOut(
        _v5(
            "attention-line-duplicated",
            "block.py",
            _BLOCK_ATTN,
            _BLOCK_ATTN + "\n        " + _BLOCK_ATTN,
            "block",
            "the attention line pasted twice: two attention sub-layers (same weights) before the MLP",
        ),
        ("block-wiring: attention applied twice",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "post-ln-attention-only",
            "block.py",
            _BLOCK_ATTN,
            "x = self.ln_1(x + self.attn(x, cache))",
            "block",
            "post-LN around attention (ln_1 after the residual add), pre-LN for the MLP",
        ),
        ("block-wiring: post-LN attention",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- GPT, embeddings, init, loss
    HeldOut(
        _v5(
            "residual-init-no-sqrt",
            "gpt.py",
            "std=0.02 / math.sqrt(2 * config.n_layer)",
            "std=0.02 / (2 * config.n_layer)",
            "gpt",
            "c_proj init std 0.02 / (2 * n_layer): the square root forgotten",
        ),
        ("residual-init: 0.02/(2*n_layer)",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "biases-not-zeroed",
            "gpt.py",
            "\n        if isinstance(module, nn.Linear) and module.bias is not None:\n"
            "            nn.init.zeros_(module.bias)",
            "",
            "gpt",
            "the init sets the weights but leaves the Linear biases at PyTorch's uniform default",
        ),
        ("init: biases not zeroed",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "embedding-dropout-in-eval",
            "gpt.py",
            "x = self.transformer.wte(idx) + self.transformer.wpe(pos)",
            "x = F.dropout(self.transformer.wte(idx) + self.transformer.wpe(pos), 0.1)",
            "gpt",
            "embedding dropout with F.dropout and no training flag: it drops in eval mode too",
        ),
        ("embedding-dropout: in eval",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "n-head-layers",
            "gpt.py",
            "h=nn.ModuleList(Block(config) for _ in range(config.n_layer))",
            "h=nn.ModuleList(Block(config) for _ in range(config.n_head))",
            "gpt",
            "the block stack built with range(config.n_head): n_head layers instead of n_layer",
        ),
        ("blocks: n_head layers",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "tied-by-data",
            "gpt.py",
            "self.lm_head.weight = self.transformer.wte.weight",
            "self.lm_head.weight.data = self.transformer.wte.weight.data",
            "gpt",
            "tied through .data: the two share storage but stay two Parameters (counted and updated twice)",
        ),
        ("weight-tying: storage shared, not the parameter",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "linear-default-init",
            "gpt.py",
            "if isinstance(module, (nn.Linear, nn.Embedding)):",
            "if isinstance(module, nn.Embedding):",
            "gpt",
            "N(0, 0.02) only for the embeddings: the Linear weights keep PyTorch's Kaiming-uniform init",
        ),
        ("init: Linear weights default",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "nll-loss-on-logits",
            "gpt.py",
            _SOFTMAX_CE,
            "loss = F.nll_loss(logits.view(-1, logits.size(-1)), targets.reshape(-1))",
            "loss",
            "F.nll_loss on raw logits (no log_softmax): the loss is minus the mean target logit",
        ),
        ("loss: nll_loss on logits",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "loss-sum-divided-by-T",
            "gpt.py",
            _SOFTMAX_CE,
            'loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), reduction="sum") / T',
            "loss",
            "the summed loss divided by T only: a mean over positions times the batch size",
        ),
        ("loss: sum / T",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v5(
            "top-k-index-not-mapped",
            "gpt.py",
            _TOPK_SAMPLE,
            "if top_k is not None:\n                    logits, _ = torch.topk(logits, min(top_k, logits.size(-1)))",
            "generate",
            "samples from the top-k values but never maps the sampled position back through the top-k indices",
        ),
        ("top-k: index within the top k",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "top-k-threshold-is-max",
            "gpt.py",
            "min(top_k, logits.size(-1))).values[:, [-1]]",
            "min(top_k, logits.size(-1))).values[:, [0]]",
            "generate",
            "the threshold taken from values[:, 0], the largest: any top_k keeps only the most likely token",
        ),
        ("top-k: keeps 1",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "kv-cache-returns-whole-buffer",
            "attention.py",
            "return self.k[:, :, :end], self.v[:, :, :end]",
            "return self.k, self.v",
            "generate",
            "the cache returns its whole preallocated buffer: the zero slots past the filled length are attended to",
        ),
        ("kv-cache: unfilled slots attended",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "sampling-softmax-over-batch",
            "gpt.py",
            "probs = F.softmax(logits, dim=-1)",
            "probs = F.softmax(logits, dim=0)",
            "generate",
            "the sampling softmax over dim 0 (the batch): with one sequence every token gets probability 1",
        ),
        ("sampling: softmax over the batch",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "kv-cache-whole-sequence-fed",
            "gpt.py",
            "logits, _ = self(idx[:, cache[0].length :], cache=cache)",
            "logits, _ = self(idx, cache=cache)",
            "generate",
            "with the KV cache, feeds the whole sequence every step: the cache appends what it already holds",
        ),
        ("kv-cache: whole sequence re-fed",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v5(
            "merge-overlapping",
            "tokenizer.py",
            "out.append(new_id)\n            i += 2",
            "out.append(new_id)\n            i += 1",
            "tokenizer",
            "the training merge advances one id after a match, not two: 'aaa' with (a, a) becomes [aa, aa, a]",
        ),
        ("merge: overlapping pairs",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "specials-regex-unescaped",
            "tokenizer.py",
            'regex.compile("|".join(regex.escape(s) for s in alternatives) or r"(?!)")',
            'regex.compile("|".join(alternatives) or r"(?!)")',
            "tokenizer",
            "special tokens joined into the regex unescaped: the | in <|endoftext|> becomes an alternation",
        ),
        ("specials: regex not escaped",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "text-after-last-special-dropped",
            "tokenizer.py",
            "            start = m.end()\n        yield False, text[start:]",
            "            start = m.end()",
            "tokenizer",
            "splitting at allowed specials never yields the text after the last one",
        ),
        ("specials: text after the last special dropped",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "least-frequent-first",
            "tokenizer.py",
            _HEAP_ORDER,
            _HEAP_ORDER.replace("return (-count,", "return (count,").replace("!= -neg_count:", "!= neg_count:"),
            "tokenizer",
            "heapq is a min-heap and the count was pushed unnegated: training merges the rarest pair first",
        ),
        ("merge order: least frequent first",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "bpe-left-neighbour-stale",
            "tokenizer.py",
            "        if i > 0:\n            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)\n",
            "",
            "tokenizer",
            "encode's incremental BPE updates only the right neighbour's rank after a merge, not the left one's",
        ),
        ("encode: stale left neighbour rank",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "pattern-with-re",
            "tokenizer.py",
            "self._compiled = regex.compile(pattern)",
            'self._compiled = __import__("re").compile(pattern)',
            "tokenizer",
            r"the pattern compiled with the standard re module, which has no \p{L}: constructing a Tokenizer raises",
        ),
        ("pattern: compiled with re",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "pattern-ignorecase",
            "tokenizer.py",
            "self._compiled = regex.compile(pattern)",
            "self._compiled = regex.compile(pattern, regex.IGNORECASE)",
            "tokenizer",
            "the pattern compiled case-insensitively (cl100k's (?i:) habit): 'S and 'LL split off as contractions",
        ),
        ("pattern: case-insensitive",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "train-splits-on-whitespace",
            "tokenizer.py",
            "for piece in self._pieces(part))",
            "for piece in part.split())",
            "tokenizer",
            "training pre-tokenises with str.split() (encode keeps the regex): merges are learned without spaces",
        ),
        ("pre-tokenize: str.split in training",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "decoder-without-specials",
            "tokenizer.py",
            "self._decoder = {i: b for b, i in ranks.items()} | {i: s.encode() for s, i in special_tokens.items()}",
            "self._decoder = {i: b for b, i in ranks.items()}",
            "tokenizer",
            "the id -> bytes table built from the ranks only: special ids cannot be decoded, vocab_size omits them",
        ),
        ("decode: special tokens missing",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v5(
            "rows-of-t-plus-1",
            "data.py",
            _BATCH_ROWS,
            "positions = (start + torch.arange(B * (T + 1))) % len(self.tokens)\n"
            "        buf = self.tokens[positions].view(B, T + 1)\n"
            "        x = buf[:, :-1]  # inputs\n"
            "        y = buf[:, 1:]  # targets",
            "data",
            "each row is its own window of T + 1 tokens: rows skip a token between them, batches overlap",
        ),
        ("loader: rows of T + 1 tokens",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "random-offsets",
            "data.py",
            _START,
            "start = int(torch.randint(len(self.tokens), ()))",
            "data",
            "nanoGPT's get_batch habit: each batch starts at a random offset instead of reading the stream in order",
        ),
        ("loader: random offsets",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "reset-wrong-attribute",
            "data.py",
            "def reset(self) -> None:\n        self.batches = 0",
            "def reset(self) -> None:\n        self.current_position = 0",
            "data",
            "reset sets nanoGPT's current_position, an attribute this loader never reads: it does not rewind",
        ),
        ("loader: reset does not rewind",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "rank-check-off-by-one",
            "data.py",
            "if not 0 <= rank < world_size:",
            "if not 0 <= rank <= world_size:",
            "data",
            "the rank check accepts rank == world_size (<= for <)",
        ),
        ("loader: accepts rank == world_size",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "targets-rolled",
            "data.py",
            "y = buf[1:].view(B, T)",
            "y = torch.roll(x, -1, dims=1)",
            "data",
            "targets made with torch.roll(x, -1): each row's last target wraps to its own first token",
        ),
        ("targets: rolled within the row",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v5(
            "decay-ratio-over-max-steps",
            "training.py",
            "decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)",
            "decay_ratio = (step - warmup_steps) / max_steps",
            "training",
            "the decay ratio divides by max_steps, not by the decay's length: lr is above min_lr at max_steps - 1",
        ),
        ("lr-schedule: decay ratio over max_steps",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "cosine-min-plus-max",
            "training.py",
            "return min_lr + coeff * (max_lr - min_lr)",
            "return min_lr + coeff * max_lr",
            "training",
            "min_lr + coeff * max_lr: the decay starts at max_lr + min_lr",
        ),
        ("lr-schedule: min_lr + coeff * max_lr",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "warmup-over-w-plus-1",
            "training.py",
            "return max_lr * (step + 1) / warmup_steps",
            "return max_lr * (step + 1) / (warmup_steps + 1)",
            "training",
            "warmup divides by warmup_steps + 1: the last warmup step is below max_lr, then the lr jumps",
        ),
        ("lr-schedule: warmup (step + 1)/(warmup_steps + 1)",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "embeddings-not-decayed",
            "training.py",
            _GROUPS,
            '{"params": [p for n, p in model.named_parameters() if p.dim() >= 2 and ".wte." not in n '
            'and ".wpe." not in n], "weight_decay": weight_decay},\n'
            '        {"params": [p for n, p in model.named_parameters() if p.dim() < 2 or ".wte." in n '
            'or ".wpe." in n], "weight_decay": 0.0},',
            "training",
            "the embedding tables (and so the tied head) exempted from weight decay along with biases and gains",
        ),
        ("weight-decay: embeddings not decayed",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "reported-loss-divided-twice",
            "training.py",
            "optimizer.step()\n    return loss_accum, norm",
            "optimizer.step()\n    return loss_accum / n, norm",
            "training",
            "the reported loss divided by the number of micro-batches again, though each was already divided",
        ),
        ("train-step: loss divided by n twice",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "clip-every-micro-batch",
            "training.py",
            "        loss.backward()\n",
            "        loss.backward()\n        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
            "training",
            "clips after every micro-batch's backward as well: the partial sums are clipped before they add up",
        ),
        ("clip: every micro-batch",),  # no family known to this author
    ),
    HeldOut(
        _v5(
            "ddp-sync-first-micro-batch",
            "training.py",
            "model.require_backward_grad_sync = i == n - 1",
            "model.require_backward_grad_sync = i == 0",
            "training",
            "under DDP the gradients are all-reduced after the first micro-batch, not the last",
        ),
        ("ddp: gradients synced after the first micro-batch",),  # no family known to this author
    ),
]

V5_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V5}


# ==================================================================== HELDOUT_V6
# A sixth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the diagnosis tool or any diagnosis output. Written from what participants get wrong when they
# write GPT-2 from scratch (nanoGPT / minGPT / minbpe / build-nanogpt / CS336 habits), not from what the tool
# measures. None is a known bug of the library or a v1-v5 entry written the same way (a few ARE a known bug's
# mistake written differently, and then ``accept`` names that bug); each was checked only for validity (it
# materialises and a non-slow spec test of its section fails with the fingerprint off), never run through the
# diagnosis. ``accept`` names the family and parameter in plain ``family: parameter`` words, spelled as earlier
# sets spell the same family where one exists.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint``): 39 of the 42 fail a test.
# Spec gaps, kept because participants write them: no non-slow test catches
#   ho6-targets-view                 (no loss test passes non-contiguous targets; .view(-1) raises only on those)
#   ho6-vocab-size-without-specials  (the size test counts len(vocab), which still has the specials; no test
#                                    reads the vocab_size property after training with special tokens)
#   ho6-loss-accum-not-detached      (no training test checks that the returned loss carries no autograd graph)
# Dropped before commit: train_step returning norm.item() (a fourth gap, no test asks for a 0-dim tensor norm).
# After the v6 run (docs/DIAGNOSIS.md): none of the three is a gap in the contract. targets.view(-1) is nanoGPT's
# own line (tests/fixtures/nanogpt_style), vocab_size is no contract property, and a 0-dim loss holding its graph
# breaks no clause. They stay, as bugs no non-slow test fails.

_CAUSAL_SCORES = (
    "att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))\n"
    "        T_ = q.size(-2)\n"
    "        mask = torch.tril(torch.ones(T_, T_, device=q.device){diagonal})\n"
    '        att = att.masked_fill(mask == {fill}, float("-inf"))\n'
    "        return F.softmax(att, dim={dim}) @ v"
)


def _tril_attention(diagonal: str = "", fill: int = 0, dim: int = -1) -> str:
    """minGPT's hand-written attention: a tril(ones) mask, filled with -inf where it is ``fill``."""
    return _CAUSAL_SCORES.format(diagonal=diagonal, fill=fill, dim=dim)


_LN_MEAN_VAR = "mean = x.mean(dim=-1, keepdim=True)\n        " + _LN_VAR
_RESID_INIT = (
    "self.apply(self._init_weights)\n"
    "        # GPT-2 scales the two projections that write into the residual stream by\n"
    "        # 1/sqrt(2·n_layer): each block adds two branches, and the stream's variance\n"
    "        # would otherwise grow with depth.\n"
    "        for name, p in self.named_parameters():\n"
    '            if name.endswith("c_proj.weight"):\n'
    "                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))"
)
_SAVE_LOAD = (
    '"mergeable_ranks": [[base64.b64encode(b).decode("ascii"), i] for b, i in self._ranks.items()],\n'
    "        }\n"
    '        Path(path).write_text(json.dumps(data, ensure_ascii=False) + "\\n", encoding="utf-8")\n'
    "\n"
    "    @classmethod\n"
    "    def load(cls, path: str | Path) -> Tokenizer:\n"
    '        data = json.loads(Path(path).read_text(encoding="utf-8"))\n'
    '        if data.get("format") != "gpt2spec-bpe/1":\n'
    "            raise ValueError(f\"{path}: not a saved Tokenizer (format {data.get('format')!r})\")\n"
    '        ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}'
)
_NEXT_BATCH = (
    "B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1"
)
_ACCUMULATE = (
    "loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()"
)


_v6 = partial(_in_set, 6)


HELDOUT_V6: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v6(
            "mask-filled-where-kept",
            "attention.py",
            _SDPA,
            _tril_attention(fill=1),
            "attention",
            "minGPT's tril mask filled with -inf where it is 1, not 0: each position sees only its strict future",
        ),
        ("causal-mask: inverted",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "softmax-over-heads",
            "attention.py",
            _SDPA,
            _tril_attention(dim=1),
            "attention",
            "the attention softmax over dim=1 of (B, n_head, T, T), written for (B, T, T): it normalises over heads",
        ),
        ("attention-softmax: over heads",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "scale-power-precedence",
            "attention.py",
            _SDPA,
            _SDPA.replace("scale=1.0 / math.sqrt(k.size(-1))", "scale=1 / k.size(-1) ** 1 / 2"),
            "attention",
            "the scale written 1 / head_dim ** 1 / 2: ** binds first, so it is 1/(2 * head_dim), not 1/sqrt(head_dim)",
        ),
        ("attention-scale: 1/(2*head_dim)",),
    ),
    HeldOut(
        _v6(
            "c-attn-bias-false",
            "attention.py",
            "self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)",
            "self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=False)",
            "attention",
            "c_attn built with bias=False (LLaMA's habit): no q, k, v biases, and HF's c_attn.bias has no home",
        ),
        ("attention: c_attn without bias", "unused-parameter: c_attn.bias"),
    ),
    HeldOut(
        _v6(
            "queries-prescaled",
            "attention.py",
            _SPLIT,
            _SPLIT + "\n        q = q * (C // self.n_head) ** -0.5  # scale the queries once, up front",
            "attention",
            "the queries scaled by 1/sqrt(head_dim) before the attention call, which scales the scores again",
        ),
        ("attention-scale: 1/head_dim",),
    ),
    HeldOut(
        _v6(
            "tril-below-diagonal",
            "attention.py",
            _SDPA,
            _tril_attention(diagonal=", diagonal=-1"),
            "attention",
            "the keep-mask built with tril(diagonal=-1): a token may not attend to itself (row 0 sees nothing: NaN)",
        ),
        ("mask-hides-diagonal",),
    ),
    # ---------------------------------------------------------------- LayerNorm
    HeldOut(
        _v6(
            "ln-var-over-everything",
            "layernorm.py",
            _LN_VAR,
            "var = (x - mean).pow(2).mean()",
            "layernorm",
            "the variance's mean taken without dim=-1: one variance for the whole tensor, not one per position",
        ),
        ("layernorm-variance: over the whole tensor",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "ln-multiplies-by-std",
            "layernorm.py",
            _LN_NORM,
            "x_hat = (x - mean) * torch.sqrt(var + self.eps)",
            "layernorm",
            "torch.sqrt where rsqrt was meant: the centred input is multiplied by the standard deviation",
        ),
        ("layernorm-power: -0.5",),
    ),
    HeldOut(
        _v6(
            "ln-over-time",
            "layernorm.py",
            _LN_MEAN_VAR,
            "mean = x.mean(dim=1, keepdim=True)\n        var = (x - mean).pow(2).mean(dim=1, keepdim=True)",
            "layernorm",
            "statistics over dim=1, written for (N, C) inputs: on (B, T, C) it normalises over time, not features",
        ),
        ("layernorm: normalises over T", "layernorm-wrong-dim"),
    ),
    HeldOut(
        _v6(
            "ln-weight-as-bias",
            "layernorm.py",
            _LN_OUT,
            "return x_hat * self.weight + self.weight",
            "layernorm",
            "a typo adds the gain where the bias belongs: the output is shifted by the weight, the bias is unused",
        ),
        ("layernorm-affine: weight as bias",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- MLP
    HeldOut(
        _v6(
            "mlp-hidden-3x",
            "mlp.py",
            _MLP_WIDTH,
            _MLP_WIDTH.replace("4 * config.n_embd", "3 * config.n_embd"),
            "mlp",
            "the hidden layer 3 * n_embd wide, copied from c_attn's line, instead of 4 * n_embd",
        ),
        ("mlp: hidden width 3*n_embd",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "gelu-cube-outside-scale",
            "mlp.py",
            _MLP_OUT,
            "self.c_proj((lambda h: 0.5 * h * (1 + torch.tanh((2 / torch.pi) ** 0.5 * h + 0.044715 * h**3)))"
            "(self.c_fc(x)))",
            "mlp",
            "hand-written tanh GELU without the parentheses: sqrt(2/pi) * x + 0.044715 x^3, the cube left unscaled",
        ),
        ("gelu: other",),
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v6(
            "mlp-reads-ln-1-output",
            "block.py",
            _BLOCK_BOTH,
            "h = self.ln_1(x)\n        x = x + self.attn(h, cache)\n        x = x + self.mlp(self.ln_2(h))",
            "block",
            "ln_1's output kept in h and reused: the MLP reads ln_2(ln_1(x)) of the block's input, not the stream",
        ),
        ("block-wiring: mlp reads the block input",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "residual-added-in-place",
            "block.py",
            _BLOCK_BOTH,
            "x += self.attn(self.ln_1(x), cache)\n        x += self.mlp(self.ln_2(x))",
            "block",
            "the residual adds written x += ...: the block overwrites the tensor its caller passed in",
        ),
        ("block: modifies its input in place",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- GPT, embeddings, init, loss
    HeldOut(
        _v6(
            "wpe-init-0.01",
            "gpt.py",
            "self.apply(self._init_weights)",
            "self.apply(self._init_weights)\n"
            "        nn.init.normal_(self.transformer.wpe.weight, mean=0.0, std=0.01)  # as OpenAI's TF code",
            "gpt",
            "the position table drawn with std 0.01 (OpenAI's TensorFlow model.py) instead of the contract's 0.02",
        ),
        ("init: wpe std 0.01",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "residual-init-matches-biases",
            "gpt.py",
            'if name.endswith("c_proj.weight"):',
            'if "c_proj" in name:',
            "gpt",
            "the residual-init loop matches 'c_proj' anywhere in the name: the c_proj biases get N(0, std), not 0",
        ),
        ("init: c_proj biases not zero",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "residual-init-before-apply",
            "gpt.py",
            _RESID_INIT,
            _RESID_INIT.replace("self.apply(self._init_weights)\n        ", "")
            + "\n        self.apply(self._init_weights)",
            "gpt",
            "the c_proj rescaling runs before self.apply(_init_weights), which overwrites it with std 0.02",
        ),
        ("no-residual-init-scaling",),
    ),
    HeldOut(
        _v6(
            "hf-transposes-every-matrix",
            "gpt.py",
            "if name.endswith(_CONV1D_SUFFIXES):",
            'if tensor.dim() == 2 and not name.endswith(("wte.weight", "wpe.weight")):',
            "gpt",
            "the HF loader transposes every 2-D tensor but the embeddings: GPT2LMHeadModel's lm_head.weight too",
        ),
        ("from-hf: lm_head transposed",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "loss-item",
            "gpt.py",
            _SOFTMAX_CE,
            _SOFTMAX_CE + ".item()",
            "loss",
            "forward returns loss.item() (a logging habit): a Python float that backward() cannot be called on",
        ),
        ("loss: a float, not a tensor",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "targets-view",
            "gpt.py",
            _SOFTMAX_CE,
            _SOFTMAX_CE.replace("targets.reshape(-1)", "targets.view(-1)"),
            "loss",
            "targets flattened with .view(-1): raises on non-contiguous targets (a slice or transpose of a batch)",
        ),
        ("loss: targets.view",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v6(
            "top-k-threshold-not-a-column",
            "gpt.py",
            "min(top_k, logits.size(-1))).values[:, [-1]]",
            "min(top_k, logits.size(-1))).values[:, -1]",
            "generate",
            "the k-th value taken as values[:, -1], shape (B,): it broadcasts against the vocabulary, not per row",
        ),
        ("top-k: threshold broadcast over the vocabulary",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "kv-cache-sized-past-block",
            "gpt.py",
            "cache_len = min(self.config.block_size, idx.size(1) + max_new_tokens)",
            "cache_len = idx.size(1) + max_new_tokens",
            "generate",
            "the KV cache sized to prompt + new tokens without the block_size cap: it never falls back to cropping",
        ),
        ("kv-cache-no-fallback",),
    ),
    HeldOut(
        _v6(
            "kv-cache-mask-diagonal-sign",
            "attention.py",
            ".tril(diagonal=S - T)",
            ".tril(diagonal=T - S)",
            "generate",
            "the cached queries' mask diagonal written T - S: a new token after S - 1 cached ones sees no key (NaN)",
        ),
        ("kv-cache: mask diagonal T - S",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "top-k-sorted-index-k",
            "gpt.py",
            "kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]",
            "kth = torch.sort(logits, dim=-1, descending=True).values[:, [top_k]]",
            "generate",
            "the threshold read at index top_k of the sorted logits (0-based: the (k+1)-th largest): keeps k + 1",
        ),
        ("top-k-keeps-k-plus-one",),
    ),
    HeldOut(
        _v6(
            "kv-cache-list-multiplied",
            "gpt.py",
            "cache = [KVCache(cache_len) for _ in self.transformer.h] if use_kv_cache else None",
            "cache = [KVCache(cache_len)] * len(self.transformer.h) if use_kv_cache else None",
            "generate",
            "the per-layer caches made with [KVCache(n)] * n_layer: one cache object shared by every layer",
        ),
        ("kv-cache: one cache shared by every layer",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v6(
            "pattern-word-class",
            "tokenizer.py",
            _PATTERN_CLASSES,
            _PATTERN_CLASSES.replace(r"\p{L}", r"\w"),
            "tokenizer",
            r"the pattern's letters written \w: digits and _ join the letters (' abc123' is one pre-token)",
        ),
        ("pattern: \\w for letters",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "pattern-digits-in-threes",
            "tokenizer.py",
            _PATTERN_CLASSES,
            _PATTERN_CLASSES.replace(r" ?\p{N}+", r"\p{N}{1,3}"),
            "tokenizer",
            r"cl100k's \p{N}{1,3} (from minbpe's GPT-4 pattern) for GPT-2's ' ?\p{N}+': numbers split in threes",
        ),
        ("pattern: digits in groups of 3",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "train-on-code-points",
            "tokenizer.py",
            'words = [list(piece.encode("utf-8")) for piece in counts]',
            "words = [[ord(c) for c in piece] for piece in counts]",
            "tokenizer",
            "training starts from code points (ord(c)), not UTF-8 bytes: any non-ASCII character is out of range",
        ),
        ("tokenizer-training: code points, not bytes",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "vocab-size-without-specials",
            "tokenizer.py",
            "return len(self._decoder)",
            "return len(self._ranks)",
            "tokenizer",
            "vocab_size counts the mergeable tokens only: the special tokens are left out",
        ),
        ("vocab_size: special tokens not counted",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "special-split-restarts-at-start",
            "tokenizer.py",
            "            start = m.end()\n        yield False, text[start:]",
            "            start = m.start()\n        yield False, text[start:]",
            "tokenizer",
            "after an allowed special the next plain part starts at m.start(): the special is encoded again as text",
        ),
        ("specials: also encoded as text",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "merge-reads-past-end",
            "tokenizer.py",
            "if i < n - 1 and ids[i] == a and ids[i + 1] == b:",
            "if i < n and ids[i] == a and ids[i + 1] == b:",
            "tokenizer",
            "the training merge's bound i < n, not n - 1: ids[i + 1] is read past the end of a word ending in a",
        ),
        ("merge: reads past the end",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "save-bytes-as-text",
            "tokenizer.py",
            _SAVE_LOAD,
            _SAVE_LOAD.replace('base64.b64encode(b).decode("ascii")', 'b.decode("utf-8", errors="replace")').replace(
                "base64.b64decode(b)", 'b.encode("utf-8")'
            ),
            "tokenizer",
            "save writes each token's bytes as text (errors='replace'): partial UTF-8 tokens are lost on load",
        ),
        ("save: token bytes as lossy text",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "allowed-specials-still-disallowed",
            "tokenizer.py",
            "disallowed = set(self.special_tokens) - allowed if",
            "disallowed = set(self.special_tokens) if",
            "tokenizer",
            "disallowed_special='all' taken as every special, not every one that is not allowed: allowing one raises",
        ),
        ("specials: allowed ones still disallowed",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "merged-bytes-reversed",
            "tokenizer.py",
            "vocab.append(vocab[pair[0]] + vocab[pair[1]])",
            "vocab.append(vocab[pair[1]] + vocab[pair[0]])",
            "tokenizer",
            "a merged token's bytes concatenated right + left: the learned tokens spell their pairs backwards",
        ),
        ("merge: bytes concatenated in reverse",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v6(
            "counter-advanced-first",
            "data.py",
            _NEXT_BATCH,
            "self.batches += 1\n        " + _NEXT_BATCH.removesuffix("\n        self.batches += 1"),
            "data",
            "the batch counter incremented at the top of next_batch: the first batch read is batch 1, batch 0 skipped",
        ),
        ("loader: first batch skipped",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "needs-a-full-batch",
            "data.py",
            "if len(self.tokens) < 2:",
            "if len(self.tokens) < B * T + 1:",
            "data",
            "nanoGPT's assert that the data holds one full batch: short data the stream would wrap round is rejected",
        ),
        ("loader: rejects fewer than B*T + 1 tokens",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "token-dtype-kept",
            "data.py",
            "return torch.from_numpy(np.asarray(tokens).astype(np.int64).reshape(-1))",
            "return torch.as_tensor(np.asarray(tokens)).reshape(-1)",
            "data",
            "torch.as_tensor without a dtype: a uint16 token file stays uint16 (x and y are not int64)",
        ),
        ("loader: token dtype kept",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v6(
            "cosine-without-pi",
            "training.py",
            "math.cos(math.pi * decay_ratio)",
            "math.cos(decay_ratio)",
            "training",
            "the cosine's argument without pi: cos(1) at the end of the decay, the lr never reaches min_lr",
        ),
        ("lr-schedule: cos without pi",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "cosine-without-half",
            "training.py",
            "coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))",
            "coeff = 1.0 + math.cos(math.pi * decay_ratio)",
            "training",
            "the cosine coefficient without the 0.5: it runs from 2 to 0, so the decay starts at 2 max_lr - min_lr",
        ),
        ("lr-schedule: cosine without the 0.5",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "divide-after-backward",
            "training.py",
            _ACCUMULATE,
            "loss.backward()\n"
            "        loss = loss / n\n"
            "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)",
            "training",
            "the loss divided by n after backward(): the logged loss is the mean, the gradient is the sum",
        ),
        ("accumulation-not-divided",),
    ),
    HeldOut(
        _v6(
            "warmup-from-min-lr",
            "training.py",
            "return max_lr * (step + 1) / warmup_steps",
            "return min_lr + (max_lr - min_lr) * (step + 1) / warmup_steps",
            "training",
            "the warmup ramps from min_lr (symmetric with the decay) instead of from 0",
        ),
        ("lr-schedule: warmup from min_lr",),  # no family known to this author
    ),
    HeldOut(
        _v6(
            "loss-accum-not-detached",
            "training.py",
            "loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)",
            "loss_accum = loss + loss_accum.to(loss.device, loss.dtype)",
            "training",
            "the reported loss summed without detach(): it keeps every micro-batch's graph and requires grad",
        ),
        ("train-step: loss not detached",),  # no family known to this author
    ),
]

V6_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V6}


# ==================================================================== HELDOUT_V7
# A seventh held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the diagnosis tool or any diagnosis output. Written from what participants get wrong when they
# write GPT-2 from scratch (nanoGPT / minGPT / minbpe / build-nanogpt / CS336 habits), not from what the tool
# measures. None is a known bug of the library or a v1-v6 entry written the same way (a few ARE a known bug's
# mistake, or an earlier entry's family, written differently, and then ``accept`` names that bug or family);
# each was checked only for validity (it materialises and a non-slow spec test of its section fails with the
# fingerprint off), never run through the diagnosis. ``accept`` names the family and parameter in plain
# ``family: parameter`` words, spelled as earlier sets spell the same family where one exists.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint``): 39 of the 39 fail a test,
# so no spec gap is kept. Sections: attention 5, layernorm 4, mlp 2, block 2, gpt 4, loss 1, generate 5,
# tokenizer 7, data 3, training 6 (one of them, ho7-loader-state-typo, is an edit to data.py graded by the resume
# test). Dropped before commit, as invisible (generate's tokens stay exactly right), not spec gaps: a Block that
# never passes its KV cache on (the cache stays empty, so generate re-feeds the whole context every step), and a
# cache whose append sets length = k.size(2) (the next step re-feeds and overwrites the stale positions); and heads
# merged with .view() without .contiguous() (v5 found the SDPA output already laid out (B, T, n_head, head_dim)).

_SCORES = "att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))\n        T_ = q.size(-2)\n        "
_ATT_HEADS = (
    "q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n"
    "        # (B, T, C) -> (B, n_head, T, head_dim): heads become a batch dimension.\n"
    "        " + _SPLIT
)
_BLOCK_FORWARD = (
    "self.mlp = MLP(config)\n\n"
    "    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:\n"
    "        # Pre-LN: normalise the *input* of each branch and leave the residual stream\n"
    "        # itself untouched, so gradients flow straight from the loss to the embeddings.\n"
    "        " + _BLOCK_BOTH
)
_TEMPERATURE = (
    "logits = logits / temperature\n"
    "                " + _TOPK_SAMPLE + "\n"
    "                probs = F.softmax(logits, dim=-1)"
)
_KV_APPEND = "self.length = end\n        return self.k[:, :, :end], self.v[:, :, :end]"
_BPE_PICK = (
    "rank = min(pair_ranks)\n"
    "        if rank >= limit:\n"
    "            break\n"
    "        i = pair_ranks.index(rank)  # the leftmost, if the same pair occurs twice"
)
_SPLIT_SPECIAL = (
    "start = 0\n"
    "        for m in self._special_regex(allowed).finditer(text):\n"
    "            yield False, text[start : m.start()]\n"
    "            yield True, m.group()\n"
    "            start = m.end()\n"
    "        yield False, text[start:]"
)
_SAVE_PATTERN = (
    '"pattern": self.pattern,\n            "special_tokens": self.special_tokens,\n            '
    + _SAVE_LOAD.replace(
        'ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}',
        'ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}\n'
        '        return cls.from_ranks(ranks, data["pattern"], data["special_tokens"])',
    )
)
_OPTIMIZER = (
    _GROUPS + "\n"
    "    ]\n"
    "    if fused is None:\n"
    "        fused = bool(params) and all(p.is_cuda for p in params)\n"
    "    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)"
)


_v7 = partial(_in_set, 7)


HELDOUT_V7: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v7(
            "masked-fill-result-discarded",
            "attention.py",
            _SDPA,
            _SCORES + "mask = torch.tril(torch.ones(T_, T_, device=q.device))\n"
            '        att.masked_fill(mask == 0, float("-inf"))\n'
            "        return F.softmax(att, dim=-1) @ v",
            "attention",
            "att.masked_fill(...) called without assigning its result (it is not in place): nothing is masked",
        ),
        ("no-causal-mask",),
    ),
    HeldOut(
        _v7(
            "mask-zero-times-inf",
            "attention.py",
            _SDPA,
            _SCORES + 'mask = torch.triu(torch.ones(T_, T_, device=q.device), diagonal=1) * float("-inf")\n'
            "        return F.softmax(att + mask, dim=-1) @ v",
            "attention",
            "an additive mask made as triu(ones, 1) * -inf: 0 * -inf is NaN, so every allowed score becomes NaN",
        ),
        ("causal-mask: NaN from 0 * -inf",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "mask-multiplied-into-scores",
            "attention.py",
            _SDPA,
            _SCORES + "att = att * torch.tril(torch.ones(T_, T_, device=q.device))  # zero out the future\n"
            "        return F.softmax(att, dim=-1) @ v",
            "attention",
            "the scores multiplied by the 0/1 tril mask: future scores become 0, not -inf, and keep their weight",
        ),
        ("causal-mask: filled with 0",),
    ),
    HeldOut(
        _v7(
            "sdpa-bool-mask-inverted",
            "attention.py",
            _SDPA,
            "future = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool, device=q.device).triu(1)\n"
            "        return F.scaled_dot_product_attention(q, k, v, attn_mask=future, scale=k.size(-1) ** -0.5)",
            "attention",
            "SDPA given a boolean mask of the future (True = hidden, as masked_fill reads it): SDPA keeps where True",
        ),
        ("causal-mask: inverted",),
    ),
    HeldOut(
        _v7(
            "qkv-per-head-layout",
            "attention.py",
            _ATT_HEADS,
            "# each head's [q | k | v] side by side (Megatron's fused layout)\n"
            "        qkv = self.c_attn(x).view(B, T, self.n_head, 3 * (C // self.n_head)).transpose(1, 2)\n"
            "        q, k, v = qkv.split(C // self.n_head, dim=-1)",
            "attention",
            "c_attn's output read in Megatron's layout, [q|k|v] per head, not HF's [q|k|v] of n_head blocks each",
        ),
        ("qkv-split: per head",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- LayerNorm
    HeldOut(
        _v7(
            "ln-var-mean-unpacked-backwards",
            "layernorm.py",
            _LN_MEAN_VAR,
            "mean, var = torch.var_mean(x, dim=-1, keepdim=True, correction=0)",
            "layernorm",
            "torch.var_mean unpacked as (mean, var): it returns (var, mean), so the two statistics are swapped",
        ),
        ("layernorm: var_mean outputs swapped",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "ln-weight-uninitialised",
            "layernorm.py",
            "self.weight = nn.Parameter(torch.ones(ndim))",
            "self.weight = nn.Parameter(torch.Tensor(ndim))",
            "layernorm",
            "the gain made with torch.Tensor(ndim) (an old habit) and never filled: uninitialised memory, not ones",
        ),
        ("layernorm-init: weight uninitialised",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "ln-params-2d",
            "layernorm.py",
            "self.weight = nn.Parameter(torch.ones(ndim))\n        self.bias = nn.Parameter(torch.zeros(ndim))",
            "self.weight = nn.Parameter(torch.ones(1, ndim))\n        self.bias = nn.Parameter(torch.zeros(1, ndim))",
            "layernorm",
            "gain and bias shaped (1, ndim) to broadcast: HF's (768,) tensors do not load, and weight decay takes them",
        ),
        ("layernorm-params: shape (1, ndim)",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "ln-biased-std-plus-eps",
            "layernorm.py",
            _LN_NORM,
            "x_hat = (x - mean) / (x.std(dim=-1, keepdim=True, unbiased=False) + self.eps)",
            "layernorm",
            "normalised by the (biased) std plus eps: the variance is right, but eps sits outside the square root",
        ),
        ("eps-outside-sqrt",),
    ),
    # ---------------------------------------------------------------- MLP
    HeldOut(
        _v7(
            "elu-for-gelu",
            "mlp.py",
            _GELU,
            "F.elu(self.c_fc(x))",
            "mlp",
            "F.elu where F.gelu was meant (one letter, and the editor's completion): ELU, not GELU",
        ),
        ("gelu: elu",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "gelu-sigmoid-for-tanh",
            "mlp.py",
            "return " + _MLP_OUT,
            "h = self.c_fc(x)\n"
            "        h = 0.5 * h * (1.0 + torch.sigmoid((2.0 / torch.pi) ** 0.5 * (h + 0.044715 * h**3)))\n"
            "        return self.c_proj(h)",
            "mlp",
            "hand-written tanh GELU with torch.sigmoid where torch.tanh belongs (the two sigmoid-like curves mixed)",
        ),
        ("gelu: other",),
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v7(
            "residual-scaled-in-forward",
            "block.py",
            _BLOCK_FORWARD,
            "self.mlp = MLP(config)\n"
            "        # GPT-2 paper: residual layers scaled by 1/sqrt(N), N = 2 * n_layer residual branches\n"
            "        self.residual_scale = (2 * config.n_layer) ** -0.5\n\n"
            "    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:\n"
            "        x = x + self.residual_scale * self.attn(self.ln_1(x), cache)\n"
            "        x = x + self.residual_scale * self.mlp(self.ln_2(x))",
            "block",
            "the paper's 1/sqrt(N) residual scaling applied to the branch outputs in forward, not to c_proj's init",
        ),
        ("block: residual branches scaled by 1/sqrt(2*n_layer)",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "ln-2-aliases-ln-1",
            "block.py",
            "self.ln_2 = LayerNorm(config.n_embd)",
            "self.ln_2 = self.ln_1",
            "block",
            "ln_2 = self.ln_1: one LayerNorm under two names, shared by both branches (ln_2's own weights never exist)",
        ),
        ("shared-layernorm",),
    ),
    # ---------------------------------------------------------------- GPT, init, loading, loss
    HeldOut(
        _v7(
            "residual-init-precedence",
            "gpt.py",
            "std=0.02 / math.sqrt(2 * config.n_layer))",
            "std=0.02 * 2 * config.n_layer**-0.5)",
            "gpt",
            "build-nanogpt's std *= (2 * n_layer) ** -0.5 written without the parentheses: 2 / sqrt(n_layer) times",
        ),
        ("residual-init: 0.04/sqrt(n_layer)",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "from-hf-rebinds-state-dict",
            "gpt.py",
            "with torch.no_grad():\n                target.copy_(tensor)",
            "ours[name] = tensor",
            "gpt",
            "the HF loader assigns into the state_dict() dict (sd[k] = hf[k]), no copy_: the model keeps its init",
        ),
        ("from-hf: weights not copied into the model",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "logits-rescaled-tied-head",
            "gpt.py",
            "logits = self.lm_head(self.transformer.ln_f(x))",
            "logits = self.lm_head(self.transformer.ln_f(x) * self.config.n_embd**-0.5)  # tied head: rescale (T5)",
            "gpt",
            "the final hidden state scaled by 1/sqrt(n_embd) before the tied head (Mesh-TF T5's habit), not in GPT-2",
        ),
        ("logits: scaled by 1/sqrt(n_embd)",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "forward-returns-loss-first",
            "gpt.py",
            "return logits, loss",
            "return loss, logits",
            "gpt",
            "forward returns (loss, logits), Hugging Face's order, where the contract (and nanoGPT) has (logits, loss)",
        ),
        ("forward: returns (loss, logits)",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "loss-on-3d-logits",
            "gpt.py",
            _SOFTMAX_CE,
            "loss = F.cross_entropy(logits, targets)",
            "loss",
            "cross_entropy on the (B, T, V) logits unflattened: PyTorch reads dim 1 (T) as the classes",
        ),
        ("loss: logits not flattened",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v7(
            "crop-overwrites-idx",
            "gpt.py",
            "idx_cond = idx[:, -self.config.block_size :]\n                logits, _ = self(idx_cond)",
            "idx = idx[:, -self.config.block_size :]\n                logits, _ = self(idx)",
            "generate",
            "the context cropped into idx itself, not idx_cond: past block_size the returned sequence loses its start",
        ),
        ("generate: crop overwrites idx",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "temperature-after-softmax",
            "gpt.py",
            _TEMPERATURE,
            _TOPK_SAMPLE + "\n                probs = F.softmax(logits, dim=-1) / temperature",
            "generate",
            "the probabilities divided by the temperature after the softmax: multinomial renormalises, it does nothing",
        ),
        ("temperature: ignored",),
    ),
    HeldOut(
        _v7(
            "kv-cache-mask-for-one-token",
            "attention.py",
            ".tril(diagonal=S - T)",
            ".tril(diagonal=S - 1)",
            "generate",
            "the cached mask's diagonal written for one new token (S - 1): the prompt's pass attends to its own future",
        ),
        ("kv-cache: mask diagonal S - 1",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "kv-cache-returns-before-append",
            "attention.py",
            _KV_APPEND,
            "out = self.k[:, :, : self.length], self.v[:, :, : self.length]\n"
            "        self.length = end\n"
            "        return out",
            "generate",
            "append returns the keys cached before this call: new tokens never see themselves (the prompt sees none)",
        ),
        ("kv-cache: new keys not attended",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "top-k-kthvalue",
            "gpt.py",
            "kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]",
            "kth = torch.kthvalue(logits, min(top_k, logits.size(-1)), dim=-1, keepdim=True).values",
            "generate",
            "the threshold taken with torch.kthvalue, which is the k-th SMALLEST: all but the k - 1 least likely kept",
        ),
        ("top-k: kthvalue (k-th smallest)",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v7(
            "bpe-rightmost-pair",
            "tokenizer.py",
            _BPE_PICK,
            "rank, i = inf, len(pair_ranks) - 1\n"
            "        for j, r in enumerate(pair_ranks):\n"
            "            if r <= rank:  # the lowest rank\n"
            "                rank, i = r, j\n"
            "        if rank >= limit:\n"
            "            break",
            "tokenizer",
            "encode's scan for the lowest-ranked pair compares with <=: of two equal pairs the rightmost merges first",
        ),
        ("encode: rightmost pair first",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "pattern-whitespace-prefix",
            "tokenizer.py",
            _PATTERN_CLASSES,
            _PATTERN_CLASSES.replace(" ?", r"\s?"),
            "tokenizer",
            r"the optional space before letters, digits and symbols written \s?: a newline or tab joins the next word",
        ),
        ("pattern: \\s? for the optional space",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "special-split-without-group",
            "tokenizer.py",
            _SPLIT_SPECIAL,
            "for part in self._special_regex(allowed).split(text):\n            yield part in allowed, part",
            "tokenizer",
            "minbpe's re.split on the specials' pattern without its capturing group: the allowed specials are dropped",
        ),
        ("specials: allowed ones dropped",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "tie-break-concatenated-bytes",
            "tokenizer.py",
            _ENTRY + "\n\n" + _HEAP_ORDER.removeprefix("return (-count, vocab[pair[0]], vocab[pair[1]], pair)\n\n"),
            "def entry(pair: tuple[int, int], count: int) -> tuple:\n"
            "            # heapq pops the smallest: the highest count, then the smallest merged token.\n"
            "            return (-count, vocab[pair[0]] + vocab[pair[1]], pair)\n\n"
            + _HEAP_ORDER.removeprefix("return (-count, vocab[pair[0]], vocab[pair[1]], pair)\n\n").replace(
                "neg_count, _, _, pair", "neg_count, _, pair"
            ),
            "tokenizer",
            "count ties broken by the merged token's bytes (left + right), not by the pair (left bytes, right bytes)",
        ),
        ("tokenizer-tie-break: concatenated bytes",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "stream-hold-without-specials",
            "tokenizer.py",
            "hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)",
            "hold = _LOOKAHEAD",
            "tokenizer",
            "streaming holds back only the pattern's look-ahead: a special cut by a chunk boundary goes out as text",
        ),
        ("encode-iter: hold-back ignores special tokens",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "pattern-argument-not-compiled",
            "tokenizer.py",
            "self._compiled = regex.compile(pattern)",
            "self._compiled = regex.compile(GPT2_PATTERN)",
            "tokenizer",
            "the pattern argument stored but GPT2_PATTERN compiled: a tokenizer with another pattern splits as GPT-2",
        ),
        ("pattern: custom pattern ignored",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "save-without-pattern",
            "tokenizer.py",
            _SAVE_PATTERN,
            _SAVE_PATTERN.removeprefix('"pattern": self.pattern,\n            ').replace(
                'data["pattern"]', 'data.get("pattern", GPT2_PATTERN)'
            ),
            "tokenizer",
            "save leaves the pattern out of the file and load falls back to GPT-2's: a custom pattern does not survive",
        ),
        ("load-falls-back-to-gpt2-pattern",),
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v7(
            "targets-index-not-wrapped",
            "data.py",
            _BATCH_ROWS,
            "positions = (start + torch.arange(B * T)) % len(self.tokens)\n"
            "        x = self.tokens[positions].view(B, T)  # inputs\n"
            "        y = self.tokens[positions + 1].view(B, T)  # targets: the next token of each input",
            "data",
            "the modulo applied to the inputs' positions only: y reads positions + 1, one past the end at the wrap",
        ),
        ("loader: targets not wrapped",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "counter-advanced-by-world-size",
            "data.py",
            "self.batches += 1\n        return x, y",
            "self.batches += self.world_size\n        return x, y",
            "data",
            "the batch counter advanced by world_size although start already multiplies it by world_size",
        ),
        ("loader-stride: B*T*W*W",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "list-tokens-rejected",
            "data.py",
            "return torch.from_numpy(np.asarray(tokens).astype(np.int64).reshape(-1))",
            "return torch.from_numpy(tokens.astype(np.int64).reshape(-1))",
            "data",
            "the tokens taken to be a NumPy array (nanoGPT's memmap): a plain list of ids raises AttributeError",
        ),
        ("loader: list tokens rejected",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v7(
            "decay-ratio-floor-division",
            "training.py",
            "decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)",
            "decay_ratio = (step - warmup_steps) // (max_steps - warmup_steps)",
            "training",
            "the decay ratio computed with //: it stays 0 until max_steps, so the lr holds max_lr and then drops",
        ),
        ("lr-schedule: decay ratio floor-divided",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "adamw-eps-not-passed",
            "training.py",
            "betas=betas, eps=eps, fused=fused)",
            "betas=betas, fused=fused)",
            "training",
            "configure_optimizers takes eps but never passes it to AdamW: the optimizer runs with its default 1e-8",
        ),
        ("adamw-eps: 1e-08",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "clip-first-group-only",
            "training.py",
            "norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)",
            'norm = torch.nn.utils.clip_grad_norm_(optimizer.param_groups[0]["params"], max_norm)',
            "training",
            "the gradient clipped (and its norm measured) over the first param group only: biases and gains left out",
        ),
        ("clip: first param group only",),  # no family known to this author
    ),
    HeldOut(
        _v7(
            "checkpoint-saves-next-step",
            "training.py",
            '"step": step,',
            '"step": step + 1,  # the step to resume from',
            "training",
            "save_checkpoint stores step + 1 (the step a resume starts at), so load_checkpoint returns the next step",
        ),
        ("load-checkpoint-returns-next-step",),
    ),
    HeldOut(
        _v7(
            "weight-decay-on-the-optimizer",
            "training.py",
            _OPTIMIZER,
            _OPTIMIZER.replace(', "weight_decay": weight_decay}', "}")
            .replace(', "weight_decay": 0.0}', "}")
            .replace("eps=eps, fused", "eps=eps, weight_decay=weight_decay, fused"),
            "training",
            "the groups built without their weight_decay keys and weight_decay passed to AdamW: every group decays",
        ),
        ("decay-every-parameter",),
    ),
    HeldOut(
        _v7(
            "loader-state-typo",
            "data.py",
            'self.batches = int(state["batches"])',
            'self.batch = int(state["batches"])',
            "training",
            "load_state_dict restores into self.batch, a name next_batch never reads: a resumed run re-reads batch 0",
        ),
        ("checkpoint-without-loader", "loader: load_state_dict does not restore"),
    ),
]

V7_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V7}


# ==================================================================== HELDOUT_V8
# An eighth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the diagnosis tool or any diagnosis output. Written from what participants get wrong when they
# write GPT-2 from scratch (nanoGPT / minGPT / minbpe / build-nanogpt / CS336 habits), not from what the tool
# measures. None is a known bug of the library or a v1-v7 entry written the same way (a few ARE a known bug's
# mistake, or an earlier entry's family, written differently, and then ``accept`` names that bug or family);
# each was checked only for validity (it materialises and a non-slow spec test of its section fails with the
# fingerprint off), never run through the diagnosis. ``accept`` names the family and parameter in plain
# ``family: parameter`` words, spelled as earlier sets spell the same family where one exists.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint``): 34 of the 34 fail a test,
# so no spec gap is kept. Sections: attention 2, layernorm 4, mlp 2, block 2, gpt 5, loss 2, generate 5 (two of
# them, the KV-cache edits to attention.py, caught by generate's cached-equals-recomputed test; attention's own
# tests never use the cache), tokenizer 4, data 2, training 6 (one of them, ho8-loader-state-one-ahead, is an edit
# to data.py graded by the resume test). Dropped before commit, as no non-slow test of its section fails (a spec
# gap, not kept): the sampling line dividing the already tempered logits by temperature again (temperature
# squared); and two edits that turned out to repeat earlier entries (a decay group of p.dim() > 2, the same edit
# as ho2-decay-nothing; a decay ratio of step / max_steps, the same edit as ho-cosine-over-all-steps).

_V8_SCORES = "att = (q @ k.transpose(-2, -1)) * k.size(-1) ** -0.5\n        T_ = q.size(-2)\n        "
_V8_MASK = "future = torch.ones(T_, T_, dtype=torch.bool, device=q.device).triu(1)\n        "
_V8_BLOCK_ATTN = "x = x + self.attn(self.ln_1(x), cache)"
_V8_BLOCK_MLP = "x = x + self.mlp(self.ln_2(x))"
_V8_LN_MEAN = "mean = x.mean(dim=-1, keepdim=True)"
_V8_LN_VAR = "var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C"
_V8_EMBED = "x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B,T,C) + (T,C) broadcast"
_V8_LOSS = "loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))"
_V8_SAMPLE = "idx_next = torch.multinomial(probs, num_samples=1, generator=generator)"
_V8_KTH = "kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]"


_v8 = partial(_in_set, 8)


HELDOUT_V8: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v8(
            "attention-log-softmax",
            "attention.py",
            _SDPA,
            _V8_SCORES + _V8_MASK + 'att = att.masked_fill(future, float("-inf"))\n'
            "        return torch.log_softmax(att, dim=-1) @ v",
            "attention",
            "the attention weights taken with log_softmax (autocompleted for softmax): log-probabilities weight v",
        ),
        ("attention-softmax: log_softmax",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "queries-prescaled-and-sdpa-scaled",
            "attention.py",
            _SDPA,
            "q = q / math.sqrt(k.size(-1))  # scale the queries first, as the paper's formula reads\n"
            "        return F.scaled_dot_product_attention(q, k, v, is_causal=True)",
            "attention",
            "q divided by sqrt(head_dim) and then SDPA left at its default scale, which divides by it again",
        ),
        ("attention-scale: 1/head_dim",),
    ),
    HeldOut(
        _v8(
            "kv-cache-writes-at-zero",
            "attention.py",
            "self.k[:, :, start:end] = k\n        self.v[:, :, start:end] = v",
            "self.k[:, :, : k.size(2)] = k\n        self.v[:, :, : v.size(2)] = v",
            "generate",
            "the cache writes each new k, v at slot 0 (sliced by the new length, not start:end): earlier keys lost",
        ),
        ("kv-cache: appended at slot 0",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "kv-cache-reallocated-every-append",
            "attention.py",
            "if self.k is None or self.v is None:  # allocate lazily",
            "if True:  # allocate lazily",
            "generate",
            "the buffers re-allocated (zeros) on every append: the cached positions read back as zero keys and values",
        ),
        ("kv-cache: cached positions zeroed",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- LayerNorm
    HeldOut(
        _v8(
            "ln-mean-absolute-deviation",
            "layernorm.py",
            _V8_LN_VAR,
            "var = (x - mean).abs().mean(dim=-1, keepdim=True)",
            "layernorm",
            "the spread measured as the mean absolute deviation |x - mean|, not the mean squared deviation",
        ),
        ("layernorm-variance: mean absolute deviation",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "ln-l2-normalize",
            "layernorm.py",
            "x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt",
            "x_hat = nn.functional.normalize(x - mean, dim=-1, eps=self.eps)",
            "layernorm",
            "the centred vector L2-normalised (F.normalize): divided by its norm, sqrt(C) times the std",
        ),
        ("layernorm: L2-normalised (norm, not std)",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "ln-eps-added-to-output",
            "layernorm.py",
            "x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt",
            "x_hat = (x - mean) / torch.sqrt(var) + self.eps",
            "layernorm",
            "eps added to the normalised output instead of the variance: a constant row divides 0 by 0",
        ),
        ("layernorm-eps: added to the output",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "ln-var-without-keepdim",
            "layernorm.py",
            _V8_LN_VAR,
            "var = (x - mean).pow(2).mean(dim=-1)",
            "layernorm",
            "the variance taken without keepdim: (B, T) does not broadcast against (B, T, C)",
        ),
        ("layernorm: var without keepdim", "layernorm: mean without keepdim"),
    ),
    # ---------------------------------------------------------------- MLP
    HeldOut(
        _v8(
            "gelu-applied-twice",
            "mlp.py",
            _GELU,
            'F.gelu(F.gelu(self.c_fc(x), approximate="tanh"), approximate="tanh")',
            "mlp",
            "GELU applied to the hidden activations twice (nn.GELU in the Sequential and again in forward)",
        ),
        ("gelu: applied twice", "gelu: other"),
    ),
    HeldOut(
        _v8(
            "softplus-for-gelu",
            "mlp.py",
            _GELU,
            "F.softplus(self.c_fc(x))",
            "mlp",
            "softplus (the smooth ReLU) used for GELU",
        ),
        ("gelu: softplus", "gelu: other"),
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v8(
            "attention-residual-subtracted",
            "block.py",
            _V8_BLOCK_ATTN,
            "x = x - self.attn(self.ln_1(x), cache)",
            "block",
            "the attention branch subtracted from the residual stream (a sign typo)",
        ),
        ("block-wiring: attention subtracted",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "mlp-reads-ln-2-of-ln-1",
            "block.py",
            _V8_BLOCK_MLP,
            "x = x + self.mlp(self.ln_2(self.ln_1(x)))",
            "block",
            "the MLP branch normalised twice, ln_2(ln_1(x)), copied from the attention line",
        ),
        ("block-wiring: ln_2 input",),
    ),
    # ---------------------------------------------------------------- GPT
    HeldOut(
        _v8(
            "ln-f-after-every-block",
            "gpt.py",
            "x = block(x, None if cache is None else cache[i])",
            "x = self.transformer.ln_f(block(x, None if cache is None else cache[i]))",
            "gpt",
            "ln_f applied to every block's output inside the loop, not once after the stack",
        ),
        ("ln_f: after every block",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "positions-multiplied",
            "gpt.py",
            _V8_EMBED,
            "x = self.transformer.wte(idx) * self.transformer.wpe(pos)",
            "gpt",
            "token and position embeddings multiplied, not added",
        ),
        ("positions: multiplied",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "init-std-0-2",
            "gpt.py",
            "nn.init.normal_(module.weight, mean=0.0, std=0.02)",
            "nn.init.normal_(module.weight, mean=0.0, std=0.2)",
            "gpt",
            "every Linear and Embedding initialised with std 0.2 (a dropped zero), not 0.02",
        ),
        ("init: std 0.2",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "residual-init-on-c-attn",
            "gpt.py",
            'if name.endswith("c_proj.weight"):',
            'if name.endswith("c_attn.weight"):',
            "gpt",
            "the 1/sqrt(2 n_layer) init applied to c_attn (the qkv projection) instead of the residual c_proj",
        ),
        ("residual-init: c_attn, not c_proj", "no-residual-init-scaling"),
    ),
    HeldOut(
        _v8(
            "biases-init-normal",
            "gpt.py",
            "nn.init.zeros_(module.bias)",
            "nn.init.normal_(module.bias, mean=0.0, std=0.02)",
            "gpt",
            "Linear biases initialised N(0, 0.02) like the weights, not zero",
        ),
        ("init: biases not zeroed",),
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v8(
            "loss-per-sequence",
            "gpt.py",
            _V8_LOSS,
            'loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1), reduction="sum")\n'
            "            loss = loss / idx.size(0)  # mean over the batch",
            "loss",
            "the summed loss divided by the batch size only: a mean per sequence, T times the mean per token",
        ),
        ("loss: sum / B",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "loss-against-inputs",
            "gpt.py",
            _V8_LOSS,
            "loss = F.cross_entropy(logits.view(-1, logits.size(-1)), idx.reshape(-1))",
            "loss",
            "the loss computed against idx (the inputs) instead of targets: the model learns to copy its input",
        ),
        ("loss: targets are the inputs", "target-shift: 0"),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v8(
            "greedy-argmax-over-batch",
            "gpt.py",
            "idx_next = logits.argmax(dim=-1, keepdim=True)",
            "idx_next = logits.argmax(dim=0, keepdim=True).T[:, :1]",
            "generate",
            "greedy decoding takes argmax over the batch dimension, not the vocabulary",
        ),
        ("generate: argmax over the batch",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "top-k-smallest",
            "gpt.py",
            _V8_KTH,
            "kth = torch.topk(logits, min(top_k, logits.size(-1)), largest=False).values[:, [-1]]",
            "generate",
            "topk called with largest=False: the threshold is the k-th smallest logit, so almost everything stays",
        ),
        ("top-k: kthvalue (k-th smallest)", "top-k: k-th smallest threshold"),
    ),
    HeldOut(
        _v8(
            "top-k-threshold-from-probs",
            "gpt.py",
            _V8_KTH,
            "kth = torch.topk(F.softmax(logits, dim=-1), min(top_k, logits.size(-1))).values[:, [-1]]",
            "generate",
            "the k-th threshold taken from the probabilities but compared with the logits",
        ),
        ("top-k: threshold from probabilities",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v8(
            "pattern-digits-without-space",
            "tokenizer.py",
            r" ?\p{N}+",
            r"\p{N}+",
            "tokenizer",
            "the digit alternative written without its optional leading space: ' 42' splits as ' ' and '42'",
        ),
        ("pattern: no space before digits",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "pattern-punctuation-takes-whitespace",
            "tokenizer.py",
            r" ?[^\s\p{L}\p{N}]+",
            r" ?[^\p{L}\p{N}]+",
            "tokenizer",
            "the punctuation class written [^\\p{L}\\p{N}] without \\s: runs of punctuation swallow whitespace",
        ),
        ("pattern: punctuation includes whitespace",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "decode-joined-with-spaces",
            "tokenizer.py",
            'return b"".join(self._decoder[i] for i in ids)',
            'return b" ".join(self._decoder[i] for i in ids)',
            "tokenizer",
            "decode joins the tokens' bytes with a space (the str.join habit for words), not with nothing",
        ),
        ("decode: tokens joined with spaces",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "specials-ids-skip-one",
            "tokenizer.py",
            "{s: len(vocab) + k for k, s in enumerate(specials)}",
            "{s: len(vocab) + k + 1 for k, s in enumerate(specials)}",
            "tokenizer",
            "trained special tokens numbered from len(vocab) + 1: an id gap after the merges",
        ),
        ("specials: ids start one past the merges",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v8(
            "loader-wraps-only-the-start",
            "data.py",
            "positions = (start + torch.arange(B * T + 1)) % len(self.tokens)",
            "positions = start % len(self.tokens) + torch.arange(B * T + 1)",
            "data",
            "only the batch's start wrapped modulo the stream: a batch that crosses the end reads past it",
        ),
        ("loader: no wrap-around",),
    ),
    HeldOut(
        _v8(
            "loader-stride-b",
            "data.py",
            "start = (self.batches * self.world_size + self.rank) * B * T",
            "start = (self.batches * self.world_size + self.rank) * B",
            "data",
            "consecutive batches start B tokens apart, not B*T: batches overlap almost entirely",
        ),
        ("loader-stride: B",),
    ),
    HeldOut(
        _v8(
            "loader-state-one-ahead",
            "data.py",
            'return {"batches": self.batches}',
            'return {"batches": self.batches + 1}',
            "training",
            "state_dict saves the next batch index plus one: a resumed loader skips a batch",
        ),
        ("loader: state one batch ahead",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v8(
            "betas-swapped",
            "training.py",
            "betas: tuple[float, float] = (0.9, 0.95),",
            "betas: tuple[float, float] = (0.95, 0.9),",
            "training",
            "the default AdamW betas written (0.95, 0.9): beta1 and beta2 swapped",
        ),
        ("adamw-betas: (0.95, 0.9)",),
    ),
    HeldOut(
        _v8(
            "reported-loss-last-micro-batch",
            "training.py",
            "loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)",
            "loss_accum = loss.detach()",
            "training",
            "the reported loss overwritten by each micro-batch's (already divided) loss instead of summed",
        ),
        ("train-step: reported loss of the last micro-batch",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "cosine-full-period",
            "training.py",
            "coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0",
            "coeff = 0.5 * (1.0 + math.cos(2 * math.pi * decay_ratio))",
            "training",
            "the cosine runs a full period (2 pi): the lr falls to min_lr half-way and climbs back to max_lr",
        ),
        ("lr-schedule: full cosine period",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "max-lr-after-end",
            "training.py",
            "if step >= max_steps:\n        return min_lr",
            "if step >= max_steps:\n        return max_lr",
            "training",
            "past max_steps the schedule returns max_lr (a copy-paste of the warmup branch), not min_lr",
        ),
        ("lr-schedule: max_lr after max_steps",),  # no family known to this author
    ),
    HeldOut(
        _v8(
            "adamw-eps-1e-6",
            "training.py",
            "eps: float = 1e-8,",
            "eps: float = 1e-6,",
            "training",
            "AdamW's eps defaulted to 1e-6 (a habit from other setups), not 1e-8",
        ),
        ("adamw-eps: 1e-06",),
    ),
]

V8_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V8}


# ==================================================================== HELDOUT_V9
# A ninth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the diagnosis tool or any diagnosis output. Written from what participants get wrong when they
# write GPT-2 from scratch (nanoGPT / minGPT / minbpe / build-nanogpt / modded-nanogpt / CS336 habits: wrong
# dims, off-by-ones, positional-argument and autocomplete slips, misread signatures, dtype shortcuts), not from
# what the tool measures. None is a known bug of the library or a v1-v8 entry written the same way (a few vary an
# earlier entry's family with a new parameter, and then ``accept`` spells that family as earlier sets do); each
# was checked only for validity (it materialises and a non-slow spec test of its section fails with the
# fingerprint off), never run through the diagnosis. ``accept`` names the family and parameter in plain
# ``family: parameter`` words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint``): 51 of the 54 written fail a
# test; the 51 kept are attention 5, layernorm 5, mlp 3, block 3, gpt 4, config 1, loss 2, generate 9 (three of
# them, the KV-cache edits to attention.py, caught by generate's tests), tokenizer 9, data 4, training 6.
# Dropped before commit, as no non-slow test of its section fails (possible spec gaps, not kept): the residual
# projections initialised with 0.02/sqrt(2*n_head) (n_head for n_layer); vocab_size returning max(id) instead of
# the number of tokens; a 2-D token *tensor* widened but not flattened by the loader (the NumPy branch flattens).

_V9_SDPA = "return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))"
_V9_SPLIT = "q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))"
_V9_GELU = 'F.gelu(self.c_fc(x), approximate="tanh")'
_V9_RESID_STD = "nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))"
_V9_LOSS = "loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))"
_V9_KTH = "kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]"
_V9_PATTERN = r"'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|"
_V9_BLOCK_LNS = (
    "self.ln_1 = LayerNorm(config.n_embd)\n"
    "        self.attn = CausalSelfAttention(config)\n"
    "        self.ln_2 = LayerNorm(config.n_embd)"
)
_V9_STEP = (
    "        loss.backward()\n"
    "    if dist.is_available() and dist.is_initialized():\n"
    "        # For logging only: the gradients are already averaged by DDP. gloo has no AVG, so SUM / W.\n"
    "        dist.all_reduce(loss_accum, op=dist.ReduceOp.SUM)\n"
    "        loss_accum = loss_accum / dist.get_world_size()\n"
    "    # Clip before the step, so the update uses the clipped gradient.\n"
    "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
    "    optimizer.step()\n"
)


_v9 = partial(_in_set, 9)


HELDOUT_V9: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v9(
            "heads-merged-transposing-2-3",
            "attention.py",
            "y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side",
            "y = y.transpose(2, 3).contiguous().view(B, T, C)  # re-assemble the heads side by side",
            "attention",
            "heads merged with transpose(2, 3) (the last two dims, as for k^T) instead of transpose(1, 2): "
            "(B, n_head, head_dim, T) viewed as (B, T, C) mixes time steps, heads and features",
        ),
        ("heads-merge: transpose(2, 3)",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "heads-split-permuted-channels-last",
            "attention.py",
            _V9_SPLIT,
            "q, k, v = (t.view(B, T, self.n_head, C // self.n_head).permute(0, 2, 3, 1) for t in (q, k, v))",
            "attention",
            "heads split with permute(0, 2, 3, 1) (a channels-last habit) instead of transpose(1, 2): q, k, v are "
            "(B, n_head, head_dim, T), so attention runs over the head_dim axis with the time steps as features",
        ),
        ("heads-split: permute(0, 2, 3, 1)",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "qkv-split-size-3",
            "attention.py",
            "q, k, v = self.c_attn(x).split(self.n_embd, dim=2)",
            "q, k, v = self.c_attn(x).split(3, dim=2)",
            "attention",
            "split(3) written for chunk(3): torch.split takes the size of each piece, not their number, so c_attn's "
            "output falls into n_embd pieces of width 3 and the unpacking into q, k, v raises",
        ),
        ("qkv-split: split(3) for chunk(3)",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "c-proj-of-the-input",
            "attention.py",
            "return self.c_proj(y)",
            "return self.c_proj(x)",
            "attention",
            "a typo projects the block input x instead of the attention output y: the attention is computed and "
            "thrown away, c_attn gets no gradient",
        ),
        ("attention: c_proj of the input", "unused-parameter: c_attn"),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "is-causal-positional",
            "attention.py",
            _V9_SDPA,
            "return F.scaled_dot_product_attention(q, k, v, True, scale=1.0 / math.sqrt(k.size(-1)))",
            "attention",
            "is_causal passed positionally: SDPA's fourth positional parameter is attn_mask, which must be a "
            "tensor, so every forward pass raises",
        ),
        ("attention: is_causal passed as attn_mask",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v9(
            "ln-statistics-no-grad",
            "layernorm.py",
            "mean = x.mean(dim=-1, keepdim=True)\n"
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C",
            "with torch.no_grad():  # the statistics are constants, no need to backprop through them\n"
            "            mean = x.mean(dim=-1, keepdim=True)\n"
            "            var = (x - mean).pow(2).mean(dim=-1, keepdim=True)",
            "layernorm",
            "mean and variance computed under torch.no_grad() to save memory: the forward pass is exact, but the "
            "gradient misses the paths through the statistics",
        ),
        ("layernorm: statistics detached",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "ln-mean-over-c-minus-1",
            "layernorm.py",
            "mean = x.mean(dim=-1, keepdim=True)",
            "mean = x.sum(dim=-1, keepdim=True) / (x.size(-1) - 1)",
            "layernorm",
            "the mean written as a sum divided by C - 1 (Bessel's correction carried over from the variance): the "
            "input is centred on C/(C-1) times its mean",
        ),
        ("layernorm-mean: sum / (C - 1)",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "ln-eps-1e-7",
            "layernorm.py",
            "eps: float = 1e-5",
            "eps: float = 1e-7",
            "layernorm",
            "eps defaulted to 1e-7 (Keras' backend epsilon), not GPT-2's 1e-5",
        ),
        ("layernorm-eps: 1e-07",),
    ),
    HeldOut(
        _v9(
            "ln-weight-init-randn",
            "layernorm.py",
            "self.weight = nn.Parameter(torch.ones(ndim))",
            "self.weight = nn.Parameter(torch.randn(ndim))",
            "layernorm",
            "the gain initialised with torch.randn like the other weights, not with ones",
        ),
        ("layernorm-init: weight randn",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "ln-weight-as-buffer",
            "layernorm.py",
            "self.weight = nn.Parameter(torch.ones(ndim))",
            'self.register_buffer("weight", torch.ones(ndim))',
            "layernorm",
            "the gain registered as a buffer (BatchNorm's running statistics in mind): it loads from a state dict "
            "but is no parameter, so it gets no gradient and is never trained",
        ),
        ("layernorm-params: weight is a buffer",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v9(
            "mlp-self-gated",
            "mlp.py",
            _V9_GELU,
            _V9_GELU + " * self.c_fc(x)",
            "mlp",
            "a GeGLU habit without the gate's weights: GELU(c_fc(x)) multiplied by c_fc(x) itself",
        ),
        ("mlp: hidden gated by itself",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "glu-for-gelu",
            "mlp.py",
            _V9_GELU,
            "F.glu(self.c_fc(x))",
            "mlp",
            "F.glu where F.gelu was meant (the editor's first completion): GLU halves the hidden width, so c_proj "
            "gets 2*n_embd features instead of 4*n_embd and raises",
        ),
        ("gelu: glu",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "erf-gelu-over-2",
            "mlp.py",
            _V9_GELU,
            "0.5 * self.c_fc(x) * (1 + torch.erf(self.c_fc(x) / 2))",
            "mlp",
            "GELU written by hand from the erf formula with x / 2 inside the erf instead of x / sqrt(2)",
        ),
        ("gelu: other",),
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v9(
            "nanogpt-layernorm-signature",
            "block.py",
            _V9_BLOCK_LNS,
            "self.ln_1 = LayerNorm(config.n_embd, True)  # nanoGPT: LayerNorm(ndim, bias)\n"
            "        self.attn = CausalSelfAttention(config)\n"
            "        self.ln_2 = LayerNorm(config.n_embd, True)",
            "block",
            "nanoGPT's LayerNorm(ndim, bias) call copied onto a LayerNorm(ndim, eps): the True lands in eps, so "
            "both block norms run with eps = 1",
        ),
        ("layernorm-eps: 1",),
    ),
    HeldOut(
        _v9(
            "block-forward-no-return",
            "block.py",
            "x = x + self.mlp(self.ln_2(x))\n        return x",
            "x = x + self.mlp(self.ln_2(x))",
            "block",
            "the block's forward ends without return x: it returns None, which the next block cannot take",
        ),
        ("block: forward returns None",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "ln-2-on-mlp-output",
            "block.py",
            "x = x + self.mlp(self.ln_2(x))",
            "x = x + self.ln_2(self.mlp(x))",
            "block",
            "ln_2 normalises the MLP branch's output instead of its input (pre-LN for attention, the norm after "
            "the MLP)",
        ),
        ("block-wiring: ln_2 on the mlp output",),
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v9(
            "residual-init-zeros",
            "gpt.py",
            _V9_RESID_STD,
            "nn.init.zeros_(p)  # zero-init the residual projections (modded-nanogpt)",
            "gpt",
            "the residual projections zero-initialised (a modded-nanogpt habit) instead of N(0, 0.02/sqrt(2*n_layer))",
        ),
        ("residual-init: zeros",),
    ),
    HeldOut(
        _v9(
            "residual-init-multiplied",
            "gpt.py",
            _V9_RESID_STD,
            "nn.init.normal_(p, mean=0.0, std=0.02 * math.sqrt(2 * config.n_layer))",
            "gpt",
            "the residual-projection std multiplied by sqrt(2*n_layer) instead of divided: the paper's 'scale by "
            "1/sqrt(N)' read backwards",
        ),
        ("residual-init: 0.02*sqrt(2*n_layer)",),
    ),
    HeldOut(
        _v9(
            "linear-init-xavier",
            "gpt.py",
            "if isinstance(module, (nn.Linear, nn.Embedding)):\n"
            "            nn.init.normal_(module.weight, mean=0.0, std=0.02)",
            "if isinstance(module, nn.Linear):\n"
            "            nn.init.xavier_uniform_(module.weight)\n"
            "        elif isinstance(module, nn.Embedding):\n"
            "            nn.init.normal_(module.weight, mean=0.0, std=0.02)",
            "gpt",
            "the Linear weights initialised with xavier_uniform_ (the original Transformer's recipe), the embeddings "
            "with N(0, 0.02)",
        ),
        ("init: Linear weights xavier uniform",),
    ),
    HeldOut(
        _v9(
            "last-block-skipped",
            "gpt.py",
            "for i, block in enumerate(self.transformer.h):",
            "for i, block in enumerate(self.transformer.h[:-1]):",
            "gpt",
            "the block loop runs over h[:-1] (an off-by-one from a loop that once treated the last block apart): "
            "the last block's weights exist but are never used",
        ),
        ("blocks: last block skipped", "unused-parameter: h.-1"),  # no family known to this author
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v9(
            "vocab-size-50256",
            "config.py",
            "vocab_size: int = 50257",
            "vocab_size: int = 50256",
            "config",
            "vocab_size defaulted to 50256 (50,000 merges + 256 bytes, <|endoftext|> forgotten): one row short of "
            "GPT-2's table",
        ),
        ("config: vocab_size 50256",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v9(
            "loss-reduction-none",
            "gpt.py",
            _V9_LOSS,
            _V9_LOSS.removesuffix(")") + ', reduction="none")',
            "loss",
            "cross_entropy with reduction='none' (kept from a per-token debugging session): the loss is a vector "
            "of per-position losses, not their mean",
        ),
        ("loss: reduction none",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "loss-in-bits",
            "gpt.py",
            _V9_LOSS,
            _V9_LOSS + " / math.log(2)  # in bits",
            "loss",
            "the loss divided by ln 2 to report bits per token: the contract's loss is the cross-entropy in nats",
        ),
        ("loss: in bits",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v9(
            "top-k-threshold-index",
            "gpt.py",
            _V9_KTH,
            _V9_KTH.replace(".values[", ".indices["),
            "generate",
            "the top-k threshold read from .indices instead of .values (autocomplete): the logits are compared "
            "with the k-th token's id",
        ),
        ("top-k: threshold is the k-th index",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "multinomial-on-logits",
            "gpt.py",
            "probs = F.softmax(logits, dim=-1)",
            "probs = logits  # multinomial normalises the weights itself",
            "generate",
            "the softmax left out because torch.multinomial normalises its weights: the logits are negative (and "
            "-inf after top-k), not weights",
        ),
        ("sampling: multinomial on logits",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "crop-sign-dropped",
            "gpt.py",
            "idx_cond = idx[:, -self.config.block_size :]",
            "idx_cond = idx[:, self.config.block_size :]",
            "generate",
            "the crop's minus sign lost: idx[:, block_size:] drops the first block_size tokens instead of keeping "
            "the last block_size",
        ),
        ("generate-crop: drops the first block_size tokens",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "top-k-over-batch",
            "gpt.py",
            _V9_KTH,
            "kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=0).values[:, [-1]]",
            "generate",
            "topk taken over dim=0, the batch, instead of the vocabulary",
        ),
        ("top-k: over the batch dim",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "generates-one-extra",
            "gpt.py",
            "for _ in range(max_new_tokens):",
            "for _ in range(max_new_tokens + 1):",
            "generate",
            "the sampling loop runs max_new_tokens + 1 times (counting the prompt's step as well)",
        ),
        ("generate: max_new_tokens + 1",),
    ),
    HeldOut(
        _v9(
            "kv-cache-positions-arange-to-t",
            "gpt.py",
            "pos = torch.arange(start, start + T, device=idx.device)",
            "pos = torch.arange(start, T, device=idx.device)",
            "generate",
            "positions written arange(start, T) instead of arange(start, start + T): with a KV cache (start > 0) "
            "the range is empty",
        ),
        ("kv-cache: positions arange(start, T)",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "kv-cache-float-mask",
            "attention.py",
            "mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)",
            "mask = torch.ones(T, S, device=q.device).tril(diagonal=S - T)",
            "generate",
            "the cached path's mask built without dtype=torch.bool: SDPA adds a float mask to the scores, so the "
            "0/1 matrix masks nothing (the prompt's pass sees the future)",
        ),
        ("kv-cache: float 0/1 mask added",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "kv-cache-length-from-heads",
            "attention.py",
            "start, end = self.length, self.length + k.size(2)",
            "start, end = self.length, self.length + k.size(1)",
            "generate",
            "the cache advances by k.size(1), the number of heads, instead of k.size(2), the new positions",
        ),
        ("kv-cache: length from the head dim",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "kv-cache-scale-by-new-length",
            "attention.py",
            "attn_mask=mask, scale=1.0 / math.sqrt(q.size(-1)))",
            "attn_mask=mask, scale=1.0 / math.sqrt(q.size(-2)))",
            "generate",
            "the cached path's scale written 1/sqrt(q.size(-2)): the number of new queries, not head_dim "
            "(1 for every generated token: unscaled)",
        ),
        ("kv-cache: scale 1/sqrt(T_new)",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v9(
            "stale-heap-entries-used",
            "tokenizer.py",
            "neg_count, _, _, pair = heapq.heappop(heap)\n"
            "            if stats.get(pair, 0) != -neg_count:\n"
            "                continue  # this entry's count is out of date; a fresher one is in the heap",
            "_, _, _, pair = heapq.heappop(heap)\n"
            "            if pair in merges:\n"
            "                continue  # merged already",
            "tokenizer",
            "the lazy heap's staleness check replaced by 'already merged?': an entry whose count has dropped since "
            "it was pushed still wins with its old count",
        ),
        ("tokenizer-training: stale heap counts used",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "zero-count-pairs-kept",
            "tokenizer.py",
            "if stats[p] <= 0:\n                    del stats[p]",
            "if stats[p] < 0:\n                    del stats[p]",
            "tokenizer",
            "pairs are dropped from the counts only below zero (< for <=): pairs whose count fell to 0 stay and are "
            "merged once nothing better is left",
        ),
        ("tokenizer-training: merges pairs with count 0",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "bpe-stop-strict",
            "tokenizer.py",
            "if rank >= limit:\n            break",
            "if rank > limit:\n            break",
            "tokenizer",
            "encode's BPE loop stops at rank > limit (for >=): with no limit, inf > inf is false, so pairs that are "
            "not in the vocabulary are merged too",
        ),
        ("bpe: stop condition rank > limit",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "pattern-single-digits",
            "tokenizer.py",
            _V9_PATTERN,
            _V9_PATTERN.replace(r"| ?\p{N}+|", r"| ?\p{N}|"),
            "tokenizer",
            "the digit alternative written without + (LLaMA's split-digits habit): every digit is its own pre-token",
        ),
        ("pattern: single digits",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "pattern-space-after-letters",
            "tokenizer.py",
            _V9_PATTERN,
            _V9_PATTERN.replace(r"| ?\p{L}+|", r"|\p{L}+ ?|"),
            "tokenizer",
            "the optional space written after the letters instead of before: 'hello world' splits 'hello ' 'world'",
        ),
        ("pattern: space after letters",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "disallowed-checked-with-match",
            "tokenizer.py",
            "if disallowed and (m := self._special_regex(disallowed).search(text)):",
            "if disallowed and (m := self._special_regex(disallowed).match(text)):",
            "tokenizer",
            "the disallowed-special check uses .match (anchored at the start) for .search: a disallowed special "
            "anywhere but at the very start passes",
        ),
        ("specials: disallowed checked at the start only",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "decode-surrogateescape",
            "tokenizer.py",
            'return self.decode_bytes(ids).decode("utf-8", errors="replace")',
            'return self.decode_bytes(ids).decode("utf-8", errors="surrogateescape")',
            "tokenizer",
            "decode with errors='surrogateescape' (to keep it lossless): invalid bytes become lone surrogates, "
            "not U+FFFD",
        ),
        ("decode-errors: surrogateescape",),
    ),
    HeldOut(
        _v9(
            "char-before-special-dropped",
            "tokenizer.py",
            "yield False, text[start : m.start()]",
            "yield False, text[start : m.start() - 1]",
            "tokenizer",
            "the plain text before an allowed special sliced to m.start() - 1: the character in front of each "
            "special is lost",
        ),
        ("specials: character before each special dropped",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "bpe-right-neighbour-stale",
            "tokenizer.py",
            "if i > 0:\n"
            "            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)\n"
            "        if i < len(pair_ranks):\n"
            "            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)",
            "if i > 0:\n            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)",
            "tokenizer",
            "encode's incremental BPE updates the left neighbour's rank after a merge but not the right one's",
        ),
        ("encode: stale right neighbour rank",),
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v9(
            "rows-time-major",
            "data.py",
            "x = buf[:-1].view(B, T)  # inputs\n"
            "        y = buf[1:].view(B, T)  # targets: the next token of each input",
            "x = buf[:-1].view(T, B).t()  # inputs, time-major\n        y = buf[1:].view(T, B).t()",
            "data",
            "the buffer viewed time-major, (T, B), and transposed: each row takes every B-th token of the stream",
        ),
        ("loader: rows interleaved (time-major)",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "wraps-at-len-plus-1",
            "data.py",
            "positions = (start + torch.arange(B * T + 1)) % len(self.tokens)",
            "positions = (start + torch.arange(B * T + 1)) % (len(self.tokens) + 1)",
            "data",
            "the stream wrapped modulo len + 1 (the extra target token counted in): position len is read, one past "
            "the end",
        ),
        ("loader: wraps at len + 1",),
    ),
    HeldOut(
        _v9(
            "rank-added-before-world-size",
            "data.py",
            "start = (self.batches * self.world_size + self.rank) * B * T",
            "start = (self.batches + self.rank) * self.world_size * B * T",
            "data",
            "the rank added before scaling by world_size, not after: rank r's batch i is rank 0's batch i + r, so "
            "the ranks re-read each other's data and every W-th block of the stream is never read",
        ),
        ("loader: rank offset W*B*T",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "reset-to-batch-1",
            "data.py",
            "def reset(self) -> None:\n        self.batches = 0",
            "def reset(self) -> None:\n        self.batches = 1",
            "data",
            "reset() rewinds to batch 1 (counting batches from 1): the first batch after a reset is the second",
        ),
        ("loader: reset to batch 1",),  # no family known to this author
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v9(
            "weight-decay-times-lr",
            "training.py",
            '{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},',
            '{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay * learning_rate},',
            "training",
            "the weight decay multiplied by the learning rate (the decoupled-decay paper's lr * wd, which "
            "PyTorch's AdamW already applies): the decay is lr times too small",
        ),
        ("weight-decay: multiplied by lr",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "decay-groups-overlap",
            "training.py",
            '{"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},',
            '{"params": [p for p in params if p.dim() <= 2], "weight_decay": 0.0},',
            "training",
            "the no-decay group filtered with <= 2 (copy-paste of >=, flipped): the matrices are in both groups "
            "and AdamW refuses a parameter in two groups",
        ),
        ("weight-decay: matrices in both groups",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "cosine-without-min-lr",
            "training.py",
            "return min_lr + coeff * (max_lr - min_lr)",
            "return coeff * (max_lr - min_lr)",
            "training",
            "the cosine's min_lr + left out: the decay runs from max_lr - min_lr down to 0",
        ),
        ("lr-schedule: min_lr not added back",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "accumulation-divided-by-batch-size",
            "training.py",
            "loss = loss / n",
            "loss = loss / len(x)",
            "training",
            "the micro-batch loss divided by len(x), the micro-batch's rows, instead of the number of micro-batches",
        ),
        ("accumulation: loss divided by the micro-batch size",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "step-every-micro-batch",
            "training.py",
            _V9_STEP,
            "        loss.backward()\n"
            "        optimizer.step()  # update after each micro-batch\n"
            + _V9_STEP.removeprefix("        loss.backward()\n").removesuffix("    optimizer.step()\n"),
            "training",
            "optimizer.step() inside the micro-batch loop, without zeroing in between: each step uses the partial "
            "sum so far, and the clipped total is never applied",
        ),
        ("train-step: optimizer step every micro-batch",),  # no family known to this author
    ),
    HeldOut(
        _v9(
            "checkpoint-weights-bf16",
            "training.py",
            '"model": raw.state_dict(),',
            '"model": {k: v.to(torch.bfloat16) for k, v in raw.state_dict().items()},  # half the disk',
            "training",
            "the checkpoint stores the weights in bfloat16 to halve its size: a resumed run starts from rounded "
            "weights",
        ),
        ("checkpoint: weights saved in bfloat16",),  # no family known to this author
    ),
]

V9_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V9}


# ==================================================================== HELDOUT_V10
# A tenth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the diagnosis tool or any diagnosis output. Written from what participants get wrong
# when they write GPT-2 from scratch (nanoGPT / minGPT / minbpe / build-nanogpt / "Let's build GPT" / CS336
# habits: wrong dims, off-by-ones, positional-argument slips, misread signatures, autocomplete typos, dtype
# shortcuts, a misremembered formula, a forgotten step), not from what the tool measures. Unlike v1-v9, half of
# it is written="rewrite": the whole function or block written over in a participant's own style (einsum or a
# hand softmax for SDPA, a per-row loader, a by-hand clip, a recount-every-step BPE trainer, a torch.cat KV cache,
# nn.Sequential or HF-style residual variables), the mistake inside; the rest are edits at one place. None is a
# known bug of the library or a v1-v9 entry written the same way (a few vary an earlier family with a new
# parameter, spelled as earlier sets spell it); each was checked only for validity (it materialises and a
# non-slow spec test of its section fails with the fingerprint off, --tb=no), never run through the diagnosis.
# ``accept`` names the family and parameter in plain ``family: parameter`` words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint``): 51 of the 52 written fail a
# test; 50 are kept: attention 6, layernorm 4, mlp 3, block 3, gpt 3, loss 1, config 1, generate 8 (three of them
# in attention.py's KV-cache code), tokenizer 9, data 5, training 7; 25 of them rewrites. Dropped before
# commit: the block calling attention without passing its cache (no non-slow test fails, and rightly: with no
# cache filled, generate's cached path re-feeds the whole sequence from position 0, the same tokens, only
# slower); a tenth tokenizer entry (special tokens stored in the decoder as str, caught) left out to keep the
# spread. One more, the MLP branch normalised by ln_1, was found to be the known bug shared-layernorm (the same
# edit) and replaced before the run.

_V10_LN_BODY = (
    "        mean = x.mean(dim=-1, keepdim=True)\n"
    "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n"
    "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n"
    "        return x_hat * self.weight + self.bias\n"
)
_V10_SDPA = (
    "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))\n"
)
_V10_BLOCK_FORWARD = (
    "        x = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(x))\n        return x\n"
)
_V10_NEXT_BATCH = (
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1\n"
    "        return x, y\n"
)
_V10_GET_LR = (
    "    if step < warmup_steps:\n"
    "        return max_lr * (step + 1) / warmup_steps\n"
    "    if step >= max_steps:\n"
    "        return min_lr\n"
    "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1\n"
    "    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0\n"
    "    return min_lr + coeff * (max_lr - min_lr)\n"
)
_V10_ENCODE_ITER = (
    "        hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)\n"
    '        buf = ""\n'
    "        for chunk in chunks:\n"
    "            buf += chunk\n"
    "            if len(buf) <= 2 * hold:\n"
    "                continue  # too little text to be worth a scan\n"
    "            allowed = self._allowed(allowed_special, disallowed_special, buf)\n"
    "            cut, ids = self._stable_prefix(buf, len(buf) - hold, allowed)\n"
    "            yield from ids\n"
    "            buf = buf[cut:]\n"
)
_V10_TRAIN_LOOP = (
    "        def entry(pair: tuple[int, int], count: int) -> tuple:\n"
    "            # heapq pops the smallest: the highest count, then the smallest (left bytes, right bytes).\n"
    "            return (-count, vocab[pair[0]], vocab[pair[1]], pair)\n"
    "\n"
    "        # Stale entries (a count that has changed since) are skipped when popped.\n"
    "        heap = [entry(pair, c) for pair, c in stats.items()]\n"
    "        heapq.heapify(heap)\n"
    "\n"
    "        merges: dict[tuple[int, int], int] = {}\n"
    "        while len(merges) < n_merges and heap:\n"
    "            neg_count, _, _, pair = heapq.heappop(heap)\n"
    "            if stats.get(pair, 0) != -neg_count:\n"
    "                continue  # this entry's count is out of date; a fresher one is in the heap\n"
    "            new_id = len(vocab)\n"
    "            merges[pair] = new_id\n"
    "            vocab.append(vocab[pair[0]] + vocab[pair[1]])\n"
    "            before: dict[tuple[int, int], int] = {}  # counts of the pairs this merge touches\n"
    "            for w in where.pop(pair):\n"
    "                old = words[w]\n"
    "                new = _merge(old, pair, new_id)\n"
    "                if len(new) == len(old):\n"
    "                    continue  # the pair left this word in an earlier merge\n"
    "                f = freqs[w]\n"
    "                for p in itertools.pairwise(old):\n"
    "                    before.setdefault(p, stats[p])\n"
    "                    stats[p] -= f\n"
    "                for p in itertools.pairwise(new):\n"
    "                    before.setdefault(p, stats[p])\n"
    "                    stats[p] += f\n"
    "                    where[p].add(w)\n"
    "                words[w] = new\n"
    "            for p, c in before.items():\n"
    "                if stats[p] <= 0:\n"
    "                    del stats[p]\n"
    "                elif stats[p] != c:\n"
    "                    heapq.heappush(heap, entry(p, stats[p]))\n"
)

_v10 = partial(_in_set, 10)


HELDOUT_V10: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v10(
            "einsum-scores-indices-swapped",
            "attention.py",
            _V10_SDPA,
            "        T = q.size(-2)\n"
            '        scores = torch.einsum("bhid,bhjd->bhji", q, k) / math.sqrt(q.size(-1))\n'
            "        causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=q.device))\n"
            '        scores = scores.masked_fill(~causal, float("-inf"))\n'
            "        weights = scores.softmax(dim=-1)\n"
            '        return torch.einsum("bhij,bhjd->bhid", weights, v)\n',
            "attention",
            "attention written with einsum, the score's output indices typed 'bhji' instead of 'bhij': the score "
            "matrix is transposed (row i holds q_j . k_i), so after the causal mask each position weighs its past "
            "with the wrong dot products",
        ),
        ("attention: scores transposed",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "hand-softmax-sum-without-keepdim",
            "attention.py",
            _V10_SDPA,
            "        T, hs = q.size(-2), q.size(-1)\n"
            "        att = q @ k.transpose(-2, -1) / math.sqrt(hs)\n"
            "        mask = torch.tril(torch.ones(T, T, device=q.device)) == 0\n"
            '        att = att.masked_fill(mask, float("-inf"))\n'
            "        att = torch.exp(att - att.max(dim=-1, keepdim=True).values)\n"
            "        att = att / att.sum(dim=-1)\n"
            "        return att @ v\n",
            "attention",
            "softmax written by hand (max-subtracted exp, then divide by the row sum) with the sum taken without "
            "keepdim: (B, nh, T, T) / (B, nh, T) broadcasts against the wrong axes (a shape error, or each column "
            "divided by another row's sum)",
        ),
        ("attention-softmax: sum without keepdim",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "scores-in-float16",
            "attention.py",
            _V10_SDPA,
            "        scale = 1.0 / math.sqrt(q.size(-1))\n"
            "        # the T x T scores are the big tensor: compute them in half precision to save memory\n"
            "        att = (q.half() @ k.half().transpose(-2, -1)).float() * scale\n"
            "        T = att.size(-1)\n"
            "        future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), diagonal=1)\n"
            '        att = att.masked_fill(future, float("-inf"))\n'
            "        return F.softmax(att, dim=-1) @ v\n",
            "attention",
            "the attention scores computed from q and k cast to float16 (a memory shortcut): every score is rounded "
            "to half precision, about 1e-3 relative, and the output drifts from the float32 attention",
        ),
        ("attention: scores in float16",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "qkv-chunked-along-time",
            "attention.py",
            "q, k, v = self.c_attn(x).split(self.n_embd, dim=2)",
            "q, k, v = self.c_attn(x).chunk(3, dim=1)",
            "attention",
            "c_attn's output cut into q, k, v with chunk(3, dim=1): dim 1 is time, not channels, so the pieces are "
            "thirds of the sequence (a shape error, or with T = 3 each of q, k, v is one time step's 3C features)",
        ),
        ("qkv-split: chunk along the time dim",),
    ),
    HeldOut(
        _v10(
            "c-attn-linear-args-swapped",
            "attention.py",
            "self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)",
            "self.c_attn = nn.Linear(3 * config.n_embd, config.n_embd)",
            "attention",
            "nn.Linear's (in_features, out_features) given in the other order (HF's Conv1D weight is (in, out), "
            "Linear's (out, in)): c_attn expects 3C inputs and makes C outputs",
        ),
        ("attention: c_attn Linear(3C, C)",),
    ),
    HeldOut(
        _v10(
            "x-unpacked-channels-first",
            "attention.py",
            "B, T, C = x.shape",
            "B, C, T = x.shape",
            "attention",
            "the input's shape unpacked as (B, C, T), a conv-net habit: the head split views with T and C swapped, "
            "so heads and time steps are cut from the wrong axes (a shape error, or scrambled heads when it fits)",
        ),
        ("attention: x unpacked as (B, C, T)",),
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v10(
            "ln-divides-by-shape-1",
            "layernorm.py",
            _V10_LN_BODY,
            "        n = x.shape[1]  # number of features\n"
            "        mu = x.sum(-1, keepdim=True) / n\n"
            "        xc = x - mu\n"
            "        sigma2 = (xc * xc).sum(-1, keepdim=True) / n\n"
            "        return self.weight * xc / torch.sqrt(sigma2 + self.eps) + self.bias\n",
            "layernorm",
            "LayerNorm written for a (N, features) input: the sums over the last dim are divided by x.shape[1], "
            "which for the (B, T, C) activations is T, not C, so mean and variance are off by C/T",
        ),
        ("layernorm: divides by x.shape[1] (T), not C",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "ln-var-mean-default-unbiased",
            "layernorm.py",
            _V10_LN_BODY,
            "        var, mean = torch.var_mean(x, dim=-1, keepdim=True)\n"
            "        y = (x - mean) / torch.sqrt(var + self.eps)\n"
            "        return y * self.weight + self.bias\n",
            "layernorm",
            "torch.var_mean used for the statistics with its default correction=1: the variance is the unbiased "
            "one (divided by C - 1), not GPT-2's biased one",
        ),
        ("unbiased-variance",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "ln-float64-not-cast-back",
            "layernorm.py",
            _V10_LN_BODY,
            "        xd = x.double()  # statistics in float64 for stability\n"
            "        mean = xd.mean(-1, keepdim=True)\n"
            "        var = ((xd - mean) ** 2).mean(-1, keepdim=True)\n"
            "        y = (xd - mean) / torch.sqrt(var + self.eps)\n"
            "        return y * self.weight + self.bias\n",
            "layernorm",
            "the statistics upcast to float64 for stability and the result never cast back: the LayerNorm returns "
            "float64 for a float32 input, and the next Linear (float32 weights) rejects it",
        ),
        ("layernorm: returns float64",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "ln-functional-shape-1-on",
            "layernorm.py",
            _V10_LN_BODY,
            "        return torch.nn.functional.layer_norm(x, x.shape[1:], self.weight, self.bias, self.eps)\n",
            "layernorm",
            "F.layer_norm with normalized_shape=x.shape[1:] (everything after the batch dim, as for a (N, C) "
            "input): for (B, T, C) that is (T, C), which the (C,) weight does not match",
        ),
        ("layernorm: normalized_shape x.shape[1:]",),
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v10(
            "gelu-by-hand-without-x",
            "mlp.py",
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n',
            "        h = self.c_fc(x)\n"
            "        # GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))\n"
            "        gate = 0.5 * (1.0 + torch.tanh((2.0 / torch.pi) ** 0.5 * (h + 0.044715 * torch.pow(h, 3.0))))\n"
            "        return self.c_proj(gate)\n",
            "mlp",
            "the tanh GELU written out by hand with the leading x dropped: the hidden layer passes on "
            "0.5 (1 + tanh(...)), a sigmoid-like gate, not x times it",
        ),
        ("gelu: other",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "gelu-approximate-true",
            "mlp.py",
            'F.gelu(self.c_fc(x), approximate="tanh")',
            "F.gelu(self.c_fc(x), approximate=True)",
            "mlp",
            "approximate=True passed to F.gelu (a boolean flag in mind): it takes the string 'none' or 'tanh', so "
            "every forward pass raises",
        ),
        ("gelu: approximate=True",),
    ),
    HeldOut(
        _v10(
            "mlp-as-sequential",
            "mlp.py",
            "        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)\n"
            "        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)\n"
            "\n"
            "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
            '        # GPT-2 was trained with the tanh approximation of GELU ("gelu_new" in HF);\n'
            "        # the exact erf GELU differs by up to ~1e-3 and breaks parity with the real weights.\n"
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n',
            "        self.net = nn.Sequential(\n"
            "            nn.Linear(config.n_embd, 4 * config.n_embd),\n"
            '            nn.GELU(approximate="tanh"),\n'
            "            nn.Linear(4 * config.n_embd, config.n_embd),\n"
            "        )\n"
            "\n"
            "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
            "        return self.net(x)\n",
            "mlp",
            "the MLP written as an nn.Sequential (the 'Let's build GPT' style): the computation is right but the "
            "parameters are net.0 / net.2, not c_fc / c_proj, so HF's weights do not load and the residual "
            "projection is not found by name",
        ),
        ("mlp: parameters named net.0 / net.2, not c_fc / c_proj",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v10(
            "residual-variable-not-updated",
            "block.py",
            _V10_BLOCK_FORWARD,
            "        residual = x\n"
            "        h = self.ln_1(x)\n"
            "        h = self.attn(h, cache)\n"
            "        x = residual + h\n"
            "        h = self.ln_2(x)\n"
            "        h = self.mlp(h)\n"
            "        x = residual + h\n"
            "        return x\n",
            "block",
            "the block written HF-style with a residual variable that is not reassigned before the MLP branch: "
            "the MLP's output is added to the block input, so the attention output reaches the stream only "
            "through the MLP",
        ),
        ("block-wiring: mlp residual from the block input",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "block-names-from-the-video",
            "block.py",
            "        self.ln_1 = LayerNorm(config.n_embd)\n"
            "        self.attn = CausalSelfAttention(config)\n"
            "        self.ln_2 = LayerNorm(config.n_embd)\n"
            "        self.mlp = MLP(config)\n"
            "\n"
            "    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:\n"
            "        # Pre-LN: normalise the *input* of each branch and leave the residual stream\n"
            "        # itself untouched, so gradients flow straight from the loss to the embeddings.\n"
            + _V10_BLOCK_FORWARD,
            "        self.sa = CausalSelfAttention(config)\n"
            "        self.ffwd = MLP(config)\n"
            "        self.ln1 = LayerNorm(config.n_embd)\n"
            "        self.ln2 = LayerNorm(config.n_embd)\n"
            "\n"
            "    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:\n"
            "        x = x + self.sa(self.ln1(x), cache)\n"
            "        x = x + self.ffwd(self.ln2(x))\n"
            "        return x\n",
            "block",
            "the block written with the submodule names of Karpathy's 'Let's build GPT' (sa, ffwd, ln1, ln2): the "
            "computation is right but the state dict is not HF's (h.0.attn..., h.0.ln_1...), so HF weights do not load",
        ),
        ("block: submodules named sa / ffwd / ln1 / ln2",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "attention-output-indexed-0",
            "block.py",
            "x = x + self.attn(self.ln_1(x), cache)",
            "x = x + self.attn(self.ln_1(x), cache)[0]  # the module returns (output, present)",
            "block",
            "HF's GPT2Attention returns a tuple, so its output is taken with [0]: here attention returns the tensor, "
            "and [0] is the first batch element's output, which broadcasts onto every sequence of the batch",
        ),
        ("block: attention output indexed [0]",),
    ),
    # ---------------------------------------------------------------- gpt (forward, init, tying) and loss
    HeldOut(
        _v10(
            "t-from-the-batch-dim",
            "gpt.py",
            "T = idx.size(1)",
            "T = idx.size(0)",
            "gpt",
            "the sequence length read from idx.size(0), the batch size: the positions are arange(B), so the "
            "position embeddings do not match the sequence (a broadcast error, or every token at position 0 when "
            "B = 1) and the length check tests B",
        ),
        ("positions: arange(B)",),
    ),
    HeldOut(
        _v10(
            "embedding-init-positional-mean",
            "gpt.py",
            "        if isinstance(module, (nn.Linear, nn.Embedding)):\n"
            "            nn.init.normal_(module.weight, mean=0.0, std=0.02)\n"
            "        if isinstance(module, nn.Linear) and module.bias is not None:\n"
            "            nn.init.zeros_(module.bias)\n",
            "        if isinstance(module, nn.Linear):\n"
            "            torch.nn.init.normal_(module.weight, 0.0, 0.02)\n"
            "            if module.bias is not None:\n"
            "                torch.nn.init.zeros_(module.bias)\n"
            "        elif isinstance(module, nn.Embedding):\n"
            "            torch.nn.init.normal_(module.weight, 0.02)\n",
            "gpt",
            "the init written nanoGPT-style with positional arguments, and the embedding's call given one number: "
            "normal_(w, 0.02) sets the mean to 0.02 and leaves std at 1, so wpe (and wte until the tied head "
            "re-initialises it) is N(0.02, 1)",
        ),
        ("init: embeddings N(0.02, 1)",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "head-tied-to-wpe",
            "gpt.py",
            "self.lm_head.weight = self.transformer.wte.weight",
            "self.lm_head.weight = self.transformer.wpe.weight",
            "gpt",
            "an autocomplete slip ties the LM head to the position table wpe instead of the token table wte: the "
            "logits have block_size columns, not vocab_size",
        ),
        ("weight-tying: tied to wpe",),
    ),
    HeldOut(
        _v10(
            "log-softmax-over-time",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            logprobs = F.log_softmax(logits, dim=1)  # over the classes\n"
            "            loss = -logprobs.gather(2, targets.unsqueeze(2)).mean()\n",
            "loss",
            "cross-entropy written by hand with log_softmax over dim=1 (the class dim of a 2-D (N, V) input): on "
            "(B, T, V) logits that normalises over the time steps, not the vocabulary",
        ),
        ("loss: log_softmax over the time dim",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v10(
            "config-not-a-dataclass",
            "config.py",
            "@dataclass\nclass GPTConfig:",
            "class GPTConfig:",
            "config",
            "the @dataclass decorator forgotten: the fields are class attributes, GPTConfig() has the defaults but "
            "GPTConfig(n_layer=2, ...) raises, as the class has no __init__ taking them",
        ),
        ("config: not a dataclass",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v10(
            "appended-along-the-batch",
            "gpt.py",
            "idx = torch.cat((idx, idx_next), dim=1)",
            "idx = torch.cat((idx, idx_next), dim=0)",
            "generate",
            "the sampled token concatenated along dim 0: (B, T) and (B, 1) do not stack as rows, so generation "
            "raises (or, for a one-token prompt, adds a batch row instead of a token)",
        ),
        ("generate: appended along dim 0",),
    ),
    HeldOut(
        _v10(
            "greedy-max-values",
            "gpt.py",
            "        cache_len = min(self.config.block_size, idx.size(1) + max_new_tokens)\n"
            "        cache = [KVCache(cache_len) for _ in self.transformer.h] if use_kv_cache else None\n"
            "        for _ in range(max_new_tokens):\n"
            "            if cache is not None and idx.size(1) <= cache_len:\n"
            "                logits, _ = self(idx[:, cache[0].length :], cache=cache)\n"
            "            else:\n"
            "                # The position table ends at block_size: condition on the most recent tokens only.\n"
            "                # Cropping shifts every token's position, so cached keys are stale: "
            "recompute from here on.\n"
            "                cache = None\n"
            "                idx_cond = idx[:, -self.config.block_size :]\n"
            "                logits, _ = self(idx_cond)\n"
            "            logits = logits[:, -1, :]\n"
            "            if temperature == 0:\n"
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
            "            else:\n"
            "                logits = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
            '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
            "                probs = F.softmax(logits, dim=-1)\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
            "            idx = torch.cat((idx, idx_next), dim=1)\n"
            "        return idx\n",
            "        for _ in range(max_new_tokens):\n"
            "            idx_cond = idx if idx.size(1) <= self.config.block_size "
            "else idx[:, -self.config.block_size :]\n"
            "            logits, _ = self(idx_cond)\n"
            "            logits = logits[:, -1, :]\n"
            "            if temperature == 0:\n"
            "                idx_next = torch.max(logits, dim=-1, keepdim=True)[0]\n"
            "            else:\n"
            "                logits = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))\n"
            '                    logits[logits < v[:, [-1]]] = -float("Inf")\n'
            "                probs = F.softmax(logits, dim=-1)\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
            "            idx = torch.cat((idx, idx_next), dim=1)\n"
            "        return idx\n",
            "generate",
            "generate written nanoGPT-style (no KV cache), the greedy branch taking torch.max(...)[0]: that is the "
            "maximum logit, not its index, so a float value is appended as the next token",
        ),
        ("generate: greedy appends the max value, not its index",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "crop-along-the-batch",
            "gpt.py",
            "idx_cond = idx[:, -self.config.block_size :]",
            "idx_cond = idx[-self.config.block_size :]",
            "generate",
            "the context crop written without the leading ':, ': it slices the batch dim, so a sequence longer than "
            "block_size is passed whole and the forward pass rejects it",
        ),
        ("generate-crop: along the batch dim", "generate-no-crop"),
    ),
    HeldOut(
        _v10(
            "positions-start-at-len-cache",
            "gpt.py",
            "start = 0 if cache is None else cache[0].length",
            "start = 0 if cache is None else len(cache)",
            "generate",
            "the cached path's first position taken as len(cache), the number of layer caches, instead of the "
            "number of positions cached: the prompt is embedded from position n_layer and every new token at "
            "position n_layer",
        ),
        ("kv-cache: positions start at len(cache)",),
    ),
    HeldOut(
        _v10(
            "kv-cache-cat-length-of-last-append",
            "attention.py",
            "        start, end = self.length, self.length + k.size(2)\n"
            "        if end > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")\n'
            "        if self.k is None or self.v is None:  # allocate lazily: k's dtype may be bf16 under autocast\n"
            "            B, nh, _, hd = k.shape\n"
            "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n"
            "            self.v = v.new_zeros(B, nh, self.max_len, hd)\n"
            "        self.k[:, :, start:end] = k\n"
            "        self.v[:, :, start:end] = v\n"
            "        self.length = end\n"
            "        return self.k[:, :, :end], self.v[:, :, :end]\n",
            "        if self.k is None or self.v is None:\n"
            "            self.k, self.v = k, v\n"
            "        else:\n"
            "            self.k = torch.cat((self.k, k), dim=2)\n"
            "            self.v = torch.cat((self.v, v), dim=2)\n"
            "        if self.k.size(2) > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {self.k.size(2)} requested")\n'
            "        self.length = k.size(2)\n"
            "        return self.k, self.v\n",
            "generate",
            "the cache rewritten with torch.cat, its length set from the appended k (k.size(2)) instead of the "
            "cache's (self.k.size(2)): after the first token the length reads 1, so generate re-feeds almost the "
            "whole sequence at wrong positions",
        ),
        ("kv-cache: length counts only the last append",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "kv-cache-mask-strictly-before",
            "attention.py",
            "        T, S = q.size(-2), k.size(-2)\n"
            "        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)\n"
            "        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, "
            "scale=1.0 / math.sqrt(q.size(-1)))\n",
            "        T, S = q.size(-2), k.size(-2)\n"
            "        q_pos = torch.arange(S - T, S, device=q.device)  # absolute positions of the new queries\n"
            "        k_pos = torch.arange(S, device=q.device)\n"
            "        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))\n"
            '        att = att.masked_fill(~(k_pos[None, :] < q_pos[:, None]), float("-inf"))\n'
            "        return torch.softmax(att, dim=-1) @ v\n",
            "generate",
            "the cached attention's mask written from absolute positions with < instead of <=: each query sees "
            "only the keys before it, not its own (the prompt's first position sees nothing and gives NaN)",
        ),
        ("kv-cache: mask hides the diagonal",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "kv-cache-mask-shape-s-t",
            "attention.py",
            "mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)",
            "mask = torch.ones(S, T, dtype=torch.bool, device=q.device).tril(diagonal=S - T)",
            "generate",
            "the cached attention's mask built as (S, T), keys by queries, instead of (T, S): right for the prompt "
            "(S == T), but a new token's mask is a column that does not match its (1, S) scores",
        ),
        ("kv-cache: mask shape (S, T)",),
    ),
    HeldOut(
        _v10(
            "cache-passed-as-targets",
            "gpt.py",
            "logits, _ = self(idx[:, cache[0].length :], cache=cache)",
            "logits, _ = self(idx[:, cache[0].length :], cache)",
            "generate",
            "the cache passed positionally: forward's second parameter is targets, so the list of caches is taken "
            "for the targets and the cached path raises",
        ),
        ("generate: cache passed as targets",),
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v10(
            "bpe-last-pair-never-scanned",
            "tokenizer.py",
            "    parts = [_BYTES[b] for b in token]\n"
            "    get = ranks.get\n"
            "    # pair_ranks[i]: the rank of parts[i] + parts[i + 1]; a merge changes only its two neighbours.\n"
            "    pair_ranks = [get(a + b, inf) for a, b in itertools.pairwise(parts)]\n"
            "    while pair_ranks:\n"
            "        # Rank order is training order: the pair merged earliest in training merges first.\n"
            "        rank = min(pair_ranks)\n"
            "        if rank >= limit:\n"
            "            break\n"
            "        i = pair_ranks.index(rank)  # the leftmost, if the same pair occurs twice\n"
            "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
            "        del pair_ranks[i]\n"
            "        if i > 0:\n"
            "            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)\n"
            "        if i < len(pair_ranks):\n"
            "            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)\n"
            "    return parts\n",
            "    parts = [bytes([b]) for b in token]\n"
            "    while len(parts) > 1:\n"
            "        best_rank, best_i = inf, -1\n"
            "        for i in range(len(parts) - 2):\n"
            "            r = ranks.get(parts[i] + parts[i + 1], inf)\n"
            "            if r < best_rank:\n"
            "                best_rank, best_i = r, i\n"
            "        if best_i < 0 or best_rank >= limit:\n"
            "            break\n"
            "        parts = parts[:best_i] + [parts[best_i] + parts[best_i + 1]] + parts[best_i + 2 :]\n"
            "    return parts\n",
            "tokenizer",
            "BPE's merge loop rewritten as a scan for the lowest-ranked pair with range(len(parts) - 2): the last "
            "adjacent pair is never looked at, so a piece's final two parts never merge",
        ),
        ("encode: last pair never merged",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "merge-compares-left-id-twice",
            "tokenizer.py",
            "    out, i, n = [], 0, len(ids)\n"
            "    a, b = pair\n"
            "    while i < n:\n"
            "        if i < n - 1 and ids[i] == a and ids[i + 1] == b:\n"
            "            out.append(new_id)\n"
            "            i += 2\n"
            "        else:\n"
            "            out.append(ids[i])\n"
            "            i += 1\n"
            "    return out\n",
            "    newids = []\n"
            "    i = 0\n"
            "    while i < len(ids):\n"
            "        # found the pair at i: emit the new token and skip both\n"
            "        if ids[i] == pair[0] and i < len(ids) - 1 and ids[i + 1] == pair[0]:\n"
            "            newids.append(new_id)\n"
            "            i += 2\n"
            "            continue\n"
            "        newids.append(ids[i])\n"
            "        i += 1\n"
            "    return newids\n",
            "tokenizer",
            "the training merge written minbpe-style with a copy-paste slip: the right id is compared with pair[0], "
            "so a pair (a, b) is replaced where (a, a) occurs, and not where it occurs",
        ),
        ("merge: right id compared with pair[0]",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "naive-training-max-ties-largest-bytes",
            "tokenizer.py",
            _V10_TRAIN_LOOP,
            "        def best(stats: dict) -> tuple[int, int]:\n"
            "            # the most frequent pair; among equals, decided by the bytes\n"
            "            return max(stats, key=lambda p: (stats[p], vocab[p[0]], vocab[p[1]]))\n"
            "\n"
            "        merges: dict[tuple[int, int], int] = {}\n"
            "        while len(merges) < n_merges:\n"
            "            stats = defaultdict(int)\n"
            "            for ids, f in zip(words, freqs):\n"
            "                for pair in zip(ids, ids[1:]):\n"
            "                    stats[pair] += f\n"
            "            if not stats:\n"
            "                break\n"
            "            pair = best(stats)\n"
            "            new_id = len(vocab)\n"
            "            merges[pair] = new_id\n"
            "            vocab.append(vocab[pair[0]] + vocab[pair[1]])\n"
            "            words = [_merge(ids, pair, new_id) for ids in words]\n",
            "tokenizer",
            "training rewritten the simple way (recount every pair each step) with max(stats, key=(count, left "
            "bytes, right bytes)): the count is right but on a tie max takes the largest bytes, not the smallest",
        ),
        ("tokenizer-tie-break: largest bytes",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "decode-backslashreplace",
            "tokenizer.py",
            'return self.decode_bytes(ids).decode("utf-8", errors="replace")',
            'return self.decode_bytes(ids).decode("utf-8", errors="backslashreplace")',
            "tokenizer",
            "invalid UTF-8 decoded with errors='backslashreplace': a partial character becomes the text '\\xe2' "
            "instead of U+FFFD",
        ),
        ("decode-errors: backslashreplace",),
    ),
    HeldOut(
        _v10(
            "encode-hardcodes-gpt2-pattern",
            "tokenizer.py",
            "        ids: list[int] = []\n"
            "        cache = self._cache  # looked up inline: this loop is most of encode's time\n"
            "        for piece in self._pieces(text):\n"
            "            piece_ids = cache.get(piece)\n"
            "            ids.extend(piece_ids if piece_ids is not None else self._encode_piece(piece))\n"
            "        return ids\n",
            "        out = []\n"
            "        for word in regex.findall(GPT2_PATTERN, text):\n"
            "            out += self._encode_piece(word)\n"
            "        return out\n",
            "tokenizer",
            "encode_ordinary rewritten with regex.findall(GPT2_PATTERN, ...): the tokenizer's own pattern (a "
            "cl100k or custom one) is ignored when encoding, though training and streaming use it",
        ),
        ("pattern: custom pattern ignored in encode",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "encode-iter-holds-last-piece",
            "tokenizer.py",
            _V10_ENCODE_ITER,
            '        buf = ""\n'
            "        for chunk in chunks:\n"
            "            buf += chunk\n"
            "            pieces = self._pieces(buf)\n"
            "            if len(pieces) < 2:\n"
            "                continue\n"
            '            done = "".join(pieces[:-1])  # every pre-token but the last one is final\n'
            "            yield from self.encode(done, allowed_special=allowed_special, "
            "disallowed_special=disallowed_special)\n"
            "            buf = buf[len(done) :]\n",
            "tokenizer",
            "streaming written as 'all pre-tokens but the last are final': a whitespace run at the end of the "
            "buffer gives its last space to the next word only once that word arrives, and a special token cut "
            "by a chunk boundary is encoded as text",
        ),
        ("encode-iter: holds back only the last pre-token",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "pattern-cl100k",
            "tokenizer.py",
            'GPT2_PATTERN = r"""'
            + r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
            + '"""',
            'GPT2_PATTERN = r"""'
            + r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*"""
            + r"""|\s*[\r\n]|\s+(?!\S)|\s+"""
            + '"""',
            "tokenizer",
            "the split pattern copied from minbpe's GPT4_SPLIT_PATTERN (cl100k's) instead of GPT-2's: digits in "
            "groups of three, case-insensitive contractions, newlines split off, a letter run may take any one "
            "non-letter in front",
        ),
        ("pattern: cl100k's",),
    ),
    HeldOut(
        _v10(
            "load-args-swapped",
            "tokenizer.py",
            'return cls.from_ranks(ranks, data["pattern"], data["special_tokens"])',
            'return cls.from_ranks(ranks, data["special_tokens"], data["pattern"])',
            "tokenizer",
            "load passes the pattern and the special tokens to from_ranks positionally in the wrong order: the "
            "special-token dict is compiled as the pattern, so loading a saved tokenizer raises",
        ),
        ("load: pattern and special tokens swapped",),
    ),
    HeldOut(
        _v10(
            "merges-reserve-one-special",
            "tokenizer.py",
            "n_merges = vocab_size - 256 - len(specials)",
            "n_merges = vocab_size - 257  # 256 bytes + <|endoftext|>",
            "tokenizer",
            "the number of merges hard-coded as vocab_size - 257 (GPT-2's one special token): with no special "
            "tokens the vocabulary is one short, with two or more it is too large",
        ),
        ("tokenizer: one special token reserved",),
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v10(
            "rows-offset-by-b",
            "data.py",
            _V10_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        base = (self.batches * self.world_size + self.rank) * B * T\n"
            "        xs, ys = [], []\n"
            "        for b in range(B):\n"
            "            row = self.tokens[(base + b * B + torch.arange(T + 1)) % n]\n"
            "            xs.append(row[:-1])\n"
            "            ys.append(row[1:])\n"
            "        self.batches += 1\n"
            "        return torch.stack(xs), torch.stack(ys)\n",
            "data",
            "the batch built row by row with row b starting at base + b * B instead of base + b * T: the rows "
            "overlap (or leave gaps) unless B == T",
        ),
        ("loader: rows offset by B, not T",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "tokens-viewed-as-int64",
            "data.py",
            "np.asarray(tokens).astype(np.int64).reshape(-1)",
            "np.asarray(tokens).view(np.int64).reshape(-1)",
            "data",
            "the ids widened with ndarray.view(np.int64) instead of astype: view reinterprets the bytes, so a "
            "uint16 array becomes a quarter as many garbage ids (or raises when its length is not a multiple of 4)",
        ),
        ("loader: uint16 bytes reinterpreted as int64",),
    ),
    HeldOut(
        _v10(
            "modulo-binds-to-arange",
            "data.py",
            "positions = (start + torch.arange(B * T + 1)) % len(self.tokens)",
            "positions = start + torch.arange(B * T + 1) % len(self.tokens)",
            "data",
            "the parentheses dropped: % binds tighter than +, so only the arange is reduced modulo the length and "
            "the start is not: past the end of the data the positions run off the array",
        ),
        ("loader: start not wrapped",),
    ),
    HeldOut(
        _v10(
            "world-size-ignored-in-stride",
            "data.py",
            _V10_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        chunk = B * T\n"
            "        start = self.batches * chunk + self.rank * chunk\n"
            "        idx = torch.arange(start, start + chunk + 1) % n\n"
            "        data = self.tokens[idx]\n"
            "        x, y = data[:-1].reshape(B, T), data[1:].reshape(B, T)\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "the loader rewritten with a per-rank offset but a stride of B*T per batch, not B*T*world_size: rank "
            "r's batch i is rank r+1's batch i-1, so the ranks read overlapping data",
        ),
        ("loader-stride: B*T (world_size ignored)",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "rank-and-world-size-swapped",
            "data.py",
            "self.B, self.T, self.rank, self.world_size = B, T, rank, world_size",
            "self.B, self.T, self.world_size, self.rank = B, T, rank, world_size",
            "data",
            "a tuple assignment with the targets in a different order from the values: rank gets world_size and "
            "world_size gets rank, so a single process reads one batch over and over from offset B*T",
        ),
        ("loader: rank and world_size swapped",),
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v10(
            "decay-ratio-from-step-0",
            "training.py",
            "decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1",
            "decay_ratio = step / (max_steps - warmup_steps)  # 0 -> 1",
            "training",
            "the cosine's progress measured from step 0 instead of from the end of warmup: the decay starts part "
            "way down and passes its floor before max_steps",
        ),
        ("lr-schedule: decay ratio step / (max_steps - warmup_steps)",),
    ),
    HeldOut(
        _v10(
            "adamw-weight-decay-as-eps",
            "training.py",
            "return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)",
            "return torch.optim.AdamW(groups, learning_rate, betas, weight_decay, fused=fused)",
            "training",
            "AdamW given its hyper-parameters positionally as (lr, betas, weight_decay): the fourth positional "
            "parameter is eps, so eps is the weight-decay value (the groups still set the decay)",
        ),
        ("adamw-eps: weight_decay",),
    ),
    HeldOut(
        _v10(
            "clip-norm-summed-per-tensor",
            "training.py",
            "    # Clip before the step, so the update uses the clipped gradient.\n"
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
            "    # clip by the global norm, by hand\n"
            "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
            "    norm = torch.stack([g.norm() for g in grads]).sum()\n"
            "    clip_coef = max_norm / (norm + 1e-6)\n"
            "    if clip_coef < 1:\n"
            "        for g in grads:\n"
            "            g.mul_(clip_coef)\n",
            "training",
            "gradient clipping written by hand with the global norm as the sum of the per-tensor norms instead of "
            "the norm of them (sqrt of the summed squares): the norm is overstated and gradients are clipped harder",
        ),
        ("clip: norm is the sum of per-tensor norms",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "returns-norm-then-loss",
            "training.py",
            "return loss_accum, norm",
            "return norm, loss_accum",
            "training",
            "train_step returns (grad_norm, loss) instead of (loss, grad_norm): the caller logs the norm as the loss",
        ),
        ("train-step: returns (norm, loss)",),
    ),
    HeldOut(
        _v10(
            "no-decay-group-default-0-01",
            "training.py",
            "    params = [p for p in model.parameters() if p.requires_grad]  "
            "# parameters() yields a tied weight once\n"
            "    groups = [\n"
            '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n'
            '        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},\n'
            "    ]\n",
            "    decay, no_decay = [], []\n"
            "    for _, p in model.named_parameters():\n"
            "        if not p.requires_grad:\n"
            "            continue\n"
            "        if p.dim() >= 2:\n"
            "            decay.append(p)\n"
            "        else:\n"
            "            no_decay.append(p)\n"
            "    params = decay + no_decay\n"
            '    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay}]  '
            "# no decay for the rest\n",
            "training",
            "the no-decay group written without a weight_decay key: a group without one takes the optimizer's "
            "default, which for AdamW is 0.01, so biases and LayerNorm gains are decayed by 0.01",
        ),
        ("weight-decay: vectors decayed by AdamW's default 0.01",),
        "rewrite",
    ),
    HeldOut(
        _v10(
            "ddp-loss-summed-over-ranks",
            "training.py",
            "        dist.all_reduce(loss_accum, op=dist.ReduceOp.SUM)\n"
            "        loss_accum = loss_accum / dist.get_world_size()\n",
            "        dist.all_reduce(loss_accum, op=dist.ReduceOp.SUM)  # now the mean over the ranks\n",
            "training",
            "the reported loss all-reduced with SUM and not divided by the world size (as if all_reduce averaged): "
            "under DDP it is W times the mean loss",
        ),
        ("ddp: reported loss summed over ranks",),
    ),
    HeldOut(
        _v10(
            "min-lr-hardcoded-tenth",
            "training.py",
            _V10_GET_LR,
            "    min_lr = max_lr * 0.1  # the floor: 10% of the peak, as in nanoGPT\n"
            "    if step < warmup_steps:\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    if step > max_steps:\n"
            "        return min_lr\n"
            "    progress = (step - warmup_steps) / (max_steps - warmup_steps)\n"
            "    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * progress))\n",
            "training",
            "the schedule rewritten with nanoGPT's min_lr = max_lr * 0.1 inside it: the min_lr argument is "
            "overwritten, so the floor is a tenth of the peak whatever the caller asks for",
        ),
        ("lr-schedule: min_lr = max_lr / 10",),
        "rewrite",
    ),
]

V10_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V10}

# ==================================================================== HELDOUT_V11
# An eleventh held-out set, written and committed on its own by a helper that never read the probes, the
# verdicts, the variants, the hints, the diagnosis tool or any diagnosis output. Written from what participants get
# wrong when they write GPT-2 from scratch (nanoGPT / minGPT / minbpe / build-nanogpt / CS336 habits: wrong dims,
# off-by-ones, positional-argument slips, misread signatures, autocomplete typos, dtype shortcuts, a misremembered
# formula, a wrong variable, a forgotten step), not from what the tool measures. As in v10, half of it is
# written="rewrite": the piece written over in a participant's own style (a hand attention or hand softmax, an
# F.layer_norm one-liner, a hand GELU through the sigmoid identity, a per-type _init_weights, nll_loss of
# log_softmax, inverse-CDF and Gumbel-max sampling, a torch.cat KV cache, a minbpe-style rescanning BPE and
# recount-every-step trainer, a slicing / per-row / torch.roll loader, a by-hand clip, nanoGPT's
# configure_optimizers, an HF-style min_lr ratio), the mistake inside; the rest are edits at one place. None is a
# known bug of the library or a v1-v10 entry written the same way; a few are an earlier family reached by a new
# route (1/sqrt(T) through a transposed k, mlp reading the block input through an `out` variable, target shift -1
# through torch.roll, p ** t for the known temperature-multiplied, eps 1e-6 through torch's nn.LayerNorm in the
# block) and are tagged as the earlier sets spell them. Each was checked only for validity (it materialises and a
# non-slow spec test of its section fails with the fingerprint off, --tb=no), never run through the diagnosis.
# ``accept`` names the family and parameter in plain ``family: parameter`` words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint``): 50 of the 52 written fail a
# test; all 50 are kept: attention 6, layernorm 4, mlp 3, block 3, gpt 3, loss 1, config 1, generate 8 (four of
# them in attention.py's KV-cache code), tokenizer 9, data 5, training 7; 25 of them rewrites. Dropped before
# commit: top-k's k clipped with logits.size(0) (the batch size) instead of size(-1) (no non-slow generate test
# fails: a possible spec gap, since with one prompt top-k then keeps a single token); the KV cache sized
# min(block_size, max_new_tokens), forgetting the prompt (no test fails, and rightly: generate falls back to
# recomputing the whole context once the cache is full, so only the speed changes).

_V11_SDPA = _V10_SDPA
_V11_LN_BODY = _V10_LN_BODY
_V11_BLOCK_FORWARD = _V10_BLOCK_FORWARD
_V11_NEXT_BATCH = _V10_NEXT_BATCH
_V11_GET_LR = _V10_GET_LR
_V11_TRAIN_LOOP = _V10_TRAIN_LOOP
_V11_SAMPLE = (
    "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
)
_V11_TOP_K_SAMPLE = (
    "                if top_k is not None:\n"
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n' + _V11_SAMPLE
)
_V11_KV_APPEND = (
    "        start, end = self.length, self.length + k.size(2)\n"
    "        if end > self.max_len:\n"
    '            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")\n'
    "        if self.k is None or self.v is None:  # allocate lazily: k's dtype may be bf16 under autocast\n"
    "            B, nh, _, hd = k.shape\n"
    "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n"
    "            self.v = v.new_zeros(B, nh, self.max_len, hd)\n"
    "        self.k[:, :, start:end] = k\n"
    "        self.v[:, :, start:end] = v\n"
    "        self.length = end\n"
    "        return self.k[:, :, :end], self.v[:, :, :end]\n"
)
_V11_BPE_LOOP = (
    "    parts = [_BYTES[b] for b in token]\n"
    "    get = ranks.get\n"
    "    # pair_ranks[i]: the rank of parts[i] + parts[i + 1]; a merge changes only its two neighbours.\n"
    "    pair_ranks = [get(a + b, inf) for a, b in itertools.pairwise(parts)]\n"
    "    while pair_ranks:\n"
    "        # Rank order is training order: the pair merged earliest in training merges first.\n"
    "        rank = min(pair_ranks)\n"
    "        if rank >= limit:\n"
    "            break\n"
    "        i = pair_ranks.index(rank)  # the leftmost, if the same pair occurs twice\n"
    "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
    "        del pair_ranks[i]\n"
    "        if i > 0:\n"
    "            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)\n"
    "        if i < len(pair_ranks):\n"
    "            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)\n"
    "    return parts\n"
)
_V11_MERGE_BODY = (
    "    out, i, n = [], 0, len(ids)\n"
    "    a, b = pair\n"
    "    while i < n:\n"
    "        if i < n - 1 and ids[i] == a and ids[i + 1] == b:\n"
    "            out.append(new_id)\n"
    "            i += 2\n"
    "        else:\n"
    "            out.append(ids[i])\n"
    "            i += 1\n"
    "    return out\n"
)
_V11_OPTIMIZER_BODY = (
    "    params = [p for p in model.parameters() if p.requires_grad]  # parameters() yields a tied weight once\n"
    "    groups = [\n"
    '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n'
    '        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},\n'
    "    ]\n"
    "    if fused is None:\n"
    "        fused = bool(params) and all(p.is_cuda for p in params)\n"
    "    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)\n"
)
_V11_INIT_WEIGHTS = (
    "        if isinstance(module, (nn.Linear, nn.Embedding)):\n"
    "            nn.init.normal_(module.weight, mean=0.0, std=0.02)\n"
    "        if isinstance(module, nn.Linear) and module.bias is not None:\n"
    "            nn.init.zeros_(module.bias)\n"
)

_v11 = partial(_in_set, 11)


HELDOUT_V11: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v11(
            "values-are-keys",
            "attention.py",
            "return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))",
            "return F.scaled_dot_product_attention(q, k, k, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))",
            "attention",
            "an autocomplete slip in the attention call: k passed where v belongs, so each position averages the "
            "keys, not the values",
        ),
        ("qkv-order: q, k, k",),
    ),
    HeldOut(
        _v11(
            "causal-only-in-training",
            "attention.py",
            "            y = self.attend(q, k, v)\n",
            "            # the mask stops the model cheating on the targets; not needed at inference\n"
            "            y = F.scaled_dot_product_attention(q, k, v, is_causal=self.training)\n",
            "attention",
            "the causal mask tied to self.training (the belief that masking only matters when there are targets "
            "to cheat on): in eval mode every position attends to the whole sequence, future included",
        ),
        ("causal-mask: only in training",),
    ),
    HeldOut(
        _v11(
            "scores-floor-divided",
            "attention.py",
            _V11_SDPA,
            "        hd = q.size(-1)\n"
            "        T = q.size(-2)\n"
            "        att = (q @ k.transpose(-2, -1)) // math.sqrt(hd)\n"
            "        mask = torch.tril(torch.ones(T, T, device=q.device)).bool()\n"
            '        att = att.masked_fill(~mask, float("-inf"))\n'
            "        att = F.softmax(att, dim=-1)\n"
            "        return att @ v\n",
            "attention",
            "attention by hand with the scale typed as floor division (// math.sqrt(hd)): every score is rounded "
            "down to a whole number before the softmax",
        ),
        ("attention-scale: floor-divided",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "softmax-max-over-queries",
            "attention.py",
            _V11_SDPA,
            "        T = q.size(-2)\n"
            "        scores = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))\n"
            "        future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), diagonal=1)\n"
            '        scores = scores.masked_fill(future, float("-inf"))\n'
            "        scores = scores - scores.max(dim=-2, keepdim=True).values  # for stability\n"
            "        weights = scores.exp()\n"
            "        weights = weights / weights.sum(dim=-1, keepdim=True)\n"
            "        return weights @ v\n",
            "attention",
            "a hand softmax whose stabilising max is taken over dim=-2 (each key's column) instead of the row: "
            "each score is shifted by its column's max, which is not constant along the row, so the weights change",
        ),
        ("attention-softmax: max subtracted over the query dim",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "scale-after-keys-transposed",
            "attention.py",
            _V11_SDPA,
            "        k = k.transpose(-2, -1)  # (B, nh, hd, T)\n"
            "        att = (q @ k) / math.sqrt(k.size(-1))\n"
            "        T = q.size(-2)\n"
            "        att = att.masked_fill(torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1), "
            'float("-inf"))\n'
            "        return torch.softmax(att, dim=-1) @ v\n",
            "attention",
            "k transposed in place (k = k.transpose(-2, -1)) and the scale then read from k.size(-1), which is now "
            "T, not head_dim: the scores are scaled by 1/sqrt(T)",
        ),
        ("attention-scale: 1/sqrt(T)",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "attention-adds-its-input",
            "attention.py",
            "        return self.c_proj(y)\n",
            "        return x + self.c_proj(y)  # residual connection\n",
            "attention",
            "the residual connection written inside the attention module as well as in the block: the attention "
            "returns x + c_proj(y), so the block adds its input twice",
        ),
        ("attention: adds its input",),
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v11(
            "ln-divides-by-shape-0",
            "layernorm.py",
            _V11_LN_BODY,
            "        n = x.shape[0]  # number of features\n"
            "        mean = x.sum(dim=-1, keepdim=True) / n\n"
            "        var = ((x - mean) ** 2).sum(dim=-1, keepdim=True) / n\n"
            "        return self.weight * (x - mean) / torch.sqrt(var + self.eps) + self.bias\n",
            "layernorm",
            "LayerNorm with sums divided by x.shape[0] (the batch size, as if x were one feature vector per row "
            "of a 2-D (C, N) input) instead of the feature count: mean and variance are scaled by C/B",
        ),
        ("layernorm: divides by x.shape[0] (B), not C",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "ln-divides-by-sqrt-of-std",
            "layernorm.py",
            _V11_LN_BODY,
            "        mu = x.mean(-1, keepdim=True)\n"
            "        sigma = ((x - mu) ** 2).mean(-1, keepdim=True).sqrt()  # the standard deviation\n"
            "        return self.weight * (x - mu) / torch.sqrt(sigma + self.eps) + self.bias\n",
            "layernorm",
            "the spread computed as the standard deviation, then the formula's sqrt(var + eps) applied to it: the "
            "centred input is divided by var ** 0.25",
        ),
        ("layernorm-power: 0.25",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "ln-eps-added-after-rsqrt",
            "layernorm.py",
            "x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt",
            "x_hat = (x - mean) * (torch.rsqrt(var) + self.eps)",
            "layernorm",
            "a misplaced parenthesis: eps added to rsqrt(var) instead of to var, so it guards nothing and a "
            "constant feature vector gives inf/NaN",
        ),
        ("layernorm-eps: added after rsqrt",),
    ),
    HeldOut(
        _v11(
            "ln-functional-eps-as-bias",
            "layernorm.py",
            _V11_LN_BODY,
            "        normalized_shape = (x.size(-1),)\n"
            "        return torch.nn.functional.layer_norm(x, normalized_shape, self.weight, self.eps)\n",
            "layernorm",
            "the body replaced by F.layer_norm with eps passed positionally in the fourth slot, which is bias: "
            "the bias parameter is never used and eps lands where a tensor is expected",
        ),
        ("layernorm: eps passed as bias", "layernorm-affine: no bias"),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v11(
            "gelu-sqrt-2-over-pi-precedence",
            "mlp.py",
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n',
            "        h = self.c_fc(x)\n"
            "        h = 0.5 * h * (1.0 + torch.tanh(2**0.5 / torch.pi * (h + 0.044715 * h**3)))\n"
            "        return self.c_proj(h)\n",
            "mlp",
            "the tanh GELU by hand with sqrt(2/pi) typed as sqrt(2)/pi (0.450 instead of 0.798): the tanh's "
            "argument is shrunk and the activation is softer than GPT-2's",
        ),
        ("gelu: other",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "mlp-hidden-8-thirds",
            "mlp.py",
            "        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)\n"
            "        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)\n",
            "        hidden = int(8 * config.n_embd / 3)  # 8/3 * n_embd, as in LLaMA\n"
            "        self.c_fc = nn.Linear(config.n_embd, hidden)\n"
            "        self.c_proj = nn.Linear(hidden, config.n_embd)\n",
            "mlp",
            "the hidden width taken from LLaMA's gated MLP habit (8/3 * n_embd) instead of GPT-2's 4 * n_embd",
        ),
        ("mlp: hidden width 8/3*n_embd",),
    ),
    HeldOut(
        _v11(
            "gelu-sigmoid-identity-without-2",
            "mlp.py",
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n',
            "        h = self.c_fc(x)\n"
            "        # tanh(z) = 2 * sigmoid(2z) - 1, so 0.5 * (1 + tanh(z)) = sigmoid(z)\n"
            "        h = h * torch.sigmoid((2 / torch.pi) ** 0.5 * (h + 0.044715 * h**3))\n"
            "        return self.c_proj(h)\n",
            "mlp",
            "the tanh GELU rewritten through the sigmoid identity with the factor 2 lost: 0.5 * (1 + tanh(z)) is "
            "sigmoid(2z), not sigmoid(z), so the activation is about half as steep",
        ),
        ("gelu: other",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v11(
            "block-torch-layernorm-eps-1e-6",
            "block.py",
            "        self.ln_1 = LayerNorm(config.n_embd)\n"
            "        self.attn = CausalSelfAttention(config)\n"
            "        self.ln_2 = LayerNorm(config.n_embd)\n",
            "        self.ln_1 = nn.LayerNorm(config.n_embd, eps=1e-6)\n"
            "        self.attn = CausalSelfAttention(config)\n"
            "        self.ln_2 = nn.LayerNorm(config.n_embd, eps=1e-6)\n",
            "block",
            "the block's LayerNorms taken from torch with eps=1e-6 (the ViT / T5 habit) instead of GPT-2's 1e-5",
        ),
        ("layernorm-eps: 1e-6",),
    ),
    HeldOut(
        _v11(
            "block-out-variable-mlp-reads-input",
            "block.py",
            _V11_BLOCK_FORWARD,
            "        out = x + self.attn(self.ln_1(x), cache)\n"
            "        out = out + self.mlp(self.ln_2(x))\n"
            "        return out\n",
            "block",
            "the block written with a separate output variable; the MLP line still reads x (the block input), "
            "not out, so the MLP never sees the attention's contribution",
        ),
        ("block-wiring: ln_2 input", "block-wiring: mlp reads the block input"),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "mlp-residual-multiplied",
            "block.py",
            "        x = x + self.mlp(self.ln_2(x))\n",
            "        x = x * self.mlp(self.ln_2(x))\n",
            "block",
            "a typo in the second residual: x * mlp(ln_2(x)) instead of x + mlp(ln_2(x))",
        ),
        ("block-wiring: mlp residual multiplied",),
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v11(
            "residual-init-n-head",
            "gpt.py",
            "std=0.02 / math.sqrt(2 * config.n_layer)",
            "std=0.02 / math.sqrt(2 * config.n_head)",
            "gpt",
            "the residual projections' init scaled by 1/sqrt(2 * n_head) instead of 1/sqrt(2 * n_layer) (the "
            "wrong config field; the same at 124M, where both are 12)",
        ),
        ("residual-init: 0.02/sqrt(2*n_head)",),
    ),
    HeldOut(
        _v11(
            "init-zeros-the-weight",
            "gpt.py",
            _V11_INIT_WEIGHTS,
            "        if isinstance(module, nn.Linear):\n"
            "            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)\n"
            "            if module.bias is not None:\n"
            "                torch.nn.init.zeros_(module.weight)\n"
            "        elif isinstance(module, nn.Embedding):\n"
            "            torch.nn.init.normal_(module.weight, mean=0.0, std=0.02)\n",
            "gpt",
            "_init_weights rewritten per module type with zeros_ given module.weight instead of module.bias: every "
            "Linear with a bias gets zero weights (c_attn, c_fc; c_proj is re-drawn after) and keeps PyTorch's "
            "default uniform bias",
        ),
        ("init: Linear weights zeroed, biases left at default",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "block-residual-added-twice",
            "gpt.py",
            "            x = block(x, None if cache is None else cache[i])\n",
            "            x = x + block(x, None if cache is None else cache[i])\n",
            "gpt",
            "a residual connection around each block in GPT.forward, though the block already adds its own: the "
            "stream is doubled at every layer",
        ),
        ("blocks: residual added around each block",),
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v11(
            "log-softmax-implicit-dim",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            log_probs = F.log_softmax(logits)\n"
            "            loss = F.nll_loss(log_probs.view(-1, log_probs.size(-1)), targets.reshape(-1))\n",
            "loss",
            "the loss as nll_loss(log_softmax(logits)) with log_softmax's dim left out: for a 3-D tensor the "
            "implicit dim is 0, the batch, so the log-probabilities are normalised across sequences",
        ),
        ("loss: log_softmax over the batch dim",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v11(
            "vocab-size-50304",
            "config.py",
            "vocab_size: int = 50257",
            "vocab_size: int = 50304",
            "config",
            "the default vocab_size copied from nanoGPT's training config (50304, padded to a multiple of 64) "
            "instead of GPT-2's 50257",
        ),
        ("config: vocab_size 50304", "vocab-padded-by-default"),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v11(
            "kv-cache-mask-inverted",
            "attention.py",
            "mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)",
            "mask = torch.ones(T, S, dtype=torch.bool, device=q.device).triu(diagonal=S - T + 1)  # the future",
            "generate",
            "the cached path's mask built as masked_fill would want it (True = the future) and passed to SDPA, "
            "whose boolean attn_mask means True = may attend: each new query sees only its future (none: NaN)",
        ),
        ("kv-cache: mask inverted",),
    ),
    HeldOut(
        _v11(
            "kv-cache-scale-without-sqrt",
            "attention.py",
            "attn_mask=mask, scale=1.0 / math.sqrt(q.size(-1)))",
            "attn_mask=mask, scale=1.0 / q.size(-1))",
            "generate",
            "the cached path's scale typed without the square root (1/head_dim): cached generation's scores are "
            "sqrt(head_dim) times flatter than the full forward's",
        ),
        ("kv-cache: scale 1/head_dim",),
    ),
    HeldOut(
        _v11(
            "kv-cache-k-and-v-one-buffer",
            "attention.py",
            "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n"
            "            self.v = v.new_zeros(B, nh, self.max_len, hd)\n",
            "            self.k = self.v = k.new_zeros(B, nh, self.max_len, hd)\n",
            "generate",
            "the two cache buffers allocated with a chained assignment: k and v are one tensor, so writing v "
            "overwrites the keys and the cached keys are the values",
        ),
        ("kv-cache: k and v share one buffer",),
    ),
    HeldOut(
        _v11(
            "inverse-cdf-comparison-flipped",
            "gpt.py",
            _V11_SAMPLE,
            "                probs = F.softmax(logits, dim=-1)\n"
            "                # inverse-CDF sampling: the first token whose cumulative probability passes u\n"
            "                cdf = probs.cumsum(dim=-1)\n"
            "                u = torch.rand(probs.size(0), 1, generator=generator, device=probs.device)\n"
            "                idx_next = (cdf > u).sum(dim=-1, keepdim=True)\n",
            "generate",
            "sampling by hand through the cumulative distribution with the comparison flipped: counting the "
            "entries with cdf > u gives V minus the sampled index, not the index (and V itself when it is 0)",
        ),
        ("sampling: inverse CDF reversed",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "top-k-index-not-gathered",
            "gpt.py",
            _V11_TOP_K_SAMPLE,
            "                if top_k is not None:\n"
            "                    top_vals, top_idx = torch.topk(logits, min(top_k, logits.size(-1)))\n"
            "                    probs = F.softmax(top_vals, dim=-1)\n"
            "                    choice = torch.multinomial(probs, num_samples=1, generator=generator)  # in 0..k-1\n"
            "                    idx_next = top_idx[choice]  # back to vocabulary ids\n"
            "                else:\n" + _V11_SAMPLE.replace("                ", "                    "),
            "generate",
            "top-k sampled among the k best and mapped back with top_idx[choice] instead of "
            "torch.gather(top_idx, -1, choice): the index picks rows of top_idx, not entries of each row",
        ),
        ("top-k: index mapped with top_idx[choice], not gather",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "kv-cache-cat-along-heads",
            "attention.py",
            _V11_KV_APPEND,
            "        if self.length + k.size(2) > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, '
            '{self.length + k.size(2)} requested")\n'
            "        if self.k is None or self.v is None:\n"
            "            self.k, self.v = k, v\n"
            "        else:\n"
            "            self.k = torch.cat([self.k, k], dim=1)\n"
            "            self.v = torch.cat([self.v, v], dim=1)\n"
            "        self.length += k.size(2)\n"
            "        return self.k, self.v\n",
            "generate",
            "the KV cache rewritten as a growing torch.cat, concatenated along dim 1 (the heads) instead of dim 2 "
            "(time): after the prompt the cache has twice the heads and one step of time",
        ),
        ("kv-cache: concatenated along the head dim",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "gumbel-noise-negated",
            "gpt.py",
            _V11_SAMPLE,
            "                # Gumbel-max trick: argmax(logits + Gumbel noise) is a sample from softmax(logits)\n"
            "                u = torch.rand(logits.shape, generator=generator, device=logits.device)\n"
            "                gumbel = torch.log(-torch.log(u))\n"
            "                idx_next = (logits + gumbel).argmax(dim=-1, keepdim=True)\n",
            "generate",
            "sampling with the Gumbel-max trick with the noise's sign lost: log(-log u) instead of -log(-log u), "
            "so the argmax does not follow softmax(logits)",
        ),
        ("sampling: Gumbel noise negated",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "temperature-as-probability-power",
            "gpt.py",
            "                logits = logits / temperature\n" + _V11_TOP_K_SAMPLE,
            "                if top_k is not None:\n"
            "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
            '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
            "                probs = F.softmax(logits, dim=-1)\n"
            "                probs = probs**temperature  # temperature reshapes the distribution\n"
            "                probs = probs / probs.sum(dim=-1, keepdim=True)\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "generate",
            "temperature applied to the probabilities as p ** t (renormalised) instead of dividing the logits by "
            "t: p ** t is softmax(t * logits), so a high temperature sharpens the distribution",
        ),
        ("temperature-multiplied",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v11(
            "pattern-contraction-l",
            "tokenizer.py",
            "'m|'ll|'d",
            "'m|'l|'d",
            "tokenizer",
            "a typo in the contractions of GPT-2's pattern: 'l for 'll, so \"we'll\" splits as 'l + l",
        ),
        ("pattern: 'l for 'll",),
    ),
    HeldOut(
        _v11(
            "merged-token-left-twice",
            "tokenizer.py",
            "vocab.append(vocab[pair[0]] + vocab[pair[1]])",
            "vocab.append(vocab[pair[0]] + vocab[pair[0]])",
            "tokenizer",
            "an autocomplete slip in training: the merged token's bytes are the left token's bytes twice",
        ),
        ("merge: new token's bytes are the left token twice",),
    ),
    HeldOut(
        _v11(
            "bpe-whole-token-shortcut-always",
            "tokenizer.py",
            "    if token in ranks and max_rank is None:\n",
            "    if token in ranks:\n",
            "tokenizer",
            "BPE's shortcut for a pre-token already in the vocabulary taken even with max_rank: recovering the "
            "merges from loaded ranks then finds every token to be its own single part, not two halves",
        ),
        ("merges: recovery returns the whole token",),
    ),
    HeldOut(
        _v11(
            "load-ranks-not-base64-decoded",
            "tokenizer.py",
            'ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}',
            'ranks = {b.encode("utf-8"): i for b, i in data["mergeable_ranks"]}',
            "tokenizer",
            "load reads the saved token strings back with .encode() instead of base64-decoding them: the ranks "
            "hold the base64 text, not the token bytes",
        ),
        ("load: ranks not base64-decoded",),
    ),
    HeldOut(
        _v11(
            "training-new-pairs-not-indexed",
            "tokenizer.py",
            "                    stats[p] += f\n                    where[p].add(w)\n",
            "                    stats[p] += f\n",
            "tokenizer",
            "the incremental trainer forgets to record which word holds each new pair (where[p].add(w)): a later "
            "merge of a pair made by an earlier merge never visits the words that hold it",
        ),
        ("tokenizer-training: new pairs not indexed",),
    ),
    HeldOut(
        _v11(
            "specials-ids-from-len-merges",
            "tokenizer.py",
            "{s: len(vocab) + k for k, s in enumerate(specials)}",
            "{s: len(merges) + k for k, s in enumerate(specials)}",
            "tokenizer",
            "the special tokens numbered from len(merges) instead of len(vocab): the 256 byte tokens are not "
            "counted, so the specials take the ids of merged tokens",
        ),
        ("specials: ids from len(merges)",),
    ),
    HeldOut(
        _v11(
            "merge-skips-the-last-pair",
            "tokenizer.py",
            _V11_MERGE_BODY,
            "    merged = []\n"
            "    skip = False\n"
            "    for i, tok in enumerate(ids):\n"
            "        if skip:\n"
            "            skip = False\n"
            "            continue\n"
            "        if i + 1 < len(ids) - 1 and (tok, ids[i + 1]) == pair:\n"
            "            merged.append(new_id)\n"
            "            skip = True\n"
            "        else:\n"
            "            merged.append(tok)\n"
            "    return merged\n",
            "tokenizer",
            "the training merge rewritten as a for loop with a skip flag and the bound written i + 1 < len(ids) - "
            "1: a pair at the end of a pre-token is never merged",
        ),
        ("merge: last pair never merged",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "naive-training-id-after-append",
            "tokenizer.py",
            _V11_TRAIN_LOOP,
            "        merges: dict[tuple[int, int], int] = {}\n"
            "        while len(merges) < n_merges:\n"
            "            counts_now: dict[tuple[int, int], int] = defaultdict(int)\n"
            "            for w, ids in enumerate(words):\n"
            "                for pair in zip(ids, ids[1:]):\n"
            "                    counts_now[pair] += freqs[w]\n"
            "            if not counts_now:\n"
            "                break\n"
            "            best = min(counts_now, key=lambda p: (-counts_now[p], vocab[p[0]], vocab[p[1]]))\n"
            "            vocab.append(vocab[best[0]] + vocab[best[1]])\n"
            "            new_id = len(vocab)\n"
            "            merges[best] = new_id\n"
            "            words = [_merge(ids, best, new_id) for ids in words]\n",
            "tokenizer",
            "a recount-every-step trainer that takes the new id as len(vocab) after appending the merged token: "
            "every merge's id is one past its token, so ids and vocabulary disagree",
        ),
        ("tokenizer-training: merge ids off by one",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "bpe-merge-keeps-right-part",
            "tokenizer.py",
            _V11_BPE_LOOP,
            "    parts = [bytes([b]) for b in token]\n"
            "    while len(parts) > 1:\n"
            "        # the adjacent pair with the lowest rank (the leftmost on a tie)\n"
            "        best_i, best_rank = -1, inf\n"
            "        for i in range(len(parts) - 1):\n"
            "            r = ranks.get(parts[i] + parts[i + 1], inf)\n"
            "            if r < best_rank:\n"
            "                best_i, best_rank = i, r\n"
            "        if best_rank >= limit:\n"
            "            break\n"
            "        parts[best_i : best_i + 1] = [parts[best_i] + parts[best_i + 1]]\n"
            "    return parts\n",
            "tokenizer",
            "BPE encode rewritten as a rescan per merge with the slice parts[i : i + 1] (one element) replaced by "
            "the merged pair: the right part stays, so its bytes are counted twice",
        ),
        ("encode: merge keeps the right part",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v11(
            "batches-shaped-t-by-b",
            "data.py",
            "        x = buf[:-1].view(B, T)  # inputs\n"
            "        y = buf[1:].view(B, T)  # targets: the next token of each input\n",
            "        x = buf[:-1].view(T, B)  # inputs\n"
            "        y = buf[1:].view(T, B)  # targets: the next token of each input\n",
            "data",
            "x and y viewed as (T, B) instead of (B, T): rows of B tokens, and the batch has the wrong shape",
        ),
        ("loader: batches shaped (T, B)",),
    ),
    HeldOut(
        _v11(
            "start-rank-major",
            "data.py",
            "start = (self.batches * self.world_size + self.rank) * B * T",
            "start = (self.batches + self.rank * self.world_size) * B * T",
            "data",
            "the batch index misremembered as (i + r*W) * B*T: rank r starts W batches further on and then steps "
            "by one batch, so rank 0 later reads what rank 1 read first",
        ),
        ("loader: start (i + r*W)*B*T",),
    ),
    HeldOut(
        _v11(
            "wraps-at-most-once",
            "data.py",
            _V11_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        start = (self.batches * self.world_size + self.rank) * B * T % n\n"
            "        end = start + B * T + 1\n"
            "        if end <= n:\n"
            "            buf = self.tokens[start:end]\n"
            "        else:  # the batch runs off the end: the tail, then the head\n"
            "            buf = torch.cat([self.tokens[start:], self.tokens[: end - n]])\n"
            "        x = buf[:-1].view(B, T)\n"
            "        y = buf[1:].view(B, T)\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "next_batch written with slices and one torch.cat at the end of the data: right while a batch is "
            "shorter than the data, but when B*T + 1 exceeds the tokens left plus the whole array it wraps only once",
        ),
        ("loader: wraps at most once",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "ranks-take-interleaved-rows",
            "data.py",
            _V11_NEXT_BATCH,
            "        B, T, W = self.B, self.T, self.world_size\n"
            "        n = len(self.tokens)\n"
            "        base = self.batches * W * B * T\n"
            "        rows_x, rows_y = [], []\n"
            "        for b in range(B):\n"
            "            row = b * W + self.rank  # DistributedSampler-style: rank r takes every W-th row\n"
            "            pos = (base + row * T + torch.arange(T + 1)) % n\n"
            "            seq = self.tokens[pos]\n"
            "            rows_x.append(seq[:-1])\n"
            "            rows_y.append(seq[1:])\n"
            "        self.batches += 1\n"
            "        return torch.stack(rows_x), torch.stack(rows_y)\n",
            "data",
            "the loader rewritten row by row with DistributedSampler's sharding (rank r takes rows r, r + W, ...) "
            "instead of a contiguous block of B rows per rank: the ranks read the right tokens in the wrong rows",
        ),
        ("loader: ranks take interleaved rows",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "targets-rolled-the-wrong-way",
            "data.py",
            _V11_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        start = (self.batches * self.world_size + self.rank) * B * T\n"
            "        idx = (start + torch.arange(B * T)) % n\n"
            "        x = self.tokens[idx].view(B, T)\n"
            "        y = torch.roll(self.tokens, 1)[idx].view(B, T)  "
            "# the next token of each input (wraps at the end)\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "targets taken from the token stream rolled with shift 1 instead of -1: roll(t, 1)[i] is the token "
            "before position i, so y is x shifted the wrong way",
        ),
        ("target-shift: -1",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v11(
            "decay-ratio-plus-one",
            "training.py",
            "decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1",
            "decay_ratio = (step - warmup_steps + 1) / (max_steps - warmup_steps)  # 0 -> 1",
            "training",
            "the warmup's + 1 copied into the decay ratio: the cosine starts one step early (step warmup_steps is "
            "already below max_lr) and reaches min_lr at max_steps - 1",
        ),
        ("lr-schedule: decay one step early",),
    ),
    HeldOut(
        _v11(
            "adamw-lr-not-passed",
            "training.py",
            "return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)",
            "return torch.optim.AdamW(groups, betas=betas, eps=eps, fused=fused)",
            "training",
            "learning_rate not passed on to AdamW: every group starts at AdamW's default lr 1e-3 (until the "
            "caller's schedule overwrites it)",
        ),
        ("optimizer: lr left at AdamW's default 1e-3",),
    ),
    HeldOut(
        _v11(
            "get-lr-signature-swapped",
            "training.py",
            "def get_lr(step: int, max_lr: float, min_lr: float, warmup_steps: int, max_steps: int) -> float:",
            "def get_lr(step: int, max_lr: float, min_lr: float, max_steps: int, warmup_steps: int) -> float:",
            "training",
            "get_lr's last two parameters declared in the other order (max_steps, warmup_steps): a positional call "
            "get_lr(step, max_lr, min_lr, warmup, max_steps) warms up over max_steps",
        ),
        ("lr-schedule: warmup_steps and max_steps swapped",),
    ),
    HeldOut(
        _v11(
            "clip-always-rescales",
            "training.py",
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
            "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
            "    norm = torch.sqrt(sum((g.detach() ** 2).sum() for g in grads))\n"
            "    for g in grads:\n"
            "        g.mul_(max_norm / (norm + 1e-6))  # rescale to max_norm\n",
            "training",
            "gradient clipping by hand without the min(1, ...): the gradient is always rescaled to norm max_norm, "
            "small gradients scaled up as well as large ones down",
        ),
        ("clip: gradients always rescaled to max_norm",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "nanogpt-optimizer-betas-fixed",
            "training.py",
            _V11_OPTIMIZER_BODY,
            "    param_dict = {pn: p for pn, p in model.named_parameters() if p.requires_grad}\n"
            "    decay_params = [p for n, p in param_dict.items() if p.dim() >= 2]\n"
            "    nodecay_params = [p for n, p in param_dict.items() if p.dim() < 2]\n"
            "    optim_groups = [\n"
            '        {"params": decay_params, "weight_decay": weight_decay},\n'
            '        {"params": nodecay_params, "weight_decay": 0.0},\n'
            "    ]\n"
            "    use_fused = fused if fused is not None else all(p.is_cuda for p in param_dict.values())\n"
            "    return torch.optim.AdamW(optim_groups, lr=learning_rate, betas=(0.9, 0.95), eps=eps, "
            "fused=use_fused)\n",
            "training",
            "configure_optimizers written as nanoGPT's, with nanoGPT's betas=(0.9, 0.95) typed in: the betas "
            "argument is ignored",
        ),
        ("adamw-betas: (0.9, 0.95)",),
        "rewrite",
    ),
    HeldOut(
        _v11(
            "checkpoint-named-parameters",
            "training.py",
            '        "model": raw.state_dict(),\n',
            '        "model": {name: p.detach().clone() for name, p in raw.named_parameters()},\n',
            "training",
            "the checkpoint's weights saved from named_parameters() instead of state_dict(): named_parameters "
            "yields the tied matrix once, so lm_head.weight is missing and a strict load fails",
        ),
        ("checkpoint: parameters only (lm_head.weight missing)",),
    ),
    HeldOut(
        _v11(
            "min-lr-as-a-fraction",
            "training.py",
            _V11_GET_LR,
            "    if step < warmup_steps:\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    progress = min(1.0, (step - warmup_steps) / (max_steps - warmup_steps))\n"
            "    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))\n"
            "    return max_lr * (min_lr + (1.0 - min_lr) * cosine)  # decays to min_lr of the peak\n",
            "training",
            "the schedule written with min_lr read as a fraction of the peak (HF's min_lr_rate habit): the floor "
            "is max_lr * min_lr, not min_lr",
        ),
        ("lr-schedule: min_lr read as a fraction of max_lr",),
        "rewrite",
    ),
]

V11_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V11}

# ==================================================================== HELDOUT_V12
# A twelfth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what
# participants get wrong when they write GPT-2 from scratch (nanoGPT / minGPT / minbpe / build-nanogpt / CS336
# habits: wrong dims, off-by-ones, positional-argument slips, misread signatures, autocomplete typos, dtype
# shortcuts, a misremembered formula, a wrong variable, a forgotten step, a wrong default), not from what the tool
# measures. Half of it is written="rewrite": the piece written over in a participant's own style (a for-loop over
# heads, einsum attention, a softmax-then-mask, F.group_norm as "LayerNorm with one group", a hand LayerNorm, nn.GELU
# and a hand tanh GELU, a block with named branch outputs and a loop over branches, an HF loader loop, a hand
# cross-entropy, sort-based top-k, the exponential-race sampler, a hand cached mask, a list-based KV cache, a
# minbpe-style while-loop BPE and recount-every-step trainer, a JSON save/load, a list-based and an np.take loader,
# minGPT's name-based decay groups, a LambdaLR-style schedule, a hand clip, a train step that averages the gradient
# itself), the mistake inside; the rest are edits at one place. None is a known bug of the library or a v1-v11
# entry written the same way; a few are an earlier family or a known bug reached by a new route (mask-after-softmax
# through a multiplied 0/1 mask, exact-gelu through nn.GELU()'s default, the top-left cached mask through absolute
# query positions, first-seen tie-breaking through max(stats, key=stats.get), parallel branches through a loop over
# the block's input) and are tagged as the earlier sets or the library spell them. Each was checked only for
# validity (it materialises and a non-slow spec test of its section fails with the fingerprint off, --tb=no), never
# run through the diagnosis. ``accept`` names the family and parameter in plain ``family: parameter`` words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 50 of the 51 written
# fail a test; all 50 are kept: attention 6, layernorm 4, mlp 3, block 3, gpt 3, loss 1, config 1, generate 8 (four
# of them in attention.py's KV-cache and cached-attention code), tokenizer 9, data 5, training 7; 25 of them
# rewrites, 25 edits. Dropped before commit: top-k's torch.topk called with sorted=False while the threshold is
# still read from the last column (no non-slow generate test fails, and on CPU rightly so: torch returns the k values
# sorted there anyway; on CUDA the order is not promised, so only a GPU run could tell: a possible GPU-only spec
# gap). It was replaced by the KV cache's overflow check written >= for >.

_V12_SDPA = _V10_SDPA
_V12_LN_BODY = _V10_LN_BODY
_V12_BLOCK_FORWARD = _V10_BLOCK_FORWARD
_V12_NEXT_BATCH = _V10_NEXT_BATCH
_V12_GET_LR = _V10_GET_LR
_V12_TRAIN_LOOP = _V10_TRAIN_LOOP
_V12_SAMPLE = _V11_SAMPLE
_V12_BPE_LOOP = _V11_BPE_LOOP
_V12_OPTIMIZER_BODY = _V11_OPTIMIZER_BODY
_V12_KV_INIT_AND_APPEND = (
    "    def __init__(self, max_len: int) -> None:\n"
    "        self.max_len = max_len\n"
    "        self.k: torch.Tensor | None = None  # (B, nh, max_len, hd), allocated by the first append\n"
    "        self.v: torch.Tensor | None = None\n"
    "        self.length = 0  # positions filled so far\n"
    "\n"
    "    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:\n"
    '        """Store k, v (B, nh, T, hd) after the cached positions; return all keys and values so far."""\n'
    + _V11_KV_APPEND
)
_V12_ATTEND_CACHED = (
    "        T, S = q.size(-2), k.size(-2)\n"
    "        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)\n"
    "        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0 / math.sqrt(q.size(-1)))\n"
)
_V12_HEADS_AND_MERGE = (
    "        if cache is None:\n"
    "            y = self.attend(q, k, v)\n"
    "        else:  # fast path: KV cache (GPT.generate) — attend to the cached keys/values plus the new ones\n"
    "            y = self.attend_cached(q, *cache.append(k, v))\n"
    "        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side\n"
)
_V12_HF_LOOP = (
    "            if name.endswith(_CONV1D_SUFFIXES):\n"
    "                tensor = tensor.t()\n"
    "            target = ours[name]\n"
    "            if name in _VOCAB_ROWS:  # fast path: vocab padding — HF's rows fill the top; padded rows stay 0\n"
    "                target = target[: config.vocab_size]\n"
)
_V12_SAVE_LOAD = (
    '            "special_tokens": self.special_tokens,\n'
    '            "mergeable_ranks": [[base64.b64encode(b).decode("ascii"), i] for b, i in self._ranks.items()],\n'
    "        }\n"
    '        Path(path).write_text(json.dumps(data, ensure_ascii=False) + "\\n", encoding="utf-8")\n'
    "\n"
    "    @classmethod\n"
    "    def load(cls, path: str | Path) -> Tokenizer:\n"
    '        data = json.loads(Path(path).read_text(encoding="utf-8"))\n'
    '        if data.get("format") != "gpt2spec-bpe/1":\n'
    "            raise ValueError(f\"{path}: not a saved Tokenizer (format {data.get('format')!r})\")\n"
    '        ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}\n'
    '        return cls.from_ranks(ranks, data["pattern"], data["special_tokens"])\n'
)
_V12_STEP_LOOP = (
    "    n = len(batches)\n"
    "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
    "    for i, (x, y) in enumerate(batches):\n"
    "        if isinstance(model, DDP):\n"
    "            # All-reduce the gradient once, after the last micro-batch, not after every one.\n"
    "            model.require_backward_grad_sync = i == n - 1\n"
    "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if"
    " autocast_dtype else contextlib.nullcontext()\n"
    "        with amp:\n"
    "            _, loss = model(x, y)\n"
    "        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,\n"
    "        # the same gradient as one batch n times larger.\n"
    "        loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()\n"
    "    if dist.is_available() and dist.is_initialized():\n"
    "        # For logging only: the gradients are already averaged by DDP. gloo has no AVG, so SUM / W.\n"
    "        dist.all_reduce(loss_accum, op=dist.ReduceOp.SUM)\n"
    "        loss_accum = loss_accum / dist.get_world_size()\n"
    "    # Clip before the step, so the update uses the clipped gradient.\n"
    "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
)

_v12 = partial(_in_set, 12)


HELDOUT_V12: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v12(
            "heads-split-from-q-only",
            "attention.py",
            "q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))",
            "q, k, v = (q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))",
            "attention",
            "an autocomplete slip in the head-split generator: q.view(...) where the loop variable t belongs, so "
            "the keys and the values are the queries too",
        ),
        ("qkv-order: q, q, q",),
    ),
    HeldOut(
        _v12(
            "x-unpacked-time-first",
            "attention.py",
            "        B, T, C = x.shape\n",
            "        T, B, C = x.shape  # (seq, batch, embed), as nn.MultiheadAttention takes it\n",
            "attention",
            "the input's shape unpacked sequence-first (nn.MultiheadAttention's default layout): the head split "
            "views the (B, T, C) memory as (T, B, ...), mixing sequences and positions",
        ),
        ("attention: x unpacked as (T, B, C)",),
    ),
    HeldOut(
        _v12(
            "scale-integer-sqrt",
            "attention.py",
            _V12_SDPA,
            "        return F.scaled_dot_product_attention(q, k, v,"
            " is_causal=True, scale=1.0 / math.isqrt(k.size(-1)))\n",
            "attention",
            "math.isqrt (the editor's first completion) where math.sqrt belongs: the integer square root, exact for "
            "GPT-2's head_dim 64 but not for a head_dim that is not a perfect square",
        ),
        ("attention-scale: 1/isqrt(head_dim)",),
    ),
    HeldOut(
        _v12(
            "heads-loop-stacked-last",
            "attention.py",
            _V12_HEADS_AND_MERGE,
            "        if cache is not None:  # fast path: KV cache — attend to the"
            " cached keys/values plus the new ones\n"
            "            k, v = cache.append(k, v)\n"
            "        attend = self.attend if cache is None else self.attend_cached\n"
            "        heads = [attend(q[:, h], k[:, h], v[:, h]) for h in range(self.n_head)]  # each (B, T, hd)\n"
            "        y = torch.stack(heads, dim=-1).reshape(B, T, C)  # the heads side by side\n",
            "attention",
            "attention written as a for-loop over the heads, the head outputs stacked on a new last dim before the "
            "reshape: (B, T, hd, n_head), so the output's columns interleave the heads instead of placing them in "
            "blocks",
        ),
        ("heads-merge: interleaved",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "einsum-values-own-index",
            "attention.py",
            _V12_SDPA,
            "        T = q.size(-2)\n"
            '        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.size(-1))\n'
            "        causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=q.device))\n"
            '        scores = scores.masked_fill(~causal, float("-inf"))\n'
            "        weights = torch.softmax(scores, dim=-1)\n"
            '        return torch.einsum("bhqk,bhvd->bhqd", weights, v)\n',
            "attention",
            "attention written with einsum, the values' position index typed v instead of k in the second einsum: "
            "k and v are summed separately, so each output is the sum of every position's value (the future "
            "included), times weights that sum to one",
        ),
        ("attention: values summed over every position",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "softmax-then-tril-multiplied",
            "attention.py",
            _V12_SDPA,
            "        T = q.size(-2)\n"
            "        att = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(k.size(-1)))\n"
            "        att = F.softmax(att, dim=-1)\n"
            "        keep = torch.tril(torch.ones(T, T, device=q.device))\n"
            "        att = att * keep  # zero out the future\n"
            "        return att @ v\n",
            "attention",
            "attention by hand with the causal mask applied as a 0/1 multiplication after the softmax: the future "
            "is zeroed, but the past weights were normalised with it and no longer sum to one",
        ),
        ("mask-after-softmax",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v12(
            "ln-var-clamped",
            "layernorm.py",
            "x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt",
            "x_hat = (x - mean) * torch.rsqrt(var.clamp(min=self.eps))  # never divide by 0",
            "layernorm",
            "eps used as a floor on the variance (clamp, an RMSNorm habit) instead of added to it: the same for "
            "rows of large variance, different when the variance is near eps",
        ),
        ("layernorm-eps: clamped, not added",),
    ),
    HeldOut(
        _v12(
            "ln-mean-detached",
            "layernorm.py",
            "mean = x.mean(dim=-1, keepdim=True)",
            "mean = x.mean(dim=-1, keepdim=True).detach()  # a statistic, not a weight: no gradient",
            "layernorm",
            "the mean detached (statistics taken as constants, a BatchNorm running-mean habit): the forward pass is "
            "right, the gradient misses the term that flows through the mean",
        ),
        ("layernorm: mean detached",),
    ),
    HeldOut(
        _v12(
            "ln-group-norm-one-group",
            "layernorm.py",
            _V12_LN_BODY,
            "        # LayerNorm is GroupNorm with a single group\n"
            "        return torch.nn.functional.group_norm(x, 1, self.weight, self.bias, self.eps)\n",
            "layernorm",
            'the body replaced by F.group_norm with one group ("LayerNorm is GroupNorm with G = 1"): group_norm '
            "reads dim 1 as the channels, so on (B, T, C) it normalises over T and C together and the affine "
            "parameters belong to T",
        ),
        ("layernorm: group_norm over (T, C)",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "ln-variance-centred-twice",
            "layernorm.py",
            _V12_LN_BODY,
            "        mu = x.mean(dim=-1, keepdim=True)\n"
            "        xc = x - mu\n"
            "        var = ((xc - mu) ** 2).mean(dim=-1, keepdim=True)\n"
            "        return self.weight * xc / torch.sqrt(var + self.eps) + self.bias\n",
            "layernorm",
            "LayerNorm by hand with the centred input kept in xc and the mean subtracted from it again in the "
            "variance line: the variance is that of x - 2 mean, var + mean^2",
        ),
        ("layernorm-variance: centred twice (x - 2*mean)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v12(
            "gelu-approximate-gelu-new",
            "mlp.py",
            'F.gelu(self.c_fc(x), approximate="tanh")',
            'F.gelu(self.c_fc(x), approximate="gelu_new")',
            "mlp",
            "approximate given HF's activation name 'gelu_new' (from GPT-2's config.json) instead of 'tanh': "
            "F.gelu accepts only 'none' or 'tanh' and raises",
        ),
        ("gelu: approximate='gelu_new'",),
    ),
    HeldOut(
        _v12(
            "nn-gelu-default",
            "mlp.py",
            "        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)\n"
            "\n"
            "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
            '        # GPT-2 was trained with the tanh approximation of GELU ("gelu_new" in HF);\n'
            "        # the exact erf GELU differs by up to ~1e-3 and breaks parity with the real weights.\n"
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n',
            "        self.gelu = nn.GELU()\n"
            "        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)\n"
            "\n"
            "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
            "        x = self.c_fc(x)\n"
            "        x = self.gelu(x)\n"
            "        x = self.c_proj(x)\n"
            "        return x\n",
            "mlp",
            "the MLP written as nanoGPT's model.py has it, with an nn.GELU() module: its default is the exact erf "
            "GELU, not the tanh approximation GPT-2 was trained with",
        ),
        ("exact-gelu",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "gelu-pow-arguments-swapped",
            "mlp.py",
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n',
            "        h = self.c_fc(x)\n"
            "        c = (2.0 / torch.pi) ** 0.5\n"
            "        h = 0.5 * h * (1.0 + torch.tanh(c * (h + 0.044715 * torch.pow(3, h))))\n"
            "        return self.c_proj(h)\n",
            "mlp",
            "the tanh GELU written out by hand with torch.pow's arguments in the other order: pow(3, h) is 3^h, "
            "not h^3",
        ),
        ("gelu: other",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v12(
            "block-returns-cache-too",
            "block.py",
            "        x = x + self.mlp(self.ln_2(x))\n        return x\n",
            "        x = x + self.mlp(self.ln_2(x))\n        return x, cache\n",
            "block",
            "the block returns (x, cache), HF's habit of passing each layer's present key/values along: the next "
            "block (and GPT.forward) receives a tuple instead of the hidden states",
        ),
        ("block: returns (x, cache)",),
    ),
    HeldOut(
        _v12(
            "block-output-without-stream",
            "block.py",
            _V12_BLOCK_FORWARD,
            "        a = self.attn(self.ln_1(x), cache)\n"
            "        m = self.mlp(self.ln_2(x + a))\n"
            "        return a + m\n",
            "block",
            "the block written with named branch outputs, the return summing the two branches and forgetting the "
            "residual stream x itself: the block's input never reaches its output",
        ),
        ("block-wiring: block input dropped from the output",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "block-loop-normalises-the-input",
            "block.py",
            _V12_BLOCK_FORWARD,
            "        h = x\n"
            "        branches = ((self.ln_1, lambda u: self.attn(u, cache)), (self.ln_2, self.mlp))\n"
            "        for norm, branch in branches:\n"
            "            x = x + branch(norm(h))\n"
            "        return x\n",
            "block",
            "the block written as a loop over (norm, branch) pairs that normalises h, the block's input saved "
            "before the loop, instead of the running x: the MLP reads ln_2 of the input, not of the stream after "
            "attention (parallel branches)",
        ),
        ("block-wiring: ln_2 input",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v12(
            "wpe-args-swapped",
            "gpt.py",
            "wpe=nn.Embedding(config.block_size, config.n_embd),  # learned positions",
            "wpe=nn.Embedding(config.n_embd, config.block_size),  # learned positions",
            "gpt",
            "nn.Embedding's (num_embeddings, embedding_dim) given in the other order for the position table: "
            "n_embd rows of block_size numbers",
        ),
        ("wpe: shape (n_embd, block_size)",),
    ),
    HeldOut(
        _v12(
            "blocks-read-the-embeddings",
            "gpt.py",
            "        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B,T,C) + (T,C) broadcast\n"
            "        for i, block in enumerate(self.transformer.h):\n"
            "            x = block(x, None if cache is None else cache[i])\n"
            "        logits = self.lm_head(self.transformer.ln_f(x))\n",
            "        tok_emb = self.transformer.wte(idx)  # (B, T, C)\n"
            "        pos_emb = self.transformer.wpe(pos)  # (T, C)\n"
            "        emb = tok_emb + pos_emb\n"
            "        for i, block in enumerate(self.transformer.h):\n"
            "            x = block(emb, cache[i] if cache is not None else None)\n"
            "        x = self.transformer.ln_f(x)\n"
            "        logits = self.lm_head(x)\n",
            "gpt",
            "the forward pass rewritten with named embeddings, each block fed emb (the embeddings) instead of the "
            "previous block's output: only the last block's output reaches the head",
        ),
        ("blocks: each block reads the embeddings",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "from-hf-reshaped-not-transposed",
            "gpt.py",
            _V12_HF_LOOP,
            "            target = ours[name][: config.vocab_size] if name in _VOCAB_ROWS else ours[name]\n"
            "            if any(name.endswith(s) for s in _CONV1D_SUFFIXES):\n"
            "                tensor = tensor.reshape(target.shape)  # Conv1D is (in, out), Linear is (out, in)\n",
            "gpt",
            "the HF loader's loop written with reshape where a transpose belongs: the Conv1D weights get nn.Linear's "
            "shape, but their numbers are scrambled instead of transposed",
        ),
        ("from-hf: Conv1D weights reshaped, not transposed",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v12(
            "cross-entropy-indexed-every-row",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            logp = F.log_softmax(logits.view(-1, logits.size(-1)), dim=-1)  # (B*T, V)\n"
            "            loss = -logp[:, targets.reshape(-1)].mean()  # log-probability of each target\n",
            "loss",
            "cross-entropy by hand with the target log-probabilities picked as logp[:, targets] instead of "
            "logp[arange(N), targets]: an (N, N) block, every position scored against every target",
        ),
        ("loss: log-probs indexed [:, targets] (every position against every target)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v12(
            "block-size-default-tuple",
            "config.py",
            "block_size: int = 1024  # longest sequence the position table covers",
            "block_size: int = 1024,  # longest sequence the position table covers",
            "config",
            "a trailing comma after block_size's default (the line copied from a dict or a call): the default is "
            "the tuple (1024,), not 1024",
        ),
        ("config: block_size default a tuple",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v12(
            "kv-cache-length-plus-end",
            "attention.py",
            "        self.length = end\n",
            "        self.length += end\n",
            "generate",
            "the cache's length advanced with += end (the running-total habit) where end is already the new total: "
            "after the prompt the next token's slot and position are wrong",
        ),
        ("kv-cache: length advanced by end",),
    ),
    HeldOut(
        _v12(
            "kv-cache-refeeds-last-token",
            "gpt.py",
            "logits, _ = self(idx[:, cache[0].length :], cache=cache)",
            "logits, _ = self(idx[:, cache[0].length - 1 :], cache=cache)",
            "generate",
            "the cached path's slice started one token early (the last cached token taken as the one to continue "
            "from): the first step feeds only the prompt's last token, every later step re-feeds a cached one",
        ),
        ("kv-cache: last cached token fed again",),
    ),
    HeldOut(
        _v12(
            "temperature-default-0-8",
            "gpt.py",
            "temperature: float = 1.0,",
            "temperature: float = 0.8,",
            "generate",
            "temperature defaulted to 0.8, nanoGPT's sample.py setting, instead of 1.0: generate without a "
            "temperature samples from a sharpened distribution",
        ),
        ("temperature: default 0.8",),
    ),
    HeldOut(
        _v12(
            "kv-cache-full-rejected",
            "attention.py",
            "        if end > self.max_len:\n",
            "        if end >= self.max_len:\n",
            "generate",
            "the cache's overflow check written with >= for >: appending the position that exactly fills the cache "
            "raises, so generation that reaches the cache's size (block_size) fails instead of filling the last slot",
        ),
        ("kv-cache: full cache rejected (>= max_len)",),
    ),
    HeldOut(
        _v12(
            "top-k-sorted-gathered-back",
            "gpt.py",
            "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
            '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n',
            "                    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)\n"
            '                    sorted_logits[:, top_k:] = float("-inf")  # keep the k largest\n'
            "                    logits = sorted_logits.gather(-1, order)  # back to vocabulary order\n",
            "generate",
            "top-k written with a sort, the kept logits put back in vocabulary order with gather(order) instead of "
            "scatter(order): gather applies the permutation a second time instead of inverting it",
        ),
        ("top-k: sorted logits gathered, not scattered back",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "kv-mask-from-query-index",
            "attention.py",
            _V12_ATTEND_CACHED,
            "        T, S = q.size(-2), k.size(-2)\n"
            "        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))  # (B, nh, T, S)\n"
            "        qpos = torch.arange(T, device=q.device).unsqueeze(1)  # query i\n"
            "        kpos = torch.arange(S, device=q.device).unsqueeze(0)  # key j\n"
            '        att = att.masked_fill(kpos > qpos, float("-inf"))  # no key after the query\n'
            "        return torch.softmax(att, dim=-1) @ v\n",
            "generate",
            "the cached attention written by hand with the queries numbered from 0 instead of from S - T, their "
            "place after the cache: a new token sees only the first cached keys",
        ),
        ("kv-cache-mask-top-left",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "kv-cache-list-length-counts-appends",
            "attention.py",
            _V12_KV_INIT_AND_APPEND,
            "    def __init__(self, max_len: int) -> None:\n"
            "        self.max_len = max_len\n"
            "        self.ks: list[torch.Tensor] = []  # one (B, nh, t, hd) tensor per append\n"
            "        self.vs: list[torch.Tensor] = []\n"
            "        self.length = 0\n"
            "\n"
            "    def append(self, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:\n"
            "        self.ks.append(k)\n"
            "        self.vs.append(v)\n"
            "        self.length = len(self.ks)\n"
            "        keys, values = torch.cat(self.ks, dim=2), torch.cat(self.vs, dim=2)\n"
            "        if keys.size(2) > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {keys.size(2)} requested")\n'
            "        return keys, values\n",
            "generate",
            "the KV cache rewritten as lists of tensors joined with torch.cat, its length set to len(self.ks): the "
            "number of appends, not of cached positions, so after a prompt of several tokens the next positions "
            "and the fed slice are wrong",
        ),
        ("kv-cache: length counts appends, not positions",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "exponential-race-multiplied",
            "gpt.py",
            _V12_SAMPLE,
            "                probs = F.softmax(logits, dim=-1)\n"
            "                # exponential race: argmax of p / E with E ~ Exp(1) is a sample from p\n"
            "                race = torch.empty_like(probs).exponential_(1.0, generator=generator)\n"
            "                idx_next = (probs * race).argmax(dim=-1, keepdim=True)\n",
            "generate",
            "sampling written with the exponential-race trick (argmax of p / E) with the noise multiplied instead "
            "of divided: the draws follow the wrong distribution",
        ),
        ("sampling: exponential race multiplied, not divided",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v12(
            "byte-vocab-bytes-of-int",
            "tokenizer.py",
            "vocab = [bytes([i]) for i in range(256)]",
            "vocab = [bytes(i) for i in range(256)]",
            "tokenizer",
            "the training vocabulary's byte tokens made with bytes(i) instead of bytes([i]): bytes(3) is three "
            "zero bytes, so every learned token spells the wrong bytes",
        ),
        ("tokenizer-training: bytes(i) for bytes([i])",),
    ),
    HeldOut(
        _v12(
            "merges-loop-counts-vocab",
            "tokenizer.py",
            "while len(merges) < n_merges and heap:",
            "while len(vocab) < n_merges and heap:",
            "tokenizer",
            "the training loop's bound tests len(vocab), which starts at 256, against the number of merges: it "
            "learns 256 merges too few (none for a small vocab_size)",
        ),
        ("tokenizer: too few merges (len(vocab) for len(merges))",),
    ),
    HeldOut(
        _v12(
            "encode-append-for-extend",
            "tokenizer.py",
            "ids.extend(piece_ids if piece_ids is not None else self._encode_piece(piece))",
            "ids.append(piece_ids if piece_ids is not None else self._encode_piece(piece))",
            "tokenizer",
            "append where extend belongs when collecting each pre-token's ids: encode returns a list of lists, one "
            "per pre-token",
        ),
        ("encode: append for extend (a list of lists)",),
    ),
    HeldOut(
        _v12(
            "pattern-d-for-p-n",
            "tokenizer.py",
            r"| ?\p{N}+|",
            r"| ?\d+|",
            "tokenizer",
            r"the pattern's numbers written \d+ (the digits class most regexes know) instead of \p{N}+: "
            r"numerals that are not decimal digits (superscripts, fractions, Roman numerals) fall to the symbol "
            "class",
        ),
        (r"pattern: \d for \p{N}",),
    ),
    HeldOut(
        _v12(
            "requeue-only-increased",
            "tokenizer.py",
            "elif stats[p] != c:",
            "elif stats[p] > c:",
            "tokenizer",
            "the lazy heap re-queues a touched pair only when its count went up: a pair whose count went down "
            "keeps only its stale entry, which is skipped when popped, so the pair is never merged again",
        ),
        ("tokenizer-training: decreased counts not re-queued",),
    ),
    HeldOut(
        _v12(
            "vocab-without-specials",
            "tokenizer.py",
            "return dict(sorted(self._decoder.items()))",
            "return {i: b for b, i in self._ranks.items()}",
            "tokenizer",
            "the vocab property built from the mergeable ranks (minbpe's vocab is the merges only): the special "
            "tokens are missing from it",
        ),
        ("vocab: special tokens missing",),
    ),
    HeldOut(
        _v12(
            "bpe-while-loop-no-limit",
            "tokenizer.py",
            '    inf = float("inf")\n    limit = inf if max_rank is None else max_rank\n' + _V12_BPE_LOOP,
            "    parts = [bytes([b]) for b in token]\n"
            "    while len(parts) >= 2:\n"
            "        # the adjacent pair that was merged earliest in training\n"
            "        pairs = [(ranks.get(parts[i] + parts[i + 1]), i) for i in range(len(parts) - 1)]\n"
            "        pairs = [(r, i) for r, i in pairs if r is not None]\n"
            "        if not pairs:\n"
            "            break  # nothing left to merge\n"
            "        _, i = min(pairs)\n"
            "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
            "    return parts\n",
            "tokenizer",
            "BPE rewritten minbpe-style as a while loop over the lowest-ranked pair, with max_rank never checked: "
            "recovering a loaded vocabulary's merges runs each token's BPE to the token itself",
        ),
        ("bpe: max_rank ignored",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "train-max-count-first-seen",
            "tokenizer.py",
            _V12_TRAIN_LOOP,
            "        merges: dict[tuple[int, int], int] = {}\n"
            "        while len(merges) < n_merges:\n"
            "            stats = Counter()\n"
            "            for ids, f in zip(words, freqs):\n"
            "                for pair in zip(ids, ids[1:]):\n"
            "                    stats[pair] += f\n"
            "            if not stats:\n"
            "                break  # every pre-token is a single token\n"
            "            pair = max(stats, key=stats.get)  # the most frequent pair\n"
            "            new_id = len(vocab)\n"
            "            merges[pair] = new_id\n"
            "            vocab.append(vocab[pair[0]] + vocab[pair[1]])\n"
            "            words = [_merge(ids, pair, new_id) for ids in words]\n",
            "tokenizer",
            "training rewritten minbpe-style (recount every pair each step, max(stats, key=stats.get)): max keeps "
            "the first of equal counts in the order the pairs were counted, not the smallest bytes",
        ),
        ("tokenizer-tie-break: first seen",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "load-specials-renumbered",
            "tokenizer.py",
            _V12_SAVE_LOAD,
            '            "special_tokens": list(self.special_tokens),  # in id order\n'
            '            "mergeable_ranks": [[base64.b64encode(b).decode("ascii"),'
            " i] for b, i in self._ranks.items()],\n"
            "        }\n"
            '        Path(path).write_text(json.dumps(data, ensure_ascii=False) + "\\n", encoding="utf-8")\n'
            "\n"
            "    @classmethod\n"
            "    def load(cls, path: str | Path) -> Tokenizer:\n"
            '        data = json.loads(Path(path).read_text(encoding="utf-8"))\n'
            '        if data.get("format") != "gpt2spec-bpe/1":\n'
            "            raise ValueError(f\"{path}: not a saved Tokenizer (format {data.get('format')!r})\")\n"
            '        ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}\n'
            '        specials = {s: i for i, s in enumerate(data["special_tokens"])}\n'
            '        return cls.from_ranks(ranks, data["pattern"], specials)\n',
            "tokenizer",
            "save and load written with the special tokens stored as a list, and load numbering them with "
            "enumerate: their ids restart at 0 instead of following the merges",
        ),
        ("load: special ids renumbered from 0",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v12(
            "counter-advanced-by-b",
            "data.py",
            "        self.batches += 1\n",
            "        self.batches += B\n",
            "data",
            "the batch counter advanced by B (the rows read) although start already multiplies it by B*T: "
            "consecutive batches are B batches apart",
        ),
        ("loader-stride: B*B*T",),
    ),
    HeldOut(
        _v12(
            "signature-t-before-b",
            "data.py",
            "self, tokens: Sequence[int] | np.ndarray | torch.Tensor, B: int, T:"
            " int, rank: int = 0, world_size: int = 1",
            "self, tokens: Sequence[int] | np.ndarray | torch.Tensor, T: int, B:"
            " int, rank: int = 0, world_size: int = 1",
            "data",
            "the constructor's parameters declared (tokens, T, B): DataLoader(tokens, B, T) gets its batch size and "
            "sequence length swapped",
        ),
        ("loader: signature (tokens, T, B)",),
    ),
    HeldOut(
        _v12(
            "ids-narrowed-to-uint16",
            "data.py",
            "return torch.from_numpy(np.asarray(tokens).astype(np.int64).reshape(-1))",
            "return torch.from_numpy(np.asarray(tokens).astype(np.uint16).reshape(-1))  # GPT-2 ids fit in 16 bits",
            "data",
            "the ids of a list or array narrowed to uint16 (the token-file dtype, to save memory): x and y come out "
            "uint16, not int64",
        ),
        ("loader: ids kept as uint16",),
    ),
    HeldOut(
        _v12(
            "rank-offset-one-token",
            "data.py",
            _V12_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        start = self.batches * self.world_size * B * T + self.rank\n"
            "        buf = torch.stack([self.tokens[(start + i) % n] for i in range(B * T + 1)])\n"
            "        x, y = buf[:-1].view(B, T), buf[1:].view(B, T)\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "next_batch rewritten with a list of indexed tokens, the rank added to the start without its B*T "
            "factor: rank r starts r tokens after rank 0, so the ranks' slices overlap",
        ),
        ("loader: rank offset 1 token",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "np-take-clip",
            "data.py",
            _V12_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        start = (self.batches * self.world_size + self.rank) * B * T\n"
            "        idx = np.arange(start, start + B * T + 1)\n"
            '        buf = torch.from_numpy(np.take(self.tokens.numpy(), idx, mode="clip"))  # stays in range\n'
            "        x = buf[:-1].reshape(B, T)\n"
            "        y = buf[1:].reshape(B, T)\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "next_batch rewritten with np.take and mode='clip' where mode='wrap' was meant: past the end of the "
            "data every index reads the last token instead of wrapping to the start",
        ),
        ("loader: clips at the end instead of wrapping",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v12(
            "checkpoint-replace-reversed",
            "training.py",
            "os.replace(tmp, path)  # atomic: a crash mid-save never leaves a truncated checkpoint",
            "os.replace(path, tmp)  # atomic: a crash mid-save never leaves a truncated checkpoint",
            "training",
            "os.replace's (src, dst) given in the other order: the finished temporary file is never moved into "
            "place (the save fails, or overwrites the new checkpoint with the old one)",
        ),
        ("checkpoint: os.replace arguments reversed",),
    ),
    HeldOut(
        _v12(
            "micro-batch-unpacked-y-x",
            "training.py",
            "for i, (x, y) in enumerate(batches):",
            "for i, (y, x) in enumerate(batches):",
            "training",
            "each micro-batch unpacked as (y, x): the model is trained to predict each token's predecessor",
        ),
        ("train-step: inputs and targets swapped",),
    ),
    HeldOut(
        _v12(
            "optimizer-on-state-dict",
            "training.py",
            "params = [p for p in model.parameters() if p.requires_grad]  # parameters() yields a tied weight once",
            "params = list(model.state_dict().values())",
            "training",
            "the optimizer built from model.state_dict().values(): detached copies of the weights that never get "
            "a gradient, so the optimizer step changes nothing",
        ),
        ("optimizer: built on state_dict() tensors",),
    ),
    HeldOut(
        _v12(
            "mingpt-wpe-not-decayed",
            "training.py",
            _V12_OPTIMIZER_BODY,
            "    decay, no_decay = [], []\n"
            "    for name, p in model.named_parameters():  # a tied weight is listed once\n"
            "        if not p.requires_grad:\n"
            "            continue\n"
            '        if name.endswith("bias") or ".ln_" in name or name.endswith("wpe.weight"):\n'
            "            no_decay.append(p)  # biases, LayerNorm gains and the position table, as minGPT does\n"
            "        else:\n"
            "            decay.append(p)\n"
            '    groups = [{"params": decay, "weight_decay": weight_decay},'
            ' {"params": no_decay, "weight_decay": 0.0}]\n'
            "    params = decay + no_decay\n"
            "    if fused is None:\n"
            "        fused = bool(params) and all(p.is_cuda for p in params)\n"
            "    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)\n",
            "training",
            "the decay groups written by parameter name as minGPT's configure_optimizers does, which also exempts "
            "the position embedding: wpe, a matrix, is not decayed",
        ),
        ("weight-decay: wpe not decayed",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "lr-returns-multiplier",
            "training.py",
            _V12_GET_LR,
            "    # written for LambdaLR, which multiplies the optimizer's base lr by what this returns\n"
            "    floor = min_lr / max_lr\n"
            "    if step < warmup_steps:\n"
            "        return (step + 1) / warmup_steps\n"
            "    if step >= max_steps:\n"
            "        return floor\n"
            "    progress = (step - warmup_steps) / (max_steps - warmup_steps)\n"
            "    return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))\n",
            "training",
            "the schedule written for torch's LambdaLR, returning the multiplier of the base lr (lr / max_lr) "
            "instead of the learning rate itself",
        ),
        ("lr-schedule: returns the multiplier (lr / max_lr)",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "clip-norm-squared",
            "training.py",
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
            "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
            "    norm = torch.stack([g.pow(2).sum() for g in grads]).sum()  # global L2 norm over every gradient\n"
            "    scale = max_norm / (norm + 1e-6)\n"
            "    if scale < 1:\n"
            "        for g in grads:\n"
            "            g.mul_(scale)\n",
            "training",
            "gradient clipping written by hand with the global norm left as the sum of squares, the square root "
            "forgotten: the norm returned and the one clipped against are the squared norm",
        ),
        ("clip: norm squared (no sqrt)",),
        "rewrite",
    ),
    HeldOut(
        _v12(
            "grads-averaged-after-clip",
            "training.py",
            _V12_STEP_LOOP,
            "    n = len(batches)\n"
            "    losses = []\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1  # all-reduce after the last micro-batch only\n"
            "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if"
            " autocast_dtype else contextlib.nullcontext()\n"
            "        with amp:\n"
            "            _, loss = model(x, y)\n"
            "        loss.backward()  # the gradients add up over the micro-batches\n"
            "        losses.append(loss.detach())\n"
            "    loss_accum = torch.stack(losses).mean()\n"
            "    if dist.is_available() and dist.is_initialized():\n"
            "        dist.all_reduce(loss_accum, op=dist.ReduceOp.SUM)\n"
            "        loss_accum = loss_accum / dist.get_world_size()\n"
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
            "    for p in model.parameters():\n"
            "        if p.grad is not None:\n"
            "            p.grad.div_(n)  # the sum -> the mean over the micro-batches\n",
            "training",
            "the train step written to sum the micro-batch gradients and divide them by n afterwards, with the "
            "division placed after the clipping: the norm is measured (and clipped) on the sum, n times too large",
        ),
        ("clip: before averaging over the micro-batches",),
        "rewrite",
    ),
]

V12_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V12}

# ==================================================================== HELDOUT_V13
# A thirteenth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what
# participants get wrong when they write GPT-2 from scratch (nanoGPT / minGPT / minbpe / build-nanogpt / CS336
# habits: positional-argument slips against misread signatures (SDPA's dropout_p and attn_mask slots, nn.init.normal_'s
# mean, torch.multinomial's replacement, torch.addcmul's operand order, F.gelu's keyword-only approximate), dim
# slips (size(0) for size(-1), cumsum and chunk and cat along the wrong dim), autocomplete slips, dtype shortcuts
# (a float16 variance, bf16 autocast inside the block), Python gotchas (late-binding lambdas, a mutable default
# cache, a generator consumed twice, a misspelt param-group key), a misremembered formula (sqrt(2)/pi, a cosine in
# degrees, // 2), a wrong default (HF's top_k=50, machine epsilon for eps), a forgotten step (heapify, writing the
# merged word back)), not from what the tool measures. Half of it is written="rewrite": the piece written over in a
# participant's own style (a hand softmax, einsum attention, a for-loop over heads, one qkv view and permute,
# F.batch_norm as a normaliser, a hand tanh GELU, an MLP in named steps, a block as a loop over lambdas, a block
# under autocast, HF's residual/hidden_states block, a strict=False HF loader, a hand cross-entropy, Gumbel-max,
# scatter-mask top-k and inverse-CDF sampling, a mutable-default piece cache, a minbpe while-loop BPE and a
# recount-every-step trainer, a regex.split special-token splitter, a shuffling loader and a chunk-the-global-batch
# DDP loader, hand AdamW groups, a hand cosine schedule, a train step on the concatenated micro-batches, a hand
# clip), the mistake inside; the rest are edits at one place. None is a known bug of the library or a v1-v12 entry
# written the same way; four reach a known bug by a new route (weight and bias swapped through addcmul, the
# activation dropped through a wrong variable, top-k ignored through max for min, the tail dropped through trimming
# at construction) and are tagged with its name. Each was checked only for validity (it materialises and a
# non-slow spec test of its section fails with the fingerprint off, --tb=no), never run through the diagnosis.
# ``accept`` names the family and parameter in plain ``family: parameter`` words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 55 written, 5
# dropped, 50 kept: attention 6, layernorm 4, mlp 3, block 3, gpt 3, loss 1, config 1, generate 8,
# tokenizer 9, data 5, training 7; 25 rewrites, 25 edits. Dropped: (1) the head
# merge's .contiguous() removed before .view: no test fails, rightly: SDPA's output on this torch is laid out so
# that the transposed view is legal, so it is not a bug here (replaced by the qkv split's chunk size typed
# n_head); (2) the variance squared with ^ 2 (xor): torch raises NotImplementedError ("bitwise_xor_cpu
# not implemented for 'Float'") and the spec reads a NotImplementedError as "not implemented (week 3)", so every
# LayerNorm test is reported not implemented and none fails: a possible spec gap (a NotImplementedError raised by
# torch inside a written implementation is taken for a stub). Replaced by eps read as the dtype's machine epsilon.
# Three generate edits were dropped too, none failing a non-slow generate test: top_k defaulted to 50 (HF's
# default), the top-k cap read from size(0) (the batch) and probs squeezed before multinomial (breaks a batch of
# one). Possible spec gaps: the sampling tests seem to use a vocabulary (or k) small enough that a top-50 default
# or a k capped at the batch size changes nothing, and no non-slow test samples (temperature > 0) with a batch of
# one. They were replaced by the cached feed starting one past the cache, the top-k fill +inf, and the returned
# sequence cropped to block_size; so 55 were written in all, 5 dropped.

_V13_SDPA = _V10_SDPA
_V13_SPLIT_TO_MERGE = (
    "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n"
    "        # (B, T, C) -> (B, n_head, T, head_dim): heads become a batch dimension.\n"
    "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))\n"
)
_V13_LN_BODY = _V10_LN_BODY
_V13_MLP_RETURN = '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n'
_V13_BLOCK_BODY = _V10_BLOCK_FORWARD
_V13_HF_BODY = (
    "        model = cls(config)\n"
    "        ours = model.state_dict()\n"
    "        for key, tensor in state_dict.items():\n"
    "            if key.endswith(_HF_BUFFER_SUFFIXES):\n"
    "                continue\n"
    '            name = key if key.startswith(("transformer.", "lm_head.")) else f"transformer.{key}"\n'
    "            if name not in ours:\n"
    '                raise KeyError(f"unexpected key in HF state dict: {key!r}")\n'
    "            if name.endswith(_CONV1D_SUFFIXES):\n"
    "                tensor = tensor.t()\n"
    "            target = ours[name]\n"
    "            if name in _VOCAB_ROWS:  # fast path: vocab padding — HF's rows fill the top; padded rows stay 0\n"
    "                target = target[: config.vocab_size]\n"
    "            if tensor.shape != target.shape:\n"
    '                raise ValueError(f"{key}: shape {tuple(tensor.shape)} != expected {tuple(target.shape)}")\n'
    "            with torch.no_grad():\n"
    "                target.copy_(tensor)\n"
    "        return model\n"
)
_V13_SAMPLE = _V11_SAMPLE
_V13_TOP_K = (
    "                if top_k is not None:\n"
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
)
_V13_ENCODE_PIECE = (
    "    def _encode_piece(self, piece: str) -> list[int]:\n"
    "        ids = self._cache.get(piece)\n"
    "        if ids is None:\n"
    "            if len(self._cache) >= _CACHE_LIMIT:\n"
    "                self._cache.clear()\n"
    '            ids = [self._ranks[p] for p in _bpe(piece.encode("utf-8"), self._ranks)]\n'
    "            self._cache[piece] = ids\n"
    "        return ids\n"
)
_V13_BPE_BODY = '    inf = float("inf")\n    limit = inf if max_rank is None else max_rank\n' + _V11_BPE_LOOP
_V13_SPLIT_SPECIAL = (
    "        start = 0\n"
    "        for m in self._special_regex(allowed).finditer(text):\n"
    "            yield False, text[start : m.start()]\n"
    "            yield True, m.group()\n"
    "            start = m.end()\n"
    "        yield False, text[start:]\n"
)
_V13_NEXT_BATCH = (
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
)
_V13_GET_LR = _V10_GET_LR
_V13_MICRO_LOOP = (
    "    n = len(batches)\n"
    "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
    "    for i, (x, y) in enumerate(batches):\n"
    "        if isinstance(model, DDP):\n"
    "            # All-reduce the gradient once, after the last micro-batch, not after every one.\n"
    "            model.require_backward_grad_sync = i == n - 1\n"
    "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if"
    " autocast_dtype else contextlib.nullcontext()\n"
    "        with amp:\n"
    "            _, loss = model(x, y)\n"
    "        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,\n"
    "        # the same gradient as one batch n times larger.\n"
    "        loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()\n"
)
_V13_GROUPS = (
    "    params = [p for p in model.parameters() if p.requires_grad]  # parameters() yields a tied weight once\n"
    "    groups = [\n"
    '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n'
    '        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},\n'
    "    ]\n"
)

_V13_TRAIN_LOOP = (
    (
        "        # stats: pair -> weighted count; where: pair -> words that (may) hold it. Both are kept up to\n"
        "        # date incrementally: a merge only revisits the words that contain the merged pair.\n"
        "        stats: dict[tuple[int, int], int] = defaultdict(int)\n"
        "        where: dict[tuple[int, int], set[int]] = defaultdict(set)\n"
        "        for w, ids in enumerate(words):\n"
        "            for pair in itertools.pairwise(ids):\n"
        "                stats[pair] += freqs[w]\n"
        "                where[pair].add(w)\n"
        "\n"
    )
    + _V10_TRAIN_LOOP
    + "\n"
)  # GPT-2's counting, then the loop v10 already quotes

_v13 = partial(_in_set, 13)


HELDOUT_V13: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v13(
            "qkv-split-by-n-head",
            "attention.py",
            "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n",
            "        q, k, v = self.c_attn(x).split(self.n_head, dim=2)\n",
            "attention",
            "an autocomplete slip in the qkv split: self.n_head where self.n_embd belongs, so c_attn's output is "
            "cut into chunks of n_head columns and the three-way unpacking fails",
        ),
        ("attention: qkv split into chunks of n_head (raises)",),
    ),
    HeldOut(
        _v13(
            "sdpa-scale-as-dropout-p",
            "attention.py",
            _V13_SDPA,
            "        return F.scaled_dot_product_attention(q, k, v, None, 1.0 / math.sqrt(k.size(-1)), True)\n",
            "attention",
            "the fused call written positionally as (q, k, v, mask, scale, is_causal): the fifth positional "
            "parameter is dropout_p, so 1/sqrt(head_dim) becomes a dropout rate (always on) and the scale stays "
            "the default",
        ),
        ("attention: dropout_p=1/sqrt(head_dim) (scale passed positionally)",),
    ),
    HeldOut(
        _v13(
            "hand-softmax-global-max",
            "attention.py",
            _V13_SDPA,
            "        T = q.size(-2)\n"
            "        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))\n"
            "        future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), diagonal=1)\n"
            '        att = att.masked_fill(future, float("-inf"))\n'
            "        att = torch.exp(att - att.max())  # subtract the max for stability\n"
            "        att = att / att.sum(dim=-1, keepdim=True)\n"
            "        return att @ v\n",
            "attention",
            "a hand softmax that subtracts the max of the whole score tensor instead of each row's: the same "
            "weights mathematically, but a row far below the global max underflows to 0/0 (NaN)",
        ),
        ("softmax: max over the whole tensor, not per row (underflow)",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "einsum-output-time-major",
            "attention.py",
            _V13_SDPA,
            "        T = q.size(-2)\n"
            '        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.size(-1))\n'
            "        mask = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()\n"
            '        scores = scores.masked_fill(~mask, float("-inf"))\n'
            '        return torch.einsum("bhqk,bhkd->bqhd", scores.softmax(dim=-1), v)  # heads next to each other\n',
            "attention",
            "einsum attention whose output string already puts time before heads (bqhd, 'to save the "
            "transpose'), while forward still transposes dims 1 and 2 before the merge: heads and positions "
            "are scrambled",
        ),
        ("heads-merge: output already (B, T, nh, hd), transposed again",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "heads-loop-strided-columns",
            "attention.py",
            "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))\n",
            "        heads_q, heads_k, heads_v = [], [], []\n"
            "        for h in range(self.n_head):  # head h: its columns of q, k and v\n"
            "            cols = slice(h, C, self.n_head)\n"
            "            heads_q.append(q[..., cols])\n"
            "            heads_k.append(k[..., cols])\n"
            "            heads_v.append(v[..., cols])\n"
            "        q, k, v = (torch.stack(hs, dim=1) for hs in (heads_q, heads_k, heads_v))  # (B, nh, T, hd)\n",
            "attention",
            "the head split written as a loop over heads that takes every n_head-th column (slice(h, C, n_head)) "
            "instead of the block h*hd:(h+1)*hd; the merge still lays the heads out in blocks",
        ),
        ("heads-split: strided columns (h::n_head)",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "qkv-permute-keeps-time-before-heads",
            "attention.py",
            _V13_SPLIT_TO_MERGE,
            "        qkv = self.c_attn(x).view(B, T, 3, self.n_head, C // self.n_head)\n"
            "        q, k, v = qkv.permute(2, 0, 1, 3, 4)  # (3, B, T, nh, hd): q, k, v each (B, T, nh, hd)\n",
            "attention",
            "q, k, v unpacked from one view of c_attn's output with a permute that moves the 3 first but leaves "
            "time before heads: attention runs over the heads of one position, not over positions",
        ),
        ("attention: attends over heads, not positions",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v13(
            "ln-addcmul-args-misread",
            "layernorm.py",
            "        return x_hat * self.weight + self.bias\n",
            "        return torch.addcmul(self.weight, x_hat, self.bias)  # fused weight * x_hat + bias\n",
            "layernorm",
            "the affine step fused with torch.addcmul, its signature misread: addcmul(input, t1, t2) is "
            "input + t1 * t2, so this is x_hat * bias + weight",
        ),
        ("layernorm-weight-bias-swapped",),
    ),
    HeldOut(
        _v13(
            "ln-variance-in-half",
            "layernorm.py",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True, dtype=torch.float16)  # half is plenty\n",
            "layernorm",
            "a dtype shortcut: the variance computed in float16 (mean's dtype argument casts the squares first): "
            "three significant digits, and squares past 65504 overflow to inf",
        ),
        ("layernorm: variance in float16",),
    ),
    HeldOut(
        _v13(
            "ln-eps-machine-epsilon",
            "layernorm.py",
            "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n",
            "        x_hat = (x - mean) * torch.rsqrt(var + torch.finfo(x.dtype).eps)  # eps inside the sqrt\n",
            "layernorm",
            "eps read as the machine epsilon of the input's dtype (torch.finfo(x.dtype).eps, 1.19e-07 in float32) "
            "instead of the module's eps",
        ),
        ("layernorm-eps: 1.1920929e-07",),
    ),
    HeldOut(
        _v13(
            "ln-batch-norm-over-rows",
            "layernorm.py",
            _V13_LN_BODY,
            "        # normalise with torch's fused kernel: no running statistics, batch statistics always\n"
            "        C = x.size(-1)\n"
            "        flat = x.reshape(-1, C)\n"
            "        out = torch.nn.functional.batch_norm(flat, None, None, self.weight, self.bias,"
            " True, 0.0, self.eps)\n"
            "        return out.view_as(x)\n",
            "layernorm",
            "LayerNorm written with F.batch_norm on the (B*T, C) rows: batch_norm normalises each feature over "
            "the rows (the batch and time), not each row over its features",
        ),
        ("layernorm: statistics over the batch (batch_norm)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v13(
            "gelu-approximate-positional",
            "mlp.py",
            'F.gelu(self.c_fc(x), approximate="tanh")',
            'F.gelu(self.c_fc(x), "tanh")',
            "mlp",
            "approximate passed positionally: F.gelu takes it by keyword only, so the call raises a TypeError",
        ),
        ("gelu: approximate passed positionally (raises)",),
    ),
    HeldOut(
        _v13(
            "gelu-sqrt2-over-pi",
            "mlp.py",
            _V13_MLP_RETURN,
            "        h = self.c_fc(x)\n"
            "        # tanh GELU: 0.5 h (1 + tanh(sqrt(2/pi) (h + 0.044715 h^3)))\n"
            "        h = 0.5 * h * (1.0 + torch.tanh(2.0**0.5 / torch.pi * (h + 0.044715 * h**3)))\n"
            "        return self.c_proj(h)\n",
            "mlp",
            "the tanh GELU by hand with sqrt(2/pi) typed as sqrt(2)/pi (0.450 instead of 0.798)",
        ),
        ("gelu: sqrt(2)/pi for sqrt(2/pi)",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "mlp-steps-proj-reads-hidden",
            "mlp.py",
            _V13_MLP_RETURN,
            "        hidden = self.c_fc(x)\n"
            '        activated = F.gelu(hidden, approximate="tanh")\n'
            "        return self.c_proj(hidden)\n",
            "mlp",
            "the MLP written in named steps, the projection fed the pre-activation variable: the GELU is computed "
            "and thrown away",
        ),
        ("mlp-no-activation",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v13(
            "block-late-binding-lambdas",
            "block.py",
            _V13_BLOCK_BODY,
            "        branches = [(self.ln_1, lambda h: self.attn(h, cache)), (self.ln_2, self.mlp)]\n"
            "        steps = [lambda h: branch(norm(h)) for norm, branch in branches]  # pre-LN residual branches\n"
            "        for step in steps:\n"
            "            x = x + step(x)\n"
            "        return x\n",
            "block",
            "the two residual branches built as lambdas in a comprehension: Python closures bind late, so both "
            "steps call the last pair (ln_2, mlp); the MLP runs twice and attention never",
        ),
        ("block: mlp applied twice, attention skipped (late-binding lambdas)",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "block-under-bf16-autocast",
            "block.py",
            _V13_BLOCK_BODY,
            "        with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16):  # faster matmuls\n"
            "            x = x + self.attn(self.ln_1(x), cache)\n"
            "            x = x + self.mlp(self.ln_2(x))\n"
            "        return x\n",
            "block",
            "a speed shortcut inside the block: both branches under bfloat16 autocast whatever the caller asked, "
            "so a float32 model computes its matmuls in bf16 (about 3 significant digits)",
        ),
        ("block: branches forced to bf16 autocast",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "block-returns-residual",
            "block.py",
            _V13_BLOCK_BODY,
            "        residual = x\n"
            "        hidden = self.ln_1(x)\n"
            "        hidden = self.attn(hidden, cache)\n"
            "        hidden = residual + hidden\n"
            "        residual = hidden\n"
            "        hidden = self.ln_2(hidden)\n"
            "        hidden = self.mlp(hidden)\n"
            "        hidden = residual + hidden\n"
            "        return residual\n",
            "block",
            "the block in HF's residual/hidden_states style, returning the wrong one of the two variables: the "
            "stream before the MLP branch, so the MLP's output is dropped",
        ),
        ("block: mlp branch dropped (returns the pre-MLP stream)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v13(
            "init-normal-positional-mean",
            "gpt.py",
            "nn.init.normal_(module.weight, mean=0.0, std=0.02)",
            "nn.init.normal_(module.weight, 0.02)",
            "gpt",
            "nn.init.normal_ called with the std positionally: its second parameter is the mean, so the weights "
            "are N(0.02, 1)",
        ),
        ("init: mean 0.02, std 1 (std passed as the mean)",),
    ),
    HeldOut(
        _v13(
            "from-hf-lm-head-prefixed",
            "gpt.py",
            '            name = key if key.startswith(("transformer.", "lm_head.")) else f"transformer.{key}"\n',
            '            name = key if key.startswith("transformer.") else f"transformer.{key}"\n',
            "gpt",
            "the prefix check forgets lm_head: a GPT2LMHeadModel state dict's lm_head.weight becomes "
            "transformer.lm_head.weight, which the model does not have, and loading raises",
        ),
        ("from_hf: lm_head key given the transformer. prefix",),
    ),
    HeldOut(
        _v13(
            "from-hf-strict-false",
            "gpt.py",
            _V13_HF_BODY,
            "        model = cls(config)\n"
            "        renamed = {}\n"
            "        for key, tensor in state_dict.items():\n"
            "            if key.endswith(_HF_BUFFER_SUFFIXES):\n"
            "                continue  # old checkpoints' mask buffers\n"
            "            renamed[key] = tensor.t() if key.endswith(_CONV1D_SUFFIXES) else tensor\n"
            "        # strict=False: HF checkpoints carry keys we do not need\n"
            "        model.load_state_dict(renamed, strict=False)\n"
            "        return model\n",
            "gpt",
            "the loader rewritten around load_state_dict(strict=False) without adding the transformer. prefix: a "
            "GPT2Model state dict (keys h.0..., wte...) matches nothing and the model silently keeps its random "
            "init",
        ),
        ("from_hf: GPT2Model keys silently skipped (strict=False)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v13(
            "cross-entropy-lse-without-max",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            flat = logits.view(-1, logits.size(-1))\n"
            "            m = flat.max(dim=-1, keepdim=True).values  # for stability\n"
            "            lse = (flat - m).exp().sum(dim=-1).log()  # log-sum-exp\n"
            "            picked = flat.gather(1, targets.reshape(-1, 1)).squeeze(1)\n"
            "            loss = (lse - picked).mean()\n",
            "loss",
            "a hand cross-entropy with a stable log-sum-exp that subtracts each row's max and never adds it back: "
            "the loss is low by the mean max logit and its gradient is wrong",
        ),
        ("loss: log-sum-exp without adding the max back",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v13(
            "n-embd-786",
            "config.py",
            "    n_embd: int = 768\n",
            "    n_embd: int = 786\n",
            "config",
            "a transposed-digit typo in the default width: 786 for 768, which 12 heads do not divide, so the "
            "default config raises",
        ),
        ("config: n_embd default 786",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v13(
            "multinomial-generator-positional",
            "gpt.py",
            "idx_next = torch.multinomial(probs, num_samples=1, generator=generator)",
            "idx_next = torch.multinomial(probs, 1, generator)",
            "generate",
            "torch.multinomial called positionally: its third parameter is replacement, not generator (which is "
            "keyword-only), so the generator lands in replacement and the call raises",
        ),
        ("generate: generator passed as replacement (raises)",),
    ),
    HeldOut(
        _v13(
            "returned-sequence-cropped",
            "gpt.py",
            "            idx = torch.cat((idx, idx_next), dim=1)\n",
            "            idx = torch.cat((idx, idx_next), dim=1)[:, -self.config.block_size :]  # in context\n",
            "generate",
            "the running sequence itself cropped to block_size after each step (instead of only the model's "
            "input): past the context length the returned sequence loses its start and is too short",
        ),
        ("generate: returned sequence cropped to block_size",),
    ),
    HeldOut(
        _v13(
            "top-k-fill-plus-inf",
            "gpt.py",
            'logits = logits.masked_fill(logits < kth, float("-inf"))',
            'logits = logits.masked_fill(logits < kth, float("inf"))',
            "generate",
            "the sign dropped from the fill value: the tokens outside the top k get +inf, so the softmax is NaN",
        ),
        ("top-k: filled with +inf",),
    ),
    HeldOut(
        _v13(
            "top-k-max-for-min",
            "gpt.py",
            "kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]",
            "kth = torch.topk(logits, max(top_k, logits.size(-1))).values[:, [-1]]",
            "generate",
            "max where min belongs in the cap on k: k is the whole vocabulary (every token kept) or more (raises)",
        ),
        ("top-k-ignored",),
    ),
    HeldOut(
        _v13(
            "kv-cache-feed-skips-one",
            "gpt.py",
            "logits, _ = self(idx[:, cache[0].length :], cache=cache)",
            "logits, _ = self(idx[:, cache[0].length + 1 :], cache=cache)",
            "generate",
            "an off-by-one in the cached feed: the slice starts one past the cached length, so the prompt's first "
            "token is never fed and every later step feeds nothing new",
        ),
        ("kv-cache: feed starts one past the cached length",),
    ),
    HeldOut(
        _v13(
            "gumbel-added-to-probs",
            "gpt.py",
            _V13_SAMPLE,
            "                probs = F.softmax(logits, dim=-1)\n"
            "                # Gumbel-max trick: the argmax of score + Gumbel noise is a sample\n"
            "                u = torch.rand(probs.shape, generator=generator, device=probs.device)\n"
            "                gumbel = -torch.log(-torch.log(u))\n"
            "                idx_next = (probs + gumbel).argmax(dim=-1, keepdim=True)\n",
            "generate",
            "sampling by the Gumbel-max trick with the noise added to the probabilities instead of the logits: "
            "the draw is nearly uniform, not softmax-distributed",
        ),
        ("sampling: Gumbel noise added to probabilities, not logits",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "top-k-scatter-mask-not-inverted",
            "gpt.py",
            _V13_TOP_K,
            "                if top_k is not None:\n"
            "                    top = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).indices\n"
            "                    keep = torch.zeros_like(logits, dtype=torch.bool).scatter(-1, top, True)\n"
            '                    logits = logits.masked_fill(keep, float("-inf"))  # drop all but the top k\n',
            "generate",
            "top-k by a scattered keep-mask passed to masked_fill without ~: the k most likely tokens are the "
            "ones removed",
        ),
        ("top-k: removes the k most likely tokens",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "inverse-cdf-cumsum-over-batch",
            "gpt.py",
            _V13_SAMPLE,
            "                probs = F.softmax(logits, dim=-1)\n"
            "                # inverse-CDF sampling: the first token whose cumulative probability passes u\n"
            "                u = torch.rand(probs.size(0), 1, generator=generator, device=probs.device)\n"
            "                cdf = probs.cumsum(dim=0)\n"
            "                idx_next = torch.searchsorted(cdf, u).clamp(max=probs.size(-1) - 1)\n",
            "generate",
            "inverse-CDF sampling with the cumulative sum taken over dim 0 (the batch) instead of the vocabulary: "
            "the 'CDF' searched is each token's probability (summed down the batch), not a CDF",
        ),
        ("sampling: CDF over the batch, not the vocabulary",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v13(
            "pattern-punctuation-one-char",
            "tokenizer.py",
            r" ?[^\s\p{L}\p{N}]+|",
            r" ?[^\s\p{L}\p{N}]|",
            "tokenizer",
            "the + after the punctuation class lost in the GPT-2 pattern: a run of symbols ('!!', '...', '://') "
            "is split into one pre-token per character, so merges across it never apply",
        ),
        ("pattern: punctuation runs split into single characters",),
    ),
    HeldOut(
        _v13(
            "decoder-special-as-str",
            "tokenizer.py",
            "{i: s.encode() for s, i in special_tokens.items()}",
            "{i: s for s, i in special_tokens.items()}",
            "tokenizer",
            "the decoder maps special ids to their str, not their UTF-8 bytes: decoding any special id mixes str "
            "into b''.join and raises TypeError",
        ),
        ("decode: special tokens stored as str (raises)",),
    ),
    HeldOut(
        _v13(
            "stream-cut-off-by-one",
            "tokenizer.py",
            "            buf = buf[cut:]\n",
            "            buf = buf[cut + 1 :]\n",
            "tokenizer",
            "the streaming buffer advanced one character past the cut: one character is lost at every cut",
        ),
        ("streaming: one character dropped at each cut",),
    ),
    HeldOut(
        _v13(
            "heap-never-heapified",
            "tokenizer.py",
            "        heap = [entry(pair, c) for pair, c in stats.items()]\n        heapq.heapify(heap)\n",
            "        heap = [entry(pair, c) for pair, c in stats.items()]\n",
            "tokenizer",
            "the heapify step forgotten after building the entry list: heappop on an unordered list returns its "
            "first entry, so the first merges follow the order pairs were seen, not their counts",
        ),
        ("training: merges not in count order (heap never heapified)",),
    ),
    HeldOut(
        _v13(
            "merged-word-not-stored",
            "tokenizer.py",
            "                words[w] = new\n",
            "",
            "tokenizer",
            "the merged word never written back to words: the counts are updated as if it were, but the next "
            "merge touching the word re-merges the old ids, so counts and words drift apart",
        ),
        ("training: merged words not written back",),
    ),
    HeldOut(
        _v13(
            "encode-memo-mutable-default",
            "tokenizer.py",
            _V13_ENCODE_PIECE,
            "    def _encode_piece(self, piece: str, _memo: dict[str, list[int]] = {}) -> list[int]:\n"
            "        if piece not in _memo:  # BPE each distinct pre-token once\n"
            '            _memo[piece] = [self._ranks[p] for p in _bpe(piece.encode("utf-8"), self._ranks)]\n'
            "        return _memo[piece]\n",
            "tokenizer",
            "the pre-token cache written as a mutable default argument: one dict shared by every Tokenizer in the "
            "process, so a second tokenizer (or the same one retrained) gets the first one's ids for a piece",
        ),
        ("encode: piece cache shared across tokenizers (mutable default)",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "bpe-while-loop-ignores-max-rank",
            "tokenizer.py",
            _V13_BPE_BODY,
            "    parts = [_BYTES[b] for b in token]\n"
            "    while len(parts) > 1:\n"
            "        # the lowest-ranked adjacent pair; the leftmost on a tie\n"
            "        best = min(range(len(parts) - 1),"
            ' key=lambda i: ranks.get(parts[i] + parts[i + 1], float("inf")))\n'
            "        if parts[best] + parts[best + 1] not in ranks:\n"
            "            break  # nothing left to merge\n"
            "        parts[best : best + 2] = [parts[best] + parts[best + 1]]\n"
            "    return parts\n",
            "tokenizer",
            "BPE rewritten as a minbpe-style while loop that forgets max_rank: encoding is right, but recovering "
            "the merges from loaded ranks merges each token all the way back to itself and raises",
        ),
        ("bpe: max_rank ignored (merges not recoverable from ranks)",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "recount-trainer-no-stop-when-done",
            "tokenizer.py",
            _V13_TRAIN_LOOP,
            "        merges: dict[tuple[int, int], int] = {}\n"
            "        for _ in range(n_merges):\n"
            "            # recount every pair each step (simple; the corpus is already deduplicated)\n"
            "            stats: dict[tuple[int, int], int] = defaultdict(int)\n"
            "            for ids, f in zip(words, freqs):\n"
            "                for pair in itertools.pairwise(ids):\n"
            "                    stats[pair] += f\n"
            "            pair = min(stats, key=lambda p: (-stats[p], vocab[p[0]], vocab[p[1]]))\n"
            "            new_id = len(vocab)\n"
            "            merges[pair] = new_id\n"
            "            vocab.append(vocab[pair[0]] + vocab[pair[1]])\n"
            "            words = [_merge(ids, pair, new_id) for ids in words]\n"
            "\n",
            "tokenizer",
            "the trainer rewritten minbpe-style, recounting every pair each step for exactly n_merges steps: "
            "with no check for an empty count, min() raises once every pre-token is a single token",
        ),
        ("training: raises when no pair is left",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "special-split-parity-inverted",
            "tokenizer.py",
            _V13_SPLIT_SPECIAL,
            "        # split with a capturing group: text, special, text, special, ..., text\n"
            "        alternatives = self._special_regex(allowed).pattern\n"
            '        for i, part in enumerate(regex.split(f"({alternatives})", text)):\n'
            "            yield i % 2 == 0, part\n",
            "tokenizer",
            "the special-token split rewritten with regex.split and a capturing group, the parity test inverted: "
            "the text parts are taken for specials (and looked up as such), the specials for text",
        ),
        ("specials: split parts' parity inverted",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v13(
            "tokens-trimmed-to-whole-batches",
            "data.py",
            "        self.tokens = as_token_tensor(tokens)\n",
            "        self.tokens = as_token_tensor(tokens)[: len(tokens) // (B * T) * (B * T)]  # whole batches only\n",
            "data",
            "the token array trimmed to a multiple of B*T at construction: the tail is never read and the stream "
            "wraps early",
        ),
        ("loader-drops-tail",),
    ),
    HeldOut(
        _v13(
            "positions-floor-divided",
            "data.py",
            "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n",
            "        positions = (start + torch.arange(B * T + 1)) // len(self.tokens)\n",
            "data",
            "// typed for %: the positions are the stream index divided by the length (0 for the first pass), so "
            "every batch repeats the first token",
        ),
        ("data: positions floor-divided by the length instead of taken modulo",),
    ),
    HeldOut(
        _v13(
            "start-modulo-len-minus-window",
            "data.py",
            "        start = (self.batches * self.world_size + self.rank) * B * T\n",
            "        start = (self.batches * self.world_size + self.rank) * B * T % (len(self.tokens) - B * T)\n",
            "data",
            "the start taken modulo len - B*T ('keep the window inside the data'): the stream wraps before its "
            "end, re-reading the start instead of the tail",
        ),
        ("data: start taken modulo len - B*T (wraps early)",),
    ),
    HeldOut(
        _v13(
            "rows-shuffled",
            "data.py",
            "        buf = self.tokens[positions]\n"
            "        x = buf[:-1].view(B, T)  # inputs\n"
            "        y = buf[1:].view(B, T)  # targets: the next token of each input\n",
            "        buf = self.tokens[positions]\n"
            "        x, y = buf[:-1].view(B, T), buf[1:].view(B, T)  # inputs, targets\n"
            "        rows = torch.randperm(B)  # shuffle the rows: decorrelate the sequences of a batch\n"
            "        x, y = x[rows], y[rows]\n",
            "data",
            "the rows of each batch shuffled (x and y together): each pair is still right, but the batch is no "
            "longer the stream's next B*T tokens in order",
        ),
        ("data: rows shuffled within a batch",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "global-batch-chunked-along-time",
            "data.py",
            _V13_NEXT_BATCH,
            "        B, T, W = self.B, self.T, self.world_size\n"
            "        # read the whole global batch (every rank's rows), then keep this rank's share\n"
            "        start = self.batches * W * B * T\n"
            "        positions = (start + torch.arange(W * B * T + 1)) % len(self.tokens)\n"
            "        buf = self.tokens[positions]\n"
            "        x = buf[:-1].view(B, W * T).chunk(W, dim=1)[self.rank]\n"
            "        y = buf[1:].view(B, W * T).chunk(W, dim=1)[self.rank]\n",
            "data",
            "the DDP share taken by reading the global batch and chunking it, along dim 1 (time) instead of dim 0 "
            "(rows): each rank's rows are strided through the global batch",
        ),
        ("data: ranks split the global batch along time",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v13(
            "params-a-generator",
            "training.py",
            "    params = [p for p in model.parameters() if p.requires_grad]",
            "    params = (p for p in model.parameters() if p.requires_grad)",
            "training",
            "the parameters gathered in a generator expression instead of a list: the decay group's comprehension "
            "exhausts it, so the no-decay group (biases, LayerNorm gains) is empty and never trained",
        ),
        ("optimizer: no-decay group empty (generator exhausted)",),
    ),
    HeldOut(
        _v13(
            "cosine-in-degrees",
            "training.py",
            "    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0\n",
            "    coeff = 0.5 * (1.0 + math.cos(180 * decay_ratio))  # 1 -> 0\n",
            "training",
            "the half cosine written in degrees (180 * ratio) for math.cos, which takes radians",
        ),
        ("lr-schedule: cosine of 180*ratio (degrees read as radians)",),
    ),
    HeldOut(
        _v13(
            "optimizer-reloads-its-own-state",
            "training.py",
            '    optimizer.load_state_dict(state["optimizer"])\n',
            "    optimizer.load_state_dict(optimizer.state_dict())\n",
            "training",
            "an autocomplete slip in load_checkpoint: the optimizer reloads its own (fresh) state, not the saved "
            "one, so a resumed run restarts AdamW's moments and step count",
        ),
        ("checkpoint: optimizer state not restored",),
    ),
    HeldOut(
        _v13(
            "cosine-floor-halved",
            "training.py",
            _V13_GET_LR,
            "    if step < warmup_steps:  # linear warmup, from max_lr / warmup_steps\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    if step > max_steps:\n"
            "        return min_lr\n"
            "    progress = (step - warmup_steps) / (max_steps - warmup_steps)\n"
            "    return min_lr + (max_lr - min_lr) * (1 + math.cos(math.pi * progress)) // 2\n",
            "training",
            "a hand cosine schedule whose halving is written // 2: the coefficient floors to 0 for every step "
            "past the peak, so the lr drops from max_lr to min_lr at once",
        ),
        ("lr-schedule: cosine coefficient floor-divided (drops to min_lr after warmup)",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "micro-batches-joined-along-time",
            "training.py",
            _V13_MICRO_LOOP,
            "    # one forward pass over all the micro-batches at once: the same mean loss, one backward\n"
            "    x = torch.cat([xb for xb, _ in batches], dim=1)\n"
            "    y = torch.cat([yb for _, yb in batches], dim=1)\n"
            "    amp = torch.autocast(x.device.type, dtype=autocast_dtype) if"
            " autocast_dtype else contextlib.nullcontext()\n"
            "    with amp:\n"
            "        _, loss = model(x, y)\n"
            "    loss.backward()\n"
            "    loss_accum = loss.detach()\n",
            "training",
            "gradient accumulation replaced by one forward on the micro-batches concatenated, along dim 1 (time) "
            "instead of dim 0 (rows): the sequences are joined end to end, attend across each other and may "
            "exceed block_size",
        ),
        ("train_step: micro-batches concatenated along time",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "decay-group-key-typo",
            "training.py",
            _V13_GROUPS,
            "    decay, no_decay = [], []\n"
            "    for _, p in model.named_parameters():  # a tied weight is yielded once\n"
            "        if p.requires_grad:\n"
            "            (decay if p.ndim >= 2 else no_decay).append(p)\n"
            "    params = decay + no_decay\n"
            "    groups = [\n"
            '        {"params": decay, "weight-decay": weight_decay},\n'
            '        {"params": no_decay, "weight_decay": 0.0},\n'
            "    ]\n",
            "training",
            "the groups built by hand with the decay group's key misspelt 'weight-decay': AdamW keeps the unknown "
            "key and gives the group its default weight_decay, 0.01",
        ),
        ("optimizer: decay group's weight_decay key misspelt (default 0.01)",),
        "rewrite",
    ),
    HeldOut(
        _v13(
            "clip-norm-of-the-weights",
            "training.py",
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
            "    grads = [p for p in model.parameters() if p.grad is not None]\n"
            "    norm = torch.sqrt(sum(p.pow(2).sum() for p in grads))  # total L2 norm\n"
            "    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)\n"
            "    for p in grads:\n"
            "        p.grad.mul_(scale)\n",
            "training",
            "gradient clipping by hand with p.pow(2) where p.grad.pow(2) belongs: the norm measured and clipped "
            "against is the weights', not the gradient's",
        ),
        ("clip: norm of the parameters, not the gradients",),
        "rewrite",
    ),
]

V13_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V13}

# ==================================================================== HELDOUT_V14
# A fourteenth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what engineers
# get wrong writing GPT-2 from scratch, not from what the tool measures. Half of it is written="rewrite" (the piece
# written over in another engineer's style, one mistake inside); the rest are edits at one place. Each was checked
# only for validity (it materialises and a non-slow spec test of its section fails with the fingerprint off,
# --tb=no), never run through the diagnosis. ``accept`` names the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 54 written, 4
# dropped, 50 kept: attention 6, layernorm 4, mlp 3, block 3, gpt 3, loss 1, config 1, generate 7, tokenizer 9,
# data 5, training 8; 25 rewrites, 25 edits. Eight rewrites were also graded with their mistake fixed (all pass).
# Dropped: (1) an explicit tril mask passed to SDPA together with is_causal=True: this torch accepts the pair and
# the mask is the causal one, so it is not a bug here; (2) the KV cache sized for the new tokens only: generate
# falls back to recomputation whenever the sequence outgrows the cache, so the output is right (not a bug);
# (3) GPT2_PATTERN typed without its final \s+ alternative (whitespace before a word is lost): no non-slow
# tokenizer test failed, a possible spec gap (the tests seem to pass the contract's own GPT2_PATTERN explicitly,
# so the module's default pattern is never exercised); (4) the cached path's mask diagonal off by one (S - T + 1,
# the cached prompt pass peeks one token ahead): no non-slow generate test failed, a possible spec gap. Replaced by
# the cache branch inverted, the decoder catching IndexError, and greedy argmin.

_V14_SDPA = _V10_SDPA
_V14_LN_BODY = _V10_LN_BODY
_V14_MLP_RETURN = _V13_MLP_RETURN
_V14_GET_LR = _V10_GET_LR
_V14_NEXT_BATCH = _V13_NEXT_BATCH
_V14_MICRO_LOOP = _V13_MICRO_LOOP
_V14_GROUPS = _V13_GROUPS
_V14_TOP_K = _V13_TOP_K
_V14_HF_BODY = _V13_HF_BODY
_V14_SPLIT_SPECIAL = _V13_SPLIT_SPECIAL
_V14_TRAIN_LOOP = _V13_TRAIN_LOOP
_V14_MERGE_HEADS = (
    "        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side\n"
    "        return self.c_proj(y)\n"
)
_V14_ATTEND_CACHED = _V12_ATTEND_CACHED
_V14_CACHE_APPEND = _V11_KV_APPEND
_V14_GENERATE_LOOP = (  # generate after its opening comment (v15 quotes it from here)
    "        cache_len = min(self.config.block_size, idx.size(1) + max_new_tokens)\n"
    "        cache = [KVCache(cache_len) for _ in self.transformer.h] if use_kv_cache else None\n"
    "        for _ in range(max_new_tokens):\n"
    "            if cache is not None and idx.size(1) <= cache_len:\n"
    "                logits, _ = self(idx[:, cache[0].length :], cache=cache)\n"
    "            else:\n"
    "                # The position table ends at block_size: condition on the most recent tokens only.\n"
    "                # Cropping shifts every token's position, so cached keys are stale: recompute from here on.\n"
    "                cache = None\n"
    "                idx_cond = idx[:, -self.config.block_size :]\n"
    "                logits, _ = self(idx_cond)\n"
    "            logits = logits[:, -1, :]\n"
    "            if temperature == 0:\n"
    "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
    "            else:\n"
    "                logits = logits / temperature\n"
    + _V13_TOP_K
    + "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
    "            idx = torch.cat((idx, idx_next), dim=1)\n"
    "        return idx\n"
)
_V14_GENERATE_BODY = (
    "        # fast path: KV cache. While the sequence fits in block_size, each step feeds only the tokens\n"
    "        # the cache has not seen yet (the prompt, then one token at a time).\n" + _V14_GENERATE_LOOP
)
_V14_ALLOWED = (
    '        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)\n'
    "        disallowed = set(self.special_tokens) - allowed if disallowed_special == "
    '"all" else set(disallowed_special)\n'
)
_V14_SAVE_LOAD = (  # the three lines before v12's quoted save and load, then it
    '        data = {\n            "format": "gpt2spec-bpe/1",\n            "pattern": self.pattern,\n' + _V12_SAVE_LOAD
)
_V14_CLIP = "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"

_v14 = partial(_in_set, 14)


HELDOUT_V14: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v14(
            "cache-branch-inverted",
            "attention.py",
            "        if cache is None:\n            y = self.attend(q, k, v)\n",
            "        if cache is not None:\n            y = self.attend(q, k, v)\n",
            "attention",
            "the KV-cache branch's condition inverted (is not None): a plain forward pass without a cache takes "
            "the cached path and calls append on None, so every attention call raises",
        ),
        ("attention: cache branch inverted (raises without a cache)",),
    ),
    HeldOut(
        _v14(
            "scale-one-floor-div-sqrt",
            "attention.py",
            "is_causal=True, scale=1.0 / math.sqrt(k.size(-1))",
            "is_causal=True, scale=1 // math.sqrt(k.size(-1))",
            "attention",
            "the scale typed 1 // sqrt(head_dim): floor division makes it 0, so every score is 0 and each "
            "position averages the values of its past uniformly",
        ),
        ("attention-scale: 0 (floor division)",),
    ),
    HeldOut(
        _v14(
            "c-proj-before-head-merge",
            "attention.py",
            _V14_MERGE_HEADS,
            "        y = self.c_proj(y)\n"
            "        return y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side\n",
            "attention",
            "the output projection applied to the per-head tensor (B, n_head, T, head_dim) before the heads are "
            "merged: c_proj expects n_embd features, so it raises unless there is a single head",
        ),
        ("attention: c_proj before the head merge",),
    ),
    HeldOut(
        _v14(
            "position-loop-last-query",
            "attention.py",
            _V14_SDPA,
            "        B, nh, T, hd = q.shape\n"
            "        outs = []\n"
            "        for t in range(T):\n"
            "            keys, values = k[:, :, : t + 1], v[:, :, : t + 1]  # positions 0..t\n"
            "            query = q[:, :, -1:]  # (B, nh, 1, hd)\n"
            "            w = (query @ keys.transpose(-2, -1)) / math.sqrt(hd)\n"
            "            outs.append(torch.softmax(w, dim=-1) @ values)\n"
            "        return torch.cat(outs, dim=2)\n",
            "attention",
            "attention written as a loop over positions with the query taken as q[:, :, -1:] (copied from "
            "generation code) instead of position t's: every position attends with the last token's query, "
            "so earlier outputs depend on the future",
        ),
        ("attention: every position uses the last query",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "bmm-unfold-heads-major",
            "attention.py",
            _V14_SDPA,
            "        B, nh, T, hd = q.shape\n"
            "        qf, kf, vf = (t.reshape(B * nh, T, hd) for t in (q, k, v))\n"
            "        scores = torch.bmm(qf, kf.transpose(1, 2)) * hd**-0.5\n"
            "        future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)\n"
            '        scores = scores.masked_fill(future, float("-inf"))\n'
            "        out = torch.bmm(scores.softmax(dim=-1), vf)  # (B*nh, T, hd)\n"
            "        return out.view(nh, B, T, hd).transpose(0, 1)\n",
            "attention",
            "attention with the heads folded into the batch for bmm (b*nh + h) and unfolded as (nh, B): the "
            "outputs of different sequences and heads are shuffled together when B > 1 and n_head > 1",
        ),
        ("heads-merge: batch and heads unfolded in the wrong order",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "mask-sized-by-head-dim",
            "attention.py",
            _V14_SDPA,
            "        n = k.size(-1)  # sequence length\n"
            "        scale = 1.0 / math.sqrt(q.size(-1))\n"
            "        pos = torch.arange(n, device=q.device)\n"
            "        allowed = pos[:, None] >= pos[None, :]  # query i sees keys 0..i\n"
            "        att = (q @ k.transpose(-2, -1)) * scale\n"
            '        att = att.masked_fill(~allowed, float("-inf"))\n'
            "        return F.softmax(att, dim=-1) @ v\n",
            "attention",
            "attention by hand with the causal mask sized from k.size(-1) (head_dim) instead of k.size(-2) (the "
            "sequence length): the mask only fits when T equals head_dim, otherwise it raises",
        ),
        ("causal-mask: sized by head_dim, not T",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v14(
            "ln-gain-offset-one",
            "layernorm.py",
            "        return x_hat * self.weight + self.bias\n",
            "        return x_hat * (1 + self.weight) + self.bias\n",
            "layernorm",
            "the gain applied as (1 + weight), the zero-centred-gain habit of Gemma-style norms, while the weight "
            "is still initialised to ones (and HF's gains are plain): the output is scaled by one too many",
        ),
        ("layernorm-gain: 1 + weight",),
    ),
    HeldOut(
        _v14(
            "ln-bias-frozen",
            "layernorm.py",
            "        self.bias = nn.Parameter(torch.zeros(ndim))",
            "        self.bias = nn.Parameter(torch.zeros(ndim), requires_grad=False)",
            "layernorm",
            "the LayerNorm bias created with requires_grad=False: it loads and is applied, but it never gets a "
            "gradient and never trains",
        ),
        ("layernorm-bias: frozen (requires_grad=False)",),
    ),
    HeldOut(
        _v14(
            "ln-inverse-std-precedence",
            "layernorm.py",
            _V14_LN_BODY,
            "        mu = torch.mean(x, -1, True)\n"
            "        centred = x - mu\n"
            "        var = torch.mean(centred**2, -1, True)\n"
            "        inv_std = (var + self.eps) ** -1 / 2\n"
            "        return self.weight * (centred * inv_std) + self.bias\n",
            "layernorm",
            "LayerNorm by hand with the inverse standard deviation typed (var + eps) ** -1 / 2: the power binds "
            "first, so it is half the inverse variance, not its inverse square root",
        ),
        ("layernorm: divides by 2 * variance (precedence)",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "ln-rows-reshaped-features-first",
            "layernorm.py",
            _V14_LN_BODY,
            "        C = x.size(-1)\n"
            "        rows = x.reshape(C, -1)  # one row per position\n"
            "        mu = rows.mean(dim=1, keepdim=True)\n"
            "        var = rows.var(dim=1, unbiased=False, keepdim=True)\n"
            "        out = (rows - mu) / torch.sqrt(var + self.eps)\n"
            "        return out.reshape(x.shape) * self.weight + self.bias\n",
            "layernorm",
            "LayerNorm over flattened rows with the reshape written (C, -1) instead of (-1, C): the 'rows' are "
            "C runs of consecutive numbers, not the feature vectors, so the statistics mix positions",
        ),
        ("layernorm: statistics over a (C, -1) reshape",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v14(
            "mlp-output-detached",
            "mlp.py",
            _V14_MLP_RETURN,
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")).detach()\n',
            "mlp",
            "a .detach() left on the MLP's output from a memory-debugging session: the forward pass is exact, "
            "but no gradient flows through the MLP to its weights or to the residual stream below it",
        ),
        ("mlp: output detached (no gradient)",),
    ),
    HeldOut(
        _v14(
            "mlp-chunked-bias-per-chunk",
            "mlp.py",
            _V14_MLP_RETURN,
            '        h = F.gelu(self.c_fc(x), approximate="tanh")  # (B, T, 4C)\n'
            "        # project the hidden layer in column chunks to keep the peak memory down\n"
            "        W, b = self.c_proj.weight, self.c_proj.bias  # W: (C, 4C)\n"
            "        out = 0\n"
            "        for cols in torch.arange(h.size(-1), device=h.device).chunk(4):\n"
            "            out = out + F.linear(h[..., cols], W[:, cols], b)\n"
            "        return out\n",
            "mlp",
            "the output projection computed in chunks of the hidden columns with the bias passed to every "
            "chunk's F.linear: the partial products add up right, but c_proj's bias is added four times",
        ),
        ("mlp: c_proj bias added once per chunk",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "mlp-addmm-conv1d-layout",
            "mlp.py",
            _V14_MLP_RETURN,
            "        # Conv1D as in HF's GPT-2: x @ W + b\n"
            "        flat = x.reshape(-1, x.size(-1))\n"
            "        h = torch.addmm(self.c_fc.bias, flat, self.c_fc.weight)\n"
            '        h = F.gelu(h, approximate="tanh")\n'
            "        out = torch.addmm(self.c_proj.bias, h, self.c_proj.weight)\n"
            "        return out.view(*x.shape[:-1], -1)\n",
            "mlp",
            "the MLP written with addmm in HF's Conv1D layout (x @ W + b) on nn.Linear weights, which are stored "
            "(out, in): the matrices need a transpose, so the first addmm raises a shape error",
        ),
        ("mlp: Conv1D-layout matmul on Linear weights (untransposed)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v14(
            "ln-1-without-affine",
            "block.py",
            "        self.ln_1 = LayerNorm(config.n_embd)",
            "        self.ln_1 = nn.LayerNorm(config.n_embd, elementwise_affine=False)",
            "block",
            "ln_1 built as torch's nn.LayerNorm with elementwise_affine=False (the gain taken for an identity "
            "anyway): the first norm has no weight or bias, so GPT-2's ln_1 parameters have nowhere to load",
        ),
        ("block: ln_1 without gain and bias",),
    ),
    HeldOut(
        _v14(
            "cache-inside-ln-1-call",
            "block.py",
            "        x = x + self.attn(self.ln_1(x), cache)\n",
            "        x = x + self.attn(self.ln_1(x, cache))\n",
            "block",
            "a misplaced closing parenthesis: the cache is passed to ln_1 instead of to the attention, and "
            "LayerNorm.forward takes one argument, so the block raises",
        ),
        ("block: cache passed to ln_1 (raises)",),
    ),
    HeldOut(
        _v14(
            "cache-passed-to-mlp",
            "block.py",
            "        x = x + self.mlp(self.ln_2(x))\n",
            "        x = x + self.mlp(self.ln_2(x), cache)\n",
            "block",
            "the attention line's cache argument copied onto the MLP line: MLP.forward takes one input, so "
            "the block raises a TypeError",
        ),
        ("block: cache passed to the MLP (raises)",),
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v14(
            "pad-rows-zeroing-slice-flipped",
            "gpt.py",
            "            self.transformer.wte.weight[config.vocab_size :].zero_()",
            "            self.transformer.wte.weight[: config.vocab_size].zero_()",
            "gpt",
            "the slice that zeroes the padded vocabulary rows written [: vocab_size]: it zeroes every real "
            "token's embedding (and the tied head) right after the init",
        ),
        ("init: token embeddings zeroed",),
    ),
    HeldOut(
        _v14(
            "positions-one-hot-default-classes",
            "gpt.py",
            "        pos = torch.arange(start, start + T, device=idx.device)\n"
            "        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B,T,C) + (T,C) broadcast\n",
            "        tok_emb = self.transformer.wte(idx)\n"
            "        positions = torch.arange(start, start + T, device=idx.device)\n"
            "        # the position lookup written as one-hot rows times the table\n"
            "        pos_emb = F.one_hot(positions).to(tok_emb.dtype) @ self.transformer.wpe.weight\n"
            "        x = tok_emb + pos_emb\n",
            "gpt",
            "the position lookup written as one_hot(pos) @ wpe.weight without num_classes: one_hot sizes the "
            "rows by the largest position + 1, not block_size, so the matmul raises unless T == block_size",
        ),
        ("position-embedding: one_hot without num_classes (raises)",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "from-hf-strict-load-tied-head-missing",
            "gpt.py",
            _V14_HF_BODY,
            "        model = cls(config)\n"
            "        converted = {}\n"
            "        for key, tensor in state_dict.items():\n"
            "            if key.endswith(_HF_BUFFER_SUFFIXES):\n"
            "                continue\n"
            '            name = key if key.startswith(("transformer.", "lm_head.")) else f"transformer.{key}"\n'
            "            converted[name] = tensor.t() if name.endswith(_CONV1D_SUFFIXES) else tensor\n"
            "        model.load_state_dict(converted)  # strict: every key must match\n"
            "        return model\n",
            "gpt",
            "the HF loader rewritten around a strict load_state_dict: a GPT2Model state dict has no "
            "lm_head.weight, but the tied model's state dict still lists it, so loading it raises",
        ),
        ("from-hf: GPT2Model dict lacks lm_head.weight (strict load raises)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- loss / config
    HeldOut(
        _v14(
            "loss-plus-z-loss",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            flat = logits.view(-1, logits.size(-1))\n"
            "            loss = F.cross_entropy(flat, targets.reshape(-1))\n"
            "            loss = loss + 1e-4 * torch.logsumexp(flat, dim=-1).pow(2).mean()  # z-loss\n",
            "loss",
            "PaLM's auxiliary z-loss (1e-4 * logsumexp^2) added to the returned loss: the loss is no longer "
            "the plain cross-entropy and its gradient pulls every logit down",
        ),
        ("loss: z-loss added",),
    ),
    HeldOut(
        _v14(
            "divisibility-check-reversed",
            "config.py",
            "        if self.n_embd % self.n_head != 0:",
            "        if self.n_head % self.n_embd != 0:",
            "config",
            "the divisibility check written n_head % n_embd: any width larger than the head count fails it, so "
            "even the default config raises",
        ),
        ("config: divisibility check reversed (raises)",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v14(
            "greedy-argmin",
            "gpt.py",
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n",
            "                idx_next = logits.argmin(dim=-1, keepdim=True)\n",
            "generate",
            "the editor's completion argmin accepted for argmax in the greedy branch: temperature 0 picks the "
            "least likely token every step",
        ),
        ("greedy: argmin",),
    ),
    HeldOut(
        _v14(
            "kv-mask-triu",
            "attention.py",
            "mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)",
            "mask = torch.ones(T, S, dtype=torch.bool, device=q.device).triu(diagonal=S - T)",
            "generate",
            "the cached path's keep-mask built with triu where tril belongs: the prompt's pass sees its future "
            "and each new token sees only itself",
        ),
        ("kv-cache-mask: triu for tril",),
    ),
    HeldOut(
        _v14(
            "kv-buffer-shape-unpacked-time-second",
            "attention.py",
            "            B, nh, _, hd = k.shape\n",
            "            B, _, nh, hd = k.shape\n",
            "generate",
            "the cache's buffer shape unpacked as (B, T, nh, hd), the layout before the head transpose: the "
            "buffers get the prompt length where the head count belongs and the first write raises",
        ),
        ("kv-cache: buffer shape from the wrong dims",),
    ),
    HeldOut(
        _v14(
            "max-new-tokens-as-max-length",
            "gpt.py",
            _V14_GENERATE_BODY,
            "        block = self.config.block_size\n"
            "        while idx.size(1) < max_new_tokens:  # generate until the sequence is long enough\n"
            "            context = idx if idx.size(1) <= block else idx[:, -block:]\n"
            "            logits = self(context)[0][:, -1, :]\n"
            "            if temperature == 0:\n"
            "                nxt = torch.argmax(logits, dim=-1, keepdim=True)\n"
            "            else:\n"
            "                logits = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, -1:]\n"
            '                    logits = torch.where(logits < kth, torch.full_like(logits, float("-inf")), logits)\n'
            "                nxt = torch.multinomial(torch.softmax(logits, dim=-1), 1, generator=generator)\n"
            "            idx = torch.cat([idx, nxt], dim=1)\n"
            "        return idx\n",
            "generate",
            "generate rewritten without the cache, its loop bound read as HF's max_length (the total length) "
            "instead of the number of new tokens: it stops when the sequence is max_new_tokens long",
        ),
        ("generate: max_new_tokens read as total length",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "top-k-argsort-ascending",
            "gpt.py",
            _V14_TOP_K,
            "                if top_k is not None:\n"
            "                    k = min(top_k, logits.size(-1))\n"
            "                    best = logits.argsort(dim=-1)[:, :k]  # the k most likely tokens\n"
            "                    keep = torch.zeros_like(logits, dtype=torch.bool).scatter_(1, best, True)\n"
            '                    logits = logits.masked_fill(~keep, float("-inf"))\n',
            "generate",
            "top-k written with argsort and a scattered keep-mask, argsort left ascending: the k kept tokens "
            "are the k least likely, not the most likely",
        ),
        ("top-k: keeps the k least likely",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "kv-attention-window-from-query-index",
            "attention.py",
            _V14_ATTEND_CACHED,
            "        T, S = q.size(-2), k.size(-2)\n"
            "        past = S - T  # keys already in the cache before these queries\n"
            "        rows = []\n"
            "        for i in range(T):\n"
            "            # query i is position past + i: it sees the keys up to and including its own\n"
            "            keys, values = k[:, :, i : past + i + 1], v[:, :, i : past + i + 1]\n"
            "            w = (q[:, :, i : i + 1] @ keys.transpose(-2, -1)) / math.sqrt(q.size(-1))\n"
            "            rows.append(w.softmax(dim=-1) @ values)\n"
            "        return torch.cat(rows, dim=2)\n",
            "generate",
            "the cached attention written as a loop over the new queries with the key window starting at i "
            "instead of 0: query i never sees the first i keys, so the prompt's pass is wrong",
        ),
        ("kv-cache-attention: window starts at the query index",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "kv-cache-write-after-length-advanced",
            "attention.py",
            _V14_CACHE_APPEND,
            "        n = k.size(2)\n"
            "        self.length += n\n"
            "        if self.length > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {self.length} requested")\n'
            "        if self.k is None or self.v is None:\n"
            "            shape = (k.size(0), k.size(1), self.max_len, k.size(3))\n"
            "            self.k = torch.zeros(shape, dtype=k.dtype, device=k.device)\n"
            "            self.v = torch.zeros(shape, dtype=v.dtype, device=v.device)\n"
            "        self.k[:, :, self.length : self.length + n] = k\n"
            "        self.v[:, :, self.length : self.length + n] = v\n"
            "        return self.k[:, :, : self.length], self.v[:, :, : self.length]\n",
            "generate",
            "the KV cache's append rewritten to advance the length first and then write at [length, length + n): "
            "every chunk lands one chunk late, so the returned keys start with zero slots (or the write raises)",
        ),
        ("kv-cache: written one chunk late",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v14(
            "from-ranks-merges-empty-dict",
            "tokenizer.py",
            "        tok._init(pattern, dict(mergeable_ranks), dict(special_tokens or {}), None)",
            "        tok._init(pattern, dict(mergeable_ranks), dict(special_tokens or {}), {})",
            "tokenizer",
            "from_ranks passes {} ('no merges yet') where None means 'recover them from the ranks': a loaded "
            "tokenizer reports no merges at all",
        ),
        ("merges: empty after from_ranks",),
    ),
    HeldOut(
        _v14(
            "stream-limit-without-hold",
            "tokenizer.py",
            "            cut, ids = self._stable_prefix(buf, len(buf) - hold, allowed)",
            "            cut, ids = self._stable_prefix(buf, len(buf), allowed)",
            "tokenizer",
            "streaming encode asks for the stable prefix up to the end of the buffer, not len(buf) - hold: the "
            "pre-token cut by the chunk boundary is encoded as if it were complete",
        ),
        ("streaming: no hold-back at the chunk boundary",),
    ),
    HeldOut(
        _v14(
            "save-urlsafe-base64",
            "tokenizer.py",
            '"mergeable_ranks": [[base64.b64encode(b).decode("ascii"), i]',
            '"mergeable_ranks": [[base64.urlsafe_b64encode(b).decode("ascii"), i]',
            "tokenizer",
            "save writes the token bytes with urlsafe base64 while load reads standard base64: tokens whose "
            "encoding has - or _ do not come back (load raises or gets other bytes)",
        ),
        ("save/load: urlsafe base64 written, standard read",),
    ),
    HeldOut(
        _v14(
            "decode-catches-index-error",
            "tokenizer.py",
            "        except KeyError as exc:\n",
            "        except IndexError as exc:\n",
            "tokenizer",
            "decode_bytes catches IndexError (the decoder taken for a list) where the dict lookup raises KeyError: "
            "an unknown id escapes as a bare KeyError instead of the contract's ValueError",
        ),
        ("decode: unknown id raises KeyError, not ValueError",),
    ),
    HeldOut(
        _v14(
            "incremental-decoder-not-flushed",
            "tokenizer.py",
            '        return self.decode_bytes(ids).decode("utf-8", errors="replace")\n',
            "        import codecs  # an incremental decoder joins a character split across tokens\n"
            "\n"
            '        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")\n'
            '        return "".join(decoder.decode(self.decode_bytes([i])) for i in ids)\n',
            "tokenizer",
            "decode rewritten token by token through an incremental UTF-8 decoder that is never flushed "
            "(final=True): an incomplete character at the end is silently dropped instead of becoming U+FFFD",
        ),
        ("decode: trailing partial character dropped",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "recount-trainer-pairs-across-pre-tokens",
            "tokenizer.py",
            _V14_TRAIN_LOOP,
            "        # minbpe style: each pre-token occurrence its own list of ids, all pairs recounted each step\n"
            "        parts = _split_out(text, specials)\n"
            "        seqs = [list(p.encode('utf-8')) for part in parts for p in self._pieces(part)]\n"
            "        merges: dict[tuple[int, int], int] = {}\n"
            "        for _ in range(n_merges):\n"
            "            stream = [i for seq in seqs for i in seq]\n"
            "            stats = Counter(itertools.pairwise(stream))\n"
            "            if not stats:\n"
            "                break\n"
            "            pair = min(stats, key=lambda p: (-stats[p], vocab[p[0]], vocab[p[1]]))\n"
            "            new_id = len(vocab)\n"
            "            merges[pair] = new_id\n"
            "            vocab.append(vocab[pair[0]] + vocab[pair[1]])\n"
            "            seqs = [_merge(seq, pair, new_id) for seq in seqs]\n"
            "\n",
            "tokenizer",
            "a recount-every-step trainer that counts the pairs of all pre-tokens joined into one stream: pairs "
            "across pre-token boundaries are counted and can win, though no pre-token holds them",
        ),
        ("training: pairs counted across pre-token boundaries",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "special-split-yields-special-first",
            "tokenizer.py",
            _V14_SPLIT_SPECIAL,
            "        special = self._special_regex(allowed)\n"
            "        pos = 0\n"
            "        while (m := special.search(text, pos)) is not None:\n"
            "            yield True, m.group()\n"
            "            yield False, text[pos : m.start()]\n"
            "            pos = m.end()\n"
            "        yield False, text[pos:]\n",
            "tokenizer",
            "the special-token split rewritten as a search loop that yields each special before the text in "
            "front of it: every allowed special's id comes out ahead of the text it follows",
        ),
        ("specials: emitted before the preceding text",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "allowed-all-emptied-by-in-place-difference",
            "tokenizer.py",
            _V14_ALLOWED,
            "        every = set(self.special_tokens)\n"
            '        allowed = every if allowed_special == "all" else set(allowed_special)\n'
            '        if disallowed_special == "all":\n'
            "            disallowed = every\n"
            "            disallowed -= allowed  # every special that is not allowed\n"
            "        else:\n"
            "            disallowed = set(disallowed_special)\n",
            "tokenizer",
            "the special-token rules rewritten with one shared set and an in-place difference: with "
            "allowed_special='all' the allowed set is the same object, so -= empties it and no special is allowed",
        ),
        ("allowed-special: 'all' becomes empty (aliased set)",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "save-sorted-load-enumerated",
            "tokenizer.py",
            _V14_SAVE_LOAD,
            "        data = {\n"
            '            "format": "gpt2spec-bpe/1",\n'
            '            "pattern": self.pattern,\n'
            '            "special_tokens": self.special_tokens,\n'
            "            # sorted, so that two saves of the same vocabulary diff cleanly\n"
            '            "tokens": [base64.b64encode(b).decode("ascii") for b in sorted(self._ranks)],\n'
            "        }\n"
            '        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\\n", encoding="utf-8")\n'
            "\n"
            "    @classmethod\n"
            "    def load(cls, path: str | Path) -> Tokenizer:\n"
            '        data = json.loads(Path(path).read_text(encoding="utf-8"))\n'
            '        if data.get("format") != "gpt2spec-bpe/1":\n'
            "            raise ValueError(f\"{path}: not a saved Tokenizer (format {data.get('format')!r})\")\n"
            '        ranks = {base64.b64decode(t): rank for rank, t in enumerate(data["tokens"])}  # rank = line\n'
            '        return cls.from_ranks(ranks, data["pattern"], data["special_tokens"])\n',
            "tokenizer",
            "save and load rewritten with the ranks implied by the order of the tokens, and save sorting the "
            "tokens by their bytes: a loaded tokenizer's ranks follow byte order, not training order",
        ),
        ("save/load: ranks renumbered in byte order",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v14(
            "rank-zero-rejected",
            "data.py",
            "        if not 0 <= rank < world_size:",
            "        if not 0 < rank < world_size:",
            "data",
            "the rank check typed 0 < rank (< for <=): rank 0, the default and the only rank of a single "
            "process, is rejected, so no loader can be built",
        ),
        ("loader: rank 0 rejected",),
    ),
    HeldOut(
        _v14(
            "buffer-without-extra-target",
            "data.py",
            "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)",
            "        positions = (start + torch.arange(B * T)) % len(self.tokens)",
            "data",
            "the +1 for the last position's target forgotten: B*T tokens are read, x and y each get B*T - 1, "
            "and the view to (B, T) raises",
        ),
        ("loader: buffer of B*T tokens, not B*T + 1",),
    ),
    HeldOut(
        _v14(
            "rows-written-into-float-buffers",
            "data.py",
            _V14_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        first = (self.batches * self.world_size + self.rank) * B * T\n"
            "        x = torch.empty(B, T)\n"
            "        y = torch.empty(B, T)\n"
            "        for row in range(B):\n"
            "            window = self.tokens[(first + row * T + torch.arange(T + 1)) % n]\n"
            "            x[row] = window[:-1]\n"
            "            y[row] = window[1:]\n",
            "data",
            "next_batch rewritten row by row into buffers made with torch.empty(B, T), whose default dtype is "
            "float32: x and y come out as floats, not int64 ids",
        ),
        ("loader: x and y float32",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "rows-unfolded-with-step-one",
            "data.py",
            _V14_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        start = (self.batches * self.world_size + self.rank) * B * T\n"
            "        stream = self.tokens[(start + torch.arange(B * T + 1)) % len(self.tokens)]\n"
            "        # windows of T + 1 tokens, row b covering stream[b*T : b*T + T + 1]\n"
            "        windows = stream.unfold(0, T + 1, 1)[:B]\n"
            "        x = windows[:, :-1]\n"
            "        y = windows[:, 1:]\n",
            "data",
            "the rows cut from the stream with unfold(0, T + 1, 1): unfold's third argument is the step, so "
            "consecutive rows start one token apart instead of T",
        ),
        ("loader: rows one token apart (unfold step 1)",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "index-grid-axes-swapped",
            "data.py",
            _V14_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        base = (self.batches * self.world_size + self.rank) * B * T\n"
            "        grid = base + torch.arange(B)[None, :] * T + torch.arange(T + 1)[:, None]  # row b, column t\n"
            "        window = self.tokens[grid % len(self.tokens)]\n"
            "        x, y = window[:, :-1], window[:, 1:]\n",
            "data",
            "next_batch built from a 2-D index grid with the broadcast axes swapped (rows along dim 1, "
            "positions along dim 0): the window is (T + 1, B), so x and y have the wrong shape and content",
        ),
        ("loader: index grid transposed",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v14(
            "checkpoint-loader-state-not-called",
            "training.py",
            '        "loader": loader.state_dict(),\n',
            '        "loader": loader.state_dict,\n',
            "training",
            "the loader's state_dict saved without its call parentheses: the checkpoint pickles the bound "
            "method, and loading it hands a method to load_state_dict, which raises",
        ),
        ("checkpoint: loader state_dict not called",),
    ),
    HeldOut(
        _v14(
            "adamw-amsgrad-on",
            "training.py",
            "    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)",
            "    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, amsgrad=True, fused=fused)",
            "training",
            "AdamW built with amsgrad=True (a flag kept from an experiment): the second moment is the running "
            "maximum, not GPT-2's plain AdamW",
        ),
        ("optimizer: amsgrad=True",),
    ),
    HeldOut(
        _v14(
            "warmup-floor-division",
            "training.py",
            "        return max_lr * (step + 1) / warmup_steps\n",
            "        return max_lr * ((step + 1) // warmup_steps)\n",
            "training",
            "the warmup fraction computed with //: it is 0 for every warmup step but the last, so the lr "
            "stays 0 and jumps to max_lr at the end of the warmup",
        ),
        ("lr-warmup: floor division (0 until the last warmup step)",),
    ),
    HeldOut(
        _v14(
            "checkpoint-optimizer-state-attribute",
            "training.py",
            '        "optimizer": optimizer.state_dict(),\n',
            '        "optimizer": optimizer.state,\n',
            "training",
            "the checkpoint stores optimizer.state (the per-parameter moments keyed by tensors) instead of "
            "optimizer.state_dict(): load_state_dict finds no param_groups and raises",
        ),
        ("checkpoint: optimizer.state, not state_dict()",),
    ),
    HeldOut(
        _v14(
            "cosine-ends-at-last-step-index",
            "training.py",
            _V14_GET_LR,
            "    last = max_steps - 1  # the final step's index: the schedule reaches min_lr there\n"
            "    if step < warmup_steps:\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    if step >= last:\n"
            "        return min_lr\n"
            "    progress = (step - warmup_steps) / (last - warmup_steps)\n"
            "    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * progress))\n",
            "training",
            "a hand schedule that ends the cosine at max_steps - 1 (the 'last step index'): the decay is one "
            "step shorter and reaches min_lr one step early",
        ),
        ("lr-schedule: cosine ends at max_steps - 1",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "grads-averaged-in-first-group-only",
            "training.py",
            _V14_MICRO_LOOP,
            "    n = len(batches)\n"
            "    total = torch.zeros(())\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1\n"
            "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if"
            " autocast_dtype else contextlib.nullcontext()\n"
            "        with amp:\n"
            "            _, loss = model(x, y)\n"
            "        loss.backward()  # the gradients add up over the micro-batches ...\n"
            "        total = total.to(loss.device, loss.dtype) + loss.detach() / n\n"
            "    # ... and are averaged once at the end: the gradient of one batch n times larger\n"
            "    with torch.no_grad():\n"
            '        for p in optimizer.param_groups[0]["params"]:\n'
            "            if p.grad is not None:\n"
            "                p.grad.div_(n)\n"
            "    loss_accum = total\n",
            "training",
            "gradient accumulation rewritten to sum the micro-batch gradients and divide once at the end, the "
            "division looping over the first param group only: the biases and gains keep n times their gradient",
        ),
        ("accumulation: no-decay group not divided by n",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "hand-clip-divides-by-coefficient",
            "training.py",
            _V14_CLIP,
            "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
            "    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))\n"
            "    coef = max_norm / (norm + 1e-6)\n"
            "    if coef < 1:\n"
            "        for g in grads:\n"
            "            g.div_(coef)  # bring the gradient down to max_norm\n",
            "training",
            "gradient clipping by hand that divides by the clip coefficient instead of multiplying: a gradient "
            "above max_norm is scaled up by norm / max_norm instead of down",
        ),
        ("clip: gradient divided by the coefficient (scaled up)",),
        "rewrite",
    ),
    HeldOut(
        _v14(
            "groups-dedup-with-list-membership",
            "training.py",
            _V14_GROUPS,
            "    seen: list[nn.Parameter] = []  # a tied weight belongs to two modules: keep it once\n"
            "    decay: list[nn.Parameter] = []\n"
            "    no_decay: list[nn.Parameter] = []\n"
            "    for module in model.modules():\n"
            "        for p in module.parameters(recurse=False):\n"
            "            if not p.requires_grad or p in seen:\n"
            "                continue\n"
            "            seen.append(p)\n"
            "            (decay if p.dim() >= 2 else no_decay).append(p)\n"
            "    params = decay + no_decay\n"
            "    groups = [\n"
            '        {"params": decay, "weight_decay": weight_decay},\n'
            '        {"params": no_decay, "weight_decay": 0.0},\n'
            "    ]\n",
            "training",
            "the decay groups built module by module with the tied weight deduplicated by 'p in seen' on a "
            "list: membership compares tensors with ==, elementwise, so the check raises as soon as it meets a "
            "parameter it is not identical to",
        ),
        ("optimizer-groups: list membership on tensors (raises)",),
        "rewrite",
    ),
]

V14_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V14}


# ==================================================================== HELDOUT_V15
# A fifteenth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what engineers
# get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch (nanoGPT /
# minbpe style), not from what the tool measures. Half of it is written="rewrite" (the piece written over in
# another engineer's style, one mistake inside); the rest are edits at one place. Each was checked only for
# validity (it materialises and a non-slow spec test of its section fails with the fingerprint off, --tb=no),
# never run through the diagnosis. ``accept`` names the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 74 written, 24
# dropped, 50 kept: attention 6 (3 edits, 3 rewrites), layernorm 4 (2, 2), mlp 3 (2, 1), block 3 (1, 2), gpt 3 (2, 1),
# loss 1 (0, 1), config 1 (1, 0), generate 7 (3, 4), tokenizer 9 (5, 4), data 5 (2, 3), training 8 (4, 4); 25 edits,
# 25 rewrites. Ten rewrites were also graded with their mistake fixed (all pass): softmax-dim-minus-2-by-hand,
# einsum-scores-transposed, ln-var-mean-unpacked-swapped, merge-overlapping-step-one, top-k-sorted-off-by-one,
# prealloc-context-includes-empty-slot, loss-sum-over-batch, target-wrap-precedence, batch-views-of-reused-buffer,
# groups-by-name-decays-ln.
# Dropped: 17 edits that test_held_out_set_is_new found to make the same edit as an earlier entry or a known bug
# (head view (B, T, hd, nh), c_attn bias=False, SiLU, ReLU, ln_2 = ln_1, tying by .data, residual init on attn.c_proj
# only, ln_f skipped, the cached scale from q.size(-2), the top-k threshold as values[:, -1], multinomial's generator
# passed positionally, the generator not passed, the new token prepended, zero-count pairs kept, the loader's modulo
# len - 1, the rank offset batches + rank * W, clip_grad_value_); replaced by new mistakes. Six that no non-slow spec
# test of their section failed: (1) generate's top_k defaulting to 50 (HF's default): possibly the spec's tiny
# vocabularies or its explicit top_k arguments hide it, a possible spec gap; (2) torch.topk(..., sorted=False) with the
# threshold read from the last value: on CPU at these sizes topk's output comes back sorted anyway, so not a bug here;
# (3) _LOOKAHEAD = 1: the hold-back also adds the longest special token's length, so with <|endoftext|> registered it
# is still 14 characters; only a tokenizer without special tokens would show it (a possible spec gap); (4) the encode
# cache kept across _init (getattr(self, "_cache", {})): no test encodes with a tokenizer before training it, a
# possible spec gap; (5) the streaming cut-off as len(buf) - _LOOKAHEAD (without the special tokens' length): a
# special token split across chunks can leak as plain text, but no non-slow streaming test failed, a possible spec gap;
# (6) a data rewrite whose load_state_dict reads state.get("batch", 0) while state_dict writes "batches": test_data.py
# does not resume a loader (the resume is in test_training.py, outside the data section's spec files). One more
# tokenizer rewrite (disallowed "all" taken without removing the allowed ones; caught) was dropped to keep 50.

_V15_SDPA = _V10_SDPA
_V15_LN_BODY = _V10_LN_BODY
_V15_MLP_RETURN = _V13_MLP_RETURN
_V15_BLOCK_BODY = _V10_BLOCK_FORWARD
_V15_SAMPLE = "                logits = logits / temperature\n" + _V11_TOP_K_SAMPLE
_V15_GEN_LOOP = _V14_GENERATE_LOOP
_V15_MERGE_FN = _V11_MERGE_BODY
_V15_BPE_FN = (  # a whole-token shortcut, then v13's quoted BPE
    "    if token in ranks and max_rank is None:\n"
    "        return [token]  # a whole pre-token in the vocabulary is its own encoding (BPE ends there too)\n"
    + _V13_BPE_BODY
)
_V15_ALLOWED = _V14_ALLOWED
_V15_SPLIT_SPECIAL = (  # an early return, then v13's quoted split
    "        if not allowed:\n            yield False, text\n            return\n" + _V13_SPLIT_SPECIAL
)
_V15_NEXT_BATCH = _V10_NEXT_BATCH
_V15_LOADER_STATE = (
    "    def state_dict(self) -> dict[str, int]:\n"
    '        return {"batches": self.batches}\n'
    "\n"
    "    def load_state_dict(self, state: dict[str, int]) -> None:\n"
    '        self.batches = int(state["batches"])\n'
)
_V15_GROUPS = _V13_GROUPS
_V15_GET_LR = _V10_GET_LR
_V15_MICRO_LOOP = (
    "    optimizer.zero_grad(set_to_none=True)\n"
    "    n = len(batches)\n"
    "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
    "    for i, (x, y) in enumerate(batches):\n"
)
_V15_LOAD_BODY = (
    '    raw.load_state_dict(state["model"])\n'
    '    optimizer.load_state_dict(state["optimizer"])\n'
    '    loader.load_state_dict(state["loader"])\n'
)

_v15 = partial(_in_set, 15)


HELDOUT_V15: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v15(
            "sdpa-dropout-always-on",
            "attention.py",
            "is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))",
            "is_causal=True, scale=1.0 / math.sqrt(k.size(-1)), dropout_p=0.1)",
            "attention",
            "attention dropout 0.1 passed to SDPA unconditionally (nanoGPT passes self.dropout if self.training "
            "else 0): the weights are dropped in eval and generation too, so the forward pass is random",
        ),
        ("attention-dropout: always on (p=0.1)",),
    ),
    HeldOut(
        _v15(
            "merge-permute-head-dim-major",
            "attention.py",
            "        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side\n",
            "        y = y.permute(0, 2, 3, 1).reshape(B, T, C)  # re-assemble the heads side by side\n",
            "attention",
            "the heads merged with permute(0, 2, 3, 1): (B, T, head_dim, n_head) flattened, so the output columns "
            "interleave the heads instead of laying them side by side before c_proj",
        ),
        ("heads-merge: head_dim-major (permute 0, 2, 3, 1)",),
    ),
    HeldOut(
        _v15(
            "n-embd-stored-as-head-size",
            "attention.py",
            "        self.n_embd = config.n_embd\n",
            "        self.n_embd = config.n_embd // config.n_head  # per head\n",
            "attention",
            "self.n_embd stored as the head size: the qkv split cuts c_attn's output into head_dim-wide pieces, 3"
            " * n_head of them, and the unpacking into q, k, v raises (unless n_head == 1)",
        ),
        ("qkv-split: by head_dim (n_embd holds the head size)",),
    ),
    HeldOut(
        _v15(
            "softmax-dim-minus-2-by-hand",
            "attention.py",
            _V15_SDPA,
            "        hd = q.shape[-1]\n"
            "        T = q.shape[-2]\n"
            "        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd)\n"
            "        causal = torch.tril(torch.ones(T, T, device=q.device, dtype=torch.bool))\n"
            '        scores = scores.masked_fill(~causal, float("-inf"))\n'
            "        weights = torch.softmax(scores, dim=-2)\n"
            "        return torch.matmul(weights, v)\n",
            "attention",
            "attention by hand with the softmax taken over dim=-2 (the queries) instead of the keys: each "
            "column, not each row, sums to one",
        ),
        ("attention-softmax: over the query dim",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "masked-fill-result-dropped",
            "attention.py",
            _V15_SDPA,
            "        T, hd = q.size(-2), q.size(-1)\n"
            "        att = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(hd))\n"
            "        mask = torch.tril(torch.ones(T, T, device=q.device))\n"
            '        att.masked_fill(mask == 0, float("-inf"))  # hide the future\n'
            "        att = F.softmax(att, dim=-1)\n"
            "        return att @ v\n",
            "attention",
            "the causal mask applied with the out-of-place masked_fill and its result thrown away (not assigned, "
            "not masked_fill_): no position is masked, every token sees the future",
        ),
        ("no-causal-mask: masked_fill result discarded",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "einsum-scores-transposed",
            "attention.py",
            _V15_SDPA,
            "        T = q.size(2)\n"
            '        s = torch.einsum("bhkd,bhqd->bhqk", q, k) / math.sqrt(q.size(-1))\n'
            "        s = s.masked_fill(torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1), -torch.inf)\n"
            '        return torch.einsum("bhqk,bhkd->bhqd", s.softmax(-1), v)\n',
            "attention",
            "attention with einsum whose first subscripts label q as the keys and k as the queries: the score "
            "matrix is k q^T (transposed), so row i holds k_i against every query",
        ),
        ("attention-scores: transposed (k q^T)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v15(
            "ln-var-no-keepdim",
            "layernorm.py",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n",
            "        var = (x - mean).pow(2).mean(dim=-1)  # biased: / C\n",
            "layernorm",
            "the variance reduced without keepdim: (..., ) against (..., C) broadcasts along the wrong axis "
            "(it raises, or when the sizes happen to agree, divides by another row's variance)",
        ),
        ("layernorm: variance without keepdim",),
    ),
    HeldOut(
        _v15(
            "ln-mean-over-last-two",
            "layernorm.py",
            "        mean = x.mean(dim=-1, keepdim=True)\n",
            "        mean = x.mean(dim=(-2, -1), keepdim=True)\n",
            "layernorm",
            "the mean taken over the last two dimensions (positions and features) instead of the features "
            "alone: every position is centred by the sequence's mean",
        ),
        ("layernorm: mean over (T, C)",),
    ),
    HeldOut(
        _v15(
            "ln-var-mean-unpacked-swapped",
            "layernorm.py",
            _V15_LN_BODY,
            "        mu, sigma2 = torch.var_mean(x, dim=-1, correction=0, keepdim=True)\n"
            "        y = (x - mu) / torch.sqrt(sigma2 + self.eps)\n"
            "        return self.weight * y + self.bias\n",
            "layernorm",
            "LayerNorm with torch.var_mean unpacked as (mean, var): var_mean returns (var, mean), so the "
            "input is centred by its variance and divided by the square root of its mean",
        ),
        ("layernorm: var_mean unpacked as (mean, var)",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "ln-functional-weight-bias-swapped",
            "layernorm.py",
            _V15_LN_BODY,
            "        # the fused kernel: same biased variance, same eps inside the sqrt\n"
            "        return nn.functional.layer_norm(x, (x.shape[-1],), self.bias, self.weight, self.eps)\n",
            "layernorm",
            "LayerNorm through F.layer_norm with the affine parameters passed positionally as (bias, weight): "
            "the signature is (input, shape, weight, bias, eps), so the gain is the bias and vice versa",
        ),
        ("layernorm: weight and bias swapped",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v15(
            "mlp-adds-own-residual",
            "mlp.py",
            _V15_MLP_RETURN,
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")) + x\n',
            "mlp",
            "the MLP adds its own input back (a residual inside the branch) although the block already adds "
            "it: the normalised input is added to the residual stream twice",
        ),
        ("mlp: adds its input (double residual)",),
    ),
    HeldOut(
        _v15(
            "mlp-relu-squared",
            "mlp.py",
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n',
            "        return self.c_proj(F.relu(self.c_fc(x)).square())\n",
            "mlp",
            "the squared ReLU of modded-nanogpt's speedrun MLP in place of GPT-2's tanh-approximated GELU",
        ),
        ("mlp-activation: relu squared",),
    ),
    HeldOut(
        _v15(
            "mlp-gelu-by-hand-square",
            "mlp.py",
            _V15_MLP_RETURN,
            "        h = self.c_fc(x)\n"
            "        # GELU, tanh approximation: 0.5 h (1 + tanh(sqrt(2/pi) (h + 0.044715 h^3)))\n"
            "        inner = 0.7978845608028654 * (h + 0.044715 * h * h)\n"
            "        return self.c_proj(0.5 * h * (1.0 + torch.tanh(inner)))\n",
            "mlp",
            "GELU's tanh approximation typed by hand with h * h (h^2) where the formula has h^3",
        ),
        ("mlp-activation: gelu-tanh with h^2 for h^3",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v15(
            "ln-1-torch-no-bias",
            "block.py",
            "        self.ln_1 = LayerNorm(config.n_embd)\n",
            "        self.ln_1 = nn.LayerNorm(config.n_embd, bias=False)\n",
            "block",
            "ln_1 built as torch's LayerNorm with bias=False (nanoGPT's bias=False option): ln_1 has no bias "
            "parameter, so the parameter set differs and GPT-2's ln_1.bias cannot load",
        ),
        ("block: ln_1 without bias",),
    ),
    HeldOut(
        _v15(
            "mlp-reads-stale-norm",
            "block.py",
            _V15_BLOCK_BODY,
            "        h = self.ln_1(x)\n"
            "        x = x + self.attn(h, cache)\n"
            "        h = self.ln_2(h)\n"
            "        return x + self.mlp(h)\n",
            "block",
            "the MLP branch normalises the attention branch's input (ln_2(ln_1(x))) instead of the updated "
            "residual stream: the MLP never sees the attention output",
        ),
        ("block: mlp reads the pre-attention input",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "hf-style-residual-normed",
            "block.py",
            _V15_BLOCK_BODY,
            "        residual = x\n"
            "        x = self.ln_1(x)\n"
            "        x = residual + self.attn(x, cache)\n"
            "        residual = x\n"
            "        x = self.ln_2(x)\n"
            "        x = x + self.mlp(x)\n"
            "        return x\n",
            "block",
            "HF-style block with a residual variable whose second add uses the normalised x instead of "
            "residual: the MLP branch is added to ln_2's output and the residual stream is lost",
        ),
        ("block: second residual adds the normalised input",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v15(
            "hf-keys-always-prefixed",
            "gpt.py",
            '            name = key if key.startswith(("transformer.", "lm_head.")) else f"transformer.{key}"\n',
            '            name = f"transformer.{key}"  # HF keys lack our transformer. prefix\n',
            "gpt",
            "the HF loader prefixes every key with 'transformer.', as GPT2Model's keys need, but "
            "GPT2LMHeadModel's keys already carry it (and lm_head.weight is top-level): loading an LM-head state "
            "dict raises KeyError",
        ),
        ("from-hf: transformer. prefix added to every key",),
    ),
    HeldOut(
        _v15(
            "bias-truthiness-in-init",
            "gpt.py",
            "        if isinstance(module, nn.Linear) and module.bias is not None:\n",
            "        if isinstance(module, nn.Linear) and module.bias:\n",
            "gpt",
            "the bias check written as the tensor's truthiness instead of 'is not None': a bias with more than "
            "one element raises 'Boolean value of Tensor ... is ambiguous', so the model cannot be built",
        ),
        ("init: bias truthiness (raises)",),
    ),
    HeldOut(
        _v15(
            "hf-load-transposes-wpe",
            "gpt.py",
            "            if name.endswith(_CONV1D_SUFFIXES):\n                tensor = tensor.t()\n",
            '            if tensor.dim() == 2 and not name.endswith(("wte.weight", "lm_head.weight")):\n'
            "                tensor = tensor.t()  # HF's Conv1D stores (in, out); ours is (out, in)\n",
            "gpt",
            "the HF loader transposes every 2-D tensor except the (tied) token matrix, meaning the Conv1D "
            "weights, but the position table wpe is 2-D too: it is transposed as well (raises, or when "
            "block_size == n_embd loads wrong)",
        ),
        ("from-hf: transposes wpe",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v15(
            "loss-sum-over-batch",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            n_batch, n_pos, n_vocab = logits.shape\n"
            "            flat = logits.reshape(n_batch * n_pos, n_vocab)\n"
            '            loss = F.cross_entropy(flat, targets.reshape(-1), reduction="sum") / n_batch\n',
            "loss",
            "the loss summed over every position and divided by the batch size only: it is T times the mean "
            "cross-entropy (a per-sequence sum, not a per-token mean)",
        ),
        ("loss-reduction: sum / B (T times the mean)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v15(
            "vocab-forgets-endoftext",
            "config.py",
            "    vocab_size: int = 50257",
            "    vocab_size: int = 50000 + 256",
            "config",
            "the default vocabulary counted as 50,000 merges + 256 bytes, forgetting <|endoftext|>: 50,256 "
            "instead of 50,257",
        ),
        ("config-default: vocab_size 50256",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v15(
            "cached-shapes-unpacked-swapped",
            "attention.py",
            "        T, S = q.size(-2), k.size(-2)\n",
            "        S, T = q.size(-2), k.size(-2)\n",
            "generate",
            "the cached attention's lengths unpacked the wrong way round (S from the queries, T from the keys): "
            "the mask is built (keys x queries) with the diagonal negated and no longer fits the scores",
        ),
        ("kv-cache: mask lengths swapped",),
    ),
    HeldOut(
        _v15(
            "cache-len-paren-slip",
            "gpt.py",
            "        cache_len = min(self.config.block_size, idx.size(1) + max_new_tokens)\n",
            "        cache_len = min(self.config.block_size, idx.size(1)) + max_new_tokens\n",
            "generate",
            "the KV cache sized min(block_size, T) + max_new_tokens (a misplaced parenthesis): the cache outlives"
            " block_size, so generation keeps feeding the cache past the position table and raises instead of "
            "cropping the context",
        ),
        ("kv-cache: sized past block_size (no crop)",),
    ),
    HeldOut(
        _v15(
            "top-k-clipped-to-batch",
            "gpt.py",
            "kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]",
            "kth = torch.topk(logits, min(top_k, logits.size(0))).values[:, [-1]]",
            "generate",
            "top_k clipped to logits.size(0) (the batch size) instead of the vocabulary size: with one sequence "
            "top-k sampling keeps a single token, i.e. becomes greedy",
        ),
        ("top-k: k clipped to the batch size",),
    ),
    HeldOut(
        _v15(
            "top-k-position-returned-as-token",
            "gpt.py",
            _V15_SAMPLE,
            "                scaled = logits / temperature\n"
            "                if top_k is None:\n"
            "                    probs = torch.softmax(scaled, dim=-1)\n"
            "                    idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
            "                else:\n"
            "                    top_vals, top_idx = torch.topk(scaled, min(top_k, scaled.size(-1)), dim=-1)\n"
            "                    probs = torch.softmax(top_vals, dim=-1)\n"
            "                    choice = torch.multinomial(probs, num_samples=1, generator=generator)\n"
            "                    idx_next = choice  # (B, 1)\n",
            "generate",
            "top-k sampling over the topk values that returns the sampled position within the top k, never "
            "mapped back through the topk indices (gather): the token ids are 0..k-1",
        ),
        ("top-k: sampled index not mapped to the token id",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "temperature-divides-probs",
            "gpt.py",
            _V15_SAMPLE,
            "                if top_k is not None:\n"
            "                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))\n"
            '                    logits[logits < v[:, [-1]]] = -float("inf")\n'
            "                probs = F.softmax(logits, dim=-1) / temperature  # sharpen / flatten\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "generate",
            "the temperature divides the probabilities after the softmax instead of the logits before it: "
            "multinomial renormalises, so the temperature has no effect at all",
        ),
        ("temperature: applied after softmax (ignored)",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "top-k-sorted-off-by-one",
            "gpt.py",
            _V15_SAMPLE,
            "                logits = logits / temperature\n"
            "                if top_k is not None and top_k < logits.size(-1):\n"
            "                    ranked = torch.sort(logits, dim=-1, descending=True).values\n"
            "                    cutoff = ranked[:, top_k].unsqueeze(-1)  # the k-th largest\n"
            '                    logits = torch.where(logits < cutoff, -float("inf"), logits)\n'
            "                idx_next = torch.multinomial(logits.softmax(-1), 1, generator=generator)\n",
            "generate",
            "top-k by sorting, with the cutoff read at index top_k (the (k+1)-th largest) instead of top_k - 1: "
            "k + 1 tokens stay in the running",
        ),
        ("top-k: keeps k+1 tokens",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "prealloc-context-includes-empty-slot",
            "gpt.py",
            _V15_GEN_LOOP,
            "        B, T0 = idx.shape\n"
            "        out = torch.zeros(B, T0 + max_new_tokens, dtype=idx.dtype, device=idx.device)\n"
            "        out[:, :T0] = idx\n"
            "        bs = self.config.block_size\n"
            "        for t in range(T0, T0 + max_new_tokens):  # t: the slot to fill\n"
            "            context = out[:, max(0, t - bs + 1) : t + 1]\n"
            "            logits, _ = self(context)\n"
            "            logits = logits[:, -1, :]\n"
            "            if temperature == 0:\n"
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
            "            else:\n" + _V15_SAMPLE + "            out[:, t] = idx_next.squeeze(-1)\n"
            "        return out\n",
            "generate",
            "generation into a preallocated output whose context slice ends at t + 1, one past the filled "
            "tokens: the model conditions on the still-empty slot t (a 0 token) and reads its logits",
        ),
        ("generate-context: includes the unfilled slot (off by one)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v15(
            "from-ranks-default-pattern",
            "tokenizer.py",
            "        tok._init(pattern, dict(mergeable_ranks), dict(special_tokens or {}), None)\n",
            "        tok._init(GPT2_PATTERN, dict(mergeable_ranks), dict(special_tokens or {}), None)\n",
            "tokenizer",
            "from_ranks builds the tokenizer with the module's GPT2_PATTERN instead of its pattern argument: any "
            "other pattern (cl100k's, or one restored by load) is silently replaced by GPT-2's",
        ),
        ("from-ranks: pattern argument ignored",),
    ),
    HeldOut(
        _v15(
            "tie-break-merged-bytes-then-left-id",
            "tokenizer.py",
            "return (-count, vocab[pair[0]], vocab[pair[1]], pair)",
            "return (-count, vocab[pair[0]] + vocab[pair[1]], pair[0], pair)",
            "tokenizer",
            "ties broken on the merged token's bytes (left + right) instead of the (left, right) pair: pairs "
            "whose concatenations agree fall back to id order, and b'a'+b'bc' vs b'ab'+b'c' order differently",
        ),
        ("tie-break: by concatenated bytes",),
    ),
    HeldOut(
        _v15(
            "specials-sorted-set",
            "tokenizer.py",
            "        specials = list(dict.fromkeys(special_tokens))\n",
            "        specials = sorted(set(special_tokens))  # dedupe\n",
            "tokenizer",
            "the special tokens deduplicated through a sorted set: they get their ids in alphabetical order, not "
            "in the order given",
        ),
        ("train-specials: ids in sorted order",),
    ),
    HeldOut(
        _v15(
            "decode-unknown-raises-index-error",
            "tokenizer.py",
            'raise ValueError(f"token id {exc.args[0]} is not in the vocabulary',
            'raise IndexError(f"token id {exc.args[0]} is not in the vocabulary',
            "tokenizer",
            "an id outside the vocabulary reported as IndexError (a list-index habit) instead of the ValueError "
            "the contract asks for",
        ),
        ("decode-unknown: IndexError, not ValueError",),
    ),
    HeldOut(
        _v15(
            "load-skips-base64",
            "tokenizer.py",
            'ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}',
            'ranks = {b.encode("ascii"): i for b, i in data["mergeable_ranks"]}',
            "tokenizer",
            "load reads the saved tokens as their base64 text's ASCII bytes instead of base64-decoding them: "
            "the loaded vocabulary is not the one saved",
        ),
        ("save-load: base64 not decoded",),
    ),
    HeldOut(
        _v15(
            "merge-overlapping-step-one",
            "tokenizer.py",
            _V15_MERGE_FN,
            "    merged = []\n"
            "    i = 0\n"
            "    while i < len(ids):\n"
            "        if ids[i : i + 2] == list(pair):  # found the pair: emit the new token\n"
            "            merged.append(new_id)\n"
            "        else:\n"
            "            merged.append(ids[i])\n"
            "        i += 1\n"
            "    return merged\n",
            "tokenizer",
            "the merge loop advances by one also after a match: the right half of a merged pair is emitted "
            "again, so 'ab' becomes [X, b] and 'aaa' [X, X, a]",
        ),
        ("train-merge: does not skip the merged pair's right half",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "bpe-whole-token-shortcut-ignores-max-rank",
            "tokenizer.py",
            _V15_BPE_FN,
            "    if token in ranks:\n"
            "        return [token]  # already one token\n"
            "    cap = max_rank if max_rank is not None else len(ranks) + 1\n"
            "    parts = [bytes([b]) for b in token]\n"
            "    while len(parts) > 1:\n"
            "        pair_ranks = [ranks.get(parts[j] + parts[j + 1], cap) for j in range(len(parts) - 1)]\n"
            "        best = min(range(len(pair_ranks)), key=pair_ranks.__getitem__)  # first of the lowest\n"
            "        if pair_ranks[best] >= cap:\n"
            "            break\n"
            "        parts = parts[:best] + [parts[best] + parts[best + 1]] + parts[best + 2 :]\n"
            "    return parts\n",
            "tokenizer",
            "minbpe-style BPE whose whole-token shortcut ignores max_rank: recovering the merges of a loaded "
            "vocabulary runs BPE on each token's own bytes, gets the token back whole, and raises",
        ),
        ("from-ranks: merge recovery short-circuits (raises)",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "split-specials-shortest-first",
            "tokenizer.py",
            _V15_SPLIT_SPECIAL,
            "        parts: list[tuple[bool, str]] = [(False, text)]\n"
            "        for special in sorted(allowed):  # a fixed order, whatever the set's\n"
            "            nxt: list[tuple[bool, str]] = []\n"
            "            for is_special, part in parts:\n"
            "                if is_special:\n"
            "                    nxt.append((True, part))\n"
            "                    continue\n"
            "                for j, chunk in enumerate(part.split(special)):\n"
            "                    if j:\n"
            "                        nxt.append((True, special))\n"
            "                    nxt.append((False, chunk))\n"
            "            parts = nxt\n"
            "        yield from parts\n",
            "tokenizer",
            "special tokens cut out one at a time in sorted (alphabetical) order: a token that is a prefix of "
            "another ('<|fim|>' of '<|fim|>_end') sorts first and splits the longer one apart",
        ),
        ("allowed-special: shorter special wins (not longest first)",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "train-specials-not-cut",
            "tokenizer.py",
            "        counts = Counter(piece for part in _split_out(text, specials) for piece in self._pieces(part))\n",
            "        counts: Counter[str] = Counter()\n"
            "        for piece in self._pieces(text):  # each distinct pre-token once, with its count\n"
            "            counts[piece] += 1\n",
            "tokenizer",
            "training counts the pre-tokens of the raw text without cutting the special tokens out first: "
            "'<|endoftext|>' takes part in merges",
        ),
        ("train: special tokens not cut out",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v15(
            "tokens-as-tensor-dtype-kept",
            "data.py",
            "        self.tokens = as_token_tensor(tokens)\n",
            "        self.tokens = torch.as_tensor(tokens)\n",
            "data",
            "the tokens wrapped with torch.as_tensor instead of widened to int64: a uint16 / int32 array keeps "
            "its dtype, so x and y are not int64 (uint16 tensors cannot even be indexed by most ops)",
        ),
        ("data-dtype: tokens not widened to int64",),
    ),
    HeldOut(
        _v15(
            "b-t-unpacked-swapped",
            "data.py",
            "        B, T = self.B, self.T\n",
            "        T, B = self.B, self.T\n",
            "data",
            "the batch shape unpacked as T, B = self.B, self.T: every batch is (T, B), with rows of B tokens",
        ),
        ("data-shape: (T, B) batches",),
    ),
    HeldOut(
        _v15(
            "reset-to-start-drops-tail",
            "data.py",
            _V15_NEXT_BATCH,
            "        B, T, W = self.B, self.T, self.world_size\n"
            "        n = len(self.tokens)\n"
            "        pos = ((self.batches * W + self.rank) * B * T) % n\n"
            "        if pos + B * T + 1 > n:  # not enough tokens left for a whole batch: start over\n"
            "            pos = 0\n"
            "        buf = self.tokens[pos : pos + B * T + 1]\n"
            "        self.batches += 1\n"
            "        return buf[:-1].view(B, T), buf[1:].view(B, T)\n",
            "data",
            "nanoGPT's 'not enough left: reset to 0' in a modular loader: the tail of the data is dropped at "
            "the wrap, and an array shorter than a batch cannot be read at all",
        ),
        ("data-wrap: drops the tail (resets to 0)",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "batch-views-of-reused-buffer",
            "data.py",
            _V15_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            '        if getattr(self, "_buf", None) is None:\n'
            "            self._buf = torch.empty(B * T + 1, dtype=torch.int64)  # reused: no allocation per batch\n"
            "        offset = (self.batches * self.world_size + self.rank) * B * T\n"
            "        idx = torch.arange(offset, offset + B * T + 1) % self.tokens.numel()\n"
            "        torch.index_select(self.tokens, 0, idx, out=self._buf)\n"
            "        self.batches += 1\n"
            "        return self._buf[:-1].view(B, T), self._buf[1:].view(B, T)\n",
            "data",
            "batches returned as views into one buffer the loader refills: every earlier (x, y) silently "
            "becomes the latest batch (with gradient accumulation all micro-batches are the last one)",
        ),
        ("data: batches alias a reused buffer",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "target-wrap-precedence",
            "data.py",
            _V15_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = self.tokens.numel()\n"
            "        base = (self.batches * self.world_size + self.rank) * B * T\n"
            "        idx = torch.arange(base, base + B * T)\n"
            "        x = self.tokens[idx % n].view(B, T)\n"
            "        y = self.tokens[idx + 1 % n].view(B, T)  # the next token, wrapped\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "targets indexed with idx + 1 % n: % binds before +, so the target indices are never wrapped (and "
            "never reduced modulo n at all): past the first pass the loader raises IndexError or reads wrong "
            "targets",
        ),
        ("data-wrap: targets not wrapped (precedence)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v15(
            "groups-tied-weight-twice",
            "training.py",
            "    params = [p for p in model.parameters() if p.requires_grad]",
            "    params = [p for _, p in model.named_parameters(remove_duplicate=False) if p.requires_grad]",
            "training",
            "the parameters listed with named_parameters(remove_duplicate=False): the tied wte / lm_head weight "
            "appears twice and lands in the decay group twice (AdamW raises)",
        ),
        ("optimizer-groups: tied weight listed twice",),
    ),
    HeldOut(
        _v15(
            "rng-reseeded-from-step",
            "training.py",
            '    torch.set_rng_state(state["rng"]["torch"].cpu())\n',
            '    torch.manual_seed(int(state["step"]))  # deterministic resume\n',
            "training",
            "load_checkpoint reseeds torch from the saved step instead of restoring the saved RNG state: draws "
            "after a resume differ from the ones the uninterrupted run makes",
        ),
        ("checkpoint-rng: reseeded from the step, not restored",),
    ),
    HeldOut(
        _v15(
            "checkpoint-optimizer-state-not-called",
            "training.py",
            '"optimizer": optimizer.state_dict(),',
            '"optimizer": optimizer.state_dict,',
            "training",
            "the optimizer's state_dict method stored without calling it: the checkpoint pickles a bound method, "
            "and load_checkpoint cannot restore the AdamW moments from it",
        ),
        ("checkpoint: optimizer state_dict not called",),
    ),
    HeldOut(
        _v15(
            "load-returns-next-step",
            "training.py",
            '    return int(state["step"])\n',
            '    return int(state["step"]) + 1  # the step to run next\n',
            "training",
            "load_checkpoint returns the step after the saved one (the next to run) instead of the saved step: "
            "a caller that loops from it skips a step",
        ),
        ("checkpoint-step: returns step + 1",),
    ),
    HeldOut(
        _v15(
            "cosine-progress-floor-divided",
            "training.py",
            _V15_GET_LR,
            "    if step < warmup_steps:\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    if step >= max_steps:\n"
            "        return min_lr\n"
            "    progress = (step - warmup_steps) // (max_steps - warmup_steps)\n"
            "    return min_lr + (max_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2\n",
            "training",
            "the cosine's progress computed with floor division: it is 0 for every step before max_steps, so "
            "the rate stays at max_lr and drops to min_lr at once",
        ),
        ("lr-schedule: no decay (integer progress)",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "zero-grad-inside-micro-loop",
            "training.py",
            _V15_MICRO_LOOP,
            "    n = len(batches)\n"
            "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        optimizer.zero_grad(set_to_none=True)  # fresh gradients for this micro-batch\n",
            "training",
            "zero_grad moved inside the micro-batch loop: each micro-batch wipes the gradient of the ones "
            "before it, so the step uses only the last micro-batch's gradient (divided by n)",
        ),
        ("grad-accumulation: zeroed per micro-batch",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "groups-by-name-decays-ln",
            "training.py",
            _V15_GROUPS,
            "    decay, no_decay = [], []\n"
            "    for name, p in model.named_parameters():\n"
            "        if not p.requires_grad:\n"
            "            continue\n"
            '        (no_decay if name.endswith(".bias") else decay).append(p)  # biases are not decayed\n'
            "    params = decay + no_decay\n"
            "    groups = [\n"
            '        {"params": decay, "weight_decay": weight_decay},\n'
            '        {"params": no_decay, "weight_decay": 0.0},\n'
            "    ]\n",
            "training",
            "optimizer groups split by name, exempting only '.bias': the LayerNorm gains (1-D) are decayed towards 0",
        ),
        ("optimizer-groups: LayerNorm weights decayed",),
        "rewrite",
    ),
    HeldOut(
        _v15(
            "resume-loader-from-step",
            "training.py",
            _V15_LOAD_BODY,
            '    raw.load_state_dict(state["model"])\n'
            '    optimizer.load_state_dict(state["optimizer"])\n'
            '    loader.batches = int(state["step"]) + 1  # one batch per finished step\n',
            "training",
            "the loader's position rebuilt from the step count (one batch per step) instead of the saved loader "
            "state: with gradient accumulation (several micro-batches per step) it rewinds to a wrong batch",
        ),
        ("checkpoint: loader position from the step count",),
        "rewrite",
    ),
]

V15_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V15}


# ==================================================================== HELDOUT_V16
# A sixteenth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what engineers
# get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch (nanoGPT /
# minbpe style), not from what the tool measures. Half of it is written="rewrite" (the piece written over in
# another engineer's style, one mistake inside); the rest are edits at one place. Each was checked only for
# validity (it materialises and a non-slow spec test of its section fails with the fingerprint off, --tb=no),
# never run through the diagnosis. ``accept`` names the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 60 written, 10
# dropped, 50 kept: attention 6 (3 edits, 3 rewrites), layernorm 4 (2, 2), mlp 3 (2, 1), block 3 (1, 2), gpt 3 (2, 1),
# loss 1 (0, 1), config 1 (1, 0), generate 7 (3, 4), tokenizer 9 (5, 4), data 5 (2, 3), training 8 (4, 4); 25 edits,
# 25 rewrites. Eighteen rewrites were also graded with their mistake fixed (all pass): softmax-exp-without-max,
# keys-dot-t-on-4d, mask-float-to-masked-fill, ln-numerator-not-centred, ln-std-as-norm-over-c,
# block-attention-output-added-twice, nanogpt-loop-crop-keeps-oldest, kv-cat-without-dim,
# kv-hand-mask-queries-one-based, stale-cache-after-crop, merge-slice-compared-to-tuple, save-latin1-load-utf8,
# decode-range-check-off-by-one, batch-view-result-discarded, position-loader-resume-without-rank,
# strided-targets-without-offset, cosine-to-zero-clamped-at-min-lr, clip-before-backward.
# Dropped: 7 that test_held_out_set_is_new found to make the same edit as a known bug or an earlier entry (LayerNorm
# eps 1e-12, the bias added before the gain, a post-LN block, attn.c_proj left out of the Conv1D transposes, the next
# token from logits[:, 0], allowed_special='all' taken as set('all'), the merges not reserving the special tokens);
# one rewrite dropped by hand as v4's idea again (the variance as the raw E[x^2] with a centred numerator,
# ho4-ln-var-uncentered); all replaced by new mistakes. One that no non-slow spec test of its section failed: the
# heads merged with .view(B, T, C) without .contiguous(): SDPA's output on this CPU is laid out (B, T, n_head, hd)
# in memory, so its transpose is contiguous and the view works (a bug only after a hand-written attention; not a
# spec gap). One more training rewrite (train_step returning the loss and norm as Python floats via .item()) was
# caught only by test_ddp_matches_single_process (the other training tests take float(loss)) and was dropped to keep
# 50. Seen while choosing, not in the set: an HF loader that skips every key containing 'attn.bias' (a substring
# test for the mask buffers, which also matches c_attn.bias) passes every non-slow gpt test, because the HF models
# the spec builds keep GPT-2's zero Linear biases; only the slow real-weights tests would see it (a possible gap).

_V16_SDPA = _V10_SDPA
_V16_MERGE_LINE = _V14_MERGE_HEADS.splitlines(keepends=True)[0]
_V16_LN_BODY = _V10_LN_BODY
_V16_MLP_RETURN = _V13_MLP_RETURN
_V16_BLOCK_BODY = _V10_BLOCK_FORWARD
_V16_GEN_LOOP = _V14_GENERATE_LOOP
_V16_GEN_FEED = "".join(_V14_GENERATE_LOOP.splitlines(keepends=True)[2:12])  # the loop's head to logits[:, -1]
_V16_ATTEND_CACHED = _V12_ATTEND_CACHED
_V16_KV_APPEND = _V11_KV_APPEND
_V16_MERGE_FN = _V11_MERGE_BODY
_V16_SAVE_LOAD = (  # save's signature and docstring, then v14's quoted save and load
    "    def save(self, path: str | Path) -> None:\n"
    '        """JSON: the pattern, the special tokens and the ranks (token bytes in base64, as tiktoken)."""\n'
    + _V14_SAVE_LOAD
)
_V16_MERGES_BODY = (
    "        merges = {}\n"
    "        for token, rank in sorted(self._ranks.items(), key=lambda kv: kv[1]):\n"
    "            if len(token) == 1:\n"
    "                continue\n"
    "            parts = _bpe(token, self._ranks, max_rank=rank)\n"
    "            if len(parts) != 2:\n"
    '                raise ValueError(f"rank {rank} ({token!r}) is not the merge of two lower-ranked tokens: '
    '{parts}")\n'
    "            merges[(self._ranks[parts[0]], self._ranks[parts[1]])] = rank\n"
    "        return merges\n"
)
_V16_DECODE_BYTES = (
    "        try:\n"
    '            return b"".join(self._decoder[i] for i in ids)\n'
    "        except KeyError as exc:\n"
    '            raise ValueError(f"token id {exc.args[0]} is not in the vocabulary (size {self.vocab_size})") '
    "from None\n"
)
_V16_NEXT_BATCH = _V10_NEXT_BATCH
_V16_LOADER_TAIL = (  # from the counter's initialisation to the end of data.py
    "        self.batches = 0  # batches each rank has read so far: the loader's whole state\n"
    "\n"
    "    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:\n" + _V10_NEXT_BATCH + "\n"
    "    def reset(self) -> None:\n"
    "        self.batches = 0\n"
    "\n"
    "    # A checkpoint stores this so a resumed run reads the batches it would have read.\n"
    "    # It does not depend on the rank, so one file resumes every rank of a DDP run.\n" + _V15_LOADER_STATE
)
_V16_GET_LR = _V10_GET_LR
_V16_STEP_BODY = (  # train_step's body, from zero_grad to the return
    "    optimizer.zero_grad(set_to_none=True)\n"
    + _V12_STEP_LOOP
    + "    optimizer.step()\n    return loss_accum, norm\n"
)
_V16_SAVE_STATE = (
    "    state = {\n"
    '        "model": raw.state_dict(),\n'
    '        "optimizer": optimizer.state_dict(),\n'
    '        "loader": loader.state_dict(),\n'
    '        "step": step,\n'
    '        "rng": {\n'
    '            "torch": torch.get_rng_state(),\n'
    '            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],\n'
    "        },\n"
    '        "extra": extra or {},\n'
    "    }\n"
    '    tmp = f"{os.fspath(path)}.tmp"\n'
    "    torch.save(state, tmp)\n"
    "    os.replace(tmp, path)  # atomic: a crash mid-save never leaves a truncated checkpoint\n"
)

_v16 = partial(_in_set, 16)


HELDOUT_V16: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v16(
            "merge-flatten-from-dim-1",
            "attention.py",
            _V16_MERGE_LINE,
            "        y = y.transpose(1, 2).flatten(1)  # re-assemble the heads side by side\n",
            "attention",
            "the heads merged with flatten(1) instead of flatten(2): (B, T, n_head, head_dim) collapses time together "
            "with the heads into one row of T * n_embd numbers per sequence, and c_proj (n_embd inputs) raises",
        ),
        ("heads-merge: flatten(1) folds time in",),
    ),
    HeldOut(
        _v16(
            "sdpa-keys-pretransposed",
            "attention.py",
            _V16_SDPA,
            "        return F.scaled_dot_product_attention(\n"
            "            q, k.transpose(-2, -1), v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1))\n"
            "        )\n",
            "attention",
            "the hand-written formula's k^T carried into the fused call: SDPA transposes the keys itself, so it "
            "gets them transposed twice; the shapes fit only when T equals head_dim, and then the scores are wrong",
        ),
        ("attention: keys transposed before SDPA",),
    ),
    HeldOut(
        _v16(
            "c-proj-width-from-c-attn",
            "attention.py",
            "        self.c_proj = nn.Linear(config.n_embd, config.n_embd)\n",
            "        self.c_proj = nn.Linear(config.n_embd, 3 * config.n_embd)\n",
            "attention",
            "the output projection's line copied from c_attn's with its 3 * n_embd kept: c_proj writes 3 * n_embd "
            "features, so the attention output does not fit the residual stream and GPT-2's c_proj cannot load",
        ),
        ("attention: c_proj 3 * n_embd wide",),
    ),
    HeldOut(
        _v16(
            "softmax-exp-without-max",
            "attention.py",
            _V16_SDPA,
            "        scale = 1.0 / math.sqrt(q.size(-1))\n"
            "        scores = (q @ k.transpose(-2, -1)) * scale\n"
            "        n = scores.size(-1)\n"
            "        future = torch.triu(torch.ones(n, n, dtype=torch.bool, device=q.device), diagonal=1)\n"
            '        scores = scores.masked_fill(future, float("-inf"))\n'
            "        e = torch.exp(scores)\n"
            "        weights = e / e.sum(dim=-1, keepdim=True)\n"
            "        return weights @ v\n",
            "attention",
            "the softmax written out as exp(scores) / sum without subtracting each row's max first: a score above "
            "about 88 overflows exp to inf in float32, and the weights become inf / inf = NaN",
        ),
        ("attention-softmax: no max subtraction (overflows)",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "keys-dot-t-on-4d",
            "attention.py",
            _V16_SDPA,
            "        d = q.size(-1)\n"
            "        s = q @ k.T / math.sqrt(d)\n"
            "        n = q.size(-2)\n"
            "        keep = torch.tril(torch.ones(n, n, device=q.device)).bool()\n"
            '        s = s.masked_fill(~keep, float("-inf"))\n'
            "        return F.softmax(s, dim=-1) @ v\n",
            "attention",
            "attention by hand with k.T for the keys' transpose: on a 4-D tensor .T reverses every dimension "
            "(deprecated), not the last two, so the product's shapes do not fit; k.mT or k.transpose(-2, -1) was meant",
        ),
        ("attention-scores: k.T reverses every dim",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "mask-float-to-masked-fill",
            "attention.py",
            _V16_SDPA,
            "        T = q.size(-2)\n"
            "        att = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(k.size(-1))\n"
            "        upper = torch.triu(torch.ones(T, T, device=q.device), diagonal=1)\n"
            '        att = att.masked_fill(upper, float("-inf"))\n'
            "        return torch.matmul(att.softmax(dim=-1), v)\n",
            "attention",
            "the causal mask built as a float 0/1 matrix (torch.ones without dtype=torch.bool) and handed to "
            "masked_fill, which takes only a boolean mask: every forward pass raises",
        ),
        ("causal-mask: float mask to masked_fill (raises)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v16(
            "ln-weight-plain-tensor",
            "layernorm.py",
            "        self.weight = nn.Parameter(torch.ones(ndim))\n",
            "        self.weight = torch.ones(ndim)\n",
            "layernorm",
            "the gain assigned as a plain tensor (nn.Parameter forgotten): it is applied, but it is no parameter and "
            "no buffer, so it never trains, is not in the state dict and GPT-2's ln weights cannot load into it",
        ),
        ("layernorm: weight not a parameter",),
    ),
    HeldOut(
        _v16(
            "ln-eps-added-twice",
            "layernorm.py",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True) + self.eps  # biased: / C\n",
            "layernorm",
            "eps added to the variance where it is computed and again inside the rsqrt (two references merged): "
            "the normalisation runs with 2 * eps, which shows exactly when the variance is small",
        ),
        ("layernorm-eps: added twice (2e-05)",),
    ),
    HeldOut(
        _v16(
            "ln-numerator-not-centred",
            "layernorm.py",
            _V16_LN_BODY,
            "        mu = x.mean(-1, keepdim=True)\n"
            "        sigma2 = ((x - mu) ** 2).mean(-1, keepdim=True)\n"
            "        y = x / torch.sqrt(sigma2 + self.eps)\n"
            "        return self.weight * y + self.bias\n",
            "layernorm",
            "LayerNorm by hand whose variance is centred but whose numerator is x, not x - mean: the input is only "
            "scaled, never centred, so every row keeps its mean divided by its standard deviation",
        ),
        ("layernorm: numerator not centred",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "ln-std-as-norm-over-c",
            "layernorm.py",
            _V16_LN_BODY,
            "        C = x.size(-1)\n"
            "        xc = x - x.mean(dim=-1, keepdim=True)\n"
            "        std = torch.linalg.vector_norm(xc, dim=-1, keepdim=True) / C\n"
            "        return self.weight * xc / torch.sqrt(std * std + self.eps) + self.bias\n",
            "layernorm",
            "the standard deviation taken as the norm of the centred row divided by C instead of sqrt(C): the "
            "spread is sqrt(C) times too small, so the output is about sqrt(C) times too large",
        ),
        ("layernorm: std as norm / C",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v16(
            "mlp-mish",
            "mlp.py",
            _V16_MLP_RETURN,
            "        return self.c_proj(F.mish(self.c_fc(x)))\n",
            "mlp",
            "Mish (x tanh(softplus(x)), a detection-model habit) in place of GPT-2's tanh-approximated GELU",
        ),
        ("mlp-activation: mish",),
    ),
    HeldOut(
        _v16(
            "mlp-input-detached",
            "mlp.py",
            _V16_MLP_RETURN,
            '        return self.c_proj(F.gelu(self.c_fc(x.detach()), approximate="tanh"))\n',
            "mlp",
            "the MLP's input detached (left from a debugging session): the forward pass is exact and c_fc, c_proj "
            "still train, but no gradient flows back through the MLP into ln_2 and the residual stream",
        ),
        ("mlp: input detached (no gradient to ln_2)",),
    ),
    HeldOut(
        _v16(
            "mlp-quick-gelu",
            "mlp.py",
            _V16_MLP_RETURN,
            "        h = self.c_fc(x)\n"
            "        h = h * torch.sigmoid(1.702 * h)  # GELU\n"
            "        return self.c_proj(h)\n",
            "mlp",
            "GELU written as CLIP's 'quick GELU', x * sigmoid(1.702 x), a cheaper approximation that differs from "
            "the tanh form GPT-2 was trained with by up to about 2e-2",
        ),
        ("mlp-activation: quick gelu (x sigmoid(1.702 x))",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v16(
            "ln-2-sized-by-block-size",
            "block.py",
            "        self.ln_2 = LayerNorm(config.n_embd)\n",
            "        self.ln_2 = LayerNorm(config.block_size)\n",
            "block",
            "the editor's completion took config.block_size where config.n_embd belongs: ln_2's weight and bias have "
            "block_size entries, so the MLP branch's norm raises on (B, T, n_embd) and GPT-2's ln_2 cannot load",
        ),
        ("block: ln_2 sized by block_size",),
    ),
    HeldOut(
        _v16(
            "block-attention-output-added-twice",
            "block.py",
            _V16_BLOCK_BODY,
            "        a = self.attn(self.ln_1(x), cache)\n"
            "        x = x + a\n"
            "        m = self.mlp(self.ln_2(x))\n"
            "        x = x + a\n"
            "        return x\n",
            "block",
            "the block written in named steps with a copy-paste slip in the second residual: x + a again instead of "
            "x + m, so the attention output is added twice and the MLP's is computed and thrown away",
        ),
        ("block: attention output added twice (mlp dropped)",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "block-mlp-before-attention",
            "block.py",
            _V16_BLOCK_BODY,
            "        h = x + self.mlp(self.ln_2(x))\n"
            "        h = h + self.attn(self.ln_1(h), cache)\n"
            "        return h\n",
            "block",
            "the two sub-layers in the other order, the MLP branch before attention: each branch keeps its own norm "
            "and residual, but attention reads the MLP-updated stream and the MLP never sees attention's output",
        ),
        ("block: mlp before attention",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v16(
            "pad-rows-zeroed-outside-no-grad",
            "gpt.py",
            "        with torch.no_grad():  # fast path: vocab padding. Rows past vocab_size are never looked up\n"
            "            self.transformer.wte.weight[config.vocab_size :].zero_()",
            "        # fast path: vocab padding. Rows past vocab_size are never looked up\n"
            "        self.transformer.wte.weight[config.vocab_size :].zero_()",
            "gpt",
            "the padded vocabulary rows zeroed without torch.no_grad() (it looked like an init step, not a forward "
            "pass): an in-place write into a view of a leaf that requires grad raises, so no model can be built",
        ),
        ("init: in-place zeroing outside no_grad (raises)",),
    ),
    HeldOut(
        _v16(
            "from-pretrained-n-head-from-n-layer",
            "gpt.py",
            '            n_head=hf_config["n_head"],\n',
            '            n_head=hf_config["n_layer"],\n',
            "gpt",
            "from_pretrained reads n_head from config.json's n_layer (an autocomplete slip GPT-2 small hides: both "
            "are 12): a checkpoint with another head count loads into a model with the wrong number of heads",
        ),
        ("from-pretrained: n_head read from n_layer",),
    ),
    HeldOut(
        _v16(
            "residual-init-by-layer-index",
            "gpt.py",
            "        for name, p in self.named_parameters():\n"
            '            if name.endswith("c_proj.weight"):\n'
            "                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))\n",
            "        for i, block in enumerate(self.transformer.h):\n"
            "            std = 0.02 / math.sqrt(2 * (i + 1))  # deeper layers write smaller updates\n"
            "            for proj in (block.attn.c_proj, block.mlp.c_proj):\n"
            "                nn.init.normal_(proj.weight, mean=0.0, std=std)\n",
            "gpt",
            "the residual projections' init scaled per layer by 1/sqrt(2 (i + 1)), the layer's own depth (a "
            "depth-scaled init from other codebases), instead of 1/sqrt(2 n_layer) for all: only the last layer "
            "gets GPT-2's std",
        ),
        ("init: residual std by layer index",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v16(
            "loss-sigmoid-bce",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            onehot = F.one_hot(targets, num_classes=logits.size(-1)).to(logits.dtype)\n"
            "            loss = F.binary_cross_entropy_with_logits(logits, onehot)\n",
            "loss",
            "the next-token loss written as a per-class sigmoid loss (binary cross-entropy against one-hot targets, "
            "averaged over every vocabulary entry) instead of the softmax cross-entropy: another objective",
        ),
        ("loss: sigmoid binary cross-entropy",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v16(
            "block-size-2048",
            "config.py",
            "    block_size: int = 1024  # longest sequence the position table covers\n",
            "    block_size: int = 2048  # longest sequence the position table covers\n",
            "config",
            "block_size defaulted to 2048 (GPT-3's context length) instead of GPT-2's 1024",
        ),
        ("config: block_size 2048",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v16(
            "logits-last-vocab-entry",
            "gpt.py",
            "            logits = logits[:, -1, :]\n",
            "            logits = logits[..., -1]\n",
            "generate",
            "the last position's logits taken as logits[..., -1]: the ellipsis puts the -1 on the vocabulary dim, so "
            "the step samples among positions from each one's last-token score (a token id below T; 0 when cached)",
        ),
        ("generate: logits[..., -1] (last vocab entry, not last position)",),
    ),
    HeldOut(
        _v16(
            "crop-computed-uncropped-fed",
            "gpt.py",
            "                logits, _ = self(idx_cond)\n",
            "                logits, _ = self(idx)\n",
            "generate",
            "the context cropped into idx_cond but the whole idx passed to the model: the crop is computed and "
            "never used, so past block_size the forward pass raises",
        ),
        ("generate: crop not used (uncropped context fed)",),
    ),
    HeldOut(
        _v16(
            "greedy-unsqueezed-on-batch-dim",
            "gpt.py",
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n",
            "                idx_next = logits.argmax(dim=-1).unsqueeze(0)\n",
            "generate",
            "the greedy token made a column with unsqueeze(0) instead of unsqueeze(-1): (1, B) instead of (B, 1), "
            "so torch.cat raises for a batch of more than one prompt (a batch of one works)",
        ),
        ("generate: greedy token unsqueezed on dim 0",),
    ),
    HeldOut(
        _v16(
            "nanogpt-loop-crop-keeps-oldest",
            "gpt.py",
            _V16_GEN_LOOP,
            "        bs = self.config.block_size\n"
            "        for _ in range(max_new_tokens):\n"
            "            idx_cond = idx if idx.size(1) <= bs else idx[:, :bs]\n"
            "            logits, _ = self(idx_cond)\n"
            "            logits = logits[:, -1, :]\n"
            "            if temperature == 0:\n"
            "                idx_next = torch.argmax(logits, dim=-1, keepdim=True)\n"
            "            else:\n"
            "                logits = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    v, _ = torch.topk(logits, min(top_k, logits.size(-1)))\n"
            '                    logits[logits < v[:, [-1]]] = -float("Inf")\n'
            "                probs = F.softmax(logits, dim=-1)\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
            "            idx = torch.cat((idx, idx_next), dim=1)\n"
            "        return idx\n",
            "generate",
            "generate rewritten nanoGPT-style (no cache) with the crop written idx[:, :bs]: past block_size the model "
            "conditions on the oldest block_size tokens, so every later step sees the same context",
        ),
        ("generate: crop keeps the first block_size tokens",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "kv-cat-without-dim",
            "attention.py",
            _V16_KV_APPEND,
            "        if self.k is None or self.v is None:\n"
            "            self.k, self.v = k, v\n"
            "        else:\n"
            "            self.k = torch.cat([self.k, k])\n"
            "            self.v = torch.cat([self.v, v])\n"
            "        if self.k.size(2) > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {self.k.size(2)} requested")\n'
            "        self.length = self.k.size(2)\n"
            "        return self.k, self.v\n",
            "generate",
            "the KV cache rewritten as a growing torch.cat with the dim left out: cat joins along dim 0, the batch, "
            "not dim 2 (time), so the second append raises (or, for a one-token prompt, doubles the batch)",
        ),
        ("kv-cache: cat along the batch dim",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "kv-hand-mask-queries-one-based",
            "attention.py",
            _V16_ATTEND_CACHED,
            "        T, S = q.size(-2), k.size(-2)\n"
            "        q_pos = torch.arange(S - T + 1, S + 1, device=q.device)  # where the new queries sit\n"
            "        k_pos = torch.arange(S, device=q.device)\n"
            "        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))\n"
            '        att = att.masked_fill(k_pos[None, :] > q_pos[:, None], float("-inf"))\n'
            "        return att.softmax(dim=-1) @ v\n",
            "generate",
            "the cached attention written by hand with the new queries numbered S - T + 1 .. S (one-based) instead of "
            "S - T .. S - 1: in the prompt's pass each position also sees the next one, and the leak reaches the "
            "later layers' cached keys",
        ),
        ("kv-cache-mask: sees t+1",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "stale-cache-after-crop",
            "gpt.py",
            _V16_GEN_FEED,
            "        for _ in range(max_new_tokens):\n"
            "            fits = cache is not None and idx.size(1) <= cache_len\n"
            "            # feed what the cache has not seen; past block_size, the last block_size tokens\n"
            "            context = idx[:, cache[0].length :] if fits else idx[:, -self.config.block_size :]\n"
            "            logits = self(context, cache=cache)[0][:, -1, :]\n",
            "generate",
            "the generate loop rewritten with one model call for both paths, the cache passed even once the sequence "
            "has outgrown it: past block_size the cropped context is appended to the stale cache and forward raises",
        ),
        ("generate: stale KV cache used after cropping",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v16(
            "pattern-without-final-whitespace-run",
            "tokenizer.py",
            r'''GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""''',
            r'''GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"""''',
            "tokenizer",
            "GPT-2's pattern typed without its final \\s+ alternative: a whitespace character other than a space "
            "right before a word (the newline in 'a\\nb') matches no alternative, and findall silently drops it",
        ),
        ("pattern: final \\s+ alternative missing (whitespace dropped)",),
    ),
    HeldOut(
        _v16(
            "mergeable-ranks-from-decoder",
            "tokenizer.py",
            "        return dict(self._ranks)\n",
            "        return {b: i for i, b in self._decoder.items()}\n",
            "tokenizer",
            "mergeable_ranks built by inverting the id -> bytes decoder, which holds the special tokens too: "
            "tiktoken's mergeable ranks exclude them, and a tokenizer rebuilt from these takes them for ordinary "
            "tokens",
        ),
        ("mergeable-ranks: include the special tokens",),
    ),
    HeldOut(
        _v16(
            "special-ids-after-requested-merges",
            "tokenizer.py",
            "        self._init(self.pattern, ranks, {s: len(vocab) + k for k, s in enumerate(specials)}, merges)\n",
            "        self._init(self.pattern, ranks, {s: 256 + n_merges + k for k, s in enumerate(specials)}, "
            "merges)\n",
            "tokenizer",
            "the special tokens numbered from 256 + n_merges (the merges asked for) instead of len(vocab) (the merges "
            "learned): when training stops early, every pre-token already one token, their ids leave a gap",
        ),
        ("specials: ids after the requested merges (gap when training stops early)",),
    ),
    HeldOut(
        _v16(
            "stream-hold-max-without-default",
            "tokenizer.py",
            "        hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)\n",
            "        hold = _LOOKAHEAD + max(len(s) for s in self.special_tokens)\n",
            "tokenizer",
            "the streaming hold-back's longest special token taken with max() without default=0: a tokenizer "
            "without special tokens raises ValueError (max() of an empty sequence) on its first streaming encode",
        ),
        ("streaming: raises without special tokens",),
    ),
    HeldOut(
        _v16(
            "stream-tail-encoded-ordinary",
            "tokenizer.py",
            "        yield from self.encode(buf, allowed_special=allowed_special, "
            "disallowed_special=disallowed_special)\n",
            "        yield from self.encode_ordinary(buf)\n",
            "tokenizer",
            "streaming encode flushes the held-back tail with encode_ordinary: an allowed special token in the last "
            "chunk comes out as its plain-text pieces, and a disallowed one there is not rejected",
        ),
        ("streaming: tail encoded ignoring special tokens",),
    ),
    HeldOut(
        _v16(
            "merge-slice-compared-to-tuple",
            "tokenizer.py",
            _V16_MERGE_FN,
            "    merged: list[int] = []\n"
            "    i = 0\n"
            "    while i < len(ids):\n"
            "        if ids[i : i + 2] == pair:\n"
            "            merged.append(new_id)\n"
            "            i += 2\n"
            "        else:\n"
            "            merged.append(ids[i])\n"
            "            i += 1\n"
            "    return merged\n",
            "tokenizer",
            "the training merge rewritten with a slice comparison ids[i : i + 2] == pair, a list against a tuple, "
            "which Python never finds equal: no occurrence is replaced, so the recorded merges never happen in the "
            "words",
        ),
        ("train: merge never matches (list == tuple)",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "save-latin1-load-utf8",
            "tokenizer.py",
            _V16_SAVE_LOAD,
            "    def save(self, path: str | Path) -> None:\n"
            '        """JSON: the pattern, the special tokens and the ranks (each token\'s bytes as latin-1 text)."""\n'
            "        data = {\n"
            '            "format": "gpt2spec-bpe/1",\n'
            '            "pattern": self.pattern,\n'
            '            "special_tokens": self.special_tokens,\n'
            '            "mergeable_ranks": [[token.decode("latin-1"), rank] for token, rank in self._ranks.items()],\n'
            "        }\n"
            '        Path(path).write_text(json.dumps(data) + "\\n", encoding="utf-8")\n'
            "\n"
            "    @classmethod\n"
            "    def load(cls, path: str | Path) -> Tokenizer:\n"
            '        data = json.loads(Path(path).read_text(encoding="utf-8"))\n'
            '        if data.get("format") != "gpt2spec-bpe/1":\n'
            "            raise ValueError(f\"{path}: not a saved Tokenizer (format {data.get('format')!r})\")\n"
            '        ranks = {text.encode("utf-8"): rank for text, rank in data["mergeable_ranks"]}\n'
            '        return cls.from_ranks(ranks, data["pattern"], data["special_tokens"])\n',
            "tokenizer",
            "save writes each token's bytes as latin-1 text (a lossless byte-to-character map) but load encodes them "
            "back with UTF-8: every byte above 0x7f comes back as two bytes, so the byte tokens 128-255 are lost",
        ),
        ("save/load: latin-1 saved, utf-8 loaded",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "merges-recovered-by-first-cut",
            "tokenizer.py",
            _V16_MERGES_BODY,
            "        merges = {}\n"
            "        for token, rank in sorted(self._ranks.items(), key=lambda kv: kv[1]):\n"
            "            if len(token) == 1:\n"
            "                continue\n"
            "            # the first cut whose two halves are both older tokens\n"
            "            for cut in range(1, len(token)):\n"
            "                left, right = token[:cut], token[cut:]\n"
            "                if self._ranks.get(left, rank) < rank and self._ranks.get(right, rank) < rank:\n"
            "                    merges[(self._ranks[left], self._ranks[right])] = rank\n"
            "                    break\n"
            "            else:\n"
            '                raise ValueError(f"rank {rank} ({token!r}) is not the merge of two lower-ranked tokens")\n'
            "        return merges\n",
            "tokenizer",
            "the merges recovered from loaded ranks by the first cut of each token whose halves are both lower-ranked "
            "tokens: a token with several such cuts ('abc' as 'a' + 'bc' or 'ab' + 'c') gets the leftmost, not the "
            "pair BPE merged",
        ),
        ("merges: recovered from the first valid split",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "decode-range-check-off-by-one",
            "tokenizer.py",
            _V16_DECODE_BYTES,
            "        out = bytearray()\n"
            "        for i in ids:\n"
            "            if i < 0 or i > self.vocab_size:\n"
            '                raise ValueError(f"token id {i} is not in the vocabulary (size {self.vocab_size})")\n'
            "            out += self._decoder[i]\n"
            "        return bytes(out)\n",
            "tokenizer",
            "decode's range check written i > vocab_size (for >=): the id vocab_size itself passes the check and the "
            "lookup raises KeyError instead of the contract's ValueError",
        ),
        ("decode: range check off by one (KeyError at vocab_size)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v16(
            "uint16-tensor-viewed-as-int16",
            "data.py",
            "            t = torch.from_numpy(t.numpy().astype(np.int64))\n",
            "            t = t.view(torch.int16)  # same bits, a dtype torch supports\n",
            "data",
            "a uint16 tensor (few torch ops support it) reinterpreted with view(torch.int16) before widening: the "
            "same bits read as signed, so every id from 32768 up (GPT-2's ids run to 50256) turns negative",
        ),
        ("tokens: uint16 viewed as int16 (ids >= 32768 negative)",),
    ),
    HeldOut(
        _v16(
            "state-saved-as-global-batches",
            "data.py",
            '        return {"batches": self.batches}\n',
            '        return {"batches": self.batches * self.world_size}  # batches read by all ranks\n',
            "data",
            "state_dict saves the batches read by all ranks (batches * world_size) while load_state_dict reads it "
            "back as this rank's count: a resumed DDP loader jumps world_size times too far (one process is fine)",
        ),
        ("loader-state: saved as the global batch count",),
    ),
    HeldOut(
        _v16(
            "batch-view-result-discarded",
            "data.py",
            _V16_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        offset = (self.batches * self.world_size + self.rank) * B * T\n"
            "        window = self.tokens[(offset + torch.arange(B * T + 1)) % n]\n"
            "        x, y = window[:-1], window[1:]\n"
            "        x.view(B, T)\n"
            "        y.view(B, T)\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "next_batch rewritten with the reshape as a bare x.view(B, T) statement: view returns a new tensor and "
            "does not reshape x in place, so the batches come back 1-D, (B*T,), not (B, T)",
        ),
        ("loader: view result discarded (1-D batches)",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "position-loader-resume-without-rank",
            "data.py",
            _V16_LOADER_TAIL,
            "        self.pos = rank * B * T  # stream position of this rank's next batch\n"
            "\n"
            "    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:\n"
            "        B, T = self.B, self.T\n"
            "        idx = (self.pos + torch.arange(B * T + 1)) % len(self.tokens)\n"
            "        buf = self.tokens[idx]\n"
            "        self.pos += B * T * self.world_size  # the other ranks read the batches in between\n"
            "        return buf[:-1].view(B, T), buf[1:].view(B, T)\n"
            "\n"
            "    def reset(self) -> None:\n"
            "        self.pos = self.rank * self.B * self.T\n"
            "\n"
            "    # A checkpoint stores the number of batches read, which does not depend on the rank.\n"
            "    def state_dict(self) -> dict[str, int]:\n"
            '        return {"batches": (self.pos - self.rank * self.B * self.T) // '
            "(self.B * self.T * self.world_size)}\n"
            "\n"
            "    def load_state_dict(self, state: dict[str, int]) -> None:\n"
            '        self.pos = int(state["batches"]) * self.B * self.T * self.world_size\n',
            "data",
            "the loader rewritten around a token position (the rank's offset, advanced by B*T*world_size) whose "
            "load_state_dict rebuilds the position from the batch count without the rank's offset: a resumed rank "
            "r > 0 reads rank 0's batches",
        ),
        ("loader-state: resume without the rank offset",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "strided-targets-without-offset",
            "data.py",
            _V16_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        first = (self.batches * self.world_size + self.rank) * B * T\n"
            "        buf = self.tokens[torch.remainder(torch.arange(first, first + B * T + 1), self.tokens.numel())]\n"
            "        x = buf.as_strided((B, T), (T, 1))\n"
            "        y = buf.as_strided((B, T), (T, 1))  # the same rows, one token further on\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "next_batch rewritten with as_strided windows onto the B*T + 1 buffer, the targets' window without its "
            "storage offset of 1: y is the same window as x, so every target is its own input",
        ),
        ("targets: equal to the inputs (no shift)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v16(
            "resume-loader-counter-set-to-dict",
            "training.py",
            '    loader.load_state_dict(state["loader"])\n',
            '    loader.batches = state["loader"]\n',
            "training",
            "load_checkpoint sets the loader's counter to the saved loader state itself (the dict {'batches': n}, "
            "not n): the first next_batch after a resume raises a TypeError",
        ),
        ("checkpoint: loader counter set to the state dict",),
    ),
    HeldOut(
        _v16(
            "params-filtered-by-grad",
            "training.py",
            "    params = [p for p in model.parameters() if p.requires_grad]  "
            "# parameters() yields a tied weight once\n",
            "    params = [p for p in model.parameters() if p.grad is not None]  # the trainable ones\n",
            "training",
            "the trainable parameters picked by 'has a gradient' (p.grad is not None) instead of requires_grad: "
            "before the first backward none has one, so the optimizer's groups are empty and nothing is updated",
        ),
        ("optimizer: params filtered by p.grad (empty groups)",),
    ),
    HeldOut(
        _v16(
            "all-reduce-without-process-group",
            "training.py",
            "    if dist.is_available() and dist.is_initialized():\n",
            "    if dist.is_available():\n",
            "training",
            "the DDP branch guarded by dist.is_available() alone (true in any torch built with distributed support) "
            "instead of is_initialized(): a single process all-reduces without a process group and raises",
        ),
        ("train-step: all_reduce without a process group (raises)",),
    ),
    HeldOut(
        _v16(
            "warmup-one-step-short",
            "training.py",
            "    if step < warmup_steps:\n",
            "    if step < warmup_steps - 1:\n",
            "training",
            "the warmup branch ends one step early: step warmup_steps - 1 falls into the cosine with a negative decay "
            "ratio and gets a little less than max_lr",
        ),
        ("lr-schedule: warmup one step short",),
    ),
    HeldOut(
        _v16(
            "cosine-to-zero-clamped-at-min-lr",
            "training.py",
            _V16_GET_LR,
            "    if step < warmup_steps:\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    progress = min(1.0, (step - warmup_steps) / (max_steps - warmup_steps))\n"
            "    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))\n"
            "    return max(min_lr, max_lr * cosine)  # never below the floor\n",
            "training",
            "the cosine decay written from max_lr to 0 and floored with max(min_lr, ...): the rate follows max_lr * "
            "cosine until it hits min_lr, instead of the cosine between max_lr and min_lr",
        ),
        ("lr-schedule: cosine to 0 clamped at min_lr",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "clip-before-backward",
            "training.py",
            _V16_STEP_BODY,
            "    optimizer.zero_grad(set_to_none=True)\n"
            "    # Clip once for the step, at the norm the caller asked for.\n"
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
            "    n = len(batches)\n"
            "    total = torch.zeros(())\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1\n"
            "        ctx = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else "
            "contextlib.nullcontext()\n"
            "        with ctx:\n"
            "            _, loss = model(x, y)\n"
            "        (loss / n).backward()\n"
            "        total = total.to(loss.device, loss.dtype) + loss.detach() / n\n"
            "    if dist.is_available() and dist.is_initialized():\n"
            "        dist.all_reduce(total, op=dist.ReduceOp.SUM)\n"
            "        total = total / dist.get_world_size()\n"
            "    optimizer.step()\n"
            "    return total, norm\n",
            "training",
            "the clipping call placed right after zero_grad, before the micro-batches' backward: it clips gradients "
            "that do not exist yet (the returned norm is 0) and the step uses the unclipped gradient",
        ),
        ("clip: before backward (nothing clipped)",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "zero-grad-just-before-step",
            "training.py",
            _V16_STEP_BODY,
            "    n = len(batches)\n"
            "    mean_loss = torch.zeros(())\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1\n"
            "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else "
            "contextlib.nullcontext()\n"
            "        with amp:\n"
            "            _, loss = model(x, y)\n"
            "        (loss / n).backward()\n"
            "        mean_loss = mean_loss.to(loss.device, loss.dtype) + loss.detach() / n\n"
            "    if dist.is_available() and dist.is_initialized():\n"
            "        dist.all_reduce(mean_loss, op=dist.ReduceOp.SUM)\n"
            "        mean_loss = mean_loss / dist.get_world_size()\n"
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
            "    optimizer.zero_grad(set_to_none=True)  # a clean slate for the update\n"
            "    optimizer.step()\n"
            "    return mean_loss, norm\n",
            "training",
            "train_step rewritten with zero_grad moved down next to the step, between clipping and optimizer.step(): "
            "the gradient is wiped before the step uses it, so AdamW skips every parameter and the model never trains",
        ),
        ("train-step: zero_grad before the step (no update)",),
        "rewrite",
    ),
    HeldOut(
        _v16(
            "checkpoint-tmp-path-plus-str",
            "training.py",
            _V16_SAVE_STATE,
            "    state = dict(\n"
            "        model=raw.state_dict(),\n"
            "        optimizer=optimizer.state_dict(),\n"
            "        loader=loader.state_dict(),\n"
            "        step=step,\n"
            "        rng={\n"
            '            "torch": torch.get_rng_state(),\n'
            '            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],\n'
            "        },\n"
            "        extra=extra or {},\n"
            "    )\n"
            '    tmp = path + ".tmp"  # write aside, then rename: never a half-written checkpoint\n'
            "    torch.save(state, tmp)\n"
            "    os.replace(tmp, path)\n",
            "training",
            "save_checkpoint rewritten with the temporary file's name made as path + '.tmp': the path may be a "
            "pathlib.Path (the signature takes any PathLike), and Path + str raises a TypeError, so no checkpoint is "
            "written",
        ),
        ("checkpoint: path + str raises for a Path",),
        "rewrite",
    ),
]

V16_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V16}


# ==================================================================== HELDOUT_V17
# A seventeenth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what engineers
# get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch (nanoGPT /
# minbpe style), not from what the tool measures. Half of it is written="rewrite" (the piece written over in
# another engineer's style, one mistake inside); the rest are edits at one place. Each was checked only for
# validity (it materialises and a non-slow spec test of its section fails with the fingerprint off, --tb=no),
# never run through the diagnosis. ``accept`` names the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 56 written, 6
# dropped, 50 kept: attention 6 (2 edits, 4 rewrites), layernorm 4 (2, 2), mlp 3 (2, 1), block 3 (2, 1), gpt 3 (2, 1),
# loss 1 (0, 1), config 1 (1, 0), generate 7 (3, 4), tokenizer 9 (4, 5), data 5 (3, 2), training 8 (4, 4); 25 edits,
# 25 rewrites. Twelve rewrites were also graded with their mistake fixed (all pass): values-permuted-like-keys,
# softmax-max-tuple-not-unpacked, heads-loop-misses-last-head, ln-affine-applied-twice, gelu-cube-as-xor,
# loss-permuted-then-flattened, top-k-mask-slices-rows, merge-skip-flag-never-reset, specials-json-keys-left-strings,
# row-windows-shifted-along-batch, decay-ratio-denominator-unparenthesised, micro-batches-stacked.
# Dropped: one that test_held_out_set_is_new found named like a known bug (the LM head built with a bias); two that
# are no bug here: an explicit causal attn_mask passed to SDPA together with is_causal=True (this torch accepts it and
# gives the same output), and a KV cache concatenating the new keys before the old (attention does not depend on the
# order of the key/value pairs it may all see, and the positions are already in the keys); three that no non-slow
# spec test of their section failed: (1) the causal mask filled with -1e4 (old HF's masked_bias) instead of -inf:
# exp(-1e4) is 0 at the scores the attention tests reach, test_finite_at_extremes included, so only far larger scores
# would show the leak (a possible spec gap); (2) train's default special_tokens written (ENDOFTEXT) without the comma
# (a string, so its characters become the specials): no training test relies on the default (a possible spec gap);
# (3) the disallowed-special check written text.find(s) > 0, which misses a special at position 0: no specials test
# starts its text with a disallowed special token (a possible spec gap). All six replaced by new mistakes.

_V17_SDPA = _V10_SDPA
_V17_MERGE_LINE = "        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side\n"
_V17_HEADS_AND_ATTEND = (  # the heads' split through the cached branch of forward
    "        " + _SPLIT + "\n"
    "        if cache is None:\n"
    "            y = self.attend(q, k, v)\n"
    "        else:  # fast path: KV cache (GPT.generate) — attend to the cached keys/values plus the new ones\n"
    "            y = self.attend_cached(q, *cache.append(k, v))\n"
)
_V17_LN_BODY = _V10_LN_BODY
_V17_MLP_RETURN = _V13_MLP_RETURN
_V17_BLOCK_TAIL = (  # from the MLP's construction to the end of block.py
    "        self.mlp = MLP(config)\n"
    "\n"
    "    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:\n"
    "        # Pre-LN: normalise the *input* of each branch and leave the residual stream\n"
    "        # itself untouched, so gradients flow straight from the loss to the embeddings.\n" + _V10_BLOCK_FORWARD
)
_V17_FROM_HF_BODY = (
    "        model = cls(config)\n"
    "        ours = model.state_dict()\n"
    "        for key, tensor in state_dict.items():\n"
    "            if key.endswith(_HF_BUFFER_SUFFIXES):\n"
    "                continue\n"
    '            name = key if key.startswith(("transformer.", "lm_head.")) else f"transformer.{key}"\n'
    "            if name not in ours:\n"
    '                raise KeyError(f"unexpected key in HF state dict: {key!r}")\n'
    "            if name.endswith(_CONV1D_SUFFIXES):\n"
    "                tensor = tensor.t()\n"
    "            target = ours[name]\n"
    "            if name in _VOCAB_ROWS:  # fast path: vocab padding — HF's rows fill the top; padded rows stay 0\n"
    "                target = target[: config.vocab_size]\n"
    "            if tensor.shape != target.shape:\n"
    '                raise ValueError(f"{key}: shape {tuple(tensor.shape)} != expected {tuple(target.shape)}")\n'
    "            with torch.no_grad():\n"
    "                target.copy_(tensor)\n"
    "        return model\n"
)
_V17_SAMPLE = _V15_SAMPLE
_V17_DECIDE = (  # from the greedy check to the sampled token
    "            if temperature == 0:\n"
    "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
    "            else:\n" + _V15_SAMPLE
)
_V17_KV_APPEND_BODY = (
    "        start, end = self.length, self.length + k.size(2)\n"
    "        if end > self.max_len:\n"
    '            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")\n'
    "        if self.k is None or self.v is None:  # allocate lazily: k's dtype may be bf16 under autocast\n"
    "            B, nh, _, hd = k.shape\n"
    "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n"
    "            self.v = v.new_zeros(B, nh, self.max_len, hd)\n"
    "        self.k[:, :, start:end] = k\n"
    "        self.v[:, :, start:end] = v\n"
    "        self.length = end\n"
    "        return self.k[:, :, :end], self.v[:, :, :end]\n"
)
_V17_MERGE_FN = _V11_MERGE_BODY
_V17_ALLOWED_BODY = (
    '        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)\n'
    '        disallowed = set(self.special_tokens) - allowed if disallowed_special == "all" else '
    "set(disallowed_special)\n"
    "        if disallowed and (m := self._special_regex(disallowed).search(text)):\n"
    "            raise ValueError(\n"
    '                f"text contains the special token {m.group()!r}, which is disallowed. Pass "\n'
    "                f\"allowed_special={{{m.group()!r}}} (or 'all') to encode it as a special token, or \"\n"
    '                f"disallowed_special=() to encode it as plain text."\n'
    "            )\n"
    "        return allowed\n"
)
_V17_DECODE_BYTES = _V16_DECODE_BYTES
_V17_SAVE_LOAD = _V16_SAVE_LOAD
_V17_ENCODE_ORDINARY_BODY = (
    "        ids: list[int] = []\n"
    "        cache = self._cache  # looked up inline: this loop is most of encode's time\n"
    "        for piece in self._pieces(text):\n"
    "            piece_ids = cache.get(piece)\n"
    "            ids.extend(piece_ids if piece_ids is not None else self._encode_piece(piece))\n"
    "        return ids\n"
)
_V17_NEXT_BATCH = _V10_NEXT_BATCH
_V17_GROUPS = (
    '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n'
    '        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},\n'
)
_V17_GET_LR = _V10_GET_LR
_V17_STEP_LOOP = _V12_STEP_LOOP
_V17_LOAD_BODY = _V15_LOAD_BODY

_v17 = partial(_in_set, 17)


HELDOUT_V17: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v17(
            "qkv-upcast-to-float32",
            "attention.py",
            "            y = self.attend(q, k, v)\n",
            "            y = self.attend(q.float(), k.float(), v.float())  # softmax in fp32 for stability\n",
            "attention",
            "q, k and v upcast with .float() before attending, the mixed-precision habit: for a float64 model that "
            "is a downcast, and the float32 output then meets c_proj's float64 weight, so the forward raises",
        ),
        ("attention: q, k, v cast to float32",),
    ),
    HeldOut(
        _v17(
            "merged-heads-divided-by-n-head",
            "attention.py",
            _V17_MERGE_LINE,
            "        y = y.transpose(1, 2).contiguous().view(B, T, C) / self.n_head  # average the heads\n",
            "attention",
            "the heads' outputs averaged when merged, as if multi-head attention were an ensemble: GPT-2 only "
            "concatenates them, so the attention output reaching c_proj is n_head times too small",
        ),
        ("attention: output divided by n_head",),
    ),
    HeldOut(
        _v17(
            "values-permuted-like-keys",
            "attention.py",
            _V17_HEADS_AND_ATTEND,
            "        hd = C // self.n_head\n"
            "        q = q.view(B, T, self.n_head, hd).permute(0, 2, 1, 3)  # (B, nh, T, hd)\n"
            "        k = k.view(B, T, self.n_head, hd).permute(0, 2, 3, 1)  # (B, nh, hd, T): k^T, ready for q @ k\n"
            "        v = v.view(B, T, self.n_head, hd).permute(0, 2, 3, 1)\n"
            "        if cache is None:\n"
            "            att = (q @ k) / math.sqrt(hd)\n"
            "            future = torch.ones(T, T, dtype=torch.bool, device=x.device).triu(1)\n"
            '            att = att.masked_fill(future, float("-inf")).softmax(dim=-1)\n'
            "            y = att @ v\n"
            "        else:  # the cache stores keys as (B, nh, T, hd)\n"
            "            y = self.attend_cached(q, *cache.append(k.transpose(-2, -1), v))\n",
            "attention",
            "attention by hand with the keys permuted straight to (B, nh, hd, T) so that q @ k needs no transpose, "
            "and the values' line copied from the keys' with the same permute: att @ v multiplies (T, T) by "
            "(hd, T), which raises unless T equals head_dim (and is wrong then)",
        ),
        ("attention: values permuted like the keys (hd, T)",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "softmax-max-tuple-not-unpacked",
            "attention.py",
            _V17_SDPA,
            '        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.shape[-1])\n'
            "        n = scores.shape[-1]\n"
            "        future = torch.ones(n, n, dtype=torch.bool, device=q.device).triu(1)\n"
            '        scores = scores.masked_fill(future, float("-inf"))\n'
            "        scores = scores - scores.max(dim=-1, keepdim=True)  # subtract the row max: a stable softmax\n"
            "        p = scores.exp()\n"
            "        p = p / p.sum(dim=-1, keepdim=True)\n"
            '        return torch.einsum("bhqk,bhkd->bhqd", p, v)\n',
            "attention",
            "a numerically stable softmax written out with einsum, subtracting scores.max(dim=-1, keepdim=True): "
            "with a dim, Tensor.max returns a (values, indices) pair, not a tensor, so the subtraction raises "
            "(.values or amax was meant)",
        ),
        ("attention-softmax: max() pair subtracted (raises)",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "qkv-weight-chunked-along-inputs",
            "attention.py",
            "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n",
            "        w_q, w_k, w_v = self.c_attn.weight.chunk(3, dim=1)  # HF's Conv1D keeps [q | k | v] along dim 1\n"
            "        b_q, b_k, b_v = self.c_attn.bias.chunk(3)\n"
            "        q, k, v = F.linear(x, w_q, b_q), F.linear(x, w_k, b_k), F.linear(x, w_v, b_v)\n",
            "attention",
            "q, k and v made with three F.linear calls on thirds of c_attn's weight, chunked along dim 1 as in HF's "
            "Conv1D (in, out) layout: nn.Linear's weight is (out, in), so the thirds are (3C, C/3) slices of the "
            "inputs and F.linear raises; chunk(3, dim=0) was meant",
        ),
        ("attention: c_attn weight split along its inputs",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "heads-loop-misses-last-head",
            "attention.py",
            _V17_HEADS_AND_ATTEND,
            "        hd = C // self.n_head\n"
            "        if cache is None:\n"
            "            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()\n"
            "            outs = []\n"
            "            for h in range(self.n_head - 1):\n"
            "                cols = slice(h * hd, (h + 1) * hd)\n"
            "                att = (q[..., cols] @ k[..., cols].transpose(-2, -1)) / math.sqrt(hd)\n"
            '                att = att.masked_fill(~causal, float("-inf")).softmax(dim=-1)\n'
            "                outs.append(att @ v[..., cols])\n"
            "            y = torch.cat(outs, dim=-1)\n"
            "            return self.c_proj(y)\n"
            "        q, k, v = (t.view(B, T, self.n_head, hd).transpose(1, 2) for t in (q, k, v))\n"
            "        y = self.attend_cached(q, *cache.append(k, v))\n",
            "attention",
            "attention written as a loop over heads on column slices of q, k, v, with range(n_head - 1): the last "
            "head is never computed, so the concatenated output is head_dim columns short and c_proj raises",
        ),
        ("attention: heads loop skips the last head",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v17(
            "ln-scalar-gain",
            "layernorm.py",
            "        self.weight = nn.Parameter(torch.ones(ndim))\n",
            "        self.weight = nn.Parameter(torch.tensor(1.0))  # one gain for the whole vector\n",
            "layernorm",
            "the gain made a single scalar parameter instead of one per feature: every channel is scaled alike, "
            "and GPT-2's (n_embd,) ln weights cannot load into it",
        ),
        ("layernorm: one scalar gain",),
    ),
    HeldOut(
        _v17(
            "ln-eps-as-parameter",
            "layernorm.py",
            "        self.eps = eps\n",
            "        self.eps = nn.Parameter(torch.tensor(eps))\n",
            "layernorm",
            "eps wrapped in nn.Parameter: it becomes a third, trainable LayerNorm parameter that HF's state dict "
            "does not have, the optimizer moves it (even below zero), and the parameter count is off",
        ),
        ("layernorm: eps a trainable parameter",),
    ),
    HeldOut(
        _v17(
            "ln-computed-in-float32",
            "layernorm.py",
            _V17_LN_BODY,
            "        xf = x.float()  # statistics in float32, as mixed-precision code does\n"
            "        mu = xf.mean(-1, keepdim=True)\n"
            "        sigma2 = (xf - mu).square().mean(-1, keepdim=True)\n"
            "        y = (xf - mu) / torch.sqrt(sigma2 + self.eps)\n"
            "        return (y * self.weight.float() + self.bias.float()).to(x.dtype)\n",
            "layernorm",
            "LayerNorm rewritten with the mixed-precision habit of upcasting with x.float(): for a float64 input "
            "that is a downcast, so the statistics and the output carry float32 rounding (about 1e-7) in float64",
        ),
        ("layernorm: computed in float32",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "ln-affine-applied-twice",
            "layernorm.py",
            _V17_LN_BODY,
            "        normed = torch.nn.functional.layer_norm(x, self.weight.shape, self.weight, "
            "self.bias, eps=self.eps)\n"
            "        return normed * self.weight + self.bias\n",
            "layernorm",
            "LayerNorm via F.layer_norm with the gain and bias passed in, and then applied again by hand: the "
            "output is (x_hat * w + b) * w + b",
        ),
        ("layernorm: gain and bias applied twice",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v17(
            "c-fc-conv1d-order",
            "mlp.py",
            "        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)\n",
            "        self.c_fc = nn.Linear(4 * config.n_embd, config.n_embd)  # HF: Conv1D(nf=4 * n_embd, nx=n_embd)\n",
            "mlp",
            "c_fc's sizes copied from HF's Conv1D(nf, nx) call, whose first argument is the output size: "
            "nn.Linear takes (in, out), so c_fc expects 4 * n_embd inputs and the MLP raises on an n_embd input",
        ),
        ("mlp: c_fc in/out swapped (Conv1D order)",),
    ),
    HeldOut(
        _v17(
            "gelu-approximate-capitalised",
            "mlp.py",
            _V17_MLP_RETURN,
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="Tanh"))\n',
            "mlp",
            "F.gelu's approximate given as 'Tanh': only 'none' and 'tanh' are accepted, so every forward raises",
        ),
        ("gelu: approximate='Tanh' (raises)",),
    ),
    HeldOut(
        _v17(
            "gelu-cube-as-xor",
            "mlp.py",
            _V17_MLP_RETURN,
            "        h = self.c_fc(x)\n"
            "        inner = (2.0 / torch.pi) ** 0.5 * (h + 0.044715 * h ^ 3)\n"
            "        return self.c_proj(0.5 * h * (1.0 + torch.tanh(inner)))\n",
            "mlp",
            "the tanh GELU written out with the cube typed h ^ 3, as in the paper's notation: in Python ^ is "
            "bitwise xor (and binds looser than *), which a float tensor does not support, so the MLP raises",
        ),
        ("gelu: h ^ 3 (xor) for the cube (raises)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v17(
            "block-returns-before-mlp",
            "block.py",
            "        x = x + self.attn(self.ln_1(x), cache)\n",
            "        x = x + self.attn(self.ln_1(x), cache)\n        return x  # (left from checking "
            "the attention branch alone)\n",
            "block",
            "a return left after the attention residual from debugging that branch alone: the MLP branch never "
            "runs, so the block is attention only",
        ),
        ("block: returns before the MLP",),
    ),
    HeldOut(
        _v17(
            "block-ln-2-built-in-forward",
            "block.py",
            "        x = x + self.mlp(self.ln_2(x))\n",
            "        x = x + self.mlp(LayerNorm(x.size(-1)).to(x)(x))\n",
            "block",
            "the MLP branch normalised by a LayerNorm constructed inside forward (code moved from a notebook) "
            "instead of self.ln_2: a fresh (1, 0) affine every call, so ln_2's loaded weights are never used and "
            "never train",
        ),
        ("block: ln_2 built fresh in forward (weights unused)",),
    ),
    HeldOut(
        _v17(
            "block-layer-scale-added",
            "block.py",
            _V17_BLOCK_TAIL,
            "        self.mlp = MLP(config)\n"
            "        # layer scale (CaiT): each branch's output times a learned per-channel factor, small at init\n"
            "        self.gamma_1 = nn.Parameter(torch.full((config.n_embd,), 1e-4))\n"
            "        self.gamma_2 = nn.Parameter(torch.full((config.n_embd,), 1e-4))\n"
            "\n"
            "    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:\n"
            "        x = x + self.gamma_1 * self.attn(self.ln_1(x), cache)\n"
            "        x = x + self.gamma_2 * self.mlp(self.ln_2(x))\n"
            "        return x\n",
            "block",
            "the block written with layer scale from a vision transformer recipe: both branches are multiplied by "
            "a per-channel gain initialised to 1e-4 that GPT-2 does not have, so with GPT-2's weights the blocks "
            "barely change the stream (and two parameters HF cannot fill are added)",
        ),
        ("block: layer scale on the branches (1e-4)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v17(
            "wpe-unsqueezed-on-dim-1",
            "gpt.py",
            "        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B,T,C) + (T,C) broadcast\n",
            "        x = self.transformer.wte(idx) + self.transformer.wpe(pos).unsqueeze(1)  # add a batch dim\n",
            "gpt",
            "the position embeddings given a batch dimension with unsqueeze(1) instead of unsqueeze(0): (T, 1, C) "
            "lines T up with the batch and broadcasts over time, so the forward raises unless B or T is 1 (and "
            "with B == T each sequence gets one position's embedding)",
        ),
        ("positions: wpe unsqueezed on dim 1",),
    ),
    HeldOut(
        _v17(
            "from-pretrained-vocab-hardcoded",
            "gpt.py",
            '            vocab_size=hf_config["vocab_size"],\n',
            "            vocab_size=50257,  # GPT-2's vocabulary\n",
            "gpt",
            "from_pretrained builds its config with GPT-2's vocabulary size typed in instead of read from "
            "config.json: any checkpoint with another vocabulary (a small test model, a fine-tune with added "
            "tokens) fails to load with a shape mismatch",
        ),
        ("from_pretrained: vocab_size hard-coded 50257",),
    ),
    HeldOut(
        _v17(
            "from-hf-transpose-when-shape-differs",
            "gpt.py",
            _V17_FROM_HF_BODY,
            "        model = cls(config)\n"
            "        own = model.state_dict()\n"
            "        with torch.no_grad():\n"
            "            for key, w in state_dict.items():\n"
            "                if key.endswith(_HF_BUFFER_SUFFIXES):\n"
            "                    continue\n"
            '                name = key if key.startswith(("transformer.", "lm_head.")) else "transformer." + key\n'
            "                if name not in own:\n"
            '                    raise KeyError(f"unexpected key in HF state dict: {key!r}")\n'
            "                dst = own[name][: config.vocab_size] if name in _VOCAB_ROWS else own[name]\n"
            "                if w.dim() == 2 and w.shape != dst.shape:\n"
            "                    w = w.t()  # Conv1D stores (in, out): transpose what does not fit\n"
            "                if w.shape != dst.shape:\n"
            '                    raise ValueError(f"{key}: shape {tuple(w.shape)} != expected {tuple(dst.shape)}")\n'
            "                dst.copy_(w)\n"
            "        return model\n",
            "gpt",
            "the HF loader rewritten to transpose a 2-D weight when its shape does not fit, instead of by name: "
            "attn.c_proj's (n_embd, n_embd) weight fits either way, so it is loaded untransposed",
        ),
        ("from_hf: square Conv1D weight not transposed",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v17(
            "loss-permuted-then-flattened",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            scores = logits.permute(0, 2, 1)  # cross_entropy wants the classes in dim 1\n"
            "            loss = F.cross_entropy(scores.reshape(-1, scores.size(1)), targets.reshape(-1))\n",
            "loss",
            "the logits moved to (B, V, T) for cross_entropy's class dim and then flattened anyway: reshaping the "
            "permuted tensor to (B*T, V) scrambles vocabulary and time, so each row scores a mix of positions",
        ),
        ("loss: logits permuted then flattened",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v17(
            "config-n-head-16",
            "config.py",
            "    n_head: int = 12\n",
            "    n_head: int = 16\n",
            "config",
            "the default head count typed as 16 (GPT-2 medium's) for GPT-2 small: 768 still divides, so nothing "
            "fails, but the heads are 48 wide instead of 64 and the 124M weights compute another attention",
        ),
        ("config: n_head 16",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v17(
            "last-logits-keeping-time",
            "gpt.py",
            "            logits = logits[:, -1, :]\n",
            "            logits = logits[:, -1:, :]\n",
            "generate",
            "the last position's logits sliced with -1: instead of -1, keeping the time dimension: the logits are "
            "(B, 1, V), so the sampled or argmax token is (B, 1, 1) and concatenating it to idx raises",
        ),
        ("generate: last logits kept 3-D (raises)",),
    ),
    HeldOut(
        _v17(
            "kv-cache-ellipsis-slices-head-dim",
            "attention.py",
            "        self.k[:, :, start:end] = k\n        self.v[:, :, start:end] = v\n",
            "        self.k[..., start:end] = k\n        self.v[..., start:end] = v\n",
            "generate",
            "the cache written as self.k[..., start:end]: the ellipsis leaves the slice on the last dimension "
            "(head_dim), not on time, so the assignment does not fit and cached generation raises",
        ),
        ("kv-cache: written along head_dim",),
    ),
    HeldOut(
        _v17(
            "return-inside-loop",
            "gpt.py",
            "            idx = torch.cat((idx, idx_next), dim=1)\n        return idx\n",
            "            idx = torch.cat((idx, idx_next), dim=1)\n            return idx\n",
            "generate",
            "the return indented into the sampling loop: generate returns after the first new token whatever "
            "max_new_tokens is",
        ),
        ("generate: returns after one token",),
    ),
    HeldOut(
        _v17(
            "gumbel-noise-divided-by-temperature",
            "gpt.py",
            _V17_SAMPLE,
            "                if top_k is not None:\n"
            "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
            '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
            "                # Gumbel-max: argmax(logits + Gumbel noise) is a sample from softmax(logits)\n"
            "                u = torch.rand(logits.shape, generator=generator).to(logits.device).clamp_(min=1e-20)\n"
            "                gumbel = -torch.log(-torch.log(u))\n"
            "                idx_next = ((logits + gumbel) / temperature).argmax(dim=-1, keepdim=True)\n",
            "generate",
            "sampling rewritten as the Gumbel-max trick with the temperature applied after the noise is added: "
            "argmax((logits + g) / T) is argmax(logits + g), so every temperature samples from softmax(logits)",
        ),
        ("sampling: temperature applied after the Gumbel noise",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "top-k-mask-slices-rows",
            "gpt.py",
            _V17_SAMPLE,
            "                logits = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    ranked, order = torch.sort(logits, dim=-1, descending=True)\n"
            '                    ranked[top_k:] = float("-inf")  # keep the k best\n'
            "                    pick = torch.multinomial(F.softmax(ranked, dim=-1), 1, generator=generator)\n"
            "                    idx_next = torch.gather(order, -1, pick)\n"
            "                else:\n"
            "                    idx_next = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)\n",
            "generate",
            "top-k over the sorted logits with the cut written ranked[top_k:] instead of ranked[:, top_k:]: it "
            "masks batch rows from k on, not the vocabulary past the k-th, so a single prompt samples from every token",
        ),
        ("top-k: cut slices rows (ranked[top_k:])",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "greedy-after-temperature-division",
            "gpt.py",
            _V17_DECIDE,
            "            logits = logits / temperature\n"
            "            if top_k is not None:\n"
            "                kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
            '                logits = logits.masked_fill(logits < kth, float("-inf"))\n'
            "            if temperature == 0:\n"
            "                idx_next = torch.argmax(logits, dim=-1, keepdim=True)\n"
            "            else:\n"
            "                idx_next = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)\n",
            "generate",
            "the temperature division hoisted above the greedy check: at temperature 0 the logits are divided by "
            "zero first (every positive logit becomes inf, zero NaN), so argmax picks the first inf or a NaN, "
            "not the most likely token",
        ),
        ("greedy: logits divided by temperature 0 first",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "top-k-scatter-along-batch",
            "gpt.py",
            _V17_SAMPLE,
            "                logits = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    best, where = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1)\n"
            '                    logits = torch.full_like(logits, float("-inf")).scatter(0, where, best)\n'
            "                probs = F.softmax(logits, dim=-1)\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "generate",
            "top-k rebuilt by scattering the k best logits into a row of -inf, with scatter's dim given as 0: the "
            "token indices are used as batch rows, so it raises (index out of range) instead of keeping k tokens",
        ),
        ("top-k: scattered along the batch dim (raises)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v17(
            "special-id-hardcoded-50256",
            "tokenizer.py",
            "        self._init(self.pattern, ranks, {s: len(vocab) + k for k, s in enumerate(specials)}, merges)\n",
            "        self._init(self.pattern, ranks, {s: 50256 + k for k, s in enumerate(specials)}, merges)\n",
            "tokenizer",
            "train gives the special tokens ids from 50256 (GPT-2's <|endoftext|>) instead of right after the "
            "merges: a small trained vocabulary gets ids far past its size and a gap of unused ids",
        ),
        ("special tokens: ids hard-coded from 50256",),
    ),
    HeldOut(
        _v17(
            "allowed-default-all",
            "tokenizer.py",
            "        self, text: str, *, allowed_special: AllowedSpecial = frozenset(), "
            'disallowed_special: AllowedSpecial = "all"\n'
            "    ) -> list[int]:\n",
            '        self, text: str, *, allowed_special: AllowedSpecial = "all", '
            'disallowed_special: AllowedSpecial = "all"\n'
            "    ) -> list[int]:\n",
            "tokenizer",
            "encode's allowed_special defaulting to 'all': a special token's text inside ordinary input becomes the "
            "special id by default instead of raising, the injection tiktoken's default guards against",
        ),
        ("encode: allowed_special defaults to 'all'",),
    ),
    HeldOut(
        _v17(
            "one-merge-too-many",
            "tokenizer.py",
            "        while len(merges) < n_merges and heap:\n",
            "        while len(merges) <= n_merges and heap:\n",
            "tokenizer",
            "the training loop's bound written <= n_merges: it learns one merge more than the vocabulary has room "
            "for, so the special tokens' ids shift up by one and the vocabulary is one too large",
        ),
        ("train: one merge too many",),
    ),
    HeldOut(
        _v17(
            "words-from-set-freqs-misaligned",
            "tokenizer.py",
            '        words = [list(piece.encode("utf-8")) for piece in counts]\n',
            '        words = [list(piece.encode("utf-8")) for piece in set(counts)]\n',
            "tokenizer",
            "the distinct pre-tokens taken through set(counts) while their counts come from counts.values(): the "
            "set's order is not the dict's, so each word is weighted by another word's count",
        ),
        ("train: words and counts misaligned (set order)",),
    ),
    HeldOut(
        _v17(
            "pieces-as-match-objects",
            "tokenizer.py",
            _V17_ENCODE_ORDINARY_BODY,
            "        out: list[int] = []\n"
            "        for piece in self._compiled.finditer(text):\n"
            "            out += self._encode_piece(piece)\n"
            "        return out\n",
            "tokenizer",
            "encode_ordinary rewritten with finditer instead of findall: each piece is a regex Match, not a str, "
            "so the cache lookup misses and encoding it (piece.encode) raises",
        ),
        ("encode: Match objects encoded as pieces (raises)",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "merge-skip-flag-never-reset",
            "tokenizer.py",
            _V17_MERGE_FN,
            "    out: list[int] = []\n"
            "    skip = False\n"
            "    for i, tok in enumerate(ids):\n"
            "        if skip:\n"
            "            continue\n"
            "        if i + 1 < len(ids) and (tok, ids[i + 1]) == pair:\n"
            "            out.append(new_id)\n"
            "            skip = True\n"
            "        else:\n"
            "            out.append(tok)\n"
            "    return out\n",
            "tokenizer",
            "the pair merge rewritten as a for loop with a skip flag that is set after a merge but never cleared: "
            "everything after the first merged pair of a word is dropped",
        ),
        ("merge: skip flag never reset (drops the rest)",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "from-ranks-checks-ints-against-bytes",
            "tokenizer.py",
            "        missing = [b for b in range(256) if bytes([b]) not in mergeable_ranks]\n"
            "        if missing:\n"
            '            raise ValueError(f"the ranks lack {len(missing)} single-byte tokens, e.g. '
            '{bytes([missing[0]])!r}")\n'
            "        tok = cls.__new__(cls)\n"
            "        tok._init(pattern, dict(mergeable_ranks), dict(special_tokens or {}), None)\n",
            "        ranks = dict(mergeable_ranks)\n"
            "        absent = set(range(256)) - set(ranks)  # every byte needs its own token\n"
            "        if absent:\n"
            '            raise ValueError(f"the ranks lack {len(absent)} single-byte tokens, e.g. {min(absent)!r}")\n'
            "        tok = cls.__new__(cls)\n"
            "        tok._init(pattern, ranks, dict(special_tokens or {}), None)\n",
            "tokenizer",
            "from_ranks' single-byte check rewritten with sets, comparing the byte values 0..255 (ints) with the "
            "ranks' keys (bytes): no int is ever a key, so every vocabulary is rejected as lacking all 256 bytes",
        ),
        ("from_ranks: byte check compares ints with bytes (raises)",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "decode-unknown-ids-dropped",
            "tokenizer.py",
            _V17_DECODE_BYTES,
            "        out = bytearray()\n"
            "        for i in ids:\n"
            '            out += self._decoder.get(i, b"")  # an id we do not know adds nothing\n'
            "        return bytes(out)\n",
            "tokenizer",
            "decode_bytes rewritten with dict.get(i, b''): an id outside the vocabulary silently decodes to "
            "nothing instead of raising ValueError",
        ),
        ("decode: unknown ids dropped silently",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "specials-json-keys-left-strings",
            "tokenizer.py",
            _V17_SAVE_LOAD,
            "    def save(self, path: str | Path) -> None:\n"
            '        """JSON: the pattern, the special tokens and the ranks (token bytes in base64, as tiktoken)."""\n'
            "        data = {\n"
            '            "format": "gpt2spec-bpe/1",\n'
            '            "pattern": self.pattern,\n'
            '            "special_tokens": {i: s for s, i in self.special_tokens.items()},  # id -> '
            "text, like the vocab\n"
            '            "mergeable_ranks": [[base64.b64encode(b).decode("ascii"), i] for b, i in '
            "self._ranks.items()],\n"
            "        }\n"
            '        Path(path).write_text(json.dumps(data, ensure_ascii=False) + "\\n", encoding="utf-8")\n'
            "\n"
            "    @classmethod\n"
            "    def load(cls, path: str | Path) -> Tokenizer:\n"
            '        data = json.loads(Path(path).read_text(encoding="utf-8"))\n'
            '        if data.get("format") != "gpt2spec-bpe/1":\n'
            "            raise ValueError(f\"{path}: not a saved Tokenizer (format {data.get('format')!r})\")\n"
            '        ranks = {base64.b64decode(b): i for b, i in data["mergeable_ranks"]}\n'
            '        specials = {s: i for i, s in data["special_tokens"].items()}\n'
            '        return cls.from_ranks(ranks, data["pattern"], specials)\n',
            "tokenizer",
            "save/load rewritten with the special tokens stored id -> text: JSON turns the integer keys into "
            "strings and load inverts the dict without int(), so a loaded tokenizer's special ids are strings "
            "('300', not 300)",
        ),
        ("load: special ids read back as strings (JSON keys)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v17(
            "arange-end-without-start",
            "data.py",
            "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n",
            "        positions = torch.arange(start, B * T + 1) % len(self.tokens)\n",
            "data",
            "the positions written as arange(start, B*T + 1): the end is not offset by start, so only the first "
            "batch is whole; later batches get B*T + 1 - start positions (or none) and the view raises",
        ),
        ("loader: arange end not offset by start",),
    ),
    HeldOut(
        _v17(
            "rank-inside-stride-parens",
            "data.py",
            "        start = (self.batches * self.world_size + self.rank) * B * T\n",
            "        start = self.batches * (self.world_size + self.rank) * B * T\n",
            "data",
            "the rank put inside the stride's parentheses: start = batches * (W + rank) * B*T, so every rank "
            "reads batch 0 from position 0 and later batches at rank-dependent strides that overlap",
        ),
        ("loader: start batches * (W + rank)",),
    ),
    HeldOut(
        _v17(
            "targets-slice-end-one-short",
            "data.py",
            "        y = buf[1:].view(B, T)  # targets: the next token of each input\n",
            "        y = buf[1 : B * T].view(B, T)  # targets: the next token of each input\n",
            "data",
            "the targets sliced buf[1 : B*T] with the end copied from the inputs' slice: one token short of "
            "B*T, so the view raises on every batch",
        ),
        ("loader: targets slice one short",),
    ),
    HeldOut(
        _v17(
            "roll-then-slice-short-data",
            "data.py",
            _V17_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = B * T\n"
            "        offset = (self.batches * self.world_size + self.rank) * n % len(self.tokens)\n"
            "        window = torch.roll(self.tokens, -offset)[: n + 1]  # the stream from offset "
            "on, wrapped at the end\n"
            "        self.batches += 1\n"
            "        return window[:-1].reshape(B, T).clone(), window[1:].reshape(B, T).clone()\n",
            "data",
            "next_batch rewritten as roll the data so the batch starts at 0, then take B*T + 1 tokens: the roll "
            "wraps once, so data shorter than B*T + 1 tokens gives a short window and the reshape raises",
        ),
        ("loader: data shorter than a batch (roll wraps once)",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "row-windows-shifted-along-batch",
            "data.py",
            _V17_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        first = (self.batches * self.world_size + self.rank) * B * T\n"
            "        row_starts = first + T * torch.arange(B)\n"
            "        windows = self.tokens[(row_starts[:, None] + torch.arange(T + 1)) % n]  # (B, T + 1)\n"
            "        x, y = windows[:-1], windows[1:]\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "each row built as a window of T + 1 tokens, then x, y = windows[:-1], windows[1:] (the 1-D idiom) "
            "on the 2-D windows: that drops a row instead of a column, so x and y are (B - 1, T + 1) and y is the "
            "next row, not the next token",
        ),
        ("loader: shift applied along the batch dim",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v17(
            "decay-split-by-numel",
            "training.py",
            _V17_GROUPS,
            '        {"params": [p for p in params if p.numel() >= 2], "weight_decay": weight_decay},\n'
            '        {"params": [p for p in params if p.numel() < 2], "weight_decay": 0.0},\n',
            "training",
            "the weight-decay groups split by numel() instead of dim(): every bias and LayerNorm gain has more "
            "than one element, so they are all decayed and the no-decay group is empty",
        ),
        ("weight decay: split by numel (biases decayed)",),
    ),
    HeldOut(
        _v17(
            "accumulation-divides-by-tuple-length",
            "training.py",
            "    n = len(batches)\n",
            "    n = len(batches[0])\n",
            "training",
            "the number of micro-batches taken as len(batches[0]), the length of one (x, y) pair: each loss is "
            "divided by 2 whatever the accumulation, so gradients and the reported loss are off by n / 2",
        ),
        ("accumulation: divides by len(batches[0]) = 2",),
    ),
    HeldOut(
        _v17(
            "rng-saved-as-initial-seed",
            "training.py",
            '            "torch": torch.get_rng_state(),\n',
            '            "torch": torch.initial_seed(),\n',
            "training",
            "the checkpoint stores torch.initial_seed() as the RNG state: a seed is not the generator's position, "
            "and load's set_rng_state(state.cpu()) cannot take an int, so resuming raises",
        ),
        ("checkpoint: RNG saved as the initial seed",),
    ),
    HeldOut(
        _v17(
            "train-step-loss-from-index-0",
            "training.py",
            "            _, loss = model(x, y)\n",
            "            loss = model(x, y)[0]\n",
            "training",
            "the loss taken as model(x, y)[0]: the model returns (logits, loss), so the logits are divided, "
            "accumulated and backpropagated as the loss, and backward on a non-scalar raises",
        ),
        ("train_step: logits taken as the loss",),
    ),
    HeldOut(
        _v17(
            "decay-ratio-denominator-unparenthesised",
            "training.py",
            _V17_GET_LR,
            "    if step < warmup_steps:\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    if step >= max_steps:\n"
            "        return min_lr\n"
            "    progress = (step - warmup_steps) / max_steps - warmup_steps\n"
            "    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))\n",
            "training",
            "the schedule rewritten with the decay progress as (step - warmup) / max_steps - warmup: without "
            "parentheses around the denominator the progress is shifted by -warmup_steps, so the cosine part "
            "oscillates instead of decaying from max_lr to min_lr",
        ),
        ("lr: decay ratio denominator without parentheses",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "micro-batches-stacked",
            "training.py",
            _V17_STEP_LOOP,
            "    x = torch.stack([xb for xb, _ in batches])  # one forward pass over every micro-batch\n"
            "    y = torch.stack([yb for _, yb in batches])\n"
            "    amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else "
            "contextlib.nullcontext()\n"
            "    with amp:\n"
            "        _, loss = model(x, y)\n"
            "    loss.backward()\n"
            "    loss_accum = loss.detach()\n"
            "    if dist.is_available() and dist.is_initialized():\n"
            "        dist.all_reduce(loss_accum, op=dist.ReduceOp.SUM)\n"
            "        loss_accum = loss_accum / dist.get_world_size()\n"
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
            "training",
            "train_step rewritten as one forward pass over all the micro-batches joined with torch.stack instead "
            "of torch.cat: the input is (n, B, T), not (n*B, T), so the model reads B as the sequence length and "
            "raises (or mis-reads the batch)",
        ),
        ("train_step: micro-batches stacked into 3-D",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "optimizer-state-assigned-raw",
            "training.py",
            _V17_LOAD_BODY,
            '    raw.load_state_dict(state["model"])\n'
            '    saved = state["optimizer"]\n'
            '    optimizer.state = saved["state"]  # the AdamW moments\n'
            '    for group, saved_group in zip(optimizer.param_groups, saved["param_groups"]):\n'
            '        group.update({k: v for k, v in saved_group.items() if k != "params"})\n'
            '    loader.load_state_dict(state["loader"])\n',
            "training",
            "the optimizer restored by assigning the saved state dict's 'state' to optimizer.state: it is keyed by "
            "parameter index, not by the parameters, so AdamW finds no state for its parameters and the next "
            "step fails",
        ),
        ("resume: optimizer state assigned raw (keyed by index)",),
        "rewrite",
    ),
    HeldOut(
        _v17(
            "hand-clip-cat-without-flatten",
            "training.py",
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
            "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
            "    norm = torch.linalg.vector_norm(torch.cat(grads))  # the global L2 norm over every gradient\n"
            "    scale = torch.clamp(max_norm / (norm + 1e-6), max=1.0)\n"
            "    for g in grads:\n"
            "        g.mul_(scale)\n",
            "training",
            "clipping written by hand with the global norm over torch.cat(grads): the gradients have different "
            "shapes (matrices and vectors), so cat raises; each should be flattened first",
        ),
        ("clipping: cat of unflattened grads (raises)",),
        "rewrite",
    ),
]

V17_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V17}


# ==================================================================== HELDOUT_V18
# An eighteenth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what engineers
# get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch (nanoGPT /
# minbpe style), not from what the tool measures. Half of it is written="rewrite" (the piece written over in
# another engineer's style, one mistake inside); the rest are edits at one place. Each was checked only for
# validity (it materialises and a non-slow spec test of its section fails with the fingerprint off, --tb=no),
# never run through the diagnosis. ``accept`` names the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 56 written, 6
# dropped, 50 kept: attention 6 (3 edits, 3 rewrites), layernorm 4 (2, 2), mlp 3 (2, 1), block 3 (1, 2), gpt 3 (2, 1),
# loss 1 (0, 1), config 1 (1, 0), generate 6 (2, 4), tokenizer 10 (5, 5), data 5 (3, 2), training 8 (4, 4); 25 edits,
# 25 rewrites. Fifteen rewrites were also graded with their mistake fixed (all non-slow tests of the section pass):
# einsum-scores-drop-head-index, keys-reshaped-not-transposed, ln-inner-layernorm-keeps-affine,
# ln-var-third-positional-is-unbiased, block-mlp-residual-onto-attention-output, from-hf-suffix-from-last-two-parts,
# prealloc-output-default-float, kv-time-major-buffers-not-transposed-back, naive-trainer-rebinds-loop-variable,
# minbpe-encode-bytes-as-ids, allowed-all-taken-as-characters, stream-buffer-kept-from-the-hold,
# repeated-stream-too-short, reported-loss-not-averaged, cosine-not-clamped-after-max-steps.
# Dropped: two that test_held_out_set_is_new found to make the same edit as a known bug (the LayerNorm bias
# initialised to ones, the MLP without its GELU); one that is no bug here: the KV cache sized for max_new_tokens
# only (forgetting the prompt) never overflows, because generate falls back to recomputing once the sequence is
# longer than the cache, so the tokens are right and only the caching is lost; two that no non-slow spec test of
# their section failed: (1) train_step returning loss.item() and norm.item() (Python floats, where the contract asks
# for 0-dim tensors): the training tests read both through float(), so a float passes (a possible spec gap);
# (2) the top-k threshold taken as torch.topk(...).values.min() without a dim (the smallest k-th value of the whole
# batch, so the other rows keep more than k): the per-row check draws top_k=1 from sharpened logits, where a row
# that keeps a few extra tokens still draws its argmax almost surely (a possible spec gap); and one caught
# tokenizer edit (the streaming cut recorded at the last piece's start, so it is encoded twice) dropped to keep 50
# (a second streaming bug beside stream-buffer-kept-from-the-hold). The generate section is one short of v15's 7
# and the tokenizer one over: generate's edits that are not earlier sets' were hard to find.

_V18_SDPA = _V10_SDPA
_V18_MERGE_LINE = _V17_MERGE_LINE
_V18_LN_INIT_AND_FORWARD = (
    "        self.eps = eps\n"
    "        self.weight = nn.Parameter(torch.ones(ndim))\n"
    "        self.bias = nn.Parameter(torch.zeros(ndim))\n"
    "\n"
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n" + _V10_LN_BODY
)
_V18_LN_BODY = _V10_LN_BODY
_V18_MLP_LINEARS = (
    "        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)\n"
    "        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)\n"
)
_V18_MLP_RETURN = _V13_MLP_RETURN
_V18_BLOCK_BODY = _V10_BLOCK_FORWARD
_V18_FROM_HF_LOOP = (
    "        for key, tensor in state_dict.items():\n"
    "            if key.endswith(_HF_BUFFER_SUFFIXES):\n"
    "                continue\n"
    '            name = key if key.startswith(("transformer.", "lm_head.")) else f"transformer.{key}"\n'
    "            if name not in ours:\n"
    '                raise KeyError(f"unexpected key in HF state dict: {key!r}")\n'
    "            if name.endswith(_CONV1D_SUFFIXES):\n"
    "                tensor = tensor.t()\n"
)
_V18_GEN_LOOP = _V14_GENERATE_LOOP
_V18_KV_APPEND_BODY = _V17_KV_APPEND_BODY
_V18_TOP_K_SAMPLE = _V11_TOP_K_SAMPLE
_V18_ENCODE_ITER_BODY = (
    "        hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)\n"
    '        buf = ""\n'
    "        for chunk in chunks:\n"
    "            buf += chunk\n"
    "            if len(buf) <= 2 * hold:\n"
    "                continue  # too little text to be worth a scan\n"
    "            allowed = self._allowed(allowed_special, disallowed_special, buf)\n"
    "            cut, ids = self._stable_prefix(buf, len(buf) - hold, allowed)\n"
    "            yield from ids\n"
    "            buf = buf[cut:]\n"
    "        yield from self.encode(buf, allowed_special=allowed_special, disallowed_special=disallowed_special)\n"
)
_V18_TRAIN_MERGE_LOOP = (
    "        # stats: pair -> weighted count; where: pair -> words that (may) hold it. Both are kept up to\n"
    "        # date incrementally: a merge only revisits the words that contain the merged pair.\n"
    "        stats: dict[tuple[int, int], int] = defaultdict(int)\n"
    "        where: dict[tuple[int, int], set[int]] = defaultdict(set)\n"
    "        for w, ids in enumerate(words):\n"
    "            for pair in itertools.pairwise(ids):\n"
    "                stats[pair] += freqs[w]\n"
    "                where[pair].add(w)\n"
    "\n"
    "        " + _ENTRY + "\n"
    "\n"
    "        # Stale entries (a count that has changed since) are skipped when popped.\n"
    "        heap = [entry(pair, c) for pair, c in stats.items()]\n"
    "        heapq.heapify(heap)\n"
    "\n"
    "        merges: dict[tuple[int, int], int] = {}\n"
    "        while len(merges) < n_merges and heap:\n"
    "            neg_count, _, _, pair = heapq.heappop(heap)\n"
    "            if stats.get(pair, 0) != -neg_count:\n"
    "                continue  # this entry's count is out of date; a fresher one is in the heap\n"
    "            new_id = len(vocab)\n"
    "            merges[pair] = new_id\n"
    "            vocab.append(vocab[pair[0]] + vocab[pair[1]])\n"
    "            before: dict[tuple[int, int], int] = {}  # counts of the pairs this merge touches\n"
    "            for w in where.pop(pair):\n"
    "                old = words[w]\n"
    "                new = _merge(old, pair, new_id)\n"
    "                if len(new) == len(old):\n"
    "                    continue  # the pair left this word in an earlier merge\n"
    "                f = freqs[w]\n"
    "                for p in itertools.pairwise(old):\n"
    "                    before.setdefault(p, stats[p])\n"
    "                    stats[p] -= f\n"
    "                for p in itertools.pairwise(new):\n"
    "                    before.setdefault(p, stats[p])\n"
    "                    stats[p] += f\n"
    "                    where[p].add(w)\n"
    "                words[w] = new\n"
    "            for p, c in before.items():\n"
    "                if stats[p] <= 0:\n"
    "                    del stats[p]\n"
    "                elif stats[p] != c:\n"
    "                    heapq.heappush(heap, entry(p, stats[p]))\n"
)
_V18_MERGES_BODY = (
    "        merges = {}\n"
    "        for token, rank in sorted(self._ranks.items(), key=lambda kv: kv[1]):\n"
    "            if len(token) == 1:\n"
    "                continue\n"
    "            parts = _bpe(token, self._ranks, max_rank=rank)\n"
    "            if len(parts) != 2:\n"
    '                raise ValueError(f"rank {rank} ({token!r}) is not the merge of two lower-ranked tokens: '
    '{parts}")\n'
    "            merges[(self._ranks[parts[0]], self._ranks[parts[1]])] = rank\n"
    "        return merges\n"
)
_V18_ALLOWED_BODY = _V17_ALLOWED_BODY
_V18_NEXT_BATCH = _V10_NEXT_BATCH
_V18_PARAMS_LINE = (
    "    params = [p for p in model.parameters() if p.requires_grad]  # parameters() yields a tied weight once\n"
)
_V18_GROUPS = _V17_GROUPS
_V18_GET_LR = _V10_GET_LR
_V18_STEP_LOOP = _V12_STEP_LOOP
_V18_SAVE_STATE = (
    "    raw = model.module if isinstance(model, DDP) else model\n"
    "    state = {\n"
    '        "model": raw.state_dict(),\n'
    '        "optimizer": optimizer.state_dict(),\n'
    '        "loader": loader.state_dict(),\n'
    '        "step": step,\n'
    '        "rng": {\n'
    '            "torch": torch.get_rng_state(),\n'
    '            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],\n'
    "        },\n"
    '        "extra": extra or {},\n'
    "    }\n"
)

_v18 = partial(_in_set, 18)


HELDOUT_V18: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v18(
            "c-attn-bias-from-nanogpt-config",
            "attention.py",
            "        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd)\n",
            "        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)\n",
            "attention",
            "c_attn built with nanoGPT's bias=config.bias: this GPTConfig has no bias field, so building the "
            "attention raises AttributeError",
        ),
        ("attention: c_attn built with nanoGPT's config.bias (raises)",),
    ),
    HeldOut(
        _v18(
            "sdpa-output-divided-by-sqrt-head-dim",
            "attention.py",
            _V18_SDPA,
            "        return F.scaled_dot_product_attention(q, k, v, is_causal=True) / math.sqrt(k.size(-1))\n",
            "attention",
            "the 1/sqrt(head_dim) moved from SDPA's scale argument onto its result: SDPA already scales the scores "
            "by default, and the attention output is then divided by sqrt(head_dim) once more",
        ),
        ("attention: output divided by sqrt(head_dim)",),
    ),
    HeldOut(
        _v18(
            "heads-merged-transposing-batch",
            "attention.py",
            _V18_MERGE_LINE,
            "        y = y.transpose(0, 1).contiguous().view(B, T, C)  # re-assemble the heads side by side\n",
            "attention",
            "the heads merged with transpose(0, 1), which swaps the batch and head dims: the (n_head, B, T, hd) "
            "tensor viewed as (B, T, C) mixes the rows of different batch elements",
        ),
        ("heads-merge: transpose(0, 1) (batch and heads swapped)",),
    ),
    HeldOut(
        _v18(
            "einsum-scores-drop-head-index",
            "attention.py",
            _V18_SDPA,
            "        T = q.size(-2)\n"
            '        s = torch.einsum("bhqd,bhkd->bqk", q, k) / math.sqrt(q.size(-1))\n'
            "        future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), diagonal=1)\n"
            '        p = s.masked_fill(future, float("-inf")).softmax(dim=-1)\n'
            '        return torch.einsum("bqk,bhkd->bhqd", p, v)\n',
            "attention",
            "attention with einsum whose score subscripts leave h out of the output (bhqd,bhkd->bqk): einsum sums "
            "the scores over the heads, so every head attends with one shared pattern",
        ),
        ("attention-scores: summed over heads (einsum drops h)",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "keys-reshaped-not-transposed",
            "attention.py",
            _V18_SDPA,
            "        B, nh, T, hd = q.shape\n"
            "        qf = q.reshape(B * nh, T, hd)\n"
            "        kt = k.reshape(B * nh, hd, T)  # k^T, ready for the batched matmul\n"
            "        vf = v.reshape(B * nh, T, hd)\n"
            "        att = torch.bmm(qf, kt) * hd**-0.5\n"
            "        future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)\n"
            '        att = att.masked_fill(future, float("-inf"))\n'
            "        return torch.bmm(att.softmax(dim=-1), vf).view(B, nh, T, hd)\n",
            "attention",
            "attention with bmm where k^T is made by reshape(B * nh, hd, T): a reshape reinterprets the memory "
            "instead of transposing, so each query is scored against scrambled keys (right only when T == 1)",
        ),
        ("attention: keys reshaped to (hd, T), not transposed",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "heads-concatenated-along-time",
            "attention.py",
            _V18_MERGE_LINE,
            "        heads = [y[:, h] for h in range(self.n_head)]  # each (B, T, head_dim)\n"
            "        y = torch.cat(heads, dim=1)  # the heads side by side\n",
            "attention",
            "the heads merged by concatenating their (B, T, head_dim) outputs along dim=1, which is time: the "
            "result is (B, n_head * T, head_dim) and c_proj raises (unless n_head == 1)",
        ),
        ("heads-merge: concatenated along time (raises)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v18(
            "ln-centring-parentheses-dropped",
            "layernorm.py",
            "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n",
            "        x_hat = x - mean * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n",
            "layernorm",
            "the parentheses around x - mean dropped: * binds first, so x_hat is x minus mean / std, neither "
            "centred nor scaled",
        ),
        ("layernorm: x - mean * rsqrt(var + eps) (parentheses dropped)",),
    ),
    HeldOut(
        _v18(
            "ln-sqrt-as-power-one-half",
            "layernorm.py",
            "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n",
            "        x_hat = (x - mean) / (var + self.eps) ** 1 / 2  # eps inside the sqrt\n",
            "layernorm",
            "the square root written ** 1 / 2: ** binds tighter than /, so x - mean is divided by var + eps "
            "(not its square root) and then halved",
        ),
        ("layernorm: divided by (var + eps) / 2 (** 1 / 2)",),
    ),
    HeldOut(
        _v18(
            "ln-inner-layernorm-keeps-affine",
            "layernorm.py",
            _V18_LN_INIT_AND_FORWARD,
            "        self.eps = eps\n"
            "        self.weight = nn.Parameter(torch.ones(ndim))\n"
            "        self.bias = nn.Parameter(torch.zeros(ndim))\n"
            "        # the normalisation itself is torch's; GPT-2's gain and bias are applied after it\n"
            "        self.norm = nn.LayerNorm(ndim, eps=eps)\n"
            "\n"
            "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
            "        return self.norm(x) * self.weight + self.bias\n",
            "layernorm",
            "LayerNorm delegating the normalisation to an inner nn.LayerNorm built without "
            "elementwise_affine=False: it brings its own trainable weight and bias, so the module has four "
            "parameters (norm.weight and norm.bias that HF's state dict cannot fill), and two affines once trained",
        ),
        ("layernorm: inner nn.LayerNorm keeps its own affine",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "ln-var-third-positional-is-unbiased",
            "layernorm.py",
            _V18_LN_BODY,
            "        mu = torch.mean(x, -1, True)\n"
            "        var = torch.var(x, -1, True)  # (input, dim, keepdim), as for mean\n"
            "        return (x - mu) / torch.sqrt(var + self.eps) * self.weight + self.bias\n",
            "layernorm",
            "torch.var called with positional arguments as torch.mean is: var's third positional parameter is "
            "unbiased, not keepdim, so the variance is the unbiased one and reduced without keepdim (it "
            "broadcasts against the wrong axis or raises)",
        ),
        ("layernorm: torch.var(x, -1, True) (unbiased, no keepdim)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v18(
            "c-proj-copied-from-c-fc",
            "mlp.py",
            "        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)\n",
            "        self.c_proj = nn.Linear(config.n_embd, 4 * config.n_embd)\n",
            "mlp",
            "c_proj's line copied from c_fc's without swapping the sizes: c_proj maps n_embd to 4 * n_embd, so it "
            "cannot take the 4 * n_embd hidden activations and the MLP raises",
        ),
        ("mlp: c_proj sized like c_fc (raises)",),
    ),
    HeldOut(
        _v18(
            "c-proj-bias-added-twice",
            "mlp.py",
            _V18_MLP_RETURN,
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")) + self.c_proj.bias\n',
            "mlp",
            "a + self.c_proj.bias left over from writing the projection as F.linear(h, W) + b, after switching to "
            "calling c_proj (which adds its bias itself): the output bias is added twice",
        ),
        ("mlp: c_proj bias added twice",),
    ),
    HeldOut(
        _v18(
            "mlp-hidden-rounded-up-to-256",
            "mlp.py",
            _V18_MLP_LINEARS,
            "        multiple_of = 256  # a hidden width the matmul kernels like\n"
            "        hidden = 4 * config.n_embd\n"
            "        hidden = multiple_of * ((hidden + multiple_of - 1) // multiple_of)\n"
            "        self.c_fc = nn.Linear(config.n_embd, hidden)\n"
            "        self.c_proj = nn.Linear(hidden, config.n_embd)\n",
            "mlp",
            "the hidden width rounded up to a multiple of 256, a LLaMA habit: at n_embd=768 nothing changes, but any "
            "width whose 4x is not a multiple of 256 gets a wider MLP that HF's weights do not fit",
        ),
        ("mlp: hidden width rounded up to a multiple of 256",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v18(
            "block-output-detached",
            "block.py",
            "        return x\n",
            "        return x.detach()  # keep each block's autograd graph to itself\n",
            "block",
            "the block's output detached (to save activation memory): no gradient flows back through a block, "
            "so nothing before the last block trains and the input gets no gradient",
        ),
        ("block: output detached",),
    ),
    HeldOut(
        _v18(
            "block-mlp-residual-onto-attention-output",
            "block.py",
            _V18_BLOCK_BODY,
            "        a = self.attn(self.ln_1(x), cache)\n"
            "        h = x + a\n"
            "        m = self.mlp(self.ln_2(h))\n"
            "        return a + m\n",
            "block",
            "the block written with a name per branch, and the MLP's residual added to the attention output a "
            "instead of the stream h: the block's input x drops out of its output",
        ),
        ("block: output a + mlp (the input dropped from the stream)",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "ln-1-applied-with-ln-2-bias",
            "block.py",
            _V18_BLOCK_BODY,
            "        C = x.size(-1)\n"
            "        h = torch.nn.functional.layer_norm(x, (C,), self.ln_1.weight, self.ln_2.bias, self.ln_1.eps)\n"
            "        x = x + self.attn(h, cache)\n"
            "        h = torch.nn.functional.layer_norm(x, (C,), self.ln_2.weight, self.ln_2.bias, self.ln_2.eps)\n"
            "        return x + self.mlp(h)\n",
            "block",
            "the block's LayerNorms called functionally with their parameters spelled out, and the first line "
            "copied from the second: ln_1 is applied with ln_2's bias (ln_1.bias is never used)",
        ),
        ("block: ln_1 applied with ln_2's bias",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v18(
            "hf-buffer-filter-matches-c-attn-bias",
            "gpt.py",
            "            if key.endswith(_HF_BUFFER_SUFFIXES):\n",
            '            if "attn.bias" in key or "masked_bias" in key:  # the causal-mask buffers\n',
            "gpt",
            "HF's causal-mask buffers skipped with a substring test: 'attn.bias' is also inside 'c_attn.bias', so "
            "every layer's c_attn bias is skipped and keeps its init (zeros)",
        ),
        ("from-hf: c_attn biases skipped (buffer filter by substring)",),
    ),
    HeldOut(
        _v18(
            "tied-head-rewrapped-in-parameter",
            "gpt.py",
            "        self.lm_head.weight = self.transformer.wte.weight\n",
            "        self.lm_head.weight = nn.Parameter(self.transformer.wte.weight)\n",
            "gpt",
            "the tie written by wrapping wte's weight in a new nn.Parameter: the storage is shared, but they are "
            "two parameters with two gradients, counted twice and each updated by the optimizer",
        ),
        ("weight-tying: head a second Parameter on wte's storage",),
    ),
    HeldOut(
        _v18(
            "from-hf-suffix-from-last-two-parts",
            "gpt.py",
            _V18_FROM_HF_LOOP,
            "        for key, tensor in state_dict.items():\n"
            '            parts = key.split(".")\n'
            '            if parts[-2:] in (["attn", "bias"], ["attn", "masked_bias"]):\n'
            "                continue  # causal-mask buffers, not weights\n"
            '            name = key if parts[0] in ("transformer", "lm_head") else "transformer." + key\n'
            "            if name not in ours:\n"
            '                raise KeyError(f"unexpected key in HF state dict: {key!r}")\n'
            '            if ".".join(parts[-2:]) in _CONV1D_SUFFIXES:  # Conv1D stores (in, out)\n'
            "                tensor = tensor.t()\n",
            "gpt",
            "the HF loader rewritten on the key's dotted parts, with the Conv1D check on the last two parts "
            "('c_attn.weight') against suffixes of three ('attn.c_attn.weight'): nothing is ever transposed and "
            "loading raises on c_attn's shape",
        ),
        ("from-hf: Conv1D weights never transposed (raises)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v18(
            "loss-hf-label-shift",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            shift_logits = logits[..., :-1, :].contiguous()\n"
            "            shift_labels = targets[..., 1:].contiguous()\n"
            "            loss = F.cross_entropy(shift_logits.view(-1, shift_logits.size(-1)), shift_labels.view(-1))\n",
            "loss",
            "the loss copied from HF's GPT2LMHeadModel, which shifts the labels itself: here targets are already the "
            "next tokens, so position t is scored against the token two ahead (and T=1 gives an empty mean, NaN)",
        ),
        ("loss: targets shifted again (HF's label shift)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v18(
            "n-layer-6-distilgpt2",
            "config.py",
            "    n_layer: int = 12\n",
            "    n_layer: int = 6\n",
            "config",
            "n_layer defaults to 6, distilgpt2's depth, copied from the wrong config.json: the default model is not "
            "GPT-2 small",
        ),
        ("config: n_layer default 6",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v18(
            "kv-key-buffer-default-dtype",
            "attention.py",
            "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n",
            "            self.k = torch.zeros(B, nh, self.max_len, hd, device=k.device)\n",
            "generate",
            "the key buffer allocated with torch.zeros and the device but not the dtype: it is float32 whatever "
            "the model's dtype, so a float64 (or bf16) model's cached keys do not match its queries and values",
        ),
        ("kv-cache: key buffer in the default dtype (float32)",),
    ),
    HeldOut(
        _v18(
            "last-logits-indexed-on-batch",
            "gpt.py",
            "            logits = logits[:, -1, :]\n",
            "            logits = logits[-1, :, :]\n",
            "generate",
            "the last position's logits taken as logits[-1, :, :]: that is the last batch row's logits at every "
            "position, so the samples have the wrong shape and come from the wrong sequence",
        ),
        ("generate: logits of the last batch row, not the last position",),
    ),
    HeldOut(
        _v18(
            "prealloc-output-default-float",
            "gpt.py",
            _V18_GEN_LOOP,
            "        B, T0 = idx.shape\n"
            "        total = T0 + max_new_tokens\n"
            "        out = torch.zeros(B, total, device=idx.device)\n"
            "        out[:, :T0] = idx\n"
            "        cache_len = min(self.config.block_size, total)\n"
            "        cache = [KVCache(cache_len) for _ in self.transformer.h] if use_kv_cache else None\n"
            "        for t in range(T0, total):\n"
            "            if cache is not None and t <= cache_len:\n"
            "                logits, _ = self(out[:, cache[0].length : t], cache=cache)\n"
            "            else:\n"
            "                cache = None  # cropping shifts the positions: the cached keys are stale\n"
            "                logits, _ = self(out[:, max(0, t - self.config.block_size) : t])\n"
            "            logits = logits[:, -1, :]\n"
            "            if temperature == 0:\n"
            "                nxt = logits.argmax(dim=-1)\n"
            "            else:\n"
            "                logits = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
            '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
            "                probs = F.softmax(logits, dim=-1)\n"
            "                nxt = torch.multinomial(probs, num_samples=1, generator=generator)[:, 0]\n"
            "            out[:, t] = nxt\n"
            "        return out\n",
            "generate",
            "generate rewritten to fill a preallocated (B, T + new) output, made with torch.zeros without "
            "dtype=idx.dtype: the buffer is float32, the model's embedding rejects the float ids and generation "
            "raises",
        ),
        ("generate: output preallocated as float",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "kv-time-major-buffers-not-transposed-back",
            "attention.py",
            _V18_KV_APPEND_BODY,
            "        B, nh, T, hd = k.shape\n"
            "        start, end = self.length, self.length + T\n"
            "        if end > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")\n'
            "        if self.k is None or self.v is None:  # stored time-major: (B, max_len, nh, hd)\n"
            "            self.k = k.new_zeros(B, self.max_len, nh, hd)\n"
            "            self.v = v.new_zeros(B, self.max_len, nh, hd)\n"
            "        self.k[:, start:end] = k.transpose(1, 2)\n"
            "        self.v[:, start:end] = v.transpose(1, 2)\n"
            "        self.length = end\n"
            "        return self.k[:, :end], self.v[:, :end]\n",
            "generate",
            "a KV cache that stores keys and values time-major, (B, max_len, n_head, hd), and returns them "
            "without transposing back: attention gets (B, S, n_head, hd) keys against (B, n_head, T, hd) queries "
            "and raises (or, where the sizes happen to broadcast, attends wrongly)",
        ),
        ("kv-cache: time-major buffers returned untransposed",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "kv-buffers-made-with-expand",
            "attention.py",
            _V18_KV_APPEND_BODY,
            "        start, end = self.length, self.length + k.size(2)\n"
            "        if end > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")\n'
            "        if self.k is None or self.v is None:\n"
            "            B, nh, _, hd = k.shape\n"
            "            # expand allocates nothing: the buffers cost one position until written\n"
            "            self.k = k.new_zeros(B, nh, 1, hd).expand(B, nh, self.max_len, hd)\n"
            "            self.v = v.new_zeros(B, nh, 1, hd).expand(B, nh, self.max_len, hd)\n"
            "        self.k[:, :, start:end] = k\n"
            "        self.v[:, :, start:end] = v\n"
            "        self.length = end\n"
            "        return self.k[:, :, :end], self.v[:, :, :end]\n",
            "generate",
            "the KV buffers made with expand to save memory: every position of an expanded tensor is the same "
            "memory, so writing the keys into it raises (expand makes views, not storage)",
        ),
        ("kv-cache: buffers made with expand (writes raise)",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "top-k-rows-masked-on-copies",
            "gpt.py",
            _V18_TOP_K_SAMPLE,
            "                if top_k is not None:\n"
            "                    k = min(top_k, logits.size(-1))\n"
            "                    for b in range(logits.size(0)):\n"
            "                        row = logits[b].clone()  # leave the model's output alone\n"
            "                        kth = row.topk(k).values[-1]\n"
            '                        row[row < kth] = float("-inf")\n'
            "                probs = F.softmax(logits, dim=-1)\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "generate",
            "top-k written as a loop over the batch rows that masks a clone of each row and never writes it back: "
            "the logits are unchanged, so top-k has no effect and every token can be sampled",
        ),
        ("top-k: not applied (rows masked on copies)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v18(
            "pattern-punctuation-as-not-word",
            "tokenizer.py",
            r" ?[^\s\p{L}\p{N}]+",
            r" ?[^\s\w]+",
            "tokenizer",
            r"the punctuation class written [^\s\w] for 'not space, letter or digit': \w also holds the "
            "underscore and combining marks, which then match no alternative of the pattern and are silently "
            "dropped from the text",
        ),
        (r"pattern: punctuation class [^\s\w] (underscore and marks dropped)",),
    ),
    HeldOut(
        _v18(
            "pattern-punctuation-before-contractions",
            "tokenizer.py",
            r"""GPT2_PATTERN = r"""
            + '"""'
            + r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
            + '"""',
            r"""GPT2_PATTERN = r"""
            + '"""'
            + r""" ?[^\s\p{L}\p{N}]+|'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+|\s+(?!\S)|\s+"""
            + '"""',
            "tokenizer",
            "the pattern's punctuation alternative moved to the front: the apostrophe is punctuation, so it is "
            "matched before the contractions are tried, and 's, 't, 'll ... are never split off as GPT-2 does",
        ),
        ("pattern: punctuation before the contractions",),
    ),
    HeldOut(
        _v18(
            "disallowed-special-default-empty",
            "tokenizer.py",
            "        self, text: str, *, allowed_special: AllowedSpecial = frozenset(), disallowed_special: "
            'AllowedSpecial = "all"\n',
            "        self, text: str, *, allowed_special: AllowedSpecial = frozenset(), disallowed_special: "
            "AllowedSpecial = ()\n",
            "tokenizer",
            "encode's disallowed_special defaulting to () (lenient, as HF tokenizers are): a special token in the "
            "text is silently encoded as plain text instead of raising as tiktoken does",
        ),
        ("specials: disallowed_special defaults to () (no error)",),
    ),
    HeldOut(
        _v18(
            "byte-vocab-via-chr-encode",
            "tokenizer.py",
            "        vocab = [bytes([i]) for i in range(256)]\n",
            "        vocab = [chr(i).encode() for i in range(256)]\n",
            "tokenizer",
            "training's byte vocabulary made with chr(i).encode(): for i >= 128 that is the two-byte UTF-8 of "
            "the code point, not the byte i, so the single bytes 0x80-0xff are missing from the trained vocabulary",
        ),
        ("training: byte tokens 128-255 as the UTF-8 of chr(i)",),
    ),
    HeldOut(
        _v18(
            "special-split-plain-part-runs-to-match-end",
            "tokenizer.py",
            "            yield False, text[start : m.start()]\n",
            "            yield False, text[start : m.end()]\n",
            "tokenizer",
            "the plain text before an allowed special token sliced up to m.end() instead of m.start(): the special "
            "token's characters are encoded as plain text and then once more as its id",
        ),
        ("specials: plain part runs to the match's end (special also encoded as text)",),
    ),
    HeldOut(
        _v18(
            "stream-buffer-kept-from-the-hold",
            "tokenizer.py",
            _V18_ENCODE_ITER_BODY,
            "        hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)\n"
            '        pending = ""\n'
            "        for chunk in chunks:\n"
            "            pending += chunk\n"
            "            if len(pending) > 2 * hold:\n"
            "                allowed = self._allowed(allowed_special, disallowed_special, pending)\n"
            "                _, ids = self._stable_prefix(pending, len(pending) - hold, allowed)\n"
            "                yield from ids\n"
            "                pending = pending[-hold:]  # the tail the next chunk may still change\n"
            "        if pending:\n"
            "            yield from self.encode(pending, allowed_special=allowed_special, "
            "disallowed_special=disallowed_special)\n",
            "tokenizer",
            "streaming encode rewritten to keep the last hold characters after each scan, not the text from the "
            "cut the stable prefix returned: what lies between the cut and the hold is never encoded",
        ),
        ("streaming: buffer kept from len - hold, not from the cut (text lost)",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "naive-trainer-rebinds-loop-variable",
            "tokenizer.py",
            _V18_TRAIN_MERGE_LOOP,
            "        merges: dict[tuple[int, int], int] = {}\n"
            "        for new_id in range(256, 256 + n_merges):\n"
            "            stats: Counter = Counter()\n"
            "            for ids, f in zip(words, freqs):\n"
            "                for pair in itertools.pairwise(ids):\n"
            "                    stats[pair] += f\n"
            "            if not stats:\n"
            "                break  # every pre-token is a single token\n"
            "            # the highest count; ties go to the smallest (left bytes, right bytes)\n"
            "            best = min(stats, key=lambda p: (-stats[p], vocab[p[0]], vocab[p[1]]))\n"
            "            merges[best] = new_id\n"
            "            vocab.append(vocab[best[0]] + vocab[best[1]])\n"
            "            for ids in words:\n"
            "                ids = _merge(ids, best, new_id)  # the pair merged in each pre-token\n",
            "tokenizer",
            "training rewritten minbpe-style (recount every pair, merge the best), with the merge applied as "
            "`for ids in words: ids = _merge(...)`: that rebinds the loop variable and leaves words unchanged, so "
            "the same pair wins every round",
        ),
        ("training: merges never applied (loop variable rebound)",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "minbpe-encode-bytes-as-ids",
            "tokenizer.py",
            '            ids = [self._ranks[p] for p in _bpe(piece.encode("utf-8"), self._ranks)]\n',
            '            ids = list(piece.encode("utf-8"))  # start from the raw bytes\n'
            "            while len(ids) >= 2:\n"
            '                pair = min(itertools.pairwise(ids), key=lambda p: self.merges.get(p, float("inf")))\n'
            "                if pair not in self.merges:\n"
            "                    break  # nothing left to merge\n"
            "                ids = _merge(ids, pair, self.merges[pair])\n",
            "tokenizer",
            "encoding rewritten minbpe-style over the merges, starting from the raw byte values as ids: right for "
            "a trained tokenizer, but a loaded vocabulary (GPT-2's) does not give byte b the id b",
        ),
        ("encode: byte values taken as token ids",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "merges-recovered-without-rank-limit",
            "tokenizer.py",
            _V18_MERGES_BODY,
            "        found: dict[tuple[int, int], int] = {}\n"
            "        for token, rank in sorted(self._ranks.items(), key=lambda kv: kv[1]):\n"
            "            if len(token) < 2:\n"
            "                continue  # a single byte is not a merge\n"
            "            left, right = _bpe(token, self._ranks)  # BPE on the token's bytes stops at its two halves\n"
            "            found[self._ranks[left], self._ranks[right]] = rank\n"
            "        return found\n",
            "tokenizer",
            "the merges of a loaded vocabulary recovered by running BPE on each token without limiting it to lower "
            "ranks: BPE then merges the token whole (one part), and unpacking it into two halves raises",
        ),
        ("merges recovery: BPE without the rank limit (raises)",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "allowed-all-taken-as-characters",
            "tokenizer.py",
            _V18_ALLOWED_BODY,
            "        specials = set(self.special_tokens)\n"
            "        allowed = set(allowed_special)\n"
            '        disallowed = specials - allowed if disallowed_special == "all" else set(disallowed_special)\n'
            "        for s in sorted(disallowed, key=len, reverse=True):\n"
            "            if s in text:\n"
            "                raise ValueError(\n"
            '                    f"text contains the special token {s!r}, which is disallowed. Pass "\n'
            "                    f\"allowed_special={{{s!r}}} (or 'all') to encode it as a special token, or \"\n"
            '                    f"disallowed_special=() to encode it as plain text."\n'
            "                )\n"
            "        return allowed\n",
            "tokenizer",
            "the special-token rules rewritten with sets, handling 'all' for disallowed_special but not for "
            "allowed_special: set('all') is {'a', 'l'}, so allowed_special='all' allows nothing and raises on "
            "the very specials it should encode",
        ),
        ("specials: allowed_special='all' taken as its characters",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v18(
            "counter-advanced-on-rank-0-only",
            "data.py",
            "        self.batches += 1\n",
            "        if self.rank == 0:  # the master process keeps the count\n            self.batches += 1\n",
            "data",
            "the batch counter advanced only on rank 0, nanoGPT's master_process habit applied to the loader: "
            "every other rank reads its first batch forever",
        ),
        ("loader: counter advanced on rank 0 only",),
    ),
    HeldOut(
        _v18(
            "tokens-strided-by-rank",
            "data.py",
            "        self.tokens = as_token_tensor(tokens)\n",
            "        self.tokens = as_token_tensor(tokens)[rank::world_size]  # this rank's shard\n",
            "data",
            "the tokens sharded like a DistributedSampler's indices, tokens[rank::world_size]: each rank reads "
            "every W-th token, so its sequences are not text, and the rank offset is then applied on top",
        ),
        ("loader: tokens sharded as tokens[rank::world_size]",),
    ),
    HeldOut(
        _v18(
            "endoftext-appended-at-the-wrap",
            "data.py",
            "        self.tokens = as_token_tensor(tokens)\n",
            "        self.tokens = torch.cat((as_token_tensor(tokens), torch.tensor([50256])))  # <|endoftext|> at the "
            "wrap\n",
            "data",
            "an <|endoftext|> appended to the tokens so the wrap reads as a document boundary: the stream is one "
            "token longer than the data, and every batch that crosses the end holds a token that is not in it",
        ),
        ("loader: <|endoftext|> inserted where the stream wraps",),
    ),
    HeldOut(
        _v18(
            "counter-advanced-per-row",
            "data.py",
            _V18_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        base = (self.batches * self.world_size + self.rank) * B * T\n"
            "        xs, ys = [], []\n"
            "        for b in range(B):\n"
            "            row = self.tokens[(base + b * T + torch.arange(T + 1)) % n]  # T inputs and their targets\n"
            "            xs.append(row[:-1])\n"
            "            ys.append(row[1:])\n"
            "            self.batches += 1\n"
            "        return torch.stack(xs), torch.stack(ys)\n",
            "data",
            "next_batch rewritten row by row, with the counter's increment indented into the row loop: it advances "
            "B times per call, so every batch after the first skips B - 1 batches (B = 1 hides it)",
        ),
        ("loader: counter advanced once per row",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "repeated-stream-too-short",
            "data.py",
            _V18_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        start = (self.batches * self.world_size + self.rank) * B * T % n\n"
            "        reps = (B * T + 1) // n + 1  # copies of the data that cover one batch\n"
            "        buf = self.tokens.repeat(reps)[start : start + B * T + 1]\n"
            "        self.batches += 1\n"
            "        return buf[:-1].view(B, T), buf[1:].view(B, T)\n",
            "data",
            "the wrap handled by repeating the data and slicing, with the number of copies counted for one batch "
            "but not for the start offset: a batch that starts near the end runs past the copies and comes out "
            "short (the view raises)",
        ),
        ("loader: repeated stream too short past the start offset",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v18(
            "decay-group-as-a-set",
            "training.py",
            '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n',
            '        {"params": {p for p in params if p.dim() >= 2}, "weight_decay": weight_decay},\n',
            "training",
            "the decayed group's params written as a set comprehension: torch.optim refuses a set (its order "
            "changes between runs, which would scramble a saved optimizer state), so building the optimizer raises",
        ),
        ("optimizer: decay group given as a set (raises)",),
    ),
    HeldOut(
        _v18(
            "params-filtered-by-grad-presence",
            "training.py",
            _V18_PARAMS_LINE,
            "    params = [p for p in model.parameters() if p.grad is not None]  # only what trains\n",
            "training",
            "the parameters filtered on p.grad is not None instead of p.requires_grad: a fresh model has no "
            "gradients yet, so both groups are empty and the optimizer updates nothing",
        ),
        ("optimizer: parameters filtered on .grad (none at build time)",),
    ),
    HeldOut(
        _v18(
            "loss-accum-added-in-place-float32",
            "training.py",
            "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n",
            "        loss_accum += loss.detach()\n",
            "training",
            "the reported loss accumulated in place into torch.zeros(()), which is float32 on the CPU: a float64 "
            "loss is rounded to float32, and on a GPU the CPU scalar cannot take a CUDA tensor in place",
        ),
        ("train-step: reported loss accumulated in float32",),
    ),
    HeldOut(
        _v18(
            "optimizer-state-without-param-groups",
            "training.py",
            '        "optimizer": optimizer.state_dict(),\n',
            '        "optimizer": optimizer.state_dict()["state"],  # the moments; the groups come from the code\n',
            "training",
            "the checkpoint keeps only the optimizer's moments (state_dict()['state']), without param_groups: "
            "load_state_dict needs both and raises on resume",
        ),
        ("checkpoint: optimizer state without its param groups (raises)",),
    ),
    HeldOut(
        _v18(
            "no-decay-group-copied-with-decay",
            "training.py",
            _V18_PARAMS_LINE + "    groups = [\n" + _V18_GROUPS + "    ]\n",
            "    param_dict = {pn: p for pn, p in model.named_parameters() if p.requires_grad}\n"
            "    decay_params = [p for p in param_dict.values() if p.dim() >= 2]\n"
            "    nodecay_params = [p for p in param_dict.values() if p.dim() < 2]\n"
            "    params = decay_params + nodecay_params\n"
            "    groups = [\n"
            '        {"params": decay_params, "weight_decay": weight_decay},\n'
            '        {"params": nodecay_params, "weight_decay": weight_decay},\n'
            "    ]\n",
            "training",
            "the optimizer groups rewritten nanoGPT-style, with the no-decay group's line copied from the decay "
            "group's and its weight_decay left as is: biases and LayerNorm gains are decayed too",
        ),
        ("weight-decay: applied to biases and gains too",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "cosine-not-clamped-after-max-steps",
            "training.py",
            _V18_GET_LR,
            "    if step < warmup_steps:\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    progress = (step - warmup_steps) / (max_steps - warmup_steps)\n"
            "    cosine = 0.5 * (1.0 + math.cos(math.pi * progress))\n"
            "    return min_lr + (max_lr - min_lr) * cosine\n",
            "training",
            "the schedule rewritten without the step >= max_steps branch: past max_steps the progress exceeds 1 "
            "and the cosine climbs back towards max_lr instead of staying at min_lr",
        ),
        ("lr-schedule: cosine not clamped after max_steps",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "reported-loss-not-averaged",
            "training.py",
            _V18_STEP_LOOP,
            "    n = len(batches)\n"
            "    loss_accum = 0.0\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1  # all-reduce after the last micro-batch\n"
            "        ctx = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else "
            "contextlib.nullcontext()\n"
            "        with ctx:\n"
            "            _, loss = model(x, y)\n"
            "        (loss / n).backward()  # the mean over the micro-batches\n"
            "        loss_accum = loss_accum + loss.detach()\n"
            "    if dist.is_available() and dist.is_initialized():\n"
            "        dist.all_reduce(loss_accum, op=dist.ReduceOp.SUM)\n"
            "        loss_accum = loss_accum / dist.get_world_size()\n"
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
            "training",
            "the micro-batch loop rewritten to divide only inside backward(): the gradient is the mean, but the "
            "reported loss adds up the undivided micro-batch losses, n times the batch's loss",
        ),
        ("train-step: reported loss summed over micro-batches",),
        "rewrite",
    ),
    HeldOut(
        _v18(
            "checkpoint-keeps-only-trainable-tensors",
            "training.py",
            _V18_SAVE_STATE,
            "    raw = model.module if isinstance(model, DDP) else model\n"
            "    weights = {k: v for k, v in raw.state_dict().items() if v.requires_grad}  # parameters, not buffers\n"
            "    rng = {\n"
            '        "torch": torch.get_rng_state(),\n'
            '        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],\n'
            "    }\n"
            "    state = {\n"
            '        "model": weights,\n'
            '        "optimizer": optimizer.state_dict(),\n'
            '        "loader": loader.state_dict(),\n'
            '        "step": step,\n'
            '        "rng": rng,\n'
            '        "extra": dict(extra or {}),\n'
            "    }\n",
            "training",
            "the checkpoint's weights filtered on requires_grad to leave out buffers: state_dict() returns detached "
            "tensors, none of which requires grad, so the saved model is empty and resuming raises on the missing keys",
        ),
        ("checkpoint: model weights filtered on requires_grad (none saved)",),
        "rewrite",
    ),
]

V18_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V18}


# ==================================================================== HELDOUT_V19
# A nineteenth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what engineers
# get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch (nanoGPT /
# minbpe style), not from what the tool measures; the names and whys of the earlier sets were skimmed to pick other
# mistakes. Half of it is written="rewrite" (the piece written over in another engineer's style, one mistake
# inside); the rest are edits at one place. Each was checked only for validity (it materialises and a non-slow spec
# test of its section fails with the fingerprint off, --tb=no), never run through the diagnosis. ``accept`` names
# the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 62 written, 12
# dropped, 50 kept: attention 6 (3 edits, 3 rewrites), layernorm 4 (2, 2), mlp 3 (2, 1), block 3 (1, 2), gpt 3 (1, 2),
# loss 1 (0, 1), config 1 (1, 0), generate 7 (3, 4), tokenizer 9 (5, 4), data 5 (3, 2), training 8 (4, 4); 25 edits,
# 25 rewrites. Twenty-one rewrites were also graded with their mistake fixed (all non-slow tests of the section pass):
# baddbmm-alpha-beta-swapped, c-proj-per-head-bias-each-head, ln-normalised-under-no-grad, gelu-by-hand-one-minus-tanh,
# block-sublayer-loop-residual-captured-once, block-cache-argument-required, from-hf-keys-from-named-parameters,
# init-every-weight-attribute, loss-gathered-along-time, kv-cache-used-past-block-size, gumbel-noise-missing-outer-log,
# per-row-samples-concatenated, stream-cut-after-the-last-space, bpe-unknown-pairs-rank-zero,
# merges-replayed-with-inclusive-rank, rolled-stream-wrong-sign, row-starts-range-one-past,
# warmup-reaches-max-at-last-warmup-step, hand-clip-rebinds-gradient, load-state-dict-assign,
# accumulated-loss-backward-in-loop. (rolled-stream-wrong-sign's first draft failed fixed too, on data shorter than a
# batch, and was completed to go round the stream more than once before it was kept.)
# Dropped: five that test_held_out_set_is_new found to make the same edit as a known bug (LayerNorm eps 1e-12,
# attn.c_proj.weight left out of the Conv1D transposes, the next token read from the first position's logits, the
# split unpacked as v, k, q, the logits multiplied by the temperature); three that are no bug here: (1) the heads
# merged with .view without .contiguous(): SDPA's output is laid out so that its transpose(1, 2) is contiguous, so
# the view works; (2) SDPA given both a causal attn_mask and is_causal=True: this torch accepts the pair and the two
# agree; (3) the top-k threshold read as the last value of torch.topk(..., sorted=False): on CPU topk still returns
# the values sorted, so nothing changes (on a GPU it may not: untested there); and four that no non-slow spec test of
# their section failed (possible spec gaps): (1) generate's recomputed context cropped as idx[:, n - block_size : n]:
# the negative start is wrong only while block_size / 2 < n < block_size (below that it clamps to 0), a range the
# use_kv_cache=False tests never reach; (2) Tokenizer.vocab rebuilt minbpe-style with the byte tokens at
# id == byte value: no test reads .vocab of a tokenizer loaded from ranks whose single bytes are not ranked by value
# (GPT-2's); (3) DataLoader.state_dict returning vars(self), the live dict: no test advances the loader between
# taking a state and loading it; (4) from_ranks adding an <|endoftext|> special when given none: no test checks that
# a tokenizer loaded without specials has none.

_V19_SDPA = (
    "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))\n"
)
_V19_QKV = "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n"
_V19_SPLIT_LINE = "        " + _SPLIT + "\n"
_V19_MERGE_LINE = "        " + _MERGE + "\n"
_V19_LN_BODY = (
    "        mean = x.mean(dim=-1, keepdim=True)\n"
    "        " + _LN_VAR + "\n"
    "        " + _LN_NORM + "\n"
    "        " + _LN_OUT + "\n"
)
_V19_LN_CLASS_BODY = (
    "    def __init__(self, ndim: int, eps: float = 1e-5) -> None:\n"
    "        super().__init__()\n"
    "        self.eps = eps\n"
    "        self.weight = nn.Parameter(torch.ones(ndim))\n"
    "        self.bias = nn.Parameter(torch.zeros(ndim))\n"
    "\n"
    "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n" + _V19_LN_BODY
)
_V19_MLP_FORWARD = '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n'
_V19_BLOCK_FORWARD = (
    "    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:\n"
    "        # Pre-LN: normalise the *input* of each branch and leave the residual stream\n"
    "        # itself untouched, so gradients flow straight from the loss to the embeddings.\n"
    "        x = x + self.attn(self.ln_1(x), cache)\n"
    "        x = x + self.mlp(self.ln_2(x))\n"
    "        return x\n"
)
_V19_FROM_HF_BODY = (
    "        model = cls(config)\n"
    "        ours = model.state_dict()\n"
    "        for key, tensor in state_dict.items():\n"
    "            if key.endswith(_HF_BUFFER_SUFFIXES):\n"
    "                continue\n"
    '            name = key if key.startswith(("transformer.", "lm_head.")) else f"transformer.{key}"\n'
    "            if name not in ours:\n"
    '                raise KeyError(f"unexpected key in HF state dict: {key!r}")\n'
    "            if name.endswith(_CONV1D_SUFFIXES):\n"
    "                tensor = tensor.t()\n"
    "            target = ours[name]\n"
    "            if name in _VOCAB_ROWS:  # fast path: vocab padding — HF's rows fill the top; padded rows stay 0\n"
    "                target = target[: config.vocab_size]\n"
    "            if tensor.shape != target.shape:\n"
    '                raise ValueError(f"{key}: shape {tuple(tensor.shape)} != expected {tuple(target.shape)}")\n'
    "            with torch.no_grad():\n"
    "                target.copy_(tensor)\n"
    "        return model\n"
)
_V19_INIT_LOOP = (
    "        self.apply(self._init_weights)\n"
    "        # GPT-2 scales the two projections that write into the residual stream by\n"
    "        # 1/sqrt(2·n_layer): each block adds two branches, and the stream's variance\n"
    "        # would otherwise grow with depth.\n"
    "        for name, p in self.named_parameters():\n"
    '            if name.endswith("c_proj.weight"):\n'
    "                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))\n"
)
_V19_LOSS_LINE = "            " + _SOFTMAX_CE + "\n"
_V19_SAMPLE = (
    "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
)
_V19_GEN_LOOP = (
    "        for _ in range(max_new_tokens):\n"
    "            if cache is not None and idx.size(1) <= cache_len:\n"
    "                logits, _ = self(idx[:, cache[0].length :], cache=cache)\n"
    "            else:\n"
    "                # The position table ends at block_size: condition on the most recent tokens only.\n"
    "                # Cropping shifts every token's position, so cached keys are stale: recompute from here on.\n"
    "                cache = None\n"
    "                idx_cond = idx[:, -self.config.block_size :]\n"
    "                logits, _ = self(idx_cond)\n"
)
_V19_MERGE_FN = (
    "    out, i, n = [], 0, len(ids)\n"
    "    a, b = pair\n"
    "    while i < n:\n"
    "        if i < n - 1 and ids[i] == a and ids[i + 1] == b:\n"
    "            out.append(new_id)\n"
    "            i += 2\n"
    "        else:\n"
    "            out.append(ids[i])\n"
    "            i += 1\n"
    "    return out\n"
)
_V19_ENCODE_ITER_BODY = (
    "        hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)\n"
    '        buf = ""\n'
    "        for chunk in chunks:\n"
    "            buf += chunk\n"
    "            if len(buf) <= 2 * hold:\n"
    "                continue  # too little text to be worth a scan\n"
    "            allowed = self._allowed(allowed_special, disallowed_special, buf)\n"
    "            cut, ids = self._stable_prefix(buf, len(buf) - hold, allowed)\n"
    "            yield from ids\n"
    "            buf = buf[cut:]\n"
    "        yield from self.encode(buf, allowed_special=allowed_special, disallowed_special=disallowed_special)\n"
)
_V19_BPE_BODY = (
    '    inf = float("inf")\n'
    "    limit = inf if max_rank is None else max_rank\n"
    "    parts = [_BYTES[b] for b in token]\n"
    "    get = ranks.get\n"
    "    # pair_ranks[i]: the rank of parts[i] + parts[i + 1]; a merge changes only its two neighbours.\n"
    "    pair_ranks = [get(a + b, inf) for a, b in itertools.pairwise(parts)]\n"
    "    while pair_ranks:\n"
    "        # Rank order is training order: the pair merged earliest in training merges first.\n"
    "        rank = min(pair_ranks)\n"
    "        if rank >= limit:\n"
    "            break\n"
    "        i = pair_ranks.index(rank)  # the leftmost, if the same pair occurs twice\n"
    "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
    "        del pair_ranks[i]\n"
    "        if i > 0:\n"
    "            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)\n"
    "        if i < len(pair_ranks):\n"
    "            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)\n"
    "    return parts\n"
)
_V19_MERGES_BODY = _V18_MERGES_BODY
_V19_NEXT_BATCH_BODY = (
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1\n"
    "        return x, y\n"
)
_V19_WARMUP = "    if step < warmup_steps:\n        return max_lr * (step + 1) / warmup_steps\n"
_V19_CLIP = "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
_V19_LOAD_BODY = (
    "    device = next(model.parameters()).device\n"
    "    state = torch.load(path, map_location=device, weights_only=False)\n"
    "    raw = model.module if isinstance(model, DDP) else model\n"
    '    raw.load_state_dict(state["model"])\n'
    '    optimizer.load_state_dict(state["optimizer"])\n'
    '    loader.load_state_dict(state["loader"])\n'
)
_V19_MICRO_LOOP = (
    "    for i, (x, y) in enumerate(batches):\n"
    "        if isinstance(model, DDP):\n"
    "            # All-reduce the gradient once, after the last micro-batch, not after every one.\n"
    "            model.require_backward_grad_sync = i == n - 1\n"
    "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype"
    " else contextlib.nullcontext()\n"
    "        with amp:\n"
    "            _, loss = model(x, y)\n"
    "        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,\n"
    "        # the same gradient as one batch n times larger.\n"
    "        loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()\n"
)

_v19 = partial(_in_set, 19)


HELDOUT_V19: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v19(
            "sdpa-scale-from-batch-size",
            "attention.py",
            _V19_SDPA,
            "        return F.scaled_dot_product_attention(q, k, v, is_causal=True,"
            " scale=1.0 / math.sqrt(k.size(0)))\n",
            "attention",
            "the scale read from k.size(0), the batch size, instead of k.size(-1): the scores are divided by "
            "sqrt(B), right only when B == head_dim",
        ),
        ("attention-scale: 1/sqrt(batch size)",),
    ),
    HeldOut(
        _v19(
            "keys-and-values-detached",
            "attention.py",
            "            y = self.attend(q, k, v)\n",
            "            y = self.attend(q, k.detach(), v.detach())  # keep k, v off the graph, as a cache would\n",
            "attention",
            "the keys and values detached before attending (a KV-cache habit applied to the training path): the "
            "output is right, but no gradient flows through k and v, so c_attn's key and value columns never learn",
        ),
        ("attention: keys and values detached",),
    ),
    HeldOut(
        _v19(
            "heads-split-transposing-batch-and-time",
            "attention.py",
            _V19_SPLIT_LINE,
            "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(0, 2) for t in (q, k, v))\n",
            "attention",
            "the heads split with transpose(0, 2) instead of (1, 2): the tensors are (n_head, T, B, head_dim), so "
            "attention runs across the batch elements of one position (causally, in batch order) instead of along time",
        ),
        ("heads-split: transpose(0, 2) (attends across the batch)",),
    ),
    HeldOut(
        _v19(
            "baddbmm-alpha-beta-swapped",
            "attention.py",
            _V19_SDPA,
            "        B, nh, T, hd = q.shape\n"
            "        # additive causal mask, then scores = beta * mask + alpha * q k^T in one fused call\n"
            '        mask = torch.full((T, T), float("-inf"), device=q.device, dtype=q.dtype).triu(1)\n'
            "        mask = mask.expand(B * nh, T, T)\n"
            "        qs, ks, vs = (t.reshape(B * nh, T, hd) for t in (q, k, v))\n"
            "        att = torch.baddbmm(mask, qs, ks.transpose(1, 2), beta=1.0 / math.sqrt(hd), alpha=1.0)\n"
            "        return torch.bmm(att.softmax(dim=-1), vs).view(B, nh, T, hd)\n",
            "attention",
            "attention with torch.baddbmm whose alpha and beta are swapped: beta scales the additive mask (which "
            "stays 0 / -inf) and alpha=1 leaves q k^T unscaled, so the 1/sqrt(head_dim) is lost",
        ),
        ("attention-scale: 1 (unscaled; baddbmm alpha and beta swapped)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "c-proj-per-head-bias-each-head",
            "attention.py",
            _V19_MERGE_LINE + "        return self.c_proj(y)\n",
            "        # c_proj(concat(heads)) is the sum over heads of head_h @ W[:, block h]^T: no concat needed\n"
            "        hd = C // self.n_head\n"
            "        out = 0\n"
            "        for h in range(self.n_head):\n"
            "            w_h = self.c_proj.weight[:, h * hd : (h + 1) * hd]\n"
            "            out = out + F.linear(y[:, h], w_h, self.c_proj.bias)\n"
            "        return out\n",
            "attention",
            "the output projection written as a sum of per-head projections, with c_proj's bias passed to each "
            "head's F.linear: the bias is added n_head times",
        ),
        ("attention: c_proj bias added once per head (n_head times)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "qkv-linear-weights-transposed",
            "attention.py",
            _V19_QKV,
            "        w_q, w_k, w_v = self.c_attn.weight.chunk(3, dim=0)\n"
            "        b_q, b_k, b_v = self.c_attn.bias.chunk(3)\n"
            "        # one projection per stream; the weights are stored (in, out) as in the checkpoint\n"
            "        q = F.linear(x, w_q.t(), b_q)\n"
            "        k = F.linear(x, w_k.t(), b_k)\n"
            "        v = F.linear(x, w_v.t(), b_v)\n",
            "attention",
            "q, k and v projected separately with F.linear(x, w.t(), b), the Conv1D habit: nn.Linear's weight is "
            "already (out, in), so each C x C block is applied transposed (square, so nothing raises)",
        ),
        ("attention: q/k/v weights applied transposed (Conv1D layout)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v19(
            "ln-gain-frozen",
            "layernorm.py",
            "        self.weight = nn.Parameter(torch.ones(ndim))\n",
            "        self.weight = nn.Parameter(torch.ones(ndim), requires_grad=False)\n",
            "layernorm",
            "the LayerNorm gain created with requires_grad=False (copied from a frozen-backbone recipe): the forward "
            "is right, but the gain never receives a gradient and stays at 1",
        ),
        ("layernorm: gain frozen (requires_grad=False)",),
    ),
    HeldOut(
        _v19(
            "ln-bias-one-scalar",
            "layernorm.py",
            "        self.bias = nn.Parameter(torch.zeros(ndim))\n",
            "        self.bias = nn.Parameter(torch.zeros(1))\n",
            "layernorm",
            "the LayerNorm bias made a single scalar shared by every feature: it broadcasts, so forward runs, but "
            "the parameter has the wrong shape and HF's per-feature biases cannot load",
        ),
        ("layernorm: bias a single scalar",),
    ),
    HeldOut(
        _v19(
            "ln-normalised-under-no-grad",
            "layernorm.py",
            _V19_LN_BODY,
            "        # the statistics are constants of the batch: no need to track them\n"
            "        with torch.no_grad():\n"
            "            mu = x.mean(-1, keepdim=True)\n"
            "            sigma2 = x.var(-1, keepdim=True, correction=0)\n"
            "            x_hat = (x - mu) / torch.sqrt(sigma2 + self.eps)\n"
            "        return self.weight * x_hat + self.bias\n",
            "layernorm",
            "the normalisation (not only the statistics) computed inside torch.no_grad(): x_hat is a constant, so "
            "no gradient reaches the input; only the gain and bias learn",
        ),
        ("layernorm: x_hat computed under no_grad (no gradient to the input)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "ln-params-named-gamma-beta",
            "layernorm.py",
            _V19_LN_CLASS_BODY,
            "    def __init__(self, ndim: int, eps: float = 1e-5) -> None:\n"
            "        super().__init__()\n"
            "        self.eps = eps\n"
            "        self.gamma = nn.Parameter(torch.ones(ndim))  # gain\n"
            "        self.beta = nn.Parameter(torch.zeros(ndim))  # shift\n"
            "\n"
            "    def forward(self, x: torch.Tensor) -> torch.Tensor:\n"
            "        centred = x - x.mean(-1, keepdim=True)\n"
            "        var = centred.square().mean(-1, keepdim=True)\n"
            "        return self.gamma * centred * torch.rsqrt(var + self.eps) + self.beta\n",
            "layernorm",
            "LayerNorm written as in the makemore lectures with parameters gamma and beta: the maths is right but "
            "the module has no weight / bias, so HF's ln_1.weight and ln_1.bias have nowhere to load",
        ),
        ("layernorm: parameters named gamma and beta",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v19(
            "mlp-projections-applied-in-reverse",
            "mlp.py",
            _V19_MLP_FORWARD,
            '        return self.c_fc(F.gelu(self.c_proj(x), approximate="tanh"))\n',
            "mlp",
            "the two projections called in the wrong order, c_fc(gelu(c_proj(x))): c_proj expects 4 * n_embd "
            "inputs, so the MLP raises on a shape mismatch",
        ),
        ("mlp: c_proj applied before c_fc (raises)",),
    ),
    HeldOut(
        _v19(
            "mlp-hidden-from-n-head",
            "mlp.py",
            "        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)\n",
            "        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_head)\n",
            "mlp",
            "c_fc's width typed as 4 * config.n_head: the hidden layer has 4 * n_head units while c_proj expects "
            "4 * n_embd, so the MLP raises",
        ),
        ("mlp-hidden: 4*n_head in c_fc (raises)",),
    ),
    HeldOut(
        _v19(
            "gelu-by-hand-one-minus-tanh",
            "mlp.py",
            _V19_MLP_FORWARD,
            "        h = self.c_fc(x)\n"
            "        # GELU, tanh approximation (Hendrycks & Gimpel)\n"
            "        inner = (2.0 / torch.pi) ** 0.5 * (h + 0.044715 * h.pow(3))\n"
            "        h = 0.5 * h * (1.0 - torch.tanh(inner))\n"
            "        return self.c_proj(h)\n",
            "mlp",
            "the tanh GELU written by hand as 0.5 h (1 - tanh(...)) instead of (1 + tanh(...)): the activation is "
            "h * sigmoid(-1.6 h), which passes negative inputs and suppresses positive ones",
        ),
        ("gelu: 1 - tanh instead of 1 + tanh",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v19(
            "block-ln-1-output-detached",
            "block.py",
            "        x = x + self.attn(self.ln_1(x), cache)\n",
            "        x = x + self.attn(self.ln_1(x).detach(), cache)\n",
            "block",
            "the attention branch's input detached: the forward is right, but ln_1 gets no gradient and the input's "
            "gradient misses the attention path",
        ),
        ("block: ln_1 output detached",),
    ),
    HeldOut(
        _v19(
            "block-sublayer-loop-residual-captured-once",
            "block.py",
            _V19_BLOCK_FORWARD,
            "    def forward(self, x: torch.Tensor, cache: KVCache | None = None) -> torch.Tensor:\n"
            "        residual = x\n"
            "        for norm, sublayer in ((self.ln_1, self.attn), (self.ln_2, self.mlp)):\n"
            "            h = norm(x)\n"
            "            h = sublayer(h, cache) if sublayer is self.attn else sublayer(h)\n"
            "            x = residual + h\n"
            "        return x\n",
            "block",
            "the two residual branches written as a loop over (norm, sublayer) with the residual taken once before "
            "it: the MLP's output is added to the block input, so the attention output is dropped from the stream "
            "(it only feeds ln_2)",
        ),
        ("block: mlp residual onto the block input (attention output dropped)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "block-cache-argument-required",
            "block.py",
            _V19_BLOCK_FORWARD,
            "    def forward(self, x: torch.Tensor, cache: KVCache | None) -> torch.Tensor:\n"
            "        a = self.attn(self.ln_1(x), cache)\n"
            "        x = x + a\n"
            "        m = self.mlp(self.ln_2(x))\n"
            "        return x + m\n",
            "block",
            "the block's forward takes the cache without a default: GPT's own loop passes it, but block(x), as the "
            "contract calls a Block, raises TypeError",
        ),
        ("block: cache argument without a default (raises)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v19(
            "from-hf-skips-masked-bias-only",
            "gpt.py",
            '_HF_BUFFER_SUFFIXES = (".attn.bias", ".attn.masked_bias")\n',
            '_HF_BUFFER_SUFFIXES = (".attn.masked_bias",)\n',
            "gpt",
            "the loader skips only HF's .attn.masked_bias buffers, not the causal-mask buffers .attn.bias that "
            "checkpoints carry: h.N.attn.bias is not a key of the model, so loading such a state dict raises KeyError",
        ),
        ("from-hf: attn.bias mask buffers not skipped (raises)",),
    ),
    HeldOut(
        _v19(
            "from-hf-keys-from-named-parameters",
            "gpt.py",
            _V19_FROM_HF_BODY,
            "        model = cls(config)\n"
            "        params = dict(model.named_parameters())\n"
            "        conv1d = {n for n in params if n.endswith(_CONV1D_SUFFIXES)}\n"
            "        with torch.no_grad():\n"
            "            for key, w in state_dict.items():\n"
            "                if key.endswith(_HF_BUFFER_SUFFIXES):\n"
            "                    continue\n"
            '                name = key if key.startswith(("transformer.", "lm_head.")) else "transformer." + key\n'
            "                if name not in params:\n"
            '                    raise KeyError(f"unexpected key in HF state dict: {key!r}")\n'
            "                dest = params[name]\n"
            "                if name in _VOCAB_ROWS:\n"
            "                    dest = dest[: config.vocab_size]\n"
            "                w = w.t() if name in conv1d else w\n"
            "                if w.shape != dest.shape:\n"
            '                    raise ValueError(f"{key}: shape {tuple(w.shape)} != expected {tuple(dest.shape)}")\n'
            "                dest.copy_(w)\n"
            "        return model\n",
            "gpt",
            "the loader looks the HF keys up in dict(model.named_parameters()), which lists the tied weight once "
            "(as transformer.wte.weight): a GPT2LMHeadModel state dict's lm_head.weight is then 'unexpected' and "
            "loading raises KeyError",
        ),
        ("from-hf: keys looked up in named_parameters (tied lm_head.weight missing, raises)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "init-every-weight-attribute",
            "gpt.py",
            _V19_INIT_LOOP,
            "        with torch.no_grad():\n"
            "            for name, module in self.named_modules():\n"
            '                if hasattr(module, "weight"):  # Linear, Embedding: N(0, 0.02)\n'
            "                    module.weight.normal_(0.0, 0.02)\n"
            '                if getattr(module, "bias", None) is not None:\n'
            "                    module.bias.zero_()\n"
            "                # GPT-2's scaled init of the projections into the residual stream\n"
            '                if name.endswith("c_proj"):\n'
            "                    module.weight.normal_(0.0, 0.02 / math.sqrt(2 * config.n_layer))\n",
            "gpt",
            "the init written as a loop over named_modules that draws N(0, 0.02) for every module with a weight "
            "attribute: LayerNorm has one too, so every LayerNorm gain starts near 0 instead of 1",
        ),
        ("init: LayerNorm gains drawn N(0, 0.02)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v19(
            "loss-gathered-along-time",
            "gpt.py",
            _V19_LOSS_LINE,
            "            logp = F.log_softmax(logits, dim=-1)\n"
            "            picked = torch.gather(logp, 1, targets.unsqueeze(-1))  # log p(target) at each position\n"
            "            loss = -picked.mean()\n",
            "loss",
            "cross-entropy by hand with torch.gather along dim 1 (time) instead of the vocabulary dim: token ids "
            "index positions, so the gather reads the wrong entries or raises once an id is >= T",
        ),
        ("loss: log-probs gathered along time (dim=1)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v19(
            "padded-vocab-rounds-up-a-whole-multiple",
            "config.py",
            "        return (self.vocab_size + m - 1) // m * m\n",
            "        return (self.vocab_size // m + 1) * m\n",
            "config",
            "the round-up written (vocab_size // m + 1) * m: it adds a whole multiple even when vocab_size is "
            "already one, so with the default m = 1 the embedding table has 50258 rows, one more than the vocabulary",
        ),
        ("config: padded vocab one multiple too many (50258 rows at m=1)",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v19(
            "top-k-default-50",
            "gpt.py",
            "        top_k: int | None = None,\n",
            "        top_k: int | None = 50,\n",
            "generate",
            "generate's top_k defaults to 50, Hugging Face's generate default, instead of None: plain sampling "
            "silently drops every token outside the 50 most likely",
        ),
        ("top-k: default 50",),
    ),
    HeldOut(
        _v19(
            "kv-buffers-zeros-like-first-append",
            "attention.py",
            "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n",
            "            self.k = torch.zeros_like(k)\n",
            "generate",
            "the key buffer allocated with torch.zeros_like(k): it holds only the first append's positions (the "
            "prompt), not max_len, so writing the next token's key past its end raises",
        ),
        ("kv-cache: key buffer sized to the first append (raises)",),
    ),
    HeldOut(
        _v19(
            "multinomial-one-sample-per-row-count",
            "gpt.py",
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "                idx_next = torch.multinomial(probs, num_samples=probs.size(0), generator=generator)\n",
            "generate",
            "multinomial asked for probs.size(0) samples, meant as 'one per row': num_samples counts draws per "
            "row, so idx_next is (B, B) and, for B > 1, B tokens are appended at once (or the concatenation "
            "raises)",
        ),
        ("sampling: num_samples = batch size",),
    ),
    HeldOut(
        _v19(
            "kv-cache-used-past-block-size",
            "gpt.py",
            _V19_GEN_LOOP,
            "        for _ in range(max_new_tokens):\n"
            "            if cache is not None:\n"
            "                # prompt on the first step, then only the token sampled last\n"
            "                logits, _ = self(idx[:, cache[0].length :], cache=cache)\n"
            "            else:\n"
            "                logits, _ = self(idx[:, -self.config.block_size :])\n",
            "generate",
            "the cached path never falls back to recomputation: once the sequence outgrows block_size the cache "
            "(sized min(block_size, T + new)) is full, and the next append raises instead of cropping the context",
        ),
        ("kv-cache: no fallback past block_size (raises)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "sampled-with-categorical",
            "gpt.py",
            _V19_SAMPLE,
            "                dist = torch.distributions.Categorical(logits=logits)\n"
            "                idx_next = dist.sample().unsqueeze(-1)  # (B, 1)\n",
            "generate",
            "sampling through torch.distributions.Categorical: its sample() has no generator argument and draws "
            "from the global RNG, so a seeded generator no longer makes generation reproducible",
        ),
        ("sampling: ignores the generator (Categorical)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "gumbel-noise-missing-outer-log",
            "gpt.py",
            _V19_SAMPLE,
            "                # Gumbel-max: argmax(logits + Gumbel noise) is a sample of softmax(logits)\n"
            "                u = torch.rand(logits.shape, generator=generator, device=logits.device)\n"
            "                noise = -torch.log(u.clamp_min(1e-20))\n"
            "                idx_next = (logits + noise).argmax(dim=-1, keepdim=True)\n",
            "generate",
            "Gumbel-max sampling with the noise written -log(u) instead of -log(-log(u)): that is exponential noise, "
            "not Gumbel, so argmax(logits + noise) does not sample from softmax(logits)",
        ),
        ("sampling: Gumbel noise without the outer log (-log u)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "per-row-samples-concatenated",
            "gpt.py",
            _V19_SAMPLE,
            "                probs = F.softmax(logits, dim=-1)\n"
            "                rows = [torch.multinomial(p, 1, generator=generator) for p in probs]  # each (1,)\n"
            "                idx_next = torch.cat(rows)\n",
            "generate",
            "each row sampled on its own and the samples joined with torch.cat: that gives shape (B,), not (B, 1), "
            "so appending to idx raises",
        ),
        ("sampling: per-row samples concatenated to (B,) (raises)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v19(
            "heap-popped-with-list-pop",
            "tokenizer.py",
            "            neg_count, _, _, pair = heapq.heappop(heap)\n",
            "            neg_count, _, _, pair = heap.pop()\n",
            "tokenizer",
            "the training heap popped with list.pop(): that takes the list's last element, not the heap's "
            "smallest, so the merges are not the most frequent pairs",
        ),
        ("bpe-training: heap popped with list.pop()",),
    ),
    HeldOut(
        _v19(
            "piece-cache-kept-across-retraining",
            "tokenizer.py",
            "        self._cache: dict[str, list[int]] = {}\n",
            '        self._cache: dict[str, list[int]] = getattr(self, "_cache", {})\n',
            "tokenizer",
            "the pre-token cache kept when the tokenizer is re-initialised: after train() (or on a tokenizer that "
            "encoded before) the cached ids of the old merges are returned for pieces seen before",
        ),
        ("encode: piece cache not cleared on retraining",),
    ),
    HeldOut(
        _v19(
            "save-special-names-only",
            "tokenizer.py",
            '            "special_tokens": self.special_tokens,\n',
            '            "special_tokens": list(self.special_tokens),\n',
            "tokenizer",
            "save writes the special tokens as a list of their strings, without their ids: load passes the list "
            "to from_ranks, whose dict() of strings raises",
        ),
        ("save: special tokens without their ids (load raises)",),
    ),
    HeldOut(
        _v19(
            "split-special-no-return-when-none-allowed",
            "tokenizer.py",
            "            yield False, text\n            return\n",
            "            yield False, text\n",
            "tokenizer",
            "the early exit of _split_special loses its return: with no allowed special the text is yielded, then "
            "the loop with the never-matching pattern yields it once more, so every plain encode is doubled",
        ),
        ("encode: text encoded twice when no special is allowed",),
    ),
    HeldOut(
        _v19(
            "stable-prefix-start-not-advanced",
            "tokenizer.py",
            "            cut = start = m.end()\n",
            "            cut = m.end()\n",
            "tokenizer",
            "streaming: after a special token the scan start is not moved past it, so the next segment's pieces "
            "are searched from the buffer's start again and the text before the special is yielded twice",
        ),
        ("streaming: text before a special token repeated",),
    ),
    HeldOut(
        _v19(
            "merge-replaces-first-occurrence-only",
            "tokenizer.py",
            _V19_MERGE_FN,
            "    out = list(ids)\n"
            "    for i in range(len(out) - 1):\n"
            "        if (out[i], out[i + 1]) == pair:\n"
            "            out[i : i + 2] = [new_id]\n"
            "            return out\n"
            "    return out\n",
            "tokenizer",
            "_merge written as a scan that splices the new id in and returns: only the first occurrence of the pair "
            "in each word is merged, so training counts and merges go wrong for words that hold it twice",
        ),
        ("bpe-training: merge replaces the first occurrence only",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "stream-cut-after-the-last-space",
            "tokenizer.py",
            _V19_ENCODE_ITER_BODY,
            "        opts = dict(allowed_special=allowed_special, disallowed_special=disallowed_special)\n"
            "        hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)\n"
            '        pending = ""\n'
            "        for chunk in chunks:\n"
            "            pending += chunk\n"
            "            # a space starts a new pre-token: everything up to the last one is settled\n"
            '            cut = pending.rfind(" ", 0, max(len(pending) - hold, 0))\n'
            "            if 0 < cut and not (pending[cut - 1].isspace() or pending[cut + 1].isspace()):\n"
            "                yield from self.encode(pending[: cut + 1], **opts)\n"
            "                pending = pending[cut + 1 :]\n"
            "        yield from self.encode(pending, **opts)\n",
            "tokenizer",
            "streaming by cutting at the last space, with the space kept on the settled side: GPT-2's pre-tokens "
            "carry their leading space (' world'), so every cut splits one into ' ' + 'world'",
        ),
        ("streaming: cut after the last space (space left with the prefix)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "bpe-unknown-pairs-rank-zero",
            "tokenizer.py",
            _V19_BPE_BODY,
            '    limit = max_rank if max_rank is not None else float("inf")\n'
            "    parts = [bytes([b]) for b in token]\n"
            "    while len(parts) > 1:\n"
            "        best = None  # (rank, index) of the pair to merge next\n"
            "        for i in range(len(parts) - 1):\n"
            "            r = ranks.get(parts[i] + parts[i + 1], 0)\n"
            "            if r < limit and (best is None or r < best[0]):\n"
            "                best = (r, i)\n"
            "        if best is None:\n"
            "            break\n"
            "        i = best[1]\n"
            "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
            "    return parts\n",
            "tokenizer",
            "BPE rewritten as a scan for the lowest-ranked pair where a pair missing from the ranks defaults to "
            "rank 0 (ranks.get(..., 0)) instead of infinity: unknown pairs merge first, the pre-token collapses "
            "into bytes that are no token, and looking up their id raises",
        ),
        ("bpe: unknown pairs ranked 0 (get default)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "merges-replayed-with-inclusive-rank",
            "tokenizer.py",
            _V19_MERGES_BODY,
            "        merges = {}\n"
            "        for token, rank in sorted(self._ranks.items(), key=lambda kv: kv[1]):\n"
            "            if len(token) < 2:\n"
            "                continue  # a byte token is no merge\n"
            "            # replay BPE on the token's bytes with the merges up to its own: two parts are left\n"
            "            left, right = _bpe(token, self._ranks, max_rank=rank + 1)\n"
            "            merges[(self._ranks[left], self._ranks[right])] = rank\n"
            "        return merges\n",
            "tokenizer",
            "the merges of loaded ranks recovered by replaying BPE with max_rank=rank + 1: the token's own merge is "
            "then allowed, BPE rebuilds the whole token, and unpacking it into two parts raises",
        ),
        ("merges: recovered with the token's own rank allowed (raises)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v19(
            "reset-compares-instead-of-assigning",
            "data.py",
            "        self.batches = 0\n\n    # A checkpoint",
            "        self.batches == 0\n\n    # A checkpoint",
            "data",
            "reset() written self.batches == 0, a comparison, not an assignment: it does nothing, so the loader "
            "keeps reading from where it was",
        ),
        ("loader: reset does nothing (== for =)",),
    ),
    HeldOut(
        _v19(
            "stride-b-times-t-plus-one",
            "data.py",
            "        start = (self.batches * self.world_size + self.rank) * B * T\n",
            "        start = (self.batches * self.world_size + self.rank) * B * (T + 1)\n",
            "data",
            "the batch stride written B * (T + 1), as if each row needed its own T + 1 tokens: consecutive batches "
            "(and ranks) skip B tokens between them",
        ),
        ("loader-stride: B*(T+1)",),
    ),
    HeldOut(
        _v19(
            "state-saved-as-token-offset",
            "data.py",
            '        return {"batches": self.batches}\n',
            '        return {"batches": self.batches * self.B * self.T}\n',
            "data",
            "state_dict stores the position in tokens (batches * B * T) under the key load_state_dict reads as a "
            "batch count: a resumed loader jumps B*T times too far",
        ),
        ("loader-state: token offset saved as the batch count",),
    ),
    HeldOut(
        _v19(
            "rolled-stream-wrong-sign",
            "data.py",
            _V19_NEXT_BATCH_BODY,
            "        B, T, W = self.B, self.T, self.world_size\n"
            "        offset = (self.batches * W + self.rank) * B * T\n"
            "        # rotate the stream so this batch starts at index 0; roll wraps around the end for us\n"
            "        stream = torch.roll(self.tokens, offset)\n"
            "        reps = -(-(B * T + 1) // len(stream))  # data shorter than a batch: go round more than once\n"
            "        stream = stream.repeat(reps)[: B * T + 1]\n"
            "        self.batches += 1\n"
            "        return stream[:-1].reshape(B, T), stream[1:].reshape(B, T)\n",
            "data",
            "the batch cut from the stream rotated with torch.roll(tokens, offset): roll shifts right, so index 0 "
            "holds tokens[-offset], not tokens[offset]; the batches run backwards through the data after the first",
        ),
        ("loader: torch.roll with +offset (reads the stream backwards)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "row-starts-range-one-past",
            "data.py",
            _V19_NEXT_BATCH_BODY,
            "        B, T, n = self.B, self.T, len(self.tokens)\n"
            "        first = (self.batches * self.world_size + self.rank) * B * T\n"
            "        # one row of T + 1 tokens per start; the row's last token is the next row's first\n"
            "        starts = range(first, first + B * T + 1, T)\n"
            "        rows = torch.stack([self.tokens[(s + torch.arange(T + 1)) % n] for s in starts])\n"
            "        self.batches += 1\n"
            "        return rows[:, :-1], rows[:, 1:]\n",
            "data",
            "the batch built row by row from range(first, first + B * T + 1, T): the +1 meant for the extra target "
            "token lands in the range's end, which then yields a (B + 1)-th row start, so x and y are (B + 1, T)",
        ),
        ("loader: B + 1 rows (range end one past)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v19(
            "checkpoint-saved-to-path-then-tmp-renamed",
            "training.py",
            "    torch.save(state, tmp)\n",
            "    torch.save(state, path)\n",
            "training",
            "the atomic save half-written: the checkpoint goes straight to path, and the os.replace(tmp, path) "
            "that follows finds no tmp file and raises FileNotFoundError",
        ),
        ("checkpoint: saved to path, then the missing tmp renamed (raises)",),
    ),
    HeldOut(
        _v19(
            "adamw-betas-torch-default",
            "training.py",
            "    betas: tuple[float, float] = (0.9, 0.95),\n",
            "    betas: tuple[float, float] = (0.9, 0.999),\n",
            "training",
            "configure_optimizers' default betas left at torch's (0.9, 0.999) instead of GPT-2's (0.9, 0.95): "
            "the second moment averages over ~1000 steps, not ~20",
        ),
        ("adamw-betas: (0.9, 0.999)",),
    ),
    HeldOut(
        _v19(
            "weight-decay-divided-by-lr",
            "training.py",
            '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n',
            '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay / learning_rate},\n',
            "training",
            "the decay group's weight_decay divided by the learning rate ('AdamW multiplies it by lr, undo that'): "
            "the matrices decay 1/lr times too strongly",
        ),
        ("weight-decay: divided by the learning rate",),
    ),
    HeldOut(
        _v19(
            "clip-grad-norm-l1",
            "training.py",
            _V19_CLIP,
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm, norm_type=1)\n",
            "training",
            "clip_grad_norm_ given norm_type=1: the gradients are clipped by (and the returned norm is) their L1 "
            "norm, not the L2 norm",
        ),
        ("clipping: L1 norm",),
    ),
    HeldOut(
        _v19(
            "warmup-reaches-max-at-last-warmup-step",
            "training.py",
            _V19_WARMUP,
            "    if step < warmup_steps:\n"
            "        # linear ramp that lands exactly on max_lr at the last warmup step\n"
            "        frac = step / (warmup_steps - 1) if warmup_steps > 1 else 1.0\n"
            "        return max_lr * frac\n",
            "training",
            "the warmup written to land on max_lr at step warmup_steps - 1 as step / (warmup_steps - 1): step 0 "
            "then has lr 0 (a wasted step) and every warmup step's lr is off",
        ),
        ("warmup: max_lr * step / (warmup_steps - 1)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "hand-clip-rebinds-gradient",
            "training.py",
            _V19_CLIP,
            "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
            "    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))\n"
            "    scale = torch.clamp(max_norm / (norm + 1e-6), max=1.0)\n"
            "    for g in grads:\n"
            "        g = g * scale\n",
            "training",
            "clipping by hand with g = g * scale in the loop: that rebinds the loop variable to a new tensor and "
            "leaves every .grad unchanged, so the norm is computed and reported but nothing is clipped",
        ),
        ("clipping: gradients not scaled (loop variable rebound)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "load-state-dict-assign",
            "training.py",
            _V19_LOAD_BODY,
            "    device = next(model.parameters()).device\n"
            "    state = torch.load(path, map_location=device, weights_only=False)\n"
            "    target = model.module if isinstance(model, DDP) else model\n"
            "    # assign=True takes the loaded tensors as they are: no second copy of the weights\n"
            '    target.load_state_dict(state["model"], assign=True)\n'
            '    optimizer.load_state_dict(state["optimizer"])\n'
            '    loader.load_state_dict(state["loader"])\n',
            "training",
            "the weights loaded with load_state_dict(..., assign=True): the model's parameters are replaced by new "
            "tensors, so the optimizer keeps updating the old ones (and the tied wte / lm_head come apart); the "
            "resumed run stops learning",
        ),
        ("checkpoint: weights loaded with assign=True (optimizer holds stale parameters)",),
        "rewrite",
    ),
    HeldOut(
        _v19(
            "accumulated-loss-backward-in-loop",
            "training.py",
            _V19_MICRO_LOOP,
            "    total = None\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1\n"
            "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype"
            " else contextlib.nullcontext()\n"
            "        with amp:\n"
            "            _, loss = model(x, y)\n"
            "        total = loss / n if total is None else total + loss / n  # mean over the micro-batches\n"
            "        total.backward()\n"
            "    loss_accum = total.detach()\n",
            "training",
            "gradient accumulation that keeps a running sum of the micro-batch losses and calls backward on the sum "
            "inside the loop: the second backward walks the first micro-batch's freed graph again and raises",
        ),
        ("accumulation: running loss sum backpropagated every micro-batch (raises)",),
        "rewrite",
    ),
]

V19_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V19}


# ==================================================================== HELDOUT_V20
# A twentieth held-out set, written and committed on its own by a helper that never read the probes, the verdicts,
# the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what engineers
# get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch (nanoGPT /
# minbpe style), not from what the tool measures; the names and whys of the earlier sets were skimmed to pick other
# mistakes. About half is written="rewrite" (the piece written over in another engineer's style, one mistake
# inside); the rest are edits at one place. Each was checked only for validity (it materialises and a non-slow spec
# test of its section fails with the fingerprint off, --tb=no), never run through the diagnosis. ``accept`` names
# the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 66 written, 18
# dropped, 48 kept: attention 5 (1 edit, 4 rewrites), layernorm 4 (2, 2), mlp 3 (2, 1), block 2 (1, 1), gpt 3 (1, 2),
# loss 1 (0, 1), config 1 (1, 0), generate 9 (4, 5), tokenizer 8 (4, 4), data 4 (2, 2), training 8 (4, 4); 22 edits,
# 26 rewrites. All 26 rewrites were also graded with their mistake fixed: every non-slow test of the section passes.
# Three KV-cache bugs written in attention.py (kv-mask-top-rows-of-square, kv-cache-advance-by-batch,
# kv-cache-cat-length-by-head-dim) are graded under generate, as earlier sets grade the cache: the attention
# section's non-slow tests never use a cache, and test_generate catches all three.
# Dropped: fourteen that test_held_out_set_is_new found to make the same edit as a known bug or an earlier entry
# (LayerNorm bias initialised to ones, LayerNorm eps 1e-3, the bias folded as (x_hat + b) * w, SiLU and tanh for
# GELU, c_proj's bias added twice in the MLP, multinomial without the generator, the new token prepended,
# vocab_size without the specials, an explicit disallowed set ignored, special ids from the requested vocab size,
# the warmup branch taken at step warmup_steps, warmup over warmup_steps + 1, weight decay multiplied by the lr);
# one that is no bug here: (1) the block calling self.attn(h) without the cache: the cache then never fills, so
# GPT.forward reads length 0 and generate re-feeds the whole sequence every step from position 0 (right tokens,
# only slow); and three that no non-slow spec test of their section failed (possible spec gaps): (1) the greedy
# branch guarded by temperature < 1 instead of == 0: no non-slow generate test tells sampling at a temperature
# strictly between 0 and 1 from greedy decoding; (2) the
# streaming cut testing a pre-token's start against the limit instead of its end (_stable_prefix): a piece that
# starts before the held-back tail and runs to the end of the buffer is emitted though the next chunk could extend
# it; only a pre-token longer than the hold-back (8 + the longest special's length) ending a chunk shows it, and no
# streaming test has one; (3) as_token_tensor returning a token tensor without .flatten(): no test passes the
# loader a 2-D tensor of ids.

_V20_SDPA = (
    "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))\n"
)
_V20_CACHED_MASK = "        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)\n"
_V20_SPLIT_LINE = "        " + _SPLIT + "\n"
_V20_APPEND_BODY = (
    "        start, end = self.length, self.length + k.size(2)\n"
    "        if end > self.max_len:\n"
    '            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")\n'
    "        if self.k is None or self.v is None:  # allocate lazily: k's dtype may be bf16 under autocast\n"
    "            B, nh, _, hd = k.shape\n"
    "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n"
    "            self.v = v.new_zeros(B, nh, self.max_len, hd)\n"
    "        self.k[:, :, start:end] = k\n"
    "        self.v[:, :, start:end] = v\n"
    "        self.length = end\n"
    "        return self.k[:, :, :end], self.v[:, :, :end]\n"
)
_V20_LN_FORWARD = (
    "        mean = x.mean(dim=-1, keepdim=True)\n"
    "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n"
    "        " + _LN_NORM + "\n"
    "        " + _LN_OUT + "\n"
)
_V20_MLP_FORWARD = '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n'
_V20_BLOCK_BODY = (
    "        x = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(x))\n        return x\n"
)
_V20_INIT = (
    "        self.apply(self._init_weights)\n"
    "        # GPT-2 scales the two projections that write into the residual stream by\n"
    "        # 1/sqrt(2·n_layer): each block adds two branches, and the stream's variance\n"
    "        # would otherwise grow with depth.\n"
    "        for name, p in self.named_parameters():\n"
    '            if name.endswith("c_proj.weight"):\n'
    "                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))\n"
)
_V20_LOSS = "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n"
_V20_SAMPLE = (
    "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
)
_V20_TOPK_AND_SAMPLE = (
    "                if top_k is not None:\n"
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n' + _V20_SAMPLE
)
_V20_GEN_LOOP = (
    "        for _ in range(max_new_tokens):\n"
    "            if cache is not None and idx.size(1) <= cache_len:\n"
    "                logits, _ = self(idx[:, cache[0].length :], cache=cache)\n"
)
_V20_MERGE_FN = (
    "    out, i, n = [], 0, len(ids)\n"
    "    a, b = pair\n"
    "    while i < n:\n"
    "        if i < n - 1 and ids[i] == a and ids[i + 1] == b:\n"
    "            out.append(new_id)\n"
    "            i += 2\n"
    "        else:\n"
    "            out.append(ids[i])\n"
    "            i += 1\n"
    "    return out\n"
)
_V20_BPE_BODY = (
    '    inf = float("inf")\n'
    "    limit = inf if max_rank is None else max_rank\n"
    "    parts = [_BYTES[b] for b in token]\n"
    "    get = ranks.get\n"
    "    # pair_ranks[i]: the rank of parts[i] + parts[i + 1]; a merge changes only its two neighbours.\n"
    "    pair_ranks = [get(a + b, inf) for a, b in itertools.pairwise(parts)]\n"
    "    while pair_ranks:\n"
    "        # Rank order is training order: the pair merged earliest in training merges first.\n"
    "        rank = min(pair_ranks)\n"
    "        if rank >= limit:\n"
    "            break\n"
    "        i = pair_ranks.index(rank)  # the leftmost, if the same pair occurs twice\n"
    "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
    "        del pair_ranks[i]\n"
    "        if i > 0:\n"
    "            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)\n"
    "        if i < len(pair_ranks):\n"
    "            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)\n"
    "    return parts\n"
)
_V20_SPLIT_SPECIAL_BODY = (
    "        if not allowed:\n"
    "            yield False, text\n"
    "            return\n"
    "        start = 0\n"
    "        for m in self._special_regex(allowed).finditer(text):\n"
    "            yield False, text[start : m.start()]\n"
    "            yield True, m.group()\n"
    "            start = m.end()\n"
    "        yield False, text[start:]\n"
)
_V20_NEXT_BATCH_BODY = (
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1\n"
    "        return x, y\n"
)
_V20_GET_LR_BODY = (
    "    if step < warmup_steps:\n"
    "        return max_lr * (step + 1) / warmup_steps\n"
    "    if step >= max_steps:\n"
    "        return min_lr\n"
    "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1\n"
    "    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0\n"
    "    return min_lr + coeff * (max_lr - min_lr)\n"
)
_V20_CLIP_STEP = "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n    optimizer.step()\n"
_V20_BACKWARD = (
    "        loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()\n"
)

_v20 = partial(_in_set, 20)

HELDOUT_V20: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v20(
            "kv-mask-top-rows-of-square",
            "attention.py",
            _V20_CACHED_MASK,
            "        mask = torch.ones(S, S, dtype=torch.bool, device=q.device).tril()[:T]\n",
            "generate",
            "the cached-attention mask cut as the first T rows of an S x S lower triangle instead of the last T: "
            "the new queries get the masks of positions 0 .. T-1, so one new token sees only key 0",
        ),
        ("kv-cache mask: top rows of the square (new tokens see the first keys only)",),
    ),
    HeldOut(
        _v20(
            "kv-cache-advance-by-batch",
            "attention.py",
            "        start, end = self.length, self.length + k.size(2)\n",
            "        start, end = self.length, self.length + k.size(0)\n",
            "generate",
            "the cache's end position advanced by k.size(0), the batch size, instead of k.size(2), the number of new "
            "positions: a prompt of T tokens is written into a slot B wide (a shape error unless B == T) and the "
            "positions drift",
        ),
        ("kv-cache: length advanced by the batch size",),
    ),
    HeldOut(
        _v20(
            "values-are-queries",
            "attention.py",
            _V20_SPLIT_LINE,
            "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, q))\n",
            "attention",
            "the head split iterates over (q, k, q): the values are the queries, so c_attn's value columns are never "
            "used and the output mixes query vectors",
        ),
        ("attention: values taken from the queries",),
    ),
    HeldOut(
        _v20(
            "einsum-softmax-max-without-keepdim",
            "attention.py",
            _V20_SDPA,
            "        T = q.size(-2)\n"
            '        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.size(-1))\n'
            "        causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()\n"
            '        scores = scores.masked_fill(~causal, float("-inf"))\n'
            "        # stable softmax by hand: subtract each row's max before exponentiating\n"
            "        scores = scores - scores.amax(dim=-1)\n"
            "        w = scores.exp()\n"
            "        w = w / w.sum(dim=-1, keepdim=True)\n"
            '        return torch.einsum("bhqk,bhkd->bhqd", w, v)\n',
            "attention",
            "a hand softmax whose max is taken without keepdim: amax(dim=-1) is (B, nh, T) and broadcasts along the "
            "last axis, so entry (i, j) is shifted by row j's max, not row i's; the rows are no longer a softmax of "
            "the scores (and can overflow)",
        ),
        ("attention softmax: row max subtracted without keepdim (shifted per column)",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "query-loop-keys-exclude-self",
            "attention.py",
            _V20_SDPA,
            "        # one query position at a time: position t attends to the keys up to t\n"
            "        hd = q.size(-1)\n"
            "        outs = []\n"
            "        for t in range(q.size(-2)):\n"
            "            k_t, v_t = k[:, :, :t], v[:, :, :t]\n"
            "            w = (q[:, :, t : t + 1] @ k_t.transpose(-2, -1) / math.sqrt(hd)).softmax(dim=-1)\n"
            "            outs.append(w @ v_t)\n"
            "        return torch.cat(outs, dim=2)\n",
            "attention",
            "attention written as a loop over query positions whose keys are sliced [:t] instead of [:t + 1]: each "
            "position sees only the earlier ones, never itself, and position 0 attends to nothing (a zero output)",
        ),
        ("causal-mask: excludes the diagonal (query loop keys [:t])",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "kv-cache-cat-length-by-head-dim",
            "attention.py",
            _V20_APPEND_BODY,
            "        # grow by concatenation: simpler than a preallocated buffer\n"
            "        if self.k is None or self.v is None:\n"
            "            self.k, self.v = k, v\n"
            "        else:\n"
            "            self.k = torch.cat([self.k, k], dim=2)\n"
            "            self.v = torch.cat([self.v, v], dim=2)\n"
            "        if self.k.size(2) > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {self.k.size(2)} requested")\n'
            "        self.length += k.size(-1)\n"
            "        return self.k, self.v\n",
            "generate",
            "a KV cache that grows by torch.cat along time but advances its length by k.size(-1), the head "
            "dimension, instead of k.size(2): the model reads cache.length as the next position, so positions jump "
            "by head_dim per step",
        ),
        ("kv-cache: length advanced by head_dim",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "values-sliced-as-keys",
            "attention.py",
            "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n",
            "        qkv = self.c_attn(x)\n"
            "        q = qkv[..., : self.n_embd]\n"
            "        k = qkv[..., self.n_embd : 2 * self.n_embd]\n"
            "        v = qkv[..., self.n_embd : 2 * self.n_embd]\n",
            "attention",
            "q, k and v sliced out of c_attn's output by hand, with v given k's slice [C:2C] instead of [2C:3C]: the "
            "values are the keys and c_attn's value columns are never used",
        ),
        ("attention: values sliced as the keys",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "einsum-values-weights-transposed",
            "attention.py",
            _V20_SDPA,
            "        T, hd = q.size(-2), q.size(-1)\n"
            '        s = torch.einsum("bhtd,bhsd->bhts", q, k) * hd**-0.5\n'
            "        future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)\n"
            '        w = s.masked_fill(future, float("-inf")).softmax(dim=-1)\n'
            '        return torch.einsum("bhts,bhtd->bhsd", w, v)\n',
            "attention",
            "the weighted sum of values written as einsum('bhts,bhtd->bhsd'): the output index is the key index s "
            "and the sum runs over the queries t, so it applies the transposed attention weights (position s gets "
            "the values of the queries that attended to it)",
        ),
        ("attention: weights applied transposed in the value einsum",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v20(
            "ln-var-detached",
            "layernorm.py",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True).detach()  # a statistic: no gradient needed\n",
            "layernorm",
            "the variance detached from the graph (treated as a constant statistic): the forward is right, but the "
            "gradient misses the term through the variance, so LayerNorm's input gradient is wrong",
        ),
        ("layernorm: variance detached (gradient)",),
    ),
    HeldOut(
        _v20(
            "ln-mean-dim-2-hardcoded",
            "layernorm.py",
            "        mean = x.mean(dim=-1, keepdim=True)\n        var",
            "        mean = x.mean(dim=2, keepdim=True)\n        var",
            "layernorm",
            "the mean taken over dim=2 (written for (B, T, C) input) instead of dim=-1: right on 3-D input, wrong on "
            "any other rank (a 2-D (N, C) input raises, a 4-D one is centred along the wrong axis)",
        ),
        ("layernorm: mean over dim 2 (3-D input only)",),
    ),
    HeldOut(
        _v20(
            "ln-affine-channels-first-view",
            "layernorm.py",
            _V20_LN_FORWARD,
            "        mu = x.mean(-1, keepdim=True)\n"
            "        centred = x - mu\n"
            "        sigma2 = centred.square().mean(-1, keepdim=True)\n"
            "        normed = centred / torch.sqrt(sigma2 + self.eps)\n"
            "        # gain and shift broadcast over the channel axis\n"
            "        return normed * self.weight.view(1, -1, 1) + self.bias.view(1, -1, 1)\n",
            "layernorm",
            "the gain and bias reshaped to (1, C, 1), the channels-first BatchNorm/conv habit: on (B, T, C) they "
            "broadcast along time, so it raises unless T == C, and then scales each position instead of each feature",
        ),
        ("layernorm: affine broadcast channels-first (1, C, 1)",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "ln-var-unsqueezed-at-dim-1",
            "layernorm.py",
            _V20_LN_FORWARD,
            "        mean = x.mean(-1)[..., None]\n"
            "        var = ((x - mean) ** 2).mean(-1)[:, None]\n"
            "        return (x - mean) / (var + self.eps).sqrt() * self.weight + self.bias\n",
            "layernorm",
            "the variance re-expanded with [:, None] (written for 2-D input) instead of [..., None]: on (B, T, C) it "
            "becomes (B, 1, T), so the features are divided by the other positions' variances (a shape error unless "
            "T == C); right only on 2-D input",
        ),
        ("layernorm: variance unsqueezed at dim 1 (right for 2-D input only)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v20(
            "mlp-hardswish-for-gelu",
            "mlp.py",
            _V20_MLP_FORWARD,
            "        return self.c_proj(F.hardswish(self.c_fc(x)))\n",
            "mlp",
            "hard-swish (MobileNetV3's piecewise x * relu6(x + 3) / 6) instead of the tanh GELU",
        ),
        ("mlp activation: hardswish",),
    ),
    HeldOut(
        _v20(
            "mlp-gelu-in-half",
            "mlp.py",
            _V20_MLP_FORWARD,
            '        h = F.gelu(self.c_fc(x).half(), approximate="tanh").to(x.dtype)  # the 4x activation in fp16\n'
            "        return self.c_proj(h)\n",
            "mlp",
            "the 4x-wide activation computed in float16 to save memory: the hidden values are rounded to fp16's "
            "11-bit mantissa (about 1e-3 relative), which breaks parity at fp32",
        ),
        ("mlp: GELU computed in float16",),
    ),
    HeldOut(
        _v20(
            "mlp-fc-bias-after-gelu",
            "mlp.py",
            _V20_MLP_FORWARD,
            "        w1, b1 = self.c_fc.weight, self.c_fc.bias\n"
            "        w2, b2 = self.c_proj.weight, self.c_proj.bias\n"
            "        h = x @ w1.T\n"
            "        h = 0.5 * h * (1.0 + torch.tanh((2.0 / torch.pi) ** 0.5 * (h + 0.044715 * h**3))) + b1\n"
            "        return h @ w2.T + b2\n",
            "mlp",
            "the MLP written with explicit matmuls and a hand tanh-GELU, with c_fc's bias added after the activation "
            "instead of before it: GELU(x W1^T) + b1 instead of GELU(x W1^T + b1)",
        ),
        ("mlp: c_fc bias added after the GELU",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v20(
            "block-ln-1-eps-is-n-head",
            "block.py",
            "        self.ln_1 = LayerNorm(config.n_embd)\n",
            "        self.ln_1 = LayerNorm(config.n_embd, config.n_head)\n",
            "block",
            "ln_1 built as LayerNorm(n_embd, n_head): the second positional argument is eps, so the first LayerNorm "
            "of every block divides by sqrt(var + n_head) and barely normalises",
        ),
        ("layernorm-eps: n_head (ln_1 only)",),
    ),
    HeldOut(
        _v20(
            "block-output-drops-attention-branch",
            "block.py",
            _V20_BLOCK_BODY,
            "        a = self.attn(self.ln_1(x), cache)\n"
            "        m = self.mlp(self.ln_2(x + a))\n"
            "        return x + m\n",
            "block",
            "the block returns x + m, where the MLP read x + a: the attention branch feeds the MLP but is left out of "
            "the residual stream the next block sees",
        ),
        ("block: attention output left out of the stream",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v20(
            "wpe-init-std-0-01",
            "gpt.py",
            "        self.apply(self._init_weights)\n",
            "        self.apply(self._init_weights)\n"
            "        nn.init.normal_(self.transformer.wpe.weight, mean=0.0, std=0.01)  # as in OpenAI's model.py\n",
            "gpt",
            "the position table re-initialised with std 0.01 (OpenAI's TF code) instead of the contract's 0.02",
        ),
        ("init: wpe std 0.01",),
    ),
    HeldOut(
        _v20(
            "init-by-ndim-zeroes-ln-gains",
            "gpt.py",
            _V20_INIT,
            "        # matrices ~ N(0, 0.02), vectors (biases) zero; residual projections scaled down\n"
            "        for name, p in self.named_parameters():\n"
            "            if p.dim() >= 2:\n"
            "                std = 0.02\n"
            '                if name.endswith("c_proj.weight"):\n'
            "                    std /= math.sqrt(2 * config.n_layer)\n"
            "                nn.init.normal_(p, mean=0.0, std=std)\n"
            "            else:\n"
            "                nn.init.zeros_(p)\n",
            "gpt",
            "initialisation by tensor rank: every 1-D parameter is zeroed, which zeroes the LayerNorm gains along "
            "with the biases, so every LayerNorm outputs its bias (0) at init and the model's logits are all zero",
        ),
        ("init: LayerNorm gains zeroed",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "residual-init-by-in-features",
            "gpt.py",
            _V20_INIT,
            "        self.apply(self._init_weights)\n"
            "        scaled_std = 0.02 / math.sqrt(2 * config.n_layer)\n"
            "        for module in self.modules():\n"
            "            # the projections back into the residual stream: Linear layers that read n_embd features\n"
            "            if isinstance(module, nn.Linear) and module.in_features == config.n_embd:\n"
            "                nn.init.normal_(module.weight, mean=0.0, std=scaled_std)\n",
            "gpt",
            "the residual projections picked as Linear layers with in_features == n_embd instead of out_features: "
            "that scales c_attn, c_fc, attn.c_proj and the tied lm_head / wte, and leaves mlp.c_proj at 0.02",
        ),
        ("init: residual scaling picked by in_features (c_attn, c_fc, wte scaled; mlp.c_proj not)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v20(
            "loss-targets-flattened-time-major",
            "gpt.py",
            _V20_LOSS,
            "            logp = F.log_softmax(logits, dim=-1).flatten(0, 1)  # (B*T, V)\n"
            "            loss = F.nll_loss(logp, targets.t().flatten())\n",
            "loss",
            "the loss as nll_loss of log_softmax with the targets flattened after .t(): the targets are time-major "
            "while the logits are batch-major, so for B > 1 each row is scored against another row's token",
        ),
        ("loss: targets flattened time-major",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v20(
            "vocab-50256-without-endoftext",
            "config.py",
            "    vocab_size: int = 50257  # 50,000 BPE merges + 256 byte tokens + <|endoftext|>\n",
            "    vocab_size: int = 50256  # 50,000 BPE merges + 256 byte tokens\n",
            "config",
            "the default vocab_size 50256: 50,000 merges + 256 bytes, forgetting <|endoftext|>",
        ),
        ("config: vocab_size 50256",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v20(
            "temperature-floored-at-1",
            "gpt.py",
            "                logits = logits / temperature\n",
            "                logits = logits / max(temperature, 1.0)\n",
            "generate",
            "the temperature clamped with max(temperature, 1.0) (meant as a guard against division by zero): every "
            "temperature below 1 samples as if it were 1",
        ),
        ("temperature: floored at 1",),
    ),
    HeldOut(
        _v20(
            "greedy-samples-at-temperature-1",
            "gpt.py",
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n",
            "                idx_next = torch.multinomial(F.softmax(logits, dim=-1), num_samples=1, "
            "generator=generator)\n",
            "generate",
            "the temperature-0 branch samples from softmax(logits) instead of taking the argmax: greedy decoding "
            "samples at temperature 1",
        ),
        ("greedy: samples at temperature 1",),
    ),
    HeldOut(
        _v20(
            "inverse-cdf-normalised-over-batch",
            "gpt.py",
            _V20_SAMPLE,
            "                probs = F.softmax(logits, dim=-1)\n"
            "                # inverse-CDF sampling: the first token whose cumulative probability passes u\n"
            "                cdf = probs.cumsum(dim=-1) / probs.sum()\n"
            "                u = torch.rand(probs.size(0), 1, generator=generator, device=probs.device)\n"
            "                idx_next = (cdf < u).sum(dim=-1, keepdim=True).clamp(max=probs.size(-1) - 1)\n",
            "generate",
            "inverse-CDF sampling whose CDF is normalised by probs.sum() over the whole batch instead of per row: "
            "with B rows every CDF ends at 1/B, so most draws fall past the end and are clamped to the last token",
        ),
        ("sampling: inverse CDF normalised over the batch",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "top-k-mask-union-over-batch",
            "gpt.py",
            _V20_TOPK_AND_SAMPLE,
            "                if top_k is not None:\n"
            "                    keep = torch.zeros_like(logits, dtype=torch.bool)\n"
            "                    top = logits.topk(min(top_k, logits.size(-1)), dim=-1).indices\n"
            "                    keep[:, top] = True\n"
            '                    logits = logits.masked_fill(~keep, float("-inf"))\n' + _V20_SAMPLE,
            "generate",
            "a top-k keep-mask filled with keep[:, top] = True: the (B, k) index broadcasts to every row, so each row "
            "keeps the union of all rows' top-k tokens (right only for B == 1)",
        ),
        ("top-k: keep-mask is the union over the batch",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "top-k-probs-compared-to-logit-threshold",
            "gpt.py",
            _V20_TOPK_AND_SAMPLE,
            "                probs = F.softmax(logits, dim=-1)\n"
            "                if top_k is not None:\n"
            "                    kth = logits.topk(min(top_k, logits.size(-1)), dim=-1).values[:, -1:]\n"
            "                    probs = torch.where(probs < kth, torch.zeros_like(probs), probs)\n"
            "                    probs = probs / probs.sum(dim=-1, keepdim=True)\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "generate",
            "top-k applied to the probabilities but with the threshold taken from the logits: probabilities are "
            "compared to the k-th largest logit, so nothing is cut when that logit is <= 0 and everything when it is "
            "above every probability",
        ),
        ("top-k: probabilities compared to a logit threshold",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "kv-cache-fed-counter-advanced-by-one",
            "gpt.py",
            _V20_GEN_LOOP,
            "        fed = 0  # tokens the cache has seen\n"
            "        for _ in range(max_new_tokens):\n"
            "            if cache is not None and idx.size(1) <= cache_len:\n"
            "                logits, _ = self(idx[:, fed:], cache=cache)\n"
            "                fed += 1\n",
            "generate",
            "the cache's fed-token counter advanced by 1 per step instead of set to idx.size(1): after a prompt of P "
            "tokens the next step re-feeds P tokens already cached, which are appended again at new positions",
        ),
        ("kv-cache: fed counter advanced by one (prompt re-fed)",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v20(
            "stream-lookahead-one",
            "tokenizer.py",
            "_LOOKAHEAD = 8\n",
            "_LOOKAHEAD = 1\n",
            "tokenizer",
            "the streaming hold-back of one character: a pre-token that ends at the held-back boundary can still be "
            "extended by the next chunk (a word, a number or a whitespace run split between chunks)",
        ),
        ("streaming: hold-back of 1 character",),
    ),
    HeldOut(
        _v20(
            "piece-cache-keyed-by-stripped-piece",
            "tokenizer.py",
            "            self._cache[piece] = ids\n",
            "            self._cache[piece.strip()] = ids\n",
            "tokenizer",
            "encoded pre-tokens stored under piece.strip(): ' world' is computed and stored as 'world', so a "
            "later lookup of 'world' returns the ids of ' world' (and the reverse)",
        ),
        ("encode cache: keyed by the stripped piece",),
    ),
    HeldOut(
        _v20(
            "pair-count-updates-unweighted",
            "tokenizer.py",
            "                f = freqs[w]\n",
            "                f = 1\n",
            "tokenizer",
            "the incremental count update after a merge subtracts and adds 1 per word instead of the word's "
            "frequency: the initial counts are weighted but every update is not, so after the first merge the counts "
            "drift",
        ),
        ("training: count updates unweighted",),
    ),
    HeldOut(
        _v20(
            "requeue-before-overwritten",
            "tokenizer.py",
            "                for p in itertools.pairwise(new):\n                    before.setdefault(p, stats[p])\n",
            "                for p in itertools.pairwise(new):\n                    before[p] = stats[p]\n",
            "tokenizer",
            "the count a pair had before the merge overwritten each time a word touches it: for a pair in several "
            "words the saved 'before' is an intermediate count, which can equal the final one, so the changed count "
            "is never pushed and the pair is lost from the heap (its stale entries are skipped)",
        ),
        ("training: changed pair counts not requeued",),
    ),
    HeldOut(
        _v20(
            "merge-last-id-appended-always",
            "tokenizer.py",
            _V20_MERGE_FN,
            "    out = []\n"
            "    i = 0\n"
            "    while i < len(ids) - 1:\n"
            "        if (ids[i], ids[i + 1]) == pair:\n"
            "            out.append(new_id)\n"
            "            i += 2\n"
            "        else:\n"
            "            out.append(ids[i])\n"
            "            i += 1\n"
            "    if ids:\n"
            "        out.append(ids[-1])  # the last id has no right neighbour\n"
            "    return out\n",
            "tokenizer",
            "a merge loop that stops before the last id and then always appends it: when the last pair was merged, "
            "its right id is appended again after the merged token",
        ),
        ("merge: last id appended after a merged final pair",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "bpe-ranks-looked-up-by-tuple",
            "tokenizer.py",
            _V20_BPE_BODY,
            '    inf = float("inf")\n'
            "    limit = inf if max_rank is None else max_rank\n"
            "    parts = [bytes([b]) for b in token]\n"
            "    while len(parts) > 1:\n"
            "        pairs = list(zip(parts, parts[1:]))\n"
            "        best = min(pairs, key=lambda p: ranks.get(p, inf))  # leftmost lowest rank\n"
            "        rank = ranks.get(best, inf)\n"
            "        if rank >= limit:\n"
            "            break\n"
            "        i = pairs.index(best)\n"
            "        parts[i : i + 2] = [best[0] + best[1]]\n"
            "    return parts\n",
            "tokenizer",
            "minbpe-style BPE that looks a pair up in the ranks as the tuple (left, right) instead of the joined "
            "bytes left + right: no tuple is a key, every pair ranks inf, and nothing ever merges (bytes in, bytes "
            "out)",
        ),
        ("bpe: ranks looked up by pair tuple (never merges)",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "naive-trainer-pairs-deduplicated-per-word",
            "tokenizer.py",
            "        merges: dict[tuple[int, int], int] = {}\n"
            "        while len(merges) < n_merges and heap:\n"
            "            neg_count, _, _, pair = heapq.heappop(heap)\n"
            "            if stats.get(pair, 0) != -neg_count:\n"
            "                continue  # this entry's count is out of date; a fresher one is in the heap\n",
            "        merges: dict[tuple[int, int], int] = {}\n"
            "        while len(merges) < n_merges:\n"
            "            # recount from scratch each step: simple, and the corpus has shrunk to its distinct words\n"
            "            counts_now: dict[tuple[int, int], int] = defaultdict(int)\n"
            "            for ids_w, f in zip(words, freqs):\n"
            "                for p in set(zip(ids_w, ids_w[1:])):\n"
            "                    counts_now[p] += f\n"
            "            if not counts_now:\n"
            "                break\n"
            "            pair = min(counts_now, key=lambda p: (-counts_now[p], vocab[p[0]], vocab[p[1]]))\n"
            "            stats = counts_now\n"
            "            where[pair] = set(range(len(words)))\n",
            "tokenizer",
            "a recount-every-step trainer that counts each word's pairs through set(zip(...)): a pair that occurs "
            "twice in one word ('aaa', 'abab') counts once per word, not once per occurrence, so the merge order "
            "differs from the true pair counts",
        ),
        ("training: pair counted once per word (deduplicated)",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "split-special-skips-by-loop-variable",
            "tokenizer.py",
            _V20_SPLIT_SPECIAL_BODY,
            "        start = 0\n"
            "        while allowed:\n"
            "            # the earliest occurrence of any allowed special, the longest on a tie\n"
            "            best, at = None, -1\n"
            "            for s in allowed:\n"
            "                j = text.find(s, start)\n"
            "                if j >= 0 and (best is None or j < at or (j == at and len(s) > len(best))):\n"
            "                    best, at = s, j\n"
            "            if best is None:\n"
            "                break\n"
            "            yield False, text[start:at]\n"
            "            yield True, best\n"
            "            start = at + len(s)\n"
            "        yield False, text[start:]\n",
            "tokenizer",
            "special tokens found with str.find, but the text resumes at at + len(s), s being the loop variable left "
            "from the search (the last special tried), not the one found: with specials of different lengths the "
            "text after a special is cut at the wrong place",
        ),
        ("specials: split resumes by the wrong special's length",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v20(
            "stride-b-times-t-minus-one",
            "data.py",
            "        start = (self.batches * self.world_size + self.rank) * B * T\n",
            "        start = (self.batches * self.world_size + self.rank) * (B * T - 1)\n",
            "data",
            "batches strided by B*T - 1 tokens ('share the boundary token'): each batch starts one token before the "
            "previous one ended, so the stream drifts back one token per batch and ranks overlap by one",
        ),
        ("loader: stride B*T - 1",),
    ),
    HeldOut(
        _v20(
            "loader-state-one-behind",
            "data.py",
            '        return {"batches": self.batches}\n',
            '        return {"batches": self.batches - 1}  # the last batch read\n',
            "data",
            "the loader's state saved as the index of the last batch read instead of the number read: a resumed run "
            "reads that batch a second time",
        ),
        ("loader state: one batch behind",),
    ),
    HeldOut(
        _v20(
            "row-loop-cat-not-stack",
            "data.py",
            _V20_NEXT_BATCH_BODY,
            "        B, T, n = self.B, self.T, len(self.tokens)\n"
            "        base = (self.batches * self.world_size + self.rank) * B * T\n"
            "        xs, ys = [], []\n"
            "        for b in range(B):\n"
            "            row = self.tokens[(base + b * T + torch.arange(T + 1)) % n]\n"
            "            xs.append(row[:-1])\n"
            "            ys.append(row[1:])\n"
            "        self.batches += 1\n"
            "        return torch.cat(xs), torch.cat(ys)\n",
            "data",
            "next_batch built row by row, with the rows joined by torch.cat instead of torch.stack: x and y come out "
            "1-D of length B*T instead of (B, T)",
        ),
        ("loader: rows concatenated (1-D batch)",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "position-advanced-without-world-size",
            "data.py",
            _V20_NEXT_BATCH_BODY,
            "        B, T = self.B, self.T\n"
            "        # nanoGPT style: a token offset into the stream, this rank's slice of the global batch\n"
            "        pos = self.batches * B * T + self.rank * B * T\n"
            "        idx = (pos + torch.arange(B * T + 1)) % len(self.tokens)\n"
            "        chunk = self.tokens[idx]\n"
            "        self.batches += 1\n"
            "        return chunk[:-1].view(B, T), chunk[1:].view(B, T)\n",
            "data",
            "the stream offset advanced by B*T per batch instead of B*T*world_size (nanoGPT's current_position "
            "without num_processes): rank r's batch i is rank 0's batch i + r, so ranks read overlapping data",
        ),
        ("loader: offset advanced without world_size",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v20(
            "clip-grad-norm-inf",
            "training.py",
            "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
            '    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm, norm_type=float("inf"))\n',
            "training",
            "gradients clipped by their max-abs (infinity) norm instead of the L2 norm: the clip threshold and the "
            "reported norm are the largest single entry",
        ),
        ("clip: infinity norm",),
    ),
    HeldOut(
        _v20(
            "load-resets-loader",
            "training.py",
            '    loader.load_state_dict(state["loader"])\n',
            "    loader.reset()\n",
            "training",
            "load_checkpoint resets the loader to the first batch instead of restoring its saved position: a "
            "resumed run retrains on the batches it already saw",
        ),
        ("checkpoint: loader reset instead of restored",),
    ),
    HeldOut(
        _v20(
            "grad-norm-returned-as-float",
            "training.py",
            "    return loss_accum, norm\n",
            "    return loss_accum, norm.item()  # a plain number for the logs\n",
            "training",
            "train_step returns the gradient norm as a Python float (.item()) instead of a 0-dim tensor, and forces a "
            "device sync every step",
        ),
        ("train_step: grad norm returned as a float",),
    ),
    HeldOut(
        _v20(
            "cosine-over-one-extra-step",
            "training.py",
            "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1\n",
            "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps + 1)  # 0 -> 1\n",
            "training",
            "the cosine's progress divided by max_steps - warmup_steps + 1: the decay never reaches min_lr before "
            "max_steps, and the lr drops to min_lr in a jump at max_steps",
        ),
        ("lr schedule: cosine over one extra step",),
    ),
    HeldOut(
        _v20(
            "warmup-from-min-lr",
            "training.py",
            _V20_GET_LR_BODY,
            "    if step < warmup_steps:  # ramp from the floor up to the peak\n"
            "        return min_lr + (max_lr - min_lr) * (step + 1) / warmup_steps\n"
            "    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))\n"
            "    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))\n",
            "training",
            "the schedule written as one ramp and one cosine between the floor and the peak, with the warmup "
            "starting from min_lr instead of 0: warmup lr is min_lr + (max_lr - min_lr) * (step + 1) / warmup_steps",
        ),
        ("lr schedule: warmup from min_lr",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "hand-clip-generator-exhausted",
            "training.py",
            _V20_CLIP_STEP,
            "    params = (p for p in model.parameters() if p.grad is not None)\n"
            "    norm = torch.sqrt(sum(p.grad.detach().pow(2).sum() for p in params))\n"
            "    coef = max_norm / (norm + 1e-6)\n"
            "    if coef < 1:\n"
            "        for p in params:\n"
            "            p.grad.mul_(coef)\n"
            "    optimizer.step()\n",
            "training",
            "clipping by hand over a generator of parameters: the norm's sum exhausts it, so the scaling loop sees no "
            "parameter and the gradients are never clipped (the reported norm is right)",
        ),
        ("clip: never applied (parameter generator exhausted)",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "grads-divided-into-weights",
            "training.py",
            _V20_BACKWARD,
            "        loss_accum = loss.detach() / n + loss_accum.to(loss.device, loss.dtype)\n"
            "        loss.backward()  # summed over micro-batches; averaged below\n"
            "    if n > 1:\n"
            "        with torch.no_grad():\n"
            "            for p in model.parameters():\n"
            "                if p.grad is not None:\n"
            "                    p.data.div_(n)\n",
            "training",
            "gradient accumulation that backpropagates the raw losses and then averages by dividing p.data instead of "
            "p.grad: the gradient stays the sum over the micro-batches and the weights themselves shrink by n",
        ),
        ("accumulation: weights divided by n instead of the gradients",),
        "rewrite",
    ),
    HeldOut(
        _v20(
            "clip-per-param-group",
            "training.py",
            _V20_CLIP_STEP,
            "    # clip each optimizer group and report the total norm over the groups\n"
            "    group_norms = [\n"
            '        torch.nn.utils.clip_grad_norm_(g["params"], max_norm) for g in optimizer.param_groups\n'
            "    ]\n"
            "    norm = torch.linalg.vector_norm(torch.stack(group_norms))\n"
            "    optimizer.step()\n",
            "training",
            "gradients clipped group by group (decay and no-decay each to max_norm) instead of over all parameters "
            "at once: the reported total norm is right, but the joint gradient can end up with norm up to "
            "sqrt(2) * max_norm, and each group is scaled by its own factor",
        ),
        ("clip: per parameter group",),
        "rewrite",
    ),
]

V20_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V20}


# ==================================================================== HELDOUT_V21
# A twenty-first held-out set, written and committed on its own by a helper that never read the probes, the
# verdicts, the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what
# engineers get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch
# (nanoGPT / minbpe style), not from what the tool measures; the names of the earlier sets were skimmed to pick other
# mistakes. About 60% is written="rewrite" (the piece written over in another engineer's style: einsum, loops over
# heads or rows, F.linear on weight slices, torch.cat caches, regex.split, 1-based steps, lr multipliers; one
# mistake inside); the rest are edits at one place. Each was checked only for validity (it materialises and a
# non-slow spec test of its section fails with the fingerprint off, --tb=no), never run through the diagnosis.
# ``accept`` names the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 53 written, 9
# dropped, 44 kept: attention 4 (0 edits, 4 rewrites), layernorm 4 (2, 2), mlp 3 (1, 2), block 3 (2, 1), gpt 3
# (2, 1), loss 1 (1, 0), config 1 (1, 0), generate 6 (3, 3), tokenizer 7 (2, 5), data 4 (1, 3), training 8 (3, 5);
# 18 edits, 26 rewrites. All 26 rewrites were also graded with their mistake fixed: every non-slow test of the
# section passes. Two KV-cache bugs (kv-cat-values-prepended in attention.py, every-layer-uses-cache-0 in gpt.py)
# are graded under generate, as earlier sets grade the cache.
# Dropped: seven that test_held_out_set_is_new found to be a known bug or an earlier entry (attention without
# c_proj, LayerNorm eps 1e-8, tanh for GELU, an LM head with a bias (a known bug's name), next token from position
# 0's logits, allowed specials encoded as text, decode with strict UTF-8); and two that no non-slow spec test of
# their section failed (possible spec gaps): (1) top-k threshold taken from the logits before the temperature
# division but compared with the divided ones (a rewrite of the generation loop; fixed, it passes): no non-slow
# generate test combines top_k with a temperature other than 1 in a way that tells how many tokens survive; (2)
# vocab_size returned as max(id) instead of the number of ids (one short): no non-slow tokenizer test reads
# Tokenizer.vocab_size directly against the expected count (they check len(vocab) / the ids).

_V21_ATTN_FORWARD = (
    "        B, T, C = x.shape\n"
    "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n"
    "        # (B, T, C) -> (B, n_head, T, head_dim): heads become a batch dimension.\n"
    "        " + _SPLIT + "\n"
    "        if cache is None:\n"
    "            y = self.attend(q, k, v)\n"
    "        else:  # fast path: KV cache (GPT.generate) — attend to the cached keys/values plus the new ones\n"
    "            y = self.attend_cached(q, *cache.append(k, v))\n"
    "        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side\n"
    "        return self.c_proj(y)\n"
)
_V21_LAST_LOGITS = "            logits = logits[:, -1, :]\n"
_V21_GPT_FORWARD = (
    "        T = idx.size(1)\n"
    "        start = 0 if cache is None else cache[0].length  # fast path: KV cache — idx continues the cached tokens\n"
    "        if start + T > self.config.block_size:\n"
    '            raise ValueError(f"sequence length {start + T} exceeds block_size {self.config.block_size}")\n'
    "        " + _POS + "\n"
    "        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B,T,C) + (T,C) broadcast\n"
    "        for i, block in enumerate(self.transformer.h):\n"
    "            x = block(x, None if cache is None else cache[i])\n"
    "        logits = self.lm_head(self.transformer.ln_f(x))\n"
    "        if self.config.padded_vocab_size != self.config.vocab_size:\n"
    "            # fast path: vocab padding. The padded columns are not tokens: drop them here, so they can\n"
    "            # never be sampled, scored by the loss or seen by a caller. Their gradient is therefore zero.\n"
    "            logits = logits[..., : self.config.vocab_size].contiguous()\n"
    "        loss = None\n"
    "        if targets is not None:\n"
    "            # targets are already the next tokens: position t is scored against targets[:, t].\n"
    + _V20_LOSS
    + "        return logits, loss\n"
)
_V21_GEN_LOOP = (
    _V20_GEN_LOOP + "            else:\n"
    "                # The position table ends at block_size: condition on the most recent tokens only.\n"
    "                # Cropping shifts every token's position, so cached keys are stale: recompute from here on.\n"
    "                cache = None\n"
    "                idx_cond = idx[:, -self.config.block_size :]\n"
    "                logits, _ = self(idx_cond)\n" + _V21_LAST_LOGITS + "            if temperature == 0:\n"
    "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
    "            else:\n"
    "                logits = logits / temperature\n"
    + _V20_TOPK_AND_SAMPLE
    + "            idx = torch.cat((idx, idx_next), dim=1)\n"
    "        return idx\n"
)
_V21_ENCODE_ORDINARY_BODY = (
    "        ids: list[int] = []\n"
    "        cache = self._cache  # looked up inline: this loop is most of encode's time\n"
    "        for piece in self._pieces(text):\n"
    "            piece_ids = cache.get(piece)\n"
    "            ids.extend(piece_ids if piece_ids is not None else self._encode_piece(piece))\n"
    "        return ids\n"
)
_V21_TRAIN_TAIL = (
    "        ranks = {token: i for i, token in enumerate(vocab)}\n"
    "        self._init(self.pattern, ranks, {s: len(vocab) + k for k, s in enumerate(specials)}, merges)\n"
    "        return self\n"
)
_V21_ALLOWED_BODY = (
    '        allowed = set(self.special_tokens) if allowed_special == "all" else set(allowed_special)\n'
    '        disallowed = set(self.special_tokens) - allowed if disallowed_special == "all" '
    "else set(disallowed_special)\n"
    "        if disallowed and (m := self._special_regex(disallowed).search(text)):\n"
    "            raise ValueError(\n"
    '                f"text contains the special token {m.group()!r}, which is disallowed. Pass "\n'
    "                f\"allowed_special={{{m.group()!r}}} (or 'all') to encode it as a special token, or \"\n"
    '                f"disallowed_special=() to encode it as plain text."\n'
    "            )\n"
    "        return allowed\n"
)
_V21_AS_TENSOR_BODY = (
    "    if isinstance(tokens, torch.Tensor):\n"
    "        t = tokens.detach().cpu()\n"
    "        if t.dtype in (torch.uint16, torch.uint32):  # few torch ops support these; widen bit-exactly\n"
    "            t = torch.from_numpy(t.numpy().astype(np.int64))\n"
    "        return t.to(torch.int64).flatten()\n"
    "    return torch.from_numpy(np.asarray(tokens).astype(np.int64).reshape(-1))\n"
)
_V21_MICRO_LOOP = (
    "    for i, (x, y) in enumerate(batches):\n"
    "        if isinstance(model, DDP):\n"
    "            # All-reduce the gradient once, after the last micro-batch, not after every one.\n"
    "            model.require_backward_grad_sync = i == n - 1\n"
    "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype "
    "else contextlib.nullcontext()\n"
    "        with amp:\n"
    "            _, loss = model(x, y)\n"
    "        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,\n"
    "        # the same gradient as one batch n times larger.\n" + _V20_BACKWARD
)
_V21_LOAD_BODY = (
    "    device = next(model.parameters()).device\n"
    "    state = torch.load(path, map_location=device, weights_only=False)\n"
    "    raw = model.module if isinstance(model, DDP) else model\n"
    '    raw.load_state_dict(state["model"])\n'
    '    optimizer.load_state_dict(state["optimizer"])\n'
    '    loader.load_state_dict(state["loader"])\n'
    '    torch.set_rng_state(state["rng"]["torch"].cpu())\n'
    '    if state["rng"]["cuda"] and torch.cuda.is_available():\n'
    '        torch.cuda.set_rng_state_all([s.cpu() for s in state["rng"]["cuda"]])\n'
    '    return int(state["step"])\n'
)

_v21 = partial(_in_set, 21)

HELDOUT_V21: list[HeldOut] = [
    # ---------------------------------------------------------------- attention
    HeldOut(
        _v21(
            "einsum-scaled-by-model-width",
            "attention.py",
            _V21_ATTN_FORWARD,
            "        B, T, C = x.shape\n"
            "        nh, hd = self.n_head, C // self.n_head\n"
            "        q, k, v = self.c_attn(x).view(B, T, 3, nh, hd).unbind(dim=2)  # each (B, T, nh, hd)\n"
            "        q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)\n"
            "        if cache is not None:\n"
            "            y = self.attend_cached(q, *cache.append(k, v))\n"
            "        else:\n"
            '            scores = torch.einsum("bhid,bhjd->bhij", q, k) / math.sqrt(C)\n'
            "            causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()\n"
            '            scores = scores.masked_fill(~causal, float("-inf"))\n'
            '            y = torch.einsum("bhij,bhjd->bhid", scores.softmax(dim=-1), v)\n'
            "        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))\n",
            "attention",
            "attention written with einsum that scales the scores by 1/sqrt(C), the model width, instead of "
            "1/sqrt(head_dim): the logits are sqrt(n_head) times too small and every softmax too flat",
        ),
        ("attention scale: 1/sqrt(n_embd) instead of 1/sqrt(head_dim)",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "values-not-transposed",
            "attention.py",
            _V21_ATTN_FORWARD,
            "        B, T, C = x.shape\n"
            "        hd = C // self.n_head\n"
            "        q, k, v = self.c_attn(x).chunk(3, dim=-1)\n"
            "        q = q.view(B, T, self.n_head, hd).transpose(1, 2)\n"
            "        k = k.view(B, T, self.n_head, hd).transpose(1, 2)\n"
            "        v = v.view(B, T, self.n_head, hd)\n"
            "        y = self.attend(q, k, v) if cache is None else self.attend_cached(q, *cache.append(k, v))\n"
            "        y = y.transpose(1, 2).contiguous().view(B, T, C)\n"
            "        return self.c_proj(y)\n",
            "attention",
            "the head split written line by line, with the values viewed as (B, T, n_head, hd) but never transposed "
            "to (B, n_head, T, hd): the weights then multiply a tensor whose batch dims are (B, T), a shape error "
            "unless n_head == T, and wrong values when it is",
        ),
        ("attention: values not transposed to heads-first",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "heads-loop-values-of-head-0",
            "attention.py",
            _V20_SDPA,
            "        T = q.size(-2)\n"
            "        future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), diagonal=1)\n"
            "        outs = []\n"
            "        for h in range(q.size(1)):\n"
            "            att = q[:, h] @ k[:, h].transpose(-2, -1) / math.sqrt(q.size(-1))\n"
            '            att = att.masked_fill(future, float("-inf")).softmax(dim=-1)\n'
            "            outs.append(att @ v[:, 0])\n"
            "        return torch.stack(outs, dim=1)\n",
            "attention",
            "attention written as a loop over heads whose output multiplies every head's weights by v[:, 0], the "
            "first head's values, instead of v[:, h]: the value columns of the other heads are never read",
        ),
        ("attention: every head reads head 0's values",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "values-use-key-bias",
            "attention.py",
            _V21_ATTN_FORWARD,
            "        B, T, C = x.shape\n"
            "        W, b = self.c_attn.weight, self.c_attn.bias  # (3C, C), (3C,): rows [q | k | v]\n"
            "        q = F.linear(x, W[:C], b[:C])\n"
            "        k = F.linear(x, W[C : 2 * C], b[C : 2 * C])\n"
            "        v = F.linear(x, W[2 * C :], b[C : 2 * C])\n"
            "        q, k, v = (t.view(B, T, self.n_head, -1).transpose(1, 2) for t in (q, k, v))\n"
            "        y = self.attend(q, k, v) if cache is None else self.attend_cached(q, *cache.append(k, v))\n"
            "        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))\n",
            "attention",
            "q, k and v made by three F.linear calls on slices of c_attn, the value projection sliced with the key "
            "bias b[C:2C] instead of b[2C:]: the values are shifted by the key bias (invisible at init, where the "
            "biases are zero; wrong with trained weights)",
        ),
        ("attention: values use the key bias",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- layernorm
    HeldOut(
        _v21(
            "ln-one-pass-mean-not-squared",
            "layernorm.py",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n",
            "        var = x.pow(2).mean(dim=-1, keepdim=True) - mean  # biased: / C\n",
            "layernorm",
            "one-pass variance E[x^2] - mean that subtracts the mean instead of its square: the variance is off by "
            "mean - mean^2, and can go negative (rsqrt of a negative number: NaN)",
        ),
        ("layernorm variance: E[x^2] - mean (mean not squared)",),
    ),
    HeldOut(
        _v21(
            "ln-functional-eps-1e-12",
            "layernorm.py",
            _V20_LN_FORWARD,
            "        # the fused kernel: same normalisation, one call\n"
            "        return torch.nn.functional.layer_norm(x, (x.size(-1),), self.weight, self.bias, 1e-12)\n",
            "layernorm",
            "LayerNorm handed to F.layer_norm with eps hard-coded to 1e-12 (BERT's value) instead of self.eps = "
            "1e-5: nearly constant feature vectors are blown up instead of damped",
        ),
        ("layernorm-eps: 1e-12",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "ln-var-centred-on-global-mean",
            "layernorm.py",
            _V20_LN_FORWARD,
            "        C = x.size(-1)\n"
            "        mu = x.sum(dim=-1, keepdim=True) / C\n"
            "        centred = x - mu\n"
            "        sigma2 = (x - x.mean()).pow(2).sum(dim=-1, keepdim=True) / C\n"
            "        return centred / torch.sqrt(sigma2 + self.eps) * self.weight + self.bias\n",
            "layernorm",
            "the variance centred on x.mean(), the mean of the whole tensor, instead of each row's mean: rows whose "
            "mean differs from the global one get a variance inflated by the squared difference",
        ),
        ("layernorm variance: centred on the global mean",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "ln-divides-by-variance",
            "layernorm.py",
            "        " + _LN_NORM + "\n",
            "        x_hat = (x - mean) * torch.rsqrt(var + self.eps) ** 2  # eps inside the sqrt\n",
            "layernorm",
            "the inverse standard deviation squared: the centred input is divided by the variance (plus eps) "
            "instead of the standard deviation",
        ),
        ("layernorm: divides by the variance",),
    ),
    # ---------------------------------------------------------------- mlp
    HeldOut(
        _v21(
            "gelu-by-hand-sqrt-2-pi",
            "mlp.py",
            _V20_MLP_FORWARD,
            "        h = self.c_fc(x)\n"
            "        # GELU, tanh approximation, written out\n"
            "        h = 0.5 * h * (1.0 + torch.tanh((2.0 * torch.pi) ** 0.5 * (h + 0.044715 * torch.pow(h, 3.0))))\n"
            "        return self.c_proj(h)\n",
            "mlp",
            "tanh-GELU written by hand with sqrt(2 * pi) instead of sqrt(2 / pi) in front of the cubic: the tanh "
            "argument is pi times too large, so the activation is a much sharper step",
        ),
        ("gelu: sqrt(2*pi) for sqrt(2/pi)",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "mlp-chunked-last-chunk-skipped",
            "mlp.py",
            _V20_MLP_FORWARD,
            "        # hidden units in chunks of 256, to bound the activation memory\n"
            "        H, step = self.c_fc.out_features, 256\n"
            "        y = torch.zeros_like(x) + self.c_proj.bias\n"
            "        for s in range(0, H - step, step):\n"
            "            h = F.linear(x, self.c_fc.weight[s : s + step], self.c_fc.bias[s : s + step])\n"
            '            y = y + F.linear(F.gelu(h, approximate="tanh"), self.c_proj.weight[:, s : s + step])\n'
            "        return y\n",
            "mlp",
            "the MLP computed over chunks of hidden units with range(0, H - step, step): the last chunk is never "
            "visited, so the last 256 hidden units (all of them when H <= 256) never contribute",
        ),
        ("mlp: last chunk of hidden units skipped",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "leaky-relu-for-gelu",
            "mlp.py",
            _GELU,
            "F.leaky_relu(self.c_fc(x))",
            "mlp",
            "the activation written as leaky_relu (slope 0.01 below zero) instead of tanh-GELU",
        ),
        ("mlp activation: leaky relu instead of gelu",),
    ),
    # ---------------------------------------------------------------- block
    HeldOut(
        _v21(
            "block-output-normalised-by-ln-2",
            "block.py",
            "        return x\n",
            "        return self.ln_2(x)\n",
            "block",
            "the block returns ln_2 of the residual stream (a half-remembered post-LN) instead of the stream: every "
            "block's output is renormalised and the residual path is cut",
        ),
        ("block: output normalised (post-LN residual)",),
    ),
    HeldOut(
        _v21(
            "block-branch-table-ln-1-twice",
            "block.py",
            _V20_BLOCK_BODY,
            "        branches = (\n"
            "            (self.ln_1, lambda h: self.attn(h, cache)),\n"
            "            (self.ln_1, self.mlp),\n"
            "        )\n"
            "        for norm, branch in branches:\n"
            "            x = x + branch(norm(x))\n"
            "        return x\n",
            "block",
            "the two residual branches written as a table of (norm, branch) pairs, the MLP row copied with ln_1: the "
            "MLP reads ln_1 of the stream, and ln_2's weights are never used",
        ),
        ("block: mlp normalised by ln_1",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "mlp-residual-subtracted",
            "block.py",
            "        x = x + self.mlp(self.ln_2(x))\n",
            "        x = x - self.mlp(self.ln_2(x))\n",
            "block",
            "the MLP branch subtracted from the residual stream instead of added",
        ),
        ("block: mlp residual subtracted",),
    ),
    # ---------------------------------------------------------------- gpt
    HeldOut(
        _v21(
            "from-hf-c-attn-not-transposed",
            "gpt.py",
            '_CONV1D_SUFFIXES = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")',
            '_CONV1D_SUFFIXES = ("attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")',
            "gpt",
            "the list of HF Conv1D weights to transpose forgets attn.c_attn.weight: its (C, 3C) matrix is copied "
            "into a (3C, C) Linear, a shape error on loading",
        ),
        ("hf loading: c_attn not transposed",),
    ),
    HeldOut(
        _v21(
            "forward-head-reads-pre-ln-f",
            "gpt.py",
            _V21_GPT_FORWARD,
            "        B, T = idx.shape\n"
            "        past = cache[0].length if cache is not None else 0\n"
            "        if past + T > self.config.block_size:\n"
            '            raise ValueError(f"sequence length {past + T} exceeds block_size {self.config.block_size}")\n'
            "        tok_emb = self.transformer.wte(idx)\n"
            "        pos_emb = self.transformer.wpe(torch.arange(past, past + T, device=idx.device))\n"
            "        h = tok_emb + pos_emb\n"
            "        for layer, block in enumerate(self.transformer.h):\n"
            "            h = block(h, cache[layer] if cache is not None else None)\n"
            "        h_final = self.transformer.ln_f(h)\n"
            "        logits = self.lm_head(h)[..., : self.config.vocab_size]\n"
            "        loss = None\n"
            "        if targets is not None:\n"
            "            loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(B * T))\n"
            "        return logits, loss\n",
            "gpt",
            "forward rewritten with named intermediates, the LM head applied to h instead of h_final: ln_f is "
            "computed and thrown away, so the logits come from the unnormalised residual stream",
        ),
        ("gpt: ln_f skipped before the head",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "residual-init-on-c-fc",
            "gpt.py",
            '            if name.endswith("c_proj.weight"):\n',
            '            if name.endswith("c_fc.weight"):\n',
            "gpt",
            "the 1/sqrt(2 n_layer) residual init applied to the MLP's c_fc weights instead of the two c_proj "
            "weights: c_fc starts too small, and the projections that write into the stream keep std 0.02",
        ),
        ("residual init: on c_fc instead of c_proj",),
    ),
    # ---------------------------------------------------------------- loss
    HeldOut(
        _v21(
            "loss-ignores-last-token-id",
            "gpt.py",
            _V20_LOSS,
            "            loss = F.cross_entropy(\n"
            "                logits.view(-1, logits.size(-1)), targets.reshape(-1), "
            "ignore_index=self.config.vocab_size - 1\n"
            "            )\n",
            "loss",
            "cross_entropy given ignore_index=vocab_size - 1 (meant to skip <|endoftext|>): targets equal to the last "
            "id are dropped from the loss and from the mean's denominator",
        ),
        ("loss: ignores the last token id",),
    ),
    # ---------------------------------------------------------------- config
    HeldOut(
        _v21(
            "config-n-layer-24",
            "config.py",
            "    n_layer: int = 12\n",
            "    n_layer: int = 24\n",
            "config",
            "the default n_layer typed as 24 (GPT-2 medium's depth) instead of 12 for GPT-2 small",
        ),
        ("config: n_layer 24",),
    ),
    # ---------------------------------------------------------------- generate
    HeldOut(
        _v21(
            "top-k-keeps-k-minus-1",
            "gpt.py",
            "kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]",
            "kth = torch.topk(logits, min(top_k, logits.size(-1)) - 1).values[:, [-1]]",
            "generate",
            "the top-k threshold taken from topk(k - 1): only k - 1 tokens survive the mask (and top_k=1 indexes "
            "an empty tensor)",
        ),
        ("top-k: keeps k-1",),
    ),
    HeldOut(
        _v21(
            "logits-softmaxed-before-temperature",
            "gpt.py",
            _V21_LAST_LOGITS,
            "            logits = logits[:, -1, :].softmax(dim=-1)\n",
            "generate",
            "the last position's logits turned into probabilities first, then divided by the temperature and "
            "softmaxed again: greedy decoding is unchanged, but sampling draws from softmax(p / t), nearly uniform",
        ),
        ("sampling: softmax applied twice",),
    ),
    HeldOut(
        _v21(
            "every-layer-uses-cache-0",
            "gpt.py",
            "            x = block(x, None if cache is None else cache[i])\n",
            "            x = block(x, None if cache is None else cache[0])\n",
            "generate",
            "every block handed cache[0]: all layers append their keys and values to the first layer's cache, which "
            "overflows or mixes layers, and the other caches stay empty",
        ),
        ("kv-cache: every layer uses layer 0's cache",),
    ),
    HeldOut(
        _v21(
            "top-k-gathered-along-batch",
            "gpt.py",
            _V20_TOPK_AND_SAMPLE,
            "                if top_k is not None:\n"
            "                    k = min(top_k, logits.size(-1))\n"
            "                    vals, ids = torch.topk(logits, k, dim=-1)\n"
            "                    choice = torch.multinomial(F.softmax(vals, dim=-1), num_samples=1, "
            "generator=generator)\n"
            "                    idx_next = torch.gather(ids, 0, choice)\n"
            "                else:\n"
            "                    probs = F.softmax(logits, dim=-1)\n"
            "                    idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "generate",
            "top-k sampling written as sample-among-the-k then map back, the map done with gather along dim 0 (the "
            "batch) instead of dim -1: row b reads ids[choice[b], 0], a candidate of another row (right only for "
            "one prompt)",
        ),
        ("top-k: index gathered along the batch",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "kv-feed-offset-by-step-count",
            "gpt.py",
            _V21_GEN_LOOP,
            "        for step in range(max_new_tokens):\n"
            "            if cache is not None and idx.size(1) <= cache_len:\n"
            "                logits, _ = self(idx[:, step:], cache=cache)  # the prompt first, then what is new\n"
            "            else:\n"
            "                cache = None  # cropping shifts positions: the cached keys are stale\n"
            "                logits, _ = self(idx[:, -self.config.block_size :])\n"
            "            last = logits[:, -1, :]\n"
            "            if temperature == 0:\n"
            "                nxt = last.argmax(dim=-1, keepdim=True)\n"
            "            else:\n"
            "                scaled = last / temperature\n"
            "                if top_k is not None:\n"
            "                    kth = scaled.topk(min(top_k, scaled.size(-1)), dim=-1).values[:, -1:]\n"
            '                    scaled = torch.where(scaled < kth, torch.full_like(scaled, float("-inf")), scaled)\n'
            "                nxt = torch.multinomial(scaled.softmax(dim=-1), 1, generator=generator)\n"
            "            idx = torch.cat([idx, nxt], dim=1)\n"
            "        return idx\n",
            "generate",
            "the cached loop feeds idx[:, step:] (the step counter) instead of idx[:, cache.length:]: from the second "
            "step on it re-feeds most of the prompt into the cache, which overflows or attends to duplicated keys",
        ),
        ("kv-cache: feed offset by the step count",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "kv-cat-values-prepended",
            "attention.py",
            _V20_APPEND_BODY,
            "        if self.k is None or self.v is None:\n"
            "            self.k, self.v = k, v\n"
            "        else:\n"
            "            self.k = torch.cat([self.k, k], dim=2)\n"
            "            self.v = torch.cat([v, self.v], dim=2)\n"
            "        if self.k.size(2) > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {self.k.size(2)} requested")\n'
            "        self.length = self.k.size(2)\n"
            "        return self.k, self.v\n",
            "generate",
            "a growing KV cache by torch.cat that appends the new keys but prepends the new values: keys and values "
            "no longer line up by position after the first append",
        ),
        ("kv-cache: values prepended",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- tokenizer
    HeldOut(
        _v21(
            "pattern-without-d-contraction",
            "tokenizer.py",
            r"""GPT2_PATTERN = r""" + '"""' + r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+""",
            r"""GPT2_PATTERN = r""" + '"""' + r"""'s|'t|'re|'ve|'m|'ll| ?\p{L}+""",
            "tokenizer",
            'the pre-token pattern copied without the \'d contraction: "I\'d" splits as "\'" + "d" instead of '
            "\"'d\", so encodings differ from GPT-2's",
        ),
        ("pattern: 'd missing",),
    ),
    HeldOut(
        _v21(
            "merges-recovered-in-bytes-order",
            "tokenizer.py",
            "for token, rank in sorted(self._ranks.items(), key=lambda kv: kv[1]):",
            "for token, rank in sorted(self._ranks.items()):",
            "tokenizer",
            "the merges recovered from loaded ranks iterate the tokens sorted by their bytes instead of by rank: "
            "the merges dict is not in rank order",
        ),
        ("merges: not in rank order",),
    ),
    HeldOut(
        _v21(
            "special-split-empty-parts-dropped",
            "tokenizer.py",
            _V20_SPLIT_SPECIAL_BODY,
            "        if not allowed:\n"
            "            yield False, text\n"
            "            return\n"
            '        alternatives = "|".join(regex.escape(s) for s in sorted(allowed, key=len, reverse=True))\n'
            '        parts = [p for p in regex.split(f"({alternatives})", text) if p]\n'
            "        for i, part in enumerate(parts):\n"
            "            yield i % 2 == 1, part  # split with a group: odd parts are the specials\n",
            "tokenizer",
            "special splitting by regex.split with a capture group, the empty parts filtered out before reading "
            "parity: when the text starts with a special or two specials are adjacent, the odd/even pattern shifts "
            "and specials are encoded as text (and text looked up as specials)",
        ),
        ("specials: split parity broken by dropping empty parts",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "bpe-first-pair-never-scanned",
            "tokenizer.py",
            _V20_BPE_BODY,
            '    limit = float("inf") if max_rank is None else max_rank\n'
            "    parts = [_BYTES[b] for b in token]\n"
            "    while len(parts) > 1:\n"
            "        best_rank, best_i = None, -1\n"
            "        for i in range(1, len(parts) - 1):\n"
            "            r = ranks.get(parts[i] + parts[i + 1])\n"
            "            if r is not None and r < limit and (best_rank is None or r < best_rank):\n"
            "                best_rank, best_i = r, i\n"
            "        if best_rank is None:\n"
            "            break\n"
            "        parts = parts[:best_i] + [parts[best_i] + parts[best_i + 1]] + parts[best_i + 2 :]\n"
            "    return parts\n",
            "tokenizer",
            "BPE written as a scan for the lowest-ranked pair, the scan starting at i = 1: the first pair of a "
            "pre-token is never merged, so every pre-token keeps its first byte (or first part) apart",
        ),
        ("bpe: first pair never merged",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "encode-extends-the-cached-list",
            "tokenizer.py",
            _V21_ENCODE_ORDINARY_BODY,
            "        pieces = self._pieces(text)\n"
            "        if not pieces:\n"
            "            return []\n"
            "        out = self._encode_piece(pieces[0])\n"
            "        for piece in pieces[1:]:\n"
            "            out.extend(self._encode_piece(piece))\n"
            "        return out\n",
            "tokenizer",
            "encode_ordinary starts its output from the list _encode_piece returns for the first piece, which is the "
            "cache's own list: extending it corrupts the cached encoding of that piece, so a later encode of the same "
            "piece returns the previous text's ids",
        ),
        ("encode: cached piece list mutated",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "special-ids-counter-not-advanced",
            "tokenizer.py",
            _V21_TRAIN_TAIL,
            "        ranks = {}\n"
            "        for i, token in enumerate(vocab):\n"
            "            ranks[token] = i\n"
            "        special_ids, next_id = {}, len(vocab)\n"
            "        for s in specials:\n"
            "            special_ids[s] = next_id\n"
            "        self._init(self.pattern, ranks, special_ids, merges)\n"
            "        return self\n",
            "tokenizer",
            "the special-token ids given from a counter that is never advanced: every special gets the id len(vocab), "
            "so with two or more specials they collide (the decoder keeps one, vocab_size is short)",
        ),
        ("specials: every special gets the same id",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "disallowed-found-only-as-whole-words",
            "tokenizer.py",
            _V21_ALLOWED_BODY,
            '        if allowed_special == "all":\n'
            "            allowed = set(self.special_tokens)\n"
            "        else:\n"
            "            allowed = set(allowed_special)\n"
            '        if disallowed_special == "all":\n'
            "            disallowed = set(self.special_tokens) - allowed\n"
            "        else:\n"
            "            disallowed = set(disallowed_special)\n"
            "        words = text.split()\n"
            "        for s in disallowed:\n"
            "            if s in words:\n"
            '                raise ValueError(f"text contains the special token {s!r}, which is disallowed")\n'
            "        return allowed\n",
            "tokenizer",
            "the disallowed-special check looks the special up among text.split()'s words instead of in the text: "
            'a special glued to other text ("hi<|endoftext|>") is not found, no error is raised and it is '
            "encoded as plain text",
        ),
        ("specials: disallowed check only on whole words",),
        "rewrite",
    ),
    # ---------------------------------------------------------------- data
    HeldOut(
        _v21(
            "wrap-skips-first-token",
            "data.py",
            _V20_NEXT_BATCH_BODY,
            "        B, T = self.B, self.T\n"
            "        n, need = len(self.tokens), B * T + 1\n"
            "        start = (self.batches * self.world_size + self.rank) * B * T % n\n"
            "        buf = self.tokens[start : start + need]\n"
            "        while len(buf) < need:  # past the end: continue from the start of the data\n"
            "            buf = torch.cat([buf, self.tokens[1 : need - len(buf) + 1]])\n"
            "        self.batches += 1\n"
            "        return buf[:-1].view(B, T), buf[1:].view(B, T)\n",
            "data",
            "the wrap at the end of the data done by concatenating from tokens[1:] instead of tokens[0:]: the first "
            "token is skipped at every wrap, so the stream after the wrap is shifted by one",
        ),
        ("loader: wrap skips token 0",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "rows-loop-rank-offset-one-row",
            "data.py",
            _V20_NEXT_BATCH_BODY,
            "        B, T = self.B, self.T\n"
            "        base = self.batches * self.world_size * B * T + self.rank * T\n"
            "        rows_x, rows_y = [], []\n"
            "        for b in range(B):\n"
            "            row = self.tokens[(base + b * T + torch.arange(T + 1)) % len(self.tokens)]\n"
            "            rows_x.append(row[:-1])\n"
            "            rows_y.append(row[1:])\n"
            "        self.batches += 1\n"
            "        return torch.stack(rows_x), torch.stack(rows_y)\n",
            "data",
            "batches built row by row with the rank's offset rank * T (one row) instead of rank * B * T (one batch): "
            "with B > 1 the ranks read overlapping rows and part of each global batch is never read",
        ),
        ("loader: rank offset by one row",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "tokens-narrowed-to-int16",
            "data.py",
            _V21_AS_TENSOR_BODY,
            "    arr = tokens.detach().cpu().numpy() if isinstance(tokens, torch.Tensor) else np.asarray(tokens)\n"
            "    # ids < 50257: two bytes each are enough\n"
            "    return torch.from_numpy(arr.reshape(-1).astype(np.int16)).long()\n",
            "data",
            "the token array narrowed to int16 on the way in (to save memory): ids above 32767 wrap to negative "
            "numbers",
        ),
        ("loader: ids narrowed to int16",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "inputs-sliced-like-targets",
            "data.py",
            "        x = buf[:-1].view(B, T)  # inputs\n",
            "        x = buf[1:].view(B, T)  # inputs\n",
            "data",
            "the inputs sliced buf[1:] like the targets: x == y, so the model is trained to copy its input",
        ),
        ("loader: x equals y",),
    ),
    # ---------------------------------------------------------------- training
    HeldOut(
        _v21(
            "cosine-squared-without-half-angle",
            "training.py",
            "    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0\n",
            "    coeff = math.cos(math.pi * decay_ratio) ** 2  # 1 -> 0\n",
            "training",
            "the cosine factor written as cos^2(pi * r) instead of cos^2(pi * r / 2) = (1 + cos(pi * r)) / 2: the lr "
            "reaches min_lr halfway through the decay and climbs back to max_lr at max_steps",
        ),
        ("lr schedule: cos^2 without the half angle",),
    ),
    HeldOut(
        _v21(
            "adamw-betas-0-98",
            "training.py",
            "betas: tuple[float, float] = (0.9, 0.95)",
            "betas: tuple[float, float] = (0.9, 0.98)",
            "training",
            "AdamW's default betas typed as (0.9, 0.98), the Transformer paper's, instead of GPT-2's (0.9, 0.95)",
        ),
        ("adamw betas: (0.9, 0.98)",),
    ),
    HeldOut(
        _v21(
            "cpu-rng-restored-only-with-cuda",
            "training.py",
            '    torch.set_rng_state(state["rng"]["torch"].cpu())\n'
            '    if state["rng"]["cuda"] and torch.cuda.is_available():\n',
            '    if state["rng"]["cuda"] and torch.cuda.is_available():\n'
            '        torch.set_rng_state(state["rng"]["torch"].cpu())\n',
            "training",
            "the CPU RNG restore moved under the CUDA check: on a machine without CUDA the checkpoint's torch RNG "
            "state is never restored, so a resumed run samples differently",
        ),
        ("checkpoint: cpu rng not restored",),
    ),
    HeldOut(
        _v21(
            "lr-one-based-step-decay-shifted",
            "training.py",
            _V20_GET_LR_BODY,
            "    step += 1  # 1-based: the first step is step 1\n"
            "    if step <= warmup_steps:\n"
            "        return max_lr * step / warmup_steps\n"
            "    if step > max_steps:\n"
            "        return min_lr\n"
            "    progress = (step - warmup_steps) / (max_steps - warmup_steps)\n"
            "    return min_lr + 0.5 * (max_lr - min_lr) * (1.0 + math.cos(math.pi * progress))\n",
            "training",
            "the schedule rewritten on 1-based steps, the warmup and end converted but the decay progress left "
            "as (step - warmup) on the shifted step: the cosine runs one step ahead (step warmup_steps is already "
            "below max_lr and step max_steps - 1 already at min_lr)",
        ),
        ("lr schedule: cosine one step ahead",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "hand-clip-clamp-min",
            "training.py",
            _V20_CLIP_STEP,
            "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
            "    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))\n"
            "    scale = (max_norm / (norm + 1e-6)).clamp(min=1.0)\n"
            "    for g in grads:\n"
            "        g.mul_(scale)\n"
            "    optimizer.step()\n",
            "training",
            "clipping by hand with the scale clamped from below (min=1.0) instead of above: a gradient larger than "
            "max_norm is never shrunk, and a smaller one is blown up to max_norm",
        ),
        ("clip: scale clamped with min instead of max",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "every-micro-batch-is-the-first",
            "training.py",
            _V21_MICRO_LOOP,
            "    for i in range(n):\n"
            "        x, y = batches[0]\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1\n"
            "        ctx = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype "
            "else contextlib.nullcontext()\n"
            "        with ctx:\n"
            "            loss = model(x, y)[1] / n\n"
            "        loss.backward()\n"
            "        loss_accum = loss_accum.to(loss.device, loss.dtype) + loss.detach()\n",
            "training",
            "the micro-batch loop written over indices, reading batches[0] instead of batches[i]: every micro-batch "
            "is the first one, so accumulation trains on 1/n of the data",
        ),
        ("accumulation: every micro-batch is the first",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "load-skips-optimizer",
            "training.py",
            _V21_LOAD_BODY,
            "    device = next(model.parameters()).device\n"
            "    ckpt = torch.load(path, map_location=device, weights_only=False)\n"
            '    (model.module if isinstance(model, DDP) else model).load_state_dict(ckpt["model"])\n'
            '    loader.load_state_dict(ckpt["loader"])\n'
            '    rng = ckpt["rng"]\n'
            '    torch.set_rng_state(rng["torch"].cpu())\n'
            '    if torch.cuda.is_available() and rng["cuda"]:\n'
            '        torch.cuda.set_rng_state_all([s.cpu() for s in rng["cuda"]])\n'
            '    return int(ckpt["step"])\n',
            "training",
            "load_checkpoint rewritten without the optimizer.load_state_dict line: the weights, loader and RNG "
            "resume but AdamW restarts with empty moments and step counts",
        ),
        ("checkpoint: optimizer state not restored",),
        "rewrite",
    ),
    HeldOut(
        _v21(
            "lr-multiplier-end-not-divided",
            "training.py",
            _V20_GET_LR_BODY,
            "    def multiplier(s: int) -> float:  # fraction of max_lr\n"
            "        if s < warmup_steps:\n"
            "            return (s + 1) / warmup_steps\n"
            "        if s >= max_steps:\n"
            "            return min_lr\n"
            "        floor = min_lr / max_lr\n"
            "        t = (s - warmup_steps) / (max_steps - warmup_steps)\n"
            "        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * t))\n"
            "\n"
            "    return max_lr * multiplier(step)\n",
            "training",
            "the schedule written as a multiplier of max_lr whose after-the-end branch returns min_lr itself instead "
            "of min_lr / max_lr: from max_steps on the lr is min_lr * max_lr",
        ),
        ("lr schedule: after the end min_lr * max_lr",),
        "rewrite",
    ),
]

V21_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V21}


# ==================================================================== HELDOUT_V22
# A twenty-second held-out set, written and committed on its own by a helper that never read the probes, the
# verdicts, the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what
# engineers get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch
# (nanoGPT / minbpe style); the names of the earlier sets were skimmed to pick other mistakes. About half is
# written="rewrite" (the piece written over in another engineer's style: a hand mask from aranges, a loop over
# heads, F.linear on c_attn's weight, flattened rows, a hand tanh GELU, a loop over (norm, branch) pairs, topk +
# scatter, Gumbel-max sampling, a linear-scan BPE, a slicing merge, a per-row batch loop; one mistake inside); the
# rest are edits at one place. Each was checked only for validity (it materialises and a non-slow spec test of its
# section fails with the fingerprint off, --tb=no), never run through the diagnosis. ``accept`` names the family
# and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 53 written, 17
# dropped, 36 kept: attention 5 (2 edits, 3 rewrites), layernorm 1 (0, 1), mlp 2 (1, 1), block 2 (0, 2), gpt 1
# (0, 1), loss 1 (1, 0), config 1 (1, 0), generate 5 (3, 2), tokenizer 9 (6, 3), data 4 (2, 2), training 5 (3, 2);
# 19 edits, 17 rewrites. All 17 kept rewrites were also graded with their mistake fixed: every non-slow test of the
# section passes. positions-from-wte-rows (wpe.weight[:T], which ignores the KV-cache offset) is in gpt.py but
# graded under generate, as earlier sets grade the cache: no non-slow gpt test runs a forward with a cache.
# Dropped: fourteen that test_held_out_set_is_new found to be a known bug or an earlier entry (LayerNorm eps 1e-3,
# (x_hat + bias) * weight, x * sigmoid(1.702 x) GELU, the MLP reading ln_1, residual init without the sqrt, top-k
# threshold = the max, temperature multiplied, default temperature 0.8, streaming lookahead 1, the streaming tail
# encoded without specials, ids through int16, warmup from lr 0, clipping after the step, the optimizer reloading
# its own state); two that are no bug here: (1) the heads merged with .view without .contiguous() (on CPU SDPA
# returns its output already laid out as (B, T, n_head, hd), so the view succeeds and is right; it may raise on
# another backend), (2) KVCache.length set to the size of the last append instead of its end (generate then re-feeds
# idx[:, length:], tokens at their true positions, so the cache heals itself: same tokens, more work); and one
# rewrite that failed with its mistake fixed (a float32-upcast LayerNorm not cast back to the input dtype). No kept
# candidate went uncaught: no possible spec gap was found in this set.

_V22_ATTEND = (
    "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))\n"
)
_V22_FWD_SPLIT = (
    "        B, T, C = x.shape\n"
    "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n"
    "        # (B, T, C) -> (B, n_head, T, head_dim): heads become a batch dimension.\n"
    "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))\n"
)
_V22_LN_FWD = (
    "        mean = x.mean(dim=-1, keepdim=True)\n"
    "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n"
    "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n"
    "        return x_hat * self.weight + self.bias\n"
)
_V22_MLP_FWD = '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n'
_V22_BLOCK_FWD = (
    "        x = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(x))\n        return x\n"
)
_V22_SAMPLE = (
    "            if temperature == 0:\n"
    "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
    "            else:\n"
    "                logits = logits / temperature\n"
    "                if top_k is not None:\n"
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
    "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
)
_V22_NEXT_BATCH = (
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1\n"
    "        return x, y\n"
)
_V22_GET_LR = (
    "    if step < warmup_steps:\n"
    "        return max_lr * (step + 1) / warmup_steps\n"
    "    if step >= max_steps:\n"
    "        return min_lr\n"
    "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1\n"
    "    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0\n"
    "    return min_lr + coeff * (max_lr - min_lr)\n"
)
_V22_BPE_LOOP = (
    "    while pair_ranks:\n"
    "        # Rank order is training order: the pair merged earliest in training merges first.\n"
    "        rank = min(pair_ranks)\n"
    "        if rank >= limit:\n"
    "            break\n"
    "        i = pair_ranks.index(rank)  # the leftmost, if the same pair occurs twice\n"
    "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
    "        del pair_ranks[i]\n"
    "        if i > 0:\n"
    "            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)\n"
    "        if i < len(pair_ranks):\n"
    "            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)\n"
    "    return parts\n"
)
_V22_MERGE_BODY = (
    "    out, i, n = [], 0, len(ids)\n"
    "    a, b = pair\n"
    "    while i < n:\n"
    "        if i < n - 1 and ids[i] == a and ids[i + 1] == b:\n"
    "            out.append(new_id)\n"
    "            i += 2\n"
    "        else:\n"
    "            out.append(ids[i])\n"
    "            i += 1\n"
    "    return out\n"
)
_V22_SPLIT_SPECIAL = (
    "        start = 0\n"
    "        for m in self._special_regex(allowed).finditer(text):\n"
    "            yield False, text[start : m.start()]\n"
    "            yield True, m.group()\n"
    "            start = m.end()\n"
    "        yield False, text[start:]\n"
)
_V22_GROUPS = (
    "    groups = [\n"
    '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n'
    '        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},\n'
    "    ]\n"
)

_v22 = partial(_in_set, 22)

HELDOUT_V22: list[HeldOut] = [
    # ------------------------------------------------------- attention
    HeldOut(
        _v22(
            "values-are-keys",
            "attention.py",
            "            y = self.attend(q, k, v)\n",
            "            y = self.attend(q, k, k)\n",
            "attention",
            "the attention call passes the keys twice, attend(q, k, k): the weights average the key vectors "
            "instead of the value vectors, so the value third of c_attn is never read",
        ),
        ("attention: values are the keys",),
    ),
    HeldOut(
        _v22(
            "heads-split-transposed-last-two",
            "attention.py",
            "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))\n",
            "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(-2, -1) for t in (q, k, v))\n",
            "attention",
            "the head split transposes the last two dims instead of dims 1 and 2: q, k, v are (B, T, "
            "head_dim, n_head), so attention runs across the head_dim channels of each position (mixing no "
            "positions) instead of across time",
        ),
        ("attention head split: transpose(-2, -1) instead of (1, 2)",),
    ),
    HeldOut(
        _v22(
            "mask-from-arange-strict",
            "attention.py",
            _V22_ATTEND,
            "        T, hd = q.size(-2), q.size(-1)\n"
            "        pos = torch.arange(T, device=q.device)\n"
            "        allowed = pos[:, None] > pos[None, :]  # query row, key column\n"
            "        scores = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(hd)\n"
            '        scores = scores.masked_fill(~allowed, float("-inf"))\n'
            "        return torch.matmul(torch.softmax(scores, dim=-1), v)\n",
            "attention",
            "attention by hand whose causal mask compares positions with > instead of >=: no query may see "
            "its own key, and the first query sees nothing at all (a row of -inf: NaN after the softmax)",
        ),
        ("causal mask: strict, excludes the diagonal",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "heads-loop-cat-not-stack",
            "attention.py",
            _V22_ATTEND,
            "        T, hd = q.size(-2), q.size(-1)\n"
            "        future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)\n"
            "        per_head = []\n"
            "        for h in range(q.size(1)):\n"
            "            w = (q[:, h] @ k[:, h].mT) * hd**-0.5\n"
            '            w = w.masked_fill(future, float("-inf")).softmax(-1)\n'
            "            per_head.append(w @ v[:, h])\n"
            "        return torch.cat(per_head, dim=1)\n",
            "attention",
            "attention as a loop over heads whose per-head outputs (B, T, hd) are joined with torch.cat along "
            "dim 1 instead of torch.stack: the result is (B, n_head*T, hd), which the caller's view reshapes "
            "into scrambled channels",
        ),
        ("attention: heads joined with cat instead of stack",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "qkv-f-linear-without-bias",
            "attention.py",
            _V22_FWD_SPLIT,
            "        B, T, C = x.shape\n"
            "        hd = C // self.n_head\n"
            "        qkv = F.linear(x, self.c_attn.weight)  # (B, T, 3C)\n"
            "        q, k, v = qkv.chunk(3, dim=-1)\n"
            "        q, k, v = (t.reshape(B, T, self.n_head, hd).permute(0, 2, 1, 3) for t in (q, k, v))\n",
            "attention",
            "the qkv projection written as F.linear(x, c_attn.weight) with the bias left out: invisible at "
            "init (zero biases), but with trained or loaded weights every query, key and value lacks its bias",
        ),
        ("attention: c_attn bias dropped",),
        "rewrite",
    ),
    # ------------------------------------------------------- layernorm
    HeldOut(
        _v22(
            "ln-flat-rows-var-over-rows",
            "layernorm.py",
            _V22_LN_FWD,
            "        shape = x.shape\n"
            "        rows = x.reshape(-1, shape[-1])  # one row per position\n"
            "        mu = rows.mean(dim=1, keepdim=True)\n"
            "        var = ((rows - mu) ** 2).mean(dim=0, keepdim=True)\n"
            "        out = (rows - mu) / torch.sqrt(var + self.eps)\n"
            "        return (out * self.weight + self.bias).reshape(shape)\n",
            "layernorm",
            "LayerNorm over flattened rows whose variance is averaged over dim 0 (the rows) instead of dim 1 "
            "(the features): each feature is divided by its spread across positions, a batch-norm variance",
        ),
        ("layernorm variance: over positions instead of features",),
        "rewrite",
    ),
    # ------------------------------------------------------------- mlp
    HeldOut(
        _v22(
            "gelu-approximate-none",
            "mlp.py",
            _V22_MLP_FWD,
            '        return self.c_proj(F.gelu(self.c_fc(x), approximate="none"))\n',
            "mlp",
            'GELU called with approximate="none" (the exact erf GELU) instead of "tanh": differs from GPT-2\'s '
            "gelu_new by up to ~1e-3 and breaks parity with the real weights",
        ),
        ('gelu: approximate="none" (erf)',),
    ),
    HeldOut(
        _v22(
            "mlp-tanh-gelu-by-hand-coefficient-0447",
            "mlp.py",
            _V22_MLP_FWD,
            "        h = self.c_fc(x)\n"
            "        inner = 0.7978845608028654 * (h + 0.0447 * h.pow(3))\n"
            "        return self.c_proj(0.5 * h * (1.0 + torch.tanh(inner)))\n",
            "mlp",
            "the tanh GELU written by hand with the cubic coefficient 0.0447 instead of 0.044715: a small "
            "error that grows with |h| and breaks parity",
        ),
        ("gelu by hand: cubic coefficient 0.0447",),
        "rewrite",
    ),
    # ----------------------------------------------------------- block
    HeldOut(
        _v22(
            "block-mlp-residual-from-block-input",
            "block.py",
            _V22_BLOCK_FWD,
            "        h = x + self.attn(self.ln_1(x), cache)\n"
            "        out = x + self.mlp(self.ln_2(h))\n"
            "        return out\n",
            "block",
            "a block with named intermediates whose MLP residual adds onto the block input x instead of h: "
            "the attention branch only reaches the output through the MLP",
        ),
        ("block: mlp residual onto block input",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "block-branches-loop-norm-swapped",
            "block.py",
            _V22_BLOCK_FWD,
            "        for norm, branch in ((self.ln_2, self.attn), (self.ln_1, self.mlp)):\n"
            "            h = norm(x)\n"
            "            x = x + (branch(h, cache) if branch is self.attn else branch(h))\n"
            "        return x\n",
            "block",
            "the two residual branches written as a loop over (norm, branch) pairs with the LayerNorms paired "
            "the wrong way: attention reads ln_2 and the MLP reads ln_1",
        ),
        ("block: ln_1 and ln_2 swapped",),
        "rewrite",
    ),
    # -------------------------------------------------------- generate
    HeldOut(
        _v22(
            "positions-from-wte-rows",
            "gpt.py",
            "        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B,T,C) + (T,C) broadcast\n",
            "        x = self.transformer.wte(idx) + self.transformer.wpe.weight[: idx.size(1)]  # (B,T,C) + "
            "(T,C) broadcast\n",
            "generate",
            "the position embeddings read as wpe.weight[:T] instead of wpe(pos): with a KV cache (start > 0) "
            "the continuing tokens get positions 0.. again; without one it is right",
        ),
        ("positions: ignore the cache offset",),
    ),
    # ------------------------------------------------------------- gpt
    HeldOut(
        _v22(
            "forward-ln-f-skipped-when-loss",
            "gpt.py",
            "        logits = self.lm_head(self.transformer.ln_f(x))\n",
            "        x = self.transformer.ln_f(x) if targets is None else x\n        logits = self.lm_head(x)\n",
            "gpt",
            "the final LayerNorm applied only when no targets are given: the training forward (with targets) "
            "scores un-normalised activations, so its logits differ from inference's",
        ),
        ("gpt: ln_f skipped when targets are given",),
        "rewrite",
    ),
    # ------------------------------------------------------------ loss
    HeldOut(
        _v22(
            "loss-mean-over-batch-only",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            '            loss = F.cross_entropy(logits.transpose(1, 2), targets, reduction="sum") / idx.size(0)\n',
            "loss",
            "the loss summed over positions and divided by the batch size only: T times the mean per-token loss",
        ),
        ("loss: sum over time, mean over batch",),
    ),
    # ---------------------------------------------------------- config
    HeldOut(
        _v22(
            "config-n-embd-1024",
            "config.py",
            "    n_embd: int = 768\n",
            "    n_embd: int = 1024\n",
            "config",
            "the default width written 1024 (GPT-2 medium's) instead of 768 with 12 layers and heads",
        ),
        ("config: n_embd 1024",),
    ),
    # -------------------------------------------------------- generate
    HeldOut(
        _v22(
            "multinomial-two-samples",
            "gpt.py",
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "                idx_next = torch.multinomial(probs, num_samples=2, generator=generator)[:, 1:]\n",
            "generate",
            "two tokens drawn without replacement and the second kept: the sampled token is never the first "
            "draw, so the most likely token is under-sampled and a one-token distribution raises",
        ),
        ("sampling: second of two draws",),
    ),
    HeldOut(
        _v22(
            "greedy-below-small-temperature",
            "gpt.py",
            "            if temperature == 0:\n",
            "            if temperature < 1:\n",
            "generate",
            "greedy decoding taken for every temperature below 1 instead of only temperature 0: temperature "
            "0.7 never samples",
        ),
        ("greedy: for temperature < 1",),
    ),
    HeldOut(
        _v22(
            "topk-scatter-onto-zeros",
            "gpt.py",
            _V22_SAMPLE,
            "            if temperature == 0:\n"
            "                idx_next = torch.argmax(logits, dim=-1).unsqueeze(-1)\n"
            "            else:\n"
            "                scaled = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    vals, ids = torch.topk(scaled, min(top_k, scaled.size(-1)), dim=-1)\n"
            "                    scaled = torch.zeros_like(scaled).scatter(-1, ids, vals)\n"
            "                probs = scaled.softmax(dim=-1)\n"
            "                idx_next = torch.multinomial(probs, 1, generator=generator)\n",
            "generate",
            "top-k written with topk + scatter onto a tensor of zeros instead of -inf: the tokens outside the "
            "top k keep logit 0, not -inf, so they can still be sampled (often, when the kept logits are near 0)",
        ),
        ("top-k: others filled with 0 instead of -inf",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "gumbel-max-sampling-sign",
            "gpt.py",
            _V22_SAMPLE,
            "            if temperature == 0:\n"
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
            "            else:\n"
            "                logits = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    cutoff = logits.topk(min(top_k, logits.size(-1)), dim=-1).values[..., -1:]\n"
            '                    logits = torch.where(logits < cutoff, float("-inf"), logits)\n'
            "                # Gumbel-max: argmax(logits + G), G = -log(-log(U)), is a sample of softmax(logits)\n"
            "                u = torch.rand(logits.shape, generator=generator, device=logits.device)\n"
            "                idx_next = (logits + torch.log(-torch.log(u))).argmax(dim=-1, keepdim=True)\n",
            "generate",
            "sampling by the Gumbel-max trick with the noise log(-log U) instead of -log(-log U): the noise "
            "has the wrong sign (a reflected Gumbel), so the draws do not follow softmax(logits)",
        ),
        ("sampling: gumbel noise negated",),
        "rewrite",
    ),
    # ------------------------------------------------------- tokenizer
    HeldOut(
        _v22(
            "pattern-contraction-ve-dropped",
            "tokenizer.py",
            "'re|'ve|'m|",
            "'re|'m|",
            "tokenizer",
            "the GPT-2 pattern without the 've contraction: \"we've\" splits as we / ' / ve instead of we / "
            "'ve, so pre-tokens (and ids) differ from GPT-2's",
        ),
        ("pattern: 've missing",),
    ),
    HeldOut(
        _v22(
            "train-ties-by-pair-ids",
            "tokenizer.py",
            "            return (-count, vocab[pair[0]], vocab[pair[1]], pair)\n",
            "            return (-count, pair)\n",
            "tokenizer",
            "training's heap entries ordered by (-count, pair ids) instead of (-count, left bytes, right "
            "bytes): ties go to the smallest ids, not the lexicographically smallest bytes (different once "
            "merged tokens tie with bytes)",
        ),
        ("train ties: by ids instead of bytes",),
    ),
    HeldOut(
        _v22(
            "special-ids-from-256",
            "tokenizer.py",
            "        self._init(self.pattern, ranks, {s: len(vocab) + k for k, s in enumerate(specials)}, merges)\n",
            "        self._init(self.pattern, ranks, {s: 256 + k for k, s in enumerate(specials)}, merges)\n",
            "tokenizer",
            "special tokens numbered from 256 instead of after the merges: <|endoftext|> collides with the "
            "first merged token's id",
        ),
        ("special ids: from 256, colliding with merges",),
    ),
    HeldOut(
        _v22(
            "decode-specials-empty-bytes",
            "tokenizer.py",
            "        self._decoder = {i: b for b, i in ranks.items()} | {i: s.encode() for s, i in "
            "special_tokens.items()}\n",
            '        self._decoder = {i: b for b, i in ranks.items()} | {i: b"" for s, i in special_tokens.items()}\n',
            "tokenizer",
            "special tokens decode to empty bytes: decode(encode('a<|endoftext|>b', allowed_special='all')) "
            "loses the special token",
        ),
        ("decode: specials decode to nothing",),
    ),
    HeldOut(
        _v22(
            "bpe-scan-rightmost-equal-pair",
            "tokenizer.py",
            _V22_BPE_LOOP,
            "    while len(parts) > 1:\n"
            "        best_i, best = -1, inf\n"
            "        for j in range(len(parts) - 1):\n"
            "            r = get(parts[j] + parts[j + 1], inf)\n"
            "            if r <= best:\n"
            "                best_i, best = j, r\n"
            "        if best >= limit:\n"
            "            break\n"
            "        parts[best_i : best_i + 2] = [parts[best_i] + parts[best_i + 1]]\n"
            "    return parts\n",
            "tokenizer",
            "BPE encode by a linear scan that keeps the last of equal-rank pairs (<= instead of <): when the "
            "same pair occurs twice the rightmost merges first (e.g. 'aaa' merges as a + aa instead of aa + a)",
        ),
        ("bpe encode: rightmost of equal pairs",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "merge-while-loop-skips-after-match",
            "tokenizer.py",
            _V22_MERGE_BODY,
            "    merged = []\n"
            "    j = 0\n"
            "    while j < len(ids):\n"
            "        if tuple(ids[j : j + 2]) == pair:\n"
            "            merged.append(new_id)\n"
            "            j += 3\n"
            "        else:\n"
            "            merged.append(ids[j])\n"
            "            j += 1\n"
            "    return merged\n",
            "tokenizer",
            "the pair replacement written with slices that steps 3 past a match instead of 2: the id after "
            "every merged pair is dropped",
        ),
        ("merge: skips the id after a match",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "special-split-resumes-at-match-start",
            "tokenizer.py",
            _V22_SPLIT_SPECIAL,
            "        pos = 0\n"
            "        for found in self._special_regex(allowed).finditer(text):\n"
            "            yield False, text[pos : found.start()]\n"
            "            yield True, found.group()\n"
            "            pos = found.start()\n"
            "        yield False, text[pos:]\n",
            "tokenizer",
            "the special-token split resumes from the start of the special token instead of its end: the "
            "special token's text is encoded again as plain text after its id",
        ),
        ("special split: text of the special repeated",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "save-load-ranks-as-latin1",
            "tokenizer.py",
            '            "mergeable_ranks": [[base64.b64encode(b).decode("ascii"), i] for b, i in '
            "self._ranks.items()],\n",
            '            "mergeable_ranks": [[b.decode("latin-1"), i] for b, i in self._ranks.items()],\n',
            "tokenizer",
            "save writes each token's bytes as latin-1 text while load base64-decodes them: a saved tokenizer "
            "no longer loads (or loads garbage)",
        ),
        ("save/load: bytes as latin-1 text, read as base64",),
    ),
    HeldOut(
        _v22(
            "train-counts-per-distinct-piece",
            "tokenizer.py",
            "        counts = Counter(piece for part in _split_out(text, specials) for piece in self._pieces(part))\n",
            "        counts = Counter(set(piece for part in _split_out(text, specials) for piece in "
            "self._pieces(part)))\n",
            "tokenizer",
            "training counts each distinct pre-token once (a Counter of a set): pair frequencies ignore how "
            "often a word occurs, so merges follow the vocabulary, not the corpus",
        ),
        ("train: word frequencies ignored",),
    ),
    # ------------------------------------------------------------ data
    HeldOut(
        _v22(
            "targets-rolled-inputs",
            "data.py",
            "        y = buf[1:].view(B, T)  # targets: the next token of each input\n",
            "        y = buf[:-1].roll(-1).view(B, T)  # targets: the next token of each input\n",
            "data",
            "targets made by rolling the inputs left by one: inside the batch they are right, but the last "
            "target wraps to the batch's first token instead of the extra (B*T+1)-th token",
        ),
        ("targets: rolled inputs, last wraps",),
    ),
    HeldOut(
        _v22(
            "next-batch-rows-strided-by-t-plus-1",
            "data.py",
            _V22_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n = len(self.tokens)\n"
            "        base = (self.batches * self.world_size + self.rank) * B * T\n"
            "        xs, ys = [], []\n"
            "        for b in range(B):\n"
            "            s = base + b * (T + 1)\n"
            "            idx = torch.arange(s, s + T + 1) % n\n"
            "            xs.append(self.tokens[idx[:-1]])\n"
            "            ys.append(self.tokens[idx[1:]])\n"
            "        self.batches += 1\n"
            "        return torch.stack(xs), torch.stack(ys)\n",
            "data",
            "batch rows built in a loop, each row starting T+1 tokens after the previous instead of T: every "
            "row skips one token of the stream and the batches overlap the next one",
        ),
        ("loader rows: stride T+1",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "next-batch-offset-without-rank",
            "data.py",
            _V22_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        offset = self.batches * self.world_size * B * T\n"
            "        window = self.tokens[(offset + torch.arange(B * T + 1)) % self.tokens.numel()]\n"
            "        x, y = window[:-1].reshape(B, T), window[1:].reshape(B, T)\n"
            "        self.batches += 1\n"
            "        return x, y\n",
            "data",
            "the batch offset computed as batches * world_size * B * T without the rank: every rank reads the "
            "same slice",
        ),
        ("loader: rank ignored",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "load-state-dict-batches-plus-one",
            "data.py",
            '        self.batches = int(state["batches"])\n',
            '        self.batches = int(state["batches"]) + 1\n',
            "data",
            "load_state_dict resumes one batch past the saved position: a resumed run skips a batch",
        ),
        ("loader state: resumes one ahead",),
    ),
    # -------------------------------------------------------- training
    HeldOut(
        _v22(
            "cosine-decay-ratio-over-max-steps-minus-one",
            "training.py",
            "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1\n",
            "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps - 1)  # 0 -> 1\n",
            "training",
            "the decay ratio divided by max_steps - warmup_steps - 1: the cosine reaches min_lr one step early",
        ),
        ("cosine: one step short",),
    ),
    HeldOut(
        _v22(
            "lr-warmup-branch-inclusive",
            "training.py",
            _V22_GET_LR,
            "    if step <= warmup_steps:\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    if step > max_steps:\n"
            "        return min_lr\n"
            "    progress = (step - warmup_steps) / (max_steps - warmup_steps)\n"
            "    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))\n",
            "training",
            "the schedule's warmup branch taken while step <= warmup_steps: step warmup_steps gets max_lr * "
            "(w+1)/w, above max_lr",
        ),
        ("warmup: one step too long, overshoots max_lr",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "decay-groups-ndim-greater-than-2",
            "training.py",
            _V22_GROUPS,
            "    decay, no_decay = [], []\n"
            "    for p in params:\n"
            "        (decay if p.ndim > 2 else no_decay).append(p)\n"
            "    groups = [\n"
            '        {"params": decay, "weight_decay": weight_decay},\n'
            '        {"params": no_decay, "weight_decay": 0.0},\n'
            "    ]\n",
            "training",
            "parameters sorted into groups with p.ndim > 2 instead of >= 2: every matrix (ndim exactly 2) "
            "lands in the no-decay group, so nothing is decayed",
        ),
        ("decay groups: ndim > 2",),
        "rewrite",
    ),
    HeldOut(
        _v22(
            "train-step-loop-no-divide",
            "training.py",
            "        loss = loss / n\n",
            "        loss = loss\n",
            "training",
            "micro-batch losses not divided by their number: the accumulated gradient and reported loss are n "
            "times too large",
        ),
        ("accumulation: loss not divided by n",),
    ),
    HeldOut(
        _v22(
            "zero-grad-inside-micro-batch-loop",
            "training.py",
            "    optimizer.zero_grad(set_to_none=True)\n"
            "    n = len(batches)\n"
            "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
            "    for i, (x, y) in enumerate(batches):\n",
            "    n = len(batches)\n"
            "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        optimizer.zero_grad(set_to_none=True)\n",
            "training",
            "zero_grad moved inside the micro-batch loop: each micro-batch erases the previous ones' "
            "gradient, so the step uses only the last micro-batch's gradient (divided by n)",
        ),
        ("accumulation: zero_grad per micro-batch",),
    ),
]

V22_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V22}


# ==================================================================== HELDOUT_V23
# A twenty-third held-out set, written and committed on its own by a helper that never read the probes, the
# verdicts, the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what
# engineers get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch
# (nanoGPT / minbpe style); the names of the earlier sets were skimmed to pick other mistakes. A little over half
# is written="rewrite" (the piece written over in another engineer's style: a loop over heads, three F.linear
# calls on c_attn's slices, a per-row einsum loop, a hand softmax, an online flash-style softmax, torch.std with a
# Bessel rescaling, a hand tanh GELU, an MLP run in two hidden halves, an HF loader, top-k on probabilities, a
# str.split loop, a finditer encode, a save from the vocab, from_ranks built from Tokenizer(), a loader kept as a
# token offset, a hand clip, an indexed micro-batch loop, gradients divided in place; one mistake inside); the
# rest are edits at one place. Each was checked only for validity (it materialises and a non-slow spec test of its
# section fails with the fingerprint off, --tb=no), never run through the diagnosis. ``accept`` names the family
# and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 47 written, 15
# dropped, 32 kept: attention 5 (0 edits, 5 rewrites), layernorm 2 (1, 1), mlp 3 (1, 2), block 1 (1, 0), gpt 4
# (3, 1), loss 1 (1, 0), config 1 (1, 0), generate 3 (2, 1), tokenizer 7 (3, 4), data 1 (0, 1), training 4 (1, 3);
# 14 edits, 18 rewrites. All 18 kept rewrites were also graded with their mistake fixed: every non-slow test of
# the section passes (two were repaired first: the hand softmax took its max over the masked keys too, which made
# the fixed version NaN at extreme scores, so the max is now over the visible keys; from_ranks built from
# Tokenizer() kept the identity tokenizer's empty merges, so it now drops the cached merges as well).
# Dropped: twelve that test_held_out_set_is_new found to be known bugs (the output projection skipped, q/k/v
# unpacked as v, k, q, LayerNorm bias init ones, ReLU for GELU, no attention residual, vocab padded by default,
# generate from the first position, the generator not passed to multinomial, the new token prepended, strict
# UTF-8 decode, no zero_grad) or an earlier entry (the rank offset scaled by world_size, = ho9's); one that is no
# bug here: KVCache.append returning early on its first call without advancing length (generate then re-feeds the
# whole sequence from position 0 and the second append overwrites the prompt's slots with the same keys, so the
# cache heals itself: same tokens, more work); and two that no non-slow test caught, possible spec gaps:
# (1) LayerNorm.__init__ ignoring its eps argument (self.eps = 1e-5): no test builds a LayerNorm with another eps
# (the contract fixes eps = 1e-5, so this may be no bug by the contract); (2) sampling rewritten with a separate
# top-k branch that samples softmax(top-k values) without dividing by the temperature: the top-k tests check which
# tokens can be drawn (the same k at any temperature), and the distribution test runs without top_k, so no
# test sees that temperature is ignored when top_k is set.

_V23_ATTN_FWD = (
    "        B, T, C = x.shape\n"
    "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n"
    "        # (B, T, C) -> (B, n_head, T, head_dim): heads become a batch dimension.\n"
    "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))\n"
    "        if cache is None:\n"
    "            y = self.attend(q, k, v)\n"
    "        else:  # fast path: KV cache (GPT.generate) — attend to the cached keys/values plus the new ones\n"
    "            y = self.attend_cached(q, *cache.append(k, v))\n"
    "        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side\n"
    "        return self.c_proj(y)\n"
)
_V23_ATTEND = (
    "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))\n"
)
_V23_LN_FWD = (
    "        mean = x.mean(dim=-1, keepdim=True)\n"
    "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n"
    "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n"
    "        return x_hat * self.weight + self.bias\n"
)
_V23_MLP_FWD = '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n'
_V23_SAMPLE = (
    "            if temperature == 0:\n"
    "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
    "            else:\n"
    "                logits = logits / temperature\n"
    "                if top_k is not None:\n"
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
    "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
)
_V23_FROM_HF = (
    "        model = cls(config)\n"
    "        ours = model.state_dict()\n"
    "        for key, tensor in state_dict.items():\n"
    "            if key.endswith(_HF_BUFFER_SUFFIXES):\n"
    "                continue\n"
    '            name = key if key.startswith(("transformer.", "lm_head.")) else f"transformer.{key}"\n'
    "            if name not in ours:\n"
    '                raise KeyError(f"unexpected key in HF state dict: {key!r}")\n'
    "            if name.endswith(_CONV1D_SUFFIXES):\n"
    "                tensor = tensor.t()\n"
    "            target = ours[name]\n"
    "            if name in _VOCAB_ROWS:  # fast path: vocab padding — HF's rows fill the top; padded rows stay 0\n"
    "                target = target[: config.vocab_size]\n"
    "            if tensor.shape != target.shape:\n"
    '                raise ValueError(f"{key}: shape {tuple(tensor.shape)} != expected {tuple(target.shape)}")\n'
    "            with torch.no_grad():\n"
    "                target.copy_(tensor)\n"
    "        return model\n"
)
_V23_ENCODE = (
    "        allowed = self._allowed(allowed_special, disallowed_special, text)\n"
    "        ids: list[int] = []\n"
    "        for is_special, part in self._split_special(text, allowed):\n"
    "            if is_special:\n"
    "                ids.append(self.special_tokens[part])\n"
    "            else:\n"
    "                ids.extend(self.encode_ordinary(part))\n"
    "        return ids\n"
)
_V23_SAVE = (
    "        data = {\n"
    '            "format": "gpt2spec-bpe/1",\n'
    '            "pattern": self.pattern,\n'
    '            "special_tokens": self.special_tokens,\n'
    '            "mergeable_ranks": [[base64.b64encode(b).decode("ascii"), i] for b, i in self._ranks.items()],\n'
    "        }\n"
)
_V23_FROM_RANKS = (
    "        tok = cls.__new__(cls)\n"
    "        tok._init(pattern, dict(mergeable_ranks), dict(special_tokens or {}), None)\n"
    "        return tok\n"
)
_V23_SPLIT_OUT = (
    "    if not specials:\n        return [text]\n    return Tokenizer._special_regex(specials).split(text)\n"
)
_V23_LOADER_STATE = (
    "        self.B, self.T, self.rank, self.world_size = B, T, rank, world_size\n"
    "        self.batches = 0  # batches each rank has read so far: the loader's whole state\n"
    "\n"
    "    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:\n"
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1\n"
    "        return x, y\n"
    "\n"
    "    def reset(self) -> None:\n"
    "        self.batches = 0\n"
    "\n"
    "    # A checkpoint stores this so a resumed run reads the batches it would have read.\n"
    "    # It does not depend on the rank, so one file resumes every rank of a DDP run.\n"
    "    def state_dict(self) -> dict[str, int]:\n"
    '        return {"batches": self.batches}\n'
    "\n"
    "    def load_state_dict(self, state: dict[str, int]) -> None:\n"
    '        self.batches = int(state["batches"])\n'
)
_V23_CLIP = (
    "    # Clip before the step, so the update uses the clipped gradient.\n"
    "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
)
_V23_MICRO_LOOP = (
    "    for i, (x, y) in enumerate(batches):\n"
    "        if isinstance(model, DDP):\n"
    "            # All-reduce the gradient once, after the last micro-batch, not after every one.\n"
    "            model.require_backward_grad_sync = i == n - 1\n"
)
_V23_DIVIDE = (
    "        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,\n"
    "        # the same gradient as one batch n times larger.\n"
    "        loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()\n"
)

_v23 = partial(_in_set, 23)

HELDOUT_V23: list[HeldOut] = [
    # ------------------------------------------------------- attention
    HeldOut(
        _v23(
            "heads-loop-concatenated-in-reverse",
            "attention.py",
            _V23_ATTN_FWD,
            "        B, T, C = x.shape\n"
            "        hd = C // self.n_head\n"
            "        qkv = self.c_attn(x)\n"
            "        if cache is not None:  # fast path: KV cache, batched over heads as before\n"
            "            q, k, v = (t.view(B, T, self.n_head, hd).transpose(1, 2) for t in qkv.split(C, dim=2))\n"
            "            y = self.attend_cached(q, *cache.append(k, v)).transpose(1, 2).reshape(B, T, C)\n"
            "            return self.c_proj(y)\n"
            "        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()\n"
            "        outs = []\n"
            "        for h in range(self.n_head):\n"
            "            q = qkv[..., h * hd : (h + 1) * hd]\n"
            "            k = qkv[..., C + h * hd : C + (h + 1) * hd]\n"
            "            v = qkv[..., 2 * C + h * hd : 2 * C + (h + 1) * hd]\n"
            "            att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)\n"
            '            att = att.masked_fill(~causal, float("-inf")).softmax(dim=-1)\n'
            "            outs.append(att @ v)\n"
            "        y = torch.cat(outs[::-1], dim=-1)  # the heads side by side\n"
            "        return self.c_proj(y)\n",
            "attention",
            "a loop over heads (rewritten) whose outputs are concatenated in reverse order (outs[::-1]): head h's "
            "output lands in the columns of head n_head-1-h, so c_proj reads every head through another head's "
            "weights (uncached path; the cached path is batched and right)",
        ),
        ("attention heads merged in reverse order",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "queries-use-key-bias",
            "attention.py",
            _V23_ATTN_FWD,
            "        B, T, C = x.shape\n"
            "        W, b = self.c_attn.weight, self.c_attn.bias  # rows: [q | k | v]\n"
            "        q = F.linear(x, W[:C], b[C : 2 * C])\n"
            "        k = F.linear(x, W[C : 2 * C], b[C : 2 * C])\n"
            "        v = F.linear(x, W[2 * C :], b[2 * C :])\n"
            "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))\n"
            "        y = self.attend(q, k, v) if cache is None else self.attend_cached(q, *cache.append(k, v))\n"
            "        return self.c_proj(y.transpose(1, 2).reshape(B, T, C))\n",
            "attention",
            "q, k, v made by three F.linear calls on slices of c_attn (rewritten); the query projection adds the "
            "key bias b[C:2C] instead of its own b[:C], so every query is shifted by the wrong vector",
        ),
        ("attention: query bias is the key bias",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "batch-loop-values-of-row-0",
            "attention.py",
            _V23_ATTEND,
            "        out = torch.empty_like(q)\n"
            "        T = q.size(-2)\n"
            "        keep = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()\n"
            "        for b in range(q.size(0)):\n"
            '            s = torch.einsum("htd,hsd->hts", q[b], k[b]) * k.size(-1) ** -0.5\n'
            '            s = s.masked_fill(~keep, float("-inf"))\n'
            '            out[b] = torch.einsum("hts,hsd->htd", s.softmax(dim=-1), v[0])\n'
            "        return out\n",
            "attention",
            "attention written as a loop over the batch with einsum (rewritten); each row's weights are applied to "
            "v[0], the values of the first sequence, instead of v[b]: every sequence of a batch mixes the first "
            "sequence's values",
        ),
        ("attention: batch rows read the values of row 0",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "softmax-normaliser-includes-masked-keys",
            "attention.py",
            _V23_ATTEND,
            "        T = q.size(-2)\n"
            "        causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()\n"
            "        scores = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))\n"
            '        m = scores.masked_fill(~causal, float("-inf")).amax(dim=-1, keepdim=True)  # visible keys\n'
            "        weights = (scores - m).exp()\n"
            "        total = weights.sum(dim=-1, keepdim=True)\n"
            "        weights = weights.masked_fill(~causal, 0.0)\n"
            "        return (weights / total) @ v\n",
            "attention",
            "a hand softmax (rewritten) whose normaliser is summed before the causal mask zeroes the future: each "
            "row is divided by a total that includes the masked keys, so the weights sum to less than 1 (only "
            "the last row is right)",
        ),
        ("attention softmax: denominator over all keys",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "online-softmax-output-not-rescaled",
            "attention.py",
            _V23_ATTEND,
            "        T, hd = q.size(-2), q.size(-1)\n"
            '        m = q.new_full((*q.shape[:-1], 1), float("-inf"))  # running row max\n'
            "        denom = q.new_zeros((*q.shape[:-1], 1))  # running softmax denominator\n"
            "        o = torch.zeros_like(q)\n"
            "        rows = torch.arange(T, device=q.device)[:, None]\n"
            "        for s in range(0, T, 4):  # keys in blocks of 4, flash-attention style\n"
            "            kb, vb = k[..., s : s + 4, :], v[..., s : s + 4, :]\n"
            "            sc = (q @ kb.transpose(-2, -1)) / math.sqrt(hd)\n"
            "            cols = torch.arange(s, s + kb.size(-2), device=q.device)[None, :]\n"
            '            sc = sc.masked_fill(cols > rows, float("-inf"))\n'
            "            m_new = torch.maximum(m, sc.amax(dim=-1, keepdim=True))\n"
            "            p = torch.exp(sc - m_new)\n"
            "            alpha = torch.exp(m - m_new)\n"
            "            denom = denom * alpha + p.sum(dim=-1, keepdim=True)\n"
            "            o = o + p @ vb\n"
            "            m = m_new\n"
            "        return o / denom\n",
            "attention",
            "attention rewritten as an online (flash-style) softmax over blocks of 4 keys; when the running max "
            "grows, the denominator is rescaled by exp(m_old - m_new) but the accumulated output o is not: "
            "earlier blocks' values keep weights computed against a stale max (exact for T <= 4)",
        ),
        ("attention online softmax: output not rescaled",),
        "rewrite",
    ),
    # ------------------------------------------------------- layernorm
    HeldOut(
        _v23(
            "ln-mean-subtracted-after-scaling",
            "layernorm.py",
            "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n",
            "        x_hat = x * torch.rsqrt(var + self.eps) - mean  # eps inside the sqrt\n",
            "layernorm",
            "x_hat = x * rsqrt(var + eps) - mean: the mean is subtracted after scaling instead of before, so the "
            "output is not centred (it is off by mean * (1 - 1/std))",
        ),
        ("layernorm: mean subtracted after scaling",),
    ),
    HeldOut(
        _v23(
            "ln-unbiased-std-rescaled-the-wrong-way",
            "layernorm.py",
            _V23_LN_FWD,
            "        C = x.size(-1)\n"
            "        mean = x.mean(dim=-1, keepdim=True)\n"
            "        # torch.std divides by C - 1; rescale it to the biased std GPT-2 uses (divide by C)\n"
            "        std = x.std(dim=-1, keepdim=True) * (C / (C - 1)) ** 0.5\n"
            "        x_hat = (x - mean) / torch.sqrt(std**2 + self.eps)\n"
            "        return self.weight * x_hat + self.bias\n",
            "layernorm",
            "LayerNorm from torch.std (rewritten) whose rescaling to the biased std multiplies by sqrt(C/(C-1)) "
            "instead of sqrt((C-1)/C): the variance used is C/(C-1)^2 * sum instead of sum / C, so the output is "
            "(C-1)/C times too small",
        ),
        ("layernorm variance: wrong Bessel rescaling",),
        "rewrite",
    ),
    # ------------------------------------------------------------- mlp
    HeldOut(
        _v23(
            "mlp-hidden-2x",
            "mlp.py",
            "        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)\n"
            "        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)\n",
            "        self.c_fc = nn.Linear(config.n_embd, 2 * config.n_embd)\n"
            "        self.c_proj = nn.Linear(2 * config.n_embd, config.n_embd)\n",
            "mlp",
            "the MLP's hidden width is 2 * n_embd instead of 4 * n_embd: the parameter shapes differ from GPT-2's "
            "and HF weights cannot load",
        ),
        ("mlp hidden width: 2x",),
    ),
    HeldOut(
        _v23(
            "gelu-cube-typed-as-times-3",
            "mlp.py",
            _V23_MLP_FWD,
            "        h = self.c_fc(x)\n"
            "        inner = 0.7978845608028654 * (h + 0.044715 * h * 3)  # sqrt(2/pi) * (h + 0.044715 h^3)\n"
            "        return self.c_proj(0.5 * h * (1.0 + torch.tanh(inner)))\n",
            "mlp",
            "a hand tanh GELU (rewritten) with the cube typed as h * 3 instead of h ** 3: the inner term is "
            "sqrt(2/pi) * 1.134 h, a differently scaled smooth ramp",
        ),
        ("gelu: cube written as times 3",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "mlp-chunked-proj-first-half-twice",
            "mlp.py",
            _V23_MLP_FWD,
            "        # the 4C hidden layer in two halves, to halve the activation memory\n"
            "        half = self.c_fc.out_features // 2\n"
            "        w_fc, b_fc, w_pr = self.c_fc.weight, self.c_fc.bias, self.c_proj.weight\n"
            "        y = self.c_proj.bias\n"
            "        for lo in (0, half):\n"
            '            h = F.gelu(F.linear(x, w_fc[lo : lo + half], b_fc[lo : lo + half]), approximate="tanh")\n'
            "            y = y + F.linear(h, w_pr[:, :half])\n"
            "        return y\n",
            "mlp",
            "the MLP rewritten to process its hidden layer in two halves; each half is projected with the first "
            "half of c_proj's columns (w_pr[:, :half]) instead of w_pr[:, lo : lo + half], so the second half of "
            "the hidden units goes through the wrong weights",
        ),
        ("mlp: second hidden half projected with the first half's weights",),
        "rewrite",
    ),
    # ----------------------------------------------------------- block
    HeldOut(
        _v23(
            "block-residual-averaged",
            "block.py",
            "        x = x + self.mlp(self.ln_2(x))\n",
            "        x = (x + self.mlp(self.ln_2(x))) / 2\n",
            "block",
            "the MLP residual is averaged with its branch, (x + mlp(ln_2(x))) / 2, instead of summed: every block "
            "halves the residual stream",
        ),
        ("block: mlp residual halved",),
    ),
    # ------------------------------------------------------------- gpt
    HeldOut(
        _v23(
            "blocks-run-in-reverse",
            "gpt.py",
            "        for i, block in enumerate(self.transformer.h):\n",
            "        for i, block in enumerate(reversed(self.transformer.h)):\n",
            "gpt",
            "the blocks are applied last to first (reversed(self.transformer.h)): block 0 of the checkpoint runs last",
        ),
        ("gpt: blocks in reverse order",),
    ),
    HeldOut(
        _v23(
            "logits-last-position-without-targets",
            "gpt.py",
            "        logits = self.lm_head(self.transformer.ln_f(x))\n",
            "        x = self.transformer.ln_f(x)\n"
            "        # inference only needs the last position's logits (nanoGPT's shortcut)\n"
            "        logits = self.lm_head(x) if targets is not None else self.lm_head(x[:, [-1], :])\n",
            "gpt",
            "forward without targets returns only the last position's logits, (B, 1, V), as nanoGPT does; the "
            "contract wants logits for every position, (B, T, V)",
        ),
        ("gpt: logits of the last position only",),
    ),
    HeldOut(
        _v23(
            "residual-init-mlp-only",
            "gpt.py",
            '            if name.endswith("c_proj.weight"):\n',
            '            if name.endswith("mlp.c_proj.weight"):\n',
            "gpt",
            "the 1/sqrt(2 n_layer) residual init is applied to the MLP's c_proj only: attention's c_proj keeps "
            "std 0.02",
        ),
        ("residual init: mlp only",),
    ),
    HeldOut(
        _v23(
            "from-hf-transposes-attention-only",
            "gpt.py",
            _V23_FROM_HF,
            "        model = cls(config)\n"
            "        params = model.state_dict()\n"
            "        for hf_name, w in state_dict.items():\n"
            '            if hf_name.endswith((".attn.bias", ".attn.masked_bias")):\n'
            "                continue  # HF's causal-mask buffers\n"
            '            prefixed = hf_name.startswith(("transformer.", "lm_head."))\n'
            '            name = hf_name if prefixed else "transformer." + hf_name\n'
            "            if name not in params:\n"
            '                raise KeyError(f"unexpected key in HF state dict: {hf_name!r}")\n'
            '            if name.endswith(".weight") and ".attn.c_" in name:  # Conv1D stores (in, out)\n'
            "                w = w.t()\n"
            "            dst = params[name][: config.vocab_size] if name in _VOCAB_ROWS else params[name]\n"
            "            if w.shape != dst.shape:\n"
            '                raise ValueError(f"{hf_name}: shape {tuple(w.shape)} != expected {tuple(dst.shape)}")\n'
            "            with torch.no_grad():\n"
            "                dst.copy_(w)\n"
            "        return model\n",
            "gpt",
            "from_hf_state_dict (rewritten) transposes only the attention's Conv1D weights (.attn.c_*): the MLP's "
            "c_fc and c_proj weights keep HF's (in, out) layout, so loading fails on their shapes",
        ),
        ("hf loading: mlp weights not transposed",),
        "rewrite",
    ),
    # ------------------------------------------------------------ loss
    HeldOut(
        _v23(
            "loss-on-detached-logits",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            loss = F.cross_entropy(logits.detach().view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "loss",
            "the loss is computed on logits.detach(): its value is right but it has no gradient, so backward() "
            "raises (nothing trains)",
        ),
        ("loss: detached from the graph",),
    ),
    # ---------------------------------------------------------- config
    HeldOut(
        _v23(
            "config-block-size-512",
            "config.py",
            "    block_size: int = 1024  # longest sequence the position table covers\n",
            "    block_size: int = 512  # longest sequence the position table covers\n",
            "config",
            "block_size defaults to 512 instead of GPT-2's 1024",
        ),
        ("config: block_size 512",),
    ),
    # -------------------------------------------------------- generate
    HeldOut(
        _v23(
            "kv-cache-kept-across-calls",
            "gpt.py",
            "        cache = [KVCache(cache_len) for _ in self.transformer.h] if use_kv_cache else None\n",
            '        if use_kv_cache and getattr(self, "_kv_cache", None) is None:  # allocate once, reuse it\n'
            "            self._kv_cache = [KVCache(cache_len) for _ in self.transformer.h]\n"
            "        cache = self._kv_cache if use_kv_cache else None\n",
            "generate",
            "the KV cache is allocated once and kept on the model: a second generate call starts with the first "
            "call's keys and values (and its length), so it attends to a stale sequence or overflows the cache",
        ),
        ("kv cache: reused across generate calls",),
    ),
    HeldOut(
        _v23(
            "kv-cache-allocated-for-batch-1",
            "attention.py",
            "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n"
            "            self.v = v.new_zeros(B, nh, self.max_len, hd)\n",
            "            self.k = k.new_zeros(1, nh, self.max_len, hd)\n"
            "            self.v = v.new_zeros(1, nh, self.max_len, hd)\n",
            "generate",
            "the KV cache buffers are allocated with batch size 1: a batch of several prompts cannot be written "
            "into them (cached generation works for one prompt only)",
        ),
        ("kv cache: buffers for one sequence",),
    ),
    HeldOut(
        _v23(
            "top-k-probabilities-softmaxed-again",
            "gpt.py",
            _V23_SAMPLE,
            "            if temperature == 0:\n"
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
            "            else:\n"
            "                probs = F.softmax(logits / temperature, dim=-1)\n"
            "                if top_k is not None:\n"
            "                    top = torch.topk(probs, min(top_k, probs.size(-1)), dim=-1)\n"
            "                    probs = torch.zeros_like(probs).scatter(-1, top.indices, top.values)\n"
            "                    probs = F.softmax(probs, dim=-1)  # renormalise the kept mass\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "generate",
            "top-k on probabilities (rewritten) renormalised with a second softmax instead of a division by the "
            "sum: exp(0) = 1 gives every dropped token weight again, so sampling is nearly uniform over the "
            "whole vocabulary",
        ),
        ("top-k: renormalised with softmax",),
        "rewrite",
    ),
    # ------------------------------------------------------- tokenizer
    HeldOut(
        _v23(
            "requeue-baseline-overwritten-per-word",
            "tokenizer.py",
            "                    before.setdefault(p, stats[p])\n                    stats[p] -= f\n",
            "                    before[p] = stats[p]\n                    stats[p] -= f\n",
            "tokenizer",
            "training records a touched pair's count before each word's update (before[p] = stats[p]) instead of "
            "once before the merge: a pair whose last word leaves its count unchanged is not re-queued, though "
            "earlier words changed it, so its fresh count never reaches the heap and later merges differ",
        ),
        ("bpe training: changed counts not re-queued",),
    ),
    HeldOut(
        _v23(
            "stable-prefix-checks-piece-start",
            "tokenizer.py",
            "                if piece.end() > limit:\n",
            "                if piece.start() > limit:\n",
            "tokenizer",
            "streaming encode stops at the first pre-token that starts past the limit instead of the first that "
            "ends past it: a pre-token straddling the held-back tail is encoded before the next chunk could "
            "extend it",
        ),
        ("streaming: piece straddling the cut encoded",),
    ),
    HeldOut(
        _v23(
            "pattern-whitespace-alternatives-swapped",
            "tokenizer.py",
            r'|\s+(?!\S)|\s+"""',
            r'|\s+|\s+(?!\S)"""',
            "tokenizer",
            r"the pattern's last two alternatives are swapped (\s+ before \s+(?!\S)): a whitespace run takes "
            "its last space too, so ' world' after two spaces splits as '  ' + 'world' instead of ' ' + ' world'",
        ),
        ("pattern: whitespace run keeps its last space",),
    ),
    HeldOut(
        _v23(
            "split-out-resplits-the-text",
            "tokenizer.py",
            _V23_SPLIT_OUT,
            "    parts = [text]\n"
            "    for special in sorted(specials, key=len, reverse=True):\n"
            "        parts = text.split(special)\n"
            "    return parts\n",
            "tokenizer",
            "cutting the special tokens out of the training text (rewritten as a loop of str.split) splits the "
            "whole text again for each special instead of the parts so far: only the last (shortest) special "
            "is cut out, the others are trained on as plain text",
        ),
        ("training: only one special token cut out",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "encode-splits-on-every-special",
            "tokenizer.py",
            _V23_ENCODE,
            "        allowed = self._allowed(allowed_special, disallowed_special, text)\n"
            "        ids: list[int] = []\n"
            "        pos = 0\n"
            "        for m in self._special_regex(self.special_tokens).finditer(text):\n"
            "            ids += self.encode_ordinary(text[pos : m.start()])\n"
            "            ids.append(self.special_tokens[m.group()])\n"
            "            pos = m.end()\n"
            "        ids += self.encode_ordinary(text[pos:])\n"
            "        return ids\n",
            "tokenizer",
            "encode (rewritten with finditer) cuts the text at every special token, not only the allowed ones: a "
            "special that is neither allowed nor disallowed becomes its id instead of plain text",
        ),
        ("specials: not-allowed specials encoded as special",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "save-writes-specials-as-ranks",
            "tokenizer.py",
            _V23_SAVE,
            '        table = [[base64.b64encode(tok).decode("ascii"), i] for i, tok in self.vocab.items()]\n'
            "        data = {\n"
            '            "format": "gpt2spec-bpe/1",\n'
            '            "pattern": self.pattern,\n'
            '            "special_tokens": self.special_tokens,\n'
            '            "mergeable_ranks": table,\n'
            "        }\n",
            "tokenizer",
            "save (rewritten) writes the whole vocab, special tokens included, as mergeable ranks: a loaded "
            "tokenizer has the specials among its mergeable ranks too",
        ),
        ("save: specials saved as ranks",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "from-ranks-decoder-not-rebuilt",
            "tokenizer.py",
            _V23_FROM_RANKS,
            "        tok = cls(pattern)  # the byte-level tokenizer, then swap in the given vocabulary\n"
            "        tok._ranks = dict(mergeable_ranks)\n"
            "        tok.special_tokens = dict(special_tokens or {})\n"
            "        tok._cache = {}\n"
            '        tok.__dict__.pop("merges", None)  # recomputed from the new ranks on first use\n'
            "        return tok\n",
            "tokenizer",
            "from_ranks (rewritten) starts from Tokenizer(pattern) and swaps in the ranks and specials but keeps "
            "the byte-identity decoder: decode maps ids through the 256-byte table, so merged ids and specials "
            "are unknown and GPT-2's permuted byte ranks decode to the wrong bytes",
        ),
        ("from_ranks: decoder not rebuilt",),
        "rewrite",
    ),
    # ------------------------------------------------------------ data
    HeldOut(
        _v23(
            "reset-forgets-rank-offset",
            "data.py",
            _V23_LOADER_STATE,
            "        self.B, self.T, self.rank, self.world_size = B, T, rank, world_size\n"
            "        self.pos = rank * B * T  # where this rank's next batch starts in the stream\n"
            "\n"
            "    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:\n"
            "        B, T = self.B, self.T\n"
            "        ix = (self.pos + torch.arange(B * T + 1)) % len(self.tokens)\n"
            "        buf = self.tokens[ix]\n"
            "        self.pos += self.world_size * B * T  # the other ranks read the batches in between\n"
            "        return buf[:-1].view(B, T), buf[1:].view(B, T)\n"
            "\n"
            "    def reset(self) -> None:\n"
            "        self.pos = 0\n"
            "\n"
            "    def state_dict(self) -> dict[str, int]:\n"
            "        B, T, W = self.B, self.T, self.world_size\n"
            '        return {"batches": (self.pos - self.rank * B * T) // (W * B * T)}\n'
            "\n"
            "    def load_state_dict(self, state: dict[str, int]) -> None:\n"
            '        self.pos = (int(state["batches"]) * self.world_size + self.rank) * self.B * self.T\n',
            "data",
            "the loader rewritten around a token offset pos: reset() sets pos = 0 and forgets the rank's offset, "
            "so after a reset every rank reads rank 0's slices (right for one process)",
        ),
        ("loader reset: rank offset lost",),
        "rewrite",
    ),
    # -------------------------------------------------------- training
    HeldOut(
        _v23(
            "checkpoint-pickles-the-loader",
            "training.py",
            '        "loader": loader.state_dict(),\n',
            '        "loader": loader,\n',
            "training",
            "the checkpoint stores the DataLoader object itself instead of its state_dict: load_checkpoint "
            "passes that object to load_state_dict, which fails (and the file holds the whole token array)",
        ),
        ("checkpoint: loader object saved",),
    ),
    HeldOut(
        _v23(
            "hand-clip-norm-of-largest-tensor",
            "training.py",
            _V23_CLIP,
            "    # Clip before the step, so the update uses the clipped gradient.\n"
            "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
            "    norm = torch.stack([g.detach().norm(2) for g in grads]).max()\n"
            "    scale = torch.clamp(max_norm / (norm + 1e-6), max=1.0)\n"
            "    for g in grads:\n"
            "        g.mul_(scale)\n",
            "training",
            "hand-written clipping (rewritten) takes the largest per-tensor L2 norm as the total norm instead of "
            "the L2 norm of all the per-tensor norms: the reported norm is too small and clipping too weak",
        ),
        ("clipping: norm is the largest tensor's",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "micro-loop-skips-the-first",
            "training.py",
            _V23_MICRO_LOOP,
            "    for i in range(1, n):\n"
            "        x, y = batches[i]\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1\n",
            "training",
            "the micro-batch loop (rewritten with indices) runs range(1, n): the first micro-batch is never "
            "used (the loss and gradient are those of the others, still divided by n; with one micro-batch "
            "nothing trains)",
        ),
        ("accumulation: first micro-batch skipped",),
        "rewrite",
    ),
    HeldOut(
        _v23(
            "grads-divided-inside-micro-loop",
            "training.py",
            _V23_DIVIDE,
            "        loss.backward()\n"
            "        # average the accumulated gradient over the micro-batches\n"
            "        for p in model.parameters():\n"
            "            if p.grad is not None:\n"
            "                p.grad.div_(n)\n"
            "        loss_accum = loss.detach() / n + loss_accum.to(loss.device, loss.dtype)\n",
            "training",
            "the averaging over micro-batches (rewritten to divide the gradients) divides the accumulated .grad "
            "by n after every backward: earlier micro-batches are divided again and again, so the step's "
            "gradient weights micro-batch i by 1/n^(n-i)",
        ),
        ("accumulation: gradient divided every micro-batch",),
        "rewrite",
    ),
]

V23_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V23}


# ==================================================================== HELDOUT_V24
# A twenty-fourth held-out set, written and committed on its own by a helper that never read the probes, the
# verdicts, the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what
# engineers get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch
# (nanoGPT / minbpe style); the names of the earlier sets were skimmed to pick other mistakes. About half is
# written="rewrite" (the piece written over in another engineer's style: a hand softmax, the output projection as a
# matmul, a loop over heads slicing c_attn's columns, three F.linear calls on c_attn's rows, a one-pass LayerNorm
# from float64 sums, torch.std_mean, a hand tanh GELU, an MLP on flattened rows, a block in named steps, a
# sublayer helper, an init split by module type, a residual init looping over the blocks, inverse-CDF sampling, a
# hand cached attention from aranges, a KV cache grown with torch.cat, a renamed top-k, a lowest-pair scan BPE, a
# slice-assign merge, split + findall for specials, a recount trainer, a slicing loader, as_token_tensor by input
# type, a max-minus-ramp cosine, optimizer groups without a weight_decay key, a micro-batch loop, a load through
# state_dict(); one mistake inside); the rest are edits at one place. Each was checked only for validity (it
# materialises and a non-slow spec test of its section fails with the fingerprint off, --tb=no), never run through
# the diagnosis. ``accept`` names the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 60 written, 10
# dropped, 50 kept: attention 7 (3 edits, 4 rewrites), layernorm 4 (2, 2), mlp 3 (1, 2), block 4 (2, 2), gpt 3
# (1, 2), loss 1 (1, 0), config 1 (1, 0), generate 6 (2, 4), tokenizer 9 (5, 4), data 5 (3, 2), training 7 (3, 4);
# 24 edits, 26 rewrites. All 26 kept rewrites were also graded with their mistake fixed: every non-slow test of the
# section passes (one was repaired first: the renormalised attention first took the softmax over every key, zeroed
# the future and renormalised, which underflows to 0/0 at extreme scores with the mistake fixed
# (test_finite_at_extremes), so it is now a hand softmax of the masked scores). The cached-attention bugs are in
# attention.py and the sampling bugs in gpt.py but graded under generate, the sign-flipped loss under loss, as
# earlier sets grade them.
# Dropped: five that test_held_out_set_is_new found to be a known bug or an earlier entry (HF's attn.c_proj left
# out of the Conv1D transposes, an lm_head with a bias, the cached mask's diagonal S - 1 (= ho7's), allowed
# specials encoded as text, the CPU RNG not restored on load); two that are no bug here: (1) top-k's threshold read
# from topk(..., sorted=False) (on CPU torch returns the k values sorted anyway; it may be a bug on CUDA), (2) the KV
# cache sized max_new_tokens without the prompt (generate then takes its no-cache branch whenever the sequence is
# longer than the cache: same tokens, recomputed); and three that no non-slow test caught, possible spec gaps:
# (1) sampling weights exp(logits / T) without the softmax (multinomial normalises them, so the distribution is
# right, but exp overflows to inf once logits / T > 88: no test samples a model whose logits are large enough at
# a low temperature); (2) train's special tokens not deduplicated (a special given twice takes two ids and one
# merge fewer is learned: no test passes a duplicate); (3) mergeable_ranks returning the tokenizer's own dict
# instead of a copy (no test mutates the returned dict and checks the tokenizer is unchanged).

_V24_ATTEND = (
    "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))\n"
)
_V24_MERGE_HEADS = (
    "        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side\n"
    "        return self.c_proj(y)\n"
)
_V24_ATTN_FWD = (
    "        B, T, C = x.shape\n"
    "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n"
    "        # (B, T, C) -> (B, n_head, T, head_dim): heads become a batch dimension.\n"
    "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))\n"
    "        if cache is None:\n"
    "            y = self.attend(q, k, v)\n"
    "        else:  # fast path: KV cache (GPT.generate) — attend to the cached keys/values plus the new ones\n"
    "            y = self.attend_cached(q, *cache.append(k, v))\n"
    "        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble the heads side by side\n"
    "        return self.c_proj(y)\n"
)
_V24_FWD_SPLIT = (
    "        B, T, C = x.shape\n"
    "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n"
    "        # (B, T, C) -> (B, n_head, T, head_dim): heads become a batch dimension.\n"
    "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))\n"
)
_V24_LN_FWD = (
    "        mean = x.mean(dim=-1, keepdim=True)\n"
    "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n"
    "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n"
    "        return x_hat * self.weight + self.bias\n"
)
_V24_MLP_FWD = '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n'
_V24_BLOCK_FWD = (
    "        x = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(x))\n        return x\n"
)
_V24_INIT_WEIGHTS = (
    "        if isinstance(module, (nn.Linear, nn.Embedding)):\n"
    "            nn.init.normal_(module.weight, mean=0.0, std=0.02)\n"
    "        if isinstance(module, nn.Linear) and module.bias is not None:\n"
    "            nn.init.zeros_(module.bias)\n"
)
_V24_SAMPLE = (
    "            if temperature == 0:\n"
    "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
    "            else:\n"
    "                logits = logits / temperature\n"
    "                if top_k is not None:\n"
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
    "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
)
_V24_ATTEND_CACHED = (
    "        T, S = q.size(-2), k.size(-2)\n"
    "        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)\n"
    "        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0 / math.sqrt(q.size(-1)))\n"
)
_V24_KV_APPEND = (
    "        start, end = self.length, self.length + k.size(2)\n"
    "        if end > self.max_len:\n"
    '            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")\n'
    "        if self.k is None or self.v is None:  # allocate lazily: k's dtype may be bf16 under autocast\n"
    "            B, nh, _, hd = k.shape\n"
    "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n"
    "            self.v = v.new_zeros(B, nh, self.max_len, hd)\n"
    "        self.k[:, :, start:end] = k\n"
    "        self.v[:, :, start:end] = v\n"
    "        self.length = end\n"
    "        return self.k[:, :, :end], self.v[:, :, :end]\n"
)
_V24_BPE_BODY = (
    "    if token in ranks and max_rank is None:\n"
    "        return [token]  # a whole pre-token in the vocabulary is its own encoding (BPE ends there too)\n"
    '    inf = float("inf")\n'
    "    limit = inf if max_rank is None else max_rank\n"
    "    parts = [_BYTES[b] for b in token]\n"
    "    get = ranks.get\n"
    "    # pair_ranks[i]: the rank of parts[i] + parts[i + 1]; a merge changes only its two neighbours.\n"
    "    pair_ranks = [get(a + b, inf) for a, b in itertools.pairwise(parts)]\n"
    "    while pair_ranks:\n"
    "        # Rank order is training order: the pair merged earliest in training merges first.\n"
    "        rank = min(pair_ranks)\n"
    "        if rank >= limit:\n"
    "            break\n"
    "        i = pair_ranks.index(rank)  # the leftmost, if the same pair occurs twice\n"
    "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
    "        del pair_ranks[i]\n"
    "        if i > 0:\n"
    "            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)\n"
    "        if i < len(pair_ranks):\n"
    "            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)\n"
    "    return parts\n"
)
_V24_MERGE_BODY = (
    "    out, i, n = [], 0, len(ids)\n"
    "    a, b = pair\n"
    "    while i < n:\n"
    "        if i < n - 1 and ids[i] == a and ids[i + 1] == b:\n"
    "            out.append(new_id)\n"
    "            i += 2\n"
    "        else:\n"
    "            out.append(ids[i])\n"
    "            i += 1\n"
    "    return out\n"
)
_V24_SPLIT_SPECIAL = (
    "        start = 0\n"
    "        for m in self._special_regex(allowed).finditer(text):\n"
    "            yield False, text[start : m.start()]\n"
    "            yield True, m.group()\n"
    "            start = m.end()\n"
    "        yield False, text[start:]\n"
)
_V24_TRAIN_LOOP = (
    "        # stats: pair -> weighted count; where: pair -> words that (may) hold it. Both are kept up to\n"
    "        # date incrementally: a merge only revisits the words that contain the merged pair.\n"
    "        stats: dict[tuple[int, int], int] = defaultdict(int)\n"
    "        where: dict[tuple[int, int], set[int]] = defaultdict(set)\n"
    "        for w, ids in enumerate(words):\n"
    "            for pair in itertools.pairwise(ids):\n"
    "                stats[pair] += freqs[w]\n"
    "                where[pair].add(w)\n"
    "\n"
    "        def entry(pair: tuple[int, int], count: int) -> tuple:\n"
    "            # heapq pops the smallest: the highest count, then the smallest (left bytes, right bytes).\n"
    "            return (-count, vocab[pair[0]], vocab[pair[1]], pair)\n"
    "\n"
    "        # Stale entries (a count that has changed since) are skipped when popped.\n"
    "        heap = [entry(pair, c) for pair, c in stats.items()]\n"
    "        heapq.heapify(heap)\n"
    "\n"
    "        merges: dict[tuple[int, int], int] = {}\n"
    "        while len(merges) < n_merges and heap:\n"
    "            neg_count, _, _, pair = heapq.heappop(heap)\n"
    "            if stats.get(pair, 0) != -neg_count:\n"
    "                continue  # this entry's count is out of date; a fresher one is in the heap\n"
    "            new_id = len(vocab)\n"
    "            merges[pair] = new_id\n"
    "            vocab.append(vocab[pair[0]] + vocab[pair[1]])\n"
    "            before: dict[tuple[int, int], int] = {}  # counts of the pairs this merge touches\n"
    "            for w in where.pop(pair):\n"
    "                old = words[w]\n"
    "                new = _merge(old, pair, new_id)\n"
    "                if len(new) == len(old):\n"
    "                    continue  # the pair left this word in an earlier merge\n"
    "                f = freqs[w]\n"
    "                for p in itertools.pairwise(old):\n"
    "                    before.setdefault(p, stats[p])\n"
    "                    stats[p] -= f\n"
    "                for p in itertools.pairwise(new):\n"
    "                    before.setdefault(p, stats[p])\n"
    "                    stats[p] += f\n"
    "                    where[p].add(w)\n"
    "                words[w] = new\n"
    "            for p, c in before.items():\n"
    "                if stats[p] <= 0:\n"
    "                    del stats[p]\n"
    "                elif stats[p] != c:\n"
    "                    heapq.heappush(heap, entry(p, stats[p]))\n"
)
_V24_NEXT_BATCH = (
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1\n"
    "        return x, y\n"
)
_V24_AS_TOKENS = (
    "    if isinstance(tokens, torch.Tensor):\n"
    "        t = tokens.detach().cpu()\n"
    "        if t.dtype in (torch.uint16, torch.uint32):  # few torch ops support these; widen bit-exactly\n"
    "            t = torch.from_numpy(t.numpy().astype(np.int64))\n"
    "        return t.to(torch.int64).flatten()\n"
    "    return torch.from_numpy(np.asarray(tokens).astype(np.int64).reshape(-1))\n"
)
_V24_GET_LR = (
    "    if step < warmup_steps:\n"
    "        return max_lr * (step + 1) / warmup_steps\n"
    "    if step >= max_steps:\n"
    "        return min_lr\n"
    "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1\n"
    "    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0\n"
    "    return min_lr + coeff * (max_lr - min_lr)\n"
)
_V24_GROUPS = (
    "    groups = [\n"
    '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n'
    '        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},\n'
    "    ]\n"
    "    if fused is None:\n"
    "        fused = bool(params) and all(p.is_cuda for p in params)\n"
    "    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)\n"
)
_V24_MICRO_LOOP = (
    "    n = len(batches)\n"
    "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
    "    for i, (x, y) in enumerate(batches):\n"
    "        if isinstance(model, DDP):\n"
    "            # All-reduce the gradient once, after the last micro-batch, not after every one.\n"
    "            model.require_backward_grad_sync = i == n - 1\n"
    "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext("
    ")\n"
    "        with amp:\n"
    "            _, loss = model(x, y)\n"
    "        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,\n"
    "        # the same gradient as one batch n times larger.\n"
    "        loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()\n"
)
_V24_LOAD_BODY = (
    "    device = next(model.parameters()).device\n"
    "    state = torch.load(path, map_location=device, weights_only=False)\n"
    "    raw = model.module if isinstance(model, DDP) else model\n"
    '    raw.load_state_dict(state["model"])\n'
    '    optimizer.load_state_dict(state["optimizer"])\n'
    '    loader.load_state_dict(state["loader"])\n'
    '    torch.set_rng_state(state["rng"]["torch"].cpu())\n'
    '    if state["rng"]["cuda"] and torch.cuda.is_available():\n'
    '        torch.cuda.set_rng_state_all([s.cpu() for s in state["rng"]["cuda"]])\n'
    '    return int(state["step"])\n'
)

_v24 = partial(_in_set, 24)

HELDOUT_V24: list[HeldOut] = [
    # --------------------------------------------------- attention
    HeldOut(
        _v24(
            "c-proj-bias-added-again",
            "attention.py",
            "        return self.c_proj(y)\n",
            "        return self.c_proj(y) + self.c_proj.bias\n",
            "attention",
            "the attention output adds c_proj's bias a second time after the projection (nn.Linear already adds "
            "it): invisible at init (zero biases), but with loaded weights every position is shifted by the bias",
        ),
        ("attention: c_proj bias added twice",),
    ),
    HeldOut(
        _v24(
            "qkv-unpacked-k-v-q",
            "attention.py",
            "        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)\n",
            "        k, v, q = self.c_attn(x).split(self.n_embd, dim=2)\n",
            "attention",
            "the three slices of c_attn are unpacked as k, v, q instead of q, k, v: the queries are read from the "
            "value columns, the keys from the query columns and the values from the key columns",
        ),
        ("attention: q, k, v unpacked in the order k, v, q",),
    ),
    HeldOut(
        _v24(
            "attention-output-detached",
            "attention.py",
            "            y = self.attend(q, k, v)\n",
            "            y = self.attend(q, k, v).detach()\n",
            "attention",
            "the attention output is detached (left from a debugging session): the forward pass is exact, but no "
            "gradient reaches c_attn, so queries, keys and values never learn, and nothing flows back through the "
            "attention branch to earlier layers",
        ),
        ("attention: output detached, no gradient to c_attn",),
    ),
    HeldOut(
        _v24(
            "softmax-renormalised-over-queries",
            "attention.py",
            _V24_ATTEND,
            "        T = q.size(-2)\n"
            "        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))\n"
            "        keep = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()\n"
            '        att = att.masked_fill(~keep, float("-inf"))\n'
            "        w = torch.exp(att - att.amax(dim=-1, keepdim=True))  # future keys: exp(-inf) = 0\n"
            "        w = w / w.sum(dim=-2, keepdim=True)\n"
            "        return w @ v\n",
            "attention",
            "attention with the softmax by hand (exp of the max-shifted masked scores, then normalised); the "
            "normalising sum runs over dim -2 (the queries) instead of -1 (the keys), so the rows of weights no "
            "longer sum to 1 and each weight is divided by its key's column total",
        ),
        ("softmax: normalised over the queries",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "c-proj-matmul-untransposed",
            "attention.py",
            _V24_MERGE_HEADS,
            "        y = y.permute(0, 2, 1, 3).reshape(B, T, C)  # heads side by side\n"
            "        return y @ self.c_proj.weight + self.c_proj.bias\n",
            "attention",
            "the output projection written as a matmul with c_proj.weight itself instead of its transpose "
            "(nn.Linear stores (out, in) and computes y W^T): the square C x C matrix runs silently, transposed",
        ),
        ("attention: c_proj weight not transposed",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "heads-loop-mask-transposed",
            "attention.py",
            _V24_ATTN_FWD,
            "        B, T, C = x.shape\n"
            "        hd = C // self.n_head\n"
            "        qkv = self.c_attn(x)\n"
            "        if cache is not None:  # the cached path keeps the batched layout\n"
            "            q, k, v = (t.view(B, T, self.n_head, hd).transpose(1, 2) for t in qkv.split(C, dim=2))\n"
            "            y = self.attend_cached(q, *cache.append(k, v)).transpose(1, 2).reshape(B, T, C)\n"
            "            return self.c_proj(y)\n"
            "        lower = torch.tril(torch.ones(T, T, dtype=torch.bool, device=x.device))\n"
            "        outs = []\n"
            "        for h in range(self.n_head):\n"
            "            qh = qkv[..., h * hd : (h + 1) * hd]\n"
            "            kh = qkv[..., C + h * hd : C + (h + 1) * hd]\n"
            "            vh = qkv[..., 2 * C + h * hd : 2 * C + (h + 1) * hd]\n"
            "            att = (qh @ kh.transpose(1, 2)) / math.sqrt(hd)\n"
            '            att = att.masked_fill(~lower.T, float("-inf"))\n'
            "            outs.append(torch.softmax(att, dim=-1) @ vh)\n"
            "        return self.c_proj(torch.cat(outs, dim=-1))\n",
            "attention",
            "attention as a loop over heads slicing c_attn's columns; the causal mask is applied as ~lower.T, the "
            "transpose of the lower triangle: each query sees itself and the FUTURE keys instead of the past ones",
        ),
        ("causal mask: transposed, sees the future instead of the past",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "values-use-key-weights",
            "attention.py",
            _V24_FWD_SPLIT,
            "        B, T, C = x.shape\n"
            "        W, b = self.c_attn.weight, self.c_attn.bias  # rows: [q | k | v]\n"
            "        q = F.linear(x, W[:C], b[:C])\n"
            "        k = F.linear(x, W[C : 2 * C], b[C : 2 * C])\n"
            "        v = F.linear(x, W[C : 2 * C], b[2 * C :])\n"
            "        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))\n",
            "attention",
            "the qkv projection written as three F.linear calls on row slices of c_attn; the value call copies the "
            "key's weight slice W[C:2C] (with the value's bias): the values are the keys plus the value bias, and "
            "the value rows of c_attn are never read",
        ),
        ("attention: values computed with the key weights",),
        "rewrite",
    ),
    # --------------------------------------------------- layernorm
    HeldOut(
        _v24(
            "ln-var-pooled-over-time",
            "layernorm.py",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n",
            "        var = (x - mean).pow(2).mean(dim=(-2, -1), keepdim=True)  # biased: / C\n",
            "layernorm",
            "the variance is averaged over the last two dims (positions and features) instead of the features only: "
            "each position is divided by one spread pooled over the whole sequence",
        ),
        ("layernorm variance: pooled over positions and features",),
    ),
    HeldOut(
        _v24(
            "ln-bessel-rescaled-variance",
            "layernorm.py",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n",
            "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True) * x.size(-1) / (x.size(-1) - 1)  # unbiased\n",
            "layernorm",
            "the biased variance is rescaled by C / (C - 1) to 'correct' it: GPT-2 normalises with the biased "
            "variance, so every output is scaled by sqrt((C - 1) / C)",
        ),
        ("layernorm variance: unbiased (C - 1)",),
    ),
    HeldOut(
        _v24(
            "ln-one-pass-sum-squared-not-over-c",
            "layernorm.py",
            _V24_LN_FWD,
            "        C = x.size(-1)\n"
            "        xd = x.double()  # one pass over the sums, in float64 so the variance does not cancel\n"
            "        s1 = xd.sum(dim=-1, keepdim=True)\n"
            "        s2 = (xd * xd).sum(dim=-1, keepdim=True)\n"
            "        mean = s1 / C\n"
            "        var = (s2 - s1 * s1) / C\n"
            "        x_hat = ((xd - mean) / torch.sqrt(var + self.eps)).to(x.dtype)\n"
            "        return x_hat * self.weight + self.bias\n",
            "layernorm",
            "LayerNorm from one pass of sums; the variance is (sum x^2 - (sum x)^2) / C, missing the 1/C on the "
            "squared sum (it should be (s2 - s1^2 / C) / C): the 'variance' is wrong, usually negative (NaN)",
        ),
        ("layernorm variance: squared sum not divided by C",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "ln-std-mean-default-correction",
            "layernorm.py",
            _V24_LN_FWD,
            "        std, mean = torch.std_mean(x, dim=-1, keepdim=True)\n"
            "        return self.weight * (x - mean) / torch.sqrt(std * std + self.eps) + self.bias\n",
            "layernorm",
            "LayerNorm via torch.std_mean, whose default correction is 1 (Bessel): the spread is the unbiased std, "
            "dividing by C - 1 instead of C",
        ),
        ("layernorm variance: unbiased (C - 1)",),
        "rewrite",
    ),
    # --------------------------------------------------------- mlp
    HeldOut(
        _v24(
            "c-fc-frozen",
            "mlp.py",
            "        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)\n",
            "        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd).requires_grad_(False)\n",
            "mlp",
            "c_fc is built with requires_grad_(False) (left from a freezing experiment): the forward pass is exact, "
            "but the expansion layer gets no gradient and never trains",
        ),
        ("mlp: c_fc frozen",),
    ),
    HeldOut(
        _v24(
            "gelu-tanh-constant-2-over-sqrt-pi",
            "mlp.py",
            _V24_MLP_FWD,
            "        h = self.c_fc(x)\n"
            "        k = 2.0 / torch.pi**0.5\n"
            "        h = 0.5 * h * (1.0 + torch.tanh(k * (h + 0.044715 * torch.pow(h, 3))))\n"
            "        return self.c_proj(h)\n",
            "mlp",
            "the tanh GELU by hand with the constant 2/sqrt(pi) (1.128, from erf's derivative) instead of "
            "sqrt(2/pi) (0.798): the tanh's argument is 1.41x too large",
        ),
        ("gelu: tanh constant 2/sqrt(pi) instead of sqrt(2/pi)",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "rows-flattened-time-major",
            "mlp.py",
            _V24_MLP_FWD,
            "        B, T, C = x.shape\n"
            "        rows = x.transpose(0, 1).reshape(B * T, C)  # one row per position\n"
            '        h = F.gelu(F.linear(rows, self.c_fc.weight, self.c_fc.bias), approximate="tanh")\n'
            "        out = F.linear(h, self.c_proj.weight, self.c_proj.bias)\n"
            "        return out.view(B, T, C)\n",
            "mlp",
            "the MLP on flattened rows: the rows are flattened time-major (transpose(0, 1)) but unflattened "
            "batch-major (view(B, T, C)), so with B > 1 each output lands at another (batch, position)",
        ),
        ("mlp: rows flattened time-major, unflattened batch-major",),
        "rewrite",
    ),
    # ------------------------------------------------------- block
    HeldOut(
        _v24(
            "residual-stream-detached",
            "block.py",
            "        x = x + self.attn(self.ln_1(x), cache)\n",
            "        x = x.detach() + self.attn(self.ln_1(x), cache)\n",
            "block",
            "the residual stream is detached before the attention branch is added: the forward pass is exact, but "
            "the gradient reaches the block's input only through the branches, not the identity path",
        ),
        ("block: residual stream detached",),
    ),
    HeldOut(
        _v24(
            "named-steps-residual-from-normed",
            "block.py",
            _V24_BLOCK_FWD,
            "        h = self.ln_1(x)\n"
            "        a = self.attn(h, cache)\n"
            "        r = h + a\n"
            "        m = self.mlp(self.ln_2(r))\n"
            "        return r + m\n",
            "block",
            "the block in named steps; the attention residual adds the normalised input h instead of the stream x "
            "(r = h + a): the stream is replaced by ln_1(x) in every block",
        ),
        ("block: attention residual from ln_1(x)",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "sublayer-helper-ln-2-twice",
            "block.py",
            _V24_BLOCK_FWD,
            "        def sublayer(stream, norm, fn):\n"
            "            return stream + fn(norm(stream))\n"
            "\n"
            "        x = sublayer(x, self.ln_2, lambda h: self.attn(h, cache))\n"
            "        return sublayer(x, self.ln_2, self.mlp)\n",
            "block",
            "the block through a sublayer(stream, norm, fn) helper; the attention call passes ln_2 instead of ln_1, "
            "so both branches use ln_2's gain and bias and ln_1 is never used",
        ),
        ("block: attention reads ln_2",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "ln-2-output-detached",
            "block.py",
            "        x = x + self.mlp(self.ln_2(x))\n",
            "        x = x + self.mlp(self.ln_2(x).detach())\n",
            "block",
            "ln_2's output is detached before the MLP: the forward pass is exact, but ln_2's gain and bias get no "
            "gradient and the MLP branch sends no gradient back into the residual stream",
        ),
        ("block: ln_2 output detached",),
    ),
    # --------------------------------------------------------- gpt
    HeldOut(
        _v24(
            "init-truncated-at-one-std",
            "gpt.py",
            "            nn.init.normal_(module.weight, mean=0.0, std=0.02)\n",
            "            nn.init.trunc_normal_(module.weight, mean=0.0, std=0.02, a=-0.02, b=0.02)\n",
            "gpt",
            "the init uses trunc_normal_ with the cut at a=-0.02, b=0.02, one standard deviation: the weights' std "
            "is about 0.011 instead of 0.02 (torch's a, b are absolute bounds, not in units of std)",
        ),
        ("init: std 0.011 (normal truncated at one std)",),
    ),
    HeldOut(
        _v24(
            "embeddings-init-fan-in",
            "gpt.py",
            _V24_INIT_WEIGHTS,
            "        if isinstance(module, nn.Linear):\n"
            "            nn.init.normal_(module.weight, mean=0.0, std=0.02)\n"
            "            if module.bias is not None:\n"
            "                nn.init.zeros_(module.bias)\n"
            "        elif isinstance(module, nn.Embedding):\n"
            "            nn.init.normal_(module.weight, mean=0.0, std=module.embedding_dim**-0.5)\n",
            "gpt",
            "the init split by module type gives embeddings std 1/sqrt(n_embd) instead of 0.02: wte is "
            "re-initialised by the tied lm_head's Linear init, but wpe keeps std 1/sqrt(n_embd) (0.125 at 64)",
        ),
        ("init: wpe std 1/sqrt(n_embd)",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "residual-init-loop-mlp-unscaled",
            "gpt.py",
            "        for name, p in self.named_parameters():\n"
            '            if name.endswith("c_proj.weight"):\n'
            "                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))\n",
            "        depth_std = 0.02 / math.sqrt(2 * config.n_layer)\n"
            "        for block in self.transformer.h:\n"
            "            nn.init.normal_(block.attn.c_proj.weight, mean=0.0, std=depth_std)\n"
            "            nn.init.normal_(block.mlp.c_proj.weight, mean=0.0, std=0.02)\n",
            "gpt",
            "the residual-projection init written as a loop over the blocks; the MLP's c_proj gets the plain 0.02 "
            "instead of 0.02 / sqrt(2 * n_layer), so only the attention projection is scaled down",
        ),
        ("residual init: mlp c_proj not scaled",),
        "rewrite",
    ),
    # -------------------------------------------------------- loss
    HeldOut(
        _v24(
            "loss-sign-flipped",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            logp = F.log_softmax(logits, dim=-1)\n"
            "            loss = logp.gather(-1, targets.unsqueeze(-1)).mean()\n",
            "loss",
            "the loss written as the mean log-probability of the targets, without the minus sign: it is the negated "
            "cross-entropy, so minimising it pushes the targets' probabilities down",
        ),
        ("loss: sign flipped (mean log-probability)",),
    ),
    # ------------------------------------------------------ config
    HeldOut(
        _v24(
            "n-head-8",
            "config.py",
            "    n_head: int = 12\n",
            "    n_head: int = 8\n",
            "config",
            "GPTConfig's default n_head is 8 instead of 12: GPT-2 small's width is cut into 8 heads of 96",
        ),
        ("config: n_head 8",),
    ),
    # ---------------------------------------------------- generate
    HeldOut(
        _v24(
            "kv-cached-scale-by-key-count",
            "attention.py",
            "scale=1.0 / math.sqrt(q.size(-1)))\n",
            "scale=1.0 / math.sqrt(k.size(-2)))\n",
            "generate",
            "the cached attention's scale is 1/sqrt(k.size(-2)), the number of keys so far, instead of "
            "1/sqrt(head_dim): cached generation sharpens or flattens attention as the sequence grows",
        ),
        ("kv cache attention: scale by the number of keys",),
    ),
    HeldOut(
        _v24(
            "inverse-cdf-one-uniform-for-all-rows",
            "gpt.py",
            _V24_SAMPLE,
            "            if temperature == 0:\n"
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
            "            else:\n"
            "                logits = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
            '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
            "                cdf = torch.cumsum(F.softmax(logits, dim=-1), dim=-1)\n"
            "                u = torch.rand(1, 1, device=cdf.device, generator=generator) * cdf[:, -1:]\n"
            "                idx_next = torch.searchsorted(cdf, u).clamp(max=cdf.size(-1) - 1)\n",
            "generate",
            "sampling by inverse CDF (searchsorted on the cumulative softmax) draws ONE uniform for the whole batch "
            "(torch.rand(1, 1)) instead of one per row: every row of a batch uses the same u, so the rows' samples "
            "are perfectly correlated",
        ),
        ("sampling: one uniform shared by every row",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "kv-mask-query-positions-one-ahead",
            "attention.py",
            _V24_ATTEND_CACHED,
            "        T, S = q.size(-2), k.size(-2)\n"
            "        q_pos = torch.arange(S - T + 1, S + 1, device=q.device)  # absolute positions of the new queries"
            "\n"
            "        k_pos = torch.arange(S, device=q.device)\n"
            "        hidden = k_pos[None, :] > q_pos[:, None]\n"
            "        att = (q @ k.transpose(-2, -1)) * q.size(-1) ** -0.5\n"
            '        att = att.masked_fill(hidden, float("-inf"))\n'
            "        return torch.softmax(att, dim=-1) @ v\n",
            "generate",
            "the cached attention by hand numbers the new queries S - T + 1 .. S instead of S - T .. S - 1: when "
            "the prompt is fed through the cache each query also sees the next key (single-token steps are right)",
        ),
        ("kv cache mask: query positions one ahead, sees t+1",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "kv-cache-cat-first-values-are-keys",
            "attention.py",
            _V24_KV_APPEND,
            "        end = self.length + k.size(2)\n"
            "        if end > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")\n'
            "        if self.k is None or self.v is None:  # first call: the prompt's keys and values\n"
            "            self.k, self.v = k, k\n"
            "        else:\n"
            "            self.k = torch.cat([self.k, k], dim=2)\n"
            "            self.v = torch.cat([self.v, v], dim=2)\n"
            "        self.length = end\n"
            "        return self.k, self.v\n",
            "generate",
            "a KV cache grown with torch.cat; the first append stores the keys as the values too (self.k, self.v = "
            "k, k): the prompt's cached values are its keys, later tokens' values are right",
        ),
        ("kv cache: prompt values stored as keys",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "top-k-filled-with-row-min",
            "gpt.py",
            '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n',
            "                    logits = torch.where(logits < kth, logits.min(dim=-1, keepdim=True).values, logits)\n",
            "generate",
            "top-k 'removes' the other tokens by setting their logits to the row's minimum instead of -inf: they "
            "keep a small but non-zero probability, so tokens outside the top k are still drawn",
        ),
        ("top-k: others set to the row minimum, not -inf",),
    ),
    HeldOut(
        _v24(
            "top-k-filtered-logits-unused",
            "gpt.py",
            _V24_SAMPLE,
            "            if temperature == 0:\n"
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
            "            else:\n"
            "                scaled = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    kth = scaled.topk(min(top_k, scaled.size(-1)), dim=-1).values[..., -1:]\n"
            '                    filtered = torch.where(scaled >= kth, scaled, float("-inf"))\n'
            "                probs = scaled.softmax(dim=-1)\n"
            "                idx_next = torch.multinomial(probs, 1, generator=generator)\n",
            "generate",
            "sampling rewritten with new names; the top-k branch stores its result in `filtered` but the softmax "
            "reads `scaled`, so the top-k filter is computed and thrown away: every token can be drawn",
        ),
        ("top-k: filter computed but not used",),
        "rewrite",
    ),
    # --------------------------------------------------- tokenizer
    HeldOut(
        _v24(
            "train-returns-none",
            "tokenizer.py",
            "        self._init(self.pattern, ranks, {s: len(vocab) + k for k, s in enumerate(specials)}, merges)\n"
            "        return self\n",
            "        self._init(self.pattern, ranks, {s: len(vocab) + k for k, s in enumerate(specials)}, merges)\n",
            "tokenizer",
            "train() forgets its final return self: the tokenizer is trained in place, but tok = "
            "Tokenizer().train(...) binds None",
        ),
        ("train: returns None instead of self",),
    ),
    HeldOut(
        _v24(
            "pattern-symbols-take-digits",
            "tokenizer.py",
            " ?[^\\s\\p{L}\\p{N}]+|",
            " ?[^\\s\\p{L}]+|",
            "tokenizer",
            "the symbol class of the pattern is [^\\s\\p{L}] instead of [^\\s\\p{L}\\p{N}]: a run of symbols "
            "swallows the digits after it ('$100' is one pre-token instead of '$' + '100')",
        ),
        ("pattern: symbol runs take digits",),
    ),
    HeldOut(
        _v24(
            "pieces-normalise-crlf",
            "tokenizer.py",
            "        return self._compiled.findall(text)\n",
            '        return self._compiled.findall(text.replace("\\r\\n", "\\n"))\n',
            "tokenizer",
            "the pre-tokenizer normalises Windows line ends (\\r\\n -> \\n) before splitting: the \\r is dropped, "
            "so text with CRLF does not round-trip and differs from tiktoken",
        ),
        ("pre-tokens: \\r\\n normalised to \\n",),
    ),
    HeldOut(
        _v24(
            "stream-hold-by-special-count",
            "tokenizer.py",
            "        hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)\n",
            "        hold = _LOOKAHEAD + len(self.special_tokens)\n",
            "tokenizer",
            "the streaming hold-back adds the NUMBER of special tokens instead of the length of the longest: with "
            "<|endoftext|> it holds 9 characters, not 21, so a special split across chunks is encoded as text",
        ),
        ("streaming: hold by the count of specials, not their length",),
    ),
    HeldOut(
        _v24(
            "bpe-scan-max-rank-inclusive",
            "tokenizer.py",
            _V24_BPE_BODY,
            "    if token in ranks and max_rank is None:\n"
            "        return [token]\n"
            "    parts = [bytes([b]) for b in token]\n"
            "    while len(parts) > 1:\n"
            "        best = None  # (rank, index) of the pair to merge next\n"
            "        for i in range(len(parts) - 1):\n"
            "            r = ranks.get(parts[i] + parts[i + 1])\n"
            "            if r is None or (max_rank is not None and r > max_rank):\n"
            "                continue\n"
            "            if best is None or r < best[0]:\n"
            "                best = (r, i)\n"
            "        if best is None:\n"
            "            break\n"
            "        i = best[1]\n"
            "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
            "    return parts\n",
            "tokenizer",
            "BPE as a scan for the lowest-ranked pair; the max_rank cut skips ranks > max_rank instead of >= "
            "max_rank, so when the merges are recovered from the ranks a token merges into itself (1 part) and "
            "recovery raises",
        ),
        ("bpe: max_rank inclusive",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "merge-slice-assign-skips-next",
            "tokenizer.py",
            _V24_MERGE_BODY,
            "    out = list(ids)\n"
            "    i = 0\n"
            "    while i < len(out) - 1:\n"
            "        if out[i] == pair[0] and out[i + 1] == pair[1]:\n"
            "            out[i : i + 2] = [new_id]\n"
            "            i += 1\n"
            "        i += 1\n"
            "    return out\n",
            "tokenizer",
            "_merge rewritten to replace the pair in place with slice assignment; after a replacement the index "
            "advances by 2 although the list already shrank by one, so the token right after each merge is skipped: "
            "'abab' merges only its first 'ab'",
        ),
        ("merge: skips the token after each replacement",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "split-special-splits-every-special",
            "tokenizer.py",
            _V24_SPLIT_SPECIAL,
            "        plain = self._special_regex(self.special_tokens).split(text)\n"
            "        found = self._special_regex(allowed).findall(text)\n"
            "        for part, special in zip(plain, found):\n"
            "            yield False, part\n"
            "            yield True, special\n"
            "        yield False, plain[-1]\n",
            "tokenizer",
            "the special-token split written as split + findall; the split uses every special token, the findall "
            "only the allowed ones: a special that is neither allowed nor disallowed (plain text by the rules) is "
            "cut out of the text and lost, and the parts no longer line up",
        ),
        ("special split: cuts at every special, not only the allowed",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "recount-trainer-drops-finished-words",
            "tokenizer.py",
            _V24_TRAIN_LOOP,
            "        # Recount every pair after each merge: slower, but nothing to keep in step.\n"
            "        merges: dict[tuple[int, int], int] = {}\n"
            "        while len(merges) < n_merges:\n"
            "            stats: Counter = Counter()\n"
            "            for ids, f in zip(words, freqs):\n"
            "                for pair in zip(ids, ids[1:]):\n"
            "                    stats[pair] += f\n"
            "            if not stats:\n"
            "                break\n"
            "            pair = min(stats, key=lambda p: (-stats[p], vocab[p[0]], vocab[p[1]]))\n"
            "            new_id = len(vocab)\n"
            "            merges[pair] = new_id\n"
            "            vocab.append(vocab[pair[0]] + vocab[pair[1]])\n"
            "            words = [_merge(ids, pair, new_id) for ids in words if len(ids) > 1]\n",
            "tokenizer",
            "a recount trainer (all pair counts recomputed per merge) that prunes words already merged to one token "
            "from `words` but not from `freqs`: after the first pruning the zip pairs words with other words' "
            "counts, so later merges are chosen from wrong counts",
        ),
        ("train: words pruned, counts misaligned",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "stable-prefix-slices-buffer",
            "tokenizer.py",
            "            for piece in self._compiled.finditer(buf, start, end):\n",
            "            for piece in self._compiled.finditer(buf[start:end]):\n",
            "tokenizer",
            "streaming's stable prefix scans buf[start:end] (a slice) instead of buf with pos/endpos: the pieces' "
            "offsets are relative to the slice, so after a special token the cut it returns lands too early: text "
            "already encoded stays in the buffer and is encoded again",
        ),
        ("streaming: pieces scanned on a slice, offsets relative",),
    ),
    # -------------------------------------------------------- data
    HeldOut(
        _v24(
            "reset-to-rank",
            "data.py",
            "    def reset(self) -> None:\n        self.batches = 0\n",
            "    def reset(self) -> None:\n        self.batches = self.rank\n",
            "data",
            "reset() sets the batch counter to the rank instead of 0: rank r restarts r batches into the stream "
            "(the counter is already per-rank; the rank offset is applied in next_batch)",
        ),
        ("reset: counter set to the rank",),
    ),
    HeldOut(
        _v24(
            "start-precedence-batches-not-strided",
            "data.py",
            "        start = (self.batches * self.world_size + self.rank) * B * T\n",
            "        start = self.batches * self.world_size + self.rank * B * T\n",
            "data",
            "the start offset loses its parentheses: batches * world_size is added as a token count, not multiplied "
            "by B*T, so consecutive batches overlap, advancing by world_size tokens",
        ),
        ("loader: batch stride world_size tokens instead of world_size * B * T",),
    ),
    HeldOut(
        _v24(
            "load-state-divided-by-world-size",
            "data.py",
            '        self.batches = int(state["batches"])\n',
            '        self.batches = int(state["batches"]) // self.world_size\n',
            "data",
            "load_state_dict divides the saved counter by world_size (as if it counted global batches): the counter "
            "is per rank, so a resumed DDP run rewinds to batch batches // W",
        ),
        ("loader state: divided by world_size on load",),
    ),
    HeldOut(
        _v24(
            "wrap-tail-prepended",
            "data.py",
            _V24_NEXT_BATCH,
            "        B, T = self.B, self.T\n"
            "        n, need = len(self.tokens), B * T + 1\n"
            "        pos = (self.batches * self.world_size + self.rank) * B * T % n\n"
            "        buf = self.tokens[pos : pos + need]\n"
            "        while len(buf) < need:  # ran off the end: continue from the start\n"
            "            buf = torch.cat([self.tokens[: need - len(buf)], buf])\n"
            "        self.batches += 1\n"
            "        return buf[:-1].view(B, T), buf[1:].view(B, T)\n",
            "data",
            "next_batch by slicing, wrapping with torch.cat when the slice runs off the end; the wrapped tokens "
            "from the start are prepended instead of appended, so a batch that wraps is out of order",
        ),
        ("loader wrap: start of the data prepended",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "numpy-uint16-viewed-signed",
            "data.py",
            _V24_AS_TOKENS,
            "    if isinstance(tokens, np.ndarray):\n"
            "        arr = tokens.view(np.int16) if tokens.dtype == np.uint16 else tokens  # torch has no uint16 ops\n"
            "        return torch.from_numpy(arr.astype(np.int64)).flatten()\n"
            "    if isinstance(tokens, torch.Tensor):\n"
            "        t = tokens.detach().cpu()\n"
            "        if t.dtype in (torch.uint16, torch.uint32):\n"
            "            t = torch.from_numpy(t.numpy().astype(np.int64))\n"
            "        return t.to(torch.int64).flatten()\n"
            "    return torch.tensor(list(tokens), dtype=torch.int64).flatten()\n",
            "data",
            "as_token_tensor by input type; a uint16 NumPy array (nanoGPT's .bin) is viewed as int16 before "
            "widening: ids >= 32768 become negative",
        ),
        ("tokens: uint16 ids viewed as int16",),
        "rewrite",
    ),
    # ---------------------------------------------------- training
    HeldOut(
        _v24(
            "cosine-one-minus",
            "training.py",
            "    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0\n",
            "    coeff = 0.5 * (1.0 - math.cos(math.pi * decay_ratio))  # 1 -> 0\n",
            "training",
            "the cosine coefficient is 0.5 * (1 - cos) instead of 0.5 * (1 + cos): after warmup the lr drops to "
            "min_lr and climbs back to max_lr by max_steps, then falls to min_lr",
        ),
        ("lr schedule: cosine inverted (1 - cos)",),
    ),
    HeldOut(
        _v24(
            "adamw-beta2-is-beta1",
            "training.py",
            "    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)\n",
            "    return torch.optim.AdamW(groups, lr=learning_rate, betas=(betas[0], betas[0]), eps=eps, fused=fused)"
            "\n",
            "training",
            "AdamW gets betas=(betas[0], betas[0]): beta2 is 0.9 instead of 0.95, so the second moment averages "
            "over ~10 steps instead of ~20",
        ),
        ("adamw: beta2 = beta1 (0.9)",),
    ),
    HeldOut(
        _v24(
            "cosine-without-half-factor",
            "training.py",
            _V24_GET_LR,
            "    if step < warmup_steps:\n"
            "        return max_lr * (step + 1) / warmup_steps\n"
            "    progress = min(1.0, (step - warmup_steps) / max(1, max_steps - warmup_steps))\n"
            "    return max_lr - (max_lr - min_lr) * (1.0 - math.cos(math.pi * progress))\n",
            "training",
            "the schedule written as max_lr minus a cosine ramp; the ramp (1 - cos) lacks its 0.5, so it reaches 2 "
            "instead of 1: the lr falls to 2*min_lr - max_lr (negative) at max_steps",
        ),
        ("lr schedule: cosine without the 0.5",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "no-decay-group-inherits-default",
            "training.py",
            _V24_GROUPS,
            "    decay, no_decay = [], []\n"
            "    for p in params:\n"
            "        (decay if p.ndim >= 2 else no_decay).append(p)\n"
            '    groups = [{"params": decay}, {"params": no_decay}]\n'
            "    if fused is None:\n"
            "        fused = bool(params) and all(p.is_cuda for p in params)\n"
            "    return torch.optim.AdamW(\n"
            "        groups, lr=learning_rate, betas=betas, eps=eps, weight_decay=weight_decay, fused=fused\n"
            "    )\n",
            "training",
            "the groups are built without a weight_decay key and weight_decay is passed to AdamW as the default: "
            "the no-decay group inherits it, so biases and LayerNorm gains are decayed too",
        ),
        ("weight decay: applied to biases and gains",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "backward-after-the-loop",
            "training.py",
            _V24_MICRO_LOOP,
            "    n = len(batches)\n"
            "    loss_accum = torch.zeros(())\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1  # all-reduce once, on the last micro-batch\n"
            "        ctx = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.null"
            "context()\n"
            "        with ctx:\n"
            "            _, loss = model(x, y)\n"
            "        micro = loss / n\n"
            "        loss_accum = loss_accum.to(micro.device, micro.dtype) + micro.detach()\n"
            "    micro.backward()\n",
            "training",
            "the accumulation loop has its backward() dedented out of the loop: only the last micro-batch's loss "
            "(divided by n) is backpropagated, so the gradient is 1/n of the last micro-batch's",
        ),
        ("accumulation: backward of the last micro-batch only",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "load-weights-into-state-dict-copy",
            "training.py",
            _V24_LOAD_BODY,
            "    device = next(model.parameters()).device\n"
            "    ckpt = torch.load(path, map_location=device, weights_only=False)\n"
            "    target = model.module if isinstance(model, DDP) else model\n"
            '    target.state_dict().update(ckpt["model"])\n'
            '    optimizer.load_state_dict(ckpt["optimizer"])\n'
            '    loader.load_state_dict(ckpt["loader"])\n'
            '    rng = ckpt["rng"]\n'
            '    torch.set_rng_state(rng["torch"].cpu())\n'
            '    if rng["cuda"] and torch.cuda.is_available():\n'
            '        torch.cuda.set_rng_state_all([s.cpu() for s in rng["cuda"]])\n'
            '    return int(ckpt["step"])\n',
            "training",
            "load_checkpoint writes the weights with model.state_dict().update(...): state_dict() returns a new "
            "dict, so updating it changes nothing and the model keeps its current weights",
        ),
        ("checkpoint: weights not loaded",),
        "rewrite",
    ),
    HeldOut(
        _v24(
            "warmup-over-w-minus-1",
            "training.py",
            "        return max_lr * (step + 1) / warmup_steps\n",
            "        return max_lr * (step + 1) / (warmup_steps - 1)\n",
            "training",
            "the warmup divides by warmup_steps - 1: the ramp overshoots, reaching max_lr at step W - 2 and max_lr "
            "* W / (W - 1) at step W - 1, then drops back to max_lr",
        ),
        ("warmup: over W - 1 steps, overshoots max_lr",),
    ),
]

V24_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V24}


# ==================================================================== HELDOUT_V25
# A twenty-fifth held-out set, written and committed on its own by a helper that never read the probes, the
# verdicts, the variants, the hints, the edit search, the diagnosis tool or any diagnosis output. Written from what
# engineers get wrong writing GPT-2, a byte-level BPE tokenizer, a data loader and a training loop from scratch
# (nanoGPT / minbpe style); the names of the earlier sets were skimmed to pick other mistakes. About two thirds is
# written="rewrite" (an einsum attention with its mask cut from a block_size table, HF's -1e4 mask fill, a
# logsumexp softmax, LayerNorm via torch.hypot, the gain folded into the denominator, an MLP in named steps, an
# einsum MLP with a hand GELU, residual dropout through F.dropout, a forward that zips blocks with their caches,
# a sampler keeping (B,) ids, top-k from kthvalue, a KV cache grown with torch.cat, a cached mask from absolute
# positions, a capturing split for the specials, a special-token splitter that skips empty parts, a row-loop loader,
# as_token_tensor tensor-first, optimizer groups by name, a hand clip, a warmup clamped at step 1, a micro-batch
# loop collecting detached losses; exactly one mistake inside); the rest are edits at one place. Each was checked
# only for validity (it materialises and a non-slow spec test of its section fails with the fingerprint off,
# --tb=no), never run through the diagnosis. ``accept`` names the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``): 45 written (short of
# the 62 aimed at: the helper ran out of its time), 12 dropped, 33 kept: attention 4 (1 edit, 3 rewrites),
# layernorm 2 (0, 2), mlp 2 (0, 2), block 1 (0, 1), gpt 3 (2, 1), loss 1 (1, 0), config 1 (1, 0), generate 5
# (1, 4), tokenizer 4 (2, 2), data 3 (1, 2), training 7 (3, 4); 12 edits, 21 rewrites. All 21 kept rewrites were
# also graded with their mistake fixed: every non-slow test of the section passes (one was repaired first: the
# einsum MLP's hand GELU used math.sqrt in mlp.py, which does not import math, so it failed with the mistake fixed;
# the constant is now written out). The cached-attention bugs are in attention.py and the sampling bugs in gpt.py
# but graded under generate, the perplexity loss under loss, as earlier sets grade them.
# Dropped: seven that test_held_out_set_is_new found to be a known bug (q, k, v unpacked as v, k, q; LayerNorm
# eps 1e-12; LayerNorm bias initialised to ones; ReLU for GELU; the temperature multiplied; multinomial without the
# generator; decode with strict UTF-8); two that are no bug here: (1) heads merged with .view without
# .contiguous() (SDPA's output on this backend is already laid out (B, T, nh, hd), so the view succeeds), (2)
# decode_bytes whose unknown-id check needs "missing AND out of range" (every id in [0, vocab_size) is in the
# vocabulary, since ids are contiguous, so the two tests agree); and three that no non-slow test caught, possible
# spec gaps: (1) the block not passing its KV cache to the attention (the block and gpt sections' spec files
# never run a cached forward; only test_generate does, under another section); (2) the block's branches wrapped
# in torch.utils.checkpoint with use_reentrant=True (no parameter gradient when the block's input does not
# require grad: the block tests' inputs evidently do, or they compare only input gradients); (3) non-tensor
# tokens converted through uint16 in as_token_tensor (ids >= 65536 wrap; no data test passes a list or array of
# ids above 65535).

_V25_ATTEND = (
    "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))\n"
)
_V25_LN_FWD = (
    "        mean = x.mean(dim=-1, keepdim=True)\n"
    "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n"
    "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n"
    "        return x_hat * self.weight + self.bias\n"
)
_V25_MLP_FWD = '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n'
_V25_BLOCK_FWD = (
    "        x = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(x))\n        return x\n"
)
_V25_GPT_FWD_BODY = (
    "        pos = torch.arange(start, start + T, device=idx.device)\n"
    "        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B,T,C) + (T,C) broadcast\n"
    "        for i, block in enumerate(self.transformer.h):\n"
    "            x = block(x, None if cache is None else cache[i])\n"
    "        logits = self.lm_head(self.transformer.ln_f(x))\n"
)
_V25_SAMPLE = (
    "            if temperature == 0:\n"
    "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
    "            else:\n"
    "                logits = logits / temperature\n"
    "                if top_k is not None:\n"
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
    "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
)
_V25_ATTEND_CACHED = (
    "        T, S = q.size(-2), k.size(-2)\n"
    "        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)\n"
    "        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0 / math.sqrt(q.size(-1)))\n"
)
_V25_KV_APPEND = (
    "        start, end = self.length, self.length + k.size(2)\n"
    "        if end > self.max_len:\n"
    '            raise ValueError(f"KV cache holds {self.max_len} positions, {end} requested")\n'
    "        if self.k is None or self.v is None:  # allocate lazily: k's dtype may be bf16 under autocast\n"
    "            B, nh, _, hd = k.shape\n"
    "            self.k = k.new_zeros(B, nh, self.max_len, hd)\n"
    "            self.v = v.new_zeros(B, nh, self.max_len, hd)\n"
    "        self.k[:, :, start:end] = k\n"
    "        self.v[:, :, start:end] = v\n"
    "        self.length = end\n"
    "        return self.k[:, :, :end], self.v[:, :, :end]\n"
)
_V25_SPLIT_OUT = (
    "    if not specials:\n        return [text]\n    return Tokenizer._special_regex(specials).split(text)\n"
)
_V25_SPLIT_SPECIAL = (
    "        if not allowed:\n"
    "            yield False, text\n"
    "            return\n"
    "        start = 0\n"
    "        for m in self._special_regex(allowed).finditer(text):\n"
    "            yield False, text[start : m.start()]\n"
    "            yield True, m.group()\n"
    "            start = m.end()\n"
    "        yield False, text[start:]\n"
)
_V25_DECODE_BYTES = (
    "        try:\n"
    '            return b"".join(self._decoder[i] for i in ids)\n'
    "        except KeyError as exc:\n"
    '            raise ValueError(f"token id {exc.args[0]} is not in the vocabulary (size'
    ' {self.vocab_size})") from None\n'
)
_V25_NEXT_BATCH = (
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1\n"
    "        return x, y\n"
)
_V25_AS_TOKENS = (
    "    if isinstance(tokens, torch.Tensor):\n"
    "        t = tokens.detach().cpu()\n"
    "        if t.dtype in (torch.uint16, torch.uint32):  # few torch ops support these; widen bit-exactly\n"
    "            t = torch.from_numpy(t.numpy().astype(np.int64))\n"
    "        return t.to(torch.int64).flatten()\n"
    "    return torch.from_numpy(np.asarray(tokens).astype(np.int64).reshape(-1))\n"
)
_V25_GET_LR = (
    "    if step < warmup_steps:\n"
    "        return max_lr * (step + 1) / warmup_steps\n"
    "    if step >= max_steps:\n"
    "        return min_lr\n"
    "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1\n"
    "    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0\n"
    "    return min_lr + coeff * (max_lr - min_lr)\n"
)
_V25_GROUPS = (
    "    params = [p for p in model.parameters() if p.requires_grad]  # parameters() yields a tied weight once\n"
    "    groups = [\n"
    '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n'
    '        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},\n'
    "    ]\n"
)
_V25_CLIP = "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n"
_V25_MICRO_LOOP = (
    "    n = len(batches)\n"
    "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
    "    for i, (x, y) in enumerate(batches):\n"
    "        if isinstance(model, DDP):\n"
    "            # All-reduce the gradient once, after the last micro-batch, not after every one.\n"
    "            model.require_backward_grad_sync = i == n - 1\n"
    "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext("
    ")\n"
    "        with amp:\n"
    "            _, loss = model(x, y)\n"
    "        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,\n"
    "        # the same gradient as one batch n times larger.\n"
    "        loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()\n"
)

_v25 = partial(_in_set, 25)

HELDOUT_V25: list[HeldOut] = [
    # --------------------------------------------------- attention
    HeldOut(
        _v25(
            "values-scaled-instead-of-scores",
            "attention.py",
            _V25_ATTEND,
            "        return F.scaled_dot_product_attention(q, k, v / math.sqrt(k.size(-1)),"
            " is_causal=True, scale=1.0)\n",
            "attention",
            "the 1/sqrt(head_dim) is moved onto the values (and SDPA's own scale set to 1): the softmax sees the "
            "unscaled scores, so it is sqrt(head_dim) times too sharp, and the output is shrunk by sqrt(head_dim)",
        ),
        ("attention scale: on the values, softmax unscaled",),
    ),
    HeldOut(
        _v25(
            "causal-table-sliced-from-the-bottom",
            "attention.py",
            _V25_ATTEND,
            "        T, hd = q.size(-2), q.size(-1)\n"
            "        table = torch.tril(torch.ones(1024, 1024, dtype=torch.bool, device=q.device))  # block_size\n"
            "        causal = table[-T:, :T]\n"
            '        scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(hd)\n'
            '        scores = scores.masked_fill(~causal, float("-inf"))\n'
            '        return torch.einsum("bhqk,bhkd->bhqd", scores.softmax(dim=-1), v)\n',
            "attention",
            "einsum attention with the causal mask cut from a block_size x block_size lower-triangular table; the "
            "slice takes the table's LAST T rows (table[-T:, :T]) instead of its first: for T < 1024 those rows are "
            "all True, so every query sees every key, the future included",
        ),
        ("causal mask: sliced from the bottom rows, no masking",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "mask-filled-with-minus-1e4",
            "attention.py",
            _V25_ATTEND,
            "        T = q.size(-2)\n"
            "        att = torch.matmul(q, k.transpose(-1, -2)) * q.size(-1) ** -0.5\n"
            "        future = torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), diagonal=1)\n"
            "        att = att.masked_fill(future, -1e4)  # HF's masked_bias\n"
            "        return torch.matmul(att.softmax(dim=-1), v)\n",
            "attention",
            "hand attention that fills the future scores with -1e4 (HF's old masked_bias) instead of -inf: fine for "
            "ordinary scores, but once the scores reach -1e4 the masked keys get real weight and the future leaks in",
        ),
        ("causal mask: filled with -1e4 instead of -inf",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "logsumexp-softmax-without-keepdim",
            "attention.py",
            _V25_ATTEND,
            "        T = q.size(-2)\n"
            "        scores = q @ k.mT / math.sqrt(q.size(-1))\n"
            "        allowed = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()\n"
            '        scores = scores.masked_fill(~allowed, float("-inf"))\n'
            "        weights = torch.exp(scores - torch.logsumexp(scores, dim=-1))\n"
            "        return weights @ v\n",
            "attention",
            "a softmax written as exp(scores - logsumexp(scores)); the logsumexp over the keys drops keepdim, so the "
            "(B, nh, T) normaliser broadcasts along the key axis: each score is normalised by the logsumexp of the "
            "query row whose index equals its key's, and the rows no longer sum to 1",
        ),
        ("softmax: logsumexp without keepdim, broadcast over the keys",),
        "rewrite",
    ),
    # --------------------------------------------------- layernorm
    HeldOut(
        _v25(
            "ln-hypot-eps-not-rooted",
            "layernorm.py",
            _V25_LN_FWD,
            "        mu = x.mean(-1, keepdim=True)\n"
            "        sigma = x.std(-1, keepdim=True, correction=0)\n"
            "        denom = torch.hypot(sigma, torch.tensor(self.eps, dtype=x.dtype, device=x.device))\n"
            "        return (x - mu) / denom * self.weight + self.bias\n",
            "layernorm",
            "LayerNorm with the denominator sqrt(sigma^2 + eps) written as hypot(sigma, eps): hypot squares its "
            "second argument too, so the denominator is sqrt(sigma^2 + eps^2) = sqrt(var + 1e-10): eps is in effect "
            "1e-10, and a nearly constant vector is amplified",
        ),
        ("layernorm eps: squared (1e-10)",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "ln-gain-in-the-denominator",
            "layernorm.py",
            _V25_LN_FWD,
            "        centred = x - x.mean(dim=-1, keepdim=True)\n"
            "        std = centred.pow(2).mean(dim=-1, keepdim=True).add(self.eps).sqrt()\n"
            "        return centred / (std * self.weight) + self.bias\n",
            "layernorm",
            "LayerNorm that folds the gain into the denominator: it divides by std * weight instead of multiplying "
            "the normalised vector by the weight; identical at init (weight = 1), wrong for any learned gain",
        ),
        ("layernorm: divides by the gain",),
        "rewrite",
    ),
    # --------------------------------------------------- mlp
    HeldOut(
        _v25(
            "gelu-result-discarded",
            "mlp.py",
            _V25_MLP_FWD,
            '        h = self.c_fc(x)\n        F.gelu(h, approximate="tanh")\n        return self.c_proj(h)\n',
            "mlp",
            "the MLP in named steps; the GELU line's result is never assigned (F.gelu is not in-place), so c_proj "
            "reads the pre-activation: the MLP is a purely linear map",
        ),
        ("mlp activation: none (gelu result discarded)",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "einsum-gelu-tan-for-tanh",
            "mlp.py",
            _V25_MLP_FWD,
            '        h = torch.einsum("btc,hc->bth", x, self.c_fc.weight) + self.c_fc.bias\n'
            "        h = 0.5 * h * (1.0 + torch.tan(0.7978845608028654 * (h + 0.044715 * h**3)))  # sqrt(2 / pi)\n"
            '        return torch.einsum("bth,ch->btc", h, self.c_proj.weight) + self.c_proj.bias\n',
            "mlp",
            "the MLP in einsums with the tanh GELU by hand; torch.tan is typed for torch.tanh: the activation is "
            "unbounded and periodic instead of saturating, wrong for every pre-activation but the smallest",
        ),
        ("gelu: tan for tanh",),
        "rewrite",
    ),
    # --------------------------------------------------- block
    HeldOut(
        _v25(
            "block-functional-dropout-in-eval",
            "block.py",
            _V25_BLOCK_FWD,
            "        a = self.attn(self.ln_1(x), cache)\n"
            "        x = x + torch.nn.functional.dropout(a, p=0.1)\n"
            "        m = self.mlp(self.ln_2(x))\n"
            "        x = x + torch.nn.functional.dropout(m, p=0.1)\n"
            "        return x\n",
            "block",
            "residual dropout added with F.dropout without training=self.training: F.dropout's training flag "
            "defaults to True, so the branches are dropped (and scaled by 1/0.9) even in eval mode",
        ),
        ("block: residual dropout always on (F.dropout default training=True)",),
        "rewrite",
    ),
    # --------------------------------------------------- gpt
    HeldOut(
        _v25(
            "residual-init-by-n-embd",
            "gpt.py",
            "std=0.02 / math.sqrt(2 * config.n_layer))",
            "std=0.02 / math.sqrt(2 * config.n_embd))",
            "gpt",
            "the residual projections' init std is 0.02 / sqrt(2 * n_embd) instead of 0.02 / sqrt(2 * n_layer) "
            "(n_embd typed for n_layer): at 124M the c_proj weights start 8x too small",
        ),
        ("residual init: scaled by n_embd instead of n_layer",),
    ),
    HeldOut(
        _v25(
            "first-block-skipped",
            "gpt.py",
            "        for i, block in enumerate(self.transformer.h):\n",
            "        for i, block in enumerate(self.transformer.h[1:]):\n",
            "gpt",
            "the block loop iterates self.transformer.h[1:]: the first block never runs (and with a KV cache each "
            "block reads the cache of the block before it)",
        ),
        ("gpt: first block skipped",),
    ),
    HeldOut(
        _v25(
            "blocks-zipped-with-empty-cache",
            "gpt.py",
            _V25_GPT_FWD_BODY,
            "        h = self.transformer.wte(idx) + self.transformer.wpe.weight[start : start + T]\n"
            "        for block, layer_cache in zip(self.transformer.h, cache or []):\n"
            "            h = block(h, layer_cache)\n"
            "        h = self.transformer.ln_f(h)\n"
            '        logits = torch.einsum("btc,vc->btv", h, self.lm_head.weight)\n',
            "gpt",
            "the forward in another style, pairing each block with its layer cache by zip(self.transformer.h, "
            "cache or []): without a cache the zip is empty, so no block runs at all and the logits come from the "
            "embeddings alone (the cached path is right)",
        ),
        ("gpt: blocks skipped without a cache (zip with an empty list)",),
        "rewrite",
    ),
    # --------------------------------------------------- loss
    HeldOut(
        _v25(
            "loss-returned-as-perplexity",
            "gpt.py",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n",
            "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1)).exp()\n",
            "loss",
            "the forward returns exp(cross-entropy), the perplexity, as its loss: ~50257 at init instead of ~10.8, "
            "and the gradient is scaled by the perplexity",
        ),
        ("loss: perplexity (exp of the cross-entropy)",),
    ),
    # --------------------------------------------------- config
    HeldOut(
        _v25(
            "vocab-size-50258-with-pad",
            "config.py",
            "    vocab_size: int = 50257",
            "    vocab_size: int = 50258",
            "config",
            "the default vocab_size is 50258 (a pad token added after <|endoftext|>, as some fine-tuning code does): "
            "the embedding table has one row more than GPT-2's and the real weights no longer fit",
        ),
        ("config: vocab_size 50258",),
    ),
    # --------------------------------------------------- generate
    HeldOut(
        _v25(
            "cached-attention-is-causal-top-left",
            "attention.py",
            _V25_ATTEND_CACHED,
            "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 /"
            " math.sqrt(q.size(-1)))\n",
            "generate",
            "the cached attention reuses SDPA's is_causal=True, whose mask is aligned to the top-left corner: a "
            "new token (T = 1 query against S cached keys) sees only key 0, the first prompt token, instead of all",
        ),
        ("kv cache mask: top-left aligned (is_causal)",),
    ),
    HeldOut(
        _v25(
            "sampled-ids-viewed-as-a-row",
            "gpt.py",
            _V25_SAMPLE,
            "            if temperature == 0:\n"
            "                nxt = torch.argmax(logits, dim=-1)\n"
            "            else:\n"
            "                scaled = logits / temperature\n"
            "                if top_k is not None:\n"
            "                    k = min(top_k, scaled.size(-1))\n"
            "                    cutoff = scaled.topk(k, dim=-1).values[..., -1:]\n"
            "                    scaled = torch.where(scaled < cutoff, torch.full_like(scaled, -math.inf), scaled)\n"
            "                nxt = torch.multinomial(scaled.softmax(-1), 1, generator=generator).squeeze(-1)\n"
            "            idx_next = nxt.view(1, -1)\n",
            "generate",
            "the sampling step in another engineer's style, keeping the next ids as a 1-D (B,) tensor; it is turned "
            "back into a column with view(1, -1) instead of view(-1, 1): a (1, B) row, which cannot be concatenated "
            "to a batch of B > 1 prompts (and with one prompt is still right)",
        ),
        ("generate: next ids shaped (1, B)",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "top-k-kthvalue-keeps-k-plus-1",
            "gpt.py",
            _V25_SAMPLE,
            "            if temperature == 0:\n"
            "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
            "            else:\n"
            "                logits = logits / temperature\n"
            "                if top_k is not None and top_k < logits.size(-1):\n"
            "                    V = logits.size(-1)\n"
            "                    kth = torch.kthvalue(logits, V - top_k, dim=-1, keepdim=True).values\n"
            '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
            "                probs = F.softmax(logits, dim=-1)\n"
            "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n",
            "generate",
            "top-k's threshold from torch.kthvalue (the k-th SMALLEST); the k-th largest of V values is the "
            "(V - k + 1)-th smallest, but the code asks for the (V - k)-th: the threshold is the (k+1)-th largest, "
            "so k + 1 tokens stay sampleable",
        ),
        ("top-k: keeps k + 1",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "kv-cache-cat-keeps-only-the-new",
            "attention.py",
            _V25_KV_APPEND,
            "        if self.length + k.size(2) > self.max_len:\n"
            '            raise ValueError(f"KV cache holds {self.max_len} positions, {self.length +'
            ' k.size(2)} requested")\n'
            "        if self.k is None or self.v is None:\n"
            "            self.k, self.v = k, v\n"
            "        else:\n"
            "            self.k = torch.cat([self.k, k], dim=2)\n"
            "            self.v = torch.cat([self.k, v], dim=2)\n"
            "        self.length = self.k.size(2)\n"
            "        return self.k, self.v\n",
            "generate",
            "a KV cache grown with torch.cat; the value line concatenates onto self.k (just extended) instead of "
            "self.v: from the second append on, the values are the keys followed by the new value (and one too "
            "many), so cached decoding attends over the wrong values",
        ),
        ("kv cache: values concatenated onto the keys",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "cached-mask-from-positions-inverted",
            "attention.py",
            _V25_ATTEND_CACHED,
            "        T, S = q.size(-2), k.size(-2)\n"
            "        q_pos = torch.arange(S - T, S, device=q.device)\n"
            "        k_pos = torch.arange(S, device=q.device)\n"
            "        visible = k_pos[None, :] <= q_pos[:, None]\n"
            "        att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))\n"
            '        att = att.masked_fill(visible, float("-inf"))\n'
            "        return att.softmax(dim=-1) @ v\n",
            "generate",
            "cached attention by hand with the mask from absolute positions; masked_fill is given the VISIBLE keys "
            "instead of ~visible, so each cached query sees only the keys after it (for a single new token: none, "
            "every score is -inf and the output is NaN)",
        ),
        ("kv cache mask: inverted",),
        "rewrite",
    ),
    # --------------------------------------------------- tokenizer
    HeldOut(
        _v25(
            "train-default-no-specials",
            "tokenizer.py",
            "    def train(self, text: str, vocab_size: int, special_tokens: Iterable[str] ="
            " (ENDOFTEXT,)) -> Tokenizer:\n",
            "    def train(self, text: str, vocab_size: int, special_tokens: Iterable[str] = ()) -> Tokenizer:\n",
            "tokenizer",
            "train's special_tokens default is empty instead of (<|endoftext|>,): trained without arguments the "
            "tokenizer has no <|endoftext|> and learns one merge more than it should",
        ),
        ("train: no <|endoftext|> by default",),
    ),
    HeldOut(
        _v25(
            "bpe-pair-ranks-not-updated-after-merge",
            "tokenizer.py",
            "        if i < len(pair_ranks):\n            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)\n",
            "        if i < len(pair_ranks) - 1:\n            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)\n",
            "tokenizer",
            "after a merge, the rank of the pair to the right of the new token is refreshed only when it is not the "
            "last pair: a merge next to the end of a pre-token leaves a stale rank there, so the final pair can be "
            "merged into a token that is not in the vocabulary or be skipped",
        ),
        ("bpe: last pair's rank not refreshed after a merge",),
    ),
    HeldOut(
        _v25(
            "split-out-capturing-group",
            "tokenizer.py",
            _V25_SPLIT_OUT,
            "    if not specials:\n"
            "        return [text]\n"
            '    alternation = "|".join(regex.escape(s) for s in sorted(specials, key=len, reverse=True))\n'
            '    return regex.split(f"({alternation})", text)\n',
            "tokenizer",
            "the specials are cut out of the training text with regex.split on a CAPTURING group: split then keeps "
            "the separators, so every <|endoftext|> is still in the training text and its bytes get merged",
        ),
        ("train: special tokens not cut out (capturing split)",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "split-special-drops-empty-tail-and-last-part",
            "tokenizer.py",
            _V25_SPLIT_SPECIAL,
            "        if not allowed:\n"
            "            yield False, text\n"
            "            return\n"
            "        pos = 0\n"
            "        for m in self._special_regex(allowed).finditer(text):\n"
            "            if m.start() > pos:\n"
            "                yield False, text[pos : m.start()]\n"
            "            yield True, m.group()\n"
            "            pos = m.end()\n"
            "        if pos < len(text) - 1:\n"
            "            yield False, text[pos:]\n",
            "tokenizer",
            "the special-token splitter skips empty plain parts (harmless), but its tail test is pos < len(text) - 1 "
            "instead of pos < len(text): a single character after the last allowed special is dropped",
        ),
        ("specials: one-character tail after the last special dropped",),
        "rewrite",
    ),
    # --------------------------------------------------- data
    HeldOut(
        _v25(
            "loader-rows-loop-targets-modulo-batch",
            "data.py",
            _V25_NEXT_BATCH,
            "        B, T, n = self.B, self.T, len(self.tokens)\n"
            "        base = (self.batches * self.world_size + self.rank) * B * T\n"
            "        xs, ys = [], []\n"
            "        for b in range(B):\n"
            "            row = (base + b * T + torch.arange(T + 1)) % n\n"
            "            xs.append(self.tokens[row[:-1]])\n"
            "            ys.append(self.tokens[row[1:] % (B * T)])\n"
            "        self.batches += 1\n"
            "        return torch.stack(xs), torch.stack(ys)\n",
            "data",
            "next_batch as a loop over rows of T + 1 positions; the target positions are reduced modulo B * T as "
            "well as modulo the data length (a leftover from a one-batch version): targets come from the first "
            "B * T tokens of the data instead of after each input, wrong from the second batch on",
        ),
        ("data: target positions wrapped modulo B*T",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "as-tokens-tensor-narrowed-to-int32",
            "data.py",
            _V25_AS_TOKENS,
            "    if not isinstance(tokens, torch.Tensor):\n"
            "        tokens = torch.from_numpy(np.asarray(tokens).astype(np.int64))\n"
            "    if tokens.dtype in (torch.uint16, torch.uint32):\n"
            "        tokens = torch.from_numpy(tokens.numpy().astype(np.int64))\n"
            "    return tokens.detach().cpu().reshape(-1).int()\n",
            "data",
            "as_token_tensor written converting everything to a tensor first; the last line casts with .int() "
            "(int32) instead of .long(): the ids are right but the batches are int32, not the int64 the contract "
            "(and embedding on some backends) wants",
        ),
        ("data: ids returned as int32",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "state-dict-saved-as-ranks-position",
            "data.py",
            '        return {"batches": self.batches}\n',
            '        return {"batches": self.batches * self.world_size + self.rank}\n',
            "data",
            "the loader's state is saved as the global batch index of this rank (batches * W + rank) instead of "
            "the per-rank count: a resumed loader (load_state_dict reads it as a count) skips ahead",
        ),
        ("data: state saved as the global batch index",),
    ),
    # --------------------------------------------------- training
    HeldOut(
        _v25(
            "adamw-decays-every-parameter",
            "training.py",
            "    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)\n",
            "    return torch.optim.AdamW(\n"
            "        params, lr=learning_rate, betas=betas, eps=eps, weight_decay=weight_decay, fused=fused\n"
            "    )\n",
            "training",
            "the optimizer is built on the flat parameter list with one weight_decay (the groups are computed and "
            "never used): biases and LayerNorm gains are decayed too",
        ),
        ("weight decay: on every parameter",),
    ),
    HeldOut(
        _v25(
            "no-decay-by-norm-in-name",
            "training.py",
            _V25_GROUPS,
            "    decay, no_decay = [], []\n"
            "    for name, p in model.named_parameters():\n"
            "        if not p.requires_grad:\n"
            "            continue\n"
            '        (no_decay if name.endswith("bias") or "norm" in name else decay).append(p)\n'
            "    params = decay + no_decay\n"
            "    groups = [\n"
            '        {"params": decay, "weight_decay": weight_decay},\n'
            '        {"params": no_decay, "weight_decay": 0.0},\n'
            "    ]\n",
            "training",
            "the groups are chosen by name (biases and anything with 'norm' in it, as in a Llama codebase); GPT-2's "
            "LayerNorms are named ln_1, ln_2, ln_f, so their gains are decayed",
        ),
        ("weight decay: on LayerNorm gains (name filter 'norm')",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "hand-clip-rms-of-norms",
            "training.py",
            _V25_CLIP,
            "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
            "    per_tensor = torch.stack([torch.linalg.vector_norm(g.detach()) for g in grads])\n"
            "    norm = per_tensor.pow(2).mean().sqrt()\n"
            "    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)\n"
            "    for g in grads:\n"
            "        g.mul_(scale)\n",
            "training",
            "gradient clipping by hand; the total norm is the root MEAN square of the per-tensor norms instead of "
            "the root of their sum: it is sqrt(#tensors) times too small, so clipping almost never triggers and the "
            "reported norm is wrong",
        ),
        ("clipping: norm divided by sqrt(number of tensors)",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "warmup-step-clamped-at-1",
            "training.py",
            _V25_GET_LR,
            "    if step >= max_steps:\n"
            "        return min_lr\n"
            "    if step < warmup_steps:\n"
            "        return max_lr * max(step, 1) / warmup_steps\n"
            "    progress = (step - warmup_steps) / (max_steps - warmup_steps)\n"
            "    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))\n",
            "training",
            "the schedule with the warmup written as max_lr * max(step, 1) / W (to avoid lr 0 at step 0) instead of "
            "(step + 1) / W: the ramp is one step behind, steps 0 and 1 share the same lr and step W - 1 stops at "
            "max_lr * (W - 1) / W",
        ),
        ("warmup: step clamped at 1, one step behind",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "micro-loss-not-divided-by-n",
            "training.py",
            _V25_MICRO_LOOP,
            "    n = len(batches)\n"
            "    losses = []\n"
            "    for i, (x, y) in enumerate(batches):\n"
            "        if isinstance(model, DDP):\n"
            "            model.require_backward_grad_sync = i == n - 1\n"
            "        ctx = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else"
            " contextlib.nullcontext()\n"
            "        with ctx:\n"
            "            _, loss = model(x, y)\n"
            "        losses.append(loss.detach())\n"
            "        loss.backward()\n"
            "    loss_accum = torch.stack(losses).mean()\n",
            "training",
            "the micro-batch loop in another style, collecting the detached losses for the report (their mean is "
            "right); the loss is back-propagated without dividing by the number of micro-batches, so the "
            "accumulated gradient is n times the mean gradient",
        ),
        ("accumulation: gradient summed, not averaged",),
        "rewrite",
    ),
    HeldOut(
        _v25(
            "betas-default-0-9-0-99",
            "training.py",
            "    betas: tuple[float, float] = (0.9, 0.95),\n",
            "    betas: tuple[float, float] = (0.9, 0.99),\n",
            "training",
            "AdamW's default betas are (0.9, 0.99) (a common fine-tuning choice) instead of GPT-2's (0.9, 0.95): "
            "the second-moment average is slower, so the update reacts later to a change of gradient scale",
        ),
        ("adamw betas: (0.9, 0.99)",),
    ),
    HeldOut(
        _v25(
            "cosine-progress-from-step-0",
            "training.py",
            "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1\n",
            "    decay_ratio = step / max_steps  # 0 -> 1\n",
            "training",
            "the cosine's progress is step / max_steps (from step 0) instead of (step - W) / (max_steps - W): the "
            "decay has already started when the warmup ends, so the lr drops below max_lr right after warmup",
        ),
        ("cosine: progress measured from step 0",),
    ),
]

V25_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V25}


# ==================================================================== HELDOUT_V26
# A twenty-sixth held-out set, written and committed on its own by a helper that never read the probes, the
# verdicts, the fingerprint, the edit/repair/observe code, the variants, the diagnosis tool or any diagnosis
# output (pytest ran with --tb=no throughout). Written from what engineers get wrong writing GPT-2, a byte-level BPE
# tokenizer, a data loader and a training loop from scratch (nanoGPT / minbpe style); the names of the earlier sets
# were skimmed to pick other mistakes, and HELDOUT_V25 served as the format example. Most entries are
# written="rewrite" (q and k each pre-scaled, an additive -inf mask from torch.full().triu(), a bmm attention over
# (B*nh, T, hd), a per-query loop, torch.tril on the scores, a Welford LayerNorm, LayerNorm via F.normalize, an
# in-place tanh GELU, a GELU under no_grad, a functional F.linear MLP, a tuple-assignment block, a torch.add(out=)
# residual, the loss as normaliser - target logit, cross_entropy channels-first, cached attention in einsum with
# absolute positions, positions sliced from wpe's table, a list.index pair merge, as_token_tensor via frombuffer,
# a (B, T+1) index-grid loader, a row-loop loader, the lr schedule in named steps, token-weighted micro-batches, a
# hand clip; exactly one mistake inside); the rest are edits at one place. ``accept`` names the family and
# parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``, one subprocess per
# bug, two at a time): 50 written, 15 dropped, 35 kept: attention 5 (0 edits, 5 rewrites), layernorm 3 (1, 2),
# mlp 3 (0, 3), block 3 (1, 2), gpt 2 (2, 0), loss 3 (0, 3), config 1 (1, 0), generate 4 (1, 3), tokenizer 3
# (1, 2), data 4 (0, 4), training 4 (0, 4); 7 edits, 28 rewrites. Every kept rewrite was also graded with its
# mistake fixed (the same rewrite, corrected): every non-slow test of its section passes (one was repaired first:
# the in-place GELU also ended in add_/mul_ on tanh_'s output, which autograd rejects even when fixed; its last
# line is now out of place).
# Dropped: seven duplicates that test_held_out_set_is_new found: five make a known bug's edit (the LM head with a
# bias; vocab padding to 64 left on by default; the sampled token prepended; the special ids from the requested
# vocab_size; the optimizer stepping before the clip), two an earlier set's (the BPE right neighbour not re-ranked
# at the end = ho25-bpe-pair-ranks-not-updated-after-merge; the streaming lookahead 1 = ho20-stream-lookahead-one);
# one that is no bug here: top-k's threshold from torch.topk(..., sorted=False) (on this CPU backend topk returns
# its values sorted anyway, so the last column is the k-th); and seven that no non-slow test caught, possible spec
# gaps: (1) a sampler that makes a fresh torch.Generator from generator.initial_seed() at every step (every step
# draws the same uniform and the caller's generator never advances: no generate test checks that successive draws
# are independent or that the generator is consumed); (2) cross-entropy through F.one_hot(targets) without
# num_classes (only fails when the targets miss the last vocabulary id: the loss tests' targets evidently reach
# it); (3) training pre-tokenizing with the module's GPT2_PATTERN instead of the tokenizer's own pattern (no
# training test uses a custom pattern); (4) train rejecting n_merges == 0 (no test asks for exactly 256 +
# len(specials) tokens); (5) DataLoader.load_state_dict adding the saved counter to its own (the tests load into a
# fresh loader only); (6) as_token_tensor squeezing a tensor instead of flattening it (no test passes a 2-D tensor
# or a one-element one); (7) train_step's autocast opened for "cuda" whatever the device (on CPU autocast_dtype is
# silently ignored; no non-slow training test sees the difference).

_V26_ATTEND = (
    "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))\n"
)
_V26_ATTEND_CACHED = (
    "        T, S = q.size(-2), k.size(-2)\n"
    "        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)\n"
    "        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0 / math.sqrt(q.size(-1)))\n"
)
_V26_LN_FWD = (
    "        mean = x.mean(dim=-1, keepdim=True)\n"
    "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n"
    "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n"
    "        return x_hat * self.weight + self.bias\n"
)
_V26_MLP_FWD = '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n'
_V26_BLOCK_FWD = (
    "        x = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(x))\n        return x\n"
)
_V26_LOSS = "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n"
_V26_POS = (
    "        pos = torch.arange(start, start + T, device=idx.device)\n"
    "        x = self.transformer.wte(idx) + self.transformer.wpe(pos)  # (B,T,C) + (T,C) broadcast\n"
)
_V26_MERGE = (
    "    out, i, n = [], 0, len(ids)\n"
    "    a, b = pair\n"
    "    while i < n:\n"
    "        if i < n - 1 and ids[i] == a and ids[i + 1] == b:\n"
    "            out.append(new_id)\n"
    "            i += 2\n"
    "        else:\n"
    "            out.append(ids[i])\n"
    "            i += 1\n"
    "    return out\n"
)
_V26_AS_TOKENS = (
    "    if isinstance(tokens, torch.Tensor):\n"
    "        t = tokens.detach().cpu()\n"
    "        if t.dtype in (torch.uint16, torch.uint32):  # few torch ops support these; widen bit-exactly\n"
    "            t = torch.from_numpy(t.numpy().astype(np.int64))\n"
    "        return t.to(torch.int64).flatten()\n"
    "    return torch.from_numpy(np.asarray(tokens).astype(np.int64).reshape(-1))\n"
)
_V26_NEXT_BATCH = (
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1\n"
    "        return x, y\n"
)
_V26_GET_LR = (
    "    if step < warmup_steps:\n"
    "        return max_lr * (step + 1) / warmup_steps\n"
    "    if step >= max_steps:\n"
    "        return min_lr\n"
    "    decay_ratio = (step - warmup_steps) / (max_steps - warmup_steps)  # 0 -> 1\n"
    "    coeff = 0.5 * (1.0 + math.cos(math.pi * decay_ratio))  # 1 -> 0\n"
    "    return min_lr + coeff * (max_lr - min_lr)\n"
)
_V26_MICRO_LOOP = (
    "    n = len(batches)\n"
    "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
    "    for i, (x, y) in enumerate(batches):\n"
    "        if isinstance(model, DDP):\n"
    "            # All-reduce the gradient once, after the last micro-batch, not after every one.\n"
    "            model.require_backward_grad_sync = i == n - 1\n"
    "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext("
    ")\n"
    "        with amp:\n"
    "            _, loss = model(x, y)\n"
    "        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,\n"
    "        # the same gradient as one batch n times larger.\n"
    "        loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()\n"
)
_V26_CLIP_STEP = "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n    optimizer.step()\n"


_v26 = partial(_in_set, 26)


def _v26_qk_scaled(factor: str) -> str:
    return (
        "        hd = q.size(-1)\n"
        f"        q = q * hd ** {factor}  # the 1/sqrt(hd) split between the queries and the keys\n"
        f"        k = k * hd ** {factor}\n"
        "        T = q.size(-2)\n"
        "        att = q @ k.transpose(-2, -1)\n"
        "        future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)\n"
        '        att = att.masked_fill(future, float("-inf"))\n'
        "        return att.softmax(dim=-1) @ v\n"
    )


def _v26_additive_mask(triu: str) -> str:
    return (
        "        T = q.size(-2)\n"
        f'        bias = torch.full((T, T), float("-inf"), device=q.device).{triu}  # -inf above the diagonal\n'
        "        att = torch.matmul(q, k.transpose(-2, -1)) / math.sqrt(q.size(-1)) + bias\n"
        "        return torch.matmul(torch.softmax(att, dim=-1), v)\n"
    )


def _v26_bmm(view: str) -> str:
    return (
        "        B, nh, T, hd = q.shape\n"
        "        qf, kf, vf = (t.reshape(B * nh, T, hd) for t in (q, k, v))\n"
        "        scores = torch.bmm(qf, kf.transpose(1, 2)) / math.sqrt(hd)\n"
        "        causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()\n"
        '        scores = scores.masked_fill(~causal, float("-inf"))\n'
        "        out = torch.bmm(torch.softmax(scores, dim=-1), vf)  # (B*nh, T, hd)\n"
        f"        return {view}\n"
    )


def _v26_query_loop(size: str) -> str:
    return (
        "        T = q.size(-2)\n"
        "        outs = []\n"
        "        for t in range(T):  # query t attends to keys 0..t\n"
        "            keys, values = k[:, :, : t + 1], v[:, :, : t + 1]\n"
        f"            s = (q[:, :, t : t + 1] @ keys.transpose(-2, -1)) / math.sqrt(keys.size({size}))\n"
        "            outs.append(torch.softmax(s, dim=-1) @ values)\n"
        "        return torch.cat(outs, dim=2)\n"
    )


def _v26_welford(m2: str) -> str:
    return (
        "        C = x.size(-1)\n"
        "        mean = torch.zeros_like(x[..., :1])\n"
        "        m2 = torch.zeros_like(x[..., :1])\n"
        "        for i in range(C):  # Welford: one pass, numerically stable\n"
        "            xi = x[..., i : i + 1]\n"
        "            delta = xi - mean\n"
        "            mean = mean + delta / (i + 1)\n"
        f"            m2 = m2 + {m2}\n"
        "        var = m2 / C\n"
        "        return (x - mean) / torch.sqrt(var + self.eps) * self.weight + self.bias\n"
    )


def _v26_normalize(eps: str) -> str:
    return (
        "        centred = x - x.mean(dim=-1, keepdim=True)\n"
        "        C = x.size(-1)\n"
        "        # unit L2 norm, times sqrt(C): unit variance\n"
        f"        x_hat = {eps}\n"
        "        return x_hat * self.weight + self.bias\n"
    )


def _v26_inplace_gelu(first: str) -> str:
    return (
        "        h = self.c_fc(x)\n"
        "        # tanh GELU in place, to spare the intermediate tensors\n"
        f"        inner = {first}.mul_(0.044715).add_(h).mul_(0.7978845608028654).tanh_()\n"
        "        return self.c_proj(0.5 * h * (1.0 + inner))\n"
    )


def _v26_gelu_ctx(ctx: str) -> str:
    return (
        "        hidden = self.c_fc(x)\n"
        f"        with {ctx}:  # the activation has no parameters of its own\n"
        '            act = F.gelu(hidden, approximate="tanh")\n'
        "        return self.c_proj(act)\n"
    )


def _v26_functional_mlp(fc_bias: str) -> str:
    return (
        "        fc, proj = self.c_fc, self.c_proj\n"
        f"        h = F.linear(x, fc.weight{fc_bias})\n"
        '        h = F.gelu(h, approximate="tanh")\n'
        "        return F.linear(h, proj.weight, proj.bias)\n"
    )


def _v26_block_tuple(second: str) -> str:
    return f"{second}        x = x + self.mlp(h)\n        return x\n"


def _v26_loss_lse(norm: str) -> str:
    return (
        "            flat = logits.view(-1, logits.size(-1))\n"
        "            tgt = targets.reshape(-1)\n"
        f"            norm = {norm}\n"
        "            picked = flat.gather(1, tgt.unsqueeze(1)).squeeze(1)\n"
        "            loss = (norm - picked).mean()  # -log softmax at the target\n"
    )


def _v26_cached_einsum(offset: str) -> str:
    return (
        "        T, S = q.size(-2), k.size(-2)\n"
        '        scores = torch.einsum("bhtd,bhsd->bhts", q, k) / math.sqrt(q.size(-1))\n'
        f"        q_pos = torch.arange(T, device=q.device) + {offset}  # absolute position of each new query\n"
        "        k_pos = torch.arange(S, device=q.device)\n"
        "        visible = k_pos[None, :] <= q_pos[:, None]\n"
        '        scores = scores.masked_fill(~visible, float("-inf"))\n'
        '        return torch.einsum("bhts,bhsd->bhtd", scores.softmax(dim=-1), v)\n'
    )


def _v26_wpe_slice(end: str) -> str:
    return (
        "        tok_emb = self.transformer.wte(idx)  # (B, T, C)\n"
        f"        pos_emb = self.transformer.wpe.weight[start:{end}]  # rows of the positions in use\n"
        "        x = tok_emb + pos_emb\n"
    )


def _v26_merge_index(unmatched: str) -> str:
    return (
        "    a, b = pair\n"
        "    out: list[int] = []\n"
        "    i = 0\n"
        "    while True:\n"
        "        try:\n"
        "            j = ids.index(a, i)  # next occurrence of the left id\n"
        "        except ValueError:\n"
        "            out.extend(ids[i:])\n"
        "            return out\n"
        "        if j + 1 < len(ids) and ids[j + 1] == b:\n"
        "            out.extend(ids[i:j])\n"
        "            out.append(new_id)\n"
        "            i = j + 2\n"
        "        else:\n"
        f"{unmatched}"
    )


def _v26_frombuffer(arr: str) -> str:
    return (
        "    if isinstance(tokens, torch.Tensor):\n"
        "        return tokens.detach().cpu().to(torch.int64).flatten()\n"
        f"    arr = {arr}\n"
        "    return torch.from_numpy(arr.astype(np.int64).reshape(-1))\n"
    )


def _v26_grid(first: str) -> str:
    return (
        "        B, T = self.B, self.T\n"
        "        n = self.tokens.numel()\n"
        f"        first = {first}\n"
        "        offsets = first + T * torch.arange(B).unsqueeze(1) + torch.arange(T + 1).unsqueeze(0)\n"
        "        window = self.tokens[offsets % n]  # (B, T + 1): consecutive rows overlap by one token\n"
        "        self.batches += 1\n"
        "        return window[:, :T], window[:, 1:]\n"
    )


def _v26_row_stack(dim: str) -> str:
    return (
        "        B, T = self.B, self.T\n"
        "        n = len(self.tokens)\n"
        "        base = (self.batches * self.world_size + self.rank) * B * T\n"
        "        rows = []\n"
        "        for b in range(B):\n"
        "            pos = (base + b * T + torch.arange(T + 1)) % n\n"
        "            rows.append(self.tokens[pos])\n"
        f"        chunk = torch.stack(rows{dim})\n"
        "        self.batches += 1\n"
        "        return chunk[:, :-1], chunk[:, 1:]\n"
    )


def _v26_get_lr(warm: str) -> str:
    return (
        "    if step < warmup_steps:  # linear ramp\n"
        f"        return {warm}\n"
        "    if step >= max_steps:  # past the schedule: the floor\n"
        "        return min_lr\n"
        "    progress = (step - warmup_steps) / (max_steps - warmup_steps)\n"
        "    cosine = math.cos(math.pi * progress)\n"
        "    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + cosine)\n"
    )


def _v26_token_weighted(total: str) -> str:
    return (
        f"    total = {total}\n"
        "    loss_accum = torch.zeros(())\n"
        "    for i, (x, y) in enumerate(batches):\n"
        "        if isinstance(model, DDP):\n"
        "            model.require_backward_grad_sync = i == len(batches) - 1\n"
        "        ctx = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.null"
        "context()\n"
        "        with ctx:\n"
        "            _, loss = model(x, y)\n"
        "        # weight each micro-batch by its share of the tokens: the mean over every token\n"
        "        loss = loss * (y.numel() / total)\n"
        "        loss_accum = loss_accum.to(loss.device, loss.dtype) + loss.detach()\n"
        "        loss.backward()\n"
    )


def _v26_tril_scores(how: str) -> str:
    return (
        "        T = q.size(-2)\n"
        "        att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))\n"
        f"        att = {how}  # causal: nothing above the diagonal\n"
        "        return F.softmax(att, dim=-1) @ v\n"
    )


def _v26_block_add(second: str) -> str:
    return (
        "        h = self.attn(self.ln_1(x), cache)\n"
        f"        {second}\n"
        "        h = self.mlp(self.ln_2(x))\n"
        "        x = x + h\n"
        "        return x\n"
    )


def _v26_loss_channels(scores: str) -> str:
    return (
        "            # cross_entropy takes (N, classes, d1): put the vocabulary on dim 1\n"
        f"            loss = F.cross_entropy({scores}, targets)\n"
    )


def _v26_hand_clip(total: str) -> str:
    return (
        "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
        "    norms = torch.stack([g.detach().norm(2) for g in grads])\n"
        f"    norm = {total}\n"
        "    coef = torch.clamp(max_norm / (norm + 1e-6), max=1.0)\n"
        "    for g in grads:\n"
        "        g.mul_(coef)\n"
        "    optimizer.step()\n"
    )


HELDOUT_V26: list[HeldOut] = [
    # --------------------------------------------------- attention
    HeldOut(
        _v26(
            "q-and-k-each-scaled-by-inverse-sqrt",
            "attention.py",
            _V26_ATTEND,
            _v26_qk_scaled("-0.5"),
            "attention",
            "hand attention that splits the 1/sqrt(head_dim) between the queries and the keys but gives each the "
            "full factor hd ** -0.5 (instead of hd ** -0.25): the scores are divided by head_dim, not its square "
            "root, so the softmax is too flat",
        ),
        ("attention scale: 1/head_dim (q and k each scaled by 1/sqrt(head_dim))",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "additive-mask-triu-keeps-diagonal",
            "attention.py",
            _V26_ATTEND,
            _v26_additive_mask("triu()"),
            "attention",
            "an additive -inf mask built with torch.full(-inf).triu() without diagonal=1: the diagonal is masked "
            "too, so no query sees itself and the first query sees nothing (its row is all -inf: NaN)",
        ),
        ("causal mask: diagonal masked too (triu without diagonal=1)",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "bmm-heads-unflattened-head-major",
            "attention.py",
            _V26_ATTEND,
            _v26_bmm("out.view(nh, B, T, hd).transpose(0, 1)"),
            "attention",
            "attention over (B*nh, T, hd) with torch.bmm; the flattened batch was made batch-major (B, nh) but is "
            "unflattened as (nh, B): for B > 1 the outputs of one sequence's heads are handed to other sequences",
        ),
        ("heads: batch and head dims swapped when unflattening",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "query-loop-scaled-by-visible-key-count",
            "attention.py",
            _V26_ATTEND,
            _v26_query_loop("-2"),
            "attention",
            "attention written as a loop over the queries, each against its prefix of keys; the scale is "
            "1/sqrt(keys.size(-2)), the number of visible keys (t + 1), instead of 1/sqrt(keys.size(-1)), head_dim",
        ),
        ("attention scale: 1/sqrt(number of visible keys)",),
        "rewrite",
    ),
    # --------------------------------------------------- layernorm
    HeldOut(
        _v26(
            "ln-welford-m2-with-new-mean-twice",
            "layernorm.py",
            _V26_LN_FWD,
            _v26_welford("(xi - mean) * (xi - mean)"),
            "layernorm",
            "LayerNorm with a one-pass Welford loop over the features; the M2 update uses the *updated* mean in "
            "both factors ((x - mean_new)^2 instead of delta * (x - mean_new)), so the variance is underestimated "
            "and the output is too large",
        ),
        ("layernorm variance: wrong (Welford update with the new mean twice)",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "ln-via-normalize-eps-on-the-norm",
            "layernorm.py",
            _V26_LN_FWD,
            _v26_normalize("torch.nn.functional.normalize(centred, dim=-1) * C**0.5"),
            "layernorm",
            "LayerNorm through F.normalize (unit L2 norm) times sqrt(C): right for ordinary vectors, but eps is "
            "F.normalize's 1e-12 clamp on the norm instead of 1e-5 added to the variance, so a nearly constant "
            "vector is blown up to unit variance",
        ),
        ("layernorm eps: missing (1e-12 clamp on the norm)",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "ln-eps-relative-to-variance",
            "layernorm.py",
            "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n",
            "        x_hat = (x - mean) * torch.rsqrt(var * (1 + self.eps))  # eps inside the sqrt\n",
            "layernorm",
            "eps is applied relative to the variance (var * (1 + eps)) instead of added (var + eps): a constant or "
            "nearly constant vector divides by ~0",
        ),
        ("layernorm eps: multiplied into the variance",),
    ),
    # --------------------------------------------------- mlp
    HeldOut(
        _v26(
            "gelu-in-place-pow-clobbers-input",
            "mlp.py",
            _V26_MLP_FWD,
            _v26_inplace_gelu("h.pow_(3)"),
            "mlp",
            "the tanh GELU written with in-place ops to save memory; h.pow_(3) cubes the pre-activation h itself, "
            "so the later + h and * h use h^3: the activation is computed on the wrong values",
        ),
        ("gelu: in-place op overwrites the pre-activation",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "gelu-under-no-grad",
            "mlp.py",
            _V26_MLP_FWD,
            _v26_gelu_ctx("torch.no_grad()"),
            "mlp",
            "the GELU is run under torch.no_grad() ('it has no parameters'): the forward is right, but no gradient "
            "flows back through the activation, so c_fc and everything before the MLP get none from this branch",
        ),
        ("mlp: activation without gradient (no_grad)",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "functional-mlp-drops-c-fc-bias",
            "mlp.py",
            _V26_MLP_FWD,
            _v26_functional_mlp(""),
            "mlp",
            "the MLP written with F.linear on the modules' tensors; the first F.linear is given c_fc.weight but not "
            "c_fc.bias, so the hidden layer has no bias (the parameter exists but is never used)",
        ),
        ("mlp: c_fc bias unused",),
        "rewrite",
    ),
    # --------------------------------------------------- block
    HeldOut(
        _v26(
            "block-tuple-assignment-ln-2-of-input",
            "block.py",
            _V26_BLOCK_FWD,
            _v26_block_tuple("        x, h = x + self.attn(self.ln_1(x), cache), self.ln_2(x)\n"),
            "block",
            "the block's two steps packed into a tuple assignment: the right side is evaluated first, so ln_2 "
            "normalises the block's input, not the stream after the attention branch; the MLP never sees the "
            "attention output",
        ),
        ("mlp input: ln_2 of the block input (before attention)",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "block-mlp-reads-detached-stream",
            "block.py",
            "        x = x + self.mlp(self.ln_2(x))\n",
            "        x = x + self.mlp(self.ln_2(x.detach()))\n",
            "block",
            "the MLP branch reads a detached copy of the stream: the forward is right, but the gradient of the MLP "
            "branch never reaches the attention branch, the earlier blocks or the embeddings",
        ),
        ("mlp branch: input detached",),
    ),
    # --------------------------------------------------- gpt
    HeldOut(
        _v26(
            "too-long-input-cropped-silently",
            "gpt.py",
            "        if start + T > self.config.block_size:\n"
            '            raise ValueError(f"sequence length {start + T} exceeds block_size'
            ' {self.config.block_size}")\n',
            "        if start + T > self.config.block_size:  # keep the most recent block_size tokens\n"
            "            idx = idx[:, start + T - self.config.block_size :]\n"
            "            T = idx.size(1)\n",
            "gpt",
            "forward crops an input longer than block_size to its last block_size tokens instead of raising "
            "ValueError: the caller silently gets fewer logits than tokens",
        ),
        ("length check: crops instead of raising",),
    ),
    HeldOut(
        _v26(
            "wpe-one-row-extra",
            "gpt.py",
            "                wpe=nn.Embedding(config.block_size, config.n_embd),  # learned positions\n",
            "                wpe=nn.Embedding(config.block_size + 1, config.n_embd),  # learned positions\n",
            "gpt",
            "the position table has block_size + 1 rows ('positions 0..block_size'): one row too many, so the "
            "parameter count and the state dict's wpe shape differ from GPT-2's",
        ),
        ("wpe: block_size + 1 rows",),
    ),
    # --------------------------------------------------- loss
    HeldOut(
        _v26(
            "loss-max-for-logsumexp",
            "gpt.py",
            _V26_LOSS,
            _v26_loss_lse("flat.max(dim=-1).values"),
            "loss",
            "cross-entropy written out as normaliser - logit of the target; the normaliser is the max logit "
            "instead of the logsumexp, so the loss is a margin (0 when the target is the argmax), not -log p",
        ),
        ("loss: max logit instead of logsumexp",),
        "rewrite",
    ),
    # --------------------------------------------------- config
    HeldOut(
        _v26(
            "vocab-size-50000",
            "config.py",
            "    vocab_size: int = 50257  # 50,000 BPE merges + 256 byte tokens + <|endoftext|>\n",
            "    vocab_size: int = 50000  # 50,000 BPE merges\n",
            "config",
            "the default vocab_size is 50000 (the number of merges) instead of 50257 (merges + 256 bytes + "
            "<|endoftext|>): the embedding and head are too small for GPT-2's ids",
        ),
        ("config vocab_size: 50000",),
    ),
    # --------------------------------------------------- generate
    HeldOut(
        _v26(
            "cached-query-positions-offset-by-s",
            "attention.py",
            _V26_ATTEND_CACHED,
            _v26_cached_einsum("S"),
            "generate",
            "cached attention in einsum with the mask built from absolute positions; the new queries are placed at "
            "S + i instead of S - T + i, so every query sees every key: while the prompt is fed (S == T) the "
            "prompt's positions see the future and the cached keys/values of deeper layers are wrong",
        ),
        ("kv-cache mask: query positions offset by S, no masking",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "kv-cache-length-max-for-min",
            "gpt.py",
            "        cache_len = min(self.config.block_size, idx.size(1) + max_new_tokens)\n",
            "        cache_len = max(self.config.block_size, idx.size(1) + max_new_tokens)\n",
            "generate",
            "the KV cache is sized with max instead of min: once the sequence passes block_size the cached path "
            "is still taken (no crop), and the forward raises for positions past the table",
        ),
        ("kv-cache: sized past block_size",),
    ),
    HeldOut(
        _v26(
            "wpe-sliced-to-t-not-start-plus-t",
            "gpt.py",
            _V26_POS,
            _v26_wpe_slice("T"),
            "generate",
            "positions taken as a slice of wpe's table, weight[start:T] instead of weight[start:start + T]: right "
            "without a cache (start = 0), but once the cache holds tokens the slice is empty and broadcasts the "
            "new tokens to nothing",
        ),
        ("positions with cache: slice end T instead of start + T",),
        "rewrite",
    ),
    # --------------------------------------------------- tokenizer
    HeldOut(
        _v26(
            "pattern-lookahead-lowercase-s",
            "tokenizer.py",
            r'GPT2_PATTERN = r"""'
            + r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
            + '"""\n',
            r'GPT2_PATTERN = r"""'
            + r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\s)|\s+"""
            + '"""\n',
            "tokenizer",
            "the whitespace alternative's lookahead is (?!\\s) instead of (?!\\S): a run of spaces before a word "
            "is taken whole, so the word loses its leading space (' world' becomes '  ' + 'world' after two "
            "spaces) and the pieces differ from GPT-2's",
        ),
        ("pre-tokenizer pattern: lookahead (?!\\s) for (?!\\S)",),
    ),
    HeldOut(
        _v26(
            "merge-index-scan-drops-unmatched-left-id",
            "tokenizer.py",
            _V26_MERGE,
            _v26_merge_index("            out.extend(ids[i:j])\n            i = j + 1\n"),
            "tokenizer",
            "the pair replacement written with list.index to jump to the next left id; when that id is not "
            "followed by the right one, the branch copies ids[i:j] but not ids[j] itself: every unmatched "
            "occurrence of the left id is dropped, so training's words lose tokens",
        ),
        ("merge: unmatched left id dropped",),
        "rewrite",
    ),
    # --------------------------------------------------- data
    HeldOut(
        _v26(
            "tokens-read-with-frombuffer-uint16",
            "data.py",
            _V26_AS_TOKENS,
            _v26_frombuffer("np.frombuffer(np.ascontiguousarray(tokens), dtype=np.uint16)"),
            "data",
            "as_token_tensor reads every non-tensor input's buffer as uint16 (as nanoGPT's memmap of train.bin "
            "does): right for uint16 arrays, but a list or an int32/int64 array is reinterpreted byte by byte, "
            "giving 2-4 times as many, wrong ids",
        ),
        ("tokens: buffer reinterpreted as uint16",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "grid-start-rank-added-before-stride",
            "data.py",
            _V26_NEXT_BATCH,
            _v26_grid("(self.batches + self.rank) * self.world_size * B * T"),
            "data",
            "next_batch with a (B, T + 1) index grid; the start is (batches + rank) * world_size * B*T instead of "
            "(batches * world_size + rank) * B*T: with one process it is right, but ranks read overlapping "
            "batches (rank r's batch i is rank 0's batch i + r) and skip others",
        ),
        ("loader start: (batches + rank) * world_size",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "row-loop-stacked-along-dim-1",
            "data.py",
            _V26_NEXT_BATCH,
            _v26_row_stack(", dim=1"),
            "data",
            "next_batch gathering each row's T + 1 tokens in a loop; the rows are stacked along dim 1, so the "
            "chunk is (T + 1, B), and the slices cut the batch dimension instead of the time one",
        ),
        ("loader rows: stacked along dim 1",),
        "rewrite",
    ),
    # --------------------------------------------------- training
    HeldOut(
        _v26(
            "warmup-from-zero-to-max-at-w-minus-1",
            "training.py",
            _V26_GET_LR,
            _v26_get_lr("max_lr * step / max(1, warmup_steps - 1)"),
            "training",
            "the schedule in another style; the warmup ramps from 0 at step 0 to max_lr at step W - 1 (step / "
            "(W - 1)) instead of (step + 1) / W: step 0 does not train and every warmup lr is off",
        ),
        ("warmup: from 0, max at step W-1",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "micro-batches-weighted-by-rows",
            "training.py",
            _V26_MICRO_LOOP,
            _v26_token_weighted("sum(x.size(0) for x, _ in batches)"),
            "training",
            "micro-batches weighted by their share of the tokens, y.numel() / total, but the total counts rows "
            "(x.size(0)) instead of tokens: every loss is multiplied by T, so the gradient and the reported loss "
            "are T times too large",
        ),
        ("accumulation: loss scaled by T (weights over rows)",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "scores-tril-zeroed",
            "attention.py",
            _V26_ATTEND,
            _v26_tril_scores("torch.tril(att)"),
            "attention",
            "the causal mask applied with torch.tril on the scores: the future scores become 0, not -inf, so after "
            "the softmax every future key still gets weight exp(0) and the future leaks in",
        ),
        ("causal mask: future scores zeroed by tril, not -inf",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "block-residual-torch-add-out-x",
            "block.py",
            _V26_BLOCK_FWD,
            _v26_block_add("torch.add(x, h, out=x)  # no extra buffer for the residual"),
            "block",
            "the attention residual written with torch.add(x, h, out=x): the block's input tensor is overwritten in "
            "place (the caller's tensor changes, and autograd rejects it when x needs a gradient)",
        ),
        ("residual: added in place into the input",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "loss-on-probabilities-channels-first",
            "gpt.py",
            _V26_LOSS,
            _v26_loss_channels("logits.transpose(1, 2).softmax(dim=1)"),
            "loss",
            "cross_entropy on (B, V, T) scores with the vocabulary on dim 1, but given softmax probabilities "
            "instead of logits: cross_entropy applies its own log-softmax, so the loss is squashed near log(V)",
        ),
        ("loss: softmax applied before cross_entropy",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "hand-clip-sqrt-of-summed-norms",
            "training.py",
            _V26_CLIP_STEP,
            _v26_hand_clip("norms.sum().sqrt()"),
            "training",
            "clipping by hand; the total norm is the square root of the SUM of the per-tensor norms instead of "
            "the root of the sum of their squares: the reported norm is wrong and the clip threshold is applied "
            "to the wrong quantity",
        ),
        ("grad norm: sqrt of summed per-tensor norms",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "merge-index-scan-skips-token-after-unmatched",
            "tokenizer.py",
            _V26_MERGE,
            _v26_merge_index("            out.extend(ids[i : j + 1])\n            i = j + 2\n"),
            "tokenizer",
            "the pair replacement written with list.index; when the left id is not followed by the right one, the"
            " scan resumes at j + 2 instead of j + 1: the token after every unmatched left id is dropped",
        ),
        ("merge: token after an unmatched left id skipped",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "grid-start-strided-by-t-plus-1",
            "data.py",
            _V26_NEXT_BATCH,
            _v26_grid("(self.batches * self.world_size + self.rank) * B * (T + 1)"),
            "data",
            "next_batch with a (B, T + 1) index grid; the batch start is strided by B*(T + 1) (the window length)"
            " instead of B*T: consecutive batches skip B tokens between them",
        ),
        ("loader stride: B*(T+1) per batch",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "cached-query-positions-one-behind",
            "attention.py",
            _V26_ATTEND_CACHED,
            _v26_cached_einsum("(S - T - 1)"),
            "generate",
            "cached attention in einsum with the mask built from absolute positions; the new queries are placed "
            "at S - T - 1 + i, one position early: no query sees its own key, and the first prompt position sees "
            "nothing (NaN)",
        ),
        ("kv-cache mask: query positions one behind",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "loss-logsumexp-over-rows",
            "gpt.py",
            _V26_LOSS,
            _v26_loss_lse("torch.logsumexp(flat, dim=0)"),
            "loss",
            "cross-entropy written out as logsumexp - target logit; the logsumexp is taken over dim 0 (the rows) "
            "instead of the vocabulary: the normaliser is per token id, not per position",
        ),
        ("loss: logsumexp over the batch rows",),
        "rewrite",
    ),
    HeldOut(
        _v26(
            "hand-clip-max-tensor-norm",
            "training.py",
            _V26_CLIP_STEP,
            _v26_hand_clip("norms.max()"),
            "training",
            "clipping by hand; the total norm is the largest per-tensor norm instead of the norm over all "
            "gradients: it is reported too small and the clip triggers too late",
        ),
        ("grad norm: largest per-tensor norm",),
        "rewrite",
    ),
]

V26_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V26}


# ==================================================================== HELDOUT_V27
# A twenty-seventh held-out set, written and committed on its own by a helper that never read the probes, the
# verdicts, the fingerprint, the edit/repair/observe code, the variants, the diagnosis tool or any diagnosis
# output (pytest ran with --tb=no throughout). Written from what engineers get wrong writing GPT-2, a byte-level BPE
# tokenizer, a data loader and a training loop from scratch (nanoGPT / minbpe style); the names of the earlier sets
# were skimmed to pick other mistakes, and HELDOUT_V26 served as the format example. Most entries are
# written="rewrite" (SDPA with a float tril mask, a max-stabilised hand softmax, scores in bfloat16, cached attention
# from position vectors, LayerNorm in bfloat16, LayerNorm with named statistics, a hand tanh GELU two ways, the MLP
# as explicit matmuls, a block with a cast branch, the init per module type, the loss through one_hot and through
# logsumexp, inverse-CDF and Gumbel-max samplers, BPE encode over a filtered rank list, a loader state with the rank,
# next_batch with named strides, a hand clip, the micro-batch loop with a share, AdamW built in one call; exactly one
# mistake inside); the rest are edits at one place. ``accept`` names the family and parameter in plain words.
#
# Validity run (each bug's section spec files, ``-m "not slow" -x --no-fingerprint --tb=no``, one subprocess per
# bug, two at a time): 43 written (24 rewrites, 19 edits), 9 dropped, 34 kept: attention 3 (0 edits, 3 rewrites),
# layernorm 3 (1, 2), mlp 3 (0, 3), block 1 (0, 1), gpt 3 (2, 1), loss 3 (1, 2), config 2 (2, 0), generate 4 (1, 3),
# tokenizer 4 (3, 1), data 3 (1, 2), training 5 (2, 3); 13 edits, 21 rewrites. Every rewrite was also graded with
# its mistake fixed (the same rewrite, corrected): every non-slow test of its section passes.
# Dropped: one duplicate that test_held_out_set_is_new found (streaming keeping buf[cut + 1:] =
# ho13-stream-cut-off-by-one); one that is no bug here: the block calling its attention without the cache (the cache
# then never fills, so generate feeds the whole sequence from position 0 at every step: plain recomputation, the same
# tokens, only slower); and seven that no non-slow test caught, possible spec gaps: (1) the vocab-padding rows zeroed
# from vocab_size - 1 (the last real token's embedding and tied head row start at zero; no test looks at that row
# after init); (2) top-k sampling as topk + multinomial over the k values, the values divided by the temperature a
# second time (no generate test combines a temperature other than 1 with top_k and checks the distribution); (3) the
# same branch's multinomial without the generator (no test checks that top_k sampling is reproducible from the
# caller's generator); (4) training removing the special tokens with sub('') so the text on both sides is glued (no
# training test has a special between two pieces that could merge across it); (5) _merge done on the ids' text form
# with regex.sub and no token boundaries (the pair's digits never occur inside other ids in the training tests);
# (6) DataLoader.load_state_dict reducing the counter modulo the whole batches per epoch (no resume test goes past an
# epoch of data whose length is not a multiple of the batch); (7) train_step's autocast opened with
# enabled=autocast_dtype is None (on CPU the default path then runs under bfloat16 autocast; no non-slow training test
# sees the difference).

_V27_ATTEND = (
    "        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=1.0 / math.sqrt(k.size(-1)))\n"
)
_V27_ATTEND_CACHED = (
    "        T, S = q.size(-2), k.size(-2)\n"
    "        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(diagonal=S - T)\n"
    "        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=1.0 / math.sqrt(q.size(-1)))\n"
)
_V27_BLOCK_FWD = (
    "        x = x + self.attn(self.ln_1(x), cache)\n        x = x + self.mlp(self.ln_2(x))\n        return x\n"
)
_V27_LN_FWD = (
    "        mean = x.mean(dim=-1, keepdim=True)\n"
    "        var = (x - mean).pow(2).mean(dim=-1, keepdim=True)  # biased: / C\n"
    "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n"
    "        return x_hat * self.weight + self.bias\n"
)
_V27_MLP_FWD = '        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))\n'
_V27_LOSS = "            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))\n"
_V27_INIT = (
    "        if isinstance(module, (nn.Linear, nn.Embedding)):\n"
    "            nn.init.normal_(module.weight, mean=0.0, std=0.02)\n"
    "        if isinstance(module, nn.Linear) and module.bias is not None:\n"
    "            nn.init.zeros_(module.bias)\n"
)
_V27_SAMPLE = (
    "            if temperature == 0:\n"
    "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
    "            else:\n"
    "                logits = logits / temperature\n"
    "                if top_k is not None:\n"
    "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
    '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
    "                probs = F.softmax(logits, dim=-1)\n"
    "                idx_next = torch.multinomial(probs, num_samples=1, generator=generator)\n"
)
_V27_BPE = (
    '    inf = float("inf")\n'
    "    limit = inf if max_rank is None else max_rank\n"
    "    parts = [_BYTES[b] for b in token]\n"
    "    get = ranks.get\n"
    "    # pair_ranks[i]: the rank of parts[i] + parts[i + 1]; a merge changes only its two neighbours.\n"
    "    pair_ranks = [get(a + b, inf) for a, b in itertools.pairwise(parts)]\n"
    "    while pair_ranks:\n"
    "        # Rank order is training order: the pair merged earliest in training merges first.\n"
    "        rank = min(pair_ranks)\n"
    "        if rank >= limit:\n"
    "            break\n"
    "        i = pair_ranks.index(rank)  # the leftmost, if the same pair occurs twice\n"
    "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
    "        del pair_ranks[i]\n"
    "        if i > 0:\n"
    "            pair_ranks[i - 1] = get(parts[i - 1] + parts[i], inf)\n"
    "        if i < len(pair_ranks):\n"
    "            pair_ranks[i] = get(parts[i] + parts[i + 1], inf)\n"
    "    return parts\n"
)
_V27_LOADER_STATE = (
    "    def state_dict(self) -> dict[str, int]:\n"
    '        return {"batches": self.batches}\n'
    "\n"
    "    def load_state_dict(self, state: dict[str, int]) -> None:\n"
    '        self.batches = int(state["batches"])\n'
)
_V27_NEXT_BATCH = (
    "        B, T = self.B, self.T\n"
    "        start = (self.batches * self.world_size + self.rank) * B * T\n"
    "        # B*T + 1 tokens: the extra one is the target of the last position.\n"
    "        positions = (start + torch.arange(B * T + 1)) % len(self.tokens)\n"
    "        buf = self.tokens[positions]\n"
    "        x = buf[:-1].view(B, T)  # inputs\n"
    "        y = buf[1:].view(B, T)  # targets: the next token of each input\n"
    "        self.batches += 1\n"
    "        return x, y\n"
)
_V27_CLIP_STEP = "    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n    optimizer.step()\n"
_V27_MICRO_LOOP = (
    "    n = len(batches)\n"
    "    loss_accum = torch.zeros(())  # moved to the loss's device and dtype by the first addition\n"
    "    for i, (x, y) in enumerate(batches):\n"
    "        if isinstance(model, DDP):\n"
    "            # All-reduce the gradient once, after the last micro-batch, not after every one.\n"
    "            model.require_backward_grad_sync = i == n - 1\n"
    "        amp = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext("
    ")\n"
    "        with amp:\n"
    "            _, loss = model(x, y)\n"
    "        # backward() adds into .grad: dividing by n makes the sum a mean over the micro-batches,\n"
    "        # the same gradient as one batch n times larger.\n"
    "        loss = loss / n\n"
    "        loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)\n"
    "        loss.backward()\n"
)
_V27_GROUPS = (
    "    groups = [\n"
    '        {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},\n'
    '        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},\n'
    "    ]\n"
    "    if fused is None:\n"
    "        fused = bool(params) and all(p.is_cuda for p in params)\n"
    "    return torch.optim.AdamW(groups, lr=learning_rate, betas=betas, eps=eps, fused=fused)\n"
)


_v27 = partial(_in_set, 27)


def _v27_float_mask(mask: str) -> str:
    return (
        "        T = q.size(-2)\n"
        "        allowed = torch.ones(T, T, device=q.device).tril()  # 1 where the key is not in the future\n"
        f"        return F.scaled_dot_product_attention(q, k, v, attn_mask={mask}, scale=1.0 / math.sqrt(k.size(-1)))\n"
    )


def _v27_stable_softmax(denominator: str) -> str:
    return (
        "        T = q.size(-2)\n"
        "        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))\n"
        "        causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()\n"
        '        scores = scores.masked_fill(~causal, float("-inf"))\n'
        "        peak = scores.amax(dim=-1, keepdim=True)  # subtract the row max: exp cannot overflow\n"
        f"        weights = torch.exp(scores - peak) / {denominator}\n"
        "        return weights @ v\n"
    )


def _v27_scores_cast(qk: str) -> str:
    return (
        "        T = q.size(-2)\n"
        "        # the T x T score matrix is the big one: compute it in half the bytes\n"
        f"        att = ({qk}).to(q.dtype) / math.sqrt(k.size(-1))\n"
        "        future = torch.ones(T, T, dtype=torch.bool, device=q.device).triu(1)\n"
        '        att = att.masked_fill(future, float("-inf"))\n'
        "        return torch.softmax(att, dim=-1) @ v\n"
    )


def _v27_ln_cast(dtype: str) -> str:
    return (
        f"        h = x.to({dtype})  # statistics in a narrower dtype: half the memory traffic\n"
        "        mu = h.mean(dim=-1, keepdim=True)\n"
        "        sigma2 = (h - mu).square().mean(dim=-1, keepdim=True)\n"
        "        out = (h - mu) / torch.sqrt(sigma2 + self.eps)\n"
        "        return out.to(x.dtype) * self.weight + self.bias\n"
    )


def _v27_ln_centred(centre: str) -> str:
    return (
        "        mu = x.mean(dim=-1, keepdim=True)\n"
        "        var = ((x - mu) ** 2).mean(dim=-1, keepdim=True)\n"
        f"        centred = x - {centre}\n"
        "        return self.weight * centred / (var + self.eps).sqrt() + self.bias\n"
    )


def _v27_gelu_cubic(cubic: str) -> str:
    return (
        "        h = self.c_fc(x)\n"
        f"        inner = (2.0 / torch.pi) ** 0.5 * (h + {cubic})\n"
        "        return self.c_proj(0.5 * h * (1.0 + torch.tanh(inner)))\n"
    )


def _v27_matmul_mlp(w2: str) -> str:
    return (
        "        W1, b1 = self.c_fc.weight, self.c_fc.bias  # (4C, C), (4C,)\n"
        "        W2, b2 = self.c_proj.weight, self.c_proj.bias  # (C, 4C), (C,)\n"
        '        h = F.gelu(x @ W1.t() + b1, approximate="tanh")\n'
        f"        return h @ {w2} + b2\n"
    )


def _v27_init(weight_init: str) -> str:
    return (
        "        if isinstance(module, nn.Linear):\n"
        f"            {weight_init}\n"
        "            if module.bias is not None:\n"
        "                nn.init.zeros_(module.bias)\n"
        "        elif isinstance(module, nn.Embedding):\n"
        f"            {weight_init}\n"
    )


def _v27_loss_onehot(reduce: str) -> str:
    return (
        "            V = logits.size(-1)\n"
        "            logp = F.log_softmax(logits.view(-1, V), dim=-1)\n"
        "            onehot = F.one_hot(targets.reshape(-1), V).to(logp.dtype)\n"
        f"            loss = {reduce}\n"
    )


def _v27_loss_pick(pick: str) -> str:
    return (
        "            flat = logits.view(-1, logits.size(-1))\n"
        "            tgt = targets.reshape(-1)\n"
        "            lse = torch.logsumexp(flat, dim=-1)\n"
        f"            target_logit = {pick}\n"
        "            loss = (lse - target_logit).mean()\n"
    )


def _v27_inverse_cdf(scale: str) -> str:
    return (
        "            if temperature == 0:\n"
        "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
        "            else:\n"
        "                logits = logits / temperature\n"
        "                if top_k is not None:\n"
        "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
        '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
        "                probs = F.softmax(logits, dim=-1)\n"
        "                cdf = probs.cumsum(dim=-1)\n"
        "                u = torch.rand(probs.size(0), 1, generator=generator, device=probs.device)  # one per row\n"
        f"                u = u * {scale}  # the cdf may end a rounding error below 1\n"
        "                idx_next = (cdf < u).sum(dim=-1, keepdim=True).clamp(max=probs.size(-1) - 1)\n"
    )


def _v27_gumbel(shape: str) -> str:
    return (
        "            if temperature == 0:\n"
        "                idx_next = logits.argmax(dim=-1, keepdim=True)\n"
        "            else:\n"
        "                logits = logits / temperature\n"
        "                if top_k is not None:\n"
        "                    kth = torch.topk(logits, min(top_k, logits.size(-1))).values[:, [-1]]\n"
        '                    logits = logits.masked_fill(logits < kth, float("-inf"))\n'
        "                # Gumbel-max: argmax(logits + Gumbel noise) is a sample from softmax(logits)\n"
        f"                u = torch.rand({shape}, generator=generator, device=logits.device)\n"
        "                gumbel = -torch.log(-torch.log(u.clamp_min(1e-20)))\n"
        "                idx_next = (logits + gumbel).argmax(dim=-1, keepdim=True)\n"
    )


def _v27_bpe_scan(scan: str) -> str:
    return (
        '    limit = float("inf") if max_rank is None else max_rank\n'
        "    parts = [bytes([b]) for b in token]\n"
        "    while len(parts) > 1:\n"
        f"        known = {scan}\n"
        "        if not known:\n"
        "            break\n"
        "        rank = min(known)  # the pair merged earliest in training\n"
        "        if rank >= limit:\n"
        "            break\n"
        "        i = known.index(rank)\n"
        "        parts[i : i + 2] = [parts[i] + parts[i + 1]]\n"
        "    return parts\n"
    )


def _v27_loader_state(restore: str) -> str:
    return (
        "    def state_dict(self) -> dict[str, int]:\n"
        '        return {"batches": self.batches, "rank": self.rank, "world_size": self.world_size}\n'
        "\n"
        "    def load_state_dict(self, state: dict[str, int]) -> None:\n"
        '        self.batches = int(state["batches"])\n'
        f"        {restore}\n"
    )


def _v27_rank_stride(start: str) -> str:
    return (
        "        B, T = self.B, self.T\n"
        "        per_rank = B * T  # tokens one rank reads per batch\n"
        "        per_step = per_rank * self.world_size  # tokens all the ranks read per batch\n"
        f"        start = {start}\n"
        "        idx = torch.arange(start, start + per_rank + 1) % self.tokens.numel()\n"
        "        window = self.tokens[idx]\n"
        "        self.batches += 1\n"
        "        return window[:-1].view(B, T), window[1:].view(B, T)\n"
    )


def _v27_hand_clip(square: str) -> str:
    return (
        "    grads = [p.grad for p in model.parameters() if p.grad is not None]\n"
        f"    norm = torch.sqrt(sum({square} for g in grads))  # the global L2 norm over every gradient\n"
        "    scale = (max_norm / (norm + 1e-6)).clamp(max=1.0)\n"
        "    for g in grads:\n"
        "        g.mul_(scale)\n"
        "    optimizer.step()\n"
    )


def _v27_micro_scale(scale: str) -> str:
    return (
        "    n_micro = len(batches)\n"
        f"    share = {scale}  # each micro-batch's share of the mean\n"
        "    loss_accum = torch.zeros(())\n"
        "    for i, (x, y) in enumerate(batches):\n"
        "        if isinstance(model, DDP):\n"
        "            model.require_backward_grad_sync = i == n_micro - 1\n"
        "        ctx = torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.null"
        "context()\n"
        "        with ctx:\n"
        "            _, loss = model(x, y)\n"
        "        loss = loss * share\n"
        "        loss_accum = loss_accum.to(loss.device, loss.dtype) + loss.detach()\n"
        "        loss.backward()\n"
    )


def _v27_adamw_call(decay: str) -> str:
    return (
        "    matrices = [p for p in params if p.ndim >= 2]\n"
        "    vectors = [p for p in params if p.ndim < 2]\n"
        "    if fused is None:\n"
        "        fused = bool(params) and all(p.is_cuda for p in params)\n"
        "    return torch.optim.AdamW(\n"
        '        [{"params": matrices}, {"params": vectors, "weight_decay": 0.0}],\n'
        "        lr=learning_rate,\n"
        "        betas=betas,\n"
        "        eps=eps,\n"
        f"        fused=fused,\n{decay}"
        "    )\n"
    )


def _v27_cached_positions(visible: str) -> str:
    return (
        "        T, S = q.size(-2), k.size(-2)\n"
        "        att = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))\n"
        "        q_pos = torch.arange(S - T, S, device=q.device)  # the new queries sit at the end\n"
        "        k_pos = torch.arange(S, device=q.device)\n"
        f'        att = att.masked_fill({visible}, float("-inf"))\n'
        "        return att.softmax(dim=-1) @ v\n"
    )


def _v27_block_cast(cast: str) -> str:
    return (
        "        a = self.attn(self.ln_1(x), cache)\n"
        f"        x = x + a.to({cast})  # the branch output, in the stream's dtype\n"
        "        m = self.mlp(self.ln_2(x))\n"
        "        return x + m\n"
    )


def _v27_gelu_coef(power: str) -> str:
    return (
        "        h = self.c_fc(x)\n"
        f"        c = (2.0 / torch.pi) ** {power}  # sqrt(2 / pi)\n"
        "        gelu = 0.5 * h * (1.0 + torch.tanh(c * (h + 0.044715 * h**3)))\n"
        "        return self.c_proj(gelu)\n"
    )


HELDOUT_V27: list[HeldOut] = [
    # --------------------------------------------------- attention
    HeldOut(
        _v27(
            "sdpa-float-tril-mask-added",
            "attention.py",
            _V27_ATTEND,
            _v27_float_mask("allowed"),
            "attention",
            "SDPA given the causal mask as a float tensor of ones below the diagonal (torch.ones(T, T).tril()) "
            "instead of a boolean one: SDPA adds a float mask to the scores, so the past gets +1 and the future +0 "
            "and nothing is masked: every position sees the future",
        ),
        ("causal mask: none (a float 0/1 mask is added to the scores)",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "hand-softmax-max-subtracted-from-numerator-only",
            "attention.py",
            _V27_ATTEND,
            _v27_stable_softmax("torch.exp(scores).sum(dim=-1, keepdim=True)"),
            "attention",
            "a hand softmax that subtracts the row max for stability in the numerator, exp(s - max), but not in "
            "the denominator, sum(exp(s)): every row of weights is scaled by exp(-max) and no longer sums to 1",
        ),
        ("softmax: max subtracted in the numerator only (rows scaled by exp(-max))",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "scores-computed-in-bfloat16",
            "attention.py",
            _V27_ATTEND,
            _v27_scores_cast("q.bfloat16() @ k.bfloat16().transpose(-2, -1)"),
            "attention",
            "hand attention that computes the q k^T score matrix in bfloat16 'to save memory' and casts it back: "
            "bfloat16 keeps about 3 significant digits, so the scores (and the attention output) are off by ~1e-2",
        ),
        ("attention precision: scores in bfloat16",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "cached-mask-positions-broadcast-flat",
            "attention.py",
            _V27_ATTEND_CACHED,
            _v27_cached_positions("k_pos > q_pos"),
            "generate",
            "cached attention by hand with key and query positions; the mask compares k_pos > q_pos without making "
            "q_pos a column (q_pos[:, None]): with S == T (the prompt pass) it compares key i with query i only, "
            "which is never true, so the prompt is processed with no causal mask and the cached keys of later "
            "layers have seen the future",
        ),
        ("cached causal mask: positions compared elementwise (no mask in the prompt pass)",),
        "rewrite",
    ),
    # --------------------------------------------------- layernorm
    HeldOut(
        _v27(
            "ln-statistics-in-bfloat16",
            "layernorm.py",
            _V27_LN_FWD,
            _v27_ln_cast("torch.bfloat16"),
            "layernorm",
            "LayerNorm that casts its input to bfloat16 to compute the mean, variance and normalised value, "
            "casting back only at the end: the output carries bfloat16 rounding (~1e-2 relative)",
        ),
        ("layernorm precision: computed in bfloat16",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "ln-numerator-centred-on-global-mean",
            "layernorm.py",
            _V27_LN_FWD,
            _v27_ln_centred("x.mean()"),
            "layernorm",
            "LayerNorm whose variance is right (per row) but whose numerator subtracts x.mean() with no dim: the "
            "mean of the whole tensor, not of each feature vector, so the rows are not centred",
        ),
        ("layernorm centring: global mean in the numerator",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "ln-eps-times-width",
            "layernorm.py",
            "        x_hat = (x - mean) * torch.rsqrt(var + self.eps)  # eps inside the sqrt\n",
            "        x_hat = (x - mean) * torch.rsqrt(var + self.eps * x.size(-1))  # eps inside the sqrt\n",
            "layernorm",
            "eps is scaled by the width C (var + eps * C), as if eps were meant for the summed squares: the "
            "effective eps is C times too large",
        ),
        ("layernorm eps: multiplied by C",),
    ),
    # --------------------------------------------------- mlp
    HeldOut(
        _v27(
            "gelu-cubic-coefficient-cubed",
            "mlp.py",
            _V27_MLP_FWD,
            _v27_gelu_cubic("torch.pow(0.044715 * h, 3)"),
            "mlp",
            "the tanh GELU by hand with the cubic term written torch.pow(0.044715 * h, 3): the coefficient is "
            "cubed along with h (0.044715^3 ~ 9e-5), so the cubic correction all but vanishes",
        ),
        ("gelu: cubic coefficient cubed (0.044715^3)",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "c-proj-weight-viewed-not-transposed",
            "mlp.py",
            _V27_MLP_FWD,
            _v27_matmul_mlp("W2.view(W2.size(1), W2.size(0))"),
            "mlp",
            "the MLP as explicit matmuls; c_proj's (C, 4C) weight is brought to (4C, C) with .view instead of .t(): "
            "the shapes fit but the entries are scrambled, so the output projection is a different matrix",
        ),
        ("mlp: c_proj weight reshaped instead of transposed",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "gelu-sqrt-2-over-pi-exponent-sign",
            "mlp.py",
            _V27_MLP_FWD,
            _v27_gelu_coef("-0.5"),
            "mlp",
            "the tanh GELU by hand with its constant written (2 / pi) ** -0.5 instead of ** 0.5: the factor inside "
            "the tanh is sqrt(pi / 2) ~ 1.2533 instead of sqrt(2 / pi) ~ 0.7979",
        ),
        ("gelu: sqrt(pi/2) for sqrt(2/pi) inside the tanh",),
        "rewrite",
    ),
    # --------------------------------------------------- block
    HeldOut(
        _v27(
            "attention-branch-rounded-through-bfloat16",
            "block.py",
            _V27_BLOCK_FWD,
            _v27_block_cast("torch.bfloat16"),
            "block",
            "the block casts the attention branch's output to bfloat16 before adding it to the residual stream "
            "(left over from a mixed-precision experiment): the sum is float32 again but the attention "
            "contribution carries bfloat16 rounding (~1e-2 relative)",
        ),
        ("block precision: attention branch rounded to bfloat16",),
        "rewrite",
    ),
    # --------------------------------------------------- gpt
    HeldOut(
        _v27(
            "wte-padding-idx-0",
            "gpt.py",
            "wte=nn.Embedding(config.padded_vocab_size, config.n_embd),",
            "wte=nn.Embedding(config.padded_vocab_size, config.n_embd, padding_idx=0),",
            "gpt",
            "the token embedding is built with padding_idx=0 (copied from a tutorial): the lookup of token 0 gets no "
            "gradient, so row 0 of wte is only trained through the tied head and token 0's input embedding is frozen",
        ),
        ("embedding: padding_idx=0 (token 0 gets no gradient from the lookup)",),
    ),
    HeldOut(
        _v27(
            "hf-buffer-filter-skips-every-bias",
            "gpt.py",
            '_HF_BUFFER_SUFFIXES = (".attn.bias", ".attn.masked_bias")',
            '_HF_BUFFER_SUFFIXES = (".bias", ".masked_bias")',
            "gpt",
            "the filter for HF's causal-mask buffers matches any key ending in .bias: every real bias (c_attn, c_proj, "
            "c_fc, the LayerNorms) is skipped when loading, so the loaded model keeps its initial zero biases",
        ),
        ("from_hf: every bias skipped as a buffer",),
    ),
    HeldOut(
        _v27(
            "init-uniform-plus-minus-0-02",
            "gpt.py",
            _V27_INIT,
            _v27_init("nn.init.uniform_(module.weight, -0.02, 0.02)"),
            "gpt",
            "the init written per module type draws the weights from U(-0.02, 0.02) instead of N(0, 0.02): the std is "
            "0.02 / sqrt(3) ~ 0.0115, not 0.02",
        ),
        ("init: uniform(-0.02, 0.02) (std 0.0115)",),
        "rewrite",
    ),
    # --------------------------------------------------- loss
    HeldOut(
        _v27(
            "loss-one-hot-mean-over-vocabulary",
            "gpt.py",
            _V27_LOSS,
            _v27_loss_onehot("-(onehot * logp).mean()"),
            "loss",
            "cross-entropy by hand as -(one_hot * log_softmax).mean(): the mean runs over the vocabulary axis too, "
            "so the loss is divided by vocab_size",
        ),
        ("loss: divided by vocab_size (mean over the one-hot axis)",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "loss-target-logit-picked-by-column",
            "gpt.py",
            _V27_LOSS,
            _v27_loss_pick("flat[:, tgt]"),
            "loss",
            "cross-entropy as logsumexp - target logit, the target logit taken with flat[:, tgt]: that is an (N, N) "
            "matrix (every row's logits at every target), which broadcasts against the (N,) logsumexp, so the loss "
            "averages every row against every target",
        ),
        ("loss: target logits indexed by column (N x N broadcast)",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "loss-last-position-only",
            "gpt.py",
            _V27_LOSS,
            "            loss = F.cross_entropy(logits[:, -1, :], targets[:, -1])\n",
            "loss",
            "the loss is computed on the last position only (logits[:, -1] against targets[:, -1], as at inference) "
            "instead of on every position of the sequence",
        ),
        ("loss: last position only",),
    ),
    # --------------------------------------------------- config
    HeldOut(
        _v27(
            "n-head-64",
            "config.py",
            "    n_head: int = 12\n",
            "    n_head: int = 64\n",
            "config",
            "the default n_head is 64, GPT-2's head size, instead of 12 heads: 768 / 64 still divides, so the model "
            "builds with 64 heads of size 12",
        ),
        ("config n_head: 64 (head size taken for the head count)",),
    ),
    HeldOut(
        _v27(
            "block-size-768",
            "config.py",
            "    block_size: int = 1024  # longest sequence the position table covers\n",
            "    block_size: int = 768  # longest sequence the position table covers\n",
            "config",
            "the default block_size is 768 (the width) instead of 1024: the position table is too short and "
            "sequences of 769-1024 tokens are refused",
        ),
        ("config block_size: 768",),
    ),
    # --------------------------------------------------- generate
    HeldOut(
        _v27(
            "inverse-cdf-uniform-scaled-by-batch-total",
            "gpt.py",
            _V27_SAMPLE,
            _v27_inverse_cdf("probs.sum()"),
            "generate",
            "inverse-CDF sampling whose uniform draw is rescaled by probs.sum() to absorb rounding: that sums over "
            "the whole batch (B, not 1), so with B > 1 the draws exceed the cdf and pile onto the last token",
        ),
        ("sampling: uniform scaled by the batch's total probability",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "gumbel-noise-shared-across-rows",
            "gpt.py",
            _V27_SAMPLE,
            _v27_gumbel("logits.size(-1)"),
            "generate",
            "Gumbel-max sampling with noise drawn of shape (vocab,) instead of logits.shape: one noise vector "
            "broadcasts over every row, so the rows of a batch are not sampled independently (equal rows give equal "
            "tokens)",
        ),
        ("sampling: one noise vector shared by every row",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "probabilities-floored-at-1e-6",
            "gpt.py",
            "                probs = F.softmax(logits, dim=-1)\n",
            "                probs = F.softmax(logits, dim=-1).clamp(min=1e-6)  # multinomial never sees a 0\n",
            "generate",
            "the sampling probabilities are clamped to at least 1e-6 'so multinomial never sees a zero': the tokens "
            "top_k filtered out (probability 0) get 1e-6 each again, which over a large vocabulary is a real share "
            "of the mass, so tokens outside the top k are sampled",
        ),
        ("top-k: filtered tokens floored at 1e-06 probability",),
    ),
    # --------------------------------------------------- tokenizer
    HeldOut(
        _v27(
            "pattern-letters-take-any-whitespace",
            "tokenizer.py",
            r" ?\p{L}+",
            r"\s?\p{L}+",
            "tokenizer",
            "the letters alternative of the GPT-2 pattern is written \\s?\\p{L}+ instead of ' ?\\p{L}+': a newline or "
            "tab before a word joins the word's pre-token, so text with newlines splits (and encodes) differently "
            "from GPT-2",
        ),
        ("pattern: letters take any whitespace prefix (\\s? for ' ?')",),
    ),
    HeldOut(
        _v27(
            "bpe-index-into-filtered-ranks",
            "tokenizer.py",
            _V27_BPE,
            _v27_bpe_scan("[ranks[a + b] for a, b in itertools.pairwise(parts) if a + b in ranks]"),
            "tokenizer",
            "BPE encode that lists the ranks of only the pairs in the vocabulary and takes the position of the "
            "lowest rank in that filtered list: once an unknown pair precedes it, the index points at the wrong "
            "pair, so the wrong adjacent parts are merged",
        ),
        ("bpe: merge position taken from a filtered list",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "train-skips-whitespace-pieces",
            "tokenizer.py",
            "counts = Counter(piece for part in _split_out(text, specials) for piece in self._pieces(part))",
            "counts = Counter(\n"
            "            piece for part in _split_out(text, specials) for piece in self._pieces(part)"
            " if piece.strip()\n"
            "        )",
            "tokenizer",
            "training counts only pre-tokens that are not all whitespace (if piece.strip()): runs of spaces and "
            "newlines are never counted, so the merges that join whitespace are never learned",
        ),
        ("training: whitespace-only pre-tokens skipped",),
    ),
    HeldOut(
        _v27(
            "stream-hold-max-not-sum",
            "tokenizer.py",
            "hold = _LOOKAHEAD + max((len(s) for s in self.special_tokens), default=0)",
            "hold = max(_LOOKAHEAD, *(len(s) for s in self.special_tokens))",
            "tokenizer",
            "streaming encode holds back max(lookahead, longest special) characters instead of their sum: a "
            "partial special token at the end of the buffer can use up the whole hold, leaving no lookahead for the "
            "pre-token before it, which is then emitted cut short",
        ),
        ("streaming: hold is max(lookahead, longest special), not the sum",),
    ),
    # --------------------------------------------------- data
    HeldOut(
        _v27(
            "loader-state-restores-the-rank",
            "data.py",
            _V27_LOADER_STATE,
            _v27_loader_state('self.rank, self.world_size = int(state["rank"]), int(state["world_size"])'),
            "data",
            "the loader's state_dict also saves rank and world_size, and load_state_dict restores them: when every "
            "rank resumes from the one checkpoint (rank 0's), every rank becomes rank 0 and they all read the same "
            "batches",
        ),
        ("loader state: the saved rank is restored",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "rank-stride-multiplied-by-world-size-twice",
            "data.py",
            _V27_NEXT_BATCH,
            _v27_rank_stride("self.batches * per_step * self.world_size + self.rank * per_rank"),
            "data",
            "next_batch with named strides: per_step already includes world_size, and the batch counter is "
            "multiplied by per_step * world_size, so with W > 1 ranks each step skips (W - 1) * W * B * T tokens",
        ),
        ("loader stride: world_size applied twice",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "loader-requires-one-full-row",
            "data.py",
            "        if len(self.tokens) < 2:\n",
            "        if len(self.tokens) < T + 1:\n",
            "data",
            "the loader refuses token arrays shorter than T + 1 (one full row) although the stream wraps: any array "
            "of 2 or more tokens can make batches",
        ),
        ("loader: rejects data shorter than T + 1",),
    ),
    # --------------------------------------------------- training
    HeldOut(
        _v27(
            "hand-clip-mean-of-squares",
            "training.py",
            _V27_CLIP_STEP,
            _v27_hand_clip("g.detach().pow(2).mean()"),
            "training",
            "a hand gradient clip whose global norm sums each gradient's mean square instead of its sum of squares: "
            "the norm is far too small, so the reported norm is wrong and clipping hardly ever happens",
        ),
        ("grad norm: mean of squares per tensor instead of sum",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "micro-batch-share-floor-divided",
            "training.py",
            _V27_MICRO_LOOP,
            _v27_micro_scale("1 // n_micro"),
            "training",
            "gradient accumulation scales each micro-batch's loss by 1 // n_micro (floor division): 0 with two or "
            "more micro-batches, so the gradient and the reported loss are zero",
        ),
        ("accumulation: loss scaled by 1 // n (zero)",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "adamw-weight-decay-left-at-default",
            "training.py",
            _V27_GROUPS,
            _v27_adamw_call(""),
            "training",
            "AdamW built with the matrix group carrying no weight_decay and none passed to AdamW: the matrices are "
            "decayed with AdamW's default 0.01, whatever weight_decay was asked for",
        ),
        ("weight decay: AdamW default 0.01",),
        "rewrite",
    ),
    HeldOut(
        _v27(
            "warmup-ramp-over-max-steps",
            "training.py",
            "        return max_lr * (step + 1) / warmup_steps\n",
            "        return max_lr * (step + 1) / max_steps\n",
            "training",
            "the warmup ramp divides by max_steps instead of warmup_steps: the lr climbs far too slowly and reaches "
            "only max_lr * warmup_steps / max_steps at the end of warmup, then jumps to max_lr",
        ),
        ("lr warmup: ramp divided by max_steps",),
    ),
    HeldOut(
        _v27(
            "checkpoint-rng-state-not-called",
            "training.py",
            '"torch": torch.get_rng_state(),',
            '"torch": torch.get_rng_state,',
            "training",
            "the checkpoint stores torch.get_rng_state (the function) instead of torch.get_rng_state() (the state): "
            "the file pickles a reference to the function and loading cannot restore the RNG",
        ),
        ("checkpoint: rng state function saved, not called",),
    ),
]

V27_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for h in HELDOUT_V27}


# Every set in the order written: version -> (name prefix, entries). The last is the held-out set that counts
# (graded once); the ones before it have been tuned on since and are development sets.
SETS: dict[str, tuple[str, list[HeldOut]]] = {
    "v1": ("ho-", HELDOUT),
    "v2": ("ho2-", HELDOUT_V2),
    "v3": ("ho3-", HELDOUT_V3),
    "v4": ("ho4-", HELDOUT_V4),
    "v5": ("ho5-", HELDOUT_V5),
    "v6": ("ho6-", HELDOUT_V6),
    "v7": ("ho7-", HELDOUT_V7),
    "v8": ("ho8-", HELDOUT_V8),
    "v9": ("ho9-", HELDOUT_V9),
    "v10": ("ho10-", HELDOUT_V10),
    "v11": ("ho11-", HELDOUT_V11),
    "v12": ("ho12-", HELDOUT_V12),
    "v13": ("ho13-", HELDOUT_V13),
    "v14": ("ho14-", HELDOUT_V14),
    "v15": ("ho15-", HELDOUT_V15),
    "v16": ("ho16-", HELDOUT_V16),
    "v17": ("ho17-", HELDOUT_V17),
    "v18": ("ho18-", HELDOUT_V18),
    "v19": ("ho19-", HELDOUT_V19),
    "v20": ("ho20-", HELDOUT_V20),
    "v21": ("ho21-", HELDOUT_V21),
    "v22": ("ho22-", HELDOUT_V22),
    "v23": ("ho23-", HELDOUT_V23),
    "v24": ("ho24-", HELDOUT_V24),
    "v25": ("ho25-", HELDOUT_V25),
    "v26": ("ho26-", HELDOUT_V26),
    "v27": ("ho27-", HELDOUT_V27),
}
ALL_BY_NAME: dict[str, HeldOut] = {h.bug.name: h for _, entries in SETS.values() for h in entries}
