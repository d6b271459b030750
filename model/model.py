"""The Mesa model: one week per step, the person population in numpy arrays, crime groups as agents.

The weekly order (documented once, here and in docs/ODD.md):
  1. interventions set their levers  2. use and purchase  3. offending  4. policing (possession)
  5. custody  6. treatment flows  7. overdose and deaths  8. turnover of cannabis and cocaine users, OCU migration
  9. drug market and county lines  10. stocks recorded  11. costs and intervention spend.
"""

from __future__ import annotations

import copy
import functools

import mesa
import numpy as np

from drugsim.calendar import Calendar
from drugsim.costs import accounting, record_stocks, status_counts
from drugsim.interventions import REGISTRY
from drugsim.levers import N_LA, Levers
from drugsim.market import Market
from drugsim.market.agents import CrimeGroup
from drugsim.metrics import INDEX, NAMES
from drugsim.population import Kind, Population
from drugsim.processes.custody import custody
from drugsim.processes.offending import offending
from drugsim.processes.overdose import overdose
from drugsim.processes.policing import DetectionSampler, policing
from drugsim.processes.treatment import treatment
from drugsim.processes.turnover import ocu_migration, turnover
from drugsim.processes.use import use_and_purchase
from drugsim.rng import Streams

#: How often (in weeks) the Mesa DataCollector samples the crime groups.
COLLECT_EVERY_WEEKS = 13


@functools.cache
def _rows(metrics: tuple[str, ...]) -> np.ndarray:
    return np.array([INDEX[m] for m in metrics])


class DrugMarketModel(mesa.Model):
    """The West Midlands drug harm and supply model for one scenario and one seed.

    Args:
        scenario: a `ResolvedScenario` (see `drugsim.scenario.load_scenario`).
        seed: the run's seed; every random stream derives from it.

    Example:
        >>> from drugsim.scenario import load_scenario
        >>> m = DrugMarketModel(load_scenario("baseline"), seed=1)
        >>> m.run()
        >>> m.results.shape  # (weeks, metrics, local authorities)
    """

    def __init__(self, scenario, seed: int = 0):
        # `rng=` seeds Mesa's `random` exactly as `seed=` did, in Mesa 3.3 to 3.5; 3.5 deprecates `seed=`.
        super().__init__(rng=seed)
        # Not `self.scenario`: Mesa 3.5's Model has a `scenario` property of its own (mesa.experimental.scenarios).
        self.resolved_scenario = scenario
        self.p = dict(scenario.params)
        self.cal = Calendar(scenario.start, scenario.end)
        self.streams = Streams(seed)
        self.week = 0
        self.results = np.zeros((self.cal.n_weeks, len(NAMES), N_LA))
        self.pop = Population(self.p, self.cal, self.streams["population"])
        self.cocaine_rows = np.flatnonzero(self.pop.kind == Kind.COCAINE.value)
        self.prolific_rows = np.flatnonzero(self.pop.prolific)
        self.alive_users = {
            "cocaine": np.bincount(self.pop.la[self.cocaine_rows], minlength=N_LA).astype(float),
            "cannabis": np.bincount(self.pop.la[self.pop.kind == Kind.CANNABIS.value], minlength=N_LA).astype(float),
        }
        self.detections = DetectionSampler(self.pop, self.p)
        self.levers = Levers()
        self.interventions = [REGISTRY[name](cfg, self.p, self.cal) for name, cfg in scenario.interventions.items()]
        self.arrested = np.empty(0, dtype=np.intp)
        self.kits_issued = 0
        # Realised receipts from seized assets, by the week they become available (see Market.seize).
        self.asset_receipts = np.zeros((self.cal.n_weeks, N_LA))
        self.reinvest_fund = np.zeros(N_LA)
        self._this_week = self.results[0]
        self._counts = status_counts(self.pop)
        self.market = Market(self)
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "week": lambda m: m.week,
                "active_county_lines": lambda m: m.market.n_active,
                "line_profit_factor": lambda m: m.market.profit_factor,
            },
            agenttype_reporters={
                CrimeGroup: {"kind": "kind", "home_la": "home_la", "lines": "n_lines", "revenue_gbp": "revenue_gbp"}
            },
        )
        self.datacollector.collect(self)

    # --- recording
    def add(self, metric: str, values) -> None:
        """Add this week's per-LA values to `metric`."""
        self._this_week[INDEX[metric]] += values

    def add_rows(self, metrics: tuple[str, ...], rows: np.ndarray) -> None:
        """Add this week's per-LA values to several metrics at once (`rows`: one row per metric)."""
        self._this_week[_rows(metrics)] += rows

    def status_counts(self) -> np.ndarray:
        """(LA, status) counts of OCUs at the end of last week (= the start of this one)."""
        return self._counts

    def now(self, metric: str) -> np.ndarray:
        """This week's per-LA values of `metric` so far."""
        return self._this_week[INDEX[metric]]

    # --- the week
    def step(self) -> None:
        week = self.week
        self._this_week = self.results[week]
        self.levers.reset()
        active = [iv for iv in self.interventions if iv.active(week)]
        for iv in active:
            iv.apply(self.levers, week)
        use_and_purchase(self)
        offending(self)
        policing(self)
        custody(self)
        treatment(self)
        overdose(self)
        turnover(self)
        ocu_migration(self)
        self.market.step()
        self._counts = record_stocks(self)
        accounting(self, self._counts, active)
        self.week += 1
        if self.week % COLLECT_EVERY_WEEKS == 0:
            self.datacollector.collect(self)
        if self.week >= self.cal.n_weeks:
            self.running = False

    def branch(self, scenario) -> DrugMarketModel:
        """A copy of this model, as it is now, that runs on as `scenario` from this week: everything simulated so
        far (people, groups, lines, random streams, results) is kept and the interventions become the scenario's.
        It is the run `scenario` would have had only if the two scenarios acted alike up to now, which
        `drugsim.branching.weeks_alike` tells; the period and the parameters must be the same."""
        if (scenario.start, scenario.end) != (self.cal.start, self.cal.end) or dict(scenario.params) != self.p:
            raise ValueError(
                f"scenario {scenario.name!r} cannot branch from {self.resolved_scenario.name!r}: "
                "its period or parameters differ, so its runs share no history"
            )
        twin = copy.deepcopy(self)
        twin.resolved_scenario = scenario
        # Interventions hold only their settings (apply, active and spend are functions of the week), so new ones
        # built now act as ones that had been there from the start.
        twin.interventions = [REGISTRY[name](cfg, twin.p, twin.cal) for name, cfg in scenario.interventions.items()]
        return twin

    def run(self) -> np.ndarray:
        """Run to the scenario's end; returns the (weeks, metrics, LAs) results array."""
        while self.running:
            self.step()
        self.release()
        return self.results

    def release(self) -> None:
        """Let this model be freed once unreferenced. Mesa 3.3.1 (the newest Mesa for Python 3.11), 3.4.0 and 3.4.1
        keep every model alive for the life of the process in `Agent._ids`, a class-level dict keyed by model (mesa
        issue #3179, fixed in 3.4.2): about 15 MB a run, which exhausted memory in long ensembles. No public API of
        those versions drops that entry (`Model.remove_all_agents` and `Agent.remove` only deregister agents), so this
        is the one place drugsim names a private Mesa attribute; on Mesa 3.4.2+ there is no `_ids` and nothing to do.
        Agents are not created after a run, so the entry can go. Delete this when Python 3.11 support is dropped."""
        leaky_ids = getattr(mesa.Agent, "_ids", None)
        if leaky_ids is not None:
            leaky_ids.pop(self, None)
