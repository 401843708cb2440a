"""The tape: values the forward sweep overwrites and the backward sweep reads."""


class Tape(list):
    """A stack of saved values; ``push`` in the forward sweep, ``pop`` in reverse."""

    push = list.append
