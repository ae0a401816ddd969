//! `baocao bench portal`: what people feel of the web portal. The dashboard page with N
//! concurrent viewers (district offices and DICs, each reloading as soon as a page
//! arrives and walking down to the areas under theirs) on the national workload; then a
//! report form's submit against a gRPC submit of the same reports, paced at the same rate,
//! through the same broker. Every request is a real HTTP or gRPC request over TCP.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use baocao_accounts::{AccountStore, IssuedAccount, Person, Role};
use baocao_kafka::KafkaConfig;
use baocao_portal::{PortalConfig, PortalSources, RunningPortal, start_portal};
use baocao_registry::{Registry, ReportingUnit};
use baocao_rollup::{RollupRequest, run_rollup};
use baocao_store::Store;
use baocao_submission::{CampaignClock, Clock};

use super::kafka::KafkaChoice;
use crate::commands::bench::rig::{Rig, RigSpec, Template, via_gateway};
use crate::commands::bench::web::WebClient;
use crate::commands::bench::{LatencySummary, ms, paced};
use crate::commands::embedded::{
    BrokerProcess, prepare_scratch_dir, registry_and_campaign, start_broker,
};
use crate::commands::r#gen::{NATIONAL_CAMPAIGN, campaign_envelopes, land_without_broker};
use crate::config::Config;
use crate::sysinfo::machine;

/// Flags of `baocao bench portal`.
#[derive(clap::Args)]
pub struct PortalBenchArgs {
    /// A `baocao gen` directory: the national workload the dashboards read.
    #[arg(long, default_value = "state/national")]
    dir: PathBuf,
    /// The dashboards' campaign instead of the `gen` directory's national workload: a
    /// provincial campaign of --data-dir (e.g. `thanh-hoa-2026`, the 2025 map's 166
    /// communes), its planned activity landed directly; the viewers are its province's
    /// department and its communes' (or districts') offices.
    #[arg(long)]
    dashboard_campaign: Option<String>,
    /// Concurrent dashboard viewers (one in five a province's DIC, the others district
    /// offices of those provinces).
    #[arg(long, default_value_t = 50)]
    viewers: usize,
    /// Length of the dashboard run, seconds.
    #[arg(long, default_value_t = 20)]
    view_seconds: u64,
    /// Campaign of the submit runs (registry: --data-dir).
    #[arg(long, default_value = "thanh-hoa-2023")]
    campaign: String,
    /// Clerks submitting in the submit runs (each its own account and unit).
    #[arg(long, default_value_t = 50)]
    clerks: usize,
    /// Offered submissions a second, per path.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Length of each paced submit run, seconds.
    #[arg(long, default_value_t = 10)]
    paced_seconds: u64,
}

pub async fn run(config: &Config, args: PortalBenchArgs) -> anyhow::Result<ExitCode> {
    for (flag, value) in [
        ("--viewers", args.viewers as u64),
        ("--view-seconds", args.view_seconds),
        ("--clerks", args.clerks as u64),
        ("--rate", u64::from(args.rate)),
        ("--paced-seconds", args.paced_seconds),
    ] {
        anyhow::ensure!(value > 0, "{flag} must be at least 1");
    }
    println!("baocao bench portal\n  {}", machine());
    dashboards(config, &args).await?;
    submits(config, &args).await?;
    Ok(ExitCode::SUCCESS)
}

