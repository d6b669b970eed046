#!/usr/bin/env bash
# Tile benchmark (issue 6): the same XYZ pyramid rendered by `frontmap tiles` and by Mapnik (PyPI mapnik 4.3.2,
# tiles addressed with mercantile, one Map per worker process and `zoom_to_box` per tile), in the same run,
# whole process each (start, load style and layers, render every tile, encode PNG, write the directory).
#
# Pyramid: z0–z12 over the theatre box of styles/maps.toml (35.3,29.2,48.9,37.6) — the issue's goal pyramid,
# 24,387 tiles. Override with ZOOM=0-10 BBOX=W,S,E,N.
# Layers: the basemap extracts and the synthetic fixture layers of tests/fixtures/render/ (as bench/render.sh),
# every layer drawn into the tiles (`--all-layers`, the theatre sheet's dates) so both renderers draw the same
# content: fills, dashed borders and fronts, arrows with heads, event and place dots, halo'd labels. The Mapnik
# style is bench/render.sh's, per tile with a 128-px buffer (Mapnik's usual way to keep labels across tiles).
# Both use every core: rayon in frontmap, one Mapnik process per core. frontmap skips background-only tiles
# and Mapnik writes all; both are timed for the whole plan and rates are planned tiles per second.
#
# Usage: bench/tiles.sh [RUNS]   (default 3: the median of RUNS frontmap runs; MAPNIK_RUNS=1 Mapnik runs, ~5 min each)
# Also times the whole product as `build` makes it (default layers, directory + MBTiles + PMTiles + viewer).
# Fails when frontmap is not ≥ 3× Mapnik's tiles/s, or the whole pyramid takes 10 s or more.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
ZOOM=${ZOOM:-0-12}
BBOX=${BBOX:-35.3,29.2,48.9,37.6}
TOOLS=${FRONTMAP_TOOLS:-.cache/bench}
mkdir -p "$TOOLS"
python3 -c "import sys; sys.path.insert(0, '$TOOLS/py'); import mapnik, mercantile" 2>/dev/null \
  || pip install -q --target "$TOOLS/py" mapnik==4.3.2 mercantile==1.2.1
cargo build --release -q
BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/frontmap

WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && echo "kept $WORK" >&2 || rm -rf "$WORK"' EXIT
FX=$PWD/tests/fixtures/render
SOURCES=(--source "events=$FX/events.geojson" --source "fronts=$FX/fronts.geojson" --source "areas=$FX/areas.geojson" --source "places=$FX/places.geojson")

cat >"$WORK/mapnik_tiles.py" <<'PY'
"""Render an XYZ pyramid with Mapnik: the layers and style of bench/render.sh, one tile at a time."""
import multiprocessing as mp
import os, sys, time
tools, root, fx, outdir, zoom, bbox, workers = sys.argv[1:8]
sys.path.insert(0, tools)
import mapnik, mercantile

z0, z1 = (int(v) for v in zoom.split("-"))
w, s, e, n = (float(v) for v in bbox.split(","))
base = os.path.join(root, "gazetteer", "basemap")
src = {k: os.path.join(base, f"{k}.geojson") for k in ("countries", "provinces", "rivers", "lakes", "borders")}
src.update({k: os.path.join(fx, f"{k}.geojson") for k in ("places", "events", "fronts", "areas")})
src["context"] = os.path.join(root, "styles", "context-places.geojson")
# The theatre sheet's date windows (maps.toml), as frontmap --all-layers uses them.
dates = {"areas": "2017-11-03", "fronts": "2017-11-03", "events": ["2017-10-26", "2017-11-03"]}

def text(field, size, fill, face="DejaVu Sans Book", halo=1.8, extra=""):
    return (f'<TextSymbolizer face-name="{face}" size="{size}" fill="{fill}" halo-fill="#ffffff" halo-radius="{halo}" '
            f'{extra}>{field}</TextSymbolizer>')

def date_filter(key):
    d = dates.get(key)
    if d is None:
        return ""
    lo, hi = (d, d) if isinstance(d, str) else d
    return f"([date_start] &lt;= '{hi}') and ([date_end] &gt;= '{lo}')"

