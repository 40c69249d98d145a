//! The contact-sync receiver driven over loopback HTTP: an in-process server for most tests,
//! the real `contact-sync` binary for the command line, signals and exit codes.

mod support;

mod auth;
mod binary;
mod demo;
mod errors;
mod lifecycle;
mod ordering;
mod reads;
mod shapes;
