"""One rank of the DDP spec test (spec/test_training.py::test_ddp_matches_single_process).

``run_ranks`` starts the ranks as forked processes (spawned where fork is unavailable): forking
skips re-importing torch, which costs seconds per process on a busy CI box. Each rank joins a
gloo process group through a rendezvous file (no torchrun, no network beyond loopback), trains
an implementation's GPT under DistributedDataParallel on its rank's slice of the data, and
saves its losses, gradients and weights for the parent test to compare with one process.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
import traceback
from multiprocessing.connection import wait
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

from gpt2spec.registry import ImplRef, import_impl

# A waiting rank still wakes now and then (gloo's store polling: ~4 ticks of 10 ms in 100 s, measured); a rank
# that computes uses far more than this in any 15 s.
IDLE_TICKS = 5
# Every rank that run_ranks killed (rather than one that failed on its own) says so with this, whatever the reason.
STOPPED = " was stopped: "
# A rank stopped by the timeout while it still used the CPU (not a deadlock, not a failure) says this.
TIMED_OUT = "it did not finish within"


def run_ranks(job_file: Path, world_size: int, timeout: float = 120, grace: float = 5, idle: float = 15) -> list[str]:
    """Run every rank to completion; return each rank's error ('' when it succeeded).

    Two ways a DDP bug hangs, both cut short so that a participant's failing test (and each re-run of it by
    the diagnosis) costs seconds, not the two-minute ``timeout``: a rank that fails leaves the others waiting
    in a collective (they are stopped ``grace`` seconds after the failure), and ranks that wait for each other
    in different collectives, or at a rendezvous, use almost no CPU (stopped once the ranks together used at most
    ``IDLE_TICKS`` clock ticks in ``idle`` seconds, read from /proc: on Linux only; elsewhere the timeout applies)."""
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    procs = [ctx.Process(target=_rank_main, args=(job_file, rank)) for rank in range(world_size)]
    for p in procs:
        p.start()
    start = time.monotonic()
    failed_at, busy_at, cpu = None, start, _cpu_ticks(procs)
    stuck = ""
    while any(p.is_alive() for p in procs):
        now = time.monotonic()
        if failed_at is None and any(p.exitcode not in (None, 0) for p in procs):
            failed_at = now
        ticks = _cpu_ticks(procs)
        if ticks is None or cpu is None or not 0 <= ticks - cpu <= IDLE_TICKS:  # below 0: a rank ended
            busy_at, cpu = now, ticks
        if failed_at is not None and now - failed_at >= grace:
            stuck = f"{grace:.0f} s after another rank failed (it was waiting for that rank)"
        elif cpu is not None and now - busy_at >= idle:
            stuck = f"after {idle:.0f} s without using the CPU: the ranks wait for each other (a deadlock)"
        elif now - start >= timeout:
            stuck = f"{TIMED_OUT} {timeout:.0f} s (a collective waiting for the other rank?)"
        if stuck:
            break
        wait([p.sentinel for p in procs if p.is_alive()], timeout=0.2)
    errors = []
    for rank, p in enumerate(procs):
        if p.is_alive():
            p.kill()
            p.join()
            errors.append(f"rank {rank}{STOPPED}{stuck}")
            continue
        error_file = job_file.with_name(f"rank{rank}.err")
        errors.append(
            error_file.read_text() if error_file.exists() else "" if p.exitcode == 0 else f"exit {p.exitcode}"
        )
    return errors


def _cpu_ticks(procs: list) -> int | None:
    """User + system clock ticks of the live ranks together (/proc/PID/stat), or None where /proc cannot tell."""
    ticks = 0
    for p in procs:
        if not p.is_alive():
            continue
        try:
            fields = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            return None
    return ticks


def _rank_main(job_file: Path, rank: int) -> None:
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # loopback only
    torch.set_num_threads(1)  # two ranks share the CI box's cores
    try:
        run_rank(job_file, rank)
    except BaseException:
        job_file.with_name(f"rank{rank}.err").write_text(traceback.format_exc())
        os._exit(1)


def run_rank(job_file: Path, rank: int) -> None:
    job = torch.load(job_file, weights_only=False)
    impl = import_impl(ImplRef(job["impl_name"], Path(job["impl_path"])))
    world_size = job["world_size"]
    dist.init_process_group("gloo", init_method=f"file://{job['rendezvous']}", rank=rank, world_size=world_size)
    try:
        torch.manual_seed(0)
        model = impl.GPT(impl.GPTConfig(**job["config"])).to(torch.float64)
        model.load_state_dict(job["state"])
        ddp = DDP(model)
        optimizer = impl.configure_optimizers(ddp, **job["optimizer"])
        loader = impl.DataLoader(job["tokens"], job["B"] // world_size, job["T"], rank=rank, world_size=world_size)
        losses, norms = [], []
        for _ in range(job["steps"]):
            batches = [loader.next_batch() for _ in range(job["micro_steps"])]
            loss, norm = impl.train_step(ddp, optimizer, batches, job["max_norm"])
            losses.append(float(loss))
            norms.append(float(norm))
        result = {
            "losses": losses,
            "norms": norms,
            "grads": {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None},
            "weights": {n: p.detach().clone() for n, p in model.named_parameters()},
        }
        torch.save(result, job_file.with_name(f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()
