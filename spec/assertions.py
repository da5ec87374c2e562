"""Comparisons whose failure messages tell a participant what is wrong and where.

Every tensor comparison in the spec goes through ``assert_close``: on failure it names
the quantity, the max abs and rel diff, the index where the worst one sits (with named
dimensions, e.g. ``T=3``), how many elements are off, and a hint about the likely bug.
NaN or inf where a finite value is expected always fails, on either side: many checks compare
the implementation with itself (causality, batch independence), and NaN must not equal NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def assert_close(
    actual: object,
    expected: torch.Tensor,
    *,
    atol: float,
    rtol: float = 0.0,
    what: str,
    dims: Sequence[str] = (),
    hint: str = "",
) -> None:
    """Fail unless ``|actual - expected| <= atol + rtol * |expected|`` everywhere."""
    __tracebackhide__ = True
    suffix = f"\nHint: {hint}" if hint else ""
    if not isinstance(actual, torch.Tensor):
        raise AssertionError(f"{what}: expected a torch.Tensor, got {type(actual).__name__}{suffix}")
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(
            f"{what}: shape {tuple(actual.shape)} != expected {tuple(expected.shape)}{_named(dims)}{suffix}"
        )
    if actual.dtype != expected.dtype:
        raise AssertionError(
            f"{what}: dtype {actual.dtype} != expected {expected.dtype} "
            "(compute in the dtype of the inputs/parameters; do not hard-code float32)"
        )
    a = actual.detach().to("cpu", torch.float64)
    e = expected.detach().to("cpu", torch.float64)
    _check_finite(a, e, what=what, dims=dims, suffix=suffix)
    diff = (a - e).abs().nan_to_num(nan=0.0)  # only equal infinities are left: inf - inf is NaN, and equal
    outside = diff > atol + rtol * e.abs()
    if outside.any():
        flat = int(diff.argmax())
        where = list(torch.unravel_index(torch.tensor(flat), diff.shape)) if diff.dim() else []
        where = [int(i) for i in where]
        rel = diff / e.abs().clamp_min(torch.finfo(torch.float64).tiny)
        got, want = a.flatten()[flat].item(), e.flatten()[flat].item()
        raise AssertionError(
            f"{what} differs from the reference: max abs diff {diff.max().item():.3e} at {_index(where, dims)} "
            f"(got {got:.6g}, expected {want:.6g}); max rel diff {rel.max().item():.3e}; "
            f"{int(outside.sum())}/{outside.numel()} elements outside atol={atol:g}, rtol={rtol:g}"
            f"{_first_bad_position(outside, dims)}{suffix}"
        )


def _check_finite(a: torch.Tensor, e: torch.Tensor, *, what: str, dims: Sequence[str], suffix: str) -> None:
    """NaN is never a right answer, and NaN == NaN must not pass: fail on NaN or inf on either side,
    unless both sides hold the same infinity. "Expected" is often the implementation's own output
    (causality, batch independence, unchanged input), so NaN there is the implementation's NaN."""
    __tracebackhide__ = True
    same_infinity = torch.isinf(a) & (a == e)
    got_bad = ~torch.isfinite(a) & ~same_infinity
    if (got_bad & torch.isfinite(e)).any():
        bad = got_bad & torch.isfinite(e)
        first = _index(bad.nonzero()[0].tolist(), dims)
        raise AssertionError(
            f"{what}: {int(bad.sum())} NaN/inf values where the reference is finite, first at {first}{suffix}"
        )
    both_bad = (~torch.isfinite(e) | got_bad) & ~same_infinity
    if both_bad.any():
        first = _index(both_bad.nonzero()[0].tolist(), dims)
        raise AssertionError(
            f"{what}: the expected values hold {int(both_bad.sum())} NaN/inf, first at {first}: they come from your "
            "implementation too (the same forward on other inputs), so its output is NaN/inf there; "
            f"a NaN never counts as equal.{suffix}"
        )


def _named(dims: Sequence[str]) -> str:
    return f" (dims {', '.join(dims)})" if dims else ""


def _index(index: Sequence[int], dims: Sequence[str]) -> str:
    if dims and len(dims) == len(index):
        return "[" + ", ".join(f"{d}={i}" for d, i in zip(dims, index, strict=True)) + "]"
    return str(list(index))


def _first_bad_position(outside: torch.Tensor, dims: Sequence[str]) -> str:
    """For (..., T, ...) tensors, the first sequence position that goes wrong is a strong clue."""
    if "T" not in dims or len(dims) != outside.dim():
        return ""
    t_axis = list(dims).index("T")
    other = [d for d in range(outside.dim()) if d != t_axis]
    per_t = outside.any(dim=other) if other else outside
    return f"; first wrong position T={int(per_t.nonzero()[0])} of {outside.shape[t_axis]}"


