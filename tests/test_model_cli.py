"""The saved model, `predict_genres`, and the `songgenre` command line, good and bad input."""
import io
import json
import os
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import FEATURES_FILE, RAW_SAMPLE, run_cli
import songgenre
from songgenre.data import GENRES
from songgenre.schema import FEATURES
from songgenre.model import OURS, prepare_data, train_mlp
from songgenre.schema import ModelError
from songgenre.store import WEIGHTS, META, load_model, row_fingerprints, save_model


@pytest.fixture(scope="module")
def model(model_dir):
    return load_model(model_dir)


@pytest.fixture
def songs_in(tmp_path):
    "20 raw-schema rows with ids, names and an unknown extra column, shuffled, without the genre."
    frame = pd.read_csv(RAW_SAMPLE).sample(20, random_state=1).drop(columns="genre")
    frame["curator_note"] = [f"note {i}" for i in range(len(frame))]
    path = tmp_path / "new_songs.csv"
    frame.to_csv(path, index=False)
    return frame, path


def test_saved_model_round_trip_gives_identical_predictions(model_dir, model, tmp_path):
    meta = json.loads((model_dir / META).read_text())
    assert (meta["features"] == FEATURES and meta["genres"] == GENRES
            and meta["package_version"] == songgenre.__version__)
    assert len(meta["training_data"]["sha256"]) == 64 and {"valid", "test"} <= set(meta["metrics"])
    frame = pd.read_csv(FEATURES_FILE, index_col=0, nrows=50)
    first = songgenre.predict_genres(frame, model)
    copy = save_model(model, tmp_path / "copy")
    second = songgenre.predict_genres(frame, load_model(copy))
    pd.testing.assert_frame_equal(first, second)


def test_predictions_keep_rows_ids_and_extra_columns(model, songs_in):
    frame, _ = songs_in
    out = songgenre.predict_genres(frame, model)
    assert len(out) == len(frame) and list(out["id"]) == list(frame["id"])
    assert (list(out["curator_note"]) == list(frame["curator_note"])
            and list(out["song_name"].fillna("")) == list(frame["song_name"].fillna("")))
    probs = out[["probability_1", "probability_2", "probability_3"]].to_numpy()
    assert (np.diff(probs, axis=1) <= 1e-12).all() and (probs.sum(1) <= 1 + 1e-9).all()
    assert ((out["predicted_genre"] == out["genre_1"]).all()
            and np.allclose(out["predicted_probability"], out["probability_1"]))
    assert set(out["predicted_genre"]) <= set(GENRES)


def test_cli_predict_writes_csv_and_parquet_in_input_order(model_dir, model, songs_in, tmp_path):
    frame, path = songs_in
    for name in ("out.csv", "out.parquet"):
        result = run_cli("predict", "--model", model_dir, path, "-o", tmp_path / name)
        assert result.returncode == 0, result.stderr
        written = pd.read_csv(tmp_path / name) if name.endswith("csv") else pd.read_parquet(tmp_path / name)
        assert list(written["id"]) == list(frame["id"])
        assert (list(written["predicted_genre"])
                == list(songgenre.predict_genres(frame, model)["predicted_genre"]))
    parquet_in = tmp_path / "in.parquet"
    frame.to_parquet(parquet_in)
    result = run_cli("predict", "--model", model_dir, parquet_in)
    assert result.returncode == 0 and len(pd.read_csv(__import__("io").StringIO(result.stdout))) == len(frame)


def test_cli_evaluate_prints_metrics_json(model, model_dir, tmp_path):
    labelled = pd.read_csv(FEATURES_FILE, index_col=0).sample(2000, random_state=0)
    # songs the model never saw
    new = labelled[~np.isin(row_fingerprints(labelled), model.seen_rows)].head(300)
    new.to_csv(tmp_path / "labelled.csv")
    result = run_cli("evaluate", "--model", model_dir, "--data", tmp_path / "labelled.csv")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["rows"] == 300 and 0.2 < metrics["accuracy"] <= 1 and 0 <= metrics["macro_f1"] <= 1
    assert 0 <= metrics["calibration_error"] < 1
    assert set(metrics["per_genre"]) == set(GENRES) and metrics["rows_seen_in_training"] == 0
    assert "warning" not in result.stderr


def test_cli_evaluate_counts_songs_the_model_was_trained_on(model, model_dir, tmp_path):
    # a Parquet copy of part of the training file: not the same bytes, but many of the same songs
    labelled = pd.read_csv(FEATURES_FILE, index_col=0).sample(2000, random_state=1)
    labelled.to_parquet(tmp_path / "copy.parquet")
    seen = int(np.isin(row_fingerprints(labelled), model.seen_rows).sum())
    assert 0 < seen < len(labelled)  # the small model was trained on a sample of the file
    # the warning is part of the output: the same line whatever PYTHONWARNINGS says (not a traceback,
    # not silenced)
    for warnings_setting in ("", "error", "ignore"):
        result = run_cli("evaluate", "--model", model_dir, "--data", tmp_path / "copy.parquet",
                         env={"PYTHONWARNINGS": warnings_setting})
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["rows_seen_in_training"] == seen
        assert (result.stderr.count("\n") == 1 and f"{seen:,} of 2,000 songs" in result.stderr
                and "optimistic" in result.stderr)
        assert result.stderr.startswith(f"songgenre: warning: {tmp_path / 'copy.parquet'}: "), result.stderr


