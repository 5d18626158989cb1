"""The README is for users and tells the same story as the index chapter (nbs/index.ipynb), which runs."""
import json
import re

from conftest import ROOT
from songgenre.report import LAYERS, README_COLUMNS, README_MARKERS

README = (ROOT / "README.md").read_text()
INDEX = json.loads((ROOT / "nbs" / "index.ipynb").read_text())["cells"]
INDEX_MARKDOWN = "\n\n".join("".join(c["source"]) for c in INDEX if c["cell_type"] == "markdown")


def test_the_readme_is_short_and_for_users():
    assert README.count("\n") <= 160
    assert not re.search(r"\bissues? ?#\d+", README, re.I)
    assert not re.search(r"\b[0-9a-f]{7,40}\b", README.replace("-->", "")), "commit hashes belong in notes"


def test_readme_and_index_have_the_same_sections_and_examples():
    headings = lambda text: re.findall(r"^## (.+)$", text, re.M)
    assert headings(README) == headings(INDEX_MARKDOWN)
    for block in re.findall(r"```bash\n(.*?)```", README, re.S):
        assert block in INDEX_MARKDOWN, block
    # the README's Python example is the index's example cell, which papermill runs in the tests
    (example,) = re.findall(r"```python\n(.*?)```", README, re.S)
    assert example.strip() in ["".join(c["source"]).strip() for c in INDEX if c["cell_type"] == "code"]


def test_the_readme_names_every_layer_and_has_the_generated_table():
    layers = README.split("## How the code is laid out")[1].split("\n## ")[0]
    for module in (m for layer in LAYERS for m in layer):
        assert f"`{module}`" in layers, module
    start, end = README_MARKERS
    table = README.split(start)[1].split(end)[0].strip().splitlines()
    assert table[0] == "| " + " | ".join(label for _, label in README_COLUMNS) + " |"
    assert len(table) > 3 and any(row.startswith("| ours |") for row in table)
