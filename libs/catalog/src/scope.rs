//! What a scope may see: the one rule, for Flight SQL, `baocao query --scope` and the
//! portal's dashboards alike. An analyst or a dashboard of an area sees the units inside
//! it and the summaries of it and beneath it, never the aggregate above it.

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::datatypes::DataType;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::{Expr, col, lit};

use crate::{Error, Result};

/// What a scope may see, as filters on the catalog's tables: the one place that decides
/// it, for Flight SQL and the portal's dashboards alike. `units` and every table with a
/// `unit_code` keep the units inside the scope; `summaries` keeps the scope's own row and
/// everything beneath it, never the aggregate above it.
pub struct ScopeRule {
    scope: Option<String>,
    unit_codes: Vec<Expr>,
}

impl ScopeRule {
    /// The rule of `scope` (`None`: everything), and the rows of `all_units` (the
    /// `units` table of every unit) inside it.
    pub fn new(all_units: RecordBatch, scope: Option<&str>) -> Result<(ScopeRule, RecordBatch)> {
        let units = scoped_units(all_units, scope)?;
        let unit_codes = match scope {
            Some(_) => unit_code_literals(&units)?,
            None => Vec::new(),
        };
        let rule = ScopeRule {
            scope: scope.map(str::to_string),
            unit_codes,
        };
        Ok((rule, units))
    }

    /// A table with a `unit_code` column, cut to the scope's units.
    pub fn per_unit(&self, frame: DataFrame) -> Result<DataFrame> {
        Ok(match self.scope {
            Some(_) => frame.filter(col("unit_code").in_list(self.unit_codes.clone(), false))?,
            None => frame,
        })
    }

    /// `summaries`, cut to the scope's area and the areas beneath it.
    pub fn summaries(&self, frame: DataFrame) -> Result<DataFrame> {
        Ok(match &self.scope {
            Some(scope) => frame.filter(
                col("province_code")
                    .eq(lit(scope.as_str()))
                    .or(col("district_code").eq(lit(scope.as_str())))
                    .or(col("commune_code").eq(lit(scope.as_str()))),
            )?,
            None => frame,
        })
    }
}

/// The registry's units inside `scope` (all of them without one).
pub(crate) fn scoped_units(units: RecordBatch, scope: Option<&str>) -> Result<RecordBatch> {
    let Some(scope) = scope else {
        return Ok(units);
    };
    let column = |name: &str| -> Result<ArrayRef> {
        let column = units
            .column_by_name(name)
            .ok_or_else(|| Error::Schema(format!("units: no column {name}")))?;
        Ok(arrow::compute::cast(column, &DataType::Utf8)?)
    };
    let (p, d, c) = (
        column("province_code")?,
        column("district_code")?,
        column("commune_code")?,
    );
    let inside: BooleanArray = (0..units.num_rows())
        .map(|i| {
            Some([&p, &d, &c].iter().any(|a| {
                let a = a.as_string::<i32>();
                !a.is_null(i) && a.value(i) == scope
            }))
        })
        .collect();
    Ok(arrow::compute::filter_record_batch(&units, &inside)?)
}

/// The units' codes as SQL literals (the scope filter of every per-unit table).
fn unit_code_literals(units: &RecordBatch) -> Result<Vec<Expr>> {
    let codes = units
        .column_by_name("unit_code")
        .ok_or_else(|| Error::Schema("units: no column unit_code".into()))?
        .as_string_opt::<i32>()
        .ok_or_else(|| Error::Schema("units: unit_code is not a string".into()))?;
    Ok((0..codes.len())
        .map(|i| lit(codes.value(i).to_string()))
        .collect())
}
