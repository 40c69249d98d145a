//! Bounded excerpts of response bodies for error values.

/// How many bytes of a response body an error keeps by default.
pub const BODY_EXCERPT_LIMIT: usize = 1024;

/// A lossy UTF-8 excerpt of `body`, at most `limit` bytes of it, cut on a character boundary and
/// marked with `…` when something was left out.
///
/// Error bodies are kept as text for people to read; they are never assumed to be JSON, and a
/// 50 MB HTML error page never ends up whole inside an error value.
///
/// ```
/// use rest_client_core::body_excerpt;
///
/// assert_eq!(body_excerpt(b"<html>Bad gateway</html>", 11), "<html>Bad g…");
/// assert_eq!(body_excerpt(b"short", 100), "short");
/// ```
pub fn body_excerpt(body: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.len() <= limit {
        return trimmed.to_owned();
    }
    let mut end = limit;
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &trimmed[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_on_char_boundary() {
        let body = "ééé".as_bytes(); // 6 bytes, 2 per char
        assert_eq!(body_excerpt(body, 3), "é…");
        assert_eq!(body_excerpt(body, 6), "ééé");
        assert_eq!(body_excerpt(b"\xff\xfeabc", 100), "\u{fffd}\u{fffd}abc");
        assert_eq!(body_excerpt(b"  padded \n", 100), "padded");
        assert_eq!(body_excerpt(b"", 10), "");
    }
}
