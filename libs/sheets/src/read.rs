//! Reading a spreadsheet file into plain cells, within bounds a hostile file cannot
//! break: the file's size, each zip part's declared size (a zip bomb), the rows and
//! columns read (cells are streamed, never a whole sheet's range at once), and the text
//! encoding of CSV (UTF-8 only: a legacy Vietnamese encoding is named and refused).

use std::io::{Cursor, Read, Seek};

use calamine::{DataRef, Reader, Xlsx};

use crate::{Error, Result};

/// Largest file read, in bytes: a district's filled form is well under 1 MB.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
/// Largest uncompressed part of an XLSX (one sheet's XML, the shared strings).
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// Largest uncompressed XLSX in all.
pub const MAX_UNZIPPED_BYTES: u64 = 160 * 1024 * 1024;
/// Rows with content read from one sheet (headers included): a province's every camera
/// system fits.
pub const MAX_ROWS: usize = 50_000;
/// Columns read: the form has 26; more is not a form.
pub const MAX_COLUMNS: u32 = 100;

/// A cell's value as the file holds it.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A calendar date (from a date-formatted cell).
    Date(chrono::NaiveDate),
    /// TRUE or FALSE.
    Bool(bool),
    /// An error value of a formula (`#DIV/0!`).
    Error(String),
    /// A formula whose result the file does not hold (never calculated).
    Uncalculated(String),
}

/// One row's cells with content: (0-based column, value).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// 0-based row number in the sheet.
    pub number: u32,
    /// The cells with content, by column.
    pub cells: Vec<(u32, Value)>,
}

/// A merged range: (first row, first column, last row, last column), 0-based.
pub type Merge = (u32, u32, u32, u32);

/// One sheet's rows with content.
#[derive(Clone, Debug, Default)]
pub struct Sheet {
    /// The sheet's name as the file has it (a CSV: the file's name).
    pub name: String,
    /// Rows with content, in order.
    pub rows: Vec<Row>,
    /// Merged ranges.
    pub merges: Vec<Merge>,
}

/// Reads every sheet of `bytes`, an XLSX (by its zip signature) or a CSV file named `name`.
pub fn read_file(name: &str, bytes: &[u8]) -> Result<Vec<Sheet>> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Error::TooLarge {
            file: name.to_string(),
            bytes: bytes.len() as u64,
            max: MAX_FILE_BYTES,
        });
    }
    if bytes.starts_with(b"PK\x03\x04") {
        check_zip_sizes(name, bytes)?;
        read_xlsx(name, bytes)
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Err(Error::Format {
            file: name.to_string(),
            reason: "là tệp Excel 97–2003 (.xls): hãy mở bằng Excel hoặc LibreOffice và lưu \
                     lại dưới dạng .xlsx"
                .into(),
        })
    } else {
        read_csv(name, bytes).map(|sheet| vec![sheet])
    }
}

/// Refuses an XLSX whose parts would unzip to more than the bounds (a zip bomb) before
/// any part is inflated.
fn check_zip_sizes(name: &str, bytes: &[u8]) -> Result<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| Error::Format {
        file: name.to_string(),
        reason: format!("không phải tệp .xlsx hợp lệ ({e})"),
    })?;
    let mut total = 0u64;
    for i in 0..archive.len() {
        let part = archive.by_index_raw(i).map_err(|e| Error::Format {
            file: name.to_string(),
            reason: format!("không phải tệp .xlsx hợp lệ ({e})"),
        })?;
        total = total.saturating_add(part.size());
        if part.size() > MAX_PART_BYTES || total > MAX_UNZIPPED_BYTES {
            return Err(Error::TooLarge {
                file: format!("{name} ({})", part.name()),
                bytes: part.size().max(total),
                max: MAX_PART_BYTES.min(MAX_UNZIPPED_BYTES),
            });
        }
    }
    Ok(())
}

fn read_xlsx(name: &str, bytes: &[u8]) -> Result<Vec<Sheet>> {
    let xlsx_error = |e: calamine::XlsxError| Error::Format {
        file: name.to_string(),
        reason: format!("không đọc được tệp .xlsx ({e})"),
    };
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_error)?;
    let names = workbook.sheet_names();
    let mut sheets = Vec::new();
    for sheet_name in names {
        // Rows first: a sheet beyond the bounds is refused before anything else scans it.
        let rows = read_sheet_rows(&mut workbook, &sheet_name).map_err(|e| match e {
            Error::Format { reason, .. } => Error::Format {
                file: format!("{name}, trang “{sheet_name}”"),
                reason,
            },
            other => other,
        })?;
        let merges = workbook
            .merge_cells_by_sheet_name(&sheet_name)
            .map_err(xlsx_error)?
            .into_iter()
            .map(|d| (d.start.0, d.start.1, d.end.0, d.end.1))
            .collect();
        sheets.push(Sheet {
            name: sheet_name,
            rows,
            merges,
        });
    }
    Ok(sheets)
}

