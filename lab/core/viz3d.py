"""3D viewing: Open3D geometry, rendered offscreen by Open3D where the machine can,
and always also as a plotly figure for interactive rotation.

Importing Open3D from PyPI needs `libusb-1.0.so.0` (shipped by the
`libusb-package` wheel, preloaded here) and, for offscreen rendering on a CPU,
`EGL_PLATFORM=surfaceless` set before the import plus a Vulkan driver (Debian's
`mesa-vulkan-drivers`, llvmpipe). Whether rendering works is probed once in a
subprocess, so a machine without a driver falls back to plotly instead of crashing.
Set `LAB_O3D_RENDER=0` to skip Open3D rendering altogether.
"""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from functools import lru_cache
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from .checks import check_array, check_int, check_number

_PROBE = r"""
import os, sys
sys.path.insert(0, %r)
from lab.core import viz3d
o3d = viz3d.open3d()
assert o3d is not None, viz3d.import_error()
import numpy as np
pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.random.default_rng(0).normal(size=(64, 3))))
img = viz3d._render_direct([pc], 64, 48, None, None)
assert img.shape == (48, 64, 3) and img.std() > 0  # unlit points: cheap to compile on llvmpipe
print("RENDER_OK")
"""


def _preload_libusb() -> None:
    try:
        import libusb_package
        path = libusb_package.get_library_path()
        if path:
            ctypes.CDLL(str(path), mode=ctypes.RTLD_GLOBAL)
    except Exception:  # pragma: no cover - open3d's import then says what is missing
        pass


_IMPORT_ERROR: str | None = None


class _quiet:
    """Silence Open3D's start-up and renderer log ("Enabling Open3D WebVisualizer", "FEngine",
    "llvmpipe"): it writes to the process's file descriptors 1 and 2 from C++, which Jupyter would
    show above the output, so both descriptors (and sys.stdout/stderr) go to /dev/null meanwhile."""

    def __enter__(self):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        self._saved = []
        self._null = os.open(os.devnull, os.O_WRONLY)
        for fd in (1, 2):
            try:
                self._saved.append((fd, os.dup(fd)))
                os.dup2(self._null, fd)
            except OSError:
                pass
        self._streams = sys.stdout, sys.stderr
        sys.stdout = sys.stderr = open(os.devnull, "w")
        return self

    def __exit__(self, *exc):
        try:
            sys.stdout.close()
        finally:
            sys.stdout, sys.stderr = self._streams
        for fd, saved in self._saved:
            os.dup2(saved, fd)
            os.close(saved)
        os.close(self._null)
        return False


class _no_dash_comm:
    """Open3D imports Dash, whose Jupyter support opens a comm to the target "dash" at import time; no
    JupyterLab here has that target, so the page logs "Exception opening new comm" for every notebook
    that uses Open3D. While open3d is imported, a comm for "dash" is a dummy that never reaches the page
    (the workbench runs no Dash app)."""

    def __enter__(self):
        try:
            import comm
        except ImportError:  # pragma: no cover - comm ships with ipykernel
            self._comm = None
            return self
        self._comm, self._create = comm, comm.create_comm

        def create(*args, **kwargs):
            if kwargs.get("target_name") == "dash":
                return comm.DummyComm(*args, **kwargs)
            return self._create(*args, **kwargs)

        comm.create_comm = create
        return self

    def __exit__(self, *exc):
        if self._comm is not None:
            self._comm.create_comm = self._create
        return False


@lru_cache(maxsize=1)
def open3d():
    """The `open3d` module, imported safely, or None (see `import_error()`)."""
    global _IMPORT_ERROR
    os.environ.setdefault("EGL_PLATFORM", "surfaceless")
    _preload_libusb()
    try:
        with _quiet(), _no_dash_comm():
            import open3d as o3d
            o3d.utility.set_verbosity_level(o3d.utility.VerbosityLevel.Error)
        return o3d
    except Exception as exc:  # pragma: no cover - depends on the machine
        _IMPORT_ERROR = f"{type(exc).__name__}: {exc}"
        return None


