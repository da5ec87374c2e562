"""Registers the answer key (reference/) as an implementation, so ``--impl=reference`` grades it."""

from reference import *  # noqa: F403
from reference import __all__  # noqa: F401
