"""Build an extra app for a test with some settings, leaving the environment as it was."""

from __future__ import annotations

import os
from typing import Any


def app_with_env(**env: str) -> Any:
    """create_app("testing") with ``env`` set only while the app reads its configuration."""
    from livechat import create_app

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return create_app("testing")
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
