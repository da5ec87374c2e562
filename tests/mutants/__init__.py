"""Every declared mutant, by area. Add a module here and list it in ALL."""

from ..mutation import Mutant
from . import model, perf

ALL: list[Mutant] = [*model.MUTANTS, *perf.MUTANTS]
