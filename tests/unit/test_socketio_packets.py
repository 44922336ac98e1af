"""Socket.IO packets encoded once by orjson (app/web/packets.py) must read, on the other
end, exactly as python-socketio's own packets do: a station that hears a different answer, or
a binary frame sent as text, is broken whatever the speed."""

from __future__ import annotations

from typing import Any

import pytest
from socketio import packet

from app.domain.text import msg
from app.web.packets import JsonOncePacket

SCAN_ANSWER = {
    "ok": True,
    "result": "item_ok",
    "message": "Picked 1 of 3. Sûr? 取货",
    "task": {
        "task_id": 12,
        "item_codes": ["00012345678905", "12345678905"],
        "lot": None,
        "picked": 1,
        "weight_kg": 0.25,
        "hint": {"text": "Scan the tote next", "practice": False},
    },
}


def read_back(encoded: Any) -> packet.Packet:
    """What the receiving side decodes (attachments added as python-socketio does)."""
    parts = encoded if isinstance(encoded, list) else [encoded]
    got = packet.Packet(encoded_packet=parts[0])
    for attachment in parts[1:]:
        got.add_attachment(attachment)
    return got


@pytest.mark.parametrize(
    ("kind", "data", "namespace", "ident"),
    [
        (packet.ACK, [SCAN_ANSWER], "/pick", 17),
        (packet.EVENT, ["dashboard", {"waves": [], "at": "2026-11-26T21:00:00Z"}], "/", None),
        (packet.EVENT, ["tick"], "/supervisor", 3),
        (packet.ACK, [{"1": "string keys", "n": [1, 2.5, None, True]}], None, 0),
        # A translated sentence is a str subclass: it goes as its text.
        (
            packet.ACK,
            [{"ok": False, "message": msg("Wrong item. Scan %(sku)s.", sku="A1")}],
            "/pick",
            9,
        ),
    ],
)
def test_a_json_answer_reads_back_as_the_stock_packet_does(
    kind: int, data: Any, namespace: str | None, ident: int | None
) -> None:
    ours = JsonOncePacket(kind, data=data, namespace=namespace, id=ident)
    stock = packet.Packet(kind, data=data, namespace=namespace, id=ident)
    encoded = ours.encode()
    assert isinstance(encoded, str)  # one text frame, no attachments
    # Type, namespace and id as python-socketio writes them, then the payload.
    assert encoded.partition("[")[0] == stock.encode().partition("[")[0]
    back, stock_back = read_back(encoded), read_back(stock.encode())
    assert (back.packet_type, back.namespace, back.id, back.data) == (
        stock_back.packet_type,
        stock_back.namespace,
        stock_back.id,
        stock_back.data,
    )
    assert back.data == data
    assert ours._json is not None  # written by orjson, not the stock path


def test_binary_data_still_leaves_as_a_binary_packet_with_attachments() -> None:
    frame = b"\xff\xd8\xff\xe0 jpeg bytes"
    ours = JsonOncePacket(packet.ACK, data=[{"ok": True, "image": frame}], namespace="/pick", id=4)
    assert ours.packet_type == packet.BINARY_ACK
    encoded = ours.encode()
    assert isinstance(encoded, list) and encoded[1] == frame
    assert read_back(encoded).data == [{"ok": True, "image": frame}]


@pytest.mark.parametrize(
    "data",
    [
        [{1: "an integer key"}],  # json writes "1"; orjson refuses
        [{"big": 2**70}],  # past 64 bits
        [{"name": "half a surrogate pair \ud800"}],  # not valid UTF-8
    ],
)
def test_what_orjson_refuses_takes_the_stock_path_unchanged(data: Any) -> None:
    ours = JsonOncePacket(packet.EVENT, data=data, namespace="/pick")
    stock = packet.Packet(packet.EVENT, data=data, namespace="/pick")
    assert ours.encode() == stock.encode()


@pytest.mark.parametrize(
    "text",
    [
        '2/pick,5["scan",{"task_id":12,"code":"0101234567890128","client_scan_id":"a-1"}]',
        '2/pick,6["scan",{"code":"caf\\u00e9 取货","n":18446744073709551616}]',  # past 64 bits
        '2["ping"]',
    ],
)
def test_an_incoming_packet_reads_as_the_stock_reader_reads_it(text: str) -> None:
    ours, stock = JsonOncePacket(encoded_packet=text), packet.Packet(encoded_packet=text)
    assert (ours.packet_type, ours.namespace, ours.id, ours.data) == (
        stock.packet_type,
        stock.namespace,
        stock.id,
        stock.data,
    )
