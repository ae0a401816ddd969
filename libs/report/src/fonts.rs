//! The report's typeface, built into the binary: Liberation Serif 2.1 (SIL Open Font
//! Licence, `libs/report/fonts/LICENSE`), metric-compatible with the Times New Roman
//! Decree 30/2020/NĐ-CP asks for, with every Vietnamese letter. Used to measure and embed
//! the PDF's text and to draw the charts' labels.

use std::sync::{Arc, OnceLock};

/// Regular, bold, italic, bold italic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// Regular.
    Regular,
    /// Bold.
    Bold,
    /// Italic.
    Italic,
    /// Bold italic.
    BoldItalic,
}

const REGULAR: &[u8] = include_bytes!("../fonts/LiberationSerif-Regular.ttf");
const BOLD: &[u8] = include_bytes!("../fonts/LiberationSerif-Bold.ttf");
const ITALIC: &[u8] = include_bytes!("../fonts/LiberationSerif-Italic.ttf");
const BOLD_ITALIC: &[u8] = include_bytes!("../fonts/LiberationSerif-BoldItalic.ttf");

/// The font file of a style.
pub(crate) fn font_bytes(style: Style) -> &'static [u8] {
    match style {
        Style::Regular => REGULAR,
        Style::Bold => BOLD,
        Style::Italic => ITALIC,
        Style::BoldItalic => BOLD_ITALIC,
    }
}

/// Characters below this code point (Latin, with every Vietnamese letter up to U+1EF9)
/// have their advances precomputed.
const TABLED: u32 = 0x2000;

/// Advance widths of one style, for line breaking.
pub(crate) struct Metrics {
    face: ttf_parser::Face<'static>,
    units_per_em: f32,
    /// Advance of each character below [`TABLED`], in font units.
    advances: Vec<u16>,
}

impl Metrics {
    /// The metrics of `style` (`None` only if the built-in font did not parse).
    pub(crate) fn of(style: Style) -> Option<Metrics> {
        let face = ttf_parser::Face::parse(font_bytes(style), 0).ok()?;
        let units_per_em = f32::from(face.units_per_em());
        let advances = (0..TABLED)
            .map(|code| char::from_u32(code).map_or(0, |c| advance(&face, c)))
            .collect();
        Some(Metrics {
            face,
            units_per_em,
            advances,
        })
    }

    /// Width of `text` at `size` points (advances, without kerning).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| {
                let tabled = self.advances.get(c as usize).copied();
                u32::from(tabled.unwrap_or_else(|| advance(&self.face, c)))
            })
            .sum();
        units as f32 * size / self.units_per_em
    }
}

/// The advance of `c` (of the missing-glyph box when the font lacks it).
fn advance(face: &ttf_parser::Face<'_>, c: char) -> u16 {
    let glyph = face.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
    face.glyph_hor_advance(glyph).unwrap_or(0)
}

/// The chart drawing options: the built-in faces only, so a chart looks the same on any
/// machine.
pub(crate) fn svg_options() -> &'static usvg::Options<'static> {
    static OPTIONS: OnceLock<usvg::Options<'static>> = OnceLock::new();
    OPTIONS.get_or_init(|| {
        let mut fonts = usvg::fontdb::Database::new();
        for style in [
            Style::Regular,
            Style::Bold,
            Style::Italic,
            Style::BoldItalic,
        ] {
            fonts.load_font_data(font_bytes(style).to_vec());
        }
        fonts.set_serif_family("Liberation Serif");
        usvg::Options {
            font_family: "Liberation Serif".to_string(),
            fontdb: Arc::new(fonts),
            ..usvg::Options::default()
        }
    })
}
