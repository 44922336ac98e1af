"""Pick paths through a parallel-aisle warehouse.

The floor is a grid: vertical pick aisles at known x positions and horizontal cross aisles at
known y positions (the front one, optional middle ones, and a back one). A picker walks only
along aisles and cross aisles. The depot (where a route starts and ends: the pack station or
the cart park) sits on the front cross aisle.

- `optimal_route`: Ratliff and Rosenthal's dynamic programme for single-block layouts (front
  and back cross aisle only). It sweeps the aisles left to right, keeping for the partial tour
  only the degree parity of the two aisle ends and whether they are connected: six classes,
  six ways to cover an aisle, nine ways to link two neighbouring aisles. Linear in the number
  of aisles; exact. The edge set it finds is turned into a visiting order by an Euler tour.
  Layouts without a back cross aisle (dead-end aisles) are the same programme with the back
  ends removed.
- `largest_gap_route` and `combined_route`: block-by-block heuristics for layouts with middle
  cross aisles (Roodbergen and de Koster's multi-block largest gap and combined), polished by
  2-opt and Or-opt moves on exact walking distances (`improve`).
- `s_shape_route`: the baseline every other router is measured against.
- `route`: the router the services use: exact when the layout is single-block, else the best
  heuristic.

Distances are in millimetres, integers throughout.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from app.domain.paths import Stop, s_shape

__all__ = [
    "Geometry",
    "Method",
    "Point",
    "Route",
    "Stop",
    "combined_route",
    "improve",
    "largest_gap_route",
    "optimal_route",
    "route",
    "route_length",
    "s_shape_route",
    "sequence_from",
]


class Method(Enum):
    EXACT = "exact"
    LARGEST_GAP = "largest_gap"
    COMBINED = "combined"
    S_SHAPE = "s_shape"
    LOCAL = "local_search"


@dataclass(frozen=True)
class Point:
    """Somewhere a picker stands: in an aisle (aisle >= 1) or on the front cross aisle at the
    depot (aisle 0)."""

    aisle: int
    y_mm: int


@dataclass(frozen=True)
class Geometry:
    """The walkable grid. `cross_aisles_mm` lists the y of every cross aisle, front first;
    with one entry the aisles are dead ends (no back cross aisle)."""

    aisle_x_mm: dict[int, int]
    cross_aisles_mm: tuple[int, ...]
    depot_x_mm: int = 0

    def __post_init__(self) -> None:
        if not self.cross_aisles_mm:
            raise ValueError("a layout needs at least the front cross aisle")
        if list(self.cross_aisles_mm) != sorted(set(self.cross_aisles_mm)):
            raise ValueError("cross aisles must be listed front to back, each once")

    @classmethod
    def regular(
        cls,
        aisles: int,
        aisle_pitch_mm: int,
        front_mm: int,
        aisle_length_mm: int,
        middle_mm: Sequence[int] = (),
        back: bool = True,
        depot_x_mm: int = 0,
    ) -> Geometry:
        """Aisles 1..n at n * pitch; a front cross aisle at `front_mm`, a back one at
        `front_mm + aisle_length_mm` (unless `back` is False), middle ones in between."""
        if middle_mm and not back:
            raise ValueError("middle cross aisles need a back cross aisle")
        cross = [front_mm, *sorted(front_mm + m for m in middle_mm)]
        if back:
            cross.append(front_mm + aisle_length_mm)
        return cls(
            {a: a * aisle_pitch_mm for a in range(1, aisles + 1)},
            tuple(cross),
            depot_x_mm,
        )

    @property
    def front_mm(self) -> int:
        return self.cross_aisles_mm[0]

    @property
    def has_back(self) -> bool:
        return len(self.cross_aisles_mm) >= 2

    @property
    def single_block(self) -> bool:
        return len(self.cross_aisles_mm) <= 2

    def x(self, aisle: int) -> int:
        if aisle == 0:
            return self.depot_x_mm
        return self.aisle_x_mm[aisle]

    def block_of(self, y_mm: int) -> int:
        """1 for the block between the front and the next cross aisle, and so on."""
        for k in range(1, len(self.cross_aisles_mm)):
            if y_mm <= self.cross_aisles_mm[k]:
                return k
        return max(1, len(self.cross_aisles_mm) - 1)

    def distance(self, p: Point, q: Point) -> int:
        """The shortest walk between two points along aisles and cross aisles."""
        if p.aisle == q.aisle and p.aisle != 0:
            return abs(p.y_mm - q.y_mm)
        dx = abs(self.x(p.aisle) - self.x(q.aisle))
        if p.aisle == 0 or q.aisle == 0:  # the depot is on the front cross aisle
            other = q if p.aisle == 0 else p
            return dx + abs(other.y_mm - self.front_mm)
        return dx + min(abs(p.y_mm - c) + abs(q.y_mm - c) for c in self.cross_aisles_mm)

    @property
    def depot(self) -> Point:
        return Point(0, self.front_mm)


@dataclass(frozen=True)
class Route:
    stops: tuple[Stop, ...]
    length_mm: int
    method: Method
    extra: dict[str, int] = field(default_factory=dict, compare=False)


def _point(s: Stop) -> Point:
    return Point(s.aisle, s.y_mm)


def route_length(
    geo: Geometry, stops: Sequence[Stop], start: Point | None = None, end: Point | None = None
) -> int:
    """Walking distance from `start` (the depot) through the stops in order to `end`."""
    here = start or geo.depot
    total = 0
    for s in stops:
        p = _point(s)
        total += geo.distance(here, p)
        here = p
    return total + geo.distance(here, end or geo.depot)


# ------------------------------------------------------------------ exact single-block router

# Partial-tour classes at the two ends of the current aisle: degree of the back end (a) and of
# the front end (b), each 0 (untouched), 1 (odd) or 2 (even, touched), and whether a and b are
# in one component. Odd ends come in pairs within a component, so only six classes exist.
_S00, _S02, _S20, _S11, _S22C, _S22D = range(6)
_CLASS = {
    (0, 0, False): _S00,
    (0, 2, False): _S02,
    (2, 0, False): _S20,
    (1, 1, True): _S11,
    (2, 2, True): _S22C,
    (2, 2, False): _S22D,
}
_TUPLE = {v: k for k, v in _CLASS.items()}


class _V(Enum):
    """How one aisle is covered: (degree added at the back end, at the front end, connects)."""

    NONE = (0, 0, False)
    TRAVERSE = (1, 1, True)
    TRAVERSE_TWICE = (2, 2, True)
    FROM_BACK = (2, 0, False)
    FROM_FRONT = (0, 2, False)
    GAP = (2, 2, False)


def _deg(d: int) -> int:
    return 0 if d == 0 else (1 if d % 2 else 2)


def _after_vertical(state: int, v: _V) -> int | None:
    da, db, same = _TUPLE[state]
    va, vb, connects = v.value
    na, nb = da + va, db + vb
    joined = bool(na and nb) and (connects or (same and da > 0 and db > 0))
    key = (_deg(na), _deg(nb), joined)
    return _CLASS.get(key)


_CLOSED = -1


def _after_horizontal(state: int, t: int, s: int) -> int | None:
    """Link to the next aisle with t copies of the back edge and s of the front edge.
    Returns the next class, _CLOSED when the tour closes here, or None (infeasible)."""
    da, db, same = _TUPLE[state]
    if (da % 2 + t) % 2 or (db % 2 + s) % 2:
        return None  # an end left with an odd degree can never be fixed
    comps = []
    if da:
        comps.append("a")
    if db and not same:
        comps.append("b")
    closed = []
    for c in comps:
        continues = (t > 0) if c == "a" else (s > 0)
        if c == "a" and same and s > 0:
            continues = True
        if not continues:
            closed.append(c)
    if closed:
        if t == 0 and s == 0 and len(comps) == 1:
            return _CLOSED
        return None
    # New ends: a spur that starts here is a new component.
    ca = ("a" if da else "new_a") if t else None
    cb = (("a" if same else "b") if db else "new_b") if s else None
    if ca is None and cb is None:
        return _S00 if not comps else None
    joined = ca is not None and cb is not None and ca == cb
    return _CLASS.get((_deg(t), _deg(s), joined))


_V_TABLE = {(st, v): _after_vertical(st, v) for st in range(6) for v in _V}
_H_TABLE = {
    (st, t, s): _after_horizontal(st, t, s) for st in range(6) for t in range(3) for s in range(3)
}


@dataclass
class _Column:
    x_mm: int
    aisle: bool  # a walkable aisle (False for the depot's own column)
    ys: list[int]  # distinct pick positions, ascending (front to back)
    keys: dict[int, list[Stop]]  # stops at each y
    depot_y: int | None = None  # the depot stands in this column, at this y


def _columns(geo: Geometry, stops: Sequence[Stop]) -> list[_Column]:
    by_aisle: dict[int, dict[int, list[Stop]]] = {}
    for s in stops:
        by_aisle.setdefault(s.aisle, {}).setdefault(s.y_mm, []).append(s)
    xs_needed = [geo.x(a) for a in by_aisle] + [geo.depot_x_mm]
    lo, hi = min(xs_needed), max(xs_needed)
    cols: dict[int, _Column] = {}
    for a, x in geo.aisle_x_mm.items():
        if lo <= x <= hi:
            at = by_aisle.get(a, {})
            cols[x] = _column(x, at)
    for a, at in by_aisle.items():  # stops in aisles the geometry does not list
        x = geo.x(a)
        if x not in cols:
            cols[x] = _column(x, at)
    front = geo.front_mm
    if geo.depot_x_mm in cols:
        col = cols[geo.depot_x_mm]
        col.depot_y = front
        if front not in col.keys:
            col.ys = sorted([*col.ys, front])
            col.keys[front] = []
    else:
        cols[geo.depot_x_mm] = _Column(geo.depot_x_mm, False, [front], {front: []}, front)
    return [cols[x] for x in sorted(cols)]


def _column(x: int, at: dict[int, list[Stop]]) -> _Column:
    return _Column(x, True, sorted(at), {y: sorted(v, key=lambda s: s.key) for y, v in at.items()})


def _vertical_options(col: _Column, front: int, back: int | None) -> list[tuple[_V, int, int]]:
    """(how, cost, gap index) for every allowed way to cover the column."""
    ys = col.ys
    if not col.aisle:
        return [(_V.FROM_FRONT, 2 * (ys[-1] - front), 0)]
    out: list[tuple[_V, int, int]] = []
    if back is None:
        if ys:
            out.append((_V.FROM_FRONT, 2 * (ys[-1] - front), 0))
        else:
            out.append((_V.NONE, 0, 0))
        return out
    length = back - front
    if not ys:
        out.append((_V.NONE, 0, 0))
    out.append((_V.TRAVERSE, length, 0))
    out.append((_V.TRAVERSE_TWICE, 2 * length, 0))
    if ys:
        out.append((_V.FROM_BACK, 2 * (back - ys[0]), 0))
        out.append((_V.FROM_FRONT, 2 * (ys[-1] - front), 0))
        if len(ys) >= 2:
            best_k, best = 1, None
            for k in range(1, len(ys)):
                c = 2 * (ys[k - 1] - front) + 2 * (back - ys[k])
                if best is None or c < best:
                    best_k, best = k, c
            assert best is not None
            out.append((_V.GAP, best, best_k))
    return out


def optimal_route(geo: Geometry, stops: Sequence[Stop]) -> Route:
    """The shortest tour from the depot through every stop and back (single-block layouts)."""
    if not geo.single_block:
        raise ValueError("the exact router needs a single-block layout (no middle cross aisles)")
    if not stops:
        return Route((), 0, Method.EXACT)
    cols = _columns(geo, stops)
    front = geo.front_mm
    back = geo.cross_aisles_mm[1] if geo.has_back else None
    if any(s.y_mm < front or (back is not None and s.y_mm > back) for s in stops):
        raise ValueError("a stop lies outside the aisles (before the front or past the back)")
    last_required = max(i for i, c in enumerate(cols) if c.ys)
    aisle_lo = min(c.x_mm for c in cols if c.aisle)
    aisle_hi = max(c.x_mm for c in cols if c.aisle)
    INF = 1 << 62
    # dp_in[state] = cost arriving at column j; back-pointers per column.
    dp_in: dict[int, int] = {_S00: 0}
    trail: list[tuple[dict[int, tuple[int, _V, int]], dict[int, tuple[int, int, int]]]] = []
    best_cost, best_end = INF, (-1, -1)
    for j, col in enumerate(cols):
        required = bool(col.ys)
        opts = _vertical_options(col, front, back)
        dp_out: dict[int, int] = {}
        ptr_v: dict[int, tuple[int, _V, int]] = {}
        for st, cost in dp_in.items():
            for v, vc, k in opts:
                if required and v is _V.NONE:
                    continue
                ns = _V_TABLE[(st, v)]
                if ns is None:
                    continue
                c = cost + vc
                if c < dp_out.get(ns, INF):
                    dp_out[ns] = c
                    ptr_v[ns] = (st, v, k)
        nxt: dict[int, int] = {}
        ptr_h: dict[int, tuple[int, int, int]] = {}
        gap = cols[j + 1].x_mm - col.x_mm if j + 1 < len(cols) else 0
        # The back cross aisle runs from the first aisle to the last, over the depot's x.
        top_ok = (
            back is not None
            and j + 1 < len(cols)
            and aisle_lo <= col.x_mm
            and cols[j + 1].x_mm <= aisle_hi
        )
        for st, cost in dp_out.items():
            # Close the tour here, if nothing is left to the right.
            if j >= last_required and _H_TABLE[(st, 0, 0)] == _CLOSED and cost < best_cost:
                best_cost, best_end = cost, (j, st)
            if j + 1 >= len(cols):
                continue
            for t in range(3 if top_ok else 1):
                for s in range(3):
                    ns = _H_TABLE[(st, t, s)]
                    if ns is None or ns == _CLOSED:
                        continue
                    if ns == _S00 and st != _S00:
                        continue
                    c = cost + (t + s) * gap
                    if c < nxt.get(ns, INF):
                        nxt[ns] = c
                        ptr_h[ns] = (st, t, s)
        trail.append((ptr_v, ptr_h))
        dp_in = nxt
    if best_cost >= INF:
        raise ValueError("no tour found")  # pragma: no cover - every instance has one
    # Walk the back-pointers to the edge multiset.
    j, st = best_end
    vertical: dict[int, tuple[_V, int]] = {}
    horizontal: dict[int, tuple[int, int]] = {}
    while j >= 0:
        ptr_v, _ = trail[j]
        prev, v, k = ptr_v[st]
        vertical[j] = (v, k)
        st = prev
        if j == 0:
            break
        _, ptr_h_prev = trail[j - 1]
        prev_st, t, s = ptr_h_prev[st]
        horizontal[j - 1] = (t, s)
        st = prev_st
        j -= 1
    order = _euler_order(cols, vertical, horizontal)
    return Route(tuple(order), best_cost, Method.EXACT)


def _euler_order(
    cols: list[_Column], vertical: dict[int, tuple[_V, int]], horizontal: dict[int, tuple[int, int]]
) -> list[Stop]:
    Node = tuple[str, int, int]
    edges: list[tuple[Node, Node]] = []

    def chain(nodes: list[Node], copies: int) -> None:
        for _ in range(copies):
            for u, w in itertools.pairwise(nodes):
                edges.append((u, w))

    depot: Node | None = None
    for j, col in enumerate(cols):
        a: Node = ("a", j, 0)
        b: Node = ("b", j, 0)
        pts: list[Node] = [("p", j, i) for i in range(len(col.ys))]
        if col.depot_y is not None:
            depot = ("p", j, col.ys.index(col.depot_y))
        v, k = vertical.get(j, (_V.NONE, 0))
        if v is _V.TRAVERSE:
            chain([b, *pts, a], 1)
        elif v is _V.TRAVERSE_TWICE:
            chain([b, *pts, a], 2)
        elif v is _V.FROM_BACK:
            chain([a, *reversed(pts)], 2)
        elif v is _V.FROM_FRONT:
            chain([b, *pts], 2)
        elif v is _V.GAP:
            chain([b, *pts[:k]], 2)
            chain([a, *reversed(pts[k:])], 2)
    for j, (t, s) in horizontal.items():
        chain([("a", j, 0), ("a", j + 1, 0)], t)
        chain([("b", j, 0), ("b", j + 1, 0)], s)
    assert depot is not None
    adj: dict[Node, list[tuple[Node, int]]] = {}
    for i, (u, w) in enumerate(edges):
        adj.setdefault(u, []).append((w, i))
        adj.setdefault(w, []).append((u, i))
    used = [False] * len(edges)
    stack = [depot]
    circuit: list[Node] = []
    while stack:
        u = stack[-1]
        nbrs = adj.get(u, [])
        while nbrs and used[nbrs[-1][1]]:
            nbrs.pop()
        if nbrs:
            w, i = nbrs.pop()
            used[i] = True
            stack.append(w)
        else:
            circuit.append(stack.pop())
    seen: set[Node] = set()
    order: list[Stop] = []
    for node in circuit:
        if node[0] == "p" and node not in seen:
            seen.add(node)
            col = cols[node[1]]
            order.extend(col.keys[col.ys[node[2]]])
    return order


# ------------------------------------------------------------------ heuristics and baseline


def s_shape_route(geo: Geometry, stops: Sequence[Stop]) -> Route:
    """Serpentine through the aisles in order: the baseline. On a single-block layout its
    length is the policy's own (every aisle with a stop walked end to end, the last one
    entered and left from the front when their number is odd), not the shortest walk between
    consecutive stops, which would quietly turn S-shape into a smarter policy."""
    order = s_shape(list(stops))
    if not stops or not geo.single_block or not geo.has_back:
        return Route(tuple(order), route_length(geo, order), Method.S_SHAPE)
    front, back = geo.cross_aisles_mm[0], geo.cross_aisles_mm[1]
    aisles = sorted({s.aisle for s in stops}, key=geo.x)
    xs = [geo.x(a) for a in aisles]
    lo, hi = min(*xs, geo.depot_x_mm), max(*xs, geo.depot_x_mm)
    horizontal = 2 * (hi - lo)
    vertical = (back - front) * (len(aisles) - len(aisles) % 2)
    if len(aisles) % 2:
        last = aisles[-1]
        vertical += 2 * (max(s.y_mm for s in stops if s.aisle == last) - front)
    return Route(tuple(order), horizontal + vertical, Method.S_SHAPE)


def _blocks(geo: Geometry, stops: Sequence[Stop]) -> dict[int, dict[int, list[Stop]]]:
    out: dict[int, dict[int, list[Stop]]] = {}
    for s in stops:
        out.setdefault(geo.block_of(s.y_mm), {}).setdefault(s.aisle, []).append(s)
    for aisles in out.values():
        for v in aisles.values():
            v.sort(key=lambda s: (s.y_mm, s.key))
    return out


def largest_gap_route(geo: Geometry, stops: Sequence[Stop]) -> Route:
    """Block by block from the farthest: along the block's back cross aisle left to right,
    each sub-aisle entered from the back down to its largest gap; the rightmost sub-aisle
    walked through; then back along the front cross aisle entering each sub-aisle up to its
    largest gap. The next block starts where this one ended."""
    if not stops:
        return Route((), 0, Method.LARGEST_GAP)
    cross = geo.cross_aisles_mm
    order: list[Stop] = []
    blocks = _blocks(geo, stops)
    for k in sorted(blocks, reverse=True):
        front = cross[k - 1]
        back = cross[k] if k < len(cross) else None
        aisles = sorted(blocks[k], key=geo.x)
        if back is None:  # dead ends: enter each from the front and come back
            for a in aisles:
                order.extend(blocks[k][a])
            continue
        back_parts: list[Stop] = []
        front_parts: list[list[Stop]] = []
        for a in aisles[:-1]:
            ss = blocks[k][a]
            ys = [front, *(s.y_mm for s in ss), back]
            gaps = [ys[i + 1] - ys[i] for i in range(len(ys) - 1)]
            g = max(range(len(gaps)), key=lambda i: (gaps[i], -i))
            # Stops below the gap come from the front, the rest from the back.
            front_parts.append(ss[:g])
            back_parts.extend(reversed(ss[g:]))
        order.extend(back_parts)
        order.extend(reversed(blocks[k][aisles[-1]]))
        for part in reversed(front_parts):
            order.extend(part)
    return Route(tuple(order), route_length(geo, order), Method.LARGEST_GAP)


def combined_route(geo: Geometry, stops: Sequence[Stop]) -> Route:
    """Block by block from the farthest, alternating direction. Within a block each sub-aisle
    with stops is either walked through (changing side) or entered and left from the same
    side, chosen by a two-state dynamic programme that ends on the block's front side."""
    if not stops:
        return Route((), 0, Method.COMBINED)
    cross = geo.cross_aisles_mm
    blocks = _blocks(geo, stops)
    order: list[Stop] = []
    left_to_right = True
    for k in sorted(blocks, reverse=True):
        front = cross[k - 1]
        back = cross[k] if k < len(cross) else None
        aisles = sorted(blocks[k], key=geo.x, reverse=not left_to_right)
        if back is None:
            for a in aisles:
                order.extend(blocks[k][a])
            left_to_right = not left_to_right
            continue
        length = back - front
        # Side 0 = front, 1 = back. Enter the farthest block from its front (from below),
        # the others from their back (coming down from the block above).
        start_side = 0 if k == max(blocks) else 1
        INF = 1 << 62
        cost = [INF, INF]
        cost[start_side] = 0
        choice: list[tuple[tuple[int, str], tuple[int, str]]] = []
        for a in aisles:
            ss = blocks[k][a]
            ret = [2 * (ss[-1].y_mm - front), 2 * (back - ss[0].y_mm)]
            new = [INF, INF]
            how: list[tuple[int, str]] = [(-1, ""), (-1, "")]
            for side in (0, 1):
                if cost[side] >= INF:
                    continue
                if cost[side] + ret[side] < new[side]:
                    new[side] = cost[side] + ret[side]
                    how[side] = (side, "return")
                if cost[side] + length < new[1 - side]:
                    new[1 - side] = cost[side] + length
                    how[1 - side] = (side, "through")
            choice.append((how[0], how[1]))
            cost = new
        side = 0 if cost[0] <= cost[1] + length else 1
        plan: list[tuple[int, str]] = []
        for i in range(len(aisles) - 1, -1, -1):
            prev_side, what = choice[i][side]
            plan.append((prev_side, what))
            side = prev_side
        plan.reverse()
        for a, (from_side, _what) in zip(aisles, plan, strict=True):
            ss = blocks[k][a]
            order.extend(ss if from_side == 0 else reversed(ss))
        left_to_right = not left_to_right
    return Route(tuple(order), route_length(geo, order), Method.COMBINED)


