//! Graceful shutdown: a [`CancellationToken`] cancelled by SIGINT (Ctrl-C) or SIGTERM. Long-running
//! programs check it between units of work: they start nothing new and let work in flight finish.

use tokio_util::sync::CancellationToken;

/// A token cancelled on SIGINT (Ctrl-C) or SIGTERM. Must be called inside a Tokio runtime.
///
/// ```no_run
/// # async fn demo() {
/// let shutdown = program_support::shutdown::on_signals();
/// shutdown.cancelled().await; // Ctrl-C
/// # }
/// ```
pub fn on_signals() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        trigger.cancel();
    });
    token
}

async fn wait_for_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            // Without a SIGTERM handler, Ctrl-C still works.
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT: finishing the work in flight"),
        () = terminate => tracing::info!("SIGTERM: finishing the work in flight"),
    }
}
