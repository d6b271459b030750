"""The weekly calendar: week indices, their start dates, and converting dates and annual rates.

Week k starts on `start + 7k days` and covers seven days. A figure for a period (a calendar year, a quarter, a
report's "Apr-Dec 2024") takes each week in proportion to its days inside the period (`period_weights`), so a year
counts 365 or 366 days of flows whether 52 or 53 weekly steps start in it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

DAYS_PER_YEAR = 365.25
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7.0

#: The period a scenario may cover: the historical period and the projection.
EARLIEST = dt.date(2019, 1, 1)
LATEST = dt.date(2030, 12, 31)


def weekly_prob(rate_per_year: float | np.ndarray) -> float | np.ndarray:
    """Probability of at least one event in a week for an event rate given per year."""
    return -np.expm1(-np.asarray(rate_per_year, dtype=float) / WEEKS_PER_YEAR)


@dataclass(frozen=True)
class Calendar:
    start: dt.date
    end: dt.date

    @property
    def n_weeks(self) -> int:
        return (self.end - self.start).days // 7 + 1

    def week_start(self, k: int) -> dt.date:
        return self.start + dt.timedelta(days=7 * k)

    def week_of(self, day: dt.date) -> int:
        """Index of the week containing `day` (may be negative or past the end)."""
        return (day - self.start).days // 7

    def first_week_on_or_after(self, day: dt.date) -> int:
        """Index of the first week starting on or after `day` (policies start at week boundaries)."""
        return -((self.start - day).days // 7)

    def week_starts(self) -> np.ndarray:
        """Each week's first day (datetime64[D]), in one array operation: a comparison's tables ask for a period's
        weights some hundreds of times (by ethnic group, area and run), so building the dates one by one showed."""
        return np.datetime64(self.start, "D") + np.arange(0, 7 * self.n_weeks, 7).astype("timedelta64[D]")

    def period_weights(self, start, end) -> np.ndarray:
        """The share of each week's seven days that falls in the period from `start` to `end` (dates or ISO text,
        both days included): 1 for a week wholly inside, 0 outside, a fraction for a week that straddles an edge.
        A flow's total over the period is the weighted sum of its weekly values; a stock's level is the weighted
        mean."""
        first = np.datetime64(start, "D")
        after = np.datetime64(end, "D") + np.timedelta64(1, "D")
        starts = self.week_starts()
        inside = np.minimum(starts + np.timedelta64(7, "D"), after) - np.maximum(starts, first)
        return np.clip(inside.astype(int), 0, 7) / 7.0

    def year_weights(self) -> tuple[list[int], np.ndarray]:
        """The calendar years the weeks touch, and a (years, weeks) matrix of `period_weights` for each."""
        years = list(range(self.start.year, self.week_start(self.n_weeks - 1).year + 1))
        return years, np.stack([self.period_weights(f"{y}-01-01", f"{y}-12-31") for y in years])

    def years(self) -> np.ndarray:
        return self.week_starts().astype("datetime64[Y]").astype(int) + 1970

    def year_fraction(self, k: int) -> float:
        """Decimal year at the start of week k."""
        d = self.week_start(k)
        return d.year + (d.timetuple().tm_yday - 1) / DAYS_PER_YEAR
