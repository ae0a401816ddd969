//! The read side of baocao: everything that reads what the pipeline wrote, without the
//! rollup's computation or the documents. The analysts' catalog ([`session`]), the raw
//! landing tables as DataFusion reads them ([`raw`]), the registry as tables
//! ([`registry_tables`]), the one rule of what a scope may see ([`scope`]), the selection
//! order and views ([`views`]), the names and readers of the rollups' outputs
//! ([`outputs`]) and a column reader that refuses a missing column ([`columns`]).
//! The portal's dashboards, Flight SQL, `baocao query` and the rollup share it.

pub mod columns;
mod error;
pub mod history;
pub mod outputs;
pub mod raw;
pub mod registry_tables;
pub mod scope;
pub mod session;
pub mod views;

pub use columns::Columns;
pub use error::{Error, Result};
pub use outputs::{Conflict, Lineage, RollupOutput, StrayUnit, summary_file};
pub use registry_tables::{campaign_units_batch, units_batch};
pub use scope::ScopeRule;
pub use session::{CATALOG_TABLES, CatalogSources, all_units, catalog_session, run_query};
