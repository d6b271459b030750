"""Use and purchase: street drug spend by people who use drugs, by LA; the revenue goes to the market."""

from __future__ import annotations

from drugsim.calendar import WEEKS_PER_YEAR
from drugsim.processes._tables import by_status


def use_and_purchase(m) -> None:
    p = m.p
    spend = by_status(using=1.0, treatment=p["ost_street_spend_fraction"], hat=p["hat_street_spend_fraction"])
    revenue = (
        m.status_counts() @ spend * p["ocu_street_spend_gbp_per_week"]
        + m.alive_users["cocaine"] * (p["cocaine_spend_gbp_per_year"] / WEEKS_PER_YEAR)
        + m.alive_users["cannabis"] * (p["cannabis_spend_gbp_per_year"] / WEEKS_PER_YEAR)
    )
    m.add("market_revenue_gbp", revenue)
    m.market.receive_local_revenue(revenue)
