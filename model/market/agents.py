"""Organised crime groups (OCGs) and urban street gangs (USGs) as Mesa agents.

A group is based in one local authority, runs county lines (exported and internal), earns from them and from
local retail, and can be disrupted by the CLTF. Its weekly choices (how many lines to open, where) are made for
all groups at once by the market in a few array operations; the agents hold each group's identity and expose its
state (lines, revenue, disruption) for Mesa's DataCollector and for analysis.
"""

from __future__ import annotations

import mesa


class CrimeGroup(mesa.Agent):
    """An OCG or USG in the drugs trade, based in one LA."""

    def __init__(self, model, gid: int, kind: str, home_la: int):
        super().__init__(model)
        self.gid = gid
        self.kind = kind
        self.home_la = home_la

    @property
    def n_lines(self) -> int:
        """County lines this group runs now."""
        return int(self.model.market.group_lines[self.gid])

    @property
    def revenue_gbp(self) -> float:
        """Cumulative revenue: local retail share plus its county lines."""
        return float(self.model.market.group_revenue[self.gid])

    @property
    def disrupted(self) -> bool:
        """Whether a CLTF disruption stops the group opening lines this week."""
        return bool(self.model.market.group_disrupted_until[self.gid] >= self.model.week)
