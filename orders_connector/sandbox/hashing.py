"""Stateless, seeded randomness keyed by order id, so any order can be produced on demand."""

from __future__ import annotations

import random

_MASK = (1 << 64) - 1

# Salts keep the different per-order decisions independent of each other.
SALT_ORDER = 1
SALT_CONTACT = 2
SALT_UNKNOWN = 3
SALT_MALFORMED = 4
SALT_VARIANT = 5
SALT_CATALOG = 6
SALT_PERSON = 7


def mix64(value: int) -> int:
    """SplitMix64 finaliser: a well-spread 64-bit hash of an integer."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK
    return value ^ (value >> 31)


def key(seed: int, salt: int, order_id: int) -> int:
    """A 64-bit value determined by (seed, salt, order id) alone."""
    return mix64(mix64((seed * 1_000_003 + salt) & _MASK) ^ order_id)


def unit(seed: int, salt: int, order_id: int) -> float:
    """A float in [0, 1) determined by (seed, salt, order id) alone."""
    return key(seed, salt, order_id) / 18446744073709551616.0


def rng_for(seed: int, salt: int, order_id: int) -> random.Random:
    """A private generator for one order: the same id always draws the same values."""
    return random.Random(key(seed, salt, order_id))
