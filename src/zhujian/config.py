"""Typed settings from the environment, with the embedded defaults of demo mode.

Demo mode (the default when ``ZHUJIAN_MODE`` is unset) generates its secret and keys into the data
directory so that one command brings the platform up; production mode takes them from the
environment and refuses to start without them.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

DEMO = "demo"
PRODUCTION = "production"


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def mode() -> str:
    value = env_str("ZHUJIAN_MODE", DEMO).lower()
    if value not in {DEMO, PRODUCTION}:
        raise ImproperlyConfigured(f"ZHUJIAN_MODE must be 'demo' or 'production', got {value!r}")
    return value


def data_dir() -> Path:
    path = Path(env_str("ZHUJIAN_DATA_DIR", "./var")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _new_key_hex() -> str:
    return secrets.token_hex(16)  # SM4 keys are 128 bits


def demo_secrets(directory: Path) -> dict[str, object]:
    """Read (or create once) the demo secrets file in the data directory."""
    path = directory / "secrets.json"
    if path.exists():
        return json.loads(path.read_text(encoding="utf-8"))
    values: dict[str, object] = {
        "secret_key": secrets.token_urlsafe(50),
        "field_keys": {"k1": _new_key_hex()},
        "field_key_current": "k1",
        "index_key": secrets.token_hex(32),
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(values, indent=2), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return values


def production_secrets() -> dict[str, object]:
    """Secrets for production mode: every one from the environment, or start-up stops."""
    missing = [
        name
        for name in ("ZHUJIAN_SECRET_KEY", "ZHUJIAN_FIELD_KEYS", "ZHUJIAN_INDEX_KEY")
        if not env_str(name)
    ]
    if missing:
        raise ImproperlyConfigured("production mode needs these environment variables: " + ", ".join(missing))
    # ZHUJIAN_FIELD_KEYS: "k2:<32 hex>,k1:<32 hex>" — the first is the current key.
    keys: dict[str, str] = {}
    for item in env_str("ZHUJIAN_FIELD_KEYS").split(","):
        key_id, _, hex_value = item.strip().partition(":")
        if not key_id or len(hex_value) != 32:
            raise ImproperlyConfigured("ZHUJIAN_FIELD_KEYS must be 'id:<32 hex digits>,...'")
        keys[key_id] = hex_value
    return {
        "secret_key": env_str("ZHUJIAN_SECRET_KEY"),
        "field_keys": keys,
        "field_key_current": next(iter(keys)),
        "index_key": env_str("ZHUJIAN_INDEX_KEY"),
    }
