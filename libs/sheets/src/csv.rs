//! CSV out, as Excel opens it right: UTF-8 with a byte-order mark (or Excel reads
//! Vietnamese as Windows-1252), every cell quoted, CRLF line ends, and a cell that would
//! be a formula (`=`, `+`, `-`, `@` first) prefixed with `'` so that a name or a reason
//! typed by someone else never runs in the reader's spreadsheet.

/// The UTF-8 byte-order mark a CSV file starts with.
pub const BOM: &str = "\u{feff}";

/// One CSV line of `cells`, ending in CRLF.
pub fn line(cells: &[&str]) -> String {
    let quoted: Vec<String> = cells
        .iter()
        .map(|c| {
            let c = if c.starts_with(['=', '+', '-', '@']) {
                format!("'{c}")
            } else {
                c.to_string()
            };
            format!("\"{}\"", c.replace('"', "\"\""))
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_never_formulas() {
        assert_eq!(
            line(&["Trường \"A\"", "=1+1", "-3", "14.5%"]),
            "\"Trường \"\"A\"\"\",\"'=1+1\",\"'-3\",\"14.5%\"\r\n"
        );
    }
}
