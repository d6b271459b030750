"""The `drugsim` command: run, validate and compare scenarios, rank budgets, calibrate, analyse sensitivity, and
list the parameter table."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path


def _run(args) -> int:
    import pandas as pd

    from drugsim.results import annual_summary, manifest
    from drugsim.runner import run_scenario

    (scenario,) = _load([args.scenario])
    seeds = list(range(args.seeds)) if args.seeds else [args.seed]
    out = Path(args.out) if args.out else Path("results") / scenario.name
    _claim(args, out)
    for w in scenario.warnings:
        print(f"warning: {w}", file=sys.stderr)
    t0 = time.perf_counter()
    frame = run_scenario(scenario, seeds)
    wall = time.perf_counter() - t0
    _write(out, frame, manifest(scenario, seeds, wall, len(frame)), args.overwrite)
    summary = annual_summary(frame)
    if args.json:
        years = {str(y): {m: float(v) for m, v in summary[y].items()} for y in summary.columns}
        _print_json(
            {
                "scenario": scenario.name,
                "seeds": seeds,
                "wall_time_seconds": round(wall, 3),
                "out": str(out),
                "annual_totals": years,
            }
        )
        return 0
    if not args.quiet:
        with pd.option_context(
            "display.width", 200, "display.max_columns", 20, "display.float_format", "{:,.0f}".format
        ):
            print(
                f"{scenario.name}: {len(seeds)} seed(s), {scenario.start} to {scenario.end}, "
                f"{wall:.1f} s. Annual totals, West Midlands (stocks: mean over the year):"
            )
            print(summary.to_string())
    print(f"wrote {out}/results.parquet and {out}/manifest.json")
    return 0


def _print_json(data) -> None:
    print(json.dumps(data, indent=2, default=str))


#: The optional libraries behind each extra (`pip install 'drugsim[EXTRA]'`), by import name.
EXTRAS = {
    "app": ("streamlit", "openpyxl", "pptx", "matplotlib", "altair", "vl_convert", "SALib"),
    "calibrate": ("optuna", "cmaes", "matplotlib"),
    "sensitivity": ("SALib", "altair", "vl_convert"),
    "cluster": ("distributed",),
}


def _need(extra: str, what: str) -> None:
    """Stop with the install command if `what` needs an extra that is not installed."""
    import importlib.util

    missing = [m for m in EXTRAS[extra] if importlib.util.find_spec(m) is None]
    if missing:
        print(
            f"drugsim: {what} needs the '{extra}' extra ({', '.join(missing)} not installed): "
            f"pip install 'drugsim[{extra}]'",
            file=sys.stderr,
        )
        raise _Stop(2)


class _Stop(Exception):
    """Stop the command with this exit code (the message has been printed)."""

    def __init__(self, code: int):
        self.code = code


def _load(paths) -> list:
    from drugsim.scenario import ScenarioError, load_scenario

    try:
        return [load_scenario(p) for p in paths]
    except ScenarioError as e:
        print(f"drugsim: scenario refused; nothing was run or written.\n{e}", file=sys.stderr)
        raise _Stop(2) from None


def _with_settings(scenarios: list, values: dict[str, float]) -> list:
    """The scenarios with parameter-table values set by --set (a scenario's own setting of the same value wins, as
    in the app); each value is checked like a scenario file's."""
    if not values:
        return scenarios
    from drugsim.scenario import ScenarioError, with_parameters

    try:
        return with_parameters(scenarios, values)
    except ScenarioError as e:
        print(f"drugsim: --set refused; nothing was run or written.\n{e}", file=sys.stderr)
        raise _Stop(2) from None


def _claim(args, out: Path) -> None:
    """Check that `out` can be written and hold it for this command (see results.claim)."""
    from drugsim.results import ResultsError, check_writable, claim

    try:
        check_writable(out, args.overwrite)
        args.stack.enter_context(claim(out))
    except ResultsError as e:
        print(f"drugsim: {e}", file=sys.stderr)
        raise _Stop(2) from None


def _ensemble_setup(args, scenarios):
    """Everything checked before the first run: the scenarios comparable over the period, the results folder
    writable and held, the calibration draws there; and the store that lets an ensemble resume."""
    from drugsim.calibrate import read_draws
    from drugsim.ensemble import RunStore

    start, end = args.period
    _check_comparable(scenarios, start, end)
    out = Path(args.out)
    _claim(args, out)
    if args.dask:
        _need("cluster", "--dask")
    draws = read_draws() if getattr(args, "draws", 0) else None
    if draws is not None and args.draws > len(draws):
        raise _Refuse(f"--draws {args.draws}: the calibration has {len(draws)} accepted draws; use at most that")
    # Finished runs are kept beside the results folder until it is written, so a rerun resumes.
    return start, end, out, RunStore(out.parent / f".{out.name}.runs"), draws


def _interrupted(store) -> int:
    print(
        f"\ndrugsim: interrupted; finished runs are kept in {store.folder}. Run the same command to resume.",
        file=sys.stderr,
    )
    return 130


def _write(out, frame, meta, overwrite, extra=None) -> None:
    from drugsim.results import ResultsError, write_results

    if _TERMINATED:
        raise KeyboardInterrupt
    try:
        write_results(out, frame, meta, overwrite, extra=extra)
    except ResultsError as e:
        print(f"drugsim: {e}", file=sys.stderr)
        raise _Stop(1) from None


#: Set by --quiet and --json: no progress bars.
_QUIET = False


def _progress_bar(label: str):
    """A progress callback that draws a bar on stderr (tqdm); none with --quiet or --json, or off a terminal."""
    from tqdm import tqdm

    bar = tqdm(total=None, desc=label, unit="run", file=sys.stderr, disable=True if _QUIET else None)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()
        if done == total:
            bar.close()

    return update


def _psa_draws(args, scenarios, n: int, seed: int | None = None):
    """The PSA's draws for these scenarios (every uncertain parameter they do not set themselves, and the fitted
    ones from the calibration's accepted draws), checked before the first run."""
    from drugsim import psa
    from drugsim.calibrate import read_draws
    from drugsim.limits import people_problem

    chosen = psa.scenario_choices(scenarios)
    params = psa.uncertain_parameters(exclude=chosen)
    fitted = [{k: v for k, v in d.items() if k not in chosen} for d in read_draws()]
    design_seed = args.psa_seed if seed is None else seed
    frame = psa.sample(n, params, seed=design_seed, sampler=args.sampler, widen=args.widen, fitted=fitted)
    for i, draw in enumerate(psa.draw_dicts(frame)):
        for s in scenarios:
            if problem := people_problem({**s.params, **draw}):
                raise _Refuse(f"PSA draw {i} for {s.name}: {problem}; narrow --widen")
    return params, frame


