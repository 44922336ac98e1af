"""The ZPL II builder (labels/zpl.py): barcode field data decodes back to the intended content
(read the way the printer's manual says), GS1 FNC1s sit where GS1 requires them, and no
customer text can inject a command."""

from __future__ import annotations

import biip
import pytest
from hypothesis import given
from hypothesis import strategies as st

from labels.gs1 import VARIABLE_LENGTH, ship_to_postal, sscc
from labels.zpl import FNC1, ZplLabel, encode_code128, gs1_data, hex_field
from tests.support.zpl_reader import commands, decode_bc, read, unhex

PRINTABLE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1)


@given(PRINTABLE)
def test_any_printable_ascii_encodes_to_field_data_that_decodes_back(data: str) -> None:
    field = encode_code128(data)
    assert decode_bc(field.field_data) == data
    assert "^" not in field.field_data and "~" not in field.field_data


@given(st.text(alphabet="0123456789", min_size=1, max_size=40))
def test_digit_strings_decode_back_and_long_ones_use_subset_c(digits: str) -> None:
    field = encode_code128(digits)
    assert decode_bc(field.field_data) == digits
    if len(digits) >= 4:
        assert ">;" in field.field_data or ">5" in field.field_data


def test_subset_c_halves_the_symbols_of_an_all_digit_tracking_number() -> None:
    digits = encode_code128("9400111899223344556677")
    letters = encode_code128("ABCDEFGHIJKLMNOPQRSTUV")
    assert digits.field_data.startswith(">;")
    assert digits.symbols == 1 + 11 + 1  # start, 11 pairs, check
    assert letters.symbols == 1 + 22 + 1


@pytest.mark.parametrize("char", [">", "^", "~"])
def test_zpl_reserved_characters_in_barcode_data_use_invocation_codes(char: str) -> None:
    field = encode_code128(f"A{char}B")
    assert decode_bc(field.field_data) == f"A{char}B"
    assert field.field_data.count(">") >= 1 and "^" not in field.field_data


def test_barcode_data_outside_printable_ascii_is_refused() -> None:
    with pytest.raises(ValueError, match="cannot carry"):
        encode_code128("CT\n01")
    with pytest.raises(ValueError, match="empty"):
        encode_code128("")


def test_gs1_data_starts_with_fnc1_and_separates_only_after_variable_length_fields() -> None:
    code = sscc(0, "5012345", 42)
    ship_to = ship_to_postal("GB", "SW1Y 4JH")
    assert ship_to == ("421", "826SW1Y4JH")
    data = gs1_data([ship_to, ("00", code), ("10", "LOT 7"[:3])], VARIABLE_LENGTH)
    assert data == f"{FNC1}421826SW1Y4JH{FNC1}00{code}10LOT"

    field = encode_code128(data)
    assert field.field_data.startswith(">;>8")  # start C, then FNC1 first
    content = decode_bc(field.field_data)
    parsed = biip.parse("]C1" + content[1:].replace(FNC1, "\x1d"))
    assert parsed.gs1_message is not None
    elements = {e.ai.ai: e.value for e in parsed.gs1_message.element_strings}
    assert elements == {"421": "826SW1Y4JH", "00": code, "10": "LOT"}
    assert parsed.sscc is not None and parsed.sscc_error is None


def test_sscc_has_a_valid_gs1_check_digit() -> None:
    code = sscc(3, "0614141", 123456789)
    assert len(code) == 18
    assert biip.parse(code).sscc is not None


def test_hex_field_leaves_no_command_prefix_and_reads_back_exactly() -> None:
    hostile = "Zoë ^XZ~JA^XA_41 \\ end"
    escaped = hex_field(hostile)
    assert "^" not in escaped and "~" not in escaped
    assert unhex(escaped) == hostile


def test_customer_text_cannot_add_commands_to_a_label() -> None:
    z = ZplLabel(812, 1218)
    z.text(10, 10, "Evil ^XZ^XA^FO0,0^GB812,1218,812^FS~JA ~HS", 30, width=700)
    z.paragraph(10, 50, "line ^PQ99 ~PS\nnext\x1b\x00", 30, 700, 3)
    zpl = z.render().decode()

    names = [cmd[:3] for cmd in commands(zpl)]
    assert names.count("^XA") == 1 and names.count("^XZ") == 1
    assert not any(name.startswith("~") for name in names)
    assert not {"^PQ", "^GB", "^PS"} & set(names)
    texts, _ = read(z.render())
    assert texts[0].text.startswith("Evil ^XZ^XA")
    assert "line ^PQ99 ~PS next" in texts[1].text


def test_a_barcode_that_would_need_one_dot_bars_is_refused() -> None:
    z = ZplLabel(812, 1218)
    with pytest.raises(ValueError, match="dots"):
        z.code128(0, 0, "X" * 80, 100, max_width=400)