def improve(
    geo: Geometry,
    stops: Sequence[Stop],
    start: Point | None = None,
    end: Point | None = None,
    max_rounds: int = 50,
) -> list[Stop]:
    """2-opt and Or-opt (moving runs of 1 to 3 stops) on exact walking distances until no
    move shortens the walk from start through the stops to end."""
    pts = [start or geo.depot, *(_point(s) for s in stops), end or geo.depot]
    n = len(pts)
    if n <= 3:
        return list(stops)
    d = [[geo.distance(p, q) for q in pts] for p in pts]
    seq = list(range(n))  # 0 and n-1 stay fixed
    for _ in range(max_rounds):
        better = False
        # 2-opt: reverse seq[i..j]
        for i in range(1, n - 2):
            a, b = seq[i - 1], seq[i]
            da_b = d[a][b]
            for j in range(i + 1, n - 1):
                c, e = seq[j], seq[j + 1]
                delta = d[a][c] + d[b][e] - da_b - d[c][e]
                if delta < 0:
                    seq[i : j + 1] = reversed(seq[i : j + 1])
                    better = True
                    a, b = seq[i - 1], seq[i]
                    da_b = d[a][b]
        # Or-opt: move a run of 1..3 stops elsewhere, either way round.
        for run in (1, 2, 3):
            i = 1
            while i + run <= n - 1:
                seg = seq[i : i + run]
                p, q = seq[i - 1], seq[i + run]
                removed = d[p][seg[0]] + d[seg[-1]][q] - d[p][q]
                rest = seq[:i] + seq[i + run :]
                best_gain, best_at, best_rev = 0, -1, False
                for at in range(1, len(rest)):
                    u, w = rest[at - 1], rest[at]
                    base = d[u][w]
                    fwd = d[u][seg[0]] + d[seg[-1]][w] - base
                    rev = d[u][seg[-1]] + d[seg[0]][w] - base
                    if removed - fwd > best_gain:
                        best_gain, best_at, best_rev = removed - fwd, at, False
                    if removed - rev > best_gain:
                        best_gain, best_at, best_rev = removed - rev, at, True
                if best_at >= 0:
                    ins = list(reversed(seg)) if best_rev else seg
                    seq = rest[:best_at] + ins + rest[best_at:]
                    better = True
                i += 1
        if not better:
            break
    by_index = list(stops)
    return [by_index[i - 1] for i in seq[1:-1]]


