"""Command-line mistakes and the one-line message each gets: the cases of `tests/test_robustness.py` and of the
generated table in `docs/validation.md`. Every case stops before any run and writes nothing (exit code 2).

`{dir}` stands for a scratch folder that `setup` fills with the files the cases name."""

from __future__ import annotations

from pathlib import Path


def setup(folder: Path) -> None:
    """The files the cases refer to: a user's own folder, scenarios that cover less than the base, a plain file."""
    (folder / "documents").mkdir(exist_ok=True)
    (folder / "documents" / "thesis.docx").write_bytes(b"years of work")
    (folder / "late.toml").write_text('[scenario]\nname = "late"\nextends = "baseline"\nstart = 2026-01-01\n')
    (folder / "short.toml").write_text('[scenario]\nname = "short"\nextends = "baseline"\nend = 2027-12-31\n')
    (folder / "file.txt").write_text("not a folder")
    (folder / "link").symlink_to(folder / "documents")
    (folder / "share.csv").write_text('id,value,source\ndivert_engagement_2025,1.5,"a report, para 1"\n')


#: (class of mistake, what is wrong, the command's arguments, a phrase the message must contain)
CASES = [
    (
        "data loss",
        "--overwrite of a folder drugsim did not write",
        "run baseline --out {dir}/documents --overwrite",
        "did not write (thesis.docx)",
    ),
    ("data loss", "a results folder that already exists", "run baseline --out {dir}/documents", "already holds"),
    ("data loss", "init into a folder that is not empty", "init {dir}/documents", "not an empty folder"),
    ("data loss", "init onto a file", "init {dir}/file.txt", "not an empty folder"),
    ("data loss", "results into a link to a folder", "run baseline --out {dir}/link", "is a link"),
    ("data loss", "init into a link to a folder", "init {dir}/link", "is a link"),
    (
        "data loss",
        "predictions into a user's folder",
        "predict --runs 1 --out {dir}/documents",
        "not a drugsim calibration",
    ),
    (
        "looks valid but is not",
        "a period after the simulated years",
        "compare baseline hat_pilot --period 2031-2040 --out {dir}/o",
        "simulates 2019-01-01 to 2030-12-31 only",
    ),
    (
        "looks valid but is not",
        "a period that ends before it starts",
        "compare baseline hat_pilot --period 2030-2026 --out {dir}/o",
        "ends before it starts",
    ),
    (
        "looks valid but is not",
        "a period with an impossible date",
        "compare baseline hat_pilot --period 2026-13-45:2027-01-01 --out {dir}/o",
        "not real dates",
    ),
    (
        "looks valid but is not",
        "a period that is not a period",
        "compare baseline hat_pilot --period soon --out {dir}/o",
        "use YEAR-YEAR",
    ),
    (
        "looks valid but is not",
        "scenarios with different histories",
        "compare baseline {dir}/late.toml --out {dir}/o",
        "start on different dates",
    ),
    (
        "looks valid but is not",
        "a period one scenario does not cover",
        "compare baseline {dir}/short.toml --out {dir}/o",
        "not inside every scenario",
    ),
    (
        "looks valid but is not",
        "a scenario compared with itself",
        "compare baseline baseline --out {dir}/o",
        "given twice",
    ),
    ("looks valid but is not", "one scenario only", "compare baseline --out {dir}/o", "at least one other scenario"),
    (
        "looks valid but is not",
        "negative calibration draws",
        "compare baseline hat_pilot --draws -1 --out {dir}/o",
        "outside the allowed",
    ),
    (
        "looks valid but is not",
        "more draws than the calibration has",
        "compare baseline hat_pilot --fixed --draws 5000 --out {dir}/o",
        "accepted draws",
    ),
    (
        "looks valid but is not",
        "calibration draws asked of a PSA (which takes them itself)",
        "compare baseline hat_pilot --draws 3 --out {dir}/o",
        "add --fixed",
    ),
    (
        "looks valid but is not",
        "a parameter set that the table does not have",
        "compare baseline hat_pilot --set no_such_param=1 --out {dir}/o",
        "unknown parameter 'no_such_param'",
    ),
    (
        "looks valid but is not",
        "a parameter set outside its physical bounds",
        "compare baseline hat_pilot --set overdose_rate_per_year=-3 --out {dir}/o",
        "overdose_rate_per_year = -3.0 is not allowed",
    ),
    (
        "ordinary mistakes",
        "a parameter set without a value",
        "compare baseline hat_pilot --set qaly_value_gbp --out {dir}/o",
        "is not NAME=VALUE",
    ),
    (
        "looks valid but is not",
        "a price year the GDP deflator does not cover",
        "compare baseline hat_pilot --price-year 2050 --out {dir}/o",
        "the GDP deflator covers 2000-2030",
    ),
    (
        "looks valid but is not",
        "ranges stretched past ten times",
        "compare baseline hat_pilot --widen 11 --out {dir}/o",
        "outside the allowed",
    ),
    (
        "looks valid but is not",
        "a budget search that ends before portfolios start",
        "budget --budget 5000000 --period 2024-2025 --out {dir}/o",
        "portfolios start in April 2026",
    ),
    ("looks valid but is not", "no runs", "compare baseline hat_pilot --seeds 0 --out {dir}/o", "outside the allowed"),
    (
        "looks valid but is not",
        "a budget that is not a number",
        "budget --budget nan --out {dir}/o",
        "outside the allowed",
    ),
    ("looks valid but is not", "a negative budget", "budget --budget -5 --out {dir}/o", "outside the allowed"),
    ("looks valid but is not", "an infinite budget", "budget --budget inf --out {dir}/o", "outside the allowed"),
    ("ordinary mistakes", "a negative seed", "run baseline --seed -1", "outside the allowed 0 to 4,294,967,295"),
    (
        "ordinary mistakes",
        "a seed beyond 32 bits",
        "run baseline --seed 1180591620717411303424",
        "outside the allowed 0 to 4,294,967,295",
    ),
    (
        "ordinary mistakes",
        "negative workers",
        "compare baseline hat_pilot --workers -1 --out {dir}/o",
        "outside the allowed",
    ),
    (
        "ordinary mistakes",
        "a Dask address that is not one",
        "compare baseline hat_pilot --dask nonsense --out {dir}/o",
        "Dask scheduler address",
    ),
    ("ordinary mistakes", "an unknown scenario name", "run no_such_scenario", "the library has:"),
    ("ordinary mistakes", "a folder given as a scenario", "run {dir}/documents", "not a regular file"),
    ("ordinary mistakes", "a pack of a folder compare did not write", "brief {dir}/documents", "no manifest.json"),
    ("ordinary mistakes", "a pack of a folder that does not exist", "brief {dir}/nowhere", "no such results folder"),
    ("ordinary mistakes", "a published share above one", "score {dir}/share.csv", "at most 1"),
    ("ordinary mistakes", "a report without a fit", "calibrate --report-only --out {dir}/missing", "no fitted.toml"),
    (
        "ordinary mistakes",
        "an unknown outcome",
        "sensitivity baseline --outcome not_a_metric --out {dir}/s",
        "is not a metric",
    ),
]