def import_error() -> str | None:
    return _IMPORT_ERROR


@lru_cache(maxsize=1)
def can_render() -> bool:
    """True when Open3D's offscreen renderer works here (probed once, in a subprocess)."""
    if os.environ.get("LAB_O3D_RENDER", "1") == "0":
        return False
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    try:
        out = subprocess.run([sys.executable, "-c", _PROBE % root], capture_output=True, text=True,
                             timeout=120, env={**os.environ, "EGL_PLATFORM": "surfaceless"})
    except (subprocess.TimeoutExpired, OSError):
        return False
    return "RENDER_OK" in out.stdout


_RENDERER: dict[str, Any] = {}


def _render_direct(geometries, width, height, eye, center, point_size=3.0, bg=(1, 1, 1, 1)):
    with _quiet():
        return _render_quiet(geometries, width, height, eye, center, point_size, bg)


def _render_quiet(geometries, width, height, eye, center, point_size, bg):
    o3d = open3d()
    rendering = o3d.visualization.rendering
    key = "r"
    if key not in _RENDERER:
        _RENDERER[key] = (rendering.OffscreenRenderer(width, height), (width, height))
    r, size = _RENDERER[key]
    r.scene.clear_geometry()
    r.scene.set_background(list(bg))
    # Filament's post-processing (tone mapping, colour grading) greys out unlit points and lines
    # (luminance std of notebook 09's render 8.5 -> 26.9 without it, background pure white); lit
    # meshes need it, or they render nearly black.
    o3d_mesh = open3d().geometry.TriangleMesh
    r.scene.view.set_post_processing(any(isinstance(g, o3d_mesh) for g in geometries))
    pts = []
    sizes = ([float(point_size)] * len(geometries) if np.isscalar(point_size) else [float(v) for v in point_size])
    for i, g in enumerate(geometries):
        mat = rendering.MaterialRecord()
        if isinstance(g, o3d.geometry.TriangleMesh):
            if not g.has_vertex_normals():
                g.compute_vertex_normals()
            if not g.has_vertex_colors():
                g.paint_uniform_color([0.7, 0.7, 0.75])
            mat.shader = "defaultLit"
            pts.append(np.asarray(g.vertices))
        elif isinstance(g, o3d.geometry.PointCloud):
            mat.shader = "defaultUnlit"
            mat.point_size = sizes[i]
            pts.append(np.asarray(g.points))
        elif isinstance(g, o3d.geometry.LineSet):
            mat.shader = "unlitLine"
            mat.line_width = 1.5
            pts.append(np.asarray(g.points))
        else:
            mat.shader = "unlitLine"
            g = o3d.geometry.LineSet.create_from_axis_aligned_bounding_box(g) \
                if isinstance(g, o3d.geometry.AxisAlignedBoundingBox) \
                else o3d.geometry.LineSet.create_from_oriented_bounding_box(g)
            pts.append(np.asarray(g.points))
        r.scene.add_geometry(f"g{i}", g, mat)
    allp = np.concatenate([p for p in pts if len(p)]) if any(len(p) for p in pts) else np.zeros((1, 3))
    lo, hi = allp.min(0), allp.max(0)
    c = (lo + hi) / 2 if center is None else np.asarray(center, float)
    radius = max(float(np.linalg.norm(hi - lo)) / 2, 1e-6)
    e = c + np.array([1.2, -1.8, 1.2]) * radius if eye is None else np.asarray(eye, float)
    r.setup_camera(60.0, c.tolist(), e.tolist(), [0.0, 0.0, 1.0])
    img = np.asarray(r.render_to_image())
    if img.shape[:2] != (height, width):
        from skimage.transform import resize
        img = (resize(img, (height, width, 3), preserve_range=True, anti_aliasing=True)).astype(np.uint8)
    return img


