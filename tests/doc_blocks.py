"""Run the Python blocks of a docs page as one module, and check what its prints claim.

A block right after an HTML comment ``<!-- file: model.py -->`` is (part of) that file instead,
which the page's other blocks import; several blocks may make one file, in order."""
import contextlib
import io
import os
import pathlib
import re
import runpy
import subprocess
import sys

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"


def run_page(name, directory):
    """Run the ```python blocks of ``docs/<name>`` in order, from a file in ``directory`` (so srcad
    can read the functions' source); return the source and what it printed."""
    text = (DOCS / name).read_text()
    source = "\n".join(block.group(1) for block in re.finditer(r"```python\n(.*?)```", text, re.S))
    path = pathlib.Path(directory) / f"doc_{pathlib.Path(name).stem}.py"
    path.write_text(source)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        runpy.run_path(str(path))
    return source, printed.getvalue()


def assert_prints_what_it_says(source, printed):
    """Each ``print(...)  # shown`` line of ``source`` printed what its comment shows; return how
    many such claims there were."""
    claims = re.findall(r"^print\(.*\)\s+# (.*)$", source, re.M)
    lines = iter(printed.splitlines())
    for claim in claims:  # in order: each claim is a later printed line than the one before
        assert any(line.strip() == claim.strip() for line in lines), f"not printed: {claim}"
    return len(claims)


FILE_MARKER = re.compile(r"<!-- file: ([\w.]+) -->\s*$")


def page_module(name):
    """The Python of ``docs/<name>``: its blocks in order, as one module, and {file name: text}
    for the blocks that are files (see the module's docstring)."""
    text = (DOCS / name).read_text()
    blocks, files = [], {}
    for match in re.finditer(r"```python\n(.*?)```", text, re.S):
        marker = FILE_MARKER.search(text[:match.start()])
        if marker is None:
            blocks.append(match.group(1))
        else:
            files[marker.group(1)] = files[marker.group(1)] + "\n\n" + match.group(1) \
                if marker.group(1) in files else match.group(1)
    return "\n".join(blocks), files


def run_page_alone(name, directory):
    """Run the page's Python (see :func:`page_module`) in a process of its own, from ``directory``,
    with this checkout's srcad and tests/ importable; return the source and what it printed.
    A page may register rules and change global state: its own process keeps that from the tests."""
    source, files = page_module(name)
    directory = pathlib.Path(directory)
    for filename, text in files.items():
        (directory / filename).write_text(text)
    path = directory / f"doc_{pathlib.Path(name).stem.replace('-', '_')}.py"
    path.write_text(source)
    tests = pathlib.Path(__file__).resolve().parent
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tests.parent), str(tests), str(directory)]),
               MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, str(path)], cwd=directory, env=env, capture_output=True, text=True,
                            timeout=300)
    if result.returncode != 0:
        raise AssertionError(f"docs/{name} failed to run:\n{result.stderr}")
    return source, result.stdout
