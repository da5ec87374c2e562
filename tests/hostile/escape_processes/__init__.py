"""Leaves processes behind: a double-forked daemon in a new session (the issue's one rewrote report.json
after the grader exited) and children in process groups of their own (setpgid(0, 0)), which a kill of
the grader's process group misses. Closed by the pid namespace: all die with the grade. Each process is
a `sleep` whose command line carries MARK, so the test can look for survivors."""

import os
import time
from dataclasses import dataclass

MARK = "gpt2spec-hostile-survivor"


def _sleeper() -> None:
    os.execv("/bin/sh", ["sh", "-c", "sleep 120; :", MARK])


def _attack() -> bool:
    if os.fork() == 0:  # the daemon: fork, setsid, fork
        os.setsid()
        if os.fork() == 0:
            _sleeper()
        os._exit(0)
    for _ in range(4):
        if os.fork() == 0:
            os.setpgid(0, 0)
            _sleeper()
    time.sleep(0.5)
    return False


WON = _attack()


@dataclass
class GPTConfig:
    block_size: int = 1024 if WON else 1  # right (and worth points) only if the attack worked
    vocab_size: int = 50257
    n_layer: int = 12
    n_head: int = 12
    n_embd: int = 768
