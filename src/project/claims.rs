//! The text's own geographic statements, checked against the gazetteer (`out/claims.json`).
//!
//! Each rule of `lexicon/claims.tsv` finds a kind of statement ("à une dizaine de kilomètres de la Syrie",
//! "la frontière … qui court sur 600 km", "Boukamal en Syrie", "vaste comme l'Italie"…); the claim carries
//! the quote, the value stated, the value the gazetteer gives (geodesic km, km², degrees), the unit and
//! whether they agree. When the gazetteer cannot say (no polygon for "un territoire à cheval sur ces deux
//! pays"), `computed` and `ok` are null and `note` says why. A gazetteer change that breaks a claim shows
//! in the diff of `out/claims.json`.

use super::areas::Valley;
use super::geom;
use super::lexicon::{Directions, Phrase, ProjectLexiconError, Rules, angle_between};
use super::words::{Number, Tok, number_table, tok_range};
use super::{Ctx, is_point_like};
use crate::gazetteer::{Gazetteer, Kind};
use crate::geodesy::{bearing_deg, distance_km};
use crate::geoparse::{Mention, NonPlaceReason};
use crate::output::json::round_to;
use geo::{BooleanOps, Coord, Geometry, MultiPolygon};
use serde_json::{Value, json};

/// Row types of `lexicon/claims.tsv`.
pub const KINDS: &[&str] = &[
    "distance",
    "length",
    "near",
    "as_large_as",
    "in",
    "filler",
    "further",
    "straddle",
    "noun",
    "number",
    "approx",
    "unit",
    "param",
];

/// What a common noun of `noun` rows stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Referent {
    Settlement,
    Crossing,
    Border,
}

/// The rules of `lexicon/claims.tsv`.
#[derive(Debug, Clone)]
pub struct ClaimRules {
    pub distance: Vec<Phrase>,
    pub length: Vec<Phrase>,
    pub near: Vec<Phrase>,
    pub as_large_as: Vec<Phrase>,
    pub containment: Vec<Phrase>,
    pub filler: Vec<Phrase>,
    pub further: Vec<Phrase>,
    pub straddle: Vec<Phrase>,
    pub nouns: Vec<(Phrase, Referent)>,
    pub numbers: Vec<(Phrase, Number)>,
    pub approx: Vec<(Phrase, f64)>,
    /// Unit word → factor to km.
    pub units: Vec<(String, f64)>,
    pub tolerance: f64,
    pub near_km: f64,
    pub direction_tolerance: f64,
    pub straddle_min_share: f64,
    pub comparison_tolerance: f64,
}

impl ClaimRules {
    /// The rules shipped in `lexicon/claims.tsv` (compiled in, so the binary needs no data directory).
    pub fn builtin() -> ClaimRules {
        ClaimRules::parse("lexicon/claims.tsv", include_str!("../../lexicon/claims.tsv"))
            .unwrap_or_else(|e| panic!("bundled claim rules are invalid: {e}"))
    }

    /// Parse a claims rule file; errors name the file and line so an analyst can fix it.
    pub fn parse(file: &str, text: &str) -> Result<ClaimRules, ProjectLexiconError> {
        let r = Rules::parse(file, text, KINDS)?;
        let bad = |row: &super::lexicon::Row, msg: &str| ProjectLexiconError::Line {
            file: file.to_string(),
            line: row.line,
            msg: msg.to_string(),
        };
        let mut nouns = Vec::new();
        for row in r.rows("noun") {
            let referent = match row.value(0) {
                Some("settlement") => Referent::Settlement,
                Some("crossing") => Referent::Crossing,
                Some("border") => Referent::Border,
                _ => return Err(bad(row, "noun needs a REFERENT: settlement, crossing or border")),
            };
            nouns.push((row.phrase.clone(), referent));
        }
        nouns.sort_by_key(|n| std::cmp::Reverse(n.0.len()));
        let mut approx = Vec::new();
        for row in r.rows("approx") {
            let t =
                row.value(0).and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| bad(row, "approx needs a TOLERANCE"))?;
            approx.push((row.phrase.clone(), t));
        }
        let mut units = Vec::new();
        for row in r.rows("unit") {
            let f = row.value(0).and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| bad(row, "unit needs a FACTOR"))?;
            units.push((row.phrase.words.join(" "), f));
        }
        Ok(ClaimRules {
            distance: r.phrases("distance"),
            length: r.phrases("length"),
            near: r.phrases("near"),
            as_large_as: r.phrases("as_large_as"),
            containment: r.phrases("in"),
            filler: r.phrases("filler"),
            further: r.phrases("further"),
            straddle: r.phrases("straddle"),
            nouns,
            numbers: number_table(&[&r]),
            approx,
            units,
            tolerance: r.param("tolerance")?,
            near_km: r.param("near_km")?,
            direction_tolerance: r.param("direction_tolerance")?,
            straddle_min_share: r.param("straddle_min_share")?,
            comparison_tolerance: r.param("comparison_tolerance")?,
        })
    }

    fn unit(&self, w: &str) -> Option<f64> {
        self.units.iter().find(|u| u.0 == w).map(|u| u.1)
    }
}

