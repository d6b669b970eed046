//! Rebuilding only what changed (issue 7): a build with nothing to do writes nothing; moving one place
//! rewrites only the layers, sheets and tiles it touches and ends exactly where a cold build would;
//! adding an article parses only it; a build killed at any moment leaves every output valid.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

/// A scratch copy of the bundled inputs, built into `out/`.
struct Project {
    dir: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        Project { dir: common::scratch_copy("incr", name) }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    /// `frontmap build` with extra arguments; panics on failure; returns stdout.
    fn build(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_frontmap"))
            .arg("build")
            .args(args)
            .current_dir(&self.dir)
            .output()
            .unwrap_or_else(|e| panic!("run: {e}"));
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "build failed: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        stdout
    }

    fn edit(&self, rel: &str, f: impl Fn(String) -> String) {
        let p = self.path(rel);
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
        let new = f(text.clone());
        assert_ne!(new, text, "{rel}: the edit changed nothing");
        std::fs::write(&p, new).unwrap_or_else(|e| panic!("{rel}: {e}"));
    }

    /// Move Rawa (GeoNames 92004, 34.48229 N 41.91898 E) 0.05° north.
    fn move_rawa_north(&self) {
        self.edit("gazetteer/geonames/cities500-mideast.txt", |t| {
            t.lines()
                .map(
                    |l| {
                        if l.starts_with("92004\t") { l.replace("\t34.48229\t", "\t34.53229\t") } else { l.to_string() }
                    },
                )
                .collect::<Vec<_>>()
                .join("\n")
                + "\n"
        });
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A fresh scratch copy of the bundled inputs, edited by `edit`, built from nothing: what an incremental
/// build of the same inputs must end as.
fn cold_build(name: &str, edit: impl Fn(&Project)) -> Project {
    let cold = Project::new(name);
    edit(&cold);
    cold.build(&[]);
    cold
}

/// Every file under `dir` (the private `.cache` excepted) → its modification time.
fn mtimes(dir: &Path) -> BTreeMap<String, SystemTime> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())).flatten() {
            let p = e.path();
            let rel = p.strip_prefix(dir).unwrap_or(&p).to_string_lossy().into_owned();
            if rel == ".cache" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                let t = e.metadata().and_then(|m| m.modified()).unwrap_or_else(|e| panic!("{rel}: {e}"));
                out.insert(rel, t);
            }
        }
    }
    out
}

/// Every file under `dir` (`.cache` and the MBTiles file excepted) → its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    mtimes(dir)
        .into_keys()
        .filter(|rel| !rel.ends_with(".mbtiles"))
        .map(|rel| {
            let bytes = std::fs::read(dir.join(&rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
            (rel, bytes)
        })
        .collect()
}

/// Files whose modification time moved (or that appeared or vanished) between two listings.
fn touched(before: &BTreeMap<String, SystemTime>, after: &BTreeMap<String, SystemTime>) -> Vec<String> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter().filter(|k| before.get(*k) != after.get(*k)).cloned().collect()
}

/// The outputs of `a` and `b` are the same: every file byte for byte, and the MBTiles contents row for row.
fn assert_same_outputs(a: &Path, b: &Path) {
    let (ca, cb) = (contents(a), contents(b));
    let names = |c: &BTreeMap<String, Vec<u8>>| c.keys().cloned().collect::<Vec<_>>();
    assert_eq!(names(&ca), names(&cb), "different files in {} and {}", a.display(), b.display());
    let differ: Vec<&String> = ca.iter().filter(|(k, v)| cb.get(*k) != Some(*v)).map(|(k, _)| k).collect();
    assert!(differ.is_empty(), "incremental and cold outputs differ: {differ:?}");
    let (ma, mb) = (a.join("tiles.mbtiles"), b.join("tiles.mbtiles"));
    let ma = frontmap::tiles::mbtiles::contents(&ma).unwrap_or_else(|e| panic!("{e}"));
    let mb = frontmap::tiles::mbtiles::contents(&mb).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        ma == mb,
        "MBTiles contents differ ({} vs {} tiles, {} vs {} images)",
        ma.tiles.len(),
        mb.tiles.len(),
        ma.images,
        mb.images
    );
}

