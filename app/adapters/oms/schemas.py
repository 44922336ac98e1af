"""Inbound OMS documents (oms-v1 section 2), validated with pydantic. Errors come back as
`{"field": "lines[2].qty", "error": "..."}` entries, every failing field at once."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from app.domain.b2b import FREIGHT_CLASSES
from app.domain.sscc import is_valid_gln

M = TypeVar("M", bound=BaseModel)

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Text = Annotated[str, StringConstraints(max_length=200)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
# Bounded: the database's integers are 32/64-bit, and no order line needs more.
PositiveInt = Annotated[int, Field(strict=True, gt=0, le=1_000_000)]
Version = Annotated[int, Field(strict=True, gt=0, le=2_147_483_647)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Address(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    company: Text | None = None
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: Text | None = None
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    region: Text | None = None
    postal_code: Annotated[str, StringConstraints(max_length=20)] = ""
    country: Country
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    email: Annotated[str, StringConstraints(max_length=200)] | None = None


class LineIn(Strict):
    line_id: Id
    sku: Id
    qty: PositiveInt
    lot: Annotated[str, StringConstraints(max_length=40)] | None = None
    serial_required: bool = False


class BillTo(Address):
    """A third party that pays the freight (printed on the bill of lading)."""

    account: Annotated[str, StringConstraints(max_length=40)] | None = None


class B2B(Strict):
    po_number: Annotated[str, StringConstraints(max_length=64)] | None = None
    allow_partial: bool = False
    palletize: bool = False
    credit_approved: bool = True
    payment_terms: Annotated[str, StringConstraints(max_length=40)] | None = None
    # Beyond the contract's minimum (docs/b2b.md): GS1 label and bill of lading data.
    ship_to_gln: Annotated[str, StringConstraints(pattern=r"^\d{13}$")] | None = None
    bill_to: BillTo | None = None
    freight_class: Literal[FREIGHT_CLASSES] | None = None  # type: ignore[valid-type]
    freight_terms: Literal["prepaid", "collect", "third_party"] | None = None

    @field_validator("ship_to_gln")
    @classmethod
    def _gln_check_digit(cls, gln: str | None) -> str | None:
        if gln is not None and not is_valid_gln(gln):
            raise ValueError("is not a GLN: its check digit is wrong")
        return gln


class AllocationIn(Strict):
    allocation_id: Id
    version: Version
    order_number: Id
    channel: Annotated[str, StringConstraints(max_length=40)] | None = None
    type: Literal["b2c", "b2b"]
    priority: Annotated[int, Field(strict=True, ge=0, le=100)] = 5
    placed_at: AwareDatetime | None = None
    ship_by: AwareDatetime | None = None
    service_level: Literal["economy", "standard", "express", "next_day", "freight"]
    ship_to: Address
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=500)]
    b2b: B2B | None = None
    notes: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @field_validator("lines")
    @classmethod
    def _unique_line_ids(cls, lines: list[LineIn]) -> list[LineIn]:
        seen: set[str] = set()
        for line in lines:
            if line.line_id in seen:
                raise ValueError(f"line_id {line.line_id!r} appears twice")
            seen.add(line.line_id)
        return lines


def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "body"


_FRIENDLY = {
    "greater_than": "must be a positive integer",
    "int_type": "must be an integer",
    "missing": "is required",
    "timezone_aware": "must be an RFC 3339 time with an offset",
    "string_pattern_mismatch": "does not have the expected format",
    "less_than_equal": "is larger than this warehouse accepts",
}


def field_errors(exc: ValidationError) -> list[dict[str, str]]:
    errors = []
    for err in exc.errors(include_url=False):
        path = _field_path(tuple(err["loc"]))
        if path.endswith(".country") and err["type"] == "string_pattern_mismatch":
            message = "must be an ISO 3166-1 alpha-2 code such as GB"
        elif path.endswith("qty") and err["type"] in ("greater_than", "int_type"):
            message = "must be a positive integer"
        else:
            message = _FRIENDLY.get(err["type"], err["msg"])
        errors.append({"field": path, "error": message})
    return errors


class BadDocument(Exception):
    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['error']}" for e in errors))
        self.errors = errors


def parse_allocation(raw: bytes) -> AllocationIn:
    return parse_document(raw, AllocationIn)


def to_iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class CancelLine(Strict):
    line_id: Id
    qty: PositiveInt


class CancelIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=200)] = ""
    lines: Annotated[list[CancelLine], Field(min_length=1, max_length=500)] | None = None


class HoldIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=200)] = ""


class ReturnLineIn(Strict):
    line_id: Id | None = None
    sku: Id
    qty: PositiveInt
    reason: Annotated[str, StringConstraints(max_length=200)] | None = None


class ReturnIn(Strict):
    rma_id: Id
    allocation_id: Id | None = None
    order_number: Id | None = None
    lines: Annotated[list[ReturnLineIn], Field(min_length=1, max_length=500)]


def parse_document(raw: bytes, model: type[M]) -> M:
    # The common case, a valid document, parsed and validated in one pass by pydantic's
    # own JSON parser; anything it refuses goes the way below, which gives the errors.
    try:
        return model.model_validate_json(raw)
    except ValueError:  # ValidationError is one
        pass
    try:
        doc: Any = json.loads(raw) if raw.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadDocument([{"field": "body", "error": f"not valid JSON: {exc}"}]) from exc
    return validate_document(doc, model)


def validate_document(doc: Any, model: type[M]) -> M:
    if not isinstance(doc, dict):
        raise BadDocument([{"field": "body", "error": "must be a JSON object"}])
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise BadDocument(field_errors(exc)) from exc
