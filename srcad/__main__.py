"""``python -m srcad show path/to/file.py:function [--wrt 0,1] [--mode reverse|forward]``."""
import sys

from .cli import main

sys.exit(main())
