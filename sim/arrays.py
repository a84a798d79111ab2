"""Reductions over a short last axis, written out.

numpy reduces along a last axis of a few elements (a chamber's three blocs,
seven commitment levels, four stances) one output cell at a time, some ten
times slower than the same arithmetic done column by column over the whole
array. These helpers do it column by column, in the order numpy's own
reduction adds (for axes of up to seven elements numpy adds left to right;
from eight on its pairwise sum keeps eight partial sums, so longer axes
are left to numpy),
so the results are the same bit for bit (``tests/test_rules.py``).
"""

from __future__ import annotations

import numpy as np

UNROLL = 7  # the longest axis summed column by column


def sum_last(x: np.ndarray) -> np.ndarray:
    """``x.sum(axis=-1)``, the same numbers."""
    x = np.asarray(x)
    n = x.shape[-1]
    if n == 0 or n > UNROLL or x.dtype.kind not in "fiub":
        return x.sum(axis=-1)
    out = x[..., 0].astype(np.result_type(x.dtype, np.int_) if x.dtype.kind in "iub" else x.dtype)
    for k in range(1, n):
        out = out + x[..., k]
    return out


def max_last(x: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """``np.max(x, axis=-1)`` (NaN propagates, as there), the same numbers."""
    x = np.asarray(x)
    out = x[..., 0]
    for k in range(1, x.shape[-1]):
        out = np.maximum(out, x[..., k])
    return out[..., None] if keepdims else out
