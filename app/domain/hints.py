"""One-line hints for a person's first shift: what to do at the current step, in the floor's
words. Every sentence a hint can say lives here, as an English message id (``msg``: the
station edge translates it into the reader's language).

A hint is shown while the person is new at that station kind (see ``app.domain.first_shift``)
and always during a practice wave. The pick hints come per stage of the task, the pack hints
per step of the order on the bench.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import Enum

from app.domain.text import Text, msg

# ---------------------------------------------------------------------------- pick


class PickStage(str, Enum):
    """The stages of a pick (or put-back) task, as the task payload names them."""

    LOCATION = "location"
    ITEM = "item"
    TOTE = "tote"
    DONE = "done"


@dataclass(frozen=True)
class PickFacts:
    """What the hint for a pick task depends on: its stage and the few facts that change what
    the picker must do there."""

    stage: str
    put_back: bool = False
    qty_left: int = 1
    serial_required: bool = False
    lot: str | None = None  # the order line wants this lot
    tote: str | None = None  # the order's tote, once its first unit went into one


def pick_hint(f: PickFacts) -> Text | None:
    """The hint for the task's current stage; None for a stage with nothing to explain."""
    try:
        stage = PickStage(f.stage)
    except ValueError:
        return None
    if f.put_back:
        return _put_back_hint(stage)
    if stage is PickStage.LOCATION:
        return msg("Scan the location label on the shelf edge")
    if stage is PickStage.ITEM:
        if f.serial_required:
            return msg("Scan the serial barcode of each item, then put it in the tote")
        if f.lot:
            return msg("Take only the lot shown: scan the item's barcode, then put it in the tote")
        if f.qty_left > 1:
            return msg("Scan each item's barcode on its own, then put it in the tote")
        return msg("Scan the item's barcode, then put it in the tote")
    if stage is PickStage.TOTE:
        if f.tote:
            return msg("Scan the tote you put it in")
        return msg("Take an empty tote, put the items in and scan the tote's label")
    return msg("Done: your next task comes up by itself")


def _put_back_hint(stage: PickStage) -> Text | None:
    if stage is PickStage.LOCATION:
        return msg("Scan the location label where the items go back")
    if stage is PickStage.ITEM:
        return msg("Scan each item as you put it back on the shelf")
    return None


def pick_hints(f: PickFacts) -> dict[str, Text]:
    """The hint of every stage this task can reach, by stage: the handheld shows the right
    one when it judges a scan itself (offline) and the stage moves on without the server."""
    return task_hints(f)[1]


def task_hints(f: PickFacts) -> tuple[Text | None, dict[str, Text]]:
    """The hint for the task's stage (`pick_hint`) and every stage's (`pick_hints`). The
    same facts give the same hints, and a new picker's every scan carries them: kept per
    facts as the hints read them (one unit left or several, not how many; the stage picks
    one of them), so a task's units counting down do not make new entries."""
    hints = _stage_hints(f.put_back, f.qty_left > 1, f.serial_required, f.lot, f.tote)
    return hints.get(f.stage), dict(hints)


@functools.lru_cache(maxsize=4096)
def _stage_hints(
    put_back: bool, several: bool, serial: bool, lot: str | None, tote: str | None
) -> dict[str, Text]:
    left = 2 if several else 1
    out: dict[str, Text] = {}
    for stage in PickStage:
        hint = pick_hint(PickFacts(stage.value, put_back, left, serial, lot, tote))
        if hint is not None:
            out[stage.value] = hint
    return out


# ---------------------------------------------------------------------------- pack


class PackStep(str, Enum):
    OPEN = "open"  # no order on the bench
    SCAN = "scan"  # verify the order's units
    SORT = "sort"  # a tote of several orders: each unit to its slot
    CLOSE = "close"  # every unit verified: close the recommended carton
    NO_CARTON = "no_carton"  # no catalog carton fits
    CLOSED = "closed"  # the order is packed
    BLOCKED = "blocked"  # on hold, cancelled or not ready


@dataclass(frozen=True)
class PackFacts:
    """The order on the bench as the pack screen shows it."""

    has_order: bool
    blocked: bool = False
    status: str = ""
    all_verified: bool = False
    loose_units: int = 0
    carton_code: str | None = None  # the recommended carton, if one fits
    multi_order_tote: bool = False


PACKED = frozenset({"packed", "shipped"})


def pack_step(f: PackFacts) -> PackStep:
    if not f.has_order:
        return PackStep.OPEN
    if f.status in PACKED:  # (a packed order also reads as "not ready to pack")
        return PackStep.CLOSED
    if f.blocked:
        return PackStep.BLOCKED
    if f.all_verified and f.loose_units > 0:
        return PackStep.CLOSE if f.carton_code else PackStep.NO_CARTON
    if f.multi_order_tote:
        return PackStep.SORT
    return PackStep.SCAN


_PACK_HINTS: dict[PackStep, Text] = {
    PackStep.OPEN: msg("Scan the label on the tote to open its order"),
    PackStep.SCAN: msg("Scan each item into the carton"),
    PackStep.SORT: msg("Scan each item, then put it in the slot shown on the screen"),
    PackStep.CLOSE: msg(
        "Close the carton and print the slip: scan the carton shown, or tap Confirm"
    ),
    PackStep.NO_CARTON: msg("No carton fits these items: call your supervisor"),
    PackStep.CLOSED: msg("Put the slip in, seal the carton and send it to weighing"),
    PackStep.BLOCKED: msg("Do not pack this order: set the tote aside and call your supervisor"),
}


def pack_hint(step: PackStep) -> Text:
    return _PACK_HINTS[step]


def all_hints() -> list[str]:
    """Every hint sentence (the catalogs' completeness test and the docs list them)."""
    pick = {
        str(h)
        for put_back in (False, True)
        for serial in (False, True)
        for lot in (None, "L1")
        for qty in (1, 2)
        for tote in (None, "T0001")
        for h in pick_hints(PickFacts("location", put_back, qty, serial, lot, tote)).values()
    }
    return sorted(pick | {str(h) for h in _PACK_HINTS.values()})
