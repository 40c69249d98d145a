//! Loopback emulators of the Dataverse Web API and the Ironclad Public API.
