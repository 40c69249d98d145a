//! The Ironclad emulator's wire formats (<https://developer.ironcladapp.com/reference>).

use dataverse_ironclad_sandbox::ironclad::{MSA_SIGNER_EMAIL_ID, MSA_SIGNER_NAME_ID};
use dataverse_ironclad_sandbox::{ChangedAttributes, IroncladRateLimits, Json, Sandbox};
use reqwest::Method;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use secrecy::ExposeSecret;

use super::{client, ic, json, keys, start, text};

/// A launch body with the MSA template's attribute mapping, under its ids (the signer fields
/// are role-scoped).
pub fn launch_body(sandbox: &Sandbox, msa_id: &str, amount: &str) -> String {
    format!(
        r#"{{"template":"{template}","creator":{{"type":"email","email":"{creator}"}},"attributes":{{
            "dynamicsMsaId":"{msa_id}","dynamicsMsaNumber":"AGR-01000","agreementDate":"2026-12-01T00:00:00Z",
            "{MSA_SIGNER_NAME_ID}":"Jordan Lee","{MSA_SIGNER_EMAIL_ID}":"jordan.lee@contoso.example",
            "totalContractValue":{{"currency":"USD","amount":{amount}}},"counterpartyName":"Contoso Ltd",
            "counterpartyAddress":{{"lines":["1 Microsoft Way"],"locality":"Redmond","region":"WA","postcode":"98052","country":"USA"}}}}}}"#,
        template = sandbox.msa_template_id(),
        creator = sandbox.creator_email(),
    )
}

