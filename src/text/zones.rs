//! Which part of a scraped page a line belongs to.
//!
//! A page is more than its article: script warnings, comment forms, advertising, lists of related
//! headlines, photo captions. Places in related headlines are real mentions, but events must only come
//! from the article itself, so every line gets a [`Zone`]. The rules are data (`lexicon/boilerplate.tsv`).

use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use std::ops::Range;

/// The part of a page a span of text belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Zone {
    Body,
    Headline,
    Subheading,
    Caption,
    RelatedLinks,
    Boilerplate,
    Metadata,
}

impl Zone {
    /// Whether events of the article may be read from this zone.
    pub fn is_article_text(self) -> bool {
        matches!(self, Zone::Body | Zone::Headline | Zone::Caption)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RuleKind {
    Boilerplate,
    RelatedStart,
    RelatedLine,
    Caption,
}

/// The compiled line rules.
#[derive(Debug, Clone)]
pub struct ZoneRules {
    rules: Vec<(RuleKind, Regex)>,
    date_line: Regex,
}

/// A rule file line that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {msg}")]
pub struct RuleError {
    pub file: String,
    pub line: usize,
    pub msg: String,
}

impl ZoneRules {
    /// The rules shipped with frontmap.
    pub fn builtin() -> Self {
        Self::parse("lexicon/boilerplate.tsv", include_str!("../../lexicon/boilerplate.tsv"))
            .unwrap_or_else(|e| panic!("bundled boilerplate rules are invalid: {e}"))
    }

    /// Parse a rule file (`ZONE<TAB>REGEX` lines, `#` comments).
    pub fn parse(file: &str, text: &str) -> Result<Self, RuleError> {
        let mut rules = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            if line.trim().is_empty() || line.trim_start().starts_with('#') {
                continue;
            }
            let err = |msg: String| RuleError { file: file.to_string(), line: line_no, msg };
            let (zone, pattern) = line.split_once('\t').ok_or_else(|| err("expected ZONE<TAB>REGEX".to_string()))?;
            let kind = match zone.trim() {
                "boilerplate" => RuleKind::Boilerplate,
                "related_start" => RuleKind::RelatedStart,
                "related_line" => RuleKind::RelatedLine,
                "caption" => RuleKind::Caption,
                other => {
                    return Err(err(format!(
                        "unknown zone {other:?} (boilerplate, related_start, related_line, caption)"
                    )));
                }
            };
            let re = RegexBuilder::new(pattern.trim())
                .case_insensitive(true)
                .build()
                .map_err(|e| err(format!("bad regex: {e}")))?;
            rules.push((kind, re));
        }
        let date_line = Regex::new(r"(?i)^\s*(?:date|publi[ée](?: le)?|published)\s*:?\s*(\d{4}-\d{2}(?:-\d{2})?)\b")
            .unwrap_or_else(|e| panic!("{e}"));
        Ok(ZoneRules { rules, date_line })
    }

    fn matches(&self, kind: RuleKind, line: &str) -> bool {
        self.rules.iter().any(|(k, re)| *k == kind && re.is_match(line))
    }

    /// A leading metadata date ("date 2017-11", "date: 2017-11-17"): its byte length and value.
    pub fn date_prefix<'a>(&self, line: &'a str) -> Option<(usize, &'a str)> {
        let caps = self.date_line.captures(line)?;
        let whole = caps.get(0)?;
        Some((whole.end(), caps.get(1)?.as_str()))
    }

