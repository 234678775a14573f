//! A TLS host's connections, watched for the failure that ended them.
//!
//! In TLS 1.3 the daemon judges the client certificate after the client has finished its side
//! of the handshake: the connection is handed to hyper as ready, and the daemon's refusal (an
//! alert) arrives on the connection's first read. When hyper's connection task reads it before
//! the request is written, the request fails as "connection was not ready", a cancellation
//! that carries no cause; the alert itself ended only the connection task. So every read and
//! write of a TLS host's connections goes through [`Watched`], which keeps the last TLS error
//! one met in the host's [`LastFailure`]; a failed request that carries no TLS error of its own
//! is explained by one met since it started.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection};

/// The last TLS error a host's connections met, and when.
#[derive(Clone, Debug, Default)]
pub(super) struct LastFailure(Arc<Mutex<Option<(Instant, rustls::Error)>>>);

impl LastFailure {
    /// Keeps `error`'s TLS error, when it is one.
    fn note(&self, error: &io::Error) {
        let Some(found) = super::tls::rustls_error(error) else {
            return;
        };
        if let Ok(mut last) = self.0.lock() {
            *last = Some((Instant::now(), found.clone()));
        }
    }

    /// The TLS error met within the last `within`, taken (a later failure is not explained by
    /// it again).
    pub(super) fn take_within(&self, within: Duration) -> Option<rustls::Error> {
        let (at, error) = self.0.lock().ok()?.take()?;
        (at.elapsed() <= within).then_some(error)
    }
}

/// A connector whose connections are [`Watched`], all into one [`LastFailure`].
#[derive(Clone, Debug)]
pub(super) struct Watching<C> {
    inner: C,
    last: LastFailure,
}

impl<C> Watching<C> {
    pub(super) fn new(inner: C, last: LastFailure) -> Self {
        Self { inner, last }
    }
}

impl<C> tower_service::Service<Uri> for Watching<C>
where
    C: tower_service::Service<Uri>,
    C::Future: Send + 'static,
{
    type Response = Watched<C::Response>;
    type Error = C::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, C::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), C::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let last = self.last.clone();
        Box::pin(async move {
            let inner = connecting.await?;
            Ok(Watched { inner, last })
        })
    }
}

/// A connection whose read and write errors are noted in its host's [`LastFailure`].
#[derive(Debug)]
pub(super) struct Watched<S> {
    inner: S,
    last: LastFailure,
}

impl<S> Watched<S> {
    /// `polled`, its error noted first.
    fn noted<T>(&self, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(error)) = &polled {
            self.last.note(error);
        }
        polled
    }
}

impl<S: Read + Unpin> Read for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        self.noted(polled)
    }
}

impl<S: Write + Unpin> Write for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.noted(polled)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_flush(cx);
        self.noted(polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.inner).poll_shutdown(cx);
        self.noted(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.noted(polled)
    }
}

impl<S: Connection> Connection for Watched<S> {
    fn connected(&self) -> Connected {
        self.inner.connected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::AlertDescription;

    fn refused() -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            rustls::Error::AlertReceived(AlertDescription::BadCertificate),
        )
    }

    #[test]
    fn a_tls_error_is_kept_and_taken_once() {
        let last = LastFailure::default();
        last.note(&io::Error::other("connection reset"));
        assert_eq!(last.take_within(Duration::from_secs(60)), None, "not TLS");

        last.note(&refused());
        assert_eq!(
            last.take_within(Duration::from_secs(60)),
            Some(rustls::Error::AlertReceived(
                AlertDescription::BadCertificate
            ))
        );
        assert_eq!(last.take_within(Duration::from_secs(60)), None, "taken");
    }

    #[test]
    fn an_old_tls_error_explains_nothing() {
        let last = LastFailure::default();
        last.note(&refused());
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(last.take_within(Duration::from_millis(1)), None);
    }
}
