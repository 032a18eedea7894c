"""A map of the territory drawn from coordinates alone (no tiles): places projected onto a
plane, and each sector as the padded outline (convex hull) of the places it holds."""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

WIDTH, HEIGHT, MARGIN = 800, 560, 48
PADDING = 22.0
"""How far (px) a sector's outline stays from its outermost places."""

LatLon = tuple[float, float]
XY = tuple[float, float]


@dataclass(frozen=True)
class SectorShape:
    """A sector drawn as a polygon (``points`` in SVG syntax) or, with fewer than three
    places, a circle; its name is written at (``label_x``, ``label_y``)."""

    name: str
    points: str
    circle: tuple[float, float, float] | None
    label_x: float
    label_y: float


def projection(places: Sequence[LatLon]) -> Callable[[LatLon], XY]:
    """Latitude and longitude to pixels: equirectangular at the places' mean latitude,
    scaled to fit the map with the same scale on both axes, north up."""
    if not places:
        return lambda _: (WIDTH / 2, HEIGHT / 2)
    shrink = math.cos(math.radians(sum(lat for lat, _ in places) / len(places)))
    xs = [lon * shrink for _, lon in places]
    ys = [lat for lat, _ in places]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-4)
    scale = min(WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN) / span
    x_mid, y_mid = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def to_xy(place: LatLon) -> XY:
        lat, lon = place
        return (WIDTH / 2 + (lon * shrink - x_mid) * scale, HEIGHT / 2 - (lat - y_mid) * scale)

    return to_xy


def _cross(o: XY, a: XY, b: XY) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def convex_hull(points: Sequence[XY]) -> list[XY]:
    """The smallest convex polygon holding ``points`` (Andrew's monotone chain), in order."""
    ordered = sorted(set(points))
    if len(ordered) < 3:
        return ordered
    lower: list[XY] = []
    upper: list[XY] = []
    for point in ordered:
        while len(lower) >= 2 and _cross(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    for point in reversed(ordered):
        while len(upper) >= 2 and _cross(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]


def _centre(points: Sequence[XY]) -> XY:
    return (sum(x for x, _ in points) / len(points), sum(y for _, y in points) / len(points))


def sector_shape(name: str, points: Sequence[XY]) -> SectorShape | None:
    """The outline of a sector holding ``points`` (None when it holds no place)."""
    if not points:
        return None
    hull = convex_hull(points)
    cx, cy = _centre(hull)
    if len(hull) < 3:
        radius = max(math.dist((cx, cy), p) for p in hull) + PADDING
        return SectorShape(name, "", (cx, cy, radius), cx, cy - radius - 6)
    padded = []
    for x, y in hull:
        away = math.dist((cx, cy), (x, y)) or 1.0
        padded.append((x + (x - cx) / away * PADDING, y + (y - cy) / away * PADDING))
    top = min(y for _, y in padded)
    text = " ".join(f"{x:.1f},{y:.1f}" for x, y in padded)
    return SectorShape(name, text, None, cx, top - 6)
