"""Loading: the search order, both Kaggle schemas, and one clear error per kind of bad input."""
import numpy as np
import pandas as pd
import pytest

from conftest import FEATURES_FILE, RAW_SAMPLE
from songgenre.clean import clean_songs, genre_share_gap, split_tracks, track_overlap
from songgenre.data import find_songs_file, load_songs
from songgenre.data import GENRES
from songgenre.schema import FEATURES, SongDataError
from songgenre.contract import check_songs


@pytest.fixture
def small_csv(tmp_path):
    "A valid 12-row features-only file and a helper that writes a damaged copy."
    frame = pd.read_csv(FEATURES_FILE, index_col=0, nrows=12)

    def write(damage=None, name="songs.csv"):
        f = frame.copy()
        if damage:
            f = damage(f)
        path = tmp_path / name
        f.to_csv(path)
        return path
    return write


def test_both_schemas_give_the_same_canonical_frame():
    full, raw = load_songs(FEATURES_FILE), load_songs(RAW_SAMPLE)
    assert len(full) == 42305 and len(raw) == 238
    for songs in (full, raw):
        assert list(songs.columns[:14]) == FEATURES + ["genre"]
        assert list(songs["genre"].cat.categories) == GENRES
        assert songs["key"].dtype == "int64" and songs["energy"].dtype == "float64"
        check_songs(songs)
    assert {"track_id", "song_name", "title"} <= set(raw.columns) and "track_id" not in full
    assert np.allclose(raw[FEATURES].to_numpy(float), full[FEATURES].head(238).to_numpy(float))


def test_search_order(tmp_path, monkeypatch, small_csv):
    monkeypatch.delenv("SONGGENRE_DATA", raising=False)
    assert find_songs_file().name in ("genres_v2.csv", "genres_v2_features.csv")
    env_file = small_csv(name="from_env.csv")
    monkeypatch.setenv("SONGGENRE_DATA", str(env_file))
    assert find_songs_file() == env_file
    explicit = small_csv(name="explicit.csv")
    assert find_songs_file(explicit) == explicit  # the argument wins over the variable
    monkeypatch.setenv("SONGGENRE_DATA", str(tmp_path / "gone.csv"))
    with pytest.raises(SongDataError, match=r"gone.csv: file not found \(\$SONGGENRE_DATA\)"):
        find_songs_file()


def test_nothing_found_lists_places_and_how_to_get_it(tmp_path, monkeypatch):
    import songgenre.data as data
    monkeypatch.delenv("SONGGENRE_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path / "project")
    with pytest.raises(SongDataError) as e:
        load_songs()
    message = str(e.value)
    assert "SONGGENRE_DATA (not set)" in message and str(tmp_path / "data" / "genres_v2.csv") in message
    assert "kaggle.com/datasets/mrmorj/dataset-of-songs-in-spotify" in message and "kagglehub" in message


BAD_INPUTS = [
    ("missing file", None, r"nope\.csv: file not found"),
    ("empty file", "", r"file is empty"),
    ("header only", "danceability,energy\n", r"has a header but no rows"),
    ("missing column", lambda f: f.drop(columns="tempo"), r"missing column 'tempo'"),
    ("misnamed column", lambda f: f.rename(columns={"energy": "enegry"}),
     r"missing column 'energy' \(found 'enegry': misnamed\? name it with --column energy=enegry\)"),
    ("text in a numeric column", lambda f: f.astype({"loudness": object}).assign(
        loudness=lambda g: g["loudness"].where(g.index != 4, "loud")),
     r"column 'loudness' has text in row 5 \(e\.g\. 'loud'\)"),
    ("every feature missing",
     lambda f: f.assign(**{c: (lambda g, c=c: g[c].where(g.index != 2)) for c in FEATURES}),
     r"every feature is missing in row 3"),
    ("unknown genre", lambda f: f.assign(genre=lambda g: g["genre"].where(g.index != 0, "Polka")),
     r"column 'genre' has unknown genres in row 1"),
    ("fraction in key", lambda f: f.assign(key=lambda g: g["key"].astype(float).where(g.index != 1, 2.5)),
     r"column 'key' must hold whole numbers; fractions in row 2"),
]


@pytest.mark.parametrize("case,damage,message", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_one_clear_error(case, damage, message, small_csv, tmp_path):
    if damage is None:
        path = tmp_path / "nope.csv"
    elif isinstance(damage, str):
        path = tmp_path / "bad.csv"
        path.write_text(damage)
    else:
        path = small_csv(damage)
    with pytest.raises(SongDataError, match=message) as e:
        load_songs(path)
    assert str(path.name) in str(e.value) and "\n" not in str(e.value)


def test_missing_cells_load_as_missing_values(small_csv):
    songs = load_songs(small_csv(lambda f: f.assign(
        valence=lambda g: g["valence"].where(~g.index.isin([2, 7])))))
    assert songs["valence"].isna().tolist()[:8] == [False, False, True, False, False, False, False, True]
    assert songs.attrs["missing_cells"] == {"valence": 2}


def test_contract_names_column_check_and_rows():
    songs = load_songs(RAW_SAMPLE).head(5)
    songs.loc[3, "danceability"] = 1.5
    with pytest.raises(SongDataError,
                       match=r"column 'danceability' is out of range \(at least 0, at most 1\) in row 4"):
        check_songs(songs, "sample")


def test_split_by_track_for_several_seeds():
    songs, report = clean_songs(load_songs(FEATURES_FILE))
    assert len(songs) == report.to_dict()["rows_out"] < 42305
    for seed in (0, 1, 2):
        splits = split_tracks(songs, seed=seed)
        assert track_overlap(splits) == 0
        assert genre_share_gap(splits, songs) < 1.0
        sizes = splits.sizes()
        assert (abs(sizes["train"] / len(songs) - 0.70) < 0.02
                and abs(sizes["test"] / len(songs) - 0.15) < 0.01)


def test_download_uses_kagglehub_when_nothing_is_found(tmp_path, monkeypatch):
    import sys
    import types
    import songgenre.data as data
    monkeypatch.delenv("SONGGENRE_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path / "project")
    folder = tmp_path / "kaggle_cache" / "versions" / "1"
    folder.mkdir(parents=True)
    (folder / "genres_v2.csv").write_text(RAW_SAMPLE.read_text())
    calls = []
    fake = types.SimpleNamespace(dataset_download=lambda slug: calls.append(slug) or str(folder.parent))
    monkeypatch.setitem(sys.modules, "kagglehub", fake)
    songs = load_songs(download=True)
    assert calls == ["mrmorj/dataset-of-songs-in-spotify"] and len(songs) == 238 and "track_id" in songs
    monkeypatch.setitem(sys.modules, "kagglehub", None)  # not installed
    with pytest.raises(SongDataError, match="download=True needs kagglehub"):
        load_songs(download=True)
