//! What changed between two loads of a gazetteer, in words a person editing `places.geojson` or
//! `aliases.tsv` recognises: "Rawa moved 5.6 km north", "alias \"Rawah\" added to Rawa".
//!
//! Places are matched by id. The comparison indexes the old gazetteer by id once and walks the new one,
//! so it is linear in the number of places (plus one sort of the ids): cheap enough to run after every
//! rebuild of a 60 000-place gazetteer.

use super::{Gazetteer, Place};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;

/// One difference between two gazetteers. A place that changed in several ways gives several changes
/// (a rename, then its aliases, then its move), in that order.
#[derive(Debug, Clone, PartialEq)]
pub enum PlaceChange {
    /// A place with a new id.
    Added { id: String, name: String },
    /// An id that is gone.
    Removed { id: String, name: String },
    /// The display name changed.
    Renamed { id: String, old: String, new: String },
    /// Names other than the display name (language names, aliases, weak aliases) added or removed.
    AliasesChanged { id: String, name: String, added: Vec<String>, removed: Vec<String> },
    /// The point moved and the place has no other geometry (or the same one): geodesic distance from
    /// the old point to the new one, and the compass direction of the move.
    Moved { id: String, name: String, km: f64, direction: &'static str },
    /// The line or area changed (rivers, provinces, borders…).
    Reshaped { id: String, name: String },
    /// Something else changed: the fields, e.g. `["kind", "parent"]`; `"id"` when a curated entry took
    /// over a dataset's place (the old id now redirects to the new one).
    OtherwiseChanged { id: String, name: String, fields: Vec<&'static str> },
}

impl PlaceChange {
    /// The id of the place concerned.
    pub fn id(&self) -> &str {
        match self {
            PlaceChange::Added { id, .. }
            | PlaceChange::Removed { id, .. }
            | PlaceChange::Renamed { id, .. }
            | PlaceChange::AliasesChanged { id, .. }
            | PlaceChange::Moved { id, .. }
            | PlaceChange::Reshaped { id, .. }
            | PlaceChange::OtherwiseChanged { id, .. } => id,
        }
    }
}

/// The eight-point compass word for a bearing in degrees clockwise from north.
pub fn compass(bearing_deg: f64) -> &'static str {
    const WORDS: [&str; 8] = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];
    if !bearing_deg.is_finite() {
        return "north";
    }
    let sector = (bearing_deg.rem_euclid(360.0) / 45.0).round() as usize % 8;
    WORDS[sector]
}

fn quoted(names: &[String]) -> String {
    names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for PlaceChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlaceChange::Added { name, .. } => write!(f, "place {name} added"),
            PlaceChange::Removed { name, .. } => write!(f, "place {name} removed"),
            PlaceChange::Renamed { old, new, .. } => write!(f, "{old} renamed {new}"),
            PlaceChange::AliasesChanged { name, added, removed, .. } => {
                let word = |v: &[String]| if v.len() == 1 { "alias" } else { "aliases" };
                if !added.is_empty() {
                    write!(f, "{} {} added to {name}", word(added), quoted(added))?;
                }
                if !removed.is_empty() {
                    if !added.is_empty() {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} {} removed from {name}", word(removed), quoted(removed))?;
                }
                Ok(())
            }
            PlaceChange::Moved { name, km, direction, .. } => {
                if *km < 0.1 {
                    write!(f, "{name} moved {:.0} m {direction}", km * 1000.0)
                } else {
                    write!(f, "{name} moved {km:.1} km {direction}")
                }
            }
            PlaceChange::Reshaped { name, .. } => write!(f, "{name} reshaped"),
            PlaceChange::OtherwiseChanged { name, fields, .. } => write!(f, "{name}: {} changed", fields.join(", ")),
        }
    }
}

/// Every name of a place but its display name, deduplicated.
fn other_names(p: &Place) -> BTreeSet<&str> {
    p.all_names().chain(p.weak_aliases.iter().map(String::as_str)).filter(|n| *n != p.name).collect()
}

