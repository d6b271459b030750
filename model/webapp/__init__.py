"""drugsim's Streamlit front end: the pieces the pages share (scenarios, cached runs, charts, exports).

The pages themselves live in `pages/`; `main.py` wires them into one app (`drugsim app` starts it).
Everything here that does not draw on the page is plain Python, so it is tested without Streamlit.
"""
