"""A catalog of one's own: its label column and genres, its names for the features, gaps, copies of tracks."""
import json
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest

from conftest import FEATURES_FILE, run_cli
import songgenre
from songgenre.api import train_genre_model, training_splits
from songgenre.data import GENRES
from songgenre.schema import FEATURES, FilledValuesWarning, SongDataError
from songgenre.store import META, WEIGHTS, load_model

PITCHES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def catalog_frame(rows: int = 3000, seed: int = 1) -> pd.DataFrame:
    "genres_v2 songs as another catalog writes them: integer styles, its own names and units, gaps, no ids."
    songs = pd.read_csv(FEATURES_FILE, index_col=0).sample(rows, random_state=seed).reset_index(drop=True)
    style = songs["genre"].map({g: 10 * (i + 1) for i, g in enumerate(GENRES)})
    frame = pd.DataFrame({"Track Name": [f"Song {i}" for i in range(rows)],
                          "Artist Name": [f"artist {i % 400}" for i in range(rows)], "style": style})
    for feature in FEATURES:
        if feature != "time_signature":
            frame[feature.replace("_", " ").title()] = songs[feature]
    frame["Key"] = songs["key"].map(lambda k: PITCHES[k] if k >= 0 else "")
    frame["Mode"] = songs["mode"].map({1: "Major", 0: "Minor"})
    frame = frame.rename(columns={"Duration Ms": "length"}).astype({"length": float})
    frame.loc[::10, "Instrumentalness"] = np.nan
    frame.loc[3::13, "Key"] = ""
    return frame


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    "The catalog as a CSV, and a model trained on it by the command line (two epochs)."
    folder = tmp_path_factory.mktemp("catalog")
    frame = catalog_frame()
    frame.to_csv(folder / "my_catalog.csv", index=False)
    trained = run_cli("train", "--data", folder / "my_catalog.csv", "--genre-column", "style",
                      "--column", "duration_ms=length", "--out", folder / "model", "--epochs", "2")
    return frame, folder, trained


def test_train_takes_the_catalogs_genres_names_and_gaps(catalog):
    frame, folder, trained = catalog
    assert trained.returncode == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["genres"] == frame["style"].nunique() and summary["features"] == 12
    assert summary["features_absent"] == ["time_signature"]
    assert summary["cells_filled"] == {"key": int((frame["Key"] == "").sum()),
                                       "instrumentalness": int(frame["Instrumentalness"].isna().sum())}
    assert 0 <= summary["test_accuracy"] <= summary["test_accuracy_any_genre"] <= 1
    warnings_said = [line for line in trained.stderr.splitlines() if line.startswith("songgenre: warning:")]
    assert len(warnings_said) == 2, trained.stderr
    assert "no values for time_signature" in warnings_said[0] and "cells filled" in warnings_said[1]
    meta = json.loads((folder / "model" / META).read_text())
    # the labels as the catalog gives them (whole numbers stay numbers), in the order they first appear
    assert meta["genres"] == list(dict.fromkeys(frame["style"].tolist()))
    assert meta["features"] == [f for f in FEATURES if f != "time_signature"]
    assert meta["training_data"]["columns"]["duration_ms"] == "length"
    assert meta["training_data"]["genre_column"] == "style"
    model = load_model(folder / "model")
    assert model.preprocessor.indicators == ["instrumentalness"]  # the network sees which cells were filled


def test_predict_and_evaluate_read_the_catalog_as_train_did(catalog):
    frame, folder, _ = catalog
    new = frame.drop(columns="style").head(50)
    new.to_csv(folder / "new.csv", index=False)
    predicted = run_cli("predict", "--model", folder / "model", folder / "new.csv", "--column",
                        "duration_ms=length", "-o", folder / "out.csv")
    assert predicted.returncode == 0, predicted.stderr
    assert (predicted.stderr.count("songgenre: warning:") == 1
            and "features_filled counts them per song" in predicted.stderr)
    out = pd.read_csv(folder / "out.csv")
    assert list(out.columns[:len(new.columns)]) == list(new.columns)
    assert set(out["predicted_genre"]) <= set(frame["style"])
    filled = new["Instrumentalness"].isna().astype(int) + (new["Key"] == "").astype(int)
    assert out["features_filled"].tolist() == filled.tolist()
    # without the mapping, the model reads the column it was trained from; a file without it lacks the
    # model's duration: one line, nothing written
    remembered = run_cli("predict", "--model", folder / "model", folder / "new.csv", "-o", folder / "again.csv")
    assert remembered.returncode == 0 and pd.read_csv(folder / "again.csv").equals(out), remembered.stderr
    new.drop(columns="length").to_csv(folder / "short.csv", index=False)
    missing = run_cli("predict", "--model", folder / "model", folder / "short.csv", "-o", folder / "no.csv")
    assert missing.returncode == 2 and "missing column 'duration_ms'" in missing.stderr
    assert not (folder / "no.csv").exists()
    evaluated = run_cli("evaluate", "--model", folder / "model", "--data", folder / "my_catalog.csv",
                        "--genre-column", "style", "--column", "duration_ms=length")
    assert evaluated.returncode == 0, evaluated.stderr
    metrics = json.loads(evaluated.stdout)
    assert metrics["rows"] == len(frame) and metrics["accuracy"] <= metrics["accuracy_any_genre"]
    assert set(metrics["per_genre"]) == {str(s) for s in frame["style"].unique()}
    assert metrics["features_filled"]["instrumentalness"] == int(frame["Instrumentalness"].isna().sum())