def assert_finite(actual: torch.Tensor, *, what: str, dims: Sequence[str] = (), hint: str = "") -> None:
    """No NaN or inf anywhere in ``actual`` (for outputs with no reference to compare against)."""
    __tracebackhide__ = True
    bad = ~torch.isfinite(actual.detach())
    if bad.any():
        first = _index(bad.nonzero()[0].tolist(), dims)
        suffix = f"\nHint: {hint}" if hint else ""
        raise AssertionError(f"{what}: {int(bad.sum())}/{bad.numel()} NaN/inf values, first at {first}{suffix}")


def assert_equal(actual: object, expected: torch.Tensor, *, what: str, hint: str = "") -> None:
    """Exact equality (token ids, shapes of integer outputs)."""
    __tracebackhide__ = True
    suffix = f"\nHint: {hint}" if hint else ""
    if not isinstance(actual, torch.Tensor):
        raise AssertionError(f"{what}: expected a torch.Tensor, got {type(actual).__name__}{suffix}")
    if tuple(actual.shape) != tuple(expected.shape):
        raise AssertionError(f"{what}: shape {tuple(actual.shape)} != expected {tuple(expected.shape)}{suffix}")
    mismatch = actual.cpu() != expected.cpu()
    if mismatch.any():
        first = [int(i) for i in mismatch.nonzero()[0]]
        raise AssertionError(
            f"{what}: {int(mismatch.sum())}/{mismatch.numel()} elements differ, first at {first} "
            f"(got {actual.cpu()[tuple(first)].item()}, expected {expected.cpu()[tuple(first)].item()}){suffix}"
        )


def assert_ids_equal(
    actual: object, expected: Sequence[int], *, what: str, vocab: dict[int, bytes] | None = None, hint: str = ""
) -> None:
    """Exact equality of token-id lists; on failure, the first differing position and the tokens
    around it (as bytes, when ``vocab`` is given), which usually names the wrong merge."""
    __tracebackhide__ = True
    suffix = f"\nHint: {hint}" if hint else ""
    if not isinstance(actual, list | tuple) or not all(isinstance(i, int) for i in actual):
        raise AssertionError(f"{what}: expected a list of int ids, got {type(actual).__name__} {actual!r:.80}{suffix}")
    actual, expected = list(actual), list(expected)
    if actual == expected:
        return
    first = next((i for i, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e), None)
    first = min(len(actual), len(expected)) if first is None else first

    def show(ids: list[int]) -> str:
        window = ids[max(0, first - 2) : first + 3]
        return str([vocab.get(i, i) for i in window] if vocab else window)

    raise AssertionError(
        f"{what}: {len(actual)} ids, expected {len(expected)}; first difference at position {first}: "
        f"got {show(actual)}, expected {show(expected)} (tokens {max(0, first - 2)}..{first + 2}){suffix}"
    )


# ---------------------------------------------------------------- greedy decoding

_GREEDY = (("top_k=1", dict(top_k=1)), ("temperature=0", dict(temperature=0.0)))


def greedy(model, idx: torch.Tensor, n: int) -> torch.Tensor:
    """Greedy tokens by the contract's first convention that does not raise (top_k=1, then temperature=0), so
    that a test about something else is not failed by a top-k or temperature bug (they have their own tests).
    Raises the first convention's error only when both raise."""
    __tracebackhide__ = True
    first: Exception | None = None
    for _, kwargs in _GREEDY:
        try:
            return model.generate(idx, max_new_tokens=n, **kwargs)
        except Exception as exc:  # this way of asking is broken: try the other
            first = first or exc
    assert first is not None
    raise first


def assert_greedy(model, idx: torch.Tensor, n: int, expected: torch.Tensor, *, what: str, hint: str) -> None:
    """Greedy decoding by either of the contract's two conventions: pass when top_k=1 or temperature=0 gives
    ``expected``. A test about *which context* decides the next token (cropping, the KV cache, the last
    position) then fails only when its own clause is broken, not when one greedy convention is (nanoGPT divides
    by zero at temperature=0; an implementation may ignore top_k, or crash on it): those have their own tests.
    On failure, the first convention that ran is reported; when both raise, the first error is raised as is
    (a NotImplementedError stays "not implemented")."""
    __tracebackhide__ = True
    results: list[tuple[str, torch.Tensor]] = []
    errors: list[Exception] = []
    for name, kwargs in _GREEDY:
        try:
            tokens = model.generate(idx, max_new_tokens=n, **kwargs)
        except Exception as exc:  # this way of asking is broken: the other may still answer
            errors.append(exc)
            continue
        if isinstance(tokens, torch.Tensor) and tokens.shape == expected.shape and torch.equal(tokens, expected):
            return
        results.append((name, tokens))
    if not results:
        raise errors[0]
    name, tokens = results[0]
    other = "the other convention raised" if errors else "the other does not match either"
    assert_equal(tokens, expected, what=f"{what} (greedy by {name}; {other})", hint=hint)
