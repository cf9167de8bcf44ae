//! TXT look-ups for domain proofs, with `hickory-resolver`: the same code
//! in AWS (the VPC's, i.e. Route 53's, resolver from the system
//! configuration) and locally (the in-process DNS stand-in named by
//! `DNS_RESOLVER_ADDRESS`). Built once per cold start.
//!
//! Nothing is cached: a proof is only as good as the answer of the moment,
//! and a record just published or just removed must be seen at once.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{
    NameServerConfig, NameServerConfigGroup, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{ResolveError, ResolveErrorKind, TokioResolver};

use crate::deps::MissingSetting;

/// The variable naming the nameserver (`IP:port`); unset, the system's.
pub const RESOLVER_ADDRESS_ENV: &str = "DNS_RESOLVER_ADDRESS";

/// How long one query waits for an answer.
const TIMEOUT: Duration = Duration::from_secs(2);
/// Queries per look-up before it counts as failed.
const ATTEMPTS: usize = 2;

/// What a look-up found at a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxtAnswer {
    /// The TXT records there, each as its strings joined (RFC 7208 style).
    Found(Vec<String>),
    /// Definitely none: the name does not exist (NXDOMAIN) or holds no TXT
    /// record.
    Missing,
}

/// A look-up that could not tell (timeout, SERVFAIL, refused, unreachable
/// server): not an answer, so nothing is concluded from it.
#[derive(Debug, thiserror::Error)]
#[error("DNS look-up of {name} failed: {reason}")]
pub struct LookupFailed {
    /// The name looked up.
    pub name: String,
    /// Why, for the logs.
    pub reason: String,
}

/// The resolver the functions that prove domains use.
#[derive(Clone)]
pub struct TxtResolver {
    inner: TokioResolver,
}

impl std::fmt::Debug for TxtResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxtResolver").finish_non_exhaustive()
    }
}

impl TxtResolver {
    /// The nameserver at `DNS_RESOLVER_ADDRESS` (`IP:port`, UDP and TCP),
    /// else (unset or empty) the system's configuration (`/etc/resolv.conf`; in Lambda, the
    /// Amazon-provided resolver).
    pub fn from_env() -> Result<Self, MissingSetting> {
        // Empty (the template's default) means unset.
        let named = std::env::var(RESOLVER_ADDRESS_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty());
        match named {
            Some(addr) => addr
                .trim()
                .parse::<SocketAddr>()
                .map(Self::at)
                .map_err(|_| MissingSetting(RESOLVER_ADDRESS_ENV)),
            None => Self::system().map_err(|_| MissingSetting(RESOLVER_ADDRESS_ENV)),
        }
    }

    /// A resolver asking only the nameserver at `addr` (UDP, then TCP for
    /// a truncated answer).
    pub fn at(addr: SocketAddr) -> Self {
        let mut servers = NameServerConfigGroup::new();
        servers.push(NameServerConfig::new(addr, Protocol::Udp));
        servers.push(NameServerConfig::new(addr, Protocol::Tcp));
        let config = ResolverConfig::from_parts(None, Vec::new(), servers);
        Self::build(config, ResolverOpts::default())
    }

    /// A resolver with the system's nameservers.
    pub fn system() -> Result<Self, ResolveError> {
        let (config, options) = hickory_resolver::system_conf::read_system_conf()?;
        Ok(Self::build(config, options))
    }

    fn build(config: ResolverConfig, mut options: ResolverOpts) -> Self {
        options.cache_size = 0;
        options.positive_max_ttl = Some(Duration::ZERO);
        options.negative_max_ttl = Some(Duration::ZERO);
        options.timeout = TIMEOUT;
        options.attempts = ATTEMPTS;
        options.use_hosts_file = ResolveHosts::Never;
        // Names are absolute: no search domains.
        options.ndots = 0;
        let inner = TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            .with_options(options)
            .build();
        Self { inner }
    }

    /// The TXT records at `name` (absolute; a trailing dot is added).
    pub async fn txt(&self, name: &str) -> Result<TxtAnswer, LookupFailed> {
        let fqdn = format!("{}.", name.trim_end_matches('.'));
        match self.inner.txt_lookup(fqdn.as_str()).await {
            Ok(lookup) => Ok(TxtAnswer::Found(
                lookup
                    .iter()
                    .map(|txt| {
                        txt.iter()
                            .map(|part| String::from_utf8_lossy(part))
                            .collect::<String>()
                    })
                    .collect(),
            )),
            Err(e) if is_definite_absence(&e) => Ok(TxtAnswer::Missing),
            Err(e) => Err(LookupFailed {
                name: name.to_owned(),
                reason: e.to_string(),
            }),
        }
    }
}

/// NXDOMAIN, or an answer with no TXT record: the server said there is
/// nothing. Anything else (timeouts, SERVFAIL, REFUSED) says nothing.
fn is_definite_absence(error: &ResolveError) -> bool {
    match error.kind() {
        ResolveErrorKind::Proto(proto) => matches!(
            proto.kind(),
            ProtoErrorKind::NoRecordsFound { response_code, .. }
                if *response_code == hickory_resolver::proto::op::ResponseCode::NXDomain
                    || *response_code == hickory_resolver::proto::op::ResponseCode::NoError
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use standins::dns::DnsServer;

    #[tokio::test]
    async fn the_resolver_tells_found_missing_and_undecided_apart() {
        let server = DnsServer::start("127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("the DNS stand-in starts");
        let resolver = TxtResolver::at(server.addr);
        let name = "_groups-challenge.example.com";

        assert_eq!(
            resolver.txt(name).await.expect("an answer"),
            TxtAnswer::Missing,
            "NXDOMAIN"
        );

        server.records.add_txt(name, "v=spf1 -all");
        server
            .records
            .add_txt(name, "groups-domain-verification=ABC");
        let mut found = match resolver.txt(&format!("{name}.")).await {
            Ok(TxtAnswer::Found(texts)) => texts,
            other => panic!("expected the records, got {other:?}"),
        };
        found.sort();
        assert_eq!(found, ["groups-domain-verification=ABC", "v=spf1 -all"]);

        server.records.remove(name);
        assert_eq!(
            resolver.txt(name).await.expect("an answer"),
            TxtAnswer::Missing,
            "a removed record is seen at once: nothing is cached"
        );

        server.records.fail(name);
        let failed = resolver
            .txt(name)
            .await
            .expect_err("SERVFAIL tells nothing");
        assert_eq!(failed.name, name);
    }

    #[tokio::test]
    async fn an_unreachable_server_is_undecided_not_missing() {
        // A bound UDP socket that never answers.
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
        let resolver = TxtResolver::at(silent.local_addr().expect("addr"));
        assert!(resolver.txt("_groups-challenge.example.com").await.is_err());
    }
}
