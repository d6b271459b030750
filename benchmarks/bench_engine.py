"""Speed benchmark (not a test): the array engine against the idiomatic per-agent Mesa workload.

Times, on this machine:
  (a) `drugsim run baseline --seed 0`, the whole process, full scale 2019-2030 (median wall time of --repeats runs,
      and peak memory), `drugsim --help` (median), and the engine's stepping loop alone in this process;
  (b) the same person workload with one mesa.Agent per person (benchmarks/per_agent.py) for one year.
Prints person-weeks per second for both and their ratio.
  (c) with --scaling: the stepping with the people scaled to 1%, 1x, 2x and 4x (the OCU, former-OCU, initiation and
      cannabis and cocaine prevalence parameters multiplied; the market is not). What a run costs beyond the part
      that does not shrink with the people is what stepping several seeds in one set of arrays would cost each.
      Then each weekly process's time at 1% and at full scale: the fixed part (Python and numpy calls on small
      arrays, which only fewer calls or a compiled week remove) against the part that grows with the people.

Usage: python benchmarks/bench_engine.py [--agent-weeks 52] [--repeats 5] [--scaling]
"""

from __future__ import annotations

import argparse
import contextlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--agent-weeks", type=int, default=52, help="weeks for the per-agent run (default 52)")
    ap.add_argument("--repeats", type=int, default=5, help="whole-command runs to take the median of (default 5)")
    ap.add_argument("--scaling", action="store_true", help="also time the stepping with the people scaled (c)")
    args = ap.parse_args()

    from per_agent import PerAgentModel

    from drugsim.model import DrugMarketModel
    from drugsim.scenario import load_scenario, with_changes

    baseline = load_scenario("baseline")

    # (a) the whole command, as a user runs it: the median of --repeats runs (and of `drugsim --help`)
    def command(*argv: str) -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "drugsim.cli", *argv], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        return time.perf_counter() - t0

    with tempfile.TemporaryDirectory() as tmp:
        walls = [command("run", "baseline", "--seed", "0", "--out", f"{tmp}/out{i}") for i in range(args.repeats)]
    cmd_wall = statistics.median(walls)
    help_wall = statistics.median(command("--help") for _ in range(args.repeats))
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    # (a') the engine's stepping loop, same scenario and seed; the supply side (Market.step) timed within it
    t0 = time.perf_counter()
    m = DrugMarketModel(baseline, seed=0)
    init_s = time.perf_counter() - t0
    started_before = m.pop.n_started
    seconds: dict[str, float] = {}
    with timed_processes(seconds):
        t0 = time.perf_counter()
        m.run()
        loop_s = time.perf_counter() - t0
    supply_s = seconds["market"]
    # People alive in the arrays, averaged over the run (new OCUs start from reserve slots).
    people = m.pop.n - m.pop.n_ocu + (started_before + m.pop.n_started) / 2
    engine_rate = people * m.cal.n_weeks / loop_s

    # (b) one mesa.Agent per person, shuffle_do("step"), for --agent-weeks
    short = with_changes(baseline, {"scenario": {"end": "2019-12-31"}})
    t0 = time.perf_counter()
    pa = PerAgentModel(short, seed=0)
    agent_init_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(args.agent_weeks):
        pa.step()
    agent_s = time.perf_counter() - t0
    agent_rate = pa.n_people * args.agent_weeks / agent_s

    print(
        f"people simulated: {people:,.0f} on average (OCUs {started_before:,} at the start, "
        f"{m.pop.n_started:,} at the end; the rest cannabis and powder cocaine users)"
    )
    print(
        f"(a) drugsim run baseline, 1 seed, {m.cal.n_weeks} weeks: {cmd_wall:.2f} s wall (whole process, median of "
        f"{args.repeats}), peak memory {peak_mib:.0f} MiB; drugsim --help {help_wall:.2f} s"
    )
    print(f"    engine: init {init_s:.2f} s, stepping {loop_s:.2f} s = {engine_rate / 1e6:.1f} M person-weeks/s")
    print(f"    supply side (county lines, violence, dealers): {supply_s:.2f} s = {supply_s / loop_s:.0%} of stepping")
    print(
        f"(b) per-agent Mesa, {args.agent_weeks} weeks: init {agent_init_s:.1f} s, stepping {agent_s:.1f} s "
        f"= {agent_rate / 1e6:.2f} M person-weeks/s"
    )
    print(f"ratio (a)/(b): {engine_rate / agent_rate:.0f}x")
    print(
        f"targets: whole run <= 1.5 s [{'met' if cmd_wall <= 1.5 else 'NOT met'}], --help <= 0.3 s "
        f"[{'met' if help_wall <= 0.3 else 'NOT met'}], ratio >= 50x "
        f"[{'met' if engine_rate / agent_rate >= 50 else 'NOT met'}], peak < 1024 MiB "
        f"[{'met' if peak_mib < 1024 else 'NOT met'}], supply side <= 15% of stepping "
        f"[{'met' if supply_s / loop_s <= 0.15 else 'NOT met'}]"
    )
    if args.scaling:
        scaling(baseline, args.repeats)


