"""Calibration targets: reading `calibration/targets.csv`, computing each target from a run's results, and
scoring a run against them. The fitting itself is in `model/calibrate.py`.

A target is a sum of a flow, a mean of a stock, or a share (one sum over another) over a period, for the
force area or some local authorities. `metric` may combine metrics with + and - (e.g. costs that add up).
"""

from __future__ import annotations

import csv
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drugsim.calendar import Calendar
from drugsim.library import CALIBRATION_DIR
from drugsim.metrics import INDEX
from drugsim.parameters import AREAS

TARGETS_FILE = CALIBRATION_DIR / "targets.csv"
USES = ("fitting", "holdout")
STATS = ("sum", "mean", "share")
#: Squared log-errors are capped so that one wild target cannot dominate the loss.
Z2_CAP = 25.0


@dataclass(frozen=True)
class Figure:
    """A figure a run can be measured on: a metric expression's sum, mean or share over a period and areas."""

    id: str
    metric: str
    area: str
    stat: str
    den_metric: str
    den_area: str
    start: str
    end: str

    def _terms(self, expr: str) -> list[tuple[float, int]]:
        terms = []
        for sign, name in re.findall(r"([+-]?)\s*([a-z0-9_]+)", expr):
            if name not in INDEX:
                raise ValueError(f"target {self.id}: unknown metric {name!r}")
            terms.append((-1.0 if sign == "-" else 1.0, INDEX[name]))
        return terms

    def _areas(self, spec: str) -> list[int]:
        if spec in ("", "all"):
            return list(range(len(AREAS)))
        return [AREAS.index(a) for a in spec.split("+")]

    def simulate(self, results: np.ndarray, calendar: Calendar) -> float:
        """This target's value in one run's (weeks, metrics, LAs) results."""
        # Each week counts for its days inside the period, so a year is 365 or 366 days of flows, not 52 or 53
        # weekly steps, and "Apr-Dec 2024" starts on 1 April whatever weekday that is.
        weights = calendar.period_weights(self.start, self.end)
        if not weights.any():
            raise ValueError(f"target {self.id}: no simulated week in {self.start} to {self.end}")

        def total(expr, area_spec):
            cols = self._areas(area_spec)
            per_week = sum(sign * results[:, i][:, cols].sum(axis=1) for sign, i in self._terms(expr))
            weighted = float(weights @ per_week)
            return weighted / weights.sum() if self.stat == "mean" else weighted

        value = total(self.metric, self.area)
        if self.stat == "share":
            den = total(self.den_metric, self.den_area or self.area)
            return float(value / den) if den > 0 else float("nan")
        return float(value)

    def check(self) -> None:
        """Raise ValueError naming this figure if a metric, area, statistic or date cannot be used."""
        import datetime as dt

        if self.stat not in STATS:
            raise ValueError(f"{self.id}: stat = {self.stat!r}: must be one of {', '.join(STATS)}")
        self._terms(self.metric)
        self._checked_areas(self.area)
        if self.stat == "share":
            self._terms(self.den_metric)
            self._checked_areas(self.den_area)
        try:
            start, end = dt.date.fromisoformat(self.start), dt.date.fromisoformat(self.end)
        except ValueError:
            raise ValueError(f"{self.id}: start {self.start!r} or end {self.end!r} is not a date (YYYY-MM-DD)") from (
                None
            )
        if end < start:
            raise ValueError(f"{self.id}: ends ({self.end}) before it starts ({self.start})")

    def _checked_areas(self, spec: str) -> None:
        unknown = [a for a in spec.split("+") if spec not in ("", "all") and a not in AREAS]
        if unknown:
            raise ValueError(f"{self.id}: area {unknown[0]!r}: must be 'all' or areas from {', '.join(AREAS)}")


@dataclass(frozen=True)
class Target(Figure):
    """A published figure the model is fitted to (`use = fitting`) or tested against (`use = holdout`)."""

    use: str
    value: float
    tolerance: float
    source: str
    note: str

    def z(self, simulated: float) -> float:
        """Error in units of the tolerance, on a log scale: |z| <= 1 is within tolerance either way."""
        if not np.isfinite(simulated) or simulated <= 0:
            return float("inf")
        return float(np.log(simulated / self.value) / np.log1p(self.tolerance))

    def within(self, simulated: float) -> bool:
        return bool(np.isfinite(simulated) and abs(simulated - self.value) <= self.tolerance * abs(self.value))


def load_targets(use: str, path: Path = TARGETS_FILE) -> list[Target]:
    """The targets for one use: "fitting" (known by the end of 2022) or "holdout" (2023-2024).

    Fitting code asks only for "fitting", so the holdout figures never reach it. Every row is checked (not only
    those of `use`), so a mistake in an added figure is named whichever use it was added for.
    """
    if use not in USES:
        raise ValueError(f"use = {use!r}: must be one of {USES}")
    return [t for t in read_targets(path) if t.use == use]


def read_targets(path: Path = TARGETS_FILE) -> list[Target]:
    """Every row of a targets file, checked: a mistake raises ValueError naming the file, the row and the field."""
    fields = [f.name for f in dataclasses.fields(Target)]
    out: list[Target] = []
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = [c for c in fields if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; the columns are {', '.join(fields)}")
        for line, row in enumerate(reader, start=2):
            where = f"{path}, line {line} ({row.get('id') or 'no id'})"
            try:
                t = Target(**{k: (row[k] or "").strip() for k in fields} | _numbers(row))
                t.check()
            except ValueError as e:
                raise ValueError(f"{where}: {e}") from None
            if t.use not in USES:
                raise ValueError(f"{where}: use = {t.use!r}: must be one of {', '.join(USES)}")
            if not t.source:
                raise ValueError(f"{where}: source is empty: every figure needs its source (report and paragraph)")
            if any(o.id == t.id for o in out):
                raise ValueError(f"{where}: id {t.id!r} is used twice; ids must be unique")
            out.append(t)
    return out


def _numbers(row: dict) -> dict[str, float]:
    """value (a positive number) and tolerance (a relative tolerance above 0 and at most 5, i.e. 500%)."""
    out = {}
    for name, low, high in (("value", 0.0, float("inf")), ("tolerance", 0.0, 5.0)):
        text = (row.get(name) or "").strip().replace(",", "")
        try:
            x = float(text)
        except ValueError:
            raise ValueError(f"{name} = {text!r}: must be a number") from None
        if not (np.isfinite(x) and low < x <= high):
            allowed = "a positive number" if name == "value" else "a relative tolerance above 0 and at most 5"
            raise ValueError(f"{name} = {text}: must be {allowed}")
        out[name] = x
    return out


def last_end(targets: list[Target]) -> str:
    return max(t.end for t in targets)


def loss(targets: list[Target], simulated: dict[str, float]) -> float:
    """Mean capped squared z over targets: 0 is a perfect fit, 1 is every target at its tolerance."""
    return float(np.mean([min(targets_z**2, Z2_CAP) for targets_z in (t.z(simulated[t.id]) for t in targets)]))