def both(a, b):
    return " and ".join(f"({x})" for x in (a, b) if x)

def style_xml():
    ev = {"Battles": "#e0301e", "Explosions/Remote violence": "#ff9500", "Strategic developments": "#14a085", "Violence against civilians": "#111111"}
    ev_rules = "".join(
        f'<Rule><Filter>{both(f"[event_type] = {t!r}", date_filter("events"))}</Filter>'
        f'<MarkersSymbolizer fill="{c}" stroke="#ffffff" stroke-width="1.3" width="11" height="11" allow-overlap="true"/></Rule>'
        for t, c in ev.items())
    actor = [("[actor].match('.*(SDF|FDS|Kurd).*')", "#c98f00"), ("[actor].match('.*(Iraq|Irak|Hachd).*')", "#1f4e9c"), ("[actor].match('.*(Syria|Syrie|r.gime).*')", "#8e2c8e")]
    fd = date_filter("fronts")
    is_arrow, is_front, is_pocket = "[kind] = 'arrow'", "[kind] = 'front_line'", "[kind] = 'pocket'"
    arrows = "".join(
        f'<Rule><Filter>{both(both(is_arrow, a), fd)}</Filter>'
        f'<LineSymbolizer stroke="#ffffff" stroke-width="12" stroke-linecap="round" stroke-opacity="0.9"/>'
        f'<LineSymbolizer stroke="{c}" stroke-width="7" stroke-linecap="round"/>'
        f'<MarkersSymbolizer file="shape://arrow" placement="vertex-last" fill="{c}" width="22" height="20" allow-overlap="true"/></Rule>'
        for a, c in actor)
    styles = {
        "countries": '<Rule><Filter>[id] = \'iq\' or [id] = \'sy\'</Filter><PolygonSymbolizer fill="#f6f1e6"/></Rule>'
                     '<Rule><ElseFilter/><PolygonSymbolizer fill="#e8e3d9"/></Rule>',
        "provinces": '<Rule><MaxScaleDenominator>1e12</MaxScaleDenominator><MinScaleDenominator>1000000</MinScaleDenominator>'
                     '<Filter>[id] = \'iq-an\' or [id] = \'iq-ni\' or [id] = \'sy-dy\'</Filter><PolygonSymbolizer fill="#ecdcbc" fill-opacity="0.85"/></Rule>'
                     '<Rule><LineSymbolizer stroke="#b4a892" stroke-width="0.9" stroke-dasharray="4,2"/></Rule>',
        "lakes": '<Rule><PolygonSymbolizer fill="#b3d0e6"/><LineSymbolizer stroke="#8fb6d6" stroke-width="1"/></Rule>',
        "areas": f'<Rule><Filter>{both(is_pocket, date_filter("areas"))}</Filter><PolygonSymbolizer fill="#2b2b2b" fill-opacity="0.2"/>'
                 '<LineSymbolizer stroke="#2b2b2b" stroke-width="1.3" stroke-dasharray="4,2.6"/></Rule>',
        "rivers": '<Rule><Filter>not ([name] = null)</Filter><LineSymbolizer stroke="#5d9fd6" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/></Rule>'
                  '<Rule><ElseFilter/><LineSymbolizer stroke="#95bfe0" stroke-width="0.8"/></Rule>',
        "borders": '<Rule><LineSymbolizer stroke="#ffffff" stroke-width="5" stroke-opacity="0.75" stroke-linejoin="round"/>'
                   '<LineSymbolizer stroke="#3c3c3c" stroke-width="1.8" stroke-dasharray="7,2.7,1.8,2.7"/></Rule>',
        "fronts": f'<Rule><Filter>{both(is_front, fd)}</Filter><LineSymbolizer stroke="#c0392b" stroke-width="3" stroke-dasharray="6,3"/></Rule>' + arrows,
        "context": '<Rule><MarkersSymbolizer fill="#333333" stroke="#ffffff" stroke-width="1.5" width="9" height="9" allow-overlap="true"/></Rule>',
        "places": '<Rule><Filter>[kind] = \'city\' or [kind] = \'town\' or [kind] = \'village\' or [kind] = \'neighbourhood\' or [kind] = \'crossing\' or [kind] = \'airport\'</Filter>'
                  '<MarkersSymbolizer fill="#ffffff" stroke="#2a2a2a" stroke-width="1.4" width="9" height="9" allow-overlap="true"/></Rule>',
        "events": ev_rules,
        "river-labels": '<Rule><Filter>not ([name] = null)</Filter>' + text("[name]", 13, "#2f6da3", "DejaVu Sans Oblique", 1.6, 'placement="line" dy="-10" max-char-angle-delta="25"') + "</Rule>",
        "province-labels": '<Rule><Filter>[country] = \'IQ\' or [country] = \'SY\'</Filter>' + text("[name]", 11, "#9c9384", "DejaVu Sans Oblique", 1.4, 'placement="interior" text-transform="uppercase" character-spacing="1.3" wrap-width="90"') + "</Rule>",
        "country-labels": "<Rule>" + text("[name]", 20, "#6e6453", "DejaVu Sans Bold", 1.8, 'placement="interior" text-transform="uppercase" character-spacing="5" wrap-width="120"') + "</Rule>",
        "pocket-labels": f'<Rule><Filter>{both(is_pocket, date_filter("areas"))}</Filter>' + text("'Dernier carré de l’EI'", 13, "#2b2b2b", "DejaVu Sans Bold Oblique", 1.6, 'placement="interior" wrap-width="90"') + "</Rule>",
        "place-labels": '<Rule><Filter>[kind] = \'city\' or [kind] = \'town\' or [kind] = \'neighbourhood\' or [kind] = \'crossing\' or [kind] = \'airport\'</Filter>'
                        + text("[name]", 14, "#1d1d1d", "DejaVu Sans Bold", 1.8, 'placement-type="simple" placements="E,W,N,S,NE,SE,NW,SW" dx="8" dy="8"') + "</Rule>",
        "context-labels": "<Rule>" + text("[name]", 14, "#222222", "DejaVu Sans Bold", 1.8, 'placement-type="simple" placements="E,W,N,S" dx="8" dy="8"') + "</Rule>",
    }
    layers = [("countries", "countries"), ("provinces", "provinces"), ("lakes", "lakes"), ("areas", "areas"), ("rivers", "rivers"),
              ("borders", "borders"), ("fronts", "fronts"), ("context", "context"), ("places", "places"), ("events", "events"),
              ("river-labels", "rivers"), ("province-labels", "provinces"), ("country-labels", "countries"), ("pocket-labels", "areas"),
              ("context-labels", "context"), ("place-labels", "places")]
    out = ['<Map srs="epsg:3857" background-color="#cfdfea" buffer-size="128">']
    mode = {"fronts": ' filter-mode="first"'}
    out += [f'<Style name="{k}"{mode.get(k, "")}>{v}</Style>' for k, v in styles.items()]
    for sty, s_ in layers:
        out.append(f'<Layer name="{sty}" srs="epsg:4326"><StyleName>{sty}</StyleName>'
                   f'<Datasource><Parameter name="type">geojson</Parameter><Parameter name="file">{src[s_]}</Parameter></Datasource></Layer>')
    out.append("</Map>")
    return "".join(out)

