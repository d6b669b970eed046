//! GeoJSON sources, read once and projected to Web Mercator metres, so every view (a sheet, an inset,
//! a tile) only subtracts an origin and divides by a resolution.

use super::error::RenderError;
use super::mercator::{Bbox, project};
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A projected ring or line.
pub type Ring = Vec<[f64; 2]>;

/// A feature's geometry in projected metres; multi-geometries keep their parts.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Geom {
    Points(Vec<[f64; 2]>),
    Lines(Vec<Ring>),
    /// Each polygon: exterior ring first, then holes.
    Polygons(Vec<Vec<Ring>>),
}

impl Geom {
    /// The MapLibre `geometry-type` of the feature.
    pub fn type_name(&self) -> &'static str {
        match self {
            Geom::Points(_) => "Point",
            Geom::Lines(_) => "LineString",
            Geom::Polygons(_) => "Polygon",
        }
    }
}

/// One feature: properties as in the file, geometry projected, and its projected bounding box.
#[derive(Debug, Clone)]
pub struct Feature {
    pub id: Option<String>,
    pub props: Props,
    pub geom: Geom,
    pub bbox: Bbox,
    /// Digest of the feature as written in the file: what an incremental build compares to know whether
    /// a rendering that read this feature is still valid.
    pub digest: Digest,
}

/// A feature's properties, sorted by key. A layer of 10,000 events holds ten thousand of these, each with
/// the five or so properties its style reads: a sorted slice, not a hash table each (which took three times
/// the memory), of keys and values shared by every feature of the source that has them ([`Interner`]: a
/// category, a date or an actor repeats across thousands of events).
///
/// ```
/// use frontmap::render::source::{Properties, Props};
/// use serde_json::{json, Value};
/// let p: Props = [("kind".to_string(), json!("town")), ("name".to_string(), json!("Rawa"))].into_iter().collect();
/// assert_eq!(p.property("name"), Some(&json!("Rawa")));
/// assert_eq!(p.property("population"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Props(Box<[(Arc<str>, Arc<Value>)]>);

impl Props {
    /// The properties in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (&**k, &**v))
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Properties from `(key, value)` pairs, their keys and values shared through `interner`. A key given
    /// twice keeps its last value, as a JSON object does.
    fn interned(pairs: impl IntoIterator<Item = (String, Value)>, interner: &mut Interner) -> Props {
        let mut v: Vec<(Arc<str>, Arc<Value>)> = pairs.into_iter().map(|(k, v)| interner.pair(k, v)).collect();
        v.reverse();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v.dedup_by(|later, first| later.0 == first.0);
        Props(v.into_boxed_slice())
    }
}

impl FromIterator<(String, Value)> for Props {
    /// A key given twice keeps its last value, as a JSON object does.
    fn from_iter<I: IntoIterator<Item = (String, Value)>>(iter: I) -> Props {
        Props::interned(iter, &mut Interner::default())
    }
}

/// The one copy of each property key, and of each string value, among the features of one source.
#[derive(Debug, Default)]
struct Interner {
    keys: HashSet<Arc<str>>,
    strings: HashMap<Box<str>, Arc<Value>>,
}

impl Interner {
    fn pair(&mut self, k: String, v: Value) -> (Arc<str>, Arc<Value>) {
        let key = match self.keys.get(k.as_str()) {
            Some(kept) => kept.clone(),
            None => {
                let kept: Arc<str> = Arc::from(k);
                self.keys.insert(kept.clone());
                kept
            }
        };
        let value = match v {
            Value::String(s) => match self.strings.get(s.as_str()) {
                Some(kept) => kept.clone(),
                None => {
                    let kept = Arc::new(Value::String(s.clone()));
                    self.strings.insert(s.into_boxed_str(), kept.clone());
                    kept
                }
            },
            other => Arc::new(other),
        };
        (key, value)
    }
}

impl serde::Serialize for Props {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// Where a style expression reads a feature's properties: a GeoJSON object as parsed (the viewer) or the
/// renderer's kept [`Props`].
pub trait Properties {
    fn property(&self, key: &str) -> Option<&Value>;
}

impl Properties for Props {
    fn property(&self, key: &str) -> Option<&Value> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(key)).ok().map(|i| &*self.0[i].1)
    }
}

