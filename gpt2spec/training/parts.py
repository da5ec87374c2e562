"""Whose code trains: pick each part of the training run from an implementation, or from the reference.

``gpt2spec train --impl alice`` trains with alice's parts wherever they work. The rule, per part:

1. the export is missing, or calling it raises ``NotImplementedError``   -> reference ("week N not implemented");
2. it fails its **check** (below) -> reference ("fails its week-N check: <what differed>");
3. otherwise -> yours.

A check is a small, seeded, CPU-only version of what its week's spec asserts, run against the
reference on the same inputs (the whole spec takes ~1 min per implementation; these take ~1 s in
all). A part that passes the check but fails a finer spec test still trains: the full verdict is
``gpt2spec grade``. The checks:

- model (weeks 1-3, ``GPTConfig`` + ``GPT``): contract parameter names; tied ``lm_head``; init
  std 0.02 (residual projections 0.02/sqrt(2L)); logits, loss and every parameter's gradient
  equal the reference's with the same weights (1e-4);
- tokenizer (week 4): trained on 3 KB of text, the same merges and the same ids as the reference;
  decode(encode(text)) == text;
- loader (week 5): rank 1 of 2 reads the reference's batches, wrapping around, as int64;
- optimizer, schedule, step (week 6): AdamW with the contract's two groups and betas; ``get_lr``
  equals the formula at the key steps; one ``train_step`` of 2 micro-batches leaves the loss,
  gradient norm and weights the reference's does (1e-5);
- checkpoint (week 6): save, then load into fresh objects: the step, weights, AdamW moments, the
  loader's next batch and ``torch.rand`` all continue as if nothing stopped.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

import reference as REF
from gpt2spec.contract import EXPORTS, training_parts

# The parts in the order a run needs them; which contract names each needs is the contract's table (an export's
# part). A new part needs its CHECK below, so it is named here too.
ORDER = ("tokenizer", "loader", "model", "optimizer", "schedule", "train_step", "checkpoint")
PARTS: dict[str, tuple[str, ...]] = {part: training_parts()[part] for part in ORDER}  # part -> its contract names
TINY = {"block_size": 16, "vocab_size": 96, "n_layer": 2, "n_head": 2, "n_embd": 32}


class CheckFailed(AssertionError):
    """A part departs from the contract on its check's small case. The message says how."""


@dataclasses.dataclass
class Choice:
    whose: str  # "yours" or "reference"
    reason: str = ""  # why the reference runs instead (empty when yours runs)


@dataclasses.dataclass
class Parts:
    """The callables the training driver uses, each from the implementation or the reference."""

    impl_name: str
    names: dict[str, Any]  # contract name -> the object the run uses
    choices: dict[str, Choice]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["names"][name]
        except KeyError:
            raise AttributeError(name) from None

    def whose(self, part: str) -> str:
        return self.choices[part].whose

    def banner(self) -> str:
        """'tokenizer: yours · loader: reference (week 5 not implemented) · ...'"""
        items = []
        for part in PARTS:
            c = self.choices[part]
            items.append(f"{part}: {c.whose}" + (f" ({c.reason})" if c.reason else ""))
        return " · ".join(items)


def reference_parts() -> Parts:
    names = {n: getattr(REF, n) for ns in PARTS.values() for n in ns}
    return Parts("reference", names, {p: Choice("reference") for p in PARTS})


def choose_parts(impl_name: str, module: Any, log: Callable[[str], None] = print) -> Parts:
    """Check each part of ``module`` in the order it is needed; a part that fails runs the reference's."""
    parts = reference_parts()
    parts.impl_name = impl_name
    for part, names in PARTS.items():
        week = max(EXPORTS[n] for n in names)
        missing = [n for n in names if not hasattr(module, n)]
        if missing:
            parts.choices[part] = Choice("reference", f"week {week} not implemented: no {', '.join(missing)}")
            continue
        candidate = {**parts.names, **{n: getattr(module, n) for n in names}}
        try:
            CHECKS[part](candidate)
        except NotImplementedError:
            parts.choices[part] = Choice("reference", f"week {week} not implemented")
            continue
        except Exception as exc:  # any failure of the participant's code is a verdict, not a crash
            what = "" if isinstance(exc, CheckFailed) else f"{type(exc).__name__}: "
            parts.choices[part] = Choice("reference", f"fails its week-{week} check: {what}{_first_line(exc)}")
            continue
        parts.names.update(candidate)
        parts.choices[part] = Choice("yours")
    # The reference's checkpoint calls loader.state_dict(): a loader without one cannot resume there.
    if parts.whose("loader") == "yours" and parts.whose("checkpoint") == "reference":
        try:
            check_checkpoint(parts.names)
        except Exception as exc:
            parts.names["DataLoader"] = REF.DataLoader
            parts.choices["loader"] = Choice(
                "reference", f"the reference checkpoint cannot save it: {_first_line(exc)}"
            )
    return parts


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else ""


