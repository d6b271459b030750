"""The scenario library, shipped with drugsim as package data (`drugsim.library` finds it)."""
