//! Shared pieces of the bench binaries: a loopback server, process memory figures, and the
//! switch between a full run (`cargo bench`) and a quick smoke run (`cargo test --benches`).
#![allow(dead_code)]

use std::net::SocketAddr;

use dataverse_client::{Client, auth::StaticToken};

/// `cargo bench` passes `--bench`; anything else (e.g. `cargo test --benches`) runs a quick
/// smoke version so the binaries stay cheap to exercise.
pub fn full_run() -> bool {
    std::env::args().any(|arg| arg == "--bench")
}

/// Serve `router` on an ephemeral loopback port, on its own runtime thread.
pub fn serve(router: axum::Router) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let address = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("server runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            axum::serve(listener, router).await.expect("serve");
        });
    });
    address
}

/// The runtime the benches drive the client on: two worker threads, timers and I/O.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A client for the loopback server.
pub fn client(address: SocketAddr) -> Client {
    Client::builder(format!("http://{address}"))
        .credential(StaticToken::new("bench-token"))
        .build()
        .expect("client")
}

/// A field of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`).
pub fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("field")
}

/// Reset the peak-RSS mark (`VmHWM`) to the current RSS, so the next peak belongs to what runs
/// after this call.
pub fn reset_peak() {
    std::fs::write("/proc/self/clear_refs", "5").expect("reset VmHWM (Linux 4.0+)");
}

/// Run `work` and return its result with the peak RSS growth above the RSS before it, in MiB.
pub fn peak_growth_mib<T>(work: impl FnOnce() -> T) -> (T, f64) {
    reset_peak();
    let before = status_kib("VmRSS");
    let result = work();
    let peak = status_kib("VmHWM");
    (result, peak.saturating_sub(before) as f64 / 1024.0)
}

/// Re-run this binary with glibc's mmap threshold pinned at 64 KiB, unless already done.
///
/// glibc raises its mmap threshold at run time after large blocks are freed, after which freed
/// page-sized buffers stay in the heap and RSS drifts with the allocator's history rather than
/// with what the program holds. Pinning it makes every buffer of 64 KiB or more come from (and
/// go back to) the OS, so peak RSS measures the memory the client really holds at once.
pub fn with_pinned_allocator() {
    const VAR: &str = "MALLOC_MMAP_THRESHOLD_";
    if std::env::var_os(VAR).is_some() {
        return;
    }
    let exe = std::env::current_exe().expect("current exe");
    let status = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env(VAR, "65536")
        .status()
        .expect("re-run with a pinned allocator");
    std::process::exit(status.code().unwrap_or(1));
}

/// CPU time used by every thread of this process so far, in nanoseconds (the first field of
/// `/proc/self/task/<tid>/schedstat`). Unlike wall time it does not count time spent waiting
/// while other processes run, so it measures work done even on a busy machine.
pub fn process_cpu_ns() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else { return 0 };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|line| line.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}
