//! One event per real-world event: the same action told by several articles (or twice in one) is
//! merged, keeping every source; distinct actions stay distinct.
//!
//! Two reports are the same event when they tell the same action (the same category; the launch of an
//! offensive and the offensive under way are one), at the same place, on overlapping dates (day-precise
//! dates may differ by one day: an event and its announcement the next morning). A report located at a
//! district, region or province matches a report located inside it ("la région d'al-Qaïm" and
//! "al-Qaïm") only if one of the two gives the day.
//!
//! Groups are merged, not single reports: each group is represented by its merged place and date, and
//! two groups merge when their representatives match. Once a group is located at a town, it no longer
//! matches the other towns of the same district, so groups never chain across places. Candidates are
//! found through an index of the places (and containing districts) groups are filed under, so merging
//! stays near-linear in the number of reports.

use super::extract::RawEvent;
use super::lexicon::EventLexicon;
use super::model::{Category, Event, SourceQuote};
use crate::gazetteer::{Gazetteer, Kind};
use crate::text::{DateRange, Precision};
use geo::Coord;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// What the merge keeps of a raw event until its group is built: the fields it compares, and the quote,
/// article and actors as indices into [`Reports`]' tables. A corpus of 10,000 articles gathers 41,525 of
/// them; as [`RawEvent`]s, each with its own actor lists, they took 15.7 MB, about 380 bytes each (issue 8).
#[derive(Debug, Clone, Copy)]
struct Report {
    date: DateRange,
    point: Coord<f64>,
    place: usize,
    /// Byte offset of the quote in the original file.
    start: usize,
    article: usize,
    quote: usize,
    /// Index of the (actor1, actor2) lists in [`Reports::actors`].
    actors: usize,
    fatalities: Option<u32>,
    category: Category,
    geo_precision: u8,
}

/// The raw events of a corpus as the merge keeps them: one [`Report`] each, every distinct string (article
/// ids, quotes) and pair of actor lists once. Filled an article at a time (wire copy repeats its sentences:
/// 9,037 distinct quotes among 41,525 at 10,000 synthetic articles).
#[derive(Debug, Default)]
pub struct Reports {
    reports: Vec<Report>,
    strings: Vec<Arc<str>>,
    string_ids: HashMap<Arc<str>, usize>,
    actors: Vec<[Vec<String>; 2]>,
    actor_ids: HashMap<[Vec<String>; 2], usize>,
}

impl Reports {
    /// Keep a raw event. Its strings are copied here when new, on the gathering thread, so the long-lived
    /// ones do not pin the pages of a coding thread's short-lived allocations.
    pub fn push(&mut self, e: RawEvent) {
        let article = self.string(&e.source.article);
        let quote = self.string(&e.source.quote);
        let pair = [e.actor1, e.actor2];
        let actors = match self.actor_ids.get(&pair) {
            Some(&i) => i,
            None => {
                let i = self.actors.len();
                // Cloned, so allocated on this thread, both the kept lists and the key.
                self.actors.push(pair.clone());
                self.actor_ids.insert(pair.clone(), i);
                i
            }
        };
        self.reports.push(Report {
            date: e.date,
            point: e.point,
            place: e.place,
            start: e.source.start,
            article,
            quote,
            actors,
            fatalities: e.fatalities,
            category: e.category,
            geo_precision: e.geo_precision,
        });
    }

    /// Keep the raw events of the next article.
    pub fn extend(&mut self, raw: Vec<RawEvent>) {
        for e in raw {
            self.push(e);
        }
    }

    /// The index of `s` in the string table.
    fn string(&mut self, s: &Arc<str>) -> usize {
        if let Some(&i) = self.string_ids.get(s) {
            return i;
        }
        let i = self.strings.len();
        let kept: Arc<str> = Arc::from(&**s);
        self.strings.push(kept.clone());
        self.string_ids.insert(kept, i);
        i
    }

    /// How many raw events are kept.
    pub fn len(&self) -> usize {
        self.reports.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }
}

