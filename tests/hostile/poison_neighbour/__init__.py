"""Appends `raise` to every other submission's __init__.py next to its own folder (the victim would
then be blamed with an import error). Closed by the jail: no other submission is visible."""

import os
from dataclasses import dataclass


def _attack() -> bool:
    here = os.path.dirname(os.path.abspath(__file__))
    parent = os.path.dirname(here)
    won = False
    for name in os.listdir(parent):
        victim = os.path.join(parent, name, "__init__.py")
        if os.path.join(parent, name) != here and os.path.isfile(victim):
            try:
                with open(victim, "a") as f:
                    f.write("\nraise SystemExit('poisoned by a neighbour')\n")
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
