"""Socket.IO packets whose JSON is written once, by orjson.

python-socketio's `Packet` walks every outgoing payload recursively to find out whether it
holds binary data (a list comprehension per dict and list), then encodes it with the json
module: a pick scan's answer (the task, its codes, the hint) cost 7-8 % of a scan's server
CPU that way at saturation (py-spy, sixth session). Here the payload is encoded first, with
orjson; orjson refuses bytes, so a payload it encodes holds no binary data and needs no
walk. Anything orjson refuses (bytes for binary attachments, a dict with non-string keys,
an integer past 64 bits, a type only the stock encoder knows) takes python-socketio's own
path unchanged, so the wire format is the library's in every case. Incoming packets are
read by orjson too (the stdlib's reader took 2-3 % of a scan).
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from socketio import packet

from app.adapters import fast_json


class _Json:
    """What python-socketio calls `json`: incoming packets read by orjson (the stdlib's
    reader for anything orjson refuses, such as an integer past 64 bits), payloads orjson
    would not write written by the stdlib, as before."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(text: str | bytes, **kwargs: Any) -> Any:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return json.loads(text, **kwargs)


class JsonOncePacket(packet.Packet):  # type: ignore[misc]
    json = _Json

    def __init__(
        self,
        packet_type: int = packet.EVENT,
        data: Any = None,
        namespace: str | None = None,
        id: int | None = None,
        binary: bool | None = None,
        encoded_packet: Any = None,
    ) -> None:
        self._json: str | None = None
        if binary is None and encoded_packet is None and data is not None:
            self._json = fast_json.dumps(data)  # None: bytes, or only the stock path writes it
            if self._json is not None:
                binary = False
        super().__init__(packet_type, data, namespace, id, binary, encoded_packet)

    def encode(self) -> Any:
        if self._json is None:
            return super().encode()
        # The text python-socketio writes for a packet without attachments.
        out = str(self.packet_type)
        if self.namespace is not None and self.namespace != "/":
            out += self.namespace + ","
        if self.id is not None:
            out += str(self.id)
        return out + self._json
