"""The README's run command points the links in emails at the server it starts."""

import os
import subprocess
from pathlib import Path

RUN = Path(__file__).resolve().parent.parent / "scripts" / "run"


def _base_url(**env) -> str:
    # Only the lines that choose the port and the base URL, not the set-up and server.
    lines = [
        line
        for line in RUN.read_text().splitlines()
        if line.startswith(("port=", "export SAAF_BASE_URL="))
    ]
    assert len(lines) == 2
    script = "\n".join([*lines, 'echo "$SAAF_BASE_URL"'])
    clean = {k: v for k, v in os.environ.items() if k not in {"PORT", "SAAF_BASE_URL"}}
    result = subprocess.run(  # noqa: S603
        ["/bin/bash", "-c", script],
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_base_url_follows_port_unless_set():
    assert _base_url() == "http://localhost:8000"
    assert _base_url(PORT="8123") == "http://localhost:8123"
    assert _base_url(PORT="8123", SAAF_BASE_URL="https://saaf.example") == "https://saaf.example"
