"""Shared fixtures: the quick report (every chapter run once through papermill), a small trained model,
and the command-line entry point."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
FEATURES_FILE = SHARED / "genres_v2_features.csv"
RAW_SAMPLE = SHARED / "genres_v2_raw_sample.csv"


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory):
    "Run every chapter through papermill with the quick parameters and render the report; its folder."
    from songgenre.report import ChapterFailed, build_report
    out = tmp_path_factory.mktemp("quick") / "report"
    try:
        build_report("quick", out)
    except ChapterFailed as e:  # names the notebook, the failing cell and the error
        pytest.fail(str(e), pytrace=False)
    return out


@pytest.fixture(scope="session")
def results(quick_report):
    "Every chapter's JSON from the quick report, by name."
    from songgenre.report import load_results
    return load_results(quick_report / "data")


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    "A small model trained through the Python API on a sample of the data."
    from songgenre.api import train_genre_model
    out = tmp_path_factory.mktemp("models") / "small"
    train_genre_model(FEATURES_FILE, out, seed=0, epochs=3, sample_frac=0.15, progress=False)
    return out


def run_cli(*args, cwd=None, env=None, stdin=None):
    "Run the `songgenre` console script (with `stdin`, a text, on its standard input); the completed process."
    exe = Path(sys.executable).parent / "songgenre"
    return subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=cwd, input=stdin,
                          env={**os.environ, **(env or {})}, timeout=600)
