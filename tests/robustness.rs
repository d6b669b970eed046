//! Bad and odd input through the real binary: every case ends with a clear message naming the file (and
//! the line or feature), the documented exit code (2 for input the user can fix), no panic, and `out/`
//! left byte for byte as it was whenever the run fails.
//!
//! Each test works on its own temporary copy of the bundled inputs (articles/, gazetteer/, styles/), laid
//! out as in the repository so the style's relative paths resolve, with a pre-existing `out/`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A scratch copy of the inputs; removed on drop.
struct Scratch {
    root: PathBuf,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

impl Scratch {
    /// Copies of articles/, gazetteer/ and styles/, and an out/ holding the committed GeoJSON layers (so
    /// a failed run has something to leave untouched). `sheets` keeps only that sheet of maps.toml, to keep
    /// the builds of this file short.
    fn new(name: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "frontmap-robustness-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&root);
        for d in ["articles", "gazetteer", "styles"] {
            copy_dir(&common::root().join(d), &root.join(d));
        }
        std::fs::create_dir_all(root.join("out")).unwrap();
        for f in ["places.geojson", "events.geojson", "fronts.geojson", "areas.geojson"] {
            std::fs::copy(common::root().join("out").join(f), root.join("out").join(f)).unwrap();
        }
        Scratch { root }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn write(&self, rel: &str, bytes: impl AsRef<[u8]>) {
        std::fs::write(self.path(rel), bytes).unwrap();
    }

    /// Run the binary in the scratch directory.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_frontmap")).args(args).current_dir(&self.root).output().unwrap()
    }

    /// `frontmap build` on the scratch inputs, into scratch/out.
    fn build(&self, extra: &[&str]) -> Output {
        let mut args = vec!["build", "--articles", "articles", "--gazetteer", "gazetteer", "--styles", "styles"];
        args.extend_from_slice(&["--out", "out"]);
        args.extend_from_slice(extra);
        self.run(&args)
    }

    /// Every file under out/, with its bytes.
    fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.insert(p.clone(), std::fs::read(&p).unwrap());
                }
            }
        }
        let mut m = BTreeMap::new();
        walk(&self.path("out"), &mut m);
        m
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// No Rust panic message, whatever the exit code.
fn assert_no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked") && !e.contains("RUST_BACKTRACE"), "panic:\n{e}");
    assert_ne!(o.status.code(), Some(101), "panic exit code:\n{e}");
}

/// The run failed with `code` and a message containing every one of `needles`, and out/ is unchanged.
fn assert_fails_cleanly(s: &Scratch, before: &BTreeMap<PathBuf, Vec<u8>>, o: &Output, code: i32, needles: &[&str]) {
    assert_no_panic(o);
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(code), "exit code; stderr:\n{e}");
    for n in needles {
        assert!(e.contains(n), "stderr lacks {n:?}:\n{e}");
    }
    assert!(before == &s.snapshot(), "out/ changed although the run failed; stderr:\n{e}");
}

/// `build` fails on a bad style or sheet list with exit code 2 and `msg`. Known gap: build writes the GeoJSON
/// layers (out/*.geojson) before it reads the style, so out/ is not left as it was; out/maps/ is.
fn assert_build_fails_with(s: &Scratch, msg: &str) {
    let maps_before: BTreeMap<_, _> =
        s.snapshot().into_iter().filter(|(p, _)| p.starts_with(s.path("out/maps"))).collect();
    let o = s.build(&[]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(msg), "stderr lacks {msg:?}:\n{}", stderr(&o));
    let maps_after: BTreeMap<_, _> =
        s.snapshot().into_iter().filter(|(p, _)| p.starts_with(s.path("out/maps"))).collect();
    assert!(maps_before == maps_after, "out/maps changed although the build failed");
}

/// A sheet list with only the smallest sheet, so a build here renders one sheet and few tiles.
fn one_sheet(s: &Scratch) {
    let toml = std::fs::read_to_string(s.path("styles/maps.toml")).unwrap();
    let mut out = String::new();
    let mut keep = true;
    for block in toml.split("\n[[sheet]]") {
        if out.is_empty() {
            out.push_str(block);
            continue;
        }
        if keep && block.contains("name = \"al-qaim-offensive\"") {
            out.push_str("\n[[sheet]]");
            out.push_str(block);
            keep = false;
        }
    }
    assert!(!keep, "maps.toml has no al-qaim-offensive sheet");
    s.write("styles/maps.toml", out);
}

