"""The person population: one row per person in numpy arrays, and how it is created at the start.

Rows are grouped by main substance: OCUs (opiate/crack users) first, then powder cocaine, then cannabis
users. OCU rows include a reserve of not-yet-started slots that the initiation rule activates; nobody
else enters or leaves the arrays. This module holds state only; the weekly processes change it.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from drugsim.calendar import Calendar
from drugsim.parameters import geography


class Status(IntEnum):
    """Exactly one per person per week."""

    NOT_STARTED = 0  # reserve slot for a future OCU initiate
    USING = 1
    TREATMENT = 2  # opioid substitution treatment or other structured treatment
    HAT = 3  # heroin-assisted treatment
    REHAB = 4  # residential rehabilitation
    PRISON = 5
    ABSTINENT = 6
    DEAD = 7


class Kind(IntEnum):
    OCU = 0
    COCAINE = 1
    CANNABIS = 2


class Eth(IntEnum):
    WHITE = 0
    ASIAN = 1
    BLACK = 2
    MIXED_OTHER = 3


ETH_NAMES = tuple(e.name.lower() for e in Eth)
#: States in which a person lives in the community and can meet the police or buy drugs.
COMMUNITY = (Status.USING, Status.TREATMENT, Status.HAT, Status.ABSTINENT)
NEVER = np.iinfo(np.int32).min  # "no such week" for the week-of-event arrays (always in the past)
FOREVER = np.iinfo(np.int32).max  # end week of a stay that is not under way (never due)
#: Offending to Recovery stages of a client on a worker's caseload, and the bed kinds a resident can hold.
O2R_NONE, O2R_ASSESSING, O2R_WAITING = 0, 1, 2
O2R_CHARITY_BED, O2R_REGULAR_BED = 1, 2


def _split(total: int, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integer counts summing to `total`, proportional to `shares` (largest-remainder rounding)."""
    raw = total * shares / shares.sum()
    counts = np.floor(raw).astype(int)
    short = total - counts.sum()
    if short:
        counts[np.argsort(raw - counts)[::-1][:short]] += 1
    return counts


