"""Target-aware bins for the piecewise-linear embeddings, run by hand; prints figures, asserts nothing.

Gorishniy et al. (2022, section 3.2.2) place the bins of piecewise-linear embeddings at the splits of a
decision tree fitted to the target rather than at quantiles. `rtdl_num_embeddings.compute_bins` does both.
This trains our recipe with each kind of bins on the track-grouped splits of several seeds and scores it
on validation only (the test split is never touched). About 2 minutes on the project's 2-core CPU.

    .venv/bin/python bench/tree_bins.py --out bench/results/tree_bins.json
"""
import argparse
import time
import warnings
from dataclasses import replace

import pandas as pd
from rtdl_num_embeddings import compute_bins
from tqdm.auto import tqdm

from songgenre.clean import clean_songs, split_tracks
from songgenre.data import load_songs
from songgenre.model import OURS, predict_proba, prepare_data, train_mlp
from results_file import write_results

# name: None for our quantile bins, else (number of bins, the decision tree's settings)
VARIANTS = {
    "quantile bins, 32 (ours)": None,
    "tree bins, 32, min 64 per leaf": (32, {"min_samples_leaf": 64, "min_impurity_decrease": 1e-4}),
    "tree bins, 48, min 64 per leaf": (48, {"min_samples_leaf": 64, "min_impurity_decrease": 1e-4}),
    "tree bins, 16, min 128 per leaf": (16, {"min_samples_leaf": 128, "min_impurity_decrease": 1e-4}),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", help="also write every fit and the table as JSON here")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message=".*has just two bin edges.*")
    songs, _ = clean_songs(load_songs())
    fits, started = [], time.perf_counter()
    for seed in tqdm(args.seeds, desc="seeds"):
        base = prepare_data(split_tracks(songs, seed=seed), OURS)
        for name, tree in VARIANTS.items():
            data = base
            if tree is not None:
                n_bins, tree_kwargs = tree
                edges = compute_bins(base.train[0], n_bins=n_bins, tree_kwargs=tree_kwargs, y=base.train[2], regression=False)
                data = replace(base, bins=[e.tolist() for e in edges])
            result = train_mlp(data, OURS, seed=seed, progress=False, train_accuracy=False)
            accuracy = float((predict_proba(result.model, *data.valid[:2]).argmax(1) == data.valid[2].numpy()).mean())
            fits.append({"variant": name, "seed": seed, "valid_accuracy": accuracy, "seconds": result.seconds})
    table = pd.DataFrame(fits).pivot_table(index="variant", columns="seed", values="valid_accuracy", sort=False) * 100
    table["mean"] = table.mean(axis=1)
    table["vs ours (points)"] = table["mean"] - table["mean"].iloc[0]
    print(table.round(2).to_string())
    print(f"total: {time.perf_counter() - started:.0f} s")
    if args.out:
        write_results(args.out, {"seeds": args.seeds, "fits": fits, "table": table.reset_index().to_dict("records")})


if __name__ == "__main__":
    main()
