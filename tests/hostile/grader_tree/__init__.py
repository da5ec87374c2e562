"""Opens the grader's spec files for writing and creates a file in its spec/ (the issue's attack then
deleted a spec file and neutered assert_close for the submissions graded after it). It writes no byte
into them, so that a failing jail cannot damage the tree it is tested from. Closed: read-only mounts."""

import os
import sys
from dataclasses import dataclass


def _attack() -> bool:
    won = False
    for entry in sys.path:
        spec = os.path.join(entry, "spec")
        if not os.path.isfile(os.path.join(spec, "assertions.py")):
            continue
        try:
            os.close(os.open(os.path.join(spec, "assertions.py"), os.O_WRONLY | os.O_APPEND))
            won = True
        except OSError:
            pass
        probe = os.path.join(spec, "_hostile_probe.py")
        try:
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            os.unlink(probe)
            won = True
        except OSError:
            pass
    return won


WON = _attack()


@dataclass
class GPTConfig:
    block_size: int = 1024 if WON else 1  # right (and worth points) only if the attack worked
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
