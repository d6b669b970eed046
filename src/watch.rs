//! `frontmap watch`: rebuild `out/` whenever an input changes.
//!
//! Watches the articles, gazetteer and styles directories (recursively) with the operating system's
//! file notifications, waits until the edits have been quiet for a moment (the debounce), then runs one
//! build in a long-lived [`Session`] and says what changed and what was redone. A build that fails
//! (a JSON typo in the gazetteer, a bad style) is reported and the previous outputs stay; the next good
//! edit resumes.

use crate::build::{self, BuildConfig, BuildSummary, Rebuilt, Session};
use crate::error::Error;
use notify::event::{EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher};
use std::collections::{BTreeSet, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How the watch loop behaves.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// Quiet time after the last change before a build starts (editors write a file in several steps).
    pub debounce: Duration,
    /// Stop after this many rebuilds (not counting the initial build); `None` watches until killed.
    pub max_builds: Option<usize>,
    /// Build once at start, before waiting for changes.
    pub initial_build: bool,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions { debounce: Duration::from_millis(200), max_builds: None, initial_build: true }
    }
}

/// The directories watched for a config: articles, gazetteer and styles, without duplicates.
pub fn watched_dirs(cfg: &BuildConfig) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for d in [&cfg.articles, &cfg.gazetteer, &cfg.styles] {
        let d = absolute(d);
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    dirs
}

/// The path made absolute and, when it exists, canonical (so it compares with the paths events carry).
fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).or_else(|_| std::path::absolute(p)).unwrap_or_else(|_| p.to_path_buf())
}

/// Files editors write next to the real one while saving: backups (`x~`), Vim swap files (`.x.swp`)
/// and its write test (`4913`), Emacs locks (`.#x`) and autosaves (`#x#`), and our own atomic-write
/// temporaries (`.x.tmp-PID`).
pub fn is_editor_temp(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else { return false };
    name.ends_with('~')
        || name == "4913"
        || name.starts_with(".#")
        || (name.starts_with('#') && name.ends_with('#'))
        || [".swp", ".swo", ".swx"].iter().any(|e| name.ends_with(e))
        || (name.starts_with('.') && name.contains(".tmp-"))
}

/// Whether an event can change an input: creations, writes, renames, removals. Reads (which the
/// build itself does) and metadata changes (access times) are not.
fn is_edit(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        EventKind::Modify(_) => true,
        EventKind::Access(_) | EventKind::Other | EventKind::Any => false,
    }
}

/// `path` as the user knows it: `gazetteer/places.geojson` (the watched directory's name, then the
/// path inside it).
fn display_path(path: &Path, roots: &[PathBuf]) -> String {
    for root in roots {
        if let Ok(rest) = path.strip_prefix(root) {
            let base = root.file_name().map(PathBuf::from).unwrap_or_default();
            let shown = if rest.as_os_str().is_empty() { base } else { base.join(rest) };
            return shown.display().to_string();
        }
    }
    path.display().to_string()
}

/// The time of day, UTC, as `HH:MM:SS`.
fn clock() -> String {
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).format("%H:%M:%S").to_string()
}

fn io_err(e: std::io::Error) -> Error {
    Error::Write { path: PathBuf::from("<stdout>"), source: e }
}

/// What the changed files were, for the first line of a report.
fn changed_line(paths: &BTreeSet<PathBuf>, roots: &[PathBuf]) -> String {
    let shown: Vec<String> = paths.iter().take(5).map(|p| display_path(p, roots)).collect();
    let more = paths.len().saturating_sub(shown.len());
    let mut s = shown.join(", ");
    if more > 0 {
        s.push_str(&format!(" and {more} more"));
    }
    format!("{s} changed")
}

/// One build, timed here when the build does not time itself.
fn run_build(cfg: &BuildConfig, session: &mut Session) -> Result<BuildSummary, Error> {
    let start = Instant::now();
    let mut result = build::build_in(cfg, session);
    if let Ok(summary) = &mut result {
        if summary.elapsed.is_zero() {
            summary.elapsed = start.elapsed();
        }
    }
    result
}

/// What a build redid: [`BuildSummary::rebuilt_line`], or, when the build did not say (a full build),
/// the files it wrote.
fn redone_line(summary: &BuildSummary) -> String {
    if summary.rebuilt != Rebuilt::default() || summary.files_written.is_empty() {
        return summary.rebuilt_line();
    }
    let ms = summary.elapsed.as_secs_f64() * 1000.0;
    let n = summary.files_written.len();
    format!("{n} file{} written ({} unchanged) in {ms:.0} ms", if n == 1 { "" } else { "s" }, summary.files_unchanged)
}

fn report(out: &mut dyn Write, result: &Result<BuildSummary, Error>, first: bool) -> Result<(), Error> {
    match result {
        Ok(summary) => {
            for c in &summary.changes {
                writeln!(out, "  {c}").map_err(io_err)?;
            }
            if first {
                writeln!(out, "  {}", summary.line()).map_err(io_err)?;
                let ms = summary.elapsed.as_secs_f64() * 1000.0;
                writeln!(out, "  built in {ms:.0} ms").map_err(io_err)?;
            } else {
                writeln!(out, "  {}", redone_line(summary)).map_err(io_err)?;
            }
        }
        Err(e) => {
            for line in e.to_string().lines() {
                writeln!(out, "  error: {line}").map_err(io_err)?;
            }
            writeln!(out, "  build failed, keeping the last good output").map_err(io_err)?;
        }
    }
    out.flush().map_err(io_err)
}

