//! The raw tables as DataFusion reads them: a store registered with the session, a
//! campaign's landed files as a listing table, and queries collected into one batch.
//! Shared by the rollup, its selection and the analysts' catalog.
//!
//! Every raw table is read with its `submission_id` in canonical form (lower-case
//! hyphenated UUID): files landed before the landing wrote canonical ids (capitals,
//! braces, 32 digits without hyphens) then name the same submission as later copies, so
//! a repeat is never counted as a second version, in the rollup, its review decisions
//! and the analysts' SQL alike.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, StringArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, SchemaRef};
use baocao_proto::canonical::{canonical_submission_id, is_canonical_submission_id};
use baocao_store::Store;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion::prelude::{Expr, SessionContext, ident};

use crate::Result;

/// Lets `ctx` read `store` when it is a bucket (a local directory needs nothing).
pub fn register_store(ctx: &SessionContext, store: &Store) {
    if let Some((url, client)) = store.object_store() {
        ctx.runtime_env().register_object_store(&url, client);
    }
}

/// A raw table read from `store` (recursively, `.parquet` only: unfinished `.tmp` files
/// are never read), or an empty table when nothing is landed yet; its `submission_id`
/// (when it has one) read in canonical form.
pub async fn raw_table(
    ctx: &SessionContext,
    store: &Store,
    schema: &SchemaRef,
) -> Result<Arc<dyn TableProvider>> {
    let landed = landed_table(ctx, store, schema).await?;
    if schema.field_with_name(SUBMISSION_ID).is_err() {
        return Ok(landed);
    }
    let canonical = canonical_id_udf();
    let columns: Vec<Expr> = schema
        .fields()
        .iter()
        .map(|field| match field.name().as_str() {
            SUBMISSION_ID => canonical
                .call(vec![ident(SUBMISSION_ID)])
                .alias(SUBMISSION_ID),
            name => ident(name),
        })
        .collect();
    Ok(ctx.read_table(landed)?.select(columns)?.into_view())
}

const SUBMISSION_ID: &str = "submission_id";

/// `canonical_submission_id(text)`: the id in canonical form when it is a UUID, as it is
/// otherwise. A batch that is all canonical already (every file landed since) is passed
/// through without a copy.
fn canonical_id_udf() -> ScalarUDF {
    create_udf(
        "canonical_submission_id",
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let Some(array) = arrays.first() else {
                return Err(datafusion::error::DataFusionError::Internal(
                    "canonical_submission_id takes one argument".into(),
                ));
            };
            let ids = array.as_string::<i32>();
            if ids
                .iter()
                .all(|id| id.is_none_or(is_canonical_submission_id))
            {
                return Ok(ColumnarValue::Array(array.clone()));
            }
            let canonical: StringArray = ids
                .iter()
                .map(|id| {
                    id.map(|id| canonical_submission_id(id).unwrap_or_else(|| id.to_string()))
                })
                .collect();
            Ok(ColumnarValue::Array(Arc::new(canonical) as Arc<dyn Array>))
        }),
    )
}

/// The landed files of a raw table as they are.
async fn landed_table(
    ctx: &SessionContext,
    store: &Store,
    schema: &SchemaRef,
) -> Result<Arc<dyn TableProvider>> {
    if store.list_parquet().await?.is_empty() {
        return Ok(Arc::new(MemTable::try_new(schema.clone(), vec![vec![]])?));
    }
    register_store(ctx, store);
    let url = ListingTableUrl::parse(store.listing_url()?)?;
    let options =
        ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
    let config = ListingTableConfig::new(url)
        .with_listing_options(options)
        .with_schema(schema.clone());
    Ok(Arc::new(ListingTable::try_new(config)?))
}

/// Runs `sql` and returns its result as one batch (empty, with the result's schema, when
/// there are no rows).
pub async fn query(ctx: &SessionContext, sql: &str) -> Result<RecordBatch> {
    let frame = ctx.sql(sql).await?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    Ok(concat_batches(&schema, &batches)?)
}
