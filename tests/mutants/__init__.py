"""Every declared mutant, by area. Add a module here and list it in ALL."""

from ..mutation import Mutant
from . import model, training

ALL: list[Mutant] = [*model.MUTANTS, *training.MUTANTS]
