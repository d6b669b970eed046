//! Turning the bytes of a scraped page into text without losing track of where each character came from.
//!
//! Articles arrive as UTF-8, as Latin-1/Windows-1252, as UTF-16 with a BOM, or as HTML pasted into a
//! `.txt` file. Every later stage works on clean UTF-8 text, but the offsets we print must point into
//! the original file, so decoding records a [`SourceMap`].

use std::ops::Range;

/// How the bytes of an article were interpreted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Windows1252,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Utf8Bom => "UTF-8 (BOM)",
            Encoding::Windows1252 => "Windows-1252",
            Encoding::Utf16Le => "UTF-16LE",
            Encoding::Utf16Be => "UTF-16BE",
        }
    }
}

/// Maps byte offsets of the decoded text back to byte ranges of the source file.
///
/// Identity (no allocation) for plain UTF-8, which is the common case.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    /// For each byte of the text, the source range of the character (or entity/tag run) it came from.
    spans: Option<Vec<(u32, u32)>>,
    source_len: usize,
}

impl SourceMap {
    pub fn identity(len: usize) -> Self {
        SourceMap { spans: None, source_len: len }
    }

    pub fn is_identity(&self) -> bool {
        self.spans.is_none()
    }

    /// Source byte range of the text byte range `r`.
    pub fn to_source(&self, r: Range<usize>) -> Range<usize> {
        match &self.spans {
            None => r,
            Some(spans) => {
                if spans.is_empty() {
                    return 0..0;
                }
                let last = spans.len() - 1;
                let start = spans[r.start.min(last)].0 as usize;
                let end = if r.end == 0 { start } else { spans[(r.end - 1).min(last)].1 as usize };
                start..end.max(start).min(self.source_len)
            }
        }
    }

    /// Compose: `self` maps text → intermediate, `inner` maps intermediate → source.
    fn compose(self, inner: &SourceMap) -> SourceMap {
        match (self.spans, &inner.spans) {
            (None, _) => inner.clone(),
            (Some(spans), None) => SourceMap { spans: Some(spans), source_len: inner.source_len },
            (Some(spans), Some(_)) => {
                let spans = spans
                    .into_iter()
                    .map(|(s, e)| {
                        let r = inner.to_source(s as usize..e as usize);
                        (r.start as u32, r.end as u32)
                    })
                    .collect();
                SourceMap { spans: Some(spans), source_len: inner.source_len }
            }
        }
    }
}

/// Decoded text plus what was done to get it.
#[derive(Debug, Clone)]
pub struct Decoded {
    pub text: String,
    pub map: SourceMap,
    pub encoding: Encoding,
    pub html_stripped: bool,
}

/// Decode article bytes: BOMs, UTF-8, else Windows-1252 (a superset of printable Latin-1); then strip HTML
/// if the text looks like markup.
pub fn decode(bytes: &[u8]) -> Decoded {
    let (text, map, encoding) = decode_charset(bytes);
    if looks_like_html(&text) {
        let (stripped, inner) = strip_html(&text);
        let map = inner.compose(&map);
        Decoded { text: stripped, map, encoding, html_stripped: true }
    } else {
        Decoded { text, map, encoding, html_stripped: false }
    }
}

fn decode_charset(bytes: &[u8]) -> (String, SourceMap, Encoding) {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        if let Ok(s) = std::str::from_utf8(rest) {
            // Keep offsets into the file: shift everything by the BOM length.
            let spans = s
                .char_indices()
                .flat_map(|(i, c)| {
                    let (a, b) = ((i + 3) as u32, (i + 3 + c.len_utf8()) as u32);
                    std::iter::repeat_n((a, b), c.len_utf8())
                })
                .collect();
            return (s.to_string(), SourceMap { spans: Some(spans), source_len: bytes.len() }, Encoding::Utf8Bom);
        }
    }
    if bytes.len() >= 2 && (bytes[..2] == [0xFF, 0xFE] || bytes[..2] == [0xFE, 0xFF]) {
        let le = bytes[0] == 0xFF;
        let mut text = String::new();
        let mut spans = Vec::new();
        let units: Vec<(usize, u16)> = bytes[2..]
            .chunks_exact(2)
            .enumerate()
            .map(|(k, c)| {
                (2 + 2 * k, if le { u16::from_le_bytes([c[0], c[1]]) } else { u16::from_be_bytes([c[0], c[1]]) })
            })
            .collect();
        let mut k = 0;
        for r in char::decode_utf16(units.iter().map(|u| u.1)) {
            let start = units[k].0;
            let c = r.unwrap_or(char::REPLACEMENT_CHARACTER);
            let n_units = if c.len_utf16() == 2 { 2 } else { 1 };
            let end = start + 2 * n_units;
            k += n_units;
            text.push(c);
            spans.extend(std::iter::repeat_n((start as u32, end as u32), c.len_utf8()));
        }
        let enc = if le { Encoding::Utf16Le } else { Encoding::Utf16Be };
        return (text, SourceMap { spans: Some(spans), source_len: bytes.len() }, enc);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), SourceMap::identity(bytes.len()), Encoding::Utf8),
        Err(_) => {
            let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
            let mut spans = Vec::with_capacity(bytes.len() + bytes.len() / 8);
            for (i, &b) in bytes.iter().enumerate() {
                let c = windows1252(b);
                text.push(c);
                spans.extend(std::iter::repeat_n((i as u32, i as u32 + 1), c.len_utf8()));
            }
            (text, SourceMap { spans: Some(spans), source_len: bytes.len() }, Encoding::Windows1252)
        }
    }
}

