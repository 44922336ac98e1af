"""3D cartonization: which cartons an order ships in and where every unit goes.

`cartonize(items, catalog)` packs every unit into as few cartons as it can, then as cheap
(optional `cost`) and as small (inner volume) as it can, and says for each carton where each
unit sits (min corner inside the carton's inner space, z up) and how it is turned. A unit is left
unpacked only when it fits no catalog carton on its own (dimensions or gross weight).
`cartonize(items, [container], mode="single_box")` instead packs as much item volume as it can
into one container and leaves the rest out.

How: the single-container heuristics in `cartonization_pack` (empty maximal spaces, a small
portfolio of deterministic constructions) answer two questions, "does all of this fit in that
carton" and "what is the most of this that fits in that carton". The order is then packed in the
smallest carton that takes it all; failing that, greedily (fill the carton that takes the most
volume, repeat), after which each carton is downsized to the smallest catalog carton that still
takes its contents, and carton combinations with fewer cartons or less volume are tried (fewest
cartons, then cheapest / smallest first, each filled depth first) within a fixed work budget.
`single_box` runs a wider portfolio plus seeded randomised restarts. Finally every unit is let
down onto what is under it, so none is left resting on nothing. Everything is deterministic (the
restarts use fixed seeds): the same order gives the same answer.

Integers throughout: millimetres and grams. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations_with_replacement
from typing import Literal

from app.domain.cartonization_pack import (
    Dims,
    Kind,
    Placed,
    Strategy,
    construct,
    fits_empty,
    orientations,
    settle,
)
from app.domain.cartons import CartonType, Unit

Mode = Literal["cartonize", "single_box"]


@dataclass(frozen=True)
class Carton:
    """A catalog carton. `max_weight` is the gross limit (carton plus contents)."""

    id: str
    inner: Dims
    outer: Dims
    empty_weight: int
    max_weight: int
    cost: int | None = None

    @property
    def inner_volume(self) -> int:
        x, y, z = self.inner
        return x * y * z

    @property
    def outer_volume(self) -> int:
        x, y, z = self.outer
        return x * y * z

    @property
    def payload(self) -> int:
        return self.max_weight - self.empty_weight


@dataclass(frozen=True)
class Item:
    """`qty` identical units. `keep_flat`: this way up (`dims[2]` stays vertical, turning about
    the vertical axis is fine). `allowed_vertical[i]`: edge `dims[i]` may stand vertical; it
    overrides `keep_flat`."""

    id: str
    dims: Dims
    weight: int
    qty: int = 1
    keep_flat: bool = False
    allowed_vertical: tuple[bool, bool, bool] | None = None

    def orientations(self) -> tuple[Dims, ...]:
        return orientations(self.dims, self.keep_flat, self.allowed_vertical)

    @property
    def volume(self) -> int:
        x, y, z = self.dims
        return x * y * z


@dataclass(frozen=True)
class Placement:
    item_id: str
    pos: Dims
    dims: Dims


@dataclass(frozen=True)
class PackedCarton:
    carton: Carton
    placements: tuple[Placement, ...]
    contents_weight: int
    item_volume: int

    @property
    def gross_weight(self) -> int:
        return self.carton.empty_weight + self.contents_weight

    @property
    def utilisation(self) -> float:
        """Packed item volume / inner volume, 0..1."""
        return self.item_volume / self.carton.inner_volume if self.carton.inner_volume else 0.0


@dataclass(frozen=True)
class Cartonization:
    cartons: tuple[PackedCarton, ...]
    unpacked: tuple[str, ...]  # one item id per unit left out
    mode: Mode = "cartonize"

    @property
    def inner_volume(self) -> int:
        return sum(c.carton.inner_volume for c in self.cartons)

    @property
    def item_volume(self) -> int:
        return sum(c.item_volume for c in self.cartons)

    @property
    def utilisation(self) -> float:
        return self.item_volume / self.inner_volume if self.inner_volume else 0.0


@dataclass(frozen=True)
class Limits:
    """Work budgets, counted in units offered to single-container constructions, plus a square
    term for big ones (see `_effort`; deterministic, unlike a clock). `search` bounds
    the carton-combination search of `cartonize` mode. Orders of more than `large` units use
    only the first two strategies of the portfolio, and search nothing past the greedy answer
    beyond `max_search_cartons` cartons, nor counts with more than `max_combinations` carton
    combinations. `single_box` mode runs its whole portfolio, then up to
    `restarts` randomised restarts while its units offered stay within `single`."""

    search: int = 60_000
    branch: int = 2
    large: int = 150
    single: int = 20_000
    restarts: int = 200
    max_search_cartons: int = 12
    max_combinations: int = 5_000


# The portfolio, most often successful first: `holds` stops at the first that fits all.
PORTFOLIO: tuple[Strategy, ...] = (
    Strategy("space", "volume", True),
    Strategy("item", order="volume"),
    Strategy("space", "unit", True),
    Strategy("item", order="longest"),
    Strategy("space", "fit", True),
    Strategy("item", order="height"),
    Strategy("space", "volume", True, anchor="corner"),
    Strategy("item", order="area"),
)
# single_box mode: every space-driven variant (they are cheap: blocks), then the others.
SINGLE: tuple[Strategy, ...] = (
    *(
        Strategy("space", score, True, anchor=anchor, columns=columns)
        for anchor in ("corner", "floor", "wall", "row")
        for columns in (False, True)
        for score in ("volume", "unit", "fit")
    ),
    *(Strategy("item", order=order) for order in ("volume", "longest", "area", "height")),
)
# Tried too when the question is whether everything fits and the portfolio said no.
EXTRA: tuple[Strategy, ...] = (
    Strategy("space", "volume", True, anchor="row", stack=False),
    Strategy("space", "fit", True, anchor="corner", stack=False),
    Strategy("space", "fit", True, anchor="row", stack=False),
    Strategy("item", order="volume", anchor="wall"),
    Strategy("space", "volume", True, anchor="row"),
    Strategy("space", "fit", False),
)


def carton_from_type(carton: CartonType) -> Carton:
    """The skeleton's catalog row (`app.domain.cartons`) as a cartonizer carton."""
    return Carton(
        carton.code,
        carton.inner_mm,
        carton.outer_mm,
        carton.tare_g,
        carton.max_weight_g,
        carton.cost_minor,
    )


