//! The Chairman's report as a PDF, typeset by baocao itself in the layout of Decree
//! 30/2020/NĐ-CP: A4 portrait with its margins (top and bottom 20 mm, left 30 mm, right
//! 15 mm), Liberation Serif embedded (subset), page numbers centred in the top margin
//! from page 2, the letterhead in two columns, justified body text with a first-line
//! indent, the charts as vectors, and the appendices on landscape pages with their
//! header rows repeated. Layout is a first pass into positioned operations, painting
//! with krilla a second.

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Size, Transform};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};
use krilla_svg::{SurfaceExt, SvgSettings};

use crate::chart::{BarChart, CHART_WIDTH};
use crate::document::{Block, OfficialReport, RowKind, Table};
use crate::fonts::{Metrics, Style, font_bytes, svg_options};
use crate::model::ReportData;
use crate::{Error, Result};

/// File name of the PDF report.
pub const PDF_REPORT: &str = "bao-cao.pdf";

const MM: f32 = 72.0 / 25.4;
const A4: (f32, f32) = (210.0 * MM, 297.0 * MM);
/// Body text size (Decree 30: 13-14).
const BODY: f32 = 13.0;
/// Table text size in the appendices.
const CELL: f32 = 9.5;
const LEADING: f32 = 1.22;

fn pdf_error(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Error {
    Error::Render {
        document: PDF_REPORT,
        source: source.into(),
    }
}

/// A positioned drawing operation.
enum Op {
    /// Text with its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        style: Style,
        text: String,
    },
    /// A straight line.
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    /// A chart's SVG at (x, y), scaled to `width`.
    Chart {
        x: f32,
        y: f32,
        width: f32,
        svg: String,
    },
}

/// One page: its size and what is drawn on it.
struct Page {
    size: (f32, f32),
    ops: Vec<Op>,
}

/// Margins of a page: top, right, bottom, left.
#[derive(Clone, Copy)]
struct Margins {
    top: f32,
    right: f32,
    bottom: f32,
    left: f32,
}

const PORTRAIT: Margins = Margins {
    top: 20.0 * MM,
    right: 15.0 * MM,
    bottom: 20.0 * MM,
    left: 30.0 * MM,
};
const LANDSCAPE: Margins = Margins {
    top: 20.0 * MM,
    right: 15.0 * MM,
    bottom: 15.0 * MM,
    left: 20.0 * MM,
};

/// Text alignment within a box.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
    Right,
}

/// The first pass: lays blocks out onto pages.
struct Typesetter {
    metrics: [Metrics; 4],
    pages: Vec<Page>,
    margins: Margins,
    /// Top of the next line on the current page.
    y: f32,
}

fn style_index(style: Style) -> usize {
    match style {
        Style::Regular => 0,
        Style::Bold => 1,
        Style::Italic => 2,
        Style::BoldItalic => 3,
    }
}

impl Typesetter {
    fn new() -> Result<Self> {
        let metric = |style| Metrics::of(style).ok_or_else(|| pdf_error("built-in font"));
        Ok(Typesetter {
            metrics: [
                metric(Style::Regular)?,
                metric(Style::Bold)?,
                metric(Style::Italic)?,
                metric(Style::BoldItalic)?,
            ],
            pages: Vec::new(),
            margins: PORTRAIT,
            y: 0.0,
        })
    }

    fn width_of(&self, text: &str, style: Style, size: f32) -> f32 {
        self.metrics[style_index(style)].width(text, size)
    }

    fn page_size(&self) -> (f32, f32) {
        self.pages.last().map_or(A4, |p| p.size)
    }

    fn left(&self) -> f32 {
        self.margins.left
    }

    fn text_width(&self) -> f32 {
        self.page_size().0 - self.margins.left - self.margins.right
    }

    fn new_page(&mut self, landscape: bool) {
        let (size, margins) = if landscape {
            ((A4.1, A4.0), LANDSCAPE)
        } else {
            (A4, PORTRAIT)
        };
        self.pages.push(Page {
            size,
            ops: Vec::new(),
        });
        self.margins = margins;
        self.y = margins.top;
    }