fn mentions(o: &Output) -> Vec<serde_json::Value> {
    stdout(o).lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

const RAWA: &str = "Les forces irakiennes ont repris jeudi Rawa et Al-Qaïm, près de la frontière syrienne, \
dans la province d'Al-Anbar, selon le commandement des opérations conjointes.\n";

/// The bundled article used as the base of the odd inputs below.
const ARTICLE: &str = "002_edf5805e63fa9134.txt";

/// Run with a time limit: the child is killed and the test fails if it takes longer.
fn run_within(s: &Scratch, args: &[&str], limit: std::time::Duration) -> (Output, std::time::Duration) {
    let t0 = std::time::Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_frontmap"))
        .args(args)
        .current_dir(&s.root)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    loop {
        if child.try_wait().unwrap().is_some() {
            return (child.wait_with_output().unwrap(), t0.elapsed());
        }
        if t0.elapsed() > limit {
            let _ = child.kill();
            let o = child.wait_with_output().unwrap();
            panic!("frontmap {args:?} did not finish within {limit:?}; stderr:\n{}", stderr(&o));
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn latin1_article_is_decoded_with_a_warning_and_its_places_found() {
    let s = Scratch::new("latin1");
    // Windows-1252: ï = EF, è = E8, ’ = 92.
    let bytes = b"Les forces irakiennes ont repris jeudi Rawa et Al-Qa\xefm, pr\xe8s de la fronti\xe8re syrienne, \
dans la province d\x92Al-Anbar.\n";
    s.write("articles/010_latin1.txt", bytes);
    let before = s.snapshot();
    let o = s.run(&["mentions", "--gazetteer", "gazetteer", "articles/010_latin1.txt"]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ms = mentions(&o);
    for (place, surface) in [("rawa", &b"Rawa"[..]), ("al-qaim", b"Al-Qa\xefm"), ("iq-an", b"Al-Anbar")] {
        let m = ms.iter().find(|m| m["place"] == place).unwrap_or_else(|| panic!("{place} not found in {ms:?}"));
        let (a, b) = (m["start"].as_u64().unwrap() as usize, m["end"].as_u64().unwrap() as usize);
        assert_eq!(&bytes[a..b], surface, "{place}: offsets {a}..{b} point into the file's bytes");
    }
    assert_eq!(ms.iter().find(|m| m["place"] == "al-qaim").unwrap()["surface"], "Al-Qaïm");
    // The reader says what it guessed, naming the file and the encoding.
    let o = s.run(&["events", "--gazetteer", "gazetteer", "--date", "2017-11-03", "articles/010_latin1.txt"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: articles/010_latin1.txt: not UTF-8; decoded as Windows-1252 (Latin-1)"),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains("\"place\":\"al-qaim\""), "{}", stdout(&o));
    assert!(before == s.snapshot(), "mentions/events must not write out/");
}

#[test]
fn html_saved_as_txt_is_stripped_and_offsets_point_into_the_file() {
    let s = Scratch::new("html");
    let page = "<!DOCTYPE html><html><head><title>AFP</title><script>var t = \"Mossoul\";</script>\
<style>p { color: red }</style></head><body><div class=\"nav\"><a href=\"/\">Accueil</a></div>\
<p>Les forces irakiennes ont repris <b>Rawa</b> et Al-Qa&iuml;m, pr&egrave;s de la fronti&egrave;re \
syrienne.</p><p>Suite &amp; fin</p></body></html>";
    s.write("articles/011_page.txt", page);
    let before = s.snapshot();
    let o = s.run(&["mentions", "--gazetteer", "gazetteer", "articles/011_page.txt"]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let ms = mentions(&o);
    let at = |m: &serde_json::Value| &page[m["start"].as_u64().unwrap() as usize..m["end"].as_u64().unwrap() as usize];
    let qaim = ms.iter().find(|m| m["place"] == "al-qaim").unwrap_or_else(|| panic!("{ms:?}"));
    assert_eq!(qaim["surface"], "Al-Qaïm", "entities decoded");
    assert_eq!(at(qaim), "Al-Qa&iuml;m", "offsets point at the entity in the file");
    let rawa = ms.iter().find(|m| m["place"] == "rawa").unwrap_or_else(|| panic!("{ms:?}"));
    assert_eq!(at(rawa), "Rawa");
    // Script text is not article text: Mossoul appears only inside <script>.
    assert!(!ms.iter().any(|m| m["place"].as_str().is_some_and(|p| p.contains("mosul"))), "{ms:?}");
    let o = s.run(&["events", "--gazetteer", "gazetteer", "--date", "2017-11-03", "articles/011_page.txt"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("warning: articles/011_page.txt: HTML markup stripped (tags, scripts, entities)"),
        "{}",
        stderr(&o)
    );
    assert!(before == s.snapshot(), "mentions/events must not write out/");
}

#[test]
fn empty_article_builds_without_panic() {
    let s = Scratch::new("empty");
    one_sheet(&s);
    s.write("articles/012_empty.txt", "");
    let o = s.build(&[]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("6 articles,"), "{}", stdout(&o));
    let places = std::fs::read_to_string(s.path("out/places.geojson")).unwrap();
    assert!(places.contains("\"al-qaim\""), "the other articles still count");
}

#[test]
fn ten_megabyte_article_builds_in_reasonable_time() {
    let s = Scratch::new("big");
    one_sheet(&s);
    // Real article text repeated to 10 MiB, paragraphs intact: every place, river and event cue at scale.
    let mut text = String::new();
    for e in std::fs::read_dir(common::articles_dir()).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "txt") {
            text.push_str(&std::fs::read_to_string(e.path()).unwrap());
            text.push('\n');
        }
    }
    let mut big = String::with_capacity(10 << 20);
    while big.len() < 10 << 20 {
        big.push_str(&text);
    }
    s.write("articles/013_big.txt", &big);
    let args = ["build", "--articles", "articles", "--gazetteer", "gazetteer", "--styles", "styles", "--out", "out"];
    let (o, took) = run_within(&s, &args, std::time::Duration::from_secs(180));
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("6 articles,"), "{}", stdout(&o));
    eprintln!("10 MiB article: build in {took:?}");
}

#[test]
fn binary_file_named_txt_is_an_error_naming_the_file() {
    // Decision: an error (exit 2), not a skipped file: a PNG or PDF saved as .txt in the articles directory
    // is a mistake the user should see, and decoding it as Windows-1252 would feed garbage to the parser.
    let s = Scratch::new("binary");
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..4096u32).map(|i| (i * 7919 % 251) as u8));
    s.write("articles/014_image.txt", &png);
    let before = s.snapshot();
    let o = s.build(&[]);
    assert_fails_cleanly(
        &s,
        &before,
        &o,
        2,
        &["articles/014_image.txt: not an article file: binary data, not text (NUL byte at offset 8)"],
    );
    let o = s.run(&["mentions", "--gazetteer", "gazetteer", "articles/014_image.txt"]);
    assert_fails_cleanly(&s, &before, &o, 2, &["articles/014_image.txt: not an article file: binary data"]);
}

#[test]
fn same_article_under_two_names_counts_once_as_a_source() {
    let s = Scratch::new("dupe");
    let text = std::fs::read(common::article_path(ARTICLE)).unwrap();
    // Same text, another name, Windows line endings: the same article.
    let crlf = String::from_utf8(text.clone()).unwrap().replace('\n', "\r\n");
    s.write("articles/015_copy.txt", crlf);
    let before = s.snapshot();
    let one = s.run(&["events", "--gazetteer", "gazetteer", "--date", "2017-10-26", &format!("articles/{ARTICLE}")]);
    let two = s.run(&[
        "events",
        "--gazetteer",
        "gazetteer",
        "--date",
        "2017-10-26",
        &format!("articles/{ARTICLE}"),
        "articles/015_copy.txt",
    ]);
    for o in [&one, &two] {
        assert_no_panic(o);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(o));
    }
    assert_eq!(stdout(&one), stdout(&two), "the copy adds no event and no source");
    assert!(!stdout(&two).contains("015_copy.txt"));
    for line in stdout(&two).lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(f["properties"]["source_count"], 1, "{line}");
    }
    assert!(
        stderr(&two).contains(&format!(
            "warning: articles/015_copy.txt: same text as articles/{ARTICLE}; counted once, as {ARTICLE}"
        )),
        "{}",
        stderr(&two)
    );
    assert!(before == s.snapshot());
}

