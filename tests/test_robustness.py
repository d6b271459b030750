"""Robustness, by class of defect: nothing lost, nothing wrong that looks right, nothing that crashes.

Each class is fixed at its root (the results writer, the argument parser, the scenario loader, the CLI's error
handling); these tests would have caught each of the cases found by the systematic attack."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from command_cases import CASES, setup

from drugsim.cli import main
from drugsim.results import ResultsError, check_writable, claim, write_results
from drugsim.scenario import ScenarioError, load_scenario, parse_scenario


def _meta():
    return {"model": "drugsim", "seeds": [0]}


# --- nothing lost ------------------------------------------------------------------------------------------------
def test_overwrite_never_removes_a_folder_drugsim_did_not_write(tmp_path):
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"years of work")
    with pytest.raises(ResultsError, match="did not write"):
        write_results(mine, None, _meta(), overwrite=True)
    assert (mine / "thesis.docx").read_bytes() == b"years of work"


def test_overwrite_never_removes_a_users_file_added_to_a_results_folder(tmp_path):
    out = tmp_path / "r"
    write_results(out, None, _meta(), extra={"comparison.csv": "a,b\n"})
    (out / "my_notes.txt").write_text("notes")
    with pytest.raises(ResultsError, match="my_notes.txt"):
        write_results(out, None, _meta(), overwrite=True)
    assert (out / "my_notes.txt").read_text() == "notes"


def test_overwrite_replaces_drugsims_own_results(tmp_path):
    out = tmp_path / "r"
    write_results(out, None, _meta(), extra={"comparison.csv": "old\n"})
    assert json.loads((out / "manifest.json").read_text())["written"] == ["comparison.csv", "manifest.json"]
    write_results(out, None, _meta(), overwrite=True, extra={"comparison.csv": "new\n"})
    assert (out / "comparison.csv").read_text() == "new\n"


def test_a_users_picture_in_an_older_results_folder_is_not_removed(tmp_path):
    """A folder written before manifests listed their files: only the names drugsim writes are its own."""
    out = tmp_path / "r"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps(_meta()))
    (out / "results.parquet").write_bytes(b"old")
    (out / "holiday.png").write_bytes(b"a picture")
    with pytest.raises(ResultsError, match="holiday.png"):
        write_results(out, None, _meta(), overwrite=True)
    assert (out / "holiday.png").read_bytes() == b"a picture"


def test_a_link_or_a_read_only_folder_is_never_replaced(tmp_path):
    target = tmp_path / "elsewhere"
    target.mkdir()
    link = tmp_path / "link"
    link.symlink_to(target)
    with pytest.raises(ResultsError, match="is a link"):
        write_results(link, None, _meta())
    assert link.is_symlink() and not list(tmp_path.glob(".link.*"))
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who may write anywhere (root)")
        with pytest.raises(ResultsError, match="read-only"):
            write_results(locked, None, _meta())
    finally:
        locked.chmod(0o755)


def test_calibration_commands_never_write_into_a_users_folder(tmp_path, capsys):
    """predict and calibrate write files by name (predictions.csv, REPORT.md): into a folder of the user's own they
    would replace the user's, so they are refused before any run."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "predictions.csv").write_text("my own forecasts")
    (mine / "REPORT.md").write_text("my report")
    assert main(["predict", "--runs", "1", "--out", str(mine), "-q"]) == 2
    assert main(["calibrate", "--quick", "--trials", "1", "--out", str(mine)]) == 2
    assert "not a drugsim calibration" in capsys.readouterr().err
    assert (mine / "predictions.csv").read_text() == "my own forecasts" and (
        mine / "REPORT.md"
    ).read_text() == "my report"


