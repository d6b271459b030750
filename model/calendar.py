"""The weekly calendar: week indices, their start dates, and converting dates and annual rates.

Week k starts on `start + 7k days`; a week belongs to the calendar year of its start date.
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
        return np.array([np.datetime64(self.start) + np.timedelta64(7 * k, "D") for k in range(self.n_weeks)])

    def years(self) -> np.ndarray:
        return self.week_starts().astype("datetime64[Y]").astype(int) + 1970

    def year_fraction(self, k: int) -> float:
        """Decimal year at the start of week k."""
        d = self.week_start(k)
        return d.year + (d.timetuple().tm_yday - 1) / DAYS_PER_YEAR
