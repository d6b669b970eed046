#!/usr/bin/env bash
# Conformance: the tools users use must accept everything frontmap writes.
# Installs what it needs (we are root in CI); never skips a check silently.
# Usage: bench/conformance.sh [OUT_DIR]   (default: out/, rebuilt first with the README's main command)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-out}

# need CMD PACKAGE: install the Debian package when the command is missing.
need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  [ -n "${APT_UPDATED:-}" ] || { apt-get update -qq; APT_UPDATED=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
}
need ogrinfo gdal-bin
need pip3 python3-pip
need npm npm
TOOLS=${FRONTMAP_TOOLS:-.cache/conformance}
mkdir -p "$TOOLS"
python3 -c "import shapely" 2>/dev/null || pip install -q --target "$TOOLS/py" shapely==2.1.2
export PYTHONPATH="$TOOLS/py:${PYTHONPATH:-}"
[ -x "$TOOLS/npm/node_modules/.bin/geojsonhint" ] || npm install --silent --prefix "$TOOLS/npm" @mapbox/geojsonhint@2.2.0 >/dev/null

fail=0
echo "== GeoJSON layers"
for f in "$OUT"/*.geojson; do
  [ -e "$f" ] || continue
  if ! ogrinfo -ro -al -so "$f" >/tmp/ogrinfo.$$ 2>&1 || grep -qi "error" /tmp/ogrinfo.$$; then
    echo "FAIL ogrinfo $f"; cat /tmp/ogrinfo.$$; fail=1
  else
    echo "ok   ogrinfo $f ($(grep -m1 'Geometry:' /tmp/ogrinfo.$$ | sed 's/Geometry: //'), $(grep -m1 'Feature Count' /tmp/ogrinfo.$$))"
  fi
  if ! "$TOOLS/npm/node_modules/.bin/geojsonhint" "$f"; then echo "FAIL geojsonhint $f"; fail=1; else echo "ok   geojsonhint $f"; fi
done
python3 bench/check_geojson.py "$OUT"/*.geojson || fail=1

echo "== Map sheets: GDAL reads EPSG:3857 and the right corners (issue 5)"
# The sheets are rendered by `frontmap build` into $OUT/maps; render them here when the build has not.
if ! ls "$OUT"/maps/*.png >/dev/null 2>&1; then
  cargo run --release -q -- render --out "$OUT/maps"
fi
need gdalinfo gdal-bin
python3 -c "import pyproj" 2>/dev/null || pip install -q --target "$TOOLS/py" pyproj==3.7.2
python3 - "$OUT/maps" styles/maps.toml <<'PY' || fail=1
# For every sheet of maps.toml: gdalinfo must see EPSG:3857, square pixels, and corner coordinates equal
# to the sheet's extent fitted to its size (computed here independently with pyproj), within half a pixel.
import json, subprocess, sys, tomllib, xml.etree.ElementTree as ET
from pathlib import Path
from pyproj import Transformer
maps, toml_path = Path(sys.argv[1]), Path(sys.argv[2])
cfg = tomllib.loads(toml_path.read_text())
to3857 = Transformer.from_crs(4326, 3857, always_xy=True)
bad = 0
for sheet in cfg["sheet"]:
    name = sheet["name"]
    png = maps / f"{name}.png"
    if not png.exists():
        print(f"FAIL {png}: missing"); bad = 1; continue
    info = json.loads(subprocess.run(["gdalinfo", "-json", str(png)], check=True, capture_output=True, text=True).stdout)
    wkt = info.get("coordinateSystem", {}).get("wkt", "")
    if 'ID["EPSG",3857]' not in wkt:
        print(f"FAIL {png}: SRS is not EPSG:3857: {wkt[:80]}"); bad = 1; continue
    w, h = info["size"]
    gt = info["geoTransform"]
    res = gt[1]
    if abs(gt[5] + res) > 1e-6 * res or gt[2] != 0 or gt[4] != 0:
        print(f"FAIL {png}: pixels not square/north-up: {gt}"); bad = 1; continue
    # The georeferenced map area: the whole image, or for small multiples the first panel.
    md = ET.parse(str(png) + ".aux.xml").getroot().findall(".//MDI")
    meta = {m.get("key"): m.text for m in md}
    if "frontmap:panel_px" in meta:
        px, py, pw, ph = (float(v) for v in meta["frontmap:panel_px"].split(","))
    else:
        px, py, pw, ph = 0.0, 0.0, float(w), float(h)
    ul = (gt[0] + px * res, gt[3] - py * res)
    lr = (ul[0] + pw * res, ul[1] - ph * res)
    west, south, east, north = sheet["bbox"]
    x0, y0 = to3857.transform(west, south)
    x1, y1 = to3857.transform(east, north)
    r = max((x1 - x0) / pw, (y1 - y0) / ph)
    cx, cy = (x0 + x1) / 2, (y1 + y0) / 2
    want_ul, want_lr = (cx - r * pw / 2, cy + r * ph / 2), (cx + r * pw / 2, cy - r * ph / 2)
    err = max(abs(a - b) for a, b in zip(ul + lr, want_ul + want_lr)) / res
    corners = info["cornerCoordinates"]
    if err > 0.5 or abs(r - res) / res > 1e-6:
        print(f"FAIL {png}: corners {ul} {lr}, want {want_ul} {want_lr} ({err:.2f} px off)"); bad = 1
    else:
        print(f"ok   gdalinfo {png}: EPSG:3857, {w}x{h}, {res:.2f} m/px, upperLeft {corners['upperLeft']}, lowerRight {corners['lowerRight']} ({err:.3f} px)")
sys.exit(bad)
PY
echo "== claims.json (issue 4): every claim checked or says why not, quotes verbatim at their offsets"
python3 - "$OUT/claims.json" articles <<'PY' || fail=1
import json, re, sys
from pathlib import Path
path, articles = Path(sys.argv[1]), Path(sys.argv[2])
if not path.exists():
    print(f"FAIL {path}: missing"); sys.exit(1)
text = path.read_text(encoding="utf-8")
doc = json.loads(text)
bad = 0
def fail(msg):
    global bad
    bad += 1
    print("FAIL", msg)
if any(len(d) > 6 for d in re.findall(r"(?<![\w.])-?\d+\.(\d+)(?![\d.])", re.sub(r'"(?:[^"\\]|\\.)*"', '""', text))):
    fail(f"{path}: a number with more than 6 decimals")
ids = set()
for c in doc.get("claims", []):
    cid = c.get("id")
    if cid in ids: fail(f"{path}: duplicate id {cid}")
    ids.add(cid)
    for k in ("quote", "stated", "computed", "unit", "ok", "note", "sources"):
        if k not in c: fail(f"{path}: {cid}: no {k}")
    if c.get("ok") not in (True, False, None): fail(f"{path}: {cid}: ok is {c.get('ok')!r}")
    if c.get("ok") is None and c.get("computed") is not None: fail(f"{path}: {cid}: computed but not judged")
    if c.get("computed") is None and not c.get("note"): fail(f"{path}: {cid}: no value and no reason")
    for s in c.get("sources", []):
        raw = (articles / s["article"]).read_bytes()
        q = s["quote"].encode("utf-8")
        if raw[s["start"]:s["start"] + len(q)] != q: fail(f"{path}: {cid}: quote not at byte {s['start']} of {s['article']}")
summ = doc.get("summary", {})
n = len(doc.get("claims", []))
if summ.get("total") != n: fail(f"{path}: summary total {summ.get('total')} != {n}")
print(("ok  " if not bad else "..  ") + f" claims {path}: {n} claims, {summ.get('ok')} ok, {summ.get('failed')} failed, {summ.get('unchecked')} unchecked")
sys.exit(1 if bad else 0)
PY
echo "== Tiles, MBTiles, PMTiles (issue 6): GDAL reads the MBTiles with the right bounds; both hold exactly the directory's tiles"
# Tiles are not committed (.gitignore): make them with the default pyramid when the build has not.
if [ ! -f "$OUT/tiles.mbtiles" ] || [ ! -f "$OUT/tiles.pmtiles" ] || [ ! -d "$OUT/tiles" ]; then
  cargo run --release -q -- tiles --out "$OUT"
fi
python3 -c "import mercantile" 2>/dev/null || pip install -q --target "$TOOLS/py" mercantile==1.2.1
python3 -c "import PIL" 2>/dev/null || pip install -q --target "$TOOLS/py" pillow==13.0.0
python3 - "$OUT" styles/maps.toml <<'PY' || fail=1
# Independent of frontmap's code: the expected bounds are the union of the sheets of maps.toml (the default
# pyramid covers the theatre to z10 and the other sheets to z13), projected with pyproj; tile addresses
# come from mercantile; images are decoded with Pillow; the MBTiles file is read with Python's sqlite3.
import hashlib, json, sqlite3, subprocess, sys, tomllib
from pathlib import Path
import mercantile
from PIL import Image
from pyproj import Transformer
out, toml_path = Path(sys.argv[1]), Path(sys.argv[2])
mb, tiles_dir = out / "tiles.mbtiles", out / "tiles"
bad = 0
def fail(msg):
    global bad
    bad = 1
    print("FAIL", msg)
sheets = tomllib.loads(toml_path.read_text())["sheet"]
w = min(s["bbox"][0] for s in sheets); s_ = min(s["bbox"][1] for s in sheets)
e = max(s["bbox"][2] for s in sheets); n = max(s["bbox"][3] for s in sheets)
info = json.loads(subprocess.run(["gdalinfo", "-json", str(mb)], check=True, capture_output=True, text=True).stdout)
if info.get("driverShortName") != "MBTiles":
    fail(f"{mb}: GDAL driver {info.get('driverShortName')}")
if 'ID["EPSG",3857]' not in info.get("coordinateSystem", {}).get("wkt", ""):
    fail(f"{mb}: SRS is not EPSG:3857")
md = info.get("metadata", {}).get("", {})
for k in ("name", "format", "bounds", "center", "minzoom", "maxzoom", "attribution", "type"):
    if k not in md: fail(f"{mb}: metadata {k} missing")
if md.get("format") != "png": fail(f"{mb}: format {md.get('format')}")
got_bounds = [float(v) for v in md.get("bounds", "0,0,0,0").split(",")]
if max(abs(a - b) for a, b in zip(got_bounds, (w, s_, e, n))) > 1e-6:
    fail(f"{mb}: bounds {got_bounds}, maps.toml says {[w, s_, e, n]}")
to3857 = Transformer.from_crs(4326, 3857, always_xy=True)
x0, y0 = to3857.transform(w, s_)
x1, y1 = to3857.transform(e, n)
gt = info["geoTransform"]
px = gt[1]
cw, ch = info["size"]
ul, lr = (gt[0], gt[3]), (gt[0] + cw * px, gt[3] + ch * gt[5])
err = max(abs(ul[0] - x0), abs(ul[1] - y1), abs(lr[0] - x1), abs(lr[1] - y0)) / px
if err > 1.0:
    fail(f"{mb}: GDAL extent {ul} {lr} is {err:.2f} px from the projected bounds {(x0, y1)} {(x1, y0)}")
else:
    print(f"ok   gdalinfo {mb}: MBTiles, EPSG:3857, {cw}x{ch} at z{md.get('maxzoom')} ({px:.3f} m/px), "
          f"corners within {err:.2f} px of bounds {got_bounds}, {len(info['bands'][0].get('overviews', []))} overviews")
db = sqlite3.connect(f"file:{mb}?mode=ro", uri=True)
rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").fetchall()
images = db.execute("SELECT COUNT(*) FROM images").fetchone()[0]
files = {p.relative_to(tiles_dir).as_posix(): p for p in tiles_dir.rglob("*.png")}
if len(rows) != len(files):
    fail(f"{mb}: {len(rows)} tiles, the directory has {len(files)} non-empty tiles")
mismatch = 0
for z, x, row, data in rows:
    rel = f"{z}/{x}/{(1 << z) - 1 - row}.png"  # TMS row -> XYZ row
    p = files.get(rel)
    if p is None or hashlib.sha256(p.read_bytes()).digest() != hashlib.sha256(data).digest():
        mismatch += 1
if mismatch:
    fail(f"{mb}: {mismatch} rows differ from (or are missing in) {tiles_dir}")
else:
    print(f"ok   {mb}: {len(rows)} tiles = {len(files)} files in {tiles_dir} (TMS rows flipped, bytes equal), {images} distinct images")
zooms = sorted({r[0] for r in rows})
if zooms[:1] != [0] or zooms[-1:] != [int(md.get("maxzoom", -1))]:
    fail(f"{mb}: zooms {zooms[:1]}…{zooms[-1:]} vs metadata {md.get('minzoom')}–{md.get('maxzoom')}")
# The z10 tile over al-Qaïm (GeoNames: 34.3925 N, 40.9894 E) is drawn: a map, with the Euphrates on it.
t = mercantile.tile(40.9894, 34.3925, 10)
tile = tiles_dir / f"10/{t.x}/{t.y}.png"
if not tile.exists():
    fail(f"{tile}: the z10 tile over al-Qaïm is missing")
else:
    im = Image.open(tile).convert("RGB")
    colours = im.getcolors(1 << 16) or []
    river = sum(c for c, (r, g, b) in colours if abs(r - 0x5d) < 12 and abs(g - 0x9f) < 12 and abs(b - 0xd6) < 12)
    ink = sum(c for c, (r, g, b) in colours if r < 60 and g < 60 and b < 60)
    if im.size != (256, 256) or len(colours) < 50 or river < 100 or ink < 100:
        fail(f"{tile}: {im.size}, {len(colours)} colours, {river} river pixels, {ink} label pixels: not drawn")
    else:
        print(f"ok   {tile} (al-Qaïm, z10 {t.x}/{t.y} per mercantile): {len(colours)} colours, {river} river pixels, {ink} label pixels")
sys.exit(bad)
PY
python3 -c "import pmtiles" 2>/dev/null || pip install -q --target "$TOOLS/py" pmtiles==3.4.1
python3 - "$OUT" <<'PY' || fail=1
# The PMTiles archive, read with the reference Python reader (PyPI pmtiles): the same tiles as the directory.
import sys
from pathlib import Path
from pmtiles.reader import MmapSource, Reader, all_tiles
out = Path(sys.argv[1])
path, tiles_dir = out / "tiles.pmtiles", out / "tiles"
with open(path, "rb") as f:
    src = MmapSource(f)
    h = Reader(src).header()
    seen, bad = 0, 0
    for (z, x, y), data in all_tiles(src):
        seen += 1
        p = tiles_dir / f"{z}/{x}/{y}.png"
        bad += (not p.exists()) or p.read_bytes() != data
files = sum(1 for _ in tiles_dir.rglob("*.png"))
if bad or seen != files or h["tile_type"].name != "PNG":
    print(f"FAIL {path}: {seen} tiles ({bad} differ from {tiles_dir}, which has {files}), type {h['tile_type']}"); sys.exit(1)
print(f"ok   {path}: PMTiles v3, {seen} tiles = the directory's, {h['tile_contents_count']} distinct images, "
      f"z{h['min_zoom']}–z{h['max_zoom']}, clustered={h['clustered']}")
PY
rm -f /tmp/ogrinfo.$$
exit $fail
