"""Artist evidence: the genres of an artist's other songs as an input, honest in training, kept with the
model, growing without retraining, and bad input refused in one line."""
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import FEATURES_FILE, run_cli
from songgenre.api import predict_file, predict_genres, train_genre_model, training_splits, update_artists
from songgenre.artists import STRENGTHS, ArtistTable, artist_counts, out_of_fold_evidence
from songgenre.model import SCORING_ROWS
from songgenre.schema import ModelError
from songgenre.store import load_model, row_fingerprints


def catalog_with_artists(rows: int = 3000, seed: int = 3) -> pd.DataFrame:
    "genres_v2 songs credited to artists who each keep to one genre (as most do), some with a guest."
    songs = pd.read_csv(FEATURES_FILE, index_col=0).sample(rows, random_state=seed).reset_index(drop=True)
    number = np.random.default_rng(seed).integers(0, 25, rows)
    songs["artists"] = songs["genre"].str.replace(" ", "") + "-" + number.astype(str)
    songs.loc[::10, "artists"] += "; a guest"  # a credit of several artists
    return songs.drop(columns=["id", "uri", "track_href", "analysis_url", "type"], errors="ignore")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("artists")
    catalog = catalog_with_artists()
    catalog.to_csv(folder / "catalog.csv", index=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        informed = train_genre_model(catalog, folder / "informed", epochs=10, progress=False)
        audio = train_genre_model(catalog, folder / "audio", epochs=10, progress=False, artist_evidence=False)
    return folder, catalog, informed, audio


def test_evidence_is_learned_and_kept_with_the_model(models):
    folder, catalog, informed, audio = models
    evidence = informed.meta["artist_evidence"]
    assert evidence["strength"] in STRENGTHS and len(evidence["strength_trials"]) == len(STRENGTHS)
    assert evidence["known_artist_share"]["test"] > 0.9  # 25 artists a genre: nearly every one is known
    # artists who keep to one genre tell it: far above the audio alone on the same split
    assert informed.meta["metrics"]["test"]["accuracy"] > audio.meta["metrics"]["test"]["accuracy"] + 0.1
    assert ((folder / "informed" / "artists.parquet").is_file()
            and not (folder / "audio" / "artists.parquet").exists())
    reloaded = load_model(folder / "informed")
    pd.testing.assert_frame_equal(reloaded.artists.counts, informed.artists.counts, check_names=False)
    test = training_splits(catalog, 0).test
    a = predict_genres(test.drop(columns="genre"), informed)
    b = predict_genres(test.drop(columns="genre"), reloaded)
    assert a["predicted_genre"].tolist() == b["predicted_genre"].tolist() and a["artist_known"].mean() > 0.9


def test_a_training_song_never_sees_its_own_genre():
    # every artist has one song: out of fold, no song has any evidence but the prior
    credits = pd.Series([f"artist {i}" for i in range(50)])
    codes = np.arange(50) % 3
    prior = np.array([0.5, 0.3, 0.2])
    oof = out_of_fold_evidence(credits, codes, np.arange(50), prior, strength=1.0)
    np.testing.assert_allclose(oof, np.tile([*prior, 0.0], (50, 1)), rtol=1e-6)
    # two copies of a track are one group: a copy never tells the other its genre
    oof = out_of_fold_evidence(pd.Series(["x", "x"]), np.array([1, 1]), np.array([7, 7]), prior, strength=1.0)
    np.testing.assert_allclose(oof[:, -1], 0.0)


def test_unknown_artists_are_scored_by_audio_alone_and_no_column_is_said_once(models):
    folder, catalog, informed, audio = models
    # the audio network is the very network a model trained without artists has (same songs, same seed)
    for name, weight in audio.network.state_dict().items():
        torch.testing.assert_close(informed.audio_network.state_dict()[name], weight, rtol=0, atol=0)
    songs = catalog.drop(columns="genre").head(4).assign(
        artists=["nobody new", None, catalog["artists"][0], ""])
    out = predict_genres(songs, folder / "informed")  # as saved and loaded
    assert out["artist_known"].tolist() == [False, False, True, False]
    alone = predict_genres(songs, audio)
    unknown = ~out["artist_known"]
    pd.testing.assert_frame_equal(out.loc[unknown, alone.columns], alone[unknown])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        blind = predict_genres(songs.drop(columns="artists"), informed)
    assert not blind["artist_known"].any()
    said = [str(w.message) for w in caught if "no artist column" in str(w.message)]
    assert len(said) == 1 and "4 songs" in said[0]
    # an empty partition (Dask's meta) has the column too
    assert "artist_known" in predict_genres(songs.iloc[:0], informed).columns


def test_a_file_of_known_and_unknown_artists_is_scored_in_batches_as_in_one_frame(models, tmp_path):
    folder, catalog, _, _ = models
    # every batch mixes the two networks' songs, each network scoring its own rows: a song's genres must not
    # depend on the batch it came in nor on its neighbours
    rows = 2 * SCORING_ROWS + 700
    copies = rows // len(catalog) + 1
    songs = pd.concat([catalog.drop(columns="genre")] * copies, ignore_index=True).head(rows)
    songs.loc[songs.index % 3 == 0, "artists"] = "someone new"
    songs.to_parquet(tmp_path / "songs.parquet", index=False, row_group_size=5000)
    expected = predict_genres(pd.read_parquet(tmp_path / "songs.parquet"), folder / "informed")
    assert 0.6 < expected["artist_known"].mean() < 0.7
    written = predict_file(tmp_path / "songs.parquet", tmp_path / "out.parquet", folder / "informed",
                           batch_rows=SCORING_ROWS, progress=False)
    assert written == rows
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out.parquet"), expected)  # bit for bit


def test_split_by_artist_keeps_every_artist_on_one_side(models):
    _, catalog, _, _ = models
    splits = training_splits(catalog, 0, split_by="artist")
    names = {part: set(getattr(splits, part)["artist"].str.split("; ").explode()) - {"a guest"}
             for part in ("train", "valid", "test")}
    assert not names["train"] & names["test"] and not names["train"] & names["valid"]


def test_update_artists_grows_the_table_without_retraining(models, tmp_path):
    folder, catalog, informed, _ = models
    shutil.copytree(folder / "informed", tmp_path / "model")
    tagged = catalog.head(30).assign(artists="a brand new band")
    tagged["tempo"] += 0.5  # songs tagged since training, not the training songs the model has counted
    tagged.to_csv(tmp_path / "tagged.csv", index=False)
    done = run_cli("update-artists", "--model", tmp_path / "model", "--data", tmp_path / "tagged.csv")
    assert done.returncode == 0, done.stderr
    grown = load_model(tmp_path / "model")
    assert grown.artists.counts.loc["a brand new band"].sum() == 30
    assert grown.meta["artist_evidence"]["updates"][-1]["songs"] == 30
    for name, weights in grown.network.state_dict().items():  # the network is untouched
        assert np.array_equal(weights.numpy(), informed.network.state_dict()[name].numpy()), name
    out = predict_genres(tagged.drop(columns="genre"), grown)
    assert out["artist_known"].all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model", "tagged.csv"]  # nothing left beside it
    # a folder of Parquet parts, which hold the same ten songs twice: each counted once
    more = catalog.iloc[30:40].assign(artists="a band in parts")
    more["tempo"] += 0.5
    (tmp_path / "parts").mkdir()
    for part in ("a", "b"):
        more.to_parquet(tmp_path / "parts" / f"{part}.parquet")
    parts = run_cli("update-artists", "--model", tmp_path / "model", "--data", tmp_path / "parts")
    assert parts.returncode == 0 and "10 exact repeats of a song" in parts.stderr, parts.stderr
    assert load_model(tmp_path / "model").artists.counts.loc["a band in parts"].sum() == 10


def test_bad_artist_input_is_one_line_and_exit_2(models, tmp_path):
    folder, _, _, _ = models
    wrong = run_cli("train", "--data", folder / "catalog.csv", "--out", tmp_path / "m", "--epochs", "1",
                    "--artist-column", "band")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1
    assert "catalog.csv: no column 'band'" in wrong.stderr and not (tmp_path / "m").exists()
    blind = run_cli("update-artists", "--model", folder / "audio", "--data", folder / "catalog.csv")
    assert blind.returncode == 2 and "trained without artist evidence" in blind.stderr
    shutil.copytree(folder / "informed", tmp_path / "swapped")
    shutil.copy(folder / "informed" / "artists.parquet", tmp_path / "keep.parquet")
    table = pd.read_parquet(tmp_path / "swapped" / "artists.parquet")
    table.iloc[0, 1] += 1
    table.to_parquet(tmp_path / "swapped" / "artists.parquet")
    swapped = run_cli("predict", "--model", tmp_path / "swapped", folder / "catalog.csv",
                      "-o", tmp_path / "p.csv")
    assert swapped.returncode == 2 and "artists.parquet: does not match its model" in swapped.stderr
    assert not (tmp_path / "p.csv").exists()
    with pytest.raises(ModelError, match="does not match its model"):
        update_artists(folder / "catalog.csv", tmp_path / "swapped")


def test_a_table_adds_songs_to_a_copy():
    table = ArtistTable(artist_counts(pd.Series(["a", "b"]), np.array([0, 1]), 2), np.array([0.5, 0.5]), 1.0)
    grown = table.add(pd.Series(["a", "c"]), np.array([1, 1]))
    assert grown.counts.loc["a"].tolist() == [1, 1] and grown.counts.loc["c"].tolist() == [0, 1]
    assert "c" not in table.counts.index


def test_a_log_names_the_network_each_epoch_line_is_of(models, tmp_path, capsys):
    _, catalog, _, _ = models
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        train_genre_model(catalog, tmp_path / "m", epochs=2, progress="lines")
    lines = [line.split(":")[:2] for line in capsys.readouterr().err.splitlines() if "epoch " in line]
    assert [" ".join(part.strip() for part in line) for line in lines] == [
        "audio network epoch 1/2", "audio network epoch 2/2",
        "network of evidence epoch 1/2", "network of evidence epoch 2/2"]


def test_the_same_songs_are_not_counted_twice(models, tmp_path):
    folder, catalog, informed, _ = models
    shutil.copytree(folder / "informed", tmp_path / "model")
    tagged = catalog.head(30).assign(artists="a brand new band")
    tagged.loc[tagged.index[:4], "artists"] = ""  # four songs without an artist: left out, and said
    tagged.to_csv(tmp_path / "tagged.csv", index=False)
    first = run_cli("update-artists", "--model", tmp_path / "model", "--data", tmp_path / "tagged.csv")
    assert first.returncode == 0 and "4 of 30 songs left out, without an artist or a genre" in first.stderr
    # the catalog's first songs are mostly training songs of the model: left out, and said
    seen = np.isin(row_fingerprints(tagged.iloc[4:], informed.features), informed.seen_rows).sum()
    assert 0 < seen < 26 and f"{seen} of 26 songs left out: the model was trained or tuned" in first.stderr
    before = (tmp_path / "model" / "model.json").read_bytes()
    again = run_cli("update-artists", "--model", tmp_path / "model", "--data", tmp_path / "tagged.csv")
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "already counted" in again.stderr
    # the same songs in another file (some of them): none is counted again, and the model is kept
    tagged.iloc[::2].to_csv(tmp_path / "some_again.csv", index=False)
    some = run_cli("update-artists", "--model", tmp_path / "model", "--data", tmp_path / "some_again.csv")
    assert some.returncode == 2 and "counted before; nothing to add" in some.stderr, some.stderr
    tagged.assign(artists="").to_csv(tmp_path / "nobody.csv", index=False)
    nobody = run_cli("update-artists", "--model", tmp_path / "model", "--data", tmp_path / "nobody.csv")
    assert nobody.returncode == 2 and "no song has both an artist and a genre" in nobody.stderr
    # a file of the user's in the model folder: said before anything is read, and kept
    (tmp_path / "model" / "NOTES.txt").write_text("mine")
    kept = run_cli("update-artists", "--model", tmp_path / "model", "--data", tmp_path / "nobody.csv")
    assert kept.returncode == 2 and "holds other files beside the model (NOTES.txt)" in kept.stderr
    assert (tmp_path / "model" / "NOTES.txt").read_text() == "mine"
    (tmp_path / "model" / "NOTES.txt").unlink()
    assert (tmp_path / "model" / "model.json").read_bytes() == before  # no refusal rewrote the model
    assert load_model(tmp_path / "model").artists.counts.loc["a brand new band"].sum() == 26 - seen
    # a model's own predictions are counted when asked, with a warning: they are guesses, not tags
    new_songs = tagged.assign(tempo=tagged["tempo"] + 0.5)  # songs counted by no one yet
    new_songs.rename(columns={"genre": "predicted_genre"}).assign(artists="a guessed band").to_csv(
        tmp_path / "predicted.csv", index=False)
    guessed = run_cli("update-artists", "--model", tmp_path / "model", "--data", tmp_path / "predicted.csv",
                      "--genre-column", "predicted_genre")
    assert guessed.returncode == 0 and "holds a model's predictions" in guessed.stderr, guessed.stderr


def test_a_model_reads_its_catalogs_artist_column_and_says_when_evidence_cannot_be_tuned(tmp_path):
    catalog = catalog_with_artists(1500).rename(columns={"artists": "performer"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = train_genre_model(catalog, tmp_path / "m", epochs=1, progress=False, artist_column="performer")
        by_artist = train_genre_model(catalog, tmp_path / "a", epochs=1, progress=False,
                                      artist_column="performer", split_by="artist")
    assert model.meta["artist_evidence"]["column"] == "performer"
    # predicted without naming the column: the model's own is read
    assert predict_genres(catalog.head(50).drop(columns="genre"), model)["artist_known"].all()
    assert by_artist.artists is not None  # kept for the artists added later
    assert any("split by artist" in str(w.message) and "strength is not tuned" in str(w.message) for w in caught)
