#!/usr/bin/env bash
# Rendering benchmark (issue 5): frontmap's static sheets against Mapnik (PyPI mapnik 4.3.2), in the same
# run, whole process each, on the same layers at the same size.
#
# Layers: the basemap extracts (gazetteer/basemap/*.geojson) and the synthetic fixture layers of
# tests/fixtures/render/ in place of out/{places,events,fronts,areas}.geojson (the golden-image inputs),
# so runs are comparable whatever state out/ is in. Mapnik's style is written by this script to match
# styles/default.json: same fills, dashed borders and lines, arrows with heads, event dots coloured by
# type, place dots, and halo'd labels for places, countries, provinces, rivers (along the line) and the pocket.
# frontmap additionally draws its furniture (title, legend, scale bar, north arrow, attribution, inset,
# detail box), which Mapnik is not asked to. The timeline sheet is two panels: Mapnik renders both.
# A bench-only sheet `square-2048` (the middle-Euphrates extent at 2048×2048) checks the < 300 ms goal.
#
# Usage: bench/render.sh [RUNS]   (default 5; reports the median wall time of RUNS runs per sheet)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
TOOLS=${FRONTMAP_TOOLS:-.cache/bench}
mkdir -p "$TOOLS"
python3 -c "import sys; sys.path.insert(0, '$TOOLS/py'); import mapnik" 2>/dev/null || pip install -q --target "$TOOLS/py" mapnik==4.3.2
cargo build --release -q
BIN=$PWD/target/release/frontmap

# A work tree whose styles/ holds the real style plus a maps.toml with the bench-only 2048×2048 sheet.
WORK=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
mkdir -p "$WORK/styles" "$WORK/out-frontmap" "$WORK/out-mapnik"
ln -s "$PWD/gazetteer" "$WORK/gazetteer"
ln -s "$PWD/articles" "$WORK/articles"
cp styles/default.json styles/context-places.geojson "$WORK/styles/"
cp styles/maps.toml "$WORK/styles/maps.toml"
cat >>"$WORK/styles/maps.toml" <<'TOML'

[[sheet]]
name = "square-2048"
title = "Bench: the middle Euphrates at 2048 × 2048"
bbox = [39.70, 34.05, 42.20, 35.65]
width = 2048
height = 2048
dates = { areas = "2017-11-03", fronts = ["2017-10-26", "2017-11-03"], events = ["2017-10-26", "2017-11-03"] }
hide = ["provinces-cited"]
TOML
FX=$PWD/tests/fixtures/render
SOURCES=(--source "events=$FX/events.geojson" --source "fronts=$FX/fronts.geojson" --source "areas=$FX/areas.geojson" --source "places=$FX/places.geojson")

cat >"$WORK/mapnik_render.py" <<'PY'
"""Render one sheet of maps.toml with Mapnik: the same layers, extent and size as frontmap."""
import os, sys, tomllib
sys.path.insert(0, sys.argv[4])
import mapnik

name, work, fx = sys.argv[1], sys.argv[2], sys.argv[3]
root = os.path.dirname(os.path.realpath(os.path.join(work, "gazetteer")))
cfg = tomllib.load(open(os.path.join(work, "styles", "maps.toml"), "rb"))
sheet = next(s for s in cfg["sheet"] if s["name"] == name)
W, H = sheet.get("width", cfg["defaults"]["width"]), sheet.get("height", cfg["defaults"]["height"])
panels = sheet.get("panel") or [{"title": "", "dates": {}}]
base = os.path.join(root, "gazetteer", "basemap")
src = {k: os.path.join(base, f"{k}.geojson") for k in ("countries", "provinces", "rivers", "lakes", "borders")}
src.update({k: os.path.join(fx, f"{k}.geojson") for k in ("places", "events", "fronts", "areas")})
src["context"] = os.path.join(work, "styles", "context-places.geojson")
theatre = name == "theatre"

def text(field, size, fill, face="DejaVu Sans Book", halo=1.8, extra=""):
    return (f'<TextSymbolizer face-name="{face}" size="{size}" fill="{fill}" halo-fill="#ffffff" halo-radius="{halo}" '
            f'{extra}>{field}</TextSymbolizer>')

def date_filter(dates, key):
    d = dates.get(key)
    if d is None:
        return ""
    lo, hi = (d, d) if isinstance(d, str) else d
    return f"([date_start] &lt;= '{hi}') and ([date_end] &gt;= '{lo}')"

