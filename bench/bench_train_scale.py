"""Training as the catalog grows: seconds per epoch, the time before the first epoch, and peak memory of
`songgenre train` on 40 thousand, 400 thousand and 4 million labelled songs (rows drawn from genres_v2 with
small noise: for timing, not for accuracy).

    .venv/bin/python bench/bench_train_scale.py --out bench/results/bench_train_scale.json [--sizes 40000 400000]

Each training runs as its own process under /usr/bin/time, whose maximum resident set size is the peak; the
epochs are timed by the arrival of the per-epoch lines `songgenre train` writes to a log."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from bench_scale import make_catalog  # noqa: E402
from results_file import write_results  # noqa: E402

BIN = Path(sys.executable).parent


def timed_training(data: Path, out: Path, epochs: int) -> dict:
    "Wall seconds, peak resident memory (MB) and the arrival time of each epoch's line of one training."
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        # a log, not a screen: one line per epoch, read as it comes
        run = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", report.name, BIN / "songgenre", "train",
                                "--data", data, "--out", out, "--epochs", str(epochs)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
        epoch_at, tail = [], []
        for line in run.stderr:
            if line.startswith("epoch "):
                epoch_at.append(time.perf_counter() - start)
            tail = (tail + [line])[-20:]
        run.wait()
        seconds = time.perf_counter() - start
        if run.returncode:
            raise RuntimeError(f"songgenre train failed: {''.join(tail)}")
        meta = json.loads((out / "model.json").read_text())
        return {"seconds": round(seconds, 2), "peak_mb": round(int(report.read().split()[-1]) / 1024, 1),
                "epoch_ends_s": [round(t, 2) for t in epoch_at], "train_seconds": meta["train_seconds"],
                "train_songs": meta["training_data"]["split_sizes"]["train"]}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "bench_train_scale.json"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[40_000, 400_000, 4_000_000])
    parser.add_argument("--epochs", type=int, default=3, help="epochs per training (below the patience)")
    args = parser.parse_args()
    from songgenre.data import find_songs_file

    songs = pd.read_csv(find_songs_file(), index_col=0)
    work = Path(tempfile.mkdtemp(prefix="songgenre-train-scale-"))
    rows = []
    for size in args.sizes:
        data = work / f"labelled_{size}.parquet"
        make_catalog(songs, size, data)  # with their genres, each row its own track (song_id)
        run = timed_training(data, work / f"model_{size}", args.epochs)
        ends = run["epoch_ends_s"]
        row = {"songs": size, **run,
               # the epochs after the first: the first also carries the set-up's last steps
               "seconds_per_epoch": round(float(np.diff(ends).mean()), 2) if len(ends) > 1 else None,
               "before_first_epoch_s": round(ends[0] - float(np.diff(ends).mean()), 2) if len(ends) > 1 else None}
        rows.append(row)
        print(json.dumps(row), flush=True)
        data.unlink()
    out = Path(args.out)  # earlier runs kept by hand as "before..." stay
    kept = {k: v for k, v in json.loads(out.read_text()).items() if k.startswith("before")} if out.exists() else {}
    write_results(out, {
        "what": f"songgenre train (our recipe, {args.epochs} epochs, no early stop) on labelled catalogs drawn "
                "from genres_v2 with 1 % noise (each row its own track); wall seconds, peak resident memory, "
                "seconds per epoch (mean of the epochs after the first) and the time before the first epoch "
                "(reading, cleaning, splitting, preprocessing), on this machine",
        "rows": rows, **kept})


if __name__ == "__main__":
    main()