/// A portal producing to `kafka`, with a fresh accounts database in `work`.
async fn portal_on(
    config: &Config,
    work: &Path,
    kafka: &KafkaConfig,
    registry: Arc<Registry>,
    sources: PortalSources,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<RunningPortal> {
    let portal_config = PortalConfig {
        listen: "127.0.0.1:0".into(),
        accounts_db: work.join("accounts.db"),
        // A benchmark sends far more per unit than an honest unit would.
        max_reports_per_unit_per_minute: 0,
        ..config.portal.clone()
    };
    Ok(start_portal(&portal_config, kafka, registry, sources, clock).await?)
}

/// The embedded broker in `work` and a topic of the run's own.
fn broker_in(config: &Config, work: &Path) -> anyhow::Result<(BrokerProcess, KafkaConfig)> {
    let (broker, brokers) = start_broker(work)?;
    let kafka = KafkaConfig {
        brokers,
        reports_topic: format!("baocao.bench.portal.{}", uuid::Uuid::new_v4().simple()),
        create_topic: true,
        ..config.kafka.clone()
    };
    Ok((broker, kafka))
}

/// Issues `people` and signs each in through the pages (one-time password, then the
/// forced change): one signed-in client per person.
async fn sign_in_all(
    portal: &RunningPortal,
    accounts_db: &Path,
    people: Vec<Person>,
) -> anyhow::Result<Vec<WebClient>> {
    let accounts = AccountStore::open(accounts_db, PortalConfig::default().login_policy()).await?;
    let issued = accounts.issue(people, chrono::Utc::now()).await?;
    let mut clients = Vec::with_capacity(issued.len());
    for IssuedAccount {
        account,
        one_time_password,
    } in issued
    {
        let mut client = WebClient::new(&portal.url, &account.unit_code, &account.scope)?;
        client
            .sign_in(&account.username, &one_time_password)
            .await
            .with_context(|| format!("signing in {}", account.username))?;
        clients.push(client);
    }
    Ok(clients)
}

/// The dashboard run: rollups of every milestone of the national campaign, a portal on
/// them, `viewers` signed-in people loading pages in a closed loop.
async fn dashboards(config: &Config, args: &PortalBenchArgs) -> anyhow::Result<()> {
    let work = args.dir.join("bench/portal");
    prepare_scratch_dir(&work, "bench-portal")?;
    let (registry, sources, province) = dashboard_data(config, args, &work).await?;
    let (_broker, kafka) = broker_in(config, &work)?;
    let clock = Arc::new(baocao_submission::SystemClock);
    let portal = portal_on(config, &work, &kafka, registry.clone(), sources, clock).await?;
    let viewers = viewers(&registry, args.viewers, province.as_deref());
    let described = describe_viewers(&viewers);
    let clients = sign_in_all(&portal, &work.join("accounts.db"), viewers).await?;
    println!("  {described}; each reloads as soon as its page arrives");
    if let Some(department) = clients.first() {
        let (plain, gzip) = department.page_weight("/dashboard").await?;
        println!(
            "  the department's dashboard page: {:.0} KiB, {:.0} KiB gzip-compressed",
            plain as f64 / 1024.0,
            gzip as f64 / 1024.0
        );
    }
    let pages = page_walks(&registry, &clients);
    let run = view_loop(clients, pages, Duration::from_secs(args.view_seconds)).await;
    run.print();
    portal.stop().await?;
    Ok(())
}

/// The dashboards' registry and data, every milestone rolled up under `work`: the `gen`
/// directory's national workload, or `--dashboard-campaign`'s planned activity landed
/// into `work` (then also its province, which the viewers are of).
async fn dashboard_data(
    config: &Config,
    args: &PortalBenchArgs,
    work: &Path,
) -> anyhow::Result<(Arc<Registry>, PortalSources, Option<String>)> {
    let started = Instant::now();
    let summaries = Store::local(work.join("summaries"));
    let Some(id) = &args.dashboard_campaign else {
        let registry = Registry::load(args.dir.join("data"))
            .with_context(|| format!("{} is not a `baocao gen` directory", args.dir.display()))?;
        let sources = PortalSources {
            landing: Store::local(args.dir.join("landing")),
            summaries,
        };
        roll_up(&registry, NATIONAL_CAMPAIGN, &sources).await?;
        println!(
            "  dashboards: national workload of {} ({} units), every milestone rolled up in {:.1} s",
            args.dir.display(),
            registry.units().count(),
            started.elapsed().as_secs_f64()
        );
        return Ok((Arc::new(registry), sources, None));
    };
    let (registry, campaign) = registry_and_campaign(config, id)?;
    anyhow::ensure!(
        !campaign.province.is_empty(),
        "--dashboard-campaign {id}: a provincial campaign is needed"
    );
    let (records, _) = campaign_envelopes(&registry, &campaign, 2023);
    let landing = work.join("landing");
    land_without_broker(
        &records,
        &landing,
        5_000,
        &baocao_store::Progress::default(),
    )
    .await?;
    let sources = PortalSources {
        landing: Store::local(landing),
        summaries,
    };
    roll_up(&registry, id, &sources).await?;
    println!(
        "  dashboards: campaign {id} ({} reports of its units landed), every milestone rolled up in {:.1} s",
        records.len(),
        started.elapsed().as_secs_f64()
    );
    Ok((registry, sources, Some(campaign.province.clone())))
}

/// Rolls up every milestone of `campaign` at its report deadline.
async fn roll_up(
    registry: &Registry,
    campaign: &str,
    sources: &PortalSources,
) -> anyhow::Result<()> {
    let campaign = registry
        .campaign(campaign)
        .with_context(|| format!("campaign {campaign}"))?;
    for milestone in &campaign.milestones {
        run_rollup(&RollupRequest {
            registry,
            campaign,
            milestone,
            cut_off: milestone.report_deadline,
            landing: &sources.landing,
            out: &sources.summaries,
            allow_empty: false,
            progress: None,
        })
        .await?;
    }
    Ok(())
}

/// The People's Committees directly under the unit `parent` in the reporting tree (the
/// provinces' under ""), by code.
fn committees_under<'a>(registry: &'a Registry, parent: &str) -> Vec<&'a ReportingUnit> {
    registry
        .children(parent)
        .iter()
        .filter_map(|code| registry.unit(code))
        .filter(|u| u.kind == "people_committee")
        .collect()
}

