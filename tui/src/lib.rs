//! kyb-tui: the dashboard behind `kyb dashboard`. State and its one `update` in [`app`], drawing in
//! [`view`], the terminal, keys and I/O tasks in [`run`] (DESIGN §1: state, actions and rendering apart).

pub mod app;
pub mod config;
pub mod run;
pub mod view;

pub use run::{run, ConnectFn, DescribeFn, Options};
