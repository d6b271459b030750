"""Each lever's effect against the baseline, from one or two `drugsim compare` results folders, as a Markdown table:
`python docs/lever_effects.py RESULTS [EARLIER_RESULTS]`. With two folders, each cell shows the earlier model's
effect beside the current one, so a change in the answers is visible (the validation history uses this).

Each cell is the mean paired difference from the baseline over the comparison's period with its 90% interval.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

OUTCOMES = {
    "drug_deaths": ("deaths", 1),
    "acquisitive_crimes": ("acquisitive crimes", 1),
    "criminal_records": ("criminal records", 1),
    "in_treatment": ("in treatment (mean)", 1),
    "active_county_lines": ("active lines (mean)", 1),
    "runners_exploited": ("runners exploited (mean)", 1),
    "serious_violence_offences": ("serious violence", 1),
    "intervention_spend_gbp": ("spend (£m)", 1e6),
    "net_benefit_gbp": ("net benefit (£m)", 1e6),
}


def _cell(row: pd.Series, scale: float) -> str:
    mean, lo, hi = row.diff_mean / scale, row.diff_low / scale, row.diff_high / scale
    digits = 1 if scale > 1 else 0
    return f"{mean:+,.{digits}f} [{lo:+,.{digits}f}, {hi:+,.{digits}f}]"


def table(current: Path, earlier: Path | None = None) -> str:
    now = pd.read_csv(current / "comparison.csv")
    before = pd.read_csv(earlier / "comparison.csv") if earlier else None
    base = now.scenario.iloc[0]
    period = now.period.iloc[0]
    runs = int(now.runs.iloc[0])
    head = "| option | " + " | ".join(label for label, _ in OUTCOMES.values()) + " |"
    lines = [
        f"Differences from `{base}`, {period}, {runs} paired runs; mean [90% interval of the mean]."
        + (" Each cell: earlier model → current model." if before is not None else ""),
        "",
        head,
        "|" + " --- |" * (len(OUTCOMES) + 1),
    ]
    for scenario in now.scenario.unique():
        if scenario == base:
            continue
        cells = []
        for outcome, (_, scale) in OUTCOMES.items():
            row = now[(now.scenario == scenario) & (now.outcome == outcome)]
            text = _cell(row.iloc[0], scale) if len(row) else "n/a"
            if before is not None:
                old = before[(before.scenario == scenario) & (before.outcome == outcome)]
                text = (_cell(old.iloc[0], scale) if len(old) else "n/a") + " → " + text
            cells.append(text)
        lines.append(f"| `{scenario}` | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    args = [Path(a) for a in sys.argv[1:]]
    if not 1 <= len(args) <= 2:
        sys.exit(__doc__)
    print(table(args[0], args[1] if len(args) > 1 else None))