/// The place and date a group of reports stands for.
#[derive(Debug, Clone, Copy)]
struct Rep {
    class: Category,
    place: usize,
    date: DateRange,
}

fn class(c: Category) -> Category {
    if c == Category::OffensiveOngoing { Category::AssaultLaunched } else { c }
}

fn compatible_places(g: &Gazetteer, a: usize, b: usize) -> bool {
    let container = |outer: usize, inner: usize| {
        matches!(g.places[outer].kind, Kind::District | Kind::Region | Kind::Valley | Kind::Province)
            && g.is_ancestor(outer, inner)
    };
    container(a, b) || container(b, a)
}

fn compatible_dates(a: &DateRange, b: &DateRange) -> bool {
    if a.overlaps(b) {
        return true;
    }
    a.precision == Precision::Day && b.precision == Precision::Day && (a.start - b.start).num_days().abs() <= 1
}

fn compatible(g: &Gazetteer, a: &Rep, b: &Rep) -> bool {
    a.class == b.class
        && compatible_dates(&a.date, &b.date)
        && (a.place == b.place
            || (compatible_places(g, a.place, b.place)
                && (a.date.precision == Precision::Day || b.date.precision == Precision::Day)))
}

/// The date of a merged event: the earliest day-precise report if there is one (announcements come
/// after events), else the narrowest report's range, never narrowed to a made-up day.
fn merged_date(members: &[Report]) -> DateRange {
    if let Some(d) = members.iter().filter(|m| m.date.precision == Precision::Day).map(|m| m.date).min() {
        return d;
    }
    members.iter().map(|m| m.date).min_by_key(|d| ((d.end - d.start).num_days(), d.start)).unwrap_or(members[0].date)
}

/// Place of a group: the most precise, then the most reported, then the first reported.
fn merged_place(members: &[Report]) -> (usize, u8, usize) {
    let mut tally: Vec<(usize, u8, usize, usize)> = Vec::new(); // (place, precision, count, first)
    for (i, m) in members.iter().enumerate() {
        match tally.iter_mut().find(|t| t.0 == m.place) {
            Some(t) => {
                t.2 += 1;
                t.1 = t.1.min(m.geo_precision);
            }
            None => tally.push((m.place, m.geo_precision, 1, i)),
        }
    }
    tally.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.3.cmp(&b.3)));
    (tally[0].0, tally[0].1, tally[0].3)
}

/// The places a group or a report is filed under for finding merge candidates: its own place and the
/// districts, regions, valleys and provinces that contain it.
fn keys(g: &Gazetteer, place: usize) -> Vec<usize> {
    let mut k = vec![place];
    k.extend(
        g.ancestors(place)
            .into_iter()
            .filter(|&a| matches!(g.places[a].kind, Kind::District | Kind::Region | Kind::Valley | Kind::Province)),
    );
    k
}

/// A group of reports and what it stands for, kept up to date as reports join (no rescans).
struct Group {
    members: Vec<Report>,
    /// (place, best precision, count, first member) per place reported.
    tally: Vec<(usize, u8, usize, usize)>,
    earliest_day: Option<DateRange>,
    narrowest: DateRange,
    rep: Rep,
}

impl Group {
    fn new(ev: Report) -> Group {
        let mut grp = Group {
            tally: Vec::new(),
            earliest_day: None,
            narrowest: ev.date,
            rep: Rep { class: class(ev.category), place: ev.place, date: ev.date },
            members: Vec::new(),
        };
        grp.add(ev);
        grp
    }

    fn add(&mut self, ev: Report) {
        let i = self.members.len();
        match self.tally.iter_mut().find(|t| t.0 == ev.place) {
            Some(t) => {
                t.2 += 1;
                t.1 = t.1.min(ev.geo_precision);
            }
            None => self.tally.push((ev.place, ev.geo_precision, 1, i)),
        }
        if ev.date.precision == Precision::Day && self.earliest_day.is_none_or(|d| ev.date < d) {
            self.earliest_day = Some(ev.date);
        }
        let width = |d: &DateRange| ((d.end - d.start).num_days(), d.start);
        if width(&ev.date) < width(&self.narrowest) {
            self.narrowest = ev.date;
        }
        self.members.push(ev);
        self.refresh();
    }

