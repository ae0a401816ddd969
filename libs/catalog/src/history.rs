//! The audit trail of one unit: every accepted version of its reports (who, when, through
//! which gateway) and what changed from one version to the next, read from the raw
//! history. The unit code reaches DataFusion as a literal, never as SQL text.

use std::collections::BTreeMap;

use arrow::array::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::prelude::{SessionContext, col, lit};

use crate::Result;

/// Submission columns shown for a version (who and when), not compared.
const WHO: [&str; 10] = [
    "received_at",
    "as_of",
    "authenticated_unit",
    "gateway_id",
    "reporter_name",
    "reporter_position",
    "reporter_phone",
    // What a signed receipt certifies besides the above: the content's digest and where
    // the record is in the reports topic.
    "content_sha256",
    "kafka_partition",
    "kafka_offset",
];

/// Columns that are bookkeeping, not content: never compared.
const NOT_CONTENT: [&str; 9] = [
    "content_sha256",
    "submission_id",
    "unit_code",
    "campaign_id",
    "received_date",
    "schema_version",
    "gateway_tier",
    "kafka_partition",
    "kafka_offset",
];

/// One accepted version of a unit's report.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    /// Its submission id.
    pub submission_id: String,
    /// Its campaign.
    pub campaign_id: String,
    /// Who/when fields (received_at, as_of, authenticated unit, gateway, reporter).
    pub who: BTreeMap<String, String>,
    /// Unit-level content fields.
    pub fields: BTreeMap<String, String>,
    /// Systems by system code, each with its fields.
    pub systems: BTreeMap<String, BTreeMap<String, String>>,
    /// Contents landed under this id for this unit: more than one is a conflict (two
    /// replicas accepted a reused id at once); the first acceptance, shown, is counted.
    pub contents: usize,
}

/// A change between two consecutive versions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A unit-level field changed: (field, before, after).
    Field(String, String, String),
    /// A camera system appeared.
    SystemAdded(String),
    /// A camera system disappeared.
    SystemRemoved(String),
    /// A system's field changed: (system code, field, before, after).
    SystemField(String, String, String, String),
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Field(field, before, after) => write!(f, "{field}: {before} → {after}"),
            Change::SystemAdded(code) => write!(f, "system {code} added"),
            Change::SystemRemoved(code) => write!(f, "system {code} removed"),
            Change::SystemField(code, field, before, after) => {
                write!(f, "system {code}.{field}: {before} → {after}")
            }
        }
    }
}

fn show(value: Option<&String>) -> String {
    match value.map(String::as_str) {
        None | Some("") => "∅".to_string(),
        Some(v) => v.to_string(),
    }
}

/// What changed from `before` to `after` (pure).
pub fn diff(before: &Version, after: &Version) -> Vec<Change> {
    let mut changes = Vec::new();
    for (field, value) in &after.fields {
        if before.fields.get(field) != Some(value) {
            changes.push(Change::Field(
                field.clone(),
                show(before.fields.get(field)),
                show(Some(value)),
            ));
        }
    }
    for (code, fields) in &after.systems {
        match before.systems.get(code) {
            None => changes.push(Change::SystemAdded(code.clone())),
            Some(old) => {
                for (field, value) in fields {
                    if old.get(field) != Some(value) {
                        changes.push(Change::SystemField(
                            code.clone(),
                            field.clone(),
                            show(old.get(field)),
                            show(Some(value)),
                        ));
                    }
                }
            }
        }
    }
    for code in before
        .systems
        .keys()
        .filter(|c| !after.systems.contains_key(*c))
    {
        changes.push(Change::SystemRemoved(code.clone()));
    }
    changes
}

/// Rows of a batch as column → displayed value.
fn rows(batches: &[RecordBatch]) -> Result<Vec<BTreeMap<String, String>>> {
    let options = FormatOptions::default().with_null("");
    let mut out = Vec::new();
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            let mut values = BTreeMap::new();
            for (field, formatter) in batch.schema().fields().iter().zip(&formatters) {
                values.insert(field.name().clone(), formatter.value(row).to_string());
            }
            out.push(values);
        }
    }
    Ok(out)
}

/// Per submission id of `unit`, the distinct contents landed under it (copies landed
/// before digests were recorded count as one content).
async fn contents_per_id(
    ctx: &SessionContext,
    unit: &str,
    campaign: Option<&str>,
) -> Result<BTreeMap<String, usize>> {
    let mut raw = ctx
        .table("submissions_raw")
        .await?
        .filter(col("unit_code").eq(lit(unit)))?;
    if let Some(campaign) = campaign {
        raw = raw.filter(col("campaign_id").eq(lit(campaign)))?;
    }
    let raw = raw
        .filter(col("content_sha256").is_not_null())?
        .select(vec![col("submission_id"), col("content_sha256")])?
        .distinct()?;
    let mut contents: BTreeMap<String, usize> = BTreeMap::new();
    for row in rows(&raw.collect().await?)? {
        *contents
            .entry(row.get("submission_id").cloned().unwrap_or_default())
            .or_default() += 1;
    }
    Ok(contents)
}

/// Every accepted version of `unit`'s reports (optionally of one campaign), oldest first.
/// `ctx` is a catalog session (`catalog::catalog_session`).
pub async fn unit_history(
    ctx: &SessionContext,
    unit: &str,
    campaign: Option<&str>,
) -> Result<Vec<Version>> {
    let mut submissions = ctx
        .table("submissions")
        .await?
        .filter(col("unit_code").eq(lit(unit)))?;
    let mut systems = ctx
        .table("systems")
        .await?
        .filter(col("unit_code").eq(lit(unit)))?;
    if let Some(campaign) = campaign {
        submissions = submissions.filter(col("campaign_id").eq(lit(campaign)))?;
        systems = systems.filter(col("campaign_id").eq(lit(campaign)))?;
    }
    let submissions = rows(
        &submissions
            .sort(vec![
                col("received_at").sort(true, false),
                col("kafka_partition").sort(true, false),
                col("kafka_offset").sort(true, false),
            ])?
            .collect()
            .await?,
    )?;
    let systems = rows(&systems.collect().await?)?;
    let contents = contents_per_id(ctx, unit, campaign).await?;
    let versions = submissions
        .into_iter()
        .map(|row| {
            let id = row.get("submission_id").cloned().unwrap_or_default();
            let mut version = Version {
                submission_id: id.clone(),
                campaign_id: row.get("campaign_id").cloned().unwrap_or_default(),
                who: BTreeMap::new(),
                fields: BTreeMap::new(),
                systems: BTreeMap::new(),
                contents: contents.get(&id).copied().unwrap_or(1),
            };
            for (column, value) in row {
                if WHO.contains(&column.as_str()) {
                    version.who.insert(column, value);
                } else if !NOT_CONTENT.contains(&column.as_str()) {
                    version.fields.insert(column, value);
                }
            }
            for system in systems
                .iter()
                .filter(|s| s.get("submission_id") == Some(&id))
            {
                let code = system.get("system_code").cloned().unwrap_or_default();
                let fields = system
                    .iter()
                    .filter(|(c, _)| {
                        !NOT_CONTENT.contains(&c.as_str())
                            && !matches!(c.as_str(), "system_code" | "received_at")
                    })
                    .map(|(c, v)| (c.clone(), v.clone()))
                    .collect();
                version.systems.insert(code, fields);
            }
            version
        })
        .collect();
    Ok(versions)
}