/// One viewer in five the DIC of a province (an account of its People's Committee,
/// scope the province), the others offices of the areas under those provinces (their
/// People's Committee: a district's on 2023, a commune's on 2025), round robin; only
/// `province`'s when one is given.
fn viewers(registry: &Registry, count: usize, province: Option<&str>) -> Vec<Person> {
    let mut provinces = committees_under(registry, "");
    if let Some(province) = province {
        provinces.retain(|p| p.area_code == province);
    }
    provinces.truncate(count.div_ceil(5).max(1));
    let under: Vec<Vec<&ReportingUnit>> = provinces
        .iter()
        .map(|p| committees_under(registry, &p.code))
        .collect();
    let widest = under.iter().map(Vec::len).max().unwrap_or(0);
    let districts = (0..widest).flat_map(|i| under.iter().filter_map(move |d| d.get(i)));
    let dics = provinces.iter().map(|p| (*p, Role::Province));
    let offices = districts.map(|d| (*d, Role::DistrictOffice));
    dics.chain(offices)
        .take(count)
        .map(|(unit, role)| Person {
            username: format!("bench.{}", unit.code.to_lowercase()),
            full_name: "Cán bộ đo hiệu năng".into(),
            unit_code: unit.code.clone(),
            role,
            scope: unit.area_code.clone(),
            email: String::new(),
            phone: String::new(),
        })
        .collect()
}

fn describe_viewers(viewers: &[Person]) -> String {
    let dics = viewers.iter().filter(|v| v.role == Role::Province).count();
    format!(
        "{} viewers: {dics} with a province's scope (its department), {} with an area's under it (its office)",
        viewers.len(),
        viewers.len() - dics
    )
}

/// Each viewer's pages: their own area's dashboard, then (some of) the areas just under
/// it.
fn page_walks(registry: &Registry, clients: &[WebClient]) -> Vec<Vec<String>> {
    clients
        .iter()
        .map(|client| {
            let below = committees_under(registry, &client.unit);
            std::iter::once("/dashboard".to_string())
                .chain(
                    below
                        .into_iter()
                        .take(12)
                        .map(|u| format!("/dashboard?area={}", u.area_code)),
                )
                .collect()
        })
        .collect()
}

/// Latencies of the pages, split by whether anyone had loaded the page before.
#[derive(Default)]
struct ViewRun {
    first: Vec<Duration>,
    again: Vec<Duration>,
    failures: Vec<String>,
    wall: Duration,
}

