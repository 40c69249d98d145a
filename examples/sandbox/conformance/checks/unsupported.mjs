// What the sandbox does not emulate answers 501 with a message that says so, so a client's
// code fails loudly instead of reading a made-up answer: the Dataverse Search API (query,
// suggest, autocomplete), background operations (respondAsync and the status monitor).

import assert from "node:assert/strict";

export async function checks({ api, check, failure }) {
  const notEmulated = (error, what) => {
    assert.equal(error.status, 501, `${error.status} ${error.message}`);
    assert.match(error.message, new RegExp(`^The sandbox does not emulate ${what}`));
  };

  await check("Search API (query, suggest, autocomplete): 501 not emulated", async () => {
    notEmulated(await failure(api.query("contoso")), "the Dataverse Search API");
    notEmulated(await failure(api.suggest("cont")), "the Dataverse Search API");
    notEmulated(await failure(api.autocomplete("cont")), "the Dataverse Search API");
  });

  await check("background operations (respondAsync, status monitor): 501 not emulated", async () => {
    notEmulated(
      await failure(api.callAction({ actionName: "cre6f_SummarizeAgreements", action: { AgreementType: 1 }, respondAsync: true })),
      "background operations",
    );
    notEmulated(await failure(api.getBackgroundOperationStatus("00000000-0000-0000-0000-000000000001")), "background operations");
    notEmulated(await failure(api.cancelBackgroundOperation("00000000-0000-0000-0000-000000000001")), "background operations");
  });
}
