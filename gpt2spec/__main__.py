"""``python -m gpt2spec CMD``: the same as the ``gpt2spec CMD`` console script."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