def both(a, b):
    return " and ".join(f"({x})" for x in (a, b) if x)

def style_xml(dates):
    ev = {"Battles": "#e0301e", "Explosions/Remote violence": "#ff9500", "Strategic developments": "#14a085", "Violence against civilians": "#111111"}
    ev_rules = "".join(
        f'<Rule><Filter>{both(f"[event_type] = {t!r}", date_filter(dates, "events"))}</Filter>'
        f'<MarkersSymbolizer fill="{c}" stroke="#ffffff" stroke-width="1.3" width="11" height="11" allow-overlap="true"/></Rule>'
        for t, c in ev.items())
    actor = [("[actor].match('.*(SDF|FDS|Kurd).*')", "#c98f00"), ("[actor].match('.*(Iraq|Irak|Hachd).*')", "#1f4e9c"), ("[actor].match('.*(Syria|Syrie|r.gime).*')", "#8e2c8e")]
    fd = date_filter(dates, "fronts")
    is_arrow, is_front, is_pocket = "[kind] = 'arrow'", "[kind] = 'front_line'", "[kind] = 'pocket'"
    arrows = "".join(
        f'<Rule><Filter>{both(both(is_arrow, a), fd)}</Filter>'
        f'<LineSymbolizer stroke="#ffffff" stroke-width="12" stroke-linecap="round" stroke-opacity="0.9"/>'
        f'<LineSymbolizer stroke="{c}" stroke-width="7" stroke-linecap="round"/>'
        f'<MarkersSymbolizer file="shape://arrow" placement="vertex-last" fill="{c}" width="22" height="20" allow-overlap="true"/></Rule>'
        for a, c in actor)
    province_fill = ('<Rule><Filter>[id] = \'iq-an\' or [id] = \'iq-ni\' or [id] = \'sy-dy\'</Filter><PolygonSymbolizer fill="#ecdcbc" fill-opacity="0.85"/></Rule>'
                     if theatre else "")
    styles = {
        "countries": '<Rule><Filter>[id] = \'iq\' or [id] = \'sy\'</Filter><PolygonSymbolizer fill="#f6f1e6"/></Rule>'
                     '<Rule><ElseFilter/><PolygonSymbolizer fill="#e8e3d9"/></Rule>',
        "provinces": province_fill + '<Rule><LineSymbolizer stroke="#b4a892" stroke-width="0.9" stroke-dasharray="4,2"/></Rule>',
        "lakes": '<Rule><PolygonSymbolizer fill="#b3d0e6"/><LineSymbolizer stroke="#8fb6d6" stroke-width="1"/></Rule>',
        "areas": f'<Rule><Filter>{both(is_pocket, date_filter(dates, "areas"))}</Filter><PolygonSymbolizer fill="#2b2b2b" fill-opacity="0.2"/>'
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
        # Labels, drawn last, with collision detection.
        "river-labels": '<Rule><Filter>not ([name] = null)</Filter>' + text("[name]", 13, "#2f6da3", "DejaVu Sans Oblique", 1.6, 'placement="line" dy="-10" max-char-angle-delta="25"') + "</Rule>",
        "province-labels": '<Rule><Filter>[country] = \'IQ\' or [country] = \'SY\'</Filter>' + text("[name]", 11, "#9c9384", "DejaVu Sans Oblique", 1.4, 'placement="interior" text-transform="uppercase" character-spacing="1.3" wrap-width="90"') + "</Rule>",
        "country-labels": "<Rule>" + text("[name]", 20 if theatre else 24, "#6e6453", "DejaVu Sans Bold", 1.8, 'placement="interior" text-transform="uppercase" character-spacing="5" wrap-width="120"') + "</Rule>",
        "pocket-labels": f'<Rule><Filter>{both(is_pocket, date_filter(dates, "areas"))}</Filter>' + text("'Dernier carré de l’EI'", 13, "#2b2b2b", "DejaVu Sans Bold Oblique", 1.6, 'placement="interior" wrap-width="90"') + "</Rule>",
        "place-labels": '<Rule><Filter>[kind] = \'city\' or [kind] = \'town\' or [kind] = \'neighbourhood\' or [kind] = \'crossing\' or [kind] = \'airport\'</Filter>'
                        + text("[name]", 14, "#1d1d1d", "DejaVu Sans Bold", 1.8, 'placement-type="simple" placements="E,W,N,S,NE,SE,NW,SW" dx="8" dy="8"') + "</Rule>",
        "context-labels": "<Rule>" + text("[name]", 14, "#222222", "DejaVu Sans Bold", 1.8, 'placement-type="simple" placements="E,W,N,S" dx="8" dy="8"') + "</Rule>",
    }
    layers = [("countries", "countries"), ("provinces", "provinces"), ("lakes", "lakes"), ("areas", "areas"), ("rivers", "rivers"),
              ("borders", "borders"), ("fronts", "fronts"), ("context", "context"), ("places", "places"), ("events", "events"),
              ("river-labels", "rivers"), ("province-labels", "provinces"), ("country-labels", "countries"), ("pocket-labels", "areas"),
              ("context-labels", "context"), ("place-labels", "places")]
    out = ['<Map srs="epsg:3857" background-color="#cfdfea">']
    # filter-mode "first" for fronts: the first matching actor rule wins, like the style's "case".
    mode = {"fronts": ' filter-mode="first"'}
    out += [f'<Style name="{k}"{mode.get(k, "")}>{v}</Style>' for k, v in styles.items()]
    for sty, s in layers:
        out.append(f'<Layer name="{sty}" srs="epsg:4326"><StyleName>{sty}</StyleName>'
                   f'<Datasource><Parameter name="type">geojson</Parameter><Parameter name="file">{src[s]}</Parameter></Datasource></Layer>')
    out.append("</Map>")
    return "".join(out)

