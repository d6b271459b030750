"""Ensembles: many runs of several scenarios, paired across scenarios (run i of every scenario uses seed i and, when
parameter draws are asked for, calibration draw i mod M: common random numbers), on any `concurrent.futures`
executor: local worker processes by default, or a Dask cluster's executor (`Client(address).get_executor()`).

Each finished run is saved at once under a work folder, named by the scenario's content hash, seed and draw, so an
interrupted ensemble resumes without redoing finished runs. Results do not depend on the executor.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import signal
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drugsim.runner import run_one
from drugsim.scenario import ResolvedScenario, with_changes

#: How many times the local pool is replaced after a worker process dies, before the ensemble gives up.
MAX_RESTARTS = 2
log = logging.getLogger("drugsim.ensemble")


class WorkerDied(RuntimeError):
    """Worker processes kept dying; the unfinished runs are named and the finished ones kept."""


class RunFailed(RuntimeError):
    """One run raised an error (a bug or an impossible setting): which run, and the error."""


def _failed(run: Run, e: Exception) -> RunFailed:
    return RunFailed(f"run {run.key} ({run.scenario.name}, seed {run.seed}) failed: {type(e).__name__}: {e}")


def _result(future, run: Run) -> np.ndarray:
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as e:
        raise _failed(run, e) from e


@dataclass(frozen=True)
class Run:
    """One run of one scenario: its seed and, optionally, the parameter draw it uses (a calibration draw, or a PSA
    draw, which `draws` then names by its content, so stored runs of different draws never mix)."""

    scenario: ResolvedScenario
    seed: int
    draw: int | None = None
    draws: str = ""

    @property
    def key(self) -> str:
        d = "fitted" if self.draw is None else f"{self.draws}draw{self.draw}"
        return f"{self.scenario.resolved_sha256[:16]}_seed{self.seed}_{d}"


def plan(
    scenarios: list[ResolvedScenario], n_runs: int, n_draws: int = 0, first_seed: int = 0, tags: Sequence[str] = ()
) -> list[Run]:
    """Paired runs: run i of every scenario uses seed first_seed + i and draw i mod n_draws (if any). `tags` names
    each draw by its content (a PSA's draws), so that a stored run is found again for the same draw whatever the
    design's size, and never taken for a different one; calibration draws need none."""
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise ValueError(f"scenario names must differ: {names}")
    runs = []
    for i in range(n_runs):
        d = (i % n_draws) if n_draws else None
        tag = tags[d] + "_" if tags and d is not None else ""
        runs += [Run(s, first_seed + i, d, tag) for s in scenarios]
    return runs


def _draw_of(run: Run, draws: list[dict[str, float]] | None) -> dict[str, float] | None:
    return None if run.draw is None else draws[run.draw % len(draws)]


def execute(run: Run, draw: dict[str, float] | None, reduce: Callable | None = None) -> np.ndarray:
    """Run one task (in a worker): the scenario, with its parameter draw if it has one (only that draw travels
    to the worker). `reduce` (a picklable function of the results array) shrinks what travels back, e.g. to one
    outcome's total."""
    scenario = run.scenario
    if run.draw is not None:
        scenario = with_changes(scenario, {"parameters": draw})
    results = run_one(scenario, run.seed)
    # A finished model is a web of reference cycles (Mesa agents and their model): free it now, so that a worker
    # that runs thousands of runs (a sensitivity design) keeps a flat memory footprint.
    gc.collect()
    return results if reduce is None else np.asarray(reduce(results))


def _exit_with_parent() -> None:
    """Worker initializer: on Linux, have the kernel end this worker if the process that started it dies, so a
    command killed outright (kill -9) leaves no workers running on. A forked worker inherits the command's own
    SIGTERM handler (a clean stop for the command); a worker must simply end, so it gets the default back."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


class LocalPool(Executor):
    """Local worker processes that can be replaced when one dies (killed, out of memory, crashed): a
    ProcessPoolExecutor is unusable after that, so the ensemble runner asks for a fresh one and retries."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, initializer=_exit_with_parent)

    def submit(self, fn, /, *args, **kwargs):
        return self._pool.submit(fn, *args, **kwargs)

    def restart(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)


#: How long to wait for a Dask scheduler before saying it is not there.
DASK_CONNECT_SECONDS = 10


@contextmanager
def make_executor(workers: int | None = None, dask_address: str | None = None) -> Iterator[Executor]:
    """All local cores by default (a pool that survives a dead worker), or the executor of an existing Dask
    cluster (Dask reschedules a dead worker's tasks itself)."""
    if dask_address:
        from distributed import Client

        try:
            client = Client(dask_address, timeout=DASK_CONNECT_SECONDS)
        except (OSError, TimeoutError, ValueError) as e:
            raise ConnectionError(
                f"--dask {dask_address}: no Dask scheduler answered there within {DASK_CONNECT_SECONDS} s ({e})"
            ) from None
        with client:
            yield client.get_executor()
    else:
        pool = LocalPool(workers or os.cpu_count() or 1)
        try:
            yield pool
        except BaseException:
            # Stopped (Ctrl-C, the app's Stop) or failed: return at once. Queued runs are cancelled; runs already
            # under way finish in their workers and are dropped (the finished ones are in the store already).
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)


