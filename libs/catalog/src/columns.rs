//! Reading a table's columns by name, loudly: a column that is not there (or not of a
//! castable type) is remembered and [`Columns::finish`] refuses the table, so a figure
//! never quietly becomes 0 or "" because a column was renamed or a file is of another
//! version. The report, the dashboards and the readers of written outputs share it.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use chrono::{DateTime, Utc};

use crate::{Error, Result};

/// The columns of one batch, each cast once to the type it is read as.
pub struct Columns<'a> {
    table: &'a str,
    batch: &'a RecordBatch,
    cast: RefCell<HashMap<(String, DataType), Option<ArrayRef>>>,
    missing: RefCell<BTreeSet<String>>,
}

impl<'a> Columns<'a> {
    /// The columns of `batch`, a batch of `table` (named in the refusal).
    pub fn new(table: &'a str, batch: &'a RecordBatch) -> Self {
        Columns {
            table,
            batch,
            cast: RefCell::new(HashMap::new()),
            missing: RefCell::new(BTreeSet::new()),
        }
    }

    /// Rows of the batch.
    pub fn rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// The column `name` cast to `to`, or `None` (remembered) when it cannot be.
    fn cast(&self, name: &str, to: &DataType) -> Option<ArrayRef> {
        let key = (name.to_string(), to.clone());
        let cast = self
            .cast
            .borrow_mut()
            .entry(key)
            .or_insert_with(|| {
                self.batch
                    .column_by_name(name)
                    .and_then(|c| arrow::compute::cast(c, to).ok())
            })
            .clone();
        if cast.is_none() {
            self.missing.borrow_mut().insert(name.to_string());
        }
        cast
    }

    /// Whether the batch has a column `name` (asking is not reading: nothing is
    /// remembered).
    pub fn has(&self, name: &str) -> bool {
        self.batch.column_by_name(name).is_some()
    }

    /// Text of `name` at `row`; "" for null.
    pub fn string(&self, name: &str, row: usize) -> String {
        self.cast(name, &DataType::Utf8)
            .and_then(|c| {
                let strings = c.as_string::<i32>();
                (!strings.is_null(row)).then(|| strings.value(row).to_string())
            })
            .unwrap_or_default()
    }

    /// Whole number of `name` at `row`; 0 for null (a count of nothing).
    pub fn int(&self, name: &str, row: usize) -> i64 {
        self.cast(name, &DataType::Int64)
            .and_then(|c| {
                let ints = c.as_primitive::<Int64Type>();
                (!ints.is_null(row)).then(|| ints.value(row))
            })
            .unwrap_or(0)
    }

    /// Number of `name` at `row`; `None` for null (a ratio of nothing).
    pub fn float(&self, name: &str, row: usize) -> Option<f64> {
        let floats = self.cast(name, &DataType::Float64)?;
        let floats = floats.as_primitive::<Float64Type>();
        (!floats.is_null(row)).then(|| floats.value(row))
    }

    /// Instant of `name` at `row` (a timestamp or ms since the epoch); `None` for null.
    pub fn timestamp_ms(&self, name: &str, row: usize) -> Option<DateTime<Utc>> {
        let ints = self.cast(name, &DataType::Int64)?;
        let ints = ints.as_primitive::<Int64Type>();
        if ints.is_null(row) {
            return None;
        }
        DateTime::from_timestamp_millis(ints.value(row))
    }

    /// Every value of `name` as text.
    pub fn strings(&self, name: &str) -> Vec<String> {
        (0..self.rows()).map(|row| self.string(name, row)).collect()
    }

    /// Fails when any column read was not there.
    pub fn finish(self) -> Result<()> {
        let missing = self.missing.into_inner();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::Schema(format!(
            "{} has no usable column {}",
            self.table,
            missing.into_iter().collect::<Vec<_>>().join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("systems", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![Some(7), None])),
                Arc::new(StringArray::from(vec![Some("Xã Ái Thượng"), None])),
            ],
        )
        .unwrap_or_else(|err| panic!("batch: {err}"))
    }

    /// A renamed or missing column refuses the table instead of reading 0 or "".
    #[test]
    fn a_missing_column_refuses_the_table() {
        let batch = batch();
        let present = Columns::new("summary.parquet", &batch);
        assert_eq!(present.int("systems", 0), 7);
        assert_eq!(present.int("systems", 1), 0);
        assert_eq!(present.float("systems", 0), Some(7.0));
        assert_eq!(present.float("systems", 1), None);
        assert_eq!(present.strings("name"), ["Xã Ái Thượng", ""]);
        assert!(present.has("name") && !present.has("cameras"));
        assert!(present.finish().is_ok());

        let renamed = Columns::new("summary.parquet", &batch);
        assert_eq!(renamed.int("cameras", 0), 0);
        assert_eq!(renamed.string("code", 0), "");
        let err = renamed
            .finish()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert_eq!(
            err,
            "internal table: summary.parquet has no usable column cameras, code"
        );
    }
}
