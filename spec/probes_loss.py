"""The loss read off its gradient, for a loss no formula of spec/probes.py's catalogue fits.

The mean cross-entropy has a gradient with one shape at every position: d loss / d logits[n] = w * (softmax(logits[n])
- onehot(y[n])), with w = 1/N. Any cross-entropy, however it was written (shifted, summed, some positions left out),
keeps that shape, so the gradient says which target each position was scored against (y[n]) and how much it weighs
(w[n], zero where a position is not scored), without guessing the formula. A loss whose gradient has another shape
is not a cross-entropy of the logits; whether it reads the targets at all is then measured by changing them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gpt2spec import bugs
from gpt2spec.verdicts import Finding

FIX = "loss = F.cross_entropy(logits.view(-1, V), targets.view(-1)): every position against its own target, the mean"
EVIDENCE = "read off the gradient of your loss with respect to your logits"


def loss_read(model: torch.nn.Module, idx: torch.Tensor, targets: torch.Tensor, V: int) -> list[Finding]:
    """What the loss of ``model(idx, targets)`` scores, read off its gradient (see the module docstring); [] when
    the gradient cannot be taken or shows nothing to name."""
    head = _head_output(model, idx, targets)
    if head is None:
        return []
    z, loss = head
    with torch.enable_grad():
        (g,) = torch.autograd.grad(loss.reshape(()), z, allow_unused=True)
    if g is None:
        return []
    z, g = z.detach()[..., :V], g[..., :V]  # a padded vocabulary's extra columns are never scored
    read = _read_cross_entropy(z, g)
    if read is None:
        return _not_a_cross_entropy(model, idx, targets, float(loss), z)
    weight, scored = read
    return _describe(weight, scored, targets, idx, float(loss), z)


def _head_output(model, idx, targets) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The lm_head's output (the tensor every loss is computed from, whatever forward does to it after) and the
    loss, as a scalar in the graph."""
    seen: list[torch.Tensor] = []
    head = getattr(model, "lm_head", None)
    if not isinstance(head, torch.nn.Module):
        return None
    hook = head.register_forward_hook(lambda _m, _i, out: seen.append(out))
    try:
        with torch.enable_grad():  # the probes run under no_grad
            _, loss = model(idx, targets)
    finally:
        hook.remove()
    if len(seen) != 1 or not isinstance(loss, torch.Tensor) or loss.numel() != 1 or not loss.requires_grad:
        return None
    if tuple(seen[0].shape[:2]) != tuple(idx.shape):
        return None
    return seen[0], loss


def _read_cross_entropy(z: torch.Tensor, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor] | None:
    """Per position (b, t): the weight w and the scored class y with g = w * (softmax(z) - onehot(y)), or None when
    some position's gradient has another shape. A position with a zero gradient has w = 0 (y = -1); a loss of the
    opposite sign has every w < 0."""
    p = z.softmax(-1)
    scale = g.abs().max()
    if scale == 0:
        return None
    zero = g.abs().amax(-1) <= 1e-12 * scale
    for sign in (1.0, -1.0):
        y = torch.where(zero, -1, (sign * g / p).argmin(-1))  # g_i / p_i = w off the target, w - w / p_y on it
        onehot = F.one_hot(y.clamp(min=0), z.size(-1)).to(z.dtype)
        w = torch.where(zero, 0.0, -(g * onehot).sum(-1) / (1 - (p * onehot).sum(-1)))
        if (w[..., None] * (p - onehot) - g).abs().max() <= 1e-9 * scale and bool((sign * w[~zero] > 0).all()):
            return w, y
    return None


def _describe(
    weight: torch.Tensor, scored: torch.Tensor, targets: torch.Tensor, idx: torch.Tensor, loss: float, z: torch.Tensor
) -> list[Finding]:
    T = targets.size(1)
    on = weight != 0
    said, tags = [], []
    shift = _shift(scored, targets, on)
    if shift is None and bool((scored[on] == idx[on]).all()):
        said.append("each position is scored against its own input token (idx), not its target")
        tags.append("loss: scored against the inputs")
    elif shift is None:
        said.append(_mapped(scored, targets, on))
        tags.append("loss: scored against other positions' targets")
    elif shift != 0:
        which = "before" if shift < 0 else "after"
        same_as = "; in training data that is the position's own input token" if shift == -1 else ""
        said.append(
            f"position t's logits are scored against targets[:, t {'-' if shift < 0 else '+'} {abs(shift)}], the target"
            f" of the position {abs(shift)} {which} it{same_as}; targets already are the next tokens: position t's"
            " target is targets[:, t]"
        )
        tags.append(f"loss: scored against targets shifted by {shift}")
    left_out = [t for t in range(T) if not bool(on[:, t].any())]
    if left_out and len(left_out) < T:
        said.append(f"positions t = {_positions(left_out, T)} of every row are never scored")
        tags.append("loss: positions left out")
    n = int(on.sum())
    w = weight[on]
    if n and bool(torch.allclose(w, w[0].expand_as(w), rtol=1e-6)) and not torch.isclose(w[0] * n, w.new_tensor(1.0)):
        tag, words = _weighed(float(w[0]), n, loss, float(F.cross_entropy(z[on], scored[on])))
        said.append(words)
        tags.append(tag)
    elif n and not bool(torch.allclose(w, w[0].expand_as(w), rtol=1e-6)):
        said.append("the scored positions do not weigh alike: not the mean over positions")
        tags.append("loss: positions weighted unequally")
    if not said:
        off = loss - float(F.cross_entropy(z[on], scored[on].clamp(min=0)))
        words = f"your loss has the gradient of the mean cross-entropy but is off by a constant {off:.4g}"
        return [Finding("loss: off by a constant", words, FIX, evidence=EVIDENCE)]
    if shift == 1 and left_out == [T - 1] and len(tags) == 2:  # the one reading the library has a bug for: its name
        known = bugs.by_name("loss-targets-shifted-again")
        return [Finding(known.name, known.why, known.fix, evidence=EVIDENCE)]
    return [Finding("; ".join(tags), "; ".join(said), FIX, evidence=EVIDENCE)]


