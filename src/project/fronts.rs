//! Axes of advance and pincers, as schematic arrows and front lines.
//!
//! An axes list ("avançaient sur quatre fronts: à l'est, au sud et au sud-est d'Al-Qaïm, et depuis la
//! province de Ninive, plus au nord") gives one axis per item (`lexicon/fronts.tsv`): a compass direction
//! ("au sud-est") or a named origin ("depuis la province de Ninive"), all aimed at the objective the list
//! names ("d'Al-Qaïm"). A pincer ("pris en étau entre X dans l'Est de la Syrie et Y dans l'Ouest de l'Irak")
//! gives one axis per jaw, aimed at the place the sentence (or the one before) names.
//!
//! Geometry, in km on the ellipsoid:
//! - the scale L of an axis is the story's: the median distance from the objective to the other places
//!   the article names (a list about a town names its neighbours; a pincer about a valley names the
//!   cities along it), else a quarter of the side of the smallest area containing the objective;
//! - a compass axis starts L from the objective in its direction; a named origin starts at the point of
//!   the origin's boundary nearest the objective from which the axis stays in the origin's country (within
//!   `origin_sector` of a hint such as "plus au nord"); a jaw starts L from the objective toward the part of
//!   its region (the stated half of it) that lies within L of the objective;
//! - every arrow runs along the geodesic, origin first, tip last, and stops `tip_gap` × L short of the
//!   objective's centre; its front line crosses it `front_line_at` × L from the objective, at right angles,
//!   short enough never to meet the front line of a neighbouring axis.
//!
//! An axis is dated from the article that states it until a precise `place_retaken` event at its objective
//! (the objective taken, the axis is over), else for the article's day.

use super::areas::Area;
use super::geom;
use super::lexicon::{Directions, Phrase, ProjectLexiconError, Rules, angle_between, compass};
use super::words::{Number, Tok, number_table, tok_range};
use super::{Ctx, is_point_like};
use crate::events::lexicon::Side;
use crate::events::{Category, Event};
use crate::gazetteer::{Gazetteer, Kind};
use crate::geodesy::{bearing_deg, destination, distance_km};
use crate::geoparse::Mention;
use crate::geoparse::context::Direction;
use crate::text::DateRange;
use chrono::NaiveDate;
use geo::{BooleanOps, Coord, LineString, MultiPolygon, Polygon, Rect};

/// Row types of `lexicon/fronts.tsv`.
pub const KINDS: &[&str] =
    &["axes", "toward", "of", "origin", "hint", "separator", "pincer", "jaw_split", "count", "param"];

/// The rules of `lexicon/fronts.tsv`.
#[derive(Debug, Clone)]
pub struct FrontRules {
    pub axes: Vec<Phrase>,
    pub toward: Vec<Phrase>,
    pub of: Vec<Phrase>,
    pub origin: Vec<Phrase>,
    pub hint: Vec<Phrase>,
    pub separator: Vec<Phrase>,
    pub pincer: Vec<Phrase>,
    pub jaw_split: Vec<Phrase>,
    pub numbers: Vec<(Phrase, Number)>,
    pub tip_gap: f64,
    pub front_line_at: f64,
    pub front_line_half: f64,
    pub origin_sector: f64,
    pub densify_km: f64,
    pub boundary_step_km: f64,
}

impl FrontRules {
    /// The rules shipped in `lexicon/fronts.tsv` (compiled in, so the binary needs no data directory).
    pub fn builtin() -> FrontRules {
        FrontRules::parse("lexicon/fronts.tsv", include_str!("../../lexicon/fronts.tsv"))
            .unwrap_or_else(|e| panic!("bundled front rules are invalid: {e}"))
    }

