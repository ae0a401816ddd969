//! A real S3-protocol server for the tests: s3s-fs (crates.io) serving HTTP on 127.0.0.1
//! with signature-checked credentials, as MinIO or a provincial S3 would, storing each
//! object as a file (so a test can see exactly what was written). Also the server of
//! `cargo run --example s3_server`, which uses part of it.

#![allow(dead_code)]

use std::path::PathBuf;

pub const ACCESS_KEY: &str = "baocao-test";
pub const SECRET_KEY: &str = "baocao-test-secret";
pub const BUCKET: &str = "baocao-backup";

/// An S3-compatible server on its own runtime, storing objects as files under `root`.
pub struct S3Server {
    pub endpoint: String,
    root: tempfile::TempDir,
    _runtime: tokio::runtime::Runtime,
}

impl S3Server {
    pub fn start() -> anyhow::Result<Self> {
        use hyper_util::rt::{TokioExecutor, TokioIo};
        use hyper_util::server::conn::auto::Builder as ConnBuilder;
        use s3s::auth::SimpleAuth;
        use s3s::service::S3ServiceBuilder;

        let root = tempfile::tempdir()?;
        std::fs::create_dir(root.path().join(BUCKET))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let endpoint = format!("http://{}", listener.local_addr()?);
        let mut builder = S3ServiceBuilder::new(
            s3s_fs::FileSystem::new(root.path())
                .map_err(|err| anyhow::anyhow!("s3s-fs: {err:?}"))?,
        );
        builder.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        let service = builder.build();
        runtime.spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            while let Ok((socket, _)) = listener.accept().await {
                let connection = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                tokio::spawn(connection);
            }
        });
        Ok(S3Server {
            endpoint,
            root,
            _runtime: runtime,
        })
    }

    /// Where the server keeps the object `key` of the test bucket.
    pub fn object_file(&self, key: &str) -> PathBuf {
        self.root.path().join(BUCKET).join(key)
    }
}

impl S3Server {
    /// The object keys under `prefix` in the test bucket, relative to it, sorted.
    pub fn keys(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        fn walk(
            root: &std::path::Path,
            dir: &std::path::Path,
            out: &mut Vec<String>,
        ) -> anyhow::Result<()> {
            let entries = match std::fs::read_dir(dir) {
                Ok(entries) => entries,
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(err) => return Err(err.into()),
            };
            for entry in entries {
                let path = entry?.path();
                if path.is_dir() {
                    walk(root, &path, out)?;
                } else {
                    out.push(path.strip_prefix(root)?.to_string_lossy().into_owned());
                }
            }
            Ok(())
        }
        let under = self.root.path().join(BUCKET).join(prefix);
        let mut keys = Vec::new();
        walk(&under, &under, &mut keys)?;
        keys.sort();
        Ok(keys)
    }
}
