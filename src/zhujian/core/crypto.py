"""National (商用密码) algorithms behind one small interface: SM3 hashing, SM4-GCM field encryption
with rotating keys, and a keyed SM3 blind index for exact search on encrypted fields.

Keys come from Django settings (``FIELD_ENCRYPTION_KEYS``, ``FIELD_ENCRYPTION_CURRENT_KEY``,
``BLIND_INDEX_KEY``). Parsed keys are cached per process, keyed on the settings *values*, so an
override in tests takes effect at once.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import unicodedata
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "CryptoError",
    "DecryptionError",
    "UnknownKeyError",
    "blind_index",
    "decrypt_field",
    "encrypt_field",
    "field_key_id",
    "needs_rotation",
    "sm3_hex",
]

SCHEME = "sm4gcm"
_NONCE_LEN = 12  # 96-bit nonce: the GCM default, random per encryption
_TAG_LEN = 16
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")  # must not contain ":" (the token separator)
_WHITESPACE = re.compile(r"\s+")


class CryptoError(Exception):
    """Base class: a field could not be encrypted or decrypted."""


class UnknownKeyError(CryptoError):
    """The token names a key id that is not configured (retired too early, or foreign data)."""


class DecryptionError(CryptoError):
    """Malformed token, tampered ciphertext or wrong key."""


def sm3_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize().hex()


# ---------------------------------------------------------------------------------------------
# Field encryption


@lru_cache(maxsize=8)
def _parse_field_keys(items: tuple[tuple[str, str], ...]) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for key_id, key_hex in items:
        if not _KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: invalid key id {key_id!r}")
        try:
            key = bytes.fromhex(key_hex)
        except ValueError as exc:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS[{key_id!r}] is not hex") from exc
        if len(key) != 16:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS[{key_id!r}] must be 32 hex chars (SM4-128)")
        keys[key_id] = key
    return keys


def _field_keys() -> dict[str, bytes]:
    configured = getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or {}
    return _parse_field_keys(tuple(sorted((str(k), str(v)) for k, v in configured.items())))


def _current_key_id() -> str:
    key_id = str(getattr(settings, "FIELD_ENCRYPTION_CURRENT_KEY", "") or "")
    if key_id not in _field_keys():
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_CURRENT_KEY {key_id!r} is not in FIELD_ENCRYPTION_KEYS")
    return key_id


def encrypt_field(plaintext: str) -> str:
    """``sm4gcm:<key_id>:<base64(nonce + ciphertext + tag)>`` under the current key.

    The key id is authenticated as associated data, so a token cannot be relabelled to another key.
    """
    key_id = _current_key_id()
    nonce = os.urandom(_NONCE_LEN)
    encryptor = Cipher(algorithms.SM4(_field_keys()[key_id]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(key_id.encode("ascii"))
    ciphertext = encryptor.update(plaintext.encode("utf-8")) + encryptor.finalize()
    blob = base64.b64encode(nonce + ciphertext + encryptor.tag).decode("ascii")
    return f"{SCHEME}:{key_id}:{blob}"


def _split_token(token: str) -> tuple[str, str]:
    parts = token.split(":") if isinstance(token, str) else []
    if len(parts) != 3 or parts[0] != SCHEME or not parts[1]:
        raise DecryptionError("密文格式不正确（应为 sm4gcm:<密钥编号>:<数据>）")
    return parts[1], parts[2]


def field_key_id(token: str) -> str:
    """The key id a token was encrypted under (for re-encryption jobs)."""
    return _split_token(token)[0]


def needs_rotation(token: str) -> bool:
    """True if the token was not encrypted under the current key."""
    return field_key_id(token) != _current_key_id()


def decrypt_field(token: str) -> str:
    key_id, blob = _split_token(token)
    key = _field_keys().get(key_id)
    if key is None:
        raise UnknownKeyError(f"未配置密钥编号“{key_id}”，无法解密")
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptionError("密文数据不是有效的Base64编码") from exc
    if len(raw) < _NONCE_LEN + _TAG_LEN:
        raise DecryptionError("密文数据长度不足")
    nonce, ciphertext, tag = raw[:_NONCE_LEN], raw[_NONCE_LEN:-_TAG_LEN], raw[-_TAG_LEN:]
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(key_id.encode("ascii"))
    try:
        plaintext = decryptor.update(ciphertext) + decryptor.finalize()
    except InvalidTag as exc:
        raise DecryptionError("密文校验失败：数据被篡改或密钥不匹配") from exc
    return plaintext.decode("utf-8")


# ---------------------------------------------------------------------------------------------
# Blind index


@lru_cache(maxsize=32)
def _purpose_key(master_hex: str, purpose: str) -> bytes:
    # A per-purpose subkey (HMAC-SM3 of the purpose under the master key), so equal values under
    # different purposes (an ID number and a phone) never share an index value.
    try:
        master = bytes.fromhex(master_hex)
    except ValueError as exc:
        raise ImproperlyConfigured("BLIND_INDEX_KEY is not hex") from exc
    if len(master) < 16:
        raise ImproperlyConfigured("BLIND_INDEX_KEY must be at least 128 bits (32 hex chars)")
    mac = hmac.HMAC(master, hashes.SM3())
    mac.update(b"zhujian.blind-index\x00" + purpose.encode("utf-8"))
    return mac.finalize()


def _normalise_for_index(value: str) -> str:
    # Same value however typed: full-width to half-width, no whitespace, upper-case (the X of an
    # ID number). Callers should still pass the validated, canonical value.
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", value)).upper()


def blind_index(value: str, *, purpose: str) -> str:
    """HMAC-SM3 hex of the normalised value under the purpose's subkey (exact-match search)."""
    if not purpose:
        raise ValueError("blind_index needs a purpose, e.g. 'id_number' or 'phone'")
    key = _purpose_key(str(getattr(settings, "BLIND_INDEX_KEY", "") or ""), purpose)
    mac = hmac.HMAC(key, hashes.SM3())
    mac.update(_normalise_for_index(value).encode("utf-8"))
    return mac.finalize().hex()
