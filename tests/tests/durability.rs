//! Acknowledged writes survive `kill -9`.

use std::sync::Arc;

use kyb_e2e::Kybd;
use serde_json::json;

#[test]
fn acknowledged_writes_survive_kill_9() {
    let k = Arc::new(Kybd::start());
    // Concurrent writers, so that group commit is exercised too.
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let k = k.clone();
            std::thread::spawn(move || {
                let mut acked = Vec::new();
                for i in 0..25 {
                    let name = format!("cm-{t}-{i}");
                    let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"i": i.to_string()}});
                    let (code, _) = k.http("POST", "/api/v1/namespaces/default/configmaps", "application/json", body.to_string().as_bytes());
                    assert_eq!(code, 201);
                    acked.push(name);
                }
                acked
            })
        })
        .collect();
    let acked: Vec<String> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    assert_eq!(acked.len(), 200);
    // One more write, then kill straight after its reply.
    let (code, last) = k.http("PUT", "/api/v1/namespaces/default/configmaps/cm-0-0", "application/json",
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm-0-0"}, "data": {"i": "updated"}}).to_string().as_bytes());
    assert_eq!(code, 200);
    let Ok(k) = Arc::try_unwrap(k) else {
        panic!("server still shared")
    };
    let dir = k.kill9();

    let k = Kybd::start_in(dir, &[]);
    let (code, list) = k.get_json("/api/v1/namespaces/default/configmaps");
    assert_eq!(code, 200);
    let items = list["items"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = items
        .iter()
        .filter_map(|i| i["metadata"]["name"].as_str())
        .collect();
    for name in &acked {
        assert!(names.contains(&name.as_str()), "{name} lost after kill -9");
    }
    let (_, cm) = k.get_json("/api/v1/namespaces/default/configmaps/cm-0-0");
    assert_eq!(cm["data"]["i"], "updated");
    assert_eq!(
        cm["metadata"]["resourceVersion"],
        last["metadata"]["resourceVersion"]
    );
    // Revisions keep counting up after the restart.
    let (_, next) = k.http(
        "POST",
        "/api/v1/namespaces/default/configmaps",
        "application/json",
        json!({"metadata": {"name": "after"}})
            .to_string()
            .as_bytes(),
    );
    let rv = |v: &serde_json::Value| {
        v["metadata"]["resourceVersion"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .unwrap_or(0)
    };
    assert!(rv(&next) > rv(&last));
}
