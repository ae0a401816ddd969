//! The Chairman's report as a DOCX the officer edits and signs: the layout of Decree
//! 30/2020/NĐ-CP (A4, margins 20/15/20/30 mm, Times New Roman 13-14 pt; LibreOffice
//! substitutes the metric-compatible Liberation Serif), the letterhead as a borderless
//! two-column table, page numbers centred at the top from page 2, the charts as pictures
//! rendered from the same SVG as the PDF's, and the appendices in a landscape section
//! whose tables repeat their header row on every page.

use docx_rs::{
    AlignmentType, BreakType, Docx, Header, LineSpacing, PageMargin, PageNum, PageOrientationType,
    Paragraph, ParagraphBorder, ParagraphBorderPosition, ParagraphBorders, Pic, Run, RunFonts,
    Section, SpecialIndentType, Table, TableCell, TableCellMargins, TableRow, WidthType,
};

use crate::chart::BarChart;
use crate::document::{Appendix, Block, OfficialReport, RowKind, Table as DocTable};
use crate::fonts::svg_options;
use crate::model::ReportData;
use crate::{Error, Result};

/// File name of the DOCX report.
pub const DOCX_REPORT: &str = "bao-cao.docx";

/// Twentieths of a point per millimetre.
const TWIPS_PER_MM: f32 = 56.692_91;
/// A4 in twips.
const A4: (u32, u32) = (11_906, 16_838);

fn twips(mm: f32) -> i32 {
    (mm * TWIPS_PER_MM).round() as i32
}

fn docx_error(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Render {
        document: DOCX_REPORT,
        source: source.into(),
    }
}

/// A run of `text` at `size` points, bold and italic as asked.
fn run(text: &str, size: f32, bold: bool, italic: bool) -> Run {
    let mut run = Run::new()
        .add_text(text)
        .size((size * 2.0).round() as usize);
    if bold {
        run = run.bold();
    }
    if italic {
        run = run.italic();
    }
    run
}

fn centred(text: &str, size: f32, bold: bool, italic: bool) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, size, bold, italic))
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().before(0).after(0))
}

/// An empty paragraph whose bottom border is a rule `width_mm` wide, centred in a
/// column `column_mm` wide.
fn rule(width_mm: f32, column_mm: f32) -> Paragraph {
    let side = twips(((column_mm - width_mm) / 2.0).max(0.0));
    let mut paragraph = Paragraph::new()
        .indent(Some(side), None, Some(side), None)
        .line_spacing(LineSpacing::new().before(0).after(0).line(120))
        .size(4);
    paragraph.property = paragraph.property.set_borders(
        ParagraphBorders::with_empty().set(
            ParagraphBorder::new(ParagraphBorderPosition::Bottom)
                .size(6)
                .space(1),
        ),
    );
    paragraph
}

/// A cell without borders holding `paragraphs`, `width_mm` wide.
fn plain_cell(paragraphs: Vec<Paragraph>, width_mm: f32) -> TableCell {
    paragraphs
        .into_iter()
        .fold(TableCell::new(), TableCell::add_paragraph)
        .width(twips(width_mm) as usize, WidthType::Dxa)
        .clear_all_border()
}

/// The letterhead: issuing body and number on the left, Quốc hiệu, Tiêu ngữ and the
/// place and date on the right.
///
/// The two columns fill the text width from the left margin (68 + 97 mm of the 165 mm
/// between the margins, cells with 0.5 mm margins); the issuing body in 12 pt fits "SỞ KHOA HỌC VÀ CÔNG NGHỆ" on
/// one line in Word and LibreOffice Writer, as in the PDF.
fn letterhead(doc: &OfficialReport) -> Table {
    let (left_mm, right_mm) = (68.0, 97.0);
    let mut left = Vec::new();
    if !doc.parent_body.is_empty() {
        left.push(centred(&doc.parent_body, 12.0, false, false));
    }
    left.push(centred(&doc.issuing_body, 12.0, true, false));
    left.push(rule(28.0, left_mm));
    left.push(centred("", 6.0, false, false));
    left.push(centred(&doc.number_line, 13.0, false, false));
    if doc.kind.is_empty() {
        // A letter (công văn): its summary ("V/v …") under the number.
        left.push(centred(&doc.summary, 12.0, false, false));
    }
    let right = vec![
        centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 12.5, true, false),
        centred("Độc lập - Tự do - Hạnh phúc", 13.5, true, false),
        rule(62.0, right_mm),
        centred("", 6.0, false, false),
        centred(&doc.place_date, 13.5, false, true),
    ];
    Table::new(vec![TableRow::new(vec![
        plain_cell(left, left_mm),
        plain_cell(right, right_mm),
    ])])
    .set_grid(vec![twips(left_mm) as usize, twips(right_mm) as usize])
    // Half-millimetre cell margins instead of Word's 1.9 mm: the names need the width.
    .margins(TableCellMargins::new().margin(0, twips(0.5) as usize, 0, twips(0.5) as usize))
    .clear_all_border()
}

