"""Where the source srcad generates lives, so that every traceback printer finds its lines.

Python 3.10 to 3.12 print an uncaught exception with a printer written in C that reads
source lines from files on disk and ignores ``linecache``. Each generated source is
therefore written to a file of its own, in a directory private to this process and
removed when it exits, and registered with ``linecache`` as well (for ``traceback``,
``pdb`` and ``inspect``, and in case the file is deleted early). A traceback through
generated code shows the generated line, which ends with the user's ``# file.py:N``.
"""
import atexit
import itertools
import linecache
import os
import re
import shutil
import tempfile
import threading

_PREFIX = "srcad-"
_counter = itertools.count(1)
_lock = threading.Lock()
_directory = None


def register_source(source, label):
    """Store ``source`` (text srcad generated for ``label``) where tracebacks find it and
    return the file name to compile it under."""
    filename = os.path.join(_generated_directory(), f"{_file_stem(label)}_{next(_counter)}.py")
    try:
        with open(filename, "w", encoding="utf-8") as file:
            file.write(source)
    except OSError:
        pass  # a read-only temporary directory: linecache alone still serves traceback and pdb
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return filename


def release_source(filename):
    """Forget the source :func:`register_source` stored under ``filename`` (its code is gone)."""
    linecache.cache.pop(filename, None)
    try:
        os.remove(filename)
    except OSError:
        pass  # never written, or already removed with the directory at exit


def is_generated_file(filename):
    """Whether ``filename`` names source srcad generated (in this process or in a test's
    hand-made ``<srcad ...>`` pseudo-file)."""
    return filename.startswith("<srcad") or _directory is not None and filename.startswith(_directory + os.sep)


def _generated_directory():
    global _directory
    with _lock:
        if _directory is None:
            _directory = tempfile.mkdtemp(prefix=_PREFIX)
            atexit.register(shutil.rmtree, _directory, ignore_errors=True)
        return _directory


def _file_stem(label):
    """A file name made of ``label`` (``d_loss``, ``call of f``): word characters only."""
    return re.sub(r"\W+", "_", label).strip("_") or "generated"
