"""Results folders: results.parquet and manifest.json, written atomically (a folder appears whole or not
at all), and the annual summary table."""

from __future__ import annotations

import datetime as dt
import glob
import json
import os
import platform
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from drugsim.metrics import METRICS
from drugsim.parameters import FORCE_AREA
from drugsim.scenario import ResolvedScenario

#: The outcomes shown in the printed summary.
SUMMARY_METRICS = (
    "drug_deaths",
    "overdoses",
    "overdoses_reversed",
    "ocu_active",
    "in_treatment",
    "acquisitive_crimes",
    "possession_detections",
    "divert_referrals",
    "possession_charges",
    "possession_cautions",
    "cars_referrals",
    "active_county_lines",
    "type1_outcomes",
    "nrm_referrals",
    "trafficking_offences",
    "market_revenue_gbp",
    "spend_total_gbp",
)


class ResultsError(OSError):
    """The results folder cannot be written; nothing was left half-written."""


def _git_commit() -> dict | None:
    """The commit of a clone that drugsim runs from (and whether it has uncommitted changes), or None."""
    import subprocess

    from drugsim.library import LIBRARY_ROOT, SOURCE_TREE

    if not SOURCE_TREE:
        return None
    try:

        def git(*a):
            return subprocess.run(
                ["git", *a], cwd=LIBRARY_ROOT, capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()

        return {"commit": git("rev-parse", "HEAD"), "uncommitted_changes": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):  # no git, or not a repository
        return None


def _installed() -> dict[str, str]:
    """Every installed distribution's name and version, from the header lines of its metadata file. (Reading them
    with `Distribution.metadata` parses each whole file as an e-mail message: 15 times slower, about 0.15 s a
    command.)"""
    from importlib.metadata import distributions

    packages = {}
    for d in distributions():
        name = version = None
        for line in (d.read_text("METADATA") or d.read_text("PKG-INFO") or "").splitlines():
            if not line:  # the headers end at the first blank line
                break
            if line.startswith("Name: "):
                name = line[6:].strip()
            elif line.startswith("Version: "):
                version = line[9:].strip()
        if name:
            packages[name] = version
    return packages


def environment() -> dict:
    """What produced a result: Python, the platform, every installed package's version and the git commit."""
    packages = _installed()
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "git": _git_commit(),
        "packages": dict(sorted(packages.items(), key=lambda kv: kv[0].lower())),
    }


def manifest(scenario: ResolvedScenario, seeds: list[int], wall_time_s: float, n_rows: int) -> dict:
    from drugsim import __version__

    return {
        "model": "drugsim",
        "model_version": __version__,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "scenario": {
            "name": scenario.name,
            "description": scenario.description,
            "funding": scenario.funding,
            "start": scenario.start.isoformat(),
            "end": scenario.end.isoformat(),
            "content_sha256": scenario.content_sha256,
            "resolved_sha256": scenario.resolved_sha256,
            "files": [{"path": p, "content": t} for p, t in scenario.files],
        },
        "seeds": list(seeds),
        "parameters": scenario.params,
        "interventions": {k: v.model_dump(mode="json") for k, v in scenario.interventions.items()},
        "warnings": scenario.warnings,
        "wall_time_seconds": round(wall_time_s, 3),
        "environment": environment(),
        "results": {
            "file": "results.parquet",
            "rows": n_rows,
            "columns": ["scenario", "seed", "week", "area", "metric", "value"],
        },
        "metrics": {m.name: {"kind": m.kind, "unit": m.unit, "meaning": m.meaning} for m in METRICS.values()},
    }


#: Files a results folder may hold (what `run`, `compare`, `budget` and `sensitivity` write), for folders written
#: before manifests listed their files.
KNOWN_FILES = {
    "results.parquet",
    "manifest.json",
    "comparison.csv",
    "budget.csv",
    "indices.csv",
    "ranking.csv",
    "design.csv",
    "summary.md",
    *(f"{chart}.{kind}" for chart in ("tornado", "morris", "sobol") for kind in ("png", "svg")),
}


def written_by_drugsim(out: Path) -> tuple[bool, list[str]]:
    """Whether `out` is a results folder drugsim wrote (a drugsim manifest, and only the files it lists);
    returns the verdict and the names of any files that are not drugsim's."""
    try:
        meta = json.loads((out / "manifest.json").read_text())
    except (OSError, ValueError):
        return False, sorted(p.name for p in out.iterdir())[:10]
    if not isinstance(meta, dict) or meta.get("model") != "drugsim":
        return False, ["manifest.json (not a drugsim manifest)"]
    # Folders written before manifests listed their files: only the names drugsim writes (a user's own picture in
    # one is theirs, whatever its extension).
    ours = set(meta.get("written") or KNOWN_FILES) | {"manifest.json"}
    others = sorted(p.name for p in out.iterdir() if p.name not in ours)
    return not others, others[:10]


