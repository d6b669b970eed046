//! The projector: the operational picture the articles describe, as layers a cartographer would publish.
//!
//! - [`fronts`]: each stated axis of advance ("sur quatre fronts: à l'est, au sud…", "depuis la province de
//!   Ninive") and each pincer ("pris en étau entre X et Y") becomes an arrow and a front line, marked
//!   schematic, with the quote it came from (`out/fronts.geojson`).
//! - [`areas`]: the pocket a side holds ("dernier carré … de Deir Ezzor jusqu'à al-Qaïm") as a corridor along
//!   the real river, one polygon per date the articles give, minus what events say was retaken
//!   (`out/areas.geojson`).
//! - [`border`]: the international borders between the countries the articles name, and the crossings
//!   they refer to, from the gazetteer (`out/border.geojson`, `out/crossings.geojson`).
//! - [`claims`]: every checkable geographic statement with the value the gazetteer gives (`out/claims.json`),
//!   so a gazetteer change that breaks one shows up in review.
//!
//! The rules are data (`lexicon/fronts.tsv`, `areas.tsv`, `claims.tsv`, `directions.tsv`); geometry is in km
//! on the ellipsoid ([`geom`]). Nothing here knows the bundled articles: no sentence, offset or place id.

pub mod areas;
pub mod border;
pub mod claims;
pub mod fronts;
pub mod geom;
pub mod lexicon;
pub mod words;

use crate::events::Event;
use crate::events::extract::Demonyms;
use crate::events::lexicon::{EventLexicon, Side};
use crate::gazetteer::{Gazetteer, Kind};
use crate::geoparse::{Mention, Parsed};
use crate::text::{Article, Zone};
use geo::Coord;
use std::collections::BTreeSet;
use std::ops::Range;

/// Everything the projector derived from a corpus.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    pub axes: Vec<fronts::Axis>,
    pub areas: Vec<areas::Area>,
    pub borders: Vec<border::BorderLine>,
    pub crossings: Vec<border::Crossing>,
    pub claims: Vec<claims::Claim>,
    /// Statements the projector read but could not draw, and why.
    pub warnings: Vec<String>,
}

/// The projector with its rule files loaded.
pub struct Projector {
    pub fronts: fronts::FrontRules,
    pub areas: areas::AreaRules,
    pub claims: claims::ClaimRules,
    pub directions: lexicon::Directions,
    /// Actors (lexicon/actors.tsv), to name who advances and who holds a pocket.
    pub actors: EventLexicon,
    pub demonyms: Demonyms,
}

impl Projector {
    /// The projector with the rule files shipped in `lexicon/`.
    pub fn builtin() -> Projector {
        Projector {
            fronts: fronts::FrontRules::builtin(),
            areas: areas::AreaRules::builtin(),
            claims: claims::ClaimRules::builtin(),
            directions: lexicon::Directions::builtin(),
            actors: EventLexicon::builtin(),
            demonyms: Demonyms::builtin(),
        }
    }

    /// Project a corpus: `parsed` are the geoparse results of `articles` (same order), `events` the merged
    /// events coded from them.
    pub fn project(&self, g: &Gazetteer, articles: &[Article], parsed: &[Parsed], events: &[Event]) -> Projection {
        let mut readings = Readings::default();
        for r in self.read(g, articles, parsed) {
            readings.add(r);
        }
        self.finish(g, readings, events)
    }

    /// Read articles (in parallel, each on its own) into what the projector keeps of them: a build streams
    /// its corpus through here a batch at a time and never holds every text and mention at once.
    pub fn read(&self, g: &Gazetteer, articles: &[Article], parsed: &[Parsed]) -> Vec<Reading> {
        use rayon::prelude::*;
        let ctx = Ctx { g, articles, parsed, actors: &self.actors, demonyms: &self.demonyms };
        (0..articles.len().min(parsed.len())).into_par_iter().map(|ai| self.read_article(&ctx, ai)).collect()
    }

    /// What the projector keeps of article `ai` of `ctx`.
    fn read_article(&self, ctx: &Ctx, ai: usize) -> Reading {
        let mentions = &ctx.parsed[ai].mentions;
        let mut named: Vec<usize> = mentions.iter().filter(|m| !m.nested).map(|m| m.place).collect();
        named.sort_unstable();
        named.dedup();
        let mut referenced: Vec<usize> = mentions.iter().map(|m| m.place).collect();
        referenced.sort_unstable();
        referenced.dedup();
        Reading {
            pockets: areas::statements(ctx, &self.areas, ai),
            fronts: fronts::read(ctx, &self.fronts, &self.directions, ai),
            claims: claims::read(ctx, &self.claims, &self.directions, ai),
            named,
            referenced,
        }
    }

