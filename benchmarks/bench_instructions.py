"""Instructions the engine executes (not a test): the full-scale baseline's stepping counted by valgrind's callgrind.

Unlike wall time, the count hardly moves with the machine's load or speed (two runs of the same code agree within
about 0.5%), so it tells apart two versions of the code whose difference is smaller than a shared machine's timing
noise, and it compares figures taken on different machines. It counts what the CPU executes, not what it waits
for (memory, the cache), so a change that moves fewer bytes can gain more time than instructions; confirm a gain in
time with `bench_engine.py`.

The baseline (seed 0) steps to --from-week uncounted (the model built, its first years run), then the next --weeks
weeks are counted: all of the engine's work in them, or with --process only that weekly process's (a name
`DrugMarketModel.step` calls, or `market` for `Market.step`). valgrind runs the whole process, 20 to 50 times
slower while counting: the default 52 weeks take a few minutes.

Needs valgrind (Debian/Ubuntu: apt-get install valgrind).

With --top N, also the N compiled functions (numpy's, the interpreter's, the C library's) that execute the most
instructions themselves, and the share of all in numpy.random's Generator methods (their callees included): where
the engine's time goes below the Python, which a Python profiler does not show (a cast of a whole array, say). With
--process the table's shares include the count's switches around the process (a few percent).

With --by-process, the stepping and then each process in turn, as a table (one valgrind run each: about 25
minutes on the 2-core development machine).

Usage: python benchmarks/bench_instructions.py [--weeks 52] [--from-week 300] [--process overdose | --by-process]
                                              [--top 15]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_engine import PROCESSES


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weeks", type=int, default=52, help="weeks counted (default 52)")
    ap.add_argument("--from-week", type=int, default=300, help="weeks stepped before counting (default 300)")
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--process", choices=(*PROCESSES, "market"), help="count only this weekly process")
    which.add_argument("--by-process", action="store_true", help="the stepping and each process in turn (a table)")
    ap.add_argument("--top", type=int, default=0, metavar="N", help="also the N compiled functions doing the most")
    ap.add_argument("--counted", action="store_true", help=argparse.SUPPRESS)  # the process valgrind runs
    args = ap.parse_args()
    if args.top < 0 or (args.top and args.by_process):
        ap.error(f"--top {args.top}: a number of functions, 0 or more, and not with --by-process (a table of its own)")
    if args.counted:
        step_counted(args.from_week, args.weeks, args.process)
        return
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        sys.exit("bench_instructions: needs valgrind and its callgrind_control (apt-get install valgrind)")
    from drugsim.calendar import Calendar
    from drugsim.scenario import load_scenario

    baseline = load_scenario("baseline")
    n_weeks = Calendar(baseline.start, baseline.end).n_weeks
    if not (args.weeks >= 1 and 0 <= args.from_week and args.from_week + args.weeks <= n_weeks):
        sys.exit(
            f"bench_instructions: --from-week {args.from_week} and --weeks {args.weeks} must fit in the "
            f"baseline's {n_weeks} weeks, with at least one week counted"
        )
    if args.by_process:
        by_process(args.from_week, args.weeks)
        return
    total, switching, wall, top = count(args.process, args.from_week, args.weeks, args.top)
    what = f"the {args.process} process" if args.process else "the engine's stepping"
    print(f"{what}, baseline seed 0, weeks {args.from_week} to {args.from_week + args.weeks - 1}:")
    print(f"  {total / 1e6:,.1f} million instructions = {total / args.weeks / 1e6:,.2f} million a week")
    if args.process:
        print(
            f"  (switching the count on and off around it each week took {switching / 1e6:,.1f} million more, "
            "counted alone and taken off)"
        )
    print(f"  (counted under valgrind in {wall:.0f} s)")
    if top:
        print(top)


def count(process: str | None, from_week: int, weeks: int, top: int = 0) -> tuple[int, int, float, str]:
    """Instructions of the counted weeks (or of `process` in them), the switches' own (taken off already), the
    wall time under valgrind and, if `top`, the table of the functions doing the most."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        argv = [sys.executable, __file__, "--counted", "--weeks", str(weeks), "--from-week", str(from_week)]
        argv += ["--process", process] if process else []
        t0 = time.perf_counter()
        subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", *argv],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - t0
        counted = instructions(Path(f"{out}.1").read_text())  # the dump made after the counted weeks
        switching = instructions(out.read_text()) if process else 0  # the switches alone, as often
        table = top_functions(Path(f"{out}.1"), top, counted) if top else ""
    return counted - switching, switching, wall, table