@pytest.mark.parametrize("version", [1, 2])
def test_an_older_model_still_loads(model_dir, tmp_path, version):
    # version 1 had neither fingerprints nor a temperature, version 2 fingerprints only
    from safetensors.torch import load_file, save_file
    from songgenre.store import _SEEN_ROWS
    from songgenre.tables import sha256_file
    old = tmp_path / f"format{version}"
    shutil.copytree(model_dir, old)
    state = load_file(old / WEIGHTS)
    del state["temperature"]
    if version == 1:
        del state[_SEEN_ROWS]
    save_file(state, old / WEIGHTS)
    meta = json.loads((old / META).read_text())
    meta.pop("checksum")  # older songgenre wrote none
    (old / META).write_text(json.dumps({**meta, "format_version": version,
                                        "weights_sha256": sha256_file(old / WEIGHTS)}))
    loaded = load_model(old)
    assert (loaded.seen_rows is None) == (version == 1) and float(loaded.network.temperature) == 1.0
    labelled = pd.read_csv(FEATURES_FILE, index_col=0).head(100)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        seen = songgenre.evaluate_model(labelled, loaded)["rows_seen_in_training"]
    assert (seen is None) == (version == 1)
    # a model without fingerprints cannot tell, so it says nothing; one with them says how many it knows
    assert [w.category for w in caught] == ([songgenre.OptimisticMetricsWarning] if seen else [])
    old_predictions = songgenre.predict_genres(labelled, loaded)
    new_predictions = songgenre.predict_genres(labelled, model_dir)
    # the same network at temperature 1: the same genres, other (uncalibrated) probabilities
    assert (old_predictions["predicted_genre"] == new_predictions["predicted_genre"]).all()
    assert not np.allclose(old_predictions["predicted_probability"], new_predictions["predicted_probability"])
    # the command line says what an older model cannot do, one warning line each, and still works
    labelled.to_csv(tmp_path / "labelled.csv")
    predicted = run_cli("predict", "--model", old, tmp_path / "labelled.csv", "-o", tmp_path / "out.csv")
    assert predicted.returncode == 0 and predicted.stderr.count("songgenre: warning:") == 1
    assert f"model format {version}" in predicted.stderr and "not calibrated" in predicted.stderr
    evaluated = run_cli("evaluate", "--model", old, "--data", tmp_path / "labelled.csv")
    assert evaluated.returncode == 0 and json.loads(evaluated.stdout)["rows"] == 100
    notes = [line for line in evaluated.stderr.splitlines() if "model format" in line]
    assert len(notes) == (2 if version == 1 else 1), evaluated.stderr


def test_evaluate_knows_the_same_songs_in_the_raw_schema(model):
    # the raw sample is the features file's first rows in Kaggle's raw schema, written with fewer digits
    # (0.814 where the features file has 0.8140000000000001): the same songs, so the same count
    raw = pd.read_csv(RAW_SAMPLE)
    same_songs = pd.read_csv(FEATURES_FILE, index_col=0).head(len(raw))
    # bits differ
    assert not np.array_equal(raw[FEATURES].to_numpy(float), same_songs[FEATURES].to_numpy(float))
    assert np.allclose(raw[FEATURES].to_numpy(float), same_songs[FEATURES].to_numpy(float))
    seen = int(np.isin(row_fingerprints(same_songs), model.seen_rows).sum())
    with pytest.warns(songgenre.OptimisticMetricsWarning, match=f"input: {seen} of {len(raw)} songs"):
        assert seen > 0 and songgenre.evaluate_model(raw, model)["rows_seen_in_training"] == seen


def test_cli_evaluate_on_a_few_genres_gives_null_where_undefined(model_dir, tmp_path):
    songs = pd.read_csv(FEATURES_FILE, index_col=0)
    songs[songs["genre"].isin(["Emo", "Pop"])].sample(60, random_state=0).to_csv(tmp_path / "two_genres.csv")
    result = run_cli("evaluate", "--model", model_dir, "--data", tmp_path / "two_genres.csv")
    assert result.returncode == 0, result.stderr
    # strict JSON (no NaN); a genre with no songs here has no recall and, unless predicted, no precision or F1
    metrics = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"{name} in the JSON"))
    absent = {g: m for g, m in metrics["per_genre"].items() if g not in ("Emo", "Pop")}
    assert all(m["support"] == 0 and m["recall"] is None for m in absent.values())
    assert all((m["precision"] is None) == (m["f1"] is None) for m in absent.values())
    assert all(metrics["per_genre"][g]["recall"] is not None for g in ("Emo", "Pop"))


def test_cli_evaluate_warns_on_the_training_file(model_dir):
    result = run_cli("evaluate", "--model", model_dir, "--data", FEATURES_FILE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] > 0  # stdout stays pure JSON
    assert result.stderr.count("\n") == 1 and "is the file this model was trained on" in result.stderr


def test_predict_genres_refuses_a_single_song_as_a_series(model_dir):
    song = pd.read_csv(FEATURES_FILE, index_col=0).iloc[0]
    with pytest.raises(songgenre.SongDataError, match="expected a pandas DataFrame of songs, got Series"):
        songgenre.predict_genres(song, model_dir)
    assert len(songgenre.predict_genres(song.to_frame().T, model_dir)) == 1