    /// Project the readings of a corpus (gathered in article order) with the events merged from it.
    pub fn finish(&self, g: &Gazetteer, readings: Readings, events: &[Event]) -> Projection {
        let mut out = Projection::default();
        let (areas, valleys, w) = areas::pockets(g, &self.areas, readings.pockets, &readings.named, events);
        out.areas = areas;
        out.warnings.extend(w);
        let (axes, w) = fronts::axes(g, &self.fronts, readings.fronts, events, &out.areas);
        out.axes = axes;
        out.warnings.extend(w);
        let (borders, crossings) = border::borders(g, &readings.referenced, events);
        out.borders = borders;
        out.crossings = crossings;
        out.claims = readings.claims.finish(g, &self.claims, &valleys);
        out
    }
}

/// Project a corpus with the bundled rules (see [`Projector::project`]).
pub fn project(g: &Gazetteer, articles: &[Article], parsed: &[Parsed], events: &[Event]) -> Projection {
    Projector::builtin().project(g, articles, parsed, events)
}

/// What the projector keeps of one article: its pocket statements, its axes and pincers as read (drawn once
/// the corpus's events and pockets are known), its claims (a straddle waits for the pockets' corridors) and
/// the places it names. A few hundred bytes where its text and mentions weigh kilobytes.
#[derive(Debug, Clone, Default)]
pub struct Reading {
    pockets: Vec<areas::Statement>,
    fronts: fronts::Reading,
    claims: claims::Reading,
    /// Places of its outermost mentions, sorted, once each.
    named: Vec<usize>,
    /// Places of all its mentions, sorted, once each.
    referenced: Vec<usize>,
}

/// The readings of a corpus, gathered in article order as they come: what is corpus-wide (places named,
/// claims made again and again) is merged on arrival, so this grows with what the corpus says, not with its
/// text.
#[derive(Debug, Default)]
pub struct Readings {
    pockets: Vec<areas::Statement>,
    fronts: Vec<fronts::Reading>,
    claims: claims::Gathered,
    named: BTreeSet<usize>,
    referenced: BTreeSet<usize>,
}

impl Readings {
    /// Add the reading of the next article.
    pub fn add(&mut self, r: Reading) {
        // Copied on this thread: the corpus-long strings of a reading made on a pool thread would otherwise
        // pin that thread's pages of short-lived text and mentions (issue 8).
        let r = r.clone();
        self.pockets.extend(r.pockets);
        if !r.fronts.is_empty() {
            self.fronts.push(r.fronts);
        }
        self.claims.add(r.claims);
        self.named.extend(r.named);
        self.referenced.extend(r.referenced);
    }
}

/// Articles as every part of the projector reads them, one at a time.
pub struct Ctx<'a> {
    pub g: &'a Gazetteer,
    pub articles: &'a [Article],
    pub parsed: &'a [Parsed],
    pub actors: &'a EventLexicon,
    pub demonyms: &'a Demonyms,
}

/// Whether two places are one, or one contains the other in the gazetteer's hierarchy.
pub fn related(g: &Gazetteer, a: usize, b: usize) -> bool {
    a == b || g.is_ancestor(a, b) || g.is_ancestor(b, a)
}

/// Distances (km) from `center` to `places` (the point-like places an article names, see
/// [`Ctx::point_places`]) other than `objective` and the places it contains or lies in: the scale of the
/// story the article tells.
pub fn spread_km(g: &Gazetteer, places: &[usize], objective: usize, center: Coord<f64>) -> Vec<f64> {
    places
        .iter()
        .filter(|&&p| !related(g, p, objective))
        .map(|&p| crate::geodesy::distance_km(center, g.places[p].point))
        .filter(|&d| d >= 1.0)
        .collect()
}

/// Kinds of place a map shows as a point: a front can aim at them, a pocket can hold them.
pub fn is_point_like(k: Kind) -> bool {
    k.is_settlement() || matches!(k, Kind::Crossing | Kind::Airport | Kind::Base | Kind::Dam)
}

