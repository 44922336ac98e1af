"""Order batching: which orders share one cart (one tote per order) so that one walk picks
them all.

- `fcfs_batches`: first come, first served, filling each cart up to its caps: the baseline.
- `seed_batches`: start a cart from a seed order (the one reaching farthest from the depot),
  then keep adding the order that lengthens the walk least.
- `savings_batches`: Clarke and Wright's savings, merging the two carts whose combined walk
  saves most over walking them apart, recalculated after each merge, while the caps allow.

Both heuristics judge a cart by a closed-form estimate of its walk (the horizontal span to
the farthest aisle and back, plus for each aisle the cheapest of walking it through or
entering it from the front or the back), vectorised over every pair with numpy, so batching
10,000 orders takes well under a second. The final walk of every cart comes from the router
(`app.domain.routing.route`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from app.domain.paths import Stop
from app.domain.routing import Geometry, Route, route

Array = npt.NDArray[np.int64]


@dataclass(frozen=True)
class OrderWork:
    """One order's share of the walk and of the cart."""

    key: int
    stops: tuple[Stop, ...]
    lines: int = 1
    units: int = 1
    weight_g: int = 0
    volume_cm3: int = 0


@dataclass(frozen=True)
class Caps:
    """What one cart (or one wave) may hold. Zero means no limit."""

    totes: int = 8  # orders: one tote each
    lines: int = 0
    units: int = 0
    weight_g: int = 0
    volume_cm3: int = 0

    def fits(self, orders: Sequence[OrderWork]) -> bool:
        return all(
            cap == 0 or total <= cap
            for cap, total in (
                (self.totes, len(orders)),
                (self.lines, sum(o.lines for o in orders)),
                (self.units, sum(o.units for o in orders)),
                (self.weight_g, sum(o.weight_g for o in orders)),
                (self.volume_cm3, sum(o.volume_cm3 for o in orders)),
            )
        )


@dataclass(frozen=True)
class Batch:
    orders: tuple[OrderWork, ...]

    @property
    def keys(self) -> tuple[int, ...]:
        return tuple(o.key for o in self.orders)

    @property
    def stops(self) -> tuple[Stop, ...]:
        return tuple(s for o in self.orders for s in o.stops)

    def route(self, geo: Geometry) -> Route:
        return route(geo, self.stops)


def fcfs_batches(orders: Sequence[OrderWork], caps: Caps) -> list[Batch]:
    """In arrival order, a new cart whenever the next order does not fit."""
    out: list[Batch] = []
    current: list[OrderWork] = []
    for o in orders:
        if current and not caps.fits([*current, o]):
            out.append(Batch(tuple(current)))
            current = []
        current.append(o)
    if current:
        out.append(Batch(tuple(current)))
    return out


class _Estimate:
    """Per-order aisle extents in arrays: the walk estimate of any union is elementwise."""

    def __init__(self, geo: Geometry, orders: Sequence[OrderWork]) -> None:
        aisles = sorted({s.aisle for o in orders for s in o.stops} | set(geo.aisle_x_mm), key=geo.x)
        index = {a: i for i, a in enumerate(aisles)}
        n, m = len(orders), len(aisles)
        big = np.iinfo(np.int64).max // 4
        self.front = geo.front_mm
        self.back = geo.cross_aisles_mm[-1] if geo.has_back else None
        self.depot_x = geo.depot_x_mm
        self.x = np.array([geo.x(a) for a in aisles], dtype=np.int64)
        self.ymin: Array = np.full((n, m), big, dtype=np.int64)
        self.ymax: Array = np.full((n, m), -big, dtype=np.int64)
        for i, o in enumerate(orders):
            for s in o.stops:
                j = index[s.aisle]
                self.ymin[i, j] = min(self.ymin[i, j], s.y_mm)
                self.ymax[i, j] = max(self.ymax[i, j], s.y_mm)
        self.big = big

    def cost(self, ymin: Array, ymax: Array) -> Array:
        """Estimated walk for each row (or for each pair, given 3-d arrays)."""
        present = ymax > -self.big
        front_in = 2 * (ymax - self.front)
        if self.back is None:
            per = front_in
        else:
            per = np.minimum(np.minimum(front_in, 2 * (self.back - ymin)), self.back - self.front)
        vertical = np.where(present, per, 0).sum(axis=-1)
        reach = np.where(present, self.x, self.depot_x).max(axis=-1)
        left = np.where(present, self.x, self.depot_x).min(axis=-1)
        horizontal = 2 * (np.maximum(reach, self.depot_x) - np.minimum(left, self.depot_x))
        out: Array = vertical + horizontal
        return out


