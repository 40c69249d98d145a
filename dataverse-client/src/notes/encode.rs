//! Base64 encoding of a byte stream while it is sent, inside a JSON body.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use futures_core::Stream;
use futures_util::stream::BoxStream;

use crate::error::Error;

/// The length of the base64 text of `raw` bytes (with padding).
pub(crate) fn base64_len(raw: u64) -> u64 {
    raw.div_ceil(3).saturating_mul(4)
}

/// [`Error::DocumentTooLarge`] when `raw` bytes exceed `MaxUploadFileSize` once base64-encoded
/// (the size Dataverse measures).
pub(crate) fn check_limit(raw: u64, limit: Option<u64>) -> Result<(), Error> {
    match limit {
        Some(limit) if base64_len(raw) > limit => {
            Err(Error::DocumentTooLarge { base64_size: base64_len(raw), limit })
        }
        _ => Ok(()),
    }
}

/// Where an encoding failure is parked so the caller can report it precisely (reqwest only
/// sees an opaque body error).
pub(crate) type ErrorSlot = Arc<Mutex<Option<Error>>>;

/// `prefix`, then the base64 of `inner`, then `suffix`, as a stream of chunks. Holds at most two
/// raw bytes between chunks.
pub(crate) struct Base64Body {
    inner: BoxStream<'static, io::Result<Bytes>>,
    prefix: Option<Bytes>,
    suffix: Option<Bytes>,
    carry: [u8; 2],
    carry_len: usize,
    raw_seen: u64,
    expected: Option<u64>,
    /// MaxUploadFileSize, applied to the base64 length.
    limit: Option<u64>,
    body_done: bool,
    slot: ErrorSlot,
}

impl Base64Body {
    pub(crate) fn new(
        inner: BoxStream<'static, io::Result<Bytes>>,
        prefix: Bytes,
        suffix: Bytes,
        expected: Option<u64>,
        limit: Option<u64>,
        slot: ErrorSlot,
    ) -> Self {
        Self {
            inner,
            prefix: Some(prefix),
            suffix: Some(suffix),
            carry: [0; 2],
            carry_len: 0,
            raw_seen: 0,
            expected,
            limit,
            body_done: false,
            slot,
        }
    }

    fn fail(&mut self, error: Error) -> io::Error {
        let message = error.to_string();
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(error);
        self.body_done = true;
        self.suffix = None;
        io::Error::other(message)
    }

    /// Encode `chunk` after any carried bytes; keep the last 0–2 bytes for the next chunk.
    fn encode_chunk(&mut self, chunk: &[u8]) -> Bytes {
        let mut out = Vec::with_capacity(chunk.len().div_ceil(3) * 4 + 4);
        let mut rest = chunk;
        if self.carry_len > 0 {
            let needed = 3 - self.carry_len;
            if rest.len() < needed {
                self.carry[self.carry_len..self.carry_len + rest.len()].copy_from_slice(rest);
                self.carry_len += rest.len();
                return Bytes::new();
            }
            let mut triple = [0u8; 3];
            triple[..self.carry_len].copy_from_slice(&self.carry[..self.carry_len]);
            triple[self.carry_len..].copy_from_slice(&rest[..needed]);
            push_encoded(&mut out, &triple);
            rest = &rest[needed..];
            self.carry_len = 0;
        }
        let whole = rest.len() / 3 * 3;
        push_encoded(&mut out, &rest[..whole]);
        let tail = &rest[whole..];
        self.carry[..tail.len()].copy_from_slice(tail);
        self.carry_len = tail.len();
        Bytes::from(out)
    }
}

fn push_encoded(out: &mut Vec<u8>, raw: &[u8]) {
    if raw.is_empty() {
        return;
    }
    let start = out.len();
    out.resize(start + base64_len(raw.len() as u64) as usize, 0);
    // The buffer was sized for exactly this input, so encoding cannot run out of room.
    let written = STANDARD.encode_slice(raw, &mut out[start..]).unwrap_or(0);
    out.truncate(start + written);
}