/// Streams one sheet's cells into rows, refusing at the first cell beyond the bounds.
fn read_sheet_rows<RS: Read + Seek>(workbook: &mut Xlsx<RS>, sheet: &str) -> Result<Vec<Row>> {
    let format_error = |e: calamine::XlsxError| Error::Format {
        file: String::new(),
        reason: format!("không đọc được ({e})"),
    };
    let mut reader = workbook
        .worksheet_cells_reader(sheet)
        .map_err(format_error)?;
    let mut rows: Vec<Row> = Vec::new();
    while let Some(cell) = reader.next_cell_with_formula().map_err(format_error)? {
        let (row, col) = cell.pos;
        let Some(value) = value_of(cell.value, cell.formula) else {
            continue;
        };
        if col >= MAX_COLUMNS {
            return Err(Error::Bounds {
                sheet: sheet.to_string(),
                cell: cell_name(row, col),
                reason: format!(
                    "có dữ liệu ngoài phạm vi biểu mẫu (tối đa {MAX_COLUMNS} cột); xóa các \
                     cột thừa rồi nhập lại"
                ),
            });
        }
        if rows.last().is_none_or(|r| r.number != row) {
            if rows.len() == MAX_ROWS {
                return Err(Error::Bounds {
                    sheet: sheet.to_string(),
                    cell: cell_name(row, col),
                    reason: format!(
                        "trang có hơn {} dòng; hãy chia thành nhiều tệp",
                        baocao_registry::vn_number(MAX_ROWS as i64)
                    ),
                });
            }
            rows.push(Row {
                number: row,
                cells: Vec::new(),
            });
        }
        if let Some(last) = rows.last_mut() {
            last.cells.push((col, value));
        }
    }
    Ok(rows)
}

/// The value of a streamed cell; none for an empty one.
fn value_of(value: DataRef<'_>, formula: Option<String>) -> Option<Value> {
    let value = match value {
        DataRef::Empty => return formula.map(Value::Uncalculated),
        DataRef::String(text) => Value::Text(text),
        DataRef::SharedString(text) => Value::Text(text.to_string()),
        DataRef::Int(n) => Value::Number(n as f64),
        DataRef::Float(n) => Value::Number(n),
        DataRef::Bool(b) => Value::Bool(b),
        DataRef::DateTime(dt) => match dt.as_datetime() {
            Some(at) => Value::Date(at.date()),
            None => Value::Number(dt.as_f64()),
        },
        DataRef::DateTimeIso(text) => {
            match chrono::NaiveDate::parse_from_str(text.get(..10).unwrap_or(""), "%Y-%m-%d") {
                Ok(day) => Value::Date(day),
                Err(_) => Value::Text(text),
            }
        }
        DataRef::DurationIso(text) => Value::Text(text),
        DataRef::Error(e) => Value::Error(e.to_string()),
    };
    if matches!(&value, Value::Text(t) if t.trim().is_empty()) {
        return None;
    }
    Some(value)
}

/// Reads a CSV file: UTF-8, with or without a byte-order mark; `,` or `;` separated (as
/// Excel writes it where the decimal mark is a comma).
fn read_csv(name: &str, bytes: &[u8]) -> Result<Sheet> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| Error::Encoding {
        file: name.to_string(),
        line: bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
    })?;
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.matches(';').count() > first_line.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (number, record) in reader.records().enumerate() {
        let record = record.map_err(|e| Error::Format {
            file: name.to_string(),
            reason: format!("dòng {}: {e}", number + 1),
        })?;
        let cells: Vec<(u32, Value)> = record
            .iter()
            .enumerate()
            .filter(|(_, text)| !text.trim().is_empty())
            .map(|(col, text)| (col as u32, Value::Text(text.to_string())))
            .collect();
        if let Some((col, _)) = cells.iter().find(|(col, _)| *col >= MAX_COLUMNS) {
            return Err(Error::Bounds {
                sheet: name.to_string(),
                cell: cell_name(number as u32, *col),
                reason: format!("có dữ liệu ngoài phạm vi biểu mẫu (tối đa {MAX_COLUMNS} cột)"),
            });
        }
        if cells.is_empty() {
            continue;
        }
        if rows.len() == MAX_ROWS {
            return Err(Error::Bounds {
                sheet: name.to_string(),
                cell: cell_name(number as u32, 0),
                reason: format!(
                    "tệp có hơn {} dòng; hãy chia thành nhiều tệp",
                    baocao_registry::vn_number(MAX_ROWS as i64)
                ),
            });
        }
        rows.push(Row {
            number: number as u32,
            cells,
        });
    }
    Ok(Sheet {
        name: name.to_string(),
        rows,
        merges: Vec::new(),
    })
}

/// The A1 name of a 0-based (row, column): (11, 4) → `E12`.
pub fn cell_name(row: u32, col: u32) -> String {
    format!("{}{}", column_letters(col), row + 1)
}

/// The letters of a 0-based column: 0 → `A`, 27 → `AB`.
pub fn column_letters(col: u32) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_named_as_spreadsheets_name_them() {
        assert_eq!(cell_name(11, 4), "E12");
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(16_383), "XFD");
    }

    #[test]
    fn csv_in_utf8_with_or_without_bom_and_legacy_bytes_refused() {
        let text = "Mã đơn vị;Số camera\n38.A;1.234\n\n;;\n";
        for bytes in [
            text.as_bytes().to_vec(),
            [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        ] {
            let sheets = read_file("a.csv", &bytes).expect("reads");
            assert_eq!(sheets[0].rows.len(), 2);
            assert_eq!(
                sheets[0].rows[0].cells[0].1,
                Value::Text("Mã đơn vị".into())
            );
            assert_eq!(sheets[0].rows[1].cells[1].1, Value::Text("1.234".into()));
        }
        // "Trường" in Windows-1258 (and TCVN3 alike): bytes that are not UTF-8.
        let legacy = b"M\xE3 \xF0\xF5n v\xEF\nTr\xFD\xF5\xD2ng\n";
        match read_file("cu.csv", legacy) {
            Err(Error::Encoding { line, .. }) => assert_eq!(line, 1),
            other => panic!("{other:?}"),
        }
    }
}
