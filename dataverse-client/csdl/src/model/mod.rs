//! The CSDL model: plain data, in document order, with lookups on [`Document`].

pub(crate) mod annotation;
pub(crate) mod container;
pub(crate) mod document;
pub(crate) mod operations;
pub(crate) mod structured;
pub(crate) mod types;
