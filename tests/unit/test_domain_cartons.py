"""Which carton the pack station recommends (app/domain/cartons.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.cartons import FILL_LIMIT, CartonType, Unit, choose_carton, fits_alone

SMALL = CartonType("BOX-S", "Small", (200, 150, 100), (210, 160, 110), 100, 5_000, 50)
MEDIUM = CartonType("BOX-M", "Medium", (300, 250, 200), (310, 260, 210), 200, 10_000, 80)
LARGE = CartonType("BOX-L", "Large", (500, 400, 300), (510, 410, 310), 400, 20_000, 120)
CATALOG = [LARGE, SMALL, MEDIUM]  # deliberately not in price order


def unit(dims: tuple[int, int, int] = (50, 50, 50), weight_g: int = 200) -> Unit:
    return Unit("SKU", dims, weight_g)


def test_cheapest_carton_that_fits_is_chosen() -> None:
    assert choose_carton([unit(), unit()], CATALOG) is SMALL


def test_unit_fits_whichever_way_round_it_goes_in() -> None:
    lying_down = unit((60, 180, 120))  # sorted (60, 120, 180) vs (100, 150, 200)
    assert fits_alone(lying_down, SMALL)
    assert choose_carton([lying_down], CATALOG) is SMALL


def test_unit_longer_than_the_small_box_needs_a_bigger_one() -> None:
    assert choose_carton([unit((250, 40, 40))], CATALOG) is MEDIUM


def test_units_filling_more_than_the_fill_limit_go_up_a_size() -> None:
    # SMALL holds 3,000,000 mm³ inside, so the fill limit (75%) is 2,250,000 mm³.
    at_limit = [unit((150, 100, 50))] * 3  # 2,250,000 mm³
    assert sum(150 * 100 * 50 for _ in at_limit) == FILL_LIMIT * SMALL.inner_volume_mm3
    assert choose_carton(at_limit, CATALOG) is SMALL
    assert choose_carton([*at_limit, unit((10, 10, 10))], CATALOG) is MEDIUM


def test_weight_limit_counts_the_carton_s_own_tare() -> None:
    assert choose_carton([unit(weight_g=4_900)], CATALOG) is SMALL  # 4,900 + 100 = 5,000
    assert choose_carton([unit(weight_g=4_901)], CATALOG) is MEDIUM


def test_too_heavy_for_every_carton_reports_none() -> None:
    assert choose_carton([unit(weight_g=19_601)], CATALOG) is None


def test_nothing_fits_reports_none() -> None:
    assert choose_carton([unit((600, 10, 10))], CATALOG) is None
    assert choose_carton([unit()], []) is None


def test_equal_price_prefers_the_smaller_carton() -> None:
    twin = CartonType("BOX-S2", "Small twin", (400, 300, 200), (410, 310, 210), 100, 5_000, 50)
    assert choose_carton([unit()], [twin, SMALL]) is SMALL


dims = st.tuples(*[st.integers(min_value=1, max_value=600)] * 3)
units_st = st.lists(
    st.builds(Unit, st.just("SKU"), dims, st.integers(min_value=1, max_value=20_000)),
    min_size=1,
    max_size=6,
)
catalog_st = st.lists(
    st.builds(
        CartonType,
        st.sampled_from(["A", "B", "C", "D"]),
        st.just("box"),
        dims,
        dims,
        st.integers(min_value=0, max_value=1_000),
        st.integers(min_value=1, max_value=30_000),
        st.integers(min_value=1, max_value=500),
    ),
    max_size=6,
)


def _usable(units: list[Unit], carton: CartonType) -> bool:
    volume = sum(u.dims_mm[0] * u.dims_mm[1] * u.dims_mm[2] for u in units)
    return (
        all(sorted(u.dims_mm)[i] <= sorted(carton.inner_mm)[i] for u in units for i in range(3))
        and volume <= FILL_LIMIT * carton.inner_volume_mm3
        and sum(u.weight_g for u in units) + carton.tare_g <= carton.max_weight_g
    )


@given(units=units_st, catalog=catalog_st)
def test_recommended_carton_holds_the_units_and_nothing_cheaper_would(
    units: list[Unit], catalog: list[CartonType]
) -> None:
    chosen = choose_carton(units, catalog)
    usable = [c for c in catalog if _usable(units, c)]
    if chosen is None:
        assert usable == []
    else:
        assert _usable(units, chosen)
        assert chosen.cost_minor == min(c.cost_minor for c in usable)
