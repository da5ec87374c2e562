"""Training hyper-parameters: one dataclass, and the presets ``--model`` names.

Budgets are in work (steps x tokens per step), not seconds, so a run is the same run on any machine;
the wall times quoted are measured (docs/CAPSTONE.md has the table, the machine and its load).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TrainConfig:
    # model
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block_size: int = 128
    # batch: total_batch_size tokens per optimizer step = B * T * grad_accum * world_size
    batch_size: int = 16
    total_batch_size: int = 2048
    # schedule
    # 150 steps of 2,048 tokens = ~25 passes over the ~12k BPE tokens of the 28 KB excerpt: past about
    # 100 steps the 0.9M-parameter model memorises it and the validation loss turns up (measured).
    max_steps: int = 150
    warmup_steps: int = 15
    max_lr: float = 3e-3
    min_lr: float = 3e-4
    weight_decay: float = 0.1
    max_norm: float = 1.0
    # reporting
    eval_interval: int = 25
    eval_iters: int = 20
    sample_interval: int = 75
    sample_tokens: int = 200


PRESETS: dict[str, TrainConfig] = {
    # The default: the complete works on a 2-core CPU in at most 15 minutes of wall time (idle machine).
    # Chosen by `python -m gpt2spec.training.preset_search` (docs/CAPSTONE.md, "Searching the preset"): at the
    # same CPU-seconds of steps a 1,024-id BPE beat 512 and 2,048 ids, and then this narrower, shallower model
    # (3 layers, width 96: 0.45M parameters) beat the 4-layer width-128 one at three seeds out of three, by
    # 0.038 held-out bits/byte on average: at this budget more steps pay more than more width. Wider contexts,
    # smaller batches, a fourth layer and other learning rates were each worse. 5,500 steps x 2,048 tokens =
    # 11.3M tokens at ~17,500-23,000 tokens per CPU-second (one thread; two are no faster at this size) is
    # ~490-640 CPU-s of steps, leaving the rest of the 15 minutes to the BPE, the evaluations and the samples.
    "cpu": TrainConfig(
        n_layer=3,
        n_head=4,
        n_embd=96,
        block_size=128,
        batch_size=16,
        total_batch_size=2048,
        max_steps=5500,
        warmup_steps=100,
        max_lr=3e-3,
        min_lr=3e-4,
        eval_interval=250,
        eval_iters=40,
        sample_interval=1000,
        sample_tokens=200,
    ),
    # ~0.9M parameters: the 28 KB excerpt (--data gpt2spec/training/shakespeare.txt) in a few minutes.
    "small": TrainConfig(),
    # nanoGPT's shakespeare_char scale (6 layers, 6 heads, width 384, context 256, 64 x 256 tokens per step,
    # lr 1e-3, 5000 steps; 10.94M parameters with a 512-id BPE): 82M tokens, aimed at ~5 minutes on one datacentre GPU
    # (nanoGPT quotes ~3 minutes on an A100 for its shakespeare_char run); not yet timed on a GPU here.
    "gpu": TrainConfig(
        n_layer=6,
        n_head=6,
        n_embd=384,
        block_size=256,
        batch_size=64,
        total_batch_size=16384,
        max_steps=5000,
        warmup_steps=100,
        max_lr=1e-3,
        min_lr=1e-4,
        eval_interval=250,
        eval_iters=200,
        sample_interval=1000,
        sample_tokens=300,
    ),
    # nanoGPT's README CPU recipe, character level (here: bytes; the corpus is ASCII): 4 layers, 4 heads,
    # width 128, context 64, batch 12, lr 1e-3 decayed over 2000 iterations, no dropout. The anchor of
    # docs/CAPSTONE.md, where its iterations are extended to the default's wall time.
    "nanogpt-cpu": TrainConfig(
        n_layer=4,
        n_head=4,
        n_embd=128,
        block_size=64,
        batch_size=12,
        total_batch_size=768,
        max_steps=2000,
        warmup_steps=100,
        max_lr=1e-3,
        min_lr=1e-4,
        weight_decay=0.1,
        eval_interval=250,
        eval_iters=20,
        sample_interval=1000,
        sample_tokens=200,
    ),
    # GPT-2 124M with build-nanogpt's recipe: 0.5M tokens per step, 10B tokens in 19073 steps. An honest
    # note: Shakespeare is ~1.3M GPT-2 tokens, so this preset needs a corpus of your own (--data FILE);
    # on Shakespeare alone it would see each token ~7,700 times and memorise it.
    "gpt2": TrainConfig(
        n_layer=12,
        n_head=12,
        n_embd=768,
        block_size=1024,
        batch_size=16,
        total_batch_size=524288,
        max_steps=19073,
        warmup_steps=715,
        max_lr=6e-4,
        min_lr=6e-5,
        eval_interval=250,
        eval_iters=20,
        sample_interval=1000,
        sample_tokens=64,
    ),
}
# The tokenizer each preset trains with when --tokenizer is not given ("auto": the week-4 BPE, yours if it passes).
TOKENIZERS: dict[str, str] = {"nanogpt-cpu": "bytes", "gpt2": "gpt2"}
# The ids that BPE learns when --bpe-vocab-size is not given (measured for cpu; 512 elsewhere).
BPE_VOCAB_SIZES: dict[str, int] = {"cpu": 1024}
DEFAULT_BPE_VOCAB_SIZE = 512
DEFAULT_PRESET = "cpu"