    /// Parse a fronts rule file; errors name the file and line so an analyst can fix it.
    pub fn parse(file: &str, text: &str) -> Result<FrontRules, ProjectLexiconError> {
        let r = Rules::parse(file, text, KINDS)?;
        Ok(FrontRules {
            axes: r.phrases("axes"),
            toward: r.phrases("toward"),
            of: r.phrases("of"),
            origin: r.phrases("origin"),
            hint: r.phrases("hint"),
            separator: r.phrases("separator"),
            pincer: r.phrases("pincer"),
            jaw_split: r.phrases("jaw_split"),
            numbers: number_table(&[&r]),
            tip_gap: r.param("tip_gap")?,
            front_line_at: r.param("front_line_at")?,
            front_line_half: r.param("front_line_half")?,
            origin_sector: r.param("origin_sector")?,
            densify_km: r.param("densify_km")?,
            boundary_step_km: r.param("boundary_step_km")?,
        })
    }
}

/// One axis of advance: an arrow and the front line across it.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Stable id; the arrow is `ID-arrow`, the front line `ID-line`.
    pub id: String,
    /// Where the axis comes from, seen from the objective ("E": from the east).
    pub direction: Direction,
    pub actor: Option<String>,
    /// Gazetteer id of the objective.
    pub objective: String,
    /// Gazetteer id of a named origin or of a jaw's region.
    pub origin: Option<String>,
    /// One jaw of a pincer.
    pub pincer: bool,
    pub date_start: NaiveDate,
    pub date_end: NaiveDate,
    pub quote: String,
    pub articles: Vec<String>,
    /// Origin first, tip last.
    pub arrow: Vec<Coord<f64>>,
    /// Left to right, facing the objective.
    pub front_line: Vec<Coord<f64>>,
    /// Bearing from the objective to the origin, degrees.
    pub bearing_deg: f64,
    /// Geodesic length of the arrow, km.
    pub length_km: f64,
    /// How the origin was placed.
    pub origin_rule: String,
}

/// One item of an axes list, or one jaw.
#[derive(Debug, Clone)]
enum Start {
    /// "à l'est": a compass direction.
    Compass(Direction),
    /// "depuis la province de Ninive", with a hint ("plus au nord") if one follows.
    Place { place: usize, hint: Option<Direction> },
    /// A pincer's jaw: a region (with the part of it named: "l'Est de la Syrie"), its actors.
    Jaw { place: usize, part: Option<Direction>, actor: Option<String> },
}

/// The axes lists and pincers of one article as read, drawn by [`axes`] once the corpus's events (who
/// advanced, when the objective fell) and pockets (where a pincer aims) are known.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    /// The article's id and publication date.
    article: String,
    date: Option<DateRange>,
    /// The point-like places the article names (outermost mentions, once each): the scale of its story.
    places: Vec<usize>,
    /// What its sentences say, in text order.
    steps: Vec<Step>,
}

