//! What the demo and the benchmarks run on embedded defaults: the registry and a
//! campaign, a scratch directory they may replace, the embedded broker as a child `baocao broker` process, and a campaign
//! clock for gateways that replay a past campaign.

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use baocao_gateway::Clock;
use baocao_registry::{Campaign, Registry};
use chrono::{DateTime, Utc};

use crate::config::Config;

/// The registry of `data_dir` (`--data-dir`) and one of its campaigns.
pub fn registry_and_campaign(
    config: &Config,
    campaign: &str,
) -> anyhow::Result<(Arc<Registry>, Campaign)> {
    let registry = Registry::load(&config.data_dir)
        .with_context(|| format!("loading registry from {}", config.data_dir.display()))?;
    let campaign = registry
        .campaign(campaign)
        .with_context(|| format!("unknown campaign `{campaign}`"))?
        .clone();
    Ok((Arc::new(registry), campaign))
}

/// Creates `dir`, replacing it only if it is empty or was made by `owner` (a marker file
/// says so): a mistyped `--dir` never deletes someone's data.
pub fn prepare_scratch_dir(dir: &Path, owner: &str) -> anyhow::Result<()> {
    let marker = format!(".baocao-{owner}");
    if dir.exists() {
        anyhow::ensure!(
            dir.join(&marker).exists() || std::fs::read_dir(dir)?.next().is_none(),
            "{} exists and is not an earlier `baocao {owner}` output; choose another --dir",
            dir.display()
        );
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join(marker),
        format!("output of `baocao {owner}`; safe to delete\n"),
    )?;
    Ok(())
}

/// The embedded broker child process; killed when dropped.
pub struct BrokerChild(std::process::Child);

impl Drop for BrokerChild {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A free `127.0.0.1:<port>` to listen on (the port the kernel picked, released again).
pub fn free_local_addr() -> anyhow::Result<String> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(format!("127.0.0.1:{port}"))
}

/// Waits up to `timeout` until something accepts connections on `addr`; else the error
/// `failure` says.
pub fn wait_for_listener(addr: &str, timeout: Duration, failure: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + timeout;
    while std::net::TcpStream::connect(addr).is_err() {
        anyhow::ensure!(Instant::now() < deadline, "{failure}");
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Starts `baocao broker` on a free 127.0.0.1 port with its data in `<dir>/broker` and
/// its log in `<dir>/broker.log`; returns the child and its bootstrap address.
pub fn start_broker(dir: &Path) -> anyhow::Result<(BrokerChild, String)> {
    let addr = free_local_addr()?;
    let log = std::fs::File::create(dir.join("broker.log"))?;
    let child = std::process::Command::new(std::env::current_exe()?)
        .args(["broker", "--listen", &addr, "--storage-dir"])
        .arg(dir.join("broker"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .context("starting the embedded broker")?;
    let child = BrokerChild(child);
    wait_for_listener(
        &addr,
        Duration::from_secs(20),
        &format!(
            "embedded broker did not start; see {}",
            dir.join("broker.log").display()
        ),
    )?;
    Ok((child, addr))
}

/// A campaign clock: gateways read it instead of the machine's clock, so a past
/// campaign can be replayed. It stands still where it is set, or runs at real speed from
/// a campaign instant ([`CampaignClock::running_from`]).
pub struct CampaignClock {
    /// Campaign time minus machine time, in ms.
    offset_ms: AtomicI64,
    /// Whether the clock follows the machine's clock (else it stands at `offset_ms`).
    running: bool,
}

impl CampaignClock {
    /// A clock standing at `at` until [`CampaignClock::set`].
    pub fn standing_at(at: DateTime<Utc>) -> Self {
        CampaignClock {
            offset_ms: AtomicI64::new(at.timestamp_millis()),
            running: false,
        }
    }

    /// A clock that reads `at` now and advances in real time (the benchmarks' replay).
    #[cfg(feature = "bench")]
    pub fn running_from(at: DateTime<Utc>) -> Self {
        CampaignClock {
            offset_ms: AtomicI64::new(at.timestamp_millis() - Utc::now().timestamp_millis()),
            running: true,
        }
    }

    /// Moves a standing clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        self.offset_ms
            .store(at.timestamp_millis(), Ordering::SeqCst);
    }
}

impl Clock for CampaignClock {
    fn now(&self) -> DateTime<Utc> {
        let offset = self.offset_ms.load(Ordering::SeqCst);
        let ms = if self.running {
            Utc::now().timestamp_millis() + offset
        } else {
            offset
        };
        DateTime::from_timestamp_millis(ms).unwrap_or_default()
    }
}
