//! Rendering a parsed Dataverse webhook payload for the `inspect-webhook` binary.
