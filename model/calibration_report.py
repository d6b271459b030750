"""The calibration report: every target (fitting and holdout) against the calibrated model, with intervals that
carry both chance (seeds) and parameter uncertainty (accepted draws), plots of simulated series against the
reports' figures, and the conflicts and caveats. Writes REPORT.md and plots/ into the calibration folder."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from drugsim.atomic import write_atomic
from drugsim.calendar import Calendar
from drugsim.metrics import INDEX, METRICS
from drugsim.parameters import parameter_table
from drugsim.runner import run_one
from drugsim.scenario import ResolvedScenario, with_changes
from drugsim.targets import TARGETS_FILE, Target, last_end, load_targets

REPORT_END = "2024-12-31"  # the last holdout figure of the 2025 report; later if figures are added after it

CAVEATS = [
    "**Possession charges per Type 1 outcome differ between reports.** The 2023 report gives 167 people charged with "
    "supply for 174 Type 1 outcomes (`2023-02_spcb_preventing-and-reducing-crime §9-10`); the 2025 report 85 for 254 "
    "(`2025-02_agb_substance-misuse §9`), although a Type 1 outcome requires the holder to be charged. The model keeps "
    "the fitted 2023 ratio (`supply_charges_per_type1`), so it cannot match both; the 2025 figure is a holdout.",
    "**Two figures for drug trafficking offences in each of 2023 and 2024** (`2025-02_... §11-20`): 1,989 and 2,060 "
    "(2023), 1,706 and 1,763 (2024). The table's figures (1,989 and 1,706) are used.",
    "**Birmingham and Coventry's share of export locations**: 'over 50%' (2023 report, §7) then 48% (2025 report, "
    "§8). The first is fitted as 52%, the second is a holdout.",
    "**Deaths 'every three days'** comes from the December 2017 scoping (`2020-02_... §6`), before the model's "
    "period; it is fitted to 2019 with a 25% tolerance.",
    "**Divert referrals include people living outside the force area** (6%, `2023-02_... §18`); the model has only "
    "residents, so area shares are fitted as shares of residents' referrals (52%/0.94 for Birmingham).",
    "**Recorded OCU crime** is fitted to one in five of about 300,000 WMP recorded crimes a year; the WMP total is not "
    "in the reports (ONS police recorded crime, unverified), hence the 40% tolerance.",
    "**Arrest referral counts**: the 2025 report counts route 1 (drug testing) and RADAR (route 2) separately; the "
    "holdout compares route 1 with the model's referrals less RADAR ones.",
    "**Period ends are assumptions** where a report says 'since April 2022' or 'the last 12 months': they are taken "
    "to end with the month before the report (January 2023, December 2024).",
    "**Some fitting targets are close to inputs**: 22,500 OCUs is also the starting population and the 2019 charge "
    "rates by ethnic group are inputs; they check that the dynamics keep what the inputs set.",
    "**The 2021 ranking of charge rates by ethnic group** is White > Black > Asian in the report (`2023-02_... "
    "§23`); the model gives Black > White > Asian. Under Divert a detection leads to a charge only for suspected "
    "supply (the same for every group) or after a recent Divert not engaged with, times the group's 2019 share of "
    "formal outcomes that were charges. Black detected people are about 1.6 times as likely to have a recent "
    "non-engagement (repeat police contact: `detection_multiplier_black` and Birmingham residence) and 88% of their "
    "2019 formal outcomes were charges against 77% for White; even at the bottom of the detection multiplier's range "
    "Black stays highest. The report's order needs White detected people to be suspected of supply or to disengage "
    "more often, for which no source was found, so the model does not impose it.",
    "**Parameters not fitted** (no fitting target informs them), e.g. NRM referral chances, nitazene multipliers, "
    "treatment entry and exit: they keep their table values with their ranges, for sensitivity analysis.",
]


def after_holdout(validation: str) -> list[str]:
    """The structural changes made after the holdout had been seen, by version, from the validation history's
    "Made after seeing the holdout" lists (one source of truth: VALIDATION.md)."""
    out, version, inside = [], None, False
    for line in validation.splitlines():
        if line.startswith("## "):
            version, inside = line[3:].split(":")[0].strip(), False
        elif line.startswith("**Made after seeing the holdout**"):
            inside = True
        elif inside and line.startswith("- "):
            # The bullet's italic lead ("*Re-establishment is high and quick* (...)") names the change.
            lead = re.match(r"\*([^*]+)\*", line[2:])
            out.append(f"- {version}: {lead.group(1) if lead else line[2:].split('. ')[0]}")
        elif inside and line.startswith("**"):
            inside = False
    return out


def report_run(scenario: ResolvedScenario, params: dict[str, float], seed: int) -> np.ndarray:
    return run_one(with_changes(scenario, {"parameters": params}), seed)


def _read(path: Path) -> str:
    """A file's text, or "" if there is none (a calibration written to a new folder has no history yet)."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "n/a"
    if abs(x) >= 1e6:
        return f"£{x / 1e6:,.1f}m" if abs(x) < 1e12 else f"{x:.3g}"
    if abs(x) < 1:
        return f"{x:.3f}"
    return f"{x:,.0f}"


