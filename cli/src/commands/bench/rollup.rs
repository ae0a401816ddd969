//! `baocao bench rollup`: times the national rollup of one milestone in
//! DataFusion and the same SQL over the same Parquet in DuckDB (PyPI `duckdb`), and checks
//! that both computed the same summary.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::Context;
use arrow::array::RecordBatch;
use arrow::compute::{SortColumn, lexsort_to_indices, take_record_batch};
use baocao_registry::{Campaign, CountBasis, Milestone, Registry};
use baocao_rollup::{RollupRequest, register_per_unit, run_rollup, session};
use baocao_store::Store;
use baocao_store::files::write_parquet_atomic;
use datafusion::prelude::{ParquetReadOptions, SessionContext};

use crate::commands::bench::median;
use crate::commands::r#gen::NATIONAL_CAMPAIGN;
use crate::sysinfo::machine;

/// Flags of `baocao bench rollup`.
#[derive(clap::Args)]
pub struct RollupBenchArgs {
    /// A directory made by `baocao gen`.
    #[arg(long, default_value = "state/national")]
    dir: PathBuf,
    /// Milestone of the national campaign.
    #[arg(long, default_value = "levels-approved")]
    milestone: String,
    /// Timed runs per engine (after one warm-up run).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Skip the DuckDB comparison.
    #[arg(long)]
    no_duckdb: bool,
    /// Print DataFusion's EXPLAIN ANALYZE of each rollup query (where the time goes).
    #[arg(long)]
    explain: bool,
    /// The DuckDB side (`benches/rollup_duckdb.py` of the repository, relative to the
    /// working directory unless absolute).
    #[arg(long, default_value = "benches/rollup_duckdb.py")]
    duckdb_script: PathBuf,
}

/// A summary sorted by (tier, code), every column cast to a common type, so that two
/// engines' outputs compare cell by cell.
async fn canonical(ctx: &SessionContext, table: &str) -> anyhow::Result<RecordBatch> {
    let measures = baocao_rollup::sql::measure_columns()
        .map(|m| format!("CAST({m} AS BIGINT) AS {m}"))
        .collect::<Vec<_>>()
        .join(", ");
    let frame = ctx
        .sql(&format!(
            "SELECT CAST(tier AS VARCHAR) AS tier, CAST(code AS VARCHAR) AS code, {measures} FROM {table}"
        ))
        .await?;
    let batches = frame.collect().await?;
    let schema = batches
        .first()
        .map(|b| b.schema())
        .context("empty summary")?;
    let batch = arrow::compute::concat_batches(&schema, &batches)?;
    let indices = lexsort_to_indices(
        &[
            SortColumn {
                values: batch.column(0).clone(),
                options: None,
            },
            SortColumn {
                values: batch.column(1).clone(),
                options: None,
            },
        ],
        None,
    )?;
    Ok(take_record_batch(&batch, &indices)?)
}

/// Prints EXPLAIN ANALYZE of the per-unit query and of the summary over its result.
async fn explain_rollup(
    registry: &Registry,
    campaign: &baocao_registry::Campaign,
    milestone: &baocao_registry::Milestone,
    landing: &Store,
) -> anyhow::Result<()> {
    let ctx = session(
        registry,
        campaign,
        milestone,
        milestone.report_deadline,
        landing,
    )
    .await?;
    register_per_unit(&ctx, CountBasis::Received).await?;
    for (name, sql) in [
        (
            "per_unit over latest",
            baocao_rollup::sql::per_unit_over_latest_sql(),
        ),
        (
            "summary over per_unit",
            baocao_rollup::sql::summary_over_per_unit_sql(),
        ),
    ] {
        let started = Instant::now();
        let plan = ctx
            .sql(&format!("EXPLAIN ANALYZE {sql}"))
            .await?
            .collect()
            .await?;
        println!(
            "EXPLAIN ANALYZE {name} ({:.3} s):",
            started.elapsed().as_secs_f64()
        );
        println!("{}", arrow::util::pretty::pretty_format_batches(&plan)?);
    }
    Ok(())
}

