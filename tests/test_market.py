"""County-lines market behaviour: groups respond to profit and enforcement, and replace lost lines."""

from __future__ import annotations

from conftest import paired_interval, paired_runs, shorten, total

from drugsim.model import DrugMarketModel
from drugsim.scenario import with_changes


def mean_lines(s, r, start="2023-01-01"):
    return total(s, r, "active_county_lines", start) / 104  # weeks in 2023-2024


def test_higher_losses_per_closure_deter_openings_under_enforcement(baseline):
    s = shorten(baseline, "2024-12-31")
    risky = with_changes(s, {"parameters": {"line_loss_per_closure_gbp": 45000}})
    diffs = [mean_lines(s, a) - mean_lines(s, b) for a, b in paired_runs(s, risky, seeds=range(3))]
    _, low, _ = paired_interval(diffs)
    assert low > 0, diffs


def test_more_replacement_keeps_more_lines_running(baseline):
    s = shorten(baseline, "2024-12-31")
    fast = with_changes(s, {"parameters": {"line_replacement_prob": 0.95, "line_replacement_delay_weeks": 2}})
    diffs = [mean_lines(s, b) - mean_lines(s, a) for a, b in paired_runs(s, fast, seeds=range(3))]
    _, low, _ = paired_interval(diffs)
    assert low > 0, diffs


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
