//! Where a run of flow 1 starts reading: the stored watermark less the overlap, never below the
//! first run's start; and on the first run, that start (`--since`) and the backlog it leaves
//! alone.

use time::OffsetDateTime;

use super::LaunchOptions;
use crate::agreement::{COUNT_LIMIT, Row, backlog_count_query};
use crate::state::LaunchState;
use crate::{FlowContext, FlowError};

/// Where the first run starts (`--since`), when the state has no watermark yet. Later runs
/// always continue from the stored watermark.
///
/// ```
/// use flows::launch::InitialWatermark;
///
/// assert_eq!(InitialWatermark::default(), InitialWatermark::Now);
/// assert_eq!("all".parse::<InitialWatermark>(), Ok(InitialWatermark::All));
/// let at: InitialWatermark = "2026-05-01T10:00:00Z".parse().unwrap();
/// assert!(matches!(at, InitialWatermark::At(t) if t.unix_timestamp() == 1_777_629_600));
/// assert!("yesterday".parse::<InitialWatermark>().is_err());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum InitialWatermark {
    /// The time the first run starts (to the second, as Dataverse stamps `modifiedon`):
    /// agreements modified before it are left alone (`--since now`, the default).
    #[default]
    Now,
    /// Every MSA agreement without a workflow URL, however old (`--since all`).
    All,
    /// Agreements modified at or after this time (`--since 2026-05-01T00:00:00Z`).
    At(OffsetDateTime),
}

impl std::str::FromStr for InitialWatermark {
    type Err = String;

    /// `now`, `all` or an RFC 3339 date-time.
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("now") {
            return Ok(Self::Now);
        }
        if text.eq_ignore_ascii_case("all") {
            return Ok(Self::All);
        }
        OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
            .map(Self::At)
            .map_err(|e| format!("{text:?} is not `now`, `all` or an RFC 3339 date-time: {e}"))
    }
}

impl InitialWatermark {
    /// The first run's lower bound, `now` being the run's start; `None` for [`Self::All`].
    pub(super) fn at(self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        match self {
            // Dataverse stamps `modifiedon` in whole seconds: a row changed later in this second
            // carries this second's stamp, so the bound must not be later than it.
            Self::Now => now.replace_nanosecond(0).ok(),
            Self::All => None,
            Self::At(at) => Some(at),
        }
    }
}

/// The unlinked MSA agreements the first run left alone: modified before its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeftAlone {
    /// How many (Dataverse counts at most 5000).
    pub count: u64,
    /// Whether there may be more than `count` (the count reached Dataverse's limit).
    pub more: bool,
    /// The first run's start: they were modified before it.
    pub before: OffsetDateTime,
}

/// The bounds of one run.
pub(super) struct Bounds {
    /// The watermark before the run (the first run's start on a first run).
    pub(super) previous: Option<OffsetDateTime>,
    /// The lower bound of the read (`modifiedon ge`); `None` reads everything.
    pub(super) since: Option<OffsetDateTime>,
    /// On a first run from a time: the backlog it leaves alone.
    pub(super) left_alone: Option<LeftAlone>,
}

/// The bounds of a run starting at `started`. On a first run, stores its start (see
/// [`LaunchState::start_at`]) and counts the backlog it leaves alone.
pub(super) async fn bounds(
    context: &FlowContext,
    state: &LaunchState,
    options: &LaunchOptions,
    started: OffsetDateTime,
) -> Result<Bounds, FlowError> {
    if let Some(stored) = state.watermark().await? {
        let floor = state.floor().await?.unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let since = (stored - options.watermark_overlap).max(floor);
        return Ok(Bounds { previous: Some(stored), since: Some(since), left_alone: None });
    }
    let Some(start) = options.initial_watermark.at(started) else {
        tracing::info!("first run: reading every MSA agreement without a workflow (--since all)");
        return Ok(Bounds { previous: None, since: None, left_alone: None });
    };
    state.start_at(start).await?;
    let left_alone = count_backlog(context, start).await;
    Ok(Bounds { previous: Some(start), since: Some(start), left_alone })
}

/// Count (and log) the unlinked MSA agreements modified before `start`; `None` (and a warning)
/// when they cannot be counted.
async fn count_backlog(context: &FlowContext, start: OffsetDateTime) -> Option<LeftAlone> {
    let query = backlog_count_query(&context.table, start);
    match context.dataverse.query::<Row>(query).first_page().await {
        Ok(page) => {
            let count = page.count.unwrap_or(page.items.len() as u64);
            let more = page.count_limit_exceeded.unwrap_or(count >= COUNT_LIMIT);
            tracing::info!(
                left_alone = count,
                more,
                before = %start,
                "first run: unlinked MSA agreements modified before the start are left alone; \
                 to launch them, start again with an empty state and --since <RFC 3339> or --since all"
            );
            Some(LeftAlone { count, more, before: start })
        }
        Err(error) => {
            tracing::warn!(%error, "cannot count the MSA agreements the first run leaves alone");
            None
        }
    }
}
