//! The geoparser on ten articles written for evaluation by someone who did not see the code
//! (`tests/fixtures/heldout/`, other outlets and other battles of the same war, 7 French and 3 English):
//! precision and recall must stay at or above 0.85, the figure real unseen articles are judged at.

mod common;

use common::*;
use frontmap::gazetteer::Gazetteer;
use frontmap::geoparse::GeoParser;
use frontmap::text::{self, Corpus, ZoneRules};
use serde_json::Value;

#[test]
fn precision_and_recall_reach_085_on_articles_nobody_tuned_for() {
    let g = Gazetteer::load_dir(&gazetteer_dir()).expect("gazetteer");
    let parser = GeoParser::new(&g);
    let dir = root().join("tests/fixtures/heldout");
    let gold = fixture("heldout/gold.json");
    let rules = ZoneRules::builtin();
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for (name, info) in gold["files"].as_object().expect("files") {
        let article = text::read_article(&dir.join(name), &rules, &Corpus::default(), None).expect("article");
        let mentions = parser.parse(&article).mentions;
        let golds: Vec<&Value> =
            info["place_mentions"].as_array().expect("mentions").iter().filter(|m| m["role"] == "location").collect();
        let mut used = vec![false; mentions.len()];
        for gm in golds {
            let (gs, ge) =
                (gm["byte_start"].as_u64().unwrap_or(0) as usize, gm["byte_end"].as_u64().unwrap_or(0) as usize);
            let hit = mentions.iter().enumerate().find(|(i, m)| {
                !used[*i] && m.source_range.start < ge && gs < m.source_range.end && place_ok(gm, m.point.y, m.point.x)
            });
            match hit {
                Some((i, _)) => {
                    used[i] = true;
                    tp += 1;
                }
                None => {
                    fn_ += 1;
                    eprintln!("  missed {name} @{gs} {:?}", gm["surface"]);
                }
            }
        }
        for m in mentions.iter().zip(&used).filter(|(_, u)| !**u).map(|(m, _)| m) {
            fp += 1;
            eprintln!(
                "  spurious {name} @{} {:?} -> {}",
                m.source_range.start,
                m.surface(&article.text),
                g.places[m.place].id
            );
        }
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    eprintln!("geoparse held-out: tp {tp} fp {fp} fn {fn_} precision {precision:.3} recall {recall:.3}");
    assert!(precision >= 0.85, "precision {precision:.3}");
    assert!(recall >= 0.85, "recall {recall:.3}");
}