mapnik.register_fonts(mapnik.paths.fontscollectionpath)
w, s_, e, n = sheet["bbox"]
proj = mapnik.ProjTransform(mapnik.Projection("epsg:4326"), mapnik.Projection("epsg:3857"))
box = proj.forward(mapnik.Box2d(w, s_, e, n))
pw = W if len(panels) == 1 else (W - 16 * (len(panels) + 1)) // len(panels)
ph = H if len(panels) == 1 else H - 260
for i, p in enumerate(panels):
    dates = dict(sheet.get("dates", {}))
    dates.update(p.get("dates", {}))
    m = mapnik.Map(pw, ph)
    mapnik.load_map_from_string(m, style_xml(dates))
    m.zoom_to_box(box)
    im = mapnik.Image(pw, ph)
    mapnik.render(m, im)
    im.save(os.path.join(work, "out-mapnik", f"{name}-{i + 1}.png"), "png32")
PY

ms() { echo $(( $(date +%s%N) / 1000000 )); }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
SHEETS="al-qaim-offensive middle-euphrates theatre timeline square-2048"
echo "frontmap $(git rev-parse --short HEAD 2>/dev/null || echo '?') vs Mapnik $(python3 -c "import sys; sys.path.insert(0, '$TOOLS/py'); import mapnik; print(mapnik.version_string())"), $(nproc) cores, median of $RUNS runs"
echo
echo "| sheet | size | frontmap (ms) | Mapnik (ms) | Mapnik / frontmap |"
echo "|---|---|---:|---:|---:|"
status=0
for sheet in $SHEETS; do
  f=(); m=()
  for _ in $(seq "$RUNS"); do
    t=$(ms); "$BIN" render --styles "$WORK/styles" --map "$sheet" --out "$WORK/out-frontmap" "${SOURCES[@]}" >/dev/null 2>&1; f+=($(( $(ms) - t )))
    t=$(ms); python3 "$WORK/mapnik_render.py" "$sheet" "$WORK" "$FX" "$TOOLS/py"; m+=($(( $(ms) - t )))
  done
  fm=$(printf '%s\n' "${f[@]}" | median); mm=$(printf '%s\n' "${m[@]}" | median)
  size=$(python3 -c "import struct; d=open('$WORK/out-frontmap/$sheet.png','rb').read(24); print('%d×%d' % struct.unpack('>II', d[16:24]))")
  ratio=$(awk -v a="$mm" -v b="$fm" 'BEGIN { printf "%.2f", a / b }')
  echo "| $sheet | $size | $fm | $mm | ${ratio}× |"
  awk -v a="$mm" -v b="$fm" 'BEGIN { exit !(b < a) }' || { echo "SLOWER than Mapnik on $sheet" >&2; status=1; }
  if [ "$sheet" = square-2048 ] && [ "$fm" -ge 300 ]; then echo "square-2048 took $fm ms (goal < 300 ms)" >&2; status=1; fi
done
exit $status
