"""Does not parse."""

from .config import GPTConfig  # noqa: F401