def route(geo: Geometry, stops: Sequence[Stop]) -> Route:
    """The router the services use: exact on single-block layouts; otherwise the shorter of
    largest gap and combined, then improved by local search."""
    if geo.single_block:
        return optimal_route(geo, stops)
    seeds = [largest_gap_route(geo, stops), combined_route(geo, stops)]
    seed = min(seeds, key=lambda r: r.length_mm)
    polished = improve(geo, seed.stops)
    length = route_length(geo, polished)
    if length < seed.length_mm:
        return Route(tuple(polished), length, Method.LOCAL, {"seed_mm": seed.length_mm})
    return seed


def sequence_from(
    geo: Geometry, here: Point, stops: Sequence[Stop], end: Point | None = None
) -> list[Stop]:
    """Re-sequence the stops left for a picker standing at `here`, ending at the depot: the
    router's tour as a start, both directions tried, then local search with both ends fixed."""
    if not stops:
        return []
    tour = list(route(geo, stops).stops)
    candidates: list[list[Stop]] = []
    for seq in (tour, tour[::-1]):
        # Start the tour at the stop nearest to the picker.
        i = min(range(len(seq)), key=lambda k: geo.distance(here, _point(seq[k])))
        candidates.append(seq[i:] + seq[:i])
    best = min(candidates, key=lambda s: route_length(geo, s, here, end))
    return improve(geo, best, here, end)


def nearest(geo: Geometry, here: Point, points: Iterable[tuple[int, Point]]) -> int | None:
    """The key of the point nearest to `here` (ties: the smaller key)."""
    best: tuple[int, int] | None = None
    for key, p in points:
        cand = (geo.distance(here, p), key)
        if best is None or cand < best:
            best = cand
    return best[1] if best else None


DistanceFn = Callable[[Point, Point], int]
