//! What one request costs the sandbox itself, so a flow benchmark (1,000 agreements at 20 ms
//! injected latency) can tell sandbox overhead from flow overhead.
//!
//! - `dataverse/list_page_expand`: one page of 100 MSA agreements out of 1,000, filtered, with
//!   the nested `$expand` the launch flow uses;
//! - `dataverse/patch_writeback`: one write-back `PATCH` of an agreement;
//! - `ironclad/launch`: one validated `POST /workflows`;
//! - `ironclad/launch_and_signed_delivery`: a launch plus its RSA-signed webhook delivery to a
//!   local receiver;
//! - `ironclad/signed_copy_10mb`: streaming a 10 MB signed copy.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dataverse_ironclad_sandbox::{Sandbox, SandboxConfig};
use secrecy::ExposeSecret;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn launch_body(sandbox: &Sandbox, n: u64) -> String {
    format!(
        r#"{{"template":"{}","creator":{{"type":"email","email":"{}"}},"attributes":{{"dynamicsMsaId":"bench-{n}","dynamicsMsaNumber":"AGR-{n:05}","agreementDate":"2026-12-01T00:00:00Z","{signer_name}":"Jordan Lee","{signer_email}":"jordan.lee@contoso.example","totalContractValue":{{"currency":"USD","amount":250000.00}},"counterpartyName":"Contoso Ltd","counterpartyAddress":{{"lines":["1 Microsoft Way"],"locality":"Redmond","region":"WA","postcode":"98052","country":"USA"}}}}}}"#,
        sandbox.msa_template_id(),
        sandbox.creator_email(),
        signer_name = dataverse_ironclad_sandbox::ironclad::MSA_SIGNER_NAME_ID,
        signer_email = dataverse_ironclad_sandbox::ironclad::MSA_SIGNER_EMAIL_ID,
    )
}

fn dataverse(c: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt.block_on(Sandbox::start(SandboxConfig::default())).expect("sandbox");
    let ids = sandbox.bulk_create_agreements(1000).expect("agreements");
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let token = sandbox.dataverse_token().expose_secret().to_owned();
    let list = format!(
        "{}cre6f_agreements?$select=cre6f_agreementid,cre6f_name,cre6f_agreementnumber,cre6f_agreementvalue,cre6f_agreementstartdate\
         &$filter=cre6f_agreementtype%20eq%201%20and%20cre6f_ironcladworkflowurl%20eq%20null\
         &$expand=cre6f_Opportunity($select=totalamount;$expand=parentaccountid($select=name,address1_line1,address1_city,address1_stateorprovince,address1_postalcode,address1_country)),transactioncurrencyid($select=isocurrencycode)",
        sandbox.dataverse_api_url()
    );
    let mut group = c.benchmark_group("dataverse");
    group.bench_function("list_page_expand", |b| {
        b.iter(|| {
            rt.block_on(async {
                let response = client
                    .get(&list)
                    .bearer_auth(&token)
                    .header("Prefer", "odata.maxpagesize=100")
                    .send()
                    .await
                    .expect("send");
                assert_eq!(response.status(), 200);
                black_box(response.bytes().await.expect("body"))
            })
        })
    });
    let patch = format!("{}cre6f_agreements({})", sandbox.dataverse_api_url(), ids[0]);
    group.bench_function("patch_writeback", |b| {
        b.iter(|| {
            rt.block_on(async {
                let response = client
                    .patch(&patch)
                    .bearer_auth(&token)
                    .header("If-Match", "*")
                    .header("Content-Type", "application/json")
                    .body(r#"{"cre6f_ironcladworkflowstatus":"Review","cre6f_name":"Master Services Agreement with Contoso Ltd"}"#)
                    .send()
                    .await
                    .expect("send");
                assert_eq!(response.status(), 204);
            })
        })
    });
    group.finish();
}

fn ironclad(c: &mut Criterion) {
    let rt = runtime();
    let sandbox = rt
        .block_on(Sandbox::start(SandboxConfig {
            signed_copy_size: 10 * 1024 * 1024,
            ..SandboxConfig::default()
        }))
        .expect("sandbox");
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let token = sandbox.ironclad_token().expose_secret().to_owned();
    let url = format!("{}workflows", sandbox.ironclad_api_url());
    let mut n = 0u64;
    let mut launch = |rt: &tokio::runtime::Runtime| {
        n += 1;
        let body = launch_body(&sandbox, n);
        rt.block_on(async {
            let response = client
                .post(&url)
                .bearer_auth(&token)
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await
                .expect("send");
            assert_eq!(response.status(), 200);
            black_box(response.bytes().await.expect("body"));
        })
    };
    let mut group = c.benchmark_group("ironclad");
    group.bench_function("launch", |b| b.iter(|| launch(&rt)));

    let receiver = rt.block_on(async {
        let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        url
    });
    sandbox.ironclad().subscribe(&["workflow_launched"], &receiver).expect("subscribe");
    let ironclad = sandbox.ironclad();
    group.bench_function("launch_and_signed_delivery", |b| {
        b.iter(|| {
            launch(&rt);
            assert!(rt.block_on(ironclad.wait_for_deliveries(Duration::from_secs(5))));
        })
    });

    let workflow = ironclad.workflow_ids()[0].clone();
    ironclad.approve_all(&workflow).expect("approve");
    let record = ironclad.complete_workflow(&workflow).expect("complete");
    let download = format!("{}records/{record}/attachments/signedCopy", sandbox.ironclad_api_url());
    group.throughput(Throughput::Bytes(10 * 1024 * 1024));
    group.sample_size(20);
    group.bench_function("signed_copy_10mb", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut response =
                    client.get(&download).bearer_auth(&token).send().await.expect("send");
                let mut total = 0usize;
                while let Some(chunk) = response.chunk().await.expect("chunk") {
                    total += chunk.len();
                }
                assert_eq!(total, 10 * 1024 * 1024);
            })
        })
    });
    group.finish();
}

criterion_group!(benches, dataverse, ironclad);
criterion_main!(benches);
