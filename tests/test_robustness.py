"""Robustness, by class of defect: nothing lost, nothing wrong that looks right, nothing that crashes.

Each class is fixed at its root (the results writer, the argument parser, the scenario loader, the CLI's error
handling); these tests would have caught each of the cases found by the systematic attack."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest

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


# --- nothing wrong that looks right: every argument checked before the first run ---------------------------------
@pytest.mark.parametrize(
    "args, message",
    [
        (["--period", "2031-2040"], "simulates 2019-01-01 to 2030-12-31 only"),
        (["--period", "2030-2026"], "ends before it starts"),
        (["--period", "2026-13-45:2027-01-01"], "not real dates"),
        (["--period", "soon"], "use YEAR-YEAR"),
        (["--seeds", "0"], "outside the allowed"),
        (["--draws", "-1"], "outside the allowed"),
        (["--workers", "-1"], "outside the allowed"),
        (["--seeds", "nan"], "not a whole number"),
        (["--dask", "not a url"], "Dask scheduler address"),
    ],
)
def test_bad_arguments_stop_before_anything_runs(tmp_path, capsys, args, message):
    out = tmp_path / "o"
    with pytest.raises(SystemExit) as e:
        main(["compare", "baseline", "hat_pilot", "--out", str(out), *args])
    assert e.value.code == 2 and message in capsys.readouterr().err and not out.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--budget", "nan"], "outside the allowed"),
        (["--budget", "-5"], "outside the allowed"),
        (["--budget", "inf"], "outside the allowed"),
    ],
)
def test_bad_budgets_stop_before_anything_runs(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit):
        main(["budget", "--out", str(tmp_path / "o"), *args])
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("seed", ["-1", str(2**70)])
def test_impossible_seeds_are_refused(tmp_path, capsys, seed):
    with pytest.raises(SystemExit):
        main(["run", "baseline", "--seed", seed, "--out", str(tmp_path / "o")])
    assert "outside the allowed 0 to 4,294,967,295" in capsys.readouterr().err


def test_scenarios_that_differ_in_what_they_cover_are_not_compared(tmp_path, capsys):
    late = tmp_path / "late.toml"
    late.write_text('[scenario]\nname = "late"\nextends = "baseline"\nstart = 2026-01-01\n')
    assert main(["compare", "baseline", str(late), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "start on different dates" in err and "late from 2026-01-01" in err
    short = tmp_path / "short.toml"
    short.write_text('[scenario]\nname = "short"\nextends = "baseline"\nend = 2027-12-31\n')
    assert main(["compare", "baseline", str(short), "--out", str(tmp_path / "o")]) == 2
    assert "not inside every scenario" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("others", [["baseline"], ["hat_pilot", "hat_pilot"]])
def test_a_scenario_compared_with_itself_is_refused(tmp_path, capsys, others):
    assert main(["compare", "baseline", *others, "--out", str(tmp_path / "o")]) == 2
    assert "given twice" in capsys.readouterr().err


def test_more_draws_than_the_calibration_has_are_refused(tmp_path, capsys):
    assert main(["compare", "baseline", "hat_pilot", "--draws", "5000", "--out", str(tmp_path / "o")]) == 2
    assert "accepted draws" in capsys.readouterr().err


def test_report_only_without_a_fit_is_refused(tmp_path, capsys):
    assert main(["calibrate", "--report-only", "--out", str(tmp_path / "missing")]) == 2
    assert "no fitted.toml" in capsys.readouterr().err


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


# --- no tracebacks for ordinary mistakes ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "argv",
    [
        ["compare", "baseline", "baseline", "--out", "{tmp}/o"],
        ["run", "--seed", "-1", "baseline"],
        ["run", "no_such_scenario"],
        ["run", "{tmp}"],
        ["compare", "baseline", "hat_pilot", "--workers", "-1", "--out", "{tmp}/o"],
        ["compare", "baseline", "hat_pilot", "--dask", "not a url", "--out", "{tmp}/o"],
        ["calibrate", "--report-only", "--out", "{tmp}/missing"],
        ["sensitivity", "baseline", "--outcome", "not_a_metric", "--out", "{tmp}/s"],
        ["init", "{tmp}/file.txt"],
    ],
)
def test_ordinary_mistakes_end_in_one_clear_line_not_a_traceback(tmp_path, argv):
    (tmp_path / "file.txt").write_text("x")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    proc = subprocess.run([sys.executable, "-m", "drugsim.cli", *argv], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "drugsim" in proc.stderr


@pytest.mark.slow
def test_an_unreachable_cluster_is_named_quickly(tmp_path, capsys):
    pytest.importorskip("distributed")
    out = tmp_path / "o"
    code = main(["compare", "baseline", "hat_pilot", "--dask", "tcp://127.0.0.1:9", "--out", str(out)])
    assert code == 1 and "no Dask scheduler answered" in capsys.readouterr().err