def items_from_units(units: Iterable[Unit]) -> list[Item]:
    """Units with the same SKU, dimensions and weight become one item of that quantity."""
    counts: dict[tuple[str, Dims, int], int] = {}
    for u in units:
        key = (u.sku, u.dims_mm, u.weight_g)
        counts[key] = counts.get(key, 0) + 1
    items: list[Item] = []
    used: set[str] = set()
    for (sku, dims, weight), qty in counts.items():
        item_id = sku if sku not in used else f"{sku}#{len(items)}"
        used.add(item_id)
        items.append(Item(item_id, dims, weight, qty))
    return items


@dataclass
class _Problem:
    items: Sequence[Item]
    kinds: list[Kind]
    cartons: list[Carton]  # cheapest / smallest first
    limits: Limits
    portfolio: tuple[Strategy, ...] = PORTFOLIO
    work: int = 0
    memo: dict[tuple[int, tuple[int, ...]], list[tuple[list[Placed], list[int]]]] = field(
        default_factory=dict
    )
    dead: set[tuple[tuple[int, ...], tuple[int, ...]]] = field(default_factory=set)

    def volume(self, demand: Sequence[int]) -> int:
        return sum(k.volume * d for k, d in zip(self.kinds, demand, strict=True))

    def weight(self, demand: Sequence[int]) -> int:
        return sum(k.weight * d for k, d in zip(self.kinds, demand, strict=True))

    def may_hold(self, ci: int, demand: Sequence[int]) -> bool:
        """Necessary conditions for carton `ci` to take all of `demand`."""
        c = self.cartons[ci]
        if self.weight(demand) > c.payload or self.volume(demand) > c.inner_volume:
            return False
        return all(
            d == 0 or fits_empty(k, c.inner) for k, d in zip(self.kinds, demand, strict=True)
        )

    def options(self, ci: int, demand: Sequence[int]) -> list[tuple[list[Placed], list[int]]]:
        """What the portfolio does with `demand` in carton `ci`: distinct outcomes, the most
        packed volume first; a single one when some construction packs everything."""
        key = (ci, tuple(demand))
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        c = self.cartons[ci]
        found: dict[tuple[int, ...], tuple[int, list[Placed], list[int]]] = {}
        for strategy in self.portfolio:
            self.work += _effort(demand)
            placed, left = construct(c.inner, c.payload, self.kinds, demand, strategy)
            if not any(left):
                found = {(): (0, placed, left)}
                break
            if tuple(left) not in found:
                volume = sum(self.kinds[p.kind].volume for p in placed)
                found[tuple(left)] = (volume, placed, left)
        out = [(p, left) for _, p, left in sorted(found.values(), key=lambda t: -t[0])]
        self.memo[key] = out
        return out

    def fill(self, ci: int, demand: Sequence[int]) -> tuple[list[Placed], list[int]]:
        """The portfolio's best for `demand` in carton `ci` (everything, or the most volume)."""
        return self.options(ci, demand)[0]

    def holds(self, ci: int, demand: Sequence[int]) -> list[Placed] | None:
        """Placements putting all of `demand` into carton `ci`, if the heuristics find some."""
        if not self.may_hold(ci, demand):
            return None
        placed, left = self.fill(ci, demand)
        if not any(left):
            return placed
        key = (-1 - ci, tuple(demand))
        hit = self.memo.get(key)
        if hit is None:
            c = self.cartons[ci]
            hit = []
            for strategy in EXTRA if self.portfolio is PORTFOLIO else ():
                self.work += _effort(demand)
                placed, left = construct(c.inner, c.payload, self.kinds, demand, strategy)
                if not any(left):
                    hit = [(placed, left)]
                    break
            self.memo[key] = hit
        return hit[0][0] if hit else None


