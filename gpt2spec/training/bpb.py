"""Bits per byte: a validation loss that does not depend on the tokenizer.

Nats per token cannot compare two tokenizers: a BPE token holds ~2 bytes of English, a byte token
one, so the BPE model's per-token loss is larger for the same understanding of the text. Summing
the nats over every predicted token of the validation text and dividing by the UTF-8 bytes those
tokens spell (and by ln 2) gives bits per byte, which is the same for any tokenization of the same
text under the same predictions (tests/test_race.py checks this with a known model).

Every validation token but the first is predicted exactly once, from the tokens before it in its
window of ``T``: windows ``[0, T], [T, 2T], ...`` overlap by one token, the target of one window
being the first input of the next.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass

import torch


@dataclass
class Validation:
    nats_per_token: float
    bits_per_byte: float
    tokens: int  # predicted tokens
    bytes: int  # the UTF-8 bytes they spell


def bits_per_byte(total_nats: float, n_bytes: int) -> float:
    return total_nats / (math.log(2) * n_bytes)


@torch.no_grad()
def total_nats(
    model: torch.nn.Module, tokens: torch.Tensor, T: int, B: int, device, amp=contextlib.nullcontext
) -> float:
    """Sum of -ln p(token) over tokens[1:], each predicted from at most T tokens before it."""
    was_training = model.training
    model.eval()
    n = len(tokens) - 1
    starts = list(range(0, n, T))
    full = [s for s in starts if s + T <= n]
    total = 0.0
    for i in range(0, len(full), B):
        rows = torch.stack([tokens[s : s + T + 1] for s in full[i : i + B]]).to(device)
        total += _batch_nats(model, rows, amp)
    for s in starts[len(full) :]:  # the last, shorter window
        total += _batch_nats(model, tokens[s:].unsqueeze(0).to(device), amp)
    model.train(was_training)
    return total


def _batch_nats(model: torch.nn.Module, rows: torch.Tensor, amp) -> float:
    x, y = rows[:, :-1].contiguous(), rows[:, 1:].contiguous()  # a model may .view() its targets
    with amp():
        _, loss = model(x, y)  # the mean over x.numel() predictions
    return float(loss.double()) * y.numel()


def validate(
    model: torch.nn.Module,
    tokens: torch.Tensor,
    decode_bytes: Callable[[list[int]], bytes],
    T: int,
    B: int,
    device,
    amp=contextlib.nullcontext,
) -> Validation:
    """Nats per token and bits per byte of ``model`` on ``tokens`` (the validation text's ids)."""
    nats = total_nats(model, tokens, T, B, device, amp)
    n_bytes = len(decode_bytes(tokens[1:].tolist()))
    n_tokens = len(tokens) - 1
    return Validation(nats / n_tokens, bits_per_byte(nats, n_bytes), n_tokens, n_bytes)
