"""The county-lines market: an open market in which closed lines are re-established, taken over or lost; the CLTF
as funded capacity; and the harms it exists to reduce (violence, exploitation), each moving beyond seed noise and
by an amount the evidence allows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import paired_interval, paired_runs, shorten, total

from drugsim.calendar import Calendar
from drugsim.metrics import INDEX
from drugsim.model import DrugMarketModel
from drugsim.scenario import load_scenario, with_changes


def yearly(s, r, metric: str) -> np.ndarray:
    """Force-wide yearly totals (flows) of a metric, indexed from the scenario's first year."""
    _, weights = Calendar(s.start, s.end).year_weights()
    return weights @ r[:, INDEX[metric]].sum(axis=1)


def mean_lines(s, r, start="2023-01-01", end=None):
    weeks = Calendar(s.start, s.end).week_starts()
    sel = (weeks >= np.datetime64(start)) & (weeks <= np.datetime64(end or str(s.end)))
    return r[sel, INDEX["active_county_lines"]].sum(axis=1).mean()


def test_lines_and_people_are_conserved(baseline):
    """Every line ever opened is active or closed; the groups' and markets' counts agree with the line arrays;
    runners on active lines are the recorded stock."""
    m = DrugMarketModel(shorten(baseline, "2024-06-30"), seed=2)
    m.run()
    mk, lines = m.market, m.market.lines
    active = lines.active[: lines.n]
    assert (lines.closed[: lines.n][~active] >= 0).all() and (lines.closed[: lines.n][active] == -1).all()
    assert mk.wm.sum() == active.sum() == mk.group_lines.sum()
    assert (np.bincount(lines.market[: lines.n][active], minlength=mk.n_markets) == mk.wm).all()
    assert (np.bincount(lines.owner[: lines.n][active], minlength=len(mk.groups)) == mk.group_lines).all()
    assert (mk.rival >= 0).all() and (mk.wm >= 0).all()
    last = m.results[m.cal.n_weeks - 1]
    assert last[INDEX["active_county_lines"]].sum() == active.sum()
    assert last[INDEX["line_runners"]].sum() == lines.runners[: lines.n][active].sum()
    exploited = (lines.children[: lines.n] + lines.vulnerable[: lines.n])[active].sum()
    assert last[INDEX["runners_exploited"]].sum() == exploited
    # Every closure has one fate: re-established later, taken over, or lost.
    closed = m.results[:, INDEX["type1_outcomes"]].sum() + m.results[:, INDEX["lines_closed_other"]].sum()
    fates = m.results[:, INDEX["lines_taken_over"]].sum() + m.results[:, INDEX["lines_lost"]].sum()
    assert fates < closed and m.results[:, INDEX["lines_reestablished"]].sum() <= closed - fates


def test_once_every_group_has_lost_its_lines_none_opens_without_a_seed(baseline):
    """With no seed (line_seed_per_group = 0, in its range) and a CLTF that closes every line, there are weeks when no
    group has a line to grow from: then no new line opens, and the run goes on (it stopped on 0/0 before)."""
    s = with_changes(
        baseline,
        {
            "scenario": {"start": "2022-04-04", "end": "2022-09-30"},
            "parameters": {"line_seed_per_group": 0, "cltf_cost_per_type1_gbp": 1},
        },
    )
    m = DrugMarketModel(s, seed=0)
    res = m.run()
    assert np.isfinite(res).all()
    assert (res[:, INDEX["active_county_lines"]].sum(axis=1) == 0).any()  # the case was reached


def test_groups_are_mesa_agents_with_consistent_line_counts(baseline):
    m = DrugMarketModel(shorten(baseline, "2022-12-31"), seed=1)
    m.run()
    lines = m.market.lines
    owners = lines.owner[: lines.n][lines.active[: lines.n]]
    for g in m.market.agentset:
        assert g.n_lines == (owners == g.gid).sum()
        assert g.n_lines >= 0 and g.revenue_gbp >= 0
    groups = m.datacollector.get_agenttype_vars_dataframe(type(m.market.groups[0]))
    assert {"lines", "revenue_gbp"} <= set(groups.columns)
    assert 0.0 <= m.datacollector.get_model_vars_dataframe()["line_profit_factor"].min() <= 1.0


@pytest.mark.slow  # full-scale paired runs
def test_the_market_does_not_collapse_under_the_cltf(baseline):
    """Lines fall by no more than 40% from 2021 to 2025 (NPCC 2024: external lines -12% a year, threat stable),
    and the CLTF's Type 1 outcomes a month in Apr-Dec 2024 are not below Apr 2022-Jan 2023's."""
    for base, _ in paired_runs(baseline, baseline, seeds=range(2)):
        assert mean_lines(baseline, base, "2025-01-01", "2025-12-31") >= 0.6 * mean_lines(
            baseline, base, "2021-01-01", "2021-12-31"
        )
        first = total(baseline, base, "type1_outcomes", "2022-04-01", "2023-01-31") / 10
        later = total(baseline, base, "type1_outcomes", "2024-04-01", "2024-12-16") / 8.5
        assert later >= first, (first, later)