_Box = tuple[int, list[Placed]]  # carton index, placements


def _effort(demand: Sequence[int]) -> int:
    """Work units charged for one construction: its units, plus a square term because the
    free spaces to scan grow with the units placed."""
    n = sum(demand)
    return n + n * n // 50


def _cost(problem: _Problem, boxes: Sequence[_Box]) -> tuple[int, int, int]:
    cartons = [problem.cartons[ci] for ci, _ in boxes]
    return (
        len(cartons),
        sum(c.cost or 0 for c in cartons),
        sum(c.inner_volume for c in cartons),
    )


def _contents(problem: _Problem, placed: Sequence[Placed]) -> list[int]:
    demand = [0] * len(problem.kinds)
    for p in placed:
        demand[p.kind] += 1
    return demand


def _smallest_holding(problem: _Problem, demand: Sequence[int], below: int | None) -> _Box | None:
    limit = len(problem.cartons) if below is None else below
    for ci in range(limit):
        placed = problem.holds(ci, demand)
        if placed is not None:
            return ci, placed
    return None


def _greedy(problem: _Problem, demand: Sequence[int]) -> list[_Box]:
    remaining = list(demand)
    boxes: list[_Box] = []
    while any(remaining):
        last = _smallest_holding(problem, remaining, None)
        if last is not None:
            boxes.append(last)
            break
        best: tuple[int, int] | None = None
        move: tuple[int, list[Placed], list[int]] | None = None
        for ci in range(len(problem.cartons)):
            placed, left = problem.fill(ci, remaining)
            if not placed:
                continue
            key = (problem.volume(remaining) - problem.volume(left), -ci)
            if best is None or key > best:
                best, move = key, (ci, placed, left)
        if move is None:
            break  # nothing fits anywhere: cannot happen for units that fit alone
        boxes.append((move[0], move[1]))
        remaining = move[2]
    return [_downsize(problem, b) for b in boxes]


