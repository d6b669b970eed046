//! `gazetteer check`: the problems a hand-edited gazetteer acquires.
//!
//! Loading already rejects what cannot be read (bad JSON, coordinates out of range, short GeoNames rows).
//! This finds what loads but is wrong: ids that collide across files, parents that do not exist,
//! children far from their parent, places without a usable name.

use super::place::Kind;
use super::{Gazetteer, GazetteerError, layer};
use std::collections::HashMap;
use std::path::Path;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// One finding of the check.
#[derive(Debug, Clone)]
pub struct Finding {
    pub severity: Severity,
    pub place: String,
    pub msg: String,
}

/// Check a gazetteer directory. Loading errors are returned as `Err`; everything else is a finding.
pub fn check_dir(dir: &Path) -> Result<(Gazetteer, Vec<Finding>), GazetteerError> {
    let g = Gazetteer::load_dir(dir)?;
    let mut findings = Vec::new();
    // Duplicate ids inside one layer file (across files, a later file overriding is the design).
    for file in ["places.geojson", "basemap/countries.geojson", "basemap/provinces.geojson", "basemap/rivers.geojson"] {
        let p = dir.join(file);
        if !p.is_file() {
            continue;
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (i, lp) in layer::read(&p, super::Source::Curated)?.into_iter().enumerate() {
            if let Some(first) = seen.insert(lp.place.id.clone(), i) {
                findings.push(Finding {
                    severity: Severity::Error,
                    place: lp.place.id.clone(),
                    msg: format!("{}: duplicate id (features {first} and {i})", p.display()),
                });
            }
        }
    }
    findings.extend(check_places(&g));
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.place.cmp(&b.place)).then(a.msg.cmp(&b.msg)));
    Ok((g, findings))
}

/// Checks on loaded places.
pub fn check_places(g: &Gazetteer) -> Vec<Finding> {
    let mut out = Vec::new();
    for (i, p) in g.places.iter().enumerate() {
        let mut f = |severity, msg: String| out.push(Finding { severity, place: p.id.clone(), msg });
        if let Some(parent) = &p.parent {
            match g.find(parent) {
                None => f(Severity::Error, format!("parent {parent:?} does not exist")),
                Some(j) if j == i => f(Severity::Error, "is its own parent".into()),
                Some(j) => {
                    if g.ancestors(j).contains(&i) {
                        f(Severity::Error, format!("parent cycle through {parent:?}"));
                    }
                    let parent_place = &g.places[j];
                    let d = crate::geodesy::distance_km(p.point, parent_place.point);
                    let limit = match parent_place.kind {
                        _ if matches!(p.kind, Kind::Dam | Kind::Airport | Kind::Base | Kind::Crossing) => 80.0,
                        Kind::Country => 3000.0,
                        Kind::Province => 600.0,
                        Kind::District | Kind::Region | Kind::Valley => 150.0,
                        _ => 40.0,
                    };
                    if d > limit && p.source == super::Source::Curated {
                        f(Severity::Warning, format!("{d:.0} km from its parent {parent:?}"));
                    }
                }
            }
        }
        if !p.point.x.is_finite() || !p.point.y.is_finite() {
            f(Severity::Error, "no usable coordinate".into());
        }
        if p.source == super::Source::Curated && p.how.is_none() && p.geonames_id.is_none() {
            f(Severity::Warning, "curated place without `how` (how its coordinate was established)".into());
        }
        if crate::text::fold::fold_name(&p.name).is_empty() {
            f(Severity::Error, format!("name {:?} folds to nothing: it can never be matched", p.name));
        }
    }
    out
}
