//! Alternate keys, LIKE wildcards, `$batch`, FetchXML, change tracking, relationships and
//! `$metadata` of the Dataverse emulator, over HTTP.

use dataverse_ironclad_sandbox::Json;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;

use super::{dv, json, keys, start, text};

fn error_of(body: &Json) -> (String, String) {
    let error = body.get("error").expect("error object");
    (text(error, "code").to_owned(), text(error, "message").to_owned())
}

fn values(body: &Json) -> Vec<Json> {
    body.get("value").and_then(Json::as_array).expect("value array").to_vec()
}

fn names(body: &Json, column: &str) -> Vec<String> {
    values(body).iter().map(|row| text(row, column).to_owned()).collect()
}

async fn post_json(
    sandbox: &dataverse_ironclad_sandbox::Sandbox,
    path: &str,
    body: &str,
) -> reqwest::Response {
    dv(sandbox, Method::POST, path)
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

fn id_of(response: &reqwest::Response) -> String {
    let entity = response.headers()["OData-EntityId"].to_str().unwrap();
    entity[entity.rfind('(').unwrap() + 1..entity.len() - 1].to_owned()
}

#[tokio::test]
async fn alternate_keys_address_rows_and_refuse_reserved_characters() {
    let sandbox = start().await;
    let created =
        post_json(&sandbox, "accounts", r#"{"name":"Keyed","accountnumber":"ACC-001"}"#).await;
    assert_eq!(created.status(), 204);

    let row = json(
        dv(&sandbox, Method::GET, "accounts(accountnumber='ACC-001')?$select=name")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(text(&row, "name"), "Keyed");

    // Upsert by key creates the row with the key column set, and names it by its key.
    let upserted = dv(&sandbox, Method::PATCH, "accounts(accountnumber='ACC-002')")
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"name":"Upserted"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(upserted.status(), 204);
    assert!(
        upserted.headers()["OData-EntityId"]
            .to_str()
            .unwrap()
            .ends_with("accounts(accountnumber='ACC-002')")
    );
    let row =
        json(dv(&sandbox, Method::GET, "accounts(accountnumber='ACC-002')").send().await.unwrap())
            .await;
    assert_eq!((text(&row, "name"), text(&row, "accountnumber")), ("Upserted", "ACC-002"));

    // A second row with the same key value is refused.
    let duplicate =
        post_json(&sandbox, "accounts", r#"{"name":"Twin","accountnumber":"ACC-001"}"#).await;
    assert_eq!(duplicate.status(), 412);
    let (code, message) = error_of(&json(duplicate).await);
    assert_eq!(code, "0x80060892");
    assert!(
        message.contains("requires that this set of attributes contains unique values"),
        "{message}"
    );

    let missing = dv(&sandbox, Method::GET, "accounts(accountnumber='NOPE')").send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        error_of(&json(missing).await),
        (
            "0x80060891".to_owned(),
            "A record with the specified key values does not exist in account entity".to_owned()
        )
    );

    for value in ["A%2FB", "A%23B", "50%25", "A%26B", "A:B", "A*B", "A%3FB", "A%2BB", "A%5CB"] {
        let response = dv(&sandbox, Method::GET, &format!("accounts(accountnumber='{value}')"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{value}");
        assert_eq!(
            error_of(&json(response).await),
            ("0x80060888".to_owned(), "Bad Request - Error in query syntax.".to_owned()),
            "{value}"
        );
    }

    // Alternate keys work in @odata.bind too.
    let contact = post_json(
        &sandbox,
        "contacts",
        r#"{"lastname":"Bound","parentcustomerid_account@odata.bind":"/accounts(accountnumber='ACC-001')"}"#,
    )
    .await;
    assert_eq!(contact.status(), 204);
}

#[tokio::test]
async fn contains_startswith_and_endswith_apply_like_wildcards() {
    let sandbox = start().await;
    for name in ["Save 50% now", "Save 500 now", "a_b corp", "axb corp"] {
        assert_eq!(
            post_json(&sandbox, "accounts", &format!(r#"{{"name":"{name}"}}"#)).await.status(),
            204
        );
    }
    let query = |filter: &str| {
        let path = format!("accounts?$select=name&$orderby=name&$filter={}", urlencode(filter));
        let sandbox = &sandbox;
        async move { names(&json(dv(sandbox, Method::GET, &path).send().await.unwrap()).await, "name") }
    };
    assert_eq!(
        query("contains(name,'50%')").await,
        ["Save 50% now", "Save 500 now"],
        "% is a wildcard"
    );
    assert_eq!(query("contains(name,'50[%]')").await, ["Save 50% now"], "[%] is a literal %");
    assert_eq!(
        query("startswith(name,'a_b')").await,
        ["a_b corp", "axb corp"],
        "_ is any one character"
    );
    assert_eq!(query("startswith(name,'a[_]b')").await, ["a_b corp"]);
    assert_eq!(query("endswith(name,'[a-b] corp')").await, ["a_b corp", "axb corp"]);
    assert_eq!(query("endswith(name,' corp') and not contains(name,'[_]')").await, ["axb corp"]);
    assert_eq!(query("contains(name,'[^ ]0%')").await, ["Save 50% now", "Save 500 now"]);
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>().replace('+', "%20")
}

const BATCH: &str = "batch_4f1c";
const CHANGESET: &str = "changeset_9a2e";

fn batch_body(parts: &[String]) -> String {
    let mut body = String::new();
    for part in parts {
        body.push_str(&format!("--{BATCH}\r\n{part}"));
    }
    body.push_str(&format!("--{BATCH}--\r\n"));
    body
}

fn changeset(operations: &[(&str, &str, &str, Option<&str>)]) -> String {
    let mut part = format!("Content-Type: multipart/mixed; boundary={CHANGESET}\r\n\r\n");
    for (content_id, method, url, body) in operations {
        part.push_str(&format!(
            "--{CHANGESET}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: {content_id}\r\n\r\n{method} {url} HTTP/1.1\r\nContent-Type: application/json; type=entry\r\n\r\n{}\r\n",
            body.unwrap_or("")
        ));
    }
    part.push_str(&format!("--{CHANGESET}--\r\n"));
    part
}

fn get_part(url: &str) -> String {
    format!(
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\nGET {url} HTTP/1.1\r\nAccept: application/json\r\n\r\n"
    )
}

async fn send_batch(
    sandbox: &dataverse_ironclad_sandbox::Sandbox,
    body: String,
    continue_on_error: bool,
) -> (u16, String) {
    let mut request = dv(sandbox, Method::POST, "$batch")
        .header(CONTENT_TYPE, format!("multipart/mixed; boundary=\"{BATCH}\""))
        .body(body);
    if continue_on_error {
        request = request.header("Prefer", "odata.continue-on-error");
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response.headers()[CONTENT_TYPE].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("multipart/mixed; boundary=batchresponse_"), "{content_type}");
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn a_change_set_commits_with_content_id_references() {
    let sandbox = start().await;
    let before = sandbox.dataverse().count("contacts");
    let body = batch_body(&[
        changeset(&[
            ("1", "POST", "/api/data/v9.2/accounts", Some(r#"{"name":"Batch Co"}"#)),
            (
                "2",
                "POST",
                "/api/data/v9.2/contacts",
                Some(r#"{"lastname":"Batched","parentcustomerid_account@odata.bind":"$1"}"#),
            ),
            ("3", "PATCH", "$1", Some(r#"{"telephone1":"555-0100"}"#)),
        ]),
        get_part(
            "/api/data/v9.2/contacts?$select=lastname&$filter=lastname%20eq%20'Batched'&$expand=parentcustomerid_account($select=name,telephone1)",
        ),
    ]);
    let (status, text) = send_batch(&sandbox, body, false).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.starts_with("--batchresponse_"), "{text}");
    assert!(text.contains("Content-Type: multipart/mixed; boundary=changesetresponse_"), "{text}");
    assert_eq!(text.matches("HTTP/1.1 204 No Content").count(), 3, "{text}");
    for id in ["Content-ID: 1", "Content-ID: 2", "Content-ID: 3"] {
        assert!(text.contains(id), "{id}: {text}");
    }
    assert!(text.contains("HTTP/1.1 200 OK"), "{text}");
    assert!(text.contains(r#""name":"Batch Co","telephone1":"555-0100""#), "{text}");
    assert_eq!(sandbox.dataverse().count("contacts"), before + 1);
}

#[tokio::test]
async fn a_failed_change_set_rolls_back_and_answers_only_the_failing_operation() {
    let sandbox = start().await;
    let accounts = sandbox.dataverse().count("accounts");
    let long = "x".repeat(200);
    let failing = format!(r#"{{"name":"{long}"}}"#);
    let body = batch_body(&[
        changeset(&[
            ("1", "POST", "/api/data/v9.2/accounts", Some(r#"{"name":"Rolled back"}"#)),
            ("2", "POST", "/api/data/v9.2/accounts", Some(&failing)),
            ("3", "POST", "/api/data/v9.2/accounts", Some(r#"{"name":"Never run"}"#)),
        ]),
        get_part("/api/data/v9.2/accounts?$select=name"),
    ]);
    let (status, text) = send_batch(&sandbox, body.clone(), false).await;
    assert_eq!(status, 400, "{text}");
    assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "only the failing operation answers: {text}");
    assert!(text.contains("Content-ID: 2\r\n\r\nHTTP/1.1 400 Bad Request\r\n"), "{text}");
    assert!(text.contains("REQ_ID: "), "{text}");
    assert!(text.contains("\"code\":\"0x80044331\""), "{text}");
    assert!(!text.contains("HTTP/1.1 200 OK"), "the batch stopped: {text}");
    assert_eq!(sandbox.dataverse().count("accounts"), accounts, "the first create was rolled back");

    let (status, text) = send_batch(&sandbox, body, true).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("HTTP/1.1 400 Bad Request"), "{text}");
    assert!(text.contains("HTTP/1.1 200 OK"), "continue-on-error runs the GET: {text}");
    assert_eq!(sandbox.dataverse().count("accounts"), accounts);
}

#[tokio::test]
async fn batch_refuses_a_get_in_a_change_set_and_unknown_content_ids() {
    let sandbox = start().await;
    let body = batch_body(&[changeset(&[("1", "GET", "/api/data/v9.2/accounts", None)])]);
    let (status, text) = send_batch(&sandbox, body, false).await;
    assert_eq!(status, 400);
    assert!(text.contains("GET operations are not allowed in a change set."), "{text}");
    let body = batch_body(&[changeset(&[("1", "PATCH", "$7", Some(r#"{"name":"x"}"#))])]);
    let (_, text) = send_batch(&sandbox, body, false).await;
    assert!(
        text.contains("Content-ID Reference: '$7' does not exist in the batch context."),
        "{text}"
    );
}

#[tokio::test]
async fn fetchxml_filters_joins_and_pages_with_a_cookie() {
    let sandbox = start().await;
    for n in 1..=5 {
        assert_eq!(
            post_json(
                &sandbox,
                "accounts",
                &format!(r#"{{"name":"Fetch {n}","numberofemployees":{n}}}"#)
            )
            .await
            .status(),
            204
        );
    }
    let fetch = "<fetch count='2' page='1'><entity name='account'><attribute name='name'/><attribute name='numberofemployees'/>\
                 <order attribute='name'/><filter><condition attribute='name' operator='like' value='Fetch%'/>\
                 <condition attribute='numberofemployees' operator='ge' value='2'/></filter></entity></fetch>";
    let path = format!("accounts?fetchXml={}", urlencode(fetch));
    let first = json(
        dv(&sandbox, Method::GET, &path)
            .header("Prefer", "odata.include-annotations=\"Microsoft.Dynamics.CRM.*\"")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(names(&first, "name"), ["Fetch 2", "Fetch 3"]);
    assert_eq!(keys(&values(&first)[0]), ["@odata.etag", "accountid", "name", "numberofemployees"]);
    assert_eq!(first.get("@Microsoft.Dynamics.CRM.morerecords"), Some(&Json::Bool(true)));
    let cookie = text(&first, "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie");
    assert!(cookie.starts_with("<cookie pagenumber=\"2\" pagingcookie=\"%253ccookie%2520page%253d%25221%2522%253e%253caccountid%2520last%253d%2522%257b"), "{cookie}");

    let fetch = fetch.replace("page='1'", "page='2' paging-cookie='ignored'");
    let second = json(
        dv(&sandbox, Method::GET, &format!("accounts?fetchXml={}", urlencode(&fetch)))
            .header("Prefer", "odata.include-annotations=\"*\"")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(names(&second, "name"), ["Fetch 4", "Fetch 5"]);
    assert_eq!(second.get("@Microsoft.Dynamics.CRM.morerecords"), Some(&Json::Bool(false)));
    assert!(second.get("@Microsoft.Dynamics.CRM.fetchxmlpagingcookie").is_none());

    let join = "<fetch><entity name='contact'><attribute name='lastname'/><filter><condition attribute='lastname' operator='eq' value='Joined'/></filter>\
                <link-entity name='account' from='accountid' to='parentcustomerid' alias='acct'><attribute name='name'/></link-entity></entity></fetch>";
    let account = sandbox.seeded().accounts[0];
    assert_eq!(
        post_json(&sandbox, "contacts", &format!(r#"{{"lastname":"Joined","parentcustomerid_account@odata.bind":"/accounts({account})"}}"#)).await.status(),
        204
    );
    let joined = json(
        dv(&sandbox, Method::GET, &format!("contacts?fetchXml={}", urlencode(join)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(text(&values(&joined)[0], "acct.name"), "Contoso Ltd");

    let bad = "<fetch><entity name='account'><attribute name='nmae'/></entity></fetch>";
    let response = dv(&sandbox, Method::GET, &format!("accounts?fetchXml={}", urlencode(bad)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(
        error_of(&json(response).await),
        ("0x80041103".to_owned(), "'account' entity doesn't contain attribute with Name = 'nmae' and NameMapping = 'Logical'.".to_owned())
    );
}

#[tokio::test]
async fn change_tracking_reports_new_changed_and_deleted_rows() {
    let sandbox = start().await;
    let initial = json(
        dv(&sandbox, Method::GET, "accounts?$select=name")
            .header("Prefer", "odata.track-changes")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(values(&initial).len(), sandbox.seeded().accounts.len());
    let delta_link = text(&initial, "@odata.deltaLink").to_owned();
    assert!(delta_link.contains("?$select=name&$deltatoken="), "{delta_link}");

    let created = post_json(&sandbox, "accounts", r#"{"name":"New since"}"#).await;
    let new_id = id_of(&created);
    let changed = sandbox.seeded().accounts[1];
    let deleted = sandbox.seeded().accounts[4];
    let patch = dv(&sandbox, Method::PATCH, &format!("accounts({changed})"))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"name":"Renamed"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 204);
    assert_eq!(
        dv(&sandbox, Method::DELETE, &format!("accounts({deleted})"))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );

    let path = &delta_link[delta_link.find("/api/data/v9.2/").unwrap() + "/api/data/v9.2/".len()..];
    let delta = json(dv(&sandbox, Method::GET, path).send().await.unwrap()).await;
    assert!(text(&delta, "@odata.context").ends_with("$metadata#accounts(name)/$delta"));
    let rows = values(&delta);
    assert_eq!(rows.len(), 3, "{delta}");
    assert_eq!(text(&rows[0], "accountid"), new_id);
    assert_eq!(text(&rows[1], "name"), "Renamed");
    assert!(text(&rows[2], "@odata.context").ends_with("$metadata#accounts/$deletedEntity"));
    assert_eq!(
        (text(&rows[2], "id"), text(&rows[2], "reason")),
        (deleted.to_string().as_str(), "deleted")
    );
    assert_ne!(text(&delta, "@odata.deltaLink"), delta_link);

    let refused = dv(&sandbox, Method::GET, "accounts?$select=name&$filter=name%20eq%20'x'")
        .header("Prefer", "odata.track-changes")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
}

#[tokio::test]
async fn collection_navigation_properties_associate_list_and_expand() {
    let sandbox = start().await;
    let account = sandbox.seeded().accounts[0];
    let contact = id_of(&post_json(&sandbox, "contacts", r#"{"lastname":"Related"}"#).await);
    let root = sandbox.dataverse_api_url();
    let associate = post_json(
        &sandbox,
        &format!("accounts({account})/contact_customer_accounts/$ref"),
        &format!(r#"{{"@odata.id":"{root}contacts({contact})"}}"#),
    )
    .await;
    assert_eq!(associate.status(), 204);
    let related = json(
        dv(
            &sandbox,
            Method::GET,
            &format!("accounts({account})/contact_customer_accounts?$select=lastname"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(names(&related, "lastname"), ["Related"]);
    let expanded = json(
        dv(&sandbox, Method::GET, &format!("accounts({account})?$select=name&$expand=contact_customer_accounts($select=lastname)"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let list = expanded.get("contact_customer_accounts").and_then(Json::as_array).unwrap();
    assert_eq!(text(&list[0], "lastname"), "Related");

    let single = dv(&sandbox, Method::PUT, &format!("accounts({account})/primarycontactid/$ref"))
        .header(CONTENT_TYPE, "application/json")
        .body(format!(r#"{{"@odata.id":"{root}contacts({contact})"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(single.status(), 204);
    let row = sandbox.dataverse().get("accounts", account).unwrap();
    assert_eq!(text(&row, "_primarycontactid_value"), contact);

    let removed = dv(
        &sandbox,
        Method::DELETE,
        &format!("accounts({account})/contact_customer_accounts({contact})/$ref"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(removed.status(), 204);
    let related = json(
        dv(&sandbox, Method::GET, &format!("accounts({account})/contact_customer_accounts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(values(&related).is_empty());
}

#[tokio::test]
async fn metadata_count_annotations_and_who_am_i() {
    let sandbox = start().await;
    let response = dv(&sandbox, Method::GET, "$metadata").send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()[CONTENT_TYPE], "application/xml");
    let csdl = response.text().await.unwrap();
    assert!(csdl.contains("<EntitySet Name=\"cre6f_agreements\" EntityType=\"Microsoft.Dynamics.CRM.cre6f_agreement\">"));

    let counted = json(
        dv(&sandbox, Method::GET, "accounts?$select=name&$count=true")
            .header("Prefer", "odata.include-annotations=\"Microsoft.Dynamics.CRM.totalrecordcount,Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded\"")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let total = sandbox.seeded().accounts.len() as u64;
    assert_eq!(counted.get("@odata.count"), Some(&Json::from(total)));
    assert_eq!(counted.get("@Microsoft.Dynamics.CRM.totalrecordcount"), Some(&Json::from(total)));
    assert_eq!(
        counted.get("@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"),
        Some(&Json::Bool(false))
    );
    let count = dv(&sandbox, Method::GET, "accounts/$count?$filter=startswith(name,'C')")
        .send()
        .await
        .unwrap();
    assert_eq!(count.text().await.unwrap(), "1");
}

#[tokio::test]
async fn deep_insert_creates_related_rows_in_one_transaction() {
    let sandbox = start().await;
    let (accounts, contacts) =
        (sandbox.dataverse().count("accounts"), sandbox.dataverse().count("contacts"));
    let created = post_json(
        &sandbox,
        "accounts",
        r#"{"name":"Deep Co","primarycontactid":{"firstname":"Pat","lastname":"Primary"},
            "contact_customer_accounts":[{"lastname":"Child one"},{"lastname":"Child two"}]}"#,
    )
    .await;
    assert_eq!(created.status(), 204);
    let account = id_of(&created);
    let row = json(
        dv(&sandbox, Method::GET, &format!("accounts({account})?$select=name&$expand=primarycontactid($select=fullname),contact_customer_accounts($select=lastname;$orderby=lastname)"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(text(row.get("primarycontactid").unwrap(), "fullname"), "Pat Primary");
    let children: Vec<&str> = row
        .get("contact_customer_accounts")
        .and_then(Json::as_array)
        .unwrap()
        .iter()
        .map(|child| text(child, "lastname"))
        .collect();
    assert_eq!(children, ["Child one", "Child two"]);
    assert_eq!(sandbox.dataverse().count("contacts"), contacts + 3);

    // One bad nested row: nothing is created.
    let refused = post_json(
        &sandbox,
        "accounts",
        r#"{"name":"Half Co","contact_customer_accounts":[{"lastname":"Fine"},{"lastnmae":"Typo"}]}"#,
    )
    .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(sandbox.dataverse().count("accounts"), accounts + 1);
    assert_eq!(sandbox.dataverse().count("contacts"), contacts + 3);

    let update = dv(&sandbox, Method::PATCH, &format!("accounts({account})"))
        .header(CONTENT_TYPE, "application/json")
        .body(r#"{"primarycontactid":{"lastname":"Nope"}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(update.status(), 400, "an update cannot deep insert");
}
