"""Where the generator's decisions come from: hypothesis (which shrinks a failing
program to a small one) or a seeded ``random.Random`` (for long runs that count
outcomes). Both answer the same three questions; the first option of a list and
``False`` are the simple answers a shrinking search moves towards."""
import random

from hypothesis import strategies as st


class DrawnChoices:
    """Decisions drawn from a hypothesis ``draw`` function."""

    def __init__(self, draw):
        self._draw = draw

    def integer(self, low, high):
        """An integer in ``[low, high]``."""
        return self._draw(st.integers(low, high))

    def pick(self, options):
        """One of ``options`` (a sequence)."""
        return options[self.integer(0, len(options) - 1)]

    def chance(self, percent):
        """True with probability ``percent`` / 100; False when shrunk."""
        return self.integer(0, 99) >= 100 - percent


class SeededChoices(DrawnChoices):
    """Decisions from ``random.Random(seed)``."""

    def __init__(self, seed):
        self._random = random.Random(seed)

    def integer(self, low, high):
        """An integer in ``[low, high]``."""
        return self._random.randint(low, high)
