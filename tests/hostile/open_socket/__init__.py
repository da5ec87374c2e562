"""Opens sockets: to the internet and to an abstract unix socket the test listens on (abstract sockets
belong to the network namespace). Closed: the jail's network namespace is empty."""

import socket
from dataclasses import dataclass

ABSTRACT = "\0gpt2spec-hostile-socket"


def _attack() -> bool:
    for family, address in ((socket.AF_UNIX, ABSTRACT), (socket.AF_INET, ("1.1.1.1", 53))):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(address)
                return True
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