def _shift(scored: torch.Tensor, targets: torch.Tensor, on: torch.Tensor) -> int | None:
    """The offset d with scored[b, t] == targets[b, t + d] at every scored position, the nearest to 0 (None if none)."""
    T = targets.size(1)
    for d in sorted(range(-(T - 1), T), key=abs):
        t = torch.arange(T)
        inside = (t + d >= 0) & (t + d < T)
        if bool(on[:, ~inside].any()):
            continue
        want = targets[:, (t + d).clamp(0, T - 1)]
        if bool((scored[on] == want[on]).all()):
            return d
    return None


def _weighed(w: float, n: int, loss: float, mean: float) -> tuple[str, str]:
    """(tag, words) for the weight every scored position has, n of them, named where it is a known factor / n."""
    total = w * n
    if total < 0:
        words = "your loss falls as the cross-entropy rises: its sign is flipped (minus the mean cross-entropy, the"
        return (
            "loss: sign flipped",
            words + " mean log-probability of the targets), so descent makes targets less likely",
        )
    if abs(total - loss) <= 1e-6 * abs(loss) and abs(loss - mean) > 1e-6:  # d exp(ce) / d ce = exp(ce) = the loss
        words = f"your loss is exp(the mean cross-entropy) = {loss:.6g}, the perplexity; the loss is the cross-entropy"
        return "loss: perplexity", words
    for label, factor, meaning in (
        ("1/ln 2", 1 / math.log(2), "the loss is in bits (log base 2); GPT-2's is in nats (natural log)"),
        ("1/ln 10", 1 / math.log(10), "the loss is in log base 10; GPT-2's is in nats (natural log)"),
        (str(n), n, "the sum over positions, not the mean"),
    ):
        if abs(total - factor) <= 1e-6 * factor:
            return f"loss: {meaning.split(';')[0]}", f"the {n} scored positions weigh {label} / {n} each: {meaning}"
    return (
        "loss: not the mean over positions",
        f"the {n} scored positions weigh {w:.4g} each, not 1/{n}: not their mean",
    )


def _mapped(scored: torch.Tensor, targets: torch.Tensor, on: torch.Tensor) -> str:
    """Which target each position was scored against, where the targets are all distinct: a few of them named, and
    the flattening order when the whole map is the time-major one."""
    B, T = targets.shape
    where = {int(v): (b, t) for b in range(B) for t in range(T) for v in [targets[b, t]]}
    if len(where) < B * T or not all(int(v) in where for v in scored[on]):
        return "the classes your loss scores are not the targets at any one offset"
    pairs = [((b, t), where[int(scored[b, t])]) for b in range(B) for t in range(T) if on[b, t]]
    flat_t = targets.t().reshape(-1).view(B, T)
    if bool((scored[on] == flat_t[on]).all()):
        return (
            "the targets are flattened time-major (targets.t(), or a transposed view) while the logits are flattened"
            " batch-major: position (b, t) is scored against another position's target"
        )
    wrong = [f"({b}, {t}) against targets[{b2}, {t2}]" for (b, t), (b2, t2) in pairs if (b, t) != (b2, t2)][:3]
    return "positions are scored against other positions' targets: " + ", ".join(wrong)


def _positions(ts: list[int], T: int) -> str:
    names = {0: "0 (the first)", T - 1: f"{T - 1} (the last)"}
    return ", ".join(names.get(t, str(t)) for t in ts)


def _not_a_cross_entropy(model, idx, targets, loss: float, z: torch.Tensor) -> list[Finding]:
    """A gradient of another shape: whether the loss reads the targets at all, measured by changing every one."""
    other = (targets + 1 + torch.arange(targets.numel()).view_as(targets)) % z.size(-1)
    with torch.no_grad():
        again = model(idx, other)[1]
    if not isinstance(again, torch.Tensor) or abs(float(again) - loss) > 1e-9 * max(1.0, abs(loss)):
        return []
    words = f"your loss never reads the targets: with every target changed it stays {loss:.6g}"
    entropy = torch.distributions.Categorical(logits=z).entropy().mean()
    if abs(float(entropy) - loss) <= 1e-9 * max(1.0, abs(loss)):
        words += " (it is the mean entropy of the predicted distributions)"
    return [Finding("loss: does not read the targets", words, FIX, evidence="the loss with every target changed")]
