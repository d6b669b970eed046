//! A large TOML file read a few tables at a time.
//!
//! A `corpus.toml` lists every article under its own `[articles."FILE"]` table, so it grows with the corpus
//! (700 kB at 10,000 articles), and the `toml` crate's document for it takes about 28 times the text while it
//! is parsed (20 MB at 10,000 articles, twice per build: the layers and the map attribution read it; issue
//! 8). Cut at table headers into pieces of [`PIECE`] bytes, each piece parses on its own in a few hundred
//! kilobytes, and the pieces together say what the whole document says when nothing spans them. A piece that
//! does not parse (a multi-line string or array cut through ends it unterminated), or a table header given
//! twice, means the pieces cannot be trusted: the caller then parses the whole document, for the same result
//! or the same error as before.

/// How many bytes of TOML a piece holds before the next table header starts another one.
pub const PIECE: usize = 64 * 1024;

/// A document cut into parsed pieces: the part before its first table header (its root keys), then the
/// pieces from each cut on.
#[derive(Debug, Default)]
pub struct Sections {
    pub root: toml::Table,
    pub pieces: Vec<toml::Table>,
}

/// `text` in pieces of about `piece` bytes, each parsed, or `None` when the pieces may not say what the
/// whole document says (see the module documentation) and it must be parsed whole.
///
/// ```
/// use frontmap::text::sections::sections;
/// let text = "title = \"x\"\n[a.\"1\"]\nk = 1\n[a.\"2\"]\nk = 2\n";
/// let s = sections(text, 1).unwrap_or_else(|| panic!("cut"));
/// assert_eq!(s.root.get("title").and_then(|v| v.as_str()), Some("x"));
/// assert_eq!(s.pieces.len(), 2);
/// assert!(sections("[a]\nk = 1\n[a]\nj = 2\n", 1).is_none(), "a table given twice");
/// assert!(sections("k = \"\"\"\n[not a header]\n\"\"\"\n", 1).is_none(), "a string cut through");
/// ```
pub fn sections(text: &str, piece: usize) -> Option<Sections> {
    let mut cuts = Vec::new();
    let mut headers = std::collections::HashSet::new();
    let mut piece_start = None::<usize>;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            // A header given twice is an error in the whole document that the pieces would not see. (A line of
            // a multi-line array may look like a header: then the pieces are not trusted, which is only slower.)
            let key: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
            if !headers.insert(key) {
                return None;
            }
            if piece_start.is_none_or(|s| offset - s >= piece) {
                cuts.push(offset);
                piece_start = Some(offset);
            }
        }
        offset += line.len();
    }
    let root = text[..cuts.first().copied().unwrap_or(text.len())].parse::<toml::Table>().ok()?;
    let mut pieces = Vec::with_capacity(cuts.len());
    for (i, &start) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).copied().unwrap_or(text.len());
        let table = text[start..end].parse::<toml::Table>().ok()?;
        // A root key the pieces also define (`articles = {…}` then `[articles."x"]`) is an error in the whole
        // document that the pieces would not see.
        if table.keys().any(|k| root.contains_key(k)) {
            return None;
        }
        pieces.push(table);
    }
    Some(Sections { root, pieces })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pieces_of_a_document_hold_all_its_tables_once() {
        let text: String =
            (0..50).map(|i| format!("[articles.\"{i:03}.txt\"]\ndate = \"2017-11-{:02}\"\n", i % 28 + 1)).collect();
        let s = sections(&text, 100).unwrap_or_else(|| panic!("cut"));
        assert!(s.pieces.len() > 5, "{} pieces", s.pieces.len());
        let mut names: Vec<String> = s
            .pieces
            .iter()
            .flat_map(|t| t.get("articles").and_then(|a| a.as_table()).into_iter().flat_map(|a| a.keys().cloned()))
            .collect();
        names.sort();
        let whole: toml::Table = text.parse().unwrap_or_else(|e| panic!("{e}"));
        let all: Vec<String> =
            whole.get("articles").and_then(|a| a.as_table()).into_iter().flat_map(|a| a.keys().cloned()).collect();
        assert_eq!(names, all);
    }

    #[test]
    fn a_document_the_pieces_could_misread_is_left_whole() {
        // An array whose lines look like headers, cut through.
        assert!(sections("[a]\nk = [\n[1],\n[2],\n]\n", 1).is_none());
        // A root inline table a later header extends.
        assert!(sections("articles = { x = 1 }\n[articles.y]\nk = 1\n", 1).is_none());
        // A syntax error stays the whole document's to report.
        assert!(sections("[a]\nk = \n", 1).is_none());
    }
}