def _appraisal_settings(args):
    from drugsim.appraisal import Settings

    try:
        return Settings(price_year=args.price_year, life_value=args.life_value)
    except ValueError as e:
        raise _Refuse(f"--price-year {args.price_year}: {e}") from None


def _compare(args) -> int:
    import shutil

    import pandas as pd

    from drugsim import appraisal, psa
    from drugsim.calendar import Calendar
    from drugsim.compare import compare, paired_totals, per_scenario
    from drugsim.ensemble import make_executor, plan, run_ensemble
    from drugsim.results import manifest
    from drugsim.runner import tidy

    scenarios = _with_settings(_load(args.scenarios), dict(args.set))
    if len(scenarios) < 2:
        raise _Refuse("compare needs a base and at least one other scenario (e.g. compare baseline hat_pilot)")
    use_psa = not args.fixed
    if use_psa and args.draws:
        raise _Refuse(
            "--draws samples calibration draws with parameters otherwise fixed: add --fixed (a PSA takes them itself)"
        )
    settings = _appraisal_settings(args)
    n = args.psa or args.seeds
    start, end, out, store, draws = _ensemble_setup(args, scenarios)
    if use_psa:
        uncertain, frame = _psa_draws(args, scenarios, n)
        draws = psa.draw_dicts(frame)
        runs = plan(scenarios, n, n, tags=psa.draw_keys(frame))
    else:
        runs = plan(scenarios, n, args.draws)
    t0 = time.perf_counter()
    try:
        with make_executor(args.workers, args.dask) as pool:
            # A PSA keeps only force-wide weekly series (every outcome and the appraisal's inputs): a thousand
            # full runs would not fit in memory.
            reduce = psa.force_wide if use_psa else None
            results = run_ensemble(runs, pool, store, draws, progress=_progress_bar("runs"), reduce=reduce)
    except KeyboardInterrupt:
        return _interrupted(store)
    wall = time.perf_counter() - t0
    per_run = paired_totals(scenarios, runs, results, start, end)
    table = compare(per_run, scenarios[0].name, (start, end), psa=use_psa)
    base = scenarios[0]
    run_params = [
        {**base.params, **(draws[r.draw % len(draws)] if r.draw is not None else {})}
        for r in runs
        if r.scenario is base
    ]
    apprs = appraisal.appraise(
        per_scenario(scenarios, runs, results),
        run_params,
        base.name,
        Calendar(base.start, base.end),
        (start, end),
        settings,
    )
    summary = appraisal.summary(apprs, use_psa)
    extra = {"comparison.csv": table.to_csv(index=False), "appraisal.csv": summary.to_csv(index=False)}
    if use_psa:  # acceptability curves and EVPPI describe parameter uncertainty: only a PSA has it
        extra["ceac.csv"] = appraisal.ceac(apprs, base.name).to_csv(index=False)
        net_benefit = pd.DataFrame({base.name: 0.0, **{k: v["societal:npv"] for k, v in apprs.items()}})
        extra["evppi.csv"] = psa.evppi(net_benefit, frame, psa.groups_of(frame)).to_csv(index=False)
        # Every run's appraisal, so that curves, EVPPI or another summary can be redone without rerunning.
        extra["appraisal_runs.csv"] = pd.concat(
            [f.assign(scenario=k, draw=range(len(f))) for k, f in apprs.items()], ignore_index=True
        ).to_csv(index=False)
        extra["psa_parameters.csv"] = psa.describe(uncertain).to_csv(index=False)
        extra["psa_draws.csv"] = frame.to_csv(index_label="draw")
        rows = pd.concat([f.assign(scenario=name, run=range(len(f))) for name, f in per_run.items()], ignore_index=True)
    else:
        rows = pd.concat(
            [tidy(r.scenario, r.seed, results[r.key]).assign(draw=-1 if r.draw is None else r.draw) for r in runs],
            ignore_index=True,
        )
    meta = manifest(base, [r.seed for r in runs if r.scenario is base], wall, len(rows))
    meta["comparison"] = {
        "base": base.name,
        "scenarios": [
            {
                "name": s.name,
                "content_sha256": s.content_sha256,
                "resolved_sha256": s.resolved_sha256,
                "files": [{"path": p, "content": t} for p, t in s.files],
            }
            for s in scenarios
        ],
        "period": [start, end],
        "set": dict(args.set),
        "runs_per_scenario": n,
        "draws": args.draws,
        "psa": {"draws": n, "sampler": args.sampler, "seed": args.psa_seed, "widen": args.widen} if use_psa else None,
        "appraisal": {"price_year": settings.price_year, "life_value": settings.life_value},
        "executor": args.dask or f"local processes ({args.workers or os.cpu_count()})",
    }
    _write(out, rows, meta, args.overwrite, extra=extra)
    shutil.rmtree(store.folder, ignore_errors=True)
    files = ", ".join(extra) + ", results.parquet and manifest.json"
    if args.json:
        _print_json(
            {
                "runs": len(runs),
                "wall_time_seconds": round(wall, 3),
                "period": [start, end],
                "base": base.name,
                "out": str(out),
                "interval": table.interval.iloc[0],
                "comparison": table.to_dict(orient="records"),
                "appraisal": summary.to_dict(orient="records"),
            }
        )
        return 0
    if args.quiet:
        print(f"wrote {out}/{files}")
        return 0
    headline = ["drug_deaths", "acquisitive_crimes", "active_county_lines", "criminal_records"]
    show = table[table.outcome.isin(headline) & (table.scenario != base.name)]
    cols = ["scenario", "outcome", "diff_mean", "diff_low", "diff_high", "p_better"]
    with pd.option_context("display.width", 200, "display.float_format", "{:,.2f}".format):
        print(f"{len(runs)} runs in {wall:.0f} s; {start} to {end}; against {base.name}; {table.interval.iloc[0]}:")
        print(show[cols].to_string(index=False))
        print(
            f"\nAppraisal, £m ({settings.price_year} prices, discounted to {start[:4]}; a death averted valued "
            f"by {settings.life_value.upper()}); mean [90% interval], P(better than {base.name}):"
        )
        print(appraisal.headline(summary).to_string())
    print(f"wrote {out}/{files}")
    return 0


