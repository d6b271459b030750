"""The app's pages, in the order of the navigation menu."""

from pathlib import Path

import streamlit as st

HERE = Path(__file__).parent


def pages() -> list:
    return [
        st.Page(str(HERE / "start.py"), title="Start here", icon=":material/home:", default=True),
        st.Page(str(HERE / "compare.py"), title="Compare scenarios", icon=":material/compare_arrows:"),
        st.Page(str(HERE / "build.py"), title="Build a scenario", icon=":material/tune:"),
        st.Page(str(HERE / "assumptions.py"), title="Assumptions", icon=":material/menu_book:"),
        st.Page(str(HERE / "sensitivity.py"), title="Assumptions that matter", icon=":material/troubleshoot:"),
        st.Page(str(HERE / "calibration.py"), title="Calibration", icon=":material/straighten:"),
        st.Page(str(HERE / "export.py"), title="Export", icon=":material/download:"),
    ]
