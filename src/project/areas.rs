//! The pocket a side holds, by date: "étrangler l'EI dans son dernier carré, dans la moyenne vallée de
//! l'Euphrate, de la province syrienne de Deir Ezzor jusqu'à al-Qaïm".
//!
//! A pocket statement names a river (or a valley named after one: the nested river mention) and two ends
//! (`lexicon/areas.tsv`). The pocket is the corridor along the real river line between the ends: each end
//! is the river point nearest the end place (for a province, nearest its capital), the corridor is
//! `half_width` × the distance between the ends wide on each side, cut straight across the valley's axis
//! (the river's direction over ±W) at both ends, and clipped to the valley's polygon when the gazetteer
//! has one. There is one polygon per date an article states the pocket; each loses the valley section
//! around every place a precise (`geo_precision` 1) `place_retaken` event inside it says was retaken by
//! that date. A place occupies the valley section within W of it along the river (W the half-width), but
//! never more than halfway to the nearest place the pocket still holds, so retaking a border post does not
//! swallow the town across the border. Parts of a retaken place (its quarters, the other places of its
//! district) go with it. A corner of valley floor that a cut leaves without river is dropped.

use super::claims::ClaimSource;
use super::geom::{self, Located};
use super::lexicon::{Phrase, ProjectLexiconError, Rules};
use super::{Ctx, is_point_like, related};
use crate::events::lexicon::Side;
use crate::events::{Category, Event};
use crate::gazetteer::{Gazetteer, Kind};
use crate::geodesy::distance_km;
use chrono::NaiveDate;
use geo::{BooleanOps, Contains, Coord, MultiPolygon};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Row types of `lexicon/areas.tsv`.
pub const KINDS: &[&str] = &["pocket", "from", "to", "param"];

/// The rules of `lexicon/areas.tsv`.
#[derive(Debug, Clone)]
pub struct AreaRules {
    pub pocket: Vec<Phrase>,
    pub from: Vec<Phrase>,
    pub to: Vec<Phrase>,
    /// Corridor half-width as a fraction of the distance between the ends.
    pub half_width: f64,
    /// Resolution of the river line, km.
    pub step_km: f64,
}

impl AreaRules {
    /// The rules shipped in `lexicon/areas.tsv` (compiled in, so the binary needs no data directory).
    pub fn builtin() -> AreaRules {
        AreaRules::parse("lexicon/areas.tsv", include_str!("../../lexicon/areas.tsv"))
            .unwrap_or_else(|e| panic!("bundled area rules are invalid: {e}"))
    }

    /// Parse an areas rule file; errors name the file and line so an analyst can fix it.
    pub fn parse(file: &str, text: &str) -> Result<AreaRules, ProjectLexiconError> {
        let r = Rules::parse(file, text, KINDS)?;
        Ok(AreaRules {
            pocket: r.phrases("pocket"),
            from: r.phrases("from"),
            to: r.phrases("to"),
            half_width: r.param("half_width")?,
            step_km: r.param("step_km")?,
        })
    }
}

/// One date state of a pocket.
#[derive(Debug, Clone)]
pub struct Area {
    pub id: String,
    /// "pocket".
    pub kind: String,
    /// Who holds it (the non-state actor the statement names), `None` when unnamed.
    pub controller: Option<String>,
    pub date_start: NaiveDate,
    pub date_end: NaiveDate,
    /// How the polygon was made, in one sentence.
    pub derivation: String,
    pub geometry: MultiPolygon<f64>,
    pub area_km2: f64,
    /// Gazetteer ids: the river, the valley (if named), the two ends.
    pub river: String,
    pub valley: Option<String>,
    pub from: String,
    pub to: String,
    /// Places retaken by `date_start` that the polygon leaves out.
    pub retaken: Vec<String>,
    /// The river line the polygon follows (one piece per part).
    pub core: Vec<Vec<Coord<f64>>>,
    pub quote: String,
    /// Articles that state the pocket.
    pub articles: Vec<String>,
}

