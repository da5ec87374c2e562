"""Finds the grader's reference/*.py through sys.path, copies them into a private subpackage of its own
and imports them relatively (100/100 in the issue). Closed: its own folder is read-only in the jail."""

import os
import shutil
import sys
from dataclasses import dataclass


def _attack() -> bool:
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        source = os.path.join(entry, "reference", "config.py")
        if os.path.isfile(source):
            try:
                shutil.copyfile(source, os.path.join(here, "_stolen.py"))
                return True
            except OSError:
                return False
    return False


WON = _attack()


if WON:
    from ._stolen import GPTConfig as _Stolen  # noqa: F401  (the answer key, copied)


@dataclass
class GPTConfig:
    block_size: int = 1024 if WON else 1  # right (and worth points) only if the attack worked
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
