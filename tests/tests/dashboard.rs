//! `kyb dashboard` in a real terminal (tmux) against `kybd` with simulated nodes: keys move between views,
//! filter, scale a deployment and delete a pod; the screen and the cluster both show it; `q` gives the
//! terminal back.

use std::process::{Command, Output};

use kyb_e2e::{bin, busybox_image, converge, kubectl, Kybd};

/// A tmux server of the test's own (its own socket), killed on drop.
struct Tmux(String);

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.0])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux: {e}"))
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "dash"];
        args.extend(keys);
        assert!(self.run(&args).status.success());
    }

    /// Types text literally.
    fn text(&self, text: &str) {
        assert!(self
            .run(&["send-keys", "-t", "dash", "-l", text])
            .status
            .success());
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "dash"]).stdout)
            .into_owned()
    }

    fn format(&self, what: &str) -> String {
        let out = self.run(&["display-message", "-p", "-t", "dash", what]);
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A tmux server of its own, with a shell in a 160×40 window running `kyb dashboard` against `k`,
    /// with `env` (`NAME=value ...`) set, and `echo EXITED-$?` after it.
    fn dashboard(tag: &str, k: &Kybd, env: &str) -> Tmux {
        let tmux = Tmux(format!("kyb-e2e-{tag}-{}", std::process::id()));
        let shell = [
            "new-session",
            "-d",
            "-s",
            "dash",
            "-x",
            "160",
            "-y",
            "40",
            "bash --norc --noprofile",
        ];
        assert!(tmux.run(&shell).status.success());
        tmux.text(&format!(
            "{env} KUBECONFIG={} {} dashboard; echo EXITED-$?",
            k.kubeconfig.display(),
            bin("kyb").display()
        ));
        tmux.keys(&["Enter"]);
        tmux
    }

    /// Waits until the screen shows `text`.
    fn shows(&self, text: &str) {
        converge(30, &format!("the screen showing {text:?}"), &true, || {
            self.screen().contains(text)
        });
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.0, "kill-server"])
            .output();
    }
}