/// A valley the articles name, as the corridor built for its pocket (for claims such as "la vallée qui
/// chevauche l'Irak et la Syrie").
#[derive(Debug, Clone)]
pub struct Valley {
    /// Gazetteer indices of the places the corridor stands for (the valley and its river).
    pub places: Vec<usize>,
    pub corridor: MultiPolygon<f64>,
    /// The river, and the two ends as stated (gazetteer indices).
    pub river: usize,
    pub ends: [usize; 2],
    /// How far from the river each end's point lies (the capital's, for a province), km.
    pub end_offsets_km: [f64; 2],
    pub half_width_km: f64,
    /// Where the extent is stated: the words from the valley to the last end, in each article that states it.
    pub statements: Vec<ClaimSource>,
}

/// A pocket statement read from one sentence: all a pocket needs of its article once read.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The article's id.
    article: String,
    /// The extent as the article words it ("moyenne vallée … jusqu'à al-Qaïm"), when its bytes can be quoted.
    extent: Option<ClaimSource>,
    river: usize,
    valley: Option<usize>,
    from: usize,
    to: usize,
    controller: Option<String>,
    quote: String,
    date: NaiveDate,
}

/// The pocket statements of article `ai`, in text order.
pub fn statements(ctx: &Ctx, rules: &AreaRules, ai: usize) -> Vec<Statement> {
    (0..ctx.articles[ai].sentences.len())
        .filter(|&si| ctx.readable(ai, si))
        .filter_map(|si| statement(ctx, rules, ai, si))
        .collect()
}

/// Build the pockets, by date, from the statements of a corpus (in article order), the places its articles
/// name (outermost mentions) and its events.
pub fn pockets(
    g: &Gazetteer,
    rules: &AreaRules,
    statements: Vec<Statement>,
    named: &BTreeSet<usize>,
    events: &[Event],
) -> (Vec<Area>, Vec<Valley>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut groups: BTreeMap<(usize, usize, usize), Vec<Statement>> = BTreeMap::new();
    for s in statements {
        groups.entry((s.river, s.from, s.to)).or_default().push(s);
    }
    // What every pocket reads, gathered once for the corpus rather than once per pocket: the places the
    // corpus names or codes an event at, the retakings, and where each place falls on each river line.
    let mut corpus = CorpusPlaces { candidates: named.clone(), retakings: Vec::new(), located: HashMap::new() };
    corpus.candidates.extend(events.iter().map(|e| e.place));
    corpus.retakings = events
        .iter()
        .filter(|e| e.category == Category::PlaceRetaken && e.geo_precision == 1)
        .map(|e| (e.place, e.date.end))
        .collect();
    let mut areas = Vec::new();
    let mut valleys = Vec::new();
    for ((river, from, to), statements) in groups {
        match build(g, rules, river, from, to, &statements, &mut corpus) {
            Ok((mut states, valley)) => {
                areas.append(&mut states);
                valleys.push(valley);
            }
            Err(msg) => warnings.push(format!("{}: pocket not drawn: {msg}", statements[0].article)),
        }
    }
    areas.sort_by(|a, b| a.id.cmp(&b.id));
    (areas, valleys, warnings)
}

fn words_before_match(ws: &[&str], end: usize, phrases: &[Phrase], within: usize) -> bool {
    (end.saturating_sub(within)..end)
        .any(|s| phrases.iter().any(|p| p.match_at(ws, s, &|_| false, &|_| false).is_some_and(|e| e <= end)))
}

