"""Face model: OBJ conversion round-trip, download with cache and checksum, clear errors on bad files."""

import hashlib
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from poseau.cli import main
from poseau.errors import PoseauError
from poseau.synth.download import download_face_model
from poseau.synth.facemodel import AU_SHAPES, DISTRACTOR_SHAPES, PARTS, load_face_model
from poseau.synth.obj_import import ModelLayout, build_face_model

SHAPES = sorted({s for group in (*AU_SHAPES.values(), *DISTRACTOR_SHAPES.values()) for s in group} | {"jawLeft"})
GRID = 10  # a 10 x 10 vertex grid; the last row is an extra part that the layout drops
LAYOUT = ModelLayout(part_ranges=tuple((8 * k, 8 * k + 7) for k in range(len(PARTS))), landmarks68=tuple(range(68)),
                     n_identity=2)


def grid_vertices(rng):
    yy, xx = np.mgrid[:GRID, :GRID]
    base = np.stack([xx.ravel(), yy.ravel(), np.zeros(GRID * GRID)], 1).astype(float)
    return base + rng.normal(0, 0.01, base.shape)


def write_obj(path, verts, faces=None):
    lines = [f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in verts]
    lines += ["f " + " ".join(f"{i + 1}/{i + 1}" for i in face) for face in faces or []]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def checkout(tmp_path):
    """A tiny ICT-FaceKit-like checkout; returns its root and the vertices written."""
    rng = np.random.default_rng(0)
    root = tmp_path / "ICT-FaceKit-master"
    folder = root / "FaceXModel"
    folder.mkdir(parents=True)
    neutral = grid_vertices(rng)
    quads = [[r * GRID + c, r * GRID + c + 1, (r + 1) * GRID + c + 1, (r + 1) * GRID + c]
             for r in range(GRID - 1) for c in range(GRID - 1)]
    write_obj(folder / "generic_neutral_mesh.obj", neutral, quads + [[0, 1, 11]])
    written = {"neutral": neutral}
    for name in [f"identity{i:03d}" for i in range(3)] + SHAPES:
        verts = neutral + rng.normal(0, 0.1, neutral.shape)
        write_obj(folder / f"{name}.obj", verts)
        written[name] = verts
    (root / "LICENSE").write_text("MIT License (test fixture)\n")
    return root, written, quads


def test_obj_fixture_converts_and_round_trips(checkout, tmp_path):
    root, written, quads = checkout
    out = build_face_model(root, tmp_path / "m.npz", LAYOUT)
    model = load_face_model(out)
    n = LAYOUT.n_vertices
    assert model.n_vertices == n == 88
    assert np.allclose(model.neutral, written["neutral"][:n], atol=1e-5)
    assert model.expression_names == tuple(SHAPES)
    assert model.identity_deltas.shape == (2, n, 3)  # only the layout's number of modes
    for k, name in enumerate(SHAPES):  # neutral + delta gives the OBJ back (float16 deltas)
        assert np.allclose(model.neutral + model.expression_deltas[k], written[name][:n], atol=2e-3)
    assert np.allclose(model.neutral + model.identity_deltas[1], written["identity001"][:n], atol=2e-3)
    kept = [q for q in quads if max(q) < n]
    assert len(model.triangles) == 2 * len(kept) + 1
    assert {tuple(t) for t in model.triangles} >= {(q[0], q[1], q[2]) for q in kept}
    assert model.part_names == PARTS and model.vertex_part[8] == 1 and model.vertex_part[87] == 10


def test_download_builds_caches_and_checks(checkout, tmp_path):
    root, _, _ = checkout
    archive = tmp_path / "master.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in root.rglob("*"):
            zf.write(f, f.relative_to(root.parent))
    url = archive.as_uri()
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    path = download_face_model(url, cache_dir=cache, sha256=digest, layout=LAYOUT, progress=False)
    assert load_face_model(path).n_vertices == 88
    assert (cache / "LICENSE-ICT-FaceKit").read_text().startswith("MIT")
    archive.unlink()  # the cached archive is used from now on
    assert download_face_model(url, cache_dir=cache, sha256=digest, layout=LAYOUT, progress=False) == path
    archive.write_bytes((cache / "ict-facekit.zip").read_bytes())
    with pytest.raises(PoseauError, match="checksum"):
        download_face_model(url, cache_dir=tmp_path / "fresh", sha256="0" * 64, layout=LAYOUT, progress=False)
    assert not (tmp_path / "fresh" / "ict-facekit.zip").exists()  # a bad download is not kept
    with pytest.raises(PoseauError, match="vertices"):
        download_face_model(url, cache_dir=cache, sha256=digest, progress=False)  # the real layout needs 24591 vertices


def test_missing_or_malformed_model_gives_one_line_and_exit_2(tmp_path, capsys):
    junk = tmp_path / "junk.npz"
    junk.write_text("not a zip")
    partial = tmp_path / "partial.npz"
    np.savez(partial, neutral=np.zeros((5, 3), np.float32))
    cases = {tmp_path / "absent.npz": "not found", junk: "not an npz", partial: "missing arrays"}
    for path, message in cases.items():
        code = main(["-q", "synth", "--out", str(tmp_path / "o"), "--face-model", str(path)])
        err = capsys.readouterr().err.strip()
        assert code == 2
        assert len(err.splitlines()) == 1 and str(path) in err and message in err, err
    proc = subprocess.run([sys.executable, "-m", "poseau", "synth", "--out", str(tmp_path / "o"),
                           "--face-model", str(junk)], capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_a_face_model_with_nan_is_refused_naming_the_array(face_model_file, tmp_path):
    with np.load(face_model_file) as npz:
        arrays = {k: npz[k] for k in npz.files}
    arrays["expression_deltas"] = arrays["expression_deltas"].copy()
    arrays["expression_deltas"][3, 10, 1] = np.nan
    np.savez(tmp_path / "nan.npz", **arrays)
    with pytest.raises(PoseauError, match="'expression_deltas' holds 1 values that are not finite"):
        load_face_model(tmp_path / "nan.npz")