#[test]
fn dashboard_views_filter_scale_delete_and_quit() {
    let k = Kybd::start();
    let _nodes = k.simulated_nodes(2, "dash-node-", &[]);
    let kc = kubectl();
    k.ok(
        &kc,
        &[
            "create",
            "deployment",
            "web",
            "--image=busybox",
            "--replicas=2",
        ],
        None,
    );
    k.ok(&kc, &["run", "lonely", "--image=busybox"], None);
    converge(30, "three running pods", &3, || k.running_pods("").len());

    let tmux = Tmux::dashboard("dash", &k, "");
    // The pods view comes first, live from the watch.
    tmux.shows("pods(default) [3]");
    tmux.shows("lonely");
    tmux.shows("Nodes: 2");
    assert_eq!(tmux.format("#{alternate_on}"), "1");

    // A filter keeps the matching rows.
    tmux.text("/web");
    tmux.keys(&["Enter"]);
    tmux.shows("pods(default) [2]");
    assert!(!tmux.screen().contains("lonely"));
    tmux.keys(&["Escape"]);
    tmux.shows("pods(default) [3]");

    // :deploym<Tab> completes as far as the kind's names agree (deployment, deployments); then scale
    // web to 4: the cluster follows, and so does the screen.
    tmux.text(":deploym");
    tmux.keys(&["Tab"]);
    tmux.shows(":deployment");
    tmux.shows("deployment deployments");
    tmux.keys(&["Enter"]);
    tmux.shows("deployments(default) [1]");
    tmux.text("s");
    tmux.shows("Scale web");
    tmux.text("4");
    tmux.keys(&["Enter"]);
    converge(30, "web scaled to 4", &4, || {
        k.get(&["deployment", "web"])["spec"]["replicas"]
            .as_u64()
            .unwrap_or(0)
    });
    tmux.shows("4/4");
    // A Secret's YAML hides its values until v.
    k.ok(
        &kc,
        &[
            "create",
            "secret",
            "generic",
            "creds",
            "--from-literal=token=s3cret",
        ],
        None,
    );
    tmux.text(":secret");
    tmux.keys(&["Enter"]);
    tmux.shows("secrets(default) [1]");
    tmux.text("y");
    tmux.shows("[values hidden: v shows]");
    tmux.shows("token: ••••••••");
    assert!(!tmux.screen().contains("czNjcmV0"));
    tmux.text("v");
    tmux.shows("token: czNjcmV0");
    tmux.keys(&["Escape"]);
    tmux.keys(&["Escape"]);
    tmux.shows("deployments(default) [1]");

    // The xray tree: the deployment, its ReplicaSet, its pods and their containers.
    tmux.text(":xray deploy");
    tmux.keys(&["Enter"]);
    tmux.shows("Xray deployments(default)");
    tmux.shows("Deployment default/web 4/4 ready");
    tmux.shows("└─ ReplicaSet web-");
    tmux.shows("Container busybox");
    tmux.keys(&["Escape"]);
    tmux.shows("deployments(default) [1]");
    k.ok(&kc, &["expose", "deployment", "web", "--port=80"], None);
    converge(30, "four endpoints", &4, || {
        k.get(&["endpoints", "web"])["subsets"][0]["addresses"]
            .as_array()
            .map_or(0, Vec::len)
    });
    tmux.text(":xray svc");
    tmux.keys(&["Enter"]);
    tmux.shows("Service default/web ClusterIP");
    tmux.shows("└─ Endpoints web 4 ready of 4");
    tmux.shows("Pod web-");
    tmux.keys(&["Escape"]);

    // Enter drills down to the deployment's pods; describe one; Esc back; delete one, confirmed.
    tmux.keys(&["Enter"]);
    tmux.shows("-l app=web");
    tmux.shows("pods(default) [4]");
    tmux.text("d");
    tmux.shows("Describe pod/web-");
    tmux.shows("Controlled By:  ReplicaSet/web-");
    tmux.keys(&["Escape"]);
    // Enter on a pod: its containers.
    tmux.shows("pods(default) [4]");
    tmux.keys(&["Enter"]);
    tmux.shows("Containers pod/web-");
    tmux.shows("NAME      IMAGE     READY   STATE");
    tmux.keys(&["Escape"]);
    tmux.text("/lonely");
    tmux.keys(&["Enter"]);
    tmux.keys(&["Escape"]);
    tmux.keys(&["Escape"]);
    tmux.shows("deployments(default) [1]");
    tmux.keys(&["Escape"]);
    tmux.shows("pods(default)");
    tmux.text("/lonely");
    tmux.keys(&["Enter"]);
    tmux.shows("pods(default) [1]");
    tmux.keys(&["C-d"]);
    tmux.shows("Delete Pod lonely? (y/n)");
    tmux.text("y");
    converge(30, "lonely deleted", &true, || {
        k.get(&["pods"])["items"]
            .as_array()
            .is_some_and(|items| items.iter().all(|p| p["metadata"]["name"] != "lonely"))
    });
    tmux.shows("pods(default) [0]");

    // r restarts a deployment's rollout; c and u cordon and uncordon a node.
    tmux.keys(&["Escape"]);
    tmux.text(":deploy");
    tmux.keys(&["Enter"]);
    tmux.shows("deployments(default) [1]");
    tmux.text("r");
    tmux.shows("deployment.apps/web restarted");
    converge(30, "a restartedAt stamp", &true, || {
        k.get(&["deployment", "web"])["spec"]["template"]["metadata"]["annotations"]
            ["kubectl.kubernetes.io/restartedAt"]
            .is_string()
    });
    tmux.text(":no");
    tmux.keys(&["Enter"]);
    tmux.shows("nodes(all) [2]");
    let unschedulable = || k.get(&["node", "dash-node-0"])["spec"]["unschedulable"] == true;
    tmux.text("c");
    converge(30, "dash-node-0 cordoned", &true, unschedulable);
    tmux.shows("node/dash-node-0 cordoned");
    tmux.text("u");
    converge(30, "dash-node-0 uncordoned", &false, unschedulable);
    // The pulse screen: the nodes' allocation and the pods by phase.
    tmux.text(":pulse");
    tmux.keys(&["Enter"]);
    tmux.shows("Pulse: 2 nodes");
    tmux.shows("dash-node-1");
    tmux.shows("Running");
    tmux.keys(&["Escape"]);
    tmux.shows("nodes(all) [2]");
    tmux.keys(&["Escape"]);
    tmux.keys(&["Escape"]);
    tmux.shows("pods(default)");

    // The API server goes away (SIGKILL) and comes back on its port: the dashboard says so, keeps running,
    // and resumes its watch, showing a pod made after the restart.
    let port = k.url.rsplit(':').next().unwrap_or_default().to_string();
    let dir = k.kill9();
    tmux.shows("retrying");
    let k = Kybd::start_in(dir, &["--listen", &format!("127.0.0.1:{port}")]);
    k.ok(&kc, &["run", "after-restart", "--image=busybox"], None);
    tmux.shows("after-restart");
    assert!(!tmux.screen().contains("retrying"));

    // :ctx lists the kubeconfig's contexts; :ctx NAME switches to one (here: the same server, another
    // namespace).
    let cluster = k.ok(
        &kc,
        &[
            "config",
            "view",
            "-o",
            "jsonpath={.contexts[0].context.cluster}",
        ],
        None,
    );
    k.ok(
        &kc,
        &[
            "config",
            "set-context",
            "other",
            &format!("--cluster={cluster}"),
            "--namespace=kube-system",
        ],
        None,
    );
    tmux.text(":ctx other");
    tmux.keys(&["Enter"]);
    tmux.shows("Context: other");
    tmux.shows("pods(kube-system)");

    // Help, then quit: the shell is back on the main screen with the cursor shown.
    tmux.text("?");
    tmux.shows("drill down");
    tmux.keys(&["Escape"]);
    tmux.text("q");
    tmux.shows("EXITED-0");
    assert_eq!(tmux.format("#{alternate_on}"), "0");
    assert_eq!(tmux.format("#{cursor_flag}"), "1");
}

