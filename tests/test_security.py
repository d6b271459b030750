"""Security: no code path evaluates, unpickles or imports user-supplied content; scenario files cannot reach
outside the project through `extends`; uploads are size-limited and validated; the app binds to 127.0.0.1."""

from __future__ import annotations

import ast
import tomllib

import pytest
from conftest import ROOT

from drugsim.scenario import MAX_SCENARIO_BYTES, ScenarioError, parse_scenario

SOURCES = sorted([*(ROOT / "model").rglob("*.py"), ROOT / "app.py"])
#: Built-ins that run code, and calls that import or unpickle.
FORBIDDEN_BUILTINS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_METHODS = {"import_module", "read_pickle", "run_path", "run_module"}
#: Modules that deserialise arbitrary objects (a pickle can run code when loaded).
FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "dill", "cloudpickle", "yaml", "joblib", "runpy"}


def _calls(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name):
                yield f.id, None, node
            elif isinstance(f, ast.Attribute):
                owner = f.value.id if isinstance(f.value, ast.Name) else None
                yield f.attr, owner, node


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_code_path_evaluates_or_unpickles(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) else [])
            assert not {n.split(".")[0] for n in names if n} & FORBIDDEN_MODULES, f"{path}:{node.lineno}"
    for name, owner, node in _calls(tree):
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        assert not (owner is None and name in FORBIDDEN_BUILTINS), f"{where}: {name}()"
        assert name not in FORBIDDEN_METHODS, f"{where}: {name}()"
        if owner in ("np", "numpy") and name == "load":  # numpy refuses pickled objects unless asked
            assert not any(k.arg == "allow_pickle" for k in node.keywords), where


@pytest.mark.parametrize(
    "extends",
    ["/etc/passwd", "../../../../etc/hosts", "~/.ssh/id_rsa", "/proc/self/environ", "file:///etc/passwd"],
)
def test_extends_cannot_reach_outside_the_project(extends):
    with pytest.raises(ScenarioError, match="scenario.extends"):
        parse_scenario(f'[scenario]\nname = "x"\nextends = "{extends}"\n', "upload.toml")


def test_scenario_text_is_data_not_code():
    """Python in a scenario file is refused as TOML; it is never run."""
    for text in ("__import__('os').system('touch /tmp/pwned')", '[scenario]\nname = "x"\ndescription = 1 + 1\n'):
        with pytest.raises(ScenarioError):
            parse_scenario(text, "upload.toml")


def test_app_serves_this_machine_only_with_small_uploads():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["maxUploadSize"] <= 1  # MB, for the whole upload
    assert MAX_SCENARIO_BYTES <= 256 * 1024  # and a scenario file is refused above this before parsing
    assert config["browser"]["gatherUsageStats"] is False
