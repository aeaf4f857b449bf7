from __future__ import annotations

import base64

import pytest
from django.core.exceptions import ImproperlyConfigured

from zhujian.core.crypto import (
    DecryptionError,
    UnknownKeyError,
    blind_index,
    decrypt_field,
    encrypt_field,
    field_key_id,
    needs_rotation,
    sm3_hex,
)

KEY_A = "00112233445566778899aabbccddeeff"
KEY_B = "ffeeddccbbaa99887766554433221100"
INDEX_KEY = "0f" * 32


@pytest.fixture
def keys(settings):  # type: ignore[no-untyped-def]
    settings.FIELD_ENCRYPTION_KEYS = {"k1": KEY_A}
    settings.FIELD_ENCRYPTION_CURRENT_KEY = "k1"
    settings.BLIND_INDEX_KEY = INDEX_KEY
    return settings


def test_sm3_standard_vectors() -> None:
    # GB/T 32905-2016 appendix A.
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3_hex("abc") == sm3_hex(b"abc")
    assert sm3_hex(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


def test_round_trip(keys) -> None:  # type: ignore[no-untyped-def]
    for text in ["", "11010519491231002X", "张三丰 13812345678", "𠀀" * 100]:
        token = encrypt_field(text)
        assert token.startswith("sm4gcm:k1:")
        assert text not in token or text == ""
        assert decrypt_field(token) == text


def test_two_encryptions_differ(keys) -> None:  # type: ignore[no-untyped-def]
    assert encrypt_field("13812345678") != encrypt_field("13812345678")


def _flip(token: str, index: int) -> str:
    scheme, key_id, blob = token.split(":")
    raw = bytearray(base64.b64decode(blob))
    raw[index] ^= 0x01
    return f"{scheme}:{key_id}:{base64.b64encode(bytes(raw)).decode()}"


@pytest.mark.parametrize("index", [0, 12, -1])  # nonce, ciphertext, tag
def test_tampering_detected(keys, index: int) -> None:  # type: ignore[no-untyped-def]
    token = encrypt_field("11010519491231002X")
    with pytest.raises(DecryptionError):
        decrypt_field(_flip(token, index))


def test_relabelled_key_id_detected(keys) -> None:  # type: ignore[no-untyped-def]
    # Same key material under another id: the id is associated data, so the tag fails.
    keys.FIELD_ENCRYPTION_KEYS = {"k1": KEY_A, "k2": KEY_A}
    token = encrypt_field("秘密")
    with pytest.raises(DecryptionError):
        decrypt_field(token.replace("sm4gcm:k1:", "sm4gcm:k2:"))


@pytest.mark.parametrize(
    "token", ["", "plain", "aes:k1:AAAA", "sm4gcm:k1", "sm4gcm::AAAA", "sm4gcm:k1:@@@", "sm4gcm:k1:AAAA"]
)
def test_malformed_tokens(keys, token: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DecryptionError):
        decrypt_field(token)


def test_unknown_key_id(keys) -> None:  # type: ignore[no-untyped-def]
    token = encrypt_field("x")
    keys.FIELD_ENCRYPTION_KEYS = {"k2": KEY_B}
    keys.FIELD_ENCRYPTION_CURRENT_KEY = "k2"
    with pytest.raises(UnknownKeyError):
        decrypt_field(token)


def test_rotation(keys) -> None:  # type: ignore[no-untyped-def]
    old = encrypt_field("13812345678")
    keys.FIELD_ENCRYPTION_KEYS = {"k1": KEY_A, "k2": KEY_B}
    keys.FIELD_ENCRYPTION_CURRENT_KEY = "k2"
    new = encrypt_field("13812345678")
    assert field_key_id(old) == "k1" and field_key_id(new) == "k2"
    assert needs_rotation(old) and not needs_rotation(new)
    assert decrypt_field(old) == decrypt_field(new) == "13812345678"


def test_settings_override_takes_effect(keys) -> None:  # type: ignore[no-untyped-def]
    # Same key id, different material: the cache is keyed on the values, not the id.
    token = encrypt_field("x")
    keys.FIELD_ENCRYPTION_KEYS = {"k1": KEY_B}
    with pytest.raises(DecryptionError):
        decrypt_field(token)


def test_bad_configuration(keys) -> None:  # type: ignore[no-untyped-def]
    keys.FIELD_ENCRYPTION_CURRENT_KEY = "nope"
    with pytest.raises(ImproperlyConfigured):
        encrypt_field("x")
    keys.FIELD_ENCRYPTION_KEYS = {"k1": "abcd"}
    keys.FIELD_ENCRYPTION_CURRENT_KEY = "k1"
    with pytest.raises(ImproperlyConfigured):
        encrypt_field("x")


def test_blind_index(keys) -> None:  # type: ignore[no-untyped-def]
    a = blind_index("11010519491231002X", purpose="id_number")
    assert len(a) == 64 and a == blind_index("11010519491231002X", purpose="id_number")
    # Normalised: case, whitespace and full width do not matter.
    assert a == blind_index(" 11010519491231002x ", purpose="id_number")
    assert a == blind_index("１１０１０５１９４９１２３１００２Ｘ", purpose="id_number")
    assert a != blind_index("11010519491231002X", purpose="phone")
    assert a != blind_index("110105194912310029", purpose="id_number")
    keys.BLIND_INDEX_KEY = "1e" * 32
    assert a != blind_index("11010519491231002X", purpose="id_number")


def test_blind_index_needs_purpose_and_key(keys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        blind_index("x", purpose="")
    keys.BLIND_INDEX_KEY = ""
    with pytest.raises(ImproperlyConfigured):
        blind_index("x", purpose="phone")
