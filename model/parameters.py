"""The parameter table: every number the model uses, with unit, plausible range and source.

This module reads `data/parameters.csv` and `data/geography.csv`; it does not decide scenario overrides
(see `scenario.py`), it only checks them against the table.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from drugsim.limits import Limit, limit_of

DATA_DIR = Path(__file__).parent / "data"

#: Units whose values are probabilities or shares and so must lie in [0, 1].
UNIT_FRACTIONS = {"prob", "share"}


@dataclass(frozen=True)
class Parameter:
    """One row of the parameter table."""

    name: str
    value: float
    unit: str
    low: float
    high: float
    group: str
    calibrate: bool
    source: str
    meaning: str

    @property
    def limit(self) -> Limit:
        """The possible range (drugsim.limits): values outside it are impossible, not merely implausible."""
        return limit_of(self.name, self.unit)

    @property
    def hard_bounds(self) -> tuple[float, float]:
        """Values outside these are impossible (not merely implausible)."""
        return (self.limit.low, self.limit.high)

    def check(self, value: float) -> str | None:
        """Return an error message if `value` is impossible for this parameter, else None."""
        problem = self.limit.problem(value, "" if self.unit in UNIT_FRACTIONS else self.unit)
        return None if problem is None else f"{self.name} = {value!r} is not allowed: it {problem}"

    def plausible(self, value: float) -> bool:
        return self.low <= value <= self.high


@cache
def parameter_table() -> dict[str, Parameter]:
    """The parameter table, keyed by name, in file order."""
    table: dict[str, Parameter] = {}
    with open(DATA_DIR / "parameters.csv", newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            # An unquoted comma gives more fields than the header (and cuts a column short); a lost one, fewer.
            if None in row or None in row.values():
                n = len(reader.fieldnames) + len(row.get(None, [])) - sum(v is None for v in row.values())
                raise ValueError(
                    f"parameters.csv line {reader.line_num} ({row['name']}): {n} fields, the header has "
                    f"{len(reader.fieldnames)}; quote a value that contains a comma"
                )
            p = Parameter(
                name=row["name"],
                value=float(row["value"]),
                unit=row["unit"],
                low=float(row["low"]),
                high=float(row["high"]),
                group=row["group"],
                calibrate=row["calibrate"] == "1",
                source=row["source"],
                meaning=row["meaning"],
            )
            if p.name in table:
                raise ValueError(f"parameters.csv: duplicate parameter {p.name!r}")
            table[p.name] = p
    return table


def defaults() -> dict[str, float]:
    """Every parameter at its table value."""
    return {name: p.value for name, p in parameter_table().items()}


def check_overrides(overrides: dict[str, float], where: str) -> tuple[list[str], list[str]]:
    """Check parameter overrides against the table.

    Returns:
        (errors, warnings): errors name unknown or impossible values; warnings name values outside the
        plausible range, which are allowed so that academics can explore beyond it.
    """
    table = parameter_table()
    errors, warnings = [], []
    for name, value in overrides.items():
        if name not in table:
            if len(errors) >= 20 or len(name) > 100:  # hints for the first few only: each costs a search
                errors.append(f"{where}: unknown parameter {name[:60]!r}{'...' if len(name) > 60 else ''}")
                continue
            close = difflib.get_close_matches(name, table, n=3, cutoff=0.75)
            close += [n for n in table if n.split("_")[0] == name.split("_")[0] and n not in close][: 8 - len(close)]
            hint = f"; did you mean {close[0]}? similar names: {', '.join(close)}" if close else ""
            errors.append(f"{where}: unknown parameter {name!r}{hint}")
            continue
        p = table[name]
        msg = p.check(value)
        if msg:
            errors.append(f"{where}: {msg}")
        elif not p.plausible(value):
            warnings.append(
                f"{where}: {name} = {value:g} is outside its plausible range {p.low:g}-{p.high:g} {p.unit} ({p.source})"
            )
    return errors, warnings


@dataclass(frozen=True)
class Geography:
    """The seven local authorities, in a fixed order used by every per-area array."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    columns: dict[str, tuple[float, ...]]

    def column(self, name: str):
        import numpy as np

        return np.asarray(self.columns[name], dtype=float)

    def index(self, la_id: str) -> int:
        return self.ids.index(la_id)


@cache
def geography() -> Geography:
    with open(DATA_DIR / "geography.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    numeric = [k for k in rows[0] if k not in ("la", "name", "ons_code")]
    return Geography(
        ids=tuple(r["la"] for r in rows),
        names=tuple(r["name"] for r in rows),
        columns={k: tuple(float(r[k]) for r in rows) for k in numeric},
    )


AREAS: tuple[str, ...] = geography().ids
FORCE_AREA = "West Midlands"
