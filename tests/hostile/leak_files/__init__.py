"""Writes a file into every shared place it can think of (/tmp, /var/tmp, /dev/shm, the home cache), to
leak to the next submission or to persist. Closed: only a private tmpfs is writable; the test checks
that none of these files appears on the host."""

import os
from dataclasses import dataclass

NAME = "gpt2spec-hostile-leak"
PLACES = ["/tmp", "/var/tmp", "/dev/shm", os.path.expanduser("~/.cache"), os.path.expanduser("~root/.cache")]


def _attack() -> bool:
    for place in PLACES:
        try:
            with open(os.path.join(place, NAME), "w") as f:
                f.write("left behind by a graded submission\n")
        except OSError:
            pass
    return False


WON = _attack()


@dataclass
class GPTConfig:
    block_size: int = 1024 if WON else 1  # right (and worth points) only if the attack worked
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
