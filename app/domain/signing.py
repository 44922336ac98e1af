"""HMAC request signing shared by both directions of the OMS contract (oms-v1 section 2).

`X-Signature: v1=<hex>` where hex = HMAC-SHA256(secret, f"{timestamp}.{raw_body}").
Pure: no clock is read here; callers pass `now`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from enum import Enum

MAX_SKEW_S = 300
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v1=[0-9a-fA-F]{1,128}")


class SignatureProblem(Enum):
    MISSING = "missing X-Timestamp or X-Signature header"
    MALFORMED = "X-Signature must look like v1=<hex> and X-Timestamp must be Unix seconds"
    STALE = "X-Timestamp is more than 300 s away from the server clock"
    MISMATCH = "signature does not match the body"


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def signed_headers(secret: str, body: bytes, now: float) -> dict[str, str]:
    ts = str(int(now))
    return {"X-Timestamp": ts, "X-Signature": signature(secret, ts, body)}


def check(
    secret: str, timestamp: str | None, sig: str | None, body: bytes, now: float
) -> SignatureProblem | None:
    """None when the request is authentic; otherwise why it is not."""
    if not timestamp or not sig:
        return SignatureProblem.MISSING
    # Headers arrive as latin-1 text: only ASCII digits and hex may pass, so that int() and
    # compare_digest() never raise on hostile input.
    if not _TIMESTAMP.fullmatch(timestamp) or not _SIGNATURE.fullmatch(sig):
        return SignatureProblem.MALFORMED
    if abs(int(now) - int(timestamp)) > MAX_SKEW_S:
        return SignatureProblem.STALE
    if not hmac.compare_digest(signature(secret, timestamp, body).encode(), sig.encode()):
        return SignatureProblem.MISMATCH
    return None