fn statement(ctx: &Ctx, rules: &AreaRules, ai: usize, si: usize) -> Option<Statement> {
    let toks = ctx.tokens(ai, si, &[], &[]);
    let ws: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
    let cue =
        (0..ws.len()).find(|&i| rules.pocket.iter().any(|p| p.match_at(&ws, i, &|_| false, &|_| false).is_some()))?;
    let cue_byte = toks[cue].span.start;
    let mentions = ctx.sentence_mentions(ai, si);
    let g = ctx.g;
    let valley = mentions.iter().find(|m| m.range.start >= cue_byte && g.places[m.place].kind == Kind::Valley);
    let river = mentions
        .iter()
        .filter(|m| g.places[m.place].kind == Kind::River && m.range.start >= cue_byte)
        .find(|m| valley.is_none_or(|v| m.range.start >= v.range.start))?;
    let after = valley.map_or(river.range.end, |v| v.range.end.max(river.range.end));
    let mut from = None;
    let mut to = None;
    for m in mentions.iter().filter(|m| !m.nested && m.range.start >= after) {
        let k = super::words::tok_range(&toks, &m.range).start;
        if from.is_none() && words_before_match(&ws, k, &rules.from, 5) && !words_before_match(&ws, k, &rules.to, 3) {
            from = Some(m.place);
        } else if from.is_some() && words_before_match(&ws, k, &rules.to, 3) {
            to = Some(m.place);
            break;
        }
    }
    let (from, to) = (from?, to?);
    if from == to {
        return None;
    }
    let start = valley.map_or(river.range.start, |v| v.range.start.min(river.range.start));
    let end = mentions
        .iter()
        .filter(|m| m.place == to && m.range.start >= after)
        .map(|m| m.range.end)
        .next()
        .unwrap_or(after);
    let controller = ctx.actor_names(&toks, 0..toks.len(), None, Some(Side::NonState));
    let a = &ctx.articles[ai];
    let date = a.meta.date?.start;
    let quote = a.text[a.sentences[si].range.clone()].trim().to_string();
    let extent = a.text.get(start..end).map(|q| ClaimSource {
        article: a.id.clone(),
        quote: q.trim().to_string(),
        start: a.source_range(start..end).start,
    });
    Some(Statement {
        article: a.id.clone(),
        extent,
        river: river.place,
        valley: valley.map(|v| v.place),
        from,
        to,
        controller: (!controller.is_empty()).then(|| controller.join("; ")),
        quote,
        date,
    })
}

/// The point that stands for a pocket's end: a settlement's own point; for an area, its capital (the
/// first-order seat with the most people), else its label point.
fn end_point(g: &Gazetteer, place: usize) -> (Coord<f64>, Option<usize>) {
    let p = &g.places[place];
    if is_point_like(p.kind) || p.geometry.as_ref().and_then(geom::polygons).is_none() {
        return (p.point, None);
    }
    let capital = (0..g.places.len())
        .filter(|&i| g.parent(i) == Some(place))
        .filter(|&i| matches!(g.places[i].feature_code.as_deref(), Some("PPLA" | "PPLC")))
        .max_by(|&a, &b| g.places[a].population.cmp(&g.places[b].population).then(b.cmp(&a)));
    match capital {
        Some(c) => (g.places[c].point, Some(c)),
        None => (p.point, None),
    }
}

/// A place of the pocket, located on the river.
#[derive(Debug, Clone, Copy)]
struct OnRiver {
    place: usize,
    loc: Located,
}

/// Whether `p` goes with retaken place `r`: the same place, one of its parts or containers, or another
/// place of the same district.
fn part_of(g: &Gazetteer, p: usize, r: usize) -> bool {
    if related(g, p, r) {
        return true;
    }
    match (g.parent(p), g.parent(r)) {
        (Some(a), Some(b)) => a == b && g.places[a].kind == Kind::District,
        _ => false,
    }
}

/// The valley section a place occupies: up to `w` along the river, at most halfway to the nearest place
/// of `held` that is not part of it.
fn section(g: &Gazetteer, p: &OnRiver, held: &[OnRiver], w: f64) -> (f64, Option<usize>) {
    let nearest = held
        .iter()
        .filter(|q| !part_of(g, q.place, p.place))
        .map(|q| ((q.loc.along_km - p.loc.along_km).abs(), q.place))
        .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    match nearest {
        Some((d, q)) if d / 2.0 < w => (d / 2.0, Some(q)),
        _ => (w, None),
    }
}

/// Subtract intervals from an interval.
fn subtract(from: (f64, f64), cuts: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut pieces = vec![from];
    for &(a, b) in cuts {
        let mut next = Vec::new();
        for (x, y) in pieces {
            if b <= x || a >= y {
                next.push((x, y));
                continue;
            }
            if a > x {
                next.push((x, a));
            }
            if b < y {
                next.push((b, y));
            }
        }
        pieces = next;
    }
    pieces
}

fn name(g: &Gazetteer, p: usize) -> &str {
    &g.places[p].name
}

