//! The rustls client configuration: built-in and extra roots, a client identity, the
//! dangerous no-verification mode, and ALPN.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::TransportError;

/// ALPN protocol ids.
pub(super) const ALPN_H2: &[u8] = b"h2";
pub(super) const ALPN_HTTP1: &[u8] = b"http/1.1";

/// The TLS settings of a transport builder, kept as given until `build`.
#[derive(Clone, Default)]
pub(super) struct TlsOptions {
    /// `false` drops the `webpki-roots` / `native-roots` certificates.
    pub(super) without_built_in_roots: bool,
    /// PEM documents, each with one or more CA certificates.
    pub(super) extra_roots_pem: Vec<Vec<u8>>,
    /// PEM certificate chain and PEM private key.
    pub(super) identity_pem: Option<(Vec<u8>, Vec<u8>)>,
    pub(super) accept_invalid_certs: bool,
    /// A complete configuration given by the caller; only ALPN is set on it.
    pub(super) custom: Option<ClientConfig>,
}

impl fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Counts and flags only: never key material.
        f.debug_struct("TlsOptions")
            .field("built_in_roots", &!self.without_built_in_roots)
            .field("extra_root_pems", &self.extra_roots_pem.len())
            .field("client_identity", &self.identity_pem.is_some())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .field("custom_config", &self.custom.is_some())
            .finish()
    }
}

fn config_error(reason: &'static str, source: Option<crate::BoxError>) -> TransportError {
    TransportError::config(reason, source)
}

impl TlsOptions {
    /// The client configuration these options describe, offering `h2` by ALPN when `http2`.
    pub(super) fn client_config(&self, http2: bool) -> Result<ClientConfig, TransportError> {
        let mut config = match &self.custom {
            Some(custom) => {
                if self.without_built_in_roots
                    || !self.extra_roots_pem.is_empty()
                    || self.identity_pem.is_some()
                    || self.accept_invalid_certs
                {
                    return Err(config_error(
                        "tls_config replaces the root, client certificate and verification \
                         options: set them on the rustls ClientConfig instead",
                        None,
                    ));
                }
                custom.clone()
            }
            None => self.build()?,
        };
        config.alpn_protocols = if http2 {
            vec![ALPN_H2.to_vec(), ALPN_HTTP1.to_vec()]
        } else {
            vec![ALPN_HTTP1.to_vec()]
        };
        Ok(config)
    }

    fn build(&self) -> Result<ClientConfig, TransportError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_safe_default_protocol_versions()
            .map_err(|e| {
                config_error(
                    "the ring crypto provider offers no safe TLS version",
                    Some(Box::new(e)),
                )
            })?;
        let builder = if self.accept_invalid_certs {
            tracing::warn!(
                "TLS certificate verification is OFF (danger_accept_invalid_certs): any server, \
                 and anyone on the path to it, can impersonate the endpoint and read the \
                 credentials and data sent"
            );
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(
                    provider.signature_verification_algorithms,
                )))
        } else {
            builder.with_root_certificates(self.roots()?)
        };
        match &self.identity_pem {
            None => Ok(builder.with_no_client_auth()),
            Some((chain, key)) => {
                let chain = CertificateDer::pem_slice_iter(chain)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| {
                        config_error("the client certificate is not valid PEM", Some(Box::new(e)))
                    })?;
                if chain.is_empty() {
                    return Err(config_error(
                        "the client certificate PEM holds no CERTIFICATE block",
                        None,
                    ));
                }
                // The key's own parse errors are not kept: nothing of the key may be shown.
                let key = PrivateKeyDer::from_pem_slice(key).map_err(|_| {
                    config_error(
                        "the client key PEM holds no usable private key (PKCS#8, PKCS#1 or SEC1)",
                        None,
                    )
                })?;
                builder.with_client_auth_cert(chain, key).map_err(|e| {
                    config_error(
                        "the client certificate and key do not form a usable identity",
                        Some(Box::new(e)),
                    )
                })
            }
        }
    }

    /// The built-in roots (unless turned off) and the extra ones.
    fn roots(&self) -> Result<RootCertStore, TransportError> {
        let mut roots = if self.without_built_in_roots {
            RootCertStore::empty()
        } else {
            built_in_roots()?
        };
        for pem in &self.extra_roots_pem {
            let certificates = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    config_error("a root certificate PEM is not valid PEM", Some(Box::new(e)))
                })?;
            if certificates.is_empty() {
                return Err(config_error(
                    "a root certificate PEM holds no CERTIFICATE block",
                    None,
                ));
            }
            for certificate in certificates {
                roots.add(certificate).map_err(|e| {
                    config_error(
                        "a root certificate is not a usable CA certificate",
                        Some(Box::new(e)),
                    )
                })?;
            }
        }
        if roots.is_empty() {
            return Err(config_error(
                "no root certificates: enable the `webpki-roots` or `native-roots` feature, or \
                 add roots with `add_root_certificates_pem`",
                None,
            ));
        }
        Ok(roots)
    }
}

#[cfg(feature = "native-roots")]
fn built_in_roots() -> Result<RootCertStore, TransportError> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(loaded.certs);
    if added == 0 {
        return Err(config_error(
            "the system certificate store holds no usable root certificate",
            loaded
                .errors
                .into_iter()
                .next()
                .map(|e| Box::new(e) as crate::BoxError),
        ));
    }
    Ok(roots)
}

#[cfg(all(feature = "webpki-roots", not(feature = "native-roots")))]
#[allow(clippy::unnecessary_wraps)]
fn built_in_roots() -> Result<RootCertStore, TransportError> {
    Ok(RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    })
}

#[cfg(not(any(feature = "webpki-roots", feature = "native-roots")))]
#[allow(clippy::unnecessary_wraps)]
fn built_in_roots() -> Result<RootCertStore, TransportError> {
    Ok(RootCertStore::empty())
}

/// Parses a server name override (a DNS name or an IP address).
pub(super) fn server_name(name: &str) -> Result<ServerName<'static>, TransportError> {
    let name = name.trim_start_matches('[').trim_end_matches(']');
    ServerName::try_from(name.to_owned()).map_err(|e| {
        config_error(
            "the TLS server name is neither a DNS name nor an IP address",
            Some(Box::new(e)),
        )
    })
}

/// `danger_accept_invalid_certs`: any certificate chain is accepted for any name. The
/// handshake signatures are still checked, so the peer must hold the key of the certificate
/// it shows (which proves nothing about who it is).
#[derive(Debug)]
struct AcceptAnyCertificate(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}
