"""Which carton(s) an order ships in: the lowest total cost, explained.

The total of an option is what the warehouse pays for it: each carton's own cost plus the
cheapest carrier rate for that carton to the order's destination at the order's service level,
priced at the carton's billable weight (the larger of its gross weight and its dimensional
weight, outer dimensions over the service's divisor). A cheaper carton can cost more in total
when it is bulkier; two small cartons can cost less than one big one.

Options come from the 3D cartonizer (`app.domain.cartonization`), so every unit of every
option has a place and an orientation ("this way up" SKUs keep their height vertical) and no
carton is over its gross weight limit:

1. the cartonizer's own answer over the whole catalog (fewest cartons, then cheapest);
2. for each carton type that every unit fits, the order packed in that type alone (one carton,
   or several of it);
3. each carton of those answers re-sized: its contents re-packed in every other type that takes
   them all, keeping the type with the lowest carton cost plus rate.

The cheapest option by total wins (ties: fewer cartons, then less volume). Options whose every
carton a carrier rates come before options with an unrated carton. Units that fit no carton on
their own (too big, too heavy, too tall to stay upright) are reported with the reason, never
forced into a carton.

Pure and deterministic: integers (mm, g, minor currency units), no I/O, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase

from app.domain.cartonization import (
    Carton,
    Cartonization,
    Item,
    PackedCarton,
    Placement,
    cartonize,
)
from app.domain.cartons import CartonType, Unit
from app.domain.rating import Carrier, quotes
from app.domain.text import join, msg


@dataclass(frozen=True)
class Destination:
    country: str
    service_level: str
    postal_code: str = ""


@dataclass(frozen=True)
class Rate:
    """The cheapest carrier service for one carton."""

    carrier: str
    service: str
    service_name: str
    price_minor: int
    currency: str
    billable_g: int
    gross_g: int

    @property
    def dimensional(self) -> bool:
        """Billed on the carton's size, not on what it weighs."""
        return self.billable_g > self.gross_g

    def to_json(self) -> dict[str, object]:
        return {
            "carrier": self.carrier,
            "service": self.service,
            "service_name": self.service_name,
            "price_minor": self.price_minor,
            "currency": self.currency,
            "billable_g": self.billable_g,
            "dimensional": self.dimensional,
        }


@dataclass(frozen=True)
class PlannedCarton:
    carton: CartonType
    placements: tuple[Placement, ...]  # item_id is the SKU
    contents_g: int
    gross_g: int  # tare + contents + dunnage: what the weigh station expects
    rate: Rate | None

    @property
    def total_minor(self) -> int:
        return self.carton.cost_minor + (self.rate.price_minor if self.rate else 0)

    def skus(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for p in self.placements:
            counts[p.item_id] = counts.get(p.item_id, 0) + 1
        return counts

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.carton.code,
            "name": self.carton.name,
            "inner_mm": list(self.carton.inner_mm),
            "outer_mm": list(self.carton.outer_mm),
            "carton_cost_minor": self.carton.cost_minor,
            "contents_g": self.contents_g,
            "gross_g": self.gross_g,
            "rate": self.rate.to_json() if self.rate else None,
            "total_minor": self.total_minor,
            "units": len(self.placements),
            "skus": self.skus(),
            "placements": [
                {"sku": p.item_id, "pos_mm": list(p.pos), "dims_mm": list(p.dims)}
                for p in self.placements
            ],
        }


