//! The raw tables as DataFusion reads them: a store registered with the session, a
//! campaign's landed files as a listing table, queries collected into one batch, and the
//! Vietnam-day instants the SQL compares receipts with. Shared by the rollup, the
//! selection ([`crate::latest`]) and the analysts' catalog.

use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use baocao_store::Store;
use chrono::NaiveDate;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::datasource::{MemTable, TableProvider};
use datafusion::prelude::SessionContext;

use crate::Result;

/// The instant a Vietnam calendar day ends (next day 00:00 at UTC+7), in ms since epoch.
pub fn end_of_vietnam_day_ms(day: NaiveDate) -> i64 {
    let next = day
        .succ_opt()
        .unwrap_or(day)
        .and_hms_opt(0, 0, 0)
        .unwrap_or_default();
    next.and_utc().timestamp_millis()
        - i64::from(baocao_registry::VIETNAM_UTC_OFFSET_SECONDS) * 1000
}

/// Lets `ctx` read `store` when it is a bucket (a local directory needs nothing).
pub(crate) fn register_store(ctx: &SessionContext, store: &Store) {
    if let Some((url, client)) = store.object_store() {
        ctx.runtime_env().register_object_store(&url, client);
    }
}

/// A raw table read from `store` (recursively, `.parquet` only: unfinished `.tmp` files
/// are never read), or an empty table when nothing is landed yet.
pub(crate) async fn raw_table(
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

/// The start of a Vietnam calendar day, in ms since the epoch.
pub(crate) fn start_of_vietnam_day_ms(day: NaiveDate) -> i64 {
    day.pred_opt().map_or(i64::MIN, end_of_vietnam_day_ms)
}

/// Runs `sql` and returns its result as one batch (empty, with the result's schema, when
/// there are no rows).
pub(crate) async fn query(ctx: &SessionContext, sql: &str) -> Result<RecordBatch> {
    let frame = ctx.sql(sql).await?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let batches = frame.collect().await?;
    Ok(concat_batches(&schema, &batches)?)
}
