"""Schemathesis generates requests from the served OpenAPI document (valid and invalid); each
is signed and sent to the app. No server error, and a rejected request changes nothing."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy import func, select

from app.adapters.db.models import Allocation, OutboxEvent, ReturnAuthorization, Stock
from app.domain.signing import signed_headers
from tests.support.warehouse import SECRET, allocation_doc, signed_post, uow_of

OPERATIONS = [
    ("/api/v1/allocations", "POST"),
    ("/api/v1/allocations/{allocation_id}", "GET"),
    ("/api/v1/allocations/{allocation_id}/cancel", "POST"),
    ("/api/v1/allocations/{allocation_id}/hold", "POST"),
    ("/api/v1/allocations/{allocation_id}/release", "POST"),
    ("/api/v1/returns", "POST"),
    ("/api/v1/inventory", "GET"),
]


def fingerprint(app: Flask) -> tuple[Any, ...]:
    with uow_of(app)() as tx:
        s = tx.session
        return (
            s.scalar(select(func.count(Allocation.id))),
            s.scalar(select(func.max(Allocation.updated_at))),
            s.scalar(select(func.count(OutboxEvent.id))),
            s.scalar(select(func.count(ReturnAuthorization.id))),
            s.scalar(select(func.sum(Stock.allocated))),
            s.scalar(select(func.sum(Stock.on_hand))),
        )


def send(app: Flask, case: Any) -> Any:
    path = case.path
    for name, value in (case.path_parameters or {}).items():
        path = path.replace("{" + name + "}", str(value))
    if case.query:
        path += "?" + urlencode(case.query, doseq=True)
    if case.body is None or case.method == "GET":
        body = b""
    elif isinstance(case.body, bytes):
        body = case.body
    else:
        body = json.dumps(case.body, default=str).encode()
    headers = {"Content-Type": "application/json", **signed_headers(SECRET, body, time.time())}
    client = app.test_client()
    return client.open(path, method=case.method, data=body, headers=headers)


@pytest.mark.parametrize(("path", "method"), OPERATIONS)
def test_generated_requests_never_crash_and_rejections_change_nothing(
    app: Flask, path: str, method: str
) -> None:
    spec = app.test_client().get("/api/openapi.json").get_json()
    operation = schemathesis.openapi.from_dict(spec)[path][method]
    # A known allocation, so that cancels/holds also reach the code behind the 404.
    signed_post(app.test_client(), "/api/v1/allocations", allocation_doc("AL-1"))
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"allocation_id": "AL-1"})
        if "{allocation_id}" in path
        else st.nothing(),
    )

    @given(case=cases)
    @settings(
        max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: Any) -> None:
        before = fingerprint(app)
        resp = send(app, case)
        assert resp.status_code < 500, (case.body, resp.get_data(as_text=True)[:300])
        if 400 <= resp.status_code < 500:
            assert fingerprint(app) == before, (resp.status_code, case.body)
            assert resp.is_json and "error" in resp.get_json()

    check()
