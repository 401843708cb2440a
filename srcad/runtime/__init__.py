"""What generated code calls at run time."""
from .numeric import unbroadcast, unreduce, zeros_like
from .tape import Tape

__all__ = ["Tape", "unbroadcast", "unreduce", "zeros_like"]