#[allow(clippy::type_complexity)]
/// The corpus-wide inputs of [`build`].
struct CorpusPlaces {
    /// Every point a pocket may hold: places named (outermost mentions) or with an event.
    candidates: BTreeSet<usize>,
    /// (place, last day) of every town-precise "place retaken" event, in event order.
    retakings: Vec<(usize, NaiveDate)>,
    /// (river, line of the river, place) → where the place falls on that line.
    located: HashMap<(usize, usize, usize), Option<Located>>,
}

fn build(
    g: &Gazetteer,
    rules: &AreaRules,
    river: usize,
    from: usize,
    to: usize,
    statements: &[Statement],
    corpus: &mut CorpusPlaces,
) -> Result<(Vec<Area>, Valley), String> {
    let rp = &g.places[river];
    let lines = rp.geometry.as_ref().and_then(geom::lines).ok_or_else(|| format!("{} has no line", rp.id))?;
    let (p0, cap0) = end_point(g, from);
    let (p1, cap1) = end_point(g, to);
    // The part of the river that passes closest to both ends.
    let mut best: Option<(f64, usize, Vec<f64>, Located, Located)> = None;
    for (li, l) in lines.0.iter().enumerate() {
        let cum = geom::cumulative_km(&l.0);
        let (Some(a), Some(b)) = (geom::locate(&l.0, &cum, p0), geom::locate(&l.0, &cum, p1)) else { continue };
        let score = a.offset_km + b.offset_km;
        if best.as_ref().is_none_or(|x| score < x.0) {
            best = Some((score, li, cum, a, b));
        }
    }
    let (_, line_index, cum, l0, l1) = best.ok_or_else(|| format!("{} has an empty line", rp.id))?;
    let line = lines.0[line_index].0.clone();
    let span = distance_km(p0, p1);
    let w = rules.half_width * span;
    if span < 1.0 || l0.offset_km > 2.0 * w || l1.offset_km > 2.0 * w {
        return Err(format!(
            "the ends lie {:.0} km and {:.0} km from {}: not a valley section",
            l0.offset_km, l1.offset_km, rp.name
        ));
    }
    let (lo, hi) = (l0.along_km.min(l1.along_km), l0.along_km.max(l1.along_km));
    // Places of the pocket: every point-like place the corpus names or codes an event at, on the valley floor.
    let mut candidates = corpus.candidates.clone();
    for c in [cap0, cap1].into_iter().flatten() {
        candidates.insert(c);
    }
    let located = &mut corpus.located;
    let inside: Vec<OnRiver> = candidates
        .into_iter()
        .filter(|&p| is_point_like(g.places[p].kind))
        .filter_map(|p| {
            let loc =
                *located.entry((river, line_index, p)).or_insert_with(|| geom::locate(&line, &cum, g.places[p].point));
            loc.map(|loc| OnRiver { place: p, loc })
        })
        .filter(|o| o.loc.offset_km <= w && o.loc.along_km >= lo - w && o.loc.along_km <= hi + w)
        .collect();
    // The extent: each end with its own section.
    let end = |place: usize, cap: Option<usize>, loc: Located| -> f64 {
        let who = cap.unwrap_or(place);
        let me = OnRiver { place: who, loc };
        let held: Vec<OnRiver> = inside.iter().copied().filter(|o| !part_of(g, o.place, who)).collect();
        section(g, &me, &held, w).0
    };
    let (r_lo, r_hi) = if l0.along_km <= l1.along_km {
        (end(from, cap0, l0), end(to, cap1, l1))
    } else {
        (end(to, cap1, l1), end(from, cap0, l0))
    };
    let extent = (lo - r_lo, hi + r_hi);
    let valley_place = statements.iter().find_map(|s| s.valley);
    let valley_poly = valley_place.and_then(|v| g.places[v].geometry.as_ref()).and_then(geom::polygons);
    let clip = |mp: MultiPolygon<f64>| match &valley_poly {
        Some(v) => mp.intersection(v),
        None => mp,
    };
    // The valley's axis at a point: the direction of the river over ±W, so that cuts run straight across the
    // valley rather than across the river's last meander.
    let total = cum.last().copied().unwrap_or(0.0);
    let at = |t: f64| geom::sub_line(&line, &cum, t, t).first().copied().unwrap_or(p0);
    let frame = geom::Frame::at(at((extent.0 + extent.1) / 2.0));
    let axis = |t: f64| -> (f64, f64) {
        let (a, b) = (frame.fwd(at((t - w).max(0.0))), frame.fwd(at((t + w).min(total))));
        let n = (b.x - a.x).hypot(b.y - a.y);
        if n > 0.0 { ((b.x - a.x) / n, (b.y - a.y) / n) } else { (1.0, 0.0) }
    };
    let cut =
        |t: f64, s0: f64, s1: f64| MultiPolygon(vec![geom::cross_section(&frame, at(t), axis(t), s0, s1, 2.5 * w)]);
    // The whole valley section between the ends, cut straight across at both.
    let whole = geom::corridor(
        &densify_river(&geom::sub_line(&line, &cum, extent.0 - w, extent.1 + w), rules.step_km),
        w,
        false,
    );
    let whole = whole.difference(&cut(extent.0, -3.0 * w, 0.0)).difference(&cut(extent.1, 0.0, 3.0 * w));
    let full = geom::normalise(&clip(whole.clone()), 0.5);
    let valley = Valley {
        places: [Some(river), valley_place].into_iter().flatten().collect(),
        corridor: full,
        river,
        ends: [from, to],
        end_offsets_km: [l0.offset_km, l1.offset_km],
        half_width_km: w,
        statements: statements.iter().filter_map(|s| s.extent.clone()).collect(),
    };
    // One state per date stated.
    let mut dates: Vec<NaiveDate> = statements.iter().map(|s| s.date).collect();
    dates.sort();
    dates.dedup();
    let end_name = |p: usize, cap: Option<usize>| match cap {
        Some(c) => format!("{} (capital of {})", name(g, c), name(g, p)),
        None => name(g, p).to_string(),
    };
    let controller = statements.iter().find_map(|s| s.controller.clone());
    let mut articles: Vec<String> = statements.iter().map(|s| s.article.clone()).collect();
    articles.sort();
    articles.dedup();
    let mut out = Vec::new();
    for (k, &day) in dates.iter().enumerate() {
        let date_end = dates.get(k + 1).and_then(|d| d.pred_opt()).unwrap_or(day);
        let retaken_ids: BTreeSet<usize> = corpus
            .retakings
            .iter()
            .filter(|e| e.1 <= day)
            .map(|e| e.0)
            .filter(|p| inside.iter().any(|o| o.place == *p))
            .collect();
        let retaken: Vec<OnRiver> = inside.iter().copied().filter(|o| retaken_ids.contains(&o.place)).collect();
        let held: Vec<OnRiver> =
            inside.iter().copied().filter(|o| !retaken.iter().any(|r| part_of(g, o.place, r.place))).collect();
        let mut cuts = Vec::new();
        let mut described = Vec::new();
        for r in &retaken {
            let (half, limit) = section(g, r, &held, w);
            cuts.push((r.loc.along_km - half, r.loc.along_km + half));
            let when = corpus
                .retakings
                .iter()
                .filter(|e| e.0 == r.place && e.1 <= day)
                .map(|e| e.1)
                .min()
                .map(|d| d.to_string())
                .unwrap_or_default();
            described.push(format!(
                "{} ({when}, ±{half:.1} km{})",
                name(g, r.place),
                limit.map(|q| format!(", halfway to {}", name(g, q))).unwrap_or_default()
            ));
        }
        let pieces: Vec<(f64, f64)> = subtract(extent, &cuts).into_iter().filter(|(a, b)| b - a >= 1.0).collect();
        let mut poly = whole.clone();
        for (r, (a, b)) in retaken.iter().zip(&cuts) {
            // A section that reaches an end of the pocket takes everything beyond it too.
            let s0 = if *a <= extent.0 + 0.5 { -3.0 * w } else { a - r.loc.along_km };
            let s1 = if *b >= extent.1 - 0.5 { 3.0 * w } else { b - r.loc.along_km };
            poly = poly.difference(&cut(r.loc.along_km, s0, s1));
        }
        let core: Vec<Vec<Coord<f64>>> =
            pieces.iter().map(|(a, b)| densify_river(&geom::sub_line(&line, &cum, *a, *b), rules.step_km)).collect();
        let mut poly = clip(poly);
        // A retaken place off the river at a bend can still lie in the corridor: cut it out.
        for r in &retaken {
            let pt = g.places[r.place].point;
            if geom::contains(&poly, pt) {
                let (half, _) = section(g, r, &held, w);
                poly = poly.difference(&MultiPolygon(vec![geom::disc(pt, half.max(1.0), 64)]));
            }
        }
        // Keep the parts the remaining river runs through: a cut across a bend can leave a corner of the valley
        // floor cut off from the river, which nobody holds as part of this pocket.
        let poly = geom::normalise(&poly, 0.5);
        let poly = MultiPolygon(
            poly.0.into_iter().filter(|p| core.iter().any(|l| l.iter().any(|c| p.contains(&geo::Point(*c))))).collect(),
        );
        let area = geom::area_km2(&poly);
        let mut derivation = format!(
            "Corridor {w:.1} km either side of the {} ({} line) along {:.0} km of river, cut straight across the valley {:.1} km beyond the river point nearest {} and {:.1} km beyond the river point nearest {} ({:.2} × the {span:.0} km between the named ends{})",
            rp.name,
            rp.source.as_str(),
            extent.1 - extent.0,
            if l0.along_km <= l1.along_km { r_lo } else { r_hi },
            end_name(from, cap0),
            if l0.along_km <= l1.along_km { r_hi } else { r_lo },
            end_name(to, cap1),
            rules.half_width,
            if valley_poly.is_some() { ", clipped to the valley's polygon" } else { "" },
        );
        if described.is_empty() {
            derivation.push_str("; no place in it reported retaken by this date.");
        } else {
            derivation.push_str(&format!(
                "; minus the valley sections around the places reported retaken by {day}: {}.",
                described.join(", ")
            ));
        }
        let mut retaken_names: Vec<String> = retaken.iter().map(|r| g.places[r.place].id.clone()).collect();
        retaken_names.sort();
        out.push(Area {
            id: format!("pocket-{}-{}-{}-{day}", rp.id, g.places[from].id, g.places[to].id),
            kind: "pocket".into(),
            controller: controller.clone(),
            date_start: day,
            date_end,
            derivation,
            geometry: poly,
            area_km2: area,
            river: rp.id.clone(),
            valley: valley_place.map(|v| g.places[v].id.clone()),
            from: g.places[from].id.clone(),
            to: g.places[to].id.clone(),
            retaken: retaken_names,
            core,
            quote: statements.iter().find(|s| s.date == day).map_or_else(String::new, |s| s.quote.clone()),
            articles: articles.clone(),
        });
    }
    Ok((out, valley))
}

