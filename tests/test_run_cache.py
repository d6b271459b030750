"""The app's run cache on disk: runs survive a restart, the disk stays bounded, and nothing the cache did not
write is ever removed."""

from __future__ import annotations

import os

import numpy as np
from conftest import shorten

from drugsim.ensemble import Run
from drugsim.webapp.runs import RunCache, code_version, disk_folder, forget_other_versions


def runs(baseline, n: int) -> list[Run]:
    s = shorten(baseline, "2019-03-31")
    return [Run(s, seed) for seed in range(n)]


def test_runs_kept_on_disk_survive_a_restart(baseline, tmp_path):
    a = RunCache(folder=tmp_path)
    run = runs(baseline, 1)[0]
    data = np.arange(12.0).reshape(2, 3, 2)
    a.save(run, data)
    b = RunCache(folder=tmp_path)  # a new app process
    assert b.has(run)
    np.testing.assert_array_equal(b.load(run), data)
    assert not RunCache().has(run)  # without a folder, memory only


def test_the_disk_keeps_the_newest_runs_and_nothing_else_is_touched(baseline, tmp_path):
    mine = [tmp_path / "notes.txt", tmp_path / "analysis.npy"]
    for f in mine:
        f.write_text("the user's own file")
    cache = RunCache(folder=tmp_path, max_disk_runs=3)
    for i, run in enumerate(runs(baseline, 5)):
        cache.save(run, np.full((2, 2, 2), float(i)))
        os.utime(cache.disk.path(run), (1_000_000 + i, 1_000_000 + i))  # distinct ages on any file system
    kept = sorted(p.name for p in tmp_path.glob("*_seed*.npy"))
    assert kept == sorted(cache.disk.path(r).name for r in runs(baseline, 5)[2:])
    assert all(f.exists() for f in mine)


def test_runs_of_another_code_version_are_forgotten_but_foreign_files_stay(baseline, tmp_path):
    here = tmp_path / code_version()
    old, shared = tmp_path / "0123456789abcdef", tmp_path / "fedcba9876543210"
    RunCache(folder=old).save(runs(baseline, 1)[0], np.zeros((1, 1, 1)))
    RunCache(folder=shared).save(runs(baseline, 1)[0], np.zeros((1, 1, 1)))
    (shared / "keep.txt").write_text("not ours")
    forget_other_versions(here)
    assert not old.exists()
    assert (shared / "keep.txt").exists() and not list(shared.glob("*_seed*.npy"))


def test_the_cache_folder_follows_the_environment_and_the_code(monkeypatch, tmp_path):
    monkeypatch.setenv("DRUGSIM_CACHE", str(tmp_path))
    assert disk_folder() == tmp_path / code_version()
    assert code_version() == code_version() and len(code_version()) == 16
