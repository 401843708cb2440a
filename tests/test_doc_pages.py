"""The documentation site: every Python block of every page runs (a page's blocks in order, as
one module, each ``print(...)  # shown`` printing what its comment shows), every page is in the
site's navigation, and the site builds with ``mkdocs build --strict``."""
import re
import subprocess
import sys

import pytest

from doc_blocks import DOCS, assert_prints_what_it_says, run_page_alone

ROOT = DOCS.parent
PAGES = sorted(path.name for path in DOCS.glob("*.md"))
PAGES_WITH_CODE = [page for page in PAGES if "```python\n" in (DOCS / page).read_text()]


@pytest.mark.parametrize("page", PAGES_WITH_CODE)
def test_every_python_block_of_the_page_runs(page, tmp_path):
    source, printed = run_page_alone(page, tmp_path)
    assert source.strip()
    assert_prints_what_it_says(source, printed)


def test_the_guide_pages_have_code_to_run():
    assert {"getting-started.md", "programs.md", "modes.md", "rules.md", "nn.md", "optimizers.md",
            "numerics.md", "gallery.md", "cli.md"} <= set(PAGES_WITH_CODE)


def test_every_page_is_in_the_navigation():
    config = (ROOT / "mkdocs.yml").read_text()
    listed = set(re.findall(r":\s*([\w-]+\.md)\s*$", config, re.M))
    assert listed == set(PAGES)


def test_the_readme_links_to_the_sites_pages_after_the_quick_start():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.index("## Quick start")
    commands = re.findall(r"```bash\n(.*?)```", readme[quick_start:], re.S)[:2]
    assert commands == ['python -m pip install -e ".[examples]" && python examples/train_mlp.py\n',
                        'python -m pip install -e ".[test]" && python -m pytest\n']
    assert readme.index("```bash") > quick_start  # the two commands are the first shell commands
    for page in ("getting-started.md", "gallery.md", "api.md", "cli.md", "performance.md", "nn.md"):
        assert f"docs/{page}" in readme


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                            cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env={**__import__("os").environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    api = (site / "api" / "index.html").read_text()
    for name in ("srcad.grad", "srcad.hvp", "srcad.export", "srcad.nn.softmax_cross_entropy", "srcad.optimizers.adam"):
        assert f'id="{name}"' in api, name
    gallery = (site / "gallery" / "index.html").read_text()
    assert "Algorithm 6.4" in gallery and "d_W1" in gallery
