//! Just enough of a PDF to append an incremental update: the cross-reference tables
//! (classic, as baocao's PDFs and most writers have them) followed back through
//! `/Prev`, the trailer, and the text of a dictionary object.

use std::collections::HashMap;

use crate::{Error, Result};

/// The newest trailer and where every object is.
pub(crate) struct PdfFile<'a> {
    bytes: &'a [u8],
    /// `/Size`: the next free object number.
    pub size: u32,
    /// The catalog's object number.
    pub root: u32,
    /// `/Info n g R`, kept as written.
    pub info: Option<String>,
    /// `/ID [...]`, kept as written.
    pub id: Option<String>,
    /// Where the newest cross-reference table starts.
    pub startxref: usize,
    offsets: HashMap<u32, (usize, u16)>,
}

pub(crate) fn not_signable(reason: impl Into<String>) -> Error {
    Error::Pdf(reason.into())
}

/// The whitespace-separated words of `text`, with `[`, `]`, `<<`, `>>` and `/Name`
/// split apart so that `/Kids[49 0 R]` reads as `/Kids [ 49 0 R ]`.
fn words(text: &str) -> Vec<String> {
    let spaced = text
        .replace("<<", " << ")
        .replace(">>", " >> ")
        .replace('[', " [ ")
        .replace(']', " ] ")
        .replace('/', " /");
    spaced
        .split_ascii_whitespace()
        .map(str::to_string)
        .collect()
}

/// The reference `n g R` after `key` in `dict`, as its object number.
pub(crate) fn reference(dict: &str, key: &str) -> Option<u32> {
    let words = words(dict);
    let at = words.iter().position(|w| w == key)?;
    match (words.get(at + 1), words.get(at + 2), words.get(at + 3)) {
        (Some(n), Some(_), Some(r)) if r == "R" => n.parse().ok(),
        _ => None,
    }
}

/// The object number of the first reference in the array after `key` in `dict`.
pub(crate) fn first_in_array(dict: &str, key: &str) -> Option<u32> {
    let words = words(dict);
    let at = words.iter().position(|w| w == key)?;
    if words.get(at + 1)? != "[" {
        return None;
    }
    words.get(at + 2)?.parse().ok()
}

/// Whether `dict` has the key `key` (a whole name, not a prefix of a longer one).
pub(crate) fn has_key(dict: &str, key: &str) -> bool {
    words(dict).iter().any(|w| w == key)
}

/// The text from `key` to the end of its value, for a value that is a reference or an
/// array (`/Info 3 0 R`, `/ID [<…> <…>]`), as written.
fn value_text(dict: &str, key: &str) -> Option<String> {
    let start = dict.find(key)?;
    let rest = &dict[start + key.len()..];
    let trimmed = rest.trim_start();
    let end = if trimmed.starts_with('[') {
        trimmed.find(']')? + 1
    } else {
        let r = trimmed.find('R')?;
        r + 1
    };
    Some(format!("{key} {}", &trimmed[..end]))
}

impl<'a> PdfFile<'a> {
    /// Reads the trailer and the cross-reference tables of `bytes`.
    pub fn read(bytes: &'a [u8]) -> Result<Self> {
        let startxref = last_startxref(bytes)?;
        let mut file = PdfFile {
            bytes,
            size: 0,
            root: 0,
            info: None,
            id: None,
            startxref,
            offsets: HashMap::new(),
        };
        let mut next = Some(startxref);
        let mut sections = 0;
        while let Some(at) = next {
            sections += 1;
            if sections > 64 {
                return Err(not_signable("more than 64 cross-reference sections"));
            }
            let trailer = file.read_section(at)?;
            if sections == 1 {
                file.size = number_after(&trailer, "/Size")
                    .ok_or_else(|| not_signable("the trailer has no /Size"))?;
                file.root = reference(&trailer, "/Root")
                    .ok_or_else(|| not_signable("the trailer has no /Root"))?;
                file.info = value_text(&trailer, "/Info");
                file.id = value_text(&trailer, "/ID");
            }
            next = number_after(&trailer, "/Prev").map(|p: u32| p as usize);
        }
        Ok(file)
    }

