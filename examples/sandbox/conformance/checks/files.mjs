// File columns: uploadFile (chunked, in chunks of the size the server announces in
// x-ms-chunk-size) and downloadFile (4 MiB ranges of the column read as a base64 property).
// The Agreement table of the built-in metadata has the file column `cre6f_signeddocument`.

import assert from "node:assert/strict";

export async function checks({ api, check, failure, control, run, ids }) {
  // A little over 4 MiB: dynamics-web-api downloads in 4 MiB ranges, so this takes two.
  const bytes = Buffer.alloc(4 * 1024 * 1024 + 12345);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 251;

  await check("uploadFile: chunks of the announced x-ms-chunk-size", async () => {
    // A 1 MiB chunk size makes the client send five chunks (the service announces 4 MiB).
    await control("dataverse/files/chunk-size", { bytes: 1024 * 1024 }, "PUT");
    ids.agreement = await api.create({ collection: "cre6f_agreements", data: { cre6f_name: `With a file ${run}` } });
    await api.uploadFile({
      collection: "cre6f_agreements",
      key: ids.agreement,
      property: "cre6f_signeddocument",
      fileName: "signed.pdf",
      data: bytes,
    });
    const row = await api.retrieve({
      collection: "cre6f_agreements",
      key: ids.agreement,
      select: ["cre6f_signeddocument", "cre6f_signeddocument_name"],
    });
    assert.equal(row.cre6f_signeddocument_name, "signed.pdf");
    assert.match(row.cre6f_signeddocument, /^[0-9a-f-]{36}$/, "a file column reads as the file's id");
  });

  await check("downloadFile: 4 MiB ranges of the base64 property", async () => {
    const file = await api.downloadFile({ collection: "cre6f_agreements", key: ids.agreement, property: "cre6f_signeddocument" });
    assert.equal(file.fileName, "signed.pdf");
    assert.equal(file.fileSize, bytes.length);
    assert.ok(Buffer.from(file.data).equals(bytes), "the bytes round-trip");
    await control("dataverse/files/chunk-size", { bytes: 4 * 1024 * 1024 }, "PUT");
  });

  await check("deleteRecord of a file column, then downloadFile: 404", async () => {
    await api.deleteRecord({ collection: "cre6f_agreements", key: ids.agreement, property: "cre6f_signeddocument" });
    const error = await failure(
      api.downloadFile({ collection: "cre6f_agreements", key: ids.agreement, property: "cre6f_signeddocument" }),
    );
    assert.equal(error.status, 404);
  });
}
