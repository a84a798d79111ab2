"""The map: the scenario's states on a map of Europe and the Middle East, with
North America in a panel of its own (the Atlantic left out, so that Europe
stays large at 1280x720), coloured as the network view colours them.

The outlines are Natural Earth's admin-0 countries, cut to the region by
``tools/make_map_outlines.py`` and shipped in ``configs/maps/countries.json``
(its source in ``configs/maps/SOURCES.md``): the page needs no network. They
are projected once per process (Lambert azimuthal equal-area, one centre per
panel); a figure is drawn per day with matplotlib's Figure (no pyplot).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.patheffects as pe  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.textpath import TextPath  # noqa: E402

from .. import data_path  # noqa: E402
from ..scenario import LEVELS, STANCES  # noqa: E402
from .views import LEVEL_COLOURS, STANCE_COLOURS, non_allies, state_name  # noqa: E402

OUTLINES = data_path("configs", "maps", "countries.json")
SOURCES = data_path("configs", "maps", "SOURCES.md")
DPI = 100
SIZE_PX = (900, 400)  # the map tab's width at 1280x720 (no scaling down), and the height under the tabs
FONT_PX = 16  # state names (bold): 16 px, the least for the projector
LEGEND_PX = 16
OTHER_LAND, OTHER_EDGE, SEA = "#f1eee6", "#b9b4a8", "#ffffff"
ATTACKED_EDGE = "#e7298a"


def px_to_pt(px: float) -> float:
    return px * 72.0 / DPI


@dataclass(frozen=True)
class Panel:
    """One map panel: a projection centre and the region shown (lon/lat box),
    and where it sits in the figure (left, bottom, width, height, fractions)."""
    name: str
    centre: tuple[float, float]
    box: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
    rect: tuple[float, float, float, float]


# Europe and the Middle East, from Iceland to Iran; North America (the United
# States south of Alaska and Canada) small in the top left corner.
PANELS = (
    Panel("Europe and the Middle East", (20.0, 46.0), (-25.0, 19.0, 60.0, 71.5), (0.27, 0.0, 0.73, 1.0)),
    Panel("North America", (-97.0, 47.0), (-127.0, 24.0, -55.0, 70.0), (0.0, 0.655, 0.265, 0.345)),
)


def laea(lon, lat, centre) -> np.ndarray:
    """Lambert azimuthal equal-area projection on the unit sphere."""
    lam, phi = np.radians(lon), np.radians(lat)
    lam0, phi0 = np.radians(centre[0]), np.radians(centre[1])
    k = np.sqrt(2.0 / (1.0 + np.sin(phi0) * np.sin(phi) + np.cos(phi0) * np.cos(phi) * np.cos(lam - lam0)))
    x = k * np.cos(phi) * np.sin(lam - lam0)
    y = k * (np.cos(phi0) * np.sin(phi) - np.sin(phi0) * np.cos(phi) * np.cos(lam - lam0))
    return np.column_stack([x, y])


def clip_ring(ring: np.ndarray, bbox) -> np.ndarray:
    """A ring (n, 2) clipped to a rectangle (x0, y0, x1, y1), by
    Sutherland-Hodgman (a concave ring may keep edges along the rectangle's
    sides, which a filled drawing does not show)."""
    x0, y0, x1, y1 = bbox
    pts = np.asarray(ring, dtype=float)
    for axis, value, above in ((0, x0, True), (0, x1, False), (1, y0, True), (1, y1, False)):
        if len(pts) == 0:
            break
        inside = pts[:, axis] >= value if above else pts[:, axis] <= value
        out = []
        prev, prev_in = pts[-1], inside[-1]
        for cur, cur_in in zip(pts, inside):
            if cur_in != prev_in:
                t = (value - prev[axis]) / (cur[axis] - prev[axis])
                out.append(prev + t * (cur - prev))
            if cur_in:
                out.append(cur)
            prev, prev_in = cur, cur_in
        pts = np.asarray(out).reshape(-1, 2)
    return pts


def ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def ring_centroid(ring: np.ndarray) -> tuple[float, float]:
    x, y = ring[:, 0], ring[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    a = cross.sum() / 2.0
    if abs(a) < 1e-12:
        return float(x.mean()), float(y.mean())
    return float(((x + np.roll(x, -1)) * cross).sum() / (6 * a)), float(((y + np.roll(y, -1)) * cross).sum() / (6 * a))


@dataclass(frozen=True)
class Shape:
    """A country in a panel: its projected rings, the visible part's box and
    the centre of its largest visible piece (where its label goes)."""
    iso3: str | None
    name: str
    short: str | None
    rings: tuple
    box: tuple[float, float, float, float]
    anchor: tuple[float, float]
    visible_area: float


@functools.lru_cache(maxsize=1)
def outlines() -> dict:
    """The shipped outlines file (its ``meta`` and ``countries``)."""
    return json.loads(OUTLINES.read_text())


@functools.lru_cache(maxsize=1)
def projected() -> tuple[tuple[Panel, tuple[float, float, float, float], tuple[Shape, ...]], ...]:
    """Per panel: the panel, its extent in projected units, and the
    countries with a visible part in it. Computed once per process."""
    data = outlines()["countries"]
    panels = []
    for panel in PANELS:
        lo0, la0, lo1, la1 = panel.box
        edge = np.linspace(0, 1, 50)
        frame = np.concatenate([np.column_stack([lo0 + (lo1 - lo0) * edge, np.full(50, la0)]),
                                np.column_stack([lo0 + (lo1 - lo0) * edge, np.full(50, la1)]),
                                np.column_stack([np.full(50, lo0), la0 + (la1 - la0) * edge]),
                                np.column_stack([np.full(50, lo1), la0 + (la1 - la0) * edge])])
        f = laea(frame[:, 0], frame[:, 1], panel.centre)
        # The panel shows the box's extent, cut to the figure rectangle's
        # aspect (x/y in the same units).
        x0, y0, x1, y1 = f[:, 0].min(), f[:, 1].min(), f[:, 0].max(), f[:, 1].max()
        want = (panel.rect[2] * SIZE_PX[0]) / (panel.rect[3] * SIZE_PX[1])
        if (x1 - x0) / (y1 - y0) > want:  # too wide: widen the height
            mid, half = (y0 + y1) / 2, (x1 - x0) / want / 2
            y0, y1 = mid - half, mid + half
        else:  # too narrow: widen it eastwards (the box's west edge is the Atlantic's)
            x1 = x0 + (y1 - y0) * want
        extent = (x0, y0, x1, y1)
        # Rings are cut a little outside the panel, so that no cut edge shows.
        m = 0.02 * (x1 - x0)
        margin = (x0 - m, y0 - m, x1 + m, y1 + m)
        shapes = []
        for c in data:
            rings = [laea(np.asarray(r)[:, 0], np.asarray(r)[:, 1], panel.centre) for r in c["rings"]]
            rings = [clip_ring(r, margin) for r in rings if np.isfinite(r).all()]
            rings = [r for r in rings if len(r) >= 3 and abs(ring_area(r)) > 0]
            seen = [clip_ring(r, extent) for r in rings]
            seen = [s for s in seen if len(s) >= 3 and abs(ring_area(s)) > 0]
            if not seen:
                continue
            pts = np.concatenate(seen)
            largest = max(seen, key=lambda s: abs(ring_area(s)))
            shapes.append(Shape(c["iso3"], c["name"], c.get("short"), tuple(rings),
                                (pts[:, 0].min(), pts[:, 1].min(), pts[:, 0].max(), pts[:, 1].max()),
                                ring_centroid(largest), sum(abs(ring_area(s)) for s in seen)))
        panels.append((panel, extent, tuple(shapes)))
    # A country seen in two panels is drawn only in the one that shows most
    # of it (the tip of Canada's Arctic islands in the corner of Europe's
    # panel, coloured as Canada, read as a state of its own).
    home = {}
    for k, (_, _, shapes) in enumerate(panels):
        for sh in shapes:
            if sh.visible_area > home.get(sh.iso3, (-1.0, -1))[0]:
                home[sh.iso3] = (sh.visible_area, k)
    return tuple((panel, extent, tuple(sh for sh in shapes if not sh.iso3 or home[sh.iso3][1] == k))
                 for k, (panel, extent, shapes) in enumerate(panels))


@functools.lru_cache(maxsize=1)
def shown_codes() -> frozenset[str]:
    """The ISO3 codes the map shows (a visible part in a panel)."""
    return frozenset(s.iso3 for _, _, shapes in projected() for s in shapes if s.iso3)


def level_words(scenario, level: str) -> str:
    """A commitment level in words, the theatres named as the scenario names them."""
    th = scenario.theatres
    defaults = type(th)()
    if level == "strikes_invited":
        return f"strikes in {th.invited}" if th.invited != defaults.invited else "strikes where invited"
    if level == "strikes_uninvited":
        return f"strikes in {th.uninvited}" if th.uninvited != defaults.uninvited else "strikes without consent"
    return {"none": "no commitment", "political": "political support", "training": "training",
            "support": "military support", "ground": "ground forces"}.get(level, level.replace("_", " "))


STANCE_WORDS = {"oppose": "opposes", "deconflict": "deconflicts", "coordinate": "coordinates", "join": "joins"}


def _text_colour(hex_colour: str) -> str:
    r, g, b = to_rgb(hex_colour)
    return "#ffffff" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "#000000"


def map_state(model) -> dict[str, dict]:
    """Each state of the model as the map draws it: its name, fill colour,
    whether it is a non-ally (by stance), a theatre (a host of the strikes)
    or attacked, and the words of its legend entry."""
    hosts = set(model.config.theatres.hosts)
    victims = {model.setup.codes[i] for i in np.flatnonzero(model.world.victim[0])}
    stance_holders = set(non_allies(model))
    out = {}
    for agent in model.agents:
        code = agent.iso3
        if code in stance_holders and agent.stance:
            colour = STANCE_COLOURS.get(agent.stance, "#ffffff")
            words = f"non-ally: {STANCE_WORDS.get(agent.stance, agent.stance)}"
        else:
            colour, words = LEVEL_COLOURS.get(agent.commitment, "#ffffff"), level_words(model.config, agent.commitment)
        out[code] = {"name": state_name(model, code), "colour": colour, "words": words,
                     "non_ally": code in stance_holders, "host": code in hosts, "attacked": code in victims,
                     "level": agent.commitment, "stance": agent.stance if code in stance_holders else None}
    return out


def _scale(panel: Panel, extent) -> float:
    """Pixels per projected unit in a panel."""
    return panel.rect[2] * SIZE_PX[0] / (extent[2] - extent[0])


@functools.lru_cache(maxsize=1)
def home_panels() -> dict[str, int]:
    """For each country, the panel where it shows largest (its name goes there)."""
    best: dict[str, tuple[float, int]] = {}
    for k, (panel, extent, shapes) in enumerate(projected()):
        for sh in shapes:
            px2 = sh.visible_area * _scale(panel, extent) ** 2
            if sh.iso3 and px2 > best.get(sh.iso3, (-1.0, 0))[0]:
                best[sh.iso3] = (px2, k)
    return {code: k for code, (_, k) in best.items()}


def _label_fits(shape: Shape, text: str, scale: float) -> bool:
    """Whether ``text`` fits on the shape's visible part, or nearly (scale:
    pixels per projected unit): a name may reach a little over its borders."""
    width = (shape.box[2] - shape.box[0]) * scale
    height = (shape.box[3] - shape.box[1]) * scale
    return text_width(text) <= width * 1.45 and FONT_PX <= height


@functools.lru_cache(maxsize=4096)
def text_width(text: str, px: float = FONT_PX) -> float:
    """A bold label's width in pixels (its outline in matplotlib's font)."""
    if not text:
        return 0.0
    path = TextPath((0, 0), text, size=px, prop=FontProperties(weight="bold"))
    return float(path.get_extents().width) + 4.0  # and the halo


def _overlaps(box, placed) -> bool:
    return any(not (box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3]) for b in placed)


def off_map(model) -> list[str]:
    """The model's states the map cannot show (outside both panels), by name."""
    shown = shown_codes()
    return [state_name(model, a.iso3) for a in model.agents if a.iso3 not in shown]


