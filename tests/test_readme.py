"""Every Python block of the README runs, in order and in one namespace, in a folder holding what the blocks
name: clip.mp4 and interview.mp4 (real videos from ../shared/media), photos/, a small store at stores/fera17
and a model file at runs/au12/model.pt."""

import re
from pathlib import Path

import pytest
from conftest import SHARED
from layouts import write_manifest
from nets import random_model

from poseau.config import PrepareConfig
from poseau.data.store import prepare
from poseau.models.checkpoint import model_record, save_atomic
from poseau.models.shipped import DEFAULT_MODEL, SHIPPED

README = Path(__file__).resolve().parents[1] / "README.md"
MEDIA = SHARED / "media"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, re.S | re.M)


def test_the_readme_has_python_blocks_and_the_two_set_up_commands_first():
    text = README.read_text()
    assert len(python_blocks(text)) >= 5
    first = re.search(r"```bash\n(.*?)```", text, re.S).group(1).splitlines()
    assert "poseau demo" in first[0] and "pytest" in first[1]


@pytest.mark.skipif(not (MEDIA / "videos").is_dir(), reason="../shared/media is not here")
@pytest.mark.skipif(not SHIPPED[DEFAULT_MODEL].path.is_file(), reason="the shipped model is not here")
def test_every_python_block_of_the_readme_runs(tmp_path, monkeypatch, capsys):
    (tmp_path / "clip.mp4").symlink_to(MEDIA / "videos" / "pyfeat__single_face.mp4")
    (tmp_path / "interview.mp4").symlink_to(MEDIA / "videos" / "openface__changeLighting.wmv")
    (tmp_path / "photos").mkdir()
    for name in ("pyfeat__single_face.jpg", "openface__sample1.jpg"):
        (tmp_path / "photos" / name).symlink_to(MEDIA / "images" / name)
    (tmp_path / "frames").mkdir()
    manifest = write_manifest(tmp_path / "frames", {"A": "train", "B": "valid", "C": "test"})
    store = prepare(PrepareConfig(dataset="manifest", root=str(manifest), size=32), tmp_path / "stores" / "fera17",
                    workers=1, progress=False)
    save_atomic(model_record(random_model("pose-invariant", ("AU12",), 0, 32, store.preprocessing)),
                tmp_path / "runs" / "au12" / "model.pt")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for i, block in enumerate(python_blocks(README.read_text())):
        exec(compile(block, f"README.md python block {i + 1}", "exec"), namespace)
    printed = capsys.readouterr().out
    assert "clip.mp4" in printed and "interview.mp4" in printed and "AU12_r" in printed
    assert namespace["photos"]["file"].tolist() == ["openface__sample1.jpg", "pyfeat__single_face.jpg"]
    assert namespace["intensity"].shape == (1, 1) and namespace["evaluation"].scores["aus"] == ["AU12"]