impl Properties for Map<String, Value> {
    fn property(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
}

/// A 128-bit content digest (BLAKE3, truncated).
pub type Digest = [u8; 16];

/// A BLAKE3 hash cut to a [`Digest`] (what every kept item of the renderer is keyed by).
pub fn short(h: blake3::Hash) -> Digest {
    let mut d = [0u8; 16];
    d.copy_from_slice(&h.as_bytes()[..16]);
    d
}

/// The digest of what of a feature can change a drawing: its geometry as written, its id and the
/// properties kept (every property a layer reads, see [`Style::source_properties`]), keys sorted.
///
/// [`Style::source_properties`]: super::style::Style::source_properties
fn digest(geometry: &Value, id: Option<&str>, props: &Props) -> Digest {
    let mut h = blake3::Hasher::new();
    // Writing JSON into a hasher cannot fail; a failure would only make the digest differ (a redraw).
    let _ = serde_json::to_writer(&mut h, geometry);
    h.update(&[0xff]);
    h.update(id.unwrap_or("\u{0}").as_bytes());
    for (k, v) in props.iter() {
        h.update(&[0xff]);
        h.update(k.as_bytes());
        h.update(&[0]);
        let _ = serde_json::to_writer(&mut h, v);
    }
    short(h.finalize())
}

impl Feature {
    /// A property as a string, if it is one.
    pub fn str_prop(&self, key: &str) -> Option<&str> {
        self.props.property(key).and_then(Value::as_str)
    }
}

/// A loaded source.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: String,
    pub path: PathBuf,
    pub features: Vec<Feature>,
    /// False when an optional source's file did not exist (it then has no features).
    pub present: bool,
}

impl Source {
    /// An empty source standing in for a missing optional file.
    pub fn missing(id: &str, path: &Path) -> Source {
        Source { id: id.to_string(), path: path.to_path_buf(), features: Vec::new(), present: false }
    }

    /// Read and project a GeoJSON file (FeatureCollection, Feature or bare geometry), every property kept.
    pub fn load(id: &str, path: &Path) -> Result<Source, RenderError> {
        Source::load_keeping(id, path, None)
    }

    /// Read and project a GeoJSON file keeping only the properties in `keep` (all when `None`): a
    /// FeatureCollection is streamed feature by feature, so neither the file nor its unread properties
    /// (the quotes of ten thousand events) are ever held whole.
    pub fn load_keeping(id: &str, path: &Path, keep: Option<&BTreeSet<String>>) -> Result<Source, RenderError> {
        let open = || std::fs::File::open(path).map(|f| std::io::BufReader::with_capacity(1 << 16, f));
        Source::load_from(id, path, &open, keep)
    }

    /// [`Source::load_keeping`], through a parse kept in `dir` from an earlier run when the file's bytes
    /// (and the properties kept, and the binary) are the same: reference data (the basemap) is read on
    /// every build, and decoding it costs a fraction of parsing its GeoJSON.
    pub fn load_kept(id: &str, path: &Path, keep: &BTreeSet<String>, dir: &Path) -> Result<Source, RenderError> {
        let bytes = std::fs::read(path).map_err(|e| RenderError::Read { path: path.to_path_buf(), source: e })?;
        let mut h = blake3::Hasher::new();
        h.update(KEPT_MAGIC);
        h.update(crate::identity::binary().as_bytes());
        for k in keep {
            h.update(k.as_bytes());
            h.update(&[0]);
        }
        h.update(&bytes);
        let key = h.finalize();
        let name: String = id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
        let file = dir.join(format!("{name}.src"));
        if let Some(features) = read_kept(&file, key.as_bytes()) {
            return Ok(Source { id: id.to_string(), path: path.to_path_buf(), features, present: true });
        }
        // Parsed from the bytes hashed, so the kept parse is of exactly the content its key names.
        let source = Source::load_from(id, path, &|| Ok(&bytes[..]), Some(keep))?;
        write_kept(&file, key.as_bytes(), &source.features);
        Ok(source)
    }

