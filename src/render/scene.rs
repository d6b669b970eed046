//! A prepared scene: the parsed style and its sources, loaded once and then drawn into any number of views
//! (a sheet, its inset, a timeline panel, every tile of a pyramid). Read-only once built, so views can be
//! rendered in parallel.

use super::error::RenderError;
use super::expr::Ctx;
use super::mercator::View;
use super::source::{Feature, Source};
use super::style::{Layer, Style};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The properties a [`DateWindow`] reads (start, end): kept on every loaded feature.
pub const DATE_PROPERTIES: [&str; 2] = ["date_start", "date_end"];

/// A closed window of ISO dates (`YYYY-MM-DD`): a feature dated `date_start`…`date_end` is shown when its
/// interval overlaps the window. Features without dates are always shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateWindow {
    pub from: String,
    pub to: String,
}

impl DateWindow {
    /// The window of a single day.
    pub fn day(d: &str) -> DateWindow {
        DateWindow { from: d.to_string(), to: d.to_string() }
    }

    /// Whether a feature with these properties falls in the window.
    pub fn admits(&self, props: &dyn super::source::Properties) -> bool {
        let [start, end] = DATE_PROPERTIES;
        let start = props.property(start).and_then(|v| v.as_str());
        let end = props.property(end).and_then(|v| v.as_str()).or(start);
        match (start, end) {
            (None, None) => true,
            (s, e) => s.is_none_or(|s| s <= self.to.as_str()) && e.is_none_or(|e| e >= self.from.as_str()),
        }
    }
}

/// Which layers and features a view shows: all style layers by default, minus `hide`, restricted to
/// `only` when given; per-source date windows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub only: Option<Vec<String>>,
    pub hide: Vec<String>,
    pub dates: BTreeMap<String, DateWindow>,
}

impl Selection {
    /// Whether a layer is part of the view.
    pub fn shows_layer(&self, id: &str) -> bool {
        !self.hide.iter().any(|h| h == id) && self.only.as_ref().is_none_or(|o| o.iter().any(|x| x == id))
    }
}

/// The sources one build has loaded, shared by its scenes (the sheets and the tiles draw the same
/// files): each file is parsed once per build. Cheap to clone (the clones share the shelf); a new shelf
/// is empty, so a long-lived process (watch) makes one per build.
#[derive(Debug, Clone, Default)]
pub struct SourceShelf {
    loaded: Arc<Mutex<BTreeMap<ShelfKey, Arc<Source>>>>,
    /// Label anchors of areas, shared by the scenes loaded from this shelf.
    pub anchors: super::labels::AnchorMemo,
    /// Where parses of reference files are kept between builds, and the output directory whose files
    /// (rewritten by every build) are not kept: see [`Source::load_kept`].
    kept: Option<(PathBuf, PathBuf)>,
}

/// A source id, its file and the properties kept.
type ShelfKey = (String, PathBuf, BTreeSet<String>);

impl SourceShelf {
    /// A shelf that also keeps the parses of the files outside `out` in `dir`, for the next build.
    pub fn keeping(dir: &Path, out: &Path) -> SourceShelf {
        SourceShelf { kept: Some((dir.to_path_buf(), out.to_path_buf())), ..SourceShelf::default() }
    }

    /// The source `id` read from `path` keeping `keep`, from the shelf or loaded onto it. The shelf stays
    /// locked while a source loads, so scenes prepared at the same time (sheets and tiles) load it once.
    fn get_or_load(&self, id: &str, path: &Path, keep: BTreeSet<String>) -> Result<Arc<Source>, RenderError> {
        let mut loaded = self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (id.to_string(), path.to_path_buf(), keep);
        if let Some(s) = loaded.get(&key) {
            return Ok(Arc::clone(s));
        }
        let source = Arc::new(match &self.kept {
            Some((dir, out)) if !path.starts_with(out) => Source::load_kept(id, path, &key.2, dir)?,
            _ => Source::load_keeping(id, path, Some(&key.2))?,
        });
        loaded.insert(key, Arc::clone(&source));
        Ok(source)
    }