pub async fn run(args: RollupBenchArgs) -> anyhow::Result<ExitCode> {
    let registry = Registry::load(args.dir.join("data"))
        .with_context(|| format!("{} is not a `baocao gen` directory", args.dir.display()))?;
    let campaign = registry
        .campaign(NATIONAL_CAMPAIGN)
        .context("national campaign")?;
    let milestone = campaign
        .milestone(&args.milestone)
        .with_context(|| format!("no milestone `{}`", args.milestone))?;
    let landing = Store::local(args.dir.join("landing"));
    let bench = args.dir.join("bench");
    let datafusion_out = Store::local(bench.join("datafusion"));
    let cut_off = milestone.report_deadline;
    let request = RollupRequest {
        registry: &registry,
        campaign,
        milestone,
        cut_off,
        landing: &landing,
        out: &datafusion_out,
        allow_empty: false,
        progress: None,
    };

    // DataFusion: the production path (run_rollup), one warm-up then timed runs.
    let warm = run_rollup(&request).await?;
    let mut datafusion_times = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        run_rollup(&request).await?;
        datafusion_times.push(started.elapsed().as_secs_f64());
    }
    let datafusion_median = median(&mut datafusion_times);
    if args.explain {
        explain_rollup(&registry, campaign, milestone, &landing).await?;
    }
    println!(
        "baocao bench rollup: campaign {NATIONAL_CAMPAIGN}, milestone {}, cut-off {cut_off}",
        milestone.id
    );
    println!(
        "  input: {} landed submission rows ({} distinct submissions, {} units reporting), {} units expected; {} landed files",
        warm.lineage.landed_rows,
        warm.lineage.submissions,
        warm.lineage.units,
        registry.expected_units(campaign).count(),
        landing.list_parquet().await?.len()
    );
    println!("  {}", machine());
    println!(
        "  DataFusion (baocao rollup: summary, late-and-missing, lineage): median {:.3} s of {} runs",
        datafusion_median, args.runs
    );
    if args.no_duckdb {
        return Ok(ExitCode::SUCCESS);
    }

    let (summary_median, spec_median) =
        datafusion_summary_times(&args, &registry, campaign, milestone, &bench).await?;
    let (duckdb_median, version, threads) = duckdb_times(&args)?;
    let (ours, mismatch) = compare_summaries(&bench, campaign, milestone).await?;
    let agree = mismatch.is_none();
    print_comparison(
        (summary_median, spec_median, duckdb_median),
        &version,
        threads,
        &ours,
        mismatch.as_deref(),
    );
    Ok(if agree {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The engines' times side by side and whether they agree.
fn print_comparison(
    (summary_median, spec_median, duckdb_median): (f64, f64, f64),
    version: &str,
    threads: usize,
    ours: &RecordBatch,
    mismatch: Option<&str>,
) {
    let agree = mismatch.is_none();
    if let Some(mismatch) = mismatch {
        println!("  first difference: {mismatch}");
    }
    println!(
        "  summary query only, {threads} threads: DataFusion median {:.3} s; DuckDB {version} median {:.3} s; DataFusion/DuckDB = {:.2}",
        summary_median,
        duckdb_median,
        summary_median / duckdb_median
    );
    println!(
        "  the summary SQL text as written (window functions) in DataFusion: median {spec_median:.3} s"
    );
    println!(
        "  agreement: {} ({} summary rows × {} columns compared)",
        if agree {
            "the two engines computed the same summary"
        } else {
            "DISAGREE"
        },
        ours.num_rows(),
        ours.num_columns()
    );
}

/// The summary alone in DataFusion (like for like with DuckDB) and the specification SQL
/// text; exports the units and parameters the DuckDB side reads. Medians in seconds.
async fn datafusion_summary_times(
    args: &RollupBenchArgs,
    registry: &Registry,
    campaign: &Campaign,
    milestone: &Milestone,
    bench: &std::path::Path,
) -> anyhow::Result<(f64, f64)> {
    let cut_off = milestone.report_deadline;
    let landing = Store::local(args.dir.join("landing"));
    // DuckDB: the same summary SQL over the same files, with the same units and
    // parameters (exported from the DataFusion session).
    let ctx = session(registry, campaign, milestone, cut_off, &landing).await?;
    for table in ["units", "rollup_params", "reviews"] {
        let frame = ctx.sql(&format!("SELECT * FROM {table}")).await?;
        let schema = std::sync::Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await?;
        let batch = arrow::compute::concat_batches(&schema, &batches)?;
        write_parquet_atomic(&bench.join(format!("{table}.parquet")), &batch)?;
    }
    std::fs::write(
        bench.join("summary.sql"),
        baocao_rollup::sql::summary_sql(CountBasis::Received),
    )?;
    // The summary alone in DataFusion, for a like-for-like time: the production path
    // (session, selection, per-unit rows, summary), without the files it writes.
    let mut summary_times = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        let ctx = session(registry, campaign, milestone, cut_off, &landing).await?;
        register_per_unit(&ctx, CountBasis::Received).await?;
        ctx.sql(&baocao_rollup::sql::summary_over_per_unit_sql())
            .await?
            .collect()
            .await?;
        summary_times.push(started.elapsed().as_secs_f64());
    }
    // The specification text (SQL windows for the selection) as DataFusion runs it.
    let mut spec_times = Vec::new();
    for _ in 0..args.runs {
        let started = Instant::now();
        ctx.sql(&baocao_rollup::sql::summary_sql(CountBasis::Received))
            .await?
            .collect()
            .await?;
        spec_times.push(started.elapsed().as_secs_f64());
    }
    Ok((median(&mut summary_times), median(&mut spec_times)))
}

/// The DuckDB side (`benches/rollup_duckdb.py`): its median, version and thread count.
fn duckdb_times(args: &RollupBenchArgs) -> anyhow::Result<(f64, String, usize)> {
    let script = &args.duckdb_script;
    anyhow::ensure!(
        script.is_file(),
        "--duckdb-script {}: no such file (run from the repository's root, pass the script's \
         path, or --no-duckdb)",
        script.display()
    );
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let output = Command::new("python3")
        .arg(script)
        .arg("--dir")
        .arg(&args.dir)
        .args(["--campaign", NATIONAL_CAMPAIGN, "--runs"])
        .arg(args.runs.to_string())
        .args(["--threads", &threads.to_string()])
        .output()
        .context("running python3 benches/rollup_duckdb.py (pip install duckdb)")?;
    anyhow::ensure!(
        output.status.success(),
        "DuckDB run failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let duckdb_median = report["median_seconds"].as_f64().unwrap_or(f64::NAN);
    let version = report["duckdb_version"].as_str().unwrap_or("?").to_string();

    Ok((duckdb_median, version, threads))
}

/// Both engines' summaries, canonicalized; the first difference, if any.
async fn compare_summaries(
    bench: &std::path::Path,
    campaign: &Campaign,
    milestone: &Milestone,
) -> anyhow::Result<(RecordBatch, Option<String>)> {
    // Agreement: both summaries, canonicalized, cell by cell.
    let compare = SessionContext::new();
    compare
        .register_parquet(
            "df",
            bench
                .join("datafusion")
                .join(&campaign.id)
                .join(&milestone.id)
                .join("summary.parquet")
                .display()
                .to_string(),
            ParquetReadOptions::default(),
        )
        .await?;
    compare
        .register_parquet(
            "duck",
            bench.join("duckdb_summary.parquet").display().to_string(),
            ParquetReadOptions::default(),
        )
        .await?;
    let ours = canonical(&compare, "df").await?;
    let theirs = canonical(&compare, "duck").await?;
    // Cell by cell (schemas differ only in nullability flags between the writers).
    let mismatch = (ours.num_rows() != theirs.num_rows())
        .then(|| format!("{} rows vs {}", ours.num_rows(), theirs.num_rows()))
        .or_else(|| {
            ours.schema()
                .fields()
                .iter()
                .zip(ours.columns().iter().zip(theirs.columns()))
                .find(|(_, (a, b))| a.to_data() != b.to_data())
                .map(|(field, _)| format!("column {}", field.name()))
        });
    Ok((ours, mismatch))
}