impl Reading {
    /// Whether the article states no axis at all.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// What one sentence gave: a warning, or a group of axes to draw.
#[derive(Debug, Clone)]
enum Step {
    Warning(String),
    Group(Group),
}

/// An axes list or a pincer, as one sentence states it.
#[derive(Debug, Clone)]
struct Group {
    objective: usize,
    /// Where the axes aim: a point, or for a pincer (`None`) the middle of a pocket on the objective as of
    /// the article's date, else the objective's point.
    center: Option<Coord<f64>>,
    starts: Vec<Start>,
    quote: String,
    actor: Actor,
}

/// Who advances along an axes list.
#[derive(Debug, Clone)]
enum Actor {
    /// Known once read (none for a pincer: its jaws carry their own).
    Named(Option<String>),
    /// The subject of an event coded from the sentence (byte range in the file), else the actors it names.
    Sentence { start: usize, end: usize, named: Option<String> },
}

/// Read the axes lists and pincers of article `ai`.
pub fn read(ctx: &Ctx, rules: &FrontRules, dirs: &Directions, ai: usize) -> Reading {
    let a = &ctx.articles[ai];
    let mut steps = Vec::new();
    for si in 0..a.sentences.len() {
        if !ctx.readable(ai, si) {
            continue;
        }
        let toks = ctx.tokens(ai, si, &rules.numbers, &[]);
        let mentions = ctx.sentence_mentions(ai, si);
        let mut warnings = Vec::new();
        let list = axes_list(ctx, rules, dirs, ai, si, &toks, &mentions, &mut warnings);
        steps.extend(warnings.into_iter().map(Step::Warning));
        steps.extend(list.map(Step::Group));
        steps.extend(pincer(ctx, rules, dirs, ai, si, &toks, &mentions).map(Step::Group));
    }
    if steps.is_empty() {
        return Reading::default();
    }
    Reading { article: a.id.clone(), date: a.meta.date, places: ctx.point_places(ai), steps }
}

/// Draw every axes list and pincer of a corpus (`readings` in article order) with its `events` and pockets.
pub fn axes(
    g: &Gazetteer,
    rules: &FrontRules,
    readings: Vec<Reading>,
    events: &[Event],
    areas: &[Area],
) -> (Vec<Axis>, Vec<String>) {
    let mut out: Vec<Axis> = Vec::new();
    // Position in `out` of each axis id: a corpus names the same axes again and again.
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    // Articles are drawn in parallel, each on its own; their axes are then gathered in article order.
    use rayon::prelude::*;
    let per_article: Vec<(Vec<Axis>, Vec<String>)> = readings
        .par_iter()
        .map(|r| {
            let mut made_here = Vec::new();
            let mut warnings = Vec::new();
            for step in &r.steps {
                match step {
                    Step::Warning(w) => warnings.push(w.clone()),
                    Step::Group(gr) => {
                        let center = gr.center.unwrap_or_else(|| pocket_center(g, areas, gr.objective, r.date));
                        let actor = match &gr.actor {
                            Actor::Named(a) => a.clone(),
                            Actor::Sentence { start, end, named } => {
                                event_actor(events, &r.article, *start..*end, gr.objective).or_else(|| named.clone())
                            }
                        };
                        let (o, starts, quote) = (gr.objective, &gr.starts, &gr.quote);
                        made_here.extend(draw(g, rules, events, r, o, center, starts, quote, actor, &mut warnings));
                    }
                }
            }
            (made_here, warnings)
        })
        .collect();
    let mut warnings = Vec::new();
    for (r, (made, w)) in readings.iter().zip(per_article) {
        warnings.extend(w);
        for axis in made {
            match index.get(&axis.id) {
                Some(&i) => {
                    let x = &mut out[i];
                    if !x.articles.contains(&r.article) {
                        x.articles.push(r.article.clone());
                    }
                }
                None => {
                    index.insert(axis.id.clone(), out.len());
                    out.push(axis);
                }
            }
        }
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    (out, warnings)
}

/// The subject of the event coded from the sentence at `sentence` (bytes of the file) of `article`, the one at
/// the objective first.
fn event_actor(events: &[Event], article: &str, sentence: std::ops::Range<usize>, objective: usize) -> Option<String> {
    events
        .iter()
        .filter(|e| e.actor1.is_some())
        .filter(|e| e.sources.iter().any(|s| *s.article == *article && sentence.contains(&s.start)))
        .max_by_key(|e| (e.place == objective, std::cmp::Reverse(e.id.clone())))
        .and_then(|e| e.actor1.clone())
}

/// Where a pincer on `objective` aims: the middle of the longest river line of the latest pocket on that
/// valley or river as of the article's date, else the objective's point.
fn pocket_center(g: &Gazetteer, areas: &[Area], objective: usize, date: Option<DateRange>) -> Coord<f64> {
    let date = date.map(|d| d.start);
    let oid = &g.places[objective].id;
    areas
        .iter()
        .filter(|x| x.valley.as_ref() == Some(oid) || &x.river == oid)
        .filter(|x| date.is_some_and(|d| x.date_start <= d))
        .max_by_key(|x| x.date_start)
        .and_then(|x| x.core.iter().max_by(|a, b| line_km(a).total_cmp(&line_km(b))))
        .and_then(|core| midpoint(core))
        .unwrap_or(g.places[objective].point)
}

/// The first match of any of `phrases` at or after token `from`: (start, end).
fn find(ws: &[&str], toks: &[Tok], phrases: &[Phrase], from: usize) -> Option<(usize, usize)> {
    (from..ws.len()).find_map(|i| {
        phrases.iter().find_map(|p| p.match_at(ws, i, &|k| toks[k].number.is_some(), &|_| false)).map(|e| (i, e))
    })
}

/// The longest phrase of `phrases` matching exactly at token `i`: its end.
fn at(ws: &[&str], phrases: &[Phrase], i: usize) -> Option<usize> {
    phrases.iter().find_map(|p| p.match_at(ws, i, &|_| false, &|_| false))
}

#[allow(clippy::too_many_arguments)]
fn axes_list(
    ctx: &Ctx,
    rules: &FrontRules,
    dirs: &Directions,
    ai: usize,
    si: usize,
    toks: &[Tok],
    mentions: &[&Mention],
    warnings: &mut Vec<String>,
) -> Option<Group> {
    let ws: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
    let (cue, list) = find(&ws, toks, &rules.axes, 0)?;
    let stated = toks[cue..list].iter().find_map(|t| t.number).map(|n| n.value);
    let outer: Vec<&&Mention> = mentions.iter().filter(|m| !m.nested).collect();
    let mention_at = |k: usize| outer.iter().find(|m| tok_range(toks, &m.range).start == k).copied();
    let mut starts: Vec<Start> = Vec::new();
    let mut objective: Option<usize> = None;
    let mut k = list;
    let mut end = list;
    while k < ws.len() {
        if let Some(e) = at(&ws, &rules.separator, k) {
            k = e;
            continue;
        }
        let dir_at = |i: usize| dirs.at(&ws, i);
        if let Some((d, n)) = at(&ws, &rules.toward, k).and_then(|e| dir_at(e).map(|(d, n)| (d, e + n))).or_else(|| {
            // A bare direction opens an item only after a pause or at the list's start ("east, south").
            (k == list || toks[k].pause_before).then(|| dir_at(k).map(|(d, n)| (d, k + n))).flatten()
        }) {
            k = n;
            if let Some(e) = at(&ws, &rules.of, k) {
                if let Some(m) = mention_at(e) {
                    objective = Some(m.place);
                    k = tok_range(toks, &m.range).end;
                }
            }
            starts.push(Start::Compass(d));
            end = k;
            continue;
        }
        if let Some(e) = at(&ws, &rules.origin, k) {
            let m = outer.iter().find(|m| {
                let r = tok_range(toks, &m.range);
                r.start >= e && r.start <= e + 6
            });
            if let Some(m) = m {
                starts.push(Start::Place { place: m.place, hint: None });
                k = tok_range(toks, &m.range).end;
                end = k;
                continue;
            }
            break;
        }
        if let Some((d, e)) = at(&ws, &rules.hint, k).and_then(|e| dir_at(e).map(|(d, n)| (d, e + n))) {
            if let Some(Start::Place { hint, .. }) = starts.last_mut() {
                *hint = Some(d);
            }
            k = e;
            end = k;
            continue;
        }
        break;
    }
    if starts.is_empty() {
        return None;
    }
    let a = &ctx.articles[ai];
    if let Some(n) = stated {
        if (n - starts.len() as f64).abs() > 0.5 {
            warnings.push(format!("{}: the text states {n} axes, {} were read", a.id, starts.len()));
        }
    }
    let cue_byte = toks[cue].span.start;
    let objective = objective
        .or_else(|| {
            outer
                .iter()
                .rfind(|m| m.range.end <= cue_byte && is_point_like(ctx.g.places[m.place].kind))
                .map(|m| m.place)
        })
        .or_else(|| ctx.salient_settlement(ai, si))?;
    // The actor: the event the same sentence codes (its subject), else the state actors named before the list.
    let sentence = a.source_range(a.sentences[si].range.clone());
    let named = {
        let cc = ctx.g.places[objective].country.as_deref();
        let v = ctx.actor_names(toks, 0..cue, cc, Some(Side::State));
        (!v.is_empty()).then(|| v.join("; "))
    };
    let actor = Actor::Sentence { start: sentence.start, end: sentence.end, named };
    let quote = ctx.quote(ai, toks, cue.saturating_sub(usize::from(cue > 0 && ws[cue - 1] == "sur"))..end);
    let quote = if quote.is_empty() { ctx.quote(ai, toks, cue..end) } else { quote };
    Some(Group { objective, center: Some(ctx.g.places[objective].point), starts, quote, actor })
}

#[allow(clippy::too_many_arguments)]
fn pincer(
    ctx: &Ctx,
    rules: &FrontRules,
    dirs: &Directions,
    ai: usize,
    si: usize,
    toks: &[Tok],
    mentions: &[&Mention],
) -> Option<Group> {
    let ws: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
    let (cue, jaws) = find(&ws, toks, &rules.pincer, 0)?;
    let outer: Vec<&&Mention> = mentions.iter().filter(|m| !m.nested).collect();
    let in_jaws: Vec<(&&Mention, std::ops::Range<usize>)> =
        outer.iter().map(|m| (*m, tok_range(toks, &m.range))).filter(|(_, r)| r.start >= jaws).collect();
    let first = in_jaws.first()?.1.end;
    let (split, after) = (first..ws.len()).find_map(|i| at(&ws, &rules.jaw_split, i).map(|e| (i, e)))?;
    let strip = |mut r: std::ops::Range<usize>| {
        while let Some(e) = at(&ws, &rules.jaw_split, r.start).filter(|&e| e <= r.end) {
            r.start = e;
        }
        r
    };
    let jaw_ranges = [strip(jaws..split), strip(after..ws.len())];
    let mut starts = Vec::new();
    for r in jaw_ranges {
        let ms: Vec<&(&&Mention, std::ops::Range<usize>)> =
            in_jaws.iter().filter(|(_, mr)| mr.start >= r.start && mr.end <= r.end).collect();
        let (m, mr) = ms
            .iter()
            .rev()
            .find(|(m, _)| ctx.g.places[m.place].geometry.as_ref().and_then(geom::polygons).is_some())
            .or_else(|| ms.last())?;
        // "l'Est de la Syrie": the mention's own qualifier, else a direction word after an article in the jaw.
        let part = m.direction.or_else(|| {
            (r.start + 1..mr.start).find_map(|i| {
                matches!(ws[i - 1], "l" | "le" | "la" | "the").then(|| dirs.at(&ws, i).map(|d| d.0)).flatten()
            })
        });
        let cc = ctx.g.places[m.place].country.as_deref();
        let actors = ctx
            .actor_names(toks, r.start..mr.start, cc, Some(Side::State))
            .into_iter()
            .chain(ctx.actor_names(toks, r.start..mr.start, cc, Some(Side::NonState)))
            .collect::<Vec<_>>();
        starts.push(Start::Jaw { place: m.place, part, actor: (!actors.is_empty()).then(|| actors.join("; ")) });
    }
    let jaw_places: Vec<usize> =
        starts.iter().filter_map(|s| if let Start::Jaw { place, .. } = s { Some(*place) } else { None }).collect();
    // The objective: a place the sentence names before the cue, else the area the previous sentences talk about.
    let cue_byte = toks[cue].span.start;
    let wanted = |k: Kind| matches!(k, Kind::Valley | Kind::Region | Kind::District) || is_point_like(k);
    let objective = outer
        .iter()
        .filter(|m| m.range.end <= cue_byte && !jaw_places.contains(&m.place) && wanted(ctx.g.places[m.place].kind))
        .map(|m| m.place)
        .next_back()
        .or_else(|| {
            (si.saturating_sub(2)..si).rev().find_map(|p| {
                ctx.sentence_mentions(ai, p)
                    .into_iter()
                    .filter(|m| !m.nested && !jaw_places.contains(&m.place))
                    .find(|m| wanted(ctx.g.places[m.place].kind))
                    .map(|m| m.place)
            })
        })?;
    // A pocket on that valley or river, as of the article's date: aim at the middle of its river line (known
    // once the corpus's pockets are).
    let quote = ctx.quote(ai, toks, cue..ws.len());
    Some(Group { objective, center: None, starts, quote, actor: Actor::Named(None) })
}

fn line_km(l: &[Coord<f64>]) -> f64 {
    geom::cumulative_km(l).last().copied().unwrap_or(0.0)
}

/// The point halfway along a line.
fn midpoint(l: &[Coord<f64>]) -> Option<Coord<f64>> {
    let cum = geom::cumulative_km(l);
    let half = cum.last()? / 2.0;
    geom::sub_line(l, &cum, half, half).first().copied()
}

/// The compass half of a bounding box: "l'Est" of a country is the part east of its middle meridian.
fn half_of(mp: &MultiPolygon<f64>, d: Direction) -> MultiPolygon<f64> {
    use geo::BoundingRect;
    let Some(b) = mp.bounding_rect() else { return mp.clone() };
    let (mx, my) = ((b.min().x + b.max().x) / 2.0, (b.min().y + b.max().y) / 2.0);
    let (mut x0, mut y0, mut x1, mut y1) = (b.min().x, b.min().y, b.max().x, b.max().y);
    let b = d.bearing();
    if angle_between(b, 90.0) < 67.5 {
        x0 = mx;
    }
    if angle_between(b, 270.0) < 67.5 {
        x1 = mx;
    }
    if angle_between(b, 0.0) < 67.5 {
        y0 = my;
    }
    if angle_between(b, 180.0) < 67.5 {
        y1 = my;
    }
    let rect: Polygon<f64> = Rect::new(Coord { x: x0, y: y0 }, Coord { x: x1, y: y1 }).to_polygon();
    mp.intersection(&MultiPolygon(vec![rect]))
}

/// Where one axis starts, before it is drawn.
struct Origin {
    /// Bearing from the objective, degrees.
    bearing: f64,
    point: Coord<f64>,
    direction: Direction,
    /// A named origin or a jaw's region.
    place: Option<usize>,
    jaw: bool,
    actor: Option<String>,
    rule: String,
}

/// The median of distances (mean of the middle two for an even count).
fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// The scale of an axis group around `objective`, and how it was found.
fn scale(g: &Gazetteer, places: &[usize], objective: usize, center: Coord<f64>) -> Option<(f64, String)> {
    let d = super::spread_km(g, places, objective, center);
    let n = d.len();
    if let Some(m) = median(d) {
        return Some((m, format!("the median distance from the objective to the {n} other places the article names")));
    }
    let area = g
        .ancestors(objective)
        .into_iter()
        .find_map(|p| g.places[p].area_km2.map(|a| (p, a)))
        .or_else(|| g.places[objective].area_km2.map(|a| (objective, a)))?;
    Some((area.1.sqrt() / 4.0, format!("a quarter of the side of {} ({:.0} km²)", g.places[area.0].name, area.1)))
}

/// The axes of one group of article `a`.
#[allow(clippy::too_many_arguments)]
fn draw(
    g: &Gazetteer,
    rules: &FrontRules,
    events: &[Event],
    a: &Reading,
    objective: usize,
    center: Coord<f64>,
    starts: &[Start],
    quote: &str,
    actor: Option<String>,
    warnings: &mut Vec<String>,
) -> Vec<Axis> {
    let Some(date) = a.date else {
        warnings.push(format!("{}: axes not drawn: the article has no date", a.article));
        return Vec::new();
    };
    let Some((l, how_l)) = scale(g, &a.places, objective, center) else {
        warnings
            .push(format!("{}: axes on {} not drawn: nothing gives their scale", a.article, g.places[objective].id));
        return Vec::new();
    };
    let gap = rules.tip_gap * l;
    let obj_country = g.country_of(objective).and_then(|c| g.places[c].geometry.as_ref()).and_then(geom::polygons);
    let mut origins: Vec<Origin> = Vec::new();
    for s in starts {
        match s {
            Start::Compass(d) => {
                let o = destination(center, d.bearing(), l);
                origins.push(Origin {
                    bearing: d.bearing(),
                    point: o,
                    direction: *d,
                    place: None,
                    jaw: false,
                    actor: actor.clone(),
                    rule: format!("direction stated ({}); {l:.1} km out: {how_l}", d.as_str()),
                });
            }
            Start::Place { place, hint } => {
                let p = &g.places[*place];
                let poly = p.geometry.as_ref().and_then(geom::polygons);
                let (o, rule) = match &poly {
                    Some(mp) if !geom::contains(mp, center) => {
                        match origin_on_boundary(rules, mp, center, *hint, obj_country.as_ref()) {
                            Some((o, stays)) => (
                                o,
                                format!(
                                    "the point of {}'s boundary nearest the objective{}{}",
                                    p.name,
                                    hint.map(|h| format!(" within {}° of {}", rules.origin_sector, h.as_str()))
                                        .unwrap_or_default(),
                                    if stays { " from which the axis stays in the objective's country" } else { "" }
                                ),
                            ),
                            None => continue,
                        }
                    }
                    Some(_) => match hint {
                        Some(h) => (
                            destination(center, h.bearing(), l),
                            format!(
                                "{} contains the objective: direction {} and {l:.1} km ({how_l})",
                                p.name,
                                h.as_str()
                            ),
                        ),
                        None => {
                            warnings.push(format!(
                                "{}: axis from {} not drawn: it contains its objective",
                                a.article, p.id
                            ));
                            continue;
                        }
                    },
                    None => (p.point, format!("{}'s own point", p.name)),
                };
                let b = bearing_deg(center, o);
                origins.push(Origin {
                    bearing: b,
                    point: o,
                    direction: hint.unwrap_or(compass(b)),
                    place: Some(*place),
                    jaw: false,
                    actor: actor.clone(),
                    rule,
                });
            }
            Start::Jaw { place, part, actor: jaw_actor } => {
                let p = &g.places[*place];
                let (b, rule) = match p.geometry.as_ref().and_then(geom::polygons) {
                    Some(mp) => {
                        let region = match part {
                            Some(d) => half_of(&mp, *d),
                            None => mp.clone(),
                        };
                        let near = region.intersection(&MultiPolygon(vec![geom::disc(center, l, 64)]));
                        let target = geom::centroid(&near).or_else(|| geom::centroid(&region));
                        let Some(t) = target else { continue };
                        (
                            bearing_deg(center, t),
                            format!(
                                "jaw: toward the middle of the part of {}{} within {l:.1} km of the objective ({how_l})",
                                p.name,
                                part.map(|d| format!(" ({} half)", d.as_str())).unwrap_or_default()
                            ),
                        )
                    }
                    None => (bearing_deg(center, p.point), format!("jaw: toward {}'s point", p.name)),
                };
                let o = destination(center, b, l);
                origins.push(Origin {
                    bearing: b,
                    point: o,
                    direction: compass(b),
                    place: Some(*place),
                    jaw: true,
                    actor: jaw_actor.clone(),
                    rule,
                });
            }
        }
    }
    let bearings: Vec<f64> = origins.iter().map(|o| o.bearing).collect();
    let date_end = events
        .iter()
        .filter(|e| e.category == Category::PlaceRetaken && e.geo_precision == 1 && e.place == objective)
        .filter(|e| e.date.start >= date.start)
        .map(|e| e.date.end)
        .min()
        .unwrap_or(date.end);
    let mut out = Vec::new();
    for (i, Origin { bearing: b, point: o, direction: d, place, jaw, actor: who, rule }) in
        origins.into_iter().enumerate()
    {
        let axis_km = distance_km(center, o);
        if axis_km <= gap {
            continue;
        }
        let tip = destination(center, b, gap);
        let arrow = geom::densify_geodesic(o, tip, rules.densify_km);
        let r_f = (rules.front_line_at * l).min(0.9 * axis_km).max(gap);
        let neighbour = bearings
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, x)| angle_between(b, *x))
            .fold(180.0f64, f64::min);
        let mut half = rules.front_line_half * l;
        if bearings.len() > 1 {
            half = half.min(0.9 * r_f * (neighbour.min(179.0) / 2.0).to_radians().tan());
        }
        let c = destination(center, b, r_f);
        let facing = bearing_deg(c, center);
        let front_line = vec![destination(c, facing - 90.0, half), c, destination(c, facing + 90.0, half)];
        let oid = &g.places[objective].id;
        let id = match (jaw, place) {
            (true, Some(p)) => format!("pincer-{}-{oid}-{}", date.start, g.places[p].id),
            (false, Some(p)) => format!("axis-{}-{oid}-from-{}", date.start, g.places[p].id),
            _ => format!("axis-{}-{oid}-{}", date.start, d.as_str().to_ascii_lowercase()),
        };
        out.push(Axis {
            id,
            direction: d,
            actor: who,
            objective: oid.clone(),
            origin: place.map(|p| g.places[p].id.clone()),
            pincer: jaw,
            date_start: date.start,
            date_end: date_end.max(date.start),
            quote: quote.to_string(),
            articles: vec![a.article.clone()],
            length_km: geom::geodesic_length_km(&arrow),
            arrow,
            front_line,
            bearing_deg: b,
            origin_rule: rule,
        });
    }
    out
}