def orbit_eye(center: Sequence[float], radius: float, azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """Camera position on a sphere around `center` (z up), angles in degrees."""
    c = check_array("center", center, shape=(3,))
    radius = check_number("radius", radius, lo=0.0, lo_open=True)
    az = np.deg2rad(check_number("azimuth_deg", azimuth_deg, lo=-360, hi=360))
    el = np.deg2rad(check_number("elevation_deg", elevation_deg, lo=-89.9, hi=89.9))
    return c + radius * np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])


def render(geometries: Sequence[Any], width: int = 480, height: int = 360, eye=None, center=None,
           point_size: float | Sequence[float] = 3.0) -> np.ndarray | None:
    """Render Open3D geometries offscreen to an (height, width, 3) uint8 image,
    or return None where this machine cannot render (then use `to_plotly`).

    point_size [px]: one size for every point cloud, or one per geometry (e.g. to size
    points by a quantity, split a cloud into a few tiers)."""
    width = check_int("width", width, lo=16, hi=4096)
    height = check_int("height", height, lo=16, hi=4096)
    if not isinstance(geometries, (list, tuple)) or not geometries:
        raise ValueError("geometries must be a non-empty list of Open3D geometries")
    if np.isscalar(point_size):
        check_number("point_size", point_size, lo=0.5, hi=64.0)
    else:
        sizes = check_array("point_size", point_size, ndim=1, lo=0.5, hi=64.0)
        if len(sizes) != len(geometries):
            raise ValueError(f"point_size must be a number or one size per geometry ({len(geometries)}); "
                             f"got {len(sizes)}")
    if not can_render():
        return None
    return _render_direct(list(geometries), width, height, eye, center, point_size)


def _rgb(colors: np.ndarray | None, n: int, default=(0.4, 0.4, 0.45)) -> list[str] | str:
    """plotly colours for n items: one string when they all share a colour (a painted cloud: plotly then
    validates and sends one colour, not n), else one string per item."""
    if colors is None or len(colors) != n:
        colors = np.asarray(default)[None]
    c = np.clip(np.asarray(colors) * 255, 0, 255).astype(int)
    if len(c) and (c == c[0]).all():
        return "rgb({},{},{})".format(*c[0])
    return [f"rgb({r},{g},{b})" for r, g, b in c]


def to_plotly(geometries: Sequence[Any], title: str | None = None, unit: str = "m",
              marker_size: float | np.ndarray = 2.5, height: int = 480) -> go.Figure:
    """A rotatable plotly figure of Open3D geometries (point clouds, meshes, line sets,
    bounding boxes). Axes are labelled x, y, z in `unit`."""
    if np.isscalar(marker_size):
        check_number("marker_size", marker_size, lo=0.1, hi=64.0)
    else:
        marker_size = check_array("marker_size", marker_size, ndim=1, lo=0.1, hi=64.0)
    height = check_int("height", height, lo=100, hi=4096)
    o3d = open3d()
    if not isinstance(geometries, (list, tuple)) or not geometries:
        raise ValueError("geometries must be a non-empty list of Open3D geometries")
    fig = go.Figure()
    for g in geometries:
        if o3d is not None and isinstance(g, (o3d.geometry.AxisAlignedBoundingBox, o3d.geometry.OrientedBoundingBox)):
            color = np.asarray(g.color) if np.any(np.asarray(g.color)) else np.array([0.2, 0.2, 0.2])
            g = (o3d.geometry.LineSet.create_from_axis_aligned_bounding_box(g)
                 if isinstance(g, o3d.geometry.AxisAlignedBoundingBox)
                 else o3d.geometry.LineSet.create_from_oriented_bounding_box(g))
            g.paint_uniform_color(color)
        if o3d is not None and isinstance(g, o3d.geometry.PointCloud):
            p = np.asarray(g.points)
            cols = np.asarray(g.colors) if g.has_colors() else None
            fig.add_trace(go.Scatter3d(x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers", showlegend=False,
                                       marker=dict(size=marker_size, color=_rgb(cols, len(p)))))
        elif o3d is not None and isinstance(g, o3d.geometry.TriangleMesh):
            v, t = np.asarray(g.vertices), np.asarray(g.triangles)
            cols = _rgb(np.asarray(g.vertex_colors), len(v)) if g.has_vertex_colors() else "lightgray"
            fig.add_trace(go.Mesh3d(x=v[:, 0], y=v[:, 1], z=v[:, 2], i=t[:, 0], j=t[:, 1], k=t[:, 2],
                                    vertexcolor=None if isinstance(cols, str) else cols,
                                    color=cols if isinstance(cols, str) else None,
                                    flatshading=True, showlegend=False, opacity=1.0))
        elif o3d is not None and isinstance(g, o3d.geometry.LineSet):
            p, ln = np.asarray(g.points), np.asarray(g.lines)
            xs, ys, zs = [], [], []
            for a, b in ln:
                xs += [p[a, 0], p[b, 0], None]; ys += [p[a, 1], p[b, 1], None]; zs += [p[a, 2], p[b, 2], None]
            cols = np.asarray(g.colors) if g.has_colors() else None
            color = _rgb(cols[:1], 1) if cols is not None and len(cols) else "rgb(40,40,40)"
            fig.add_trace(go.Scatter3d(x=xs, y=ys, z=zs, mode="lines", line=dict(color=color, width=3),
                                       showlegend=False, hoverinfo="skip"))
        else:
            raise TypeError(f"geometries must hold Open3D PointCloud, TriangleMesh, LineSet or bounding boxes; "
                            f"got {type(g).__name__}")
    fig.update_layout(title=title, height=height, margin=dict(l=0, r=0, t=40 if title else 10, b=0),
                      scene=dict(aspectmode="data", xaxis_title=f"x [{unit}]", yaxis_title=f"y [{unit}]",
                                 zaxis_title=f"z [{unit}]"))
    return fig


