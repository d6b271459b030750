"""Predictions registered before the facts, and scoring them when the facts are published.

`calibration/forecasts.csv` declares the figures the next WMP/PCC reports (and ONS) are likely to publish: each is
a metric's sum or share over a period, exactly as a calibration target is. `drugsim predict` runs the calibrated
baseline with the accepted parameter draws (so the spread carries parameter as well as chance uncertainty) and
writes `calibration/predictions.csv`: for each figure the mean, the median and the 5th, 25th, 75th and 95th
percentiles across runs (the 90% prediction interval is 5th-95th), stamped with the model version, the date and
hashes of the fitted parameters and targets it came from.

`drugsim score FILE` reads newly published figures (`id,value,source`, optionally `published` as a date) and
scores each against its registered prediction: inside the 90% interval or not, the relative error of the mean, and
the interval score (Gneiting & Raftery 2007, a proper score: the interval's width plus 20 times how far outside it
the figure fell; lower is better). Over all figures, coverage is tested against the 90% promised (scipy's exact
binomial test). A figure published before its prediction was registered is flagged: it is not an out-of-sample test.

`drugsim add-targets FILE` then adds the published figures to `calibration/targets.csv` (their definitions come
from forecasts.csv), as fitting or holdout targets, ready for `drugsim calibrate` and a new `drugsim predict`.
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import hashlib
import io
import math
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd

from drugsim.atomic import write_atomic
from drugsim.calendar import Calendar
from drugsim.targets import USES, Figure, Target, read_targets

#: The percentiles stored for each prediction; 5 and 95 bound the 90% prediction interval.
PERCENTILES = (5, 25, 50, 75, 95)
#: The interval's miss rate: a 90% interval (the interval score's alpha).
ALPHA = 0.10
PREDICTION_COLUMNS = (
    ["id", "what", "metric", "area", "stat", "den_metric", "den_area", "start", "end", "mean"]
    + [f"p{q:02d}" for q in PERCENTILES]
    + ["runs", "draws", "model_version", "written", "fitted_sha256", "targets_sha256", "likely_source"]
)


class FiguresError(ValueError):
    """A forecasts, predictions or published-figures file that cannot be used; the message names the file, line
    and field."""


@dataclass(frozen=True)
class Forecast(Figure):
    """A figure to predict: what it is, its tolerance as a future target, and where it is likely to be published."""

    what: str
    tolerance: float
    likely_source: str


def read_forecasts(path: Path) -> list[Forecast]:
    names = [f.name for f in fields(Forecast)]
    out: list[Forecast] = []
    for line, row in _rows(path, names):
        try:
            f = Forecast(**{k: row[k].strip() for k in names} | {"tolerance": float(row["tolerance"])})
            f.check()
        except ValueError as e:
            raise FiguresError(f"{path}, line {line}: {e}") from None
        out.append(f)
    return out


def _rows(path: Path, required: list[str]):
    """(line number, row) of a CSV file, after checking its columns; every value is text."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise FiguresError(f"{path}: not UTF-8 text; save it as CSV (UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise FiguresError(
            f"{path}: missing column(s) {', '.join(missing)}; the file needs the columns {', '.join(required)}"
        )
    for line, row in enumerate(reader, start=2):
        if any((v or "").strip() for v in row.values()):
            yield line, {k: (v or "") for k, v in row.items() if k is not None}


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


class _Values:
    """Picklable reducer: each forecast's value in one run (computed in the worker, so one small vector travels)."""

    def __init__(self, forecasts: list[Forecast], calendar: Calendar):
        self.forecasts, self.calendar = forecasts, calendar

    def __call__(self, results: np.ndarray) -> np.ndarray:
        return np.array([f.simulate(results, self.calendar) for f in self.forecasts])


def predict(base, forecasts: list[Forecast], draws: list[dict[str, float]], runs: int, pool, progress=None):
    """Run the calibrated `base` (`runs` runs, run i with seed 5000 + i and draw i mod len(draws)) to the last
    forecast's end and return one row per forecast: mean and percentiles across runs."""
    from drugsim.ensemble import Run, run_ensemble
    from drugsim.scenario import with_changes

    end = max(f.end for f in forecasts)
    scenario = with_changes(base, {"scenario": {"end": end}})
    plan = [Run(scenario, 5000 + i, i % len(draws) if draws else None) for i in range(runs)]
    reduce = _Values(forecasts, Calendar(scenario.start, scenario.end))
    results = run_ensemble(plan, pool, draws=draws or None, progress=progress, reduce=reduce)
    values = np.stack([results[r.key] for r in plan])  # (runs, forecasts)
    rows = []
    for j, f in enumerate(forecasts):
        v = values[:, j][np.isfinite(values[:, j])]
        row = {k: getattr(f, k) for k in PREDICTION_COLUMNS if hasattr(f, k)}
        row["mean"] = float(v.mean()) if v.size else float("nan")
        for q, x in zip(PERCENTILES, np.percentile(v, PERCENTILES) if v.size else [np.nan] * 5, strict=True):
            row[f"p{q:02d}"] = float(x)
        rows.append(row)
    return pd.DataFrame(rows)


def write_predictions(out: Path, table: pd.DataFrame, *, runs: int, draws: int, calibration: Path) -> Path:
    """Stamp the table with what produced it and write `predictions.csv` atomically into `out`."""
    from drugsim import __version__

    table = table.assign(
        runs=runs,
        draws=draws,
        model_version=__version__,
        written=dt.date.today().isoformat(),
        fitted_sha256=sha256(calibration / "fitted.toml")[:16],
        targets_sha256=sha256(calibration / "targets.csv")[:16],
    )[PREDICTION_COLUMNS]
    out.mkdir(parents=True, exist_ok=True)
    path = out / "predictions.csv"
    write_atomic(path, table.to_csv(index=False, float_format="%.6g"))
    return path


def read_predictions(path: Path) -> pd.DataFrame:
    """A predictions file (normally written by `drugsim predict`), checked: each row's numbers finite and in
    order, and its registration date a date, so scoring never meets a value it cannot use."""
    numbers = ["mean", *(f"p{q:02d}" for q in PERCENTILES)]
    rows = []
    for line, row in _rows(path, PREDICTION_COLUMNS):
        where = f"{path}, line {line} ({row['id'] or 'no id'})"
        for c in numbers:
            row[c] = _number(row[c], f"{where}: {c}", low=-math.inf)
        if not row["p05"] <= row["p95"]:
            raise FiguresError(f"{where}: p05 = {row['p05']:g} is above p95 = {row['p95']:g}")
        try:
            dt.date.fromisoformat(row["written"].strip())
        except ValueError:
            raise FiguresError(f"{where}: written = {row['written']!r}: must be a date (YYYY-MM-DD)") from None
        rows.append(row)
    if not rows:
        raise FiguresError(f"{path}: holds no predictions")
    return pd.DataFrame(rows).set_index("id", drop=False)


@dataclass(frozen=True)
class Published:
    id: str
    value: float
    source: str
    published: dt.date | None
    tolerance: float | None


def read_published(path: Path, known: dict[str, str] | set[str]) -> list[Published]:
    """Newly published figures: columns id, value, source (required), published (a date) and tolerance (optional).
    Each id must be a registered forecast (`known`: their ids, or each id's statistic); values are finite numbers,
    not negative, and at most 1 for a share."""
    stats = known if isinstance(known, dict) else dict.fromkeys(known, "")
    out: list[Published] = []
    for line, row in _rows(path, ["id", "value", "source"]):
        where = f"{path}, line {line}"
        fid = row["id"].strip()
        if fid not in known:
            near = difflib.get_close_matches(fid, sorted(known), n=3, cutoff=0.0)
            raise FiguresError(f"{where}: id {fid!r} is not a registered forecast; did you mean {', '.join(near)}?")
        if any(p.id == fid for p in out):
            raise FiguresError(f"{where}: id {fid!r} is given twice")
        value = _number(
            row["value"],
            f"{where}: value",
            low=0.0,
            high=1.0 if stats[fid] == "share" else math.inf,
        )
        source = row["source"].strip()
        if not source:
            raise FiguresError(f"{where}: source is empty: give the report and paragraph the figure comes from")
        published = None
        if (row.get("published") or "").strip():
            try:
                published = dt.date.fromisoformat(row["published"].strip())
            except ValueError:
                raise FiguresError(f"{where}: published = {row['published']!r}: must be a date (YYYY-MM-DD)") from None
        tolerance = None
        if (row.get("tolerance") or "").strip():
            tolerance = _number(row["tolerance"], f"{where}: tolerance", low=0.0, high=5.0, open_low=True)
        out.append(Published(fid, value, source, published, tolerance))
    if not out:
        raise FiguresError(f"{path}: holds no figures")
    return out


def _number(text: str, what: str, low: float, high: float = math.inf, open_low: bool = False) -> float:
    try:
        x = float(text.strip().replace(",", ""))
    except ValueError:
        raise FiguresError(f"{what} = {text!r}: must be a number") from None
    if not math.isfinite(x) or x < low or (open_low and x == low) or x > high:
        bound = f"above {low:g}" if open_low else f"at least {low:g}"
        bound += f" and at most {high:g}" if high < math.inf else ""
        raise FiguresError(f"{what} = {text}: must be a finite number {bound}")
    return x


def interval_score(y: float, low: float, high: float, alpha: float = ALPHA) -> float:
    """Gneiting & Raftery (2007) interval score of a central (1 - alpha) interval: lower is better."""
    return (high - low) + (2 / alpha) * max(low - y, 0.0) + (2 / alpha) * max(y - high, 0.0)


def score(published: list[Published], predictions: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """One row per published figure against its prediction, and a summary (coverage and its binomial test)."""
    from scipy.stats import binomtest

    rows = []
    for p in published:
        pred = predictions.loc[p.id]
        low, high, mean = float(pred["p05"]), float(pred["p95"]), float(pred["mean"])
        written = dt.date.fromisoformat(pred["written"])
        rows.append(
            dict(
                id=p.id,
                what=pred["what"],
                published_value=p.value,
                predicted_mean=mean,
                low_90=low,
                high_90=high,
                inside_90=bool(low <= p.value <= high),
                relative_error=(mean - p.value) / p.value if p.value else float("nan"),
                interval_score=interval_score(p.value, low, high),
                registered=pred["written"],
                model_version=pred["model_version"],
                out_of_sample=p.published is None or written <= p.published,
                source=p.source,
            )
        )
    table = pd.DataFrame(rows)
    n, k = len(table), int(table["inside_90"].sum())
    test = binomtest(k, n, 1 - ALPHA)
    summary = dict(
        figures=n,
        inside_90=k,
        coverage=k / n,
        promised=1 - ALPHA,
        binomial_p=float(test.pvalue),
        not_out_of_sample=int((~table["out_of_sample"]).sum()),
    )
    return table, summary


def scorecard(table: pd.DataFrame, summary: dict) -> str:
    """The score as Markdown: a sentence a board can read, then the table."""
    lines = [
        "# Registered predictions against published figures",
        "",
        f"{summary['inside_90']} of {summary['figures']} published figures fell inside the model's 90% prediction "
        f"interval ({summary['coverage']:.0%}; a well-calibrated model would hold about 90%, and a result this far "
        f"from 90% or further would happen by chance with probability {summary['binomial_p']:.2f}).",
    ]
    if summary["not_out_of_sample"]:
        lines.append(
            f"{summary['not_out_of_sample']} figure(s) were published before the prediction was registered: they "
            "are not an out-of-sample test."
        )
    lines += [
        "",
        "| figure | published | predicted mean | 90% interval | inside | error of the mean | interval score | "
        "registered (version) | source |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.what} (`{r.id}`) | {r.published_value:,.4g} | {r.predicted_mean:,.4g} | "
            f"{r.low_90:,.4g} to {r.high_90:,.4g} | {'yes' if r.inside_90 else 'no'} | {r.relative_error:+.0%} | "
            f"{r.interval_score:,.4g} | {r.registered} ({r.model_version}) | {r.source} |"
        )
    return "\n".join(lines) + "\n"


def add_targets(targets_file: Path, published: list[Published], forecasts: list[Forecast], use: str) -> list[str]:
    """Append the published figures to a targets file as `use` targets (definitions from the forecasts), written
    atomically; refuses an id already there. Returns the ids added."""
    if use not in USES:
        raise FiguresError(f"use = {use!r}: must be one of {', '.join(USES)}")
    existing = {t.id for t in read_targets(targets_file)}
    clash = [p.id for p in published if p.id in existing]
    if clash:
        raise FiguresError(
            f"{targets_file} already has target(s) {', '.join(clash)}; remove them from the file of published figures "
            "(or from the targets file, if the new figure replaces a revised one)"
        )
    by_id = {f.id: f for f in forecasts}
    text = targets_file.read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))  # the file's own column order
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    for p in published:
        f = by_id[p.id]
        target = Target(
            **{k.name: getattr(f, k.name) for k in fields(Figure)},
            use=use,
            value=p.value,
            tolerance=p.tolerance if p.tolerance is not None else f.tolerance,
            source=p.source,
            note=f"added by drugsim add-targets on {dt.date.today().isoformat()} (registered forecast {f.id})",
        )
        target.check()
        writer.writerow({k: (f"{v:g}" if isinstance(v, float) else v) for k, v in vars(target).items()})
    write_atomic(targets_file, (text if text.endswith("\n") else text + "\n") + buffer.getvalue())
    return [p.id for p in published]