BAD_CATALOGS = [
    ("no such label column", ["--genre-column", "genre"], None,
     "no genre column 'genre'; columns found: 'Track Name'"),
    ("one genre", ["--genre-column", "style"], lambda f: f.assign(style=7),
     "songs of at least 2 genres are needed"),
    ("a mapping to no column", ["--genre-column", "style", "--column", "duration_ms=Length (ms)"], None,
     "no column 'Length (ms)' (mapped to 'duration_ms')"),
    ("a mapping of no feature", ["--genre-column", "style", "--column", "bpm=Tempo"], None,
     "cannot map 'bpm': not a feature"),
    ("two columns for one feature", ["--genre-column", "style"], lambda f: f.assign(ENERGY=0.5),
     "columns 'Energy' and 'ENERGY' both name 'energy'"),
    ("a song with no feature", ["--genre-column", "style"],
     lambda f: f.assign(**{c: f[c].where(f.index != 4) for c in f.columns[3:]}),
     "every feature is missing in row 5"),
    ("text in a feature", ["--genre-column", "style"], lambda f: f.astype({"Tempo": object}).assign(
        Tempo=lambda g: g["Tempo"].where(g.index != 2, "fast")), "column 'tempo' has text in row 3"),
    # the answer among the inputs: a model that reads its label learns nothing
    ("the genre as a feature", ["--genre-column", "Key"], None,
     "column 'Key' cannot be both the genre column and the feature 'key'"),
    ("the genre as the artist", ["--genre-column", "style", "--artist-column", "style"], None,
     "column 'style' cannot be both the artist column and the genre column"),
]


@pytest.mark.parametrize("case,options,damage,message", BAD_CATALOGS, ids=[c[0] for c in BAD_CATALOGS])
def test_a_bad_catalog_is_one_line_and_no_model(case, options, damage, message, tmp_path):
    frame = catalog_frame(200)
    (damage(frame) if damage else frame).to_csv(tmp_path / "bad.csv", index=False)
    result = run_cli("train", "--data", tmp_path / "bad.csv", "--out", tmp_path / "m", "--epochs", "1",
                     *options)
    assert result.returncode == 2, result.stderr
    assert (result.stderr.startswith(f"songgenre: error: {tmp_path / 'bad.csv'}: ")
            and message in result.stderr)
    assert result.stderr.count("\n") == 1 and not (tmp_path / "m").exists()


def test_options_that_would_lose_songs_are_refused(catalog, tmp_path):
    frame, folder, _ = catalog
    model, songs = folder / "model", folder / "my_catalog.csv"
    twice = run_cli("predict", "--model", model, songs, "-o", tmp_path / "p.csv",
                    "--column", "tempo=Tempo", "--column", "Tempo=length")
    assert twice.stderr == "songgenre: error: --column names 'Tempo', 'tempo' more than once\n"
    assert twice.returncode == 2 and not (tmp_path / "p.csv").exists()
    # trained with --column duration_ms=length: its later files are read by that name without saying it again
    plain = run_cli("predict", "--model", model, songs, "-o", tmp_path / "p.csv")
    assert plain.returncode == 0, plain.stderr
    # a Parquet output among the parts of its input would be read back as songs by the next run
    (tmp_path / "parts").mkdir()
    frame.drop(columns="style").head(40).to_parquet(tmp_path / "parts" / "a.parquet")
    for output in (tmp_path / "parts" / "out.parquet", tmp_path / "parts" / "a.parquet"):
        among = run_cli("predict", "--model", model, tmp_path / "parts", "-o", output)
        assert among.returncode == 2 and "is among the Parquet files of" in among.stderr, among.stderr
    assert sorted(p.name for p in (tmp_path / "parts").iterdir()) == ["a.parquet"]