impl ViewRun {
    fn print(self) {
        let total = self.first.len() + self.again.len();
        let all: Vec<Duration> = self.first.iter().chain(&self.again).copied().collect();
        println!(
            "    {:<44} {:>7} {:>8} {:>8} {:>8} {:>8}",
            "dashboard page", "pages", "p50 ms", "p95 ms", "p99 ms", "max ms"
        );
        for (name, latencies) in [
            ("first load after a summary (computed)", self.first),
            ("loaded before (kept until the next summary)", self.again),
            ("all", all),
        ] {
            let s = LatencySummary::of(latencies);
            println!(
                "    {name:<44} {:>7} {:>8} {:>8} {:>8} {:>8}",
                s.count,
                ms(s.p50),
                ms(s.p95),
                ms(s.p99),
                ms(s.max)
            );
        }
        println!(
            "    {:.0} pages/s over {:.1} s; {} failed{}",
            total as f64 / self.wall.as_secs_f64().max(f64::EPSILON),
            self.wall.as_secs_f64(),
            self.failures.len(),
            self.failures
                .first()
                .map_or(String::new(), |f| format!(", first: {f}"))
        );
    }
}

/// Every client loads its pages in turn, over and over, until `length` has passed.
async fn view_loop(clients: Vec<WebClient>, pages: Vec<Vec<String>>, length: Duration) -> ViewRun {
    let run = Arc::new(Mutex::new(ViewRun::default()));
    let seen = Arc::new(Mutex::new(HashSet::new()));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (client, pages) in clients.into_iter().zip(pages) {
        let (run, seen) = (run.clone(), seen.clone());
        tasks.spawn(async move {
            for page in pages.iter().cycle() {
                if started.elapsed() >= length {
                    break;
                }
                let key = format!("{}{page}", client.scope);
                let sent = Instant::now();
                let outcome = client.get_page(page).await;
                let latency = sent.elapsed();
                let first = seen.lock().is_ok_and(|mut seen| seen.insert(key));
                if let Ok(mut run) = run.lock() {
                    match outcome {
                        Ok(()) if first => run.first.push(latency),
                        Ok(()) => run.again.push(latency),
                        Err(err) => run.failures.push(format!("{page}: {err:#}")),
                    }
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let mut run = Arc::into_inner(run)
        .and_then(|m| m.into_inner().ok())
        .unwrap_or_default();
    run.wall = started.elapsed();
    run
}

/// The submit runs: one broker, one gateway and one portal of the campaign's busiest
/// tier; the same reports through each, paced.
async fn submits(config: &Config, args: &PortalBenchArgs) -> anyhow::Result<()> {
    let work = args.dir.join("bench/portal-submit");
    prepare_scratch_dir(&work, "bench-portal")?;
    let (registry, campaign) = registry_and_campaign(config, &args.campaign)?;
    let at = super::ingest::clock_at_close(&campaign);
    let clock = Arc::new(CampaignClock::standing_at(at));
    let mut rig = Rig::start(
        config,
        registry.clone(),
        RigSpec {
            dir: &work,
            kafka: &KafkaChoice::default(),
            campaign: &campaign,
            topic: format!("baocao.bench.portal.{}", uuid::Uuid::new_v4().simple()),
            clock: clock.clone(),
            reports_until: at,
        },
    )
    .await?;
    let clerks = clerks(&registry, &mut rig.templates, args.clerks);
    let portal_config_dir = work.join("portal");
    std::fs::create_dir_all(&portal_config_dir)?;
    let sources = PortalSources {
        landing: Store::local(work.join("landing")),
        summaries: Store::local(work.join("summaries")),
    };
    let portal = portal_on(
        config,
        &portal_config_dir,
        &rig.kafka,
        registry.clone(),
        sources,
        clock,
    )
    .await?;
    let clients = sign_in_all(&portal, &portal_config_dir.join("accounts.db"), clerks).await?;
    println!(
        "  submits: campaign {}, {} clerks, {} report templates; {} and a portal on the same broker",
        args.campaign,
        clients.len(),
        rig.templates.len(),
        rig.describe()
    );
    paced_submits(args, &rig, &registry, clients).await?;
    portal.stop().await?;
    rig.gateway.stop().await?;
    Ok(())
}

/// Accounts for the first `count` units of the templates (which are narrowed to them).
fn clerks(registry: &Registry, templates: &mut Vec<Template>, count: usize) -> Vec<Person> {
    let mut units: Vec<String> = templates
        .iter()
        .map(|t| t.report.unit_code.clone())
        .collect();
    units.sort_unstable();
    units.dedup();
    units.truncate(count);
    templates.retain(|t| units.contains(&t.report.unit_code));
    units
        .iter()
        .filter_map(|code| registry.unit(code))
        .map(|unit| Person {
            username: format!("bench.{}", unit.code.to_lowercase()),
            full_name: "Văn thư đo hiệu năng".into(),
            unit_code: unit.code.clone(),
            role: Role::Clerk,
            scope: unit.area_code.clone(),
            email: String::new(),
            phone: String::new(),
        })
        .collect()
}

/// The same reports, fresh ids, through gRPC and through the form, each paced at `rate`.
async fn paced_submits(
    args: &PortalBenchArgs,
    rig: &Rig,
    registry: &Registry,
    clients: Vec<WebClient>,
) -> anyhow::Result<()> {
    let count = (u64::from(args.rate) * args.paced_seconds) as usize;
    let clients: Arc<Vec<WebClient>> = Arc::new(clients);
    let connections = rig.connections(clients.len()).await?;
    let grpc = |items: Vec<Template>| {
        let (send, n) = (via_gateway(connections.clone(), items), connections.len());
        move |item| send(item % n, item)
    };
    // Warm-up: connections, producer ids, the portal's and the gateway's first pages.
    let warm = 200.min(count);
    paced(args.rate, 0..warm, grpc(rig.fresh_reports(warm))).await;
    paced(
        args.rate,
        0..warm,
        via_form(&clients, registry, rig.fresh_reports(warm)),
    )
    .await;
    println!(
        "    paced: {} submissions/s offered for {} s per path (latency from the scheduled send)",
        args.rate, args.paced_seconds
    );
    println!(
        "    {:<32} {:>8} {:>8} {:>8} {:>8} {:>7}",
        "path", "p50 ms", "p95 ms", "p99 ms", "max ms", "failed"
    );
    let through_gateway = paced(args.rate, 0..count, grpc(rig.fresh_reports(count))).await;
    let grpc = print_submits("gRPC → gateway → Kafka", through_gateway);
    let form = paced(
        args.rate,
        0..count,
        via_form(&clients, registry, rig.fresh_reports(count)),
    )
    .await;
    let form = print_submits("form POST → portal → Kafka", form);
    println!(
        "    form p99 / gRPC p99: {:.2}",
        form.p99.as_secs_f64() / grpc.p99.as_secs_f64().max(f64::EPSILON)
    );
    Ok(())
}

fn print_submits(name: &str, sends: super::Sends) -> LatencySummary {
    let s = LatencySummary::of(sends.answered.into_iter().map(|(_, l)| l).collect());
    println!(
        "    {name:<32} {:>8} {:>8} {:>8} {:>8} {:>7}",
        ms(s.p50),
        ms(s.p95),
        ms(s.p99),
        ms(s.max),
        sends.failures.len()
    );
    if let Some(first) = sends.failures.first() {
        println!("      first failure: {first}");
    }
    s
}

fn via_form(
    clients: &Arc<Vec<WebClient>>,
    registry: &Registry,
    items: Vec<Template>,
) -> impl Fn(usize) -> std::pin::Pin<Box<dyn Future<Output = Result<(), String>> + Send>>
+ Clone
+ Send
+ 'static {
    let bodies: Vec<(String, Vec<(String, String)>)> = items
        .iter()
        .map(|t| {
            let unit = &t.report.unit_code;
            let blocks = registry
                .unit(unit)
                .map(|u| registry.indicator_blocks(u))
                .unwrap_or_default();
            let mut input = baocao_portal::ReportInput::from_report(&t.report, blocks);
            // The form carries the id it was opened with: here, the report's fresh one.
            input.submission_id = t.report.submission_id.clone();
            (unit.clone(), input.to_pairs())
        })
        .collect();
    let (clients, bodies) = (clients.clone(), Arc::new(bodies));
    move |item| {
        let (clients, bodies) = (clients.clone(), bodies.clone());
        Box::pin(async move {
            let (unit, pairs) = &bodies[item];
            let client = clients
                .iter()
                .find(|c| &c.unit == unit)
                .ok_or_else(|| format!("no clerk of {unit}"))?;
            client
                .submit_report(pairs)
                .await
                .map_err(|err| format!("{err:#}"))
        })
    }
}
