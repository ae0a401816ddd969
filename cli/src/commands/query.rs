//! `baocao query`: SQL over the catalog (registry, raw history, per-unit state, every
//! summary) with output as a table, CSV, JSON or Parquet; an interactive prompt when no
//! SQL is given.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use arrow::array::RecordBatch;
use baocao_catalog::{CATALOG_TABLES, CatalogSources, catalog_session, run_query};
use baocao_errors::Chain;
use chrono::NaiveDate;
use datafusion::prelude::SessionContext;

use crate::config::Config;

/// Flags of `baocao query`.
#[derive(clap::Args)]
pub struct QueryArgs {
    /// The SQL statement; without it, statements are read from standard input (a prompt
    /// when it is a terminal), each ending with `;`.
    sql: Option<String>,
    /// Output: table, csv, json (one object per line) or parquet (needs --output).
    #[arg(long, default_value = "table", value_parser = ["table", "csv", "json", "parquet"])]
    format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Cut the history at the end of this day (YYYY-MM-DD, Vietnam time): every view of
    /// submissions, systems and unit_state as it stood then.
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Landing directory or `s3://bucket/prefix` (overrides `landing.dir`).
    #[arg(long)]
    landing_dir: Option<String>,
    /// Summaries root, a directory or `s3://bucket/prefix` (overrides `rollup.out_dir`).
    #[arg(long)]
    summaries_dir: Option<String>,
    /// CSV without the UTF-8 byte-order mark (for programs that do not expect one). By
    /// default CSV written to a file or a pipe starts with it, so that Excel on Windows
    /// reads the Vietnamese letters as UTF-8 instead of garbling them.
    #[arg(long)]
    no_bom: bool,
}

/// The UTF-8 byte-order mark: what tells Excel a CSV file is UTF-8.
pub const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fn write_batches(
    batches: &[RecordBatch],
    format: &str,
    bom: bool,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    match format {
        "csv" => {
            if bom {
                out.write_all(UTF8_BOM)?;
            }
            let mut writer = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            for batch in batches {
                writer.write(batch)?;
            }
        }
        "json" => {
            let mut writer = arrow::json::LineDelimitedWriter::new(out);
            for batch in batches {
                writer.write(batch)?;
            }
            writer.finish()?;
        }
        _ => writeln!(
            out,
            "{}",
            arrow::util::pretty::pretty_format_batches(batches)?
        )?,
    }
    Ok(())
}

async fn execute(ctx: &SessionContext, sql: &str, args: &QueryArgs) -> anyhow::Result<usize> {
    let batches = run_query(ctx, sql).await?;
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    match (&args.output, args.format.as_str()) {
        (Some(path), "parquet") => {
            let schema = batches
                .first()
                .map(RecordBatch::schema)
                .context("the query returned no batches to write")?;
            let all = arrow::compute::concat_batches(&schema, &batches)?;
            baocao_store::files::write_parquet_atomic(path, &all)?;
        }
        (None, "parquet") => anyhow::bail!("--format parquet needs --output FILE"),
        (Some(path), format) => {
            let mut file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            write_batches(&batches, format, !args.no_bom, &mut file)?;
        }
        (None, format) => {
            // A person reading CSV on a terminal needs no mark; a file or a pipe does.
            let stdout = std::io::stdout();
            let bom = !args.no_bom && !stdout.is_terminal();
            write_batches(&batches, format, bom, &mut stdout.lock())?
        }
    }
    Ok(rows)
}

pub async fn run(config: &Config, args: QueryArgs) -> anyhow::Result<ExitCode> {
    let registry = config.registry()?;
    let landing = config.landing_store(args.landing_dir.as_deref())?;
    let summaries = config.summaries_store(args.summaries_dir.as_deref())?;
    let ctx = catalog_session(&CatalogSources {
        registry: &registry,
        landing: &landing,
        summaries: &summaries,
        as_of: args.as_of,
        scope: None,
    })
    .await?;

    if let Some(sql) = &args.sql {
        execute(&ctx, sql, &args).await?;
        return Ok(ExitCode::SUCCESS);
    }

    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "baocao SQL over {} and {}; statements end with ';', \\q quits.",
            landing, summaries
        );
        for (table, about) in CATALOG_TABLES {
            eprintln!("  {table:<17} {about}");
        }
    }
    let mut failed = false;
    let mut statement = String::new();
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    loop {
        if interactive {
            eprint!(
                "{}",
                if statement.is_empty() {
                    "baocao> "
                } else {
                    "   ...> "
                }
            );
            std::io::stderr().flush()?;
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        if statement.is_empty() && matches!(line.trim(), "\\q" | "quit" | "exit") {
            break;
        }
        statement.push_str(&line);
        statement.push('\n');
        if !line.trim_end().ends_with(';') {
            continue;
        }
        let sql = std::mem::take(&mut statement);
        match execute(&ctx, sql.trim().trim_end_matches(';'), &args).await {
            Ok(rows) if interactive => eprintln!("({rows} rows)"),
            Ok(_) => {}
            Err(err) => {
                eprintln!("error: {}", Chain(err.as_ref()));
                failed = true;
            }
        }
    }
    Ok(if failed && !interactive {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
