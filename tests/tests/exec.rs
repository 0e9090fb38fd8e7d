//! `pods/exec` over websockets, through the API server to the kubelet's streaming server, from pods on the
//! process runtime: kyb exec, the real kubectl and the Python client; exit codes, stdin, stdout and stderr.

use kyb_e2e::{bin, kubectl, python, scripts_dir, Kybd};

use crate::docker::status_when;

#[test]
fn exec_runs_commands_in_containers_for_kyb_kubectl_and_python() {
    let k = Kybd::start();
    let _node = k.process_node();
    let (kc, kyb) = (kubectl(), bin("kyb"));
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: box}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - {name: main, image: none, command: [sleep, '$(NAP)'], env: [{name: GREETING, value: hi}, {name: NAP, value: '600'}, {name: PHRASE, value: '$(GREETING) there, $$(GREETING) $(NOPE)'}]}\n  - {name: side, image: none, command: [sleep, '600']}\n";
    // A service made before the pod shows in its environment, with the `kubernetes` service's.
    let service = "apiVersion: v1\nkind: Service\nmetadata: {name: my-web}\nspec:\n  selector: {app: none}\n  ports: [{name: http, port: 80}, {name: dns, port: 53, protocol: UDP}]\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(service));
    let ip = k.get(&["svc", "my-web"])["spec"]["clusterIP"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    k.ok(&kc, &["apply", "-f", "-"], Some(pod));
    status_when(&k, "box", 30, |s| s["state"]["running"].is_object());
    let env = k.ok(&kyb, &["exec", "box", "-c", "main", "--", "sh", "-c",
        "echo $MY_WEB_SERVICE_HOST $MY_WEB_SERVICE_PORT $MY_WEB_SERVICE_PORT_DNS $MY_WEB_PORT $MY_WEB_PORT_53_UDP_ADDR $KUBERNETES_SERVICE_HOST"], None);
    assert_eq!(env, format!("{ip} 80 53 tcp://{ip}:80 {ip} 10.43.0.1\n"));

    // kubectl up to 1.29 speaks SPDY instead of websockets: 1.27 and Debian's 1.20 where present.
    let mut clients = vec![kyb.clone(), kc.clone()];
    let old = std::path::PathBuf::from("/usr/lib/google-cloud-sdk/bin/kubectl.1.27");
    if old.exists() {
        clients.push(old);
    }
    clients.extend(kyb_e2e::kubectl_120());
    for client in &clients {
        // Output on its own streams, the container's environment, and the exit code as the client's.
        let out = k.run(
            client,
            &[
                "exec",
                "box",
                "-c",
                "main",
                "--",
                "sh",
                "-c",
                "echo $GREETING; echo oops >&2; exit 3",
            ],
            None,
        );
        let seen = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
            out.status.code(),
        );
        let want = (
            "hi\n".to_string(),
            "oops\ncommand terminated with exit code 3\n".to_string(),
            Some(3),
        );
        assert_eq!(seen, want, "{}", client.display());
        // Piped stdin comes back.
        let echoed = k.ok(
            client,
            &["exec", "-i", "box", "-c", "main", "--", "cat"],
            Some("line one\nline two\n"),
        );
        assert_eq!(echoed, "line one\nline two\n");
    }
    // The default container, with kubectl's note.
    let out = k.run(&kyb, &["exec", "box", "--", "true"], None);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Defaulted container \"main\" out of: main, side\n"
    );
    // $(NAME) references expand as the kubelet expands them (the command's `sleep $(NAP)` runs too).
    let phrase = k.ok(
        &kyb,
        &["exec", "-q", "box", "--", "sh", "-c", "echo $PHRASE"],
        None,
    );
    assert_eq!(phrase, "hi there, $(GREETING) $(NOPE)\n");
    let quiet = k.run(&kyb, &["exec", "-q", "box", "--", "true"], None);
    assert!(
        quiet.status.success() && quiet.stderr.is_empty(),
        "{quiet:?}"
    );

    let script = scripts_dir().join("exec.py");
    let py = k.ok(
        &python(),
        &[script.to_str().unwrap_or_default(), "box"],
        None,
    );
    // stdout and stderr come through separate pipes, so their order between them is not kept.
    assert!(
        matches!(
            py.trim(),
            "'out\\nerr\\n' 'hello' 3" | "'err\\nout\\n' 'hello' 3"
        ),
        "{py}"
    );

    // kyb cp round-trips a folder through tar over exec; kubectl cp reads what kyb wrote. (The process
    // runtime's containers see the host's files, so the container's paths are this test's own.)
    let work = kyb_e2e::TempDir::new("cp");
    let src = work.0.join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(src.join("a.txt"), "alpha\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(src.join("sub/b.txt"), "beta\n").unwrap_or_else(|e| panic!("{e}"));
    let remote = work.0.join("remote");
    let to = format!("box:{}", remote.display());
    k.ok(
        &kyb,
        &["cp", &src.to_string_lossy(), &to, "-c", "main"],
        None,
    );
    let cat = k.ok(
        &kyb,
        &[
            "exec",
            "box",
            "-c",
            "main",
            "--",
            "cat",
            &remote.join("sub/b.txt").to_string_lossy(),
        ],
        None,
    );
    assert_eq!(cat, "beta\n");
    let back = work.0.join("back");
    k.ok(
        &kyb,
        &["cp", &to, &back.to_string_lossy(), "-c", "main"],
        None,
    );
    let read = |p: std::path::PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    assert_eq!(
        (read(back.join("a.txt")), read(back.join("sub/b.txt"))),
        ("alpha\n".into(), "beta\n".into())
    );
    let single = work.0.join("single.txt");
    let from = format!("box:{}", remote.join("a.txt").display());
    k.ok(
        &kc,
        &["cp", &from, &single.to_string_lossy(), "-c", "main"],
        None,
    );
    assert_eq!(read(single), "alpha\n");
    let err = k.fails(&kyb, &["cp", "/no/such/file", &to], None);
    assert_eq!(
        err,
        "error: /no/such/file doesn't exist in local filesystem\n"
    );
    let err = k.fails(&kyb, &["cp", "box:/a", "box:/b"], None);
    assert_eq!(
        err,
        "error: one of src or dest must be a local file specification\n"
    );

    // Attach follows a container's own output from now until it ends, for kyb and kubectl alike.
    for (client, name) in [(&kyb, "ticker-kyb"), (&kc, "ticker-kubectl")] {
        let ticker = format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  restartPolicy: Never\n  containers:\n  - {{name: c, image: none, command: [sh, -c, 'sleep 2; for i in 1 2 3; do echo tick $i; sleep 0.2; done']}}\n");
        k.ok(&kc, &["apply", "-f", "-"], Some(&ticker));
        status_when(&k, name, 30, |s| s["state"]["running"].is_object());
        let out = k.ok(client, &["attach", name], None);
        assert_eq!(out, "tick 1\ntick 2\ntick 3\n", "{}", client.display());
    }

    // Bad input gets kubectl's words.
    let err = k.fails(&kyb, &["exec", "box", "-c", "nope", "--", "true"], None);
    assert_eq!(
        err,
        "Error from server (BadRequest): container nope is not valid for pod box\n"
    );
    let err = k.fails(&kyb, &["exec", "absent", "--", "true"], None);
    assert_eq!(
        err,
        "Error from server (NotFound): pods \"absent\" not found\n"
    );
    let err = k.fails(&kyb, &["exec", "box"], None);
    assert_eq!(
        err,
        "error: you must specify at least one command for the container\n"
    );
    let done = "apiVersion: v1\nkind: Pod\nmetadata: {name: done}\nspec:\n  restartPolicy: Never\n  containers: [{name: c, image: none, command: ['true']}]\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(done));
    status_when(&k, "done", 30, |s| s["state"]["terminated"].is_object());
    kyb_e2e::eventually(10, || {
        (k.get(&["pod", "done"])["status"]["phase"] == "Succeeded").then_some(())
    });
    let err = k.fails(&kyb, &["exec", "done", "--", "true"], None);
    assert_eq!(
        err,
        "error: cannot exec into a container in a completed pod; current phase is Succeeded\n"
    );

    k.ok(&kc, &["delete", "pod", "--all", "--grace-period=1"], None);
}
