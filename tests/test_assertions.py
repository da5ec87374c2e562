"""The shared assertion helpers: NaN never equals NaN, on either side of a comparison."""

from __future__ import annotations

import math

import pytest
import torch

from spec.assertions import assert_close, assert_equal, assert_finite

NAN, INF = math.nan, math.inf


@pytest.mark.parametrize(
    "actual, expected, message",
    [
        ([1.0, NAN], [1.0, 2.0], "1 NaN/inf values where the reference is finite, first at [T=1]"),
        ([1.0, NAN], [1.0, NAN], "the expected values hold 1 NaN/inf, first at [T=1]"),  # self-comparisons
        ([1.0, INF], [1.0, -INF], "the expected values hold 1 NaN/inf, first at [T=1]"),
        ([1.0, 2.0], [1.0, INF], "the expected values hold 1 NaN/inf, first at [T=1]"),
    ],
)
def test_assert_close_fails_on_nan_and_inf(actual, expected, message) -> None:
    with pytest.raises(AssertionError, match=message.replace("[", r"\[").replace("]", r"\]")):
        assert_close(torch.tensor(actual), torch.tensor(expected), atol=1e-6, what="y", dims=("T",))


def test_equal_infinities_are_equal() -> None:
    assert_close(torch.tensor([-INF, 1.0]), torch.tensor([-INF, 1.0]), atol=0.0, what="masked logits")


def test_assert_equal_and_assert_finite_fail_on_nan() -> None:
    with pytest.raises(AssertionError, match="1/2 elements differ"):
        assert_equal(torch.tensor([1.0, NAN]), torch.tensor([1.0, NAN]), what="y")
    with pytest.raises(AssertionError, match=r"y: 1/2 NaN/inf values, first at \[1\]"):
        assert_finite(torch.tensor([1.0, INF]), what="y")
