//! The generated actions and functions (committed in tests/golden) called through
//! dataverse-client against wiremock: the exact method, path, parameter aliases and JSON body
//! each sends, and the typed responses they decode.

#[allow(dead_code)]
#[rustfmt::skip]
#[path = "golden/mod.rs"]
mod golden;

#[path = "support/wire.rs"]
mod wire;

use std::str::FromStr;

use dataverse_client::{operations::ParameterValue, typed::Entity, typed::ValueResponse};
use golden::{account, contact, cre6f_agreement, types, unbound};
use rust_decimal::Decimal;
use serde_json::json;
use time::macros::datetime;
use wire::{API, client, id};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const ACCOUNT: &str = "7eb682f1-ca75-e511-80d4-00155d2a68d1";
const CONTACT: &str = "9f3162f6-804a-e611-80d1-00155d4333fa";
const USER: &str = "da455fec-68b7-ec11-9840-000d3a13d713";
const AGREEMENT: &str = "d31ba648-c592-ed11-aad1-000d3a993550";

fn context(fragment: &str) -> String {
    format!("https://contoso.crm.dynamics.com/api/data/v9.2/$metadata#{fragment}")
}

/// The request's query string, exactly as sent.
fn raw_query(expected: String) -> impl Fn(&Request) -> bool {
    move |request: &Request| request.url.query() == Some(expected.as_str())
}