    /// Starts a page of the same orientation when `height` does not fit; true if it did.
    fn ensure(&mut self, height: f32) -> bool {
        let (width, page_height) = self.page_size();
        if self.y + height > page_height - self.margins.bottom {
            self.new_page(width > page_height);
            return true;
        }
        false
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.ops.push(op);
        }
    }

    /// Breaks `text` into lines no wider than `width` (the first `first_width`), at
    /// spaces, or inside a word longer than a line.
    fn wrap(
        &self,
        text: &str,
        style: Style,
        size: f32,
        first_width: f32,
        width: f32,
    ) -> Vec<String> {
        let space = self.width_of(" ", style, size);
        let mut lines = Vec::new();
        let (mut line, mut line_width) = (String::new(), 0.0);
        for word in text.split_whitespace() {
            let limit = if lines.is_empty() { first_width } else { width };
            let word_width = self.width_of(word, style, size);
            let joined = if line.is_empty() {
                word_width
            } else {
                line_width + space + word_width
            };
            if joined <= limit {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_width = joined;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            line_width = 0.0;
            for c in word.chars() {
                let c_width = self.width_of(c.encode_utf8(&mut [0; 4]), style, size);
                if line_width + c_width > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                line.push(c);
                line_width += c_width;
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// One line of text aligned in the box [x, x + width] with its top at `top`.
    fn line_at(
        &mut self,
        text: &str,
        style: Style,
        size: f32,
        (x, width): (f32, f32),
        top: f32,
        align: Align,
    ) {
        let text_width = self.width_of(text, style, size);
        let x = match align {
            Align::Left => x,
            Align::Center => x + (width - text_width) / 2.0,
            Align::Right => x + width - text_width,
        };
        self.push(Op::Text {
            x,
            y: top + size * 0.9,
            size,
            style,
            text: text.to_string(),
        });
    }

    /// A justified line: words placed so the line fills `width`.
    fn justified_at(
        &mut self,
        text: &str,
        style: Style,
        size: f32,
        (x, width): (f32, f32),
        top: f32,
    ) {
        let words: Vec<&str> = text.split(' ').collect();
        let natural: f32 = words.iter().map(|w| self.width_of(w, style, size)).sum();
        let gap = if words.len() > 1 {
            (width - natural) / (words.len() - 1) as f32
        } else {
            0.0
        };
        let mut at = x;
        for word in words {
            self.push(Op::Text {
                x: at,
                y: top + size * 0.9,
                size,
                style,
                text: word.to_string(),
            });
            at += self.width_of(word, style, size) + gap;
        }
    }

    /// A paragraph of body text: first-line indent, justified but for its last line.
    fn paragraph(&mut self, text: &str, style: Style, indent: f32) {
        let width = self.text_width();
        let lines = self.wrap(text, style, BODY, width - indent, width);
        let last = lines.len() - 1;
        for (i, line) in lines.iter().enumerate() {
            self.ensure(BODY * LEADING);
            let shift = if i == 0 { indent } else { 0.0 };
            let column = (self.left() + shift, width - shift);
            if i < last {
                self.justified_at(line, style, BODY, column, self.y);
            } else {
                self.line_at(line, style, BODY, column, self.y, Align::Left);
            }
            self.y += BODY * LEADING;
        }
        self.y += 4.0;
    }

    /// Centred lines in the column [x, x + width] from `top`; returns the bottom and,
    /// per line, its drawn width (for the rules under them).
    fn centred(
        &mut self,
        lines: &[(&str, Style, f32)],
        column: (f32, f32),
        top: f32,
    ) -> (f32, Vec<f32>) {
        let mut y = top;
        let mut widths = Vec::new();
        for (text, style, size) in lines {
            // A line that fits is drawn as written (the blank left for the number).
            let pieces = if self.width_of(text, *style, *size) <= column.1 {
                vec![text.to_string()]
            } else {
                self.balanced(text, *style, *size, column.1)
            };
            for piece in pieces {
                self.line_at(&piece, *style, *size, column, y, Align::Center);
                widths.push(self.width_of(&piece, *style, *size));
                y += size * LEADING;
            }
        }
        (y, widths)
    }

    /// `text` wrapped into as few lines as `width` allows, of about equal length (no
    /// lone word on a title's last line).
    fn balanced(&self, text: &str, style: Style, size: f32, width: f32) -> Vec<String> {
        let lines = self.wrap(text, style, size, width, width).len();
        let (mut narrow, mut wide) = (width / 2.0, width);
        for _ in 0..12 {
            let middle = (narrow + wide) / 2.0;
            if self.wrap(text, style, size, middle, middle).len() == lines {
                wide = middle;
            } else {
                narrow = middle;
            }
        }
        self.wrap(text, style, size, wide, wide)
    }

    /// A horizontal rule of `width` centred in `column`, at `y`.
    fn rule(&mut self, column: (f32, f32), width: f32, y: f32) {
        let start = column.0 + (column.1 - width) / 2.0;
        self.push(Op::Line {
            from: (start, y),
            to: (start + width, y),
            width: 0.6,
        });
    }

    /// Quốc hiệu, Tiêu ngữ and the issuing body side by side, the number and the place
    /// and date under them, then the document's kind, summary and recipients.
    fn letterhead(&mut self, doc: &OfficialReport) {
        // The issuing body's block starts at the body's left margin (Decree 30's
        // layout), in 12 pt (the decree allows 12–13): "SỞ KHOA HỌC VÀ CÔNG NGHỆ" fits
        // on one line; a longer name wraps onto two balanced lines.
        let left_column = (self.left(), 66.0 * MM);
        let right_column = (
            self.left() + 62.0 * MM,
            self.page_size().0 - self.margins.right - self.left() - 62.0 * MM + 4.0 * MM,
        );
        let top = self.y;
        let mut left_lines = Vec::new();
        if !doc.parent_body.is_empty() {
            left_lines.push((doc.parent_body.as_str(), Style::Regular, 12.0));
        }
        left_lines.push((doc.issuing_body.as_str(), Style::Bold, 12.0));
        let (left_bottom, _) = self.centred(&left_lines, left_column, top);
        self.rule(left_column, 28.0 * MM, left_bottom + 1.5);
        let right_lines = [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", Style::Bold, 12.5),
            ("Độc lập - Tự do - Hạnh phúc", Style::Bold, 13.5),
        ];
        let (right_bottom, widths) = self.centred(&right_lines, right_column, top);
        self.rule(
            right_column,
            widths.last().copied().unwrap_or(0.0),
            right_bottom + 1.5,
        );
        let below = left_bottom.max(right_bottom) + 8.0;
        let (number_bottom, _) = self.centred(
            &[(doc.number_line.as_str(), Style::Regular, 13.0)],
            left_column,
            below,
        );
        // A letter (công văn): its summary ("V/v …") under the number.
        let summary_bottom = if doc.kind.is_empty() {
            self.centred(
                &[(doc.summary.as_str(), Style::Regular, 12.0)],
                left_column,
                number_bottom,
            )
            .0
        } else {
            number_bottom
        };
        self.centred(
            &[(doc.place_date.as_str(), Style::Italic, 13.5)],
            right_column,
            below,
        );
        self.y = below + 13.5 * LEADING + 16.0;
        let column = (self.left(), self.text_width());
        if doc.kind.is_empty() {
            self.y = self.y.max(summary_bottom + 12.0);
        } else {
            let (bottom, _) =
                self.centred(&[(doc.kind.as_str(), Style::Bold, 14.0)], column, self.y);
            let (bottom, widths) =
                self.centred(&[(doc.summary.as_str(), Style::Bold, 14.0)], column, bottom);
            self.rule(
                column,
                widths.iter().copied().fold(0.0, f32::max).min(60.0 * MM),
                bottom + 2.0,
            );
            self.y = bottom + 14.0;
        }
        let recipients = doc.recipients.join("; ");
        self.centred(
            &[(&format!("Kính gửi: {recipients}."), Style::Regular, 14.0)],
            column,
            self.y,
        );
        self.y += 14.0 * LEADING * (1.0 + (recipients.len() / 80) as f32) + 10.0;
    }

    fn block(&mut self, block: &Block) -> Result<()> {
        let indent = 10.0 * MM;
        match block {
            Block::Heading(text) | Block::SubHeading(text) => {
                // Keep a heading with at least two lines of what follows.
                self.ensure(BODY * LEADING * 3.0);
                self.y += 4.0;
                self.paragraph(text, Style::Bold, indent);
            }
            Block::Paragraph(text) => self.paragraph(text, Style::Regular, indent),
            Block::Placeholder(text) => self.paragraph(text, Style::Italic, indent),
            Block::Chart(chart) => self.chart(chart)?,
        }
        Ok(())
    }

    /// A chart centred, scaled down (to 70 % at most) rather than leaving the rest of a
    /// page empty.
    fn chart(&mut self, chart: &BarChart) -> Result<()> {
        let full = CHART_WIDTH.min(self.text_width());
        let room = self.page_size().1 - self.margins.bottom - self.y - 12.0;
        let scale = (room / (chart.height() * full / CHART_WIDTH)).clamp(0.7, 1.0);
        let width = full * scale;
        let height = chart.height() * width / CHART_WIDTH;
        self.ensure(height + 8.0);
        let x = self.left() + (self.text_width() - width) / 2.0;
        let y = self.y + 4.0;
        self.push(Op::Chart {
            x,
            y,
            width,
            svg: chart.svg(),
        });
        self.y = y + height + 8.0;
        Ok(())
    }

    /// Height the signature block needs.
    fn signature_height(doc: &OfficialReport) -> f32 {
        (12.0 * LEADING * (doc.copies_to.len() as f32 + 2.0) + 40.0 * MM).min(120.0 * MM)
    }

    /// Height of a body paragraph.
    fn paragraph_height(&self, text: &str) -> f32 {
        let width = self.text_width();
        let lines = self
            .wrap(text, Style::Regular, BODY, width - 10.0 * MM, width)
            .len();
        lines as f32 * BODY * LEADING + 4.0
    }

    /// Nơi nhận on the left, the signature block on the right.
    fn signature(&mut self, doc: &OfficialReport) {
        self.ensure(Self::signature_height(doc));
        self.y += 6.0;
        let top = self.y;
        let left = (self.left(), 75.0 * MM);
        self.line_at("Nơi nhận:", Style::BoldItalic, 12.0, left, top, Align::Left);
        let mut y = top + 12.0 * LEADING;
        for line in &doc.copies_to {
            for piece in self.wrap(line, Style::Regular, 11.0, left.1, left.1) {
                self.line_at(&piece, Style::Regular, 11.0, left, y, Align::Left);
                y += 11.0 * LEADING;
            }
        }
        let right = (self.left() + 75.0 * MM, self.text_width() - 75.0 * MM);
        let titles: Vec<(&str, Style, f32)> = doc
            .signer_titles
            .iter()
            .map(|t| (t.as_str(), Style::Bold, 13.5))
            .collect();
        let (bottom, _) = self.centred(&titles, right, top);
        let name_top = bottom + 28.0 * MM;
        if !doc.signer_name.is_empty() {
            self.centred(
                &[(doc.signer_name.as_str(), Style::Bold, 13.5)],
                right,
                name_top,
            );
        }
        self.y = y.max(name_top + 14.0 * LEADING);
    }

    /// A table with its header repeated on each page and borders around every cell.
    fn table(&mut self, table: &Table) {
        let total: f32 = table.widths.iter().sum();
        let width = self.text_width();
        let columns: Vec<(f32, f32)> = table
            .widths
            .iter()
            .scan(self.left(), |x, w| {
                let column = (*x, w / total * width);
                *x += column.1;
                Some(column)
            })
            .collect();
        self.table_row(
            &columns,
            &table.header,
            Style::Bold,
            &vec![false; columns.len()],
            true,
        );
        for (kind, cells) in &table.rows {
            let (style, span) = match kind {
                RowKind::Body => (Style::Regular, false),
                RowKind::Group => (Style::Bold, true),
                RowKind::Total => (Style::Bold, false),
            };
            let row_columns = if span {
                vec![(self.left(), width)]
            } else {
                columns.clone()
            };
            let numeric = if span {
                vec![false]
            } else {
                table.numeric.clone()
            };
            // A group's title is never the last line of a page: it goes with its first row.
            let keep_with_next = if span {
                3.0 * (CELL * LEADING + 5.0)
            } else {
                0.0
            };
            let broke = keep_with_next > 0.0 && self.ensure(keep_with_next);
            if broke || self.table_row(&row_columns, cells, style, &numeric, false) {
                // A page break happened before this row: repeat the header over it.
                self.table_row(
                    &columns,
                    &table.header,
                    Style::Bold,
                    &vec![false; columns.len()],
                    true,
                );
                self.table_row(&row_columns, cells, style, &numeric, false);
            }
        }
    }

    /// Draws one row; returns true when it had to start a new page first (nothing drawn).
    fn table_row(
        &mut self,
        columns: &[(f32, f32)],
        cells: &[String],
        style: Style,
        numeric: &[bool],
        header: bool,
    ) -> bool {
        let pad = 2.5;
        let wrapped: Vec<Vec<String>> = columns
            .iter()
            .zip(cells)
            .map(|((_, w), cell)| self.wrap(cell, style, CELL, w - 2.0 * pad, w - 2.0 * pad))
            .collect();
        let lines = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let height = lines as f32 * CELL * LEADING + 2.0 * pad;
        let needed = if header {
            height + 3.0 * CELL * LEADING
        } else {
            height
        };
        if self.ensure(needed) && !header {
            return true;
        }
        let top = self.y;
        for (((x, w), lines), &right) in columns.iter().zip(&wrapped).zip(numeric) {
            for (i, line) in lines.iter().enumerate() {
                let align = if header {
                    Align::Center
                } else if right {
                    Align::Right
                } else {
                    Align::Left
                };
                self.line_at(
                    line,
                    style,
                    CELL,
                    (x + pad, w - 2.0 * pad),
                    top + pad + i as f32 * CELL * LEADING,
                    align,
                );
            }
            self.push(Op::Line {
                from: (*x, top),
                to: (*x, top + height),
                width: 0.5,
            });
        }
        let (first, last) = (
            columns[0].0,
            columns[columns.len() - 1].0 + columns[columns.len() - 1].1,
        );
        self.push(Op::Line {
            from: (last, top),
            to: (last, top + height),
            width: 0.5,
        });
        self.push(Op::Line {
            from: (first, top),
            to: (last, top),
            width: 0.5,
        });
        self.push(Op::Line {
            from: (first, top + height),
            to: (last, top + height),
            width: 0.5,
        });
        self.y = top + height;
        false
    }

    /// Page numbers centred in the top margin of every page but the first.
    fn number_pages(&mut self) {
        let sizes: Vec<(f32, f32)> = self.pages.iter().map(|p| p.size).collect();
        for (i, size) in sizes.into_iter().enumerate().skip(1) {
            let number = (i + 1).to_string();
            let width = self.width_of(&number, Style::Regular, 13.0);
            if let Some(page) = self.pages.get_mut(i) {
                page.ops.push(Op::Text {
                    x: (size.0 - width) / 2.0,
                    y: 12.0 * MM,
                    size: 13.0,
                    style: Style::Regular,
                    text: number,
                });
            }
        }
    }
}

/// Lays the document out into pages.
fn lay_out(doc: &OfficialReport) -> Result<Vec<Page>> {
    let mut t = Typesetter::new()?;
    t.new_page(false);
    t.letterhead(doc);
    let last = doc.body.len().saturating_sub(1);
    for (i, block) in doc.body.iter().enumerate() {
        // The signature never stands alone on a page: the closing paragraph goes with it.
        if let (true, Block::Paragraph(text)) = (i == last, block) {
            t.ensure(t.paragraph_height(text) + Typesetter::signature_height(doc));
        }
        t.block(block)?;
    }
    t.signature(doc);
    for appendix in &doc.appendices {
        t.new_page(true);
        let column = (t.left(), t.text_width());
        let (bottom, _) = t.centred(
            &[
                (appendix.number.as_str(), Style::Bold, 13.0),
                (appendix.title.as_str(), Style::Bold, 13.0),
                (appendix.attached_to.as_str(), Style::Italic, 12.0),
            ],
            column,
            t.y,
        );
        t.y = bottom + 8.0;
        t.table(&appendix.table);
    }
    t.number_pages();
    Ok(t.pages)
}

/// The report as the bytes of a PDF file.
pub fn pdf_bytes(data: &ReportData) -> Result<Vec<u8>> {
    document_pdf(&OfficialReport::new(data))
}

/// An administrative document (a report, or a letter when its kind is empty) as PDF.
pub(crate) fn document_pdf(doc: &OfficialReport) -> Result<Vec<u8>> {
    let pages = lay_out(doc)?;
    let font = |style| {
        Font::new(font_bytes(style).to_vec().into(), 0).ok_or_else(|| pdf_error("built-in font"))
    };
    let fonts = [
        font(Style::Regular)?,
        font(Style::Bold)?,
        font(Style::Italic)?,
        font(Style::BoldItalic)?,
    ];
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("{} - {}", doc.kind, doc.summary))
            .language("vi".to_string())
            .creator("baocao".to_string())
            .creation_date(pdf_time(doc.generated_at)),
    );
    for page in pages {
        paint(&mut document, page, &fonts)?;
    }
    document
        .finish()
        .map_err(|err| pdf_error(format!("{err:?}")))
}

/// A UTC instant as the PDF's metadata writes it.
fn pdf_time(at: chrono::DateTime<chrono::Utc>) -> krilla::metadata::DateTime {
    use chrono::{Datelike, Timelike};
    // Months, days and clock fields fit in a byte; years in 16 bits until 65535.
    let byte = |n: u32| u8::try_from(n).unwrap_or(0);
    krilla::metadata::DateTime::new(u16::try_from(at.year()).unwrap_or(0))
        .month(byte(at.month()))
        .day(byte(at.day()))
        .hour(byte(at.hour()))
        .minute(byte(at.minute()))
        .second(byte(at.second()))
        .utc_offset_hour(0)
}

fn paint(document: &mut Document, page: Page, fonts: &[Font; 4]) -> Result<()> {
    let settings =
        PageSettings::from_wh(page.size.0, page.size.1).ok_or_else(|| pdf_error("page size"))?;
    let mut pdf_page = document.start_page_with(settings);
    let mut surface = pdf_page.surface();
    for op in page.ops {
        match op {
            Op::Text {
                x,
                y,
                size,
                style,
                text,
            } => surface.draw_text(
                Point::from_xy(x, y),
                fonts[style_index(style)].clone(),
                size,
                &text,
                false,
                TextDirection::Auto,
            ),
            Op::Line { from, to, width } => {
                let mut builder = PathBuilder::new();
                builder.move_to(from.0, from.1);
                builder.line_to(to.0, to.1);
                if let Some(path) = builder.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        width,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                    surface.set_stroke(None);
                    surface.set_fill(Some(krilla::paint::Fill::default()));
                }
            }
            Op::Chart { x, y, width, svg } => {
                let tree = usvg::Tree::from_str(&svg, svg_options()).map_err(pdf_error)?;
                let scale = width / tree.size().width();
                let size = Size::from_wh(width, tree.size().height() * scale)
                    .ok_or_else(|| pdf_error("chart size"))?;
                surface.push_transform(&Transform::from_translate(x, y));
                surface.draw_svg(&tree, size, SvgSettings::default());
                surface.pop();
            }
        }
    }
    surface.finish();
    pdf_page.finish();
    Ok(())
}