def _brief(args) -> int:
    _need("app", "drugsim brief")
    from drugsim.results import manifest
    from drugsim.webapp.brief import BriefError, check, rebuild
    from drugsim.webapp.export import pack_files
    from drugsim.webapp.runs import RunCache, disk_folder

    results = Path(args.results)
    out = Path(args.out) if args.out else results.with_name(results.name + "_briefing")
    try:
        checked = check(results)
    except BriefError as e:
        raise _Refuse(str(e)) from None
    _claim(args, out)
    t0 = time.perf_counter()
    try:
        # The app's cache of finished runs: a pack of a comparison the app has made, or made before, is quick.
        c = rebuild(results, RunCache(folder=disk_folder()), _progress_bar("runs"), args.workers, checked)
    except BriefError as e:
        raise _Refuse(str(e)) from None
    except KeyboardInterrupt:
        print("\ndrugsim: interrupted; finished runs are kept in the cache; nothing was written", file=sys.stderr)
        return 130
    files = {name: make() for name, make in pack_files(c).items()}
    meta = manifest(c.base, c.seeds, time.perf_counter() - t0, 0)
    meta["brief_of"] = {"results": str(results.resolve()), "runs": len(c.runs)}
    _write(out, None, meta, args.overwrite, extra=files)
    print(f"wrote {out}/" + ", ".join(files) + " and manifest.json")
    return 0


def _budget(args) -> int:
    import shutil

    import pandas as pd

    from drugsim import psa
    from drugsim.appraisal_options import OBJECTIVES
    from drugsim.budget import LEADERS, Search, decide, frontier, optimise
    from drugsim.ensemble import make_executor, plan, run_ensemble
    from drugsim.results import manifest

    _need("calibrate", "budget (Optuna searches the portfolios)")
    (base,) = _load([args.base or "baseline"])
    settings = _appraisal_settings(args)
    if args.period[1] < "2026-04-01":
        raise _Refuse(f"--period {' to '.join(args.period)}: portfolios start in April 2026; give a period past it")
    start, end, out, store, _ = _ensemble_setup(args, [base])
    _, frame = _psa_draws(args, [base], args.seeds)
    # The leaders are run again on a fresh design and fresh seeds (named by content, so no stored run is reused).
    _, fresh = _psa_draws(args, [base], args.seeds, seed=args.psa_seed + 1)
    t0 = time.perf_counter()

    def search_on(pool, design, first_seed):
        """The search on one PSA design: its runs use the design's draws and seeds from `first_seed`."""
        draws, tags = psa.draw_dicts(design), psa.draw_keys(design)

        def run(scenarios):
            runs = plan(scenarios, args.seeds, args.seeds, first_seed=first_seed, tags=tags)
            results = run_ensemble(runs, pool, store, draws, reduce=psa.force_wide)
            return [[results[r.key] for r in runs if r.scenario is s] for s in scenarios]

        return Search(base, design, args.budget, args.objective, (start, end), run, settings)

    try:
        with make_executor(args.workers, args.dask) as pool:
            search = search_on(pool, frame, 0)
            table, _ = optimise(search, args.trials, seed=args.psa_seed, progress=_progress_bar("portfolios"))
            table = decide(table, search_on(pool, fresh, args.seeds))
    except KeyboardInterrupt:
        return _interrupted(store)
    front = frontier(table[table.run], args.objective)
    wall = time.perf_counter() - t0
    meta = manifest(base, list(range(args.seeds)), wall, 0)
    meta["results"] = {"file": "budget.csv", "rows": len(table)}
    meta["budget"] = {
        "budget_gbp": args.budget,
        "objective": args.objective,
        "period": [start, end],
        "trials": args.trials,
        "psa_draws_per_portfolio": args.seeds,
        "appraisal": {"price_year": settings.price_year, "life_value": settings.life_value},
    }
    extra = {
        "budget.csv": table.to_csv(index=False),
        "frontier.csv": front.to_csv(index=False),
        "psa_draws.csv": frame.to_csv(index_label="draw"),
    }
    _write(out, None, meta, args.overwrite, extra=extra)
    shutil.rmtree(store.folder, ignore_errors=True)
    best = table[table.within_budget & table.run].head(LEADERS)
    what = OBJECTIVES[args.objective][1]
    with pd.option_context("display.width", 220, "display.float_format", "{:,.2f}".format):
        print(
            f"Budget £{args.budget:,.0f} over {start} to {end}; objective: {what}; {len(table)} portfolios tried, "
            f"each on {args.seeds} PSA draws, in {wall:.0f} s. The best within budget:"
        )
        print(
            best[
                ["portfolio", "spend_gbp", args.objective, "confirmed", "confirmed_low", "confirmed_high", "p_best"]
            ].to_string(index=False)
        )
        print(
            f"(confirmed: the best {LEADERS} run again on {args.seeds} fresh PSA draws and seeds; P(best) from those)"
        )
        print("Efficient frontier (spend against objective):")
        print(front[["portfolio", "spend_gbp", args.objective]].to_string(index=False))
    print(f"wrote {out}/budget.csv, frontier.csv, psa_draws.csv and manifest.json")
    return 0


def _period(text: str) -> tuple[str, str]:
    """'2026-2030' -> ('2026-01-01', '2030-12-31'); 'YYYY-MM-DD:YYYY-MM-DD' as given. Checked at once: real dates,
    in order, inside the simulated years (an argparse type, so a bad period stops before any run)."""
    import datetime as dt

    from drugsim.calendar import EARLIEST, LATEST

    if ":" in text:
        a, _, b = text.partition(":")
    else:
        a, _, b = text.partition("-")
        if not (a.isdigit() and b.isdigit() and len(a) == 4 and len(b) == 4):
            raise argparse.ArgumentTypeError(f"{text!r}: use YEAR-YEAR (e.g. 2026-2030) or DATE:DATE")
        a, b = f"{a}-01-01", f"{b}-12-31"
    try:
        start, end = dt.date.fromisoformat(a), dt.date.fromisoformat(b)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: not real dates (use YYYY-MM-DD:YYYY-MM-DD)") from None
    if not start <= end:
        raise argparse.ArgumentTypeError(f"{text!r}: the period ends before it starts")
    if start < EARLIEST or end > LATEST:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the model simulates {EARLIEST.isoformat()} to {LATEST.isoformat()} only"
        )
    return start.isoformat(), end.isoformat()