@dataclass(frozen=True)
class Option:
    cartons: tuple[PlannedCarton, ...]

    @property
    def rated(self) -> bool:
        return all(c.rate is not None for c in self.cartons)

    @property
    def carton_cost_minor(self) -> int:
        return sum(c.carton.cost_minor for c in self.cartons)

    @property
    def rate_minor(self) -> int:
        return sum(c.rate.price_minor for c in self.cartons if c.rate)

    @property
    def total_minor(self) -> int:
        return self.carton_cost_minor + self.rate_minor

    @property
    def inner_volume_mm3(self) -> int:
        return sum(c.carton.inner_volume_mm3 for c in self.cartons)

    @property
    def label(self) -> str:
        counts: dict[str, int] = {}
        for c in self.cartons:
            counts[c.carton.code] = counts.get(c.carton.code, 0) + 1
        return " + ".join(code if n == 1 else f"{n} × {code}" for code, n in counts.items())

    def key(self) -> tuple[int, int, int, int, str]:
        return (
            0 if self.rated else 1,
            self.total_minor,
            len(self.cartons),
            self.inner_volume_mm3,
            self.label,
        )

    def signature(self) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
        return tuple(sorted((c.carton.code, tuple(sorted(c.skus().items()))) for c in self.cartons))

    def to_json(self) -> dict[str, object]:
        return {
            "label": self.label,
            "cartons": len(self.cartons),
            "carton_cost_minor": self.carton_cost_minor,
            "rate_minor": self.rate_minor,
            "total_minor": self.total_minor,
            "rated": self.rated,
        }


@dataclass(frozen=True)
class Unfit:
    sku: str
    dims_mm: tuple[int, int, int]
    weight_g: int
    qty: int
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "sku": self.sku,
            "dims_mm": list(self.dims_mm),
            "weight_g": self.weight_g,
            "qty": self.qty,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class CartonChoice:
    chosen: Option | None
    alternatives: tuple[Option, ...]  # the other options considered, best first
    unfit: tuple[Unfit, ...]
    why: str
    currency: str = ""

    @property
    def cartons(self) -> tuple[PlannedCarton, ...]:
        return self.chosen.cartons if self.chosen else ()

    def to_json(self) -> dict[str, object]:
        return {
            "cartons": [c.to_json() for c in self.cartons],
            "option": self.chosen.to_json() if self.chosen else None,
            "alternatives": [o.to_json() for o in self.alternatives],
            "unfit": [u.to_json() for u in self.unfit],
            "why": self.why,
            "currency": self.currency,
        }


def packing_carton(carton: CartonType, dunnage_g: int) -> Carton:
    """A catalog carton for the cartonizer, its dunnage counted with its tare so the gross
    weight limit holds for the carton as it will be weighed."""
    return Carton(
        carton.code,
        carton.inner_mm,
        carton.outer_mm,
        carton.tare_g + dunnage_g,
        carton.max_weight_g,
        carton.cost_minor,
    )


def upright_matcher(patterns: Collection[str]) -> Callable[[str], bool]:
    """SKU -> must stay this way up, from shell-style patterns (`CANDLE-*`)."""
    pats = tuple(patterns)
    return lambda sku: any(fnmatchcase(sku, p) for p in pats)


def _never(_: str) -> bool:
    return False


# ------------------------------------------------------------------------------ the choice