/// Watch the inputs of `cfg` and rebuild on every change, reporting to `out`, until `opts.max_builds`
/// rebuilds have run (or forever). Returns an error only when watching itself fails (a directory that
/// does not exist, no more inotify watches); build errors are printed and watching goes on.
pub fn watch(cfg: &BuildConfig, opts: &WatchOptions, out: &mut dyn Write) -> Result<(), Error> {
    let roots = watched_dirs(cfg);
    // Created now (the build would anyway) so that it is canonical like the paths of the events.
    let _ = std::fs::create_dir_all(&cfg.out);
    let out_dir = absolute(&cfg.out);
    if let Some(missing) = roots.iter().find(|r| !r.is_dir()) {
        return Err(Error::Usage(format!("{}: not a directory, nothing to watch", missing.display())));
    }
    let (tx, rx) = mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)
        .map_err(|e| Error::Watch { path: roots.first().cloned().unwrap_or_default(), source: e })?;
    for root in &roots {
        watcher.watch(root, RecursiveMode::Recursive).map_err(|e| Error::Watch { path: root.clone(), source: e })?;
    }
    let mut session = Session::long_lived();
    if opts.initial_build {
        writeln!(out, "[{}] building {}", clock(), cfg.out.display()).map_err(io_err)?;
        let result = run_build(cfg, &mut session);
        report(out, &result, true)?;
    }
    let names: Vec<String> = roots.iter().map(|r| format!("{}/", display_path(r, &roots))).collect();
    writeln!(out, "[{}] watching {} (Ctrl-C to stop)", clock(), names.join(", ")).map_err(io_err)?;
    out.flush().map_err(io_err)?;

    let relevant =
        |path: &Path| !path.starts_with(&out_dir) && !is_editor_temp(path) && roots.iter().any(|r| path.starts_with(r));
    let mut builds = 0;
    while opts.max_builds.is_none_or(|m| builds < m) {
        // Wait for a first relevant change, then until the changes have been quiet for `debounce`.
        let mut changed = BTreeSet::new();
        // Files created during the batch: gone at its end, they were an editor's or a tool's temporary
        // (`sed -i`, a save by rename), not an input.
        let mut created = HashSet::new();
        let mut last_change = Instant::now();
        loop {
            let event = if changed.is_empty() {
                match rx.recv() {
                    Ok(e) => e,
                    Err(_) => return Ok(()),
                }
            } else {
                let wait = opts.debounce.saturating_sub(last_change.elapsed());
                match rx.recv_timeout(wait) {
                    Ok(e) => e,
                    Err(RecvTimeoutError::Timeout) => break,
                    Err(RecvTimeoutError::Disconnected) => return Ok(()),
                }
            };
            match event {
                Ok(ev) if is_edit(&ev.kind) => {
                    let mut any = false;
                    let creates = matches!(ev.kind, EventKind::Create(_));
                    for p in ev.paths.into_iter().filter(|p| relevant(p)) {
                        if creates {
                            created.insert(p.clone());
                        }
                        changed.insert(p);
                        any = true;
                    }
                    if any {
                        last_change = Instant::now();
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    writeln!(out, "[{}] watch error: {e}", clock()).map_err(io_err)?;
                }
            }
        }
        changed.retain(|p| p.exists() || !created.contains(p));
        if changed.is_empty() {
            continue;
        }
        writeln!(out, "[{}] {}", clock(), changed_line(&changed, &roots)).map_err(io_err)?;
        let result = run_build(cfg, &mut session);
        report(out, &result, false)?;
        builds += 1;
    }
    drop(watcher);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editor_temporaries_are_ignored() {
        for p in ["a/places.geojson~", "a/.places.geojson.swp", "a/4913", "a/.#places.geojson", "a/#x#", "o/.x.tmp-12"]
        {
            assert!(is_editor_temp(Path::new(p)), "{p}");
        }
        for p in ["a/places.geojson", "a/aliases.tsv", "a/001_x.txt", "a/49130"] {
            assert!(!is_editor_temp(Path::new(p)), "{p}");
        }
    }

    #[test]
    fn paths_are_shown_under_their_watched_directory() {
        let roots = vec![PathBuf::from("/tmp/p/gazetteer"), PathBuf::from("/tmp/p/articles")];
        assert_eq!(display_path(Path::new("/tmp/p/gazetteer/places.geojson"), &roots), "gazetteer/places.geojson");
        let set: BTreeSet<PathBuf> = (0..7).map(|i| PathBuf::from(format!("/tmp/p/articles/{i}.txt"))).collect();
        assert_eq!(
            changed_line(&set, &roots),
            "articles/0.txt, articles/1.txt, articles/2.txt, articles/3.txt, articles/4.txt and 2 more changed"
        );
    }
}
