"""The release number: bumped with each release (see CHANGELOG.md); results manifests record it."""

__version__ = "0.6.0"