def map_figure(model) -> Figure:
    """The map of the model's states today: allies by commitment, non-allies
    (the scenario's stance holders) by stance and hatched, the theatres
    hatched, the attacked states outlined; other countries pale. Names on
    the states large enough to hold them (the table's name, or a short
    one); a state too small to see is a dot; a legend in words."""
    states = map_state(model)
    home = home_panels()
    fig = Figure(figsize=(SIZE_PX[0] / DPI, SIZE_PX[1] / DPI), dpi=DPI, facecolor="#ffffff")
    for k, (panel, extent, shapes) in enumerate(projected()):
        ax = fig.add_axes(panel.rect)
        ax.set_xlim(extent[0], extent[2])
        ax.set_ylim(extent[1], extent[3])
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_facecolor(SEA)
        for side in ax.spines.values():
            side.set_edgecolor("#888888")
        scale = _scale(panel, extent)
        others = [r for sh in shapes if sh.iso3 not in states for r in sh.rings]
        ax.add_collection(PolyCollection(others, facecolors=OTHER_LAND, edgecolors=OTHER_EDGE, linewidths=0.5))
        ours = [(sh, states[sh.iso3]) for sh in shapes if sh.iso3 in states]
        groups = (([x for x in ours if not (x[1]["non_ally"] or x[1]["host"])], None),
                  ([x for x in ours if x[1]["non_ally"]], "//"),
                  ([x for x in ours if x[1]["host"] and not x[1]["non_ally"]], "xx"))
        for group, hatch in groups:
            rings = [r for sh, _ in group for r in sh.rings]
            colours = [st["colour"] for sh, st in group for _ in sh.rings]
            if rings:
                ax.add_collection(PolyCollection(rings, facecolors=colours, edgecolors="#444444", linewidths=0.6,
                                                 hatch=hatch))
        attacked = [r for sh, st in ours if st["attacked"] for r in sh.rings]
        if attacked:
            ax.add_collection(PolyCollection(attacked, facecolors="none", edgecolors=ATTACKED_EDGE, linewidths=3.0,
                                             zorder=3))
        _names(ax, [(sh, st) for sh, st in ours if home.get(sh.iso3) == k], scale, extent,
               set(getattr(model, "players", ()) or ()))
        if k == 0:
            shown = shown_codes()
            far = [f"{st['name']} ({st['words']})" for code, st in states.items() if code not in shown]
            ax.text(0.01, 0.99, f"{model.config.date_of(model.day):%d %b %Y}, day {model.day}", transform=ax.transAxes,
                    ha="left", va="top", fontsize=px_to_pt(LEGEND_PX), fontweight="bold", zorder=6,
                    bbox={"facecolor": "#ffffff", "edgecolor": "none", "alpha": 0.85, "pad": 2})
            if far:
                ax.text(0.01, 0.01, "Not on the map:\n" + "\n".join(far), transform=ax.transAxes, ha="left",
                        va="bottom", fontsize=px_to_pt(LEGEND_PX), zorder=6, gid="off-map",
                        bbox={"facecolor": "#ffffff", "edgecolor": "#888888", "alpha": 0.9, "pad": 3})
    _legend(fig, model, states)
    return fig