def test_invalid_values_are_refused_or_filled_when_asked(catalog, tmp_path):
    frame, folder, _ = catalog
    odd = frame.drop(columns="style").head(20).astype({"Tempo": object})
    odd.loc[3, "Tempo"], odd.loc[5, "Energy"] = "n/a", 7.0
    odd.to_csv(tmp_path / "odd.csv", index=False)
    options = ["predict", "--model", folder / "model", tmp_path / "odd.csv", "--column", "duration_ms=length",
               "-o", tmp_path / "out.csv"]
    refused = run_cli(*options)
    assert (refused.returncode == 2 and "has text in row 4" in refused.stderr
            and not (tmp_path / "out.csv").exists())
    odd.loc[3, "Tempo"] = 120.0  # only the impossible energy now
    odd.to_csv(tmp_path / "odd.csv", index=False)
    out_of_range = run_cli(*options)
    assert out_of_range.returncode == 2 and out_of_range.stderr.count("\n") == 1
    assert ("column 'energy' is out of range (at least 0, at most 1) in row 6; fix those rows, or fill such "
            "values as missing with --invalid-as-missing") in out_of_range.stderr
    # a number no integer holds, in a code column: the same one line, and filled when asked
    huge = odd.assign(Energy=0.5, length=odd["length"].astype("float64"))
    huge.loc[7, "length"] = 1e19
    huge.to_csv(tmp_path / "huge.csv", index=False)
    too_long = run_cli(*[tmp_path / "huge.csv" if o == tmp_path / "odd.csv" else o for o in options])
    assert too_long.returncode == 2 and too_long.stderr.count("\n") == 1, too_long.stderr
    assert "column 'duration_ms' is out of range (at least 1, at most 14,400,000) in row 8" in too_long.stderr
    huge_filled = run_cli(*[tmp_path / "huge.csv" if o == tmp_path / "odd.csv" else o for o in options],
                          "--invalid-as-missing")
    assert huge_filled.returncode == 0 and "1 of them invalid values (duration_ms 1)" in huge_filled.stderr
    odd.loc[3, "Tempo"] = "n/a"
    odd.to_csv(tmp_path / "odd.csv", index=False)
    filled = run_cli(*options, "--invalid-as-missing")
    assert filled.returncode == 0, filled.stderr
    assert "2 of them invalid values (energy 1, tempo 1)" in filled.stderr
    out = pd.read_csv(tmp_path / "out.csv")
    gaps = odd["Instrumentalness"].isna().astype(int) + (odd["Key"] == "").astype(int)
    assert out["features_filled"].tolist() == (gaps + odd.index.isin([3, 5])).tolist()


def test_public_layouts_load_without_options(tmp_path):
    # the "Spotify Tracks Dataset" layout: track_genre, pitch names, Major/Minor, "4/4", float durations
    songs = pd.read_csv(FEATURES_FILE, index_col=0).sample(1500, random_state=2).reset_index(drop=True)
    layout = songs.drop(columns="genre").assign(
        track_genre=songs["genre"], key=songs["key"].map(lambda k: PITCHES[k] if k >= 0 else ""),
        mode=songs["mode"].map({1: "Major", 0: "Minor"}),
        time_signature=songs["time_signature"].map("{}/4".format),
        duration_ms=songs["duration_ms"] / 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilledValuesWarning)
        model = train_genre_model(layout, tmp_path / "m", epochs=1, progress=False)
    assert model.features == FEATURES and set(model.genres) == set(songs["genre"])
    assert model.meta["training_data"]["genre_column"] == "track_genre"


def test_copies_of_a_track_stay_on_one_side_without_ids():
    frame = catalog_frame(2000)
    # the same track filed again under another style, its name and artist written otherwise
    copies = frame.head(300).assign(style=lambda f: f["style"].map(lambda s: 10 if s != 10 else 20),
                                    **{"Track Name": lambda f: f["Track Name"].str.upper() + "  ",
                                       "Artist Name": lambda f: "  " + f["Artist Name"]})
    both = pd.concat([frame, copies], ignore_index=True)
    splits = training_splits(both, seed=0, genre_column="style", columns={"duration_ms": "length"})
    sides = [set(zip(part["artist"].str.strip().str.lower(), part["song_name"].str.strip().str.lower()))
             for part in (splits.train, splits.valid, splits.test)]
    assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])
    assert sum(splits.sizes().values()) == len(both)