def _bounded(kind: type, low: float, high: float):
    """An argparse type: a number of `kind` between `low` and `high` (so -1, nan or 2**70 stop at once)."""
    import math

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not {'a whole number' if kind is int else 'a number'}"
            ) from None
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"{text} is outside the allowed {low:,.0f} to {high:,.0f}")
        return value

    return parse


def _assignment(text: str) -> tuple[str, float]:
    """An argparse type: NAME=VALUE, a parameter and a finite number (the scenario check then bounds the value)."""
    import math

    name, sep, value = text.partition("=")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not sep or not name.strip() or not math.isfinite(number):
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE with a number, e.g. qaly_value_gbp=60000")
    return name.strip(), number


#: Argument bounds: a seed numpy and Mesa both take, more runs than any question needs, a budget no force has.
SEED = _bounded(int, 0, 2**32 - 1)
RUNS = _bounded(int, 1, 100_000)
WORKERS = _bounded(int, 1, 1024)


def _dask_address(text: str) -> str:
    import re

    if not re.fullmatch(r"(tcp|tls|ucx|ws|wss)://[A-Za-z0-9.\-\[\]:]+:\d{1,5}/?|[A-Za-z0-9.\-]+:\d{1,5}", text):
        raise argparse.ArgumentTypeError(f"{text!r}: give a Dask scheduler address such as tcp://host:8786")
    return text


def _check_comparable(scenarios, start: str, end: str) -> None:
    """Scenarios compared must be distinct, share their history (the same start) and cover the period."""
    names = [s.name for s in scenarios]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _Refuse(
            f"scenario names must differ: {', '.join(dupes)} given twice (a scenario compared with itself, or two "
            "files with the same [scenario] name); rename one"
        )
    starts = {s.start for s in scenarios}
    if len(starts) > 1:
        detail = ", ".join(f"{s.name} from {s.start}" for s in scenarios)
        raise _Refuse(
            f"the scenarios start on different dates ({detail}): their differences would come from their "
            "histories, not from the policy. Give the option the base's start and its own intervention start dates"
        )
    short = [s for s in scenarios if not (str(s.start) <= start and end <= str(s.end))]
    if short:
        detail = ", ".join(f"{s.name} covers {s.start} to {s.end}" for s in short)
        raise _Refuse(f"--period {start}:{end} is not inside every scenario ({detail})")
    # The same settings under another name can be meant (the library's cltf_ends_2026 is what the baseline
    # already does), but its differences are zero by construction, which a reader must be told.
    same = [s.name for s in scenarios[1:] if _settings_of(s) == _settings_of(scenarios[0])]
    if same:
        print(
            f"drugsim: note: {', '.join(same)} {'has' if len(same) == 1 else 'have'} the same parameters and settings "
            f"as {scenarios[0].name}: every difference from it is zero by construction",
            file=sys.stderr,
        )


def _settings_of(s) -> str:
    """What determines a scenario's runs, its name apart."""
    return json.dumps({k: v for k, v in s.resolved().items() if k != "name"}, sort_keys=True, default=str)


class _Refuse(Exception):
    """An argument that cannot be used: the message says why; nothing was run or written."""


def _validate(args) -> int:
    from drugsim.scenario import ScenarioError, load_scenario

    status = 0
    report = []
    for path in args.scenarios:
        try:
            s = load_scenario(path)
            report.append({"file": str(path), "ok": True, "name": s.name, "warnings": s.warnings})
            if not args.json:
                print(f"ok  {path}: {s.name} ({s.start} to {s.end}), {len(s.interventions)} interventions")
                for w in s.warnings:
                    print(f"    warning: {w}")
        except ScenarioError as e:
            report.append({"file": str(path), "ok": False, "error": str(e)})
            if not args.json:
                print(f"bad {e}", file=sys.stderr)
            status = 2
    if args.json:
        _print_json(report)
    return status


def _project_calibration(scenario: str, out: str | None, action: str) -> tuple[Path, Path, Path]:
    """The base scenario file; the calibration folder it reads (its project's: the clone, or a folder made by
    `drugsim init`; the library's for a file outside any project); and the folder it writes: --out if given,
    otherwise the project's calibration folder, never the installed package's read-only copy."""
    from drugsim.library import CALIBRATION_DIR, LIBRARY_ROOT, SOURCE_TREE, project_root
    from drugsim.scenario import ScenarioError, find_scenario

    try:
        base_file = find_scenario(scenario)
    except ScenarioError as e:
        raise _Refuse(str(e)) from None
    root = project_root(base_file.parent)
    reads = root / "calibration" if root is not None else CALIBRATION_DIR
    if out:
        return base_file, reads, Path(out)
    if root is None or (root == LIBRARY_ROOT and not SOURCE_TREE):
        raise _Refuse(
            f"{action} would write into the installed package's calibration; give --out FOLDER, or make a folder of "
            "your own with `drugsim init DIR` and use its scenarios/baseline.toml"
        )
    return base_file, reads, root / "calibration"


def _is_calibration(folder: Path) -> bool:
    """Whether `folder` is a calibration folder drugsim wrote: a fit (fitted.toml), or predictions from
    `drugsim predict` and their scores."""
    if (folder / "fitted.toml").is_file():
        return True
    try:
        with open(folder / "predictions.csv") as f:
            header = f.readline()
    except OSError:
        return False
    names = {p.name for p in folder.iterdir()}
    return "fitted_sha256" in header and names <= {"predictions.csv", "scores.csv", "SCORES.md"}


