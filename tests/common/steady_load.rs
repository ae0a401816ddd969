//! A steady offered load for the fault tests: `rate` reports a second, round-robin over a
//! set of units, each unit's versions sent one after another (a version waits for its
//! predecessor's OK) and a failed attempt retried with the same submission id, as the
//! client contract says. The load does not slow down when answers do: a tick whose unit
//! is still waiting goes to the next free unit.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use baocao_proto::v1::reporting_service_client::ReportingServiceClient;
use baocao_proto::v1::{StatusReport, SubmitReportRequest};
use tokio::task::{JoinHandle, JoinSet};
use tonic::transport::Channel;

use super::{authed, valid_report};

/// HTTP/2 connections the load spreads over (clients of many units share few offices).
const CONNECTIONS: usize = 16;
/// A client's deadline for one attempt, and its pause before a retry.
const ATTEMPT_DEADLINE: Duration = Duration::from_secs(8);
const RETRY_PAUSE: Duration = Duration::from_millis(200);

/// What the load saw.
#[derive(Default)]
pub struct LoadOutcome {
    /// Every submission answered OK: submission id → unit.
    pub ok: BTreeMap<String, String>,
    /// Each unit's cameras in its last version answered OK.
    pub latest_cameras: BTreeMap<String, i64>,
    /// Versions started (the offered load).
    pub offered: usize,
    /// Ticks that found every unit still waiting for an answer.
    pub starved_ticks: usize,
    /// Failed attempts that looked like an outage (retried).
    pub errors: usize,
    /// Answers that were refusals, not outages: each is a test failure.
    pub refusals: Vec<String>,
    /// Versions that never got OK before the load gave up.
    pub unfinished: usize,
    /// OKs in each second since the load started.
    pub oks_per_second: Vec<usize>,
    /// The last outage error seen, for diagnosis.
    pub last_error: Option<String>,
    /// How long the load offered reports.
    pub offered_for: Duration,
}

impl LoadOutcome {
    /// Median OKs per second over seconds `from..to` of the load.
    pub fn median_rate(&self, seconds: std::ops::Range<usize>) -> usize {
        let mut window: Vec<usize> = self
            .oks_per_second
            .get(seconds)
            .map(<[usize]>::to_vec)
            .unwrap_or_default();
        window.sort_unstable();
        window.get(window.len() / 2).copied().unwrap_or(0)
    }
}

/// A load running in the background; [`SteadyLoad::finish`] stops it.
pub struct SteadyLoad {
    started: Instant,
    stop: Arc<AtomicBool>,
    oks: Arc<AtomicUsize>,
    pacer: JoinHandle<LoadOutcome>,
}

/// One unit of the load and what the pacer knows of it.
struct LoadUnit {
    code: String,
    token: String,
    busy: Arc<AtomicBool>,
    versions: i64,
}

