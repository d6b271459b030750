"""drugsim's Streamlit front end: the pieces the pages share (scenarios, cached runs, charts, exports).

The pages themselves live in `webapp/pages/`; `app.py` at the project root wires them into one app.
Everything here that does not draw on the page is plain Python, so it is tested without Streamlit.
"""