impl Ctx<'_> {
    /// The sentences the projector reads: the article's own text (body, headline, caption).
    pub fn readable(&self, ai: usize, si: usize) -> bool {
        self.articles[ai].sentences.get(si).is_some_and(|s| matches!(s.zone, Zone::Body | Zone::Caption))
    }

    /// Mentions of sentence `si` of article `ai`, outermost only, in text order.
    pub fn sentence_mentions(&self, ai: usize, si: usize) -> Vec<&Mention> {
        let mut v: Vec<&Mention> = self.parsed[ai].mentions.iter().filter(|m| m.sentence == Some(si)).collect();
        v.sort_by_key(|m| (m.range.start, std::cmp::Reverse(m.range.end)));
        v
    }

    /// The town an article is talking about when it reaches sentence `si` ("la localité", "ce gros bourg"):
    /// the settlement it has named most so far (latest on ties), else the one it names most overall.
    pub fn salient_settlement(&self, ai: usize, si: usize) -> Option<usize> {
        let pick = |upto: usize| -> Option<usize> {
            let mut counts: Vec<(usize, usize, usize)> = Vec::new(); // place, count, last position
            for m in &self.parsed[ai].mentions {
                if m.nested || m.sentence.is_none_or(|s| s >= upto) {
                    continue;
                }
                if !matches!(self.g.places[m.place].kind, Kind::City | Kind::Town | Kind::Village) {
                    continue;
                }
                match counts.iter_mut().find(|c| c.0 == m.place) {
                    Some(c) => {
                        c.1 += 1;
                        c.2 = m.range.start;
                    }
                    None => counts.push((m.place, 1, m.range.start)),
                }
            }
            counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2))).map(|c| c.0)
        };
        pick(si).or_else(|| pick(usize::MAX))
    }

    /// Whether two places are one, or one contains the other in the gazetteer's hierarchy.
    pub fn related(&self, a: usize, b: usize) -> bool {
        related(self.g, a, b)
    }

    /// The distinct point-like places article `ai` names (outermost mentions), in order: the places
    /// [`spread_km`] measures.
    pub fn point_places(&self, ai: usize) -> Vec<usize> {
        let places: BTreeSet<usize> = self.parsed[ai]
            .mentions
            .iter()
            .filter(|m| !m.nested && is_point_like(self.g.places[m.place].kind))
            .map(|m| m.place)
            .collect();
        places.into_iter().collect()
    }

    /// Actors named in `toks[range]` (longest alias first, no overlaps), as output names with `{country}`
    /// filled from a demonym right after the alias, else from `country`. `side` keeps only one side.
    pub fn actor_names(
        &self,
        toks: &[words::Tok],
        range: Range<usize>,
        country: Option<&str>,
        side: Option<Side>,
    ) -> Vec<String> {
        let ws: Vec<&str> = toks.iter().map(|t| t.word.as_str()).collect();
        let (lo, hi) = (range.start.min(ws.len()), range.end.min(ws.len()));
        let mut taken = vec![false; ws.len()];
        let mut found: Vec<(usize, usize, Option<String>)> = Vec::new();
        for (alias, actor) in &self.actors.actor_aliases {
            if alias.is_empty() || alias.len() > hi.saturating_sub(lo) {
                continue;
            }
            for i in lo..=hi - alias.len() {
                if taken[i..i + alias.len()].iter().any(|&t| t) || !alias.iter().zip(&ws[i..]).all(|(a, w)| a == w) {
                    continue;
                }
                taken[i..i + alias.len()].iter_mut().for_each(|t| *t = true);
                let end = i + alias.len();
                let demonym = ws[end..(end + 3).min(ws.len())].iter().find_map(|w| self.demonyms.country(w));
                found.push((i, *actor, demonym.map(str::to_string)));
            }
        }
        found.sort();
        let mut out: Vec<String> = Vec::new();
        for (_, a, cc) in found {
            let cc = cc.as_deref().or(country);
            let actor = self.specific(a, cc);
            let def = &self.actors.actors[actor];
            if side.is_some_and(|s| s != def.side) {
                continue;
            }
            let name = if def.name.contains("{country}") {
                match cc.and_then(|c| self.g.get(&c.to_ascii_lowercase())) {
                    Some(c) => def.name.replace("{country}", c.name_en.as_deref().unwrap_or(&c.name)),
                    None => def.name.replace(" ({country})", "").replace("{country}", ""),
                }
            } else {
                def.name.clone()
            };
            if !out.contains(&name) {
                out.push(name);
            }
        }
        out
    }

    /// The country's own actor for a generic one ("army" in Iraq is "iq-army").
    fn specific(&self, actor: usize, country: Option<&str>) -> usize {
        let a = &self.actors.actors[actor];
        if a.id.contains('-') {
            return actor;
        }
        country
            .and_then(|c| {
                let id = format!("{}-{}", c.to_ascii_lowercase(), a.id);
                self.actors.actors.iter().position(|x| x.id == id)
            })
            .unwrap_or(actor)
    }

    /// Tokens of sentence `si` of article `ai`.
    pub fn tokens(
        &self,
        ai: usize,
        si: usize,
        numbers: &[(lexicon::Phrase, words::Number)],
        approx: &[(lexicon::Phrase, f64)],
    ) -> Vec<words::Tok> {
        let a = &self.articles[ai];
        match a.sentences.get(si) {
            Some(s) => words::tokens(&a.text, s.range.clone(), numbers, approx),
            None => Vec::new(),
        }
    }

    /// The article text between two tokens, trimmed of surrounding punctuation and quotes.
    pub fn quote(&self, ai: usize, toks: &[words::Tok], range: Range<usize>) -> String {
        let (Some(first), Some(last)) = (toks.get(range.start), range.end.checked_sub(1).and_then(|e| toks.get(e)))
        else {
            return String::new();
        };
        let text = &self.articles[ai].text;
        let mut end = last.span.end;
        // Keep a closing bracket or quote that belongs to a word, never a trailing sentence mark.
        while let Some(c) = text[end..].chars().next() {
            if c == ')' && text[first.span.start..end].contains('(') {
                end += c.len_utf8();
            } else {
                break;
            }
        }
        text.get(first.span.start..end).unwrap_or("").trim().to_string()
    }
}