def _check_calibration_out(out: Path, action: str) -> None:
    """Before any run: `out` is new, empty or a calibration folder drugsim wrote, and can be written. A folder of
    the user's own is never written into (its predictions.csv or REPORT.md would be replaced)."""
    if out.exists() and not out.is_dir():
        raise _Refuse(f"--out {out}: exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not _is_calibration(out):
        raise _Refuse(
            f"--out {out}: holds files that are not a drugsim calibration (no fitted.toml or predictions from "
            f"drugsim predict); {action} writes only into a new or empty folder or a calibration folder: choose "
            "another --out"
        )
    from drugsim.results import probe_writable

    try:
        probe_writable(out if out.is_dir() else next(p for p in out.absolute().parents if p.exists()))
    except OSError as e:
        raise _Refuse(f"--out {out}: cannot write there ({e.strerror or e})") from None


def _calibration_file(folder: Path, name: str) -> Path:
    """A calibration file from the project's folder, or the library's copy if the project has none."""
    from drugsim.library import CALIBRATION_DIR

    return folder / name if (folder / name).is_file() else CALIBRATION_DIR / name


def _predict(args) -> int:
    from drugsim.calibrate import read_draws
    from drugsim.ensemble import make_executor
    from drugsim.predictions import FiguresError, predict, read_forecasts, write_predictions
    from drugsim.scenario import ScenarioError, load_scenario

    base_file, calibration, out = _project_calibration(args.scenario, args.out, "predict")
    _check_calibration_out(out, "predict")
    try:
        base = load_scenario(base_file)
        forecasts = read_forecasts(_calibration_file(calibration, "forecasts.csv"))
    except (ScenarioError, FiguresError) as e:
        raise _Refuse(str(e)) from None
    draws_file = _calibration_file(calibration, "accepted_draws.csv")
    draws = read_draws(draws_file)
    if args.dask:
        _need("cluster", "--dask")
    t0 = time.perf_counter()
    with make_executor(args.workers, args.dask) as pool:
        table = predict(base, forecasts, draws, args.runs, pool, progress=_progress_bar("predict"))
    made = not out.exists()
    try:
        path = write_predictions(out, table, runs=args.runs, draws=len(draws), calibration=calibration)
    except OSError as e:
        if made and out.is_dir() and not any(out.iterdir()):
            out.rmdir()  # the folder this command made for its file
        print(
            f"drugsim: {out}: could not write predictions.csv ({e.strerror or e}); nothing was written", file=sys.stderr
        )
        raise _Stop(1) from None
    if args.json:
        _print_json({"out": str(path), "predictions": table.to_dict(orient="records")})
        return 0
    if not args.quiet:
        for r in table.itertuples():
            print(f"{r.id:32s} {r.mean:>12,.4g}   90% interval {r.p05:,.4g} to {r.p95:,.4g}")
    print(f"wrote {path}: {len(table)} predictions from {args.runs} runs ({time.perf_counter() - t0:.0f} s)")
    return 0


def _score(args) -> int:
    from drugsim.predictions import FiguresError, read_predictions, read_published, score, scorecard

    predictions_file = Path(args.predictions) if args.predictions else None
    if predictions_file is None:
        from drugsim.library import CALIBRATION_DIR

        predictions_file = CALIBRATION_DIR / "predictions.csv"
    try:
        predictions = read_predictions(predictions_file)
        published = read_published(Path(args.figures), dict(zip(predictions.index, predictions["stat"], strict=True)))
    except FileNotFoundError as e:
        raise _Refuse(f"{e.filename}: no such file") from None
    except FiguresError as e:
        raise _Refuse(str(e)) from None
    table, summary = score(published, predictions)
    text = scorecard(table, summary)
    if args.out:
        import datetime as dt

        from drugsim import __version__
        from drugsim.results import environment

        out = Path(args.out)
        _claim(args, out)
        meta = {
            "model": "drugsim",
            "model_version": __version__,
            "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": "score",
            "figures": str(args.figures),
            "predictions": str(predictions_file),
            "summary": summary,
            "environment": environment(),
        }
        extra = {"scores.csv": table.to_csv(index=False, float_format="%.6g"), "SCORES.md": text}
        _write(out, None, meta, args.overwrite, extra=extra)
    if args.json:
        _print_json({"summary": summary, "scores": table.to_dict(orient="records")})
    else:
        print(text)
        if args.out:
            print(f"wrote {args.out}/scores.csv and {args.out}/SCORES.md")
    return 0


def _add_targets(args) -> int:
    from drugsim.predictions import FiguresError, add_targets, read_forecasts, read_published

    _, _, calibration = _project_calibration(args.scenario, None, "add-targets")
    targets_file = calibration / "targets.csv"
    try:
        forecasts = read_forecasts(_calibration_file(calibration, "forecasts.csv"))
        published = read_published(Path(args.figures), {f.id: f.stat for f in forecasts})
        added = add_targets(targets_file, published, forecasts, args.use)
    except FileNotFoundError as e:
        raise _Refuse(f"{e.filename}: no such file") from None
    except (FiguresError, ValueError) as e:
        raise _Refuse(str(e)) from None
    print(f"added {len(added)} {args.use} target(s) to {targets_file}: {', '.join(added)}")
    print("next: drugsim calibrate (re-fit and report), then drugsim predict (new registered predictions)")
    return 0


def _calibrate(args) -> int:
    import tomllib

    _need("calibrate", "drugsim calibrate")
    from drugsim.calibrate import Settings, fit, read_draws, write_fit
    from drugsim.calibration_report import write_report
    from drugsim.ensemble import make_executor
    from drugsim.scenario import ScenarioError, load_scenario

    settings = Settings.quick(args.workers) if args.quick else Settings(workers=args.workers)
    changes = {k: v for k, v in (("trials", args.trials), ("seeds", args.seeds)) if v}
    settings = Settings(**{**settings.__dict__, **changes})
    # --quick is a first try: it writes beside the user's work, never over the project's fit.
    out_arg = args.out or ("results/calibration-quick" if args.quick else None)
    base_file, calibration, out = _project_calibration(args.scenario, out_arg, "calibrate")
    _check_calibration_out(out, "calibrate")
    try:
        base = load_scenario(base_file)
    except ScenarioError as e:
        print(f"drugsim: scenario refused.\n{e}", file=sys.stderr)
        return 2
    # The targets of the base scenario's project (the clone's, or an `init` folder's, where figures may have been
    # added with `drugsim add-targets`); the library's for a scenario outside any project.
    targets_file = _calibration_file(calibration, "targets.csv")
    if args.report_only and not (out / "fitted.toml").is_file():
        raise _Refuse(f"--report-only: {out} holds no fitted.toml to report on (run drugsim calibrate first)")
    t0 = time.perf_counter()
    with make_executor(settings.workers, args.dask) as pool:
        if args.report_only:
            try:
                fitted = tomllib.loads((out / "fitted.toml").read_text())["parameters"]
                draws = read_draws(out / "accepted_draws.csv")
            except (OSError, ValueError, KeyError) as e:  # TOMLDecodeError is a ValueError
                raise _Refuse(f"--report-only: {out} does not hold a readable fit ({type(e).__name__}: {e})") from None
            info_file = out / "fit_info.json"
            info = json.loads(info_file.read_text()) if info_file.exists() else {}
        else:
            result = fit(base, settings, pool, targets_file=targets_file)
            write_fit(out, result, settings, time.perf_counter() - t0)
            fitted, draws = result["fitted"], read_draws(out / "accepted_draws.csv")
            info = json.loads((out / "fit_info.json").read_text())
        summary = write_report(out, base, fitted, draws, settings.report_runs, pool, info, targets_file)
    print(
        f"fitting targets within tolerance: {summary['fitting_within']}/{summary['fitting_n']}; "
        f"holdout: {summary['holdout_within']}/{summary['holdout_n']} ({time.perf_counter() - t0:.0f} s)"
    )
    written = "REPORT.md" if args.report_only else "fitted.toml, accepted_draws.csv, REPORT.md"
    print(f"wrote {out}/{written}")
    return 0


def _sensitivity(args) -> int:
    import shutil

    _need("sensitivity", "drugsim sensitivity")
    import pandas as pd

    from drugsim.ensemble import make_executor
    from drugsim.metrics import METRICS
    from drugsim.results import manifest
    from drugsim.sensitivity import Outcome, SensitivityError, check_size, choose_parameters, default_n, run, summary
    from drugsim.webapp import charts

    (scenario,) = _load([args.scenario])
    against = _load([args.against])[0] if args.against else None
    if args.outcome not in METRICS:
        print(f"drugsim: --outcome {args.outcome!r} is not a metric (see README: Outputs)", file=sys.stderr)
        return 2
    try:
        names = choose_parameters(args.params, args.groups)
        check_size(args.method, default_n(args.method, args.n))
    except SensitivityError as e:
        print(f"drugsim: {e}", file=sys.stderr)
        return 2
    start, end, out, store, _ = _ensemble_setup(args, [scenario] + ([against] if against else []))
    outcome = Outcome(args.outcome, start, end, against)
    seeds = list(range(args.seeds))
    t0 = time.perf_counter()
    try:
        with make_executor(args.workers, args.dask) as pool:
            r = run(scenario, outcome, args.method, names, args.n, seeds, args.seed, pool, store, _progress_bar("runs"))
    except KeyboardInterrupt:
        return _interrupted(store)
    wall = time.perf_counter() - t0
    drawn = charts.sensitivity(r.method, r.table, r.ranked, r.outcome_text)
    chart = {fmt: charts.to_bytes(drawn, fmt) for fmt in ("png", "svg")}
    name = {"oat": "tornado", "morris": "morris", "sobol": "sobol"}[r.method]
    points = pd.DataFrame(r.X, columns=r.names).assign(**{f"outcome_seed{s}": r.Y[:, i] for i, s in enumerate(seeds)})
    meta = manifest(scenario, seeds, wall, len(points))
    meta["sensitivity"] = {
        "method": r.method,
        "outcome": args.outcome,
        "period": [start, end],
        "against": None if against is None else {"name": against.name, "resolved_sha256": against.resolved_sha256},
        "parameters": r.names,
        "design_points": len(r.X),
        "n": args.n,
        "design_seed": args.seed,
        "runs": r.runs,
        "executor": args.dask or f"local processes ({args.workers or os.cpu_count()})",
    }
    _write(
        out,
        None,
        meta,
        args.overwrite,
        extra={
            "indices.csv": r.table.to_csv(index=False),
            "ranking.csv": r.ranked.to_csv(index=False),
            "design.csv": points.to_csv(index=False),
            "summary.md": summary(r.table, r.method, r.outcome_text, r.runs),
            f"{name}.png": chart["png"],
            f"{name}.svg": chart["svg"],
        },
    )
    shutil.rmtree(store.folder, ignore_errors=True)
    print(f"{r.runs} runs in {wall:.0f} s. Most influential for {r.outcome_text}:")
    with pd.option_context("display.width", 200, "display.float_format", "{:,.3g}".format):
        print(r.ranked[["rank", "parameter", "value", "low", "high"]].head(10).to_string(index=False))
    print(f"wrote {out}/indices.csv, ranking.csv, summary.md, {name}.png/.svg, design.csv and manifest.json")
    return 0


def _parameters(args) -> int:
    from drugsim.parameters import parameter_table

    rows = [p for p in parameter_table().values() if not args.group or p.group == args.group]
    if args.json:
        from dataclasses import asdict

        _print_json([asdict(p) for p in rows])
        return 0
    for p in rows:
        print(f"{p.name} = {p.value:g} {p.unit} (range {p.low:g}-{p.high:g}) [{p.group}]")
        print(f"    {p.meaning}\n    source: {p.source}")
    return 0


def _init(args) -> int:
    """Copy the scenario library and the calibration into a new folder of the user's, to edit and run."""
    import shutil
    import tempfile

    from drugsim.library import CALIBRATION_DIR, SCENARIO_DIR

    out = Path(args.folder)
    if out.is_symlink():  # the new folder is renamed into place: a link would be replaced, not filled
        print(
            f"drugsim: {out} is a link (to {os.readlink(out)}); name a new folder; nothing was written", file=sys.stderr
        )
        return 2
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        print(
            f"drugsim: {out} exists and is not an empty folder; nothing was written (name a new folder)",
            file=sys.stderr,
        )
        return 2
    data = shutil.ignore_patterns("__init__.py", "__pycache__")
    try:
        out.resolve().parent.mkdir(parents=True, exist_ok=True)
        # Built beside the target and renamed into place, so the folder appears whole or not at all.
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.resolve().parent))
        try:
            shutil.copytree(SCENARIO_DIR, tmp / "scenarios", ignore=data)
            shutil.copytree(CALIBRATION_DIR, tmp / "calibration", ignore=data)
            if out.exists():
                out.rmdir()  # empty, checked above
            tmp.rename(out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    except shutil.Error as e:  # copytree's list of (source, destination, reason), one per file it could not copy
        problems = e.args[0] if e.args and isinstance(e.args[0], list) else [("", "", str(e))]
        more = f" (and {len(problems) - 1} more files)" if len(problems) > 1 else ""
        print(f"drugsim: cannot write {out}: {problems[0][2]}{more}; nothing was written", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"drugsim: cannot write {out}: {e.strerror or e}; nothing was written", file=sys.stderr)
        return 1
    print(
        f"wrote {out}/scenarios (the scenario library) and {out}/calibration (the fit they use).\n"
        f"Edit or add scenarios there, then e.g.: drugsim run {out}/scenarios/baseline.toml"
    )
    return 0


def _app(args) -> int:
    _need("app", "drugsim app")
    from drugsim.webapp.launch import command

    port = args.port or 8501
    print(f"drugsim app: http://127.0.0.1:{port} (this machine only); Ctrl-C stops it", file=sys.stderr)
    sys.stderr.flush()
    cmd = command(port)
    # Become the server (not its parent), so that stopping this process stops the app: no orphan is left.
    os.execv(cmd[0], cmd)
    return 0  # not reached


def _ensemble_options(parser, seeds: int = 10, seeds_help: str = "paired runs per scenario") -> None:
    """Options shared by the commands that run paired ensembles."""
    parser.add_argument("--seeds", type=RUNS, default=seeds, help=f"{seeds_help} (seeds 0..N-1; default {seeds})")
    if seeds_help == "paired runs per scenario":
        parser.add_argument(
            "--draws",
            type=_bounded(int, 0, 100_000),
            default=0,
            help="with --fixed: also sample M accepted calibration draws (run i: i mod M)",
        )
    parser.add_argument(
        "--period", type=_period, default="2026-2030", help="YEAR-YEAR or DATE:DATE (default 2026-2030)"
    )
    parser.add_argument("--workers", type=WORKERS, help="local worker processes (default: all cores)")
    parser.add_argument(
        "--dask", type=_dask_address, metavar="ADDRESS", help="run on a Dask cluster, e.g. tcp://host:8786"
    )
    parser.add_argument("--out", required=True, help="results folder")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing results folder")


def _psa_options(parser) -> None:
    """A comparison's probabilistic sensitivity analysis (the default) or fixed parameters."""
    parser.add_argument(
        "--psa", type=RUNS, metavar="N", help="N PSA draws, one run each (default: --seeds draws); see --fixed"
    )
    parser.add_argument(
        "--fixed",
        action="store_true",
        help="hold parameters at their fitted values (intervals are then of the mean, over seeds only)",
    )
    _psa_design_options(parser)


def _psa_design_options(parser) -> None:
    """The PSA's design and the appraisal's settings."""
    from drugsim.appraisal_options import LIFE_VALUES

    parser.add_argument("--sampler", choices=["lhs", "sobol"], default="lhs", help="PSA design (default lhs)")
    parser.add_argument("--psa-seed", type=SEED, default=0, help="seed of the PSA design (default 0)")
    parser.add_argument(
        "--widen",
        type=_bounded(float, 0, 10),
        default=1.0,
        help="stretch every parameter's range about its value by this factor (default 1: the table's ranges)",
    )
    parser.add_argument(
        "--price-year", type=_bounded(int, 2000, 2100), default=2024, help="price base year (default 2024)"
    )
    parser.add_argument(
        "--life-value", choices=list(LIFE_VALUES), default="qaly", help="value a death averted by QALYs or by VPF"
    )


def _output_options(parser, json_: bool = True) -> None:
    """--quiet, and --json where a command has a result worth scripting against."""
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars or tables; only what was written")
    if json_:
        parser.add_argument("--json", action="store_true", help="print the result as JSON on stdout")


def main(argv: list[str] | None = None) -> int:
    from drugsim._version import __version__
    from drugsim.appraisal_options import OBJECTIVES

    ap = argparse.ArgumentParser(prog="drugsim", description=__doc__)
    ap.add_argument("--version", action="version", version=f"drugsim {__version__}")
    sub = ap.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a scenario and write results.parquet + manifest.json")
    run.add_argument("scenario", help="a scenario file, or a library scenario's name (e.g. baseline)")
    seeds = run.add_mutually_exclusive_group()
    seeds.add_argument("--seed", type=SEED, default=0, help="the one seed to run (default 0)")
    seeds.add_argument("--seeds", type=RUNS, help="run seeds 0..N-1")
    run.add_argument("--out", help="results folder (default results/<scenario name>)")
    run.add_argument("--overwrite", action="store_true", help="replace an existing results folder")
    _output_options(run)
    run.set_defaults(func=_run)
    val = sub.add_parser("validate", help="check scenario files without running them")
    val.add_argument("scenarios", nargs="+", help="scenario files or library names")
    val.add_argument("--json", action="store_true", help="print the verdicts as JSON on stdout")
    val.set_defaults(func=_validate)
    cmp_ = sub.add_parser("compare", help="paired ensembles of scenarios against the first, with economics")
    cmp_.add_argument("scenarios", nargs="+", help="BASE OTHER ... (files or library names, e.g. baseline hat_pilot)")
    cmp_.add_argument(
        "--set",
        type=_assignment,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a parameter-table value in every scenario (repeatable; what the app's edited assumptions do)",
    )
    _ensemble_options(cmp_)
    _psa_options(cmp_)
    _output_options(cmp_)
    cmp_.set_defaults(func=_compare)
    bri = sub.add_parser("brief", help="the briefing pack (PDF, slides, charts, tables) of a compare results folder")
    bri.add_argument("results", help="a folder `drugsim compare --out` wrote")
    bri.add_argument("--out", help="folder for the pack (default RESULTS_briefing, beside the results)")
    bri.add_argument("--overwrite", action="store_true", help="replace a pack folder drugsim wrote")
    bri.add_argument("--workers", type=WORKERS, help="local worker processes to remake the runs (default: all cores)")
    _output_options(bri, json_=False)
    bri.set_defaults(func=_brief)
    bud = sub.add_parser("budget", help="rank levers and two-lever mixes that fit a budget over a period")
    bud.add_argument("--budget", type=_bounded(float, 1, 1e11), required=True, help="budget in GBP over the period")
    bud.add_argument("--base", help="base scenario (default: the library's baseline)")
    bud.add_argument("--objective", choices=list(OBJECTIVES), default="qalys", help="what to maximise (default qalys)")
    bud.add_argument("--trials", type=RUNS, default=30, help="portfolios to try (default 30)")
    _ensemble_options(bud, seeds=6, seeds_help="PSA draws each portfolio is run on")
    _psa_design_options(bud)
    _output_options(bud, json_=False)
    bud.set_defaults(func=_budget)
    cal = sub.add_parser("calibrate", help="fit the free parameters to the reports' fitting targets")
    cal.add_argument("--scenario", default="baseline", help="the base scenario (default: the library's baseline)")
    cal.add_argument("--quick", action="store_true", help="a small search for a first try or CI (minutes)")
    cal.add_argument("--trials", type=RUNS, help="number of Optuna trials")
    cal.add_argument("--seeds", type=RUNS, help="seeds per trial")
    cal.add_argument("--workers", type=WORKERS, default=os.cpu_count() or 1, help="local worker processes")
    cal.add_argument(
        "--dask", type=_dask_address, metavar="ADDRESS", help="run trials on a Dask cluster, e.g. tcp://host:8786"
    )
    cal.add_argument(
        "--out",
        help="output folder (default: the base scenario's project calibration/; --quick: results/calibration-quick)",
    )
    cal.add_argument("--report-only", action="store_true", help="only rewrite REPORT.md from the fitted files")
    cal.set_defaults(func=_calibrate)
    pre = sub.add_parser("predict", help="register forecasts with 90%% intervals for figures not yet published")
    pre.add_argument("--scenario", default="baseline", help="the base scenario (default: the library's baseline)")
    pre.add_argument("--runs", type=RUNS, default=100, help="runs, cycling through the accepted draws (default 100)")
    pre.add_argument("--workers", type=WORKERS, default=os.cpu_count() or 1, help="local worker processes")
    pre.add_argument("--dask", type=_dask_address, metavar="ADDRESS", help="run on a Dask cluster")
    pre.add_argument("--out", help="folder for predictions.csv (default: the base scenario's project calibration/)")
    _output_options(pre)
    pre.set_defaults(func=_predict)
    sco = sub.add_parser("score", help="score newly published figures against the registered predictions")
    sco.add_argument("figures", help="CSV of published figures: id,value,source[,published][,tolerance]")
    sco.add_argument("--predictions", help="predictions.csv to score against (default: the library's)")
    sco.add_argument("--out", help="also write scores.csv and SCORES.md to this folder")
    sco.add_argument("--overwrite", action="store_true", help="replace an existing scores folder")
    sco.add_argument("--json", action="store_true", help="print the scores as JSON on stdout")
    sco.set_defaults(func=_score)
    add = sub.add_parser("add-targets", help="add published figures to the calibration targets")
    add.add_argument("figures", help="CSV of published figures: id,value,source[,published][,tolerance]")
    add.add_argument("--use", choices=["fitting", "holdout"], required=True, help="fit to them, or only test on them")
    add.add_argument("--scenario", default="baseline", help="the base scenario whose project's targets to extend")
    add.set_defaults(func=_add_targets)
    sen = sub.add_parser("sensitivity", help="which assumptions drive an outcome (one at a time, Morris or Sobol)")
    sen.add_argument("scenario", help="scenario file or library name")
    sen.add_argument("--outcome", required=True, help="metric whose total over --period is measured, e.g. drug_deaths")
    sen.add_argument("--against", metavar="BASE.toml", help="measure the scenario minus this base (paired)")
    sen.add_argument("--method", choices=["oat", "morris", "sobol"], default="morris")
    sen.add_argument("--params", nargs="+", metavar="NAME", help="parameters to vary (default: every parameter)")
    sen.add_argument("--groups", nargs="+", metavar="GROUP", help="vary the parameters of these table groups")
    sen.add_argument("--n", type=RUNS, help="Morris trajectories (default 10) or Sobol base sample (default 64)")
    sen.add_argument("--seed", type=SEED, default=1, help="seed of the design and of bootstrap intervals")
    _ensemble_options(sen, seeds=1, seeds_help="runs per design point, same seeds at every point")
    _output_options(sen, json_=False)
    sen.set_defaults(func=_sensitivity)
    par = sub.add_parser("parameters", help="list the parameter table with sources")
    par.add_argument("--group", help="only this group (e.g. overdose, divert, cltf)")
    par.add_argument("--json", action="store_true", help="print the table as JSON on stdout")
    par.set_defaults(func=_parameters)
    ini = sub.add_parser("init", help="copy the scenario library and calibration into a new folder to edit")
    ini.add_argument("folder", help="a new (or empty) folder")
    ini.set_defaults(func=_init)
    app = sub.add_parser("app", help="start the app at http://127.0.0.1:8501 (needs drugsim[app])")
    app.add_argument("--port", type=_bounded(int, 1024, 65535), help="port (default 8501)")
    app.set_defaults(func=_app)
    args = ap.parse_args(argv)
    global _QUIET, _TERMINATED
    _QUIET = bool(getattr(args, "quiet", False) or getattr(args, "json", False))
    _TERMINATED = False  # a command called again in the same process (tests, scripts) starts unstopped
    import logging

    from drugsim.ensemble import RunFailed, WorkerDied

    logging.basicConfig(level=logging.WARNING, format="drugsim: %(message)s")
    # `kill` or a scheduler's stop: the same clean stop as Ctrl-C (the handler is put back when the command ends).
    previous = (
        signal.signal(signal.SIGTERM, _terminated) if threading.current_thread() is threading.main_thread() else None
    )
    try:
        with contextlib.ExitStack() as args.stack:  # what a command holds (its results folder) until it ends
            return args.func(args)
    except _Stop as stop:
        return stop.code
    except _Refuse as e:
        print(f"drugsim: {e}; nothing was run or written", file=sys.stderr)
        return 2
    except (WorkerDied, RunFailed) as e:
        print(f"drugsim: {e}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`drugsim parameters | head`): not an error. Python would complain again when it
        # flushes stdout at exit, so stdout is pointed at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # a full disk, a folder that cannot be written, a cluster that is not there
        where = f"{e.filename}: " if e.filename else ""
        print(f"drugsim: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # Ctrl-C outside an ensemble (which keeps its finished runs itself)
        print("\ndrugsim: interrupted; nothing was written", file=sys.stderr)
        return 130
    except Exception as e:  # a bug: one line for the user, the detail in a log file
        return _bug(e)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


#: Set when SIGTERM arrives. Its handler raises KeyboardInterrupt, but Python drops an exception raised while it
#: runs a finaliser (a `__del__` or a weakref callback, as Mesa's agent sets have), so a stopped command could
#: otherwise run on and write its results; `_write` checks this first.
_TERMINATED = False


def _terminated(signum, frame) -> None:
    global _TERMINATED
    _TERMINATED = True
    raise KeyboardInterrupt


def _bug(e: Exception) -> int:
    import tempfile
    import traceback

    log = Path(tempfile.gettempdir()) / f"drugsim-error-{os.getpid()}.log"
    try:
        log.write_text("".join(traceback.format_exception(e)))
        where = f"details in {log}"
    except OSError:
        where = "no log could be written"
    print(f"drugsim: internal error ({type(e).__name__}: {str(e)[:200]}); {where}. Please report it.", file=sys.stderr)
    return 70  # EX_SOFTWARE


if __name__ == "__main__":
    sys.exit(main())