class Population:
    """Person arrays. `n_ocu` rows (OCUs and reserve slots) come first."""

    def __init__(self, params: dict[str, float], calendar: Calendar, rng: np.random.Generator):
        p = params
        geo = geography()
        n_la = len(geo.ids)
        years = calendar.n_weeks / 52.18
        n_active = int(round(p["ocu_total_2019"]))
        n_prison = int(round(p["ocu_total_2019"] * p["ocu_prison_share_2019"]))
        n_abst = int(round(p["ocu_abstinent_pool_2019"]))
        # Reserve slots for initiation: far above the expected number (Poisson mean + 6 sd + margin).
        expected = p["ocu_initiation_per_year"] * years
        n_reserve = int(expected * 1.2 + 6 * np.sqrt(expected) + 50)
        self.n_started = n_active + n_prison + n_abst
        self.n_ocu = n_active + n_prison + n_abst + n_reserve

        pop_16_59 = geo.column("population_16_64_2019") * p["share_16_59_of_16_64"]
        n_coc = np.round(pop_16_59 * p["cocaine_prevalence_16_59"]).astype(int)
        n_can = np.round(pop_16_59 * p["cannabis_prevalence_16_59"]).astype(int)
        n = self.n_ocu + n_coc.sum() + n_can.sum()
        self.n = int(n)

        self.kind = np.full(n, Kind.CANNABIS, dtype=np.int8)
        self.kind[: self.n_ocu] = Kind.OCU
        self.kind[self.n_ocu : self.n_ocu + n_coc.sum()] = Kind.COCAINE
        self.status = np.full(n, Status.USING, dtype=np.int8)
        self.la = np.empty(n, dtype=np.int8)
        self.sex = np.empty(n, dtype=np.int8)  # 1 = male
        self.eth = np.empty(n, dtype=np.int8)
        self.age0 = np.empty(n, dtype=np.float32)  # age at the start (cannabis/cocaine: steady state)

        # --- OCUs and reserve slots
        o = slice(0, self.n_ocu)
        ocu_share = geo.column("ocu_count")
        self.la[o] = rng.choice(n_la, size=self.n_ocu, p=ocu_share / ocu_share.sum())
        eth_ocu = np.array([p["ocu_eth_white"], p["ocu_eth_asian"], p["ocu_eth_black"]])
        eth_ocu = np.append(eth_ocu, max(0.0, 1.0 - eth_ocu.sum()))
        self.eth[o] = rng.choice(4, size=self.n_ocu, p=eth_ocu / eth_ocu.sum())
        self.sex[o] = rng.random(self.n_ocu) < p["ocu_male_share"]
        self.age0[o] = np.clip(rng.normal(p["ocu_mean_age_2019"], p["ocu_age_sd_years"], self.n_ocu), 18, 80)
        status = np.empty(self.n_ocu, dtype=np.int8)
        n_treat = int(round(n_active * p["ocu_treatment_share_2019"]))
        status[:n_treat] = Status.TREATMENT
        status[n_treat:n_active] = Status.USING
        status[n_active : n_active + n_prison] = Status.PRISON
        status[n_active + n_prison : n_active + n_prison + n_abst] = Status.ABSTINENT
        status[n_active + n_prison + n_abst :] = Status.NOT_STARTED
        # Reserve slots are initiates: younger than the established cohort.
        reserve = status == Status.NOT_STARTED
        self.age0[o][reserve] = np.clip(
            rng.normal(p["initiate_mean_age"], p["initiate_age_sd_years"], reserve.sum()), 16, 60
        )
        self.status[o] = status
        self.opioid = np.zeros(n, dtype=bool)
        self.opioid[o] = rng.random(self.n_ocu) < p["ocu_opioid_share"]
        self.opioid_f = self.opioid.astype(np.float32)

        # --- cannabis and cocaine users: a steady-state population by LA
        start = self.n_ocu
        for counts, male, age in (
            (n_coc, p["cocaine_male_share"], p["cocaine_mean_age"]),
            (n_can, p["cannabis_male_share"], p["cannabis_mean_age"]),
        ):
            m = int(counts.sum())
            s = slice(start, start + m)
            self.la[s] = np.repeat(np.arange(n_la), counts)
            eth_la = np.stack([geo.column(f"eth_{e}") for e in ETH_NAMES], axis=1)  # (n_la, 4) resident shares
            cum = np.cumsum(eth_la / eth_la.sum(axis=1, keepdims=True), axis=1)[self.la[s]]
            self.eth[s] = (rng.random(m)[:, None] > cum).sum(axis=1).clip(0, 3)
            self.sex[s] = rng.random(m) < male
            self.age0[s] = np.clip(rng.normal(age, p["user_age_sd_years"], m), 16, 59)
            start += m

        # --- individual propensities (static)
        k_off = p["offending_heterogeneity_shape"]
        self.offend = np.zeros(n, dtype=np.float32)
        self.offend[o] = rng.gamma(k_off, 1.0 / k_off, self.n_ocu)
        cut = np.quantile(self.offend[o], 1.0 - p["o2r_prolific_share"])
        self.prolific = np.zeros(n, dtype=bool)
        self.prolific[o] = self.offend[o] >= cut

        k_exp = p["police_contact_heterogeneity_shape"]
        eth_mult = np.array(
            [
                1.0,
                p["detection_multiplier_asian"],
                p["detection_multiplier_black"],
                p["detection_multiplier_mixed_other"],
            ]
        )
        exposure = rng.gamma(k_exp, 1.0 / k_exp, n) * eth_mult[self.eth]
        exposure *= np.where(self.sex == 1, p["detection_multiplier_male"], 1.0)
        exposure *= np.where(self.age0 < 25, p["detection_multiplier_under_25"], 1.0)
        exposure *= np.where(self.la == geo.index("birmingham"), p["detection_multiplier_birmingham"], 1.0)
        # Normalise within each substance group so each group's mean rate is its table value.
        # A group nobody is in (a prevalence of 0), or whose every member has a zero multiplier, has nothing to
        # normalise: its exposures stay 0 and nobody in it meets the police (0 / 0 would make them all NaN).
        for k in Kind:
            sel = self.kind == k
            mean = exposure[sel].mean() if sel.any() else 0.0
            if mean > 0:
                exposure[sel] /= mean
        self.exposure = exposure.astype(np.float32)

        # --- event weeks and criminal-justice history
        self.state_until = np.full(n, FOREVER, dtype=np.int32)  # end of prison or rehab stay
        in_prison = self.status == Status.PRISON
        self.state_until[in_prison] = rng.integers(1, int(p["prison_mean_weeks"] * 2) + 2, in_prison.sum())
        self.risk_until = np.full(n, NEVER, dtype=np.int32)  # raised overdose risk (release, exit)
        self.risk_mult = np.ones(n, dtype=np.float32)
        self.divert_until = np.full(n, NEVER, dtype=np.int32)
        self.divert_nonengaged = np.zeros(n, dtype=bool)
        self.hat_wait_since = np.full(n, NEVER, dtype=np.int32)
        self.n_divert = np.zeros(n, dtype=np.int16)
        self.n_caution = np.zeros(n, dtype=np.int16)
        self.n_charge = np.zeros(n, dtype=np.int16)
        self.n_cars = np.zeros(n, dtype=np.int16)
        self.n_treatment_episodes = np.zeros(n, dtype=np.int16)
        started = np.zeros(n, dtype=bool)
        started[: self.n_started] = True
        self.n_treatment_episodes[started] = rng.poisson(p["ocu_prior_treatment_episodes_mean"], self.n_started)
        self.n_treatment_episodes[self.status == Status.TREATMENT] += 1
        self.kit_until = np.full(n, NEVER, dtype=np.int32)  # week a held naloxone kit expires
        self.o2r_client = np.zeros(n, dtype=bool)  # in rehab through Offender to Rehab
        # Offending to Recovery pipeline: stage (O2R_NONE, O2R_ASSESSING, O2R_WAITING), the week the assessment
        # ends or the wait began, and the kind of bed a resident holds (O2R_CHARITY_BED, O2R_REGULAR_BED).
        self.o2r_stage = np.zeros(n, dtype=np.int8)
        self.o2r_since = np.full(n, NEVER, dtype=np.int32)
        self.o2r_bed = np.zeros(n, dtype=np.int8)

    # --- views used by the processes
    @property
    def ocu(self) -> slice:
        """OCU rows that have started (reserve slots are activated in order, so this is a prefix)."""
        return slice(0, self.n_started)

    def start_ocus(self, n: int) -> np.ndarray:
        """Activate the next `n` reserve slots as new OCUs; returns their rows."""
        if self.n_started + n > self.n_ocu:
            raise RuntimeError("OCU reserve slots exhausted; the reserve in Population is too small")
        idx = np.arange(self.n_started, self.n_started + n)
        self.status[idx] = Status.USING
        self.n_started += n
        return idx

    def counts_by_status(self) -> np.ndarray:
        return np.bincount(self.status, minlength=len(Status))
