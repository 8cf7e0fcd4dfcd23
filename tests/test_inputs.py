"""What `poseau predict` is given: files, folders (recursively), list files; keys that mirror the tree, clashes
named, and shards chosen by key so that together they are the whole, each input once."""

import pytest

from poseau.errors import PoseauError
from poseau.infer.inputs import gather_inputs, in_shard
from poseau.options import BatchOptions, parse_shard


def touch(path, data=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "corpus"
    for name in ("a/clip.mp4", "b/clip.mp4", "b/deep/talk.MOV", "top.avi", "photo.jpg", "seq/0001.png",
                 "seq/0002.png", "b/notes.txt", ".hidden/x.mp4"):
        touch(root / name)
    return root


def test_a_folder_recursively_mirrors_its_tree_and_same_names_never_collide(tree, tmp_path):
    inputs = gather_inputs([tree], recursive=True)
    keys = sorted(i.key for i in inputs)
    assert keys == ["a/clip.mp4", "b/clip.mp4", "b/deep/talk.MOV", "photo.jpg", "seq", "top.avi"]
    outputs = {i.key: i.output(tmp_path / "out").relative_to(tmp_path / "out").as_posix() for i in inputs}
    assert outputs["a/clip.mp4"] == "a/clip.csv" and outputs["b/clip.mp4"] == "b/clip.csv"
    assert outputs["seq"] == "seq.csv" and outputs["b/deep/talk.MOV"] == "b/deep/talk.csv"
    kinds = {i.key: i.kind for i in inputs}
    assert kinds["seq"] == "sequence" and kinds["photo.jpg"] == "image" and kinds["top.avi"] == "video"


def test_without_recursive_a_folder_is_its_own_files_or_one_image_sequence(tree):
    assert sorted(i.key for i in gather_inputs([tree])) == ["photo.jpg", "top.avi"]
    (only,) = gather_inputs([tree / "seq"])
    assert only.kind == "sequence" and only.key == "seq"
    (nothing,) = gather_inputs([folder_of_folders(tree)])  # fails as a sequence without images, when predicted
    assert nothing.kind == "sequence"
    assert [i.key for i in gather_inputs([folder_of_folders(tree)], recursive=True)] == ["inner/x.mp4"]


def folder_of_folders(tree):
    touch(tree / "only_folders" / "inner" / "x.mp4")
    return tree / "only_folders"


def test_list_files_as_lines_or_a_csv_read_relative_to_the_list(tree, tmp_path):
    lines = touch(tree / "list.txt", b"a/clip.mp4\n# a comment\n\nb/clip.mp4\n")
    table = touch(tree / "list.csv", b"path,group\nb/deep/talk.MOV,1\ntop.avi,2\n")
    inputs = gather_inputs([], lists=[lines, table])
    assert [i.key for i in inputs] == ["a/clip.mp4", "b/clip.mp4", "b/deep/talk.MOV", "top.avi"]
    assert all(i.path.is_file() for i in inputs)
    with pytest.raises(PoseauError, match="'path' column"):
        gather_inputs([], lists=[touch(tmp_path / "bad.csv", b"file\nx.mp4\n")])
    with pytest.raises(PoseauError, match="no such list file"):
        gather_inputs([], lists=[tmp_path / "missing.txt"])


def test_two_inputs_that_would_write_one_file_are_named(tree):
    with pytest.raises(PoseauError, match="a/clip.mp4 and .*b/clip.mp4 would both write clip.csv"):
        gather_inputs([tree / "a" / "clip.mp4", tree / "b" / "clip.mp4"])


def test_shards_cover_every_input_exactly_once_whatever_the_order():
    keys = [f"site{s}/participant{p:03d}.mp4" for s in range(3) for p in range(100)]
    shards = [[k for k in keys if in_shard(k, (i, 3))] for i in range(3)]
    assert sorted(sum(shards, [])) == sorted(keys)
    assert all(60 < len(s) < 140 for s in shards)  # a fair share each
    assert [k for k in reversed(keys) if in_shard(k, (1, 3))] == list(reversed(shards[1]))
    assert parse_shard("2/10") == (2, 10)
    for bad in ("1", "a/b", "-1/2"):
        with pytest.raises(ValueError, match="shard must be K/N"):
            parse_shard(bad)
    with pytest.raises(PoseauError, match="shard must be K/N with 0 <= K < N"):
        BatchOptions(shard=(3, 3))