def test_cli_train_saves_a_loadable_model(tmp_path):
    sample = pd.read_csv(FEATURES_FILE, index_col=0).sample(4000, random_state=0)
    sample.to_csv(tmp_path / "songs.csv")
    result = run_cli("train", "--data", tmp_path / "songs.csv", "--out", tmp_path / "m", "--seed", "1",
                     "--epochs", "2")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    saved = load_model(tmp_path / "m")
    assert summary["valid_accuracy"] > 0.2 and saved.meta["seed"] == 1
    assert summary["temperature"] == float(saved.network.temperature)
    assert summary["test_calibration_error"] == saved.meta["metrics"]["test"]["calibration_error"]
    # which file was used (the data search has fallbacks) and how many of its rows survived cleaning
    assert summary["data"] == str(tmp_path / "songs.csv") and summary["rows_loaded"] == 4000
    assert (0 < summary["rows_used"] <= 4000
            and summary["rows_used"] == saved.meta["training_data"]["rows_used"])
    # and why the others did not, by rule (a row breaking two rules is in both)
    assert summary["rows_dropped"] == saved.meta["training_data"]["rows_dropped"]
    assert sum(summary["rows_dropped"].values()) >= summary["rows_loaded"] - summary["rows_used"] > 0
    # stderr is a pipe here, as in a log file: one plain line per epoch, no progress bar redrawn with
    # carriage returns
    epochs = [line for line in result.stderr.splitlines() if line.startswith("epoch ")]
    assert ("\r" not in result.stderr
            and [line.split(":")[0] for line in epochs] == ["epoch 1/2", "epoch 2/2"]), result.stderr


def _rewrite_temperature(directory, temperature):
    ("A model whose temperature is damaged but whose SHA-256 in model.json still matches "
     "(edited, not truncated).")
    from safetensors.torch import load_file, save_file
    from songgenre.tables import sha256_file
    save_file({**load_file(directory / WEIGHTS), "temperature": temperature}, directory / WEIGHTS)
    meta = json.loads((directory / META).read_text())
    (directory / META).write_text(json.dumps({**meta, "weights_sha256": sha256_file(directory / WEIGHTS)}))


def _rewrite_preprocessor(directory, **changes):
    "model.json with some preprocessing parameters changed by the given functions of their saved values."
    meta = json.loads((directory / META).read_text())
    pre = meta["preprocessor"]
    meta["preprocessor"] = {**pre, **{k: change(pre[k]) for k, change in changes.items()}}
    (directory / META).write_text(json.dumps(meta))


def _damaged(model_dir, tmp_path, damage):
    target = tmp_path / "damaged"
    shutil.copytree(model_dir, target)
    damage(target)
    return target


MODEL_DAMAGE = [
    ("truncated weights", lambda d: (d / WEIGHTS).write_bytes((d / WEIGHTS).read_bytes()[:500]),
     "corrupt or truncated"),
    ("corrupt json", lambda d: (d / META).write_text('{"format": '), "corrupt or truncated JSON"),
    ("missing json", lambda d: (d / META).unlink(), "model.json: missing"),
    ("other format version",
     lambda d: (d / META).write_text(json.dumps({**json.loads((d / META).read_text()),
                                                 "format_version": 7})),
     "incompatible"),
    ("other architecture",
     lambda d: (d / META).write_text(json.dumps({**json.loads((d / META).read_text()),
                                                 "config": {**json.loads((d / META).read_text())["config"],
                                                            "widths": [64, 64]}})),
     "incompatible or corrupt"),
    ("temperature NaN", lambda d: _rewrite_temperature(d, torch.tensor(float("nan"))),
     "safetensors: corrupt model .temperature nan;"),
    ("temperature tiny", lambda d: _rewrite_temperature(d, torch.tensor(1e-30)),
     "safetensors: corrupt model .temperature 1e-30;"),
    ("temperature not one number", lambda d: _rewrite_temperature(d, torch.ones(3)),
     "safetensors: corrupt model .temperature of shape .3,.;"),
    # model.json's preprocessing, still valid JSON: checked on load, not left to fail half-way through
    # a prediction
    ("quantiles cut short", lambda d: _rewrite_preprocessor(d, quantiles=lambda q: q[:3]),
     "preprocessor: quantiles must be a row"),
    ("quantiles as text",
     lambda d: _rewrite_preprocessor(d, quantiles=lambda q: [["x"] * len(q[0])] * len(q)),
     "preprocessor: quantiles are not all numbers"),
    ("categories as text",
     lambda d: _rewrite_preprocessor(d, categories=lambda c: {**c, "key": [str(v) for v in c["key"]]}),
     "preprocessor: the categories of 'key'"),
    # every shape and order kept, one number changed: only the checksum can tell
    ("a quantile nudged",
     lambda d: _rewrite_preprocessor(d, quantiles=lambda q: [[*q[0][:5], (q[0][4] + q[0][5]) / 2, *q[0][6:]],
                                                             *q[1:]]),
     "model.json: changed after it was saved"),
]


