"""Mutants of the data loader (week 5) and the training loop (week 6): silent bugs, the loss still goes down."""

from .mutant import Mutant

# reference/training.py's autocast: opened only when a dtype is asked for
_AUTOCAST = "torch.autocast(x.device.type, dtype=autocast_dtype) if autocast_dtype else contextlib.nullcontext()"

MUTANTS = [
    # ------------------------------------------------------------ week 5: DataLoader
    Mutant(
        name="y-not-shifted",
        file="data.py",
        old="y = buf[1:].view(B, T)",
        new="y = buf[:-1].view(B, T)",
        catches=("test_first_batch_is_x_and_y_shifted_by_one", "test_any_shape_follows_the_stream"),
        section="data",
        why="made y a copy of x instead of x shifted by one token: the model learns to copy its input",
        clauses=("W5-loader", "W5-stream"),
    ),
    Mutant(
        name="loader-drops-tail",
        file="data.py",
        old="positions = (start + torch.arange(B * T + 1)) % len(self.tokens)",
        new=(
            "start %= len(self.tokens)\n"
            "        if start + B * T + 1 > len(self.tokens):  # not enough left in this shard: restart\n"
            "            start = 0\n"
            "        positions = start + torch.arange(B * T + 1)"
        ),
        catches=("test_wraps_around_without_dropping_tokens", "test_any_shape_follows_the_stream"),
        section="data",
        why="restarted at the beginning when a batch did not fit, dropping the data at the shard boundary",
        clauses=("W5-wrap",),
    ),
    Mutant(
        name="uint16-through-int16",
        file="data.py",
        old="np.asarray(tokens).astype(np.int64)",
        new="np.asarray(tokens).astype(np.int16).astype(np.int64)",
        catches=("test_uint16_tokens_do_not_overflow",),
        section="data",
        why="converted the uint16 token file through int16: ids >= 32768 become negative",
        clauses=("W5-tokens",),
    ),
    Mutant(
        name="ranks-overlap",
        file="data.py",
        old="start = (self.batches * self.world_size + self.rank) * B * T",
        new="start = (self.batches + self.rank) * B * T",
        catches=("test_ranks_read_disjoint_slices", "test_any_shape_follows_the_stream"),
        section="data",
        why="offset each rank but advanced by B*T instead of B*T*world_size: ranks re-read each other's data",
        clauses=("W5-stream", "W5-wrap"),
    ),
    # ------------------------------------------------------------ week 6: optimizer and schedule
    Mutant(
        name="decay-every-parameter",
        file="training.py",
        old='{"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}',
        new='{"params": [p for p in params if p.dim() < 2], "weight_decay": weight_decay}',
        catches=("test_weight_decay_on_matrices_only", "test_ten_step_loss_trajectory_matches_reference"),
        section="training",
        why="applied weight decay to biases and LayerNorm gains too",
        clauses=("W6-optimizer-groups",),
    ),
    Mutant(
        name="no-warmup",
        file="training.py",
        old="    if step < warmup_steps:\n        return max_lr * (step + 1) / warmup_steps\n",
        new="    warmup_steps = 0  # straight into the cosine\n",
        catches=(
            "test_lr_at_key_steps",
            "test_lr_schedule_everywhere",
            "test_ten_step_loss_trajectory_matches_reference",
        ),
        section="training",
        why="left out the linear warmup: the first steps run at max_lr",
        clauses=("W6-get-lr",),
    ),
    Mutant(
        name="lr-warmup-ratio-before-check",
        file="training.py",
        old="    if step < warmup_steps:\n        return max_lr * (step + 1) / warmup_steps\n",
        new="    ramp = max_lr * (step + 1) / warmup_steps\n    if step < warmup_steps:\n        return ramp\n",
        catches=("test_lr_schedule_everywhere",),
        section="training",
        why="computed the warmup ratio before testing step < warmup_steps: no warmup (warmup_steps=0) divides by zero",
        fix="test `step < warmup_steps` first, and compute max_lr * (step + 1) / warmup_steps only inside it",
        clauses=("W6-get-lr",),
    ),
    Mutant(
        name="lr-decays-to-zero",
        file="training.py",
        old="return min_lr + coeff * (max_lr - min_lr)",
        new="return coeff * max_lr",
        catches=("test_lr_at_key_steps", "test_lr_schedule_everywhere"),
        section="training",
        why="decayed the cosine to 0 instead of to min_lr",
        clauses=("W6-get-lr",),
    ),
    Mutant(
        name="lr-hardcoded",
        file="training.py",
        old="lr=learning_rate,",
        new="lr=3e-4,",
        catches=("test_optimizer_hyperparameters",),
        section="training",
        why="ignored learning_rate and hard-coded nanoGPT's 3e-4 (get_lr overwrites it each step, so training "
        "hides the bug; a run without the schedule trains at the wrong rate)",
        clauses=("W6-optimizer-args",),
    ),
    Mutant(
        name="weight-decay-hardcoded",
        file="training.py",
        old='{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay}',
        new='{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1}',
        catches=("test_optimizer_hyperparameters",),
        section="training",
        why="ignored the weight_decay argument and hard-coded GPT-2's 0.1",
        clauses=("W6-optimizer-args",),
    ),
    # ------------------------------------------------------------ week 6: train_step
    Mutant(
        name="accumulation-not-divided",
        file="training.py",
        old="        loss = loss / n\n",
        new="",
        catches=("test_accumulation_equals_one_big_batch", "test_ten_step_loss_trajectory_matches_reference"),
        section="training",
        why="accumulated gradients over micro-batches without dividing the loss by their number",
        clauses=("W6-accumulate",),
    ),
    Mutant(
        name="clip-after-step",
        file="training.py",
        old="    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n    optimizer.step()\n",
        new="    optimizer.step()\n    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)\n",
        catches=("test_clipping_equals_clip_grad_norm",),
        section="training",
        why="clipped the gradients after optimizer.step(), so the update used the raw gradient",
        clauses=("W6-clip",),
    ),
    Mutant(
        name="no-zero-grad",
        file="training.py",
        old="    optimizer.zero_grad(set_to_none=True)\n",
        new="",
        catches=("test_gradients_do_not_leak_between_steps", "test_ten_step_loss_trajectory_matches_reference"),
        section="training",
        why="never zeroed the gradients: every step adds the gradients of all previous steps",
        clauses=("W6-zero-grad",),
    ),
    Mutant(
        name="ddp-loss-from-one-rank",
        file="training.py",
        old="loss_accum = loss_accum / dist.get_world_size()",
        new="loss_accum = loss_accum",
        catches=("test_ddp_matches_single_process",),
        section="training",
        why="summed the logged loss over ranks without dividing by the world size",
        clauses=("W6-ddp",),
    ),
    # ------------------------------------------------------------ week 6: checkpoints
    Mutant(
        name="checkpoint-without-optimizer",
        file="training.py",
        old='    optimizer.load_state_dict(state["optimizer"])\n',
        new="",
        catches=("test_resume_equals_uninterrupted",),
        section="training",
        why="did not restore the optimizer: AdamW's moments restart from zero after a resume",
        clauses=("W6-checkpoint", "W6-resume"),
    ),
    Mutant(
        name="checkpoint-without-loader",
        file="training.py",
        old='    loader.load_state_dict(state["loader"])\n',
        new="",
        catches=("test_resume_equals_uninterrupted",),
        section="training",
        why="did not restore the loader position: the resumed run re-reads the first batches",
        clauses=("W5-position", "W6-checkpoint", "W6-resume"),
    ),
    Mutant(
        name="checkpoint-without-rng",
        file="training.py",
        old='    torch.set_rng_state(state["rng"]["torch"].cpu())\n',
        new="",
        catches=("test_checkpoint_restores_rng_state",),
        section="training",
        why="did not restore the RNG state: sampling after a resume differs",
        clauses=("W6-checkpoint", "W6-rng"),
    ),
]

