//! A note's document, decoded from base64 while it downloads.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_core::Stream;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use tokio::time::{Instant, Sleep};

use crate::error::{Error, Result};

/// The decoded bytes of a note's document; see
/// [`Client::download_note_document`](crate::Client::download_note_document).
#[must_use = "streams do nothing unless polled"]
pub struct DocumentStream {
    inner: BoxStream<'static, reqwest::Result<Bytes>>,
    /// Base64 characters not yet decoded (fewer than four).
    carry: Vec<u8>,
    done: bool,
    /// How long the download may stall, and the timer that measures it (reset per chunk).
    idle: Option<(Duration, Pin<Box<Sleep>>)>,
}

impl DocumentStream {
    pub(crate) fn new(response: reqwest::Response, idle: Option<Duration>) -> Self {
        Self {
            inner: response.bytes_stream().boxed(),
            carry: Vec::with_capacity(4),
            done: false,
            idle: idle.map(|limit| (limit, Box::pin(tokio::time::sleep(limit)))),
        }
    }

    fn decode(&mut self, chunk: &[u8]) -> Result<Bytes> {
        // Line breaks, spaces and surrounding quotes are tolerated and skipped.
        let mut text: Vec<u8> = Vec::with_capacity(self.carry.len() + chunk.len());
        text.append(&mut self.carry);
        text.extend(chunk.iter().copied().filter(|b| !b.is_ascii_whitespace() && *b != b'"'));
        let whole = text.len() / 4 * 4;
        self.carry.extend_from_slice(&text[whole..]);
        text.truncate(whole);
        STANDARD.decode(&text).map(Bytes::from).map_err(|e| {
            Error::UnexpectedResponse(format!("the document is not valid base64: {e}"))
        })
    }
}

impl Stream for DocumentStream {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            match self.inner.as_mut().poll_next(cx) {
                Poll::Pending => {
                    if let Some((limit, sleep)) = self.idle.as_mut()
                        && sleep.as_mut().poll(cx).is_ready()
                    {
                        let limit = *limit;
                        self.done = true;
                        return Poll::Ready(Some(Err(Error::Timeout(limit))));
                    }
                    return Poll::Pending;
                }
                Poll::Ready(Some(Err(error))) => {
                    self.done = true;
                    return Poll::Ready(Some(Err(Error::Transport(error.without_url()))));
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    // An instant too far ahead to represent (a `Duration::MAX` timeout) keeps
                    // the first, equally unreachable, deadline.
                    if let Some((limit, sleep)) = self.idle.as_mut()
                        && let Some(deadline) = Instant::now().checked_add(*limit)
                    {
                        sleep.as_mut().reset(deadline);
                    }
                    match self.decode(&chunk) {
                        Ok(bytes) if bytes.is_empty() => continue,
                        Ok(bytes) => return Poll::Ready(Some(Ok(bytes))),
                        Err(error) => {
                            self.done = true;
                            return Poll::Ready(Some(Err(error)));
                        }
                    }
                }
                Poll::Ready(None) => {
                    self.done = true;
                    if !self.carry.is_empty() {
                        let left = self.carry.len();
                        return Poll::Ready(Some(Err(Error::UnexpectedResponse(format!(
                            "the document's base64 ends with {left} stray characters"
                        )))));
                    }
                    return Poll::Ready(None);
                }
            }
        }
    }
}

impl fmt::Debug for DocumentStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DocumentStream").field("done", &self.done).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::TryStreamExt;

    #[tokio::test]
    async fn an_unbounded_idle_timeout_never_overflows() {
        let response = reqwest::Response::from(http::Response::new("QUJD\r\nREVG"));
        let stream = DocumentStream::new(response, Some(Duration::MAX));
        let chunks: Vec<Bytes> = stream.try_collect().await.expect("decoded");
        assert_eq!(chunks.concat(), b"ABCDEF");
    }
}