def _box(x, y, text: str, scale: float, ha: str = "center") -> tuple[float, float, float, float]:
    w, h = text_width(text) / scale, FONT_PX * 1.15 / scale
    left = {"left": x, "right": x - w, "center": x - w / 2}[ha]
    return left, y - h / 2, left + w, y + h / 2


def _inside(box, extent) -> bool:
    return box[0] >= extent[0] and box[1] >= extent[1] and box[2] <= extent[2] and box[3] <= extent[3]


def _label(ax, x, y, text: str, colour: str, ha: str, code) -> None:
    ax.text(x, y, text, ha=ha, va="center", fontsize=px_to_pt(FONT_PX), color=colour, fontweight="bold", zorder=6,
            gid=f"label-{code}",
            path_effects=[pe.withStroke(linewidth=2.5, foreground="#000000" if colour == "#ffffff" else "#ffffff")])


def _crosses(a, b, boxes) -> bool:
    """Whether the segment a-b passes through one of the boxes (sampled)."""
    t = np.linspace(0.0, 1.0, 12)[:, None]
    pts = np.asarray(a) + t * (np.asarray(b) - np.asarray(a))
    return any(((pts[:, 0] > bx[0]) & (pts[:, 0] < bx[2]) & (pts[:, 1] > bx[1]) & (pts[:, 1] < bx[3])).any()
               for bx in boxes)


