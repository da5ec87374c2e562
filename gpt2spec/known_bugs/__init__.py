"""The known bugs, by area: each a plausible participant bug declared as an edit to reference/.
The spec names them in its failure messages (gpt2spec/fingerprint.py); tests/test_mutants.py proves
that each is caught by the spec tests it lists. Add a module here and list it in ALL."""

from . import model, perf, tokenizer, training
from .mutant import Mutant

ALL: list[Mutant] = [*model.MUTANTS, *tokenizer.MUTANTS, *training.MUTANTS, *perf.MUTANTS]