def work(tiles):
    mapnik.register_fonts(mapnik.paths.fontscollectionpath)
    m = mapnik.Map(256, 256)
    mapnik.load_map_from_string(m, style_xml())
    for t in tiles:
        b = mercantile.xy_bounds(t)
        m.zoom_to_box(mapnik.Box2d(b.left, b.bottom, b.right, b.top))
        im = mapnik.Image(256, 256)
        mapnik.render(m, im)
        d = os.path.join(outdir, str(t.z), str(t.x))
        os.makedirs(d, exist_ok=True)
        im.save(os.path.join(d, f"{t.y}.png"), "png")
    return len(tiles)

if __name__ == "__main__":
    tiles = list(mercantile.tiles(w, s, e, n, range(z0, z1 + 1)))
    k = int(workers)
    with mp.get_context("fork").Pool(k) as pool:
        done = sum(pool.map(work, [tiles[i::k] for i in range(k)]))
    print(done)
PY

CORES=$(nproc)
MAPNIK_RUNS=${MAPNIK_RUNS:-1}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
echo "frontmap $(git rev-parse --short HEAD 2>/dev/null || echo '?') vs Mapnik $(python3 -c "import sys; sys.path.insert(0, '$TOOLS/py'); import mapnik; print(mapnik.version_string())") + mercantile, $CORES cores (load average $(cut -d' ' -f1-3 /proc/loadavg)), pyramid z$ZOOM over $BBOX"
# Every run writes into a fresh directory: deleting tens of thousands of files just before a run slows the
# next file creations on ext4, which would bias whichever renderer runs next.
f=(); fcpu=(); full=(); m=(); planned=""; mtiles=""; line=""; fullline=""
for i in $(seq "$RUNS"); do
  line=$(/usr/bin/time -f "%e %U %S" -o "$WORK/time" "$BIN" tiles --zoom "$ZOOM" --bbox "$BBOX" --all-layers --no-mbtiles --no-pmtiles --no-viewer \
    --out "$WORK/frontmap-$i" "${SOURCES[@]}" 2>/dev/null)
  read -r wall user sys <"$WORK/time"
  f+=("$wall"); fcpu+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')")
  planned=$(echo "$line" | awk '{print $1}')
  # The whole product as `build` makes it: default layers, the directory, MBTiles, PMTiles and the viewer.
  fullline=$(/usr/bin/time -f "%e %U %S" -o "$WORK/time" "$BIN" tiles --zoom "$ZOOM" --bbox "$BBOX" --out "$WORK/full-$i" "${SOURCES[@]}" 2>/dev/null)
  read -r wall user sys <"$WORK/time"
  full+=("$wall")