    fn load_from<R: std::io::Read>(
        id: &str,
        path: &Path,
        open: &dyn Fn() -> std::io::Result<R>,
        keep: Option<&BTreeSet<String>>,
    ) -> Result<Source, RenderError> {
        let read_err = |e| RenderError::Read { path: path.to_path_buf(), source: e };
        let mut features = Vec::new();
        let mut first_error: Option<(usize, String)> = None;
        let mut index = 0;
        let mut interner = Interner::default();
        let streamed = stream_features(open, &mut |f| {
            match parse_feature(f, keep, &mut interner) {
                // A copy, made once the feature's JSON is freed: it fills the holes that JSON left rather than
                // pinning pages among them (the events' resident size at 10,000 articles: 10.4 → 7.3 MB).
                Ok(Some(feat)) => features.push(feat.clone()),
                Ok(None) => {}
                Err(m) => {
                    first_error.get_or_insert((index, m));
                }
            }
            index += 1;
        })
        .map_err(read_err)?;
        if !streamed {
            // Another form of GeoJSON, or an error to report precisely: read it whole.
            let text = std::fs::read_to_string(path).map_err(read_err)?;
            return Source::parse_keeping(id, path, &text, keep);
        }
        if let Some((i, msg)) = first_error {
            return Err(RenderError::Source {
                path: path.to_path_buf(),
                source_id: id.to_string(),
                feature: Some(i),
                msg,
            });
        }
        Ok(Source { id: id.to_string(), path: path.to_path_buf(), features, present: true })
    }

    /// Parse GeoJSON text (`path` names it in messages), every property kept.
    pub fn parse(id: &str, path: &Path, text: &str) -> Result<Source, RenderError> {
        Source::parse_keeping(id, path, text, None)
    }

    /// Parse GeoJSON text keeping only the properties in `keep` (all when `None`).
    pub fn parse_keeping(
        id: &str,
        path: &Path,
        text: &str,
        keep: Option<&BTreeSet<String>>,
    ) -> Result<Source, RenderError> {
        let err = |feature: Option<usize>, msg: String| RenderError::Source {
            path: path.to_path_buf(),
            source_id: id.to_string(),
            feature,
            msg,
        };
        let mut root: Value = serde_json::from_str(text).map_err(|e| err(None, format!("not JSON: {e}")))?;
        let mut features = Vec::new();
        let mut interner = Interner::default();
        match root.get("type").and_then(Value::as_str) {
            Some("FeatureCollection") => {
                let list = root
                    .get_mut("features")
                    .and_then(Value::as_array_mut)
                    .map(std::mem::take)
                    .ok_or_else(|| err(None, "\"features\" must be an array".into()))?;
                for (i, f) in list.into_iter().enumerate() {
                    if let Some(feat) = parse_feature(f, keep, &mut interner).map_err(|m| err(Some(i), m))? {
                        features.push(feat);
                    }
                }
            }
            Some("Feature") => features.extend(parse_feature(root, keep, &mut interner).map_err(|m| err(Some(0), m))?),
            Some(_) => {
                if let Some(geom) = parse_geometry(&root).map_err(|m| err(None, m))? {
                    let bbox = geom_bbox(&geom);
                    let digest = digest(&root, None, &Props::default());
                    features.push(Feature { id: None, props: Props::default(), geom, bbox, digest });
                }
            }
            None => return Err(err(None, "not GeoJSON (no \"type\")".into())),
        }
        Ok(Source { id: id.to_string(), path: path.to_path_buf(), features, present: true })
    }
}

/// The first bytes of a kept parse ([`Source::load_kept`]); a new layout gets a new magic.
const KEPT_MAGIC: &[u8] = b"FMSRC01\n";

/// A feature as kept: its properties as JSON text (they are few and small in reference data).
#[derive(serde::Serialize, serde::Deserialize)]
struct KeptFeature {
    id: Option<String>,
    props: String,
    geom: Geom,
    bbox: [f64; 4],
    digest: Digest,
}

