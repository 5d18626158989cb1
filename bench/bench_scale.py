"""Predicting a catalog at scale: songs per second and peak memory of `songgenre predict` and of LightGBM's
predict on the same songs, for catalogs of 1, 4 and 20 million songs (rows drawn from genres_v2 with small
noise), plus the model's own in-memory scoring rate and CSV input.

    .venv/bin/python bench/bench_scale.py --out bench/results/bench_scale.json [--sizes 1000000 4000000]

Each prediction runs as its own process under /usr/bin/time, whose maximum resident set size is the peak."""
import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from results_file import write_results  # noqa: E402

BIN = Path(sys.executable).parent


def make_catalog(songs: pd.DataFrame, rows: int, path: Path, seed: int = 0, part: int = 1_000_000):
    "A Parquet catalog of `rows` songs drawn from `songs` with 1 % noise on the continuous features."
    rng = np.random.default_rng(seed)
    continuous = ["danceability", "energy", "loudness", "speechiness", "acousticness", "instrumentalness",
                  "liveness", "valence", "tempo"]
    writer = None
    for start in range(0, rows, part):
        n = min(part, rows - start)
        drawn = songs.iloc[rng.integers(0, len(songs), n)].reset_index(drop=True)
        for c in continuous:
            lo, hi = (-60.0, 5.0) if c == "loudness" else (1.0, 300.0) if c == "tempo" else (0.0, 1.0)
            drawn[c] = np.clip(drawn[c] * rng.normal(1, 0.01, n), lo, hi)
        drawn.insert(0, "song_id", np.char.add("s", np.arange(start, start + n).astype(str)))
        table = pa.Table.from_pandas(drawn, preserve_index=False)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=100_000)
    writer.close()


def timed(command: list[str]) -> dict:
    "Wall seconds and peak resident memory (MB) of one process."
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *map(str, command)],
                              capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if done.returncode:
            raise RuntimeError(f"{command[0]} failed: {done.stderr[-2000:]}")
        return {"seconds": round(seconds, 2), "peak_mb": round(int(report.read().split()[-1]) / 1024, 1)}


