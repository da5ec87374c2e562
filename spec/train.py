"""``python -m spec.train``, kept as an alias of ``gpt2spec train``: the tool lives in gpt2spec/."""

# alias kept by issue 12 (restructure.py)
import sys

from gpt2spec.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