def check_writable(out: Path, overwrite: bool) -> None:
    """Refuse early (before any run) if `out` cannot be (re)written. `--overwrite` replaces only a results folder
    that drugsim wrote, holding nothing else: a user's own folder or file is never removed."""
    if out.is_symlink():  # results replace the folder: a link would be replaced, not what it points to
        raise ResultsError(f"{out}: is a link (to {os.readlink(out)}); give the folder itself as --out")
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out}: exists and is not a folder")
    if out.is_dir() and not os.access(out, os.W_OK):
        raise ResultsError(f"{out}: is read-only; drugsim does not replace a folder it may not write")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise ResultsError(f"{out}: already holds results; choose another --out or pass --overwrite")
        ours, others = written_by_drugsim(out)
        if not ours:
            raise ResultsError(
                f"{out}: holds files drugsim did not write ({', '.join(others)}); --overwrite replaces only a "
                "results folder drugsim wrote, so nothing was changed: choose another --out"
            )
    parent = out.parent if out.parent != Path("") else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        probe_writable(parent)
    except OSError as e:
        raise ResultsError(f"{parent}: cannot write results here ({e.strerror or e})") from None


def probe_writable(folder: Path) -> None:
    """Make and remove a folder in `folder` (OSError if that fails): permissions, read-only file systems and
    special folders all show here, even for root, which os.access does not."""
    probe = folder / f".drugsim-probe-{uuid.uuid4().hex[:8]}"
    probe.mkdir()
    probe.rmdir()


@contextmanager
def claim(out: Path) -> Iterator[None]:
    """Hold the results folder `out` for one command: a second drugsim command with the same --out stops at once
    (instead of doing all its runs before one of them fails), and what a killed earlier command left beside it is
    tidied: a half-written `.partial-*` folder is removed; a previous results folder set aside as `.old-*` is put
    back if its replacement never arrived, and removed if it did."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, the rest still holds
        fcntl = None
    out.parent.mkdir(parents=True, exist_ok=True)
    lock = out.parent / f".{out.name}.lock"
    fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ResultsError(
                    f"{out}: another drugsim command is writing this folder now; wait for it or choose another --out"
                ) from None
        name = glob.escape(out.name)
        for stale in sorted(out.parent.glob(f".{name}.old-*")):
            if out.exists():
                shutil.rmtree(stale, ignore_errors=True)
            else:
                stale.rename(out)
        for stale in out.parent.glob(f".{name}.partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
        yield
    finally:
        lock.unlink(missing_ok=True)
        os.close(fd)


def write_results(
    out: Path,
    frame: pd.DataFrame | None,
    meta: dict,
    overwrite: bool = False,
    extra: dict[str, str | bytes] | None = None,
) -> Path:
    """Write results.parquet (if a frame is given), manifest.json and any `extra` files (text or bytes) into `out`
    atomically."""
    out = Path(out)
    check_writable(out, overwrite)
    meta = {
        **meta,
        "written": sorted({"manifest.json", *(["results.parquet"] if frame is not None else []), *(extra or {})}),
    }
    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        tmp.mkdir()
        if frame is not None:
            frame.to_parquet(tmp / "results.parquet", index=False)
        (tmp / "manifest.json").write_text(json.dumps(meta, indent=2, default=str))
        for name, content in (extra or {}).items():
            if isinstance(content, bytes):
                (tmp / name).write_bytes(content)
            else:
                (tmp / name).write_text(content)
        old = None
        if out.exists():
            old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ResultsError(f"{out}: could not write results ({e.strerror or e})") from None
    return out


def annual_summary(frame: pd.DataFrame, metrics=SUMMARY_METRICS) -> pd.DataFrame:
    """Force-wide annual values, mean over seeds: flows summed over the year, stocks averaged. A week that
    straddles New Year counts in each year for its days there (see `Calendar.period_weights`)."""
    df = frame[(frame["area"] == FORCE_AREA) & frame["metric"].isin(metrics)].copy()
    df["metric"] = df["metric"].astype(str)
    start = pd.to_datetime(df["week"])
    year = start.dt.year
    days_this_year = (pd.to_datetime((year + 1).astype(str) + "-01-01") - start).dt.days.clip(upper=7)
    share = days_this_year / 7.0
    parts = pd.concat([df.assign(year=year, w=share), df.assign(year=year + 1, w=1.0 - share)], ignore_index=True)
    parts = parts[(parts["w"] > 0) & (parts["year"] <= year.max())]  # not the days the last week runs past the end
    parts["wv"] = parts["w"] * parts["value"]
    kinds = parts["metric"].map({m: METRICS[m].kind for m in metrics})
    grouped = parts.groupby([kinds.rename("kind"), "metric", "year", "seed"])[["wv", "w"]].sum()
    flows = grouped.loc["flow", "wv"] if "flow" in grouped.index.get_level_values(0) else None
    stocks = (
        (grouped.loc["stock", "wv"] / grouped.loc["stock", "w"])
        if "stock" in grouped.index.get_level_values(0)
        else None
    )
    table = pd.concat([x for x in (flows, stocks) if x is not None]).groupby(["metric", "year"]).mean()
    table = table.unstack("year")
    return table.reindex([m for m in metrics if m in table.index])
