//! `frontmap watch` end to end: the real binary on a copy of the bundled inputs, edited while it runs.
//! An edit rebuilds out/; a broken gazetteer prints the error and leaves out/ alone; fixing it rebuilds.

use frontmap::gazetteer::Gazetteer;
use frontmap::gazetteer::diff::{PlaceChange, place_changes, summarize};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);
const KARABLA: &str = "{\"geometry\": {\"coordinates\": [41.03083, 34.38361], \"type\": \"Point\"}, \"properties\": {\"aliases\": [\"Karabla\",";
/// Al-Karabla 0.05° (5.5 km) further north, with one more alias.
const KARABLA_MOVED: &str = "{\"geometry\": {\"coordinates\": [41.03083, 34.43361], \"type\": \"Point\"}, \"properties\": {\"aliases\": [\"Karablah-watch\", \"Karabla\",";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{}: {e}", to.display()));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{}: {e}", from.display())) {
        let entry = entry.expect("directory entry");
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        }
    }
}

/// A project directory with copies of the bundled articles, gazetteer and styles.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in ["articles", "gazetteer", "styles"] {
        copy_dir(&root().join(name), &dir.path().join(name));
    }
    dir
}

/// The child, killed when the test ends however it ends.
struct Watcher {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watcher {
    fn start(dir: &Path) -> Watcher {
        let mut child = Command::new(env!("CARGO_BIN_EXE_frontmap"))
            .args(["watch", "--debounce-ms", "150"])
            .current_dir(dir)
            .env("FRONTMAP_CACHE", dir.join("cache"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn frontmap watch");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watcher { child, lines, seen: Vec::new() }
    }

    /// The lines printed until one satisfies `done` (included); panics after the timeout.
    fn until(&mut self, what: &str, done: impl Fn(&str) -> bool) -> Vec<String> {
        let start = Instant::now();
        let mut got = Vec::new();
        loop {
            let left = TIMEOUT.checked_sub(start.elapsed()).unwrap_or_default();
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    let end = done(&line);
                    got.push(line);
                    if end {
                        return got;
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no {what} within {TIMEOUT:?}; output:\n{}", self.seen.join("\n"))
                }
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("frontmap watch exited before {what}; output:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    /// The report of one rebuild, up to its last line.
    fn rebuild(&mut self, what: &str) -> Vec<String> {
        self.until(what, |l| l.trim_end_matches(')').ends_with(" ms") || l.contains("keeping the last good output"))
    }
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Every file directly in out/, with its bytes.
fn layers(out: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(out).expect("out/").map(|e| e.expect("entry").path()).filter(|p| p.is_file()).collect();
    files.sort();
    files.into_iter().map(|p| (p.clone(), read(&p))).collect()
}

#[test]
fn watch_rebuilds_on_edits_and_survives_a_broken_gazetteer() {
    let dir = project();
    let out = dir.path().join("out");
    let places = dir.path().join("gazetteer/places.geojson");
    let mut w = Watcher::start(dir.path());
    let first = w.until("initial build", |l| l.contains("watching"));
    assert!(first.iter().any(|l| l.contains(" events,")), "{first:?}");
    assert!(first.iter().all(|l| !l.contains("error")), "{first:?}");
    let events_before = read(&out.join("events.geojson"));

    // An edit: Al-Karabla moves 5.5 km north and gains an alias.
    let good = String::from_utf8(read(&places)).expect("UTF-8");
    assert!(good.contains(KARABLA), "the bundled places.geojson changed: update KARABLA");
    let edited = good.replacen(KARABLA, KARABLA_MOVED, 1);
    std::fs::write(&places, &edited).expect("write places.geojson");
    let report = w.rebuild("rebuild after the edit");
    assert!(report.iter().any(|l| l.contains("gazetteer/places.geojson changed")), "{report:?}");
    assert!(report.iter().all(|l| !l.contains("error")), "{report:?}");
    // Once build_in fills `summary.changes`, the report says how: check it when it does.
    if report.iter().any(|l| l.contains("moved")) {
        assert!(report.iter().any(|l| l.contains("Al-Karabla moved 5.5 km north")), "{report:?}");
    }
    let events_after = read(&out.join("events.geojson"));
    assert_ne!(events_before, events_after, "events.geojson did not change");
    assert!(
        String::from_utf8_lossy(&events_after).contains("34.43361"),
        "Al-Karabla's new point is not in events.geojson"
    );

    // A broken gazetteer: the error names the file, out/ stays as it was.
    let before = layers(&out);
    let broken = edited.replacen("\"type\": \"Point\"}, \"properties\"", "\"type\": \"Point\"},, \"properties\"", 1);
    assert_ne!(broken, edited);
    std::fs::write(&places, &broken).expect("write broken places.geojson");
    let report = w.rebuild("error report");
    assert!(report.iter().any(|l| l.contains("error") && l.contains("places.geojson")), "{report:?}");
    assert!(report.iter().any(|l| l.contains("keeping the last good output")), "{report:?}");
    assert_eq!(before, layers(&out), "out/ changed after a failed build");

    // Fixed: the next save builds again.
    std::fs::write(&places, &edited).expect("write fixed places.geojson");
    let report = w.rebuild("rebuild after the fix");
    assert!(report.iter().all(|l| !l.contains("error")), "{report:?}");
    assert!(report.last().is_some_and(|l| l.trim_end_matches(')').ends_with(" ms")), "{report:?}");
    assert_eq!(before, layers(&out), "the fixed gazetteer is the one of the last good build");

    // An editor's swap file alone does not rebuild; an article edit does.
    std::fs::write(dir.path().join("gazetteer/.places.geojson.swp"), b"swap").expect("swap file");
    let article = dir.path().join("articles/004_85120143c46ba635.txt");
    let mut text = String::from_utf8(read(&article)).expect("UTF-8");
    text.push_str("\nLes forces irakiennes ont repris Rawa.\n");
    std::fs::write(&article, text).expect("write article");
    let report = w.rebuild("rebuild after the article edit");
    let changed = report.iter().find(|l| l.ends_with(" changed")).expect("a changed-files line");
    assert!(changed.contains("articles/004_85120143c46ba635.txt") && !changed.contains(".swp"), "{report:?}");
}

#[test]
fn place_changes_between_the_bundled_gazetteer_and_an_edited_copy() {
    let dir = project();
    let gdir = dir.path().join("gazetteer");
    let old = Gazetteer::load_dir(&gdir).expect("bundled gazetteer");
    let places = gdir.join("places.geojson");
    let text = String::from_utf8(read(&places)).expect("UTF-8");
    std::fs::write(&places, text.replacen(KARABLA, KARABLA_MOVED, 1)).expect("write");
    std::fs::write(
        gdir.join("aliases.tsv"),
        format!("{}rawa\tRaoua\n", String::from_utf8(read(&gdir.join("aliases.tsv"))).expect("UTF-8")),
    )
    .expect("write aliases");
    // A curated entry taking over the GeoNames row of Zaxo: the same place, renamed, not a new one.
    let text = String::from_utf8(read(&places)).expect("UTF-8");
    let end = text.rfind(']').expect("the features array");
    let zakho = ",\n{\"geometry\": null, \"properties\": {\"country\": \"IQ\", \"geonames_id\": 89570, \"id\": \"zakho\", \"kind\": \"city\", \"name\": \"Zakho\", \"source\": \"curated\"}, \"type\": \"Feature\"}\n";
    let text = format!("{}{zakho}{}", text[..end].trim_end(), &text[end..]);
    std::fs::write(&places, text).expect("write");
    let new = Gazetteer::load_dir(&gdir).expect("edited gazetteer");
    let changes = place_changes(&old, &new);
    let lines: Vec<String> = changes.iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "alias \"Karablah-watch\" added to Al-Karabla",
            "Al-Karabla moved 5.5 km north",
            "alias \"Raoua\" added to Rawa",
            "Zaxo renamed Zakho",
            "Zakho: id, kind, source changed",
        ],
        "{changes:?}"
    );
    assert!(matches!(&changes[1], PlaceChange::Moved { id, direction: "north", .. } if id == "karabilah"));
    assert_eq!(summarize(&changes, 1), ["alias \"Karablah-watch\" added to Al-Karabla", "… and 4 more"]);
    assert!(place_changes(&new, &new).is_empty());
}
