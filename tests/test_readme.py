"""The README is for users: short, its sections those of the index chapter (nbs/index.ipynb), and every command,
option, name and link in it real; its Python example is run here as printed."""
import contextlib
import io
import json
import re
import subprocess
import sys
from functools import cache

import nbformat
import pytest
from nbconvert import HTMLExporter

import songgenre
from conftest import ROOT, SHARED
from songgenre.cli import _build_parser
from songgenre.report import ABOUT_PAGE, API_PAGE, CHAPTERS, LAYERS, README_COLUMNS, README_MARKERS

README = (ROOT / "README.md").read_text()
INDEX = json.loads((ROOT / "nbs" / "index.ipynb").read_text())["cells"]
INDEX_MARKDOWN = "\n\n".join("".join(c["source"]) for c in INDEX if c["cell_type"] == "markdown")
BASH = re.findall(r"```bash\n(.*?)```", README, re.S)
(EXAMPLE,) = re.findall(r"```python\n(.*?)```", README, re.S)
CODE_SPANS = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", README, flags=re.S))


def test_the_readme_is_short_and_for_users():
    assert README.count("\n") <= 170
    assert not re.search(r"\bissues? ?#\d+", README, re.I)
    assert not re.search(r"\b[0-9a-f]{7,40}\b", README.replace("-->", "")), "commit hashes belong in notes"


def test_readme_and_index_have_the_same_sections_and_examples():
    headings = lambda text: re.findall(r"^## (.+)$", text, re.M)
    assert headings(README) == headings(INDEX_MARKDOWN)
    for block in BASH:
        assert block in INDEX_MARKDOWN, block
    # the README's Python example is the index's example cell, which papermill runs in the tests, on the
    # catalog the index finds (`my_catalog`)
    code = ["".join(c["source"]).strip() for c in INDEX if c["cell_type"] == "code"]
    assert EXAMPLE.replace('"../shared/data/spotify_songs.zip"', "my_catalog").strip() in code


def _parses(words: list[str]):
    "Parse `songgenre WORDS` with the real parser; `--help` prints and exits 0, a usage error exits 2."
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()) as err:
        try:
            _build_parser().parse_args(words)
        except SystemExit as e:
            assert e.code == 0, f"songgenre {' '.join(words)}: {err.getvalue()}"


def test_every_command_option_and_name_exists():
    lines = [line.split("  #")[0].strip() for block in BASH for line in block.splitlines()]
    for line in [l for l in lines if l.startswith("songgenre ")]:
        _parses(line.split()[1:])
    parser = _build_parser()
    (commands,) = [a.choices for a in parser._actions if hasattr(a, "choices") and isinstance(a.choices, dict)]
    for span in CODE_SPANS:
        if m := re.match(r"songgenre ([a-z-]+)", span):
            assert m[1] in commands or m[1] == "COMMAND", span
    options = {o for command in commands.values() for a in command._actions for o in a.option_strings}
    prose = README.replace(EXAMPLE, "")
    for option in set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", prose)):
        assert option in options, option
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.M))
    for target in re.findall(r"\bmake ([a-z-]+)", " ".join(lines + CODE_SPANS)):
        assert target in targets, f"make {target}"
    for name in re.findall(r"\bsonggenre\.([A-Za-z_]+)\(", README):
        assert name in songgenre.__all__, name
    # the keys the README names for filled cells: train's JSON, evaluate's JSON and predict's column
    import inspect
    from songgenre import api, cli
    assert '"cells_filled"' in inspect.getsource(cli._train) and "`cells_filled`" in README
    assert '"features_filled"' in inspect.getsource(api.evaluate_model)
    assert 'predicted["features_filled"]' in inspect.getsource(api)


@cache
def _heading_ids(chapter: str) -> set[str]:
    "The ids nbconvert's lab template gives a chapter's Markdown headings (its text, spaces as dashes)."
    nb = nbformat.read(ROOT / "nbs" / f"{chapter}.ipynb", as_version=4)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(
        nbformat.v4.new_notebook(cells=[c for c in nb.cells if c.cell_type == "markdown"]))
    return set(re.findall(r'<h\d id="([^"]+)"', body))


def test_every_link_leads_somewhere():
    pages = {"index.html", ABOUT_PAGE, API_PAGE} | {f"{c}.html" for c, _ in CHAPTERS}
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    assert any(link.startswith("_report/") and "#" in link for link in links)
    for link in links:
        if re.match(r"https?://", link):
            continue
        path, _, anchor = link.partition("#")
        if path.startswith("_report/"):  # written by `make report`
            page = path.removeprefix("_report/")
            assert page in pages, link
            if anchor:
                chapter = "index" if page == ABOUT_PAGE else page.removesuffix(".html")
                assert anchor in _heading_ids(chapter), link
        else:
            assert (ROOT / path).exists() and not anchor, link
    assert "_report/" not in " ".join(CODE_SPANS).replace("_report/index.html", ""), "report pages as links"


def test_the_python_example_prints_what_the_readme_says(tmp_path):
    catalog = SHARED / "spotify_songs.zip"
    assert '"../shared/data/spotify_songs.zip"' in EXAMPLE and (ROOT / "../shared/data/spotify_songs.zip").exists()
    script = tmp_path / "example.py"  # run outside the clone, so that its models/mine lands in tmp_path
    script.write_text(EXAMPLE.replace("../shared/data/spotify_songs.zip", catalog.as_posix()))
    run = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stderr
    assert "no values for time_signature" in run.stderr and "1 with tempo outside" in run.stderr
    assert run.stdout.count("epoch 3/3") + run.stderr.count("epoch 3/3") == 2  # two networks, 3 epochs each
    table = run.stdout.strip().splitlines()[-4:]
    assert table[0].split() == ["track_name", "predicted_genre", "predicted_probability", "features_filled"]
    genres = {"edm", "rap", "pop", "r&b", "latin", "rock"}
    for row in table[1:]:
        *_, genre, probability, filled = row.split()
        assert genre in genres and 0 < float(probability) <= 1 and filled == "0", row


def test_the_readme_names_every_layer_and_has_the_generated_table():
    layers = README.split("## How the code is laid out")[1].split("\n## ")[0]
    for module in (m for layer in LAYERS for m in layer):
        assert f"`{module}`" in layers, module
    start, end = README_MARKERS
    table = README.split(start)[1].split(end)[0].strip().splitlines()
    assert table[0] == "| " + " | ".join(label for _, label in README_COLUMNS) + " |"
    assert len(table) > 3 and any(row.startswith("| ours |") for row in table)
