"""Shared fixtures and helpers: the baseline scenario, short horizons, and paired-seed comparisons."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from drugsim.branching import run_together
from drugsim.calendar import Calendar
from drugsim.ensemble import Run, RunStore
from drugsim.levers import N_LA
from drugsim.metrics import INDEX
from drugsim.model import DrugMarketModel
from drugsim.population import NEVER, USER_MAX_AGE, USER_MIN_AGE, Kind, Status
from drugsim.scenario import load_scenario, with_changes
from drugsim.stats import mean_interval

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session", autouse=True)
def _app_cache_in_a_scratch_folder(tmp_path_factory):
    """The app keeps finished runs on disk (DRUGSIM_CACHE); tests keep theirs in a scratch folder, not the user's."""
    os.environ["DRUGSIM_CACHE"] = str(tmp_path_factory.mktemp("run-cache"))


@pytest.fixture(scope="session", autouse=True)
def _paired_runs_shared_by_workers(tmp_path_factory, worker_id):
    """`paired_runs` keeps its runs for the session in a folder every xdist worker sees (the workers' scratch
    folders share a parent), so a module's runs are made once whichever workers its tests go to."""
    global _SHARED_RUNS
    root = tmp_path_factory.getbasetemp()
    _SHARED_RUNS = (root if worker_id == "master" else root.parent) / "paired-runs"
    _SHARED_RUNS.mkdir(exist_ok=True)
    yield
    # A whole suite's runs take some GB: each worker removes the ones it wrote when its tests are done (a worker
    # still at work that wants one again makes it again).
    for path in _WRITTEN:
        path.unlink(missing_ok=True)


@pytest.fixture(scope="session")
def baseline():
    return load_scenario(SCENARIOS / "baseline.toml")


def shorten(scenario, end: str, **changes):
    """The scenario ending at `end` (ISO date), with optional further changes merged in."""
    return with_changes(scenario, {"scenario": {"end": end}, **changes})


def total(scenario, results: np.ndarray, metric: str, start: str | None = None, end: str | None = None) -> float:
    """Force-wide total of a weekly flow from `start` to `end` (ISO dates, both days included; default: the whole
    run), each week counted for its days inside the period, as targets and comparisons count it."""
    cal = Calendar(scenario.start, scenario.end)
    last_day = cal.week_start(cal.n_weeks - 1) + dt.timedelta(days=6)
    weights = cal.period_weights(start or scenario.start, end or last_day)
    return float(weights @ results[:, INDEX[metric]].sum(axis=1))


def paired_interval(diffs) -> tuple[float, float, float]:
    """Mean of paired differences with its two-sided 90% t-interval (the product's own, `drugsim.stats`)."""
    return mean_interval(diffs)


_SHARED_RUNS: Path  # set for the session by _paired_runs_shared_by_workers
_WRITTEN: list[Path] = []


def paired_runs(a, b, seeds):
    """Run scenarios `a` and `b` on the same seeds (common random numbers), their shared history once (the same
    results as runs alone: test_branching), each run made once in the session.

    xdist spreads a module's tests over workers and each worker builds the module's fixtures itself, and many
    modules pair the same baseline seeds; so finished runs are kept in a folder all workers share, by the run's key
    (the resolved scenario's hash and the seed: everything that decides its numbers). A worker wanting runs another
    is making waits for them (a file lock per pair) and reads them back; the numbers are the run's own, since the
    same scenario and seed give the same results in any process (test_ensemble, test_branching)."""
    store = RunStore(_SHARED_RUNS)
    pairs = []
    for seed in seeds:
        runs = [Run(a, seed), Run(b, seed)]
        with FileLock(_SHARED_RUNS / f"{'-'.join(sorted({r.key for r in runs}))}.lock"):
            kept = {}
            for run in runs:
                try:
                    kept[run.key] = store.load(run)
                except FileNotFoundError:  # not made yet, or removed by a worker that has finished
                    pass
            missing = list({r.key: r for r in runs if r.key not in kept}.values())
            for run, results in zip(missing, run_together([r.scenario for r in missing], seed), strict=True):
                store.save(run, results)
                _WRITTEN.append(store.path(run))
                kept[run.key] = results
            pairs.append(tuple(kept[r.key].copy() for r in runs))  # a pair of one scenario: two arrays, as before
    return pairs