class _Chooser:
    def __init__(
        self,
        units: Sequence[Unit],
        catalog: Sequence[CartonType],
        carriers: Sequence[Carrier],
        destination: Destination | None,
        dunnage_g: int,
        upright: Callable[[str], bool],
        day: date | None,
    ) -> None:
        self.catalog = sorted(catalog, key=lambda c: (c.cost_minor, c.inner_volume_mm3, c.code))
        self.by_code = {c.code: c for c in self.catalog}
        self.carriers = list(carriers)
        self.destination = destination
        self.dunnage_g = dunnage_g
        self.day = day
        self.items = _items(units, upright)
        self.item_by_id = {it.id: it for it in self.items}
        self.rates: dict[tuple[int, tuple[int, int, int]], Rate | None] = {}
        self.resized: dict[tuple[tuple[tuple[str, int], ...], str], PlannedCarton | None] = {}

    def rate(self, gross_g: int, outer_mm: tuple[int, int, int]) -> Rate | None:
        key = (gross_g, outer_mm)
        if key not in self.rates:
            self.rates[key] = rate_carton(
                self.carriers, self.destination, gross_g, outer_mm, self.day
            )
        return self.rates[key]

    def planned(self, packed: PackedCarton) -> PlannedCarton:
        carton = self.by_code[packed.carton.id]
        placements = tuple(
            Placement(self.item_by_id[p.item_id].id.split("#")[0], p.pos, p.dims)
            for p in packed.placements
        )
        gross = carton.tare_g + packed.contents_weight + self.dunnage_g
        return PlannedCarton(
            carton, placements, packed.contents_weight, gross, self.rate(gross, carton.outer_mm)
        )

    def option(self, result: Cartonization) -> Option:
        return Option(tuple(self.planned(c) for c in result.cartons))

    def resize(self, planned: PlannedCarton, packed_ids: dict[str, int]) -> PlannedCarton:
        """The carton type with the lowest carton cost + rate that takes these contents."""
        best = planned
        contents = tuple(sorted(packed_ids.items()))
        volume = sum(self.item_by_id[i].volume * n for i, n in contents)
        weight = sum(self.item_by_id[i].weight * n for i, n in contents)
        for carton in self.catalog:
            if carton.code == planned.carton.code:
                continue
            if (
                carton.inner_volume_mm3 < volume
                or carton.max_weight_g - carton.tare_g - self.dunnage_g < weight
            ):
                continue
            key = (contents, carton.code)
            if key not in self.resized:
                items = [
                    Item(
                        i,
                        self.item_by_id[i].dims,
                        self.item_by_id[i].weight,
                        n,
                        self.item_by_id[i].keep_flat,
                    )
                    for i, n in contents
                ]
                result = cartonize(items, [packing_carton(carton, self.dunnage_g)])
                self.resized[key] = (
                    self.planned(result.cartons[0])
                    if len(result.cartons) == 1 and not result.unpacked
                    else None
                )
            other = self.resized[key]
            if other is not None and _carton_key(other) < _carton_key(best):
                best = other
        return best

    def improve(self, option: Option, result: Cartonization) -> Option:
        cartons = []
        for planned, packed in zip(option.cartons, result.cartons, strict=True):
            ids: dict[str, int] = {}
            for p in packed.placements:
                ids[p.item_id] = ids.get(p.item_id, 0) + 1
            cartons.append(self.resize(planned, ids))
        return Option(tuple(cartons))


def rate_carton(
    carriers: Sequence[Carrier],
    destination: Destination | None,
    gross_g: int,
    outer_mm: tuple[int, int, int],
    day: date | None = None,
) -> Rate | None:
    """The cheapest carrier service for one carton to the destination, or None."""
    if destination is None or not carriers:
        return None
    found = quotes(
        list(carriers),
        destination.country,
        destination.service_level,
        gross_g,
        outer_mm,
        postal_code=destination.postal_code,
        day=day,
    )
    if not found:
        return None
    q = found[0]
    return Rate(
        q.carrier, q.service, q.service_name, q.price_minor, q.currency, q.billable_g, gross_g
    )


def _carton_key(c: PlannedCarton) -> tuple[int, int, int]:
    return (0 if c.rate else 1, c.total_minor, c.carton.inner_volume_mm3)


def _items(units: Sequence[Unit], upright: Callable[[str], bool]) -> list[Item]:
    counts: dict[tuple[str, tuple[int, int, int], int], int] = {}
    for u in units:
        key = (u.sku, u.dims_mm, u.weight_g)
        counts[key] = counts.get(key, 0) + 1
    items: list[Item] = []
    used: set[str] = set()
    for (sku, dims, weight), qty in counts.items():
        item_id = sku if sku not in used else f"{sku}#{len(items)}"
        used.add(item_id)
        items.append(Item(item_id, dims, weight, qty, keep_flat=upright(sku)))
    return items


