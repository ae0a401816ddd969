//! Spreadsheets in: the offline form a unit or an office fills in Excel or LibreOffice
//! ([`form::write_form`]), and the reading of a filled form — XLSX or CSV — into one report
//! per unit with every problem named by sheet and cell ([`read::read_file`], then
//! [`import::parse`]). The reports then go through the same submission core as any other
//! front door; this crate does no I/O beyond the bytes it is given.

mod cells;
pub mod csv;
pub mod form;
pub mod hostile;
pub mod import;
pub mod layout;
pub mod read;
pub mod send;

pub use form::{FormSpec, FormUnit, write_form};
pub use import::{Parsed, Problem, UnitEntry, derived_submission_id, parse};
pub use read::read_file;
pub use send::{Answer, ImportResult, Outcome, send_units};

/// Why a file could not be read at all (problems of single cells are [`Problem`]s).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file, or one of its parts once unzipped, is larger than allowed.
    #[error("{file}: quá lớn ({bytes} byte; tối đa {max} byte)")]
    TooLarge {
        /// The file (and part).
        file: String,
        /// Its size.
        bytes: u64,
        /// The bound.
        max: u64,
    },
    /// A sheet has more rows or columns than a form can have.
    #[error("{sheet}!{cell}: {reason}")]
    Bounds {
        /// The sheet.
        sheet: String,
        /// The first cell beyond the bound.
        cell: String,
        /// Which bound.
        reason: String,
    },
    /// The file is not UTF-8 text nor an XLSX workbook.
    #[error(
        "{file}, dòng {line}: tệp không ở mã UTF-8 (có thể là TCVN3, VNI hoặc Windows-1258); \
         hãy lưu lại dưới dạng “CSV UTF-8” hoặc .xlsx"
    )]
    Encoding {
        /// The file.
        file: String,
        /// The first line with a byte that is not UTF-8.
        line: usize,
    },
    /// The file is not a readable workbook.
    #[error("{file}: {reason}")]
    Format {
        /// The file (and sheet).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// No sheet of the file has the form's header row.
    #[error(
        "{file}: không tìm thấy trang “Đơn vị” của biểu mẫu (hàng tiêu đề có “Mã đơn vị” và \
         “Số liệu tính đến ngày”); hãy dùng biểu mẫu do baocao tạo (baocao form)"
    )]
    NotAForm {
        /// The file.
        file: String,
    },
    /// The form could not be written.
    #[error("writing the form")]
    Write(#[source] rust_xlsxwriter::XlsxError),
}

/// Result with the sheets [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
