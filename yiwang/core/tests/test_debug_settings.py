"""DEBUG only on explicit opt-in (tracebacks show settings and data to whoever triggers
an error), never in production; the demo serves its static files without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def _settings_in_a_fresh_process(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("YIWANG_")}
    code = (
        "import json; from yiwang import settings as s; "
        "print(json.dumps({'debug': s.DEBUG, 'finders': s.WHITENOISE_USE_FINDERS}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=Path(__file__).resolve().parents[3],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


def test_debug_is_off_unless_asked_for():
    assert _settings_in_a_fresh_process() == {"debug": False, "finders": True}
    assert _settings_in_a_fresh_process(YIWANG_DEBUG="1")["debug"] is True
    production = _settings_in_a_fresh_process(
        YIWANG_ENV="production", YIWANG_DEBUG="1", YIWANG_SECRET_KEY="x" * 50
    )
    assert production == {"debug": False, "finders": False}


@pytest.mark.django_db
def test_static_files_are_served_with_debug_off(client, settings):
    settings.DEBUG = False
    response = client.get("/static/web/site.css")
    assert response.status_code == 200
    assert b"--colour-" in b"".join(response.streaming_content)
