//! TLS with rustls: the served chain, its verification, and *why* it fails.
//!
//! rustls only says "UnknownIssuer" for a chain that stops short of a root; operators need to
//! hear "the server sends its leaf without the intermediate", which is a one-line fix in the
//! server config. So verification runs inside a recording verifier that keeps the served chain
//! and the verdict, lets the handshake finish, and the caller decides whether to go on (it only
//! does with `--insecure`): nothing is sent over an unverified connection otherwise.

use super::{IoStream, ProbeError};
use crate::model::{CertSummary, TlsFacts};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use x509_parser::prelude::{FromDer, X509Certificate};

/// Trust roots and the verifier built from them, shared by every connection of one probe.
#[derive(Debug, Clone)]
pub struct TlsSetup {
    provider: Arc<rustls::crypto::CryptoProvider>,
    verifier: Arc<WebPkiServerVerifier>,
    /// DER content (no SEQUENCE header) of every root's subject, to tell a missing
    /// intermediate from an unknown root.
    root_subjects: Vec<Vec<u8>>,
}

impl TlsSetup {
    /// webpki roots, or only the certificates of `ca_file` when given (like curl's `--cacert`).
    pub fn new(ca_file: Option<&Path>) -> Result<Self, ProbeError> {
        let mut roots = RootCertStore::empty();
        match ca_file {
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Some(path) => {
                let ca_err = |reason: String| ProbeError::CaFile {
                    path: path.display().to_string(),
                    reason,
                };
                let certs = CertificateDer::pem_file_iter(path)
                    .map_err(|e| ca_err(e.to_string()))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| ca_err(e.to_string()))?;
                if certs.is_empty() {
                    return Err(ca_err("no PEM certificate in the file".into()));
                }
                for c in certs {
                    roots.add(c).map_err(|e| ca_err(e.to_string()))?;
                }
            }
        }
        let root_subjects = roots
            .roots
            .iter()
            .map(|a| a.subject.as_ref().to_vec())
            .collect();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| ProbeError::TlsSetup(e.to_string()))?;
        Ok(TlsSetup {
            provider,
            verifier,
            root_subjects,
        })
    }
}

/// The outcome of the TLS step: facts always, a stream when the caller may go on.
pub struct TlsOutcome {
    pub facts: TlsFacts,
    pub stream: Option<IoStream>,
    pub elapsed: Duration,
}

/// Runs the TLS handshake over `tcp` and classifies the served chain.
pub async fn handshake(
    setup: &TlsSetup,
    tcp: TcpStream,
    host: &str,
    insecure: bool,
    timeout: Duration,
) -> Result<TlsOutcome, ProbeError> {
    let recorder = Arc::new(Recorder {
        inner: setup.verifier.clone(),
        seen: Mutex::new(None),
    });
    let mut config = ClientConfig::builder_with_provider(setup.provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ProbeError::TlsSetup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    // A WebSocket handshake is HTTP/1.1 (RFC 6455); offering h2 would invite a protocol we do
    // not speak. The answer still shows whether the edge does ALPN at all.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = ServerName::try_from(host.to_string()).map_err(|e| ProbeError::BadUrl {
        url: host.to_string(),
        reason: format!("not a valid TLS server name: {e}"),
    })?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let start = Instant::now();
    let result = tokio::time::timeout(timeout, connector.connect(name, tcp)).await;
    let elapsed = start.elapsed();
    let seen = recorder.seen.lock().map(|mut s| s.take()).unwrap_or(None);
    let mut facts = TlsFacts {
        insecure,
        ..TlsFacts::default()
    };
    if let Some(seen) = &seen {
        classify(setup, seen, &mut facts);
    }
    let stream = match result {
        Err(_) => {
            facts.verified = false;
            facts.error = Some(format!(
                "TLS handshake did not finish within {} ms",
                timeout.as_millis()
            ));
            None
        }
        Ok(Err(e)) => {
            facts.verified = false;
            if facts.error.is_none() {
                facts.error = Some(format!("TLS handshake failed: {e}"));
            }
            None
        }
        Ok(Ok(tls)) => {
            let (_, conn) = tls.get_ref();
            facts.alpn = conn
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned());
            facts.version = conn.protocol_version().map(|v| format!("{v:?}"));
            if facts.verified || insecure {
                Some(Box::new(tls) as IoStream)
            } else {
                None
            }
        }
    };
    Ok(TlsOutcome {
        facts,
        stream,
        elapsed,
    })
}

