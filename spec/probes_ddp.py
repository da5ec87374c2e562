"""What two DDP ranks did differently from one process, read off the DDP test's own measurements.

test_ddp_matches_single_process already holds everything a diagnosis needs: each rank's reported losses, its
gradients and weights after the steps, and one process's on the combined batch. Running the ranks again in a probe
would cost as much as the test, so the test hands its measurements here before it asserts, and what they show is
recorded for the failure's Diagnosis: the reported loss scaled by the rank or the world size, every gradient
scaled by one factor (the loss divided by world_size although DDP averages), or ranks that end with gradients that
differ from each other (an all-reduce skipped: the sync flag set after the forward, where DDP reads it).
"""

from __future__ import annotations

import math

import torch

from gpt2spec import verdicts
from gpt2spec.verdicts import Finding

EVIDENCE = "two gloo ranks' losses and gradients against one process on the combined batch"


def record_ranks(
    losses: list[float], want_grads: dict[str, torch.Tensor], ranks: list[dict], world: int = 2
) -> list[Finding]:
    """Record (and return) what the ranks' measurements show. ``losses``: one process's loss at each step;
    ``want_grads``: its gradients after the last step; ``ranks``: each rank's dict of "losses" and "grads"."""
    try:  # the ranks' files are written by the implementation's code: anything else is the asserts' to report
        found = _reported_loss(losses, [[float(v) for v in r["losses"]] for r in ranks], world)
        found += _gradients(want_grads, [r["grads"] for r in ranks], world)
    except Exception:
        return []
    for f in found:
        verdicts.record(f)
    return found


def _reported_loss(want: list[float], got: list[list[float]], world: int) -> list[Finding]:
    """Each rank's reported loss over the single process's, when one pattern of ratios holds at every step."""
    fix = "dist.all_reduce(loss, op=dist.ReduceOp.SUM); loss /= dist.get_world_size(): the mean over the ranks"
    ratios = [[g / w if w else math.nan for g, w in zip(rank, want, strict=True)] for rank in got]
    patterns = {
        "divided by the rank, not the world size (rank 0 reports inf)": [
            world / r if r else math.inf for r in range(world)
        ],
        "the sum over the ranks, not their mean": [world] * world,
        "divided by world_size twice": [1 / world] * world,
    }
    for words, each in patterns.items():
        if all(all(_close(v, e) for v in rank) for rank, e in zip(ratios, each, strict=True)):
            said = ", ".join(f"rank {r} reports {got[r][0]:.6g}" for r in range(world))
            text = f"the reported loss is {words}: {said}, where one process on the whole batch has {want[0]:.6g}"
            return [Finding(f"ddp-loss: {words.split(' (')[0]}", text, fix, evidence=EVIDENCE)]
    return []


def _gradients(want: dict[str, torch.Tensor], got: list[dict[str, torch.Tensor]], world: int) -> list[Finding]:
    names = [n for n in want if want[n] is not None and all(g.get(n) is not None for g in got)]
    if not names:
        return []
    apart = max(float((got[0][n] - got[r][n]).abs().max()) for n in names for r in range(1, len(got)))
    scale = max(float(want[n].abs().max()) for n in names)
    if apart > 1e-6 * scale:
        words = (
            "the ranks end the step with different gradients: the all-reduce did not run on the last micro-batch's "
            "backward (DDP reads require_backward_grad_sync in forward: True for the last micro-batch, set before"
            " its forward; False for the others)"
        )
        fix = "set model.require_backward_grad_sync = (i == n - 1) before each micro-batch's forward, or no_sync()"
        return [Finding("ddp: ranks' gradients differ", words, fix, evidence=EVIDENCE)]
    num = sum(float((got[0][n] * want[n]).sum()) for n in names)
    den = sum(float(want[n].pow(2).sum()) for n in names)
    c = num / den if den else math.nan
    # one factor for every tensor, to the next step's drift (the first step's update barely moves under Adam with a
    # clipped norm, so the last step's gradients keep the factor to ~1e-4)
    off = max(float((got[0][n] - c * want[n]).norm() / (c * want[n]).norm().clamp_min(1e-30)) for n in names)
    if _close(c, 1.0, 1e-4) or off > 1e-2:
        return []
    named = {1 / world: "divided by world_size once more", float(world): "summed over the ranks, not averaged"}
    what = next((w for f, w in named.items() if _close(c, f, 1e-3)), f"{c:.4g} times")
    words = f"under DDP every gradient is {c:.4g} times one process's: the loss or gradient is {what}"
    if _close(c, 1 / world, 1e-3):
        words += " (DDP already averages the ranks' gradients: divide the loss by the micro-steps only)"
    fix = "loss / n_micro_steps before backward(); DDP's all-reduce averages over the ranks itself"
    return [Finding(f"ddp: gradients {c:.3g}x", words, fix, evidence=EVIDENCE)]


def _close(a: float, b: float, rel: float = 1e-6) -> bool:
    if math.isinf(b) or math.isinf(a):
        return a == b
    return abs(a - b) <= rel * max(abs(a), abs(b), 1e-12)
