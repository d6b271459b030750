"""The shared interface of every intervention module: a validated config, the levers it sets while
active, and its own spend. Modules never touch the population directly.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, ClassVar, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from drugsim.calendar import EARLIEST, LATEST, Calendar
from drugsim.levers import N_LA, Levers
from drugsim.limits import MULTIPLIER, SHARE, Limit
from drugsim.parameters import AREAS

AreaId = Literal[AREAS]  # type: ignore[valid-type]


def kind_of(value) -> str:
    """What a TOML value is, in words, for a refusal."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dt.datetime):
        return "a date and time"
    if isinstance(value, dt.date):
        return "a date"
    if isinstance(value, dt.time):
        return "a time of day"
    if isinstance(value, int):
        return "a whole number"
    if isinstance(value, float):
        return "a number with a decimal point"
    if isinstance(value, str):
        return "text"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


def _number(value):
    # TOML gives real numbers; a quoted "0.5" or a true/false is a mistake worth refusing, and so are TOML's
    # nan and inf, which no setting can mean.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, not {kind_of(value)}")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # a TOML integer can have any number of digits; no float holds this one
        raise ValueError(f"must be a finite number, not a whole number of {len(str(abs(value)))} digits") from None
    if not finite:
        raise ValueError("must be a finite number")
    return value


def _date(value):
    # Only a TOML date (2020-01-01, unquoted): not text, not a number of seconds, not a date and time.
    if type(value) is not dt.date:
        raise ValueError(f"must be a date written as a TOML date such as 2020-01-01 (no quotes), not {kind_of(value)}")
    return value


def _text(value):
    if not isinstance(value, str):
        raise ValueError(f"must be text in quotes, not {kind_of(value)}")
    return value


def _switch(value):
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, not {kind_of(value)}")
    return value


#: Text from a scenario file (a TOML string, nothing else).
Text = Annotated[str, BeforeValidator(_text)]
#: A switch: TOML true or false (not 1, 0 or "yes").
Switch = Annotated[bool, BeforeValidator(_switch)]
#: A number from a scenario file (int or float, never a bool or a string), finite; its range is checked
#: elsewhere (a table parameter's by `Parameter.check`) or by one of the bounded types below.
Num = Annotated[float, BeforeValidator(_number)]
#: A date from a scenario file: a TOML date, nothing else.
Date = Annotated[dt.date, BeforeValidator(_date)]


def bounded(limit: Limit) -> object:
    """A number (TOML integer or float) within `limit` (drugsim.limits)."""

    def check(value):
        _number(value)
        problem = limit.problem(value)
        if problem:
            raise ValueError(problem)
        return value

    return Annotated[float, BeforeValidator(check), limit]  # the limit rides along for tests and tools


def whole(limit: Limit) -> object:
    """A count within `limit`: a TOML integer only (50, not 50.0, "50" or true: a count is written whole)."""

    def check(value):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be a whole number (a TOML integer such as 50), not {kind_of(value)}")
        problem = limit.problem(value)
        if problem:
            raise ValueError(problem.replace("must be", "must be a whole number", 1))
        return value

    return Annotated[int, BeforeValidator(check), limit]


#: Settings that are shares, and multipliers that are not table parameters.
Share = bounded(SHARE)
Multiplier = bounded(MULTIPLIER)


def _check_date(value: dt.date | None, name: str) -> None:
    if value is not None and not (EARLIEST <= value <= LATEST):
        raise ValueError(
            f"{name} = {value.isoformat()} is outside the simulated period "
            f"{EARLIEST.isoformat()} to {LATEST.isoformat()}"
        )


def check_period(start: dt.date | None, end: dt.date | None) -> None:
    """Dates inside the modelled period, and end after start."""
    _check_date(start, "start")
    _check_date(end, "end")
    if start and end and end <= start:
        raise ValueError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")


class InterventionConfig(BaseModel):
    """Settings common to every intervention. Subclasses add their own levers and may override any
    table parameter named in `PARAMS` (field name -> parameter-table name)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    PARAMS: ClassVar[dict[str, str]] = {}

    enabled: Switch = True
    start: Date | None = None
    end: Date | None = None

    @model_validator(mode="after")
    def _dates(self):
        check_period(self.start, self.end)
        return self

    def parameter_overrides(self) -> dict[str, float]:
        """Table parameters this config sets, by their table names."""
        return {
            table: float(getattr(self, field))
            for field, table in self.PARAMS.items()
            if getattr(self, field) is not None
        }


class ScheduleEntry(BaseModel):
    """From `date` on, `area` has `amount` of something; subclasses say what (officers, staff) and its limit."""

    model_config = ConfigDict(extra="forbid", strict=True)
    date: Date
    area: AreaId
    amount: float

    @model_validator(mode="after")
    def _date(self):
        _check_date(self.date, "date")
        return self


def schedule_array(entries: list[ScheduleEntry], calendar: Calendar) -> np.ndarray:
    """(n_weeks, n_la) step function: each area holds its latest amount dated on or before the week."""
    out = np.zeros((calendar.n_weeks, N_LA))
    for e in sorted(entries, key=lambda e: e.date):
        w = max(0, calendar.first_week_on_or_after(e.date))
        out[w:, AREAS.index(e.area)] = e.amount
    return out


class Intervention:
    """Base class. Subclasses set `name`, `Config`, `summary`, and implement `apply` and `spend`."""

    name: ClassVar[str]
    summary: ClassVar[str]
    Config: ClassVar[type[InterventionConfig]] = InterventionConfig
    #: Table parameters priced per use (per referral, kit used, admission): the part of spend known only after a run.
    use_costs: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: InterventionConfig, params: dict[str, float], calendar: Calendar):
        self.cfg = config
        self.p = params
        self.cal = calendar
        self.start_week = 0 if config.start is None else max(0, calendar.first_week_on_or_after(config.start))
        self.end_week = calendar.n_weeks if config.end is None else calendar.first_week_on_or_after(config.end)

    @classmethod
    def problems(cls, config: InterventionConfig, params: dict[str, float]) -> list[str]:
        """Why these settings are impossible together with the resolved parameters (checked before any run, once
        every override is known); none by default."""
        return []

    def active(self, week: int) -> bool:
        return self.cfg.enabled and self.start_week <= week < self.end_week

    def apply(self, levers: Levers, week: int) -> None:
        """Set this module's levers for `week` (called only while active)."""

    def committed_spend(self, week: int) -> np.ndarray:
        """Spend by LA in GBP that the settings fix in advance (places, staff, funding, kits on issue): known
        before any run, so the scenario builder can show it as levers move."""
        return np.zeros(N_LA)

    def use_spend(self, model, week: int) -> np.ndarray:
        """Spend by LA in GBP that depends on what happens in the run (referrals made, kits used, admissions)."""
        return np.zeros(N_LA)

    def spend(self, model, week: int) -> np.ndarray:
        """This week's spend by LA in GBP (called after the week's processes, only while active)."""
        return self.committed_spend(week) + self.use_spend(model, week)
