"""Modes and settings from the environment (decision 0002): checked in fresh interpreters."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SETUP = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps({k: str(getattr(settings, k)) "
    "for k in ('MODE', 'DEBUG', 'DATABASE_URL', 'SESSION_COOKIE_SECURE')}))"
)


def run(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ZHUJIAN_") and k != "DATABASE_URL"}
    clean.update({"DJANGO_SETTINGS_MODULE": "zhujian.settings", "ZHUJIAN_DATA_DIR": str(tmp_path)}, **env)
    return subprocess.run(
        [sys.executable, "-c", SETUP], env=clean, capture_output=True, text=True, timeout=60
    )


def test_demo_mode_is_the_default_and_keeps_its_secrets(tmp_path: Path) -> None:
    first = run({}, tmp_path)
    assert first.returncode == 0, first.stderr
    values = json.loads(first.stdout)
    assert values["MODE"] == "demo" and values["DEBUG"] == "False"
    assert values["DATABASE_URL"].startswith("sqlite:///") and str(tmp_path) in values["DATABASE_URL"]
    secrets_file = tmp_path / "secrets.json"
    saved = secrets_file.read_text()
    assert oct(secrets_file.stat().st_mode & 0o777) == "0o600"
    assert run({}, tmp_path).returncode == 0
    assert secrets_file.read_text() == saved  # generated once, then kept


def test_production_mode_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    result = run({"ZHUJIAN_MODE": "production"}, tmp_path)
    assert result.returncode != 0
    for name in ("ZHUJIAN_SECRET_KEY", "ZHUJIAN_FIELD_KEYS", "ZHUJIAN_INDEX_KEY"):
        assert name in result.stderr
    assert not (tmp_path / "secrets.json").exists()


def test_production_mode_with_secrets_from_the_environment(tmp_path: Path) -> None:
    result = run(
        {
            "ZHUJIAN_MODE": "production",
            "ZHUJIAN_SECRET_KEY": "x" * 60,
            "ZHUJIAN_FIELD_KEYS": "k2:" + "ab" * 16 + ",k1:" + "cd" * 16,
            "ZHUJIAN_INDEX_KEY": "ef" * 32,
        },
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["MODE"] == "production" and values["SESSION_COOKIE_SECURE"] == "True"
    assert not (tmp_path / "secrets.json").exists()


def test_a_bad_mode_or_key_list_is_named(tmp_path: Path) -> None:
    assert "ZHUJIAN_MODE" in run({"ZHUJIAN_MODE": "staging"}, tmp_path).stderr
    bad_keys = run(
        {
            "ZHUJIAN_MODE": "production",
            "ZHUJIAN_SECRET_KEY": "x" * 60,
            "ZHUJIAN_FIELD_KEYS": "k1:zz",
            "ZHUJIAN_INDEX_KEY": "ef" * 32,
        },
        tmp_path,
    )
    assert bad_keys.returncode != 0 and "ZHUJIAN_FIELD_KEYS" in bad_keys.stderr