def _downsize(problem: _Problem, box: _Box) -> _Box:
    ci, placed = box
    smaller = _smallest_holding(problem, _contents(problem, placed), ci)
    return smaller if smaller is not None else box


def _realise(
    problem: _Problem, combo: Sequence[int], demand: Sequence[int], branch: int
) -> list[_Box] | None:
    """Fill the cartons of `combo` so that everything goes in, or None. Depth first: which
    carton type to fill next (biggest first), then which of the portfolio's `branch` best
    outcomes for it to keep. Dead ends are remembered; every visit costs one unit of work."""
    problem.work += 1
    cartons = [problem.cartons[ci] for ci in combo]
    if sum(c.inner_volume for c in cartons) < problem.volume(demand) or sum(
        c.payload for c in cartons
    ) < problem.weight(demand):
        return None
    if len(combo) == 1:
        placed = problem.holds(combo[0], demand)
        return None if placed is None else [(combo[0], placed)]
    state = (tuple(sorted(combo)), tuple(demand))
    if state in problem.dead:
        return None
    kinds = sorted(set(combo), key=lambda ci: -problem.cartons[ci].inner_volume)
    for ci in kinds:
        rest = list(combo)
        rest.remove(ci)
        for placed, left in problem.options(ci, demand)[:branch]:
            if problem.work >= problem.limits.search:
                return None
            if not placed:
                continue
            if not any(left):
                return [(ci, placed)]
            boxes = _realise(problem, rest, left, branch)
            if boxes is not None:
                return [(ci, placed), *boxes]
    problem.dead.add(state)
    return None


