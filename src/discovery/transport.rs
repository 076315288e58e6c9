//! The app's side of contact discovery's network: PrivacyKit hands it bytes and reads the
//! bytes it returns. A leaf.

/// What the app's transport reports when it cannot deliver. Reasons must not quote request
/// or response bytes.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum TransportError {
    /// No network, a timeout, the server unreachable: retry later.
    #[error("the discovery server is unreachable: {reason}")]
    Unavailable { reason: String },
    /// The server answered with an HTTP status other than success.
    #[error("the discovery server answered HTTP {status}")]
    Http { status: u16 },
    /// Anything else.
    #[error("the discovery transport failed: {reason}")]
    Failed { reason: String },
}

impl From<uniffi::UnexpectedUniFFICallbackError> for TransportError {
    fn from(err: uniffi::UnexpectedUniFFICallbackError) -> Self {
        TransportError::Failed { reason: err.reason }
    }
}

/// Sends discovery messages with the app's own HTTP stack and authentication (OkHttp on
/// Android, URLSession on iOS). Bytes in, bytes out: PrivacyKit does no networking.
///
/// Called without PrivacyKit's lock held, from the thread that called `discover` or
/// `sync_filter`; it may block, and it may call back into PrivacyKit.
#[uniffi::export(foreign)]
pub trait DiscoveryTransport: Send + Sync {
    /// POSTs `request` to the server's evaluation endpoint and returns the response body.
    /// The server answers refusals (budget used up) in the body too, with a success status.
    fn evaluate(&self, request: Vec<u8>) -> Result<Vec<u8>, TransportError>;
    /// GETs the filter for the key `key_id` (hex) since `since_version` (0: the whole
    /// filter) and returns the body.
    fn fetch_filter(&self, key_id: String, since_version: u64) -> Result<Vec<u8>, TransportError>;
}