def choose_cartons(
    units: Sequence[Unit],
    catalog: Sequence[CartonType],
    carriers: Sequence[Carrier] = (),
    destination: Destination | None = None,
    *,
    dunnage_g: int = 0,
    upright: Callable[[str], bool] = _never,
    day: date | None = None,
) -> CartonChoice:
    """The lowest-total-cost cartons for `units`, with the reason in words. See the module
    doc. An empty catalog or no units give no carton (and say why)."""
    if not units:
        return CartonChoice(None, (), (), msg("Nothing left to pack."))
    if not catalog:
        return CartonChoice(None, (), (), msg("The carton catalog is empty: call a supervisor."))
    ch = _Chooser(units, catalog, carriers, destination, dunnage_g, upright, day)
    cartons = [packing_carton(c, dunnage_g) for c in ch.catalog]
    base = cartonize(ch.items, cartons)
    left: dict[str, int] = {}
    for item_id in base.unpacked:
        left[item_id] = left.get(item_id, 0) + 1
    unfit = tuple(_unfit(ch.item_by_id[i], n, ch.catalog, dunnage_g) for i, n in left.items())
    packable = [
        Item(it.id, it.dims, it.weight, it.qty - left.get(it.id, 0), it.keep_flat)
        for it in ch.items
        if it.qty - left.get(it.id, 0) > 0
    ]
    if not packable:
        return CartonChoice(None, (), unfit, _why(None, (), unfit, destination))
    results = [base]
    for carton in ch.catalog:
        single = packing_carton(carton, dunnage_g)
        if not all(_fits_alone(it, carton, dunnage_g) for it in packable):
            continue
        alone = cartonize(packable, [single])
        if not alone.unpacked:
            results.append(alone)
    seen: dict[object, Option] = {}
    for result in results:
        option = ch.option(result)
        for candidate in (option, ch.improve(option, result)):
            sig = candidate.signature()
            if sig not in seen or candidate.key() < seen[sig].key():
                seen[sig] = candidate
    ranked = sorted(seen.values(), key=Option.key)
    chosen, alternatives = ranked[0], tuple(ranked[1:])
    currency = next((c.rate.currency for c in chosen.cartons if c.rate), "")
    return CartonChoice(
        chosen, alternatives, unfit, _why(chosen, alternatives, unfit, destination), currency
    )


def _fits_alone(item: Item, carton: CartonType, dunnage_g: int = 0) -> bool:
    if item.weight + carton.tare_g + dunnage_g > carton.max_weight_g:
        return False
    x, y, z = carton.inner_mm
    return any(a <= x and b <= y and c <= z for a, b, c in item.orientations())


def _unfit(item: Item, qty: int, catalog: Sequence[CartonType], dunnage_g: int) -> Unfit:
    upright = item.keep_flat
    sku = item.id.split("#")[0]
    by_size = [c for c in catalog if _fits_alone(Item(sku, item.dims, 0, 1, upright), c)]
    if by_size:
        heaviest = max(c.max_weight_g - c.tare_g - dunnage_g for c in by_size)
        reason = (
            f"too heavy: {_kg(item.weight)} per unit, the cartons big enough take at most "
            f"{_kg(heaviest)}"
        )
    elif upright and any(_fits_alone(Item(sku, item.dims, 0, 1, False), c) for c in catalog):
        reason = "must stay this way up and is too tall for every carton standing"
    else:
        largest = max(catalog, key=lambda c: c.inner_volume_mm3)
        reason = f"too big for every carton (largest {_mm(largest.inner_mm)} inside)"
    return Unfit(sku, item.dims, item.weight, qty, reason)


# ------------------------------------------------------------------------------ in words


def _money(minor: int, currency: str) -> str:
    sign = "-" if minor < 0 else ""
    minor = abs(minor)
    text = f"{sign}{minor // 100}.{minor % 100:02d}"
    return f"{text} {currency}" if currency else text