/// Body text: justified, first line indented 1 cm, 6 pt after.
fn body_paragraph(text: &str, bold: bool, italic: bool) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, 13.0, bold, italic))
        .align(AlignmentType::Both)
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(twips(10.0))),
            None,
            None,
        )
        .line_spacing(LineSpacing::new().before(0).after(120))
}

/// A chart as a picture rendered at 200 dpi from its SVG, `width_mm` wide.
fn chart_paragraph(chart: &BarChart, width_mm: f32) -> Result<Paragraph> {
    let tree = usvg::Tree::from_str(&chart.svg(), svg_options()).map_err(docx_error)?;
    let scale = 200.0 / 72.0;
    let size = tree.size();
    let (w, h) = (
        (size.width() * scale).ceil() as u32,
        (size.height() * scale).ceil() as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h).ok_or_else(|| docx_error("chart size"))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    let png = pixmap.encode_png().map_err(docx_error)?;
    const EMU_PER_MM: f32 = 36_000.0;
    let height_mm = width_mm * size.height() / size.width();
    let picture = Pic::new_with_dimensions(png, w, h).size(
        (width_mm * EMU_PER_MM) as u32,
        (height_mm * EMU_PER_MM) as u32,
    );
    Ok(Paragraph::new()
        .add_run(Run::new().add_image(picture))
        .align(AlignmentType::Center))
}

/// The body blocks as paragraphs.
fn body(blocks: &[Block]) -> Result<Vec<Paragraph>> {
    blocks
        .iter()
        .map(|block| {
            Ok(match block {
                Block::Heading(text) | Block::SubHeading(text) => {
                    body_paragraph(text, true, false).keep_next(true)
                }
                Block::Paragraph(text) => body_paragraph(text, false, false),
                Block::Placeholder(text) => body_paragraph(text, false, true),
                Block::Chart(chart) => chart_paragraph(chart, 150.0)?,
            })
        })
        .collect()
}

/// Nơi nhận on the left, the signature block on the right.
fn signature(doc: &OfficialReport) -> Table {
    let left_mm = 80.0;
    let right_mm = 85.0;
    let mut left = vec![
        Paragraph::new()
            .add_run(run("Nơi nhận:", 12.0, true, true))
            .line_spacing(LineSpacing::new().before(0).after(0)),
    ];
    left.extend(doc.copies_to.iter().map(|line| {
        Paragraph::new()
            .add_run(run(line, 11.0, false, false))
            .line_spacing(LineSpacing::new().before(0).after(0))
    }));
    let mut right: Vec<Paragraph> = doc
        .signer_titles
        .iter()
        .map(|t| centred(t, 13.5, true, false))
        .collect();
    for _ in 0..5 {
        right.push(centred("", 13.5, false, false));
    }
    right.push(centred(&doc.signer_name, 13.5, true, false));
    Table::new(vec![TableRow::new(vec![
        plain_cell(left, left_mm),
        plain_cell(right, right_mm),
    ])])
    .set_grid(vec![twips(left_mm) as usize, twips(right_mm) as usize])
    // Half-millimetre cell margins instead of Word's 1.9 mm: the names need the width.
    .margins(TableCellMargins::new().margin(0, twips(0.5) as usize, 0, twips(0.5) as usize))
    .clear_all_border()
}

/// An appendix table, `width_mm` wide; the header row repeats on each page (marked
/// `cantSplit` here and given `tblHeader` when the XML is written).
fn appendix_table(table: &DocTable, width_mm: f32) -> Table {
    let total: f32 = table.widths.iter().sum();
    let grid: Vec<usize> = table
        .widths
        .iter()
        .map(|w| twips(w / total * width_mm) as usize)
        .collect();
    let cell = |text: &str, bold: bool, align: AlignmentType, width: usize| {
        TableCell::new()
            .add_paragraph(
                Paragraph::new()
                    .add_run(run(text, 10.0, bold, false))
                    .align(align)
                    .line_spacing(LineSpacing::new().before(0).after(0)),
            )
            .width(width, WidthType::Dxa)
    };
    let header = TableRow::new(
        table
            .header
            .iter()
            .zip(&grid)
            .map(|(h, w)| cell(h, true, AlignmentType::Center, *w))
            .collect(),
    )
    .cant_split();
    let mut rows = vec![header];
    for (kind, cells) in &table.rows {
        let row = match kind {
            RowKind::Group => TableRow::new(vec![
                cell(
                    &cells.join(" "),
                    true,
                    AlignmentType::Left,
                    grid.iter().sum(),
                )
                .grid_span(grid.len()),
            ]),
            RowKind::Body | RowKind::Total => TableRow::new(
                cells
                    .iter()
                    .zip(&grid)
                    .zip(&table.numeric)
                    .map(|((text, w), numeric)| {
                        let align = if *numeric {
                            AlignmentType::Right
                        } else {
                            AlignmentType::Left
                        };
                        cell(text, *kind == RowKind::Total, align, *w)
                    })
                    .collect(),
            ),
        };
        rows.push(row);
    }
    Table::new(rows).set_grid(grid)
}

