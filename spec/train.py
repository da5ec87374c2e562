"""``python -m spec.train``, kept as an alias of ``gpt2spec train``: the tool lives in gpt2spec/."""

# The tool moved to gpt2spec/ (issue 12); this module keeps the documented command working.
import sys

from gpt2spec.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
