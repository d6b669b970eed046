#!/usr/bin/env python3
"""RFC 7946 checks with shapely: valid geometries, counter-clockwise exterior rings, clockwise holes,
<= 6 decimals, a bbox on the collection, no crs member, unique feature ids."""
import json
import re
import sys

from shapely.geometry import shape
from shapely.geometry.polygon import orient  # noqa: F401  (documented helper for fixes)

bad = 0


def fail(msg):
    global bad
    bad += 1
    print("FAIL", msg)


def rings(geom):
    t = geom["type"]
    if t == "Polygon":
        yield geom["coordinates"]
    elif t == "MultiPolygon":
        yield from geom["coordinates"]
    elif t == "GeometryCollection":
        for g in geom["geometries"]:
            yield from rings(g)


def signed_area(ring):
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in zip(ring, ring[1:])) / 2


for path in sys.argv[1:]:
    text = open(path, encoding="utf-8").read()
    doc = json.loads(text)
    if "crs" in doc:
        fail(f"{path}: has a crs member")
    if "bbox" not in doc and doc.get("features"):
        fail(f"{path}: no bbox")
    for num in re.findall(r"-?\d+\.(\d+)", text):
        if len(num) > 6:
            fail(f"{path}: a number with more than 6 decimals")
            break
    ids = set()
    for i, f in enumerate(doc.get("features", [])):
        fid = f.get("id")
        if fid in ids:
            fail(f"{path}: duplicate id {fid}")
        ids.add(fid)
        g = f.get("geometry")
        if not g:
            continue
        s = shape(g)
        if not s.is_valid:
            from shapely.validation import explain_validity
            fail(f"{path}: feature {fid}: invalid geometry: {explain_validity(s)}")
        for poly in rings(g):
            if signed_area(poly[0]) <= 0:
                fail(f"{path}: feature {fid}: exterior ring not counter-clockwise")
            for hole in poly[1:]:
                if signed_area(hole) >= 0:
                    fail(f"{path}: feature {fid}: hole not clockwise")
    print(("ok  " if not bad else "..  ") + f" shapely {path}: {len(doc.get('features', []))} features")
sys.exit(1 if bad else 0)