/// A header with the page number centred (pages after the first).
fn page_number_header() -> Header {
    Header::new().add_paragraph(
        Paragraph::new()
            .add_page_num(PageNum::new())
            .align(AlignmentType::Center)
            .size(26),
    )
}

/// The report as the bytes of a DOCX file.
pub fn docx_bytes(data: &ReportData) -> Result<Vec<u8>> {
    document_docx(&OfficialReport::new(data))
}

/// An administrative document (a report, or a letter when its kind is empty) as DOCX.
/// The heading of an appendix: its number (after a page break unless it is the
/// first), title and what it is attached to.
fn appendix_heading(appendix: &Appendix, page_break: bool) -> Vec<Paragraph> {
    let mut paragraphs = vec![
        centred(&appendix.number, 13.0, true, false),
        centred(&appendix.title, 13.0, true, false),
        centred(&appendix.attached_to, 12.0, false, true),
        centred("", 6.0, false, false),
    ];
    if page_break {
        paragraphs[0] = Paragraph::new()
            .add_run(Run::new().add_break(BreakType::Page))
            .add_run(run(&appendix.number, 13.0, true, false))
            .align(AlignmentType::Center);
    }
    paragraphs
}

/// The first section, portrait: letterhead, title, recipients, body and signature.
fn first_section(doc: &OfficialReport) -> Result<Section> {
    let mut first = Section::new()
        .page_size(docx_rs::PageSize::new().width(A4.0).height(A4.1))
        .page_margin(
            PageMargin::new()
                .top(twips(20.0))
                .bottom(twips(20.0))
                .left(twips(30.0))
                .right(twips(15.0))
                .header(twips(10.0)),
        )
        .title_pg()
        .header(page_number_header())
        .first_header(Header::new())
        .add_table(letterhead(doc))
        .add_paragraph(centred("", 8.0, false, false));
    if !doc.kind.is_empty() {
        first = first
            .add_paragraph(centred(&doc.kind, 14.0, true, false))
            .add_paragraph(centred(&doc.summary, 14.0, true, false))
            .add_paragraph(rule(50.0, 165.0));
    }
    first = first
        .add_paragraph(centred("", 8.0, false, false))
        .add_paragraph(centred(
            &format!("Kính gửi: {}.", doc.recipients.join("; ")),
            14.0,
            false,
            false,
        ))
        .add_paragraph(centred("", 8.0, false, false));
    for paragraph in body(&doc.body)? {
        first = first.add_paragraph(paragraph);
    }
    first = first.add_table(signature(doc));
    Ok(first)
}

pub(crate) fn document_docx(doc: &OfficialReport) -> Result<Vec<u8>> {
    let first = first_section(doc)?;
    let mut docx = Docx::new()
        .created_at(
            &doc.generated_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
        .default_fonts(
            RunFonts::new()
                .ascii("Times New Roman")
                .hi_ansi("Times New Roman")
                .cs("Times New Roman")
                .east_asia("Times New Roman"),
        )
        .default_size(26)
        .add_section(first);
    for (i, appendix) in doc.appendices.iter().enumerate() {
        for paragraph in appendix_heading(appendix, i > 0) {
            docx = docx.add_paragraph(paragraph);
        }
        docx = docx.add_table(appendix_table(&appendix.table, 257.0));
    }
    let docx = docx
        .page_size(A4.1, A4.0)
        .page_orient(PageOrientationType::Landscape)
        .page_margin(
            PageMargin::new()
                .top(twips(20.0))
                .bottom(twips(15.0))
                .left(twips(25.0))
                .right(twips(15.0))
                .header(twips(10.0)),
        )
        .header(page_number_header());
    let mut xml = docx.build();
    let document = String::from_utf8(std::mem::take(&mut xml.document)).map_err(docx_error)?;
    // Header rows repeat on each page of the appendices' tables (docx-rs has no
    // tblHeader): those rows, and only they, are marked cantSplit above.
    xml.document = document
        .replace("<w:cantSplit />", "<w:cantSplit /><w:tblHeader />")
        .into_bytes();
    let mut bytes = std::io::Cursor::new(Vec::new());
    xml.pack(&mut bytes).map_err(docx_error)?;
    deflated(&bytes.into_inner()).map_err(docx_error)
}

/// The zip `stored` rewritten with every part deflated: docx-rs stores its parts
/// uncompressed, which makes the province's report (its appendix lists hundreds of
/// units) several megabytes to e-mail instead of a few hundred kilobytes.
fn deflated(stored: &[u8]) -> zip::result::ZipResult<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(stored))?;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut part = archive.by_index(i)?;
        if part.is_dir() {
            continue;
        }
        writer.start_file(part.name().to_string(), options)?;
        std::io::copy(&mut part, &mut writer)?;
    }
    Ok(writer.finish()?.into_inner())
}
