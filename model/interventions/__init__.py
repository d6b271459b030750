"""Intervention modules, one shared interface (`base.Intervention`), and the explicit registry."""

from model.interventions.health import HAT, O2R, NaloxoneOfficers, NitazeneWave
from model.interventions.policing import ArrestReferral, Divert, TestingSuspension
from model.interventions.supply import CLTF

#: Every intervention module, by the name used in scenario files and in `spend_<name>_gbp`.
REGISTRY = {
    cls.name: cls for cls in (Divert, ArrestReferral, TestingSuspension, NaloxoneOfficers, CLTF, O2R, HAT, NitazeneWave)
}

__all__ = ["REGISTRY"]