/// The changes of one place present in both gazetteers, appended to `out`.
fn compare(old: &Place, new: &Place, out: &mut Vec<PlaceChange>) {
    let (id, name) = (&new.id, &new.name);
    if old.name != new.name {
        out.push(PlaceChange::Renamed { id: id.clone(), old: old.name.clone(), new: new.name.clone() });
    }
    let mut names_reported = old.name != new.name;
    let (before, after) = (other_names(old), other_names(new));
    if before != after {
        // A rename moves the old display name into the aliases: the rename already says so.
        let added: Vec<String> = after.difference(&before).filter(|n| **n != old.name).map(|n| n.to_string()).collect();
        let removed: Vec<String> =
            before.difference(&after).filter(|n| **n != new.name).map(|n| n.to_string()).collect();
        if !added.is_empty() || !removed.is_empty() {
            out.push(PlaceChange::AliasesChanged { id: id.clone(), name: name.clone(), added, removed });
            names_reported = true;
        }
    }
    let point_moved = old.point != new.point;
    if old.geometry != new.geometry {
        out.push(PlaceChange::Reshaped { id: id.clone(), name: name.clone() });
    } else if point_moved {
        let km = crate::geodesy::distance_km(old.point, new.point);
        if km.is_finite() {
            let direction = compass(crate::geodesy::bearing_deg(old.point, new.point));
            out.push(PlaceChange::Moved { id: id.clone(), name: name.clone(), km, direction });
        } else {
            out.push(PlaceChange::Reshaped { id: id.clone(), name: name.clone() });
        }
    }
    let mut fields = Vec::new();
    for (field, differs) in [
        ("id", old.id != new.id),
        ("kind", old.kind != new.kind),
        ("parent", old.parent != new.parent),
        ("country", old.country != new.country),
        ("population", old.population != new.population),
        ("source", old.source != new.source),
        ("geonames_id", old.geonames_id != new.geonames_id),
        ("admin1", old.admin1 != new.admin1),
        ("feature_code", old.feature_code != new.feature_code),
        ("area_km2", old.area_km2.map(f64::to_bits) != new.area_km2.map(f64::to_bits)),
        ("how", old.how != new.how),
        ("curated_names", {
            let a: BTreeSet<&String> = old.curated_names.iter().collect();
            let b: BTreeSet<&String> = new.curated_names.iter().collect();
            a != b
        }),
    ] {
        if differs {
            fields.push(field);
        }
    }
    // Curated names are aliases someone vouched for: already reported when they add a name.
    if names_reported {
        fields.retain(|f| *f != "curated_names");
    }
    if !fields.is_empty() {
        out.push(PlaceChange::OtherwiseChanged { id: id.clone(), name: name.clone(), fields });
    }
}

/// What changed from `old` to `new`, place by place, sorted by id (and, for one place: rename, names,
/// geometry, other fields).
///
/// ```
/// use frontmap::gazetteer::{Gazetteer, Kind, Place, Source};
/// use frontmap::gazetteer::diff::place_changes;
/// use geo::Coord;
///
/// let rawa = |lat: f64, aliases: &[&str]| Place {
///     id: "rawa".into(), name: "Rawa".into(), name_fr: None, name_en: None, name_ar: None,
///     aliases: aliases.iter().map(|a| a.to_string()).collect(), weak_aliases: vec![], curated_names: vec![],
///     kind: Kind::Town, parent: None, country: Some("IQ".into()), population: 0, source: Source::Curated,
///     geonames_id: None, admin1: None, feature_code: None, point: Coord { x: 41.919, y: lat },
///     geometry: None, area_km2: None, how: None,
/// };
/// let old = Gazetteer::from_places(vec![rawa(34.482, &[])]);
/// let new = Gazetteer::from_places(vec![rawa(34.532, &["Rawah"])]);
/// let lines: Vec<String> = place_changes(&old, &new).iter().map(|c| c.to_string()).collect();
/// assert_eq!(lines, ["alias \"Rawah\" added to Rawa", "Rawa moved 5.5 km north"]);
/// ```
pub fn place_changes(old: &Gazetteer, new: &Gazetteer) -> Vec<PlaceChange> {
    place_changes_of(&old.places, new)
}

/// [`place_changes`] from the old gazetteer's places alone (all it needs of it).
pub fn place_changes_of(old: &[Place], new: &Gazetteer) -> Vec<PlaceChange> {
    let old_ids: HashSet<&str> = old.iter().map(|p| p.id.as_str()).collect();
    let old: Vec<&Place> = old.iter().collect();
    let new_places: Vec<&Place> = new.places.iter().collect();
    changes_among(&old, |id| old_ids.contains(id), &new_places, new)
}

