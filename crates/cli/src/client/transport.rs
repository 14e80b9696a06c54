//! Opens a byte stream to a broker: TCP, TLS, WebSocket or WebSocket over TLS, split into a
//! reading and a writing half so a slow write never stops reads.

use super::url::BrokerUrl;
use bytes::{Bytes, BytesMut};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::io;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

/// Any byte stream we can run MQTT over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

type Ws = WebSocketStream<Box<dyn Io>>;

/// The reading half of a connection.
pub(crate) enum Reader {
    /// TCP or TLS.
    Stream(ReadHalf<Box<dyn Io>>),
    /// WebSocket: binary messages carry MQTT bytes, framed by MQTT, not by message.
    Ws(SplitStream<Ws>),
}

/// The writing half of a connection.
pub(crate) enum Writer {
    /// TCP or TLS.
    Stream(WriteHalf<Box<dyn Io>>),
    /// WebSocket.
    Ws(SplitSink<Ws, Message>),
}

fn other(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// A TLS configuration trusting `roots`.
fn tls_config_with(roots: rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|b| b.with_root_certificates(roots).with_no_client_auth());
    Arc::new(config.unwrap_or_else(|_| {
        // The ring provider supports the safe defaults; this branch is unreachable in
        // practice, and a config without roots fails every handshake cleanly.
        rustls::ClientConfig::builder()
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth()
    }))
}

/// The TLS configuration of `mqtts://` and `wss://`: the web's root certificates.
pub(crate) fn default_tls() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            tls_config_with(rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
        })
        .clone()
}

/// A TLS configuration trusting only the CA certificates in the PEM file `path` (a private
/// CA, as mosquitto_pub's `--cafile`).
pub(crate) fn tls_trusting(path: &Path) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let what = |e: &dyn std::fmt::Display| {
        format!("cannot read CA certificates from {}: {e}", path.display())
    };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| what(&e))? {
        roots
            .add(cert.map_err(|e| what(&e))?)
            .map_err(|e| what(&e))?;
    }
    if roots.is_empty() {
        return Err(what(&"no certificate in it"));
    }
    Ok(tls_config_with(roots))
}

/// Connects to `url` (over TLS with `tls` for `mqtts://` and `wss://`) and returns the two
/// halves.
pub(crate) async fn open(
    url: &BrokerUrl,
    tls: &Arc<rustls::ClientConfig>,
) -> io::Result<(Reader, Writer)> {
    let tcp = TcpStream::connect((url.host.as_str(), url.port)).await?;
    tcp.set_nodelay(true)?;
    let io: Box<dyn Io> = if url.scheme.is_tls() {
        let name = rustls::pki_types::ServerName::try_from(url.host.clone()).map_err(other)?;
        let tls = tokio_rustls::TlsConnector::from(tls.clone())
            .connect(name, tcp)
            .await?;
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    if !url.scheme.is_websocket() {
        let (r, w) = tokio::io::split(io);
        return Ok((Reader::Stream(r), Writer::Stream(w)));
    }
    let ws_url = format!(
        "{}://{}:{}{}",
        if url.scheme.is_tls() { "wss" } else { "ws" },
        if url.host.contains(':') {
            format!("[{}]", url.host)
        } else {
            url.host.clone()
        },
        url.port,
        url.path
    );
    let mut request = ws_url.into_client_request().map_err(other)?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("mqtt"));
    let (ws, _) = tokio_tungstenite::client_async(request, io)
        .await
        .map_err(other)?;
    let (sink, stream) = ws.split();
    Ok((Reader::Ws(stream), Writer::Ws(sink)))
}

impl Reader {
    /// Appends what arrives next to `buf`; `Ok(false)` when the peer closed the connection.
    pub(crate) async fn read(&mut self, buf: &mut BytesMut) -> io::Result<bool> {
        match self {
            Reader::Stream(r) => {
                buf.reserve(64 * 1024);
                Ok(r.read_buf(buf).await? > 0)
            }
            Reader::Ws(s) => loop {
                match s.next().await {
                    None | Some(Ok(Message::Close(_))) => return Ok(false),
                    Some(Ok(Message::Binary(b))) => {
                        buf.extend_from_slice(&b);
                        return Ok(true);
                    }
                    Some(Ok(Message::Text(_))) => {
                        return Err(other("the broker sent a text WebSocket message"))
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(other(e)),
                }
            },
        }
    }
}

impl Writer {
    /// Writes `bytes` (any number of whole MQTT packets) and flushes.
    pub(crate) async fn write(&mut self, bytes: Bytes) -> io::Result<()> {
        match self {
            Writer::Stream(w) => {
                w.write_all(&bytes).await?;
                w.flush().await
            }
            Writer::Ws(s) => s.send(Message::Binary(bytes)).await.map_err(other),
        }
    }

    /// Closes the connection (best effort).
    pub(crate) async fn close(&mut self) {
        match self {
            Writer::Stream(w) => {
                let _ = w.shutdown().await;
            }
            Writer::Ws(s) => {
                let _ = s.close().await;
            }
        }
    }
}
