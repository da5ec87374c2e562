"""Run the spec on another device: ``pytest spec --device cuda`` (the plugin's option, used by ``gpt2spec gpu-check``).

The spec's tests create their tensors and modules with torch's factories and no ``device=``; under
:class:`OnDevice` those land on the chosen device instead of the CPU, so no test has to thread a device
through. One exception needs care: a factory that draws from a CPU ``torch.Generator`` (the spec seeds
its inputs that way) cannot create on CUDA, so it draws on the CPU, which gives the very numbers a CPU run
sees, and the result is moved.
"""

from __future__ import annotations

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._device import _device_constructors  # the factories torch.set_default_device redirects


class OnDevice(TorchFunctionMode):
    """Like ``torch.set_default_device(device)``, but a factory given a generator on another device draws
    there and moves its result to ``device``."""

    def __init__(self, device: str | torch.device) -> None:
        super().__init__()
        self.device = torch.device(device)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func in _device_constructors() and kwargs.get("device") is None:
            generator = kwargs.get("generator")
            if generator is not None and generator.device.type != self.device.type:
                return func(*args, **kwargs).to(self.device)
            kwargs["device"] = self.device
        return func(*args, **kwargs)


def check_device(device: str) -> str | None:
    """Why ``device`` cannot run the spec here, in one line; None when it can."""
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        return f"--device {device}: {exc}"
    if dev.type == "cuda" and not torch.cuda.is_available():
        return f"--device {device}: no CUDA device (torch {torch.__version__}, built with CUDA {torch.version.cuda})"
    return None
