//! kyb's client over TLS: the kubeconfig's CA, bearer tokens, client certificates, `--insecure-skip-tls-verify`,
//! against a TLS endpoint made for the test (kybd itself has no TLS yet).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use kyb_e2e::{bin, kubectl, python, scripts_dir, TempDir};

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, a server certificate for 127.0.0.1 and a client certificate, all made for this test.
fn certificates(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "1",
            "-subj",
            "/CN=test-ca",
        ],
    );
    let _ = std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n");
    // An extension makes the certificate X.509 v3, which TLS libraries require (as real clusters issue them).
    let _ = std::fs::write(dir.join("client.ext"), "extendedKeyUsage=clientAuth\n");
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "1",
            "-extfile",
            "san.ext",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "client.key",
            "-out",
            "client.csr",
            "-subj",
            "/CN=alice/O=team",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "client.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "client.crt",
            "-days",
            "1",
            "-extfile",
            "client.ext",
        ],
    );
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &Path, client_ca: bool) -> Server {
    let script = scripts_dir().join("tls_server.py");
    let mut cmd = Command::new(python());
    cmd.arg(&script)
        .arg(dir.join("server.crt"))
        .arg(dir.join("server.key"))
        .arg("s3cret");
    if client_ca {
        cmd.arg(dir.join("ca.crt"));
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("tls server: {e}"));
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("tls server printed {line:?}"));
    Server { child, port }
}

fn kubeconfig(dir: &Path, port: u16, user: &str) -> std::path::PathBuf {
    let path = dir.join(format!("config-{user}.yaml"));
    let user_block = match user {
        "token" => "    token: s3cret\n".to_string(),
        "wrong" => "    token: nope\n".to_string(),
        _ => format!(
            "    client-certificate: {}\n    client-key: {}\n    token: s3cret\n",
            dir.join("client.crt").display(),
            dir.join("client.key").display()
        ),
    };
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: t\nclusters:\n- name: t\n  cluster:\n    server: https://127.0.0.1:{port}\n    certificate-authority: {}\ncontexts:\n- name: t\n  context:\n    cluster: t\n    user: u\nusers:\n- name: u\n  user:\n{user_block}",
        dir.join("ca.crt").display()
    );
    let _ = std::fs::write(&path, text);
    path
}

fn run(binary: &Path, config: &Path, home: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(binary)
        .args(args)
        .env("KUBECONFIG", config)
        .env("HOME", home)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn kyb_speaks_tls_with_tokens_and_client_certificates() {
    let dir = TempDir::new("tls");
    certificates(&dir.0);
    let kyb = bin("kyb");
    let server = serve(&dir.0, false);
    let ok = kubeconfig(&dir.0, server.port, "token");
    let (code, out, err) = run(&kyb, &ok, &dir.0, &["get", "pods"]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "NAME         STATUS\nsecure-pod   Running\n");
    let (_, kubectl_out, _) = run(&kubectl(), &ok, &dir.0, &["get", "pods"]);
    assert_eq!(out, kubectl_out);

    let wrong = kubeconfig(&dir.0, server.port, "wrong");
    let (code, _, err) = run(&kyb, &wrong, &dir.0, &["get", "pods"]);
    assert_eq!(
        (code, err.trim()),
        (
            Some(1),
            "error: You must be logged in to the server (Unauthorized)"
        )
    );

    // Without the CA the server is not trusted, unless verification is turned off.
    let args_no_ca = [
        "--kubeconfig",
        "/dev/null",
        "--server",
        &format!("https://127.0.0.1:{}", server.port),
        "--token",
        "s3cret",
        "get",
        "pods",
    ];
    let (code, _, err) = run(&kyb, &ok, &dir.0, &args_no_ca);
    assert_eq!(
        (code, err.trim()),
        (Some(1), "Unable to connect to the server: tls: failed to verify certificate: x509: certificate signed by unknown authority")
    );
    let mut insecure = args_no_ca.to_vec();
    insecure.insert(0, "--insecure-skip-tls-verify");
    let (code, out, err) = run(&kyb, &ok, &dir.0, &insecure);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "NAME         STATUS\nsecure-pod   Running\n"),
        "{err}"
    );
    drop(server);

    // A server that asks for client certificates gets one from the kubeconfig.
    let mtls = serve(&dir.0, true);
    let with_cert = kubeconfig(&dir.0, mtls.port, "cert");
    let (code, out, err) = run(&kyb, &with_cert, &dir.0, &["get", "pods"]);
    assert_eq!(
        (code, out.as_str()),
        (Some(0), "NAME         STATUS\nsecure-pod   Running\n"),
        "{err}"
    );
    let without_cert = kubeconfig(&dir.0, mtls.port, "token");
    let (code, _, _) = run(&kyb, &without_cert, &dir.0, &["get", "pods"]);
    assert_eq!(code, Some(1));
}
