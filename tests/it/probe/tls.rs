//! The TLS step against a real rustls server on loopback, with a PKI made by rcgen:
//! root → intermediate → leaf for 127.0.0.1.

use crate::support::probe;

use probe::{rules_fired, serve, Backend};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use wsaudit::providers::probe::{probe, ProbeOptions};

struct Pki {
    root_pem: String,
    intermediate: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
    expired_leaf: CertificateDer<'static>,
    leaf_key: Vec<u8>,
}

fn pki() -> Pki {
    let ca = |cn: &str| {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        p.distinguished_name.push(DnType::CommonName, cn);
        p
    };
    let root = CertifiedIssuer::self_signed(ca("wsaudit test root"), KeyPair::generate().unwrap())
        .unwrap();
    let inter = CertifiedIssuer::signed_by(
        ca("wsaudit test intermediate"),
        KeyPair::generate().unwrap(),
        &root,
    )
    .unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params = |expired: bool| {
        let mut p = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        if expired {
            p.not_before = rcgen::date_time_ymd(2020, 1, 1);
            p.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        p
    };
    let leaf = leaf_params(false).signed_by(&leaf_key, &inter).unwrap();
    let expired_leaf = leaf_params(true).signed_by(&leaf_key, &inter).unwrap();
    Pki {
        root_pem: root.pem(),
        intermediate: inter.der().clone(),
        leaf: leaf.der().clone(),
        expired_leaf: expired_leaf.der().clone(),
        leaf_key: leaf_key.serialize_der(),
    }
}

/// A TLS WebSocket echo server serving exactly `chain`.
async fn tls_server(chain: Vec<CertificateDer<'static>>, key: &[u8]) -> SocketAddr {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.to_vec()));
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(tls) = acceptor.accept(tcp).await {
                    serve(tls, Backend::Echo).await;
                }
            });
        }
    });
    addr
}

fn opts(addr: SocketAddr, ca: Option<&std::path::Path>) -> ProbeOptions {
    let mut o = ProbeOptions::new(format!("wss://{addr}/ws/"));
    o.connect_timeout = Duration::from_secs(5);
    o.ca_file = ca.map(|p| p.to_path_buf());
    o
}

fn write_ca(pki: &Pki) -> tempfile::NamedTempFile {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), &pki.root_pem).unwrap();
    f
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_chain_verifies_and_the_handshake_follows() {
    let pki = pki();
    let ca = write_ca(&pki);
    let addr = tls_server(
        vec![pki.leaf.clone(), pki.intermediate.clone()],
        &pki.leaf_key,
    )
    .await;

    let facts = probe(&opts(addr, Some(ca.path()))).await.expect("probe");
    let url = facts.url.clone();
    let fired = rules_fired(&url, facts.clone());
    assert!(
        !fired.iter().any(|r| r == "WS502" || r == "WS105"),
        "{fired:?}"
    );
    let tls = facts.tls.expect("tls facts");
    assert!(tls.verified, "{tls:?}");
    assert_eq!(tls.error, None);
    assert!(!tls.missing_intermediate && !tls.expired);
    assert_eq!(tls.alpn.as_deref(), Some("http/1.1"));
    assert_eq!(tls.chain.len(), 2);
    assert!(tls.chain[0].subject.contains("127.0.0.1"));
    assert!(tls.chain[0].issuer.contains("wsaudit test intermediate"));
    assert!(tls.chain[1].issuer.contains("wsaudit test root"));
    assert!(
        tls.days_to_expiry.unwrap() > 300,
        "{:?}",
        tls.days_to_expiry
    );
    let hs = facts.handshake.expect("handshake after a verified TLS");
    assert_eq!(hs.status, 101);
    assert!(hs.accept_ok);

    // The same server against the public webpki roots: untrusted, but not called a missing
    // intermediate, because the chain it sends is complete up to a root we do not trust.
    let facts = probe(&opts(addr, None)).await.expect("probe");
    let tls = facts.tls.expect("tls facts");
    assert!(!tls.verified);
    assert!(!tls.missing_intermediate, "{tls:?}");
    assert!(tls.error.unwrap().contains("not trusted"));
    assert!(
        facts.handshake.is_none(),
        "nothing is sent over an unverified connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leaf_only_is_reported_as_a_missing_intermediate() {
    let pki = pki();
    let ca = write_ca(&pki);
    let addr = tls_server(vec![pki.leaf.clone()], &pki.leaf_key).await;

    let facts = probe(&opts(addr, Some(ca.path()))).await.expect("probe");
    assert!(rules_fired(&facts.url.clone(), facts.clone()).contains(&"WS502".to_string()));
    let tls = facts.tls.expect("tls facts");
    assert!(!tls.verified);
    assert!(tls.missing_intermediate, "{tls:?}");
    assert!(!tls.expired);
    assert_eq!(tls.chain.len(), 1);
    let err = tls.error.expect("why");
    assert!(err.contains("intermediate"), "{err}");
    assert!(facts.handshake.is_none());

    // --insecure goes on to the handshake and still reports the broken chain.
    let mut o = opts(addr, Some(ca.path()));
    o.insecure = true;
    let facts = probe(&o).await.expect("probe");
    let tls = facts.tls.expect("tls facts");
    assert!(!tls.verified && tls.missing_intermediate && tls.insecure);
    assert_eq!(facts.handshake.expect("handshake").status, 101);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_leaf_is_reported_as_expired() {
    let pki = pki();
    let ca = write_ca(&pki);
    let addr = tls_server(
        vec![pki.expired_leaf.clone(), pki.intermediate.clone()],
        &pki.leaf_key,
    )
    .await;

    let facts = probe(&opts(addr, Some(ca.path()))).await.expect("probe");
    let fired = rules_fired(&facts.url.clone(), facts.clone());
    assert!(fired.contains(&"WS502".to_string()), "{fired:?}");
    let tls = facts.tls.expect("tls facts");
    assert!(!tls.verified);
    assert!(tls.expired, "{tls:?}");
    assert!(!tls.missing_intermediate);
    assert!(tls.days_to_expiry.unwrap() < -300);
    assert!(tls.chain[0].not_after.starts_with("2021-01-01"), "{tls:?}");
    assert!(tls.error.unwrap().contains("expired"));
}

#[tokio::test]
async fn a_ca_file_without_certificates_is_an_input_error() {
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), "not a certificate").unwrap();
    let err = probe(&opts("127.0.0.1:1".parse().unwrap(), Some(f.path())))
        .await
        .unwrap_err();
    assert!(err.is_input_error(), "{err}");
    assert!(err.to_string().contains("CA file"), "{err}");
}