def _close(what: str, got: Any, want: Any, tol: float) -> None:
    got, want = torch.as_tensor(got, dtype=torch.float64), torch.as_tensor(want, dtype=torch.float64)
    if got.shape != want.shape:
        raise CheckFailed(f"{what}: shape {tuple(got.shape)}, expected {tuple(want.shape)}")
    diff = (got - want).abs().max().item() if got.numel() else 0.0
    if not diff <= tol:  # also catches NaN
        raise CheckFailed(f"{what} differs from the reference by {diff:.3g} (tolerance {tol:g})")


# ---------------------------------------------------------------- the checks


def _tiny_models(n: dict[str, Any]) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(0)
    a = REF.GPT(REF.GPTConfig(**TINY))
    b = REF.GPT(REF.GPTConfig(**TINY))
    b.load_state_dict(a.state_dict())
    return a, b


def _batches(n: int = 2) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    out = []
    for _ in range(n):
        buf = torch.randint(0, TINY["vocab_size"], (2, TINY["block_size"] + 1), generator=g)
        out.append((buf[:, :-1].contiguous(), buf[:, 1:].contiguous()))
    return out


def check_model(n: dict[str, Any]) -> None:
    torch.manual_seed(0)
    mine = n["GPT"](n["GPTConfig"](**TINY))
    ref = REF.GPT(REF.GPTConfig(**TINY))
    own = dict(mine.named_parameters())
    wanted = dict(ref.named_parameters())
    missing = sorted(set(wanted) - set(own))
    if missing:
        raise CheckFailed(f"parameters not named as in the contract: missing {', '.join(missing[:3])}")
    if mine.lm_head.weight is not mine.transformer.wte.weight:
        raise CheckFailed("lm_head.weight is not transformer.wte.weight (the head must be tied)")
    std = mine.transformer.wte.weight.std().item()
    proj = mine.transformer.h[0].attn.c_proj.weight.std().item()
    if not (0.016 < std < 0.024 and 0.016 < proj * math.sqrt(2 * TINY["n_layer"]) < 0.024):
        raise CheckFailed(f"init std: wte {std:.4f} (want 0.02), attn.c_proj {proj:.4f} (want 0.02/sqrt(2*n_layer))")
    ref.load_state_dict({k: own[k].detach() for k in wanted}, strict=False)
    (x, y), *_ = _batches(1)
    logits, loss = mine(x, y)
    ref_logits, ref_loss = ref(x, y)
    _close("logits", logits.detach(), ref_logits.detach(), 1e-4)
    _close("loss", loss.detach(), ref_loss.detach(), 1e-5)
    loss.backward()
    ref_loss.backward()
    for key, p in wanted.items():
        _close(f"gradient of {key}", own[key].grad, p.grad, 1e-4)


CHECK_TEXT_CHARS = 3000


def check_tokenizer(n: dict[str, Any]) -> None:
    from gpt2spec.builtin_corpus import builtin_corpus

    text = builtin_corpus(CHECK_TEXT_CHARS)
    mine = n["Tokenizer"]()
    mine.train(text, 300)
    ref = REF.Tokenizer().train(text, 300)
    if dict(mine.merges) != dict(ref.merges):
        raise CheckFailed("trained on the same text, its merges differ from the reference's (tie-break? counts?)")
    sample = text[:800].replace("<|endoftext|>", "")
    ids = list(mine.encode_ordinary(sample))
    if ids != ref.encode_ordinary(sample):
        raise CheckFailed("encode_ordinary gives other ids than the reference with the same merges")
    if mine.decode(ids) != sample:
        raise CheckFailed("decode(encode(text)) != text")


