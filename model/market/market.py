"""The drug market each week: an open county-lines market in which West Midlands groups compete with other
suppliers, the CLTF and other enforcement close lines, closed lines are re-established, taken over or lost, and
the harms that follow (exploitation, violence, NRM referrals) are counted. Street dealers are detected and
replaced. Records the county-lines, exploitation, violence and trafficking metrics.

The market. Each county market outside the force area, and each local authority inside it, has customers worth
a number of lines (its capacity). West Midlands lines, and other suppliers (other forces' lines and local
dealers: "rivals", counted in line-equivalents), serve them. Customers do not vanish when a line is closed: the
line is re-established by its group with a new holder (same customers), taken over by a rival (another West
Midlands group or an outside supplier), or lost, leaving demand that new lines or rivals fill. Groups open lines
where there is unmet demand, at a rate set by the profit a line makes net of the enforcement risk they have
seen lately, choosing exported or internal lines by the same comparison (internal lines earn less but avoid
cross-border enforcement).

Order within the week: rival suppliers enter and leave -> groups open lines and re-establish closed ones ->
CLTF Type 1 outcomes -> other closures (with what happens to each closed line's customers) -> revenue, runners
and exploitation of the lines still running -> NRM referrals by route -> violence -> street dealer detections.
"""

from __future__ import annotations

import numpy as np

from drugsim.calendar import WEEKS_PER_YEAR, weekly_prob
from drugsim.levers import N_LA
from drugsim.market.agents import CrimeGroup
from drugsim.market.lines import EXPORTED, INTERNAL, CountyLines
from drugsim.parameters import geography
from drugsim.population import FOREVER, Status

KINDS = (EXPORTED, INTERNAL)
_NONE = np.empty(0, dtype=np.int64)
_AGAIN, _TAKEN = 0, 1  # why a pending line opens: re-established by its group, or taken over by another
#: Metrics recorded together (one array operation each week).
_WEEK = (
    "type1_outcomes",
    "supply_charges",
    "lines_closed_other",
    "safeguarding_referrals",
    "county_lines_revenue_gbp",
    "active_county_lines",
    "active_lines_exported",
    "active_lines_internal",
    "line_runners",
    "runners_exploited",
    "children_exploited",
    "exploitation_cost_gbp",
    "nrm_referrals_cltf",
    "nrm_referrals_policing",
    "nrm_referrals_other",
    "nrm_referrals",
    "serious_violence_offences",
    "sharp_object_admissions",
    "violence_cost_gbp",
    "lines_opened",
    "runners_recruited_exploited",
    "lines_taken_over",
    "lines_lost",
    "trafficking_offences",
)


