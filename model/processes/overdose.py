"""Overdose, naloxone reversal and death; other-cause deaths of OCUs; fatal cocaine poisoning.

Opiate users overdose at a weekly hazard modified by treatment, by the weeks after prison release or
leaving treatment, and by adulterant waves. A share are life-threatening; of those, a witnessed one is
reversed where naloxone is at hand (background peer provision, the person's own or a peer's take-home kit,
hostel staff, or an officer carrying it), and an unreversed one is fatal with a set chance. One uniform per
OCU per week decides all of this (bottom tail: overdose and its outcome; top tail: other deaths).
"""

from __future__ import annotations

import numpy as np

from drugsim.calendar import WEEKS_PER_YEAR, weekly_prob
from drugsim.levers import N_LA
from drugsim.parameters import geography
from drugsim.population import NEVER, Status
from drugsim.processes import naloxone_kits as kits
from drugsim.processes._sets import sorted_unique
from drugsim.processes._tables import by_status
from drugsim.processes.split import split


def officer_first_prob(p, officers: np.ndarray) -> np.ndarray:
    """By area, the chance that an officer carrying naloxone is first at a witnessed life-threatening overdose.

    Police attend some such overdoses before any ambulance crew (`officer_naloxone_first_on_scene_prob`); the
    officer who does carries naloxone with the chance that a frontline officer on that beat carries it. Carriers
    are deployed where overdoses happen first: a share `officer_naloxone_hotspot_post_share` of an area's
    frontline posts (city-centre and neighbourhood teams in high-use wards) covers a share
    `officer_naloxone_hotspot_overdose_share` of its witnessed overdoses; carriers beyond those posts spread over
    the rest of the area's frontline. So the first carriers (the Birmingham city-centre pilot) reach the most
    overdoses each and more carriers add less, up to every frontline officer carrying. Frontline officers are
    shared among areas by population.
    """
    pop = geography().column("population_2019")
    frontline = p["officer_naloxone_frontline_officers"] * pop / pop.sum()
    hot_posts = p["officer_naloxone_hotspot_post_share"] * frontline
    other_posts = frontline - hot_posts
    hot = np.minimum(officers, hot_posts)
    other = np.clip(officers - hot_posts, 0.0, other_posts)
    h = p["officer_naloxone_hotspot_overdose_share"]
    # An area with no hotspot posts (share 0) or no other posts (share 1) has nobody on that beat to carry.
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = h * np.where(hot_posts > 0, hot / hot_posts, 0.0)
        cover += (1 - h) * np.where(other_posts > 0, other / other_posts, 0.0)
    return p["officer_naloxone_first_on_scene_prob"] * cover


