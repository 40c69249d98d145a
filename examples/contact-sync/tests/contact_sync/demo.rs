//! The demo run the `demo` binary prints.

#[tokio::test]
async fn the_demo_walks_through_both_shapes_and_prints_each_outcome() {
    let mut out = Vec::new();
    contact_sync::demo::run(&mut out).await.expect("the demo runs");
    let text = String::from_utf8(out).unwrap();
    for line in [
        "== contact-sync: Dynamics contact changes -> user store ==",
        "1. Power Automate body, MessageName \"Created\"\n   -> 200 created",
        "2. Registered webhook, RemoteExecutionContext \"Update\" (firstname James)\n   -> 200 updated",
        "3. The same webhook delivered again\n   -> 200 duplicate",
        "4. An older change arriving late (modifiedon 2017-09-20)\n   -> 200 ignored-stale",
        "5. Unknown connection `nope` -> 404",
        "James Glynn <jim.glynn@example.com>, active true",
        "6. Power Automate body, MessageName \"Deleted\"\n   -> 200 deactivated",
        "contact lookup after the delete -> 404",
        "sync log of `demo`, newest first:",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
    // Five deliveries to `demo`; the unknown connection is logged in its own bucket.
    assert_eq!(text.lines().filter(|line| line.starts_with("   #")).count(), 5, "{text}");
}