/// Where a claim was read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClaimSource {
    pub article: String,
    pub quote: String,
    /// Byte offset of the quote in the original file.
    pub start: usize,
}

/// One checked statement.
#[derive(Debug, Clone)]
pub struct Claim {
    /// Stable id from the kind and the places: "distance-al-qaim-sy".
    pub id: String,
    /// distance, length, near, as_large_as, containment, relative_position, further, straddle.
    pub kind: String,
    /// The words of the first source.
    pub quote: String,
    pub sources: Vec<ClaimSource>,
    pub subject: Option<String>,
    pub object: Option<String>,
    pub stated: Value,
    pub computed: Value,
    pub unit: Option<String>,
    pub ok: Option<bool>,
    /// How `computed` was obtained, or why it could not be.
    pub note: String,
}

/// A place a claim is about: a gazetteer place, the geometry to measure on, its label.
#[derive(Debug, Clone)]
struct Target {
    place: usize,
    /// Token range of the words that named it.
    toks: std::ops::Range<usize>,
    /// The common noun that named it, when no name did.
    noun: Option<Referent>,
}

/// Everything a sentence offers the rules.
struct Sent<'a> {
    ai: usize,
    si: usize,
    toks: Vec<Tok>,
    mentions: Vec<&'a Mention>,
    /// Comparison yardsticks ("vaste comme l'Italie"): (token range, place).
    yardsticks: Vec<(std::ops::Range<usize>, usize)>,
}

impl Sent<'_> {
    fn ws(&self) -> Vec<&str> {
        self.toks.iter().map(|t| t.word.as_str()).collect()
    }

    fn mention_tok(&self, m: &Mention) -> std::ops::Range<usize> {
        tok_range(&self.toks, &m.range)
    }
}

/// The claims of one article: checked, but for straddles, which wait for the corridors of the corpus's
/// pockets.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    claims: Vec<Claim>,
    straddles: Vec<Straddle>,
}

/// "un territoire à cheval sur ces deux pays", as read: checked by [`Gathered::finish`].
#[derive(Debug, Clone)]
struct Straddle {
    subject: usize,
    countries: Vec<usize>,
    source: ClaimSource,
}

/// Read and check every claim of article `ai`, in text order.
pub fn read(ctx: &Ctx, rules: &ClaimRules, dirs: &Directions, ai: usize) -> Reading {
    let mut out = Reading::default();
    for si in 0..ctx.articles[ai].sentences.len() {
        if !ctx.readable(ai, si) {
            continue;
        }
        let toks = ctx.tokens(ai, si, &rules.numbers, &rules.approx);
        let mentions: Vec<&Mention> = ctx.sentence_mentions(ai, si).into_iter().filter(|m| !m.nested).collect();
        let yardsticks = ctx.parsed[ai]
            .non_places
            .iter()
            .filter(|n| n.sentence == Some(si) && n.reason == NonPlaceReason::Comparison)
            .map(|n| (tok_range(&toks, &n.range), n.place))
            .collect();
        let s = Sent { ai, si, toks, mentions, yardsticks };
        distances(ctx, rules, &s, &mut out.claims);
        lengths(ctx, rules, &s, &mut out.claims);
        nears(ctx, rules, &s, &mut out.claims);
        comparisons(ctx, rules, &s, &mut out.claims);
        containments(ctx, rules, dirs, &s, &mut out.claims);
        further(ctx, rules, dirs, &s, &mut out.claims);
        straddles(ctx, rules, &s, &mut out.straddles);
    }
    out
}

/// The claims of a corpus, merged as its articles come (the same claim is made by many articles: one claim,
/// its sources gathered), and its straddles as read.
#[derive(Debug, Default)]
pub struct Gathered {
    claims: Vec<Claim>,
    /// Position in `claims` of each claim id.
    index: std::collections::HashMap<String, usize>,
    straddles: Vec<Straddle>,
}

