"""Faults: a worker process that dies is reported and its runs retried on fresh workers (not dropped); one that
keeps dying stops the ensemble with a clear error and keeps what finished; a run that fails is named; a full disk
or an unwritable results folder gives a clear error and leaves nothing half-written; a command killed outright leaves
no worker behind. (A killed command resumes: test_ensemble.py.)"""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, shorten

from drugsim.cli import main
from drugsim.ensemble import LocalPool, RunFailed, RunStore, WorkerDied, plan, run_ensemble
from drugsim.results import ResultsError, write_results
from drugsim.runner import run_one

# Full-scale runs, ensembles or the app: the whole suite runs these; the quick tier (-m 'not slow') does not.
pytestmark = pytest.mark.slow

END = "2019-03-31"


@pytest.fixture(scope="module")
def short(baseline):
    return shorten(baseline, END)


@pytest.fixture(scope="module")
def fingerprints(short):
    """Each seed's results summed: lets a fault in a worker pick out one run whatever the start method."""
    return {seed: float(run_one(short, seed).sum()) for seed in range(4)}


@dataclass(frozen=True)
class Fault:
    """A picklable step run in the worker after each run: kill the worker process (as the kernel's OOM killer
    would) or raise, for the run with the given fingerprint (`once`: only the first time, marked by a file)."""

    action: str
    fingerprint: float
    marker: str = ""

    def __call__(self, results: np.ndarray) -> np.ndarray:
        if abs(float(results.sum()) - self.fingerprint) > 1e-6:
            return results
        if self.marker:
            if Path(self.marker).exists():
                return results
            Path(self.marker).touch()
        if self.action == "raise":
            raise ValueError("impossible setting")
        time.sleep(1.0)  # the other runs finish first
        os._exit(9)


def test_a_dead_worker_is_reported_and_its_runs_retried(short, fingerprints, tmp_path, caplog):
    runs = plan([short], 4)
    fault = Fault("die", fingerprints[1], marker=str(tmp_path / "died"))
    with caplog.at_level(logging.WARNING, logger="drugsim.ensemble"), LocalPool(2) as pool:
        results = run_ensemble(runs, pool, reduce=fault)
    assert (tmp_path / "died").exists()  # the worker really died
    assert "worker process died" in caplog.text and "retrying" in caplog.text
    assert set(results) == {r.key for r in runs}  # nothing dropped
    for r in runs:
        np.testing.assert_array_equal(results[r.key], run_one(short, r.seed))


def test_a_worker_that_keeps_dying_stops_the_ensemble_and_keeps_what_finished(short, fingerprints, tmp_path):
    runs = plan([short], 3)
    store = RunStore(tmp_path / "runs")
    with pytest.raises(WorkerDied, match=r"died 3 time\(s\); 1 run\(s\) unfinished .*seed1.* run again to resume"):
        with LocalPool(2) as pool:
            run_ensemble(runs, pool, store, reduce=Fault("die", fingerprints[1]))
    assert {p.stem for p in store.folder.glob("*.npy")} == {runs[0].key, runs[2].key}


def test_a_failing_run_is_named(short, fingerprints):
    runs = plan([short], 3)
    fault = Fault("raise", fingerprints[2])
    with pytest.raises(RunFailed, match=r"seed2.*seed 2\) failed: ValueError: impossible setting"):
        with LocalPool(2) as pool:
            run_ensemble(runs, pool, reduce=fault)
    with pytest.raises(RunFailed, match="impossible setting"):
        run_ensemble(runs, reduce=fault)  # serially too


def _running(pid: int) -> bool:
    """Whether the process is there and not a zombie (an ended child its parent has not collected yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads the processes from /proc")
def test_a_command_killed_outright_leaves_no_worker_behind():
    """Workers start from a fork server, so the command is not their parent and the kernel does not tell them when
    it dies: each watches the command itself. Here the workers are busy (a long task each) when the command is
    killed with SIGKILL, which nothing can catch."""
    script = (
        "import os, time\n"
        "from drugsim.ensemble import LocalPool\n"
        "pool = LocalPool(2)\n"
        "pids = {pool.submit(os.getpid).result() for _ in range(4)}\n"
        "busy = [pool.submit(time.sleep, 600) for _ in range(2)]\n"
        "print(*pids, flush=True)\n"
        "time.sleep(600)\n"
    )
    command = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in command.stdout.readline().split()]
        assert workers and all(_running(pid) for pid in workers)
    finally:
        command.kill()
        command.wait()
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_running(pid) for pid in workers), workers


def _frame():
    return pd.DataFrame({"metric": ["drug_deaths"], "value": [1.0]})


def test_a_full_disk_gives_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    out = tmp_path / "results"
    with pytest.raises(ResultsError, match="No space left on device"):
        write_results(out, _frame(), {"model": "drugsim"})
    assert list(tmp_path.iterdir()) == []  # no folder, no partial folder


def test_a_full_disk_while_replacing_keeps_the_old_results(tmp_path, monkeypatch):
    out = tmp_path / "results"
    write_results(out, _frame(), {"model": "drugsim", "run": 1})
    monkeypatch.setattr(Path, "write_text", lambda *a, **k: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space")))
    with pytest.raises(ResultsError, match="No space"):
        write_results(out, _frame(), {"model": "drugsim", "run": 2}, overwrite=True)
    monkeypatch.undo()
    assert '"run": 1' in (out / "manifest.json").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["results"]


@pytest.mark.parametrize("where", ["file_as_folder", "inside_a_file", "read_only_system"])
def test_an_unwritable_results_folder_gives_a_clear_error(tmp_path, capsys, where):
    (tmp_path / "a_file").write_text("x")
    out = {
        "file_as_folder": tmp_path / "a_file",
        "inside_a_file": tmp_path / "a_file" / "results",
        "read_only_system": Path("/proc/drugsim-results"),
    }[where]
    code = main(["run", str(SCENARIOS / "baseline.toml"), "--out", str(out)])
    assert code == 2
    err = capsys.readouterr().err
    assert str(out.parent if where != "file_as_folder" else out) in err
    assert "Traceback" not in err
    assert not out.exists() or out.is_file()