    fn absorb(&mut self, other: Group) {
        for ev in other.members {
            self.add(ev);
        }
    }

    fn refresh(&mut self) {
        let best = self.tally.iter().min_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(a.3.cmp(&b.3)));
        if let Some(t) = best {
            self.rep.place = t.0;
        }
        self.rep.date = self.earliest_day.unwrap_or(self.narrowest);
    }
}

/// Groups of one action class, with an index from filing place to group so candidates are found
/// without comparing every pair.
struct Block {
    groups: Vec<Option<Group>>,
    index: HashMap<usize, Vec<usize>>,
}

impl Block {
    fn file(&mut self, g: &Gazetteer, gid: usize) {
        let Some(grp) = &self.groups[gid] else { return };
        for k in keys(g, grp.rep.place) {
            let v = self.index.entry(k).or_default();
            if !v.contains(&gid) {
                v.push(gid);
            }
        }
    }

    /// Live groups that could match `rep`, in creation order.
    fn candidates(&self, g: &Gazetteer, rep: &Rep) -> Vec<usize> {
        let mut c: Vec<usize> =
            keys(g, rep.place).iter().flat_map(|k| self.index.get(k).into_iter().flatten().copied()).collect();
        c.sort_unstable();
        c.dedup();
        c.retain(|&i| self.groups[i].is_some());
        c
    }

    fn rep(&self, i: usize) -> Option<Rep> {
        self.groups[i].as_ref().map(|g| g.rep)
    }

    fn push(&mut self, g: &Gazetteer, ev: Report) {
        let single = Rep { class: class(ev.category), place: ev.place, date: ev.date };
        let target =
            self.candidates(g, &single).into_iter().find(|&i| self.rep(i).is_some_and(|r| compatible(g, &r, &single)));
        match target {
            Some(i) => {
                if let Some(grp) = self.groups[i].as_mut() {
                    grp.add(ev);
                }
                self.file(g, i);
            }
            None => {
                let first = self.groups.len();
                self.groups.push(Some(Group::new(ev)));
                self.file(g, first);
            }
        }
    }

    /// Merge groups that became compatible once their dates or places sharpened, until none do.
    fn settle(&mut self, g: &Gazetteer) {
        loop {
            let mut merged = false;
            for i in 0..self.groups.len() {
                let Some(rep_i) = self.rep(i) else { continue };
                for j in self.candidates(g, &rep_i) {
                    let (Some(ri), Some(rj)) = (self.rep(i), self.rep(j)) else { continue };
                    if j > i && compatible(g, &ri, &rj) {
                        if let Some(other) = self.groups[j].take() {
                            if let Some(grp) = self.groups[i].as_mut() {
                                grp.absorb(other);
                            }
                        }
                        self.file(g, i);
                        merged = true;
                    }
                }
            }
            if !merged {
                break;
            }
        }
    }
}

/// Merge raw events into events with stable ids.
pub fn merge(raw: Vec<RawEvent>, g: &Gazetteer, lex: &EventLexicon) -> Vec<Event> {
    let mut reports = Reports::default();
    reports.extend(raw);
    merge_reports(reports, g, lex)
}