@pytest.mark.slow  # full-scale paired runs
def test_more_cltf_funding_means_fewer_lines_and_less_violence_within_the_evidence():
    """Double the funding from 2026: fewer lines, less drug-market violence and exploitation, beyond seed noise.
    The fall in force-wide knife offences it implies is at most the whole national programme's effect on
    stabbing admissions in exporter forces (-25%, Home Office evaluation 2025, EVIDENCE2.md §5)."""
    base = shorten(load_scenario("cltf_permanent"), "2028-12-31")
    more = with_changes(
        base, {"interventions": {"cltf": {"funding_changes": [{"date": dt.date(2026, 4, 1), "annual_gbp": 7_000_000}]}}}
    )
    diffs = {k: [] for k in ("lines", "violence", "exploited")}
    for a, b in paired_runs(base, more, seeds=range(6)):
        diffs["lines"].append(mean_lines(base, a, "2026-07-01") - mean_lines(base, b, "2026-07-01"))
        diffs["violence"].append(
            total(base, a, "serious_violence_offences", "2026-07-01")
            - total(base, b, "serious_violence_offences", "2026-07-01")
        )
        diffs["exploited"].append(
            total(base, a, "runners_exploited", "2026-07-01") - total(base, b, "runners_exploited", "2026-07-01")
        )
    for name, d in diffs.items():
        _, low, _ = paired_interval(d)
        assert low > 0, (name, d)
    knife_offences = base.params["knife_offences_2021"] * 2.5  # two and a half years, 2026-07 to 2028
    assert np.mean(diffs["violence"]) / knife_offences <= 0.25


@pytest.mark.slow  # full-scale paired runs
def test_ending_the_cltf_lets_lines_and_harms_regrow_with_a_lag():
    """Against a permanent taskforce, ending it in April 2026 changes little at once (capacity winds down), then
    lines, exploitation and violence regrow."""
    ends = shorten(load_scenario("cltf_ends_2026"), "2028-12-31")
    permanent = shorten(load_scenario("cltf_permanent"), "2028-12-31")
    early, late, harms = [], [], []
    for a, b in paired_runs(ends, permanent, seeds=range(4)):
        early.append(mean_lines(ends, a, "2026-04-01", "2026-06-30") - mean_lines(ends, b, "2026-04-01", "2026-06-30"))
        late.append(mean_lines(ends, a, "2027-07-01") - mean_lines(ends, b, "2027-07-01"))
        harms.append(
            total(ends, a, "serious_violence_offences", "2027-07-01")
            - total(ends, b, "serious_violence_offences", "2027-07-01")
        )
    _, low, _ = paired_interval(late)
    assert low > 0 and np.mean(late) > 2 * abs(np.mean(early)), (early, late)
    _, low, _ = paired_interval(harms)
    assert low > 0, harms


@pytest.mark.slow  # full-scale paired runs
def test_the_cltf_changes_more_than_its_own_spend(baseline):
    s = shorten(load_scenario("cltf_permanent"), "2027-12-31")
    ends = shorten(load_scenario("cltf_ends_2026"), "2027-12-31")
    for a, b in paired_runs(s, ends, seeds=range(2)):
        for metric in ("serious_violence_offences", "runners_exploited", "violence_cost_gbp", "exploitation_cost_gbp"):
            assert total(s, a, metric, "2026-07-01") != total(s, b, metric, "2026-07-01"), metric


@pytest.mark.slow  # full-scale paired runs
def test_nrm_referrals_every_year_with_or_without_the_cltf(baseline):
    without = with_changes(baseline, {"interventions": {"cltf": {"enabled": False}}}, name="no_cltf")
    for s in (baseline, without):
        (r,) = [a for a, _ in paired_runs(s, s, seeds=[3])]
        per_year = yearly(s, r, "nrm_referrals")
        assert (per_year > 0).all(), (s.name, per_year)
        routes = sum(yearly(s, r, f"nrm_referrals_{k}") for k in ("cltf", "policing", "other"))
        assert np.allclose(routes, per_year)  # yearly totals share weeks by days: equal up to rounding


@pytest.mark.slow  # full-scale paired runs
def test_closed_lines_are_mostly_re_established(baseline):
    """More re-establishment keeps more lines running under the same enforcement."""
    s = shorten(baseline, "2024-12-31")
    slow = with_changes(s, {"parameters": {"line_replacement_prob": 0.6, "line_replacement_delay_weeks": 6}})
    diffs = [mean_lines(s, a) - mean_lines(s, b) for a, b in paired_runs(s, slow, seeds=range(3))]
    _, low, _ = paired_interval(diffs)
    assert low > 0, diffs


@pytest.mark.slow  # full-scale paired runs
def test_higher_losses_per_closure_deter_openings_under_enforcement(baseline):
    s = shorten(baseline, "2024-12-31")
    risky = with_changes(s, {"parameters": {"line_loss_per_closure_gbp": 30000}})
    diffs = [mean_lines(s, a) - mean_lines(s, b) for a, b in paired_runs(s, risky, seeds=range(6))]
    _, low, _ = paired_interval(diffs)
    assert low > 0, diffs