/// The changes from `old` to `new` where only some places may differ: `old` and `new_places` hold every
/// place that is not the same (same id, same content) in both; `old_has` tells whether the whole old
/// gazetteer has an id. Places left out are unchanged, so they would add nothing: a build that knows
/// which places differ (see [`Gazetteer::changes_since_key`]) compares only those.
pub(crate) fn changes_among(
    old: &[&Place],
    old_has: impl Fn(&str) -> bool,
    new_places: &[&Place],
    new: &Gazetteer,
) -> Vec<PlaceChange> {
    let old_by_id: HashMap<&str, &Place> = old.iter().map(|p| (p.id.as_str(), *p)).collect();
    let new_has = |id: &str| new.by_id.contains_key(id);
    // An old id the new gazetteer redirects to a new id (a curated entry took over a GeoNames place):
    // the same place under another id, not a removal and an addition.
    let mut taken_over: HashMap<&str, &Place> = HashMap::new();
    for o in old.iter().filter(|p| !new_has(p.id.as_str())) {
        if let Some(n) = new.find(&o.id).map(|j| &new.places[j]) {
            if !old_has(n.id.as_str()) {
                taken_over.entry(n.id.as_str()).or_insert(o);
            }
        }
    }
    let mut ids: Vec<(&str, Option<&Place>, Option<&Place>)> = new_places
        .iter()
        .map(|p| {
            let id = p.id.as_str();
            (id, old_by_id.get(id).or_else(|| taken_over.get(id)).copied(), Some(*p))
        })
        .collect();
    let paired: HashSet<&str> = taken_over.values().map(|o| o.id.as_str()).collect();
    ids.extend(
        old.iter()
            .filter(|p| !new_has(p.id.as_str()) && !paired.contains(p.id.as_str()))
            .map(|p| (p.id.as_str(), Some(*p), None)),
    );
    ids.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::new();
    for (id, o, n) in ids {
        match (o, n) {
            (Some(o), Some(n)) => compare(o, n, &mut out),
            (None, Some(n)) => out.push(PlaceChange::Added { id: id.to_string(), name: n.name.clone() }),
            (Some(o), None) => out.push(PlaceChange::Removed { id: id.to_string(), name: o.name.clone() }),
            (None, None) => {}
        }
    }
    out
}

