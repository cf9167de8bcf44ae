//! An authoritative DNS server on loopback (UDP and TCP, one port) that
//! answers TXT queries from records held in memory, for the local run and
//! the tests: the functions' real resolver (`shared::dns`, hickory-resolver)
//! asks it exactly as it asks Route 53's in AWS. Tests and `local dns`
//! publish and remove records through [`DnsRecords`], and can make a name
//! answer SERVFAIL to stand for a DNS outage.
//!
//! A name it holds no record for is NXDOMAIN; a name it holds TXT records
//! for answers them to a TXT query and nothing (NOERROR) to any other.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use hickory_server::ServerFuture;
use hickory_server::authority::MessageResponseBuilder;
use hickory_server::proto::op::{Header, ResponseCode};
use hickory_server::proto::rr::rdata::TXT;
use hickory_server::proto::rr::{RData, Record, RecordType};
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use tokio::net::{TcpListener, UdpSocket};

/// Time to live of the answers (the functions' resolver caches nothing).
const TTL: u32 = 60;

/// What a name answers.
#[derive(Debug, Clone)]
enum Answer {
    /// These TXT records (one string each).
    Txt(Vec<String>),
    /// SERVFAIL, whatever is asked: a server that cannot answer.
    ServerFailure,
}

/// The records the server answers from, shared with whoever writes them.
#[derive(Debug, Clone, Default)]
pub struct DnsRecords(Arc<RwLock<HashMap<String, Answer>>>);

/// A name as held: lowercase, without the trailing dot.
fn key(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

impl DnsRecords {
    /// Publishes `value` as a TXT record at `name`, beside any already there.
    pub fn add_txt(&self, name: &str, value: &str) {
        let mut records = self.0.write().unwrap_or_else(|e| e.into_inner());
        match records
            .entry(key(name))
            .or_insert_with(|| Answer::Txt(Vec::new()))
        {
            Answer::Txt(values) if !values.iter().any(|v| v == value) => {
                values.push(value.to_owned());
            }
            Answer::Txt(_) => {}
            failing @ Answer::ServerFailure => *failing = Answer::Txt(vec![value.to_owned()]),
        }
    }

    /// Replaces whatever `name` holds with exactly these TXT records.
    pub fn set_txt(&self, name: &str, values: &[&str]) {
        let mut records = self.0.write().unwrap_or_else(|e| e.into_inner());
        records.insert(
            key(name),
            Answer::Txt(values.iter().map(|v| (*v).to_owned()).collect()),
        );
    }

    /// Removes every record at `name` (it answers NXDOMAIN again).
    pub fn remove(&self, name: &str) {
        let mut records = self.0.write().unwrap_or_else(|e| e.into_inner());
        records.remove(&key(name));
    }

    /// Makes `name` answer SERVFAIL (until set or removed).
    pub fn fail(&self, name: &str) {
        let mut records = self.0.write().unwrap_or_else(|e| e.into_inner());
        records.insert(key(name), Answer::ServerFailure);
    }

    /// The TXT records at `name`.
    pub fn txt(&self, name: &str) -> Vec<String> {
        let records = self.0.read().unwrap_or_else(|e| e.into_inner());
        match records.get(&key(name)) {
            Some(Answer::Txt(values)) => values.clone(),
            _ => Vec::new(),
        }
    }

    fn answer(&self, name: &str) -> Option<Answer> {
        let records = self.0.read().unwrap_or_else(|e| e.into_inner());
        records.get(&key(name)).cloned()
    }
}

/// The request handler: answers from [`DnsRecords`].
struct Authority {
    records: DnsRecords,
}

#[async_trait::async_trait]
impl RequestHandler for Authority {
    async fn handle_request<R: ResponseHandler>(
        &self,
        request: &Request,
        mut response_handle: R,
    ) -> ResponseInfo {
        let mut header = Header::response_from_request(request.header());
        header.set_authoritative(true);
        let builder = MessageResponseBuilder::from_message_request(request);
        let Some(query) = request.queries().first() else {
            header.set_response_code(ResponseCode::FormErr);
            return send(&mut response_handle, builder.build_no_records(header)).await;
        };
        let name = query.name().to_string();
        match self.records.answer(&name) {
            None => {
                header.set_response_code(ResponseCode::NXDomain);
                send(&mut response_handle, builder.build_no_records(header)).await
            }
            Some(Answer::ServerFailure) => {
                header.set_response_code(ResponseCode::ServFail);
                send(&mut response_handle, builder.build_no_records(header)).await
            }
            Some(Answer::Txt(values)) if query.query_type() == RecordType::TXT => {
                let owner = query.original().name().clone();
                let answers: Vec<Record> = values
                    .into_iter()
                    .map(|v| Record::from_rdata(owner.clone(), TTL, RData::TXT(TXT::new(vec![v]))))
                    .collect();
                let response = builder.build(header, answers.iter(), [], [], []);
                send(&mut response_handle, response).await
            }
            Some(Answer::Txt(_)) => {
                send(&mut response_handle, builder.build_no_records(header)).await
            }
        }
    }
}

async fn send<'a, R: ResponseHandler>(
    handle: &mut R,
    response: hickory_server::authority::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
    >,
) -> ResponseInfo {
    match handle.send_response(response).await {
        Ok(info) => info,
        Err(e) => {
            tracing::warn!(error = %e, "the DNS stand-in could not answer");
            let mut header = Header::new();
            header.set_response_code(ResponseCode::ServFail);
            header.into()
        }
    }
}

/// A running DNS stand-in; stops when dropped.
pub struct DnsServer {
    /// Where it answers, UDP and TCP (what `DNS_RESOLVER_ADDRESS` names).
    pub addr: SocketAddr,
    /// Its records.
    pub records: DnsRecords,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl DnsServer {
    /// Starts on `addr` (port 0: an ephemeral port, the same for UDP and
    /// TCP) with no records.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        let (udp, tcp) = bind_both(addr).await?;
        let addr = udp.local_addr()?;
        let records = DnsRecords::default();
        let mut server = ServerFuture::new(Authority {
            records: records.clone(),
        });
        server.register_socket(udp);
        server.register_listener(tcp, Duration::from_secs(5));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            tokio::select! {
                done = server.block_until_done() => {
                    if let Err(e) = done {
                        tracing::error!(error = %e, "the DNS stand-in stopped");
                    }
                }
                _ = stopped => {
                    let _ = server.shutdown_gracefully().await;
                }
            }
        });
        Ok(Self {
            addr,
            records,
            stop: Some(stop),
        })
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A UDP socket and a TCP listener on the same port (for port 0, the first
/// ephemeral UDP port whose TCP twin is free too).
async fn bind_both(addr: SocketAddr) -> std::io::Result<(UdpSocket, TcpListener)> {
    let mut last = None;
    for _ in 0..20 {
        let udp = UdpSocket::bind(addr).await?;
        let bound = udp.local_addr()?;
        match TcpListener::bind(bound).await {
            Ok(tcp) => return Ok((udp, tcp)),
            Err(e) if addr.port() == 0 => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free port for the DNS stand-in")))
}