impl SteadyLoad {
    /// Starts `rate` reports a second against the gateway at `endpoint`, over `units`
    /// (unit code → token). Version `k` of the `i`th unit has `i % 50 + k + 1` cameras.
    pub fn start(endpoint: &str, units: &BTreeMap<String, String>, rate: u32) -> Self {
        let channels: Vec<Channel> = (0..CONNECTIONS)
            .map(|_| {
                Channel::from_shared(endpoint.to_string())
                    .expect("endpoint URI")
                    .connect_lazy()
            })
            .collect();
        let units: Vec<LoadUnit> = units
            .iter()
            .map(|(code, token)| LoadUnit {
                code: code.clone(),
                token: token.clone(),
                busy: Arc::new(AtomicBool::new(false)),
                versions: 0,
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let oks = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let pacer = tokio::spawn(pace(
            Pacer {
                channels,
                units,
                rate,
                started,
                stop: stop.clone(),
                oks: oks.clone(),
            },
            Arc::new(Mutex::new(LoadOutcome::default())),
        ));
        SteadyLoad {
            started,
            stop,
            oks,
            pacer,
        }
    }

    /// Reports answered OK so far.
    pub fn oks(&self) -> usize {
        self.oks.load(Ordering::SeqCst)
    }

    /// Seconds since the load started.
    pub fn second(&self) -> usize {
        self.started.elapsed().as_secs() as usize
    }

    /// Stops offering, waits for every version in flight (each retried until
    /// [`GIVE_UP_AFTER`]) and gives what the load saw.
    pub async fn finish(self) -> LoadOutcome {
        self.stop.store(true, Ordering::SeqCst);
        self.pacer.await.expect("the load's pacer")
    }
}

/// The pacer's state: who to send to, how fast, and where to count.
struct Pacer {
    channels: Vec<Channel>,
    units: Vec<LoadUnit>,
    rate: u32,
    started: Instant,
    stop: Arc<AtomicBool>,
    oks: Arc<AtomicUsize>,
}

/// Offers a version at every tick until stopped, then waits for those in flight.
async fn pace(mut pacer: Pacer, outcome: Arc<Mutex<LoadOutcome>>) -> LoadOutcome {
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / pacer.rate);
    let mut in_flight = JoinSet::new();
    let mut cursor = 0;
    while !pacer.stop.load(Ordering::SeqCst) {
        ticks.tick().await;
        while in_flight.try_join_next().is_some() {}
        let Some(index) = next_free_unit(&pacer.units, &mut cursor) else {
            outcome.lock().expect("outcome").starved_ticks += 1;
            continue;
        };
        let unit = &mut pacer.units[index];
        unit.busy.store(true, Ordering::SeqCst);
        let mut report = valid_report(&unit.code);
        report.systems[0].camera_count = (index % 50) as i64 + unit.versions + 1;
        report.systems[0].cameras_certified = 0;
        report.systems[0].cameras_on_warning_list = 0;
        unit.versions += 1;
        outcome.lock().expect("outcome").offered += 1;
        in_flight.spawn(send_version(
            Sender {
                channel: pacer.channels[index % CONNECTIONS].clone(),
                token: unit.token.clone(),
                busy: unit.busy.clone(),
                started: pacer.started,
                oks: pacer.oks.clone(),
                outcome: outcome.clone(),
            },
            report,
        ));
    }
    let offered_for = pacer.started.elapsed();
    while in_flight.join_next().await.is_some() {}
    let mut outcome = std::mem::take(&mut *outcome.lock().expect("outcome"));
    outcome.offered_for = offered_for;
    outcome
}

/// The next unit from `cursor` on that is not waiting for an answer.
fn next_free_unit(units: &[LoadUnit], cursor: &mut usize) -> Option<usize> {
    for _ in 0..units.len() {
        let index = *cursor;
        *cursor = (*cursor + 1) % units.len();
        if !units[index].busy.load(Ordering::SeqCst) {
            return Some(index);
        }
    }
    None
}

/// What one version's sender needs.
struct Sender {
    channel: Channel,
    token: String,
    busy: Arc<AtomicBool>,
    started: Instant,
    oks: Arc<AtomicUsize>,
    outcome: Arc<Mutex<LoadOutcome>>,
}

/// How long a version keeps being retried after the load stops offering.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(180);

/// Sends `report` until it is answered OK (retrying outages with the same id), a refusal
/// comes, or [`GIVE_UP_AFTER`] passes; records the answer and frees the unit.
async fn send_version(sender: Sender, report: StatusReport) {
    let give_up_at = Instant::now() + GIVE_UP_AFTER;
    loop {
        let mut client = ReportingServiceClient::new(sender.channel.clone());
        let mut request = authed(
            SubmitReportRequest {
                report: Some(report.clone()),
                validate_only: false,
            },
            &sender.token,
        );
        request.set_timeout(ATTEMPT_DEADLINE);
        let answer = client.submit_report(request).await;
        if record_answer(&sender, &report, answer, give_up_at) {
            break;
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
    sender.busy.store(false, Ordering::SeqCst);
}

/// Records one attempt's answer; whether the version is done (OK, refused or given up).
fn record_answer(
    sender: &Sender,
    report: &StatusReport,
    answer: Result<tonic::Response<baocao_proto::v1::SubmitReportResponse>, tonic::Status>,
    give_up_at: Instant,
) -> bool {
    let mut outcome = sender.outcome.lock().expect("outcome");
    match answer {
        Ok(_) => {
            let second = sender.started.elapsed().as_secs() as usize;
            if outcome.oks_per_second.len() <= second {
                outcome.oks_per_second.resize(second + 1, 0);
            }
            outcome.oks_per_second[second] += 1;
            outcome
                .ok
                .insert(report.submission_id.clone(), report.unit_code.clone());
            outcome
                .latest_cameras
                .insert(report.unit_code.clone(), report.systems[0].camera_count);
            sender.oks.fetch_add(1, Ordering::SeqCst);
            true
        }
        Err(status) if is_outage(&status) => {
            outcome.errors += 1;
            outcome.last_error = Some(format!("{:?}: {}", status.code(), status.message()));
            let given_up = Instant::now() > give_up_at;
            outcome.unfinished += usize::from(given_up);
            given_up
        }
        Err(status) => {
            outcome.refusals.push(format!(
                "{} {}: {:?}: {}",
                report.unit_code,
                report.submission_id,
                status.code(),
                status.message()
            ));
            true
        }
    }
}

/// Whether `status` is what an outage looks like (retry) rather than a refusal.
pub fn is_outage(status: &tonic::Status) -> bool {
    matches!(
        status.code(),
        tonic::Code::Unavailable
            | tonic::Code::DeadlineExceeded
            | tonic::Code::Unknown
            | tonic::Code::Cancelled
    )
}