@pytest.mark.parametrize("case,damage,message", MODEL_DAMAGE, ids=[c[0] for c in MODEL_DAMAGE])
def test_damaged_model_is_refused(case, damage, message, model_dir, tmp_path, songs_in):
    target = _damaged(model_dir, tmp_path, damage)
    with pytest.raises(ModelError, match=message):
        load_model(target)
    result = run_cli("predict", "--model", target, songs_in[1], "-o", tmp_path / "out.csv")
    assert result.returncode == 2 and message.split()[0] in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out.csv").exists()


A_DIRECTORY = object()  # the input path is a folder
CLI_BAD_INPUT = [
    ("missing file", None, "file not found"),
    ("a directory", A_DIRECTORY, "is a folder with no Parquet file (.parquet, .pq) in it; name a file"),
    ("empty file", "", "file is empty"),
    ("missing column", lambda f: f.drop(columns="danceability"), "missing column 'danceability'"),
    ("text in a feature",
     lambda f: f.astype({"tempo": object}).assign(tempo=lambda g: g["tempo"].where(np.arange(len(g)) != 2,
                                                                                    "n/a")),
     "column 'tempo' has text in row 3"),
    ("every feature missing", lambda f: f.assign(**{c: f[c].where(np.arange(len(f)) != 0) for c in FEATURES}),
     "every feature is missing in row 1"),
    ("a repeated header", lambda f: f.rename(columns={"liveness": "energy"}), "duplicate column 'energy'"),
    ("two spellings of a column", lambda f: f.assign(Energy=0.5),
     "columns 'energy' and 'Energy' both name 'energy'"),
    ("semicolon-separated", lambda f: f.to_csv(sep=";", index=False), "is the file separated by ';'"),
    ("decimal commas", lambda f: f.to_csv(sep=";", decimal=",", index=False),
     "the header (1); the header is a single column: is the file separated by ';', tabs or '|' (with"),
    ("Excel's sep= line", lambda f: "sep=,\n" + f.to_csv(index=False), "is Excel's separator line"),
    ("a comment above the header", lambda f: "# exported\n" + f.to_csv(index=False), "starts with '#'"),
    ("JSON", lambda f: f.to_json(orient="records"), "is JSON, not a CSV or Parquet table; save it as CSV"),
]