#[test]
fn a_build_with_nothing_changed_writes_no_file_and_says_so() {
    let p = Project::new("nochange");
    p.build(&[]);
    let before = mtimes(&p.path("out"));
    assert!(before.len() > 1000, "expected the tiles too, got {} files", before.len());
    std::thread::sleep(Duration::from_millis(20));
    // Touching an input without changing it is not a change either.
    let art = p.path("articles/corpus.toml");
    let text = std::fs::read(&art).unwrap_or_default();
    std::fs::write(&art, text).unwrap_or_else(|e| panic!("{e}"));
    let stdout = p.build(&[]);
    assert!(stdout.contains("nothing to rebuild"), "{stdout}");
    assert!(stdout.contains("0 files written"), "{stdout}");
    assert_eq!(touched(&before, &mtimes(&p.path("out"))), Vec::<String>::new());
    // A tile deleted by hand (al-Qaïm at z10, with labels on it) is noticed and drawn again, as it was.
    let tile = p.path("out/tiles/10/628/407.png");
    let bytes = std::fs::read(&tile).unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_file(&tile).unwrap_or_else(|e| panic!("{e}"));
    let stdout = p.build(&[]);
    assert!(stdout.contains("1 tile rebuilt"), "{stdout}");
    assert_eq!(std::fs::read(&tile).ok(), Some(bytes), "the redrawn tile differs");
}

#[test]
fn moving_one_place_redraws_only_what_it_touches_and_matches_a_cold_build() {
    let p = Project::new("rawa");
    p.build(&[]);
    let before = mtimes(&p.path("out"));
    let tiles_before = before.keys().filter(|k| k.starts_with("tiles/")).count();
    std::thread::sleep(Duration::from_millis(20));
    p.move_rawa_north();
    let stdout = p.build(&[]);
    assert!(stdout.contains("geonames/cities500-mideast.txt changed"), "{stdout}");
    let after = mtimes(&p.path("out"));
    let rewritten = touched(&before, &after);
    // The layers that show Rawa or the events and fronts placed there change; the others stay.
    for f in ["places.geojson", "events.geojson", "manifest.json"] {
        assert!(rewritten.contains(&f.to_string()), "{f} not rewritten: {rewritten:?}");
    }
    for f in ["events.qml", "border.geojson", "crossings.geojson", "vendor/leaflet/leaflet.js"] {
        assert!(!rewritten.contains(&f.to_string()), "{f} rewritten: {rewritten:?}");
    }
    let tiles = rewritten.iter().filter(|k| k.starts_with("tiles/")).count();
    assert!(tiles > 0, "no tile redrawn: {rewritten:?}");
    assert!(tiles * 20 < tiles_before, "{tiles} of {tiles_before} tiles rewritten (≥ 5%)");
    // And the result is what a cold build of the same inputs gives, byte for byte.
    assert_same_outputs(&p.path("out"), &cold_build("rawa-cold", Project::move_rawa_north).path("out"));
}

#[test]
fn a_damaged_or_missing_pmtiles_archive_is_rebuilt_from_the_tile_files() {
    let p = Project::new("pmtiles");
    p.build(&[]);
    // One byte of tile data changed: the archive still parses, but it is not the one the last build left.
    let path = p.path("out/tiles.pmtiles");
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    let last = bytes.len() - 20;
    bytes[last] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
    p.move_rawa_north();
    p.build(&[]);
    assert_same_outputs(&p.path("out"), &cold_build("pmtiles-cold", Project::move_rawa_north).path("out"));
    // No archive at all, and Rawa moved back: written whole from the tile files.
    std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{e}"));
    p.edit("gazetteer/geonames/cities500-mideast.txt", |t| {
        t.replace("\t34.53229\t41.91898\t", "\t34.48229\t41.91898\t")
    });
    p.build(&[]);
    assert_same_outputs(&p.path("out"), &cold_build("pmtiles-fresh", |_| {}).path("out"));
}

