"""Counter-based randomness: every uniform is a pure function of its address.

A draw is addressed by (run seed, day, decision, state). The same address
always gives the same number, whatever the activation order, the engine
(Mesa or batch) or the other runs that share a batch. The mixer is
SplitMix64 (Steele, Lea and Flood 2014) applied to a combination of the
address fields; its output's top 53 bits become a float in [0, 1).
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_K_DAY = np.uint64(0xD1B54A32D192ED03)
_K_DECISION = np.uint64(0xABC98388FB8FAC03)
_K_STATE = np.uint64(0x8CB92BA72F3D8DD7)
_MASK64 = (1 << 64) - 1

# Decision identifiers: one stream per kind of decision. Never renumber an
# existing one: that would change every run recorded so far.
ART4_REQUEST = 1
ART5_REQUEST = 2
EU427_REQUEST = 3
UN_REQUEST = 4
NAC_ASSENT = 5
EU_ASSENT = 6
UNSC_VETO = 7
DELIBERATE = 8
COMMIT_CHOICE = 9
VOTE_DELAY = 10
VOTE_SHARE = 11
RETALIATE = 12
STANCE_DELIBERATE = 13
STANCE_CHOICE = 14
AUTH_DELAY = 15
AUTH_SHARE = 16


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser over a uint64 array (wrapping arithmetic)."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


def seed_key(seed) -> np.ndarray:
    """A run seed (any Python int, or an array of them) as uint64, scrambled once."""
    arr = np.asarray(seed, dtype=object) if not isinstance(seed, np.ndarray) else seed
    if arr.dtype == object:
        arr = np.vectorize(lambda s: int(s) & _MASK64, otypes=[np.uint64])(arr)
    flat = np.atleast_1d(arr.astype(np.uint64))
    return _mix(flat).reshape(arr.shape)


def state_key(iso3: str) -> int:
    """A state's stable address: its ISO3 code read as a base-27 number.

    Keyed by code, not by table position, so adding a state to the table does
    not change the draws of the others.
    """
    value = 0
    for ch in iso3.upper():
        value = value * 27 + (ord(ch) - 64)
    return value


def uniform(seed_k, day, decision, states) -> np.ndarray:
    """Uniforms in [0, 1) for the addresses given.

    ``seed_k`` is from :func:`seed_key` (shape () or (R, 1)); ``states`` is an
    array of :func:`state_key` values (shape (N,)); ``day`` and ``decision`` are
    integers. The result broadcasts to (R, N).
    """
    stream = np.uint64((int(day) * int(_K_DAY) + int(decision) * int(_K_DECISION)) & _MASK64)
    x = _mix(np.atleast_1d(np.asarray(seed_k, dtype=np.uint64)) ^ stream)
    x = _mix(x ^ (np.asarray(states, dtype=np.uint64) * _K_STATE))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