@pytest.mark.parametrize("case,damage,message", CLI_BAD_INPUT, ids=[c[0] for c in CLI_BAD_INPUT])
def test_cli_bad_input_one_line_no_output(case, damage, message, model_dir, songs_in, tmp_path):
    frame, good = songs_in
    bad = tmp_path / "bad.csv"
    if damage is A_DIRECTORY:
        bad.mkdir()
    elif isinstance(damage, str):
        bad.write_text(damage)
    elif damage is not None:
        damaged = damage(frame)  # a frame, or the file's text
        bad.write_text(damaged) if isinstance(damaged, str) else damaged.to_csv(bad, index=False)
    existing = tmp_path / "predictions.csv"
    existing.write_text("previous,content\n1,2\n")
    for command in (["predict", "--model", model_dir, bad, "-o", existing],
                    ["evaluate", "--model", model_dir, "--data", bad]):
        result = run_cli(*command)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert (result.stderr.startswith("songgenre: error: ") and message in result.stderr
                and "bad.csv" in result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "cannot be read" not in result.stderr  # each is its own reason, not "unreadable"
    assert existing.read_text() == "previous,content\n1,2\n"  # nothing already written is lost
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_save_keeps_the_previous_model(model_dir, model, tmp_path, monkeypatch):
    import songgenre.store as store
    target = tmp_path / "kept"
    save_model(model, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def crash(*args, **kwargs):
        raise OSError("disk full")
    monkeypatch.setattr(store, "save_file", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model(model, target)
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["kept"]  # no temporary directory left behind


def test_two_cpu_runs_give_identical_metrics():
    from songgenre.clean import clean_songs, split_tracks
    from songgenre.data import load_songs
    from dataclasses import replace
    full, _ = clean_songs(load_songs(FEATURES_FILE).sample(3000, random_state=0).reset_index(drop=True))
    config = replace(OURS, max_epochs=2)
    data = prepare_data(split_tracks(full, seed=0), config)
    a, b = (train_mlp(data, config, seed=3, progress=False, device=torch.device("cpu")) for _ in range(2))
    pd.testing.assert_frame_equal(a.history, b.history)


@pytest.mark.parametrize("epochs", ["0", "-1"])
def test_train_refuses_epochs_below_one(epochs, tmp_path):
    result = run_cli("train", "--data", FEATURES_FILE, "--out", tmp_path / "m", "--epochs", epochs)
    assert (result.returncode == 2 and "must be at least 1" in result.stderr
            and "Traceback" not in result.stderr)
    assert not (tmp_path / "m").exists()


def test_train_on_too_few_tracks_is_one_clear_error(tmp_path):
    pd.read_csv(FEATURES_FILE, index_col=0).sample(50, random_state=0).to_csv(tmp_path / "s50.csv")
    result = run_cli("train", "--data", tmp_path / "s50.csv", "--out", tmp_path / "m", "--epochs", "1")
    assert result.returncode == 2 and "s50.csv: too few tracks" in result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "m").exists()


def test_train_on_one_genre_is_refused_and_a_model_knows_only_the_genres_it_saw(tmp_path):
    songs = pd.read_csv(FEATURES_FILE, index_col=0)
    songs[songs["genre"] == "Emo"].head(80).to_csv(tmp_path / "emo.csv")
    result = run_cli("train", "--data", tmp_path / "emo.csv", "--out", tmp_path / "m", "--epochs", "1")
    assert result.returncode == 2 and "emo.csv: songs of at least 2 genres are needed" in result.stderr
    assert (result.stderr.count("\n") == 1 and "found only Emo" in result.stderr
            and not (tmp_path / "m").exists())
    songs[songs["genre"] != "Pop"].sample(3000, random_state=0).to_csv(tmp_path / "no_pop.csv")
    result = run_cli("train", "--data", tmp_path / "no_pop.csv", "--out", tmp_path / "m", "--epochs", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["genres"] == 14 and "warning" not in result.stderr
    genres = json.loads((tmp_path / "m" / "model.json").read_text())["genres"]
    assert "Pop" not in genres and sorted(genres) == sorted(g for g in GENRES if g != "Pop")


def test_an_unwritable_output_is_named_as_asked(model_dir, songs_in, tmp_path):
    result = run_cli("predict", "--model", model_dir, songs_in[1], "-o", "/proc/songgenre_out.csv")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "/proc/songgenre_out.csv:" in result.stderr and ".tmp" not in result.stderr
    # a folder in the output path that is a file: one line, no traceback
    (tmp_path / "a_file").write_text("x")
    result = run_cli("predict", "--model", model_dir, songs_in[1], "-o", tmp_path / "a_file" / "out.csv")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "a_file" in result.stderr


def test_csv_gz_output_is_gzip(model_dir, songs_in, tmp_path):
    result = run_cli("predict", "--model", model_dir, songs_in[1], "-o", tmp_path / "out.csv.gz")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out.csv.gz").read_bytes()[:2] == b"\x1f\x8b"
    assert len(pd.read_csv(tmp_path / "out.csv.gz")) == len(songs_in[0])


def test_predict_carries_a_genre_column_it_does_not_need(model, songs_in):
    out = songgenre.predict_genres(songs_in[0].assign(genre="Polka"), model)
    assert (out["genre"] == "Polka").all() and out["predicted_genre"].isin(GENRES).all()


def test_outputs_and_models_follow_the_umask(model, model_dir, songs_in, tmp_path):
    import os
    umask = os.umask(0); os.umask(umask)
    result = run_cli("predict", "--model", model_dir, songs_in[1], "-o", tmp_path / "o.csv")
    assert result.returncode == 0 and (tmp_path / "o.csv").stat().st_mode & 0o777 == 0o666 & ~umask
    saved = save_model(model, tmp_path / "shared_model")
    assert saved.stat().st_mode & 0o777 == 0o777 & ~umask
    assert (saved / WEIGHTS).stat().st_mode & 0o777 == (saved / META).stat().st_mode & 0o777 == 0o666 & ~umask


def test_python_dash_m_runs_the_same_command_line(tmp_path):
    # for a machine where the console script is not on the PATH
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "songgenre.cli", "evaluate", "--model",
                             str(tmp_path / "none"), "--data", "x.csv"],
                            capture_output=True, text=True, timeout=120)
    assert (result.returncode == 2 and result.stderr.count("\n") == 1
            and "model directory not found" in result.stderr)


def test_version_names_the_installed_package_and_model_formats():
    # a user reporting a problem, or holding a model.json with its package_version, needs the running version
    from importlib.metadata import version
    from songgenre.store import FORMAT_VERSION, READABLE_VERSIONS
    result = run_cli("--version")
    assert result.returncode == 0 and result.stderr == ""
    assert (result.stdout.startswith(f"songgenre {version('songgenre')} ")
            and songgenre.__version__ == version("songgenre"))
    assert (f"saves model format {FORMAT_VERSION};" in result.stdout
            and all(str(v) in result.stdout for v in READABLE_VERSIONS))


def test_train_never_replaces_a_folder_of_other_files_a_file_or_the_current_folder(tmp_path):
    # saving a model replaces its folder whole: `--out` naming anything else must be refused before training
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    (tmp_path / "a_file").write_text("keep too")
    for out, needle in [(mine, "mine: exists and holds other files (notes.txt)"),
                        (tmp_path / "a_file", "a_file: is a file"),
                        (".", ".: is the current folder")]:
        result = run_cli("train", "--data", FEATURES_FILE, "--out", out, "--epochs", "1", cwd=tmp_path)
        assert result.returncode == 2 and needle in result.stderr, (out, result.stderr)
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert (mine / "notes.txt").read_text() == "keep" and (tmp_path / "a_file").read_text() == "keep too"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file", "mine"]


def test_train_refuses_a_seed_out_of_range_as_a_seed(tmp_path):
    for seed in ("-1", str(2**32)):
        result = run_cli("train", "--data", FEATURES_FILE, "--out", tmp_path / "m", "--seed", seed)
        assert (result.returncode == 2
                and f"argument --seed: must be 0 to 4294967295, got {seed}" in result.stderr)
    assert not (tmp_path / "m").exists()


def test_a_truncated_gzip_input_is_one_line(model_dir, songs_in, tmp_path):
    whole = tmp_path / "songs.csv.gz"
    songs_in[0].to_csv(whole, index=False)
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    for command in (["predict", "--model", model_dir, cut, "-o", tmp_path / "out.csv"],
                    ["evaluate", "--model", model_dir, "--data", cut]):
        result = run_cli(*command)
        assert (result.returncode == 2
                and f"{cut}: cannot be read as a CSV table" in result.stderr), result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out.csv").exists()


def test_predict_writes_extra_columns_back_as_written(model_dir, songs_in, tmp_path):
    # ids with leading zeros, spreadsheet booleans, a whole-number column with a blank: carried through
    # as text
    extra = {"isrc": ["0001", "0002", "0003"], "plays": ["5", "", "7"], "ok": ["TRUE", "FALSE", "TRUE"]}
    source = tmp_path / "ids.csv"
    songs_in[0].head(3).assign(**extra).to_csv(source, index=False)
    for output in ("out.csv", "out.parquet"):
        result = run_cli("predict", "--model", model_dir, source, "-o", tmp_path / output)
        assert result.returncode == 0, result.stderr
    written = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert {k: written[k].tolist() for k in extra} == extra
    assert pd.read_parquet(tmp_path / "out.parquet")["isrc"].tolist() == extra["isrc"]


def test_predict_warns_on_category_values_training_never_saw(model, model_dir, songs_in, tmp_path):
    # within the contract's 0-7, never trained on
    unseen = max(model.preprocessor.categories["time_signature"]) + 1
    frame = songs_in[0].head(4).copy()
    frame.loc[frame.index[[1, 3]], "time_signature"] = unseen
    frame.to_csv(tmp_path / "odd.csv", index=False)
    result = run_cli("predict", "--model", model_dir, tmp_path / "odd.csv", "-o", tmp_path / "out.csv")
    assert result.returncode == 0 and result.stderr.count("songgenre: warning:") == 1, result.stderr
    assert (f"odd.csv: column 'time_signature' has values this model never saw in training "
            f"in rows 2, 4 (e.g. {unseen};" in result.stderr)
    assert len(pd.read_csv(tmp_path / "out.csv")) == 4


def test_predict_to_a_folder_or_dash(model_dir, songs_in, tmp_path):
    (tmp_path / "adir.csv").mkdir()
    result = run_cli("predict", "--model", model_dir, songs_in[1], "-o", tmp_path / "adir.csv")
    assert (result.returncode == 2 and f"{tmp_path / 'adir.csv'}: is a directory" in result.stderr
            and ".tmp" not in result.stderr)
    result = run_cli("predict", "--model", model_dir, songs_in[1], "-o", "-")  # '-' is stdout, as without -o
    assert result.returncode == 0 and len(pd.read_csv(io.StringIO(result.stdout))) == len(songs_in[0])
    # a bad song in a later batch: standard output cannot be taken back, so the error says what it holds
    late = songs_in[0].astype({"tempo": object})
    late.loc[late.index[6], "tempo"] = "fast"
    late.to_csv(tmp_path / "late.csv", index=False)
    result = run_cli("predict", "--model", model_dir, tmp_path / "late.csv", "--batch-rows", "5")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert ("has text in row 7" in result.stderr
            and result.stderr.endswith("; the first 5 songs' predictions are on standard output already\n"))
    assert len(pd.read_csv(io.StringIO(result.stdout))) == 5


def test_predict_reads_standard_input_and_never_overwrites_its_input(model_dir, songs_in, tmp_path):
    frame, path = songs_in
    from_file = run_cli("predict", "--model", model_dir, path)
    # `... | songgenre predict --model m -`
    piped = run_cli("predict", "--model", model_dir, "-", stdin=path.read_text())
    assert (piped.returncode == 0 and piped.stdout == from_file.stdout
            and len(piped.stdout.splitlines()) == len(frame) + 1)
    bad = run_cli("predict", "--model", model_dir, "-", stdin=frame.assign(tempo="fast").to_csv(index=False))
    assert bad.returncode == 2 and bad.stderr.startswith("songgenre: error: standard input: "
                                                         "column 'tempo' has text in rows 1, 2")
    before = path.read_bytes()
    (tmp_path / "link.csv").symlink_to(path)
    for same in (path, f"{tmp_path}/./{path.name}", tmp_path / "link.csv"):  # the input, under any name
        result = run_cli("predict", "--model", model_dir, path, "-o", same)
        assert result.returncode == 2 and result.stderr == (f"songgenre: error: {same}: is the input file; "
                                                            f"write the predictions to another file\n")
    with open(path) as same:  # `songgenre predict - -o new_songs.csv < new_songs.csv`
        result = subprocess.run([shutil.which("songgenre", path=os.path.dirname(sys.executable)), "predict",
                                 "--model", str(model_dir), "-", "-o", str(path)],
                                stdin=same, capture_output=True, text=True)
    assert result.returncode == 2 and "is the input file" in result.stderr
    assert path.read_bytes() == before
    exe = shutil.which("songgenre", path=os.path.dirname(sys.executable))
    for device, message in (("/dev/null", "is empty"), ("/dev/zero", "is a device, not a file or a pipe")):
        # /dev/null is empty, not missing; /dev/zero never ends
        result = run_cli("predict", "--model", model_dir, device)
        assert result.returncode == 2 and result.stderr == f"songgenre: error: {device}: {message}\n"
        # the same devices as standard input
        with open(device, "rb") as stream:
            result = subprocess.run([exe, "predict", "--model", str(model_dir), "-"], stdin=stream,
                                    capture_output=True, text=True, timeout=120)
        assert result.returncode == 2 and result.stderr == f"songgenre: error: standard input: {message}\n"
    closed = subprocess.run(["bash", "-c", f'"{exe}" predict --model "{model_dir}" - <&-'],
                            capture_output=True, text=True)
    assert closed.returncode == 2 and closed.stderr.startswith("songgenre: error: standard input: is closed")


def test_predict_writes_through_a_link_and_names_the_gzip_member(model_dir, songs_in, tmp_path):
    real = tmp_path / "archive" / "2026-11-25.CSV.GZ"
    real.parent.mkdir()
    real.write_bytes(b"")
    real.chmod(0o400)  # private and read-only: replacing it keeps both
    (tmp_path / "latest").symlink_to(real)  # the target's name says what to write
    result = run_cli("predict", "--model", model_dir, songs_in[1], "-o", tmp_path / "latest")
    assert result.returncode == 0, result.stderr
    assert ((tmp_path / "latest").is_symlink()
            and len(pd.read_csv(real, compression="gzip")) == len(songs_in[0]))
    # `gunzip -N` restores the output's name, .GZ dropped
    assert real.read_bytes()[10:25] == b"2026-11-25.CSV\x00"
    assert real.stat().st_mode & 0o777 == 0o400
    (tmp_path / "loop_a.csv").symlink_to(tmp_path / "loop_b.csv")
    (tmp_path / "loop_b.csv").symlink_to(tmp_path / "loop_a.csv")
    (tmp_path / "gone.csv").symlink_to(tmp_path / "no_such_folder" / "out.csv")
    for link, message in (("loop_a.csv", "is a symbolic link that leads back to itself"),
                          ("gone.csv", f"is a symbolic link to {tmp_path / 'no_such_folder' / 'out.csv'}, "
                                       f"whose folder does not exist")):
        result = run_cli("predict", "--model", model_dir, songs_in[1], "-o", tmp_path / link)
        assert result.returncode == 2 and result.stderr == f"songgenre: error: {tmp_path / link}: {message}\n"
        assert (tmp_path / link).is_symlink()
    assert not (tmp_path / "no_such_folder").exists()


def test_train_names_the_file_it_learns_from(tmp_path):
    result = run_cli("train", "--data", "-", "--out", tmp_path / "m", stdin="")
    assert result.returncode == 2 and result.stderr.startswith("songgenre: error: -: the songs to train on "
                                                               "are read from a named file")
    assert not (tmp_path / "m").exists()


def loaded_libraries(code: str, cwd=None) -> list[str]:
    "The heavy libraries a fresh interpreter has imported after running `code`."
    probe = code + ("\nimport sys; print(sorted({m.split('.')[0] for m in sys.modules} & "
                    "{'torch', 'pandas', 'sklearn', 'matplotlib', 'seaborn'}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return eval(result.stdout.strip().splitlines()[-1])


def test_the_command_line_loads_only_what_a_command_uses(model_dir, songs_in, tmp_path):
    # `songgenre --help` or a mistyped option answers at once (it waited ~2.5 s for torch); a daily
    # `songgenre predict` does not load matplotlib and seaborn, which cost ~0.5 s and warn when the service
    # account has no writable home (only the report needs them)
    assert loaded_libraries("import songgenre, songgenre.cli") == []
    usage = ("import contextlib, songgenre.cli\n"
             "with contextlib.suppress(SystemExit): songgenre.cli.main(['predict', '--help'])")
    assert loaded_libraries(usage) == []
    predict = (f"import songgenre.cli; assert songgenre.cli.main(['predict', '--model', "
               f"{str(model_dir)!r}, {str(songs_in[1])!r}, '-o', 'p.csv']) == 0")
    assert loaded_libraries(predict, cwd=tmp_path) == ["pandas", "sklearn", "torch"]
    assert len(pd.read_csv(tmp_path / "p.csv")) == len(songs_in[0])
    # the package's public names are there all the same, imported on first use
    assert songgenre.__all__ and all(callable(getattr(songgenre, name)) or name in ("FEATURES", "GENRES")
                                     for name in songgenre.__all__)
    assert (loaded_libraries("from songgenre import *; assert predict_genres and len(GENRES) == 15")
            == ["pandas", "sklearn", "torch"])
    assert "torch" in loaded_libraries("import songgenre; assert songgenre.api.UnseenCategoryWarning")
    # main() imports the libraries itself, and leaves the warning filters they set as importing them would
    filters = "import warnings\nprint(len(warnings.filters))"
    with_main = subprocess.run([sys.executable, "-c",
                                "import songgenre.cli; songgenre.cli.main(['evaluate', '--model', "
                                "'none', '--data', 'x.csv'])\n" + filters],
                               capture_output=True, text=True, cwd=tmp_path)
    imported = subprocess.run([sys.executable, "-c", "import songgenre.data, songgenre.api\n" + filters],
                              capture_output=True, text=True, cwd=tmp_path)
    assert (with_main.stdout == imported.stdout
            and int(imported.stdout) > 0), (with_main.stdout, imported.stdout)


def test_ctrl_c_while_the_libraries_load_is_one_line(tmp_path):
    # the ~2 s of imports after the arguments are parsed happen inside main's error handling: an
    # interrupt then is "interrupted" and exit code 130, not a traceback (this stops the import of torch
    # as Ctrl-C would)
    probe = ("import sys\n"
             "class StopAtTorch:\n"
             "    def find_spec(self, name, path=None, target=None):\n"
             "        if name == 'torch': raise KeyboardInterrupt\n"
             "sys.meta_path.insert(0, StopAtTorch())\n"
             "from songgenre.cli import main\n"
             "sys.exit(main(['predict', '--model', 'm', 'songs.csv']))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
                            timeout=120)
    assert result.returncode == 130 and result.stderr == "songgenre: interrupted\n", result.stderr


def test_a_model_read_while_it_is_being_replaced_is_never_half_one_half_the_other(model, tmp_path):
    # a nightly predict meeting a weekly train that saves over the same model: each load is one whole model
    import threading, time
    from songgenre.store import GenreModel
    first = torch.nn.utils.parameters_to_vector(model.network.parameters()).detach().clone()
    other = GenreModel(load_model(save_model(model, tmp_path / "copy")).network, model.preprocessor,
                       model.config, {**model.meta, "marker": "other"}, model.seen_rows)
    with torch.no_grad():
        next(other.network.parameters()).add_(1.0)  # other weights, and model.json says which
    target, stop, errors = tmp_path / "live", threading.Event(), []
    save_model(model, target)

    saves = [0]

    def keep_saving():
        while not stop.is_set():
            for version in (other, model):
                save_model(version, target)
                saves[0] += 1
    saver = threading.Thread(target=keep_saving)
    saver.start()
    # a count of loads and saves, not a time: a slow machine does as many, later (the cap only ends a hang)
    loads, deadline = 0, time.monotonic() + 120
    try:
        while (loads < 30 or saves[0] < 10) and time.monotonic() < deadline:
            try:
                loaded = load_model(target)
            except ModelError as e:  # only a save that outlasts `wait` may show; none should here
                errors.append(str(e))
                continue
            loads += 1
            same_as_first = torch.equal(torch.nn.utils.parameters_to_vector(loaded.network.parameters()),
                                        first)
            assert same_as_first == (loaded.meta.get("marker") != "other")
    finally:
        stop.set(); saver.join()
    assert loads >= 30 and saves[0] >= 10 and not errors, (loads, saves, errors[:3])


def test_saves_to_one_folder_at_once_all_succeed(model, tmp_path):
    # `songgenre train --out models/x` run twice or more, ending at the same moment: each save swaps its model
    # in whole, the last one wins, and no moved-aside copy is left (before, about 1 in 70 of two racing saves
    # failed and left one)
    import threading, time
    target, errors, saves = tmp_path / "shared", [], [0, 0, 0]

    def keep_saving(i):
        end = time.monotonic() + 120  # a count of saves, not a time; the cap only ends a hang
        while saves[i] < 25 and time.monotonic() < end:
            try:
                save_model(model, target); saves[i] += 1
            except Exception as e:  # any failure is the test's
                errors.append(repr(e))
    savers = [threading.Thread(target=keep_saving, args=(i,)) for i in range(3)]
    for saver in savers: saver.start()
    for saver in savers: saver.join()
    assert not errors and min(saves) == 25, (saves, errors[:3])
    assert [p.name for p in tmp_path.iterdir()] == ["shared"]
    assert load_model(target).meta == model.meta


def test_sigterm_ends_a_command_cleanly(model, model_dir, songs_in, tmp_path, monkeypatch, capsys):
    # `timeout`, systemd or a job runner stop a job with SIGTERM: the output and model being written
    # are removed, what was there before stays, and the command says so (exit code 143, as for a process
    # ended by SIGTERM)
    import signal
    import songgenre.api
    import songgenre.store
    from songgenre import cli
    killed = lambda *args, **kwargs: os.kill(os.getpid(), signal.SIGTERM)
    handler_before = signal.getsignal(signal.SIGTERM)
    existing = tmp_path / "out.csv"
    existing.write_text("previous\n")
    # SIGTERM while the predictions are being written (by Arrow, or by pandas for what Arrow leaves)
    import songgenre.tables
    monkeypatch.setattr(songgenre.tables, "_csv_bytes", killed)
    monkeypatch.setattr(pd.DataFrame, "to_csv", killed)
    assert cli.main(["predict", "--model", str(model_dir), str(songs_in[1]), "-o", str(existing)]) == 143
    assert (capsys.readouterr().err.endswith("songgenre: terminated\n")
            and existing.read_text() == "previous\n")
    saved = save_model(model, tmp_path / "m")
    before = (saved / WEIGHTS).read_bytes()
    monkeypatch.setattr(songgenre.store, "save_file", killed)  # SIGTERM while a model is being saved
    monkeypatch.setattr(songgenre.api, "train_genre_model", lambda data, out, **kw: save_model(model, out))
    assert cli.main(["train", "--data", str(FEATURES_FILE), "--out", str(saved)]) == 143
    assert (saved / WEIGHTS).read_bytes() == before
    # no temporary left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m", "new_songs.csv", "out.csv"]
    assert signal.getsignal(signal.SIGTERM) == handler_before  # main() put the caller's handler back
