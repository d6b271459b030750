"""Intervention modules, one shared interface (`base.Intervention`), and the explicit registry."""

from drugsim.interventions.health import HAT, O2R, NaloxoneHostels, NaloxoneOfficers, NaloxoneTakeHome, NitazeneWave
from drugsim.interventions.policing import ArrestReferral, Divert, EnforcementGap, TestingSuspension
from drugsim.interventions.supply import CLTF, AssetReinvestment

#: Every intervention module, by the name used in scenario files and in `spend_<name>_gbp`.
REGISTRY = {
    cls.name: cls
    for cls in (
        Divert,
        ArrestReferral,
        TestingSuspension,
        NaloxoneOfficers,
        NaloxoneTakeHome,
        NaloxoneHostels,
        CLTF,
        O2R,
        HAT,
        AssetReinvestment,
        NitazeneWave,
        EnforcementGap,
    )
}

__all__ = ["REGISTRY"]
