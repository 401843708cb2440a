"""Run the Python blocks of a docs page as one module, and check what its prints claim."""
import contextlib
import io
import pathlib
import re
import runpy

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
