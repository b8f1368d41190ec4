"""Deterministic hash noise for the demo fleet: every value is a pure function of (seed, entity, time)."""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence

_M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_INV_2_64 = 1.0 / float(1 << 64)


def key(*parts: object) -> int:
    """A stable 64-bit key for an entity (Python's str hash is salted per process, so not that)."""
    text = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def name_key(base: int, name: str) -> int:
    """A cheaper per-name key under a `key()` base, for fleets of thousands of functions."""
    return mix(base ^ zlib.crc32(name.encode()) ^ (len(name) << 40))


def mix(x: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread 64-bit hash of an integer."""
    x &= _M64
    x ^= x >> 30
    x = (x * 0xBF58476D1CE4E5B9) & _M64
    x ^= x >> 27
    x = (x * 0x94D049BB133111EB) & _M64
    return x ^ (x >> 31)


def unit(k: int, t: int) -> float:
    """Uniform in [0, 1) for entity key `k` at integer `t` (a bucket start, a minute, an index)."""
    return mix(k ^ ((t * _GOLDEN) & _M64)) * _INV_2_64


def signed(k: int, t: int) -> float:
    """Uniform in [-1, 1)."""
    return 2.0 * unit(k, t) - 1.0


def signed_series(k: int, ts: Sequence[int]) -> list[float]:
    """`signed(k, t)` for every bucket start in `ts` (`mix` inlined: this is the demo's hottest loop)."""
    m64, golden, c1, c2, scale = _M64, _GOLDEN, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB, 2.0 * _INV_2_64
    k &= m64
    out: list[float] = []
    append = out.append
    for t in ts:
        x = k ^ ((t * golden) & m64)
        x ^= x >> 30
        x = (x * c1) & m64
        x ^= x >> 27
        x = (x * c2) & m64
        append((x ^ (x >> 31)) * scale - 1.0)
    return out
