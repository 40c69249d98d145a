//! Which agreements of a run were fully processed, and so how far the watermark may move.

use time::OffsetDateTime;

/// The agreements a run took, in query order (`modifiedon`, then id), and whether each was
/// fully processed. Jobs are taken in sequence order and a run waits for every job it took, so
/// by the end the finished jobs are a prefix of the sequence.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    /// Index = the job's sequence number in the run; `None` for a job not finished yet.
    items: Vec<Option<(Option<OffsetDateTime>, bool)>>,
}

impl Progress {
    /// A job ended, fully processed (`done`) or not.
    pub(crate) fn finished(&mut self, seq: usize, modified_on: Option<OffsetDateTime>, done: bool) {
        if self.items.len() <= seq {
            self.items.resize(seq + 1, None);
        }
        self.items[seq] = Some((modified_on, done));
    }

    /// The next watermark. Every agreement before the first one not fully processed is done,
    /// so the watermark moves to that agreement's `modifiedon` (the query uses `ge`, so it is
    /// read again); when all are done, to the last one's. Agreements modified in the same second
    /// are read again and skipped by the query's `<url> eq null`. A run that started nothing
    /// keeps `previous`.
    pub(crate) fn watermark(&self, previous: Option<OffsetDateTime>) -> Option<OffsetDateTime> {
        match self.items.iter().position(|item| !matches!(item, Some((_, true)))) {
            Some(first_open) => match self.items[first_open] {
                Some((Some(at), _)) => Some(at),
                // Without its modifiedon nothing past it can be vouched for.
                _ => previous,
            },
            None => match self.items.last().and_then(|item| item.and_then(|(at, _)| at)) {
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
        progress.finished(0, Some(a), true);
        progress.finished(2, Some(c), true);
        assert_eq!(progress.watermark(Some(before)), Some(before), "1 is still running");
        progress.finished(1, Some(b), false);
        assert_eq!(progress.watermark(Some(before)), Some(b), "1 failed: read it again");
        progress.finished(1, Some(b), true);
        assert_eq!(progress.watermark(Some(before)), Some(c));
        assert_eq!(
            progress.watermark(Some(datetime!(2027-01-01 0:00 UTC))),
            Some(datetime!(2027-01-01 0:00 UTC))
        );
    }
}