    /// Reads the cross-reference table at `at` (offsets not already known from a newer
    /// one), returning its trailer dictionary's text.
    fn read_section(&mut self, at: usize) -> Result<String> {
        let text = self
            .bytes
            .get(at..)
            .ok_or_else(|| not_signable("startxref points past the end of the file"))?;
        if !text.starts_with(b"xref") {
            return Err(not_signable(
                "it has a cross-reference stream, not a table (baocao signs the PDFs it writes, and others saved without object streams)",
            ));
        }
        let end = find(text, b"trailer")
            .ok_or_else(|| not_signable("a cross-reference table has no trailer"))?;
        let table = String::from_utf8_lossy(&text[4..end]);
        let mut tokens = table.split_ascii_whitespace();
        while let (Some(first), Some(count)) = (tokens.next(), tokens.next()) {
            let bad = || not_signable("a cross-reference table is not readable");
            let first: u32 = first.parse().map_err(|_| bad())?;
            let count: u32 = count.parse().map_err(|_| bad())?;
            for number in first..first + count {
                let (Some(offset), Some(generation), Some(kind)) =
                    (tokens.next(), tokens.next(), tokens.next())
                else {
                    return Err(bad());
                };
                if kind == "n" {
                    let offset = offset.parse().map_err(|_| bad())?;
                    let generation = generation.parse().map_err(|_| bad())?;
                    self.offsets.entry(number).or_insert((offset, generation));
                }
            }
        }
        let rest = &text[end..];
        let stop = find(rest, b"startxref").unwrap_or(rest.len());
        Ok(String::from_utf8_lossy(&rest[7..stop]).into_owned())
    }

    /// The generation of object `number`.
    pub fn generation(&self, number: u32) -> Result<u16> {
        self.offsets
            .get(&number)
            .map(|(_, g)| *g)
            .ok_or_else(|| not_signable(format!("object {number} is not in the file")))
    }

    /// The text of object `number`, between `obj` and `endobj`, trimmed.
    pub fn object(&self, number: u32) -> Result<String> {
        let (offset, _) = self
            .offsets
            .get(&number)
            .ok_or_else(|| not_signable(format!("object {number} is not in the file")))?;
        let text = self
            .bytes
            .get(*offset..)
            .ok_or_else(|| not_signable(format!("object {number} is past the end")))?;
        let open = find(text, b"obj")
            .ok_or_else(|| not_signable(format!("object {number} does not start there")))?;
        let close = find(text, b"endobj")
            .ok_or_else(|| not_signable(format!("object {number} has no endobj")))?;
        if close < open {
            return Err(not_signable(format!(
                "object {number} does not start there"
            )));
        }
        Ok(String::from_utf8_lossy(&text[open + 3..close])
            .trim()
            .to_string())
    }

    /// The first page: down the page tree by each node's first kid.
    pub fn first_page(&self) -> Result<u32> {
        let catalog = self.object(self.root)?;
        let mut node = reference(&catalog, "/Pages")
            .ok_or_else(|| not_signable("the catalog has no /Pages"))?;
        for _ in 0..32 {
            let dict = self.object(node)?;
            match first_in_array(&dict, "/Kids") {
                Some(kid) => node = kid,
                None => return Ok(node),
            }
        }
        Err(not_signable("the page tree is deeper than 32"))
    }
}

/// The number after `key` in `dict`.
fn number_after<T: std::str::FromStr>(dict: &str, key: &str) -> Option<T> {
    let words = words(dict);
    let at = words.iter().position(|w| w == key)?;
    words.get(at + 1)?.parse().ok()
}

/// Where `needle` first is in `haystack`.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Where `needle` last is in `haystack`.
pub(crate) fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
}

/// The offset the file's last `startxref` names.
fn last_startxref(bytes: &[u8]) -> Result<usize> {
    let tail_start = bytes.len().saturating_sub(2048);
    let at = rfind(&bytes[tail_start..], b"startxref")
        .ok_or_else(|| not_signable("not a PDF (no startxref at its end)"))?;
    let text = String::from_utf8_lossy(&bytes[tail_start + at + 9..]);
    text.split_ascii_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| not_signable("startxref is not followed by a number"))
}