/// The features of a kept parse, if `file` holds one under `key`.
fn read_kept(file: &Path, key: &[u8; 32]) -> Option<Vec<Feature>> {
    let bytes = std::fs::read(file).ok()?;
    let body = bytes.strip_prefix(KEPT_MAGIC)?.strip_prefix(&key[..])?;
    let kept: Vec<KeptFeature> = postcard::from_bytes(body).ok()?;
    let mut interner = Interner::default();
    kept.into_iter()
        .map(|k| {
            let pairs = serde_json::from_str::<Map<String, Value>>(&k.props).ok()?;
            let props = Props::interned(pairs, &mut interner);
            let [min_x, min_y, max_x, max_y] = k.bbox;
            Some(Feature { id: k.id, props, geom: k.geom, bbox: Bbox { min_x, min_y, max_x, max_y }, digest: k.digest })
        })
        .collect()
}

/// Keep a parse (a cache that cannot be written only makes the next build slower).
fn write_kept(file: &Path, key: &[u8; 32], features: &[Feature]) {
    let kept: Vec<KeptFeature> = features
        .iter()
        .map(|f| KeptFeature {
            id: f.id.clone(),
            props: serde_json::to_string(&f.props).unwrap_or_default(),
            geom: f.geom.clone(),
            bbox: [f.bbox.min_x, f.bbox.min_y, f.bbox.max_x, f.bbox.max_y],
            digest: f.digest,
        })
        .collect();
    let Ok(body) = postcard::to_stdvec(&kept) else { return };
    let mut bytes = Vec::with_capacity(KEPT_MAGIC.len() + 32 + body.len());
    bytes.extend_from_slice(KEPT_MAGIC);
    bytes.extend_from_slice(key);
    bytes.extend_from_slice(&body);
    if let Some(dir) = file.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let _ = crate::atomic::write(file, &bytes);
}

/// Call `each` with every member of the `"features"` array of a GeoJSON FeatureCollection read from
/// `open()`, one at a time, so a layer of tens of megabytes is never held whole (the renderer and the viewer
/// read the events this way). A first pass checks the shape without keeping anything; `Ok(false)` (and no
/// call to `each`) means the input is not one well-formed FeatureCollection with one `"features"` array:
/// the caller then reads it whole, for its other forms and precise errors.
pub fn stream_features<R: std::io::Read>(
    open: &dyn Fn() -> std::io::Result<R>,
    each: &mut dyn FnMut(Value),
) -> std::io::Result<bool> {
    let pass = |each: Option<&mut dyn FnMut(Value)>| -> Result<(Option<Value>, usize), serde_json::Error> {
        let mut de = serde_json::Deserializer::from_reader(open().map_err(serde_json::Error::io)?);
        let root = RootSeed { each }.deserialize(&mut de)?;
        de.end()?;
        Ok(root)
    };
    match pass(None) {
        Ok((Some(Value::String(kind)), 1)) if kind == "FeatureCollection" => {}
        Ok(_) => return Ok(false),
        Err(e) if e.is_io() => return Err(e.into()),
        Err(_) => return Ok(false),
    }
    match pass(Some(each)) {
        Ok(_) => Ok(true),
        Err(e) if e.is_io() => Err(e.into()),
        Err(e) => Err(std::io::Error::other(format!("the file changed while being read: {e}"))),
    }
}

/// The root object of a GeoJSON text: its `"type"` and how many `"features"` arrays it has, each member of
/// those handed to `each` when given (and skipped unparsed when not).
struct RootSeed<'a> {
    each: Option<&'a mut dyn FnMut(Value)>,
}

impl<'de> DeserializeSeed<'de> for RootSeed<'_> {
    type Value = (Option<Value>, usize);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RootSeed<'_> {
    type Value = (Option<Value>, usize);
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a GeoJSON object")
    }
    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut kind, mut arrays) = (None, 0);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "type" => kind = Some(map.next_value::<Value>()?),
                "features" => {
                    map.next_value_seed(FeaturesSeed { each: self.each.as_deref_mut() })?;
                    arrays += 1;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((kind, arrays))
    }
}

