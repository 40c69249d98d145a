//! Which agreements of a run were fully processed, and so how far the watermark may move.

use time::OffsetDateTime;

/// The agreements a run started, in query order (`modifiedon`, then id), and whether each was
/// fully processed.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Index = the job's sequence number in the run.
    items: Vec<(Option<OffsetDateTime>, Option<bool>)>,
}

impl Progress {
    /// A job was taken from the queue (they are taken in sequence order).
    pub(crate) fn started(&mut self, seq: usize, modified_on: Option<OffsetDateTime>) {
        if self.items.len() <= seq {
            self.items.resize(seq + 1, (None, None));
        }
        self.items[seq].0 = modified_on;
    }

    /// A job ended, fully processed (`true`) or not.
    pub(crate) fn finished(&mut self, seq: usize, done: bool) {
        if let Some(item) = self.items.get_mut(seq) {
            item.1 = Some(done);
        }
    }

    /// The next watermark. Every agreement before the first one not fully processed is done,
    /// so the watermark moves to that agreement's `modifiedon` (the query uses `ge`, so it is
    /// read again); when all are done, to the last one's. Agreements modified in the same second
    /// are read again and skipped by the query's `<url> eq null`. A run that started nothing
    /// keeps `previous`.
    pub(crate) fn watermark(&self, previous: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
        match self.items.iter().position(|(_, done)| *done != Some(true)) {
            Some(first_open) => match self.items[first_open].0 {
                Some(at) => Some(at),
                // Without its modifiedon nothing past it can be vouched for.
                None => previous,
            },
            None => match self.items.last().and_then(|(at, _)| *at) {
                Some(last) => Some(previous.map_or(last, |p| p.max(last))),
                None => previous,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_watermark_stops_at_the_first_agreement_not_done() {
        let (a, b, c) = (
            datetime!(2026-05-01 10:00:00 UTC),
            datetime!(2026-05-01 10:00:05 UTC),
            datetime!(2026-05-01 10:00:09 UTC),
        );
        let before = datetime!(2026-04-01 00:00:00 UTC);
        let mut progress = Progress::default();
        assert_eq!(progress.watermark(Some(before)), Some(before));
        progress.started(0, Some(a));
        progress.started(1, Some(b));
        progress.started(2, Some(c));
        progress.finished(0, true);
        progress.finished(2, true);
        assert_eq!(progress.watermark(Some(before)), Some(b), "1 is still running");
        progress.finished(1, false);
        assert_eq!(progress.watermark(Some(before)), Some(b), "1 failed: read it again");
        progress.finished(1, true);
        assert_eq!(progress.watermark(Some(before)), Some(c));
        assert_eq!(
            progress.watermark(Some(datetime!(2027-01-01 0:00 UTC))),
            Some(datetime!(2027-01-01 0:00 UTC))
        );
    }
}