impl Stream for Base64Body {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if let Some(prefix) = this.prefix.take() {
            return Poll::Ready(Some(Ok(prefix)));
        }
        while !this.body_done {
            match this.inner.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(error))) => {
                    return Poll::Ready(Some(Err(this.fail(Error::Io(error)))));
                }
                Poll::Ready(Some(Ok(chunk))) => {
                    this.raw_seen += chunk.len() as u64;
                    if let Some(expected) = this.expected
                        && this.raw_seen > expected
                    {
                        let error = Error::Io(io::Error::new(
                            io::ErrorKind::InvalidData,
                            format!("the document is longer than its declared {expected} bytes"),
                        ));
                        return Poll::Ready(Some(Err(this.fail(error))));
                    }
                    if let Err(error) = check_limit(this.raw_seen, this.limit) {
                        return Poll::Ready(Some(Err(this.fail(error))));
                    }
                    let encoded = this.encode_chunk(&chunk);
                    if !encoded.is_empty() {
                        return Poll::Ready(Some(Ok(encoded)));
                    }
                }
                Poll::Ready(None) => {
                    if let Some(expected) = this.expected
                        && this.raw_seen != expected
                    {
                        let error = Error::Io(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            format!(
                                "the document ended after {} of its declared {expected} bytes",
                                this.raw_seen
                            ),
                        ));
                        return Poll::Ready(Some(Err(this.fail(error))));
                    }
                    this.body_done = true;
                    if this.carry_len > 0 {
                        let tail = STANDARD.encode(&this.carry[..this.carry_len]);
                        this.carry_len = 0;
                        return Poll::Ready(Some(Ok(Bytes::from(tail))));
                    }
                }
            }
        }
        Poll::Ready(this.suffix.take().map(Ok))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::{StreamExt, TryStreamExt, stream};

    async fn encode_in_chunks(data: &[u8], sizes: &[usize]) -> String {
        let mut chunks = Vec::new();
        let mut rest = data;
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].min(rest.len());
            chunks.push(Ok(Bytes::copy_from_slice(&rest[..n])));
            rest = &rest[n..];
            i += 1;
        }
        let body = Base64Body::new(
            stream::iter(chunks).boxed(),
            Bytes::from_static(b"<"),
            Bytes::from_static(b">"),
            Some(data.len() as u64),
            None,
            ErrorSlot::default(),
        );
        let parts: Vec<Bytes> = body.try_collect().await.expect("encoded");
        String::from_utf8(parts.concat()).expect("ascii")
    }

    #[tokio::test]
    async fn matches_one_shot_encoding_for_any_chunking() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 256) as u8).collect();
        for len in [0usize, 1, 2, 3, 4, 5, 998, 999, 1000] {
            let expected = format!("<{}>", STANDARD.encode(&data[..len]));
            for sizes in [&[1usize][..], &[2], &[3], &[4, 1], &[5, 7, 1], &[1000]] {
                assert_eq!(
                    encode_in_chunks(&data[..len], sizes).await,
                    expected,
                    "len {len} sizes {sizes:?}"
                );
            }
            assert_eq!(base64_len(len as u64) as usize, expected.len() - 2);
        }
    }

    #[tokio::test]
    async fn wrong_length_and_limit_fail_with_a_precise_error() {
        let slot = ErrorSlot::default();
        let body = Base64Body::new(
            stream::iter([Ok(Bytes::from_static(b"abcd"))]).boxed(),
            Bytes::new(),
            Bytes::new(),
            Some(3),
            None,
            slot.clone(),
        );
        assert!(body.try_collect::<Vec<_>>().await.is_err());
        assert!(matches!(slot.lock().expect("lock").take(), Some(Error::Io(_))));

        let body = Base64Body::new(
            stream::iter([Ok(Bytes::from_static(b"ab"))]).boxed(),
            Bytes::new(),
            Bytes::new(),
            Some(5),
            None,
            slot.clone(),
        );
        assert!(body.try_collect::<Vec<_>>().await.is_err());
        assert!(
            matches!(slot.lock().expect("lock").take(), Some(Error::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof)
        );

        let body = Base64Body::new(
            stream::iter([Ok(Bytes::from_static(b"abcdefg"))]).boxed(),
            Bytes::new(),
            Bytes::new(),
            None,
            Some(8),
            slot.clone(),
        );
        assert!(body.try_collect::<Vec<_>>().await.is_err());
        assert!(matches!(
            slot.lock().expect("lock").take(),
            Some(Error::DocumentTooLarge { base64_size: 12, limit: 8 })
        ));
    }
}