def _search(problem: _Problem, demand: Sequence[int], incumbent: list[_Box]) -> list[_Box]:
    """Carton combinations cheaper than the incumbent, fewest cartons first and, within a count,
    cheapest / smallest first; the first one the portfolio realises wins its count."""
    best = incumbent
    best_cost = _cost(problem, best)
    volume = problem.volume(demand)
    weight = problem.weight(demand)
    big = max(c.inner_volume for c in problem.cartons)
    heavy = max(c.payload for c in problem.cartons)
    lower = max(1, -(-volume // big) if big > 0 else 1, -(-weight // heavy) if heavy > 0 else 1)
    n = len(problem.cartons)
    if best_cost[0] > problem.limits.max_search_cartons:
        return best
    for count in range(lower, best_cost[0] + 1):
        if math.comb(n + count - 1, count) > problem.limits.max_combinations:
            continue  # a big catalog: too many combinations of this many cartons to list
        combos = []
        for combo in combinations_with_replacement(range(n), count):
            cartons = [problem.cartons[ci] for ci in combo]
            cost = (
                count,
                sum(c.cost or 0 for c in cartons),
                sum(c.inner_volume for c in cartons),
            )
            if cost >= best_cost:
                continue
            if cost[2] < volume or sum(c.payload for c in cartons) < weight:
                continue
            combos.append((cost, combo))
        combos.sort()
        for _, combo in combos:
            if problem.work >= problem.limits.search:
                return best
            boxes = _realise(problem, combo, demand, problem.limits.branch)
            if boxes is not None:
                boxes = [_downsize(problem, b) for b in boxes]
                if _cost(problem, boxes) < best_cost:
                    best, best_cost = boxes, _cost(problem, boxes)
                break
    return best


def _fits_alone(kind: Kind, carton: Carton) -> bool:
    return kind.weight <= carton.payload and fits_empty(kind, carton.inner)


def cartonize(
    items: Sequence[Item],
    catalog: Sequence[Carton],
    *,
    mode: Mode = "cartonize",
    limits: Limits | None = None,
) -> Cartonization:
    """Pack `items` into cartons from `catalog` (unlimited supply of each). See the module doc
    for the two modes. Raises ValueError on an empty catalog, bad dimensions or repeated item
    ids."""
    if not catalog:
        raise ValueError("empty carton catalog")
    for it in items:
        if min(it.dims) <= 0 or it.weight < 0 or it.qty < 0:
            raise ValueError(f"item {it.id!r}: dimensions must be positive, weight and qty >= 0")
    if len({it.id for it in items}) != len(items):
        raise ValueError("item ids must be unique")
    cartons = sorted(catalog, key=lambda c: (c.cost or 0, c.inner_volume, c.id))
    kinds = [Kind.of(it.dims, it.orientations(), it.weight) for it in items]
    limits = limits or Limits()
    demand = [it.qty for it in items]
    portfolio = PORTFOLIO if sum(demand) <= limits.large else PORTFOLIO[:2]
    problem = _Problem(items, kinds, cartons, limits, portfolio)
    unpacked = [0] * len(items)
    for i, kind in enumerate(kinds):
        if not any(_fits_alone(kind, c) for c in cartons):
            unpacked[i], demand[i] = demand[i], 0
    if not any(demand):
        boxes: list[_Box] = []
    elif mode == "single_box":
        boxes, left = _single_box(problem, demand)
        unpacked = [u + r for u, r in zip(unpacked, left, strict=True)]
    else:
        one = _smallest_holding(problem, demand, None)
        if one is not None:
            boxes = [one]
        else:
            boxes = _greedy(problem, demand)
            boxes = _search(problem, demand, boxes)
        left = [
            d - c
            for d, c in zip(
                demand, _contents(problem, [p for _, b in boxes for p in b]), strict=True
            )
        ]
        unpacked = [u + r for u, r in zip(unpacked, left, strict=True)]
    return Cartonization(
        tuple(_packed(problem, ci, placed) for ci, placed in boxes),
        tuple(items[i].id for i, n in enumerate(unpacked) for _ in range(n)),
        mode,
    )


def _single_box(problem: _Problem, demand: Sequence[int]) -> tuple[list[_Box], list[int]]:
    """The one container (or, given several, the one) taking the most item volume: every
    strategy of the wide single-container portfolio, then seeded randomised restarts of the
    best-cornered one while the `single` work budget lasts."""
    best: tuple[tuple[int, int], _Box, list[int]] | None = None
    units = max(1, sum(demand))
    for ci, carton in enumerate(problem.cartons):
        strategies = list(SINGLE)
        strategies += [
            Strategy("space", "volume", True, anchor="corner", columns=bool(i % 2), seed=i + 1)
            for i in range(problem.limits.restarts)
        ]
        work = 0
        for strategy in strategies:
            if strategy.seed and work + units > problem.limits.single:
                break
            work += units
            placed, left = construct(carton.inner, carton.payload, problem.kinds, demand, strategy)
            key = (sum(problem.kinds[p.kind].volume for p in placed), -ci)
            if best is None or key > best[0]:
                best = (key, (ci, placed), left)
            if not any(left):
                break
    assert best is not None
    _, box, left = best
    return ([box] if box[1] else []), left


def _packed(problem: _Problem, ci: int, placed: Sequence[Placed]) -> PackedCarton:
    settled = settle(placed)
    settled.sort(key=lambda p: (p.pos[2], p.pos[1], p.pos[0]))
    items = problem.items
    return PackedCarton(
        problem.cartons[ci],
        tuple(Placement(items[p.kind].id, p.pos, p.dims) for p in settled),
        sum(items[p.kind].weight for p in settled),
        sum(items[p.kind].volume for p in settled),
    )