class RunStore:
    """Finished runs on disk (one .npy each, written atomically), so an ensemble can resume."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)  # made with the first finished run: a command that fails first leaves nothing

    def path(self, run: Run) -> Path:
        return self.folder / f"{run.key}.npy"

    def has(self, run: Run) -> bool:
        return self.path(run).exists()

    def save(self, run: Run, results: np.ndarray) -> None:
        tmp = self.folder / f".{run.key}.{uuid.uuid4().hex[:6]}.tmp"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as f:
                np.save(f, results)
            os.replace(tmp, self.path(run))
        except OSError as e:  # a full disk, say: leave nothing half-written behind
            tmp.unlink(missing_ok=True)
            raise OSError(e.errno, f"cannot keep finished runs in {self.folder} ({e.strerror or e})") from None

    def load(self, run: Run) -> np.ndarray:
        return np.load(self.path(run))


def run_ensemble(
    runs: list[Run],
    pool: Executor | None = None,
    store: RunStore | None = None,
    draws: list[dict[str, float]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    reduce: Callable | None = None,
) -> dict[str, np.ndarray]:
    """Run every task not already in `store` and return results by run key (reduced by `reduce` if given).

    With `pool=None` runs are serial in this process. On KeyboardInterrupt, pending runs are cancelled and the
    finished ones stay in `store` for a later resume.
    """
    if any(r.draw is not None for r in runs) and not draws:
        raise ValueError("runs use calibration draws but none were given")
    results: dict[str, np.ndarray] = {}
    todo = []
    for r in runs:
        if store is not None and store.has(r):
            results[r.key] = store.load(r)
        else:
            todo.append(r)
    done = len(results)
    if progress:
        progress(done, len(runs))

    def finish(run, res):
        nonlocal done
        if store is not None:
            store.save(run, res)
        results[run.key] = res
        done += 1
        if progress:
            progress(done, len(runs))

    if pool is None:
        for r in todo:
            try:
                res = execute(r, _draw_of(r, draws), reduce)
            except Exception as e:
                raise _failed(r, e) from e
            finish(r, res)
        return results
    restarts = 0
    while todo:
        futures = {pool.submit(execute, r, _draw_of(r, draws), reduce): r for r in todo}
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    finish(futures[f], _result(f, futures[f]))
            todo = []
        except BrokenProcessPool:
            # Keep what finished before the break, then retry the rest on fresh worker processes.
            for f, r in futures.items():
                if r.key not in results and f.done() and not f.cancelled() and f.exception() is None:
                    finish(r, f.result())
            todo = [r for r in futures.values() if r.key not in results]
            restarts += 1
            if not hasattr(pool, "restart") or restarts > MAX_RESTARTS:
                raise WorkerDied(
                    f"a worker process died {restarts} time(s); {len(todo)} run(s) unfinished "
                    f"(first: {todo[0].key}). Finished runs are kept"
                    + (" in the results store: run again to resume." if store is not None else ".")
                ) from None
            log.warning(
                "a worker process died (killed, out of memory or crashed); restarting the worker pool and "
                "retrying %d unfinished run(s) (restart %d of %d)",
                len(todo),
                restarts,
                MAX_RESTARTS,
            )
            pool.restart()
        except BaseException:
            for f in futures:
                f.cancel()
            raise
    return results
