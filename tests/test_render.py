"""The renderer: AUs move their own facial regions, views turn as the table says, pixels are exact."""

import numpy as np
import pytest

from poseau.constants import AUS, VIEW_ANGLES
from poseau.synth.appearance import Lighting, sample_identity
from poseau.synth.raster import new_buffers, rasterize
from poseau.synth.render import FaceRenderer

LIGHT = Lighting(direction=np.array([0.0, 0.3, 0.954], np.float32), ambient=0.35, diffuse=0.7, specular=0.0,
                 background=np.zeros(3, np.float32))


@pytest.fixture(scope="module")
def renderer(face_model):
    return FaceRenderer(face_model, sample_identity(face_model, np.random.default_rng(3)))


def region_mask(points: np.ndarray, size: int, radius: float) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size] + 0.5
    mask = np.zeros((size, size), bool)
    for x, y in points:
        mask |= (xx - x) ** 2 + (yy - y) ** 2 <= radius**2
    return mask


def regions(lm: np.ndarray, size: int) -> dict[str, np.ndarray]:
    eye_to_mouth = (lm[[36, 45]] + lm[[48, 54]]) / 2
    chin = (lm[8] + lm[57]) / 2
    return {
        "brows": region_mask(lm[17:27], size, 8),
        "cheeks": region_mask(eye_to_mouth, size, 10),
        "upper_lip": region_mask(lm[[50, 51, 52]], size, 6),
        "mouth_corners": region_mask(lm[[48, 54]], size, 8),
        "chin": region_mask(chin[None], size, 10),
    }


OWN = {"AU01": "brows", "AU04": "brows", "AU06": "cheeks", "AU10": "upper_lip", "AU12": "mouth_corners",
       "AU14": "mouth_corners", "AU17": "chin"}
UPPER, LOWER = {"brows"}, {"upper_lip", "mouth_corners", "chin"}


def test_each_au_changes_its_own_region_most(renderer):
    neutral, lm = renderer.render(renderer.shape(np.zeros(7)), 6, LIGHT)
    masks = regions(lm, neutral.shape[0])
    for k, au in enumerate(AUS):
        image, _ = renderer.render(renderer.shape(np.eye(7)[k] * 5), 6, LIGHT)
        diff = np.abs(image.astype(float) - neutral).mean(2)
        change = {name: diff[m].mean() for name, m in masks.items()}
        own = change[OWN[au]]
        far = LOWER if OWN[au] in UPPER else UPPER  # the other half of the face
        assert own > 1.0, (au, change)
        for name in far:
            assert own > 2 * change[name], (au, change)


def test_views_turn_as_the_table_says(renderer):
    verts = renderer.shape(np.zeros(7))
    nose = {}
    for view in VIEW_ANGLES:
        image, lm = renderer.render(verts, view, LIGHT)
        face_centre = lm[[0, 16, 8, 19, 24]].mean(0)  # jaw ends, chin, brows
        nose[view] = lm[30] - face_centre
        x, y = lm[30].astype(int)
        assert image[y, x].sum() > 0  # the nose tip is drawn where it projects
    for row in ((1, 2, 3), (4, 5, 6), (7, 8, 9)):  # yaw -40, -20, 0: the nose moves right toward 0
        assert nose[row[0]][0] < nose[row[1]][0] < nose[row[2]][0]
        assert nose[row[0]][0] < -10  # at yaw -40 the nose points to the image's left
    for col in ((1, 4, 7), (2, 5, 8), (3, 6, 9)):  # pitch +20, 0, -20: head up puts the nose higher
        assert nose[col[0]][1] < nose[col[1]][1] < nose[col[2]][1]
    assert abs(nose[6][0]) < 2  # frontal


def test_rasterizer_covers_pixels_and_keeps_the_nearest():
    screen = np.array([[1, 1], [1, 9], [9, 1], [0, 0], [0, 10], [10, 0]], np.float32)
    depth = np.array([5, 5, 5, 1, 1, 1], np.float32)
    colors = np.array([[1, 0, 0]] * 3 + [[0, 1, 0]] * 3, np.float32)
    front = np.array([[0, 1, 2]], np.int32)  # negative screen area: faces the camera
    image, zbuf = new_buffers(10, 10, np.zeros(3, np.float32))
    rasterize(screen, depth, colors, front, image, zbuf)
    assert image[2, 2, 0] == 1 and image[8, 8].sum() == 0  # inside and outside the triangle
    rasterize(screen, depth, colors, front + 3, image, zbuf)  # a nearer, larger triangle
    assert image[2, 2, 1] == 1 and image[2, 2, 0] == 0
    back = front[:, ::-1].copy()
    image2, zbuf2 = new_buffers(10, 10, np.zeros(3, np.float32))
    rasterize(screen, depth, colors, back, image2, zbuf2)
    assert image2.sum() == 0  # culled
