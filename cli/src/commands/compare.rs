//! Year over year for the Chairman's report: the earlier campaign a campaign names in
//! `compare_with`, placed on the campaign's map (re-rolled up under its register when it
//! ran on another), rolled up at its own milestone of the same measure at that
//! milestone's report deadline (what was reported then), once per process.

use std::collections::HashMap;

use anyhow::Context;
use baocao_registry::{Campaign, Milestone, Registry};
use baocao_report::ReportData;
use baocao_rollup::{Error as RollupError, RollupOutput, RollupRequest, run_rollup};
use baocao_store::Store;
use tokio::sync::Mutex;

use crate::commands::rollup::registry_on_map;
use crate::config::Config;

/// The earlier campaign of a campaign, ready to roll up on its map.
pub struct EarlierCampaign {
    /// Its registry, placed on the comparing campaign's map.
    registry: Registry,
    /// Its id.
    id: String,
    /// Whether it ran on another register (so it is re-rolled up on this map).
    remapped: bool,
    /// Where its rollups are written: `<out>/under-<register>/`.
    out: Store,
    /// Rollups done, by its milestone id (`None`: nothing of it landed).
    done: Mutex<HashMap<String, Option<RollupOutput>>>,
}

impl EarlierCampaign {
    /// The earlier campaign `campaign` compares with (`compare_with`), if it names one,
    /// placed on `register` (the map `campaign` is rolled up on; `None`: its own); its
    /// rollups go under `out`. Fails when it names an unknown campaign or one of another
    /// province.
    pub fn of(
        config: &Config,
        campaign: &Campaign,
        register: Option<&str>,
        out: &Store,
    ) -> anyhow::Result<Option<Self>> {
        let Some(id) = &campaign.compare_with else {
            return Ok(None);
        };
        let register =
            register.or((!campaign.register.is_empty()).then_some(campaign.register.as_str()));
        let (registry, under) = registry_on_map(config, id, register)
            .with_context(|| format!("campaign {}: compare_with = \"{id}\"", campaign.id))?;
        let earlier = registry.campaign(id).with_context(|| {
            format!(
                "campaign {}: compare_with names no campaign `{id}`",
                campaign.id
            )
        })?;
        anyhow::ensure!(
            earlier.province == campaign.province,
            "campaign {}: compare_with = \"{id}\" is a campaign of province `{}`, not `{}`",
            campaign.id,
            earlier.province,
            campaign.province
        );
        let remapped = under.is_some();
        let under = under.unwrap_or_else(|| format!("under-{}", register.unwrap_or("same")));
        Ok(Some(EarlierCampaign {
            registry,
            id: id.clone(),
            remapped,
            out: out.join(&under),
            done: Mutex::new(HashMap::new()),
        }))
    }

    /// Adds to `data` the comparison with the earlier campaign's milestone of the same
    /// measure as `milestone`; leaves it without one (saying why on stderr) when the
    /// earlier campaign has no such milestone or nothing of it is landed in `landing`.
    pub async fn compare(
        &self,
        data: &mut ReportData,
        milestone: &Milestone,
        landing: &Store,
    ) -> anyhow::Result<()> {
        let campaign = self
            .registry
            .campaign(&self.id)
            .context("earlier campaign")?;
        let Some(earlier) = campaign
            .milestones
            .iter()
            .find(|m| m.measure == milestone.measure)
        else {
            eprintln!(
                "  no year-over-year comparison for {}: campaign {} has no milestone of that measure",
                milestone.id, self.id
            );
            return Ok(());
        };
        let mut done = self.done.lock().await;
        if !done.contains_key(&earlier.id) {
            let output = self.roll_up(campaign, earlier, landing).await?;
            done.insert(earlier.id.clone(), output);
        }
        if let Some(Some(output)) = done.get(&earlier.id) {
            data.compare_with(campaign, earlier, output, self.remapped)?;
        }
        Ok(())
    }

    /// The earlier milestone rolled up at its report deadline; `None` when nothing of
    /// the campaign is landed.
    async fn roll_up(
        &self,
        campaign: &Campaign,
        milestone: &Milestone,
        landing: &Store,
    ) -> anyhow::Result<Option<RollupOutput>> {
        let request = RollupRequest {
            registry: &self.registry,
            campaign,
            milestone,
            cut_off: milestone.report_deadline,
            landing,
            out: &self.out,
            allow_empty: false,
            progress: None,
        };
        match run_rollup(&request).await {
            Ok(output) => Ok(Some(output)),
            Err(err @ RollupError::NothingLanded { .. }) => {
                eprintln!(
                    "  no year-over-year comparison: {}",
                    baocao_errors::Chain(&err)
                );
                Ok(None)
            }
            Err(err) => Err(err).with_context(|| {
                format!(
                    "rolling up {} {} to compare with",
                    campaign.id, milestone.id
                )
            }),
        }
    }
}
