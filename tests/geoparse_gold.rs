//! The geoparser against the hand-made gold annotation of the five bundled articles
//! (`tests/fixtures/gold-mentions.json`, `gold-places.json`), scored as `tests/fixtures/README.md` says:
//! a gold mention is found when one of our mentions overlaps its span and our point lies within the
//! tolerance of the gold place (or of a place the gold also accepts).

mod common;

use common::*;
use frontmap::gazetteer::Gazetteer;
use frontmap::geoparse::{GeoParser, Mention};
use frontmap::text::{self, Corpus, ZoneRules};
use serde_json::Value;
use std::collections::HashMap;

struct Run {
    gazetteer: Gazetteer,
    articles: Vec<text::Article>,
}

fn run() -> Run {
    let gazetteer = Gazetteer::load_dir(&gazetteer_dir()).expect("bundled gazetteer loads");
    let corpus = Corpus::load(&articles_dir()).expect("corpus.toml");
    let rules = ZoneRules::builtin();
    let gold = fixture("gold-mentions.json");
    let mut articles = Vec::new();
    for name in gold["files"].as_object().expect("files").keys() {
        articles.push(text::read_article(&article_path(name), &rules, &corpus, None).expect("article reads"));
    }
    Run { gazetteer, articles }
}

fn parse_all(run: &Run) -> Vec<Vec<Mention>> {
    let parser = GeoParser::new(&run.gazetteer);
    run.articles.iter().map(|a| parser.parse(a).mentions).collect()
}

fn overlaps(m: &Mention, g: &Value) -> bool {
    let (gs, ge) = (g["byte_start"].as_u64().unwrap_or(0) as usize, g["byte_end"].as_u64().unwrap_or(0) as usize);
    m.source_range.start < ge && gs < m.source_range.end
}

#[test]
fn precision_and_recall_reach_095_on_the_bundled_articles() {
    let run = run();
    let all = parse_all(&run);
    let gold = fixture("gold-mentions.json");
    let places: HashMap<String, Value> = fixture("gold-places.json")["places"]
        .as_array()
        .expect("places")
        .iter()
        .map(|p| (p["id"].as_str().unwrap_or("").to_string(), p.clone()))
        .collect();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    let mut report = Vec::new();
    for (article, mentions) in run.articles.iter().zip(&all) {
        let golds: Vec<&Value> = gold["files"][&article.id]["place_mentions"]
            .as_array()
            .expect("place_mentions")
            .iter()
            .filter(|g| g["role"] == "location")
            .collect();
        let mut used = vec![false; mentions.len()];
        for g in &golds {
            let ok_ids: Vec<&str> = std::iter::once(g["place"].as_str().unwrap_or(""))
                .chain(g["also_acceptable"].as_array().into_iter().flatten().filter_map(Value::as_str))
                .collect();
            let hit = mentions.iter().enumerate().find(|(i, m)| {
                !used[*i]
                    && overlaps(m, g)
                    && ok_ids.iter().any(|id| places.get(*id).is_some_and(|p| place_ok(p, m.point.y, m.point.x)))
            });
            match hit {
                Some((i, _)) => {
                    used[i] = true;
                    tp += 1;
                }
                None => {
                    fn_ += 1;
                    report.push(format!(
                        "missed {} @{} {:?} ({})",
                        article.id, g["byte_start"], g["surface"], g["place"]
                    ));
                }
            }
        }
        for (i, m) in mentions.iter().enumerate() {
            if !used[i] {
                fp += 1;
                let p = &run.gazetteer.places[m.place];
                report.push(format!(
                    "spurious {} @{} {:?} -> {}",
                    article.id,
                    m.source_range.start,
                    m.surface(&article.text),
                    p.id
                ));
            }
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    eprintln!("geoparse gold: tp {tp} fp {fp} fn {fn_} precision {precision:.3} recall {recall:.3}");
    for r in &report {
        eprintln!("  {r}");
    }
    assert!(precision >= 0.95, "precision {precision:.3} < 0.95");
    assert!(recall >= 0.95, "recall {recall:.3} < 0.95");
}

#[test]
fn metonymy_lookalikes_and_demonyms_are_never_listed() {
    let run = run();
    let all = parse_all(&run);
    let gold = fixture("gold-mentions.json");
    for (article, mentions) in run.articles.iter().zip(&all) {
        let file = &gold["files"][&article.id];
        let mut forbidden: Vec<&Value> = file["non_place_lookalikes"].as_array().expect("lookalikes").iter().collect();
        forbidden.extend(file["demonyms_not_mentions"].as_array().expect("demonyms"));
        forbidden
            .extend(file["place_mentions"].as_array().expect("mentions").iter().filter(|g| g["role"] != "location"));
        for f in forbidden {
            for m in mentions {
                assert!(
                    !overlaps(m, f),
                    "{}: {:?} listed as a place ({:?})",
                    article.id,
                    m.surface(&article.text),
                    f["surface"]
                );
            }
        }
    }
}

#[test]
fn gaza_is_the_quarter_of_al_qaim_not_the_strip() {
    let run = run();
    let all = parse_all(&run);
    let qaim = run.gazetteer.get("al-qaim").expect("al-qaim").point;
    let mut seen = 0;
    for (article, mentions) in run.articles.iter().zip(&all) {
        for m in mentions.iter().filter(|m| m.surface(&article.text) == "Gaza") {
            let d = frontmap::geodesy::distance_km(m.point, qaim);
            assert!(d <= 12.0, "{}: Gaza resolved {d:.0} km from al-Qaïm", article.id);
            seen += 1;
        }
    }
    assert_eq!(seen, 5, "the five mentions of the Gaza quarter");
}

#[test]
fn offsets_are_byte_offsets_into_the_original_file() {
    let run = run();
    for (article, mentions) in run.articles.iter().zip(parse_all(&run)) {
        let raw = std::fs::read(&article.path).expect("read");
        for m in mentions {
            assert_eq!(&raw[m.source_range.clone()], m.surface(&article.text).as_bytes(), "{}", article.id);
        }
    }
}
