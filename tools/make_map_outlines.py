"""Cut Natural Earth's country outlines down to what the app's map draws.

Input: ``countries-50m.json`` of the npm package world-atlas 2.0.2 (Natural
Earth 4.1.0 admin-0 countries, 1:50m, as TopoJSON; public domain) and the ISO
3166-1 table of Debian's ``iso-codes`` package (numeric -> alpha-3 codes):

    cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    apt-get install iso-codes
    python tools/make_map_outlines.py /tmp/package/countries-50m.json

What it does (recorded in configs/maps/SOURCES.md):

1. decodes the topology's quantized arcs into longitude/latitude;
2. simplifies each arc once (Douglas-Peucker, ``--tolerance`` degrees), so
   that two neighbours keep one shared border, without gaps;
3. keeps the countries that reach into the region (``--bbox``), clips their
   rings to it, and drops islands smaller than ``--min-area`` square degrees
   (a country always keeps its largest ring, so Malta and Bahrain stay);
4. writes one JSON file: per country its ISO 3166-1 alpha-3 code (none for
   Natural Earth's units without one, such as Kosovo and Northern Cyprus),
   Natural Earth's name and its rings, coordinates rounded to 0.01 degree.

It checks that every state of configs/states/states.csv whose outline reaches
into the region is in the output, and prints the states that lie outside it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sim.app.mapview import clip_ring  # noqa: E402  (the app's own clipping)

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "configs" / "maps" / "countries.json"
STATES = ROOT / "configs" / "states" / "states.csv"
ISO = Path("/usr/share/iso-codes/json/iso_3166-1.json")
# lon_min, lat_min, lon_max, lat_max: all that the two panels of the map can show
BBOX = (-170.0, 0.0, 105.0, 82.0)
# Shorter names for the labels where a state's name is too long for its
# shape on a projector (the project's choice; the map tries the states
# table's name first).
SHORT = {"GBR": "UK", "USA": "US", "ARE": "UAE", "BIH": "Bosnia", "MKD": "N. Macedonia", "CZE": "Czechia",
         "SAU": "Saudi Arabia", "NLD": "Neth.", "BEL": "Belg.", "LUX": "Lux.", "SVK": "Slovakia",
         "SVN": "Slov.", "HRV": "Croatia", "MNE": "Mont.", "ALB": "Alb.", "LTU": "Lith.", "LVA": "Latvia",
         "EST": "Est.", "DNK": "Den.", "MDA": "Mold.", "LBN": "Leb.", "ISR": "Isr.", "JOR": "Jordan",
         "QAT": "Qatar", "SRB": "Serbia", "AUT": "Austria", "HUN": "Hungary"}


def decode_arcs(topology: dict) -> list[np.ndarray]:
    scale = np.asarray(topology["transform"]["scale"])
    translate = np.asarray(topology["transform"]["translate"])
    return [np.cumsum(np.asarray(arc, dtype=float), axis=0) * scale + translate for arc in topology["arcs"]]


def douglas_peucker(points: np.ndarray, tol: float) -> np.ndarray:
    """The points kept by Douglas-Peucker (the ends always)."""
    if len(points) < 3:
        return points
    keep = np.zeros(len(points), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        seg = points[b] - points[a]
        rel = points[a + 1:b] - points[a]
        norm = np.hypot(*seg)
        if norm == 0:
            dist = np.hypot(rel[:, 0], rel[:, 1])
        else:
            dist = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        k = int(np.argmax(dist))
        if dist[k] > tol:
            m = a + 1 + k
            keep[m] = True
            stack += [(a, m), (m, b)]
    return points[keep]


def ring_from(arc_ids: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    parts = []
    for i in arc_ids:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(arc if not parts else arc[1:])
    return np.concatenate(parts)


def area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("topology", type=Path, help="world-atlas 2.0.2 countries-50m.json")
    p.add_argument("--iso", type=Path, default=ISO, help="iso-codes' iso_3166-1.json")
    p.add_argument("--out", type=Path, default=OUT)
    p.add_argument("--tolerance", type=float, default=0.06, help="Douglas-Peucker tolerance, degrees")
    p.add_argument("--min-area", type=float, default=0.08, help="smallest island kept, square degrees")
    p.add_argument("--bbox", type=float, nargs=4, default=BBOX)
    args = p.parse_args(argv)

    topology = json.loads(args.topology.read_text())
    alpha3 = {r["numeric"]: r["alpha_3"] for r in json.loads(args.iso.read_text())["3166-1"]}
    arcs = [douglas_peucker(a, args.tolerance) for a in decode_arcs(topology)]
    x0, y0, x1, y1 = args.bbox
    features = []
    for geom in topology["objects"]["countries"]["geometries"]:
        polygons = geom["arcs"] if geom["type"] == "MultiPolygon" else [geom["arcs"]]
        rings = []
        for polygon in polygons:
            outer = ring_from(polygon[0], arcs)  # holes (polygon[1:]) are lakes or enclaves: not drawn
            lo, hi = outer.min(axis=0), outer.max(axis=0)
            if hi[0] < x0 or lo[0] > x1 or hi[1] < y0 or lo[1] > y1:
                continue
            cut = clip_ring(outer, args.bbox)
            if len(cut) >= 3:
                rings.append(cut)
        if not rings:
            continue
        largest = max(rings, key=area)
        rings = [r for r in rings if r is largest or area(r) >= args.min_area]
        code = alpha3.get(geom.get("id")) if geom.get("id") else None
        feature = {"iso3": code, "name": geom["properties"]["name"]}
        if code in SHORT:
            feature["short"] = SHORT[code]
        feature["rings"] = [np.round(r, 2).tolist() for r in rings]
        features.append(feature)
    features.sort(key=lambda f: (f["iso3"] or "~", f["name"]))
    meta = {
        "source": "Natural Earth 4.1.0, Admin 0 - Countries, 1:50m (public domain), "
                  "as TopoJSON in the npm package world-atlas 2.0.2 (countries-50m.json)",
        "codes": "ISO 3166-1 alpha-3 from the numeric ids, by Debian's iso-codes (iso_3166-1.json)",
        "made_by": "tools/make_map_outlines.py",
        "tolerance_degrees": args.tolerance, "min_island_area_sq_degrees": args.min_area,
        "bbox_lon_lat": list(args.bbox),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"meta": meta, "countries": features}, separators=(",", ":")) + "\n")

    shipped = {f["iso3"] for f in features}
    with open(STATES, newline="") as fh:
        table = [(r["iso3"], r["name"]) for r in csv.DictReader(fh)]
    outside = [f"{name} ({code})" for code, name in table if code not in shipped]
    points = sum(len(r) for f in features for r in f["rings"])
    print(f"{args.out}: {len(features)} countries, {points} points, {args.out.stat().st_size / 1024:.0f} KB")
    print("states of the table outside the region:", ", ".join(outside) or "none")


if __name__ == "__main__":
    main()