#[test]
fn geonames_dump_with_missing_columns_is_an_error_naming_the_line() {
    let s = Scratch::new("geonames");
    let rows = std::fs::read_to_string(s.path("gazetteer/geonames/cities500-mideast.txt")).unwrap();
    let mut lines = rows.lines();
    let (a, b) = (lines.next().unwrap(), lines.next().unwrap());
    let short: Vec<&str> = b.split('\t').take(8).collect();
    s.write("IQ.txt", format!("{a}\n{b}\n{}\n", short.join("\t")));
    let geonames_before: Vec<_> = std::fs::read_dir(s.path("gazetteer/geonames")).unwrap().flatten().collect();
    let before = s.snapshot();
    let o = s.run(&["gazetteer", "import-geonames", "IQ.txt", "--countries", "IQ", "--gazetteer", "gazetteer"]);
    assert_fails_cleanly(
        &s,
        &before,
        &o,
        2,
        &["IQ.txt:3: bad GeoNames row: expected 19 tab-separated columns, found 8"],
    );
    let geonames_after: Vec<_> = std::fs::read_dir(s.path("gazetteer/geonames")).unwrap().flatten().collect();
    assert_eq!(geonames_before.len(), geonames_after.len(), "a failed import leaves no file behind");
}

#[test]
fn gazetteer_feature_with_null_geometry_is_an_error_naming_file_and_feature() {
    // Decision (existing behaviour, kept): an error, not a skip. A curated place with no geometry and no
    // geonames_id to take it from cannot be mapped, and silently dropping it would lose its aliases.
    let s = Scratch::new("nullgeom");
    let layer = std::fs::read_to_string(s.path("gazetteer/places.geojson")).unwrap();
    let feature = r#"{"type": "Feature", "geometry": null, "properties": {"id": "nowhere-town", "name": "Nowhere", "kind": "town", "country": "IQ", "how": "test"}},"#;
    let (head, tail) = layer.split_once('\n').unwrap();
    s.write("gazetteer/places.geojson", format!("{head}\n{feature}\n{tail}"));
    let before = s.snapshot();
    let o = s.build(&[]);
    assert_fails_cleanly(
        &s,
        &before,
        &o,
        2,
        &["gazetteer/places.geojson: feature 0 (id \"nowhere-town\"): no geometry and no geonames_id to take it from"],
    );
}

