"""``python -m reference.train``: the one training driver, gpt2spec/training/train.py, with the reference selected.

It is ``gpt2spec train --impl reference``: the same options (presets, --data, --device,
--resume, --compile, torchrun DDP, samples, the loss plot), documented there. The reference package
holds the answer key only; the command that trains any implementation, the reference included,
lives in the spec.
"""

from __future__ import annotations

import sys

from gpt2spec.training.train import main as _train


def main(argv: list[str] | None = None) -> int:
    return _train(["--impl", "reference", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
