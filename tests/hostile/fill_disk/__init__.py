"""Fills the disk (here: up to 1 GiB, in files of 32 MiB, in the working directory and /tmp). Closed:
the only writable place is a size-limited tmpfs."""

import os
from dataclasses import dataclass

CHUNK = b"\0" * (1 << 20)


def _attack() -> bool:
    written = 0
    for i in range(32):
        try:
            with open(os.path.join("/tmp", f"gpt2spec-hostile-fill-{os.getpid()}-{i}"), "wb") as f:
                for _ in range(32):
                    f.write(CHUNK)
                    written += len(CHUNK)
        except OSError:
            break
    for i in range(32):
        try:
            os.unlink(os.path.join("/tmp", f"gpt2spec-hostile-fill-{os.getpid()}-{i}"))
        except OSError:
            pass
    return written >= 1 << 30


WON = _attack()


@dataclass
class GPTConfig:
    block_size: int = 1024 if WON else 1  # right (and worth points) only if the attack worked
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
