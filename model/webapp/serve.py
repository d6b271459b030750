"""Start the app as a real server on this machine (127.0.0.1) for browser tests and screenshots, and find the
system's Chromium. `drugsim app` is what users run; this runs the same command so a script can wait for it and
stop it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from drugsim.webapp.launch import command

#: Flags for a headless Chromium on a machine with no network beyond loopback.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    """The system Chromium (DRUGSIM_CHROMIUM overrides); raises with the install command if there is none."""
    path = os.environ.get("DRUGSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError(
            "Chromium not found: install it (Debian/Ubuntu: apt-get install chromium) or set DRUGSIM_CHROMIUM"
        )
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(timeout: float = 60.0) -> Iterator[str]:
    """Serve the app on a free port with the command `drugsim app` runs (bound to 127.0.0.1); yields its URL and
    stops it afterwards."""
    port = _free_port()
    proc = subprocess.Popen(command(port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read() if proc.poll() is not None else ""
                raise RuntimeError(f"the app did not start on {url}:\n{out}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
