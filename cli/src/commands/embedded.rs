//! What the demo and the benchmarks run on embedded defaults: the registry and a
//! campaign, a scratch directory they may replace, and the embedded broker as a child
//! `baocao broker` process (the one start the tests use too, `baocao_broker::BrokerProcess`).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
pub use baocao_broker::BrokerProcess;
use baocao_registry::{Campaign, Registry};
pub use baocao_submission::CampaignClock;

use crate::config::Config;

/// The registry of `data_dir` (`--data-dir`) and one of its campaigns.
pub fn registry_and_campaign(
    config: &Config,
    campaign: &str,
) -> anyhow::Result<(Arc<Registry>, Campaign)> {
    let registry = config.campaign_registry(campaign)?;
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

/// Starts `baocao broker` (this executable) on a free 127.0.0.1 port with its data in
/// `<dir>/broker` and its log in `<dir>/broker.log`; returns the child and its bootstrap
/// address.
pub fn start_broker(dir: &Path) -> anyhow::Result<(BrokerProcess, String)> {
    let broker = BrokerProcess::start(&std::env::current_exe()?, dir)
        .context("starting the embedded broker")?;
    let addr = broker.addr.clone();
    Ok((broker, addr))
}
