"""The calibration targets and outputs, shipped with drugsim as package data (`drugsim.library` finds them)."""
