"""Levers: the settings the weekly processes read. Interventions write them; processes never ask which
intervention is on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drugsim.parameters import AREAS

N_LA = len(AREAS)


@dataclass
class Levers:
    divert_active: bool = False
    drug_testing_active: bool = True
    cars_active: bool = False
    radar_active: bool = False
    cltf_type1_per_week: float = 0.0
    naloxone_officers: np.ndarray = field(default_factory=lambda: np.zeros(N_LA))
    o2r_staff: np.ndarray = field(default_factory=lambda: np.zeros(N_LA))
    hat_places: np.ndarray = field(default_factory=lambda: np.zeros(N_LA, dtype=np.int64))
    overdose_mult: np.ndarray = field(default_factory=lambda: np.ones(N_LA))
    fatality_mult: np.ndarray = field(default_factory=lambda: np.ones(N_LA))
    thn_active: bool = False
    hostel_naloxone: np.ndarray = field(default_factory=lambda: np.zeros(N_LA))
    divert_pwits_eligible_share: float = 0.0
    divert_second_chance: bool = False
    o2r_max_residents: float = float("inf")
    o2r_charity_beds: int = 0
    o2r_regular_beds: int = 0
    cars_coverage: float = 1.0  # share of arrests passing through a custody block with arrest referral workers
    reinvest_share: float = 0.0
    enforcement_mult: float = 1.0

    def reset(self) -> None:
        """Back to a world with none of the interventions (testing on arrest is a standing power)."""
        self.divert_active = False
        self.drug_testing_active = True
        self.cars_active = False
        self.radar_active = False
        self.cltf_type1_per_week = 0.0
        self.naloxone_officers.fill(0)
        self.o2r_staff.fill(0)
        self.hat_places.fill(0)
        self.overdose_mult.fill(1.0)
        self.fatality_mult.fill(1.0)
        self.thn_active = False
        self.hostel_naloxone.fill(0)
        self.divert_pwits_eligible_share = 0.0
        self.divert_second_chance = False
        self.o2r_max_residents = float("inf")
        self.o2r_charity_beds = 0
        self.o2r_regular_beds = 0
        self.cars_coverage = 1.0
        self.reinvest_share = 0.0
        self.enforcement_mult = 1.0