/// Why `bytes` look like a binary file (an image, a PDF, a zip) rather than text, if they do: a NUL byte, or
/// more than one control character in 50 among the first 8 KiB. UTF-16 with a BOM is text.
pub fn binary_evidence(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return None;
    }
    let head = &bytes[..bytes.len().min(8192)];
    if let Some(i) = head.iter().position(|&b| b == 0) {
        return Some(format!("binary data, not text (NUL byte at offset {i})"));
    }
    let controls = head.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C)).count();
    if controls * 50 > head.len() {
        return Some(format!("binary data, not text ({controls} control bytes in the first {} bytes)", head.len()));
    }
    None
}

fn windows1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž', '\u{8F}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}', 'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

/// A `.txt` that is really HTML: several tags from the usual article vocabulary, or many entities.
fn looks_like_html(text: &str) -> bool {
    let lower_head: String = text.chars().take(4096).collect::<String>().to_ascii_lowercase();
    if lower_head.contains("<!doctype html") || lower_head.contains("<html") {
        return true;
    }
    const TAGS: [&str; 10] = ["<p>", "<p ", "</p>", "<br", "<div", "</div>", "<a href", "</a>", "<span", "</li>"];
    let tags: usize = TAGS.iter().map(|t| lower_head.matches(t).count()).sum();
    tags >= 2
}

/// Remove tags, scripts and styles; decode entities; turn block-level tags into line breaks.
fn strip_html(text: &str) -> (String, SourceMap) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut spans: Vec<(u32, u32)> = Vec::with_capacity(text.len());
    let mut i = 0;
    let push = |out: &mut String, spans: &mut Vec<(u32, u32)>, c: char, s: usize, e: usize| {
        out.push(c);
        spans.extend(std::iter::repeat_n((s as u32, e as u32), c.len_utf8()));
    };
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'<' {
            let Some(close) = text[i..].find('>') else {
                // A lone '<' is text.
                push(&mut out, &mut spans, '<', i, i + 1);
                i += 1;
                continue;
            };
            let tag = &text[i + 1..i + close];
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            let end = i + close + 1;
            if !tag.starts_with('/') && (name == "script" || name == "style") {
                let closing = format!("</{name}");
                let skip = text[end..].to_ascii_lowercase().find(&closing).map(|k| end + k);
                match skip.and_then(|k| text[k..].find('>').map(|c| k + c + 1)) {
                    Some(after) => i = after,
                    None => i = bytes.len(),
                }
                continue;
            }
            if tag.starts_with('!') || name.is_empty() && !tag.starts_with('/') {
                i = end;
                continue;
            }
            const BLOCK: [&str; 16] = [
                "p",
                "br",
                "div",
                "li",
                "ul",
                "ol",
                "tr",
                "h1",
                "h2",
                "h3",
                "h4",
                "h5",
                "h6",
                "section",
                "article",
                "figcaption",
            ];
            if BLOCK.contains(&name.as_str()) && !out.ends_with('\n') {
                push(&mut out, &mut spans, '\n', i, end);
            }
            i = end;
        } else if b == b'&' {
            if let Some((c, len)) = decode_entity(&text[i..]) {
                push(&mut out, &mut spans, c, i, i + len);
                i += len;
            } else {
                push(&mut out, &mut spans, '&', i, i + 1);
                i += 1;
            }
        } else {
            let c = text[i..].chars().next().unwrap_or('\u{FFFD}');
            push(&mut out, &mut spans, c, i, i + c.len_utf8());
            i += c.len_utf8().max(1);
        }
    }
    (out, SourceMap { spans: Some(spans), source_len: text.len() })
}

