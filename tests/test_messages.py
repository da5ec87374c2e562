"""Failure messages say what is wrong: each spec test is called directly on one mutant (or a small stand-in
implementation) and the text of its AssertionError is checked for the diagnosis it must name."""

from __future__ import annotations

import functools
import types
from pathlib import Path

import pytest
import torch

from gpt2spec import verdicts
from gpt2spec.known_bugs import ALL
from gpt2spec.registry import Implementation, ImplRef, import_impl
from spec import (
    test_attention,
    test_block,
    test_generate,
    test_gpt,
    test_layernorm,
    test_tokenizer_training,
    test_training,
)

ROOT = Path(__file__).resolve().parent.parent
BY_NAME = {m.name: m for m in ALL}


def mutant_impl(name: str, tmp_path: Path) -> Implementation:
    ref = ImplRef(f"msg-{name}", BY_NAME[name].materialize(tmp_path))
    return Implementation(ref, import_impl(ref))


def reference_impl() -> Implementation:
    ref = ImplRef("reference", ROOT / "impls" / "reference")
    return Implementation(ref, import_impl(ref))


def failure(test, *args) -> str:
    """The failure message, then the one Diagnosis section written from what the test recorded."""
    verdicts.take()
    with pytest.raises(AssertionError) as excinfo:
        test(*args)
    return f"{excinfo.value}\n{verdicts.section(verdicts.take())}"


def test_known_small_example_names_the_tie_break(tmp_path: Path) -> None:
    """A tie broken towards the larger ids fails the Wikipedia example with a message that says it is a tie."""
    text = failure(test_tokenizer_training.test_known_small_example, mutant_impl("tie-break-largest-id", tmp_path))
    assert "TIE-BREAK" in text and "both occur 2 times" in text, text


def test_known_small_example_names_a_counting_error(tmp_path: Path) -> None:
    """Stale incremental counts are a counting error, not a tie-break, and the message says which."""
    impl = mutant_impl("stale-neighbour-counts", tmp_path)
    try:
        test_tokenizer_training.test_known_small_example(impl)
    except AssertionError as exc:  # the example may or may not expose stale counts; if it does, no tie is blamed
        assert "TIE-BREAK" not in str(exc), str(exc)


def test_merges_stay_inside_pre_tokens_reports_a_crash_as_a_crash() -> None:
    """A train() that raises is reported as a crash of training, not as tokens spanning pre-token boundaries."""

    class Crashing:
        def train(self, text, vocab_size, special_tokens=()):
            raise KeyError((104, 101))

    impl = types.SimpleNamespace(name="crashing-tokenizer", Tokenizer=Crashing)
    text = failure(test_tokenizer_training.test_merges_stay_inside_pre_tokens, impl)
    assert "train() crashed" in text and "KeyError" in text and "span pre-token boundaries" not in text, text


def test_parameter_count_names_a_padded_vocabulary() -> None:
    """A default vocabulary padded to 50,304 (+36,096) is named as such, not as an untied head or a bias."""
    ref = reference_impl()
    padded = types.SimpleNamespace(GPT=ref.GPT, GPTConfig=functools.partial(ref.GPTConfig, vocab_pad_multiple=64))
    text = failure(test_gpt.test_parameter_count_124M, padded)
    assert "+36,096" in text and "padded to 50,304" in text, text


@pytest.mark.parametrize(
    "name,step",
    [("no-warmup", 1), ("accumulation-not-divided", 0)],
    ids=["optimizer-from-step-1", "loss-at-step-0"],
)
def test_trajectory_names_the_first_differing_step(name: str, step: int, tmp_path: Path) -> None:
    """The 10-step trajectory failure shows both loss columns and the first step that differs."""
    text = failure(test_training.test_ten_step_loss_trajectory_matches_reference, mutant_impl(name, tmp_path))
    assert f"first at step {step}:" in text and "yours" in text and "reference" in text, text
    assert "<- first difference" in text.splitlines()[2 + step], text


# ---------------------------------------------------------------- hints follow the symptom (issue 15)