/// The request body: the same JSON value as `expected` (numbers compared as `f64`, which tells
/// `1234567.8912` from any inexact rendering of it),
/// with every row's `@odata.type` first, as OData's JSON format asks of control information.
/// Parameters themselves may come in any order: serde_json's `preserve_order` feature, which
/// another crate of a build can turn on, keeps a struct's field order instead of sorting.
fn exact_body(expected: String) -> impl Fn(&Request) -> bool {
    move |request: &Request| {
        let Ok(body) = std::str::from_utf8(&request.body) else { return false };
        let sorted = |text: &str| {
            serde_json::from_str::<serde_json::Value>(text).ok().map(|mut value| {
                value.sort_all_objects();
                value.to_string()
            })
        };
        let type_first =
            body.match_indices(r#""@odata.type""#).all(|(at, _)| body[..at].ends_with('{'));
        type_first && sorted(body).is_some() && sorted(body) == sorted(&expected)
    }
}

#[tokio::test]
async fn a_bound_action_posts_its_parameters_to_the_qualified_name_on_the_row() {
    let server = MockServer::start().await;
    // The optional `Since` is left out; the decimal is exact; the
    // enumeration is its member name.
    let body = r#"{"Ceiling":1234567.8912,"Tier":"Silver","Weight":3}"#;
    Mock::given(method("POST"))
        .and(path(format!("{API}/accounts({ACCOUNT})/Microsoft.Dynamics.CRM.cre6f_ScoreAccount")))
        .and(exact_body(body.to_owned()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(
                r#"{{"@odata.context":"{}","Score":87,"Grade":null,"Value":79228162514264.3375935,"ScoredOn":"2024-05-01T12:00:00Z"}}"#,
                context("Microsoft.Dynamics.CRM.cre6f_ScoreAccountResponse")
            ),
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;

    let parameters = account::Cre6fScoreAccountParameters {
        weight: 3,
        ceiling: Some(Decimal::from_str("1234567.8912").expect("decimal")),
        since: None,
        tier: types::Cre6fTier::Silver,
    };
    let response: types::Cre6fScoreAccountResponse = client(&server)
        .action(account::cre6f_score_account(id(ACCOUNT), &parameters))
        .returning()
        .await
        .expect("action");
    assert_eq!(response.score, 87);
    assert_eq!(response.grade, None);
    assert_eq!(response.value, Decimal::from_str("79228162514264.3375935").expect("decimal"));
    assert_eq!(response.scored_on, Some(datetime!(2024-05-01 12:00 UTC)));
}

#[tokio::test]
async fn a_bound_function_passes_every_kind_of_parameter_as_an_alias() {
    let server = MockServer::start().await;
    let expected_path = format!(
        "{API}/contacts({CONTACT})/Microsoft.Dynamics.CRM.cre6f_GetSummary(Since=@p1,Subject=@p2,Owner=@p3,Target=@p4,Rights=@p5,Tier=@p6,Codes=@p7)"
    );
    let expected_query = format!(
        concat!(
            "@p1=2024-05-01T08:00:00Z",
            "&@p2=%27O%27%27Hare%20%26%20co%20%23%201%27",
            "&@p3=%7B%22@odata.id%22:%22systemusers({user})%22%7D",
            "&@p4=%7B%22@odata.id%22:%22accounts({account})%22%7D",
            "&@p5=Microsoft.Dynamics.CRM.AccessRights%27ReadAccess,ShareAccess%27",
            "&@p6=Microsoft.Dynamics.CRM.cre6f_Tier%27Other%27",
            "&@p7=%5B1,2%5D"
        ),
        user = USER,
        account = ACCOUNT
    );
    Mock::given(method("GET"))
        .and(path(expected_path))
        .and(raw_query(expected_query))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": context("Microsoft.Dynamics.CRM.cre6f_SummaryResponse"),
            "AccessRights": "ReadAccess, WriteAccess, AssignAccess",
            "Tier": "Bronze",
            "Tree": {"Name": "root", "Child": {"Name": "leaf"}, "Siblings": []},
            "Owner": {"@odata.type": "#Microsoft.Dynamics.CRM.systemuser", "systemuserid": USER},
            "Labels": ["a", "b"]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let parameters = contact::Cre6fGetSummaryParameters {
        since: datetime!(2024-05-01 10:00 +02:00),
        subject: Some("O'Hare & co # 1".to_owned()),
        owner: id(USER).into(),
        target: ParameterValue::record(account::ENTITY_SET, id(ACCOUNT)),
        rights: vec![types::AccessRights::ReadAccess, types::AccessRights::ShareAccess],
        // `Other` is a member of the enumeration; the fallback variant is `Other(String)`.
        tier: Some(types::Cre6fTier::OtherMember),
        codes: vec![1, 2],
        query: None,
    };
    let summary: types::Cre6fSummaryResponse = client(&server)
        .function(contact::cre6f_get_summary(id(CONTACT), &parameters))
        .await
        .expect("function");
    assert_eq!(
        summary.access_rights,
        [
            types::AccessRights::ReadAccess,
            types::AccessRights::WriteAccess,
            types::AccessRights::Other("AssignAccess".to_owned())
        ]
    );
    assert_eq!(summary.tier, Some(types::Cre6fTier::Bronze));
    let tree = summary.tree.expect("tree");
    assert_eq!(tree.child.map(|c| c.name), Some("leaf".to_owned()));
    assert_eq!(summary.owner.expect("owner")["systemuserid"], USER);
    assert_eq!(summary.labels, ["a", "b"]);
}

#[tokio::test]
async fn functions_on_the_table_and_unbound_ones_with_overloads() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/accounts/Microsoft.Dynamics.CRM.cre6f_CountByRegion(Region=@p1)")))
        .and(raw_query("@p1=%27EU%27".to_owned()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"@odata.context": context("Edm.Int32"), "value": 12})),
        )
        .expect(1)
        .mount(&server)
        .await;
    // The two overloads of one function, told apart by their parameters.
    Mock::given(method("GET"))
        .and(path(format!("{API}/cre6f_FindAccounts(Name=@p1)")))
        .and(raw_query("@p1=%27Contoso%27".to_owned()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": context("accounts"),
            "value": [{"accountid": ACCOUNT, "name": "Contoso", "revenue": 1234567.8912}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/cre6f_FindAccounts(Name=@p1,Region=@p2)")))
        .and(raw_query("@p1=%27Contoso%27&@p2=%27EU%27".to_owned()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"@odata.context": context("accounts"), "value": []})),
        )
        .expect(1)
        .mount(&server)
        .await;
    // A row parameter of a function is a reference to it.
    Mock::given(method("GET"))
        .and(path(format!("{API}/cre6f_FindOpportunities(Account=@p1)")))
        .and(raw_query(format!("@p1=%7B%22@odata.id%22:%22accounts({ACCOUNT})%22%7D")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": context("opportunities"),
            "value": [{"opportunityid": AGREEMENT}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/WhoAmI()")))
        .and(|request: &Request| request.url.query().is_none())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": context("Microsoft.Dynamics.CRM.WhoAmIResponse"),
            "BusinessUnitId": AGREEMENT, "UserId": USER, "OrganizationId": CONTACT
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{API}/contacts({CONTACT})/Microsoft.Dynamics.CRM.Query()")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"@odata.context": context("Edm.Boolean"), "value": true})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let count: ValueResponse<i32> = client
        .function(account::cre6f_count_by_region(&account::Cre6fCountByRegionParameters {
            region: "EU".to_owned(),
        }))
        .await
        .expect("count");
    assert_eq!(count.value, 12);
    let found: ValueResponse<Vec<account::Account>> = client
        .function(unbound::cre6f_find_accounts(&unbound::Cre6fFindAccountsParameters {
            name: "Contoso".to_owned(),
        }))
        .await
        .expect("find");
    assert_eq!(found.value[0].revenue, Some(Decimal::from_str("1234567.8912").expect("decimal")));
    let none: ValueResponse<Vec<account::Account>> = client
        .function(unbound::cre6f_find_accounts_2(&unbound::Cre6fFindAccountsParameters2 {
            name: "Contoso".to_owned(),
            region: "EU".to_owned(),
        }))
        .await
        .expect("find in region");
    assert!(none.value.is_empty());
    let opportunities: ValueResponse<Vec<dataverse_client::records::Record>> = client
        .function(unbound::cre6f_find_opportunities(&unbound::Cre6fFindOpportunitiesParameters {
            account: account::by_id(id(ACCOUNT)),
        }))
        .await
        .expect("opportunities");
    assert_eq!(opportunities.value[0]["opportunityid"], AGREEMENT);
    let me: types::WhoAmIResponse = client.function(unbound::who_am_i()).await.expect("whoami");
    assert_eq!(me.user_id, id(USER));
    // `Query` clashes with the module's `query()`: the operation is `query_2`.
    let queried: ValueResponse<bool> =
        client.function(contact::query_2(id(CONTACT))).await.expect("query");
    assert!(queried.value);
}

#[tokio::test]
async fn entity_parameters_carry_their_odata_type_and_entity_returns_decode_as_rows() {
    let server = MockServer::start().await;
    let close = format!(
        concat!(
            r#"{{"Agreement":{{"@odata.type":"Microsoft.Dynamics.CRM.cre6f_agreement","#,
            r#""cre6f_agreementid":"{agreement}"}},"Rights":"ReadAccess,ShareAccess","Status":3}}"#
        ),
        agreement = AGREEMENT
    );
    Mock::given(method("POST"))
        .and(path(format!("{API}/cre6f_CloseAgreement")))
        .and(exact_body(close))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    // A new row written with the generated builder, lookups bound by navigation property;
    // a row of any table by reference.
    let assign = format!(
        concat!(
            r#"{{"Owner":{{"@odata.type":"Microsoft.Dynamics.CRM.systemuser","systemuserid":"{user}"}},"#,
            r#""Targets":[{{"@odata.type":"Microsoft.Dynamics.CRM.cre6f_agreement","#,
            r#""cre6f_Opportunity@odata.bind":"/opportunities({agreement})","cre6f_name":"MSA"}},"#,
            r#"{{"@odata.type":"Microsoft.Dynamics.CRM.account","accountid":"{account}"}}]}}"#
        ),
        user = USER,
        agreement = AGREEMENT,
        account = ACCOUNT
    );
    Mock::given(method("POST"))
        .and(path(format!("{API}/cre6f_AssignMany")))
        .and(exact_body(assign))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!(
            "{API}/cre6f_agreements({AGREEMENT})/Microsoft.Dynamics.CRM.cre6f_CloneAgreement"
        )))
        .and(exact_body(r#"{"Type":2}"#.to_owned()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "@odata.context": context("cre6f_agreements/$entity"),
            "@odata.etag": "W/\"1\"",
            "cre6f_agreementid": ACCOUNT,
            "cre6f_name": "MSA (copy)",
            "cre6f_status": 100000001
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("{API}/accounts({ACCOUNT})/Microsoft.Dynamics.CRM.cre6f_Tag")))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": {"code": "0x80040265", "message": "Tags are closed for this account."}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    client
        .action(unbound::cre6f_close_agreement(&unbound::Cre6fCloseAgreementParameters {
            agreement: Entity::reference::<cre6f_agreement::Cre6fAgreement>(id(AGREEMENT)),
            status: 3,
            rights: Some(vec![types::AccessRights::ReadAccess, types::AccessRights::ShareAccess]),
        }))
        .await
        .expect("close");
    let new_agreement = cre6f_agreement::Cre6fAgreementWrite::new()
        .cre6f_name("MSA")
        .cre6f_opportunity(id(AGREEMENT));
    client
        .action(unbound::cre6f_assign_many(&unbound::Cre6fAssignManyParameters {
            targets: vec![new_agreement.into(), Entity::reference::<account::Account>(id(ACCOUNT))],
            owner: Entity::reference_to("systemuser", "systemuserid", id(USER)),
            accounts: None,
        }))
        .await
        .expect("assign");
    let copy: cre6f_agreement::Cre6fAgreement = client
        .action(cre6f_agreement::cre6f_clone_agreement(
            id(AGREEMENT),
            &cre6f_agreement::Cre6fCloneAgreementParameters { r#type: 2 },
        ))
        .returning()
        .await
        .expect("clone");
    assert_eq!(copy.cre6f_name.as_deref(), Some("MSA (copy)"));
    assert_eq!(copy.cre6f_status, Some(cre6f_agreement::Cre6fStatus::InReview));
    let refused = client
        .action(account::cre6f_tag(id(ACCOUNT), &account::Cre6fTagParameters { tag: "x".into() }))
        .await
        .expect_err("refused");
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(400));
    assert_eq!(refused.code(), Some("0x80040265"));
}