def _loads(orders: Sequence[OrderWork]) -> Array:
    return np.array(
        [[1, o.lines, o.units, o.weight_g, o.volume_cm3] for o in orders], dtype=np.int64
    ).reshape(len(orders), 5)


def _cap_vector(caps: Caps) -> Array:
    big = np.iinfo(np.int64).max // 4
    return np.array(
        [
            c if c > 0 else big
            for c in (caps.totes, caps.lines, caps.units, caps.weight_g, caps.volume_cm3)
        ],
        dtype=np.int64,
    )


def savings_batches(geo: Geometry, orders: Sequence[OrderWork], caps: Caps) -> list[Batch]:
    """Clarke and Wright savings with recalculation after every merge."""
    n = len(orders)
    if n == 0:
        return []
    est = _Estimate(geo, orders)
    ymin, ymax = est.ymin.copy(), est.ymax.copy()
    alone = est.cost(ymin, ymax)
    load = _loads(orders)
    cap = _cap_vector(caps)
    members: list[list[int]] = [[i] for i in range(n)]
    alive = np.ones(n, dtype=bool)
    neg = np.iinfo(np.int64).min // 4

    def row(i: int) -> Array:
        merged = est.cost(np.minimum(ymin[i], ymin), np.maximum(ymax[i], ymax))
        s = alone[i] + alone - merged
        fits = np.all(load[i] + load <= cap, axis=1)
        s = np.where(fits & alive, s, neg)
        s[i] = neg
        out: Array = s
        return out

    pair_min = np.minimum(ymin[:, None, :], ymin[None, :, :])
    pair_max = np.maximum(ymax[:, None, :], ymax[None, :, :])
    saving = alone[:, None] + alone[None, :] - est.cost(pair_min, pair_max)
    fits = np.all(load[:, None, :] + load[None, :, :] <= cap, axis=2)
    saving = np.where(fits, saving, neg)
    np.fill_diagonal(saving, neg)
    del pair_min, pair_max
    while True:
        flat = int(np.argmax(saving))
        i, j = divmod(flat, n)
        if saving[i, j] <= 0:
            break
        # Merge j into i.
        members[i].extend(members[j])
        members[j] = []
        alive[j] = False
        ymin[i] = np.minimum(ymin[i], ymin[j])
        ymax[i] = np.maximum(ymax[i], ymax[j])
        load[i] = load[i] + load[j]
        alone[i] = est.cost(ymin[i], ymax[i])
        saving[j, :] = neg
        saving[:, j] = neg
        r = row(i)
        saving[i, :] = r
        saving[:, i] = r
    batches = [Batch(tuple(orders[k] for k in sorted(m))) for m in members if m]
    batches.sort(key=lambda b: min(o.key for o in b.orders))
    return batches


def seed_batches(geo: Geometry, orders: Sequence[OrderWork], caps: Caps) -> list[Batch]:
    """Seed each cart with the open order reaching farthest, then add the order that adds the
    least estimated walk, while the caps allow."""
    n = len(orders)
    if n == 0:
        return []
    est = _Estimate(geo, orders)
    alone = est.cost(est.ymin, est.ymax)
    load = _loads(orders)
    cap = _cap_vector(caps)
    free = np.ones(n, dtype=bool)
    out: list[Batch] = []
    while free.any():
        seed = int(np.argmax(np.where(free, alone, -1)))
        free[seed] = False
        chosen = [seed]
        bmin, bmax, bload = est.ymin[seed].copy(), est.ymax[seed].copy(), load[seed].copy()
        current = int(alone[seed])
        while free.any():
            fits = free & np.all(bload + load <= cap, axis=1)
            if not fits.any():
                break
            added = est.cost(np.minimum(bmin, est.ymin), np.maximum(bmax, est.ymax)) - current
            k = int(np.argmin(np.where(fits, added, np.iinfo(np.int64).max)))
            free[k] = False
            chosen.append(k)
            bmin = np.minimum(bmin, est.ymin[k])
            bmax = np.maximum(bmax, est.ymax[k])
            bload = bload + load[k]
            current += int(added[k])
        out.append(Batch(tuple(orders[k] for k in sorted(chosen))))
    return out


def total_walk(geo: Geometry, batches: Sequence[Batch]) -> int:
    """The routed walk of every cart, summed."""
    return sum(b.route(geo).length_mm for b in batches)
