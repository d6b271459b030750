"""drugsim's Streamlit front end, for `streamlit run app.py` in a clone. The app itself is `drugsim.webapp.main`
(installed with the package); `drugsim app` starts it from anywhere."""

from drugsim.webapp.main import main

main()