def view(geometries: Sequence[Any], title: str = "", width: int = 480, height: int = 360,
         marker_size: float | np.ndarray = 2.5):
    """An ipywidgets box: the Open3D offscreen render with orbit sliders (azimuth,
    elevation) where the machine can render, beside a rotatable plotly view."""
    import io

    import ipywidgets as W
    from PIL import Image

    from .widgets import figure_widget

    fig = figure_widget(to_plotly(geometries, title=title or None, height=height, marker_size=marker_size))
    parts: list[Any] = []
    if can_render():
        allp = np.concatenate([np.asarray(getattr(g, "points", getattr(g, "vertices", np.zeros((0, 3)))))
                               for g in geometries if hasattr(g, "points") or hasattr(g, "vertices")] or [np.zeros((1, 3))])
        lo, hi = allp.min(0), allp.max(0)
        center, radius = (lo + hi) / 2, max(float(np.linalg.norm(hi - lo)), 1e-6) * 1.1
        image = W.Image(format="png", layout=W.Layout(width=f"{width}px", height=f"{height}px",
                                                      min_width=f"{width}px", object_fit="contain"))
        az = W.FloatSlider(value=-55, min=-180, max=180, step=5, description="azimuth [°]", continuous_update=False)
        el = W.FloatSlider(value=30, min=-85, max=85, step=5, description="elevation [°]", continuous_update=False)

        def redraw(*_):
            img = render(list(geometries), width, height, eye=orbit_eye(center, radius, az.value, el.value), center=center)
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="PNG")
            image.value = buf.getvalue()

        az.observe(redraw, names="value")
        el.observe(redraw, names="value")
        redraw()
        for s in (az, el):
            s.layout = W.Layout(width=f"{width}px")
            s.style = {"description_width": "90px"}
        parts.append(W.VBox([W.HTML("<b>Open3D offscreen render</b>"), image, az, el],
                            layout=W.Layout(flex="0 0 auto", min_width=f"{width}px")))
    else:
        parts.append(W.HTML("<i>Open3D offscreen rendering is not available on this machine; "
                            "showing the plotly view only.</i>"))
    box = W.HBox([*parts, W.VBox([W.HTML("<b>rotatable view</b>"), fig],
                                 layout=W.Layout(flex="1 1 0%", min_width="0"))],
                 layout=W.Layout(flex_flow="row wrap", width="100%"))
    box.figure = fig
    return box
