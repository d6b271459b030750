"""The supply side: organised crime groups (Mesa agents), their county lines and street dealers."""

from drugsim.market.market import Market

__all__ = ["Market"]
