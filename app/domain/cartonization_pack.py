"""One container, many item kinds: the constructive packing heuristics behind the cartonizer.

Geometry is integer millimetres, index 2 (z) vertical. Free space is kept as the set of
*empty maximal spaces* (EMS): axis-aligned boxes, possibly overlapping each other, none
contained in another, whose union is the free volume. A box placed inside an EMS cannot
overlap anything already placed, so every placement is valid by construction; the heuristics
differ only in which space, which kind, which orientation and how many units (a block of
identical units) they take next, and in which corner of the space the block goes.

Nothing here knows about cartons, catalogs or ids beyond a kind's index: `cartonization` does
the choosing of containers and the bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import permutations
from random import Random

Dims = tuple[int, int, int]
# (x1, y1, z1, x2, y2, z2), half-open on the upper side
Space = tuple[int, int, int, int, int, int]


@dataclass(frozen=True)
class Kind:
    """Identical units: their allowed oriented extents (possibly none), volume, smallest
    extent and weight."""

    dims: Dims
    orients: tuple[Dims, ...]
    weight: int
    volume: int
    min_dim: int

    @classmethod
    def of(cls, dims: Dims, orients: tuple[Dims, ...], weight: int) -> Kind:
        return cls(dims, orients, weight, dims[0] * dims[1] * dims[2], min(dims))


@dataclass(frozen=True)
class Placed:
    kind: int
    pos: Dims
    dims: Dims


@dataclass(frozen=True)
class Strategy:
    """How a construction chooses its next move.

    `driver`: "space" takes the most constrained free space first (lowest, then nearest the
    back-left corner) and puts the best block of any kind in it; "item" takes kinds in a fixed
    order (`order`) and puts each unit in the lowest space it fits.
    `score` (space driver): "volume" = biggest block first; "unit" = biggest unit first, then
    biggest block; "fit" = the block leaving the least slack in the space.
    `blocks`: whether identical units may go in as one block (columns / layers).
    `anchor`: which free space counts as lowest: "floor" fills the floor first (z, then nearest
    the x = y = 0 edge), "wall" builds walls from x = 0, "row" from y = 0, "tight" takes the
    smallest space first; "corner" (space driver) the space with a bottom corner nearest a
    corner of the container, the block going into that corner.
    `columns` (space driver): blocks may also be stacked columns, not only floor layers.
    `seed` (space driver): when not 0, each move is drawn from the three best by the score
    (a seeded, so repeatable, random choice): for multi-start search.
    `stack` (space driver): blocks may be more than one unit high; without it every block is a
    single layer, so each layer's height is chosen afresh.
    """

    driver: str = "space"
    score: str = "volume"
    blocks: bool = True
    order: str = "volume"
    anchor: str = "floor"
    columns: bool = False
    seed: int = 0
    stack: bool = True


def orientations(
    dims: Dims, keep_flat: bool, allowed_vertical: Sequence[bool] | None
) -> tuple[Dims, ...]:
    """Distinct oriented extents an item may take. `allowed_vertical[i]` says whether edge
    `dims[i]` may stand vertical and overrides `keep_flat` ("this way up": `dims[2]` vertical)."""
    if allowed_vertical is not None:
        vertical = [i for i in range(3) if allowed_vertical[i]]
    elif keep_flat:
        vertical = [2]
    else:
        vertical = [0, 1, 2]
    seen: list[Dims] = []
    for p in permutations(range(3)):
        if p[2] not in vertical:
            continue
        o = (dims[p[0]], dims[p[1]], dims[p[2]])
        if o not in seen:
            seen.append(o)
    return tuple(seen)


def fits_empty(kind: Kind, box: Dims) -> bool:
    bx, by, bz = box
    return any(a <= bx and b <= by and c <= bz for a, b, c in kind.orients)


def _anchor_floor(s: Space) -> tuple[int, ...]:
    return (s[2], s[0] + s[1], s[1])


def _anchor_wall(s: Space) -> tuple[int, ...]:
    return (s[0], s[2], s[1])


def _anchor_row(s: Space) -> tuple[int, ...]:
    return (s[1], s[2], s[0])


def _anchor_tight(s: Space) -> tuple[int, ...]:
    return ((s[3] - s[0]) * (s[4] - s[1]) * (s[5] - s[2]), s[2], s[0] + s[1])


def _anchor_corner(W: int, L: int) -> Callable[[Space], tuple[int, ...]]:
    """Spaces by how near one of their bottom corners is to a container corner (the three
    distances, smallest first), then the biggest: keeps the free space in big chunks."""

    def key(t: Space) -> tuple[int, ...]:
        dx, dy = min(t[0], W - t[3]), min(t[1], L - t[4])
        a, b, c = sorted((dx, dy, t[2]))
        return (a, b, c, -(t[3] - t[0]) * (t[4] - t[1]) * (t[5] - t[2]))

    return key


AXIS = {"floor": 2, "wall": 0, "row": 1, "tight": 2}  # the axis each anchor grows along
ANCHORS: dict[str, Callable[[Space], tuple[int, ...]]] = {
    "floor": _anchor_floor,
    "wall": _anchor_wall,
    "row": _anchor_row,
    "tight": _anchor_tight,
}


def _update_spaces(
    spaces: list[Space], bx1: int, by1: int, bz1: int, bx2: int, by2: int, bz2: int, min_dim: int
) -> list[Space]:
    """Free spaces after a box occupies [b1, b2): every space it cuts is split into up to six
    maximal pieces; pieces thinner than `min_dim` or inside another space are dropped."""
    keep: list[Space] = []
    new: list[Space] = []
    for s in spaces:
        x1, y1, z1, x2, y2, z2 = s
        if bx1 >= x2 or bx2 <= x1 or by1 >= y2 or by2 <= y1 or bz1 >= z2 or bz2 <= z1:
            keep.append(s)
            continue
        if bx1 - x1 >= min_dim:
            new.append((x1, y1, z1, bx1, y2, z2))
        if x2 - bx2 >= min_dim:
            new.append((bx2, y1, z1, x2, y2, z2))
        if by1 - y1 >= min_dim:
            new.append((x1, y1, z1, x2, by1, z2))
        if y2 - by2 >= min_dim:
            new.append((x1, by2, z1, x2, y2, z2))
        if bz1 - z1 >= min_dim:
            new.append((x1, y1, z1, x2, y2, bz1))
        if z2 - bz2 >= min_dim:
            new.append((x1, y1, bz2, x2, y2, z2))
    if not new:
        return keep
    out = keep[:]
    for i, n in enumerate(new):
        nx1, ny1, nz1, nx2, ny2, nz2 = n
        inside = False
        for o in keep:
            if (
                o[0] <= nx1
                and o[1] <= ny1
                and o[2] <= nz1
                and o[3] >= nx2
                and o[4] >= ny2
                and (o[5] >= nz2)
            ):
                inside = True
                break
        if not inside:
            for j, o in enumerate(new):
                if (
                    j != i
                    and o[0] <= nx1
                    and o[1] <= ny1
                    and o[2] <= nz1
                    and o[3] >= nx2
                    and o[4] >= ny2
                    and o[5] >= nz2
                    and (o != n or j < i)
                ):
                    inside = True
                    break
        if not inside:
            out.append(n)
    return out


def _min_dim(kinds: Sequence[Kind], remaining: Sequence[int]) -> int:
    dims = [k.min_dim for k, r in zip(kinds, remaining, strict=True) if r > 0]
    return min(dims) if dims else 1 << 60


def construct(
    box: Dims, payload: int, kinds: Sequence[Kind], demand: Sequence[int], strategy: Strategy
) -> tuple[list[Placed], list[int]]:
    """Pack units of `kinds` (`demand[i]` of kind i) into one empty container of inner extents
    `box` whose contents may weigh at most `payload`. Returns the placements and the units left
    over per kind. Deterministic."""
    if strategy.driver == "item":
        return _construct_item(box, payload, kinds, demand, strategy)
    return _construct_space(box, payload, kinds, demand, strategy)


def _block(
    a: int, b: int, c: int, sx: int, sy: int, sz: int, n: int, col_first: bool
) -> tuple[int, int, int]:
    """How many units along x, y, z a block of at most n units of extents (a, b, c) takes in a
    space of (sx, sy, sz): a floor layer filled row by row, stacked up only when the layer is
    full (`col_first` stacks first)."""
    mx, my, mz = sx // a, sy // b, sz // c
    if col_first:
        nz = min(mz, n)
        nx = min(mx, n // nz)
        ny = min(my, n // (nz * nx))
        return nx, ny, nz
    nx = min(mx, n)
    ny = min(my, n // nx)
    nz = min(mz, n // (nx * ny))
    return nx, ny, nz


def _construct_space(
    box: Dims, payload: int, kinds: Sequence[Kind], demand: Sequence[int], strategy: Strategy
) -> tuple[list[Placed], list[int]]:
    remaining = list(demand)
    spaces: list[Space] = [(0, 0, 0, box[0], box[1], box[2])]
    placed: list[Placed] = []
    left = payload
    min_dim = _min_dim(kinds, remaining)
    score_rule = strategy.score
    W, L = box[0], box[1]
    corner = strategy.anchor == "corner"
    anchor = _anchor_corner(W, L) if corner else ANCHORS[strategy.anchor]
    use_blocks = strategy.blocks
    shapes = (False, True) if strategy.columns else (False,)
    rng = Random(strategy.seed) if strategy.seed else None
    stack = strategy.stack
    nk = len(kinds)
    weights = [k.weight for k in kinds]
    vols = [k.volume for k in kinds]
    while spaces:
        s = min(spaces, key=anchor)
        x1, y1, z1, x2, y2, z2 = s
        sx, sy, sz = x2 - x1, y2 - y1, z2 - z1
        best: tuple[int, ...] | None = None
        best_move: tuple[int, int, int, int, int, int, int] | None = None
        pool: list[tuple[tuple[int, ...], tuple[int, int, int, int, int, int, int]]] = []
        for ki in range(nk):
            r = remaining[ki]
            if r <= 0:
                continue
            w = weights[ki]
            if w > left:
                continue
            if w > 0:
                r = min(r, left // w)
            uv = vols[ki]
            for a, b, c in kinds[ki].orients:
                if a > sx or b > sy or c > sz:
                    continue
                for col in shapes:
                    if use_blocks and r > 1:
                        nx, ny, nz = _block(a, b, c, sx, sy, sz if stack else c, r, col)
                    else:
                        nx = ny = nz = 1
                    n = nx * ny * nz
                    bx, by, bz = nx * a, ny * b, nz * c
                    if score_rule == "unit":
                        key: tuple[int, ...] = (uv, n * uv, -bz)
                    elif score_rule == "fit":
                        key = (-min(sx - bx, sy - by), n * uv, -bz)
                    else:
                        key = (n * uv, -bz, uv)
                    if rng is not None:
                        pool.append((key, (ki, a, b, c, nx, ny, nz)))
                    elif best is None or key > best:
                        best = key
                        best_move = (ki, a, b, c, nx, ny, nz)
        if pool:
            pool.sort(reverse=True)
            best_move = pool[rng.randrange(min(3, len(pool)))][1] if rng else pool[0][1]
        if best_move is None:
            spaces.remove(s)
            continue
        ki, a, b, c, nx, ny, nz = best_move
        if corner:
            if W - x2 < x1:
                x1 = x2 - nx * a
            if L - y2 < y1:
                y1 = y2 - ny * b
        for iz in range(nz):
            for iy in range(ny):
                for ix in range(nx):
                    placed.append(Placed(ki, (x1 + ix * a, y1 + iy * b, z1 + iz * c), (a, b, c)))
        n = nx * ny * nz
        remaining[ki] -= n
        left -= n * weights[ki]
        if remaining[ki] == 0:
            min_dim = _min_dim(kinds, remaining)
            if min_dim >= 1 << 60:
                break
        spaces = _update_spaces(spaces, x1, y1, z1, x1 + nx * a, y1 + ny * b, z1 + nz * c, min_dim)
    return placed, remaining


def _item_order(kinds: Sequence[Kind], order: str) -> list[int]:
    def key(i: int) -> tuple[int, ...]:
        k = kinds[i]
        d = sorted(k.dims, reverse=True)
        if order == "longest":
            return (-d[0], -k.volume, i)
        if order == "area":
            return (-d[0] * d[1], -k.volume, i)
        if order == "height":
            return (-min((o[2] for o in k.orients), default=0), -k.volume, i)
        return (-k.volume, -d[0], i)

    return sorted(range(len(kinds)), key=key)


def _construct_item(
    box: Dims, payload: int, kinds: Sequence[Kind], demand: Sequence[int], strategy: Strategy
) -> tuple[list[Placed], list[int]]:
    remaining = list(demand)
    spaces: list[Space] = [(0, 0, 0, box[0], box[1], box[2])]
    placed: list[Placed] = []
    left = payload
    min_dim = _min_dim(kinds, remaining)
    anchor = ANCHORS[strategy.anchor]
    axis = AXIS[strategy.anchor]
    for ki in _item_order(kinds, strategy.order):
        kind = kinds[ki]
        while remaining[ki] > 0 and kind.weight <= left:
            best: tuple[int, ...] | None = None
            move: tuple[Space, Dims] | None = None
            for s in spaces:
                sk = anchor(s)
                if best is not None and sk > best[:3]:
                    continue
                x1, y1, z1, x2, y2, z2 = s
                sx, sy, sz = x2 - x1, y2 - y1, z2 - z1
                for o in kind.orients:
                    a, b, c = o
                    if a > sx or b > sy or c > sz:
                        continue
                    key = (*sk, o[axis], min(sx - a, sy - b, sz - c))
                    if best is None or key < best:
                        best = key
                        move = (s, o)
            if move is None:
                break
            s, (a, b, c) = move
            placed.append(Placed(ki, (s[0], s[1], s[2]), (a, b, c)))
            remaining[ki] -= 1
            left -= kind.weight
            if remaining[ki] == 0:
                min_dim = _min_dim(kinds, remaining)
            spaces = _update_spaces(spaces, s[0], s[1], s[2], s[0] + a, s[1] + b, s[2] + c, min_dim)
            if not spaces:
                break
    return placed, remaining


def settle(placed: Sequence[Placed]) -> list[Placed]:
    """Let every unit drop straight down onto whatever is below it (or the floor): no unit is
    left with nothing under it. Lowering a unit, bottom layers first, never creates an overlap."""
    order = sorted(range(len(placed)), key=lambda i: placed[i].pos[2])
    out: list[Placed | None] = [None] * len(placed)
    done: list[tuple[int, int, int, int, int]] = []  # x1, y1, x2, y2, top
    for i in order:
        p = placed[i]
        x1, y1, _ = p.pos
        x2, y2 = x1 + p.dims[0], y1 + p.dims[1]
        floor = 0
        for ax1, ay1, ax2, ay2, top in done:
            if ax1 < x2 and x1 < ax2 and ay1 < y2 and y1 < ay2 and top > floor:
                floor = top
        q = p if floor == p.pos[2] else Placed(p.kind, (x1, y1, floor), p.dims)
        out[i] = q
        done.append((x1, y1, x2, y2, floor + p.dims[2]))
    return [q for q in out if q is not None]