/// [`merge`] of raw events already kept as [`Reports`].
pub fn merge_reports(reports: Reports, g: &Gazetteer, lex: &EventLexicon) -> Vec<Event> {
    // The lookup tables go first: only the strings and actor lists live on, in the events.
    let Reports { reports: mut raw, strings, string_ids, actors, actor_ids } = reports;
    drop((string_ids, actor_ids));
    let tables = Tables { strings, actors };
    raw.sort_by(|a, b| {
        a.date
            .start
            .cmp(&b.date.start)
            .then_with(|| tables.strings[a.article].cmp(&tables.strings[b.article]))
            .then(a.start.cmp(&b.start))
            .then(a.category.cmp(&b.category))
            .then(a.place.cmp(&b.place))
    });
    let mut blocks: BTreeMap<Category, Block> = BTreeMap::new();
    for ev in raw {
        blocks
            .entry(class(ev.category))
            .or_insert_with(|| Block { groups: Vec::new(), index: HashMap::new() })
            .push(g, ev);
    }
    let mut events = Vec::new();
    for (_, mut block) in blocks {
        block.settle(g);
        events.extend(block.groups.into_iter().flatten().map(|grp| build(grp.members, &tables, g, lex)));
    }
    events.sort_by(|a, b| a.date.start.cmp(&b.date.start).then(a.id.cmp(&b.id)));
    // Ids: date, category, place; a numeric suffix only if two events would share one.
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for e in &mut events {
        let n = seen.entry(e.id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            e.id = format!("{}-{}", e.id, n);
        }
    }
    events
}

/// The strings and actor lists the reports of a merge point into.
struct Tables {
    strings: Vec<Arc<str>>,
    actors: Vec<[Vec<String>; 2]>,
}

fn build(members: Vec<Report>, tables: &Tables, g: &Gazetteer, lex: &EventLexicon) -> Event {
    let date = merged_date(&members);
    let (place, precision, first) = merged_place(&members);
    let point = members[first].point;
    let mut cats: Vec<(Category, usize)> = Vec::new();
    for m in &members {
        match cats.iter_mut().find(|c| c.0 == m.category) {
            Some(c) => c.1 += 1,
            None => cats.push((m.category, 1)),
        }
    }
    let category = cats.iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).map_or(Category::Other, |c| c.0);
    let (event_type, sub_event_type) = lex.acled(category);
    let names = |side: usize| -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for m in &members {
            for n in &tables.actors[m.actors][side] {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        names
    };
    let a1 = names(0);
    let a2: Vec<String> = names(1).into_iter().filter(|n| !a1.contains(n)).collect();
    let join = |v: Vec<String>| (!v.is_empty()).then(|| v.join("; "));
    let mut sources: Vec<SourceQuote> = members
        .iter()
        .map(|m| SourceQuote {
            article: tables.strings[m.article].clone(),
            quote: tables.strings[m.quote].clone(),
            start: m.start,
        })
        .collect();
    sources.sort();
    sources.dedup();
    let fatalities = members.iter().filter_map(|m| m.fatalities).max();
    let id = format!("{}-{}-{}", date.start, category.as_str().replace('_', "-"), g.places[place].id);
    Event {
        id,
        category,
        event_type,
        sub_event_type,
        actor1: join(a1),
        actor2: join(a2),
        place,
        point,
        geo_precision: precision,
        date,
        fatalities,
        sources,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(article: &str, quote: &str, start: usize, actor: &str) -> RawEvent {
        RawEvent {
            category: Category::AirStrike,
            actor1: vec![actor.to_string()],
            actor2: Vec::new(),
            place: 3,
            point: Coord { x: 41.0, y: 34.0 },
            geo_precision: 1,
            date: DateRange::parse_iso("2017-11-03").unwrap_or_else(|| panic!("a date")),
            fatalities: None,
            source: SourceQuote { article: Arc::from(article), quote: Arc::from(quote), start },
        }
    }

    #[test]
    fn reports_keep_each_string_and_actor_list_once() {
        let mut r = Reports::default();
        r.push(raw("a.txt", "Frappe aérienne sur Rawa.", 10, "coalition"));
        r.push(raw("b.txt", "Frappe aérienne sur Rawa.", 40, "coalition"));
        r.push(raw("b.txt", "Frappe sur al-Qaïm.", 90, "IQ"));
        assert_eq!(r.len(), 3);
        assert_eq!(r.strings.len(), 4, "two articles and two quotes");
        assert_eq!(r.actors.len(), 2, "two distinct actor lists");
        let [a, b, c] = [r.reports[0], r.reports[1], r.reports[2]];
        assert_eq!((a.quote, a.actors), (b.quote, b.actors), "the repeated sentence shares its quote and actors");
        assert_eq!((b.article, b.start, c.start), (c.article, 40, 90));
    }
}