    /// Assign a zone to every line of `text`; returns (byte range of the line without its newline, zone).
    pub fn classify(&self, text: &str) -> Vec<(Range<usize>, Zone)> {
        let mut out = Vec::new();
        let mut in_related = false;
        let mut seen_content = false;
        let mut offset = 0;
        for raw in text.split_inclusive('\n') {
            let line = raw.trim_end_matches(['\n', '\r']);
            let range = offset..offset + line.len();
            offset += raw.len();
            let trimmed = line.trim();
            if trimmed.is_empty() {
                out.push((range, Zone::Body));
                continue;
            }
            let mut start = range.start;
            if !seen_content {
                if let Some((len, _)) = self.date_prefix(line) {
                    out.push((range.start..range.start + len, Zone::Metadata));
                    start = range.start + len;
                    if line[len..].trim().is_empty() {
                        continue;
                    }
                }
            }
            let rest = &text[start..range.end];
            let zone = if self.matches(RuleKind::Boilerplate, rest) {
                Zone::Boilerplate
            } else if self.matches(RuleKind::RelatedStart, rest) {
                in_related = true;
                Zone::RelatedLinks
            } else if self.matches(RuleKind::RelatedLine, rest) || (in_related && is_headline_like(rest)) {
                Zone::RelatedLinks
            } else if self.matches(RuleKind::Caption, rest) {
                in_related = false;
                Zone::Caption
            } else if is_subheading(rest) {
                in_related = false;
                Zone::Subheading
            } else if !seen_content && is_headline_like(rest) {
                Zone::Headline
            } else {
                in_related = false;
                Zone::Body
            };
            if zone != Zone::Boilerplate {
                seen_content = true;
            }
            out.push((start..range.end, zone));
        }
        out
    }
}

/// Short, no final full stop: the shape of a headline or a link title.
fn is_headline_like(line: &str) -> bool {
    let t = line.trim();
    let n = t.chars().count();
    (3..=160).contains(&n) && !t.ends_with(['.', '!', '?', ':', ';', ','])
}

/// A short line set off by quotes or dashes ("- 'Quatre fronts' -", "''Phase finale''").
fn is_subheading(line: &str) -> bool {
    let t = line.trim();
    let n = t.chars().count();
    if !(3..=60).contains(&n) {
        return false;
    }
    let quoteish = |c: char| matches!(c, '\'' | '"' | '«' | '»' | '“' | '”' | '‘' | '’' | '-' | '–' | '—' | '*' | '#');
    let first = t.chars().next().is_some_and(quoteish);
    let last = t.chars().last().is_some_and(quoteish);
    first && last && !t.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones(text: &str) -> Vec<(String, Zone)> {
        ZoneRules::builtin()
            .classify(text)
            .into_iter()
            .filter(|(r, _)| !text[r.clone()].trim().is_empty())
            .map(|(r, z)| (text[r].trim().to_string(), z))
            .collect()
    }

    #[test]
    fn related_links_block_ends_at_boilerplate() {
        let z = zones(
            "Corps de l'article.\nA LIRE AUSSI.\nAlep reprise par le régime\nSyrie: Raqa en passe\nEnvie d'afficher votre publicité ?\n",
        );
        assert_eq!(z[0].1, Zone::Body);
        assert_eq!(z[1].1, Zone::RelatedLinks);
        assert_eq!(z[2].1, Zone::RelatedLinks);
        assert_eq!(z[3].1, Zone::RelatedLinks);
        assert_eq!(z[4].1, Zone::Boilerplate);
    }

    #[test]
    fn leading_date_line_is_metadata_and_the_rest_is_body() {
        let text = " date 2017-11 Les forces irakiennes progressaient vendredi.";
        let rules = ZoneRules::builtin();
        let z = rules.classify(text);
        assert_eq!(z[0].1, Zone::Metadata);
        assert_eq!(text[z[1].0.clone()].trim(), "Les forces irakiennes progressaient vendredi.");
        assert_eq!(z[1].1, Zone::Body);
    }

    #[test]
    fn headline_caption_subheading() {
        let z = zones(
            "Oops! It appears that you have disabled your Javascript.\n\nDaech délogé de ses bastions\n\nLe corps.\n- 'Quatre fronts' -\nLes forces avancent, le 3 novembre. |\nPhoto : AFP |\n>>L'Irak lance l'assaut\n",
        );
        let kinds: Vec<Zone> = z.iter().map(|x| x.1).collect();
        assert_eq!(
            kinds,
            vec![
                Zone::Boilerplate,
                Zone::Headline,
                Zone::Body,
                Zone::Subheading,
                Zone::Caption,
                Zone::Caption,
                Zone::RelatedLinks
            ]
        );
    }
}
