"""The data-only archive under saved models (and checkpoints): round trips, versions, refusals."""

import json
import zipfile

import numpy as np
import pytest

from swarmreg import _archive
from swarmreg._archive import ArchiveFormat, read_archive, write_archive


class RunFileError(ValueError):
    pass


RUN = ArchiveFormat(name="swarmreg-run", version=2, member="run.json", noun="run", error=RunFileError)
RUN_V1 = ArchiveFormat(name="swarmreg-run", version=1, member="run.json", noun="run", error=RunFileError)
OTHER = ArchiveFormat(name="swarmreg-other", version=2, member="run.json", noun="other",
                      error=RunFileError)

META = {"settings": {"swarm_size": 6, "bounds": [-10.0, 10.0]}, "iteration": 17,
        "best": float("inf"), "note": "λ"}


def arrays():
    return {"positions": np.arange(12.0).reshape(3, 4), "state": np.array([2**64 - 1, 5], np.uint64),
            "counters": np.array([3, 4], np.int64), "alive": np.array([True, False]),
            "labels": np.array(["setosa", "virginica"])}


def test_meta_and_arrays_round_trip_exactly_with_their_dtypes(tmp_path):
    path = write_archive(tmp_path / "sub" / "run.zip", RUN, META, arrays())
    meta, back = read_archive(path, RUN)
    assert {k: meta[k] for k in META} == META
    assert meta["format"] == "swarmreg-run" and meta["format_version"] == 2
    assert list(back) == list(arrays())
    for name, array in arrays().items():
        assert back[name].dtype == array.dtype and np.array_equal(back[name], array), name


def test_the_metadata_member_holds_the_archives_fields_around_the_callers_in_order(tmp_path):
    path = write_archive(tmp_path / "run.zip", RUN, META, arrays())
    with zipfile.ZipFile(path) as archive:
        assert archive.namelist() == ["run.json", *(f"{name}.npy" for name in arrays())]
        meta = json.loads(archive.read("run.json"))
    assert list(meta) == ["format", "format_version", "swarmreg_version", *META, "arrays", "digest"]
    assert meta["digest"] == _archive.metadata_digest(meta)


def test_fields_the_archive_owns_and_unnameable_arrays_are_refused(tmp_path):
    for key in _archive.RESERVED_KEYS:
        with pytest.raises(ValueError, match="writes"):
            write_archive(tmp_path / "a", RUN, {key: 1}, {})
    for name in ("", "a/b", 3):
        with pytest.raises(ValueError, match="cannot name"):
            write_archive(tmp_path / "a", RUN, {}, {name: np.zeros(1)})
    with pytest.raises(ValueError, match="allow_pickle"):
        write_archive(tmp_path / "a", RUN, {}, {"objects": np.array([{}], dtype=object)})
    assert not (tmp_path / "a").exists()


def test_an_older_version_is_read_and_a_newer_one_refused(tmp_path):
    old = write_archive(tmp_path / "old.zip", RUN_V1, META, arrays())
    meta, _ = read_archive(old, RUN)
    assert meta["format_version"] == 1
    new = write_archive(tmp_path / "new.zip", RUN, META, arrays())
    with pytest.raises(RunFileError, match=r"new\.zip: written in run format 2 by swarmreg .*"
                                           r"reads format 1 and older"):
        read_archive(new, RUN_V1)


def test_another_format_is_refused_with_the_callers_error_naming_the_file(tmp_path):
    path = write_archive(tmp_path / "other.zip", OTHER, META, arrays())
    with pytest.raises(RunFileError, match=f"{path}: not a swarmreg run file$"):
        read_archive(path, RUN)


def rewrite(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    change(members)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_every_member_is_checked_before_anything_is_returned(tmp_path):
    path = write_archive(tmp_path / "run.zip", RUN, META, arrays())
    rewrite(path, lambda m: m.update({"counters.npy": m["counters.npy"][:-8] + bytes(8)}))
    with pytest.raises(RunFileError, match=r"edited or damaged \(counters\.npy digest mismatch\)"):
        read_archive(path, RUN)

    def edit(members):
        meta = json.loads(members["run.json"])
        meta["iteration"] = 18
        members["run.json"] = json.dumps(meta).encode()

    path = write_archive(tmp_path / "run.zip", RUN, META, arrays())
    rewrite(path, edit)
    with pytest.raises(RunFileError, match="metadata digest mismatch"):
        read_archive(path, RUN)


def test_a_forged_digest_table_is_refused_not_a_crash(tmp_path):
    def forge(members):
        meta = json.loads(members["run.json"])
        meta["arrays"] = "everything"
        meta["digest"] = _archive.metadata_digest(meta)
        members["run.json"] = json.dumps(meta).encode()

    path = write_archive(tmp_path / "run.zip", RUN, META, arrays())
    rewrite(path, forge)
    with pytest.raises(RunFileError, match="cannot rebuild a run from this file"):
        read_archive(path, RUN)
