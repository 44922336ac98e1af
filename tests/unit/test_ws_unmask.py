"""Client websocket frames are unmasked in C (app/web/serving.py `unmask`): the same bytes
as geventwebsocket's own byte-by-byte loop, for every length a frame can have (short,
16-bit and 64-bit lengths, lengths that are not a multiple of the four-byte mask)."""

from __future__ import annotations

import os
import random

import pytest
from geventwebsocket.websocket import Header

from app.web.serving import fast_frame_unmasking, unmask


def _header(length: int, mask: bytes) -> Header:
    header = Header(fin=1, opcode=1, length=length)
    header.mask = mask
    return header


@pytest.mark.parametrize("length", [0, 1, 2, 3, 4, 5, 7, 125, 126, 127, 65535, 65536, 100_003])
def test_unmasking_gives_what_geventwebsocket_gives(length: int) -> None:
    rng = random.Random(length)
    for _ in range(3):
        mask = bytes(rng.randrange(256) for _ in range(4))
        payload = os.urandom(length)
        header = _header(length, mask)
        assert unmask(header, payload) == Header.mask_payload(header, payload)


def test_a_masked_scan_reads_back_as_sent() -> None:
    sent = b'42/pick,7["scan",{"task_id":17,"code":"00012345678905","client_scan_id":"a1"}]'
    header = _header(len(sent), b"\x9a\x01\xff\x37")
    on_the_wire = bytes(Header.mask_payload(header, sent))  # what a browser sends
    assert on_the_wire != sent
    assert bytes(unmask(header, on_the_wire)) == sent


def test_the_server_reads_frames_with_it() -> None:
    fast_frame_unmasking()
    header = _header(5, b"\x01\x02\x03\x04")
    assert header.unmask_payload(b"hello") == unmask(header, b"hello")
    assert Header.unmask_payload is unmask
