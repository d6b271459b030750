"""The bibliography: the works that the parameter table and the calibration targets cite, one row each in
`data/references.csv` with the full reference, its kind, and the pattern by which a source text cites it.

Source texts in the tables are written for a reader ("RUSI SHOC 2020: about £7,000 a year ...; EVIDENCE.md §10");
this table turns them into a list of works, so a briefing pack can end with the works behind its numbers.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from drugsim.parameters import DATA_DIR

#: The order in which kinds of work are listed: the force's own reports first, modelling assumptions last.
KINDS = ("force report", "official statistics", "government report", "peer-reviewed", "other", "model assumption")


@dataclass(frozen=True)
class Reference:
    key: str
    citation: str
    kind: str
    pattern: re.Pattern


@functools.cache
def references() -> tuple[Reference, ...]:
    """Every work in the bibliography table, in the table's order."""
    table = pd.read_csv(DATA_DIR / "references.csv", dtype=str, keep_default_na=False)
    out = []
    for row in table.itertuples():
        if row.kind not in KINDS:
            raise ValueError(f"references.csv: {row.key} has kind {row.kind!r}; allowed: {', '.join(KINDS)}")
        out.append(Reference(row.key, row.citation, row.kind, re.compile(row.pattern)))
    return tuple(out)


def cited_sources() -> dict[str, str]:
    """Every source text the model cites, by what cites it: each parameter, each calibration target, each column of
    the area data, the deflators and the map boundaries."""
    from drugsim.parameters import parameter_table
    from drugsim.targets import read_targets

    out = {p.name: p.source for p in parameter_table().values()}
    out |= {f"target {t.id}": t.source for t in read_targets()}
    areas = pd.read_csv(DATA_DIR / "geography_sources.csv", dtype=str, keep_default_na=False)
    out |= {f"area data {c}": f"{s} {n}" for c, s, n in zip(areas.column, areas.source, areas.note, strict=True)}
    deflators = (DATA_DIR / "deflators.csv").read_text().splitlines()
    out["price deflators"] = " ".join(line.lstrip("# ") for line in deflators if line.startswith("#"))
    out["map boundaries"] = (DATA_DIR / "west_midlands_local_authorities.md").read_text()
    return out


def cites(source: str) -> list[Reference]:
    """The works a source text cites."""
    return [r for r in references() if r.pattern.search(source)]


def _counted(names: list[str]) -> str:
    """'31 parameters, 4 calibration targets': what cites a work, counted by kind (each is listed in its table)."""
    kinds = {"target ": "calibration targets", "area data ": "area data columns"}
    counts: dict[str, int] = {}
    for name in names:
        kind = next((k for prefix, k in kinds.items() if name.startswith(prefix)), "parameters")
        counts[kind] = counts.get(kind, 0) + 1
    return (
        ", ".join(f"{n} {kind if n > 1 else kind[:-1]}" for kind, n in counts.items())
        + " (each listed with its source)"
    )


def bibliography(sources: Mapping[str, str], list_at_most: int = 8) -> pd.DataFrame:
    """The works cited by `sources` (what cites -> its source text), one row each with what cites it: the force's
    reports first, then by kind and citation. Where many items cite a work, their number is given rather than a
    list that would run on for a page."""
    citing: dict[str, list[str]] = {}
    for name, text in sources.items():
        for ref in cites(text):
            citing.setdefault(ref.key, []).append(name)
    rows = []
    for ref in references():
        names = citing.get(ref.key)
        if not names:
            continue
        shown = ", ".join(names) if len(names) <= list_at_most else _counted(names)
        rows.append({"reference": ref.citation, "kind": ref.kind, "cited for": shown, "_order": KINDS.index(ref.kind)})
    if not rows:
        return pd.DataFrame(columns=["reference", "kind", "cited for"])
    return pd.DataFrame(rows).sort_values(["_order", "reference"], kind="stable").drop(columns="_order")
