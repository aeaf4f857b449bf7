"""The API contract is committed: docs/openapi.json must match what the code serves."""

from __future__ import annotations

from pathlib import Path

from zhujian.demo.management.commands.openapi import openapi_text

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"


def test_committed_openapi_matches_the_code() -> None:
    assert COMMITTED.exists(), "docs/openapi.json is missing: run `zhujian openapi`"
    assert COMMITTED.read_text(encoding="utf-8") == openapi_text(), (
        "the API changed but docs/openapi.json was not regenerated: run `zhujian openapi` and commit it"
    )


def test_every_operation_documents_the_error_shape_or_is_public() -> None:
    from zhujian.api import api

    schema = api.get_openapi_schema()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no Chinese summary"
