"""drugsim's Streamlit front end. Start it with `streamlit run app.py` (serves http://127.0.0.1:8501 only).

Pages: Compare scenarios, Build a scenario, Assumptions, Calibration, Export. The pages live in `webapp/pages/`;
the shared pieces (scenarios, cached runs, charts, exports) in `webapp/`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts the script's folder on the path only for the script; the pages import `webapp` and `model`.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from webapp.pages import pages  # noqa: E402

st.set_page_config(page_title="drugsim: West Midlands drug policy simulator", page_icon=":bar_chart:", layout="wide")
page = st.navigation(pages())
with st.sidebar:
    st.caption(
        "drugsim simulates every person who uses heroin or crack, and the cannabis and cocaine users the police "
        "meet, in the seven local authorities of the West Midlands Police area, week by week from 2019 to 2030. "
        "Every number it uses is in the Assumptions page with its source."
    )
page.run()
