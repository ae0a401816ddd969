//! The `[s3]` section: how to reach an S3-compatible store (AWS, MinIO, Ceph RGW, a
//! provincial cloud) for every `s3://` location baocao is given: `landing.dir`,
//! `rollup.out_dir`, `backup.url`. Credentials never live in the configuration file:
//! they come from the standard `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`
//! environment variables (a Kubernetes Secret).

use object_store::aws::{AmazonS3, AmazonS3Builder};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The `[s3]` section.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// Endpoint of a non-AWS store, e.g. `https://s3.tinh.gov.vn` or
    /// `http://minio:9000`; empty: `AWS_ENDPOINT_URL` or AWS itself.
    pub endpoint: String,
    /// Region; empty: `AWS_REGION`, else `us-east-1` (what most S3-compatible stores
    /// accept).
    pub region: String,
    /// Allow plain `http://` endpoints (a store on the same private network); off by
    /// default, so that credentials never cross a network unencrypted by accident.
    pub allow_http: bool,
}

impl S3Config {
    /// A client for `bucket`. Nothing is contacted yet: a wrong bucket or wrong
    /// credentials show up at the first request, named there.
    pub fn bucket(&self, bucket: &str) -> Result<AmazonS3> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        if !self.endpoint.is_empty() {
            builder = builder.with_endpoint(&self.endpoint);
        }
        if !self.region.is_empty() {
            builder = builder.with_region(&self.region);
        }
        if self.allow_http {
            builder = builder.with_allow_http(true);
        }
        builder.build().map_err(|source| Error::Client {
            key: "s3.endpoint",
            source,
        })
    }
}

/// Splits `s3://bucket/prefix` into the bucket and the prefix (no leading or trailing
/// `/`), or says why it is not one; `key` is the configuration key named in the error.
pub fn parse_s3_url(raw: &str, key: &'static str) -> Result<(String, String)> {
    let bad = |reason: String| Error::Config { key, reason };
    let parsed = url::Url::parse(raw).map_err(|err| bad(format!("{raw:?}: {err}")))?;
    if parsed.scheme() != "s3" {
        return Err(bad(format!("{raw:?} is not an s3:// URL")));
    }
    let bucket = parsed
        .host_str()
        .filter(|b| !b.is_empty())
        .ok_or_else(|| bad(format!("{raw:?} names no bucket (s3://bucket/prefix)")))?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad(format!(
            "{raw:?}: an s3:// location has no query or fragment"
        )));
    }
    let prefix = parsed
        .path()
        .split('/')
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>();
    Ok((bucket.to_string(), prefix.join("/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls_split_into_bucket_and_prefix() -> Result<()> {
        assert_eq!(
            parse_s3_url("s3://tinh/baocao/landing/", "landing.dir")?,
            ("tinh".to_string(), "baocao/landing".to_string())
        );
        assert_eq!(
            parse_s3_url("s3://tinh", "landing.dir")?,
            ("tinh".to_string(), String::new())
        );
        for (bad, reason) in [
            ("s3:///landing", "names no bucket"),
            ("s3://tinh/a?x=1", "no query"),
        ] {
            let err = parse_s3_url(bad, "landing.dir").expect_err(bad).to_string();
            assert!(
                err.contains("landing.dir") && err.contains(reason),
                "{bad}: {err}"
            );
        }
        Ok(())
    }
}