LAYERNORM_TESTS = (
    test_layernorm.test_parity_with_torch,
    test_layernorm.test_eps_inside_sqrt_on_small_variance,
    test_layernorm.test_biased_variance,
    test_layernorm.test_weight_and_bias_applied,
)


@pytest.mark.parametrize(
    "name", ["unbiased-variance", "layernorm-no-centering", "layernorm-weight-bias-swapped", "layernorm-wrong-dim"]
)
def test_layernorm_tests_agree_on_the_bug(name: str, tmp_path: Path) -> None:
    """Every LayerNorm test a bug fails names that same bug as its one verdict, instead of four fixed and
    contradictory hints; the message then points to the Diagnosis, which exists."""
    impl = mutant_impl(name, tmp_path)
    failed, named_it = 0, 0
    for test in LAYERNORM_TESTS:
        verdicts.take()
        try:
            test(impl)
        except AssertionError as exc:
            failed += 1
            named, fix = verdicts.verdict(verdicts.section(verdicts.take()))
            # on near-constant input round-off can hide a bug (layernorm-wrong-dim): then no verdict, never another
            assert named in ([name], []), (test.__name__, named, str(exc))
            if named:
                named_it += 1
                assert fix and "see the Diagnosis below" in str(exc), str(exc)
    # layernorm-wrong-dim: normalising over the wrong dim is hidden by round-off on the near-constant inputs,
    # so only the parity test can name it (measured 3 Dec: 4 failed, 1 named, none named another bug)
    least = 1 if name == "layernorm-wrong-dim" else 2
    assert failed >= 2 and named_it >= least, f"{name}: {failed} LayerNorm tests failed, {named_it} named it"


@pytest.mark.parametrize(
    "name,component,test",
    [
        ("no-c-proj", "attention", test_generate.test_greedy_matches_hf),
        (
            "shared-layernorm",
            "block",
            lambda impl: test_generate.test_kv_cached_generation_equals_recomputation(impl, 1, 34),
        ),
        ("no-attention-scale", "attention", lambda impl: test_gpt.test_parity_with_hf(impl, "tiny", torch.float64)),
        ("unbiased-variance", "layernorm", test_block.test_parity_with_hf),
        ("relu-instead-of-gelu", "mlp", test_training.test_ten_step_loss_trajectory_matches_reference),
    ],
    ids=["generate-after-attention", "generate-after-block", "gpt-after-attention", "block-after-layernorm",
         "training-after-mlp"],
)  # fmt: skip
def test_failing_prerequisite_is_named_first(name: str, component: str, test, tmp_path: Path) -> None:
    """A test downstream of a broken component says first that the component fails its own parity check."""
    text = failure(test, mutant_impl(name, tmp_path))
    assert text.startswith(f"Your {component} already fails its own parity check"), text


def test_no_prerequisite_note_for_a_bug_of_its_own(tmp_path: Path) -> None:
    """A generate bug with a correct forward pass gets the test's own message, without a prerequisite note."""
    text = failure(test_generate.test_greedy_matches_hf, mutant_impl("generate-from-first-position", tmp_path))
    assert "already fails its own parity check" not in text, text


def test_mask_hiding_the_diagonal_is_named(tmp_path: Path) -> None:
    """tril(-1) / triu(0): both the NaN test and the parity test name the mask, not just 'NaN at T=0'."""
    impl = mutant_impl("mask-hides-diagonal", tmp_path)
    nan = failure(test_attention.test_finite_at_extremes, impl, 64)
    assert "a position must attend to itself" in nan, nan  # the NaN test's hint names the mask
    parity = failure(test_attention.test_parity_with_hf, impl, 2, 9, 4, 8)
    assert "mask-hides-diagonal" in parity, parity


def test_untransposed_conv1d_weight_is_named(tmp_path: Path) -> None:
    """from_hf_state_dict with attn.c_proj left untransposed (square: no shape error) names those weights."""
    text = failure(test_gpt.test_from_hf_state_dict, mutant_impl("from-hf-one-weight-untransposed", tmp_path))
    assert "transformer.h.0.attn.c_proj.weight: loaded untransposed" in text, text
    assert "c_attn.weight: loaded untransposed" not in text, text
