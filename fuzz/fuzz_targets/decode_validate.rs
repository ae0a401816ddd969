//! Fuzz target: arbitrary bytes as a gRPC `SubmitReportRequest` body → protobuf decode →
//! report validation → the gRPC status a client would get. Whatever the input: no panic,
//! no overflow, every violation names a field under `report`, and the answer stays small.

#![no_main]

use std::sync::OnceLock;

use baocao_gateway::status::invalid_report;
use baocao_rules::validate::{ReportLimits, ValidationContext, validate_report};
use baocao_proto::v1::SubmitReportRequest;
use baocao_registry::Registry;
use prost::Message;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        // The 2023 register: the seeds' campaigns and the corpus's units are on it.
        Registry::load_register(
            concat!(env!("CARGO_MANIFEST_DIR"), "/../data"),
            &baocao_registry::RegisterChoice::Named("2023".to_string()),
        )
        .expect("the shipped registry loads")
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(request) = SubmitReportRequest::decode(data) else {
        return;
    };
    let Some(report) = request.report else {
        return;
    };
    let registry = registry();
    // The gateway validates only reports of known units; an unknown code is checked as
    // the provincial DIC's, so the rest of the input is still exercised.
    let Some(unit) = registry
        .unit(&report.unit_code)
        .or_else(|| registry.unit("38.STTTT"))
    else {
        return;
    };
    let context = ValidationContext {
        registry,
        today: chrono::NaiveDate::from_ymd_opt(2023, 3, 15).expect("a date"),
        limits: ReportLimits::default(),
        encoded_len: data.len(),
    };
    let violations = validate_report(&report, unit, &context);
    assert!(violations.iter().all(|v| v.field.starts_with("report")));
    if !violations.is_empty() {
        let status = invalid_report(&violations);
        assert!(status.message().len() < 64 * 1024);
    }
});
