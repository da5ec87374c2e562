"""Reading a local Hugging Face GPT-2 checkpoint (config.json + model.safetensors) without transformers.

The safetensors format is an 8-byte little-endian header length, a JSON header mapping each tensor
name to its dtype, shape and byte range, then the raw bytes. Nothing here touches the network.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_local_checkpoint(name_or_path: str) -> tuple[dict, dict[str, torch.Tensor]]:
    import json

    directory = _locate(name_or_path)
    hparams = json.loads((directory / "config.json").read_text())
    return hparams, read_safetensors(directory / "model.safetensors")


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    import json

    raw = path.read_bytes()
    header_len = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + header_len])
    data = memoryview(raw)[8 + header_len :]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        flat = torch.frombuffer(bytearray(data[start:end]), dtype=dtype) if end > start else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"])
    return tensors


def _locate(name_or_path: str) -> Path:
    direct = Path(name_or_path).expanduser()
    if (direct / "config.json").is_file():
        return direct
    home = Path(os.environ.get("HF_HOME", Path.home() / ".cache" / "huggingface"))
    hub = Path(os.environ.get("HF_HUB_CACHE", home / "hub"))
    snapshots = hub / f"models--{name_or_path.replace('/', '--')}" / "snapshots"
    found = sorted(p for p in snapshots.glob("*") if (p / "model.safetensors").is_file())
    if not found:
        raise FileNotFoundError(f"no local checkpoint for {name_or_path!r}: not a directory, not in {snapshots}")
    return found[-1]
