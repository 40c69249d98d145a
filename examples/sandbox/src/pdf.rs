//! A real, small, valid PDF for signed copies and workflow documents, of any requested size.
//!
//! The document has one page with a line of text. When a larger size is requested, an
//! unreferenced stream object is padded with filler bytes, so the file stays a valid PDF (the
//! cross-reference table still points at the right offsets) while the server streams it in
//! chunks and never holds it in memory. The content is deterministic: the same title and size
//! always give the same bytes, so a test can compare digests.

use bytes::Bytes;
use futures_util::Stream;

/// Chunk size of a streamed document.
const CHUNK: usize = 64 * 1024;

/// A generated PDF: a prefix, `padding` filler bytes, and a suffix.
#[derive(Debug, Clone)]
pub(crate) struct GeneratedPdf {
    prefix: Bytes,
    padding: u64,
    suffix: Bytes,
}

impl GeneratedPdf {
    /// A PDF showing `text`, at least `min_size` bytes long (exactly, when that is above the
    /// natural size of the document).
    pub(crate) fn new(text: &str, min_size: u64) -> Self {
        let content = format!("BT /F1 14 Tf 72 720 Td ({}) Tj ET", escape_pdf_text(text));
        // The second line is the customary binary marker (four bytes >= 128).
        let mut out: Vec<u8> = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
             /Resources << /Font << /F1 5 0 R >> >> >>"
                .to_owned(),
            format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
        ];
        let mut offsets = Vec::with_capacity(6);
        for (index, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{body}\nendobj\n", index + 1).as_bytes());
        }
        offsets.push(out.len());
        let base_len = out.len() as u64;

        // Object 6 is the filler stream. Its header carries the padding length, whose digit
        // count changes the header's own length, so settle it by iterating.
        let suffix_for = |padding: u64, offsets: &[usize]| -> Vec<u8> {
            let xref_at = base_len + header_for(padding).len() as u64 + padding + 18;
            let mut suffix = b"\nendstream\nendobj\n".to_vec();
            suffix.extend_from_slice(b"xref\n0 7\n0000000000 65535 f \n");
            for offset in offsets {
                suffix.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
            }
            suffix.extend_from_slice(
                format!("trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n")
                    .as_bytes(),
            );
            suffix
        };
        let mut padding = 0u64;
        for _ in 0..4 {
            let fixed = base_len
                + header_for(padding).len() as u64
                + suffix_for(padding, &offsets).len() as u64;
            padding = min_size.saturating_sub(fixed);
        }
        out.extend_from_slice(header_for(padding).as_bytes());
        let suffix = suffix_for(padding, &offsets);
        Self { prefix: Bytes::from(out), padding, suffix: Bytes::from(suffix) }
    }

    /// Total size in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.prefix.len() as u64 + self.padding + self.suffix.len() as u64
    }

    /// The bytes, chunk by chunk; filler is produced on the fly.
    pub(crate) fn stream(
        &self,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        let prefix = self.prefix.clone();
        let suffix = self.suffix.clone();
        let padding = self.padding;
        let filler = filler_chunk();
        let padding_chunks = (0..padding.div_ceil(CHUNK as u64)).map(move |index| {
            let remaining = padding - index * CHUNK as u64;
            Ok(filler.slice(..(remaining.min(CHUNK as u64) as usize)))
        });
        futures_util::stream::iter(
            std::iter::once(Ok(prefix)).chain(padding_chunks).chain(std::iter::once(Ok(suffix))),
        )
    }

    /// The whole document in memory (tests compare it with the stream).
    #[cfg(test)]
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len() as usize);
        out.extend_from_slice(&self.prefix);
        let filler = filler_chunk();
        let mut left = self.padding as usize;
        while left > 0 {
            let take = left.min(CHUNK);
            out.extend_from_slice(&filler[..take]);
            left -= take;
        }
        out.extend_from_slice(&self.suffix);
        out
    }
}

fn header_for(padding: u64) -> String {
    format!("6 0 obj\n<< /Length {padding} >>\nstream\n")
}

/// One chunk of filler: printable, deterministic, newline-separated.
fn filler_chunk() -> Bytes {
    let line = b"sandbox signed copy filler ........................................\n";
    Bytes::from(line.iter().copied().cycle().take(CHUNK).collect::<Vec<u8>>())
}

/// Escape a PDF literal string; non-ASCII characters become `?` (Helvetica/WinAnsi subset).
fn escape_pdf_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn xref_offset(pdf: &[u8]) -> usize {
        let text = String::from_utf8_lossy(pdf);
        let tail = text.rsplit("startxref\n").next().unwrap();
        tail.lines().next().unwrap().parse().unwrap()
    }

    #[test]
    fn small_pdf_is_well_formed() {
        let pdf = GeneratedPdf::new("Signed (MSA) \\ Acme", 0).to_vec();
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        let at = xref_offset(&pdf);
        assert_eq!(&pdf[at..at + 4], b"xref");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("(Signed \\(MSA\\) \\\\ Acme) Tj"));
    }

    #[tokio::test]
    async fn padded_pdf_has_the_exact_size_and_valid_offsets() {
        for size in [10_000u64, 1_000_000, 3 * 65_536 + 17] {
            let generated = GeneratedPdf::new("Big", size);
            assert_eq!(generated.len(), size);
            let streamed: Vec<u8> = generated
                .stream()
                .fold(Vec::new(), |mut acc, chunk| async move {
                    acc.extend_from_slice(&chunk.unwrap());
                    acc
                })
                .await;
            assert_eq!(streamed, generated.to_vec());
            assert_eq!(streamed.len() as u64, size);
            let at = xref_offset(&streamed);
            assert_eq!(&streamed[at..at + 4], b"xref");
            // Object 6's offset in the table points at "6 0 obj".
            let text = String::from_utf8_lossy(&streamed[at..]);
            let sixth: usize = text.lines().nth(8).unwrap()[..10].parse().unwrap();
            assert_eq!(&streamed[sixth..sixth + 7], b"6 0 obj");
        }
    }
}
