"""Week 5: the data loader (``DataLoader``).

Contract: ``DataLoader(tokens, B, T, rank=0, world_size=1).next_batch() -> (x, y)``, both (B, T)
int64. The tokens are an endless stream: batch i of rank r is stream positions
``[(i*W + r)*B*T, (i*W + r + 1)*B*T + 1)`` modulo ``len(tokens)``, split into x (all but the last)
and y (all but the first). No token is ever skipped, at the end of the data or anywhere else.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from .assertions import assert_equal

pytestmark = pytest.mark.week5

STREAM_HINT = (
    "batch i of rank r must be stream positions [(i*W + r)*B*T, (i*W + r + 1)*B*T + 1) taken modulo "
    "len(tokens): x = buf[:-1].view(B, T), y = buf[1:].view(B, T); advance by B*T*world_size per call and, "
    "at the end of the data, continue from the start without dropping the tail"
)


def expected_batch(tokens: torch.Tensor, B: int, T: int, i: int, rank: int = 0, world_size: int = 1):
    """What the contract says batch ``i`` of ``rank`` is (written as plainly as possible)."""
    start = (i * world_size + rank) * B * T
    buf = tokens[[(start + k) % len(tokens) for k in range(B * T + 1)]]
    return buf[:-1].view(B, T), buf[1:].view(B, T)


def check_batch(loader, tokens: torch.Tensor, B: int, T: int, i: int, rank: int = 0, world_size: int = 1) -> None:
    __tracebackhide__ = True
    x, y = loader.next_batch()
    want_x, want_y = expected_batch(tokens, B, T, i, rank, world_size)
    where = f"batch {i} of rank {rank}/{world_size} (B={B}, T={T}, {len(tokens)} tokens)"
    for name, got in (("x", x), ("y", y)):
        assert isinstance(got, torch.Tensor), f"{where}: {name} is a {type(got).__name__}, expected a torch.Tensor"
        assert got.dtype == torch.int64, (
            f"{where}: {name}.dtype is {got.dtype}; nn.Embedding and cross_entropy want int64"
        )
    assert_equal(x, want_x, what=f"x of {where}", hint=STREAM_HINT)
    assert_equal(
        y, want_y, what=f"y of {where}", hint="y must be x shifted by one token: y[b, t] is the token after x[b, t]"
    )


def arange_tokens(n: int) -> torch.Tensor:
    """Token i is i: any wrong position shows up as a wrong value."""
    return torch.arange(n, dtype=torch.int64)


def test_first_batch_is_x_and_y_shifted_by_one(impl):
    """Clause: next_batch() returns (x, y), both (B, T) int64, x = tokens[0:B*T], y = tokens[1:B*T+1].
    Catches: y not shifted (y = x), y shifted the wrong way, x and y from different slices, int32 or
    uint16 outputs, rows laid out column-major."""
    tokens = arange_tokens(100)
    check_batch(impl.DataLoader(tokens.tolist(), 3, 5), tokens, 3, 5, 0)


def test_consecutive_batches_are_contiguous(impl):
    """Clause: each call advances by exactly B*T tokens (the last target of one batch is the first input of
    the next). Catches: advancing by B*T + 1 (skipping a token each batch), by T, or not at all."""
    tokens = arange_tokens(1000)
    loader = impl.DataLoader(tokens, 4, 8)
    for i in range(5):
        check_batch(loader, tokens, 4, 8, i)


def test_wraps_around_without_dropping_tokens(impl):
    """Clause: at the end of the data the stream continues from the start: the batch that crosses the end
    holds the tail, then the head, and every later batch keeps the same modulo arithmetic.
    Catches: IndexError or a short batch at the end, resetting to 0 and dropping the tail (a loader that
    drops data at a shard boundary), restarting at B*T*rank instead of continuing."""
    tokens = arange_tokens(37)  # 37 is prime: B*T = 12 never divides it, so every wrap is mid-batch
    loader = impl.DataLoader(tokens, 3, 4)
    for i in range(9):  # 9 batches = 108 tokens: the stream wraps twice
        check_batch(loader, tokens, 3, 4, i)


@pytest.mark.parametrize("world_size", [2, 3])
def test_ranks_read_disjoint_slices(impl, world_size):
    """Clause: rank r of W reads batch i = stream positions [(i*W + r)*B*T, ...): in rank order, the ranks'
    batches are the rows of the batch one process with B*W rows reads, and no two ranks share an input.
    Catches: every rank reading the same data (DDP then trains on 1/W of the data), forgetting the rank
    offset, advancing by B*T instead of B*T*W (ranks overlap from the second batch on)."""
    tokens = arange_tokens(400)
    B, T = 2, 6
    loaders = [impl.DataLoader(tokens, B, T, rank=r, world_size=world_size) for r in range(world_size)]
    for i in range(3):
        seen: set[int] = set()
        for r, loader in enumerate(loaders):
            want_x, _ = expected_batch(tokens, B, T, i, r, world_size)
            x, _ = loader.next_batch()
            assert_equal(x, want_x, what=f"x of batch {i}, rank {r}/{world_size}", hint=STREAM_HINT)
            overlap = seen & set(x.flatten().tolist())
            assert not overlap, f"batch {i}: rank {r} reads tokens {sorted(overlap)[:5]} that a lower rank also read"
            seen |= set(x.flatten().tolist())


@pytest.mark.parametrize("kind", ["numpy-uint16", "torch-uint16"])
def test_uint16_tokens_do_not_overflow(impl, kind):
    """Clause: tokens given as uint16 (how nanoGPT stores GPT-2 ids on disk) come out as the same int64 ids.
    Catches: casting through int16 (ids >= 32768 turn negative), keeping uint16 (nn.Embedding and
    cross_entropy reject it), arithmetic on uint16 that wraps at 65536."""
    ids = np.array([0, 1, 32767, 32768, 50256, 65535, 40000, 7, 60000, 12345, 50000], dtype=np.uint16)
    tokens = ids if kind == "numpy-uint16" else torch.from_numpy(ids.astype(np.int64)).to(torch.uint16)
    check_batch(impl.DataLoader(tokens, 2, 4), torch.from_numpy(ids.astype(np.int64)), 2, 4, 0)


def test_earlier_batches_stay_intact(impl):
    """Clause: a batch returned earlier is unchanged after later next_batch() calls: the caller may keep it (the
    training driver keeps a list of micro-batches for gradient accumulation).
    Catches: x and y as views into one buffer the loader refills on every call (every kept batch silently
    becomes the last one), a loader that modifies a returned tensor in place."""
    loader = impl.DataLoader(arange_tokens(500), 2, 8)
    kept = []
    for _ in range(3):
        x, y = loader.next_batch()
        kept.append((x, y, x.clone(), y.clone()))  # as returned: whether that is the right slice is another clause
    for _ in range(2):
        loader.next_batch()
    hint = (
        "a batch must stay as it was returned after later next_batch() calls: return fresh tensors, not views "
        "into a buffer the loader reuses (the training driver keeps a list of micro-batches)"
    )
    for i, (x, y, x_then, y_then) in enumerate(kept):
        assert_equal(x, x_then, what=f"x of batch {i} after 5 calls to next_batch()", hint=hint)
        assert_equal(y, y_then, what=f"y of batch {i} after 5 calls to next_batch()", hint=hint)


def test_reset_rewinds_to_the_first_batch(impl):
    """Clause: reset() is optional; a loader that has one rewinds: the next batch after reset() is batch 0 again
    (a validation loader is reset before every evaluation, as nanoGPT's val_loader.reset()), on its own rank.
    Catches: reset() that sets an attribute next_batch() never reads (nanoGPT's current_position in a loader
    that counts batches), or does nothing: every evaluation then reads different batches; reset() that builds the
    loader afresh with the default rank and world size (v18 author: rank 1 of 2 then evaluates rank 0's batch)."""
    tokens = arange_tokens(1000)
    loader = impl.DataLoader(tokens, 2, 8, rank=1, world_size=2)
    if not callable(getattr(loader, "reset", None)):
        pytest.skip("this DataLoader has no reset(): optional in the contract")
    for _ in range(3):
        loader.next_batch()
    loader.reset()
    x, y = loader.next_batch()
    want_x, want_y = expected_batch(tokens, 2, 8, 0, rank=1, world_size=2)
    hint = (
        "reset() must rewind the loader to its first batch, keeping its rank and world size: set back the very "
        "counter (or position) that next_batch() reads, not another attribute"
    )
    what = "of rank 1 of 2's first batch after 3 calls to next_batch() and reset()"
    assert_equal(x, want_x, what=f"x {what}", hint=hint)
    assert_equal(y, want_y, what=f"y {what}", hint=hint)


def test_state_dict_resumes_the_position(impl):
    """Clause: the loader's position survives a checkpoint; a loader that has state_dict() and load_state_dict()
    (optional, as the reference's) resumes with them: a loader given another's state_dict() reads the
    batch it would itself read next. The state does not depend on the rank: in a DDP run rank 0 writes the
    checkpoint and every rank resumes from it, each on its own slice.
    Catches: load_state_dict reading another key than state_dict writes (``state.get("batch", 0)`` when the
    state is {"batches": 3}): a resumed run silently re-reads the data from the start; a state that carries the
    rank (a token offset, or the rank itself, v18 author): every rank resumes on rank 0's slice; state_dict()
    returning the loader's live attributes (``vars(self)``, v19 author) instead of a snapshot: the source loader reads
    on before the state is loaded (as a run does after it saves a checkpoint), and the state moves with it;
    load_state_dict adding the saved count to the loader's own (``self.batches += ...``, v26 author): the loader
    given the state has read a batch first; load_state_dict reducing the count modulo the whole batches in one
    epoch (v27 author): the stream wraps without dropping its tail, so batch 33 of 1000 tokens read 32 at a time
    is not batch 2 (the state is taken after 33 batches, past the first epoch). (The
    resume of a whole run is test_training.py's; this checks the loader alone, in the data section.)"""
    tokens = arange_tokens(1000)
    B, T, world_size = 2, 8, 2
    loader = impl.DataLoader(tokens, B, T, rank=0, world_size=world_size)
    if not all(callable(getattr(loader, m, None)) for m in ("state_dict", "load_state_dict")):
        pytest.skip("this DataLoader has no state_dict() / load_state_dict(): optional in the contract")
    saved = 33  # past one epoch: 1000 tokens hold 31 whole global batches of 2 x 8 x 2
    for _ in range(saved):
        loader.next_batch()
    state = loader.state_dict()
    shown = repr(state)[:200]  # before the loader reads on: a snapshot must not change afterwards
    for _ in range(2):  # the run goes on after saving its checkpoint
        loader.next_batch()
    resumed = impl.DataLoader(tokens, B, T, rank=1, world_size=world_size)
    resumed.next_batch()  # a loader that has read before: the state replaces its position, it adds nothing to it
    resumed.load_state_dict(state)
    x, y = resumed.next_batch()
    want_x, want_y = expected_batch(tokens, B, T, saved, rank=1, world_size=world_size)

    def read_batch(i: int) -> bool:  # whether the resumed loader read rank 1's batch i
        batch_x, _ = expected_batch(tokens, B, T, i, rank=1, world_size=world_size)
        return isinstance(x, torch.Tensor) and x.shape == batch_x.shape and bool((x.long() == batch_x).all())

    # the saved batch, 1 + saved, the source's saved + 2, and the saved count modulo one epoch's 31 batches
    same, added, live, folded = read_batch(saved), read_batch(saved + 1), read_batch(saved + 2), read_batch(2)
    assert same or not added, (
        f"a loader (rank 1 of 2) that had read 1 batch, given rank 0's state_dict() taken after {saved} batches, "
        f"resumed at batch {saved + 1} = 1 + {saved}, not {saved}: load_state_dict adds the saved count ({shown}) "
        'to the loader\'s own. Set it: self.batches = state["batches"], not +='
    )
    assert same or not live, (
        f"a loader (rank 1 of 2) given rank 0's state_dict(), taken after {saved} batches, resumed at batch "
        f"{saved + 2}: "
        "where rank 0 had got to when the state was loaded (2 batches later), not where it was when the state was "
        f"taken ({shown}). state_dict() returns a live view of the loader (vars(self), self.__dict__, or a dict "
        'the loader keeps updating): return a new dict, a snapshot ({"batches": self.batches})'
    )
    assert same or not folded, (
        f"a loader (rank 1 of 2) given rank 0's state_dict(), taken after {saved} batches, resumed at batch 2 = "
        f"{saved} modulo the 31 whole batches in the data: load_state_dict folds the count into one epoch. The "
        "stream wraps without dropping its tail (rank 1's batch 33 starts at token 1072 mod 1000 = 72, its batch 2 "
        "at 80): "
        'keep the count as saved, self.batches = state["batches"]'
    )
    hint = (
        f"load_state_dict(state) must restore what state_dict() saved ({shown} here): read the "
        "same keys it writes, and set the counter that next_batch() reads, keeping the loader's own rank (count "
        "batches, not token offsets, so that one state fits every rank), and state_dict() must return a snapshot"
    )
    what = (
        "of a loader (rank 1 of 2) that had read 1 batch, after load_state_dict() of rank 0's state_dict(), taken "
        f"after {saved} batches (rank 0 then read 2 more)"
    )
    assert_equal(x, want_x, what=f"x {what}", hint=hint)
    assert_equal(y, want_y, what=f"y {what}", hint=hint)


@given(
    B=st.integers(1, 4),
    T=st.integers(1, 9),
    n=st.integers(2, 60),
    world_size=st.integers(1, 3),
    data=st.data(),
)
def test_any_shape_follows_the_stream(impl, B, T, n, world_size, data):
    """Clause: for any B, T, world_size and data length >= 2 (even shorter than one batch), every batch of
    every rank is the contract's slice of the endless stream (Hypothesis picks the sizes).
    Catches: off-by-one at the end of the data, failure when the data is shorter than B*T + 1, wrap logic
    that only works for one rank."""
    rank = data.draw(st.integers(0, world_size - 1), label="rank")
    tokens = arange_tokens(n) * 7 % 101  # not the identity: an index returned as a token shows up
    loader = impl.DataLoader(tokens, B, T, rank=rank, world_size=world_size)
    for i in range(4):
        check_batch(loader, tokens, B, T, i, rank, world_size)