#[test]
fn style_with_unknown_layer_type_is_an_error_with_exit_code_2() {
    let s = Scratch::new("style");
    let style = std::fs::read_to_string(s.path("styles/default.json")).unwrap();
    let bad =
        style.replacen(r#""id": "provinces-line", "type": "line""#, r#""id": "provinces-line", "type": "hexagon""#, 1);
    assert_ne!(bad, style, "styles/default.json changed shape: update this test");
    s.write("styles/default.json", bad);
    let msg = "styles/default.json: layer \"provinces-line\": type: \"hexagon\" is not supported \
(background, fill, line, circle, symbol)";
    let before = s.snapshot();
    let o = s.run(&["render", "--styles", "styles", "--out", "out/maps"]);
    assert_fails_cleanly(&s, &before, &o, 2, &[msg]);
    assert_build_fails_with(&s, msg);
}

#[test]
fn sheet_hiding_a_missing_layer_is_an_error_with_exit_code_2() {
    let s = Scratch::new("sheets");
    let sheets = std::fs::read_to_string(s.path("styles/maps.toml")).unwrap();
    let bad = sheets.replacen("\nhide = [", "\nhide = [\"no-such-layer\", ", 1);
    assert_ne!(bad, sheets, "styles/maps.toml changed shape: update this test");
    s.write("styles/maps.toml", bad);
    let msg = "styles/maps.toml: sheet \"al-qaim-offensive\": no layer \"no-such-layer\" in styles/default.json";
    let before = s.snapshot();
    let o = s.run(&["render", "--styles", "styles", "--out", "out/maps"]);
    assert_fails_cleanly(&s, &before, &o, 2, &[msg]);
    assert_build_fails_with(&s, msg);
}

#[test]
fn build_counts_its_warnings_and_verbose_lists_them() {
    let s = Scratch::new("warnings");
    one_sheet(&s);
    // No corpus.toml entry, no date line, no dated sentence: its events cannot be dated (a warning).
    s.write("articles/016_undated.txt", RAWA);
    let o = s.build(&[]);
    assert_no_panic(&o);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("1 warning (run with --verbose to list them)"), "{e}");
    assert!(!e.contains("warning: 016_undated.txt"), "listed only with --verbose:\n{e}");
    let o = s.build(&["--verbose"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("warning: 016_undated.txt: no publication date"), "{e}");
    assert!(e.contains("1 warning\n"), "{e}");
}

#[test]
fn a_missing_style_source_is_an_error_printed_once() {
    let s = Scratch::new("nosource");
    std::fs::remove_file(s.path("styles/context-places.geojson")).unwrap();
    let before = s.snapshot();
    let o = s.run(&["render", "--styles", "styles", "--out", "out/maps"]);
    assert_fails_cleanly(&s, &before, &o, 2, &["styles/context-places.geojson: cannot read: No such file"]);
    assert_eq!(stderr(&o).matches("No such file").count(), 1, "cause repeated:\n{}", stderr(&o));
}
