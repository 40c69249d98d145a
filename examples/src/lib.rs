//! The flows of `../shared/spec/` as library functions, shared by the example binaries and the
//! end-to-end tests, plus [`sandbox`]: loopback emulators of Dataverse and Ironclad.

pub mod sandbox;
