//! The analysts' Flight SQL endpoint over TCP with a real Flight SQL client: queries, table
//! listing, subtree scoping (a district analyst never sees another district's rows), and
//! refusal of missing and non-analyst tokens.

use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use arrow_flight::sql::CommandGetTables;
use arrow_flight::sql::client::FlightSqlServiceClient;
use baocao_proto::v1::ReportEnvelope;
use baocao_registry::Registry;
use baocao_rollup::{RollupRequest, run_rollup};
use baocao_store::Store;
use baocao_store::files::write_parquet_atomic;
use baocao_tables::rows::PartitionRows;
use futures::TryStreamExt;
use tonic::transport::Channel;

/// A report of `unit` with one system of `cameras` cameras, received through a commune
/// gateway on 2023-03-10 at 10:00 Vietnam time.
fn envelope(id: &str, unit: &str, cameras: i64) -> ReportEnvelope {
    let as_of = baocao_fixtures::date(2023, 3, 10);
    let systems = baocao_fixtures::systems(&[cameras]);
    let report = baocao_fixtures::report("thanh-hoa-2023", unit, id, as_of, systems);
    let received_at = baocao_fixtures::vietnam_time((2023, 3, 10, 10, 0), 0);
    ReportEnvelope {
        gateway_tier: "commune".into(),
        ..baocao_fixtures::envelope(report, received_at)
    }
}

/// Lands four reports (a provincial unit, a unit and a commune of district 380, a commune
/// of district 381) and rolls up the levels milestone.
async fn prepare(root: &Path, registry: &Registry) -> anyhow::Result<()> {
    let mut rows = PartitionRows::default();
    for (i, (unit, cameras)) in [
        ("38.STTTT", 20),
        ("380.CA", 50),
        ("14755", 10),
        ("14809", 7),
    ]
    .iter()
    .enumerate()
    {
        rows.push(&envelope(&format!("s{i}"), unit, *cameras), 0, i as i64);
    }
    let (submissions, systems) = rows.finish()?;
    let day = chrono::NaiveDate::from_ymd_opt(2023, 3, 10).expect("date");
    let landing = root.join("landing");
    write_parquet_atomic(
        &baocao_tables::layout::partition_dir(&landing, "systems", "thanh-hoa-2023", day)
            .join("part-0.parquet"),
        &systems,
    )?;
    write_parquet_atomic(
        &baocao_tables::layout::partition_dir(&landing, "submissions", "thanh-hoa-2023", day)
            .join("part-0.parquet"),
        &submissions,
    )?;
    let campaign = registry.campaign("thanh-hoa-2023").expect("campaign");
    run_rollup(&RollupRequest {
        registry,
        campaign,
        milestone: campaign.milestone("levels-approved").expect("milestone"),
        cut_off: chrono::NaiveDate::from_ymd_opt(2023, 3, 22).expect("date"),
        landing: &Store::local(&landing),
        out: &Store::local(root.join("summaries")),
        allow_empty: false,
        progress: None,
    })
    .await?;
    Ok(())
}

async fn client(
    addr: std::net::SocketAddr,
    token: Option<&str>,
) -> anyhow::Result<FlightSqlServiceClient<Channel>> {
    let channel = Channel::from_shared(format!("http://{addr}"))?
        .connect()
        .await?;
    let mut client = FlightSqlServiceClient::new(channel);
    if let Some(token) = token {
        client.set_header("authorization", format!("Bearer {token}"));
    }
    Ok(client)
}

async fn query(
    client: &mut FlightSqlServiceClient<Channel>,
    sql: &str,
) -> anyhow::Result<Vec<RecordBatch>> {
    let info = client.execute(sql.to_string(), None).await?;
    let mut batches = Vec::new();
    for endpoint in info.endpoint {
        let ticket = endpoint
            .ticket
            .ok_or_else(|| anyhow::anyhow!("no ticket"))?;
        let stream = client.do_get(ticket).await?;
        batches.extend(stream.try_collect::<Vec<_>>().await?);
    }
    Ok(batches)
}