def top_functions(dump: Path, n: int, total: int) -> str:
    """The `n` functions with the most instructions of their own in a callgrind dump (from `callgrind_annotate`),
    and numpy.random's Generator methods' share with what they call."""
    line = re.compile(r"^\s*([\d,]+) \(\s*[\d.]+%\)\s+(?:.*?:)?(\S+?) \[(.+?)\]$")

    def rows(*options: str) -> list[tuple[int, str, str]]:
        report = subprocess.run(
            ["callgrind_annotate", "--threshold=100", *options, str(dump)], capture_output=True, text=True, check=True
        ).stdout
        found = (line.match(r) for r in report.splitlines())
        return [(int(f.group(1).replace(",", "")), f.group(2), Path(f.group(3)).name) for f in found if f]

    own = rows()[:n]
    # Each Generator method's Python entry point (Cython's `__pyx_pw_..._Generator_<n><method>`), with its callees; a
    # method the engine calls from another (hardly any: choice's permutation) would count twice.
    generator = sum(
        k for k, name, lib in rows("--inclusive=yes") if name.startswith("__pyx_pw_") and "Generator_" in name
    )
    out = [f"  the {len(own)} compiled functions executing the most instructions themselves:"]
    out += [f"    {k / total:6.1%}  {name}  ({lib.split('.')[0]})" for k, name, lib in own]
    out.append(f"  numpy.random's Generator methods with what they call: {generator / total:.1%}")
    return "\n".join(out)


def by_process(from_week: int, weeks: int) -> None:
    """The stepping's instructions and each weekly process's share, one valgrind run each."""
    total = count(None, from_week, weeks)[0]
    rows = {name: count(name, from_week, weeks)[0] for name in (*PROCESSES, "market")}
    rows["the rest (the levers, interventions, recording)"] = total - sum(rows.values())
    print(f"instructions, baseline seed 0, weeks {from_week} to {from_week + weeks - 1}, million a week:")
    print(f"  {'the stepping':<48} {total / weeks / 1e6:7.2f}")
    for name, n in sorted(rows.items(), key=lambda kv: -kv[1]):
        print(f"  {name:<48} {n / weeks / 1e6:7.2f}  {n / total:6.1%}")


def instructions(report: str) -> int:
    """The instructions a callgrind output file counts: its `totals:` line (its `summary:` line, which older
    valgrinds write instead, is 0 in newer ones when counting starts switched off)."""
    found = re.search(r"^totals:\s+(\d+)", report, flags=re.MULTILINE) or re.search(
        r"^summary:\s+(\d+)", report, flags=re.MULTILINE
    )
    if found is None:
        raise RuntimeError("bench_instructions: callgrind wrote no totals (was anything counted?)")
    return int(found.group(1))


def step_counted(from_week: int, weeks: int, process: str | None) -> None:
    """Run under valgrind: step uncounted to `from_week`, then count `weeks` weeks (or one process in them), and
    dump the count. Counting is switched with `callgrind_control`, which waits until valgrind has taken the switch;
    each switch counts some instructions of its own (about 0.3 million for a pair), so with a process counted the
    same number of switches are then made around nothing, for the parent to take off."""
    import drugsim.model as engine
    from drugsim.market import Market
    from drugsim.scenario import load_scenario

    def control(*option: str) -> None:
        subprocess.run(["callgrind_control", *option, str(os.getpid())], check=True, stdout=subprocess.DEVNULL)

    def counting(on: bool) -> None:
        control("-i", "on" if on else "off")

    m = engine.DrugMarketModel(load_scenario("baseline"), seed=0)
    for _ in range(from_week):
        m.step()
    if process is not None:
        owner, name = (Market, "step") if process == "market" else (engine, process)
        f = getattr(owner, name)

        def counted(*a):
            counting(True)
            try:
                return f(*a)
            finally:
                counting(False)

        setattr(owner, name, counted)
    else:
        counting(True)
    for _ in range(weeks):
        m.step()
    if process is None:
        counting(False)
    control("--dump")
    if process is not None:
        for _ in range(weeks):
            counting(True)
            counting(False)


if __name__ == "__main__":
    main()
