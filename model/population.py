"""The person population: one row per person in numpy arrays, and how it is created at the start.

Rows are grouped by main substance: OCUs (opiate/crack users) first, then powder cocaine, then cannabis
users. OCU rows include a reserve of not-yet-started slots that the initiation rule activates. The arrays
never grow or shrink: a cannabis or cocaine user who stops is replaced in the same row by a new person
(`renew_users`), so a row is a place in the population, not one person for life. This module holds state and
the rules for drawing people; the weekly processes change it.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from drugsim.calendar import WEEKS_PER_YEAR, Calendar
from drugsim.parameters import geography


class Status(IntEnum):
    """Exactly one per person per week.

    Compare arrays with a member's `.value` (`status == Status.USING.value`): numpy 2 takes an IntEnum member for a
    strong int64, not a plain int that adapts to the array, so comparing with the member itself first casts the int8
    array to int64 (for the OCU rows 13 us instead of 1.3, hundreds of times a run). The same holds for `Kind`.
    """

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
#: Ages of the cannabis and cocaine users: the CSEW base (ages 16-59). A user who turns 60 leaves that base and
#: is replaced like anyone who stops (so the users stay the survey's last-year users aged 16-59).
USER_MIN_AGE, USER_MAX_AGE = 16.0, 60.0
_AGE_STEP = 0.05  # years: resolution of the age-profile tables below
#: Rows per block of the detection sampler's running exposure totals (see `Population.sample_by_exposure`).
_BLOCK = 32


def _young_below(week: int) -> np.float32:
    """People whose age at week 0 is below this are under 25 in `week`."""
    return np.float32(25 - week / WEEKS_PER_YEAR)


class AgeProfile:
    """The age profile of a user group held steady while everyone ages: a normal(mean, sd) density on
    [16, 60), a cessation hazard by age, and the ages at which the replacements start.

    Everyone ages one year a year and stops at the hazard h(a) = max(h0, (a - mean) / sd^2): the constant h0 at
    younger ages and, where the profile falls with age faster than h0 alone would make it fall, the rate that
    keeps it (maturing out). The entry ages that keep the profile stationary are then e(a) = n(a) * max(h0 - (a -
    mean) / sd^2, 0) plus the newcomers at 16 who replace the cohort ageing past 16 (n(16) a year), which
    balances the exits: the integral of h n plus n(60) (conservation of people along the age axis).
    """

    def __init__(self, mean: float, sd: float, h0: float):
        self.mean, self.sd, self.h0 = mean, sd, h0
        a = np.arange(USER_MIN_AGE, USER_MAX_AGE + _AGE_STEP / 2, _AGE_STEP)
        dens = np.exp(-0.5 * ((a - mean) / sd) ** 2)
        self.ages = a
        self.cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]))])
        self.cdf /= self.cdf[-1]
        mid = 0.5 * (a[1:] + a[:-1])
        n_mid = np.exp(-0.5 * ((mid - mean) / sd) ** 2)
        # Entry weights: one per age bin, and the newcomers at exactly 16 (density at 16, per year of age).
        w = n_mid * np.maximum(h0 - (mid - mean) / sd**2, 0.0) * _AGE_STEP
        self.entry_ages = np.concatenate([[USER_MIN_AGE], a[:-1]])
        self.entry_cum = np.cumsum(np.concatenate([[dens[0]], w]))
        self.entry_cum /= self.entry_cum[-1]

    def hazard(self, age: np.ndarray) -> np.ndarray:
        """Annual rate of stopping at `age` (years)."""
        return np.maximum(self.h0, (age - self.mean) / self.sd**2)

    def draw_stock(self, u: np.ndarray) -> np.ndarray:
        """Ages of the users alive at a moment (the stationary profile), from uniforms `u`."""
        return np.interp(u, self.cdf, self.ages)

    def draw_entry(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Ages at which replacement users start, from uniforms `u` (which age bin) and `v` (where in it)."""
        # searchsorted is never below 0: only the top needs a bound (np.minimum costs a third of clip on this hot path)
        i = np.minimum(np.searchsorted(self.entry_cum, u, side="right"), self.entry_ages.size - 1)
        width = np.where(i == 0, 0.0, _AGE_STEP)  # the newcomers at 16 start at exactly 16
        return self.entry_ages[i] + v * width