/// The gRPC status code inside an error of the Flight SQL client.
fn status_code(err: &anyhow::Error) -> Option<tonic::Code> {
    err.chain().find_map(|cause| {
        let nested = match cause.downcast_ref::<arrow::error::ArrowError>() {
            Some(arrow::error::ArrowError::ExternalError(inner)) => {
                Some(inner.as_ref() as &(dyn std::error::Error + 'static))
            }
            _ => None,
        };
        [Some(cause), nested].into_iter().flatten().find_map(|e| {
            e.downcast_ref::<tonic::Status>()
                .map(tonic::Status::code)
                .or_else(
                    || match e.downcast_ref::<arrow_flight::error::FlightError>() {
                        Some(arrow_flight::error::FlightError::Tonic(status)) => {
                            Some(status.code())
                        }
                        _ => None,
                    },
                )
        })
    })
}

async fn single_int(
    client: &mut FlightSqlServiceClient<Channel>,
    sql: &str,
) -> anyhow::Result<i64> {
    let batches = query(client, sql).await?;
    let column = arrow::compute::cast(batches[0].column(0), &DataType::Int64)?;
    Ok(column.as_primitive::<Int64Type>().value(0))
}

/// Prepared data, analyst tokens (national, district 380) and a unit token, and a
/// running endpoint; the temporary directory lives as long as the fixture.
struct Endpoint {
    _root: tempfile::TempDir,
    registry: Arc<Registry>,
    server: baocao_sql::RunningSqlServer,
    national: String,
    district: String,
    unit: String,
}

async fn endpoint() -> anyhow::Result<Endpoint> {
    let root = tempfile::tempdir()?;
    let registry = Arc::new(Registry::load_register(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../data"),
        &baocao_registry::RegisterChoice::Named("2023".to_string()),
    )?);
    prepare(root.path(), &registry).await?;
    let tokens_file = root.path().join("tokens.json");
    let (national, _) = baocao_access::tokens::issue_analyst_token(&tokens_file, "")?;
    let (district, _) = baocao_access::tokens::issue_analyst_token(&tokens_file, "380")?;
    let (unit, _) = baocao_access::tokens::issue_token(&tokens_file, "38.STTTT")?;
    let server = baocao_sql::start_sql_server(
        &baocao_sql::SqlConfig {
            listen: "127.0.0.1:0".to_string(),
            ..Default::default()
        },
        tokens_file,
        registry.clone(),
        baocao_sql::SqlSources {
            landing: Store::local(root.path().join("landing")),
            summaries: Store::local(root.path().join("summaries")),
        },
    )
    .await?;
    Ok(Endpoint {
        _root: root,
        registry,
        server,
        national,
        district,
        unit,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analysts_query_list_tables_and_stay_in_their_scope() -> anyhow::Result<()> {
    let Endpoint {
        _root,
        registry,
        server,
        national,
        district,
        unit,
    } = endpoint().await?;
    let addr = server.local_addr;

    let mut whole = client(addr, Some(&national)).await?;
    assert_eq!(
        single_int(&mut whole, "SELECT count(*) FROM submissions").await?,
        4
    );
    assert_eq!(
        single_int(
            &mut whole,
            "SELECT cameras FROM summaries WHERE tier = 'province' AND code = '38'"
        )
        .await?,
        87
    );
    assert_eq!(
        single_int(&mut whole, "SELECT count(*) FROM units").await?,
        registry.unit_count() as i64
    );

    // Catalog metadata: tools list the tables.
    let info = whole
        .get_tables(CommandGetTables {
            catalog: None,
            db_schema_filter_pattern: None,
            table_name_filter_pattern: None,
            table_types: vec![],
            include_schema: false,
        })
        .await?;
    let ticket = info.endpoint[0].ticket.clone().expect("ticket");
    let tables: Vec<RecordBatch> = whole.do_get(ticket).await?.try_collect().await?;
    let names: Vec<String> = tables
        .iter()
        .flat_map(|b| {
            let column = b
                .column_by_name("table_name")
                .expect("table_name")
                .as_string::<i32>()
                .clone();
            (0..column.len()).map(move |i| column.value(i).to_string())
        })
        .collect();
    for expected in [
        "summaries",
        "units",
        "submissions",
        "unit_state",
        "late_and_missing",
    ] {
        assert!(
            names.contains(&expected.to_string()),
            "{expected} not in {names:?}"
        );
    }

    // The analyst of Thành phố Thanh Hóa (380) sees its units only.
    let mut scoped = client(addr, Some(&district)).await?;
    assert_eq!(
        single_int(&mut scoped, "SELECT count(*) FROM submissions").await?,
        2,
        "380.CA and 14755"
    );
    assert_eq!(
        single_int(
            &mut scoped,
            "SELECT count(*) FROM units WHERE district_code IS DISTINCT FROM '380'"
        )
        .await?,
        0
    );
    assert_eq!(
        single_int(
            &mut scoped,
            "SELECT count(*) FROM summaries WHERE tier = 'province'"
        )
        .await?,
        0
    );
    assert_eq!(
        single_int(
            &mut scoped,
            "SELECT cameras FROM summaries WHERE tier = 'district' AND code = '380'"
        )
        .await?,
        60
    );
    assert_eq!(
        single_int(
            &mut scoped,
            "SELECT count(*) FROM systems WHERE unit_code = '14809'"
        )
        .await?,
        0
    );

    // Time travel: as of 9/3, before any report arrived (10/3).
    let mut then = client(addr, Some(&national)).await?;
    then.set_header("baocao-as-of", "2023-03-09");
    assert_eq!(
        single_int(&mut then, "SELECT count(*) FROM submissions").await?,
        0
    );
    then.set_header("baocao-as-of", "2023-02-30");
    let err = query(&mut then, "SELECT 1")
        .await
        .expect_err("impossible date");
    assert_eq!(
        status_code(&err),
        Some(tonic::Code::InvalidArgument),
        "{err:?}"
    );
    assert!(format!("{err:?}").contains("not a date"), "{err:?}");

    // No token, or a unit's token: refused.
    let mut anonymous = client(addr, None).await?;
    let err = query(&mut anonymous, "SELECT 1")
        .await
        .expect_err("no token");
    assert_eq!(
        status_code(&err),
        Some(tonic::Code::Unauthenticated),
        "{err:?}"
    );
    let mut reporter = client(addr, Some(&unit)).await?;
    let err = query(&mut reporter, "SELECT 1")
        .await
        .expect_err("unit token");
    assert_eq!(
        status_code(&err),
        Some(tonic::Code::PermissionDenied),
        "{err:?}"
    );

    server.stop().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_adbc_connects_queries_lists_tables_and_is_scoped() -> anyhow::Result<()> {
    let Endpoint {
        _root,
        server,
        national,
        district,
        ..
    } = endpoint().await?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/adbc_check.py");
    let uri = format!("grpc://{}", server.local_addr);
    let output = tokio::process::Command::new("python3")
        .arg(&script)
        .args([&uri, &national, &district])
        .output()
        .await?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{}\n{stderr}\n(the Python packages come from scripts/install-deps.sh: pip install adbc-driver-flightsql pyarrow)",
        String::from_utf8_lossy(&output.stdout)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("adbc ok"));
    server.stop().await?;
    Ok(())
}
