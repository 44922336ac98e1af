"""The OMS API's rate limit in one process: a sliding window counter (app/web/security.py)."""

from __future__ import annotations

from limits import parse

from app.web.security import SlidingWindowCounter

T0 = 6_000_000.0  # the start of a minute


def test_the_limit_holds_within_a_window_and_per_address() -> None:
    limit = SlidingWindowCounter(parse("3 per minute"))
    assert [limit.hit("oms", T0 + i) for i in range(4)] == [True, True, True, False]
    assert limit.hit("other-oms", T0 + 5)  # each address has its own count


def test_no_double_burst_at_the_edge_of_a_window() -> None:
    """A fixed window would allow 3 more at once in the next minute; the previous minute's
    hits still count, less as the window slides past them."""
    limit = SlidingWindowCounter(parse("3 per minute"))
    assert all(limit.hit("oms", T0 + 59) for _ in range(3))
    assert [limit.hit("oms", T0 + 61) for _ in range(2)] == [True, False]  # 3 x 59/60 count
    assert [limit.hit("oms", T0 + 85) for _ in range(2)] == [True, False]  # 3 x 35/60 count
    # Half a minute into the third minute, half of the second minute's 2 hits count.
    assert [limit.hit("oms", T0 + 150) for _ in range(3)] == [True, True, False]


def test_a_refused_hit_is_not_counted() -> None:
    limit = SlidingWindowCounter(parse("2 per second"))
    assert limit.hit("oms", T0) and limit.hit("oms", T0 + 0.1)
    assert not any(limit.hit("oms", T0 + 0.2) for _ in range(50))
    assert limit.hit("oms", T0 + 2.0)
    assert 0 < limit.reset_in(T0 + 2.25) <= 1
