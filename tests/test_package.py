"""drugsim as a package: the library found from anywhere, `extends` beside the file then in the library,
`drugsim init`, the CLI's conventions (--version, --json, closed pipes, one-line internal errors), and, in the slow
tier, a real wheel installed into a fresh virtual environment and used from an unrelated folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT

from drugsim import library
from drugsim.cli import main
from drugsim.scenario import ScenarioError, find_scenario, load_scenario

DRUGSIM = [sys.executable, "-m", "drugsim.cli"]


def test_library_is_found_through_the_package():
    assert (library.SCENARIO_DIR / "baseline.toml").is_file()
    assert (library.CALIBRATION_DIR / "fitted.toml").is_file()
    assert "baseline" in library.library_names() and "hat_pilot" in library.library_names()
    assert load_scenario("baseline").name == "baseline"


def test_a_users_scenario_anywhere_extends_the_library(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.toml").write_text(
        '[scenario]\nname = "mine"\nextends = "baseline"\n[interventions.hat]\n'
        "enabled = true\nstart = 2026-04-01\nplaces = { birmingham = 20 }\n"
    )
    s = load_scenario("mine.toml")
    assert s.name == "mine" and s.interventions["hat"].places["birmingham"] == 20
    # The calibrated values come through the library's baseline and its fitted parameters.
    assert s.params == {**load_scenario("baseline").params, **s.params}


def test_extends_looks_beside_the_file_first(tmp_path):
    (tmp_path / "baseline.toml").write_text('[scenario]\nname = "baseline"\nend = 2020-12-31\n')
    (tmp_path / "child.toml").write_text('[scenario]\nname = "child"\nextends = "baseline"\n')
    assert str(load_scenario(tmp_path / "child.toml").end) == "2020-12-31"


def test_extends_that_finds_nothing_says_where_it_looked(tmp_path):
    (tmp_path / "child.toml").write_text('[scenario]\nname = "child"\nextends = "no_such_one"\n')
    with pytest.raises(ScenarioError) as e:
        load_scenario(tmp_path / "child.toml")
    msg = str(e.value)
    assert str(tmp_path / "no_such_one.toml") in msg and str(library.SCENARIO_DIR / "no_such_one.toml") in msg


def test_extends_cannot_leave_the_project_through_a_link(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.toml").write_text('[scenario]\nname = "secret"\n')
    project = tmp_path / "project" / "scenarios"
    project.mkdir(parents=True)
    (project / "name.toml").symlink_to(outside / "secret.toml")  # the link itself is inside the folder
    (project / "child.toml").write_text('[scenario]\nname = "child"\nextends = "name"\n')
    with pytest.raises(ScenarioError, match="outside the places a scenario may extend from"):
        load_scenario(project / "child.toml")


def test_an_unknown_library_name_lists_the_library():
    with pytest.raises(ScenarioError, match="the library has: .*baseline"):
        find_scenario("baselin")


def test_folder_given_as_scenario_is_named_as_such(tmp_path):
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario(tmp_path)


def test_init_copies_the_library_to_edit_and_never_overwrites(tmp_path, capsys):
    out = tmp_path / "mine"
    assert main(["init", str(out)]) == 0
    assert (out / "scenarios" / "baseline.toml").is_file() and (out / "calibration" / "fitted.toml").is_file()
    assert not (out / "scenarios" / "__init__.py").exists()
    # The copy is self-contained: its baseline extends its own calibration.
    s = load_scenario(out / "scenarios" / "baseline.toml")
    assert any(str(out / "calibration" / "fitted.toml") == p for p, _ in s.files)
    (out / "notes.txt").write_text("mine")
    assert main(["init", str(out)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("action", ["calibrate", "predict", "add-targets"])
def test_calibration_is_never_written_into_an_installed_package(monkeypatch, action):
    from drugsim import cli

    monkeypatch.setattr(library, "SOURCE_TREE", False)
    with pytest.raises(cli._Refuse) as refused:
        cli._project_calibration("baseline", None, action)
    assert "drugsim init" in str(refused.value) and action in str(refused.value)
    # With --out it may write elsewhere, still reading the library's own calibration.
    _, reads, out = cli._project_calibration("baseline", "elsewhere", action)
    assert reads == library.CALIBRATION_DIR and out.name == "elsewhere"


def test_version():
    out = subprocess.run([*DRUGSIM, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"drugsim {library_version()}"


def library_version() -> str:
    from drugsim import __version__

    return __version__


def test_a_closed_pipe_is_not_an_error():
    # `drugsim parameters | head -1`: the reader goes away after one line.
    proc = subprocess.Popen([*DRUGSIM, "parameters"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_json_output_for_scripts(capsys):
    assert main(["parameters", "--group", "overdose", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(r["group"] == "overdose" and "source" in r for r in rows)
    assert main(["validate", "baseline", "hat_pilot", "--json"]) == 0
    assert [r["ok"] for r in json.loads(capsys.readouterr().out)] == [True, True]


def test_a_bug_is_one_line_with_the_log(monkeypatch, capsys):
    from drugsim import cli

    def broken(args):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cli, "_parameters", broken)
    assert main(["parameters"]) == 70
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "internal error (ZeroDivisionError: boom)" in err
    log = Path(err.split("details in ")[1].split(". Please")[0])
    assert "Traceback" in log.read_text()
    log.unlink()


def test_the_app_command_binds_to_this_machine_only():
    from drugsim.webapp.launch import command

    cmd = command(8600)
    assert "--server.address=127.0.0.1" in cmd and "--server.port=8600" in cmd
    assert "--server.maxUploadSize=1" in cmd and Path(cmd[4]).name == "main.py"


def test_import_is_not_shadowed_by_a_users_model_py(tmp_path):
    (tmp_path / "model.py").write_text("raise SystemExit('the wrong model was imported')\n")
    code = "import drugsim; from drugsim import run_scenario; print(drugsim.__version__)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def test_manifest_records_the_environment(tmp_path):
    from drugsim.results import environment

    env = environment()
    assert {"python", "platform", "machine", "packages", "git"} <= set(env)
    assert {"numpy", "pandas", "mesa", "pydantic"} <= {k.lower() for k in env["packages"]}
    assert env["git"] is None or len(env["git"]["commit"]) == 40


# --- a real install, as a new user would make it ---------------------------------------------------------------
def _venv(path: Path) -> Path:
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(path)], check=True)
    return path / "bin"


def _pip(bin_: Path, *args: str) -> None:
    subprocess.run([str(bin_ / "python"), "-m", "pip", "install", "-q", *args], check=True, capture_output=True)


@pytest.mark.slow
def test_a_wheel_works_from_an_unrelated_folder(tmp_path):
    """`pip install .` (not editable) into a fresh venv, then everything from a folder with a model.py in it."""
    bin_ = _venv(tmp_path / "venv")
    _pip(bin_, str(ROOT))
    work = tmp_path / "work"
    work.mkdir()
    (work / "model.py").write_text("raise SystemExit('the wrong model was imported')\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}

    def drugsim(*args, check=True):
        return subprocess.run(
            [str(bin_ / "drugsim"), *args], cwd=work, env=env, capture_output=True, text=True, check=check
        )

    installed = subprocess.run(
        [str(bin_ / "python"), "-m", "pip", "list", "--format=json"], capture_output=True, text=True, check=True
    ).stdout
    names = {p["name"].lower() for p in json.loads(installed)}
    assert not names & {"streamlit", "optuna", "dask", "distributed", "salib", "matplotlib"}, names
    assert drugsim("--version").stdout.strip().startswith("drugsim ")
    drugsim("run", "baseline", "--seed", "1", "--out", "X", "-q")
    assert (work / "X" / "results.parquet").is_file()
    (work / "mine.toml").write_text(
        '[scenario]\nname = "mine"\nextends = "baseline"\n'
        "[interventions.hat]\nenabled = true\nstart = 2026-04-01\n"
        "places = { birmingham = 50 }\n"
    )
    cmp = drugsim(
        "compare",
        "baseline",
        "mine.toml",
        "--psa",
        "2",
        "--period",
        "2026-2026",
        "--workers",
        "1",
        "--out",
        "C",
        "--json",
    )
    table = json.loads(cmp.stdout)["comparison"]
    assert any(r["scenario"] == "mine" and r["outcome"] == "in_hat" for r in table)
    assert any(r["measure"] == "cost_per_qaly_gbp" for r in json.loads(cmp.stdout)["appraisal"])  # core has the PSA
    py = subprocess.run(
        [str(bin_ / "python"), "-c", "import drugsim, sys; print(drugsim.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site-packages" in py
    # A command that needs an extra says which.
    sens = drugsim("sensitivity", "baseline", "--outcome", "drug_deaths", "--out", "S", check=False)
    assert sens.returncode == 2 and "pip install 'drugsim[sensitivity]'" in sens.stderr
    calib = drugsim("calibrate", "--quick", check=False)
    assert calib.returncode == 2 and "pip install 'drugsim[calibrate]'" in calib.stderr
    _pip(bin_, f"{ROOT}[app]")
    port = _free_port()
    app = subprocess.Popen(
        [str(bin_ / "drugsim"), "app", "--port", str(port)],
        cwd=work,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    assert r.status == 200
                    break
            except OSError:
                assert app.poll() is None and time.monotonic() < deadline, "drugsim app did not start"
                time.sleep(0.5)
    finally:
        app.terminate()
        app.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
