"""drugsim's Streamlit front end, for `streamlit run app.py` in a clone. The app itself is `drugsim.webapp.main`
(installed with the package); `drugsim app` starts it from anywhere."""

from drugsim.webapp.main import main

# Streamlit runs this file as __main__. A worker process started while it runs (a comparison's) imports it again as
# __mp_main__ (multiprocessing re-imports the main script in each new process), and must not run the app there.
if __name__ == "__main__":
    main()
