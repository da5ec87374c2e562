"""The text a training run reads, and the tokenizers that turn it into ids.

The split is made on the *text*, before any tokenizer sees it: for the complete works, whole plays
are held out (gpt2spec/training/corpus.py); for a ``--data FILE``, the first 90% of the characters
train and the rest validates. So every implementation in a race trains and validates on the same
bytes, whatever its tokenizer makes of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXCERPT = Path(__file__).resolve().parent / "shakespeare.txt"  # Coriolanus' opening, ~28 KB: tests


def split_text(text: str, train_fraction: float = 0.9) -> tuple[str, str]:
    """(train text, validation text), cut at a character so both are valid UTF-8."""
    cut = int(train_fraction * len(text))
    return text[:cut], text[cut:]


class ByteTokenizer:
    """UTF-8 bytes as tokens: always available, 256 ids, nothing to train."""

    name = "bytes"
    vocab_size = 256

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: list[int]) -> str:
        return bytes(ids).decode("utf-8", errors="replace")

    def decode_bytes(self, ids: list[int]) -> bytes:
        return bytes(ids)


class GPT2Tokenizer:
    """GPT-2's own BPE: tiktoken's ``gpt2`` Encoding built offline by gpt2spec/gpt2_vocab.py."""

    name = "gpt2"
    vocab_size = 50257

    def __init__(self) -> None:
        from gpt2spec.gpt2_vocab import gpt2_encoding

        self.enc = gpt2_encoding()

    def encode(self, text: str) -> list[int]:
        return self.enc.encode_ordinary(text)

    def decode(self, ids: list[int]) -> str:
        return self.enc.decode(ids)

    def decode_bytes(self, ids: list[int]) -> bytes:
        return self.enc.decode_bytes(ids)


class BPETokenizer:
    """A week-4 ``Tokenizer`` class (the participant's or the reference's) trained on the corpus itself.

    Special tokens are plain text when encoding (``encode_ordinary``): a corpus may contain
    ``<|endoftext|>``, and the contract's ``encode`` would refuse it.
    """

    name = "bpe"

    def __init__(self, cls: Any, text: str, vocab_size: int) -> None:
        self.tok = cls()
        self.tok.train(text, vocab_size)
        # A short text teaches fewer merges than asked: the model is sized from what was learned, read from the
        # contract's ``vocab`` (every id it can produce, the largest + 1), not from an attribute the contract does
        # not grade (a vocab_size that returns the largest id would size the model one row short).
        vocab = getattr(self.tok, "vocab", None)
        learned = max(vocab) + 1 if isinstance(vocab, dict) and vocab and all(isinstance(i, int) for i in vocab) else 0
        self.vocab_size = learned if 0 < learned <= vocab_size else vocab_size

    def encode(self, text: str) -> list[int]:
        return list(self.tok.encode_ordinary(text))

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(list(ids))

    def decode_bytes(self, ids: list[int]) -> bytes:
        if hasattr(self.tok, "decode_bytes"):
            return bytes(self.tok.decode_bytes(list(ids)))
        return self.tok.decode(list(ids)).encode("utf-8")


def make_tokenizer(kind: str, tokenizer_cls: Any, text: str, bpe_vocab_size: int):
    """``auto``/``bpe``: the chosen week-4 Tokenizer trained on ``text``; ``gpt2``: GPT-2's, offline; ``bytes``."""
    if kind in ("auto", "bpe"):
        return BPETokenizer(tokenizer_cls, text, bpe_vocab_size)
    if kind == "gpt2":
        from gpt2spec.gpt2_vocab import Gpt2VocabError

        try:
            return GPT2Tokenizer()
        except Gpt2VocabError as exc:
            raise SystemExit(f"--tokenizer gpt2: {exc}") from exc
    return ByteTokenizer()


# ---------------------------------------------------------------- do the samples read as English?

WORD = re.compile(r"[a-z]+")


@dataclass(frozen=True)
class WordShare:
    known: int
    total: int

    @property
    def fraction(self) -> float:
        return self.known / self.total if self.total else 0.0


def word_set(text: str) -> frozenset[str]:
    """The words of ``text``: runs of letters, lower-cased (so "I'll" is "i" and "ll")."""
    return frozenset(WORD.findall(text.lower()))


def word_share(samples: list[str], known: frozenset[str]) -> WordShare:
    """How many of the generated words (letters only, lower-cased) occur in the training text."""
    words = [w for text in samples for w in WORD.findall(text.lower())]
    return WordShare(sum(w in known for w in words), len(words))