#[test]
fn dashboard_names_a_mistake_in_its_config() {
    let config = kyb_e2e::TempDir::new("dash-bad-config");
    std::fs::create_dir_all(config.0.join("kybernet")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        config.0.join("kybernet/dashboard.yaml"),
        "keys:\n  fly: f\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(bin("kyb"))
        .args(["dashboard", "--server", "http://127.0.0.1:1"])
        .env("XDG_CONFIG_HOME", &config.0)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "error: {}: keys: unknown action \"fly\"",
            config.0.join("kybernet/dashboard.yaml").display()
        )),
        "{err}"
    );
}

#[test]
fn dashboard_without_a_server_says_so() {
    let out = Command::new(bin("kyb"))
        .args(["dashboard", "--server", "http://127.0.0.1:1"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("error: the terminal"), "{err}");
}

#[test]
fn dashboard_streams_logs_and_forwards_ports() {
    let k = Kybd::start();
    let _node = k.process_node();
    let kc = kubectl();
    let ticker = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ticker}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: ticker}}\n  template:\n    metadata: {labels: {app: ticker}}\n    spec:\n      terminationGracePeriodSeconds: 1\n      containers:\n      - name: tick\n        image: none\n        command: [busybox, sh, -c, 'i=0; while true; do i=$((i+1)); echo tick-$i; sleep 0.2; done']\n";
    k.ok(&kc, &["apply", "-f", "-"], Some(ticker));
    converge(60, "two tickers running", &2, || {
        k.running_pods("app=ticker").len()
    });

    // Keys and colours from the config file: describe moved to i.
    let config = kyb_e2e::TempDir::new("dash-config");
    std::fs::create_dir_all(config.0.join("kybernet")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        config.0.join("kybernet/dashboard.yaml"),
        "keys:\n  describe: i\ntheme:\n  selected: blue\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let env = format!("XDG_CONFIG_HOME={}", config.0.display());
    let tmux = Tmux::dashboard("logs", &k, &env);
    tmux.shows("pods(default) [2]");
    tmux.text("i");
    tmux.shows("Describe pod/ticker-");
    tmux.keys(&["Escape"]);
    tmux.shows("pods(default) [2]");
    // A deployment's logs are its pods' lines together, each with its pod.
    tmux.text(":deploy");
    tmux.keys(&["Enter"]);
    tmux.shows("deployments(default) [1]");
    tmux.text("l");
    tmux.shows("Logs 2 pods of deployment/ticker [follow]");
    tmux.shows("/tick] tick-");
    // The lines keep coming.
    let seen = tmux.screen();
    converge(20, "new lines", &true, || tmux.screen() != seen);
    tmux.keys(&["Escape"]);
    tmux.shows("deployments(default) [1]");
    // One pod's logs, then with timestamps.
    tmux.keys(&["Escape"]);
    tmux.shows("pods(default) [2]");
    tmux.text("l");
    tmux.shows("/tick [follow]");
    tmux.shows("tick-");
    tmux.text("t");
    tmux.shows("[follow timestamps]");
    converge(20, "timestamped lines", &true, || {
        tmux.screen().lines().any(|l| l.contains("Z tick-"))
    });
    tmux.keys(&["Escape"]);

    // shift-f forwards a local port to a pod's; :pf lists the forwards, and ctrl-d stops one.
    let work = kyb_e2e::TempDir::new("dash-pf");
    std::fs::write(work.0.join("index.html"), "hello-pf\n").unwrap_or_else(|e| panic!("{e}"));
    let (remote, local) = (kyb_e2e::free_port(), kyb_e2e::free_port());
    let www = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: www}}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: none\n    command: [busybox, httpd, -f, -p, '127.0.0.1:{remote}', -h, '{}']\n",
        work.0.display()
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&www));
    tmux.text("/www");
    tmux.keys(&["Enter"]);
    tmux.shows("pods(default) [1]");
    tmux.shows("Running");
    tmux.text("F");
    tmux.shows("Port-forward pod/www");
    tmux.text(&format!("{local}:{remote}"));
    tmux.keys(&["Enter"]);
    let page = || crate::docker::http_get(&format!("http://127.0.0.1:{local}/"));
    converge(
        30,
        "the page through the forward",
        &Some("hello-pf\n".to_string()),
        page,
    );
    tmux.shows(&format!("Handling connection for {local}"));
    tmux.text(":pf");
    tmux.keys(&["Enter"]);
    tmux.shows(&format!("default/pod/www {local}:{remote}"));
    tmux.keys(&["C-d"]);
    tmux.text("y");
    converge(30, "the forward stopped", &None, page);
    tmux.shows("port-forward default/pod/www");

    tmux.text("q");
    tmux.shows("EXITED-0");
    k.ok(&kc, &["delete", "deployment", "ticker"], None);
    k.ok(&kc, &["delete", "pod", "www", "--grace-period=1"], None);
}

