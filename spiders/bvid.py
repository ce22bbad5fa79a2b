"""Bilibili's BV ids (BV1…, what its links show) to the numeric aid its reply API wants: pure arithmetic,
the published base-58 scheme, no request."""

from __future__ import annotations

import re

_ALPHABET = "FcwAPNKTMug3GV5Lj7EJnHpWsx4tb8haYeviqBz6rkCy12mUSDQX9RdoZf"
_XOR = 23442827791579
_MASK = (1 << 51) - 1
_BV = re.compile(r"^BV1[1-9A-HJ-NP-Za-km-z]{9}$")


def is_bvid(value: str) -> bool:
    return bool(_BV.match(value))


def bv_to_aid(bvid: str) -> int:
    """ValueError for anything that is not a BV id."""
    if not is_bvid(bvid):
        raise ValueError(f"'{bvid}' is not a Bilibili BV id (BV1 and 9 base-58 characters)")
    chars = list(bvid)
    chars[3], chars[9] = chars[9], chars[3]
    chars[4], chars[7] = chars[7], chars[4]
    number = 0
    for c in chars[3:]:
        number = number * 58 + _ALPHABET.index(c)
    return (number & _MASK) ^ _XOR
