"""PyQGIS check of out/: every layer opens in QGIS as users open it (see bench/qgis-check.sh).

Usage: qgis_check.py OUT_DIR. One line per file; exit 1 when any check fails.
"""
import glob
import json
import os
import shutil
import tempfile
import sys

from qgis.core import (
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsCoordinateReferenceSystem,
    QgsRasterLayer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QVariant

out = sys.argv[1] if len(sys.argv) > 1 else "out"
start = os.getcwd()
app = QgsApplication([], False)
app.initQgis()
failures = 0


def report(ok, path, msg):
    global failures
    if not ok:
        failures += 1
    print(f"{'ok  ' if ok else 'FAIL'} {path}: {msg}")


DATE_TYPES = {QVariant.Date: "Date", QVariant.DateTime: "DateTime"}

for path in sorted(glob.glob(os.path.join(out, "*.geojson"))):
    name = os.path.splitext(os.path.basename(path))[0]
    try:
        with open(path, encoding="utf-8") as f:
            expected = len(json.load(f).get("features", []))
    except (OSError, ValueError) as e:
        report(False, path, f"not JSON: {e}")
        continue
    layer = QgsVectorLayer(path, name, "ogr")
    if not layer.isValid():
        report(False, path, "QgsVectorLayer is not valid")
        continue
    problems = []
    count = layer.featureCount()
    if expected > 0 and count <= 0:
        problems.append(f"{count} features, file has {expected}")
    if count != expected:
        problems.append(f"QGIS counts {count} features, file has {expected}")
    authid = layer.crs().authid()
    if authid != "EPSG:4326":
        problems.append(f"CRS {authid!r}, expected EPSG:4326")
    detail = f"{count} features, {authid}"
    if name == "events":
        types = []
        for field in ("date_start", "date_end"):
            idx = layer.fields().indexOf(field)
            if idx < 0:
                problems.append(f"no field {field}")
                continue
            fld = layer.fields().at(idx)
            types.append(f"{field}={fld.typeName()}")
            if fld.type() not in DATE_TYPES:
                problems.append(f"{field} is {fld.typeName()} (QVariant type {fld.type()}), not a date type")
        detail += ", " + ", ".join(types)
        qml = os.path.join(out, "events.qml")
        msg, loaded = layer.loadNamedStyle(qml)
        renderer = layer.renderer()
        if not loaded:
            problems.append(f"loadNamedStyle({qml}) returned False: {msg}")
        elif not isinstance(renderer, QgsCategorizedSymbolRenderer):
            problems.append(f"{qml}: renderer is {renderer.type()}, not categorized")
        elif renderer.classAttribute() != "event_type":
            problems.append(f"{qml}: categorized by {renderer.classAttribute()!r}, not event_type")
        else:
            detail += f", style {os.path.basename(qml)}: categorized by event_type ({len(renderer.categories())} categories)"
    report(not problems, path, "; ".join(problems) if problems else detail)

out = os.path.abspath(out)
rasters = sorted(glob.glob(os.path.join(out, "maps", "*.png")))
mbtiles = os.path.join(out, "tiles.mbtiles")
if os.path.exists(mbtiles):
    rasters.append(mbtiles)
if not glob.glob(os.path.join(out, "maps", "*.png")):
    report(False, os.path.relpath(os.path.join(out, "maps"), start), "no map sheet (*.png)")
# GDAL writes statistics into a raster's .aux.xml when QGIS opens it (and GDAL_PAM_ENABLED=NO would stop it
# reading the CRS from there too): open byte-identical copies, with their sidecars, so out/ stays untouched.
scratch = tempfile.mkdtemp(prefix="qgis-check-")
# GDAL also writes sidecars for MBTiles zoom levels (" - zoom_level=4.aux.xml") into the current directory.
os.chdir(scratch)
for path in rasters:
    copy = os.path.join(scratch, os.path.basename(path))
    for sidecar in ("", ".aux.xml"):
        if os.path.exists(path + sidecar):
            shutil.copyfile(path + sidecar, copy + sidecar)
    world = os.path.splitext(path)[0] + ".pgw"
    if os.path.exists(world):
        shutil.copyfile(world, os.path.splitext(copy)[0] + ".pgw")
    layer = QgsRasterLayer(copy, os.path.basename(path), "gdal")
    if not layer.isValid():
        report(False, os.path.relpath(path, start), "QgsRasterLayer is not valid")
        continue
    ext = layer.extent()
    authid = layer.crs().authid()
    problems = []
    if ext.isEmpty() or ext.width() <= 0 or ext.height() <= 0:
        problems.append(f"empty extent {ext.toString()}")
    if authid != "EPSG:3857":
        problems.append(f"CRS {authid!r}, expected EPSG:3857")
    # Not the pixel grid (0,0)-(w,-h) GDAL falls back to when the sidecars are not read.
    if abs(ext.xMinimum()) < 1 and abs(ext.yMaximum()) < 1:
        problems.append(f"extent {ext.toString()} is the pixel grid: georeferencing not read")
    detail = f"{layer.width()}x{layer.height()} px, {authid}, extent {ext.toString(0)}"
    report(not problems, os.path.relpath(path, start), "; ".join(problems) if problems else detail)

print(f"qgis-check: {failures} failures", flush=True)
# Layers still referenced from Python when exitQgis() tears the providers down make QGIS 3.22 segfault on
# exit; drop them first.
layer = renderer = None
app.exitQgis()
shutil.rmtree(scratch, ignore_errors=True)
sys.exit(1 if failures else 0)
