"""Week 3: ``GPT.from_pretrained(name_or_path)`` — loading saved Hugging Face GPT-2 weights.

The directory test always runs (a tiny model saved by HF's ``save_pretrained``). The
real-weights tests run when GPT-2 124M is on disk — ``--hf-model PATH`` or ``gpt2`` in the
local HF cache — and otherwise skip with the reason. Nothing here can download: the
plugin sets HF_HUB_OFFLINE=1 and every lookup passes local_files_only=True.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from .assertions import assert_close, assert_equal
from .oracles import TINY, hf_gpt2, hf_lm

pytestmark = pytest.mark.week3

# "Hello, I'm a language model," in GPT-2's BPE: fixed ids, so no tokenizer is needed.
PROMPT = [15496, 11, 314, 1101, 257, 3303, 2746, 11]


def test_from_pretrained_reads_a_local_directory(impl, tmp_path: Path):
    """Clause: GPT.from_pretrained(directory) builds the config from config.json and loads the weights
    (model.safetensors) of a directory written by HF's save_pretrained, reproducing HF's logits.
    Catches: a config read from defaults instead of config.json, weights not transposed, an
    implementation that only accepts hub names (and would try to download)."""
    hf = hf_lm(TINY, seed=11)
    hf.save_pretrained(tmp_path)
    model = impl.GPT.from_pretrained(str(tmp_path))
    assert model.config.n_layer == TINY["n_layer"] and model.config.vocab_size == TINY["vocab_size"], (
        f"config not taken from config.json: got {model.config}"
    )
    idx = torch.tensor([[1, 5, 7, 2, 9]])
    with torch.no_grad():
        assert_close(
            model.eval()(idx)[0], hf(idx).logits, atol=1e-4, what="logits after from_pretrained", dims=("B", "T", "V")
        )


def real_weights_dir(config: pytest.Config) -> Path:
    """The directory holding real GPT-2 124M weights, or skip saying exactly where we looked."""
    explicit = config.getoption("--hf-model")
    if explicit:
        path = Path(explicit).expanduser()
        if not (path / "config.json").is_file():
            pytest.skip(f"--hf-model {explicit}: no config.json in {path}")
        return path
    from huggingface_hub import constants, snapshot_download

    for repo_id in ("openai-community/gpt2", "gpt2"):
        try:
            return Path(snapshot_download(repo_id, local_files_only=True))
        except Exception:
            continue
    pytest.skip(
        f"real GPT-2 weights not found: no 'openai-community/gpt2' or 'gpt2' in the HF cache at "
        f"{constants.HF_HUB_CACHE}, and no --hf-model PATH given (tests never download)"
    )


@pytest.fixture(scope="module")
def real_hf(request: pytest.FixtureRequest):
    path = real_weights_dir(request.config)
    return path, hf_gpt2().GPT2LMHeadModel.from_pretrained(path, local_files_only=True).eval()


@pytest.mark.real_weights
@pytest.mark.slow
def test_real_weights_logits(impl, real_hf):
    """Clause: with the real 124M weights, the implementation's logits equal HF's on a fixed prompt (fp32).
    Catches: bugs invisible at random init — exact vs tanh GELU, LayerNorm eps — because real activations
    are large. Tolerance 1e-3 on logits of magnitude ~100 (fp32 accumulation over 12 layers)."""
    path, hf = real_hf
    model = impl.GPT.from_pretrained(str(path)).eval()
    idx = torch.tensor([PROMPT])
    with torch.no_grad():
        assert_close(
            model(idx)[0], hf(idx).logits, atol=1e-3, rtol=1e-4, what="real GPT-2 logits", dims=("B", "T", "V")
        )


@pytest.mark.real_weights
@pytest.mark.slow
def test_real_weights_greedy_continuation(impl, real_hf):
    """Clause: greedy decoding (temperature=0) of the fixed prompt with the real weights gives HF's tokens.
    Catches: anything that changes GPT-2's actual predictions (a component bug, a wrong weight transpose)."""
    path, hf = real_hf
    model = impl.GPT.from_pretrained(str(path)).eval()
    idx = torch.tensor([PROMPT])
    expected = hf.generate(
        idx, attention_mask=torch.ones_like(idx), max_new_tokens=16, do_sample=False, pad_token_id=50256
    )
    assert_equal(model.generate(idx, 16, temperature=0.0), expected, what="greedy continuation with real weights")