# Clauses the first round left untested (issue 20): batches that change after they are returned, and a
# checkpoint that stores the seed instead of the RNG state.
MUTANTS += [
    Mutant(
        name="loader-reuses-buffer",
        file="data.py",
        old="        buf = self.tokens[positions]\n",
        new=(
            "        if getattr(self, '_buf', None) is None or len(self._buf) != B * T + 1:\n"
            "            self._buf = torch.empty(B * T + 1, dtype=torch.int64)  # allocated once, reused\n"
            "        buf = torch.index_select(self.tokens, 0, positions, out=self._buf)\n"
        ),
        catches=("test_earlier_batches_stay_intact",),
        section="data",
        why="returned views into one buffer the loader refills: every batch kept in a list becomes the last one",
        clauses=("W5-batches-intact",),
    ),
    Mutant(
        name="reset-keeps-position",
        file="data.py",
        old="def reset(self) -> None:\n        self.batches = 0",
        new="def reset(self) -> None:\n        self.position = 0",
        catches=("test_reset_rewinds_to_the_first_batch",),
        section="data",
        why="reset() zeroed a position attribute next_batch() never reads: the loader does not rewind",
        clauses=("W5-reset",),
        fix="reset the counter next_batch() reads: self.batches = 0",
    ),
    Mutant(
        name="checkpoint-saves-seed",
        file="training.py",
        old='"torch": torch.get_rng_state(),',
        new='"torch": torch.Generator().manual_seed(torch.initial_seed()).get_state(),',
        catches=("test_checkpoint_restores_rng_state",),
        section="training",
        why="saved torch.initial_seed() (the state right after seeding) instead of torch.get_rng_state(): a "
        "resumed run restarts the random stream from the seed",
        clauses=("W6-checkpoint", "W6-rng"),
    ),
]
MUTANTS += [
    Mutant(
        name="optimizer-from-transformer",
        file="training.py",
        old="params = [p for p in model.parameters() if p.requires_grad]",
        new="params = [p for p in model.transformer.parameters() if p.requires_grad]  # lm_head is tied to wte",
        catches=("test_ddp_matches_single_process",),
        section="training",
        why="collected the parameters through model.transformer: a DistributedDataParallel wrapper has no such "
        "attribute (use model.parameters())",
        clauses=("W6-ddp-wrapper",),
    ),
    Mutant(
        name="train-step-returns-last-loss",
        file="training.py",
        old="loss_accum = loss.detach() + loss_accum.to(loss.device, loss.dtype)",
        new="loss_accum = loss.detach() * n",
        catches=("test_accumulation_equals_one_big_batch", "test_ten_step_loss_trajectory_matches_reference"),
        section="training",
        why="returned the last micro-batch's loss instead of the mean over the micro-batches",
        clauses=("W6-returns",),
    ),
    Mutant(
        name="load-checkpoint-returns-next-step",
        file="training.py",
        old='return int(state["step"])',
        new='return int(state["step"]) + 1  # the next step to run',
        catches=("test_resume_equals_uninterrupted",),
        section="training",
        why="load_checkpoint returned the step after the saved one instead of the saved step",
        clauses=("W6-load-step",),
    ),
]
MUTANTS += [
    Mutant(
        name="no-optimizer-step",
        file="training.py",
        old="    optimizer.step()\n    return loss_accum, norm",
        new="    return loss_accum, norm",
        catches=(
            "test_overfits_a_single_batch",
            "test_clipping_equals_clip_grad_norm",
            "test_ten_step_loss_trajectory_matches_reference",
        ),
        section="training",
        why="computed and clipped the gradient but never called optimizer.step(): the weights never change",
        clauses=("W6-step",),
    ),
    Mutant(
        name="autocast-dtype-ignored",
        file="training.py",
        old=_AUTOCAST,
        new="contextlib.nullcontext()",
        catches=("test_train_step_autocasts_when_asked",),
        section="training",
        why="took autocast_dtype and never used it: asked for bf16, the forward still runs in float32",
        clauses=("W6-autocast",),
    ),
    Mutant(
        name="autocast-always-bf16",
        file="training.py",
        old=_AUTOCAST,
        new="torch.autocast(x.device.type, dtype=torch.bfloat16)",
        catches=("test_train_step_runs_in_the_models_dtype_by_default",),
        section="training",
        why="opened bf16 autocast on every step, asked or not: a float32 model's loss is computed in bfloat16",
        clauses=("W6-dtype",),
    ),
]