/// A river piece with a vertex at least every `step_km` (the corridor's round joins follow it).
fn densify_river(line: &[Coord<f64>], step_km: f64) -> Vec<Coord<f64>> {
    let mut out: Vec<Coord<f64>> = Vec::with_capacity(line.len());
    for w in line.windows(2) {
        let d = geom::near_distance_km(w[0], w[1]);
        let n = ((d / step_km.max(0.1)).ceil() as usize).max(1);
        for i in 0..n {
            let t = i as f64 / n as f64;
            out.push(Coord { x: w[0].x + t * (w[1].x - w[0].x), y: w[0].y + t * (w[1].y - w[0].y) });
        }
    }
    if let Some(l) = line.last() {
        out.push(*l);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtracting_intervals_keeps_what_is_left_in_order() {
        assert_eq!(subtract((0.0, 10.0), &[(2.0, 3.0), (9.0, 12.0)]), vec![(0.0, 2.0), (3.0, 9.0)]);
        assert_eq!(subtract((0.0, 10.0), &[(-1.0, 11.0)]), Vec::<(f64, f64)>::new());
        assert_eq!(subtract((0.0, 10.0), &[]), vec![(0.0, 10.0)]);
    }

    #[test]
    fn the_bundled_rules_read() {
        let r = AreaRules::builtin();
        assert!(r.half_width > 0.0 && r.half_width < 1.0);
        assert!(!r.pocket.is_empty() && !r.from.is_empty() && !r.to.is_empty());
    }
}
