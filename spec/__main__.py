"""``python -m spec new``, kept as an alias of ``gpt2spec new``: the tool lives in gpt2spec/."""

# alias kept by issue 12 (restructure.py)
import sys

from gpt2spec.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
