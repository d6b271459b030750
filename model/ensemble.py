"""Ensembles: many runs of several scenarios, paired across scenarios (run i of every scenario uses seed i and, when
parameter draws are asked for, calibration draw i mod M: common random numbers), on any `concurrent.futures`
executor: local worker processes by default, or a Dask cluster's executor (`Client(address).get_executor()`).

Each finished run is saved at once under a work folder, named by the scenario's content hash, seed and draw, so an
interrupted ensemble resumes without redoing finished runs. Results do not depend on the executor.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import select
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drugsim.branching import run_together
from drugsim.scenario import ResolvedScenario, with_changes

#: How many times the local pool is replaced after a worker process dies, before the ensemble gives up.
MAX_RESTARTS = 2
log = logging.getLogger("drugsim.ensemble")


class WorkerDied(RuntimeError):
    """Worker processes kept dying; the unfinished runs are named and the finished ones kept."""


class RunFailed(RuntimeError):
    """One run raised an error (a bug or an impossible setting): which run, and the error."""


def _failed(group: Sequence[Run], e: Exception) -> RunFailed:
    """A group's runs share a seed; which scenario failed is in the error, so name them all."""
    names = ", ".join(r.scenario.name for r in group)
    run = group[0]
    which = f"run {run.key} ({names}, seed {run.seed})" if len(group) == 1 else f"runs of {names} with seed {run.seed}"
    return RunFailed(f"{which} failed: {type(e).__name__}: {e}")


def _result(future, group: Sequence[Run]) -> list:
    try:
        return future.result()
    except BrokenProcessPool:
        raise
    except Exception as e:
        raise _failed(group, e) from e


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
    return execute_together([run], draw, reduce)[0]


def execute_together(runs: Sequence[Run], draw: dict[str, float] | None, reduce: Callable | None = None) -> list:
    """Run a group of runs of one seed and one parameter draw (in a worker): the history they share is simulated
    once (`drugsim.branching.run_together`); results as `execute` gives them, one per run."""
    scenarios = [r.scenario if r.draw is None else with_changes(r.scenario, {"parameters": draw}) for r in runs]
    results = run_together(scenarios, runs[0].seed)
    # A finished model is a web of reference cycles (Mesa agents and their model): free it now, so that a worker
    # that runs thousands of runs (a sensitivity design) keeps a flat memory footprint.
    gc.collect()
    return [res if reduce is None else np.asarray(reduce(res)) for res in results]


def groups(runs: Sequence[Run], tasks: int = 1) -> list[list[Run]]:
    """The runs in groups that can share their history: the same seed, parameter draw, period and parameters (a
    comparison's options, but not a sensitivity design's points), in their order (the first scenario is each
    group's trunk: the base, in a comparison), so that each group is one task. Groups are halved while there
    are fewer than `tasks` of them, so that every worker has something to do."""
    by_key: dict[tuple, list[Run]] = {}
    for r in runs:
        s = r.scenario
        key = (r.seed, r.draw, r.draws, s.start, s.end, tuple(sorted(s.params.items())))
        by_key.setdefault(key, []).append(r)
    out = list(by_key.values())
    while len(out) < tasks and any(len(g) > 1 for g in out):
        big = max(out, key=len)
        out.remove(big)
        out += [big[: len(big) // 2], big[len(big) // 2 :]]
    return out


def _end_with_command(command_pid: int) -> None:
    """Worker initializer: end this worker when the command that started the pool ends, however it ends (kill -9
    included), so that no worker runs on, or waits for work for ever. A worker's parent is the fork server, not the
    command, so the kernel's parent-death signal would not tell: a daemon thread waits for the command's process
    to end (a pidfd on Linux; elsewhere a look every second). A worker may inherit a SIGTERM handler meant for a
    command (a clean stop that writes nothing); a worker must simply end, so it gets the default back."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if os.name == "posix":  # not on Windows, where `os.kill(pid, 0)` would end the command instead of asking
        threading.Thread(target=_exit_after, args=(command_pid,), daemon=True, name="drugsim-command-watch").start()


def _exit_after(pid: int) -> None:
    try:
        fd = os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux (or the command has already ended): look every second
        while _alive(pid):
            time.sleep(1.0)
    else:
        select.select([fd], [], [])
    os._exit(1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # there, but another user's
        pass
    return True


def _worker_context() -> multiprocessing.context.BaseContext:
    """How the local workers start: from a fork server where there is one (Linux, macOS; Python 3.14's default on
    Linux), which imports the model once, in a process of its own with one thread, and forks each worker from it
    ready to run. Not the process-wide default: importing Mesa sets that to "spawn" (mesa/batchrunner.py calls
    `multiprocessing.set_start_method("spawn", force=True)` in Mesa 3.3; mesa PR #3073 moves it into `batch_run`
    for later releases), under which every worker of every pool started a new interpreter and imported drugsim,
    Mesa and pandas again (about a second of each core). Not "fork" from the command itself either, though it
    starts faster still: forking a process with threads (the app's) can deadlock the child. Where there is no fork
    server (Windows), spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["drugsim.model"])
    return ctx


class LocalPool(Executor):
    """Local worker processes that can be replaced when one dies (killed, out of memory, crashed): a
    ProcessPoolExecutor is unusable after that, so the ensemble runner asks for a fresh one and retries."""

    def __init__(self, workers: int):
        self.workers = workers
        self._pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=_worker_context(),
            initializer=_end_with_command,
            initargs=(os.getpid(),),
        )

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

    tasks = groups(todo, getattr(pool, "workers", os.cpu_count() or 1) if pool is not None else 1)
    if pool is None:
        for group in tasks:
            try:
                res = execute_together(group, _draw_of(group[0], draws), reduce)
            except Exception as e:
                raise _failed(group, e) from e
            for r, x in zip(group, res, strict=True):
                finish(r, x)
        return results
    restarts = 0
    while tasks:
        futures = {pool.submit(execute_together, g, _draw_of(g[0], draws), reduce): g for g in tasks}
        try:
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in finished:
                    for r, x in zip(futures[f], _result(f, futures[f]), strict=True):
                        finish(r, x)
            tasks = []
        except BrokenProcessPool:
            # Keep what finished before the break, then retry the rest on fresh worker processes.
            for f, g in futures.items():
                if g[0].key not in results and f.done() and not f.cancelled() and f.exception() is None:
                    for r, x in zip(g, f.result(), strict=True):
                        finish(r, x)
            tasks = [g for g in futures.values() if g[0].key not in results]
            todo = [r for g in tasks for r in g]
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