def test_a_genre_too_small_to_split_is_kept_in_train(tmp_path):
    frame = catalog_frame(1500)
    frame.loc[:2, "style"] = 999  # three songs of a style of their own
    model = train_genre_model(frame, tmp_path / "m", epochs=1, progress=False, genre_column="style",
                              columns={"duration_ms": "length"})
    assert 999 in model.genres and model.meta["training_data"]["genres_in_train_only"] == {"999": 3}
    assert model.meta["training_data"]["split_sizes"]["train"] >= 3


def test_a_model_saved_before_catalogs_loads_and_fills_gaps(model_dir, tmp_path):
    # format 3: genres_v2's 15 genres and 13 features, no filling recorded (the middle quantile fills)
    from songgenre.tables import sha256_file
    old = tmp_path / "format3"
    shutil.copytree(model_dir, old)
    meta = json.loads((old / META).read_text())
    meta.pop("checksum")
    for key in ("fill", "indicators"):
        meta["preprocessor"].pop(key)
    (old / META).write_text(json.dumps({**meta, "format_version": 3,
                                        "weights_sha256": sha256_file(old / WEIGHTS)}))
    loaded = load_model(old)
    assert loaded.genres == GENRES and loaded.features == FEATURES
    songs = pd.read_csv(FEATURES_FILE, index_col=0).head(30).drop(columns="genre")
    same = songgenre.predict_genres(songs, loaded)["predicted_genre"]
    assert (same == songgenre.predict_genres(songs, model_dir)["predicted_genre"]).all()
    with pytest.warns(FilledValuesWarning, match="1 missing feature cell in 1 song"):
        gap = songgenre.predict_genres(songs.assign(tempo=songs["tempo"].where(songs.index != 0)), loaded)
    assert gap["features_filled"].tolist() == [1] + [0] * 29


def test_python_errors_name_the_frame_as_input():
    with pytest.raises(SongDataError, match="input: no genre column 'style'"):
        train_genre_model(catalog_frame(50).drop(columns="style"), "/nonexistent/never", genre_column="style")


