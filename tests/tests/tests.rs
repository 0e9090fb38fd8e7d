//! End-to-end tests: every test starts its own kybd on a free loopback port and drives it with real clients.

mod api;
mod bad_input;
mod controllers;
mod daemonsets;
mod dashboard;
mod docker;
mod durability;
mod exec;
mod jobs;
mod kubectl;
mod kyb;
mod logs;
mod portforward;
mod process;
mod python;
mod recorded;
mod scheduler;
mod services;
mod statefulsets;
mod storage;
mod tls;
