"""What the spec runs next to the implementation's objects, with ``impl.run(fn, ...)``: in the test's own process
by default, in the implementation's process under ``--isolate`` (gpt2spec/remote), where those objects live.

Keep this module light: it is imported in the implementation's process, so it imports torch only (never
pytest, the oracles or the answer key: the participant's code must not find them loaded there).
"""

from __future__ import annotations

import inspect

import torch
from torch import nn


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set every group's learning rate, as the contract's training loop does before each step."""
    for group in optimizer.param_groups:
        group["lr"] = lr


def takes_keyword(fn: object, name: str) -> bool:
    """Whether ``fn`` has a parameter called ``name`` (a ``**kwargs`` that swallows it does not count)."""
    try:
        return name in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # no signature to read: a builtin, or not callable
        return False


def loss_under_autocast(model: nn.Module, x: torch.Tensor, y: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``model(x, y)``'s loss with the forward pass under ``torch.autocast(x's device, dtype)``, without a graph."""
    with torch.no_grad(), torch.autocast(x.device.type, dtype=dtype):
        return model(x, y)[1]


def capture(model: nn.Module, components: list[tuple[str, nn.Module]], idx: torch.Tensor) -> dict[str, tuple]:
    """Run ``model(idx)`` with hooks; return each component's (input, output) the first time it runs. The
    component named "embeddings" is read as its module's input (the first block's), the others as outputs."""
    seen: dict[str, tuple] = {}
    handles = []
    for name, module in components:
        if name == "embeddings":
            handles.append(module.register_forward_pre_hook(_pre_hook(name, seen)))
        else:
            handles.append(module.register_forward_hook(_hook(name, seen)))
    try:
        model(idx)
    finally:
        for h in handles:
            h.remove()
    return seen


def first_tensor(x: object) -> torch.Tensor:
    return x[0] if isinstance(x, tuple | list) else x


def _pre_hook(name: str, seen: dict):
    def hook(module, args):
        seen.setdefault(name, (None, first_tensor(args).detach().clone()))

    return hook


def _hook(name: str, seen: dict):
    def hook(module, args, output):
        x = first_tensor(args).detach().clone() if args else None
        seen.setdefault(name, (x, first_tensor(output).detach().clone()))

    return hook


# ---------------------------------------------------------------- arithmetic below the input's precision

LOW_PRECISION = (torch.float16, torch.bfloat16)


def low_precision(module: nn.Module, *inputs: torch.Tensor) -> tuple[str, str, str, int, str] | None:
    """Run ``module(*inputs)`` (float32 or float64, no autocast around it) and return the first operation whose
    floating result is float16 or bfloat16, or (a float64 call) float32 made from a float64 operand, as
    (operation, dtype, file, line, source line) at the innermost line of the module's own package that issued
    it; when that line casts nothing itself, the nearest line above it (in its function or a caller's) that
    enters an autocast region. None when every operation keeps the precision it was given. (Autocast's own flag
    reads False inside a dispatch mode, so the source says it.) A float32 tensor made from nothing (a mask
    built with torch.ones) is no cast: only float64 narrowed to float32 counts."""
    import inspect
    import linecache
    import sys
    from pathlib import Path

    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_leaves

    root = Path(inspect.getfile(type(module))).resolve().parent
    first: list[tuple[str, str, str, int, str]] = []

    def own_frames():
        """The frames of the module's own package on the stack, innermost first."""
        frame = sys._getframe(2)
        while frame is not None:
            path = Path(frame.f_code.co_filename)
            if path.is_absolute() and path.resolve().is_relative_to(root):
                yield frame
            frame = frame.f_back

    def line_of(frame, n: int) -> tuple[str, int, str]:
        return frame.f_code.co_filename, n, linecache.getline(frame.f_code.co_filename, n).strip()

    def place() -> tuple[str, int, str] | None:
        """The innermost own line; when it casts nothing itself, the nearest own line above it (in its function or
        a caller's) that enters an autocast region."""
        frames = list(own_frames())
        if not frames:
            return None
        here = line_of(frames[0], frames[0].f_lineno)
        if any(word in here[2] for word in ("half", "16", "dtype", ".to(")):  # its own cast
            return here
        for frame in frames:
            for n in range(frame.f_lineno, frame.f_code.co_firstlineno - 1, -1):
                if "autocast" in linecache.getline(frame.f_code.co_filename, n):
                    return line_of(frame, n)
        return here

    wide = any(p.dtype == torch.float64 for p in module.parameters())
    made: list[tuple[str, str, str, int, str]] = []  # float32 cast from integers in a float64 module (one-hot rows)

    class Recorder(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            given = [t for t in tree_leaves((args, kwargs)) if isinstance(t, torch.Tensor)]
            made_32 = any(isinstance(t, torch.Tensor) and t.dtype == torch.float32 for t in tree_leaves(out))
            if not first:
                narrowed = any(t.dtype == torch.float64 for t in given)
                low = next((t.dtype for t in tree_leaves(out) if isinstance(t, torch.Tensor)
                            and t.dtype in LOW_PRECISION), torch.float32 if narrowed and made_32 else None)  # fmt: skip
                at = place() if low is not None else None
                if at is not None:
                    first.append((str(func.overloadpacket.__name__), str(low).removeprefix("torch."), *at))
            if wide and not made and made_32 and given and not any(t.is_floating_point() for t in given):
                at = place()
                if at is not None:
                    made.append((str(func.overloadpacket.__name__), "float32", *at))
            return out

    try:
        with torch.no_grad(), Recorder():
            module(*inputs)
    except RuntimeError as err:  # float32 met float64 further on: the cast that made it is the place
        if first:
            return first[0]
        if made and ("dtype" in str(err) or "scalar type" in str(err)):
            return made[0]
        raise
    return first[0] if first else None