#[test]
fn adding_an_article_parses_only_it() {
    let p = Project::new("add");
    let first = p.build(&[]);
    assert!(first.contains("articles re-parsed"), "{first}");
    std::fs::write(
        p.path("articles/900_added.txt"),
        "Bagdad, 20 novembre 2017 (AFP)\n\nLes forces irakiennes ont repris lundi le contrôle de Rawa, \
         dernière ville tenue par le groupe Etat islamique dans la province d'Anbar.\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let stdout = p.build(&[]);
    assert!(stdout.contains("article 900_added.txt added"), "{stdout}");
    assert!(stdout.contains("1 article re-parsed"), "{stdout}");
    let places = std::fs::read_to_string(p.path("out/places.geojson")).unwrap_or_default();
    assert!(places.contains("900_added.txt"), "the new article's mentions are missing");
    // Removing it again gives back the first build's layers.
    let fresh = Project::new("add-cold");
    fresh.build(&[]);
    std::fs::remove_file(p.path("articles/900_added.txt")).unwrap_or_else(|e| panic!("{e}"));
    let stdout = p.build(&[]);
    assert!(stdout.contains("0 articles re-parsed") || !stdout.contains("re-parsed"), "{stdout}");
    assert_same_outputs(&p.path("out"), &fresh.path("out"));
}

/// Every output is whole: JSON parses, PNGs decode, the MBTiles file opens; no temporary file is visible.
fn assert_outputs_valid(out: &Path) {
    for (rel, _) in mtimes(out) {
        let p = out.join(&rel);
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.starts_with('.') && name.contains(".tmp-") {
            continue; // a temporary file of the killed build: never read, removed by the next build
        }
        if rel.ends_with(".geojson") || rel.ends_with(".json") {
            let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{rel}: {e}"));
            serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|e| panic!("{rel} is broken: {e}"));
        } else if rel.ends_with(".png") {
            image::open(&p).unwrap_or_else(|e| panic!("{rel} is broken: {e}"));
        } else if rel.ends_with(".mbtiles") {
            frontmap::tiles::mbtiles::contents(&p).unwrap_or_else(|e| panic!("{rel} is broken: {e}"));
        }
    }
}

#[test]
fn a_build_killed_at_any_moment_leaves_every_output_valid() {
    let p = Project::new("kill");
    p.build(&[]);
    p.move_rawa_north();
    // Kill full rebuilds at several points of their run (gazetteer, layers, sheets, tiles, archives).
    for ms in [30u64, 150, 400, 800, 1400] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_frontmap"))
            .args(["build", "--force"])
            .current_dir(&p.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn: {e}"));
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill(); // SIGKILL: no destructor, no cleanup
        let _ = child.wait();
        assert_outputs_valid(&p.path("out"));
    }
    // What a build killed while writing tiles leaves (the kills above may miss that moment): its mark that
    // tiles were being written, and a half-written tile beside a tile.
    for (stray, bytes) in [("out/tiles/.writing", &b""[..]), ("out/tiles/10/628/.407.png.tmp-1", b"half a tile")] {
        std::fs::write(p.path(stray), bytes).unwrap_or_else(|e| panic!("{stray}: {e}"));
    }
    // The next build finishes the work, removes what the killed ones left and ends where a cold build does.
    p.build(&[]);
    let leftovers: Vec<String> = mtimes(&p.path("out")).into_keys().filter(|k| k.contains(".tmp-")).collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    assert_same_outputs(&p.path("out"), &cold_build("kill-cold", Project::move_rawa_north).path("out"));
}