done
for i in $(seq "$MAPNIK_RUNS"); do
  /usr/bin/time -f "%e" -o "$WORK/time" python3 "$WORK/mapnik_tiles.py" "$TOOLS/py" "$PWD" "$FX" "$WORK/mapnik-$i" "$ZOOM" "$BBOX" "$CORES" >"$WORK/count"
  mtiles=$(cat "$WORK/count"); m+=("$(cat "$WORK/time")")
done
fs=$(printf '%s\n' "${f[@]}" | median); fc=$(printf '%s\n' "${fcpu[@]}" | median)
ms=$(printf '%s\n' "${m[@]}" | median); fulls=$(printf '%s\n' "${full[@]}" | median)
echo "frontmap (all layers, directory only): $line"
echo "frontmap (default layers, directory + MBTiles + PMTiles + viewer): $fullline"
echo
echo "| renderer | tiles | wall time (s) | tiles/s | runs |"
echo "|---|---:|---:|---:|---:|"
awk -v n="$planned" -v t="$fs" -v c="$fc" -v r="$RUNS" 'BEGIN { printf "| frontmap tiles --all-layers (rayon, CPU %.1f s) | %d | %.2f | %.0f | %d |\n", c, n, t, n / t, r }'
awk -v n="$mtiles" -v t="$ms" -v k="$CORES" -v r="$MAPNIK_RUNS" 'BEGIN { printf "| Mapnik 4.3.2 + mercantile (%d processes) | %d | %.2f | %.0f | %d |\n", k, n, t, n / t, r }'
ratio=$(awk -v a="$planned" -v b="$fs" -v c="$mtiles" -v d="$ms" 'BEGIN { printf "%.2f", (a / b) / (c / d) }')
echo
echo "frontmap / Mapnik tiles/s: ${ratio}×"
echo "the whole pyramid with MBTiles, PMTiles and the viewer (frontmap tiles --zoom $ZOOM --bbox $BBOX): ${fulls} s"
status=0
awk -v r="$ratio" 'BEGIN { exit !(r >= 3) }' || { echo "goal missed: frontmap is ${ratio}× Mapnik (goal ≥ 3×)" >&2; status=1; }
awk -v t="$fulls" 'BEGIN { exit !(t < 10) }' || { echo "goal missed: the pyramid took ${fulls} s (goal < 10 s)" >&2; status=1; }
exit $status