def test_a_fit_that_cannot_be_read_is_refused_in_one_line(tmp_path, capsys):
    (tmp_path / "fitted.toml").write_text("this is = = not toml")
    assert main(["calibrate", "--report-only", "--workers", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "does not hold a readable fit" in err and "internal error" not in err


def test_a_number_too_long_to_read_is_refused_as_such():
    with pytest.raises(ScenarioError, match="a number too long to read"):
        parse_scenario('[scenario]\nname = "x"\n[parameters]\nocg_count = ' + "9" * 5000 + "\n")


def test_impossible_ethnic_shares_are_said():
    s = parse_scenario(
        '[scenario]\nname = "x"\nextends = "baseline"\n[parameters]\nocu_eth_white = 0.85\nocu_eth_asian = 0.2\n'
        "ocu_eth_black = 0.15\n"
    )
    assert any("more than 1" in w and "rescaled" in w for w in s.warnings)


def test_the_same_settings_under_another_name_are_said(capsys):
    from drugsim.cli import _check_comparable

    baseline, ends = load_scenario("baseline"), load_scenario("cltf_ends_2026")
    _check_comparable([baseline, ends], "2026-01-01", "2030-12-31")
    assert "cltf_ends_2026 has the same parameters and settings as baseline" in capsys.readouterr().err
    _check_comparable([baseline, load_scenario("hat_pilot")], "2026-01-01", "2030-12-31")
    assert capsys.readouterr().err == ""


def test_sigterm_stops_a_command_as_ctrl_c_does(tmp_path):
    proc = subprocess.Popen(
        # Enough seeds that the command is still running when it is stopped, however busy the machine.
        [sys.executable, "-m", "drugsim.cli", "run", "baseline", "--seeds", "6", "-q", "--out", str(tmp_path / "r")],
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not (tmp_path / ".r.lock").exists() and time.monotonic() < deadline:  # the command holds its folder
        time.sleep(0.1)
    time.sleep(1)  # into the runs
    proc.terminate()
    err = proc.communicate(timeout=60)[1]
    assert proc.returncode == 130 and "interrupted; nothing was written" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no lock, no half-written folder


def test_a_folder_whose_manifest_is_not_drugsims_is_not_replaced(tmp_path):
    out = tmp_path / "r"
    out.mkdir()
    (out / "manifest.json").write_text('{"name": "some other tool"}')
    with pytest.raises(ResultsError, match="did not write"):
        check_writable(out, overwrite=True)


def test_run_overwrite_of_a_users_folder_is_refused_before_running(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "doc.txt").write_text("keep")
    assert main(["run", "baseline", "--out", str(mine), "--overwrite"]) == 2
    assert "did not write" in capsys.readouterr().err and (mine / "doc.txt").read_text() == "keep"


def test_a_second_command_on_the_same_folder_stops_at_once(tmp_path):
    out = tmp_path / "r"
    with claim(out):
        with pytest.raises(ResultsError, match="another drugsim command"):
            with claim(out):
                pass
    with claim(out):  # released
        pass
    assert not (tmp_path / ".r.lock").exists()


def test_leftovers_of_a_killed_command_are_tidied(tmp_path):
    out = tmp_path / "r"
    (tmp_path / ".r.partial-1234abcd").mkdir()
    (tmp_path / ".r.partial-1234abcd" / "results.parquet").write_bytes(b"half")
    # Killed between setting the old results aside and moving the new ones in: the old ones come back.
    old = tmp_path / ".r.old-5678"
    old.mkdir()
    (old / "manifest.json").write_text(json.dumps(_meta()))
    (tmp_path / ".other.partial-1").mkdir()  # another folder's: not ours to touch
    with claim(out):
        pass
    assert (out / "manifest.json").is_file()
    assert not list(tmp_path.glob(".r.*")) and (tmp_path / ".other.partial-1").is_dir()


def test_a_full_disk_while_keeping_runs_leaves_no_temporary_file(tmp_path, monkeypatch):
    import numpy as np

    from drugsim.ensemble import Run, RunStore

    store = RunStore(tmp_path / "runs")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    with pytest.raises(OSError, match="cannot keep finished runs"):
        store.save(Run(load_scenario("baseline"), 0, None), np.zeros(3))
    assert list((tmp_path / "runs").iterdir()) == []


# --- nothing wrong that looks right, and no tracebacks: every argument checked before the first run ---------------
def _command(argv: str, folder: Path) -> tuple[int, str]:
    """Run a command line in-process from `folder`; its exit code and what it printed on stderr."""
    import contextlib
    import io
    import shlex

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(shlex.split(argv.replace("{dir}", str(folder))))
        except SystemExit as e:  # argparse refuses an argument's value itself
            code = e.code
    return code, err.getvalue()


@pytest.mark.parametrize("kind, title, argv, phrase", CASES, ids=[c[1] for c in CASES])
def test_command_line_mistakes_stop_at_once_with_one_clear_message(tmp_path, monkeypatch, kind, title, argv, phrase):
    setup(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, err = _command(argv, tmp_path)
    assert code == 2 and phrase in err, err
    assert "Traceback" not in err and not (tmp_path / "o").exists() and not (tmp_path / "results").exists()
    assert (tmp_path / "documents" / "thesis.docx").read_bytes() == b"years of work"


@pytest.mark.parametrize("argv", ["run baseline --seed -1", "compare baseline baseline --out {dir}/o", "run {dir}"])
def test_the_installed_command_ends_in_one_line_not_a_traceback(tmp_path, argv):
    args = argv.replace("{dir}", str(tmp_path)).split()
    proc = subprocess.run([sys.executable, "-m", "drugsim.cli", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "drugsim" in proc.stderr


# --- the loader: small crafted files -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, message",
    [
        ("[scenario]\nname = 'x'\n[parameters]\na = " + "[" * 600 + "]" * 600, "nested too deeply"),
        ("[scenario]\nname = 'x'\n[" + ".".join(["a"] * 600) + "]\n", "nested more than 8 levels"),
        ('[scenario]\nname = "x"\nextends = "base\\u0000line"\n', "must be a scenario file name"),
        ("[scenario]\nname = '" + "a" * 5000 + "'\n", "(5,002 characters)"),
        ("[scenario]\nname='x'\n[parameters]\n" + "\n".join(f"k{i} = 1" for i in range(10_000)), "at most 5,000"),
    ],
)
def test_crafted_files_are_refused_with_a_short_message(text, message):
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text)
    assert message in str(e.value) and len(str(e.value)) < 4_000


def test_many_problems_give_a_bounded_message():
    text = "[scenario]\nname='x'\n[parameters]\n" + "\n".join(f"k{i} = 1" for i in range(4_000))
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text)
    lines = str(e.value).splitlines()
    assert len(lines) == 21 and "3,980 more problems" in lines[-1]


def test_a_byte_order_mark_is_harmless():
    assert parse_scenario(b'\xef\xbb\xbf[scenario]\nname = "x"\nextends = "baseline"\n').name == "x"


@pytest.mark.skipif(not hasattr(os, "mkfifo") or os.geteuid() == 0, reason="needs a FIFO and a non-root user")
def test_an_unreadable_file_is_named(tmp_path):
    f = tmp_path / "locked.toml"
    f.write_text('[scenario]\nname = "x"\n')
    f.chmod(0)
    with pytest.raises(ScenarioError, match="cannot be read"):
        load_scenario(f)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a FIFO")
def test_a_pipe_given_as_a_scenario_is_named(tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    with pytest.raises(ScenarioError, match="not a regular file"):
        load_scenario(fifo)


# --- faults -----------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_an_unreachable_cluster_is_named_quickly(tmp_path, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "o"
    code = main(["compare", "baseline", "hat_pilot", "--dask", "tcp://127.0.0.1:9", "--out", str(out)])
    assert code == 1 and "no Dask scheduler answered" in capsys.readouterr().err
