"""Build a scenario: start from a library scenario, change any lever (places, officers, funding, dates, areas) and
see the spending it commits as you go; save it as a scenario file, or load one."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from drugsim.calendar import EARLIEST, LATEST
from drugsim.costs import committed_spend
from drugsim.interventions import REGISTRY
from drugsim.parameters import AREAS, parameter_table
from drugsim.scenario import ScenarioError, parse_scenario
from drugsim.webapp import state
from drugsim.webapp.builder import build, current, edit, fields, param_row
from drugsim.webapp.labels import money
from drugsim.webapp.widgets import plain, problem

st.title("Build a scenario")
st.markdown(
    "Start from a scenario in the library, or one built or loaded in this session to edit it, change the levers "
    "you want, and give it a name. The spending the settings commit (places, staff, funding) updates as you go. "
    "**Add it to my scenarios** makes it available on the Compare page for this session (under the same name, it "
    "replaces the earlier version); **Download** saves it as a scenario file you can load here again, run with "
    "`drugsim`, or share."
)

names = state.scenario_names()
start_name = st.selectbox(
    "Start from",
    names,
    index=names.index("baseline"),
    key="build_from",
    format_func=lambda n: n if n in state.library() else f"{n} (built or loaded in this session: edit it)",
)
start = state.scenario(start_name)
mine = start_name in state.built() and start_name not in state.library()


def _label(field: str) -> str:
    return field.replace("_", " ").replace("gbp", "(£)").capitalize()


def _dated_rows(title: str, value, key: str, columns: dict, to_row) -> list[dict]:
    """An editable table of dated rows (a schedule, funding changes): one row per date, every column required."""
    st.markdown(title)
    frame = pd.DataFrame(value or [], columns=list(columns))
    edited = st.data_editor(frame, num_rows="dynamic", key=key, column_config=columns, hide_index=True)
    return [to_row(r) for r in edited.dropna(subset=list(columns)).itertuples()]


def _whole_or_float(x) -> int | float:
    x = float(x)
    return int(x) if x.is_integer() else x


def _widget(iv: str, field: str, kind: str, value, key: str):
    """One input for one setting; returns the value chosen."""
    if kind == "bool":
        return st.checkbox(_label(field), value=bool(value), key=key)
    if kind == "date":
        return st.date_input(
            _label(field), value=value, min_value=EARLIEST, max_value=LATEST, key=key, format="YYYY-MM-DD"
        )
    if kind == "share":
        return st.slider(_label(field), 0.0, 1.0, float(value or 0.0), 0.05, key=key)
    if kind == "count":
        return st.number_input(_label(field) + " (blank: no limit)", min_value=0, value=value, step=1, key=key)
    if kind in ("places", "coverage"):
        st.markdown(f"**{_label(field)}** by local authority")
        cols = st.columns(4)
        out = {}
        for i, a in enumerate(AREAS):
            v = (value or {}).get(a, 0)
            with cols[i % 4]:
                if kind == "places":
                    out[a] = int(
                        st.number_input(a.title(), min_value=0, max_value=5000, value=int(v), step=5, key=f"{key}_{a}")
                    )
                else:
                    out[a] = float(st.slider(a.title(), 0.0, 1.0, float(v), 0.05, key=f"{key}_{a}"))
        return {a: v for a, v in out.items() if v or a in (value or {})}
    if kind == "schedule":
        # Whole amounts are written as TOML integers: officers are counted whole (52, not 52.0); staff may be 4.5.
        return _dated_rows(
            f"**{_label(field)}**: from each date, the number in that area (the latest date applies)",
            value,
            key,
            {
                "date": st.column_config.DateColumn("from", min_value=EARLIEST, max_value=LATEST, required=True),
                "area": st.column_config.SelectboxColumn("area", options=list(AREAS), required=True),
                "amount": st.column_config.NumberColumn("amount", min_value=0, required=True),
            },
            lambda r: {"date": pd.Timestamp(r.date).date(), "area": r.area, "amount": _whole_or_float(r.amount)},
        )
    if kind == "funding":
        return _dated_rows(
            f"**{_label(field)}**: from each date, the annual funding in £ (the latest date applies)",
            value,
            key,
            {
                "date": st.column_config.DateColumn("from", min_value=EARLIEST, max_value=LATEST, required=True),
                "annual_gbp": st.column_config.NumberColumn("£ a year", min_value=0, required=True),
            },
            lambda r: {"date": pd.Timestamp(r.date).date(), "annual_gbp": _whole_or_float(r.annual_gbp)},
        )
    if kind == "waves":
        st.markdown(
            "**Waves**: dates, the areas affected (comma-separated; blank for all seven) and, if known, the wave's "
            "size (blank: the parameter table's multipliers)"
        )
        sizes = ("overdose_multiplier", "fatality_multiplier")
        frame = pd.DataFrame(
            [
                {"start": w["start"], "end": w["end"], "areas": ", ".join(w.get("areas") or [])}
                | {s: w.get(s) for s in sizes}
                for w in value or []
            ],
            columns=["start", "end", "areas", *sizes],
        )
        edited = st.data_editor(
            frame,
            num_rows="dynamic",
            key=key,
            column_config={
                "start": st.column_config.DateColumn("start", min_value=EARLIEST, max_value=LATEST, required=True),
                "end": st.column_config.DateColumn("end", min_value=EARLIEST, max_value=LATEST, required=True),
                "areas": st.column_config.TextColumn("areas"),
                "overdose_multiplier": st.column_config.NumberColumn("overdoses x", min_value=0.0),
                "fatality_multiplier": st.column_config.NumberColumn("deaths per overdose x", min_value=0.0),
            },
            hide_index=True,
        )
        waves = []
        for r in edited.dropna(subset=["start", "end"]).to_dict(orient="records"):
            areas = [a.strip().lower() for a in str(r["areas"] or "").split(",") if a.strip()]
            wave = {"start": pd.Timestamp(r["start"]).date(), "end": pd.Timestamp(r["end"]).date()}
            wave["areas"] = areas or list(AREAS)
            waves.append(wave | {s: float(r[s]) for s in sizes if pd.notna(r[s])})
        return waves
    # A table parameter this lever may override: a slider over its plausible range.
    p = param_row(iv, field)
    lo, hi = min(p.low, float(value)), max(p.high, float(value))
    step = (hi - lo) / 200 if hi > lo else 1.0
    return st.slider(
        f"{_label(field)} ({p.unit})",
        min_value=float(lo),
        max_value=float(hi),
        value=float(value),
        step=float(step),
        key=key,
        help=f"{p.meaning}. Table value {p.value:g}, plausible range {p.low:g}-{p.high:g}. Source: {p.source}",
    )


st.subheader("Levers")
edited: dict[str, dict] = {}
table = parameter_table()
for iv, cls in REGISTRY.items():
    before = current(start, iv)
    on = "on" if iv in start.interventions and before.get("enabled", True) else "off"
    with st.expander(f"{iv.replace('_', ' ')} ({on} in {start_name})"):
        st.caption(cls.summary + (f" Off in {start_name}: tick **Enabled** to switch it on." if on == "off" else ""))
        values = {}
        policy = [(f, k) for f, k in fields(iv) if k != "param"]
        overrides = [(f, k) for f, k in fields(iv) if k == "param"]
        for f, kind in policy:
            values[f] = _widget(iv, f, kind, before.get(f), f"b_{start_name}_{iv}_{f}")
        if overrides:
            st.markdown("**Assumptions this lever may change** (defaults: the value the starting scenario uses)")
            for f, kind in overrides:
                values[f] = _widget(iv, f, kind, before[f], f"b_{start_name}_{iv}_{f}")
        if cls.use_costs:
            st.caption(
                "Also paid per use, shown after a run: "
                + "; ".join(f"`{n}` = {money(table[n].value)} ({table[n].meaning})" for n in cls.use_costs)
            )
        edited[iv] = values

st.subheader("Name and save")
c1, c2 = st.columns([1, 2])
# Editing a scenario of this session keeps its name, description and funding unless changed here.
name = c1.text_input(
    "Name (letters, digits, underscores)",
    value=start_name if mine else f"my_{start_name}",
    key=f"build_name_{start_name}" if mine else "build_name",
    max_chars=60,
)
description = c2.text_input(
    "What it is, in one sentence", value=start.description if mine else "", key=f"build_description_{start_name}"
)
funding = st.text_input(
    "Funding assumed (who pays, how much, until when)",
    value=start.funding if mine else "",
    key=f"build_funding_{start_name}",
)

try:
    if mine:  # its own file with the changes merged in: it keeps what it extends
        text, built = edit(state.built()[start_name], start, name, description, funding, edited)
    else:
        text, built = build(name, start, description, funding, edited)
except ScenarioError as e:
    problem("These settings are not a valid scenario:", e)
    st.stop()

spend_new, spend_old = committed_spend(built), committed_spend(start)
years = [y for y in spend_new.index if y >= dt.date.today().year]
committed = pd.DataFrame(
    {
        f"{start_name} (£)": spend_old.loc[years].sum(axis=1),
        # Editing a scenario under its own name: both columns would have the same heading.
        (f"{name}, edited (£)" if name == start_name else f"{name} (£)"): spend_new.loc[years].sum(axis=1),
    }
)
committed["change (£)"] = committed.iloc[:, 1] - committed.iloc[:, 0]
st.markdown(
    f"**Spending these settings commit, {years[0]}-{years[-1]}:** {money(committed.iloc[:, 1].sum())} "
    f"({money(committed['change (£)'].sum(), signed=True)} against `{start_name}`). Spending per use "
    "(referrals, kits, admissions) comes on top and is in the run results."
)
by_lever = (spend_new.loc[years].sum() - spend_old.loc[years].sum()).rename("change (£)")
c1, c2 = st.columns(2)
c1.dataframe(committed.style.format("{:,.0f}"), key="build_costs")
c2.dataframe(by_lever[by_lever.abs() > 0].to_frame().style.format("{:,.0f}"), key="build_costs_by_lever")
if built.warnings:
    problem("Outside the plausible range (allowed, but say why):", "\n".join(built.warnings), warning=True)

b1, b2, _ = st.columns([1, 1, 3])
if b1.button("Add to my scenarios", type="primary", key="build_add", icon=":material/add:"):
    if name in state.library():
        st.error(f"A library scenario is already called {plain(name)}: choose another name.")
    else:
        replaced = name in state.built()
        state.built()[name] = text
        st.success(
            f"{plain(name)} {'is updated' if replaced else 'is now'} in the Compare page's list for this session."
        )
b2.download_button(
    "Download scenario file",
    text,
    f"{name}.toml",
    "application/toml",
    key="build_download",
    on_click="ignore",
    icon=":material/download:",
)
with st.expander("The scenario file"):
    st.code(text, language="toml")

st.subheader("Load a scenario file")
upload = st.file_uploader(
    "A .toml scenario file (at most 256 KB). It may extend a library scenario such as `baseline`.",
    type=["toml"],
    key="build_upload",
)
# The uploader keeps its file across reruns: load each upload once, so that it never overwrites edits made since.
loaded_uploads = st.session_state.setdefault("build_loaded_uploads", set())
if upload is not None and upload.file_id not in loaded_uploads:
    try:
        loaded = parse_scenario(upload.getvalue(), upload.name)
        if loaded.name in state.library():
            raise ScenarioError(
                f"{upload.name}: scenario.name = {loaded.name!r} is the name of a library scenario; rename it"
            )
    except ScenarioError as e:
        problem("This file cannot be used:", e)
    else:
        loaded_uploads.add(upload.file_id)
        state.built()[loaded.name] = upload.getvalue().decode("utf-8")
        st.success(f"Loaded {plain(loaded.name)}: it is in the Compare page's list for this session.")
        if loaded.warnings:
            problem("Outside the plausible range (allowed, but say why):", "\n".join(loaded.warnings), warning=True)
