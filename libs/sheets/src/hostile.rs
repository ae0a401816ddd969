//! Hostile spreadsheet files, made on demand for the tests and the benchmark of the
//! reader's bounds (`read.rs`): an oversized file, a zip bomb, a sheet of a million rows
//! and a row across all 16,384 columns — each small enough to make in memory, each
//! something a real upload could be.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

use crate::read::column_letters;

/// A CSV of `bytes` bytes of one repeated form row (too large to read at all).
pub fn oversized_csv(bytes: usize) -> Vec<u8> {
    let mut out = b"M\xC3\xA3 \xC4\x91\xC6\xA1n v\xE1\xBB\x8B,Ghi ch\xC3\xBA\n".to_vec();
    let line = b"38.X,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n";
    while out.len() + line.len() <= bytes {
        out.extend_from_slice(line);
    }
    out.resize(bytes, b'\n');
    out
}

/// An XLSX whose sheet unzips to `unzipped_mib` MiB of spaces (a few hundred KiB zipped).
pub fn zip_bomb(unzipped_mib: usize) -> std::io::Result<Vec<u8>> {
    minimal_xlsx(|sheet| {
        let block = vec![b' '; 1024 * 1024];
        for _ in 0..unzipped_mib {
            sheet.write_all(&block)?;
        }
        Ok(())
    })
}

/// An XLSX whose units sheet has the form's header and `rows` rows below it.
pub fn many_rows(rows: usize) -> std::io::Result<Vec<u8>> {
    minimal_xlsx(|sheet| {
        write_header(sheet)?;
        for row in 2..rows + 2 {
            write!(
                sheet,
                r#"<row r="{row}"><c r="A{row}"><v>{row}</v></c></row>"#
            )?;
        }
        Ok(())
    })
}

/// An XLSX whose units sheet has the form's header and one row of `columns` cells (the
/// widest sheet Excel allows has 16,384).
pub fn wide_row(columns: u32) -> std::io::Result<Vec<u8>> {
    minimal_xlsx(|sheet| {
        write_header(sheet)?;
        sheet.write_all(br#"<row r="2">"#)?;
        for col in 0..columns {
            write!(sheet, r#"<c r="{}2"><v>1</v></c>"#, column_letters(col))?;
        }
        sheet.write_all(b"</row>")
    })
}

fn write_header(sheet: &mut dyn Write) -> std::io::Result<()> {
    sheet.write_all(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Mã đơn vị</t></is></c><c r="B1" t="inlineStr"><is><t>Số liệu tính đến ngày</t></is></c></row>"#
            .as_bytes(),
    )
}

/// The smallest workbook Excel opens: one sheet "Đơn vị" whose rows `write_rows` streams.
fn minimal_xlsx(
    write_rows: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<Vec<u8>> {
    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let parts = [
        (
            "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
            ),
        ),
        (
            "xl/workbook.xml",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{DOC}"><sheets><sheet name="Đơn vị" sheetId="1" r:id="rId1"/></sheets></workbook>"#
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#
            ),
        ),
    ];
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    for (name, text) in parts {
        writer.start_file(name, options)?;
        writer.write_all(text.as_bytes())?;
    }
    writer.start_file("xl/worksheets/sheet1.xml", options)?;
    {
        let mut sheet = std::io::BufWriter::with_capacity(1 << 20, &mut writer);
        write!(
            sheet,
            r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>"#
        )?;
        write_rows(&mut sheet)?;
        sheet.write_all(b"</sheetData></worksheet>")?;
        sheet.flush()?;
    }
    Ok(writer.finish()?.into_inner())
}
