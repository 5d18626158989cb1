"""The rendered report: built from the quick run, opened in headless Chromium, and swapped in atomically."""
import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from conftest import FEATURES_FILE

CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
WITH_CHARTS = {"index", "about", "10_features", "11_charts", "12_baselines", "13_ablation", "14_dropout",
               "16_artist_evidence"}


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        pytest.fail("headless Chromium is missing: "
                    "`make test` installs Debian's chromium and chromium-driver", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1600"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(120)
    yield driver
    driver.quit()


def report_pages(report: Path) -> list[Path]:
    from songgenre.report import CHAPTERS
    return ([report / "index.html", report / "api.html", report / "about.html"]
            + [report / f"{c}.html" for c, _ in CHAPTERS])


def test_every_page_renders_in_chromium(quick_report, browser):
    shots = quick_report / "screenshots"
    shots.mkdir(exist_ok=True)
    for page in report_pages(quick_report):
        assert page.exists(), page
        browser.get(page.as_uri())
        images = browser.execute_script(
            "return Array.from(document.images)"
            ".map(i => [i.complete, i.naturalWidth, i.alt || i.src.slice(0, 40)])")
        if page.stem in WITH_CHARTS:
            assert images, f"{page.name}: no images"
        broken = [alt for done, width, alt in images if not done or width == 0]
        assert not broken, f"{page.name}: images that did not load: {broken}"
        assert all(alt and not alt.startswith(("No description", "data:"))
                   for *_, alt in images), f"{page.name}: an image without alt text"
        text = browser.execute_script("return document.body.innerText")
        assert "Traceback (most recent call last)" not in text, page.name
        errors = browser.execute_script(
            "return Array.from(document.querySelectorAll("
            "'[data-mime-type=\"application/vnd.jupyter.stderr\"]'))"
            ".map(e => e.innerText).filter(t => /Error|Warning|Traceback/.test(t))")
        assert not errors, f"{page.name}: error or warning output: {errors[:2]}"
        assert browser.find_elements("css selector", "nav.sg-nav a"), f"{page.name}: no navigation"
        browser.save_screenshot(str(shots / f"{page.stem}.png"))
    assert len(list(shots.glob("*.png"))) == len(report_pages(quick_report))


def test_every_link_between_pages_resolves(quick_report, browser):
    for page in report_pages(quick_report):
        browser.get(page.as_uri())
        hrefs = browser.execute_script(
            "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        local = [urlparse(h) for h in hrefs if h.startswith("file://")]
        assert local, f"{page.name}: no links to other pages"
        for link in local:
            assert Path(link.path).exists(), f"{page.name} links to missing {link.path}"


def test_every_public_name_has_its_section(quick_report, browser):
    import importlib
    import songgenre
    from songgenre.report import CHAPTERS, LAYERS
    browser.get((quick_report / "api.html").as_uri())
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('a[href*=\"#\"]')).map(a => [a.innerText, a.href])")
    pages = {href.split("#")[0].rsplit("/", 1)[-1] for _, href in links}
    assert pages <= {f"{c}.html" for c, _ in CHAPTERS}
    linked = {(href.split("#")[0].rsplit("/", 1)[-1], href.split("#")[1]) for _, href in links}
    top = {text for text, _ in links[:len(songgenre.__all__)]}
    assert top == set(songgenre.__all__), "the package's top-level names lead the page"
    # every module's public names, each in the chapter that defines it (cli and report both have a `main`)
    wanted = {}
    for module in (m for layer in LAYERS for m in layer):
        names = importlib.import_module(f"songgenre.{module}").__all__
        pages_of = {page for page, anchor in linked if anchor in names}
        page = next(p for p in sorted(pages_of) if all((p, n) in linked for n in names))
        wanted[page] = names
    for page, names in wanted.items():
        browser.get((quick_report / page).as_uri())
        texts = browser.execute_script(
            "return arguments[0].map(a => { const e = document.getElementById(a); "
            "return e ? e.innerText : null; })",
            names)
        missing = [name for name, text in zip(names, texts) if text is None or name not in text]
        assert not missing, f"{page}: no section for {missing}"
    # the reference shows nbdev's signature with its documented parameters under the section
    browser.get((quick_report / "09_api.html").as_uri())
    text = browser.execute_script("return document.body.innerText")
    assert ("def train_genre_model(" in text
            and re.search(r"\n\s*out:[^\n]*# \w", text)), "no documented parameters"


def test_index_numbers_come_from_this_run(quick_report, results):
    index = (quick_report / "index.html").read_text()
    clean, ev = results["clean"], results["baselines"]
    assert f"{clean['rows_out']:,}" in index and f"{clean['dropped']:,}" in index
    for row in ev["results_display"]:
        assert row["accuracy"] in index
    assert results["dropout"]["conclusion"].split(",")[0] in index
    assert "67.50%" in index  # the original's figure, shown as not comparable
    seeds = results["ablation"]["seeds"]
    assert f"the ablation, seed{'s' if len(seeds) > 1 else ''} {', '.join(map(str, seeds))}" in index


def test_failed_build_keeps_previous_report(tmp_path, monkeypatch):
    import nbformat
    import songgenre.report as report
    out = tmp_path / "report"
    report.build_report("quick", out, data_path=str(FEATURES_FILE), chapters=["03_data"])
    before = (out / "03_data.html").read_text()
    nbs = tmp_path / "nbs"
    shutil.copytree(report.NBS, nbs, ignore=shutil.ignore_patterns("_*", ".ipynb_checkpoints"))
    nb = nbformat.read(nbs / "03_data.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("raise ValueError('chapter broke on purpose')"))
    nbformat.write(nb, nbs / "03_data.ipynb")
    monkeypatch.setattr(report, "NBS", nbs)
    # beside a long chapter: the failure stops it (its kernel is killed) and the build ends, not waits for it
    with pytest.raises(report.ChapterFailed,
                       match="03_data.ipynb failed.*\n.*chapter broke on purpose") as failure:
        report.build_report("quick", out, data_path=str(FEATURES_FILE), chapters=["14_dropout", "03_data"])
    assert not report._LocalSocketKernelManager.live  # no kernel left running
    assert (out / "03_data.html").read_text() == before
    assert (tmp_path / "report.failed" / "notebooks" / "03_data.ipynb").exists()
    kept = re.search(r"executed notebook kept at (.+)\)", str(failure.value)).group(1)
    # where it is, not where it was
    assert Path(kept).resolve() == (tmp_path / "report.failed" / "notebooks" / "03_data.ipynb").resolve()
    assert not list(tmp_path.glob(".report.building-*"))