def step_and_check(scenario, seed: int) -> np.ndarray:
    """Run week by week, checking the population accounts after every week."""
    m = DrugMarketModel(scenario, seed=seed)
    pop = m.pop
    n = pop.n
    prev = pop.counts_by_status()
    assert prev.sum() == n
    users = pop.kind != Kind.OCU
    # A new person in a row has a new age and a new police-contact draw: both are compared, since a float32 age can
    # come out the same as the row's last person's (it did, once in some hundred thousand renewals).
    age0, contact = pop.age0.copy(), pop.contact.copy()
    while m.running:
        m.step()
        w = m.week - 1
        counts = pop.counts_by_status()
        # Everyone is in exactly one valid state; nobody appears or vanishes.
        assert counts.sum() == n
        assert pop.status.min() >= 0 and pop.status.max() < len(Status)
        # Births come only from reserve slots; deaths are only ever added to.
        r = m.results[w]
        new = r[INDEX["new_ocus"]].sum()
        assert prev[Status.NOT_STARTED] - counts[Status.NOT_STARTED] == new
        died = r[INDEX["drug_deaths"]].sum() + r[INDEX["deaths_other_causes"]].sum()
        assert counts[Status.DEAD] - prev[Status.DEAD] == died
        # Cannabis and cocaine users never take OCU-only states.
        other = pop.status[users]
        assert np.isin(other, [Status.USING, Status.DEAD]).all()
        # Turnover: a cannabis or cocaine user who stops is replaced in the same row (a new person, so a new age),
        # the only change of identity; the new person has no criminal-justice history yet; prevalence by LA is
        # kept, so the users alive are last week's less the cocaine users who died.
        changed = (pop.age0 != age0) | (pop.contact != contact)
        renewed = users & changed
        assert renewed.sum() == r[INDEX["users_replaced"]].sum()
        assert not (pop.n_charge[renewed].any() or pop.n_caution[renewed].any() or pop.n_divert[renewed].any())
        assert (pop.divert_nonengaged_week[renewed] == NEVER).all()
        assert (pop.kind[users] != Kind.OCU).all()
        for k, name in ((Kind.COCAINE, "cocaine"), (Kind.CANNABIS, "cannabis")):
            alive = (pop.kind == k) & (pop.status == Status.USING)
            np.testing.assert_array_equal(np.bincount(pop.la[alive], minlength=N_LA), m.alive_users[name])
        age = pop.age(w)[users & (pop.status == Status.USING)]  # ages when turnover ran this week
        # OCU migration: rows of OCUs who started before this week change person only by a swap with a mover, who
        # keeps the row's state (a mobile one) and has no history in the force's records. (An OCU who started this
        # week may move too; their row's age changed anyway.)
        started_before = np.arange(n) < pop.n_started - new
        swapped = ~users & started_before & changed
        assert swapped.sum() <= r[INDEX["ocu_migrants"]].sum() <= swapped.sum() + new
        assert np.isin(pop.status[swapped], [Status.USING, Status.TREATMENT, Status.ABSTINENT, Status.DEAD]).all()
        assert not (pop.n_charge[swapped].any() or pop.n_divert[swapped].any() or pop.n_cars[swapped].any())
        assert age.min() >= USER_MIN_AGE - 1e-3 and age.max() < USER_MAX_AGE + 1e-3
        # The detection sampler's running exposures are everyone's exposure this week, and its totals add up.
        np.testing.assert_allclose(pop.expo, pop.exposure(w), rtol=1e-12)
        for k in Kind:
            np.testing.assert_allclose(pop.total_exposure(k), pop.expo[pop.rows_of[k]].sum(), rtol=1e-9)
        age0, contact = pop.age0.copy(), pop.contact.copy()
        prev = counts
    return m.results