def _names(ax, ours, scale: float, extent, players: set) -> None:
    """The states' names: on the state where the name fits (largest states
    first; a short name when the table's is too long); for a state too small
    for its name that takes part (a commitment, a stance, a theatre, attacked
    or played), beside it with a leader line, where no other name is.
    Others keep no name; a state too small to see is also a dot."""
    placed = []
    pending = []
    for sh, st in sorted(ours, key=lambda x: -x[0].visible_area):
        w = (sh.box[2] - sh.box[0]) * scale
        h = (sh.box[3] - sh.box[1]) * scale
        if w < 8 and h < 8:
            ax.plot(*sh.anchor, marker="o", ms=10, mfc=st["colour"], zorder=4,
                    mec=ATTACKED_EDGE if st["attacked"] else "#222222", mew=2.0 if st["attacked"] else 1.0)
        texts = list(dict.fromkeys([st["name"], sh.short or st["name"]]))
        for text in texts:
            box = _box(*sh.anchor, text, scale)
            if _label_fits(sh, text, scale) and not _overlaps(box, placed) and _inside(box, extent):
                placed.append(box)
                _label(ax, *sh.anchor, text, _text_colour(st["colour"]), "center", sh.iso3)
                break
        else:
            takes_part = (st["level"] != "none" or st["non_ally"] or st["host"] or st["attacked"]
                          or sh.iso3 in players)
            if takes_part:
                pending.append((sh, st, texts[-1]))
    if not pending:
        return
    # Leader lines point away from the crowd (the mean of the names' states).
    cx = float(np.mean([sh.anchor[0] for sh, _ in ours]))
    cy = float(np.mean([sh.anchor[1] for sh, _ in ours]))
    rank = {lv: i for i, lv in enumerate(LEVELS)}
    pending.sort(key=lambda p: (not p[1]["attacked"], not p[1]["non_ally"], -rank.get(p[1]["level"], 0)))
    # No name may cover another state's centre (a dot, or a state it would
    # seem to name).
    for sh, st, text in pending:
        dots = [(o.anchor[0] - 7 / scale, o.anchor[1] - 7 / scale, o.anchor[0] + 7 / scale, o.anchor[1] + 7 / scale)
                for o, _ in ours if o is not sh]
        x, y = sh.anchor
        out = np.arctan2(y - cy, x - cx)
        angles = sorted(np.radians(np.arange(0, 360, 30)), key=lambda a: abs(np.angle(np.exp(1j * (a - out)))))
        for radius in (22, 34, 48, 64, 82, 100):
            done = False
            for a in angles:
                dx, dy = np.cos(a), np.sin(a)
                ha = "left" if dx > 0.35 else "right" if dx < -0.35 else "center"
                lx, ly = x + dx * radius / scale, y + dy * radius / scale
                box = _box(lx, ly, text, scale, ha)
                if (_inside(box, extent) and not _overlaps(box, placed) and not _overlaps(box, dots)
                        and not _crosses((x, y), (lx, ly), placed)):
                    placed.append(box)
                    ax.plot([x, lx], [y, ly], color="#222222", lw=1.6, zorder=5)
                    _label(ax, lx, ly, text, "#000000", ha, sh.iso3)
                    done = True
                    break
            if done:
                break


