"""``python -m srcad show|check|export FILE.py:FUNCTION``: see :mod:`srcad.cli`."""
import sys

from .cli import main

sys.exit(main())
