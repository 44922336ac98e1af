"""The weigh station's rules: expected carton weight, tolerance rules, the live scale's
stable-reading rule with zero and tare, when a reading may become a carton's weight, re-verify
by scan and supervisor override reasons. Pure: readings and clocks come in as values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from fnmatch import fnmatchcase
from typing import Any

from app.domain.scale_protocols import Reading, ReadingStatus, StabilityFilter
from app.domain.text import msg, spec

# --- expected weight and tolerance ---------------------------------------------------------


@dataclass(frozen=True)
class Tolerance:
    absolute_g: int
    percent: float

    def allowed_g(self, expected_g: int) -> int:
        return max(self.absolute_g, round(expected_g * self.percent / 100))


@dataclass(frozen=True)
class WeightVerdict:
    ok: bool
    expected_g: int
    measured_g: int
    allowed_g: int

    @property
    def difference_g(self) -> int:
        return self.measured_g - self.expected_g

    @property
    def message(self) -> str:
        if self.ok:
            return msg(
                "Weight OK: %(measured_g)s g (expected %(expected_g)s g).",
                measured_g=self.measured_g,
                expected_g=self.expected_g,
            )
        facts = {
            "measured_g": self.measured_g,
            "value": abs(self.difference_g),
            "expected_g": self.expected_g,
            "allowed_g": self.allowed_g,
        }
        if self.difference_g > 0:
            return msg(
                "Weight check failed: %(measured_g)s g is %(value)s g too heavy "
                "(expected %(expected_g)s g ± %(allowed_g)s g). Re-verify the contents.",
                **facts,
            )
        return msg(
            "Weight check failed: %(measured_g)s g is %(value)s g too light "
            "(expected %(expected_g)s g ± %(allowed_g)s g). Re-verify the contents.",
            **facts,
        )


def expected_weight_g(unit_weights_g: list[int], tare_g: int, dunnage_g: int) -> int:
    return sum(unit_weights_g) + tare_g + dunnage_g


def check_weight(expected_g: int, measured_g: int, tolerance: Tolerance) -> WeightVerdict:
    allowed = tolerance.allowed_g(expected_g)
    return WeightVerdict(abs(measured_g - expected_g) <= allowed, expected_g, measured_g, allowed)


MAX_REASONABLE_G = 70_000


def validate_reading(measured_g: object) -> str | None:
    """Why a weight reading cannot be used, or None."""
    if isinstance(measured_g, bool) or not isinstance(measured_g, int):
        return "weight must be a whole number of grams"
    if measured_g <= 0:
        return "weight must be more than 0 g (is the carton on the scale?)"
    if measured_g > MAX_REASONABLE_G:
        return f"weight over {MAX_REASONABLE_G} g: parcel carriers will not take it"
    return None


@dataclass(frozen=True)
class ToleranceRule:
    """Applies when every condition it names holds: the carton type is `carton_type`, and at
    least one SKU in the carton belongs to `sku_class`. A rule naming neither always applies."""

    tolerance: Tolerance
    carton_type: str | None = None
    sku_class: str | None = None

    def describe(self) -> str:
        conditions = [
            f"carton {self.carton_type}" if self.carton_type else "",
            f"SKU class {self.sku_class}" if self.sku_class else "",
        ]
        named = " and ".join(c for c in conditions if c) or "every carton"
        return f"{named}: ±{self.tolerance.absolute_g} g or {self.tolerance.percent:g} %"


@dataclass(frozen=True)
class TolerancePolicy:
    """Tolerance per carton: the first matching rule wins (their order in the configuration
    is their priority), else the default. SKU classes are shell-style patterns on SKU codes."""

    default: Tolerance
    rules: tuple[ToleranceRule, ...] = ()
    sku_classes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def classes_of(self, sku: str) -> frozenset[str]:
        return frozenset(
            name
            for name, patterns in self.sku_classes.items()
            if any(fnmatchcase(sku, p) for p in patterns)
        )

    def rule_for(self, carton_type: str, skus: Iterable[str]) -> ToleranceRule | None:
        classes: set[str] = set()
        for sku in skus:
            classes |= self.classes_of(sku)
        for rule in self.rules:
            if rule.carton_type is not None and rule.carton_type != carton_type:
                continue
            if rule.sku_class is not None and rule.sku_class not in classes:
                continue
            return rule
        return None

    def for_carton(self, carton_type: str, skus: Iterable[str]) -> Tolerance:
        rule = self.rule_for(carton_type, skus)
        return rule.tolerance if rule else self.default


def blind_to_unit_g(allowed_g: int, unit_weights_g: Iterable[int]) -> int | None:
    """The lightest unit weight a tolerance this wide cannot notice missing (or extra), if
    any: an allowance of 60 g will not catch a missing 40 g unit."""
    hidden = [w for w in unit_weights_g if 0 < w <= allowed_g]
    return min(hidden) if hidden else None


# --- the live scale --------------------------------------------------------------------------


class CaptureRefusal(Enum):
    NOT_STABLE = "not_stable"
    EMPTY = "empty"
    SCALE_FAULT = "scale_fault"
    SAME_LOAD = "same_load"
    NO_READING = "no_reading"


@dataclass(frozen=True)
class LiveWeight:
    """What the weigh page shows of a scale, and what a capture would take."""

    weight_g: int | None  # net: gross less tare
    gross_g: int | None
    tare_g: int
    stable: bool
    status: ReadingStatus
    accepted_g: int | None  # net weight, once the stable-reading rule holds
    placement: int  # counts loads that settled: a new number is a new carton on the scale
    unsettled_s: float
    not_settling: bool
    loaded: bool
    message: str
    unit: str | None = None
    advice: str = ""  # what to do about it, when something is wrong

    def to_json(self) -> dict[str, Any]:
        return {
            "weight_g": self.weight_g,
            "gross_g": self.gross_g,
            "tare_g": self.tare_g,
            "stable": self.stable,
            "status": self.status.value,
            "accepted_g": self.accepted_g,
            "placement": self.placement,
            "unsettled_s": round(self.unsettled_s, 1),
            "not_settling": self.not_settling,
            "loaded": self.loaded,
            "message": self.message,
            "advice": self.advice,
            "unit": self.unit,
            # Readings go to every screen of a station at once: each page translates these.
            "message_i18n": spec(self.message),
            "advice_i18n": spec(self.advice),
        }


@dataclass(frozen=True)
class Capture:
    weight_g: int
    placement: int


class CaptureRefused(Exception):
    def __init__(self, reason: CaptureRefusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class ScaleCommandRefused(Exception):
    """Zero or tare cannot be done now; the message says what to do instead."""


NOT_SETTLING_ADVICE = msg(
    "Check nothing touches the platter (cables, hands, a carton "
    "hanging over the edge) and there is no draught or "
    "vibration, then lift the carton off and put it back."
)


def _status_message(reading: Reading) -> str:
    status = reading.status
    if status is ReadingStatus.OVERLOAD:
        return msg("Over capacity: take weight off the scale.")
    if status is ReadingStatus.UNDER_ZERO:
        return msg("Below zero: empty the scale and press Zero.")
    if status is ReadingStatus.NEEDS_ZERO:
        return msg("The scale needs zeroing: empty it and press Zero.")
    if status is ReadingStatus.ERROR:
        return msg("Scale problem: %(value)s.", value=reading.message or "no valid reading")
    return ""


class ScaleMonitor:
    """One station's view of its scale: applies the stable-reading rule (`StabilityFilter`:
    several consecutive stable readings within the scale's resolution), software tare, and
    decides whether the accepted weight may be recorded for a carton.

    A capture takes the accepted net weight only when it is at least `min_load_g` and belongs
    to a load that settled after the last capture for another carton: the previous carton
    left on the scale is never recorded against the next one."""

    def __init__(
        self,
        rule: StabilityFilter,
        *,
        min_load_g: int = 20,
        not_stable_after_s: float = 5.0,
        zero_range_g: int = 200,
    ) -> None:
        self.rule = rule
        self.min_load_g = min_load_g
        self.not_stable_after_s = not_stable_after_s
        self.zero_range_g = zero_range_g
        self.tare_g = 0
        self.placement = 0
        self._accepted_gross: int | None = None
        self._unsettled_since: float | None = None
        self._captured: tuple[int, str] | None = None  # (placement, carton)
        self._last: LiveWeight | None = None

    @property
    def last(self) -> LiveWeight | None:
        return self._last

    def feed(self, reading: Reading, now_s: float) -> LiveWeight:
        before = self._accepted_gross
        self._accepted_gross = self.rule.feed(reading)
        if self._accepted_gross is not None and before is None:
            self.placement += 1
        gross = reading.weight_g
        net = gross - self.tare_g if gross is not None else None
        loaded = net is not None and abs(net) >= self.min_load_g
        settled = self._accepted_gross is not None
        in_range = reading.status in (ReadingStatus.OK, ReadingStatus.MOTION)
        if settled or not in_range or (reading.stable and not loaded):
            self._unsettled_since = None
        elif self._unsettled_since is None:
            self._unsettled_since = now_s
        unsettled_s = 0.0 if self._unsettled_since is None else now_s - self._unsettled_since
        not_settling = unsettled_s >= self.not_stable_after_s
        accepted = None if self._accepted_gross is None else self._accepted_gross - self.tare_g
        message = _status_message(reading)
        advice = ""
        if not message:
            if settled:
                message = msg("Stable.") if loaded else msg("Stable: the scale is empty.")
            elif not_settling:
                message = msg(
                    "Not stable for %(unsettled_s)s s: the weight keeps changing.",
                    unsettled_s=format(unsettled_s, ".0f"),
                )
                advice = NOT_SETTLING_ADVICE
            else:
                message = msg("Not stable yet: waiting for the scale to settle…")
        live = LiveWeight(
            weight_g=net,
            gross_g=gross,
            tare_g=self.tare_g,
            stable=reading.stable and reading.status is ReadingStatus.OK,
            status=reading.status,
            accepted_g=accepted,
            placement=self.placement,
            unsettled_s=unsettled_s,
            not_settling=not_settling,
            loaded=loaded,
            message=message,
            unit=reading.unit,
            advice=advice,
        )
        self._last = live
        return live

    def take(self, carton: str) -> Capture:
        """The weight to record for `carton` now, or CaptureRefused saying why not."""
        live = self._last
        if live is None:
            raise CaptureRefused(
                CaptureRefusal.NO_READING, msg("No reading from the scale yet: wait a moment.")
            )
        if live.status not in (ReadingStatus.OK, ReadingStatus.MOTION):
            raise CaptureRefused(CaptureRefusal.SCALE_FAULT, live.message)
        if live.accepted_g is None:
            if live.not_settling:
                raise CaptureRefused(
                    CaptureRefusal.NOT_STABLE, f"{live.message} {live.advice}".strip()
                )
            raise CaptureRefused(
                CaptureRefusal.NOT_STABLE,
                msg("Not stable: the scale has not settled yet. Keep the carton still on it."),
            )
        if live.accepted_g < self.min_load_g:
            raise CaptureRefused(
                CaptureRefusal.EMPTY, msg("Nothing on the scale: put the carton on the scale.")
            )
        if self._captured is not None:
            placement, other = self._captured
            if placement == live.placement and other != carton:
                raise CaptureRefused(
                    CaptureRefusal.SAME_LOAD,
                    msg(
                        "That weight was already recorded for carton %(other)s: take "
                        "it off the scale and put carton %(carton)s on.",
                        other=other,
                        carton=carton,
                    ),
                )
        return Capture(live.accepted_g, live.placement)

    def captured(self, carton: str, placement: int) -> None:
        self._captured = (placement, carton)

    def tare(self) -> int:
        """Take the settled load (a tote, a pallet) as tare; an empty scale clears the tare."""
        live = self._last
        if live is None or self._accepted_gross is None:
            raise ScaleCommandRefused(
                msg("Tare needs a stable reading: wait for the scale to settle.")
            )
        gross = self._accepted_gross
        self.tare_g = gross if abs(gross) >= self.min_load_g else 0
        return self.tare_g

    def clear_tare(self) -> None:
        self.tare_g = 0

    def check_zero(self) -> None:
        """Zeroing with a load on the platter would make every later carton weigh less."""
        live = self._last
        if live is None or live.status in (
            ReadingStatus.NEEDS_ZERO,
            ReadingStatus.UNDER_ZERO,
            ReadingStatus.ERROR,
        ):
            return
        if live.gross_g is None or not live.stable:
            raise ScaleCommandRefused(msg("Zero needs a still scale: wait for it to settle."))
        if abs(live.gross_g) > self.zero_range_g:
            raise ScaleCommandRefused(
                msg(
                    "The scale shows %(gross_g)s g: take everything off before "
                    "zeroing (to weigh in a tote, use Tare).",
                    gross_g=live.gross_g,
                )
            )

    def zeroed(self) -> None:
        self.rule.reset()
        self._accepted_gross = None


# --- QC exception: re-verify by scan and override reasons ----------------------------------


class VerifyResult(Enum):
    UNIT_OK = "unit_ok"
    COMPLETE = "verify_complete"
    EXTRA_UNIT = "extra_unit"
    WRONG_ITEM = "wrong_item"
    UNKNOWN_CODE = "unknown_code"


@dataclass(frozen=True)
class VerifyStep:
    result: VerifyResult
    scanned: dict[str, int]
    message: str

    @property
    def problem(self) -> bool:
        return self.result in (
            VerifyResult.EXTRA_UNIT,
            VerifyResult.WRONG_ITEM,
            VerifyResult.UNKNOWN_CODE,
        )


def reverify_step(
    packed: Mapping[str, int], scanned: Mapping[str, int], sku: str | None, code: str
) -> VerifyStep:
    """One unit taken out of the carton and scanned: `packed` is what the carton should hold
    (SKU -> units), `scanned` what has been scanned so far, `sku` the scanned code's SKU."""
    counts = dict(scanned)
    if sku is None:
        return VerifyStep(
            VerifyResult.UNKNOWN_CODE,
            counts,
            msg("%(code)s is not an item we know. Set it aside and scan the next unit.", code=code),
        )
    if sku not in packed:
        return VerifyStep(
            VerifyResult.WRONG_ITEM,
            counts,
            msg(
                "Wrong item: %(sku)s does not belong in this carton. Take it out, then repack.",
                sku=sku,
            ),
        )
    if counts.get(sku, 0) >= packed[sku]:
        return VerifyStep(
            VerifyResult.EXTRA_UNIT,
            counts,
            msg(
                "Extra unit: the carton should hold %(value)s × %(sku)s. Take it out, then repack.",
                value=packed[sku],
                sku=sku,
            ),
        )
    counts[sku] = counts.get(sku, 0) + 1
    done = sum(counts.values())
    total = sum(packed.values())
    if all(counts.get(s, 0) >= n for s, n in packed.items()):
        return VerifyStep(
            VerifyResult.COMPLETE,
            counts,
            msg("All %(total)s units verified: the contents are right.", total=total),
        )
    return VerifyStep(
        VerifyResult.UNIT_OK,
        counts,
        msg("%(sku)s OK (%(done)s of %(total)s verified).", sku=sku, done=done, total=total),
    )


@dataclass(frozen=True)
class OverrideReason:
    code: str
    label: str
    learn: bool = False  # the measured weight is evidence about item weights
    note_required: bool = False


class OverrideRefused(Exception):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


MIN_NOTE_CHARS = 5


def check_override(reasons: Sequence[OverrideReason], code: str, note: str) -> OverrideReason:
    """The reason an override is given for; OverrideRefused if it is not an allowed one."""
    reason = next((r for r in reasons if r.code == code), None)
    if reason is None:
        allowed = ", ".join(r.code for r in reasons)
        raise OverrideRefused(
            msg("Choose a reason for the override (%(allowed)s).", allowed=allowed), "reason"
        )
    if reason.note_required and len(note.strip()) < MIN_NOTE_CHARS:
        raise OverrideRefused(
            msg(
                "Say why in a few words (%(label)s): at least %(min_note_chars)s characters.",
                label=reason.label,
                min_note_chars=MIN_NOTE_CHARS,
            ),
            "note",
        )
    return reason