def check_loader(n: dict[str, Any]) -> None:
    tokens = list(range(50))
    mine = n["DataLoader"](tokens, 2, 5, rank=1, world_size=2)
    ref = REF.DataLoader(tokens, 2, 5, rank=1, world_size=2)
    for i in range(7):  # 7 * 2 ranks * 10 tokens: wraps around the 50 tokens
        (x, y), (rx, ry) = mine.next_batch(), ref.next_batch()
        if x.dtype != torch.int64 or not (torch.equal(x, rx) and torch.equal(y, ry)):
            raise CheckFailed(
                f"batch {i} of rank 1/2 is not the contract's: x[0] = {x[0].tolist()}, want {rx[0].tolist()}"
            )


def check_optimizer(n: dict[str, Any]) -> None:
    model, _ = _tiny_models(n)
    opt = n["configure_optimizers"](model, 0.1, 1e-3)
    if not isinstance(opt, torch.optim.AdamW):
        raise CheckFailed(f"returns {type(opt).__name__}, not torch.optim.AdamW")
    seen: dict[int, float] = {}
    for group in opt.param_groups:
        if tuple(group["betas"]) != (0.9, 0.95):
            raise CheckFailed(f"betas {group['betas']}, expected (0.9, 0.95)")
        for p in group["params"]:
            if id(p) in seen:
                raise CheckFailed("a parameter is in two groups (the tied wte/lm_head weight?)")
            seen[id(p)] = group["weight_decay"]
    for name, p in model.named_parameters():
        want = 0.1 if p.dim() >= 2 else 0.0
        if seen.get(id(p)) != want:
            raise CheckFailed(f"{name} (dim {p.dim()}) has weight decay {seen.get(id(p))}, expected {want}")


def check_schedule(n: dict[str, Any]) -> None:
    for step in (0, 1, 9, 10, 11, 55, 99, 100, 150):
        got, want = n["get_lr"](step, 6e-4, 6e-5, 10, 100), REF.get_lr(step, 6e-4, 6e-5, 10, 100)
        if not math.isclose(float(got), want, rel_tol=1e-9):
            raise CheckFailed(f"get_lr({step}, 6e-4, 6e-5, warmup 10, max 100) = {got}, expected {want}")


def check_train_step(n: dict[str, Any]) -> None:
    mine, ref = _tiny_models(n)
    opt, ref_opt = REF.configure_optimizers(mine, 0.1, 1e-2), REF.configure_optimizers(ref, 0.1, 1e-2)
    batches = _batches(2)
    loss, norm = n["train_step"](mine, opt, batches, 0.5)
    ref_loss, ref_norm = REF.train_step(ref, ref_opt, batches, 0.5)
    _close("loss", float(loss), float(ref_loss), 1e-5)
    _close("gradient norm", float(norm), float(ref_norm), 1e-5)
    for (name, p), q in zip(mine.named_parameters(), ref.parameters(), strict=True):
        _close(f"{name} after the step", p.detach(), q.detach(), 1e-5)


def check_checkpoint(n: dict[str, Any]) -> None:
    model, _ = _tiny_models(n)
    opt = REF.configure_optimizers(model, 0.1, 1e-2)
    loader = n["DataLoader"](list(range(TINY["vocab_size"])) * 3, 2, TINY["block_size"])
    REF.train_step(model, opt, [loader.next_batch()], 1.0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ckpt.pt"
        n["save_checkpoint"](path, model, opt, loader, 3)
        want_rand, want_batch = torch.rand(4), loader.next_batch()
        fresh, _ = _tiny_models(n)
        fresh_opt = REF.configure_optimizers(fresh, 0.1, 1e-2)
        fresh_loader = n["DataLoader"](list(range(TINY["vocab_size"])) * 3, 2, TINY["block_size"])
        step = n["load_checkpoint"](path, fresh, fresh_opt, fresh_loader)
    if step != 3:
        raise CheckFailed(f"load_checkpoint returned step {step}, expected 3")
    if not torch.equal(torch.rand(4), want_rand):
        raise CheckFailed("torch's RNG state is not restored")
    if not torch.equal(fresh_loader.next_batch()[0], want_batch[0]):
        raise CheckFailed("the loader does not continue where it stopped")
    for (name, p), q in zip(fresh.named_parameters(), model.parameters(), strict=True):
        _close(f"restored {name}", p.detach(), q.detach(), 0.0)
    moments = [s["exp_avg"] for s in fresh_opt.state.values()]
    if len(moments) != len(opt.state):
        raise CheckFailed("AdamW's moments are not restored")


CHECKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "tokenizer": check_tokenizer,
    "loader": check_loader,
    "model": check_model,
    "optimizer": check_optimizer,
    "schedule": check_schedule,
    "train_step": check_train_step,
    "checkpoint": check_checkpoint,
}
