"""drugsim's Streamlit front end. Start it with `drugsim app` (or `streamlit run app.py` in a clone); it serves
http://127.0.0.1:8501 only.

Pages: Start here, Compare scenarios, Build a scenario, Assumptions, Assumptions that matter, Calibration, Export.
The pages live in `drugsim/webapp/pages/`; the shared pieces (scenarios, cached runs, charts, exports) in
`drugsim/webapp/`.
"""

from __future__ import annotations

import logging
import uuid

import streamlit as st

from drugsim.webapp import state
from drugsim.webapp.pages import pages

log = logging.getLogger("drugsim.app")


def main() -> None:
    st.set_page_config(
        page_title="drugsim: West Midlands drug policy simulator", page_icon=":bar_chart:", layout="wide"
    )
    state.keep_settings()
    page = st.navigation(pages())
    with st.sidebar:
        st.caption(
            "drugsim simulates every person who uses heroin or crack, and the cannabis and cocaine users the police "
            "meet, in the seven local authorities of the West Midlands Police area, week by week from 2019 to 2030. "
            "Every number it uses is in the Assumptions page with its source."
        )
    try:
        page.run()
    except Exception:  # a bug: a plain message and a reference on the page, the detail in the server's log
        ref = uuid.uuid4().hex[:8]
        log.exception("app error, reference %s", ref)
        st.error(
            f"Something went wrong on this page (reference {ref}). Your scenarios and finished runs are kept; "
            "the detail is in the app's log under that reference."
        )


if __name__ == "__main__":  # `streamlit run` executes this file as __main__
    main()