def _kg(grams: int) -> str:
    return f"{grams / 1000:.2f} kg" if grams >= 1000 else f"{grams} g"


def _mm(dims: tuple[int, int, int]) -> str:
    return "×".join(str(d) for d in dims) + " mm"


def _carton_words(c: PlannedCarton, currency: str) -> str:
    text = f"carton {_money(c.carton.cost_minor, currency)}"
    if c.rate is None:
        return text + msg(" (no carrier rate)")
    r = c.rate
    basis = (
        f"dimensional weight of its {_mm(c.carton.outer_mm)} outside; it weighs {_kg(c.gross_g)}"
        if r.dimensional
        else "its actual weight"
    )
    return msg(
        "%(text)s + %(service_name)s %(value)s at %(value2)s billable (%(basis)s)",
        text=text,
        service_name=r.service_name,
        value=_money(r.price_minor, currency),
        value2=_kg(r.billable_g),
        basis=basis,
    )


def _why(
    chosen: Option | None,
    alternatives: Sequence[Option],
    unfit: Sequence[Unfit],
    destination: Destination | None,
) -> str:
    parts: list[str] = []
    if chosen is not None:
        currency = next((c.rate.currency for c in chosen.cartons if c.rate), "")

        def money(minor: int) -> str:
            return _money(minor, currency)

        if len(chosen.cartons) == 1:
            c = chosen.cartons[0]
            parts.append(
                msg(
                    "%(code)s (%(name)s) costs least in total: %(value)s = %(value2)s.",
                    code=c.carton.code,
                    name=c.carton.name,
                    value=_carton_words(c, currency),
                    value2=money(chosen.total_minor),
                )
            )
        else:
            each = join(
                [
                    msg(
                        "%(code)s with %(n)s unit(s): %(words)s",
                        code=c.carton.code,
                        n=len(c.placements),
                        words=_carton_words(c, currency),
                    )
                    for c in chosen.cartons
                ],
                "; ",
            )
            singles = [o for o in alternatives if len(o.cartons) == 1]
            if singles:
                lead = msg(
                    "%(n_cartons)s cartons (%(label)s) cost less in total than "
                    "one %(label2)s (%(value)s)",
                    n_cartons=len(chosen.cartons),
                    label=chosen.label,
                    label2=singles[0].label,
                    value=money(singles[0].total_minor),
                )
            else:
                lead = msg("No single carton takes all of it: %(n)s cartons", n=len(chosen.cartons))
            parts.append(
                msg(
                    "%(lead)s. %(each)s. Total %(value)s.",
                    lead=lead,
                    each=each,
                    value=money(chosen.total_minor),
                )
            )
        if alternatives:
            nxt = alternatives[0]
            diff = nxt.total_minor - chosen.total_minor
            parts.append(
                msg(
                    "Next best: %(label)s at %(value)s (+%(value2)s).",
                    label=nxt.label,
                    value=money(nxt.total_minor),
                    value2=money(diff),
                )
                if nxt.rated == chosen.rated
                else msg(
                    "Next: %(label)s (no carrier rate for one of its cartons).", label=nxt.label
                )
            )
        if not chosen.rated:
            where = (
                f"{destination.country} at {destination.service_level}"
                if destination
                else msg("this order")
            )
            parts.append(
                msg("No carrier rate for %(where)s: chosen by carton cost alone.", where=where)
            )
    elif not unfit:
        parts.append(msg("Nothing left to pack."))
    for u in unfit:
        parts.append(
            msg(
                "%(qty)s × %(sku)s (%(value)s, %(value2)s) fit no carton: "
                "%(reason)s. Do not force it: set it aside and call a "
                "supervisor.",
                qty=u.qty,
                sku=u.sku,
                value=_mm(u.dims_mm),
                value2=_kg(u.weight_g),
                reason=u.reason,
            )
        )
    return join(parts)
