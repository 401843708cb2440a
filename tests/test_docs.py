"""docs/how-it-works.md shows what srcad prints today, pass by pass.

Run ``python tests/test_docs.py`` to rewrite its listings after a change to the engine.
"""
import importlib.util
import pathlib
import re
import sys

from srcad.transform import stages

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "how-it-works.md"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)


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


def test_listings_match_what_srcad_prints(tmp_path):
    shown = [block.group(1) for block in _blocks(DOC.read_text())[2:]]
    printed = _listings(tmp_path)
    assert len(shown) == len(printed)
    for expected, got in zip(printed, shown):
        assert got == expected, "docs/how-it-works.md is out of date: run python tests/test_docs.py"


def main():
    import tempfile

    text = DOC.read_text()
    with tempfile.TemporaryDirectory() as tmp_dir:
        printed = _listings(tmp_dir)
    blocks = _blocks(text)[2:]
    for block, listing in reversed(list(zip(blocks, printed))):
        text = text[:block.start(1)] + listing + text[block.end(1):]
    DOC.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
