//! Helpers shared by the integration tests: the bundled data, the gold fixtures and the scoring rule of
//! `tests/fixtures/README.md` (span overlap + coordinate within the place's tolerance).
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch copy of the bundled inputs (`articles/`, `gazetteer/`, `styles/`) in a fresh temporary
/// directory named after the test; the caller removes it.
pub fn scratch_copy(kind: &str, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("frontmap-{kind}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["articles", "gazetteer", "styles"] {
        copy_dir(&root().join(sub), &dir.join(sub));
    }
    dir
}

/// Copy a directory tree (hidden files excepted).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())).flatten() {
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        }
    }
}

pub fn fixture(name: &str) -> Value {
    let p = root().join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let r = 6371.0088;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let a = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().asin()
}

/// Distance (km) from a point to a polyline given as [[lon, lat], ...], in a local equirectangular frame.
pub fn distance_to_line_km(lat: f64, lon: f64, line: &[Value]) -> f64 {
    let k = lat.to_radians().cos() * 111.195;
    let pts: Vec<(f64, f64)> =
        line.iter().filter_map(|p| Some(((p[0].as_f64()? - lon) * k, (p[1].as_f64()? - lat) * 111.195))).collect();
    let mut best = f64::INFINITY;
    for w in pts.windows(2) {
        let ((ax, ay), (bx, by)) = (w[0], w[1]);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = dx * dx + dy * dy;
        let t = if len2 == 0.0 { 0.0 } else { (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0) };
        best = best.min((ax + t * dx).hypot(ay + t * dy));
    }
    best
}

/// Lines of a gold place: a LineString or a MultiLineString as nested arrays.
pub fn lines(v: &Value) -> Vec<Vec<Value>> {
    let Some(a) = v.as_array() else { return Vec::new() };
    if a.first().and_then(|p| p.get(0)).is_some_and(Value::is_number) {
        vec![a.clone()]
    } else {
        a.iter().filter_map(|l| l.as_array().cloned()).collect()
    }
}

/// Whether (lat, lon) is within the gold place's tolerance (point, alternative points, or line).
pub fn place_ok(place: &Value, lat: f64, lon: f64) -> bool {
    if let (Some(plat), Some(plon), Some(tol)) =
        (place["lat"].as_f64(), place["lon"].as_f64(), place["tolerance_km"].as_f64())
    {
        if haversine_km(lat, lon, plat, plon) <= tol {
            return true;
        }
        if let Some(alts) = place["alt_coords"].as_array() {
            for a in alts {
                if let (Some(alat), Some(alon)) = (a["lat"].as_f64(), a["lon"].as_f64()) {
                    if haversine_km(lat, lon, alat, alon) <= tol {
                        return true;
                    }
                }
            }
        }
    }
    if let Some(tol) = place["line_tolerance_km"].as_f64() {
        let d = lines(&place["line"]).iter().map(|l| distance_to_line_km(lat, lon, l)).fold(f64::INFINITY, f64::min);
        if d <= tol {
            return true;
        }
    }
    false
}

pub fn articles_dir() -> PathBuf {
    root().join("articles")
}

pub fn gazetteer_dir() -> PathBuf {
    root().join("gazetteer")
}

pub fn article_path(name: &str) -> PathBuf {
    articles_dir().join(name)
}

pub fn exists(p: &Path) -> bool {
    p.exists()
}
