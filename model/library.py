"""Where drugsim's own files live: the scenario library and the calibration outputs.

They are package data, found through `importlib.resources`, so that the same code finds them in a clone (an
editable install maps `drugsim.scenarios` to `scenarios/`) and in an installed wheel (`site-packages/drugsim/`).
drugsim is installed as files on disk (pip's default), not as a zip, so these are real folders.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

#: The scenario library (`baseline.toml` and the policy options).
SCENARIO_DIR = Path(str(files("drugsim.scenarios")))
#: Calibration targets, the fitted parameters, accepted draws and the fit report.
CALIBRATION_DIR = Path(str(files("drugsim.calibration")))
#: The folder holding both: the clone's root, or the installed package.
LIBRARY_ROOT = SCENARIO_DIR.parent
#: True in a clone (its files are the working tree, which `drugsim calibrate` may update); False when installed,
#: where the library is read-only data and `drugsim init` copies it into a folder of the user's.
SOURCE_TREE = (LIBRARY_ROOT / "pyproject.toml").is_file()


def library_names() -> list[str]:
    """The names of the library's scenarios (file stems), sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def project_root(folder: Path) -> Path | None:
    """The drugsim project a scenario folder belongs to (a folder with `scenarios/` and `calibration/` side by
    side: the clone, the installed package or a folder made by `drugsim init`), or None."""
    folder = folder.resolve()
    if folder.name == "scenarios" and (folder.parent / "calibration").is_dir():
        return folder.parent
    return None