#[test]
fn dashboard_hands_the_terminal_to_a_shell_and_takes_it_back() {
    let k = Kybd::start();
    let _node = k.docker_node();
    let kc = kubectl();
    let pod = format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: shell}}\nspec:\n  terminationGracePeriodSeconds: 1\n  containers:\n  - name: c\n    image: {}\n    imagePullPolicy: IfNotPresent\n    command: [/bin/busybox, sleep, '3600']\n",
        busybox_image()
    );
    k.ok(&kc, &["apply", "-f", "-"], Some(&pod));
    converge(60, "the pod running", &1, || k.running_pods("").len());
    let tmux = Tmux::dashboard("shell", &k, "");
    tmux.shows("pods(default) [1]");
    tmux.text("x");
    // The shell has the terminal: its prompt, its answers, the main screen.
    tmux.shows("# ");
    tmux.text("echo in-shell-$((6*7))");
    tmux.keys(&["Enter"]);
    tmux.shows("in-shell-42");
    tmux.text("exit");
    tmux.keys(&["Enter"]);
    // The dashboard has it again, and still answers keys.
    tmux.shows("pods(default) [1]");
    assert_eq!(tmux.format("#{alternate_on}"), "1");
    tmux.text("?");
    tmux.shows("a shell in the pod");
    tmux.keys(&["Escape"]);
    tmux.text("q");
    tmux.shows("EXITED-0");
    k.ok(&kc, &["delete", "pod", "shell", "--grace-period=1"], None);
}
