"""spec/diagnose.py names the first diverging component and records the bug for the one Diagnosis section
(gpt2spec/verdicts.py), for the model mutants and a few more bugs of the same families (each applied to the
reference as a source edit)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gpt2spec import verdicts
from gpt2spec.known_bugs import ALL
from gpt2spec.registry import Implementation, ImplRef, import_impl
from spec import diagnose
from spec.test_gpt import TINY, batch, make_gpt

from .mutation import Mutant

BY_NAME = {m.name: m for m in ALL}
EXTRA = [  # same mechanism as the mutants, for bugs the diagnosis knows but no spec test needs a mutant for
    Mutant("ln-eps-1e-12", "layernorm.py", "eps: float = 1e-5", "eps: float = 1e-12", ("-",), "layernorm", "eps"),
    Mutant("relu", "mlp.py", 'F.gelu(self.c_fc(x), approximate="tanh")', "F.relu(self.c_fc(x))", ("-",), "mlp", "relu"),
    Mutant("no-scale", "attention.py", "scale=1.0 / math.sqrt(k.size(-1))", "scale=1.0", ("-",), "attention", "scale"),
    # The MLP called through a functional path (no hook fires on it), with exact GELU: the diagnosis must not
    # stop at "not reached by your forward", but find the bug in the block's output.
    Mutant(
        "functional-mlp-exact-gelu",
        "block.py",
        "x = x + self.mlp(self.ln_2(x))",
        "x = x + self.mlp.c_proj(torch.nn.functional.gelu(self.mlp.c_fc(self.ln_2(x))))",
        ("-",),
        "block",
        "MLP called functionally, exact GELU",
    ),
]
EXTRA.append(  # no block runs (v25: blocks zipped with `cache or []`): ln_f reads the embeddings, not "the wiring"
    Mutant(
        "no-block-runs",
        "gpt.py",
        "for i, block in enumerate(self.transformer.h):",
        "for i, block in enumerate(self.transformer.h[:0]):",
        ("-",),
        "gpt",
        "no block runs",
    )
)
EXPECTED = {  # mutant -> (first diverging component, the verdict's tag)
    "no-causal-mask": ("h.0.attn", "no-causal-mask"),
    "attention-scale-by-C": ("h.0.attn", "attention-scale-by-C"),
    "unbiased-variance": ("h.0.ln_1", "unbiased-variance"),
    "eps-outside-sqrt": ("h.0.ln_1", "eps-outside-sqrt"),
    "post-ln": ("h.0.ln_1", "post-ln"),
    "untied-head": ("every activation matches", "untied-head"),
    "no-position-embedding": ("embeddings", "no-position-embedding"),
    "loss-targets-shifted-again": ("every activation matches", "loss-targets-shifted-again"),
    "ln-eps-1e-12": ("h.0.ln_1", "layernorm-eps-1e-12"),
    "relu": ("h.0.mlp", "relu-instead-of-gelu"),
    "no-scale": ("h.0.attn", "no-attention-scale"),
    # misdiagnosed before (issue 14): ones/zeros LayerNorms hid it ("every activation matches")
    "shared-layernorm": ("h.0.mlp", "shared-layernorm"),
    # misdiagnosed before: at fp32 tolerances the GELU error hid in the MLP and a wiring variant matched the block
    "exact-gelu": ("h.0.mlp", "exact-gelu"),
    # stopped before at "h.0.mlp: not reached by your forward"
    "functional-mlp-exact-gelu": ("h.0 (block output)", "exact-gelu"),
    # only "NaN at T=0" and a generic hint before
    "mask-hides-diagonal": ("h.0.attn", "mask-hides-diagonal"),
    # told "ln_f's input differs: the wiring around it", with the pre-LN fix, before (v25)
    "no-block-runs": ("ln_f", f"blocks: none of {TINY['n_layer']} run"),
}


@pytest.mark.parametrize("name", EXPECTED)
def test_diagnosis_names_component_and_bug(name: str, tmp_path: Path) -> None:
    """Where the divergence starts goes into the message; the bug, as the only verdict, into the Diagnosis."""
    mutant = BY_NAME.get(name) or next(m for m in EXTRA if m.name == name)
    pkg = mutant.materialize(tmp_path)
    ref = ImplRef(f"diag-{name}", pkg)
    ours, hf = make_gpt(Implementation(ref, import_impl(ref)), "tiny", torch.float32)
    idx, targets = batch(TINY["vocab_size"])
    verdicts.take()
    where = diagnose.explain(ours, hf, idx, targets)
    section = verdicts.section(verdicts.take())
    component, tag = EXPECTED[name]
    assert component in where, where
    named, _ = verdicts.verdict(section)
    assert named == [tag], f"{where}\n{section}"
    assert "not reached" not in where, where


def test_reference_has_no_divergence() -> None:
    ref = ImplRef("reference", Path(__file__).resolve().parent.parent / "impls" / "reference")
    for dtype in (torch.float32, torch.float64):
        ours, hf = make_gpt(Implementation(ref, import_impl(ref)), "tiny", dtype)
        idx, targets = batch(TINY["vocab_size"])
        text = diagnose.explain(ours, hf, idx, targets)
        hf.float()
        assert "every activation matches" in text and "first divergence" not in text, text


def test_never_raises() -> None:
    text = diagnose.explain(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2), torch.zeros(1, 2))
    assert text.startswith("(first-divergence walk unavailable"), text
