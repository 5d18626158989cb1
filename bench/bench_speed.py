"""Speed benchmark, run by hand (`make bench`); prints figures, asserts nothing.

On the full data, in one run: our MLP's training time to early stop next to LightGBM's fit time, and
the prediction throughput (songs per second) of both on 1,000,000 rows. Goals from the issue: the MLP
trains faster than the trees and predicts at least 5x faster."""
import argparse
import platform
import time

import numpy as np
import torch

from songgenre.clean import clean_songs, split_tracks
from songgenre.data import load_songs
from songgenre.evaluate import fit_lightgbm, model_inputs, valid_accuracy
from songgenre.model import OURS, predict_proba, prepare_data, to_tensors, train_mlp


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to predict (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, torch threads {torch.get_num_threads()}, "
          f"device {'cuda' if torch.cuda.is_available() else 'cpu'}")

    start = time.perf_counter()
    songs, _ = clean_songs(load_songs())
    splits = split_tracks(songs, seed=args.seed)
    data = prepare_data(splits, OURS)
    print(f"load + clean + split + preprocess: {time.perf_counter() - start:.2f} s ({len(songs):,} rows)")

    result = train_mlp(data, OURS, seed=args.seed, progress=True)
    mlp_valid = float((predict_proba(result.model, *data.valid[:2]).argmax(1) == data.valid[2].numpy()).mean())
    trees = fit_lightgbm(data, args.seed, num_leaves=31)
    print(f"train  MLP (ours, k={OURS.k}): {result.seconds:7.1f} s to early stop after {len(result.history)} epochs "
          f"(valid accuracy {mlp_valid:.4f})")
    print(f"train  LightGBM:            {trees['seconds']:7.1f} s with {trees['trees']} rounds "
          f"(valid accuracy {valid_accuracy(data, trees):.4f})")

    # 1,000,000 rows drawn from the test split, preprocessed once, as a service would in a batch job
    big = splits.test.sample(args.rows, replace=True, random_state=args.seed).reset_index(drop=True)
    x_num, x_cat, _ = to_tensors(data.preprocessor, big)
    start = time.perf_counter()
    predict_proba(result.model, x_num, x_cat, batch_size=65536)
    mlp_seconds = time.perf_counter() - start

    import lightgbm as lgb
    booster = lgb.LGBMClassifier(n_estimators=trees["trees"], learning_rate=0.05, num_leaves=31, min_child_samples=40,
                                 colsample_bytree=0.7, subsample=0.8, subsample_freq=1, random_state=args.seed, verbose=-1)
    booster.fit(model_inputs(data, "train"), data.train[2].numpy())
    onehot = [np.eye(n)[x_cat[:, i].numpy()] for i, n in enumerate(data.preprocessor.cardinalities)]
    x_big = np.hstack([x_num.numpy(), *onehot])
    start = time.perf_counter()
    booster.predict_proba(x_big)
    tree_seconds = time.perf_counter() - start
    print(f"predict MLP:      {args.rows / mlp_seconds:12,.0f} songs/s ({mlp_seconds:.2f} s for {args.rows:,})")
    print(f"predict LightGBM: {args.rows / tree_seconds:12,.0f} songs/s ({tree_seconds:.2f} s for {args.rows:,})")
    print(f"MLP / LightGBM: training time {result.seconds / trees['seconds']:.2f}x, prediction speed "
          f"{tree_seconds / mlp_seconds:.2f}x")


if __name__ == "__main__":
    main()