def test_two_hundred_genres(tmp_path):
    frame = catalog_frame(4000).assign(style=lambda f: [f"style {i % 200:03d}" for i in range(len(f))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = train_genre_model(frame, tmp_path / "m", epochs=1, progress=False, genre_column="style",
                                  columns={"duration_ms": "length"})
    assert len(model.genres) == 200 and model.genres[:2] == ["style 000", "style 001"]
    assert load_model(tmp_path / "m").network.n_classes == 200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tagged = songgenre.predict_genres(frame.head(5), model, columns={"duration_ms": "length"})
    assert tagged["predicted_genre"].isin(model.genres).all()

def test_a_spreadsheets_windows_1252_file_is_read_and_said_once(model_dir, tmp_path):
    # a CSV saved by a spreadsheet on a Western Windows machine: not UTF-8, read as Windows-1252 with a warning
    songs = pd.read_csv(FEATURES_FILE, index_col=0).head(40).assign(song_name=["Café del Mar", "Niño"] * 20)
    songs.to_csv(tmp_path / "western.csv", index=False, encoding="cp1252")
    said = "western.csv: row 1 is not UTF-8 text (byte 0xe9); read as Windows-1252, where that byte is 'é'"
    predicted = run_cli("predict", "--model", model_dir, tmp_path / "western.csv", "-o", tmp_path / "out.csv",
                        "--batch-rows", "16")
    assert predicted.returncode == 0 and predicted.stderr.count(said) == 1, predicted.stderr
    assert pd.read_csv(tmp_path / "out.csv")["song_name"].tolist()[:2] == ["Café del Mar", "Niño"]
    evaluated = run_cli("evaluate", "--model", model_dir, "--data", tmp_path / "western.csv")
    assert evaluated.returncode == 0 and evaluated.stderr.count(said) == 1, evaluated.stderr
    # not UTF-8 only past the first batch: refused naming the row, and nothing written
    late = pd.concat([songs.assign(song_name="plain")] * 2, ignore_index=True)
    late.loc[70, "song_name"] = "Café"
    late.to_csv(tmp_path / "late.csv", index=False, encoding="cp1252")
    refused = run_cli("predict", "--model", model_dir, tmp_path / "late.csv", "-o", tmp_path / "late_out.csv",
                      "--batch-rows", "16")
    assert refused.returncode == 2 and "late.csv: row 71 is not UTF-8 text (byte 0xe9)" in refused.stderr
    assert not (tmp_path / "late_out.csv").exists()
    # named, the encoding is taken as it is, without a warning; one Python does not know is refused in one line
    named = run_cli("predict", "--model", model_dir, tmp_path / "late.csv", "-o", tmp_path / "late_out.csv",
                    "--batch-rows", "16", "--encoding", "cp1252")
    assert named.returncode == 0 and "warning" not in named.stderr, named.stderr
    assert pd.read_csv(tmp_path / "late_out.csv")["song_name"][70] == "Café"
    unknown = run_cli("evaluate", "--model", model_dir, "--data", tmp_path / "late.csv", "--encoding", "klingon")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert "unknown encoding 'klingon'" in unknown.stderr


def test_a_feature_in_another_unit_is_said_once(model_dir, tmp_path):
    # durations in seconds where the model learnt milliseconds: every song beyond what training saw, in three
    # batches; scored all the same, and said in one warning naming the column, the rows and the share
    songs = pd.read_csv(FEATURES_FILE, index_col=0).head(40)
    songs.assign(duration_ms=songs["duration_ms"] / 1000).to_csv(tmp_path / "seconds.csv", index=False)
    predicted = run_cli("predict", "--model", model_dir, tmp_path / "seconds.csv", "-o", tmp_path / "out.csv",
                        "--batch-rows", "16")
    said = [line for line in predicted.stderr.splitlines() if "'duration_ms'" in line]
    assert predicted.returncode == 0 and len(said) == 1, predicted.stderr
    assert said[0].startswith("songgenre: warning: ") and "seconds.csv: column 'duration_ms' lies beyond" in said[0]
    assert "rows 1, 2, 3, 4, 5 and 35 more, 100% of the songs" in said[0]
    assert len(pd.read_csv(tmp_path / "out.csv")) == 40
    evaluated = run_cli("evaluate", "--model", model_dir, "--data", tmp_path / "seconds.csv")
    assert evaluated.returncode == 0 and evaluated.stderr.count("'duration_ms' lies beyond") == 1, evaluated.stderr
    # in milliseconds, as trained: not said
    songs.to_csv(tmp_path / "milliseconds.csv", index=False)
    fine = run_cli("predict", "--model", model_dir, tmp_path / "milliseconds.csv", "-o", tmp_path / "fine.csv")
    assert fine.returncode == 0 and "lies beyond" not in fine.stderr, fine.stderr


def test_a_folder_or_glob_of_parquet_is_one_table_for_every_command(catalog, tmp_path):
    frame, folder, _ = catalog
    model = folder / "model"
    (tmp_path / "parts").mkdir()
    frame.head(150).to_parquet(tmp_path / "parts" / "a.parquet")
    frame.iloc[150:300].to_parquet(tmp_path / "parts" / "b.parquet")
    frame.head(300).to_parquet(tmp_path / "whole.parquet")
    frame.head(5).to_csv(tmp_path / "parts" / "notes.csv", index=False)  # left out, and said
    (tmp_path / "parts" / "_SUCCESS").touch()  # Spark's marker: left out quietly
    labels = ["--genre-column", "style"]
    whole = run_cli("evaluate", "--model", model, "--data", tmp_path / "whole.parquet", *labels)
    assert whole.returncode == 0, whole.stderr
    for data in (tmp_path / "parts", tmp_path / "parts" / "*.parquet"):
        parts = run_cli("evaluate", "--model", model, "--data", data, *labels)
        assert parts.returncode == 0 and json.loads(parts.stdout) == json.loads(whole.stdout), parts.stderr
        said = [line for line in parts.stderr.splitlines() if "left out" in line]
        assert said == ([f"songgenre: warning: {data}: 1 file not named .parquet or .pq left out (e.g. "
                         "notes.csv); a folder is read as its Parquet files, a CSV by itself"] if data.is_dir() else [])
    for data, message in ((tmp_path / "parts" / "*.csv", "notes.csv, which is not a Parquet file"),
                          (tmp_path / "none" / "*.parquet", "no file matches")):
        refused = run_cli("predict", "--model", model, data, "-o", tmp_path / "p.csv")
        assert refused.returncode == 2 and message in refused.stderr and refused.stderr.count("\n") == 1
    assert not (tmp_path / "p.csv").exists()