/// At most `max` lines for `changes`, then "… and N more" for the rest.
///
/// ```
/// use frontmap::gazetteer::diff::{summarize, PlaceChange};
/// let changes: Vec<PlaceChange> = (0..5)
///     .map(|i| PlaceChange::Added { id: format!("p{i}"), name: format!("P{i}") })
///     .collect();
/// assert_eq!(summarize(&changes, 2), ["place P0 added", "place P1 added", "… and 3 more"]);
/// ```
pub fn summarize(changes: &[PlaceChange], max: usize) -> Vec<String> {
    let mut lines: Vec<String> = changes.iter().take(max).map(ToString::to_string).collect();
    if changes.len() > max {
        lines.push(format!("… and {} more", changes.len() - max));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gazetteer::{Kind, Source};
    use geo::{Coord, Geometry, LineString};

    fn place(id: &str, name: &str, x: f64, y: f64) -> Place {
        Place {
            id: id.into(),
            name: name.into(),
            name_fr: None,
            name_en: None,
            name_ar: None,
            aliases: Vec::new(),
            weak_aliases: Vec::new(),
            curated_names: Vec::new(),
            kind: Kind::Town,
            parent: None,
            country: Some("IQ".into()),
            population: 0,
            source: Source::Curated,
            geonames_id: None,
            admin1: None,
            feature_code: None,
            point: Coord { x, y },
            geometry: None,
            area_km2: None,
            how: None,
        }
    }

    fn lines(old: Vec<Place>, new: Vec<Place>) -> Vec<String> {
        let (old, new) = (Gazetteer::from_places(old), Gazetteer::from_places(new));
        place_changes(&old, &new).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn identical_gazetteers_have_no_changes() {
        let ps = || vec![place("rawa", "Rawa", 41.919, 34.482), place("anah", "Anah", 41.97, 34.37)];
        assert!(lines(ps(), ps()).is_empty());
    }

    #[test]
    fn added_and_removed_places_are_sorted_by_id() {
        let old = vec![place("rawa", "Rawa", 41.9, 34.5), place("b", "Bee", 41.0, 34.0)];
        let new = vec![place("rawa", "Rawa", 41.9, 34.5), place("c", "Sea", 41.0, 34.0), place("a", "Ay", 41.0, 34.0)];
        assert_eq!(lines(old, new), ["place Ay added", "place Bee removed", "place Sea added"]);
    }

    #[test]
    fn a_move_gives_distance_and_direction() {
        let old = vec![place("rawa", "Rawa", 41.919, 34.482)];
        let new = vec![place("rawa", "Rawa", 41.919 + 0.06, 34.482)];
        let changes = place_changes(&Gazetteer::from_places(old), &Gazetteer::from_places(new));
        match &changes[..] {
            [PlaceChange::Moved { km, direction, .. }] => {
                assert!((km - 5.5).abs() < 0.1, "{km}");
                assert_eq!(*direction, "east");
            }
            other => panic!("{other:?}"),
        }
        let small = lines(vec![place("x", "X", 41.0, 34.0)], vec![place("x", "X", 41.0, 34.0003)]);
        assert_eq!(small, ["X moved 33 m north"]);
    }

    #[test]
    fn compass_words() {
        assert_eq!(compass(0.0), "north");
        assert_eq!(compass(359.0), "north");
        assert_eq!(compass(44.0), "north-east");
        assert_eq!(compass(180.0), "south");
        assert_eq!(compass(-90.0), "west");
        assert_eq!(compass(f64::NAN), "north");
    }

    #[test]
    fn aliases_added_and_removed() {
        let mut a = place("rawa", "Rawa", 41.9, 34.5);
        a.aliases = vec!["Rawah".into(), "Rāwa".into()];
        let mut b = a.clone();
        b.aliases = vec!["Rāwa".into(), "Raoua".into(), "Ar-Rawa".into()];
        assert_eq!(
            lines(vec![a], vec![b]),
            ["aliases \"Ar-Rawa\", \"Raoua\" added to Rawa, alias \"Rawah\" removed from Rawa"]
        );
    }

    #[test]
    fn a_rename_does_not_also_report_the_old_name_as_an_alias() {
        let a = place("rawa", "Rawa", 41.9, 34.5);
        let mut b = place("rawa", "Rāwa", 41.9, 34.5);
        b.aliases = vec!["Rawa".into()];
        assert_eq!(lines(vec![a], vec![b]), ["Rawa renamed Rāwa"]);
    }

    #[test]
    fn geometry_changes_are_reshapes_and_other_fields_are_named() {
        let mut a = place("euphrates", "Euphrate", 41.0, 34.0);
        a.kind = Kind::River;
        a.geometry = Some(Geometry::LineString(LineString::from(vec![(40.0, 34.0), (41.0, 34.4)])));
        let mut b = a.clone();
        b.geometry = Some(Geometry::LineString(LineString::from(vec![(40.0, 34.0), (41.0, 34.5)])));
        b.point = Coord { x: 40.5, y: 34.2 };
        assert_eq!(lines(vec![a.clone()], vec![b]), ["Euphrate reshaped"]);
        let mut c = a.clone();
        c.kind = Kind::Lake;
        c.population = 3;
        assert_eq!(lines(vec![a], vec![c]), ["Euphrate: kind, population changed"]);
    }

    #[test]
    fn summarize_caps_the_lines() {
        let changes: Vec<PlaceChange> =
            (0..3).map(|i| PlaceChange::Removed { id: format!("p{i}"), name: format!("P{i}") }).collect();
        assert_eq!(summarize(&changes, 3).len(), 3);
        assert_eq!(summarize(&changes, 1), ["place P0 removed", "… and 2 more"]);
        assert_eq!(summarize(&changes, 0), ["… and 3 more"]);
        assert!(summarize(&[], 5).is_empty());
    }

    #[test]
    fn sixty_thousand_places_compare_quickly() {
        let make = |shift: f64| -> Vec<Place> {
            (0..60_000)
                .map(|i| {
                    place(
                        &format!("p{i:05}"),
                        &format!("P{i}"),
                        40.0 + (i % 300) as f64 * 0.01 + shift * f64::from(u8::from(i == 7)),
                        34.0 + (i / 300) as f64 * 0.01,
                    )
                })
                .collect()
        };
        let (old, new) = (Gazetteer::from_places(make(0.0)), Gazetteer::from_places(make(0.01)));
        let t = std::time::Instant::now();
        let changes = place_changes(&old, &new);
        assert_eq!(changes.len(), 1, "{changes:?}");
        assert!(t.elapsed().as_secs_f64() < 2.0, "{:?}", t.elapsed());
    }
}
