//! Wire-format tests of `dataverse_ironclad_sandbox`, through real HTTP (reqwest), against the
//! documented behaviour each emulator follows. Split by area under `tests/sandbox/`.

#[path = "sandbox/dataverse.rs"]
mod dataverse;
#[path = "sandbox/dataverse_breadth.rs"]
mod dataverse_breadth;
#[path = "sandbox/dataverse_clients.rs"]
mod dataverse_clients;
#[path = "sandbox/dataverse_features.rs"]
mod dataverse_features;
#[path = "sandbox/deliveries.rs"]
mod deliveries;
#[path = "sandbox/faults.rs"]
mod faults;
#[path = "sandbox/ironclad.rs"]
mod ironclad;
#[path = "sandbox/receiver.rs"]
mod receiver;
#[path = "sandbox/service_protection.rs"]
mod service_protection;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use dataverse_ironclad_sandbox::{Json, Sandbox, SandboxConfig, Service};
use reqwest::{Method, RequestBuilder, Response};
use secrecy::ExposeSecret;

/// A sandbox with the default (demo) seed.
pub async fn start() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.expect("sandbox starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().expect("client")
}

/// A Web API request with the sandbox token and the recommended OData headers.
pub fn dv(sandbox: &Sandbox, method: Method, path: &str) -> RequestBuilder {
    let url = format!("{}{path}", sandbox.dataverse_api_url());
    client()
        .request(method, url)
        .bearer_auth(sandbox.dataverse_token().expose_secret())
        .header("Accept", "application/json")
        .header("OData-MaxVersion", "4.0")
        .header("OData-Version", "4.0")
}

/// An Ironclad API request with the legacy token.
pub fn ic(sandbox: &Sandbox, method: Method, path: &str) -> RequestBuilder {
    let url = format!("{}{path}", sandbox.ironclad_api_url());
    client().request(method, url).bearer_auth(sandbox.ironclad_token().expose_secret())
}

/// A `POST` of a JSON body.
pub async fn post_json(sandbox: &Sandbox, path: &str, body: &str) -> Response {
    dv(sandbox, Method::POST, path)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

/// The body as exact JSON.
pub async fn json(response: Response) -> Json {
    let bytes = response.bytes().await.expect("body");
    Json::parse_bytes(&bytes)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
}

/// Member names of a JSON object, in order.
pub fn keys(value: &Json) -> Vec<String> {
    value.as_object().expect("object").keys().map(str::to_owned).collect()
}

pub fn text<'a>(value: &'a Json, key: &str) -> &'a str {
    value.get(key).and_then(Json::as_str).unwrap_or_else(|| panic!("no string {key} in {value}"))
}

#[tokio::test]
async fn fixed_ports_urls_and_graceful_shutdown() {
    let free = |_: ()| {
        std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap()
    };
    let (dataverse_addr, ironclad_addr): (SocketAddr, SocketAddr) = (free(()), free(()));
    let sandbox =
        Sandbox::start(SandboxConfig { dataverse_addr, ironclad_addr, ..SandboxConfig::default() })
            .await
            .unwrap();
    assert_eq!(sandbox.dataverse_url().as_str(), format!("http://{dataverse_addr}/"));
    assert_eq!(
        sandbox.dataverse_api_url().as_str(),
        format!("http://{dataverse_addr}/api/data/v9.2/")
    );
    assert_eq!(sandbox.ironclad_base_url().as_str(), format!("http://{ironclad_addr}/"));
    assert_eq!(
        sandbox.ironclad_api_url().as_str(),
        format!("http://{ironclad_addr}/public/api/v1/")
    );
    assert_eq!(
        sandbox.workflow_url("abc").as_str(),
        format!("http://{ironclad_addr}/workflow/abc")
    );
    assert_eq!(sandbox.msa_template_id().len(), 24);

    let response = dv(&sandbox, Method::GET, "WhoAmI").send().await.unwrap();
    assert_eq!(response.status(), 200);
    sandbox.shutdown().await;
    let after = client().get(format!("http://{dataverse_addr}/api/data/v9.2/WhoAmI")).send().await;
    assert!(after.is_err(), "nothing listens after shutdown");
}

#[tokio::test]
async fn starting_twice_on_the_same_port_is_a_bind_error() {
    let first = start().await;
    let port = first.dataverse_url().port().unwrap();
    let taken = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let error = Sandbox::start(SandboxConfig { dataverse_addr: taken, ..SandboxConfig::default() })
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            dataverse_ironclad_sandbox::SandboxError::Bind { service: Service::Dataverse, .. }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn debug_output_never_shows_tokens() {
    let sandbox = start().await;
    let printed = format!("{sandbox:?} {:?} {:?}", sandbox.dataverse(), sandbox.ironclad());
    assert!(printed.contains(sandbox.dataverse_url().as_str()));
    for secret in [
        sandbox.dataverse_token().expose_secret(),
        sandbox.ironclad_token().expose_secret(),
        sandbox.dataverse_client_secret().expose_secret(),
        sandbox.ironclad_client_secret().expose_secret(),
    ] {
        assert!(!printed.contains(secret));
    }
}

#[tokio::test]
async fn requests_are_counted_by_route() {
    let sandbox = start().await;
    let id = sandbox.seeded().agreements[0];
    for _ in 0..2 {
        let response =
            dv(&sandbox, Method::GET, &format!("cre6f_agreements({id})?$select=cre6f_name"))
                .send()
                .await
                .unwrap();
        assert_eq!(response.status(), 200);
    }
    dv(&sandbox, Method::GET, "accounts").send().await.unwrap();
    ic(&sandbox, Method::GET, "workflows").send().await.unwrap();
    let counts = sandbox.request_counts(Service::Dataverse);
    assert_eq!(counts.get("GET /api/data/v9.2/cre6f_agreements({id})"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("GET /api/data/v9.2/accounts"), Some(&1));
    assert_eq!(
        sandbox.request_counts(Service::Ironclad).get("GET /public/api/v1/workflows"),
        Some(&1)
    );
    let records = sandbox.requests(Service::Dataverse);
    assert_eq!(records[0].query.as_deref(), Some("$select=cre6f_name"));
    assert_eq!(records[0].status, Some(200));
    sandbox.clear_requests(Service::Dataverse);
    assert!(sandbox.requests(Service::Dataverse).is_empty());
}

/// Wait for every delivery to settle.
pub async fn settle(sandbox: &Sandbox) {
    assert!(
        sandbox.ironclad().wait_for_deliveries(Duration::from_secs(10)).await,
        "deliveries settle"
    );
}
