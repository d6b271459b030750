"""The first screen: what the tool is for, example questions that open ready-made comparisons, how far to trust
the model, and the words it uses."""

from __future__ import annotations

import streamlit as st

from drugsim.webapp import state, trust
from drugsim.webapp.labels import GLOSSARY
from drugsim.webapp.pages import HERE

#: Example questions: the question, what the comparison shows, and the library scenarios compared with the baseline.
EXAMPLES = (
    (
        "Should take-home naloxone go force-wide?",
        "Kits for people who use opioids and those around them, against today's provision: deaths, crime and money.",
        ("naloxone_take_home",),
    ),
    (
        "Is heroin-assisted treatment worth scaling up?",
        "The Middlesbrough-style pilot scaled across the force area: lives, crime by prolific offenders, cost.",
        ("hat_scaled",),
    ),
    (
        "Keep the County Lines Taskforce, or let it end?",
        "Funding made permanent, and funding ending in April 2026: county lines, violence and exploitation.",
        ("cltf_permanent", "cltf_ends_2026"),
    ),
)

st.title("What would it change?")
st.markdown(
    "**drugsim** simulates drug harm, drug supply and county lines in the seven local authorities of the West "
    "Midlands Police area, week by week from 2019 to 2030, and compares policy options: pre-arrest diversion "
    "(Divert), heroin-assisted treatment, naloxone, the County Lines Taskforce, Offending to Recovery and arrest "
    "referral. Every answer is a difference from a base scenario, with an interval that carries what the evidence "
    "leaves open; every number the model uses has a source on the **Assumptions** page."
)

st.subheader("Start with a question")
library = state.library()
for col, (question, detail, scenarios) in zip(st.columns(len(EXAMPLES)), EXAMPLES, strict=True):
    with col.container(border=True):
        st.markdown(f"**{question}**")
        st.caption(detail)
        ready = all(s in library for s in scenarios)
        if st.button(
            "Show the answer", key=f"example_{scenarios[0]}", disabled=not ready, icon=":material/play_arrow:"
        ):
            # The Compare page takes these before it draws its widgets, and runs the comparison at once.
            st.session_state["example"] = {"base": "baseline", "others": list(scenarios)}
            st.switch_page(str(HERE / "compare.py"))
st.caption("Or open **Compare scenarios** to choose your own, or **Build a scenario** to set the levers yourself.")

st.subheader("How far to trust it")
st.markdown(trust.overall())
missed = trust.misses()
if missed:
    st.markdown("Published figures the model missed (simulated against reported):")
    st.markdown("\n".join(f"- {m}" for m in missed))
st.caption("The **Calibration** page has every target, its source and the model's interval.")

st.subheader("Words used here")
for word, meaning in GLOSSARY.items():
    st.markdown(f"**{word}**: {meaning}")