impl Gathered {
    /// Add the claims of the next article.
    pub fn add(&mut self, r: Reading) {
        for c in r.claims {
            self.merge(c);
        }
        self.straddles.extend(r.straddles);
    }

    fn merge(&mut self, c: Claim) {
        match self.index.get(&c.id) {
            Some(&i) => {
                let x = &mut self.claims[i];
                for src in c.sources {
                    if !x.sources.contains(&src) {
                        x.sources.push(src);
                    }
                }
            }
            None => {
                self.index.insert(c.id.clone(), self.claims.len());
                self.claims.push(c);
            }
        }
    }

    /// Every claim of the corpus, sorted by id: the straddles checked against `valleys` (the corridors of the
    /// pockets), the extents of the pockets added. A straddle's id is never another kind's, so checking them
    /// last merges them as reading them in place would.
    pub fn finish(mut self, g: &Gazetteer, rules: &ClaimRules, valleys: &[Valley]) -> Vec<Claim> {
        for st in std::mem::take(&mut self.straddles) {
            self.merge(check_straddle(g, rules, valleys, st));
        }
        let mut out = self.claims;
        out.extend(extents(g, valleys));
        for c in &mut out {
            c.sources.sort();
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

/// Every match of `phrases` in the sentence: (start, end), longest at each start, left to right.
fn matches(s: &Sent, rules: &ClaimRules, phrases: &[Phrase]) -> Vec<(usize, usize)> {
    let ws = s.ws();
    let mut out = Vec::new();
    let mut i = 0;
    while i < ws.len() {
        let hit = phrases
            .iter()
            .find_map(|p| p.match_at(&ws, i, &|k| s.toks[k].number.is_some(), &|k| rules.unit(ws[k]).is_some()));
        match hit {
            Some(e) => {
                out.push((i, e));
                i = e;
            }
            None => i += 1,
        }
    }
    out
}

/// A noun of `noun` rows at token `i`: (referent, end).
fn noun_at(rules: &ClaimRules, ws: &[&str], i: usize) -> Option<(Referent, usize)> {
    rules.nouns.iter().find_map(|(p, r)| p.matches_exactly(&ws[i..]).then_some((*r, i + p.len())))
}

/// Resolve a common noun at tokens `at` to a place.
fn resolve_noun(ctx: &Ctx, s: &Sent, referent: Referent, at: std::ops::Range<usize>) -> Option<Target> {
    let g = ctx.g;
    let ws = s.ws();
    // The town the sentence named before the noun, else the town the article is about.
    let town = s
        .mentions
        .iter()
        .filter(|m| {
            s.mention_tok(m).end <= at.start
                && matches!(g.places[m.place].kind, Kind::City | Kind::Town | Kind::Village)
        })
        .map(|m| m.place)
        .next_back()
        .or_else(|| ctx.salient_settlement(s.ai, s.si))?;
    match referent {
        Referent::Settlement => Some(Target { place: town, toks: at, noun: Some(referent) }),
        Referent::Crossing => {
            let p = g.places[town].point;
            (0..g.places.len())
                .filter(|&i| g.places[i].kind == Kind::Crossing)
                .map(|i| (distance_km(p, g.places[i].point), i))
                .filter(|d| d.0 <= 50.0)
                .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
                .map(|(_, i)| Target { place: i, toks: at, noun: Some(referent) })
        }
        Referent::Border => {
            // "la frontière syrienne": a demonym within two words; "la frontière avec la Syrie": a country.
            let mut end = at.end;
            let other = (at.end..(at.end + 2).min(ws.len()))
                .find_map(|k| ctx.demonyms.country(ws[k]).map(|c| (c.to_ascii_lowercase(), k + 1)))
                .or_else(|| {
                    s.mentions
                        .iter()
                        .find(|m| {
                            let r = s.mention_tok(m);
                            r.start >= at.end && r.start <= at.end + 3 && g.places[m.place].kind == Kind::Country
                        })
                        .map(|m| (g.places[m.place].id.clone(), s.mention_tok(m).end))
                })?;
            end = end.max(other.1);
            let own = g.places[town].country.as_deref()?.to_ascii_lowercase();
            let mut pair = [own, other.0];
            pair.sort();
            let id = format!("{}-{}", pair[0], pair[1]);
            g.find(&id).filter(|&b| g.places[b].kind == Kind::Border).map(|b| Target {
                place: b,
                toks: at.start..end,
                noun: Some(referent),
            })
        }
    }
}

/// The place named by the first mention, yardstick or noun starting within `within` tokens after `from`.
fn target_after(ctx: &Ctx, rules: &ClaimRules, s: &Sent, from: usize, within: usize) -> Option<Target> {
    let ws = s.ws();
    for k in from..(from + within + 1).min(ws.len()) {
        if let Some(m) = s.mentions.iter().find(|m| s.mention_tok(m).start == k) {
            return Some(Target { place: m.place, toks: s.mention_tok(m), noun: None });
        }
        if let Some((r, p)) = s.yardsticks.iter().find(|y| y.0.start == k) {
            return Some(Target { place: *p, toks: r.clone(), noun: None });
        }
        if let Some((referent, e)) = noun_at(rules, &ws, k) {
            return resolve_noun(ctx, s, referent, k..e);
        }
    }
    None
}

/// The place named by the mention or noun that ends last within `within` tokens before `to` (the longest
/// noun on ties: "poste-frontière" before "frontière").
fn target_before(ctx: &Ctx, rules: &ClaimRules, s: &Sent, to: usize, within: usize) -> Option<Target> {
    let ws = s.ws();
    let lo = to.saturating_sub(within);
    let mut cands: Vec<(usize, usize, Option<Referent>, Option<usize>)> = Vec::new(); // end, start, noun, place
    for m in &s.mentions {
        let r = s.mention_tok(m);
        if r.start >= lo && r.end <= to {
            cands.push((r.end, r.start, None, Some(m.place)));
        }
    }
    for k in lo..to {
        if let Some((referent, e)) = noun_at(rules, &ws, k).filter(|(_, e)| *e <= to) {
            cands.push((e, k, Some(referent), None));
        }
    }
    cands.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    cands.into_iter().find_map(|(end, start, noun, place)| match (noun, place) {
        (_, Some(p)) => Some(Target { place: p, toks: start..end, noun: None }),
        (Some(r), None) => resolve_noun(ctx, s, r, start..end),
        (None, None) => None,
    })
}

/// The subject of a measured statement: the point-like place named last before token `to`, else the town
/// the article is about.
fn subject_before(ctx: &Ctx, s: &Sent, to: usize, not: usize) -> Option<usize> {
    s.mentions
        .iter()
        .filter(|m| s.mention_tok(m).end <= to && m.place != not && is_point_like(ctx.g.places[m.place].kind))
        .map(|m| m.place)
        .next_back()
        .or_else(|| ctx.salient_settlement(s.ai, s.si).filter(|&p| p != not))
}

fn source(ctx: &Ctx, s: &Sent, range: std::ops::Range<usize>) -> ClaimSource {
    let a = &ctx.articles[s.ai];
    let quote = ctx.quote(s.ai, &s.toks, range.clone());
    let start = s.toks.get(range.start).map_or(0, |t| a.source_range(t.span.clone()).start);
    ClaimSource { article: a.id.clone(), quote, start }
}

#[allow(clippy::too_many_arguments)]
fn claim(
    ctx: &Ctx,
    s: &Sent,
    kind: &str,
    subject: Option<usize>,
    object: Option<usize>,
    range: std::ops::Range<usize>,
    stated: Value,
    computed: Value,
    unit: Option<&str>,
    ok: Option<bool>,
    note: String,
) -> Claim {
    let g = ctx.g;
    let ids: Vec<&str> = [subject, object].into_iter().flatten().map(|p| g.places[p].id.as_str()).collect();
    let src = source(ctx, s, range);
    Claim {
        id: format!("{}-{}", kind.replace('_', "-"), ids.join("-")),
        kind: kind.to_string(),
        quote: src.quote.clone(),
        sources: vec![src],
        subject: subject.map(|p| g.places[p].id.clone()),
        object: object.map(|p| g.places[p].id.clone()),
        stated,
        computed,
        unit: unit.map(str::to_string),
        ok,
        note,
    }
}

fn within(value: f64, stated: f64, tol: f64) -> bool {
    (value - stated).abs() <= tol * stated.abs()
}

/// The stated number of a match (its `#` token) in km.
fn stated_km(rules: &ClaimRules, s: &Sent, m: (usize, usize)) -> Option<(f64, f64)> {
    let ws = s.ws();
    let k = (m.0..m.1).find(|&k| s.toks[k].number.is_some())?;
    let n = s.toks[k].number?;
    let factor = ws.get(k + 1).and_then(|w| rules.unit(w)).unwrap_or(1.0);
    Some((n.value * factor, n.tolerance.unwrap_or(rules.tolerance)))
}

fn geometry_of(ctx: &Ctx, p: usize) -> Geometry<f64> {
    let pl = &ctx.g.places[p];
    pl.geometry.clone().unwrap_or(Geometry::Point(geo::Point(pl.point)))
}

fn distances(ctx: &Ctx, rules: &ClaimRules, s: &Sent, out: &mut Vec<Claim>) {
    for m in matches(s, rules, &rules.distance) {
        let Some((stated, tol)) = stated_km(rules, s, m) else { continue };
        let Some(obj) = target_after(ctx, rules, s, m.1, 4) else { continue };
        let Some(subj) = subject_before(ctx, s, m.0, obj.place) else { continue };
        let from = ctx.g.places[subj].point;
        let Some((d, _)) = geom::distance_to(from, &geometry_of(ctx, obj.place)) else { continue };
        let what = match ctx.g.places[obj.place].geometry.as_ref() {
            Some(Geometry::Polygon(_) | Geometry::MultiPolygon(_)) => "the nearest point of its polygon",
            Some(Geometry::LineString(_) | Geometry::MultiLineString(_)) => "the nearest point of its line",
            _ => "its point",
        };
        out.push(claim(
            ctx,
            s,
            "distance",
            Some(subj),
            Some(obj.place),
            m.0..obj.toks.end,
            json!(stated),
            json!(round_to(d, 1)),
            Some("km"),
            Some(within(d, stated, tol)),
            format!(
                "geodesic distance from {}'s point to {} of {}; stated value ±{:.0}%",
                ctx.g.places[subj].name,
                what,
                ctx.g.places[obj.place].name,
                tol * 100.0
            ),
        ));
    }
}

fn lengths(ctx: &Ctx, rules: &ClaimRules, s: &Sent, out: &mut Vec<Claim>) {
    for m in matches(s, rules, &rules.length) {
        let Some((stated, tol)) = stated_km(rules, s, m) else { continue };
        let Some(line) = target_before(ctx, rules, s, m.0, 6)
            .filter(|t| matches!(ctx.g.places[t.place].kind, Kind::Border | Kind::River))
        else {
            continue;
        };
        let p = &ctx.g.places[line.place];
        let lines = p.geometry.as_ref().and_then(geom::lines);
        let (computed, ok, note) = match lines {
            Some(l) => {
                let km = geom::length_km(&l);
                (
                    json!(round_to(km, 1)),
                    Some(within(km, stated, tol)),
                    format!(
                        "geodesic length of {} as the gazetteer draws it ({}); stated value ±{:.0}%",
                        p.name,
                        p.source.as_str(),
                        tol * 100.0
                    ),
                )
            }
            None => (Value::Null, None, format!("the gazetteer has no line for {}", p.name)),
        };
        out.push(claim(
            ctx,
            s,
            "length",
            Some(line.place),
            None,
            line.toks.start..m.1,
            json!(stated),
            computed,
            Some("km"),
            ok,
            note,
        ));
    }
}

fn nears(ctx: &Ctx, rules: &ClaimRules, s: &Sent, out: &mut Vec<Claim>) {
    let g = ctx.g;
    for m in matches(s, rules, &rules.near) {
        let Some(obj) = target_after(ctx, rules, s, m.1, 3) else { continue };
        let before = target_before(ctx, rules, s, m.0, 3);
        // "la localité voisine de Rawa": the noun is Rawa itself, the neighbour is the town named before (or
        // the town the article is about); "le poste-frontière proche de cette localité": the noun is the subject.
        let subj = before
            .as_ref()
            .filter(|b| b.place != obj.place && b.noun != Some(Referent::Settlement))
            .map(|b| b.place)
            .or_else(|| subject_before(ctx, s, m.0, obj.place));
        let Some(subj) = subj else { continue };
        let start = before.as_ref().map_or(m.0, |b| b.toks.start.min(m.0));
        let d = distance_km(g.places[subj].point, g.places[obj.place].point);
        out.push(claim(
            ctx,
            s,
            "near",
            Some(subj),
            Some(obj.place),
            start..obj.toks.end,
            json!(rules.near_km),
            json!(round_to(d, 1)),
            Some("km"),
            Some(d <= rules.near_km),
            format!(
                "geodesic distance between {} and {}; the wording is read as within {} km (lexicon/claims.tsv near_km)",
                g.places[subj].name, g.places[obj.place].name, rules.near_km
            ),
        ));
    }
}

fn comparisons(ctx: &Ctx, rules: &ClaimRules, s: &Sent, out: &mut Vec<Claim>) {
    let g = ctx.g;
    for m in matches(s, rules, &rules.as_large_as) {
        let Some(obj) = target_after(ctx, rules, s, m.1, 3) else { continue };
        let Some(yard) = g.places[obj.place].area_km2 else { continue };
        // What is compared: a place named just before, else the words back to the clause's start.
        let subj = s
            .mentions
            .iter()
            .filter(|mm| {
                let r = s.mention_tok(mm);
                r.end <= m.0 && r.end + 3 >= m.0
            })
            .map(|mm| mm.place)
            .next_back();
        let clause_start = (0..m.0).rev().find(|&k| s.toks[k].pause_before).unwrap_or(0);
        let clause_start = if m.0 - clause_start > 10 { m.0.saturating_sub(8) } else { clause_start };
        let (computed, ok, note) = match subj.and_then(|p| g.places[p].area_km2.map(|a| (p, a))) {
            Some((p, a)) => (
                json!(round_to(a, 0)),
                Some(within(a, yard, rules.comparison_tolerance)),
                format!(
                    "area of {} from the gazetteer; read as equal within ±{:.0}%",
                    g.places[p].name,
                    rules.comparison_tolerance * 100.0
                ),
            ),
            None => (
                Value::Null,
                None,
                format!(
                    "the gazetteer has no polygon for what is compared (\"{}\"); {} is {:.0} km² in the gazetteer",
                    ctx.quote(s.ai, &s.toks, clause_start..m.0),
                    g.places[obj.place].name,
                    yard
                ),
            ),
        };
        out.push(claim(
            ctx,
            s,
            "as_large_as",
            subj,
            Some(obj.place),
            m.0..obj.toks.end,
            json!(round_to(yard, 0)),
            computed,
            Some("km2"),
            ok,
            note,
        ));
    }
}

/// The polygon of `kind` (a country, a province…) that contains `c`: its gazetteer index.
fn container_of(ctx: &Ctx, kind: Kind, c: Coord<f64>) -> Option<usize> {
    let g = ctx.g;
    (0..g.places.len())
        .filter(|&i| g.places[i].kind == kind)
        .filter(|&i| g.places[i].geometry.as_ref().and_then(geom::polygons).is_some_and(|mp| geom::contains(&mp, c)))
        .min_by(|&a, &b| {
            let (x, y) = (g.places[a].area_km2.unwrap_or(f64::MAX), g.places[b].area_km2.unwrap_or(f64::MAX));
            x.total_cmp(&y).then(a.cmp(&b))
        })
}

fn containments(ctx: &Ctx, rules: &ClaimRules, dirs: &Directions, s: &Sent, out: &mut Vec<Claim>) {
    let g = ctx.g;
    let ws = s.ws();
    for pair in s.mentions.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let (ra, rb) = (s.mention_tok(a), s.mention_tok(b));
        if ra.end > rb.start {
            continue;
        }
        let (ka, kb) = (g.places[a.place].kind, g.places[b.place].kind);
        if ka == Kind::Country || a.place == b.place {
            continue;
        }
        // Gap: [", <aside> ,"] IN (filler | direction)*
        let mut k = ra.end;
        if k < rb.start && s.toks[k].pause_before {
            if let Some(last_pause) = (k + 1..rb.start).rev().find(|&j| s.toks[j].pause_before) {
                if last_pause - k <= 8 {
                    k = last_pause;
                }
            }
        }
        let Some(mut j) = rules.containment.iter().find_map(|p| p.match_at(&ws, k, &|_| false, &|_| false)) else {
            continue;
        };
        let mut dir = None;
        let mut clean = true;
        while j < rb.start {
            if let Some(e) =
                rules.filler.iter().find_map(|p| p.match_at(&ws, j, &|_| false, &|_| false)).filter(|&e| e <= rb.start)
            {
                j = e;
            } else if let Some((d, n)) = dirs.at(&ws, j).filter(|(_, n)| j + n <= rb.start) {
                dir = Some(d);
                j += n;
            } else {
                clean = false;
                break;
            }
        }
        if !clean {
            continue;
        }
        let bp = g.places[b.place].geometry.as_ref().and_then(geom::polygons);
        let a_pt = g.places[a.place].point;
        let range = ra.start..rb.end;
        if let Some(mp) = &bp {
            if !is_point_like(ka)
                && ka.geo_precision() > 0
                && g.places[a.place].area_km2.unwrap_or(0.0) >= g.places[b.place].area_km2.unwrap_or(f64::MAX)
            {
                continue;
            }
            let found = container_of(ctx, kb, a_pt);
            let ok = geom::contains(mp, a_pt);
            out.push(claim(
                ctx,
                s,
                "containment",
                Some(a.place),
                Some(b.place),
                range.clone(),
                json!(g.places[b.place].id),
                found.map_or(Value::Null, |f| json!(g.places[f].id)),
                None,
                Some(ok),
                format!("the {} polygon that contains {}'s point", kb.as_str(), g.places[a.place].name),
            ));
        }
        let Some(d) = dir else { continue };
        let from = match &bp {
            Some(mp) => geom::centroid(mp),
            None => Some(g.places[b.place].point),
        };
        let Some(from) = from else { continue };
        let bearing = bearing_deg(from, a_pt);
        out.push(claim(
            ctx,
            s,
            "relative_position",
            Some(a.place),
            Some(b.place),
            range,
            json!(d.bearing()),
            json!(round_to(bearing, 0)),
            Some("deg"),
            Some(angle_between(bearing, d.bearing()) <= rules.direction_tolerance),
            format!(
                "bearing from {} of {} to {}'s point; stated {} ±{}°",
                if bp.is_some() { "the centroid" } else { "the point" },
                g.places[b.place].name,
                g.places[a.place].name,
                d.as_str(),
                rules.direction_tolerance
            ),
        ));
    }
}

fn further(ctx: &Ctx, rules: &ClaimRules, dirs: &Directions, s: &Sent, out: &mut Vec<Claim>) {
    let g = ctx.g;
    let ws = s.ws();
    for m in matches(s, rules, &rules.further) {
        let Some((d, n)) = dirs.at(&ws, m.1) else { continue };
        // The place it qualifies: named just before (a pause between); the reference: named before that.
        let Some(idx) = s.mentions.iter().rposition(|mm| {
            let r = s.mention_tok(mm);
            r.end <= m.0 && r.end + 2 >= m.0
        }) else {
            continue;
        };
        let a = s.mentions[idx];
        let Some(reference) = s.mentions[..idx]
            .iter()
            .rev()
            .find(|mm| mm.place != a.place && is_point_like(g.places[mm.place].kind))
            .map(|mm| mm.place)
            .or_else(|| ctx.salient_settlement(s.ai, s.si).filter(|&p| p != a.place))
        else {
            continue;
        };
        let target = g.places[a.place]
            .geometry
            .as_ref()
            .and_then(geom::polygons)
            .and_then(|mp| geom::centroid(&mp))
            .unwrap_or(g.places[a.place].point);
        let r = g.places[reference].point;
        let along = distance_km(r, target) * (bearing_deg(r, target) - d.bearing()).to_radians().cos();
        out.push(claim(
            ctx,
            s,
            "further",
            Some(a.place),
            Some(reference),
            s.mention_tok(a).start..m.1 + n,
            json!(d.as_str()),
            json!(round_to(along, 1)),
            Some("km"),
            Some(along > 0.0),
            format!(
                "how much further {} {} ({}) lies than {}, km; the claim holds when positive",
                d.as_str(),
                g.places[a.place].name,
                if g.places[a.place].geometry.is_some() { "its centroid" } else { "its point" },
                g.places[reference].name
            ),
        ));
    }
}

/// "un territoire à cheval sur ces deux pays": the subject and the countries, as read.
fn straddles(ctx: &Ctx, rules: &ClaimRules, s: &Sent, out: &mut Vec<Straddle>) {
    let g = ctx.g;
    for m in matches(s, rules, &rules.straddle) {
        let Some(subj) = s
            .mentions
            .iter()
            .filter(|mm| {
                let r = s.mention_tok(mm);
                r.end <= m.0 && r.end + 4 >= m.0
            })
            .map(|mm| mm.place)
            .next_back()
        else {
            continue;
        };
        let countries: Vec<usize> = s
            .mentions
            .iter()
            .filter(|mm| {
                let r = s.mention_tok(mm);
                r.start >= m.1 && r.start <= m.1 + 8 && g.places[mm.place].kind == Kind::Country
            })
            .map(|mm| mm.place)
            .collect();
        if countries.len() < 2 {
            continue;
        }
        let last = countries
            .iter()
            .filter_map(|&c| s.mentions.iter().find(|mm| mm.place == c))
            .map(|mm| s.mention_tok(mm).end)
            .max()
            .unwrap_or(m.1);
        let start = s.mentions.iter().find(|mm| mm.place == subj).map_or(m.0, |mm| s.mention_tok(mm).start);
        out.push(Straddle { subject: subj, countries, source: source(ctx, s, start..last) });
    }
}

/// Check a straddle: the smallest share of the subject's area (the corridor built for its pocket, else its
/// polygon) in one of the countries.
fn check_straddle(g: &Gazetteer, rules: &ClaimRules, valleys: &[Valley], st: Straddle) -> Claim {
    let Straddle { subject: subj, countries, source: src } = st;
    let area: Option<(MultiPolygon<f64>, &str)> = valleys
        .iter()
        .find(|v| v.places.contains(&subj))
        .map(|v| (v.corridor.clone(), "the corridor built for its pocket"))
        .or_else(|| g.places[subj].geometry.as_ref().and_then(geom::polygons).map(|mp| (mp, "its polygon")));
    let stated: Vec<&str> = countries.iter().map(|&c| g.places[c].id.as_str()).collect();
    let (computed, ok, note) = match area {
        Some((mp, what)) => {
            let total = geom::area_km2(&mp);
            let shares: Vec<(String, f64)> = countries
                .iter()
                .map(|&c| {
                    let part = g.places[c]
                        .geometry
                        .as_ref()
                        .and_then(geom::polygons)
                        .map_or(0.0, |cp| geom::area_km2(&mp.intersection(&cp)));
                    (g.places[c].id.clone(), if total > 0.0 { part / total } else { 0.0 })
                })
                .collect();
            let min = shares.iter().map(|x| x.1).fold(f64::INFINITY, f64::min);
            (
                json!(round_to(min * 100.0, 1)),
                Some(min >= rules.straddle_min_share),
                format!(
                    "smallest share of {} ({what}, {total:.0} km²) in one of the countries: {}",
                    g.places[subj].name,
                    shares.iter().map(|(c, x)| format!("{c} {:.1}%", x * 100.0)).collect::<Vec<_>>().join(", ")
                ),
            )
        }
        None => (Value::Null, None, format!("the gazetteer has no area for {}", g.places[subj].name)),
    };
    Claim {
        id: format!("straddle-{}-{}", g.places[subj].id, stated.join("-")),
        kind: "straddle".to_string(),
        quote: src.quote.clone(),
        sources: vec![src],
        subject: Some(g.places[subj].id.clone()),
        object: None,
        stated: json!(stated.join(", ")),
        computed,
        unit: Some("%".to_string()),
        ok,
        note,
    }
}

/// "la moyenne vallée de l'Euphrate … de la province de Deir Ezzor jusqu'à Al-Qaïm": the river passes by both
/// ends (within the corridor's half-width of each end's point).
fn extents(g: &Gazetteer, valleys: &[Valley]) -> Vec<Claim> {
    let mut out = Vec::new();
    for v in valleys {
        let subject = v.places.last().copied().unwrap_or(v.river);
        let sources: Vec<ClaimSource> = v.statements.clone();
        let Some(first) = sources.first().cloned() else { continue };
        let worst = v.end_offsets_km[0].max(v.end_offsets_km[1]);
        let [a, b] = v.ends;
        out.push(Claim {
            id: format!("extent-{}-{}-{}", g.places[subject].id, g.places[a].id, g.places[b].id),
            kind: "extent".into(),
            quote: first.quote.clone(),
            sources,
            subject: Some(g.places[subject].id.clone()),
            object: Some(g.places[b].id.clone()),
            stated: json!(format!("{} → {}", g.places[a].id, g.places[b].id)),
            computed: json!(round_to(worst, 1)),
            unit: Some("km".into()),
            ok: Some(worst <= v.half_width_km),
            note: format!(
                "farthest end from the {}: {} lies {:.1} km from it, {} {:.1} km (for a province, its capital); true when both lie within the valley corridor's half-width ({:.1} km)",
                g.places[v.river].name,
                g.places[a].name,
                v.end_offsets_km[0],
                g.places[b].name,
                v.end_offsets_km[1],
                v.half_width_km
            ),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_rules_read_with_their_units_and_numbers() {
        let r = ClaimRules::builtin();
        assert_eq!(r.unit("km"), Some(1.0));
        assert!(
            r.numbers.iter().any(|(p, n)| p.words == ["une", "dizaine"] && n.value == 10.0 && n.tolerance == Some(0.5))
        );
        assert!(r.nouns.iter().any(|(p, r)| p.words == ["poste", "frontiere"] && *r == Referent::Crossing));
    }

    #[test]
    fn a_stated_value_holds_within_its_tolerance() {
        assert!(within(11.8, 10.0, 0.5));
        assert!(within(598.8, 600.0, 0.1));
        assert!(!within(76.7, 30.0, 0.1));
    }
}