    /// Let go of every source (their memory is freed once no scene holds them either).
    pub fn clear(&self) {
        self.forget(|_| true);
    }

    /// Let go of the sources whose id `which` picks: a scene done with them frees them early (a scene loading
    /// one later reads its file again).
    pub fn forget(&self, which: impl Fn(&str) -> bool) {
        self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).retain(|(id, _, _), _| !which(id));
    }
}

/// Style + loaded sources.
#[derive(Debug, Clone)]
pub struct Scene {
    pub style: Style,
    pub sources: BTreeMap<String, Arc<Source>>,
    /// Where areas' label anchors are remembered (per view and feature digest).
    pub anchors: super::labels::AnchorMemo,
    /// Style warnings plus missing optional sources.
    pub warnings: Vec<String>,
}

impl Scene {
    /// Load the sources the style's layers use (only those in `needed`, when given). Relative paths are
    /// resolved against `base`; `overrides` replaces a source's file (tests, benchmarks, fixtures).
    pub fn load(
        style: Style,
        base: &Path,
        overrides: &BTreeMap<String, PathBuf>,
        needed: Option<&BTreeSet<String>>,
    ) -> Result<Scene, RenderError> {
        Scene::load_from(style, base, overrides, needed, &SourceShelf::default())
    }

    /// [`Scene::load`], taking the sources already on `shelf` and leaving there those it loads.
    pub fn load_from(
        style: Style,
        base: &Path,
        overrides: &BTreeMap<String, PathBuf>,
        needed: Option<&BTreeSet<String>>,
        shelf: &SourceShelf,
    ) -> Result<Scene, RenderError> {
        let mut sources = BTreeMap::new();
        let mut warnings = style.warnings.clone();
        let used: BTreeSet<&str> = style.layers.iter().filter_map(|l| l.source.as_deref()).collect();
        for (id, def) in &style.sources {
            if !used.contains(id.as_str()) || needed.is_some_and(|n| !n.contains(id)) {
                continue;
            }
            let path = overrides.get(id).cloned().unwrap_or_else(|| {
                let p = PathBuf::from(&def.data);
                if p.is_absolute() { p } else { base.join(p) }
            });
            let source = if def.optional && !path.exists() {
                warnings.push(format!("source {id:?}: {} does not exist yet; its layers draw nothing", path.display()));
                Arc::new(Source::missing(id, &path))
            } else {
                shelf.get_or_load(id, &path, style.source_properties(id))?
            };
            sources.insert(id.clone(), source);
        }
        Ok(Scene { style, sources, warnings, anchors: shelf.anchors.clone() })
    }

    /// The features of a layer that the view shows: in its box (grown by `margin` pixels), passing the
    /// layer filter and the date window, in file order.
    pub fn features<'a>(
        &'a self,
        layer: &'a Layer,
        view: &'a View,
        sel: &'a Selection,
        margin: f64,
    ) -> Vec<(usize, &'a Feature)> {
        let Some(src_id) = layer.source.as_deref() else { return Vec::new() };
        let reach = view.bbox.grow(margin * view.resolution());
        super::reads::note(src_id, [reach.min_x, reach.min_y, reach.max_x, reach.max_y]);
        let Some(src) = self.sources.get(src_id) else { return Vec::new() };
        let window = sel.dates.get(src_id);
        src.features
            .iter()
            .enumerate()
            .filter(|(_, f)| f.bbox.intersects(&reach))
            .filter(|(_, f)| window.is_none_or(|w| w.admits(&f.props)))
            .filter(|(_, f)| layer.accepts(&ctx(f, view.zoom)))
            .collect()
    }
}

/// The expression context of a feature at a zoom.
pub fn ctx(f: &Feature, zoom: f64) -> Ctx<'_> {
    Ctx { props: &f.props, id: f.id.as_deref(), geometry_type: f.geom.type_name(), zoom }
}
