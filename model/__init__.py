"""drugsim: an agent-based policy simulator of drug harm, supply and county lines in the West Midlands.

The public API is `run_scenario` (a tidy pandas DataFrame) and `load_scenario`; the model class is
`model.model.DrugMarketModel`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("drugsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+source"

from model.runner import run_scenario  # noqa: E402
from model.scenario import ScenarioError, load_scenario  # noqa: E402

__all__ = ["run_scenario", "load_scenario", "ScenarioError", "__version__"]
