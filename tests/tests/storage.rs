//! Storage classes and dynamic provisioning: the `local-path` class made default at start, the
//! DefaultStorageClass admission, the local-path provisioner serving every class that names it (with the
//! class's reclaim policy), retroactive default assignment, and StorageClass validation, driven by the real
//! kubectl and kyb against `kybd server`.

use kyb_e2e::{bin, eventually, kubectl, Kybd};
use serde_json::Value;

fn claim(name: &str, class: Option<&str>) -> String {
    let class = class.map_or(String::new(), |c| format!("  storageClassName: {c:?}\n"));
    format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {{name: {name}}}\nspec:\n{class}  accessModes: [ReadWriteOnce]\n  resources: {{requests: {{storage: 1Gi}}}}\n")
}

/// The claim once it is bound.
fn bound(k: &Kybd, name: &str) -> Value {
    eventually(30, || {
        let c = k.get(&["pvc", name]);
        (c["status"]["phase"] == "Bound").then_some(c)
    })
    .unwrap_or_else(|| panic!("{name} never bound: {}\n{}", k.get(&["pvc", name]), k.log()))
}

#[test]
fn storage_classes_default_provision_and_validate() {
    let k = Kybd::start();
    let (kc, kyb) = (kubectl(), bin("kyb"));
    let table = eventually(30, || {
        let out = k.run(&kc, &["get", "storageclass"], None);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
            .filter(|t| t.contains("local-path"))
    })
    .unwrap_or_else(|| panic!("no local-path class:\n{}", k.log()));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "NAME",
            "PROVISIONER",
            "RECLAIMPOLICY",
            "VOLUMEBINDINGMODE",
            "ALLOWVOLUMEEXPANSION",
            "AGE"
        ]
    );
    assert_eq!(
        lines[1].split_whitespace().take(6).collect::<Vec<_>>(),
        [
            "local-path",
            "(default)",
            "kybernet.io/local-path",
            "Delete",
            "Immediate",
            "false"
        ]
    );
    assert_eq!(
        k.ok(&kyb, &["get", "sc", "-o", "name"], None),
        "storageclass.storage.k8s.io/local-path\n"
    );

    // A claim that names no class gets the default one, and a volume of its own.
    k.ok(&kc, &["apply", "-f", "-"], Some(&claim("plain", None)));
    let plain = bound(&k, "plain");
    assert_eq!(plain["spec"]["storageClassName"], "local-path");
    let volume = plain["spec"]["volumeName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let pv = k.get(&["pv", &volume]);
    assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
    assert_eq!(pv["spec"]["storageClassName"], "local-path");

    // The empty class means no class: nothing provisions it.
    k.ok(&kc, &["apply", "-f", "-"], Some(&claim("none", Some(""))));
    std::thread::sleep(std::time::Duration::from_secs(2));
    let none = k.get(&["pvc", "none"]);
    assert_eq!(none["status"]["phase"], "Pending");
    assert_eq!(none["spec"]["storageClassName"], "");
    assert!(none["spec"]["volumeName"].is_null(), "{none}");

    // A class of one's own with this provisioner is served, under its own reclaim policy.
    let keep = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: keep}\nprovisioner: kybernet.io/local-path\nreclaimPolicy: Retain\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(keep));
    let sc = k.get(&["sc", "keep"]);
    assert_eq!(sc["volumeBindingMode"], "Immediate");
    k.ok(
        &kc,
        &["apply", "-f", "-"],
        Some(&claim("kept", Some("keep"))),
    );
    let kept = bound(&k, "kept");
    let kept_volume = kept["spec"]["volumeName"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        k.get(&["pv", &kept_volume])["spec"]["persistentVolumeReclaimPolicy"],
        "Retain"
    );
    k.ok(&kc, &["delete", "pvc", "kept", "plain"], None);
    let released = eventually(30, || {
        let out = k.run(&kc, &["get", "pv", &volume], None);
        (!out.status.success()).then_some(())
    });
    assert!(released.is_some(), "{volume} (Delete) outlived its claim");
    assert_eq!(
        k.get(&["pv", &kept_volume])["metadata"]["name"],
        kept_volume.as_str()
    );

    // With no default class, a claim waits; once a class is marked default, the claim gets it.
    let mark = |value: &str| {
        let annotation = format!("storageclass.kubernetes.io/is-default-class={value}");
        k.ok(
            &kc,
            &["annotate", "--overwrite", "sc", "local-path", &annotation],
            None,
        );
    };
    mark("false");
    let table = k.ok(&kc, &["get", "sc", "local-path"], None);
    assert!(!table.contains("(default)"), "{table}");
    k.ok(&kc, &["apply", "-f", "-"], Some(&claim("late", None)));
    std::thread::sleep(std::time::Duration::from_secs(2));
    let late = k.get(&["pvc", "late"]);
    assert!(late["spec"]["storageClassName"].is_null(), "{late}");
    assert_eq!(late["status"]["phase"], "Pending");
    mark("true");
    assert_eq!(bound(&k, "late")["spec"]["storageClassName"], "local-path");

    // Bad input gets kube's words.
    let bad = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: bad}\nreclaimPolicy: Recycle\nvolumeBindingMode: Later\n";
    let err = k.fails(&kc, &["apply", "-f", "-"], Some(bad));
    assert!(
        err.contains("The StorageClass \"bad\" is invalid: \n* provisioner: Required value\n* reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\"\n* volumeBindingMode: Unsupported value: \"Later\": supported values: \"Immediate\", \"WaitForFirstConsumer\"\n"),
        "{err}"
    );
    let changed = keep.replace("kybernet.io/local-path", "example.com/other");
    let err = k.fails(&kc, &["apply", "-f", "-"], Some(&changed));
    assert!(
        err.contains("provisioner: Forbidden: updates to provisioner are forbidden."),
        "{err}"
    );
    let err = k.fails(&kyb, &["get", "sc", "absent"], None);
    assert_eq!(
        err,
        "Error from server (NotFound): storageclasses.storage.k8s.io \"absent\" not found\n"
    );
}
