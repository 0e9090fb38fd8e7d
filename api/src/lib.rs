//! kyb-api: the resource model shared by kybd, kyb and the dashboard. It does no I/O.

#[cfg(feature = "client")]
pub mod client;
pub mod duration;
pub mod quantity;
pub mod registry;
pub mod selector;
pub mod status;
pub mod strategic;
pub mod template;
pub mod wire;
