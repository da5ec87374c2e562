"""Every declared mutant, by area. Add a module here and list it in ALL."""

from ..mutation import Mutant
from . import model, perf, tokenizer, training

ALL: list[Mutant] = [*model.MUTANTS, *tokenizer.MUTANTS, *training.MUTANTS, *perf.MUTANTS]
