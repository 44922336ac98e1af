"""HMAC request signing of the OMS contract, section 2 (app/domain/signing.py)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.signing import MAX_SKEW_S, SignatureProblem, check, signature, signed_headers

SECRET = "topsecret"
NOW = 1_764_148_440
BODY = b'{"allocation_id":"AL-100045"}'
# Computed independently: printf '1764148440.<body>' | openssl dgst -sha256 -hmac topsecret
BODY_SIG = "v1=5e3e1ef4de10090922866a264cd2df32bcfcbca819687d17148019b0091c6eb8"
EMPTY_SIG = "v1=54cc357d538b5e58c4b2fab8139baf970f0e0c52fbabf16fffd4de1792dd63c6"


def test_signature_matches_the_contract_formula() -> None:
    assert signature(SECRET, NOW, BODY) == BODY_SIG
    assert signature(SECRET, str(NOW), BODY) == BODY_SIG


def test_get_requests_are_signed_over_an_empty_body() -> None:
    assert signature(SECRET, NOW, b"") == EMPTY_SIG
    assert check(SECRET, str(NOW), EMPTY_SIG, b"", NOW) is None


def test_signed_headers_carry_unix_seconds_and_a_v1_hex_signature() -> None:
    headers = signed_headers(SECRET, BODY, NOW + 0.9)
    assert headers == {"X-Timestamp": str(NOW), "X-Signature": BODY_SIG}
    assert re.fullmatch(r"v1=[0-9a-f]{64}", headers["X-Signature"])


def test_authentic_request_is_accepted() -> None:
    assert check(SECRET, str(NOW), BODY_SIG, BODY, NOW + 12.5) is None


def test_signature_over_a_different_body_is_rejected() -> None:
    tampered = BODY.replace(b"45", b"46")
    assert check(SECRET, str(NOW), BODY_SIG, tampered, NOW) is SignatureProblem.MISMATCH


def test_signature_made_with_another_secret_is_rejected() -> None:
    forged = signature("guess", NOW, BODY)
    assert check(SECRET, str(NOW), forged, BODY, NOW) is SignatureProblem.MISMATCH


def test_replayed_signature_with_a_new_timestamp_is_rejected() -> None:
    assert check(SECRET, str(NOW + 60), BODY_SIG, BODY, NOW + 60) is SignatureProblem.MISMATCH


@pytest.mark.parametrize("offset", [-(MAX_SKEW_S + 1), MAX_SKEW_S + 1, 86_400, -86_400])
def test_stale_timestamp_is_rejected(offset: int) -> None:
    ts = str(NOW + offset)
    sig = signature(SECRET, ts, BODY)
    assert check(SECRET, ts, sig, BODY, NOW) is SignatureProblem.STALE


@pytest.mark.parametrize("offset", [-MAX_SKEW_S, MAX_SKEW_S])
def test_timestamp_exactly_300s_off_is_still_accepted(offset: int) -> None:
    ts = str(NOW + offset)
    assert check(SECRET, ts, signature(SECRET, ts, BODY), BODY, NOW) is None


@pytest.mark.parametrize(
    ("timestamp", "sig"),
    [(None, BODY_SIG), (str(NOW), None), ("", BODY_SIG), (str(NOW), ""), (None, None)],
)
def test_missing_headers_are_rejected(timestamp: str | None, sig: str | None) -> None:
    assert check(SECRET, timestamp, sig, BODY, NOW) is SignatureProblem.MISSING


@pytest.mark.parametrize(
    ("timestamp", "sig"),
    [
        (str(NOW), BODY_SIG[3:]),  # bare hex
        (str(NOW), "v2=" + BODY_SIG[3:]),
        (str(NOW), "sha256=" + BODY_SIG[3:]),
        ("2026-11-26T09:14:00Z", BODY_SIG),
        ("-5", BODY_SIG),
        ("1764148440.5", BODY_SIG),
        ("abc", BODY_SIG),
    ],
)
def test_malformed_headers_are_rejected(timestamp: str, sig: str) -> None:
    assert check(SECRET, timestamp, sig, BODY, NOW) is SignatureProblem.MALFORMED


def test_superscript_digit_timestamp_is_malformed_not_a_crash() -> None:
    assert check(SECRET, "²", BODY_SIG, BODY, NOW) is SignatureProblem.MALFORMED


def test_non_ascii_signature_is_rejected_not_a_crash() -> None:
    problem = check(SECRET, str(NOW), "v1=é" + BODY_SIG[4:], BODY, NOW)
    assert problem in (SignatureProblem.MALFORMED, SignatureProblem.MISMATCH)


def test_absurdly_long_timestamp_is_rejected_not_a_crash() -> None:
    problem = check(SECRET, "1" + "0" * 400, BODY_SIG, BODY, NOW + 0.25)
    assert problem in (SignatureProblem.MALFORMED, SignatureProblem.STALE)


secrets = st.text(min_size=1, max_size=64)
bodies = st.binary(max_size=512)
timestamps = st.integers(min_value=0, max_value=4_102_444_800)  # up to 2100
skews = st.floats(min_value=-MAX_SKEW_S, max_value=MAX_SKEW_S, allow_nan=False)


@given(secret=secrets, body=bodies, ts=timestamps, skew=skews)
def test_any_signed_request_within_the_skew_verifies(
    secret: str, body: bytes, ts: int, skew: float
) -> None:
    headers = signed_headers(secret, body, ts)
    problem = check(secret, headers["X-Timestamp"], headers["X-Signature"], body, ts + skew)
    assert problem is None


@given(
    secret=secrets,
    body=st.binary(min_size=1, max_size=512),
    ts=timestamps,
    data=st.data(),
)
def test_any_single_byte_change_in_the_body_is_rejected(
    secret: str, body: bytes, ts: int, data: st.DataObject
) -> None:
    headers = signed_headers(secret, body, ts)
    pos = data.draw(st.integers(min_value=0, max_value=len(body) - 1), label="position")
    byte = data.draw(
        st.integers(min_value=0, max_value=255).filter(lambda b: b != body[pos]), label="byte"
    )
    tampered = body[:pos] + bytes([byte]) + body[pos + 1 :]
    problem = check(secret, headers["X-Timestamp"], headers["X-Signature"], tampered, ts)
    assert problem is SignatureProblem.MISMATCH
