// Predefined queries: a system view (savedQuery) and a personal view (userQuery) run through
// retrieveMultiple, and the refusals around them.

import assert from "node:assert/strict";

export async function checks({ api, check, failure, run, ids }) {
  await check("retrieveMultiple with savedQuery (the system view Active Accounts)", async () => {
    const views = await api.retrieveMultiple({
      collection: "savedqueries",
      select: ["savedqueryid", "returnedtypecode"],
      filter: "name eq 'Active Accounts'",
    });
    assert.equal(views.value.length, 1);
    const [view] = views.value;
    assert.equal(view.returnedtypecode, "account");
    const response = await api.retrieveMultiple({ collection: "accounts", savedQuery: view.savedqueryid });
    const account = response.value.find((a) => a.accountid === ids.account);
    assert.equal(account?.name, `Conformance ${run}`);
    // The view asks for name and accountid only; null columns are left out, as FetchXML does.
    assert.deepEqual(Object.keys(account).filter((k) => !k.startsWith("@") && !k.startsWith("oData")).sort(), ["accountid", "name"]);
  });

  await check("retrieveMultiple with userQuery (a personal view created as a row)", async () => {
    const fetchxml = `<fetch><entity name="contact"><attribute name="lastname"/><order attribute="lastname" descending="true"/>
      <filter><condition attribute="lastname" operator="like" value="Paged ${run}%"/></filter></entity></fetch>`;
    const userQuery = await api.create({
      collection: "userqueries",
      data: { name: `Paged contacts ${run}`, returnedtypecode: "contact", querytype: 0, fetchxml },
    });
    const response = await api.retrieveMultiple({ collection: "contacts", userQuery });
    assert.deepEqual(response.value.map((c) => c.lastname), [4, 3, 2, 1, 0].map((n) => `Paged ${run} ${n}`));
    const wrongSet = await failure(api.retrieveMultiple({ collection: "accounts", userQuery }));
    assert.equal(wrongSet.status, 400);
    const missing = await failure(api.retrieveMultiple({ collection: "contacts", userQuery: "00000000-0000-0000-0000-00000000beef" }));
    assert.equal(missing.status, 404);
    assert.equal(missing.message, "userquery With Id = 00000000-0000-0000-0000-00000000beef Does Not Exist");
  });
}
