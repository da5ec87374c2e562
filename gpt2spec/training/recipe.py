"""The open race's recipe: what a participant may change about how their GPT-2 is trained.

A participant's package sets ``RECIPE = {...}`` (or a function ``recipe()`` returning that dict) in its
``__init__.py``; spec/CONTRACT.md's capstone section documents it. Each key overrides one field of the
training config (gpt2spec/training/presets.py): model shape, batch, learning rates and warmup, weight
decay, clipping. The race fixes what a recipe cannot touch: the number of training tokens (so the
step count is budget / tokens per step), the parameter cap, the data, the held-out works and the seeds.
Schedule shape and initialisation are the participant's own parts (get_lr, GPT), checked as in training.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from .presets import TrainConfig

KEYS = ("n_layer", "n_head", "n_embd", "block_size", "batch_size", "total_batch_size", "warmup_steps", "max_lr",
        "min_lr", "weight_decay", "max_norm")  # fmt: skip


class RecipeError(Exception):
    """A recipe the race cannot run; one line that says which key and why."""


def read_recipe(module: Any) -> dict[str, Any]:
    """The package's RECIPE dict or recipe() result; {} when it sets none."""
    if module is None:
        return {}
    found = getattr(module, "recipe", None)
    value = found() if callable(found) else getattr(module, "RECIPE", {})
    if not isinstance(value, dict):
        raise RecipeError(f"RECIPE must be a dict of training-config fields, not {type(value).__name__}")
    return value


def apply_recipe(base: TrainConfig, module: Any, token_budget: int, log: Callable[[str], None] = print) -> TrainConfig:
    """``base`` with the recipe's overrides, the step count set by the token budget, the evaluations kept."""
    recipe = read_recipe(module)
    unknown = sorted(set(recipe) - set(KEYS))
    if unknown:
        raise RecipeError(f"RECIPE sets {', '.join(unknown)}: a recipe may set only {', '.join(KEYS)}")
    defaults = {f.name: f.type for f in dataclasses.fields(TrainConfig)}
    for key, value in recipe.items():
        want = int if defaults[key] in (int, "int") else float
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (want is int and value != int(value)):
            raise RecipeError(f"RECIPE[{key!r}] = {value!r}: must be a {want.__name__}")
    cfg = dataclasses.replace(base, **{k: type(getattr(base, k))(v) for k, v in recipe.items()})
    evals = max(1, base.max_steps // base.eval_interval)
    if token_budget:
        steps = token_budget // cfg.total_batch_size
        if steps < 1:
            budget = f"{token_budget:,}"
            raise RecipeError(f"total_batch_size {cfg.total_batch_size} exceeds the race's budget of {budget} tokens")
        cfg = dataclasses.replace(cfg, max_steps=steps, eval_interval=max(1, steps // evals), sample_interval=steps)
    changed = {k: v for k, v in recipe.items() if getattr(base, k) != v}
    log("recipe: " + (", ".join(f"{k} {getattr(base, k)} -> {v}" for k, v in changed.items()) or "the default"))
    return cfg