#[cfg(unix)]
#[test]
fn a_second_build_of_the_same_output_waits_for_the_first_to_finish() {
    let p = Project::new("lock");
    p.build(&[]);
    // Hold the lock of out/ as a running build (a watch session) would.
    let held = std::fs::File::open(p.path("out")).unwrap_or_else(|e| panic!("out/: {e}"));
    // SAFETY: `flock` on a descriptor `held` owns; no memory is touched.
    let locked = unsafe { libc::flock(std::os::fd::AsRawFd::as_raw_fd(&held), libc::LOCK_EX) };
    assert_eq!(locked, 0, "lock: {}", std::io::Error::last_os_error());
    p.move_rawa_north();
    let mut second = Command::new(env!("CARGO_BIN_EXE_frontmap"))
        .arg("build")
        .current_dir(&p.dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    std::thread::sleep(Duration::from_millis(800));
    assert!(second.try_wait().ok().flatten().is_none(), "the second build did not wait");
    drop(held);
    let out = second.wait_with_output().unwrap_or_else(|e| panic!("wait: {e}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("waiting for another build of"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Rawa moved"));
}

/// Move the first (and closing) vertex of Lake Tharthar 0.09° west: a basemap edit, no event moves.
fn reshape_lake_tharthar(p: &Project) {
    p.edit("gazetteer/basemap/lakes.geojson", |t| t.replace("[43.29994,33.72276]", "[43.20994,33.72276]"));
}

#[test]
fn maps_and_tiles_drawn_from_kept_pixels_match_a_cold_build_even_when_those_are_damaged_or_stale() {
    let p = Project::new("runs");
    p.build(&[]);
    let (runs, bases) = (p.path("out/.cache/sheets"), p.path("out/.cache/bases"));
    let kept: Vec<PathBuf> = [&runs, &bases]
        .iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap_or_else(|e| panic!("{}: {e}", d.display())))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| ["run", "sprites", "base", "kept"].iter().any(|e| x == *e)))
        .collect();
    let named = |part: &str| kept.iter().any(|k| k.to_string_lossy().contains(part));
    assert!(named(".map.0.run"), "no basemap run kept in {}", runs.display());
    assert!(named(".furniture.0.run"), "no furniture overlay kept in {}", runs.display());
    assert!(named(".map.sprites"), "no label sprites kept in {}", runs.display());
    assert!(named("/6-"), "no zoom-6 tile base kept in {}", bases.display());
    assert!(named(".png.kept"), "no PNG bands kept in {}", runs.display());
    // A damaged kept run, overlay, sprites file, tile base or set of PNG bands (cut in half, or garbage) is
    // drawn or encoded again, never used.
    for (i, f) in kept.iter().enumerate() {
        let bytes = std::fs::read(f).unwrap_or_default();
        let damaged = if i % 2 == 0 { bytes[..bytes.len() / 2].to_vec() } else { vec![0x5a; bytes.len()] };
        std::fs::write(f, damaged).unwrap_or_else(|e| panic!("{e}"));
    }
    p.move_rawa_north();
    p.build(&[]);
    let cold = cold_build("runs-cold", Project::move_rawa_north);
    assert_same_outputs(&p.path("out"), &cold.path("out"));
    // A basemap edit makes the kept runs drawing that source stale: the sheets showing it are drawn anew.
    let before = mtimes(&p.path("out"));
    std::thread::sleep(Duration::from_millis(20));
    reshape_lake_tharthar(&p);
    p.build(&[]);
    let rewritten = touched(&before, &mtimes(&p.path("out")));
    assert!(rewritten.contains(&"maps/theatre.png".to_string()), "theatre sheet not redrawn: {rewritten:?}");
    reshape_lake_tharthar(&cold);
    cold.build(&["--force"]);
    assert_same_outputs(&p.path("out"), &cold.path("out"));
}