def age_problem(params: dict[str, float]) -> str | None:
    """Why the cannabis or cocaine users' age profile is impossible (nobody aged 16-59 under it), or None."""
    sd = params["user_age_sd_years"]
    for drug in ("cannabis", "cocaine"):
        mean = params[f"{drug}_mean_age"]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            profile = AgeProfile(mean, sd, params[f"{drug}_cessation_per_year"])
        if not (np.isfinite(profile.cdf).all() and np.isfinite(profile.entry_cum).all()):
            return (
                f"{drug}_mean_age = {mean:g} with user_age_sd_years = {sd:g} puts nobody in the ages "
                f"{USER_MIN_AGE:g}-{USER_MAX_AGE - 1:g} the model's {drug} users have (the survey's base)"
            )
    return None


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
        #: The rows of each substance group (contiguous, in the order OCU, cocaine, cannabis).
        self.rows_of = {
            Kind.OCU: slice(0, self.n_ocu),
            Kind.COCAINE: slice(self.n_ocu, self.n_ocu + int(n_coc.sum())),
            Kind.CANNABIS: slice(self.n_ocu + int(n_coc.sum()), self.n),
        }

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
        self._ocu_eth_p = eth_ocu / eth_ocu.sum()
        self.eth[o] = rng.choice(4, size=self.n_ocu, p=self._ocu_eth_p)
        self.sex[o] = rng.random(self.n_ocu) < p["ocu_male_share"]
        self._ocu_profile = (p["ocu_male_share"], p["ocu_mean_age_2019"], p["ocu_age_sd_years"])
        self._prior_episodes = p["ocu_prior_treatment_episodes_mean"]
        self.age0[o] = np.clip(rng.normal(p["ocu_mean_age_2019"], p["ocu_age_sd_years"], self.n_ocu), 18, 80)
        status = np.empty(self.n_ocu, dtype=np.int8)
        n_treat = int(round(n_active * p["ocu_treatment_share_2019"]))
        status[:n_treat] = Status.TREATMENT
        status[n_treat:n_active] = Status.USING
        status[n_active : n_active + n_prison] = Status.PRISON
        status[n_active + n_prison : n_active + n_prison + n_abst] = Status.ABSTINENT
        status[n_active + n_prison + n_abst :] = Status.NOT_STARTED
        # Reserve slots are initiates: younger than the established cohort.
        reserve = status == Status.NOT_STARTED.value
        self.age0[o][reserve] = np.clip(
            rng.normal(p["initiate_mean_age"], p["initiate_age_sd_years"], reserve.sum()), 16, 60
        )
        self.status[o] = status
        self.opioid = np.zeros(n, dtype=bool)
        self.opioid[o] = rng.random(self.n_ocu) < p["ocu_opioid_share"]
        self.opioid_f = self.opioid.astype(np.float32)

        # --- cannabis and cocaine users: a steady-state population by LA, with an age profile that turnover keeps
        eth_la = np.stack([geo.column(f"eth_{e}") for e in ETH_NAMES], axis=1)  # (n_la, 4) resident shares
        self._eth_cum = np.cumsum(eth_la / eth_la.sum(axis=1, keepdims=True), axis=1)
        self.male_share = {Kind.COCAINE: p["cocaine_male_share"], Kind.CANNABIS: p["cannabis_male_share"]}
        self.profiles = {
            Kind.COCAINE: AgeProfile(p["cocaine_mean_age"], p["user_age_sd_years"], p["cocaine_cessation_per_year"]),
            Kind.CANNABIS: AgeProfile(p["cannabis_mean_age"], p["user_age_sd_years"], p["cannabis_cessation_per_year"]),
        }
        start = self.n_ocu
        for counts, kind in ((n_coc, Kind.COCAINE), (n_can, Kind.CANNABIS)):
            m = int(counts.sum())
            s = slice(start, start + m)
            self.la[s] = np.repeat(np.arange(n_la), counts)
            cum = self._eth_cum[self.la[s]]
            self.eth[s] = (rng.random(m)[:, None] > cum).sum(axis=1).clip(0, 3)
            self.sex[s] = rng.random(m) < self.male_share[kind]
            self.age0[s] = self.profiles[kind].draw_stock(rng.random(m))
            start += m

        # --- individual propensities (static)
        k_off = p["offending_heterogeneity_shape"]
        self.offend = np.zeros(n, dtype=np.float32)
        self.offend[o] = rng.gamma(k_off, 1.0 / k_off, self.n_ocu)
        cut = np.quantile(self.offend[o], 1.0 - p["o2r_prolific_share"])
        self.prolific = np.zeros(n, dtype=bool)
        self.prolific[o] = self.offend[o] >= cut

        # Police contact: a personal gamma draw times who the person is (ethnic group, sex, Birmingham), times an
        # age factor that follows the person's current age (`exposure`).
        self._k_exp = p["police_contact_heterogeneity_shape"]
        self._eth_mult = np.array(
            [
                1.0,
                p["detection_multiplier_asian"],
                p["detection_multiplier_black"],
                p["detection_multiplier_mixed_other"],
            ]
        )
        self._male_mult = p["detection_multiplier_male"]
        self._young_mult = p["detection_multiplier_under_25"]
        self._bham, self._bham_mult = geo.index("birmingham"), p["detection_multiplier_birmingham"]
        contact = rng.gamma(self._k_exp, 1.0 / self._k_exp, n) * self._who_mult(self.eth, self.sex, self.la)
        exposure = contact * np.where(self.age0 < 25, self._young_mult, 1.0)
        # Normalise within each substance group so each group's mean rate at the start is its table value.
        # A group nobody is in (a prevalence of 0), or whose every member has a zero multiplier, has nothing to
        # normalise: its exposures stay 0 and nobody in it meets the police (0 / 0 would make them all NaN).
        self._norm = np.ones(len(Kind))
        for k in Kind:
            sel = self.kind == k.value
            mean = exposure[sel].mean() if sel.any() else 0.0
            if mean > 0:
                self._norm[k] = mean
        # Kept in float64 (and with the under-25 factor applied, for speed): each week's detection draw sums them.
        self.contact = contact / self._norm[self.kind]
        self.contact_young = self.contact * self._young_mult
        self._init_exposure()

        # --- event weeks and criminal-justice history
        self.state_until = np.full(n, FOREVER, dtype=np.int32)  # end of prison or rehab stay
        in_prison = self.status == Status.PRISON.value
        self.state_until[in_prison] = rng.integers(1, int(p["prison_mean_weeks"] * 2) + 2, in_prison.sum())
        self.risk_until = np.full(n, NEVER, dtype=np.int32)  # raised overdose risk (release, exit)
        self.risk_mult = np.ones(n, dtype=np.float32)
        self.divert_until = np.full(n, NEVER, dtype=np.int32)
        self.divert_nonengaged_week = np.full(n, NEVER, dtype=np.int32)  # week of the last Divert not engaged with
        self.hat_wait_since = np.full(n, NEVER, dtype=np.int32)
        self.n_divert = np.zeros(n, dtype=np.int16)
        self.n_caution = np.zeros(n, dtype=np.int16)
        self.n_charge = np.zeros(n, dtype=np.int16)
        self.n_cars = np.zeros(n, dtype=np.int16)
        self.n_treatment_episodes = np.zeros(n, dtype=np.int16)
        started = np.zeros(n, dtype=bool)
        started[: self.n_started] = True
        self.n_treatment_episodes[started] = rng.poisson(p["ocu_prior_treatment_episodes_mean"], self.n_started)
        self.n_treatment_episodes[self.status == Status.TREATMENT.value] += 1
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

    def start_ocus(self, n: int, week: int = 0) -> np.ndarray:
        """Activate the next `n` reserve slots as new OCUs in `week`; returns their rows. A reserve slot's drawn
        age is its age when it starts, so its age at week 0 is set back by the time elapsed."""
        if self.n_started + n > self.n_ocu:
            raise RuntimeError("OCU reserve slots exhausted; the reserve in Population is too small")
        idx = np.arange(self.n_started, self.n_started + n)
        self.status[idx] = Status.USING
        self.age0[idx] -= np.float32(week / WEEKS_PER_YEAR)
        self._set_exposure(idx)
        self.n_started += n
        return idx

    def age(self, week: int) -> np.ndarray:
        """Everyone's current age (years) in `week`."""
        return self.age0 + np.float32(week / WEEKS_PER_YEAR)

    def _who_mult(self, eth: np.ndarray, sex: np.ndarray, la: np.ndarray) -> np.ndarray:
        """Police-contact multipliers that do not change over a person's time in the model."""
        mult = self._eth_mult[eth] * np.where(sex == 1, self._male_mult, 1.0)
        return mult * np.where(la == self._bham, self._bham_mult, 1.0)

    def exposure(self, week: int, rows: slice = slice(None)) -> np.ndarray:
        """Police-contact exposure of `rows` in `week`: the under-25 factor follows the current age."""
        young = self.age0[rows] < _young_below(week)
        return np.where(young, self.contact_young[rows], self.contact[rows])

    # --- the detection sampler's exposures, kept up to date as people age and are replaced
    def _init_exposure(self) -> None:
        """`expo`: everyone's exposure in week `_expo_week`; block totals per substance group, so that drawing
        people in proportion to exposure needs no weekly sum over every row."""
        self._expo_week = 0
        self.expo = self.exposure(0)
        ids = np.empty(self.n, dtype=np.intp)
        self._blocks = {}
        first = 0
        for k, rows in self.rows_of.items():
            size = rows.stop - rows.start
            ids[rows] = first + np.arange(size) // _BLOCK
            self._blocks[k] = (first, -(-size // _BLOCK))
            first += self._blocks[k][1]
        self._block_id = ids
        self._n_blocks = first
        self._recount_blocks()

    def _recount_blocks(self) -> None:
        self._block_sum = np.bincount(self._block_id, weights=self.expo, minlength=self._n_blocks)

    def _set_exposure(self, rows: np.ndarray) -> None:
        """Recompute `rows`' exposures (after a change of person or age) and their blocks' totals."""
        young = self.age0[rows] < _young_below(self._expo_week)
        new = np.where(young, self.contact_young[rows], self.contact[rows])
        np.add.at(self._block_sum, self._block_id[rows], new - self.expo[rows])
        self.expo[rows] = new

    def advance_exposure(self, week: int) -> None:
        """Bring `expo` to `week`: those who turned 25 since lose the under-25 factor."""
        if week == self._expo_week:
            return
        crossed = np.flatnonzero((self.age0 < _young_below(self._expo_week)) & (self.age0 >= _young_below(week)))
        self._expo_week = week
        self._set_exposure(crossed)
        if week % 52 == 0:  # re-add the totals now and then, so rounding in the running updates cannot build up
            self._recount_blocks()

    def sample_by_exposure(self, kind: Kind, u: np.ndarray) -> np.ndarray:
        """Rows of group `kind` drawn in proportion to exposure: uniforms `u` in [0, 1) located in the group's
        cumulative exposure (first its blocks' totals, then the rows within the block)."""
        first, n_blocks = self._blocks[kind]
        rows = self.rows_of[kind]
        if n_blocks == 0 or u.size == 0:
            return np.empty(0, dtype=np.intp)
        totals = self._block_sum[first : first + n_blocks]
        cum = np.cumsum(totals)
        x = u * cum[-1]
        b = np.minimum(np.searchsorted(cum, x, side="right"), n_blocks - 1)  # never below 0
        rest = x - (cum[b] - totals[b])
        idx = rows.start + b[:, None] * _BLOCK + np.arange(_BLOCK)
        inside = idx < rows.stop
        idx = np.minimum(idx, rows.stop - 1)
        within = np.cumsum(np.where(inside, self.expo[idx], 0.0), axis=1)
        pos = np.minimum((within < rest[:, None]).sum(axis=1), inside.sum(axis=1) - 1)
        return idx[np.arange(u.size), pos]

    def total_exposure(self, kind: Kind) -> float:
        first, n_blocks = self._blocks[kind]
        return float(self._block_sum[first : first + n_blocks].sum())

    def renew_users(self, rows: np.ndarray, week: int, rng: np.random.Generator) -> None:
        """Replace the cannabis or cocaine users in `rows` by new users of the same drug in the same LA: a new
        person, with a sex, ethnic group (the LA's resident shares), starting age (the group's entry ages) and
        police contact of their own, and no criminal-justice history."""
        n = rows.size
        if n == 0:
            return
        kind = self.kind[rows]
        u = rng.random((4, n))
        gamma = rng.gamma(self._k_exp, 1.0 / self._k_exp, n)
        start_age = np.empty(n)
        male = np.empty(n)
        for k in (Kind.COCAINE, Kind.CANNABIS):
            sel = kind == k.value
            start_age[sel] = self.profiles[k].draw_entry(u[0, sel], u[1, sel])
            male[sel] = self.male_share[k]
        la = self.la[rows]
        self.sex[rows] = u[2] < male
        self.eth[rows] = np.minimum((u[3][:, None] > self._eth_cum[la]).sum(axis=1), 3)  # a count: never below 0
        self.age0[rows] = start_age - week / WEEKS_PER_YEAR
        self.contact[rows] = gamma * self._who_mult(self.eth[rows], self.sex[rows], la) / self._norm[kind]
        self.contact_young[rows] = self.contact[rows] * self._young_mult
        self._set_exposure(rows)
        self.status[rows] = Status.USING
        self._clear_history(rows)

    def _clear_history(self, rows: np.ndarray) -> None:
        """No criminal-justice history in the force's records, and no Divert effect under way."""
        for history in (self.n_divert, self.n_caution, self.n_charge, self.n_cars):
            history[rows] = 0
        self.divert_until[rows] = NEVER
        self.divert_nonengaged_week[rows] = NEVER

    def swap_ocus(self, rows: np.ndarray, week: int, rng: np.random.Generator) -> None:
        """OCUs in `rows` move out of the force area and as many move in, taking their rows: a like-for-like swap
        in drug use (status, LA, opiate use and offending propensity stay with the row), but a new person, drawn
        like an established OCU at the start (sex, ethnic group, age, prior treatment episodes, police contact),
        with no history in the force's records, no local waiting-list place, kit or raised-risk spell."""
        n = rows.size
        if n == 0:
            return
        male, mean_age, sd_age = self._ocu_profile
        u = rng.random((2, n))
        age = np.clip(rng.normal(mean_age, sd_age, n), 18, 80)
        gamma = rng.gamma(self._k_exp, 1.0 / self._k_exp, n)
        episodes = rng.poisson(self._prior_episodes, n)
        self.sex[rows] = u[0] < male
        self.eth[rows] = np.minimum(np.searchsorted(np.cumsum(self._ocu_eth_p), u[1], side="right"), 3)
        self.age0[rows] = age - week / WEEKS_PER_YEAR
        self.contact[rows] = (
            gamma * self._who_mult(self.eth[rows], self.sex[rows], self.la[rows]) / self._norm[Kind.OCU]
        )
        self.contact_young[rows] = self.contact[rows] * self._young_mult
        self._set_exposure(rows)
        self.n_treatment_episodes[rows] = episodes + (self.status[rows] == Status.TREATMENT.value)
        self._clear_history(rows)
        self.hat_wait_since[rows] = NEVER
        self.kit_until[rows] = NEVER
        self.risk_until[rows] = NEVER
        self.risk_mult[rows] = 1.0
        self.o2r_stage[rows] = O2R_NONE  # no place on a local O2R caseload or waiting list either

    def counts_by_status(self) -> np.ndarray:
        return np.bincount(self.status, minlength=len(Status))
