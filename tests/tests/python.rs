//! The official Python client (Debian's python3-kubernetes): typed CRUD, paging, and list-then-watch with resume.

use kyb_e2e::{python, scripts_dir, Kybd};

#[test]
fn python_client_crud_list_and_watch_resume() {
    let k = Kybd::api_only();
    let script = scripts_dir().join("crud_watch.py");
    let out = k.ok(&python(), &[script.to_str().unwrap_or_default()], None);
    assert_eq!(out.trim(), "ok");
}
