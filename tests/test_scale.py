"""A catalog at scale: `songgenre predict` batch by batch, and a partitioned catalog scored with Dask."""
import gzip
import numpy as np
import pandas as pd

from conftest import FEATURES_FILE, run_cli
import songgenre
import songgenre.api
from songgenre.model import SCORING_ROWS


def songs_without_genre(rows: int) -> pd.DataFrame:
    "genres_v2 songs (repeated when more are asked for), with an id column to carry through, no genre."
    songs = pd.read_csv(FEATURES_FILE, index_col=0).drop(columns="genre")
    songs = pd.concat([songs] * (rows // len(songs) + 1), ignore_index=True).head(rows)
    return songs.assign(song_id=[f"s{i:07d}" for i in range(rows)])


def test_predict_in_batches_equals_predict_in_memory(model_dir, tmp_path):
    songs = songs_without_genre(2 * SCORING_ROWS + 1000)
    songs.loc[[5, 17_000], "energy"] = np.nan  # gaps in two batches: counted over the whole file, said once
    songs.to_csv(tmp_path / "songs.csv", index=False)
    songs.to_parquet(tmp_path / "songs.parquet", index=False, row_group_size=5000)
    expected = {"csv": songgenre.predict_genres(songgenre.api.read_table(tmp_path / "songs.csv"), model_dir),
                "parquet": songgenre.predict_genres(pd.read_parquet(tmp_path / "songs.parquet"), model_dir)}
    for source, output in (("songs.csv", "out.csv"), ("songs.csv", "out.csv.gz"),
                           ("songs.parquet", "out.parquet")):
        result = run_cli("predict", "--model", model_dir, tmp_path / source, "-o", tmp_path / output,
                         "--batch-rows", str(SCORING_ROWS))
        assert result.returncode == 0, result.stderr
        assert (result.stderr.count("songgenre: warning:") == 1
                and "2 missing feature cells in 2 songs" in result.stderr)
        if output.endswith(".parquet"):  # row for row, every column, bit for bit
            pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / output), expected["parquet"])
        else:
            text = (tmp_path / output).read_bytes()
            text = gzip.decompress(text) if output.endswith(".gz") else text
            assert text.decode() == expected["csv"].to_csv(index=False)


def test_a_column_of_numbers_that_turns_to_text_later_is_written_as_read_whole(model_dir, tmp_path):
    # key as numbers in the first batches and as pitch names in a later one (two catalogs joined): the Parquet
    # output has the column as text, as the in-memory path reads the whole file
    songs = songs_without_genre(2 * SCORING_ROWS + 1000).astype({"key": object})
    pitches = np.array(["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"])
    later = songs.index >= SCORING_ROWS + 5
    songs.loc[later, "key"] = pitches[songs.loc[later, "key"].astype(int)]
    songs.to_csv(tmp_path / "songs.csv", index=False)
    result = run_cli("predict", "--model", model_dir, tmp_path / "songs.csv", "-o", tmp_path / "out.parquet",
                     "--batch-rows", str(SCORING_ROWS))
    assert result.returncode == 0, result.stderr
    expected = songgenre.predict_genres(songgenre.api.read_table(tmp_path / "songs.csv"), model_dir)
    expected.to_parquet(tmp_path / "whole.parquet", index=False)
    written = pd.read_parquet(tmp_path / "out.parquet")
    assert written["key"].iloc[[0, -1]].tolist() == [str(songs["key"].iloc[0]), songs["key"].iloc[-1]]
    pd.testing.assert_frame_equal(written, pd.read_parquet(tmp_path / "whole.parquet"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet", "songs.csv", "whole.parquet"]


def test_a_bad_song_deep_in_the_file_is_named_by_its_row_and_leaves_no_output(model_dir, tmp_path):
    songs = songs_without_genre(30_000).astype({"tempo": object})
    songs.loc[25_000, "tempo"] = "fast"
    songs.to_csv(tmp_path / "songs.csv", index=False)
    (tmp_path / "out.csv").write_text("previous,output\n")
    result = run_cli("predict", "--model", model_dir, tmp_path / "songs.csv", "-o", tmp_path / "out.csv",
                     "--batch-rows", "10000")
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "column 'tempo' has text in row 25001 (e.g. 'fast')" in result.stderr
    assert (tmp_path / "out.csv").read_text() == "previous,output\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "songs.csv"]  # no temporary file left


def test_dask_scores_a_partitioned_catalog_as_one_machine_does(model_dir, tmp_path):
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster
    songs = songs_without_genre(2 * SCORING_ROWS + 1000)
    folder = tmp_path / "catalog"
    folder.mkdir()
    # partitions of whole network chunks score each song exactly as one machine does; one is empty
    bounds = [0, SCORING_ROWS, 2 * SCORING_ROWS, len(songs), len(songs)]
    for i, (start, end) in enumerate(zip(bounds, bounds[1:])):
        songs.iloc[start:end].to_parquet(folder / f"part-{i}.parquet", index=False)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
         Client(cluster) as client:
        catalog = dd.read_parquet(folder, split_row_groups=False)
        tagged = catalog.map_partitions(songgenre.predict_genres, str(model_dir)).compute()
        loads = client.run(lambda: __import__("songgenre.api").api._cached_model.cache_info().misses)
    one_machine = songgenre.predict_genres(pd.read_parquet(folder), model_dir)
    # the same rows and values; Dask keeps text as Arrow strings where pandas has objects
    pd.testing.assert_frame_equal(tagged.reset_index(drop=True), one_machine.reset_index(drop=True),
                                  check_dtype=False)
    assert len(loads) == 2 and all(n <= 1 for n in loads.values()), loads  # the model loaded once per worker
    empty = songgenre.predict_genres(songs.head(0), model_dir)
    assert len(empty) == 0 and list(empty.columns) == list(one_machine.columns)
