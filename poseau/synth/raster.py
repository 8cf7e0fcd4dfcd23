"""A z-buffered triangle rasteriser with Gouraud shading, compiled by numba.

Pure CPU, no display, no GPU; the same inputs give the same pixels. Screen space has
x to the right and y down, pixel centres at half-integers; ``depth`` grows away from
the camera. Triangles wound counter-clockwise seen from outside the mesh (as the face
model is) face the camera when their signed screen area is negative; the rest are culled.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def vertex_normals(verts, tris):  # verts (V, 3) float32, tris (T, 3) int32 -> (V, 3) unit normals
    normals = np.zeros_like(verts)
    for t in range(tris.shape[0]):
        a, b, c = tris[t, 0], tris[t, 1], tris[t, 2]
        e1x = verts[b, 0] - verts[a, 0]
        e1y = verts[b, 1] - verts[a, 1]
        e1z = verts[b, 2] - verts[a, 2]
        e2x = verts[c, 0] - verts[a, 0]
        e2y = verts[c, 1] - verts[a, 1]
        e2z = verts[c, 2] - verts[a, 2]
        nx = e1y * e2z - e1z * e2y  # area-weighted face normal
        ny = e1z * e2x - e1x * e2z
        nz = e1x * e2y - e1y * e2x
        for v in (a, b, c):
            normals[v, 0] += nx
            normals[v, 1] += ny
            normals[v, 2] += nz
    for v in range(verts.shape[0]):
        n = math.sqrt(normals[v, 0] ** 2 + normals[v, 1] ** 2 + normals[v, 2] ** 2)
        if n > 0:
            normals[v, 0] /= n
            normals[v, 1] /= n
            normals[v, 2] /= n
    return normals


@njit(cache=True, nogil=True)
def rasterize(screen, depth, colors, tris, image, zbuf):
    """Draw ``tris`` into ``image`` (H, W, 3) float32 where nearer than ``zbuf`` (H, W).

    screen (V, 2) pixel coordinates, depth (V,), colors (V, 3): per-vertex values
    interpolated with barycentric weights inside each triangle.
    """
    h, w = zbuf.shape
    for t in range(tris.shape[0]):
        a, b, c = tris[t, 0], tris[t, 1], tris[t, 2]
        x0, y0 = screen[a, 0], screen[a, 1]
        x1, y1 = screen[b, 0], screen[b, 1]
        x2, y2 = screen[c, 0], screen[c, 1]
        area = (x1 - x0) * (y2 - y0) - (x2 - x0) * (y1 - y0)
        if area >= 0.0:  # back-facing (mesh is counter-clockwise from outside; y is down) or degenerate
            continue
        xmin = max(int(math.ceil(min(x0, x1, x2) - 0.5)), 0)
        xmax = min(int(math.floor(max(x0, x1, x2) - 0.5)), w - 1)
        ymin = max(int(math.ceil(min(y0, y1, y2) - 0.5)), 0)
        ymax = min(int(math.floor(max(y0, y1, y2) - 0.5)), h - 1)
        if xmin > xmax or ymin > ymax:
            continue
        inv = 1.0 / area
        for py in range(ymin, ymax + 1):
            cy = py + 0.5
            for px in range(xmin, xmax + 1):
                cx = px + 0.5
                w0 = ((x1 - cx) * (y2 - cy) - (x2 - cx) * (y1 - cy)) * inv
                if w0 < 0.0:
                    continue
                w1 = ((x2 - cx) * (y0 - cy) - (x0 - cx) * (y2 - cy)) * inv
                if w1 < 0.0:
                    continue
                w2 = 1.0 - w0 - w1
                if w2 < 0.0:
                    continue
                d = w0 * depth[a] + w1 * depth[b] + w2 * depth[c]
                if d < zbuf[py, px]:
                    zbuf[py, px] = d
                    for k in range(3):
                        image[py, px, k] = w0 * colors[a, k] + w1 * colors[b, k] + w2 * colors[c, k]
    return image


def new_buffers(height: int, width: int, background: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    image = np.empty((height, width, 3), np.float32)
    image[:] = background
    return image, np.full((height, width), np.inf, np.float32)


@njit(cache=True, nogil=True)
def blend(base, weights, deltas):
    """base (V, 3) + sum_k weights[k] * deltas[k] (K, V, 3), in a fixed order so results never vary."""
    out = base.copy()
    for k in range(weights.shape[0]):
        w = weights[k]
        if w == 0.0:
            continue
        for v in range(base.shape[0]):
            for j in range(3):
                out[v, j] += w * deltas[k, v, j]
    return out


@njit(cache=True, nogil=True)
def project_and_shade(verts, normals, albedo, pivot, rot, shift, distance, focal, centre,
                      light, half, ambient, diffuse, specular, shininess):
    """Pose, project (pinhole on +z at ``distance``) and light (Lambert + Blinn-Phong) every vertex.

    Returns screen (V, 2), depth (V,) and colours (V, 3), all float32.
    """
    n = verts.shape[0]
    screen = np.empty((n, 2), np.float32)
    depth = np.empty(n, np.float32)
    colors = np.empty((n, 3), np.float32)
    for v in range(n):
        p0 = verts[v, 0] - pivot[0]
        p1 = verts[v, 1] - pivot[1]
        p2 = verts[v, 2] - pivot[2]
        x = rot[0, 0] * p0 + rot[0, 1] * p1 + rot[0, 2] * p2 + shift[0]
        y = rot[1, 0] * p0 + rot[1, 1] * p1 + rot[1, 2] * p2 + shift[1]
        z = rot[2, 0] * p0 + rot[2, 1] * p1 + rot[2, 2] * p2 + shift[2]
        d = distance - z
        screen[v, 0] = x * focal / d + centre
        screen[v, 1] = -y * focal / d + centre
        depth[v] = d
        m0, m1, m2 = normals[v, 0], normals[v, 1], normals[v, 2]
        nx = rot[0, 0] * m0 + rot[0, 1] * m1 + rot[0, 2] * m2
        ny = rot[1, 0] * m0 + rot[1, 1] * m1 + rot[1, 2] * m2
        nz = rot[2, 0] * m0 + rot[2, 1] * m1 + rot[2, 2] * m2
        lam = max(nx * light[0] + ny * light[1] + nz * light[2], 0.0)
        spec = specular * max(nx * half[0] + ny * half[1] + nz * half[2], 0.0) ** shininess
        for j in range(3):
            colors[v, j] = albedo[v, j] * (ambient + diffuse * lam) + spec
    return screen, depth, colors