def overdose(m) -> None:
    pop, p, lv, week = m.pop, m.p, m.levers, m.week
    rng = m.streams["overdose"]
    o = pop.ocu
    st = pop.status[o]
    la = pop.la[o]
    u = rng.random(o.stop)

    table = by_status(using=1.0, treatment=p["ost_overdose_multiplier"], hat=p["hat_overdose_multiplier"])
    base = np.float32(weekly_prob(p["overdose_rate_per_year"]))
    # Few overdose in a week: only draws below the highest hazard anyone can have need their own hazard. The bound
    # is the product of the largest factors, with room for float32 rounding in each product.
    bound = (
        float(table.max()) * float(base) * float(pop.risk_mult[o].max(initial=1.0)) * max(1.0, lv.overdose_mult.max())
    )
    cand = np.flatnonzero(u < bound * (1 + 1e-5))
    hazard = table[st[cand]] * pop.opioid_f[cand] * base  # the same float32 operations as for every row at once
    risky = np.flatnonzero(pop.risk_until[cand] >= week)
    hazard[risky] *= pop.risk_mult[cand[risky]]
    if (lv.overdose_mult != 1).any():
        hazard *= lv.overdose_mult[la[cand]].astype(np.float32)
    hit = u[cand] < hazard
    od, hazard = cand[hit], hazard[hit]

    od_la = la[od].astype(np.intp)
    on_site = st[od] == Status.HAT.value  # supervised dosing: witnessed, naloxone to hand
    v = u[od] / hazard
    # Only life-threatening overdoses call for naloxone and can kill.
    severe, v = split(v, p["overdose_severe_share"])
    witnessed, v = split(v, np.where(on_site, 1.0, p["overdose_witnessed_prob"]) * severe)
    # Naloxone at the scene, channel by channel (independent chances), each only if none before it:
    # background peer provision (2019 level), the person's own take-home kit, a peer's take-home kit,
    # hostel provision, and officers in the LA.
    by_peer, v = split(v, np.where(on_site, 1.0, p["peer_naloxone_at_witnessed_prob"]) * witnessed)
    need = witnessed & ~by_peer
    held = kits.holders(m) if m.kits_issued else np.empty(0, np.intp)
    own_kit = pop.kit_until[od] >= week
    by_own, v = split(v, p["thn_own_kit_used_prob"] * (need & own_kit))
    need &= ~by_own
    peer_p = kits.coverage(m, held)[od_la] * p["thn_peer_kit_at_scene_prob"] if held.size else 0.0
    by_thn_peer, v = split(v, peer_p * need)
    need &= ~by_thn_peer
    by_hostel, v = split(v, p["overdose_in_hostel_share"] * lv.hostel_naloxone[od_la] * need)
    need &= ~by_hostel
    officer_p = officer_first_prob(p, lv.naloxone_officers)
    by_officer, v = split(v, officer_p[od_la] * need)
    attempted = by_peer | by_own | by_thn_peer | by_hostel | by_officer
    failed, v = split(v, (1.0 - p["naloxone_reversal_prob"]) * attempted)
    reversed_ = attempted & ~failed
    fatal = np.minimum(1.0, p["severe_overdose_fatality_prob"] * lv.fatality_mult[od_la])
    dies = severe & ~reversed_ & (v < fatal)
    st[od[dies]] = Status.DEAD
    pop.kit_until[od[by_own]] = NEVER
    kits.use_peer_kits(m, held, od_la[by_thn_peer])

    # Top tail of the same draw: other-cause deaths, and fatal poisoning of crack-only users.
    p_other = weekly_prob(p["ocu_other_death_rate_per_year"])
    p_crack = weekly_prob(p["cocaine_poisoning_death_rate_per_year"])
    tail = np.flatnonzero(u >= 1.0 - p_other - p_crack)
    tail = tail[st[tail] != Status.DEAD.value]
    other = tail[u[tail] >= 1.0 - p_other]
    crack = tail[(u[tail] < 1.0 - p_other) & ~pop.opioid[tail] & (st[tail] == Status.USING.value)]
    st[other] = Status.DEAD
    st[crack] = Status.DEAD

    # Powder cocaine users: rare deaths, sampled.
    coc = m.cocaine_rows
    coc_rng = m.streams["cocaine_deaths"]
    k = coc_rng.poisson(m.alive_users["cocaine"].sum() * p["cocaine_poisoning_death_rate_per_year"] / WEEKS_PER_YEAR)
    c = sorted_unique(coc[coc_rng.integers(0, coc.size, k)])
    c = c[pop.status[c] == Status.USING.value]
    pop.status[c] = Status.DEAD
    c_la = np.bincount(pop.la[c], minlength=N_LA)
    m.alive_users["cocaine"] -= c_la

    m.add("overdoses", np.bincount(od_la, minlength=N_LA))
    m.add("overdoses_reversed", np.bincount(od_la[reversed_], minlength=N_LA))
    m.add("officer_naloxone_reversals", np.bincount(od_la[reversed_ & by_officer], minlength=N_LA))
    m.add("thn_reversals", np.bincount(od_la[reversed_ & (by_own | by_thn_peer)], minlength=N_LA))
    m.add("hostel_naloxone_reversals", np.bincount(od_la[reversed_ & by_hostel], minlength=N_LA))
    m.add("drug_deaths", np.bincount(od_la[dies], minlength=N_LA) + np.bincount(la[crack], minlength=N_LA) + c_la)
    m.add("deaths_other_causes", np.bincount(la[other], minlength=N_LA))
