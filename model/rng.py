"""Named random streams: one per process, all spawned from the run's seed.

Each process draws only from its own stream, so switching an intervention on does not change the random
numbers another process receives (common random numbers: paired scenario differences stay sharp).
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """A generator for the stream `name` of run `seed`; the same pair always gives the same numbers."""
    key = zlib.crc32(name.encode())
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy=seed, spawn_key=(key,))))


class Streams:
    """Lazily created named streams for one run."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        g = self._streams.get(name)
        if g is None:
            g = self._streams[name] = stream(self.seed, name)
        return g
