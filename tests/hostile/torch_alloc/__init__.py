"""Asks torch for 64 GiB while being imported: torch's allocator fails with a RuntimeError, not a
MemoryError; it is still out-of-memory (once reported as a plain import error)."""

import torch

hog = torch.empty(64 << 30, dtype=torch.uint8)