def _table(targets: list[Target], sims: dict[str, np.ndarray]) -> tuple[list[str], int, list[dict]]:
    rows = [
        "| target | observed | simulated mean | 90% interval | relative error | within tolerance | source |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    within = 0
    records = []
    for t in targets:
        v = sims[t.id]
        mean = float(np.nanmean(v))
        lo, hi = np.nanpercentile(v, [5, 95])
        ok = t.within(mean)
        within += ok
        what = f"`{t.id}`: {t.metric} ({t.stat}{', ' + t.area if t.area != 'all' else ''}) {t.start} to {t.end}"
        rows.append(
            f"| {what} | {_fmt(t.value)} | {_fmt(mean)} | {_fmt(lo)}-{_fmt(hi)} | "
            f"{(mean - t.value) / t.value:+.0%} | {'yes' if ok else 'no'} (±{t.tolerance:.0%}) | {t.source} |"
        )
        records.append(
            dict(
                target=t.id,
                use=t.use,
                metric=t.metric,
                stat=t.stat,
                area=t.area,
                start=t.start,
                end=t.end,
                observed=t.value,
                simulated_mean=mean,
                simulated_low=lo,
                simulated_high=hi,
                relative_error=(mean - t.value) / t.value,
                tolerance=t.tolerance,
                z=t.z(mean),
                within=bool(ok),
                source=t.source,
            )
        )
    return rows, within, records


def _plots(out: Path, scenario: ResolvedScenario, runs: list[np.ndarray], targets: list[Target]) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cal = Calendar(scenario.start, scenario.end)
    starts = cal.week_starts()
    quarters = starts.astype("datetime64[M]").astype(int) // 3
    uq, qidx = np.unique(quarters, return_inverse=True)
    qdates = (uq * 3).astype("datetime64[M]").astype("datetime64[D]")
    by_metric: dict[str, list[Target]] = {}
    for t in targets:
        if t.stat == "sum" and t.area == "all" and t.metric in INDEX:
            by_metric.setdefault(t.metric, []).append(t)
    files = []
    (out / "plots").mkdir(exist_ok=True)
    for metric, ts in by_metric.items():
        if len(ts) < 2 and metric not in ("drug_deaths", "type1_outcomes"):
            continue
        series = np.array([np.bincount(qidx, weights=r[:, INDEX[metric]].sum(axis=1)) for r in runs])
        fig, ax = plt.subplots(figsize=(8, 3.6))
        ax.fill_between(
            qdates, *np.percentile(series, [5, 95], axis=0), color="#9ecae1", label="simulated 90% interval"
        )
        ax.plot(qdates, series.mean(axis=0), color="#08519c", label="simulated mean")
        for t in ts:
            s, e = np.datetime64(t.start), np.datetime64(t.end)
            weeks = ((starts >= s) & (starts <= e)).sum()
            rate = t.value / weeks * 13  # per quarter
            style = dict(color="#d94801", lw=3) if t.use == "fitting" else dict(color="#54278f", lw=3, ls="--")
            ax.plot([s, e], [rate, rate], **style)
        ax.plot([], [], color="#d94801", lw=3, label="reported (fitting), per quarter")
        ax.plot([], [], color="#54278f", lw=3, ls="--", label="reported (holdout), per quarter")
        ax.set_title(f"{metric}: {METRICS[metric].meaning} (quarterly, West Midlands)", fontsize=9)
        ax.legend(fontsize=7, loc="best")
        ax.set_ylim(bottom=0)
        fig.tight_layout()
        name = f"plots/{metric}.png"
        fig.savefig(out / name, dpi=110)
        plt.close(fig)
        files.append((metric, name))
    return [f"![{m}]({n})" for m, n in files]


def write_report(
    out: Path,
    base: ResolvedScenario,
    fitted: dict[str, float],
    draws: list[dict[str, float]],
    runs: int,
    pool,
    info: dict | None = None,
    targets_file: Path = TARGETS_FILE,
) -> dict:
    """Run the calibrated baseline to the last target (the end of 2024, or later when newer figures have been
    added) and write REPORT.md; returns the summary scores."""
    fitting, holdout = load_targets("fitting", targets_file), load_targets("holdout", targets_file)
    report_end = max(REPORT_END, last_end(fitting + holdout))
    scenario = with_changes(base, {"parameters": fitted, "scenario": {"end": report_end}})
    cal = Calendar(scenario.start, scenario.end)
    draws = draws or [fitted]
    futures = [pool.submit(report_run, scenario, draws[i % len(draws)], 2000 + i) for i in range(runs)]
    results = [f.result() for f in futures]
    sims = {t.id: np.array([t.simulate(r, cal) for r in results]) for t in fitting + holdout}
    fit_rows, fit_in, fit_records = _table(fitting, sims)
    hold_rows, hold_in, hold_records = _table(holdout, sims)
    z_fit = np.mean([min(abs(t.z(np.nanmean(sims[t.id]))), 5) for t in fitting])
    z_hold = np.mean([min(abs(t.z(np.nanmean(sims[t.id]))), 5) for t in holdout])
    plots = _plots(out, scenario, results, fitting + holdout)
    table = parameter_table()
    par_rows = [
        "| parameter | table value | range | fitted | accepted draws | source |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, value in fitted.items():
        vals = [d[name] for d in draws]
        p = table[name]
        par_rows.append(
            f"| `{name}` | {p.value:g} | {p.low:g}-{p.high:g} | {value:.4g} | "
            f"{min(vals):.4g}-{max(vals):.4g} | {p.source} |"
        )
    info = info or {}
    method = (
        f"{info.get('trials', '?')} Optuna trials (TPE, then CMA-ES from the best) x {info.get('seeds', '?')} seed(s) "
        "over the fitting period "
        f"(to {info.get('fit_end', '?')}); the top {info.get('candidates', '?')} re-run on "
        f"{info.get('reeval_seeds', '?')} new seeds; {info.get('accepted', len(draws))} accepted draws "
        "(re-evaluated loss within 1.5x of the best)."
    )
    runtime = (
        f"{info['wall_seconds'] / 60:.1f} minutes wall time on {info.get('workers', '?')} local worker processes"
        if "wall_seconds" in info
        else "not recorded"
    )
    summary = {
        "fitting_within": fit_in,
        "fitting_n": len(fitting),
        "holdout_within": hold_in,
        "holdout_n": len(holdout),
        "fitting_mean_abs_z": float(z_fit),
        "holdout_mean_abs_z": float(z_hold),
    }
    text = [
        "# Calibration report",
        "",
        f"Generated by `drugsim calibrate` on {dt.date.today().isoformat()}. Do not edit by hand.",
        "",
        "## Summary",
        "",
        f"- **Fitting targets** (known by the end of 2022): **{fit_in} of {len(fitting)} within tolerance** "
        f"({fit_in / len(fitting):.0%}); mean |z| {z_fit:.2f} (|z| = 1 is at the tolerance, on a log scale).",
        f"- **Holdout targets** (the 2025 report's 2023-2024 figures, never used in fitting): **{hold_in} of "
        f"{len(holdout)} within tolerance** ({hold_in / len(holdout):.0%}); mean |z| {z_hold:.2f}.",
        f"- Method: {method}",
        f"- Full calibration runtime: {runtime}.",
        f"- Simulated values: the calibrated baseline, {runs} runs to {report_end}, each with its own seed and one of "
        "the accepted parameter draws in turn, so intervals carry parameter as well as chance uncertainty.",
        "- Tolerances are set per target before fitting (wider for small counts and uncertain definitions) and are "
        "not changed after seeing the fit.",
        "",
        "## Fitting targets",
        "",
        *fit_rows,
        "",
        "## Holdout targets (out of sample)",
        "",
        *hold_rows,
        "",
        "## Fitted parameters",
        "",
        *par_rows,
        "",
        "## Simulated against reported series",
        "",
        "Quarterly totals, force-wide. Reported figures are drawn over the period they cover, as a quarterly rate.",
        "",
        *plots,
        "",
        "## Structural changes made after seeing the holdout",
        "",
        "The holdout scores above are out of sample only as far as nothing was changed because of them. These "
        "changes were made after the holdout had been seen (each explained, with its effect on the holdout, in "
        "`VALIDATION.md`, and marked in its parameters' sources):",
        "",
        *(after_holdout(_read(out / "VALIDATION.md")) or ["- none recorded"]),
        "",
        "## Conflicts and caveats",
        "",
        *[f"- {c}" for c in CAVEATS],
        "",
    ]
    write_atomic(out / "REPORT.md", "\n".join(text))
    write_atomic(out / "report_summary.json", json.dumps(summary, indent=2))
    table = pd.DataFrame(fit_records + hold_records).to_csv(index=False, float_format="%.6g")
    write_atomic(out / "fit_table.csv", table)
    return summary