/// The `"features"` array: each member parsed and handed over, or skipped.
struct FeaturesSeed<'a, 'f> {
    each: Option<&'a mut (dyn FnMut(Value) + 'f)>,
}

impl<'de> DeserializeSeed<'de> for FeaturesSeed<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for FeaturesSeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of features")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        match self.each {
            Some(each) => {
                while let Some(v) = seq.next_element::<Value>()? {
                    each(v);
                }
            }
            None => while seq.next_element::<IgnoredAny>()?.is_some() {},
        }
        Ok(())
    }
}

/// A feature, its properties cut down to `keep` (all when `None`); `None` when it has no geometry.
fn parse_feature(
    mut f: Value,
    keep: Option<&BTreeSet<String>>,
    interner: &mut Interner,
) -> Result<Option<Feature>, String> {
    if f.get("type").and_then(Value::as_str) != Some("Feature") {
        return Err("not a Feature".into());
    }
    let all = match f.get_mut("properties").map(Value::take) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o,
        Some(_) => return Err("\"properties\" must be an object or null".into()),
    };
    let id = match f.get("id").or_else(|| all.get("id")) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    // Only the properties the style reads (an event has twenty-odd, a style reads five).
    let props = Props::interned(all.into_iter().filter(|(k, _)| keep.is_none_or(|keep| keep.contains(k))), interner);
    let Some(geometry) = f.get("geometry").filter(|g| !g.is_null()) else { return Ok(None) };
    let Some(geom) = parse_geometry(geometry)? else { return Ok(None) };
    let bbox = geom_bbox(&geom);
    let digest = digest(geometry, id.as_deref(), &props);
    Ok(Some(Feature { id, props, geom, bbox, digest }))
}

fn position(v: &Value) -> Result<[f64; 2], String> {
    let a = v.as_array().ok_or("a position must be an array [lon, lat]")?;
    match (a.first().and_then(Value::as_f64), a.get(1).and_then(Value::as_f64)) {
        (Some(lon), Some(lat)) if lon.is_finite() && lat.is_finite() && (-90.0..=90.0).contains(&lat) => {
            Ok(project(lon, lat))
        }
        _ => Err(format!("bad position {v}")),
    }
}

fn positions(v: &Value) -> Result<Ring, String> {
    v.as_array().ok_or("expected an array of positions")?.iter().map(position).collect()
}

fn rings(v: &Value) -> Result<Vec<Ring>, String> {
    v.as_array().ok_or("expected an array of rings")?.iter().map(positions).collect()
}

/// A geometry, or `None` for an empty one.
fn parse_geometry(g: &Value) -> Result<Option<Geom>, String> {
    let kind = g.get("type").and_then(Value::as_str).ok_or("geometry without \"type\"")?;
    let coords = || g.get("coordinates").ok_or_else(|| format!("{kind} without \"coordinates\""));
    let geom = match kind {
        "Point" => Geom::Points(vec![position(coords()?)?]),
        "MultiPoint" => Geom::Points(positions(coords()?)?),
        "LineString" => Geom::Lines(vec![positions(coords()?)?]),
        "MultiLineString" => Geom::Lines(rings(coords()?)?),
        "Polygon" => Geom::Polygons(vec![rings(coords()?)?]),
        "MultiPolygon" => Geom::Polygons(
            coords()?
                .as_array()
                .ok_or("MultiPolygon coordinates must be an array")?
                .iter()
                .map(rings)
                .collect::<Result<_, _>>()?,
        ),
        "GeometryCollection" => return Err("GeometryCollection is not supported: split it into features".into()),
        other => return Err(format!("unknown geometry type {other:?}")),
    };
    let empty = match &geom {
        Geom::Points(p) => p.is_empty(),
        Geom::Lines(l) => l.iter().all(|r| r.len() < 2),
        Geom::Polygons(p) => p.iter().all(|poly| poly.first().is_none_or(|r| r.len() < 3)),
    };
    Ok(if empty { None } else { Some(geom) })
}

