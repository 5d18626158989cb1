"""The recipe search behind `songgenre.model.OURS`, run by hand; prints figures, asserts nothing.

Every variant of our recipe is trained on the track-grouped splits of several seeds and scored on
validation only (the test split is never touched here). The model chapter quotes this search to say why
ours is a single MLP rather than the TabM ensemble. On the project's 2-core CPU the whole search takes
about 11 minutes (25 variants x 3 seeds, ~7.5 s per single-MLP fit, ~29 s per ensemble fit). The figures
the model chapter and bench/README.md quote are in bench/results/recipe_search.json, written by the first
command below.

    .venv/bin/python bench/recipe_search.py --out bench/results/recipe_search.json   # every variant, seeds 0 1 2
    .venv/bin/python bench/recipe_search.py --seeds 0 --only ours,tabm-4
"""
import argparse
import time
from dataclasses import asdict, replace

import pandas as pd
from tqdm.auto import tqdm

from songgenre.clean import clean_songs, split_tracks
from songgenre.data import load_songs
from songgenre.model import OURS, OURS_TABM, predict_proba, prepare_data, train_mlp
from results_file import write_results

VARIANTS = {
    "ours": OURS,
    "tabm-4": OURS_TABM,
    "standardise": replace(OURS, preprocessing="standard"),
    "2x512": replace(OURS, widths=(512, 512)),
    "2x384": replace(OURS, widths=(384, 384)),
    "1x512": replace(OURS, widths=(512,)),
    "3x256": replace(OURS, widths=(256, 256, 256)),
    "8-wide embeddings": replace(OURS, d_embedding=8),
    "32-wide embeddings": replace(OURS, d_embedding=32),
    "16 bins": replace(OURS, n_bins=16),
    "64 bins": replace(OURS, n_bins=64),
    "periodic embeddings": replace(OURS, embedding="periodic"),
    "dropout 0.05": replace(OURS, dropout=0.05),
    "dropout 0.2": replace(OURS, dropout=0.2),
    "lr 1e-3": replace(OURS, lr=1e-3),
    "lr 3e-3": replace(OURS, lr=3e-3),
    "no label smoothing": replace(OURS, label_smoothing=0.0),
    "label smoothing 0.15": replace(OURS, label_smoothing=0.15),
    "label smoothing 0.2": replace(OURS, label_smoothing=0.2),
    "weight decay 1e-2": replace(OURS, weight_decay=1e-2),
    "40 epochs": replace(OURS, max_epochs=40),
    "24 epochs": replace(OURS, max_epochs=24),
    "20 epochs": replace(OURS, max_epochs=20),
    "batch 256": replace(OURS, batch_size=256),
    "batch 1024, lr 3e-3": replace(OURS, batch_size=1024, lr=3e-3),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--only", help="comma-separated variant names (default: all)")
    parser.add_argument("--out", help="also write every fit and the table as JSON here")
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(VARIANTS)
    unknown = sorted(set(names) - set(VARIANTS))
    if unknown:
        parser.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    started = time.perf_counter()
    songs, _ = clean_songs(load_songs())
    splits = {seed: split_tracks(songs, seed=seed) for seed in args.seeds}
    rows = []
    for name in tqdm(names, desc="variants"):
        config = VARIANTS[name]
        for seed in args.seeds:
            data = prepare_data(splits[seed], config)
            result = train_mlp(data, config, seed=seed, progress=False)
            accuracy = (predict_proba(result.model, *data.valid[:2]).argmax(1) == data.valid[2].numpy()).mean()
            rows.append({"variant": name, "seed": seed, "valid_accuracy": 100 * float(accuracy),
                         "seconds": result.seconds, "epochs": len(result.history), "best_epoch": result.best_epoch})
    table = pd.DataFrame(rows).pivot_table(index="variant", columns="seed", values="valid_accuracy", sort=False)
    table["mean"] = table.mean(axis=1)
    table["seconds"] = pd.DataFrame(rows).groupby("variant", sort=False)["seconds"].mean()
    if "ours" in table.index:
        table["vs ours (points)"] = table["mean"] - table.loc["ours", "mean"]
    table = table.sort_values("mean", ascending=False)
    print(table.round(2).to_string())
    print(f"total: {time.perf_counter() - started:.0f} s")
    if args.out:
        write_results(args.out, {"seconds": time.perf_counter() - started, "seeds": args.seeds,
                                 "metric": "validation accuracy (%)",
                                 "configs": {name: asdict(VARIANTS[name]) for name in names}, "fits": rows,
                                 "table": table.reset_index().to_dict(orient="records")})


if __name__ == "__main__":
    main()
