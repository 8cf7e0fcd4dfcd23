"""Render a person's face with given AU intensities at a FERA view, on the CPU."""

from __future__ import annotations

from functools import cached_property

import numpy as np

from poseau.constants import AUS
from poseau.scales import intensity_to_unit, unit_to_pixels
from poseau.synth.appearance import Identity, Lighting, crease_shading, vertex_areas
from poseau.synth.camera import Camera, view_rotation
from poseau.synth.details import Accessories, draw_accessories
from poseau.synth.expressions import DISTRACTORS
from poseau.synth.facemodel import AU_SHAPES, DISTRACTOR_SHAPES, FaceModel
from poseau.synth.raster import blend, project_and_shade, rasterize, vertex_normals
from poseau.synth.variation import Scene, camera_effects, shade
from poseau.synth.wrinkles import wrinkle


class FaceRenderer:
    """Turns (identity, AU intensities, distractors, view, jitter, lighting) into an RGB uint8 image.

    ``supersample`` renders at that many times the size and averages down (anti-aliasing). ``wrinkles`` (7, V):
    the person's height field per AU (poseau.synth.wrinkles.sample_wrinkles), added to every shape.
    """

    def __init__(self, model: FaceModel, identity: Identity, camera: Camera | None = None, supersample: int = 1,
                 wrinkles: np.ndarray | None = None):
        self.model = model
        self.identity = identity
        self.wrinkles = wrinkles
        self.camera = camera or Camera()
        self.supersample = supersample
        self._big = Camera(self.camera.size * supersample, self.camera.distance_cm, self.camera.field_cm)
        # one row per driven quantity (7 AUs, then distractors): the sum of its shapes' deltas
        rows = [AU_SHAPES[a] for a in AUS] + [DISTRACTOR_SHAPES[d] for d in DISTRACTORS]
        self._basis = np.stack([
            sum(model.expression_deltas[model.shape_index(s)] for s in shapes) for shapes in rows
        ]).astype(np.float32)  # (10, V, 3)
        # left minus right of the AUs made of a left and a right shape (zero for the others): asymmetry
        self._sides = np.stack([
            model.expression_deltas[model.shape_index(s[0])] - model.expression_deltas[model.shape_index(s[1])]
            if len(s) == 2 else np.zeros_like(model.neutral) for s in (AU_SHAPES[a] for a in AUS)
        ]).astype(np.float32)  # (7, V, 3)
        lm = identity.vertices[model.landmarks68]
        if wrinkles is not None:
            # per AU and vertex: +1 on the side its first shape moves, -1 on the other (0 for one-shape AUs), so
            # that an asymmetric AU's wrinkles are deeper on the side it moves more
            across = np.clip((identity.vertices[:, 0] - lm[27, 0]) / 1.0, -1, 1)
            self._wrinkle_sides = np.stack([
                across * np.sign((np.abs(model.expression_deltas[model.shape_index(s[0])]).sum(1) * across).sum())
                if len(s) == 2 else np.zeros(len(across)) for s in (AU_SHAPES[a] for a in AUS)
            ]).astype(np.float32)  # (7, V)
        # the head turns about a point 4 cm behind the centre of the landmarks
        self.pivot = (lm.mean(0) - np.array([0.0, 0.0, 4.0])).astype(np.float32)

    def shape(self, intensity: np.ndarray, distractors: np.ndarray | None = None,
              asymmetry: np.ndarray | None = None) -> np.ndarray:
        """Vertices (V, 3) for AU intensities (7,) in 0..5 (weight i / 5) and distractor weights (3,).
        ``asymmetry`` (7,) in [-1, 1]: an AU of a left and a right shape weighs them i / 5 x (1 + a) and
        i / 5 x (1 - a); the label, their mean, stays i."""
        w = np.zeros(len(self._basis), np.float32)
        w[:len(AUS)] = intensity_to_unit(np.asarray(intensity, np.float32))
        if distractors is not None:
            w[len(AUS):] = distractors
        verts = blend(self.identity.vertices, w, self._basis)
        if asymmetry is not None:
            verts = blend(verts, (w[:len(AUS)] * np.asarray(asymmetry, np.float32)).astype(np.float32), self._sides)
        if self.wrinkles is not None:
            weights = w[:len(AUS)] if asymmetry is None else \
                w[:len(AUS), None] * (1 + np.asarray(asymmetry, np.float32)[:, None] * self._wrinkle_sides)
            verts = wrinkle(verts, self.model.triangles, self.wrinkles, weights)
        return verts

    @cached_property
    def _neutral_areas(self) -> np.ndarray:
        return vertex_areas(self.identity.vertices, self.model.triangles)

    def creased_albedo(self, verts: np.ndarray) -> np.ndarray:
        """The identity's albedo darkened by the creases of expression ``verts`` (crease_shading), against its
        neutral face."""
        return crease_shading(self.identity.albedo, self._neutral_areas, verts, self.model.triangles,
                              self.model.skin_mask())

    def project(self, verts: np.ndarray, view: int, lighting: Lighting, jitter: np.ndarray | None = None,
                normals: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Screen positions (V, 2) at the rendering size, depths (V,) and lit colours (V, 3) of ``verts``.

        jitter: (pitch, yaw, roll in degrees, x, y, z in cm) added to the view's pose.
        """
        if normals is None:
            normals = vertex_normals(verts, self.model.triangles)
        rot = view_rotation(view, jitter)
        shift = np.zeros(3, np.float32) if jitter is None else np.asarray(jitter[3:6], np.float32)
        half = lighting.direction + np.array([0, 0, 1], np.float32)
        half /= np.linalg.norm(half)
        cam = self._big
        return project_and_shade(
            verts, normals, self.identity.albedo, self.pivot, rot, shift, np.float32(cam.distance_cm),
            np.float32(cam.focal), np.float32(cam.size / 2), lighting.direction, half.astype(np.float32),
            np.float32(lighting.ambient), np.float32(lighting.diffuse), np.float32(lighting.specular), 24.0)

    def render(self, verts: np.ndarray, view: int, lighting: Lighting, jitter: np.ndarray | None = None,
               normals: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Image (S, S, 3) uint8 and the 68 landmarks in pixels (68, 2) of shape ``verts`` at ``view``."""
        screen, depth, colors = self.project(verts, view, lighting, jitter, normals)
        size = self._big.size
        image = self._draw(screen, depth, colors, np.full((size, size, 3), lighting.background, np.float32))
        return unit_to_pixels(image), screen[self.model.landmarks68] / self.supersample

    def _draw(self, screen: np.ndarray, depth: np.ndarray, colors: np.ndarray, image: np.ndarray) -> np.ndarray:
        """Rasterise the mesh over ``image`` (the background at the rendering size, drawn into) and average it
        down to the camera's size: a float image on 0-1."""
        rasterize(screen, depth, colors, self.model.triangles, image, np.full(image.shape[:2], np.inf, np.float32))
        s = self.supersample
        return image.reshape(self.camera.size, s, self.camera.size, s, 3).mean((1, 3)) if s > 1 else image

    def render_scene(self, verts: np.ndarray, view: int, scene: Scene, rng: np.random.Generator,
                     jitter: np.ndarray | None = None, normals: np.ndarray | None = None,
                     albedo: np.ndarray | None = None,
                     accessories: Accessories | None = None) -> tuple[np.ndarray, np.ndarray]:
        """As ``render``, in a varied scene (poseau.synth.variation): its lights, background, pose offset and
        camera; ``albedo`` (default the identity's; ``creased_albedo(verts)`` adds the expression's creases);
        ``accessories`` (poseau.synth.details) drawn before the camera; ``rng`` draws sensor noise."""
        if normals is None:
            normals = vertex_normals(verts, self.model.triangles)
        motion = scene.pose if jitter is None else scene.pose + jitter
        rot = view_rotation(view, motion)
        cam = self._big
        posed = (verts - self.pivot) @ rot.T + motion[3:6]
        depth = (np.float32(cam.distance_cm) - posed[:, 2]).astype(np.float32)
        screen = (posed[:, :2] * (np.float32(cam.focal) / depth)[:, None] * np.array([1, -1], np.float32)
                  + np.float32(cam.size / 2)).astype(np.float32)
        colors = shade(normals @ rot.T, self.identity.albedo if albedo is None else albedo, scene)
        s = self.supersample
        image = self._draw(screen, depth, colors, np.repeat(np.repeat(scene.background, s, 0), s, 1))  # a copy
        landmarks = screen[self.model.landmarks68] / s
        image = draw_accessories(image, landmarks, accessories)
        return unit_to_pixels(camera_effects(image, scene, rng)), landmarks
