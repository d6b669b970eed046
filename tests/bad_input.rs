//! Bad input never panics and never loses data: for each broken input the command stops with an error
//! that names the file and the line or feature and what is wrong, exits with 2 (input at fault), and
//! leaves the output directory exactly as it was.

mod common;

use std::path::PathBuf;
use std::process::Command;

/// A scratch copy of the bundled inputs.
struct Project {
    dir: PathBuf,
}

impl Project {
    fn new(name: &str) -> Project {
        let dir = common::scratch_copy("bad", name);
        // An output directory with a file in it, to check that failures leave it untouched.
        std::fs::create_dir_all(dir.join("out")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(dir.join("out/places.geojson"), "previous output\n").unwrap_or_else(|e| panic!("{e}"));
        Project { dir }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    fn write(&self, rel: &str, content: &str) {
        std::fs::write(self.path(rel), content).unwrap_or_else(|e| panic!("{rel}: {e}"));
    }

    fn edit(&self, rel: &str, f: impl Fn(String) -> String) {
        let text = std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
        self.write(rel, &f(text));
    }

    /// Run frontmap with `args` ({dir} is replaced by the project directory).
    fn run(&self, args: &[&str]) -> (i32, String) {
        let args: Vec<String> = args.iter().map(|a| a.replace("{dir}", &self.dir.display().to_string())).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_frontmap"))
            .args(&args)
            .current_dir(&self.dir)
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap_or_else(|e| panic!("run: {e}"));
        // The command's report: its error (stderr) and, for `gazetteer check`, its findings (stdout).
        let text = format!("{}{}", String::from_utf8_lossy(&out.stderr), String::from_utf8_lossy(&out.stdout));
        (
            out.status.code().unwrap_or(-1),
            if out.status.success() { String::from_utf8_lossy(&out.stderr).into_owned() } else { text },
        )
    }

    fn out_listing(&self) -> Vec<(String, Vec<u8>)> {
        let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(self.path("out"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| {
                        (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap_or_default())
                    })
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    }
}

impl Drop for Project {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const BUILD: &[&str] = &[
    "build",
    "--articles",
    "{dir}/articles",
    "--gazetteer",
    "{dir}/gazetteer",
    "--styles",
    "{dir}/styles",
    "--out",
    "{dir}/out",
];

struct Case {
    name: &'static str,
    setup: fn(&Project),
    args: &'static [&'static str],
    code: i32,
    /// Every one of these must appear in stderr.
    expect: &'static [&'static str],
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "truncated-curated-json",
            setup: |p| p.edit("gazetteer/places.geojson", |t| t[..t.len() / 2].to_string()),
            args: BUILD,
            code: 2,
            expect: &["places.geojson:", "invalid JSON"],
        },
        Case {
            name: "longitude-400",
            setup: |p| p.edit("gazetteer/places.geojson", |t| t.replacen("[41.0945, 34.3688]", "[400.0, 34.3688]", 1)),
            args: BUILD,
            code: 2,
            expect: &["places.geojson", "id \"al-qaim\"", "longitude 400 out of range"],
        },
        Case {
            name: "latitude-nan-text",
            setup: |p| {
                p.edit("gazetteer/places.geojson", |t| t.replacen("[41.0945, 34.3688]", "[41.0945, \"north\"]", 1))
            },
            args: BUILD,
            code: 2,
            expect: &["places.geojson", "al-qaim"],
        },
        Case {
            name: "geonames-row-with-5-columns",
            setup: |p| p.edit("gazetteer/geonames/capitals.txt", |t| format!("{t}123\tName\tName\t\t12.5\n")),
            args: BUILD,
            code: 2,
            expect: &["capitals.txt:234", "expected 19 tab-separated columns, found 5"],
        },
        Case {
            name: "geonames-latitude-not-a-number",
            setup: |p| {
                p.edit("gazetteer/geonames/capitals.txt", |t| {
                    let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
                    let mut cols: Vec<String> = lines[0].split('\t').map(str::to_string).collect();
                    cols[4] = "abc".into();
                    lines[0] = cols.join("\t");
                    lines.join("\n") + "\n"
                })
            },
            args: BUILD,
            code: 2,
            expect: &["capitals.txt:1", "latitude \"abc\" is not a number"],
        },
        Case {
            name: "geonames-longitude-out-of-range",
            setup: |p| {
                p.edit("gazetteer/geonames/capitals.txt", |t| {
                    let mut lines: Vec<String> = t.lines().map(str::to_string).collect();
                    let mut cols: Vec<String> = lines[2].split('\t').map(str::to_string).collect();
                    cols[5] = "200.5".into();
                    lines[2] = cols.join("\t");
                    lines.join("\n") + "\n"
                })
            },
            args: BUILD,
            code: 2,
            expect: &["capitals.txt:3", "longitude 200.5 out of range"],
        },
        Case {
            name: "alias-for-unknown-place",
            setup: |p| p.edit("gazetteer/aliases.tsv", |t| format!("{t}atlantis\tAtlantide\n")),
            args: BUILD,
            code: 2,
            expect: &["aliases.tsv:", "unknown place id \"atlantis\""],
        },
        Case {
            name: "alias-row-without-alias",
            setup: |p| p.edit("gazetteer/aliases.tsv", |t| format!("{t}rawa\n")),
            args: BUILD,
            code: 2,
            expect: &["aliases.tsv:", "expected PLACE_ID<TAB>ALIAS"],
        },
        Case {
            name: "curated-feature-without-id",
            setup: |p| p.edit("gazetteer/places.geojson", |t| t.replacen("\"id\": \"saada\", ", "", 1)),
            args: BUILD,
            code: 2,
            expect: &["places.geojson: feature", "no `id` property"],
        },
        Case {
            name: "curated-unknown-kind",
            setup: |p| {
                p.edit("gazetteer/places.geojson", |t| t.replacen("\"kind\": \"town\"", "\"kind\": \"spaceport\"", 1))
            },
            args: BUILD,
            code: 2,
            expect: &["places.geojson", "unknown kind \"spaceport\""],
        },
        Case {
            name: "curated-null-geometry-no-geonames",
            setup: |p| {
                p.edit("gazetteer/places.geojson", |t| {
                    t.replacen(
                        "{\"geometry\": {\"coordinates\": [40.955, 34.447], \"type\": \"Point\"}",
                        "{\"geometry\": null",
                        1,
                    )
                })
            },
            args: BUILD,
            code: 2,
            expect: &["places.geojson", "baghuz", "no geometry and no geonames_id"],
        },
        Case {
            name: "not-a-feature-collection",
            setup: |p| p.write("gazetteer/basemap/lakes.geojson", "{\"type\":\"Feature\"}"),
            args: BUILD,
            code: 2,
            expect: &["lakes.geojson", "not a GeoJSON FeatureCollection"],
        },
        Case {
            name: "empty-gazetteer-directory",
            setup: |p| {
                let _ = std::fs::remove_dir_all(p.path("gazetteer"));
                let _ = std::fs::create_dir_all(p.path("gazetteer"));
            },
            args: BUILD,
            code: 2,
            expect: &["not a gazetteer directory"],
        },
        Case {
            name: "corpus-toml-syntax",
            setup: |p| p.edit("articles/corpus.toml", |t| format!("{t}\n[articles.\"x.txt\"\ndate = \n")),
            args: BUILD,
            code: 2,
            expect: &["corpus.toml:"],
        },
        Case {
            name: "corpus-toml-impossible-date",
            setup: |p| p.edit("articles/corpus.toml", |t| t.replacen("2017-10-26", "2017-13-45", 1)),
            args: BUILD,
            code: 2,
            expect: &["corpus.toml", "\"2017-13-45\" is not YYYY, YYYY-MM or YYYY-MM-DD"],
        },
        Case {
            name: "corpus-toml-unknown-key",
            setup: |p| p.edit("articles/corpus.toml", |t| t.replacen("source = \"AFP\"", "sauce = \"AFP\"", 1)),
            args: BUILD,
            code: 2,
            expect: &["corpus.toml", "unknown key \"sauce\""],
        },
        Case {
            name: "missing-articles-directory",
            setup: |_| {},
            args: &["build", "--articles", "{dir}/nowhere", "--gazetteer", "{dir}/gazetteer", "--out", "{dir}/out"],
            code: 2,
            expect: &["nowhere", "cannot read"],
        },
        Case {
            name: "missing-article-file",
            setup: |_| {},
            args: &["mentions", "{dir}/articles/absent.txt", "--gazetteer", "{dir}/gazetteer"],
            code: 2,
            expect: &["absent.txt", "cannot read"],
        },
        Case {
            name: "unknown-flag",
            setup: |_| {},
            args: &["build", "--colour", "red"],
            code: 2,
            expect: &["unexpected argument '--colour'"],
        },
        Case {
            name: "bad-date-flag",
            setup: |_| {},
            args: &["build", "--date", "yesterday"],
            code: 2,
            expect: &["\"yesterday\" is not a date"],
        },
        Case {
            name: "style-truncated",
            setup: |p| p.edit("styles/default.json", |t| t[..t.len() / 3].to_string()),
            args: BUILD,
            code: 2,
            expect: &["default.json"],
        },
        Case {
            name: "style-unknown-layer-type",
            setup: |p| p.edit("styles/default.json", |t| t.replacen("\"type\": \"fill\"", "\"type\": \"hologram\"", 1)),
            args: BUILD,
            code: 2,
            expect: &["default.json", "hologram"],
        },
        Case {
            name: "maps-toml-unknown-sheet",
            setup: |_| {},
            args: &["render", "--map", "atlantis", "--styles", "{dir}/styles", "--out", "{dir}/out/maps"],
            code: 2,
            expect: &["atlantis", "no such sheet"],
        },
        Case {
            name: "gazetteer-check-dangling-parent",
            setup: |p| {
                p.edit("gazetteer/places.geojson", |t| {
                    t.replacen("\"parent\": \"al-qaim-district\"", "\"parent\": \"nowhere\"", 1)
                })
            },
            args: &["gazetteer", "check", "--gazetteer", "{dir}/gazetteer"],
            code: 2,
            expect: &["parent \"nowhere\" does not exist"],
        },
        Case {
            name: "import-geonames-short-row",
            setup: |p| p.write("short.txt", "1\tA\tA\t\t1.0\n"),
            args: &["gazetteer", "import-geonames", "{dir}/short.txt", "--gazetteer", "{dir}/gazetteer"],
            code: 2,
            expect: &["short.txt:1", "expected 19 tab-separated columns, found 5"],
        },
    ]
}