#: The parameters that set how many people there are (`--scaling`): the rest are shares and rates.
POPULATION_SIZE = (
    "ocu_total_2019",
    "ocu_abstinent_pool_2019",
    "ocu_initiation_per_year",
    "cannabis_prevalence_16_59",
    "cocaine_prevalence_16_59",
)


#: The weekly processes, as `drugsim.model` calls them (the order of `DrugMarketModel.step`).
PROCESSES = (
    "use_and_purchase",
    "offending",
    "policing",
    "custody",
    "treatment",
    "overdose",
    "turnover",
    "ocu_migration",
    "record_stocks",
    "accounting",
)


@contextlib.contextmanager
def timed_processes(seconds: dict[str, float]):
    """Add each weekly process's wall time, and the market's ("market"), to `seconds` while models step: the names
    `drugsim.model` calls and `Market.step` are wrapped for the duration (a timing harness: cProfile's per-call
    overhead would inflate the processes made of many small calls most, which is what this is meant to tell apart)."""
    import drugsim.model as engine
    from drugsim.market import Market

    originals = [(engine, name, getattr(engine, name)) for name in PROCESSES] + [(Market, "step", Market.step)]

    def timed(name, f):
        def wrapper(*args):
            t0 = time.perf_counter()
            out = f(*args)
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - t0
            return out

        return wrapper

    for owner, name, f in originals:
        setattr(owner, name, timed("market" if owner is Market else name, f))
    try:
        yield
    finally:
        for owner, name, f in originals:
            setattr(owner, name, f)


def scaling(baseline, repeats: int) -> None:
    """(c) Stepping time with the people scaled, and each process's share at 1% and at full scale. Parameters beyond
    their plausible ranges are set directly (this is a timing, not a scenario anyone should run), so the scenario is
    built with dataclasses.replace."""
    import dataclasses

    from drugsim.model import DrugMarketModel

    rows, by_process = [], {}
    for factor in (0.01, 1, 2, 4):
        params = dict(baseline.params)
        for name in POPULATION_SIZE:
            params[name] *= factor
        scenario = dataclasses.replace(baseline, params=params)
        times, seconds = [], {}
        DrugMarketModel(scenario, seed=repeats).run()  # first use of this scale (caches, allocations): not timed
        for seed in range(repeats):
            m = DrugMarketModel(scenario, seed=seed)
            with timed_processes(seconds) if factor in (0.01, 1) else contextlib.nullcontext():
                t0 = time.perf_counter()
                m.run()
                times.append(time.perf_counter() - t0)
        rows.append((factor, m.pop.n, statistics.median(times)))
        by_process[factor] = {name: s / repeats for name, s in seconds.items()}
        # What no wrapped process took (the levers, the DataCollector, a process not in PROCESSES): never lost.
        by_process[factor]["the rest"] = sum(times) / repeats - sum(by_process[factor].values())
    fixed = rows[0][2]
    print(f"(c) stepping with the people scaled (median of {repeats} seeds):")
    for factor, n, s in rows:
        print(f"    x{factor:<5g} {n:>9,} rows: {s:.2f} s, {s / max(factor, 1):.2f} s per baseline's worth of people")
    print(f"    the part that does not shrink with the people: {fixed:.2f} s of {rows[1][2]:.2f} s")
    print("    by process, mean seconds a run: at x0.01 (the fixed part), at x1, and the difference (per person)")
    small, full = by_process[0.01], by_process[1]
    for name in sorted(full, key=full.get, reverse=True):
        fixed_s = small.get(name, 0.0)
        print(f"      {name:<18} {fixed_s:5.2f} {full[name]:5.2f} {full[name] - fixed_s:5.2f}")


if __name__ == "__main__":
    main()
