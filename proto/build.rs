//! Generates the baocao.v1 Rust types, the tonic service, serde (protobuf JSON mapping)
//! and the descriptor set for gRPC reflection. protoc is `$PROTOC` when set (e.g. Debian's
//! protobuf-compiler), else the one vendored by `protoc-bin-vendored`; never a download.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    let protos: Vec<PathBuf> = ["report.proto", "envelope.proto", "service.proto"]
        .iter()
        .map(|f| root.join("baocao/v1").join(f))
        .collect();
    for proto in &protos {
        println!("cargo:rerun-if-changed={}", proto.display());
    }
    println!("cargo:rerun-if-env-changed=PROTOC");

    let protoc = match std::env::var_os("PROTOC") {
        Some(path) => PathBuf::from(path),
        None => protoc_bin_vendored::protoc_bin_path()?,
    };
    let well_known = protoc_bin_vendored::include_path()?;
    let descriptor_path = out_dir.join("baocao_v1_descriptor.bin");

    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc);
    tonic_prost_build::configure()
        .file_descriptor_set_path(&descriptor_path)
        .compile_well_known_types(true)
        .codec_path("crate::codec::StrictProstCodec")
        .extern_path(".google.protobuf", "::pbjson_types")
        .compile_with_config(config, &protos, &[root.clone(), well_known])?;

    let descriptor_set = std::fs::read(&descriptor_path)?;
    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_set)?
        .build(&[".baocao"])?;
    Ok(())
}
