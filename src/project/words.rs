//! The words of a sentence as the projector's rules read them: folded, with their byte spans in the
//! article text, the punctuation before each, and number expressions ("600", "1.500", "une dizaine")
//! collapsed into one token that carries its value.
//!
//! Rules are written on folded words (`lexicon/*.tsv`), so this is the only place that looks at raw text.

use super::lexicon::{Phrase, Rules};
use crate::text::fold::fold;
use std::ops::Range;

/// A number read from the text, with how precisely it was stated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number {
    pub value: f64,
    /// Relative tolerance the wording implies ("une dizaine": 0.5), when it implies one.
    pub tolerance: Option<f64>,
}

/// One folded word (or one number expression).
#[derive(Debug, Clone, PartialEq)]
pub struct Tok {
    /// Folded form; `#` for a number expression.
    pub word: String,
    /// Byte range in the article text.
    pub span: Range<usize>,
    /// The raw text between the previous token and this one contains a comma, colon or semicolon.
    pub pause_before: bool,
    pub number: Option<Number>,
}

/// Tokens of `text[range]`. `numbers` lists the number expressions (folded phrase → value, tolerance) and
/// `approx` the words that make the number after them approximate.
pub fn tokens(text: &str, range: Range<usize>, numbers: &[(Phrase, Number)], approx: &[(Phrase, f64)]) -> Vec<Tok> {
    let Some(slice) = text.get(range.clone()) else { return Vec::new() };
    let f = fold(slice);
    let mut raw: Vec<Tok> = Vec::new();
    let mut pos = 0;
    let mut prev_end = range.start;
    for w in f.text.split(' ') {
        if !w.is_empty() {
            let r = f.source_range(slice, pos..pos + w.len());
            let span = range.start + r.start..range.start + r.end;
            let gap = text.get(prev_end.min(span.start)..span.start).unwrap_or("");
            raw.push(Tok {
                word: w.to_string(),
                pause_before: gap.contains([',', ':', ';']),
                span: span.clone(),
                number: None,
            });
            prev_end = span.end;
        }
        pos += w.len() + 1;
    }
    collapse_numbers(text, raw, numbers, approx)
}

fn is_digits(w: &str) -> bool {
    !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit())
}

/// Join digit groups ("1.500", "150 000", "2,5") and number phrases into single `#` tokens.
fn collapse_numbers(text: &str, raw: Vec<Tok>, numbers: &[(Phrase, Number)], approx: &[(Phrase, f64)]) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        if is_digits(&raw[i].word) {
            let mut digits = raw[i].word.clone();
            let mut frac = String::new();
            let mut end = raw[i].span.end;
            let mut j = i + 1;
            while j < raw.len() && is_digits(&raw[j].word) {
                let gap = text.get(end..raw[j].span.start).unwrap_or("");
                if frac.is_empty() && raw[j].word.len() == 3 && matches!(gap, "." | " " | "\u{a0}" | "\u{202f}") {
                    digits.push_str(&raw[j].word);
                } else if frac.is_empty() && gap == "," {
                    frac = raw[j].word.clone();
                } else {
                    break;
                }
                end = raw[j].span.end;
                j += 1;
            }
            let literal = if frac.is_empty() { digits } else { format!("{digits}.{frac}") };
            let value = literal.parse::<f64>().unwrap_or(f64::NAN);
            out.push(Tok {
                word: "#".into(),
                span: raw[i].span.start..end,
                pause_before: raw[i].pause_before,
                number: value.is_finite().then_some(Number { value, tolerance: None }),
            });
            i = j;
            continue;
        }
        let words: Vec<&str> = raw[i..].iter().map(|t| t.word.as_str()).collect();
        if let Some((len, n)) =
            numbers.iter().filter(|(p, _)| p.matches_exactly(&words)).map(|(p, n)| (p.len(), *n)).max_by_key(|x| x.0)
        {
            out.push(Tok {
                word: "#".into(),
                span: raw[i].span.start..raw[i + len - 1].span.end,
                pause_before: raw[i].pause_before,
                number: Some(n),
            });
            i += len;
            continue;
        }
        out.push(raw[i].clone());
        i += 1;
    }
    // "environ 600 km": the word before a number sets its tolerance.
    let mut k = 0;
    while k < out.len() {
        if out[k].number.is_some() && out[k].number.is_some_and(|n| n.tolerance.is_none()) {
            for (p, tol) in approx {
                let n = p.len();
                if k >= n {
                    let words: Vec<&str> = out[k - n..k].iter().map(|t| t.word.as_str()).collect();
                    if p.matches_exactly(&words) {
                        if let Some(num) = out[k].number.as_mut() {
                            num.tolerance = Some(*tol);
                        }
                        break;
                    }
                }
            }
        }
        k += 1;
    }
    out
}

/// Number tables of a rules file: `number` rows (PHRASE, VALUE, TOLERANCE) and `count` rows (PHRASE, VALUE).
pub fn number_table(rules: &[&Rules]) -> Vec<(Phrase, Number)> {
    let mut out = Vec::new();
    for r in rules {
        for row in r.rows("number").chain(r.rows("count")) {
            let value = row.value(0).and_then(|v| v.parse::<f64>().ok());
            let tolerance = row.value(1).and_then(|v| v.parse::<f64>().ok());
            if let Some(value) = value {
                out.push((row.phrase.clone(), Number { value, tolerance }));
            }
        }
    }
    out
}

/// Indices of the tokens that lie inside byte range `r` (a mention's span).
pub fn tok_range(toks: &[Tok], r: &Range<usize>) -> Range<usize> {
    let start = toks.partition_point(|t| t.span.end <= r.start);
    let end = toks.partition_point(|t| t.span.start < r.end);
    start..end.max(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        let numbers = vec![(Phrase::parse("une dizaine"), Number { value: 10.0, tolerance: Some(0.5) })];
        let approx = vec![(Phrase::parse("environ"), 0.2)];
        tokens(s, 0..s.len(), &numbers, &approx).into_iter().map(|t| t.word).collect()
    }

    #[test]
    fn number_expressions_become_one_token_with_their_value() {
        let s = "à une dizaine de km, 1.500 jihadistes et 150 000 habitants, 2,5 km, environ 600 km";
        let numbers = vec![(Phrase::parse("une dizaine"), Number { value: 10.0, tolerance: Some(0.5) })];
        let approx = vec![(Phrase::parse("environ"), 0.2)];
        let toks = tokens(s, 0..s.len(), &numbers, &approx);
        let vals: Vec<(f64, Option<f64>)> =
            toks.iter().filter_map(|t| t.number).map(|n| (n.value, n.tolerance)).collect();
        assert_eq!(vals, vec![(10.0, Some(0.5)), (1500.0, None), (150000.0, None), (2.5, None), (600.0, Some(0.2))]);
        assert_eq!(words("à une dizaine de km"), vec!["a", "#", "de", "km"]);
    }

    #[test]
    fn spans_point_back_into_the_text_and_pauses_are_kept() {
        let s = "fronts: à l'est, au sud";
        let toks = tokens(s, 0..s.len(), &[], &[]);
        let w: Vec<(&str, &str, bool)> =
            toks.iter().map(|t| (t.word.as_str(), &s[t.span.clone()], t.pause_before)).collect();
        assert_eq!(
            w,
            vec![
                ("fronts", "fronts", false),
                ("a", "à", true),
                ("l", "l", false),
                ("est", "est", false),
                ("au", "au", true),
                ("sud", "sud", false)
            ]
        );
        assert_eq!(tok_range(&toks, &(18..23)), 4..6);
    }
}
