"""Calibration: how well the calibrated baseline reproduces the reports' figures, for the targets it was fitted to
and for the holdout targets it never saw."""

from __future__ import annotations

import json
import tomllib

import pandas as pd
import streamlit as st

from drugsim.calibrate import read_draws
from drugsim.parameters import parameter_table
from drugsim.targets import CALIBRATION_DIR
from drugsim.webapp import charts, trust
from drugsim.webapp.widgets import chart, table_downloads

st.title("Calibration")
summary = json.loads((CALIBRATION_DIR / "report_summary.json").read_text())
fit = pd.read_csv(CALIBRATION_DIR / "fit_table.csv")
st.markdown(
    "The model's free parameters were fitted to figures the reports published up to the end of 2022 (*fitting "
    "targets*). Figures first published in the 2025 report (2023-2024) were kept back and never used in fitting "
    "(*holdout targets*): how close the model gets to them is a fair test of its projections. A target is met "
    "when the simulated mean is within its tolerance, set before fitting."
)
st.markdown(f"**In plain words.** {trust.overall()}")
missed = trust.misses()
if missed:
    with st.expander(f"The {len(missed)} published figures the model missed (simulated against reported)"):
        st.markdown("\n".join(f"- {m}" for m in missed))
c1, c2, c3 = st.columns(3)
c1.metric("Fitting targets met", f"{summary['fitting_within']} of {summary['fitting_n']}", border=True)
c2.metric("Holdout targets met", f"{summary['holdout_within']} of {summary['holdout_n']}", border=True)
c3.metric(
    "Mean |z| fitting / holdout",
    f"{summary['fitting_mean_abs_z']:.2f} / {summary['holdout_mean_abs_z']:.2f}",
    help="|z| = 1 is a miss by exactly the tolerance (on a log scale).",
    border=True,
)
chart(
    lambda: charts.calibration(fit),
    "calibration_fit",
    "calibration_fit",
    "Each target's simulated mean relative to the reported figure, with the 90% interval of runs and the tolerance.",
)

fitting, holdout, series, params, caveats, history, registered = st.tabs(
    [
        "Fitting targets",
        "Holdout targets",
        "Series",
        "Fitted parameters",
        "Caveats",
        "Validation history",
        "Predictions on record",
    ]
)
cols = ["target", "metric", "area", "start", "end", "observed", "simulated_mean", "simulated_low", "simulated_high"]
cols += ["relative_error", "tolerance", "within", "source"]
for tab, use in ((fitting, "fitting"), (holdout, "holdout")):
    with tab:
        t = fit[fit.use == use][cols]
        st.dataframe(t, hide_index=True, key=f"cal_{use}")
        table_downloads(t, f"calibration_{use}_targets", f"cal_{use}")
with series:
    plots = sorted((CALIBRATION_DIR / "plots").glob("*.png"))
    pick = st.selectbox("Series", [p.stem for p in plots], key="cal_series")
    st.image(
        str(CALIBRATION_DIR / "plots" / f"{pick}.png"),
        caption=f"{pick}: simulated quarterly totals (band: runs) against the reported figures.",
    )
with params:
    fitted = tomllib.loads((CALIBRATION_DIR / "fitted.toml").read_text())["parameters"]
    draws = read_draws()
    table = parameter_table()
    frame = pd.DataFrame(
        [
            {
                "parameter": n,
                "table value": table[n].value,
                "range": f"{table[n].low:g}-{table[n].high:g}",
                "fitted": v,
                "accepted draws": f"{min(d[n] for d in draws):.4g}-{max(d[n] for d in draws):.4g}",
                "source": table[n].source,
            }
            for n, v in fitted.items()
        ]
    )
    st.markdown(f"{len(fitted)} free parameters; {len(draws)} accepted parameter sets carry their uncertainty.")
    st.dataframe(frame, hide_index=True, key="cal_params")
    table_downloads(frame, "calibration_fitted_parameters", "cal_params")
with caveats:
    report = (CALIBRATION_DIR / "REPORT.md").read_text()
    st.markdown(report[report.index("## Conflicts and caveats") :])
    st.caption("The full report with every table and plot is calibration/REPORT.md.")
with history:
    # Each version's scores, and the structural changes made after the holdout had been seen (our own file).
    st.markdown((CALIBRATION_DIR / "VALIDATION.md").read_text())
with registered:
    predictions = pd.read_csv(CALIBRATION_DIR / "predictions.csv")
    first = predictions.iloc[0]
    st.markdown(
        f"Forecasts registered on {first['written']} by model version {first['model_version']}, before the figures "
        f"exist, from {first['runs']} runs across {first['draws']} accepted parameter sets. When a figure is "
        "published, `drugsim score` checks it against its 90% interval (see the README, *When new figures are "
        "published*)."
    )
    shown = predictions[["what", "start", "end", "mean", "p05", "p95", "likely_source"]].rename(
        columns={"p05": "90% interval from", "p95": "90% interval to", "likely_source": "likely to be published in"}
    )
    st.dataframe(shown, hide_index=True, key="cal_predictions")
    table_downloads(shown, "registered_predictions", "cal_predictions")
