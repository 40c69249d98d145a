//! Graceful shutdown: a signal that long-running flows check between units of work.

use std::sync::Arc;

use tokio::sync::watch;

/// Asks a running flow to stop: it starts nothing new and lets work in flight finish.
#[derive(Debug)]
pub struct ShutdownTrigger(watch::Sender<bool>);

/// Whether a stop was asked for; cheap to clone, one per task.
///
/// ```
/// # async fn demo() {
/// use examples::flows::shutdown_channel;
///
/// let (trigger, shutdown) = shutdown_channel();
/// assert!(!shutdown.is_requested());
/// trigger.trigger();
/// shutdown.clone().requested().await; // resolves at once
/// assert!(shutdown.is_requested());
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
    /// Keeps the sender of [`Shutdown::never`] alive: a dropped sender reads as "stop".
    _never: Option<Arc<watch::Sender<bool>>>,
}

/// A trigger and the signal it controls.
pub fn shutdown_channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger(tx), Shutdown { rx, _never: None })
}

impl ShutdownTrigger {
    /// Ask every holder of the signal to stop.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }
}

impl Shutdown {
    /// A signal that never fires (one-shot runs, tests).
    pub fn never() -> Self {
        let (tx, rx) = watch::channel(false);
        Shutdown { rx, _never: Some(Arc::new(tx)) }
    }

    /// A signal that fires on SIGINT (Ctrl-C) or SIGTERM. Must be called inside a Tokio
    /// runtime.
    ///
    /// ```no_run
    /// # async fn demo() {
    /// let mut shutdown = examples::flows::Shutdown::on_signals();
    /// shutdown.requested().await; // Ctrl-C
    /// # }
    /// ```
    pub fn on_signals() -> Self {
        let (trigger, shutdown) = shutdown_channel();
        tokio::spawn(async move {
            wait_for_signal().await;
            trigger.trigger();
        });
        shutdown
    }

    /// Whether a stop was asked for.
    pub fn is_requested(&self) -> bool {
        *self.rx.borrow()
    }

    /// Resolves once a stop is asked for (or the trigger is gone).
    pub async fn requested(&mut self) {
        let _ = self.rx.wait_for(|stop| *stop).await;
    }
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