/// Launch over HTTP and return the workflow.
pub async fn launch(sandbox: &Sandbox, msa_id: &str) -> Json {
    let response = ic(sandbox, Method::POST, "workflows")
        .header(CONTENT_TYPE, "application/json")
        .body(launch_body(sandbox, msa_id, "250000.00"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    json(response).await
}

async fn error(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, json(response).await.to_string())
}

#[tokio::test]
async fn launch_answers_the_real_workflow_shape() {
    let sandbox = start().await;
    let response = ic(&sandbox, Method::POST, "workflows")
        .header(CONTENT_TYPE, "application/json")
        .body(launch_body(&sandbox, "msa-1", "250000.00"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers().get("x-ironclad-requestid").is_some());
    let workflow = json(response).await;
    assert_eq!(
        keys(&workflow),
        [
            "id",
            "title",
            "template",
            "step",
            "schema",
            "attributes",
            "isCancelled",
            "isComplete",
            "status",
            "creator",
            "created",
            "lastUpdated",
            "roles",
            "approvals",
            "signatures",
            "isRevertibleToReview",
            "ironcladId"
        ]
    );
    let id = text(&workflow, "id");
    assert_eq!(id.len(), 24);
    assert_eq!(text(&workflow, "title"), "Master Services Agreement with Contoso Ltd");
    assert_eq!(text(&workflow, "template"), sandbox.msa_template_id());
    assert_eq!((text(&workflow, "step"), text(&workflow, "status")), ("Review", "active"));
    assert_eq!(text(&workflow, "ironcladId"), "IC-1");
    let attributes = workflow.get("attributes").unwrap();
    assert_eq!(text(attributes, "readableId"), "IC-1");
    assert_eq!(
        attributes.get("totalContractValue").unwrap().to_string(),
        r#"{"currency":"USD","amount":250000.00}"#
    );
    assert_eq!(
        text(workflow.get("schema").unwrap().get("totalContractValue").unwrap(), "type"),
        "monetaryAmount"
    );
    assert_eq!(text(workflow.get("creator").unwrap(), "email"), sandbox.creator_email());
    assert_eq!(text(workflow.get("approvals").unwrap(), "state"), "in_progress");
    assert!(
        text(workflow.get("approvals").unwrap(), "url")
            .ends_with(&format!("/public/api/v1/workflows/{id}/approvals"))
    );
    let roles = workflow.get("roles").and_then(Json::as_array).unwrap();
    let legal = roles.iter().find(|r| text(r, "displayName") == "Legal").unwrap();
    assert!(text(legal, "id").starts_with("approver"));
    assert_eq!(
        keys(&legal.get("assignees").and_then(Json::as_array).unwrap()[0]),
        ["userName", "userId", "email"]
    );
    let draft = &attributes.get("draft").and_then(Json::as_array).unwrap()[0];
    assert!(
        text(draft, "download").starts_with(&format!("/public/api/v1/workflows/{id}/document/"))
    );

    let by_readable = json(ic(&sandbox, Method::GET, "workflows/IC-1").send().await.unwrap()).await;
    assert_eq!(text(&by_readable, "id"), id);
    let response =
        ic(&sandbox, Method::GET, "workflows/000000000000000000000000").send().await.unwrap();
    assert_eq!(
        error(response).await,
        (
            404,
            r#"{"code":"NOT_FOUND","message":"workflow does not exist","param":"workflowId"}"#
                .to_owned()
        )
    );
}

#[tokio::test]
async fn launch_validates_like_ironclad() {
    let sandbox = start().await;
    let good = launch_body(&sandbox, "msa-1", "1");
    let launch = |body: String| {
        ic(&sandbox, Method::POST, "workflows")
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };

    let no_creator = good.replace(
        &format!(r#""creator":{{"type":"email","email":"{}"}},"#, sandbox.creator_email()),
        "",
    );
    let (status, body) = error(launch(no_creator).await.unwrap()).await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"code":"MISSING_PARAM","message":"creator is required when launching with an API token","param":"creator"}"#
        )
    );

    let no_name = good.replace(r#""counterpartyName":"Contoso Ltd","#, "");
    let (status, body) = error(launch(no_name).await.unwrap()).await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"code":"MISSING_PARAM","message":"missing required attribute","param":"counterpartyName"}"#
        )
    );

    let cases = [
        (r#""amount":1}"#, r#""amount":"1"}"#, "totalContractValue"),
        (r#""currency":"USD""#, r#""currency":"$""#, "totalContractValue"),
        ("2026-12-01T00:00:00Z", "2026-12-01", "agreementDate"),
        ("jordan.lee@contoso.example", "Jordan Lee", MSA_SIGNER_EMAIL_ID),
        (MSA_SIGNER_NAME_ID, "counterpartySignerName", "counterpartySignerName"),
        (r#""postcode":"98052","#, "", "counterpartyAddress"),
        (r#""dynamicsMsaId""#, r#""dynamicsMSAId""#, "dynamicsMSAId"),
        (r#""template""#, r#""workflowTemplate""#, "workflowTemplate"),
    ];
    for (from, to, param) in cases {
        assert!(good.contains(from), "{from}");
        let response = launch(good.replace(from, to)).await.unwrap();
        assert_eq!(response.status(), 400, "{to}");
        let body = json(response).await;
        assert_eq!((text(&body, "code"), text(&body, "param")), ("INVALID_PARAM", param), "{body}");
    }
    let response = launch("[]".to_owned()).await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(sandbox.ironclad().workflows().is_empty(), "nothing was launched");
}

#[tokio::test]
async fn async_launch_reports_progress_then_the_workflow_or_the_error() {
    let sandbox = start().await;
    let post = |body: String| {
        ic(&sandbox, Method::POST, "workflows/async")
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
    };
    let job = json(post(launch_body(&sandbox, "msa-async", "10")).await.unwrap()).await;
    assert_eq!(keys(&job), ["asyncJobId", "asyncJobStatusUrl"]);
    let job_id = text(&job, "asyncJobId");
    assert_eq!(job_id.len(), 21);
    let status_url = text(&job, "asyncJobStatusUrl");
    assert_eq!(status_url, format!("{}workflows/async/{job_id}", sandbox.ironclad_api_url()));
    let poll =
        || client().get(status_url).bearer_auth(sandbox.ironclad_token().expose_secret()).send();
    let first = json(poll().await.unwrap()).await;
    assert_eq!(keys(&first), ["status", "requestPayload"]);
    assert_eq!(text(&first, "status"), "in_progress");
    let done = json(poll().await.unwrap()).await;
    assert_eq!(keys(&done), ["status", "requestPayload", "workflowUrls", "workflow"]);
    assert_eq!(text(&done, "status"), "success");
    let workflow_id = text(done.get("workflow").unwrap(), "id");
    assert_eq!(
        text(done.get("workflowUrls").unwrap(), "browserUrl"),
        sandbox.workflow_url(workflow_id).as_str()
    );

    let bad = launch_body(&sandbox, "msa-async", "10").replace("2026-12-01T00:00:00Z", "tomorrow");
    let job = json(post(bad).await.unwrap()).await;
    let url = text(&job, "asyncJobStatusUrl").to_owned();
    let get = || client().get(&url).bearer_auth(sandbox.ironclad_token().expose_secret()).send();
    get().await.unwrap();
    let failed = json(get().await.unwrap()).await;
    assert_eq!(text(&failed, "status"), "failed");
    assert_eq!(text(failed.get("error").unwrap(), "param"), "agreementDate");
}

#[tokio::test]
async fn list_filters_by_status_template_and_formula_in_the_paged_envelope() {
    let sandbox = start().await;
    for n in 0..3 {
        launch(&sandbox, &format!("msa-{n}")).await;
    }
    let ironclad = sandbox.ironclad();
    let first = ironclad.workflow_ids()[0].clone();
    ironclad.approve_all(&first).unwrap();
    ironclad.complete_workflow(&first).unwrap();

    let list = |query: &str| ic(&sandbox, Method::GET, &format!("workflows{query}")).send();
    let page = json(list("").await.unwrap()).await;
    assert_eq!(keys(&page), ["page", "pageSize", "count", "list"]);
    assert_eq!(page.get("count").unwrap().to_string(), "2", "active only by default");
    assert_eq!(page.get("pageSize").unwrap().to_string(), "20");
    let page = json(list("?status=active,completed&pageSize=2&page=1").await.unwrap()).await;
    assert_eq!(page.get("count").unwrap().to_string(), "3");
    assert_eq!(page.get("list").and_then(Json::as_array).unwrap().len(), 1);
    let page = json(
        list(&format!("?status=completed&template={}", sandbox.msa_template_id())).await.unwrap(),
    )
    .await;
    assert_eq!(text(&page.get("list").and_then(Json::as_array).unwrap()[0], "id"), first);

    let formula = url_encode("Equals([dynamicsMsaId], 'msa-2')");
    let page = json(list(&format!("?filter={formula}")).await.unwrap()).await;
    let found = page.get("list").and_then(Json::as_array).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(text(found[0].get("attributes").unwrap(), "dynamicsMsaId"), "msa-2");
    let formula =
        url_encode("Or(Equals([dynamicsMsaId], 'msa-1'), Equals([dynamicsMsaId], 'msa-0'))");
    let page =
        json(list(&format!("?status=active,completed&filter={formula}")).await.unwrap()).await;
    assert_eq!(page.get("count").unwrap().to_string(), "2");

    let (status, body) = error(list("?pageSize=101").await.unwrap()).await;
    assert_eq!((status, body.contains(r#""param":"pageSize""#)), (400, true));
    let (status, body) = error(list("?status=open").await.unwrap()).await;
    assert_eq!((status, body.contains(r#""param":"status""#)), (400, true));
    let (status, body) =
        error(list(&format!("?filter={}", url_encode("Equals([a]"))).await.unwrap()).await;
    assert_eq!((status, body.contains(r#""param":"filter""#)), (400, true));
}

fn url_encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn attribute_updates_only_in_review_and_exactly() {
    let sandbox = start().await;
    let workflow = launch(&sandbox, "msa-1").await;
    let id = text(&workflow, "id");
    let path = format!("workflows/{id}/attributes");
    let patch = |body: &str| {
        ic(&sandbox, Method::PATCH, &path)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
    };
    let response = patch(r#"{"updates":[{"action":"set","path":"totalContractValue","value":{"currency":"USD","amount":987654.3210}}],"comment":"renegotiated"}"#).await.unwrap();
    assert_eq!(response.status(), 200);
    let updated = json(response).await;
    assert_eq!(
        updated.get("attributes").unwrap().get("totalContractValue").unwrap().to_string(),
        r#"{"currency":"USD","amount":987654.3210}"#
    );
    let events = sandbox.ironclad().emitted_events();
    let changed = events.iter().find(|e| text(e, "event") == "workflow_attribute_updated").unwrap();
    assert_eq!(changed.get("attributes"), None, "by default nothing says what changed");
    let amount =
        r#"{"action":"set","path":"totalContractValue","value":{"currency":"USD","amount":1}}"#;
    for (listing, expected) in [
        (ChangedAttributes::Ids, r#"["totalContractValue"]"#),
        (ChangedAttributes::DisplayNames, r#"["Total Contract Value"]"#),
    ] {
        sandbox.ironclad().set_changed_attributes(listing);
        assert_eq!(patch(&format!(r#"{{"updates":[{amount}]}}"#)).await.unwrap().status(), 200);
        let events = sandbox.ironclad().emitted_events();
        let last = events.iter().rfind(|e| text(e, "event") == "workflow_attribute_updated");
        assert_eq!(last.unwrap().get("attributes").unwrap().to_string(), expected);
    }

    for (body, param) in [
        (r#"{"updates":[{"path":"readableId","value":"IC-9"}]}"#, "path"),
        (r#"{"updates":[{"action":"remove","path":"counterpartyName"}]}"#, "path"),
        (r#"{"updates":[{"path":"agreementDate","value":"2026-12-01"}]}"#, "agreementDate"),
        (r#"{"updates":[]}"#, "updates"),
    ] {
        let response = patch(body).await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(text(&json(response).await, "param"), param);
    }

    sandbox.ironclad().approve_all(id).unwrap();
    sandbox.ironclad().complete_workflow(id).unwrap();
    let response =
        patch(r#"{"updates":[{"path":"counterpartyName","value":"Late"}]}"#).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(text(&json(response).await, "code"), "INVALID_STATE");
}

#[tokio::test]
async fn approvals_list_and_update() {
    let sandbox = start().await;
    let workflow = launch(&sandbox, "msa-1").await;
    let id = text(&workflow, "id");
    let approvals =
        json(ic(&sandbox, Method::GET, &format!("workflows/{id}/approvals")).send().await.unwrap())
            .await;
    assert_eq!(keys(&approvals), ["workflowId", "title", "approvalGroups", "roles"]);
    let group = &approvals.get("approvalGroups").and_then(Json::as_array).unwrap()[0];
    let reviewer = &group.get("reviewers").and_then(Json::as_array).unwrap()[0];
    assert_eq!(keys(reviewer), ["role", "displayName", "reviewerType", "status"]);
    assert_eq!((text(reviewer, "displayName"), text(reviewer, "status")), ("Legal", "pending"));
    let role = text(reviewer, "role").to_owned();

    let path = format!("workflows/{id}/approvals/{role}");
    let patch = |body: &str| {
        ic(&sandbox, Method::PATCH, &path)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
    };
    let (status, body) = error(patch(r#"{"status":"approved"}"#).await.unwrap()).await;
    assert_eq!(
        (status, body.contains(r#""param":"user""#)),
        (400, true),
        "the legacy token must name the user"
    );
    let response = patch(
        r#"{"status":"approved","user":{"type":"email","email":"legal.approver@sandbox.example"}}"#,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "true");
    let event = sandbox
        .ironclad()
        .emitted_events()
        .into_iter()
        .find(|e| text(e, "event") == "workflow_approval_status_changed")
        .unwrap();
    assert_eq!(
        keys(&event),
        ["approvalID", "approvalName", "event", "status", "userEmail", "userID", "workflowID"]
    );
    assert_eq!(
        (text(&event, "approvalID"), text(&event, "approvalName"), text(&event, "status")),
        (role.as_str(), "Legal", "approved")
    );
    assert_eq!(text(&event, "userEmail"), "legal.approver@sandbox.example");
    let response = patch(
        r#"{"status":"rejected","user":{"type":"email","email":"legal.approver@sandbox.example"}}"#,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 400);
    let response = ic(&sandbox, Method::PATCH, &format!("workflows/{id}/approvals/approver000")).header(CONTENT_TYPE, "application/json").body(r#"{"status":"approved","user":{"type":"email","email":"legal.approver@sandbox.example"}}"#).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn completion_files_a_record_whose_signed_copy_streams() {
    let size = 3 * 1024 * 1024 + 17;
    let sandbox = Sandbox::start(dataverse_ironclad_sandbox::SandboxConfig {
        signed_copy_size: size,
        ..Default::default()
    })
    .await
    .unwrap();
    let workflow = launch(&sandbox, "msa-1").await;
    let id = text(&workflow, "id");
    let ironclad = sandbox.ironclad();
    let pending = ironclad.complete_workflow(id).unwrap_err();
    assert!(pending.to_string().contains("INVALID_STATE"), "{pending}");
    ironclad.approve_all(id).unwrap();
    let record_id = ironclad.complete_workflow(id).unwrap();

    let workflow =
        json(ic(&sandbox, Method::GET, &format!("workflows/{id}")).send().await.unwrap()).await;
    assert_eq!((text(&workflow, "status"), text(&workflow, "step")), ("completed", "Complete"));
    assert_eq!(workflow.get("isComplete"), Some(&Json::Bool(true)));
    assert_eq!(workflow.get("recordIds").unwrap().to_string(), format!(r#"["{record_id}"]"#));

    let record =
        json(ic(&sandbox, Method::GET, &format!("records/{record_id}")).send().await.unwrap())
            .await;
    assert_eq!(text(&record, "ironcladId"), "IC-1");
    let properties = record.get("properties").unwrap();
    // Custom fields file into `<attributeId>_<templateUuid>_<type>`, never the attribute id.
    let schema = workflow.get("schema").unwrap();
    let money_key = text(schema.get("totalContractValue").unwrap(), "propertyKey");
    assert!(money_key.starts_with("totalContractValue_") && money_key.ends_with("_monetaryAmount"));
    assert_eq!(properties.get("totalContractValue"), None);
    assert_eq!(
        properties.get(money_key).unwrap().to_string(),
        r#"{"type":"monetary_amount","value":{"currency":"USD","amount":250000.00}}"#
    );
    assert_eq!(text(properties.get("counterpartySigner").unwrap(), "value"), "Jordan Lee");
    assert_eq!(
        record.get("source").unwrap().to_string(),
        format!(r#"{{"type":"workflow","workflowId":"{id}"}}"#)
    );
    // `signed` has schema type `document`: one document, not a list.
    let signed_document = workflow.get("attributes").unwrap().get("signed").unwrap();
    assert!(text(signed_document, "key").starts_with("signed"), "{signed_document}");
    let filter = url_encode("Equals([dynamicsMsaId], 'msa-1')");
    let by_attribute_id =
        json(ic(&sandbox, Method::GET, &format!("records?filter={filter}")).send().await.unwrap())
            .await;
    assert_eq!(by_attribute_id.get("count").unwrap().to_string(), "0");
    let msa_key = text(schema.get("dynamicsMsaId").unwrap(), "propertyKey");
    let filter = url_encode(&format!("Equals([{msa_key}], 'msa-1')"));
    let by_property_key =
        json(ic(&sandbox, Method::GET, &format!("records?filter={filter}")).send().await.unwrap())
            .await;
    assert_eq!(by_property_key.get("count").unwrap().to_string(), "1");
    assert_eq!(text(properties.get("counterpartyAddress").unwrap(), "type"), "address");
    assert!(
        properties.get("counterpartyAddress").unwrap().get("value").unwrap().as_str().is_some(),
        "addresses are strings by default"
    );
    let signed = record.get("attachments").unwrap().get("signedCopy").unwrap();
    assert_eq!(text(signed, "filename"), "Master Services Agreement with Contoso Ltd.pdf");
    let href = text(signed, "href");
    assert_eq!(
        href,
        format!("{}records/{record_id}/attachments/signedCopy", sandbox.ironclad_api_url())
    );

    let mut response = client()
        .get(href)
        .bearer_auth(sandbox.ironclad_token().expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/pdf");
    assert_eq!(response.headers()[CONTENT_DISPOSITION], "attachment");
    let (mut total, mut chunks, mut head, mut tail) = (0u64, 0, Vec::new(), Vec::new());
    while let Some(chunk) = response.chunk().await.unwrap() {
        if head.len() < 8 {
            head.extend_from_slice(&chunk[..chunk.len().min(8)]);
        }
        tail.extend_from_slice(&chunk);
        let keep = tail.len().saturating_sub(16);
        tail.drain(..keep);
        total += chunk.len() as u64;
        chunks += 1;
    }
    assert_eq!(total, size);
    assert!(chunks > 1, "streamed, not one buffered blob");
    assert!(head.starts_with(b"%PDF-1.4"));
    assert!(tail.ends_with(b"%%EOF\n"));

    let by_readable =
        ic(&sandbox, Method::GET, "records/IC-1?addressAsObject=true").send().await.unwrap();
    let record = json(by_readable).await;
    assert!(
        record
            .get("properties")
            .unwrap()
            .get("counterpartyAddress")
            .unwrap()
            .get("value")
            .unwrap()
            .as_object()
            .is_some()
    );
    let list = json(
        ic(&sandbox, Method::GET, "records?types=masterServicesAgreement").send().await.unwrap(),
    )
    .await;
    assert_eq!(list.get("count").unwrap().to_string(), "1");
    let response = ic(&sandbox, Method::GET, &format!("records/{record_id}/attachments/other"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn workflow_documents_list_and_download_without_a_content_type() {
    let sandbox = start().await;
    let workflow = launch(&sandbox, "msa-1").await;
    let id = text(&workflow, "id");
    let documents =
        json(ic(&sandbox, Method::GET, &format!("workflows/{id}/documents")).send().await.unwrap())
            .await;
    assert_eq!(
        keys(&documents),
        ["signaturePacketDocuments", "excludedFromSignaturePacketDocuments"]
    );
    let document = &documents.get("signaturePacketDocuments").and_then(Json::as_array).unwrap()[0];
    assert_eq!(
        keys(document),
        ["version", "versionNumber", "filename", "key", "download", "lastModified"]
    );
    let url = format!(
        "{}{}",
        sandbox.ironclad_base_url().as_str().trim_end_matches('/'),
        text(document, "download")
    );
    let response = client()
        .get(url)
        .bearer_auth(sandbox.ironclad_token().expose_secret())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_DISPOSITION], "attachment");
    assert!(response.headers().get(CONTENT_TYPE).is_none());
    assert_eq!(response.headers()["transfer-encoding"], "chunked");
    assert!(response.bytes().await.unwrap().starts_with(b"%PDF-"));
}

#[tokio::test]
async fn webhook_subscriptions_crud_and_the_verification_key() {
    let sandbox = start().await;
    let create = |body: &str| {
        ic(&sandbox, Method::POST, "webhooks")
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_owned())
            .send()
    };
    let response = create(r#"{"events":["workflow_completed","workflow_approval_status_changed"],"targetURL":"https://receiver.example/hook"}"#).await.unwrap();
    assert_eq!(response.status(), 200, "200, not the 201 the published OpenAPI document states");
    let hook = json(response).await;
    assert_eq!(
        keys(&hook),
        [
            "id",
            "events",
            "targetURL",
            "companyId",
            "status",
            "statusLastUpdatedAt",
            "statusLastUpdatedBy",
            "consecutiveFailureCount"
        ]
    );
    assert_eq!(text(&hook, "status"), "enabled");
    let id = text(&hook, "id");

    let (status, body) = error(
        create(r#"{"events":["workflow_completed"],"targetURL":"https://receiver.example/hook"}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body.as_str()),
        (
            400,
            r#"{"code":"INVALID_PARAM","message":"webhook already exists for event workflow_completed and target https://receiver.example/hook","param":"tagetURL"}"#
        )
    );
    let (status, body) = error(
        create(r#"{"events":["workflow.completed"],"targetURL":"https://other.example/hook"}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("invalid event type;") && body.contains("are acceptable event types"),
        "{body}"
    );
    let (status, _) = error(
        create(r#"{"events":["workflow_completed"],"targetURL":"http://receiver.example/hook"}"#)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400, "HTTPS only, except loopback");

    let list = json(ic(&sandbox, Method::GET, "webhooks").send().await.unwrap()).await;
    assert_eq!(keys(&list), ["page", "pageSize", "list"], "no count on webhooks");
    let updated = ic(&sandbox, Method::PATCH, &format!("webhooks/{id}"))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"status":"disabled"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(text(&json(updated).await, "status"), "disabled");
    assert_eq!(
        ic(&sandbox, Method::DELETE, &format!("webhooks/{id}")).send().await.unwrap().status(),
        204
    );
    assert_eq!(
        ic(&sandbox, Method::GET, &format!("webhooks/{id}")).send().await.unwrap().status(),
        404
    );

    let response = ic(&sandbox, Method::GET, "webhooks/verification-key").send().await.unwrap();
    assert_eq!(response.headers()[CONTENT_TYPE], "application/x-pem-file; charset=utf-8");
    let pem = response.text().await.unwrap();
    let (_, spki) = rest_client_core::pem::decode(&pem, &["PUBLIC KEY"]).unwrap();
    let key = aws_lc_rs::rsa::PublicEncryptingKey::from_der(&spki).map(|key| key.key_size_bytes());
    assert_eq!(key.ok(), Some(256), "RSA-2048");
}

#[tokio::test]
async fn authentication_legacy_and_oauth_client_credentials() {
    let sandbox = start().await;
    let url = format!("{}workflows", sandbox.ironclad_api_url());
    let response = client().get(&url).send().await.unwrap();
    assert_eq!(
        error(response).await,
        (401, r#"{"code":"UNAUTHORIZED","message":"invalid authentication token"}"#.to_owned())
    );

    let token = |scope: Option<&str>| {
        let mut form = vec![
            ("grant_type", "client_credentials".to_owned()),
            ("client_id", sandbox.ironclad_client_id().to_owned()),
            ("client_secret", sandbox.ironclad_client_secret().expose_secret().to_owned()),
        ];
        if let Some(scope) = scope {
            form.push(("scope", scope.to_owned()));
        }
        client().post(sandbox.ironclad_token_url()).form(&form).send()
    };
    let issued = json(token(None).await.unwrap()).await;
    assert_eq!(keys(&issued), ["token_type", "access_token", "expires_in", "scope"]);
    let access = text(&issued, "access_token").to_owned();

    let response = client().get(&url).bearer_auth(&access).send().await.unwrap();
    assert_eq!(response.status(), 400, "client credentials need an acting user");
    let response = client()
        .get(&url)
        .bearer_auth(&access)
        .header("x-as-user-email", sandbox.creator_email())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // With OAuth, `creator` is ignored and the acting user launches.
    let body = launch_body(&sandbox, "oauth", "5");
    let body = body.replace(
        &format!(r#""creator":{{"type":"email","email":"{}"}},"#, sandbox.creator_email()),
        "",
    );
    let response = client()
        .post(&url)
        .bearer_auth(&access)
        .header("x-as-user-email", "legal.approver@sandbox.example")
        .header(CONTENT_TYPE, "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        text(json(response).await.get("creator").unwrap(), "email"),
        "legal.approver@sandbox.example"
    );

    let read_only = json(token(Some("public.workflows.readWorkflows")).await.unwrap()).await;
    let response = client()
        .post(&url)
        .bearer_auth(text(&read_only, "access_token"))
        .header("x-as-user-email", sandbox.creator_email())
        .header(CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error(response).await,
        (403, r#"{"code":"FORBIDDEN","message":"access forbidden"}"#.to_owned())
    );

    let response = token(Some("public.workflows.launchEverything")).await.unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(text(&json(response).await, "error"), "invalid_scope");
    let response = client()
        .post(sandbox.ironclad_token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", sandbox.ironclad_client_id()),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(text(&json(response).await, "error"), "invalid_client");
}

#[tokio::test]
async fn write_rate_limit_answers_429_too_many_requests() {
    let sandbox = start().await;
    sandbox.ironclad().set_rate_limits(Some(IroncladRateLimits {
        workflows_write: 2,
        ..IroncladRateLimits::default()
    }));
    for n in 0..2 {
        launch(&sandbox, &format!("msa-{n}")).await;
    }
    let response = ic(&sandbox, Method::POST, "workflows")
        .header(CONTENT_TYPE, "application/json")
        .body(launch_body(&sandbox, "x", "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_none());
    assert_eq!(text(&json(response).await, "code"), "TOO_MANY_REQUESTS");
    assert_eq!(
        ic(&sandbox, Method::GET, "workflows").send().await.unwrap().status(),
        200,
        "reads use another bucket"
    );
    sandbox.ironclad().set_rate_limits(None);
    launch(&sandbox, "after").await;
}
