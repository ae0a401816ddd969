//! `baocao demo --serve`: after the demo, the web portal on its data, with accounts for
//! a commune clerk, a district office and the DIC whose one-time passwords are printed,
//! until Ctrl-C.

use std::path::Path;
use std::sync::Arc;

use baocao_accounts::{AccountStore, IssuedAccount, Person, Role};
use baocao_kafka::KafkaConfig;
use baocao_portal::{PortalConfig, PortalSources, start_portal};
use baocao_registry::{AdminLevel, Campaign, Registry};
use baocao_store::Store;
use baocao_submission::SystemClock;

use crate::config::Config;

/// The demo's people: a commune People's Committee's clerk, a district office and the
/// campaign's consolidating unit (the DIC), each with a one-time password.
fn demo_people(registry: &Registry, campaign: &Campaign) -> Vec<Person> {
    let in_province = |tier: AdminLevel, kind: &str| {
        let mut units: Vec<_> = registry
            .units()
            .filter(|u| {
                u.tier == tier && u.kind == kind && registry.is_within(u, &campaign.province)
            })
            .collect();
        units.sort_by(|a, b| a.code.cmp(&b.code));
        units.first().map(|u| (*u).clone())
    };
    let person =
        |unit: &baocao_registry::ReportingUnit, role: Role, scope: String, name: &str| Person {
            username: unit.code.to_lowercase(),
            full_name: name.to_string(),
            unit_code: unit.code.clone(),
            role,
            scope,
            email: String::new(),
            phone: String::new(),
        };
    let mut people = Vec::new();
    if let Some(commune) = in_province(AdminLevel::Commune, "people_committee") {
        // On the 2025 map a commune's office also enters its schools' reports.
        let role = if registry.submits_for_others(&commune) {
            Role::DistrictOffice
        } else {
            Role::Clerk
        };
        people.push(person(
            &commune,
            role,
            commune.area_code.clone(),
            "Cán bộ văn phòng UBND xã",
        ));
    }
    if let Some(office) = in_province(AdminLevel::District, "district_office") {
        people.push(person(
            &office,
            Role::DistrictOffice,
            office.area_code.clone(),
            "Cán bộ phòng chuyên môn",
        ));
    }
    if let Some(dic) = registry.unit(&campaign.consolidating_unit) {
        people.push(person(
            dic,
            Role::Province,
            campaign.province.clone(),
            "Cán bộ Sở",
        ));
    }
    people
}

/// Serves the portal on the demo's broker, landing and summaries until Ctrl-C.
pub async fn serve(
    config: &Config,
    kafka: &KafkaConfig,
    registry: Arc<Registry>,
    campaign: &Campaign,
    dir: &Path,
) -> anyhow::Result<()> {
    let portal_config = PortalConfig {
        accounts_db: dir.join("accounts.db"),
        ..config.portal.clone()
    };
    let accounts =
        AccountStore::open(&portal_config.accounts_db, portal_config.login_policy()).await?;
    let issued = accounts
        .issue(demo_people(&registry, campaign), chrono::Utc::now())
        .await?;
    let sources = PortalSources {
        landing: Store::local(dir.join("landing")),
        summaries: Store::local(dir.join("summaries")),
    };
    let portal = start_portal(
        &portal_config,
        kafka,
        registry.clone(),
        sources,
        Arc::new(SystemClock),
    )
    .await?;
    println!(
        "\nportal on {} (Ctrl-C stops it and the broker)",
        portal.url
    );
    for IssuedAccount {
        account,
        one_time_password,
    } in &issued
    {
        println!(
            "  {:<16} {:<26} user {:<14} one-time password {}",
            account.role.label(),
            registry
                .unit(&account.unit_code)
                .map_or(account.unit_code.as_str(), |u| u.name.as_str()),
            account.username,
            one_time_password
        );
    }
    let today = baocao_registry::vietnam_date(chrono::Utc::now());
    let open: Vec<&str> = registry
        .campaigns()
        .iter()
        .filter(|c| c.is_open_on(today))
        .map(|c| c.id.as_str())
        .collect();
    if open.is_empty() {
        println!(
            "  the department's dashboard shows the demo's summaries; no campaign of register {} is open today, so nothing can be reported (the open example is `demo --campaign thanh-hoa-2026 --serve`)",
            registry.register_id().unwrap_or("of this data")
        );
    } else {
        println!(
            "  the department's dashboard shows the demo's summaries; reports can be sent in {}",
            open.join(", ")
        );
    }
    println!(
        "  reports sent here land with `baocao land --kafka-brokers {} --landing-dir {}` (the demo's consumer group: it continues where the demo's landing stopped) and count after `baocao rollup --campaign {} --landing-dir {} --out {}`",
        kafka.brokers,
        dir.join("landing").display(),
        campaign.id,
        dir.join("landing").display(),
        dir.join("summaries").display()
    );
    crate::commands::shutdown_signal().await;
    portal.stop().await?;
    Ok(())
}
