"""Start the app: `drugsim app` and the browser tests run the same command.

The server settings (127.0.0.1 only, upload limit, theme) live in one file, `.streamlit/config.toml`, which
`streamlit run app.py` reads in a clone; installed, the package carries it as `streamlit_config.toml` and passes
each setting on the command line, since Streamlit reads a config file only from the working folder or the home
folder.
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
MAIN = HERE / "main.py"
CONFIG = HERE / "streamlit_config.toml"


def _flag(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _settings(table: dict, prefix: str = "") -> list[tuple[str, object]]:
    """The config's settings as (dotted name, value), nested tables such as [theme.dark] included."""
    out = []
    for key, value in table.items():
        if isinstance(value, dict):
            out += _settings(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out


def server_flags() -> list[str]:
    """Every setting of the config file as a `--section.key=value` flag."""
    return [f"--{name}={_flag(v)}" for name, v in _settings(tomllib.loads(CONFIG.read_text()))]


def command(port: int | None = None) -> list[str]:
    """The command that serves the app on 127.0.0.1 (on `port`, or Streamlit's default 8501)."""
    port_flag = [f"--server.port={port}"] if port else []
    return [sys.executable, "-m", "streamlit", "run", str(MAIN), *server_flags(), *port_flag]