#[test]
fn every_bad_input_is_reported_with_its_place_and_leaves_out_untouched() {
    let cases = cases();
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for case in &cases {
        let p = Project::new(case.name);
        (case.setup)(&p);
        let before = p.out_listing();
        let (code, stderr) = p.run(case.args);
        let after = p.out_listing();
        let mut problems = Vec::new();
        if code != case.code {
            problems.push(format!("exit code {code}, expected {}", case.code));
        }
        for e in case.expect {
            if !stderr.contains(e) {
                problems.push(format!("stderr lacks {e:?}"));
            }
        }
        if stderr.contains("panicked") || stderr.contains("stack backtrace") {
            problems.push("panicked".into());
        }
        if before != after {
            problems.push("out/ changed".into());
        }
        // One or two lines of message (clap adds its usage reminder to argument errors).
        let message_lines = stderr
            .lines()
            .filter(|l| {
                !l.trim().is_empty()
                    && !l.starts_with("Usage:")
                    && !l.starts_with("For more information")
                    && !l.starts_with("error: ")
                    && !l.starts_with("warning: ")
            })
            .count();
        if message_lines > 2 {
            problems.push(format!("error takes {message_lines} lines"));
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {} — stderr: {}", case.name, problems.join("; "), stderr.trim()));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}