/// Decode one entity at the start of `s`; returns the character and the entity's length in bytes.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    // Within the next 12 bytes; searched as bytes so a multi-byte character there cannot split.
    let semi = s.as_bytes()[..s.len().min(12)].iter().position(|&b| b == b';')?;
    let body = &s[1..semi];
    let c = if let Some(num) = body.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        char::from_u32(code)?
    } else {
        named_entity(body)?
    };
    Some((c, semi + 1))
}

fn named_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{A0}',
        "rsquo" => '’',
        "lsquo" => '‘',
        "rdquo" => '”',
        "ldquo" => '“',
        "laquo" => '«',
        "raquo" => '»',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "eacute" => 'é',
        "egrave" => 'è',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "Eacute" => 'É',
        "Egrave" => 'È',
        "Ecirc" => 'Ê',
        "agrave" => 'à',
        "acirc" => 'â',
        "Agrave" => 'À',
        "Acirc" => 'Â',
        "ccedil" => 'ç',
        "Ccedil" => 'Ç',
        "icirc" => 'î',
        "iuml" => 'ï',
        "Icirc" => 'Î',
        "Iuml" => 'Ï',
        "ocirc" => 'ô',
        "Ocirc" => 'Ô',
        "ouml" => 'ö',
        "ucirc" => 'û',
        "ugrave" => 'ù',
        "uuml" => 'ü',
        "oelig" => 'œ',
        "OElig" => 'Œ',
        "aelig" => 'æ',
        "deg" => '°',
        "euro" => '€',
        "copy" => '©',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_identity() {
        let d = decode("Al-Qaïm".as_bytes());
        assert_eq!(d.encoding, Encoding::Utf8);
        assert!(d.map.is_identity());
        assert_eq!(d.map.to_source(3..8), 3..8);
    }

    #[test]
    fn latin1_offsets_point_into_the_file() {
        let bytes = b"la ville d'Al-Qa\xefm, en Irak";
        let d = decode(bytes);
        assert_eq!(d.encoding, Encoding::Windows1252);
        let start = d.text.find("Al-Qa").unwrap();
        let end = start + "Al-Qaïm".len();
        assert_eq!(d.map.to_source(start..end), 11..18);
    }

    #[test]
    fn an_ampersand_before_multibyte_text_is_not_an_entity() {
        // Found by cargo fuzz (target `article`): a '&' followed by two-byte characters.
        let d = decode("<p>a</p><p>&ÿÿÿÿÿÿÿÿÿÿÿÿ;</p>".as_bytes());
        assert!(d.text.contains("&ÿÿÿÿ"));
        let d = decode("<p>a</p><p>&ÿ;</p>".as_bytes());
        assert!(d.text.contains("&ÿ;"));
    }

    #[test]
    fn binary_is_told_from_text() {
        assert!(binary_evidence(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").is_some());
        assert!(binary_evidence(&[0x01, 0x02, 0x03, 0x04, b'a']).is_some());
        assert!(binary_evidence(b"").is_none());
        assert!(binary_evidence("Al-Qaïm\r\n\tpage 2\x0c".as_bytes()).is_none());
        assert!(binary_evidence(b"la ville d'Al-Qa\xefm").is_none());
        assert!(binary_evidence(&[0xFF, 0xFE, b'a', 0]).is_none());
    }

    #[test]
    fn html_is_stripped_and_mapped() {
        let src = "<p>Les forces ont repris <b>Rawa</b> et Al-Qa&iuml;m.</p><p>Suite</p>";
        let d = decode(src.as_bytes());
        assert!(d.html_stripped);
        assert!(d.text.contains("repris Rawa et Al-Qaïm."));
        let s = d.text.find("Al-Qaïm").unwrap();
        let r = d.map.to_source(s..s + "Al-Qaïm".len());
        assert_eq!(&src[r], "Al-Qa&iuml;m");
        let s = d.text.find("Rawa").unwrap();
        assert_eq!(&src[d.map.to_source(s..s + 4)], "Rawa");
    }
}
