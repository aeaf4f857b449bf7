"""Plaintext ID and phone numbers never reach the logs, the audit trail or an error page."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from zhujian.accounts.services import mint_personal_token
from zhujian.audit.models import AuditEvent
from zhujian.testing import valid_id_number

PHONE = "13912345678"


@pytest.mark.django_db
def test_plaintext_personal_data_never_in_logs(city, market_officer, caplog, settings) -> None:
    settings.DEBUG = False
    id_number = valid_id_number(424242)
    _, raw = mint_personal_token(mfa_verified=True, user=market_officer, name="logs")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with caplog.at_level(logging.DEBUG):
        created = api.post(
            "/api/v1/persons",
            {"name": "李明", "id_number": id_number, "phone": PHONE},
            content_type="application/json",
        )
        assert created.status_code == 201
        person_id = created.json()["id"]
        duplicate = api.post(
            "/api/v1/persons", {"name": "李明", "id_number": id_number}, content_type="application/json"
        )
        assert duplicate.status_code == 422
        assert api.post(f"/api/v1/persons/{person_id}/reveal").json()["id_number"] == id_number
        api.get(f"/api/v1/persons?id_number={id_number}")
        ui = Client()
        ui.force_login(market_officer)
        page = ui.get(f"/registry/persons/{person_id}/").content.decode()
        bad = api.post(
            "/api/v1/persons",
            {"name": "王", "id_number": id_number[:-1] + "0", "phone": "1391234"},
            content_type="application/json",
        )
        assert bad.status_code == 422
    logs = caplog.text
    assert id_number not in logs and PHONE not in logs
    assert id_number not in page and PHONE not in page  # masked on the detail page
    assert id_number[:3] + "*" in page
    trail = " ".join(str(v) for row in AuditEvent.objects.values() for v in row.values())
    assert id_number not in trail and PHONE not in trail
    assert AuditEvent.objects.filter(action="registry.person.reveal", outcome="success").count() == 1
