"""H.264 sequence parameter sets (which carry the picture size), read from a stream's header
and from its packets without decoding: a smart cut copies GOPs undecoded, so a parameter set
in the packets that the header does not hold (a new picture size) rules it out."""

from __future__ import annotations

import re
from typing import Any

import av

_START_CODE = re.compile(b"\x00\x00\x01")
_SPS = 7  # H.264 NAL unit types: sequence parameter set; 1-5 are coded slices


def header_parameter_sets(extradata: bytes | None) -> tuple[int, set[bytes]]:
    """The NAL length size of the packets (0: Annex B start codes) and the sequence parameter
    sets the header (avcC, or Annex B extradata) holds."""
    data = bytes(extradata or b"")
    if len(data) > 6 and data[0] == 1:  # avcC
        length_size, count, at = (data[4] & 3) + 1, data[5] & 0x1F, 6
        found = set()
        for _ in range(count):
            size = int.from_bytes(data[at : at + 2], "big")
            found.add(data[at + 2 : at + 2 + size].rstrip(b"\x00"))
            at += 2 + size
        return length_size, found
    units = (u.rstrip(b"\x00") for u in _START_CODE.split(data))
    return 0, {u for u in units if u and u[0] & 0x1F == _SPS}


def packet_parameter_sets(packet: av.Packet[Any], length_size: int) -> list[bytes]:
    """The sequence parameter sets a packet carries before its first slice (where they are);
    reads NAL headers only, without copying a length-prefixed packet."""
    found: list[bytes] = []
    if length_size == 0:
        for unit in _START_CODE.split(bytes(packet)):
            unit = unit.rstrip(b"\x00")
            kind = unit[0] & 0x1F if unit else 0
            if 1 <= kind <= 5:
                break
            if kind == _SPS:
                found.append(unit)
        return found
    data = memoryview(packet)
    at = 0
    while at + length_size < len(data):
        size = int.from_bytes(data[at : at + length_size], "big")
        kind = data[at + length_size] & 0x1F
        if 1 <= kind <= 5:
            break
        if kind == _SPS:
            found.append(bytes(data[at + length_size : at + length_size + size]).rstrip(b"\x00"))
        at += length_size + size
    return found