def best_seconds(run, times: int = 3) -> float:
    "The fastest wall time of `times` calls of `run`."
    best = float("inf")
    for _ in range(times):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def network_share(catalog: Path, model_dir: Path, out: Path) -> float:
    """The share of `predict_file`'s wall time spent in the network, both timed in the same run: unlike two
    rates measured minutes apart, it does not move with this machine's speed, which wanders by up to 2x."""
    import songgenre.api as api
    scoring, spent = api._genre_proba, [0.0]
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return scoring(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - start
    api._genre_proba = timed
    try:
        start = time.perf_counter()
        api.predict_file(catalog, out, model_dir, progress=False)
        return spent[0] / (time.perf_counter() - start)
    finally:
        api._genre_proba = scoring


WHAT = ("songgenre predict (Parquet in, Parquet out) and LightGBM's predict "
        "(300 trees, batches of 98,304 songs) on catalogs drawn from genres_v2 with 1 % noise; wall seconds and "
        "peak resident memory of each process, on this machine; the share of each end-to-end rate in the "
        "network's own rate and in predict_genres' on a frame in memory, and in the network's rate timed just before "
        "and after each run (_around); up to 4 million songs, the share of predict_file's wall time spent in the "
        "network, in the same run; from CSV at the smallest size, to Parquet and to CSV")

# read as `songgenre predict` reads, without pre-buffering: with it, pyarrow keeps what it has read until the
# end (~100 MB per million songs; LightGBM peaked at 2.18 GB on 20 million songs in the run at 5d55c0c)
LIGHTGBM_PREDICT = """
import sys, joblib, numpy as np, pyarrow.parquet as pq
booster, features = joblib.load(sys.argv[1])
out = []
for batch in pq.ParquetFile(sys.argv[2], pre_buffer=False).iter_batches(batch_size=98304, columns=features):
    out.append(booster.predict_proba(batch.to_pandas()[features].to_numpy(np.float64)).argmax(1).astype(np.int8))
np.save(sys.argv[3], np.concatenate(out))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "bench_scale.json"))
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 4_000_000, 20_000_000])
    parser.add_argument("--lightgbm-up-to", type=int, default=None,
                        help="largest catalog LightGBM predicts (default: all; 20 million songs take it over an "
                             "hour here)")
    args = parser.parse_args()
    started = time.perf_counter()
    import joblib
    import lightgbm as lgb
    import torch
    from songgenre.api import predict_genres, train_genre_model
    from songgenre.data import find_songs_file
    from songgenre.model import predict_proba, to_tensors
    from songgenre.contract import canonical_songs

    songs = pd.read_csv(find_songs_file(), index_col=0)
    work = Path(tempfile.mkdtemp(prefix="songgenre-scale-"))
    model = train_genre_model(songs, work / "model", progress=False)
    features = model.features
    booster = lgb.LGBMClassifier(n_estimators=300, learning_rate=0.1, num_leaves=31, verbose=-1).fit(
        songs[features].to_numpy(np.float64), songs["genre"].astype("category").cat.codes)
    joblib.dump((booster, features), work / "trees.joblib")
    (work / "trees.py").write_text(LIGHTGBM_PREDICT)
    catalog_songs = songs.drop(columns="genre")

    # two ceilings of any end-to-end rate, on a million songs in memory: the network alone on its prepared
    # inputs, and the whole scoring of a frame (`predict_genres`: the data contract, the preprocessing, the
    # network and the output columns), which lacks only the reading and the writing
    frame = catalog_songs.sample(1_000_000, replace=True, random_state=0).reset_index(drop=True)
    sample = canonical_songs(frame, "bench", require_genre=False, features=features)
    x_num, x_cat, _ = to_tensors(model.preprocessor, sample)
    # the fastest of three runs: the first call prepares torch's kernels, and this machine's speed wanders
    def network_rate() -> float:
        "The network's songs/s on the prepared million songs: the fastest of three runs."
        return len(sample) / best_seconds(lambda: predict_proba(model.network, x_num, x_cat))
    model_rate = network_rate()
    print(f"network alone, in memory: {model_rate:,.0f} songs/s (torch threads {torch.get_num_threads()})",
          flush=True)
    frame_rate = len(frame) / best_seconds(lambda: predict_genres(frame, model))
    print(f"predict_genres on a frame in memory: {frame_rate:,.0f} songs/s", flush=True)

    out = Path(args.out)
    earlier = json.loads(out.read_text()) if out.exists() else {}
    kept = {k: v for k, v in earlier.items() if k.startswith("before")}  # the figures of older code
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()

    def save(rows: list, complete: bool):
        "Write the results so far (after every size: a run stopped half-way keeps what it measured)."
        for row in rows:  # the end-to-end rate against each ceiling
            row["ours"]["share_of_network_rate"] = round(row["ours"]["songs_per_s"] / model_rate, 3)
            row["ours"]["share_of_in_memory_rate"] = round(row["ours"]["songs_per_s"] / frame_rate, 3)
        write_results(out, {
            "what": WHAT, "model_alone_songs_per_s": round(model_rate),
            "predict_genres_in_memory_songs_per_s": round(frame_rate),
            "rows": rows, "commit": commit, "bench_seconds": round(time.perf_counter() - started),
            "complete": complete, **kept})

    rows = []
    for size in args.sizes:
        catalog = work / f"catalog_{size}.parquet"
        make_catalog(catalog_songs, size, catalog)
        # the network alone timed again just before and after: its rate at the time of the run, on a machine whose
        # speed wanders by up to 2x within minutes
        network_before = network_rate()
        ours = timed([BIN / "songgenre", "predict", "--model", work / "model", catalog, "-o",
                      work / "out.parquet"])
        around = (network_before + network_rate()) / 2
        row = {"songs": size, "input": "parquet", "ours": {**ours, "songs_per_s": round(size / ours["seconds"]),
                                                          "network_songs_per_s_around": round(around)}}
        row["ours"]["share_of_network_rate_around"] = round(row["ours"]["songs_per_s"] / around, 3)
        if size <= 4_000_000:  # the 20-million-song run would add minutes for the same share
            share = network_share(catalog, work / "model", work / "out.parquet")
            row["ours"]["network_share_of_time"] = round(share, 3)
        print(f"{size:,} songs, ours: {row['ours']}", flush=True)
        rows.append(row)
        save(rows, complete=False)
        if size == args.sizes[0]:  # from CSV: to Parquet (what parsing costs), and to CSV (and writing text)
            pq.read_table(catalog).to_pandas().to_csv(work / "catalog.csv", index=False)
            for key, out_file in (("ours_csv_to_parquet", "out.parquet"), ("ours_csv", "out.csv")):
                csv = timed([BIN / "songgenre", "predict", "--model", work / "model", work / "catalog.csv",
                             "-o", work / out_file])
                row[key] = {**csv, "songs_per_s": round(size / csv["seconds"])}
        if args.lightgbm_up_to is None or size <= args.lightgbm_up_to:
            trees = timed([sys.executable, work / "trees.py", work / "trees.joblib", catalog, work / "trees.npy"])
            row["lightgbm"] = {**trees, "songs_per_s": round(size / trees["seconds"])}
        print(json.dumps(row), flush=True)
        save(rows, complete=size == args.sizes[-1])
        catalog.unlink()

if __name__ == "__main__":
    main()
