//! kyb-tui: the dashboard behind `kyb dashboard`. A skeleton until the dashboard issue lands.

/// What `kyb dashboard` says until the dashboard exists.
pub const NOT_YET: &str = "the dashboard is not built yet";