def _legend(fig: Figure, model, states: dict) -> None:
    """The legend in words, under the North America panel: the commitment
    levels (and, with non-allies, the stances), the theatres, the attacked."""
    handles = [Patch(facecolor=LEVEL_COLOURS[lv], edgecolor="#444444", label=level_words(model.config, lv))
               for lv in reversed(LEVELS)]
    if any(st["non_ally"] for st in states.values()):
        handles += [Patch(facecolor=STANCE_COLOURS[s], edgecolor="#444444", hatch="//",
                          label=f"non-ally: {STANCE_WORDS[s]}") for s in reversed(STANCES)]
    hosts = [st["name"] for st in states.values() if st["host"]]
    if hosts:
        handles.append(Patch(facecolor="#ffffff", edgecolor="#444444", hatch="xx",
                             label="theatre: " + ", ".join(hosts)))
    handles.append(Patch(facecolor="none", edgecolor=ATTACKED_EDGE, linewidth=2.5, label="attacked"))
    handles.append(Patch(facecolor=OTHER_LAND, edgecolor=OTHER_EDGE, label="not in the scenario"))
    top = PANELS[1].rect[1] - 0.01
    fig.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, top), fontsize=px_to_pt(LEGEND_PX),
               frameon=False, handlelength=1.3, handleheight=0.8, labelspacing=0.12, borderaxespad=0.1,
               handletextpad=0.4, borderpad=0.1)
