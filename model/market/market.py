"""The drug market each week: groups open lines, the CLTF and other enforcement close them, lines earn,
street dealers are detected and replaced. Records the county-lines and trafficking metrics.

Order within the week: groups act (open and replace lines, at a rate set by county demand and by line
profit net of the enforcement risk they perceive) -> CLTF Type 1 outcomes -> other closures -> revenue of
the lines still running -> street dealer detections.
"""

from __future__ import annotations

import random

import numpy as np

from drugsim.calendar import WEEKS_PER_YEAR, weekly_prob
from drugsim.levers import N_LA
from drugsim.market.agents import CrimeGroup, poisson_small
from drugsim.market.lines import CountyLines
from drugsim.parameters import geography
from drugsim.population import FOREVER, Status


class Market:
    def __init__(self, model):
        self.model = model
        p = model.p
        rng = model.streams["market_init"]
        self.py_rng = random.Random(int(model.streams["market_agents"].integers(2**62)))
        share = geography().column("line_export_share")
        n_ocg, n_usg = int(p["ocg_count"]), int(p["usg_count"])
        home = rng.choice(N_LA, n_ocg + n_usg, p=share / share.sum())
        self.groups = [
            CrimeGroup(model, gid, "OCG" if gid < n_ocg else "USG", int(home[gid])) for gid in range(n_ocg + n_usg)
        ]
        self.agentset = model.agents_by_type[CrimeGroup]
        self.group_home = home
        self.groups_per_la = np.maximum(np.bincount(home, minlength=N_LA), 1)
        self.group_revenue = np.zeros(len(self.groups))
        self.lines = CountyLines()
        self.n_county = int(p["n_county_markets"])
        self.county_capacity = p["line_carrying_capacity"] / self.n_county
        self.county_count = np.zeros(self.n_county)
        self.growth_per_week = p["line_growth_per_year"] / WEEKS_PER_YEAR
        self.seed_lines = p["line_seed_per_group"]
        self.opening_rate = 0.0
        self.profit_factor = 1.0
        self.perceived_closure_hazard = weekly_prob(p["line_closure_other_per_year"])
        self.opened = np.zeros(N_LA)
        for _ in range(int(p["lines_initial_2019"])):
            self.open_line(self.groups[self.py_rng.randrange(len(self.groups))], week=-1)

        # Street dealers, in proportion to community OCUs in each LA.
        pop = model.pop
        o = pop.ocu
        community = np.isin(pop.status[o], (Status.USING, Status.TREATMENT))
        per_la = np.bincount(pop.la[o][community], minlength=N_LA) * p["street_dealers_per_100_ocu"] / 100
        self.dealer_la = np.repeat(np.arange(N_LA), np.round(per_la).astype(int)).astype(np.intp)
        self.dealer_back = np.zeros(self.dealer_la.size, dtype=np.int32)  # week available again
        self.dealer_replaced = np.ones(self.dealer_la.size, dtype=bool)  # displaced dealers are not

    @property
    def n_active(self) -> int:
        return int(self.county_count.sum())

    def open_line(self, group: CrimeGroup, week: int | None = None) -> bool:
        """Open a line for `group` in a county market with room; False if every market is full."""
        room = self.county_capacity - self.county_count
        if room.max() < 1:
            return False
        rng, p = self.py_rng, self.model.p
        county = rng.choices(range(self.n_county), weights=np.maximum(room, 0))[0]
        runners = 1 + poisson_small(rng, p["runners_per_line_mean"] - 1)
        children = sum(rng.random() < p["runner_child_prob"] for _ in range(runners))
        vulnerable = sum(rng.random() < p["runner_vulnerable_adult_prob"] for _ in range(runners - children))
        w = self.model.week if week is None else week
        self.lines.open(group.gid, group.home_la, county, w, runners, children, vulnerable)
        self.county_count[county] += 1
        group.n_lines += 1
        if week is None:
            self.opened[group.home_la] += 1
        return True

    def receive_local_revenue(self, revenue_by_la: np.ndarray) -> None:
        """Retail revenue in each LA is shared equally by the groups based there."""
        self.group_revenue += (revenue_by_la / self.groups_per_la)[self.group_home]

    def _close(self, idx: np.ndarray, type1: bool) -> None:
        m, p, lines = self.model, self.model.p, self.lines
        lines.close(idx, m.week)
        np.subtract.at(self.county_count, lines.county[idx], 1)
        rng = self.py_rng
        disrupted = np.zeros(N_LA)
        for owner in lines.owner[idx]:
            g = self.groups[owner]
            g.n_lines -= 1
            if rng.random() < p["line_replacement_prob"]:
                g.pending_replacements.append(m.week + int(p["line_replacement_delay_weeks"]))
            elif type1 and rng.random() < p["line_displacement_local_prob"]:
                self._add_displaced_dealer(g.home_la)
            if type1 and rng.random() < p["ocg_disruption_prob_per_type1"]:
                g.disrupted_until = m.week + int(p["ocg_disruption_weeks"])
                disrupted[g.home_la] += 1
        if type1:
            m.add("ocg_disruptions", disrupted)
            self.seize(disrupted * p["assets_seized_per_disruption_gbp"])

    def _add_displaced_dealer(self, la: int) -> None:
        """A closed line's trade moves to local street dealing; this dealer is not replaced once caught."""
        self.dealer_la = np.append(self.dealer_la, la)
        self.dealer_back = np.append(self.dealer_back, np.int32(self.model.week))
        self.dealer_replaced = np.append(self.dealer_replaced, False)
        self.model.add("lines_displaced_locally", np.bincount([la], minlength=N_LA))

    def seize(self, value_by_la: np.ndarray) -> None:
        """Record assets seized; a share is realised as receipts after the recovery lag."""
        m, p = self.model, self.model.p
        m.add("assets_seized_gbp", value_by_la)
        due = m.week + int(p["asset_recovery_lag_weeks"])
        if due < m.asset_receipts.shape[0]:
            m.asset_receipts[due] += value_by_la * p["asset_recovery_share"]

    def step(self) -> None:
        m, p, lv, week = self.model, self.model.p, self.model.levers, self.model.week
        rng = m.streams["market"]
        lines = self.lines
        self.opened.fill(0)
        # Demand: room left in county markets. Profit: a line's margin against the losses groups expect
        # from the closure rate they have seen lately (enforcement deters openings).
        carrying = p["line_carrying_capacity"]
        room_share = max(0.0, 1.0 - self.n_active / carrying) if carrying > 0 else 0.0  # no capacity, no room
        margin = p["line_revenue_gbp_per_week"] * (1.0 - p["line_operating_cost_share"])
        risk = self.perceived_closure_hazard * p["line_loss_per_closure_gbp"]
        self.profit_factor = max(0.0, 1.0 - risk / margin) if margin > 0 else 0.0
        self.opening_rate = self.growth_per_week * room_share * self.profit_factor
        self.agentset.shuffle_do("step")
        m.add("lines_opened", self.opened)

        active = lines.active_idx()
        type1 = active[:0]
        capacity = lv.cltf_type1_per_week * lv.enforcement_mult
        if capacity > 0 and active.size:
            expected = capacity * active.size / (active.size + p["cltf_half_saturation_lines"])
            k = min(int(rng.poisson(expected)), active.size)
            type1 = rng.choice(active, k, replace=False)
        rest = np.setdiff1d(active, type1, assume_unique=True)
        other = rest[rng.random(rest.size) < weekly_prob(p["line_closure_other_per_year"])]
        self._close(type1, type1=True)
        self._close(other, type1=False)
        observed = (type1.size + other.size) / max(active.size, 1)
        self.perceived_closure_hazard += (observed - self.perceived_closure_hazard) / p["risk_perception_weeks"]

        la1 = lines.la[type1].astype(np.intp)
        exploited1 = np.bincount(la1, weights=lines.children[type1] + lines.vulnerable[type1], minlength=N_LA)
        supply = rng.poisson(p["supply_charges_per_type1"] * np.bincount(la1, minlength=N_LA))
        m.add("type1_outcomes", np.bincount(la1, minlength=N_LA))
        self.seize(np.bincount(la1, minlength=N_LA) * p["assets_seized_per_type1_gbp"])
        m.add("supply_charges", supply)
        m.add(
            "safeguarding_referrals",
            rng.binomial(exploited1.astype(np.int64), p["safeguarding_prob_per_exploited_runner"]),
        )
        m.add("nrm_referrals", rng.binomial(exploited1.astype(np.int64), p["nrm_prob_per_exploited_runner"]))
        m.add("lines_closed_other", np.bincount(lines.la[other], minlength=N_LA))

        running = lines.active_idx()
        la = lines.la[running].astype(np.intp)
        revenue = p["line_revenue_gbp_per_week"]
        m.add("county_lines_revenue_gbp", np.bincount(la, minlength=N_LA) * revenue)
        self.group_revenue += np.bincount(lines.owner[running], minlength=len(self.groups)) * revenue
        m.add("active_county_lines", np.bincount(la, minlength=N_LA))
        m.add(
            "runners_exploited",
            np.bincount(la, weights=lines.children[running] + lines.vulnerable[running], minlength=N_LA),
        )
        m.add("children_exploited", np.bincount(la, weights=lines.children[running], minlength=N_LA))

        # Street dealers: detection is a trafficking offence; the group replaces the dealer later.
        available = self.dealer_back <= week
        p_caught = weekly_prob(p["dealer_detection_rate_per_year"]) * lv.enforcement_mult
        caught = available & (rng.random(self.dealer_la.size) < p_caught)
        self.dealer_back[caught] = np.where(
            self.dealer_replaced[caught], week + int(p["dealer_replacement_weeks"]), FOREVER
        )
        caught_la = np.bincount(self.dealer_la[caught], minlength=N_LA)
        m.add("trafficking_offences", caught_la + supply)
        self.seize(caught_la * p["assets_seized_per_dealer_detection_gbp"])
