#!/usr/bin/env bash
# The two commands of the README, each installing what it needs into ./.venv first.
#
#   ./spec.sh --impl=alice [pytest args]   grade an implementation (any pytest args work)
#   ./spec.sh --self-test                  the project's own checks: lint, spec, meta-tests (what CI runs)
#
# torch is installed first and pinned ($TORCH_SPEC, default torch==2.13.0) so that a machine with a
# local CPU wheel keeps it; on a GPU machine the same pin takes PyPI's normal CUDA wheel.
set -euo pipefail
cd "$(dirname "$0")"

venv="${GPT2SPEC_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  "${PYTHON:-python3}" -m venv "$venv"
fi
# shellcheck disable=SC1091
. "$venv/bin/activate"
stamp="$venv/.gpt2spec-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "spec.sh: installing into $venv ..." >&2
  python -c "import torch" 2>/dev/null || python -m pip install -q "${TORCH_SPEC:-torch==2.13.0}"
  python -m pip install -q -e ".[dev,train]"  # train: tqdm + matplotlib (loss.png, race.png)
  # The capstone's corpus (Shakespeare's complete works, sha256-checked) into the cache, so training needs no network.
  python -m gpt2spec.training.corpus >/dev/null || echo "spec.sh: corpus not fetched; gpt2spec train will say what to do" >&2
  touch "$stamp"
fi

if [ "${1:-}" != "--self-test" ]; then
  exec python -m pytest "$@"
fi

step() { printf '\n==> %s (%s)\n' "$*" "$(date +%T)" >&2; }
step "lint"
ruff check .
ruff format --check .
step "spec on the reference and the template (template: everything not implemented, exit 0)"
python -m pytest --impl=reference,template -q
step "the suite's own tests: registry, plugin, mutants, independent implementations, grader"
# One thread per interpreter: two workers of two threads each on two cores spin-wait for each other (a spec run
# took 75 s with 2 threads, 50 s with 1). loadscope: a module's tests share one worker, so a module's one grading
# (tests/submissions.py once_per_session) never blocks the other worker; test_mutants has a class per section.
OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 python -m pytest tests -q -n 2 --dist loadscope --no-loadscope-reorder --durations=60
