"""Run the spec on another device: ``pytest spec --device cuda`` (the plugin's option, used by ``gpt2spec gpu-check``).

The spec's tests create their tensors and modules with torch's factories and no ``device=``; under
:class:`OnDevice` those land on the chosen device instead of the CPU, so no test has to thread a device
through. One exception needs care: the spec seeds its inputs and its sampling with CPU ``torch.Generator``s,
and CUDA refuses to draw from one. So a random op given a generator on another device runs on the
generator's device, which gives the very numbers a CPU run sees, and its result is moved: a factory
(``torch.randint(..., generator=g)``) and an op on tensors (``torch.multinomial(probs, 1, generator=g)``
inside ``generate``) alike. In-place ops (``t.normal_(generator=g)``) are left alone: run on a copy they
would not change ``t``.
"""

from __future__ import annotations

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._device import _device_constructors  # the factories torch.set_default_device redirects
from torch.utils._pytree import tree_map


class OnDevice(TorchFunctionMode):
    """Like ``torch.set_default_device(device)``, but a random op given a generator on another device runs
    there and its result is moved to ``device``."""

    def __init__(self, device: str | torch.device) -> None:
        super().__init__()
        self.device = torch.device(device)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        generator = kwargs.get("generator")
        foreign = generator is not None and generator.device.type != self.device.type
        if func in _device_constructors() and kwargs.get("device") is None:
            if foreign:
                return func(*args, **kwargs).to(self.device)
            kwargs["device"] = self.device
        elif foreign and not getattr(func, "__name__", "_").endswith("_"):
            args, kwargs = tree_map(lambda x: _moved(x, generator.device), (args, kwargs))
            return tree_map(lambda x: _moved(x, self.device), func(*args, **kwargs))
        return func(*args, **kwargs)


def _moved(x: object, device: torch.device) -> object:
    return x.to(device) if isinstance(x, torch.Tensor) else x


def check_device(device: str) -> str | None:
    """Why ``device`` cannot run the spec here, in one line; None when it can."""
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        return f"--device {device}: {exc}"
    if dev.type == "cuda" and not torch.cuda.is_available():
        return f"--device {device}: no CUDA device (torch {torch.__version__}, built with CUDA {torch.version.cuda})"
    return None