/// The projected bounding box of a geometry.
pub fn geom_bbox(g: &Geom) -> Bbox {
    let mut b = Bbox::empty();
    match g {
        Geom::Points(p) => p.iter().for_each(|q| b.extend(*q)),
        Geom::Lines(l) => l.iter().flatten().for_each(|q| b.extend(*q)),
        Geom::Polygons(p) => p.iter().filter_map(|poly| poly.first()).flatten().for_each(|q| b.extend(*q)),
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &Source, b: &Source) -> bool {
        a.features.len() == b.features.len()
            && a.features.iter().zip(&b.features).all(|(x, y)| {
                x.id == y.id && x.props == y.props && x.geom == y.geom && x.bbox == y.bbox && x.digest == y.digest
            })
    }

    #[test]
    fn a_kept_parse_is_the_parse_and_follows_the_file() {
        let dir = std::env::temp_dir().join(format!("frontmap-kept-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let file = dir.join("lakes.geojson");
        let text = |lon: f64| {
            format!(
                r#"{{"type":"FeatureCollection","features":[
                {{"type":"Feature","id":"a","properties":{{"name":"Lac","kind":"lake","skip":1}},
                  "geometry":{{"type":"Polygon","coordinates":[[[{lon},33],[43.5,33],[43.5,33.5],[{lon},33]]]}}}},
                {{"type":"Feature","properties":{{"name":"Point"}},"geometry":{{"type":"Point","coordinates":[40,35]}}}}]}}"#
            )
        };
        std::fs::write(&file, text(43.0)).unwrap_or_else(|e| panic!("{e}"));
        let keep: BTreeSet<String> = ["name".to_string(), "kind".to_string()].into();
        let kept = dir.join("kept");
        let parse = |_: ()| Source::load_keeping("lakes", &file, Some(&keep)).unwrap_or_else(|e| panic!("{e}"));
        let through = |_: ()| Source::load_kept("lakes", &file, &keep, &kept).unwrap_or_else(|e| panic!("{e}"));
        let first = through(());
        assert!(kept.join("lakes.src").is_file(), "the parse was not kept");
        assert!(same(&first, &parse(())));
        assert!(same(&through(()), &parse(())), "the kept parse differs from the parse");
        // The file changes: the kept parse is not used.
        std::fs::write(&file, text(42.0)).unwrap_or_else(|e| panic!("{e}"));
        assert!(same(&through(()), &parse(())));
        assert!(!same(&first, &parse(())));
        // A damaged kept parse is parsed again.
        let bytes = std::fs::read(kept.join("lakes.src")).unwrap_or_default();
        std::fs::write(kept.join("lakes.src"), &bytes[..bytes.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
        assert!(same(&through(()), &parse(())));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_features_of_a_source_share_their_keys_and_repeated_strings() {
        let text = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","properties":{"category":"air_strike","n":1},"geometry":{"type":"Point","coordinates":[41,34]}},
            {"type":"Feature","properties":{"category":"air_strike","n":1},"geometry":{"type":"Point","coordinates":[42,34]}},
            {"type":"Feature","properties":{"category":"advance"},"geometry":{"type":"Point","coordinates":[43,34]}}]}"#;
        let s = Source::parse("events", Path::new("events.geojson"), text).unwrap_or_else(|e| panic!("{e}"));
        let pair = |f: usize, key: &str| -> (Arc<str>, Arc<Value>) {
            let props = &s.features[f].props.0;
            props.iter().find(|(k, _)| &**k == key).cloned().unwrap_or_else(|| panic!("no {key} in feature {f}"))
        };
        let ((k0, v0), (k1, v1), (k2, v2)) = (pair(0, "category"), pair(1, "category"), pair(2, "category"));
        assert!(Arc::ptr_eq(&k0, &k1) && Arc::ptr_eq(&k0, &k2), "one copy of a key");
        assert!(Arc::ptr_eq(&v0, &v1), "one copy of a repeated string");
        assert!(!Arc::ptr_eq(&v0, &v2) && v2.as_str() == Some("advance"), "another string is another value");
        assert_eq!(s.features[1].props.property("n"), Some(&Value::from(1)), "numbers are kept as they are");
    }
}
