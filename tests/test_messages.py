"""Failure messages say what is wrong: each spec test is called directly on one mutant (or a small stand-in
implementation) and the text of its AssertionError is checked for the diagnosis it must name."""

from __future__ import annotations

import functools
import types
from pathlib import Path

import pytest

from spec import test_gpt, test_tokenizer, test_training
from spec.registry import Implementation, ImplRef, import_impl

from .mutants import ALL

ROOT = Path(__file__).resolve().parent.parent
BY_NAME = {m.name: m for m in ALL}


def mutant_impl(name: str, tmp_path: Path) -> Implementation:
    ref = ImplRef(f"msg-{name}", BY_NAME[name].materialize(tmp_path))
    return Implementation(ref, import_impl(ref))


def reference_impl() -> Implementation:
    ref = ImplRef("reference", ROOT / "impls" / "reference")
    return Implementation(ref, import_impl(ref))


def failure(test, *args) -> str:
    with pytest.raises(AssertionError) as excinfo:
        test(*args)
    return str(excinfo.value)


def test_known_small_example_names_the_tie_break(tmp_path: Path) -> None:
    """A tie broken towards the larger ids fails the Wikipedia example with a message that says it is a tie."""
    text = failure(test_tokenizer.test_known_small_example, mutant_impl("tie-break-largest-id", tmp_path))
    assert "TIE-BREAK" in text and "both occur 2 times" in text, text


def test_known_small_example_names_a_counting_error(tmp_path: Path) -> None:
    """Stale incremental counts are a counting error, not a tie-break, and the message says which."""
    impl = mutant_impl("stale-neighbour-counts", tmp_path)
    try:
        test_tokenizer.test_known_small_example(impl)
    except AssertionError as exc:  # the example may or may not expose stale counts; if it does, no tie is blamed
        assert "TIE-BREAK" not in str(exc), str(exc)


def test_merges_stay_inside_pre_tokens_reports_a_crash_as_a_crash() -> None:
    """A train() that raises is reported as a crash of training, not as tokens spanning pre-token boundaries."""

    class Crashing:
        def train(self, text, vocab_size, special_tokens=()):
            raise KeyError((104, 101))

    impl = types.SimpleNamespace(name="crashing-tokenizer", Tokenizer=Crashing)
    text = failure(test_tokenizer.test_merges_stay_inside_pre_tokens, impl)
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