struct Seen {
    chain: Vec<CertificateDer<'static>>,
    verdict: Result<(), rustls::Error>,
}

#[derive(Debug)]
struct Recorder {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<Seen>>,
}

impl std::fmt::Debug for Seen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Seen")
            .field("certs", &self.chain.len())
            .field("verdict", &self.verdict)
            .finish()
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map(|_| ());
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(Seen { chain, verdict });
        }
        // Accepted here, judged by the caller: see the module comment.
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // The handshake signature proves the server holds the leaf's key: always checked.
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

fn classify(setup: &TlsSetup, seen: &Seen, facts: &mut TlsFacts) {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut parsed = Vec::new();
    for der in &seen.chain {
        match X509Certificate::from_der(der.as_ref()) {
            Ok((_, cert)) => parsed.push(cert),
            Err(e) => {
                facts.error = Some(format!(
                    "the server sent a certificate that does not parse: {e}"
                ));
                return;
            }
        }
    }
    for cert in &parsed {
        let not_after = cert.validity().not_after;
        facts.chain.push(CertSummary {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            not_after: not_after
                .to_datetime()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| not_after.to_string()),
        });
    }
    if let Some(leaf) = parsed.first() {
        let secs = leaf.validity().not_after.timestamp() - now;
        facts.days_to_expiry = Some(secs.div_euclid(86_400));
        facts.expired = secs < 0;
    }
    match &seen.verdict {
        Ok(()) => facts.verified = true,
        Err(e) => {
            facts.verified = false;
            if let rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            ) = e
            {
                facts.expired = true;
            }
            let unknown_issuer = matches!(
                e,
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
            );
            // The chain stops at a leaf (not a CA, not self-signed) whose issuer is no trusted
            // root: the server left out the intermediate(s). A chain that ends at a CA
            // certificate with an unknown issuer is more likely an untrusted (private) root,
            // and is reported as untrusted rather than guessed at.
            let last = parsed.last();
            facts.missing_intermediate = unknown_issuer
                && last.is_some_and(|c| {
                    let issuer = c.issuer().as_raw();
                    !c.is_ca()
                        && issuer != c.subject().as_raw()
                        && !setup
                            .root_subjects
                            .iter()
                            .any(|r| der_content(issuer) == r.as_slice())
                });
            facts.error = Some(if facts.missing_intermediate {
                format!(
                    "incomplete chain: the server sent {} certificate(s) ending at one issued by \
                     `{}`, which is not a trusted root; the intermediate is missing",
                    parsed.len(),
                    last.map(|c| c.issuer().to_string()).unwrap_or_default()
                )
            } else if facts.expired {
                format!("certificate expired: {e}")
            } else {
                format!("certificate not trusted: {e}")
            });
        }
    }
}

/// The content of a DER TLV (tag and length stripped): webpki keeps trust-anchor subjects
/// without the outer SEQUENCE header, x509-parser keeps names with it.
fn der_content(tlv: &[u8]) -> &[u8] {
    if tlv.len() < 2 {
        return tlv;
    }
    let first = tlv[1];
    let header = if first & 0x80 == 0 {
        2
    } else {
        2 + (first & 0x7f) as usize
    };
    tlv.get(header..).unwrap_or(tlv)
}

#[cfg(test)]
mod tests {
    use super::der_content;

    #[test]
    fn strips_short_and_long_der_headers() {
        assert_eq!(der_content(&[0x30, 0x02, 0xaa, 0xbb]), &[0xaa, 0xbb]);
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        assert_eq!(der_content(&long).len(), 0x80);
        assert_eq!(der_content(&[0x30]), &[0x30]);
    }
}
