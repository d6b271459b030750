"""drugsim: an agent-based policy simulator of drug harm, supply and county lines in the West Midlands.

The public API is `run_scenario` (a tidy pandas DataFrame) and `load_scenario` (a scenario file, or a library
scenario by name such as "baseline"); the model class is `drugsim.model.DrugMarketModel`.

Example:
    >>> import drugsim
    >>> frame = drugsim.run_scenario(drugsim.load_scenario("baseline"), seeds=[0])
"""

from drugsim._version import __version__

__all__ = ["run_scenario", "load_scenario", "ScenarioError", "__version__"]


def __getattr__(name: str):
    # Imported on first use, so that `drugsim --version` and `--help` do not load numpy, pandas and Mesa.
    if name == "run_scenario":
        from drugsim.runner import run_scenario

        return run_scenario
    if name in ("load_scenario", "ScenarioError"):
        from drugsim import scenario

        return getattr(scenario, name)
    raise AttributeError(f"module 'drugsim' has no attribute {name!r}")