/// The point of a polygon's boundary nearest `center` (within `sector` of a hint), preferring one from which
/// the straight axis to `center` stays inside `country`. Returns the point and whether it stays.
fn origin_on_boundary(
    rules: &FrontRules,
    mp: &MultiPolygon<f64>,
    center: Coord<f64>,
    hint: Option<Direction>,
    country: Option<&MultiPolygon<f64>>,
) -> Option<(Coord<f64>, bool)> {
    let mut cands: Vec<(f64, Coord<f64>)> = geom::boundary_points(mp, rules.boundary_step_km)
        .into_iter()
        .filter(|c| hint.is_none_or(|h| angle_between(bearing_deg(center, *c), h.bearing()) <= rules.origin_sector))
        .map(|c| (distance_km(center, c), c))
        .collect();
    cands.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.x.total_cmp(&b.1.x)).then(a.1.y.total_cmp(&b.1.y)));
    let first = cands.first().map(|c| c.1)?;
    let Some(country) = country else { return Some((first, false)) };
    if !geom::contains(country, center) {
        return Some((first, false));
    }
    let stays = |o: Coord<f64>| {
        let line = LineString(geom::densify_geodesic(o, center, 1.0));
        line.0.iter().all(|c| geom::contains(country, *c))
    };
    // Candidates are dense; look at the nearest few hundred before giving up on staying inside.
    match cands.iter().take(400).find(|c| stays(c.1)) {
        Some(c) => Some((c.1, true)),
        None => Some((first, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_of_an_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(median(vec![77.0, 17.0]), Some(47.0));
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(Vec::new()), None);
    }

    #[test]
    fn the_east_of_a_box_is_its_eastern_half() {
        let sq = MultiPolygon(vec![Rect::new(Coord { x: 0.0, y: 0.0 }, Coord { x: 4.0, y: 2.0 }).to_polygon()]);
        use geo::BoundingRect;
        let e = half_of(&sq, Direction::E).bounding_rect().map(|r| (r.min().x, r.max().x, r.min().y, r.max().y));
        assert_eq!(e, Some((2.0, 4.0, 0.0, 2.0)));
        let sw = half_of(&sq, Direction::SW).bounding_rect().map(|r| (r.min().x, r.max().x, r.min().y, r.max().y));
        assert_eq!(sw, Some((0.0, 2.0, 0.0, 1.0)));
    }

    #[test]
    fn the_bundled_rules_read() {
        let r = FrontRules::builtin();
        assert!(r.tip_gap > 0.0 && r.tip_gap < r.front_line_at && r.front_line_at < 1.0);
        assert!(r.numbers.iter().any(|(p, n)| p.words == ["quatre"] && n.value == 4.0));
    }
}
