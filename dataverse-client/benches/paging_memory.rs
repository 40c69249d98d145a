//! Peak memory of streaming query results through paging: 100,000 and then 1,000,000 records,
//! 5000 per page, from a loopback server that generates each page on demand. The client's peak
//! must not depend on the record count (target: the two peaks within 10%).

mod support;

use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode};
use dataverse_client::query::Query;
use serde::Deserialize;
use uuid::Uuid;

const PAGE: u64 = 5000;

#[derive(Deserialize)]
struct Account {
    accountid: Uuid,
    name: String,
    #[serde(with = "dataverse_client::json_decimal")]
    revenue: rust_decimal::Decimal,
}

/// `GET /api/data/v9.2/accounts_<total>?…[&$skiptoken=<page>]`: one page of generated rows and a
/// next link until `<total>` rows have been served.
async fn handle(request: Request<Body>) -> Response<Body> {
    let uri = request.uri().clone();
    let host = request
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_owned();
    let set = uri.path().rsplit('/').next().unwrap_or_default().to_owned();
    let total: u64 = set.strip_prefix("accounts_").and_then(|n| n.parse().ok()).unwrap_or(0);
    let page: u64 = uri
        .query()
        .and_then(|q| q.split('&').find_map(|p| p.strip_prefix("$skiptoken=")))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let first = page * PAGE;
    let last = (first + PAGE).min(total);
    let mut body = String::with_capacity(((last - first) * 160) as usize + 256);
    body.push_str(r#"{"@odata.context":"http://127.0.0.1/api/data/v9.2/$metadata#accounts(name,revenue)","value":["#);
    for n in first..last {
        if n > first {
            body.push(',');
        }
        body.push_str(&format!(
            r#"{{"@odata.etag":"W/\"{n}\"","name":"Account {n}","revenue":{}.{:04},"accountid":"{}"}}"#,
            n % 100_000,
            n % 10_000,
            Uuid::from_u128(u128::from(n) + 1)
        ));
    }
    body.push(']');
    if last < total {
        body.push_str(&format!(
            r#","@odata.nextLink":"http://{host}/api/data/v9.2/{set}?$select=name,revenue&$skiptoken={}""#,
            page + 1
        ));
    }
    body.push('}');
    Response::builder()
        .status(StatusCode::OK)
        .header("content-type", "application/json; odata.metadata=minimal")
        .body(Body::from(body))
        .unwrap_or_default()
}

fn main() {
    support::with_pinned_allocator();
    let full = support::full_run();
    let address = support::serve(Router::new().fallback(handle));
    // One client thread: glibc gives each thread its own allocator arena, and a task hopping
    // between workers would make the peak depend on scheduling rather than on the client.
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let client = support::client(address);
    let counts: [u64; 2] = if full { [100_000, 1_000_000] } else { [10_000, 20_000] };

    let run = |total: u64| {
        runtime.block_on(async {
            let query = Query::new(format!("accounts_{total}"))
                .select(["name", "revenue"])
                .max_page_size(PAGE as u32);
            let mut rows = client.query::<Account>(query).records();
            let (mut count, mut checksum) = (0u64, rust_decimal::Decimal::ZERO);
            while let Some(account) = rows.try_next().await.expect("row") {
                count += 1;
                checksum += account.revenue;
                std::hint::black_box((&account.accountid, &account.name));
            }
            (count, checksum)
        })
    };

    // The idle client (its connection pool warmed by a one-row query) is the baseline; each
    // run's peak is measured above it, runs of both sizes interleaved.
    run(1);
    let baseline = support::status_kib("VmRSS");
    let rounds = if full { 3 } else { 1 };
    println!(
        "paging {PAGE} rows per page: peak RSS above the idle client while streaming every row (median of {rounds})"
    );
    let mut samples = vec![Vec::new(); counts.len()];
    let mut seconds = vec![Vec::new(); counts.len()];
    let mut checksums = vec![rust_decimal::Decimal::ZERO; counts.len()];
    for _ in 0..rounds {
        for (i, total) in counts.into_iter().enumerate() {
            support::reset_peak();
            let started = Instant::now();
            let (count, checksum) = run(total);
            seconds[i].push(started.elapsed().as_secs_f64());
            let peak = support::status_kib("VmHWM").saturating_sub(baseline) as f64 / 1024.0;
            assert_eq!(count, total);
            checksums[i] = checksum;
            samples[i].push(peak);
        }
    }
    let mut peaks = Vec::new();
    for (i, total) in counts.into_iter().enumerate() {
        samples[i].sort_by(f64::total_cmp);
        seconds[i].sort_by(f64::total_cmp);
        let (peak, secs) = (samples[i][rounds / 2], seconds[i][rounds / 2]);
        println!(
            "  {total:>9} records: {peak:>6.2} MiB peak (samples {:.2?}), {secs:.2} s ({:.0} rows/s), revenue checksum {}",
            samples[i],
            total as f64 / secs,
            checksums[i]
        );
        peaks.push(peak);
    }
    let (small, large) = (peaks[0], peaks[1]);
    let change = (large - small) / small.max(0.01);
    println!(
        "  {}x the records: peak {:+.1}% ({}; target within 10%)",
        counts[1] / counts[0],
        change * 100.0,
        if change.abs() <= 0.10 { "independent of the record count" } else { "NOT within 10%" }
    );
}
