"""Organised crime groups (OCGs) and urban street gangs (USGs) as Mesa agents.

Each group decides weekly whether to open county lines: it opens at a rate that grows with the lines it
already runs and shrinks as county markets fill up (demand), stops while disrupted by enforcement, and
replaces lines it lost after a delay.
"""

from __future__ import annotations

import math

import mesa


def poisson_small(rng, lam: float) -> int:
    """Poisson draw for small means from a `random.Random` (cheap scalar draws in agent code)."""
    if lam <= 0:
        return 0
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


class CrimeGroup(mesa.Agent):
    """An OCG or USG in the drugs trade, based in one LA."""

    def __init__(self, model, gid: int, kind: str, home_la: int):
        super().__init__(model)
        self.gid = gid
        self.kind = kind
        self.home_la = home_la
        self.n_lines = 0
        self.disrupted_until = -1
        self.pending_replacements: list[int] = []  # weeks at which a lost line is replaced

    @property
    def revenue_gbp(self) -> float:
        """Cumulative revenue: local retail share plus its county lines."""
        return float(self.model.market.group_revenue[self.gid])

    def step(self) -> None:
        market = self.model.market
        week = self.model.week
        if week <= self.disrupted_until:
            return
        due = 0
        if self.pending_replacements:
            due = sum(1 for w in self.pending_replacements if w <= week)
            if due:
                self.pending_replacements = [w for w in self.pending_replacements if w > week]
        lam = market.opening_rate * (self.n_lines + market.seed_lines)
        for _ in range(due + poisson_small(market.py_rng, lam)):
            if not market.open_line(self):
                break
