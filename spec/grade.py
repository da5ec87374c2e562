"""``python -m spec.grade``, kept as an alias of ``gpt2spec grade``: the tool lives in gpt2spec/."""

# The tool moved to gpt2spec/ (issue 12); this module keeps the documented command working.
import sys

from gpt2spec.cli import main

if __name__ == "__main__":
    sys.exit(main(["grade", *sys.argv[1:]]))