class Market:
    def __init__(self, model):
        self.model = model
        p = model.p
        rng = model.streams["market_init"]
        self.rng = model.streams["market"]
        share = geography().column("line_export_share")
        n_ocg, n_usg = int(p["ocg_count"]), int(p["usg_count"])
        n_groups = n_ocg + n_usg
        home = rng.choice(N_LA, n_groups, p=share / share.sum())
        self.groups = [CrimeGroup(model, g, "OCG" if g < n_ocg else "USG", int(home[g])) for g in range(n_groups)]
        self.agentset = model.agents_by_type[CrimeGroup]
        self.group_home = home.astype(np.intp)
        self.groups_per_la = np.maximum(np.bincount(home, minlength=N_LA), 1)
        self.group_revenue = np.zeros(n_groups)
        self.group_lines = np.zeros(n_groups, dtype=np.int64)
        self.group_disrupted_until = np.full(n_groups, -1, dtype=np.int64)
        self.lines = CountyLines()

        # Markets: n_county county markets outside the force area, then one internal market per LA.
        self.n_county = int(p["n_county_markets"])
        self.n_markets = self.n_county + N_LA
        self.market_kind = np.r_[np.full(self.n_county, EXPORTED), np.full(N_LA, INTERNAL)].astype(np.int8)
        ocu = geography().column("ocu_count")
        self.capacity = np.r_[
            np.full(self.n_county, p["line_carrying_capacity"] / self.n_county),
            p["internal_line_capacity"] * ocu / ocu.sum(),
        ]
        self.rival = self.capacity * p["rival_share_2019"]
        self.wm = np.zeros(self.n_markets)  # West Midlands lines serving each market now
        # Weekly rates, fixed for the run.
        self.closure_other = np.array(
            [weekly_prob(p["line_closure_other_per_year"]), weekly_prob(p["internal_closure_other_per_year"])]
        )
        self.entry, self.rival_entry, self.rival_exit, self.dealer_caught = (
            weekly_prob(p[k])
            for k in (
                "line_growth_per_year",
                "rival_entry_per_year",
                "rival_exit_per_year",
                "dealer_detection_rate_per_year",
            )
        )
        revenue = p["line_revenue_gbp_per_week"] * np.array([1.0, p["internal_line_revenue_share"]])
        self.margin = revenue * (1.0 - p["line_operating_cost_share"])
        self.perceived_hazard = self.closure_other.copy()
        # Chances for what closures find (safeguarding, NRM by the CLTF and by others) and for a knife offence
        # bringing a hospital admission, as a column for one binomial draw a week.
        self.found_probs = np.array(
            [
                p["safeguarding_prob_per_exploited_runner"],
                p["nrm_prob_per_exploited_runner"],
                p["nrm_prob_other_closure"],
                p["sharp_admissions_per_knife_offence"],
            ]
        )[:, None]
        self.profit_factor = 1.0  # exported lines' (the DataCollector reports it)
        # Lines to open at a later week: (market, owner, why: _AGAIN or _TAKEN) rows by the week they fall due.
        # Kept by the week they fall due, so that a week takes its own without scanning the rest.
        self.pending: dict[int, list[np.ndarray]] = {}
        # Counts by LA gathered during the week and recorded with the week's other metrics.
        self.taken_now, self.lost_now = np.zeros(N_LA), np.zeros(N_LA)
        self.opened_now, self.recruited_now = np.zeros(N_LA), np.zeros(N_LA)
        self.week_rows = np.zeros((len(_WEEK), N_LA))

        # Lines at the start, spread over each kind's markets in proportion to their room.
        n_ext, n_int = int(p["lines_initial_2019"]), int(p["internal_lines_initial_2019"])
        room = self.room()
        markets = [
            rng.choice(self.n_markets, n, p=self._spread(room, kind))
            for kind, n in ((EXPORTED, n_ext), (INTERNAL, n_int))
        ]
        self._open(rng.integers(n_groups, size=n_ext + n_int), np.r_[markets[0], markets[1]], rng, week=-1)

        # Street dealers, in proportion to community OCUs in each LA.
        pop = model.pop
        o = pop.ocu
        community = np.isin(pop.status[o], (Status.USING.value, Status.TREATMENT.value))
        per_la = np.bincount(pop.la[o][community], minlength=N_LA) * p["street_dealers_per_100_ocu"] / 100
        self.dealer_la = np.repeat(np.arange(N_LA), np.round(per_la).astype(int)).astype(np.intp)
        self.dealer_back = np.zeros(self.dealer_la.size, dtype=np.int32)  # week available again
        self.dealer_replaced = np.ones(self.dealer_la.size, dtype=bool)  # displaced dealers are not

        # Violence per line-week in the force area: the drug-market share of knife and sharp-instrument
        # offences, spread over the lines running at the start (exported lines' violence is partly in the
        # county markets they serve, and only the West Midlands share is counted here).
        in_wm = n_ext * p["violence_home_share"] + n_int
        self.violence_per_line_week = (
            p["drug_market_violence_share"] * p["knife_offences_2021"] / max(in_wm, 1.0) / WEEKS_PER_YEAR
        )

    def _spread(self, room: np.ndarray, kind: int) -> np.ndarray:
        """Chances of each market of `kind`: by its room, or equal if none has room (demand full or zero)."""
        w = room * (self.market_kind == kind)
        if w.sum() <= 0:
            w = (self.market_kind == kind).astype(float)
        return w / w.sum()

    # --- state
    @property
    def n_active(self) -> int:
        return int(self.wm.sum())

    def room(self) -> np.ndarray:
        """Unmet demand in each market, in lines."""
        return np.maximum(self.capacity - self.wm - self.rival, 0.0)

    # --- opening, closing
    def _open(self, owners: np.ndarray, markets: np.ndarray, rng, week: int | None = None) -> np.ndarray:
        """Open lines for `owners` in `markets` (the market gives the kind); returns the new lines' indices.
        Holders and runners are recruited: some are children or vulnerable adults."""
        p = self.model.p
        k = len(owners)
        if k == 0:
            return np.empty(0, dtype=np.int64)
        runners = 1 + rng.poisson(p["runners_per_line_mean"] - 1, k)
        # Each holder or runner is a child, else a vulnerable adult, else neither: one uniform each.
        u = rng.random((k, int(runners.max())))
        present = np.arange(u.shape[1]) < runners[:, None]
        child_p, vulnerable_p = p["runner_child_prob"], p["runner_vulnerable_adult_prob"]
        children = (present & (u < child_p)).sum(axis=1)
        vulnerable = (present & (u >= child_p) & (u < child_p + (1 - child_p) * vulnerable_p)).sum(axis=1)
        la = self.group_home[owners]
        idx = self.lines.open_many(
            self.model.week if week is None else week,
            owner=owners,
            kind=self.market_kind[markets],
            la=la,
            market=markets,
            runners=runners,
            children=children,
            vulnerable=vulnerable,
        )
        self.wm += np.bincount(markets, minlength=self.n_markets)
        self.group_lines += np.bincount(owners, minlength=len(self.groups))
        if week is None:
            self.opened_now += np.bincount(la, minlength=N_LA)
            self.recruited_now += np.bincount(la, weights=children + vulnerable, minlength=N_LA)
        return idx

    def _close(self, idx: np.ndarray, by_cltf: np.ndarray) -> None:
        """Close lines (`by_cltf` marks the CLTF's Type 1 outcomes). Each closed line's customers are
        re-established by its group after a delay, taken over by a rival, or lost."""
        m, p, lines, rng = self.model, self.model.p, self.lines, self.rng
        if idx.size == 0:
            return
        lines.close(idx, m.week)
        markets, owners = lines.market[idx].astype(np.intp), lines.owner[idx].astype(np.intp)
        self.wm -= np.bincount(markets, minlength=self.n_markets)
        self.group_lines -= np.bincount(owners, minlength=len(self.groups))
        la = lines.la[idx].astype(np.intp)
        u = rng.random((4, idx.size))
        again = u[0] < p["line_replacement_prob"]
        taken = ~again & (u[0] < p["line_replacement_prob"] + p["line_rival_takeover_prob"])
        lost = ~again & ~taken
        # A rival takes the customers: another West Midlands group (next week) in proportion to West Midlands
        # lines in that market, otherwise an outside supplier. Either way the contest is violent (`_violence`).
        wm_share = self.wm[markets] / np.maximum(self.wm[markets] + self.rival[markets], 1.0)
        by_wm = taken & (u[1] < wm_share)
        self.rival += np.bincount(markets[taken & ~by_wm], minlength=self.n_markets)
        delay = int(p["line_replacement_delay_weeks"])
        rival_owner = (u[3][by_wm] * len(self.groups)).astype(np.int64)
        for due, rows in (
            (m.week + delay, np.stack([markets[again], owners[again], np.full(again.sum(), _AGAIN)], axis=1)),
            (m.week + 1, np.stack([markets[by_wm], rival_owner, np.full(by_wm.sum(), _TAKEN)], axis=1)),
        ):
            if rows.size:
                self.pending.setdefault(due, []).append(rows)
        self.taken_now += np.bincount(la[taken], minlength=N_LA)
        self.lost_now += np.bincount(la[lost], minlength=N_LA)
        if by_cltf.any():
            # A CLTF closure may disrupt the owning group; a line that is not re-established may move its
            # trade into local street dealing.
            disrupt = by_cltf & (u[2] < p["ocg_disruption_prob_per_type1"])
            self.group_disrupted_until[owners[disrupt]] = m.week + int(p["ocg_disruption_weeks"])
            disrupted = np.bincount(la[disrupt], minlength=N_LA)
            m.add("ocg_disruptions", disrupted)
            self.seize(disrupted * p["assets_seized_per_disruption_gbp"])
            local = by_cltf & lost & (u[1] < p["line_displacement_local_prob"])
            for home in la[local]:
                self._add_displaced_dealer(int(home))

    def _due(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Lines due to open this week (re-established, or taken over by another group) whose customers have not
        been served by someone else meanwhile: their owners, markets, and which were re-established."""
        due = self.pending.pop(self.model.week, None)
        if due is None:
            return _NONE, _NONE, _NONE.astype(bool)
        rows = np.concatenate(due) if len(due) > 1 else due[0]
        # A line needs its customers back: at least half a line's worth of demand unserved (room is fractional
        # because rival supply is counted in line-equivalents); otherwise a rival or a new line took them.
        rows = rows[self.room()[rows[:, 0]] >= 0.5]
        return rows[:, 1], rows[:, 0], rows[:, 2] == _AGAIN

    def _new(self, p, week: int) -> tuple[np.ndarray, np.ndarray]:
        """Groups fill unmet demand: in each market new lines open at a rate proportional to its room and to the
        profit a line of that kind makes after the enforcement risk groups perceive (exported lines earn more;
        internal ones avoid cross-border enforcement). Larger groups, and those not disrupted, open more.
        Returns the new lines' owners and markets."""
        rng = self.rng
        room = self.room()
        loss = p["line_loss_per_closure_gbp"]
        hazard, margin = self.perceived_hazard, self.margin
        # No margin (a line earns nothing, or costs all it earns) means no profit, so no new lines.
        profit = np.array(
            [min(1.0, max(0.0, 1.0 - hazard[k] * loss / margin[k])) if margin[k] > 0 else 0.0 for k in KINDS]
        )
        self.profit_factor = float(profit[EXPORTED])
        weight = self.group_lines + p["line_seed_per_group"]
        free = weight * (self.group_disrupted_until < week)
        # Disrupted groups open nothing, so a market fills more slowly while many are disrupted.
        # Only markets with a whole line of room can take one (most weeks, few do). Independent Poisson numbers
        # per market, drawn as one Poisson total shared out in proportion to each market's mean (the same
        # distribution, in three array operations instead of one slow array draw), each at most its room.
        where = np.flatnonzero(room >= 1)
        if weight.sum() > 0:
            expected = np.cumsum(self.entry * room[where] * profit[self.market_kind[where]] * free.sum() / weight.sum())
        else:  # every group has lost its lines and none may start from nothing (line_seed_per_group = 0)
            expected = np.zeros(where.size)
        total = rng.poisson(expected[-1]) if where.size else 0
        picks = np.searchsorted(expected, rng.random(total) * expected[-1], side="right") if total else where[:0]
        n = np.minimum(np.bincount(picks, minlength=where.size), np.floor(room[where]).astype(np.int64))
        markets = np.repeat(where, n)
        if markets.size == 0:
            return markets, markets
        # Owners in proportion to their weight (an inverse-CDF draw: cheaper than choice with p each week).
        cdf = np.cumsum(free)
        return np.searchsorted(cdf, rng.random(markets.size) * cdf[-1], side="right"), markets

    def _add_displaced_dealer(self, la: int) -> None:
        """A closed line's trade moves to local street dealing; this dealer is not replaced once caught."""
        self.dealer_la = np.append(self.dealer_la, la)
        self.dealer_back = np.append(self.dealer_back, np.int32(self.model.week))
        self.dealer_replaced = np.append(self.dealer_replaced, False)
        self.model.add("lines_displaced_locally", np.bincount([la], minlength=N_LA))

    def receive_local_revenue(self, revenue_by_la: np.ndarray) -> None:
        """Retail revenue in each LA is shared equally by the groups based there."""
        self.group_revenue += (revenue_by_la / self.groups_per_la)[self.group_home]

    def seize(self, value_by_la: np.ndarray) -> None:
        """Record assets seized; a share is realised as receipts after the recovery lag."""
        m, p = self.model, self.model.p
        m.add("assets_seized_gbp", value_by_la)
        due = m.week + int(p["asset_recovery_lag_weeks"])
        if due < m.asset_receipts.shape[0]:
            m.asset_receipts[due] += value_by_la * p["asset_recovery_share"]

    # --- the week
    def step(self) -> None:
        m, p, lv, week, rng = self.model, self.model.p, self.model.levers, self.model.week, self.rng
        lines = self.lines
        for counts in (self.taken_now, self.lost_now, self.opened_now, self.recruited_now):
            counts.fill(0)
        # Rival suppliers fill part of the unmet demand and leave at their own rate.
        self.rival += self.rival_entry * self.room() - self.rival_exit * self.rival
        # Lines re-established or taken over, and new lines into unmet demand, open together.
        owners, markets, again = self._due()
        new_owners, new_markets = self._new(p, week)
        idx = self._open(np.concatenate([owners, new_owners]), np.concatenate([markets, new_markets]), rng)
        reestablished = np.bincount(lines.la[idx[: again.size][again]], minlength=N_LA)

        m.add("lines_reestablished", reestablished)

        # Closures: the CLTF's Type 1 outcomes (its capacity is used less fully when lines are few), then other
        # enforcement (importing forces and the NCLCC for exported lines, local policing for internal ones).
        active = lines.active_idx()
        by_cltf = np.zeros(active.size, dtype=bool)
        capacity = lv.cltf_type1_per_week * lv.enforcement_mult
        if capacity > 0 and active.size:
            expected = capacity * active.size / (active.size + p["cltf_half_saturation_lines"])
            k = min(int(rng.poisson(expected)), active.size)
            by_cltf[rng.choice(active.size, k, replace=False)] = True
        kind = lines.kind[active]
        by_other = ~by_cltf & (rng.random(active.size) < self.closure_other[kind] * lv.enforcement_mult)
        closing = by_cltf | by_other
        # Groups learn the closure rate of each kind of line.
        observed = np.bincount(kind[closing], minlength=2) / np.maximum(np.bincount(kind, minlength=2), 1)
        self.perceived_hazard += (observed - self.perceived_hazard) / p["risk_perception_weeks"]
        # What closures find (holders, exploited runners) is read before the lines are closed.
        idx = active[closing]
        cltf = by_cltf[closing]
        la_c = lines.la[idx].astype(np.intp) * 2 + ~cltf  # by LA: CLTF, then other enforcement
        found = np.bincount(la_c, minlength=2 * N_LA).reshape(N_LA, 2)
        exploited_found = (
            np.bincount(la_c, weights=lines.children[idx] + lines.vulnerable[idx], minlength=2 * N_LA)
            .reshape(N_LA, 2)
            .astype(np.int64)
        )
        self._close(idx, cltf)

        type1 = found[:, 0]

        # What the lines still running hold, by LA and kind: lines, revenue, runners, children, vulnerable adults.
        running = active[~closing]
        la = lines.la[running].astype(np.intp)
        kinds = lines.kind[running]
        revenue = p["line_revenue_gbp_per_week"] * np.where(kinds == EXPORTED, 1.0, p["internal_line_revenue_share"])
        key = la * 2 + kinds
        weights = (None, revenue, lines.runners[running], lines.children[running], lines.vulnerable[running])
        held = np.stack([np.bincount(key, weights=w, minlength=2 * N_LA) for w in weights], axis=1)
        held = held.reshape(N_LA, 2, 5)
        self.group_revenue += np.bincount(lines.owner[running], weights=revenue, minlength=len(self.groups))
        total = held.sum(axis=1)
        exploited = total[:, 3] + total[:, 4]
        # Counts drawn together (one call each for the Poisson and the binomial draws of the week). Supply
        # charges per Type 1 outcome. Drug-market violence in the force area: a rate per line running (an exported
        # line by the share of its violence that happens here) and a burst when a rival takes a market over.
        # NRM referrals by route: exploited runners found when the CLTF closes a line, or when other enforcement
        # closes one, and referrals by children's services and other first responders, who meet exploited
        # people whether or not a line is closed. Safeguarding: exploited runners the CLTF finds who engage.
        in_wm = held[:, EXPORTED, 0] * p["violence_home_share"] + held[:, INTERNAL, 0]
        supply, nrm_other, offences = rng.poisson(
            np.stack(
                [
                    p["supply_charges_per_type1"] * type1,
                    exploited * p["nrm_other_routes_per_exploited_year"] / WEEKS_PER_YEAR,
                    in_wm * self.violence_per_line_week + self.taken_now * p["violence_per_takeover"],
                ]
            )
        )
        safeguarded, nrm_cltf, nrm_police, admissions = rng.binomial(
            np.stack([exploited_found[:, 0], exploited_found[:, 0], exploited_found[:, 1], offences]),
            self.found_probs,
        )
        dealers = self._street_dealers(p, lv, week)
        self.seize(type1 * p["assets_seized_per_type1_gbp"] + dealers * p["assets_seized_per_dealer_detection_gbp"])
        rows = self.week_rows  # filled in place: cheaper than stacking two dozen small arrays each week
        for r, values in enumerate(
            (
                type1,
                supply,
                found[:, 1],
                safeguarded,
                total[:, 1],
                total[:, 0],
                held[:, EXPORTED, 0],
                held[:, INTERNAL, 0],
                total[:, 2],
                exploited,
                total[:, 3],
                exploited * p["exploitation_cost_per_person_year_gbp"] / WEEKS_PER_YEAR,
                nrm_cltf,
                nrm_police,
                nrm_other,
                nrm_cltf + nrm_police + nrm_other,
                offences,
                admissions,
                offences * p["violence_with_injury_cost_gbp"],
                self.opened_now,
                self.recruited_now,
                self.taken_now,
                self.lost_now,
                dealers + supply,
            )
        ):
            rows[r] = values
        m.add_rows(_WEEK, rows)

    def _street_dealers(self, p, lv, week: int) -> np.ndarray:
        """Street dealers detected this week, by LA (each a trafficking offence); the group replaces a detected
        dealer after a while, except one displaced from a closed line."""
        available = self.dealer_back <= week
        caught = available & (self.rng.random(self.dealer_la.size) < self.dealer_caught * lv.enforcement_mult)
        self.dealer_back[caught] = np.where(
            self.dealer_replaced[caught], week + int(p["dealer_replacement_weeks"]), FOREVER
        )
        return np.bincount(self.dealer_la[caught], minlength=N_LA)
