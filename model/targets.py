"""Calibration targets: reading `calibration/targets.csv`, computing each target from a run's results, and
scoring a run against them. The fitting itself is in `model/calibrate.py`.

A target is a sum of a flow, a mean of a stock, or a share (one sum over another) over a period, for the
force area or some local authorities. `metric` may combine metrics with + and - (e.g. costs that add up).
"""

from __future__ import annotations

import csv
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
class Target:
    id: str
    use: str
    metric: str
    area: str
    stat: str
    den_metric: str
    den_area: str
    start: str
    end: str
    value: float
    tolerance: float
    source: str
    note: str

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
        starts = calendar.week_starts()
        weeks = (starts >= np.datetime64(self.start)) & (starts <= np.datetime64(self.end))
        if not weeks.any():
            raise ValueError(f"target {self.id}: no simulated week in {self.start} to {self.end}")

        def total(expr, area_spec):
            cols = self._areas(area_spec)
            per_week = sum(sign * results[weeks][:, i][:, cols].sum(axis=1) for sign, i in self._terms(expr))
            return per_week.mean() if self.stat == "mean" else per_week.sum()

        value = total(self.metric, self.area)
        if self.stat == "share":
            den = total(self.den_metric, self.den_area or self.area)
            return float(value / den) if den > 0 else float("nan")
        return float(value)

    def z(self, simulated: float) -> float:
        """Error in units of the tolerance, on a log scale: |z| <= 1 is within tolerance either way."""
        if not np.isfinite(simulated) or simulated <= 0:
            return float("inf")
        return float(np.log(simulated / self.value) / np.log1p(self.tolerance))

    def within(self, simulated: float) -> bool:
        return bool(np.isfinite(simulated) and abs(simulated - self.value) <= self.tolerance * abs(self.value))


def load_targets(use: str, path: Path = TARGETS_FILE) -> list[Target]:
    """The targets for one use: "fitting" (known by the end of 2022) or "holdout" (2023-2024).

    Fitting code asks only for "fitting", so the holdout figures never reach it.
    """
    if use not in USES:
        raise ValueError(f"use = {use!r}: must be one of {USES}")
    out = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["use"] not in USES or row["stat"] not in STATS:
                raise ValueError(f"{path}: target {row['id']}: bad use or stat")
            if row["use"] != use:
                continue
            out.append(Target(**{**row, "value": float(row["value"]), "tolerance": float(row["tolerance"])}))
    return out


def last_end(targets: list[Target]) -> str:
    return max(t.end for t in targets)


def loss(targets: list[Target], simulated: dict[str, float]) -> float:
    """Mean capped squared z over targets: 0 is a perfect fit, 1 is every target at its tolerance."""
    return float(np.mean([min(targets_z**2, Z2_CAP) for targets_z in (t.z(simulated[t.id]) for t in targets)]))
