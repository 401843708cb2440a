"""The docs show what srcad prints today: docs/how-it-works.md and docs/architecture.md pass by
pass, the generated sources in docs/modes.md, and the supported language in docs/programs.md.

Run ``python tests/test_docs.py`` to rewrite their listings after a change to the engine.
"""
import importlib.util
import pathlib
import re
import sys

if __name__ == "__main__":  # rewrite the docs with this checkout's srcad, not an installed one
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import srcad
from srcad.api.imports import without_imports
from srcad.compiler.passes import p02_language as language
from srcad.compiler.pipeline import stages

DOCS = pathlib.Path(__file__).resolve().parent.parent / "docs"
DOC = DOCS / "how-it-works.md"
ARCHITECTURE = DOCS / "architecture.md"
MODES = DOCS / "modes.md"
PROGRAMS = DOCS / "programs.md"
LANGUAGE = re.compile(r"(<!-- language: generated from srcad/compiler/passes/p02_language.py -->\n)(.*?)(<!-- end of language -->)", re.S)
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
# the file docs/modes.md follows: its listings' comments point at these lines
MODES_MODEL = """import numpy as np
from srcad import nn


def layer(W, b, x):
    h = np.tanh(W @ x + b)
    return h * h


def loss(W1, W2, X, y, lam):
    H = np.maximum(0.0, X @ W1)
    U = H @ W2
    return nn.softmax_cross_entropy(U, y) + lam * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
"""


def _blocks(text):
    return list(BLOCK.finditer(text))


def _listings(tmp_dir):
    """The source after every pass, for the function the page follows."""
    text = DOC.read_text()
    model = _blocks(text)[1].group(1)
    source = "\n".join(re.sub(r"\s*# model\.py:\d+$", "", line) for line in model.splitlines()) + "\n"
    path = pathlib.Path(tmp_dir) / "model.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [listing for _, listing in stages(module.rnn, (0,))]


def _load(source, tmp_dir):
    path = pathlib.Path(tmp_dir) / "model.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("model", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _modes_listings(tmp_dir):
    """Blocks 1, 2 and 4 of docs/modes.md: a jvp, a vjp, and the first function of an hvp."""
    model = _load(MODES_MODEL, tmp_dir)
    hvp = without_imports(srcad.hvp(model.loss, wrt=(0, 1)).source)
    return {1: srcad.jvp(model.layer, wrt=(0, 1)).source, 2: srcad.vjp(model.layer, wrt=(0, 1)).source,
            4: hvp.split("\n\n\n")[0].rstrip("\n") + "\n"}


def _architecture_listings(tmp_dir):
    """The function docs/architecture.md follows (its first block) after each printed stage of
    ``grad``, then its forward mode: {block index: listing}."""
    model = _load(_blocks(ARCHITECTURE.read_text())[0].group(1), tmp_dir)
    listings = [listing for _, listing in stages(model.step, (0,))] + [srcad.jvp(model.step).source]
    return {index + 1: listing for index, listing in enumerate(listings)}


def test_architecture_listings_match_what_srcad_prints(tmp_path):
    blocks = _blocks(ARCHITECTURE.read_text())
    listings = _architecture_listings(tmp_path)
    assert len(blocks) == len(listings) + 1
    for index, listing in listings.items():
        assert blocks[index].group(1) == listing, "docs/architecture.md is out of date: run python tests/test_docs.py"


def test_modes_listings_match_what_srcad_prints(tmp_path):
    blocks = _blocks(MODES.read_text())
    for index, listing in _modes_listings(tmp_path).items():
        assert blocks[index].group(1) == listing, "docs/modes.md is out of date: run python tests/test_docs.py"


def test_listings_match_what_srcad_prints(tmp_path):
    shown = [block.group(1) for block in _blocks(DOC.read_text())[2:]]
    printed = _listings(tmp_path)
    assert len(shown) == len(printed)
    for expected, got in zip(printed, shown):
        assert got == expected, "docs/how-it-works.md is out of date: run python tests/test_docs.py"


def test_programs_lists_exactly_the_language_of_srcad_language():
    shown = LANGUAGE.search(PROGRAMS.read_text()).group(2)
    assert shown == language.markdown(), "docs/programs.md is out of date: run python tests/test_docs.py"


def _rewrite_language():
    PROGRAMS.write_text(LANGUAGE.sub(lambda m: m.group(1) + language.markdown() + m.group(3), PROGRAMS.read_text()))


def _rewrite(path, listings):
    """Put ``listings`` ({block index: text}) into the document's python blocks."""
    text = path.read_text()
    blocks = _blocks(text)
    for index in sorted(listings, reverse=True):
        block = blocks[index]
        text = text[:block.start(1)] + listings[index] + text[block.end(1):]
    path.write_text(text)


def main():
    import tempfile

    with tempfile.TemporaryDirectory() as tmp_dir:
        _rewrite(DOC, {index + 2: listing for index, listing in enumerate(_listings(tmp_dir))})
    with tempfile.TemporaryDirectory() as tmp_dir:
        _rewrite(MODES, _modes_listings(tmp_dir))
    with tempfile.TemporaryDirectory() as tmp_dir:
        _rewrite(ARCHITECTURE, _architecture_listings(tmp_dir))
    _rewrite_language()


if __name__ == "__main__":
    sys.exit(main())
