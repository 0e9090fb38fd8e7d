//! Expected objects and errors captured from `kubectl.1.32 create ... --dry-run=client -o json`.
#![allow(clippy::unwrap_used)] // Tests may unwrap.

use super::encoding::{base64, sha256};
use super::*;
use clap::Parser;

#[derive(Parser)]
struct T {
    #[command(subcommand)]
    g: Generator,
}

/// Folder holding the files the cases read; `@D@` in arguments and messages stands for it.
fn fixtures() -> String {
    let d = std::env::temp_dir().join("kyb-gen-fixtures");
    std::fs::create_dir_all(d.join("dir")).unwrap();
    for (f, c) in [
        ("env1", &b"a=1\nb=two\n"[..]),
        ("env2", b"export X=2\n"),
        ("env3", b"a=1\n# c\n\n  Z=3 \r\nW=\nq=a=b\n"),
        ("f1.txt", b"hello\n"),
        ("bin.dat", b"\x00\x01\xff"),
        ("dir/k1", b"x"),
        ("dir/k2", b"y"),
    ] {
        std::fs::write(d.join(f), c).unwrap();
    }
    d.to_str().unwrap().to_string()
}

fn run(args: &[&str]) -> Result<Value, String> {
    let d = fixtures();
    let mut full = vec!["create".to_string()];
    full.extend(args.iter().map(|a| a.replace("@D@", &d)));
    let t = T::try_parse_from(full).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    build(&t.g).map_err(|e| e.replace(&d, "@D@"))
}

fn ok(args: &[&str], expected: &str) {
    let want: Value = serde_json::from_str(expected).unwrap();
    assert_eq!(run(args), Ok(want), "{args:?}");
}

fn fail(args: &[&str], expected: &str) {
    assert_eq!(run(args), Err(expected.to_string()), "{args:?}");
}

#[test]
fn matches_kubectl() {
    ok(
        &["namespace", "ns1"],
        r#"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"ns1","creationTimestamp":null},"spec":{},"status":{}}"#,
    );
    ok(
        &["serviceaccount", "sa"],
        r#"{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa","creationTimestamp":null}}"#,
    );
    ok(
        &[
            "configmap",
            "cm",
            "--from-literal=a=b",
            "--from-literal=c=d",
        ],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","creationTimestamp":null},"data":{"a":"b","c":"d"}}"#,
    );
    fail(
        &["configmap", "cm", "--from-literal=x"],
        "invalid literal source x, expected key=value",
    );
    fail(
        &["configmap", "cm", "--from-literal==b"],
        "invalid literal source =b, expected key=value",
    );
    fail(&["configmap", "cm", "--from-literal=a=b", "--from-literal=a=c"], "cannot add key \"a\", another key by that name already exists in Data for ConfigMap \"cm\"");
    ok(
        &[
            "configmap",
            "cm",
            "--from-file=@D@/f1.txt",
            "--from-file=k=@D@/bin.dat",
        ],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","creationTimestamp":null},"data":{"f1.txt":"hello\n"},"binaryData":{"k":"AAH/"}}"#,
    );
    ok(
        &["configmap", "cm", "--from-file=@D@/dir"],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","creationTimestamp":null},"data":{"k1":"x","k2":"y"}}"#,
    );
    ok(
        &["configmap", "cm", "--from-file=@D@/dir/"],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","creationTimestamp":null},"data":{"k1":"x","k2":"y"}}"#,
    );
    fail(
        &["configmap", "cm", "--from-file=a=@D@/dir"],
        "cannot give a key name for a directory path",
    );
    ok(
        &["configmap", "cm", "--from-file=@D@/f1.txt,@D@/dir"],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","creationTimestamp":null},"data":{"f1.txt":"hello\n","k1":"x","k2":"y"}}"#,
    );
    ok(
        &["configmap", "cm", "--from-env-file=@D@/env1"],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","creationTimestamp":null},"data":{"a":"1","b":"two"}}"#,
    );
    ok(
        &["configmap", "cm", "--from-env-file=@D@/env3"],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","creationTimestamp":null},"data":{"W":"","Z":"3 ","a":"1","q":"a=b"}}"#,
    );
    fail(&["configmap", "cm", "--from-env-file=@D@/env2"], "\"export X\" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
    fail(
        &["configmap", "cm", "--from-env-file=@D@/dir"],
        "env config file cannot be a directory",
    );
    ok(
        &["configmap", "cm", "--from-literal=a=b", "--append-hash"],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-5k62mh6dh9","creationTimestamp":null},"data":{"a":"b"}}"#,
    );
    ok(
        &[
            "configmap",
            "cm",
            "--from-file=@D@/bin.dat",
            "--append-hash",
        ],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-78464h7444","creationTimestamp":null},"binaryData":{"bin.dat":"AAH/"}}"#,
    );
    ok(
        &[
            "configmap",
            "cm",
            "--from-literal=a=<&>\"\\",
            "--append-hash",
        ],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-2d2gt8d4t9","creationTimestamp":null},"data":{"a":"<&>\"\\"}}"#,
    );
    ok(
        &["configmap", "cm", "--append-hash"],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm-8cchg99m74","creationTimestamp":null}}"#,
    );
    ok(
        &["configmap", "cm"],
        r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm","creationTimestamp":null}}"#,
    );
    fail(&["configmap", "cm", "--from-literal=a/b=c"], "\"a/b\" is not a valid key name for a ConfigMap: a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    fail(
        &["configmap", "cm", "--from-literal=.=x"],
        "\".\" is not a valid key name for a ConfigMap: must not be '.'",
    );
    fail(
        &["configmap", "cm", "--from-literal=..a=x"],
        "\"..a\" is not a valid key name for a ConfigMap: must not start with '..'",
    );
    fail(
        &["configmap", "cm", "--from-file=nonexist-kyb"],
        "error reading nonexist-kyb: no such file or directory",
    );
    fail(
        &["configmap", "cm", "--from-file==f1.txt"],
        "key name for file path f1.txt missing",
    );
    fail(
        &["configmap", "cm", "--from-file=k="],
        "file path for key name k missing",
    );
    fail(
        &["configmap", "cm", "--from-file=k=a=b"],
        "key names or file paths cannot contain '='",
    );
    fail(&["configmap", "cm", "--from-file=k=@D@/bin.dat", "--from-literal=k=v"], "cannot add key \"k\", another key by that name already exists in BinaryData for ConfigMap \"cm\"");
    fail(&["configmap", "cm", "--from-file=@D@/f1.txt", "--from-file=@D@/f1.txt"], "cannot add key \"f1.txt\", another key by that name already exists in Data for ConfigMap \"cm\"");
    fail(
        &[
            "configmap",
            "cm",
            "--from-env-file=@D@/env1",
            "--from-literal=a=b",
        ],
        "from-env-file cannot be combined with from-file or from-literal",
    );
    ok(
        &[
            "secret",
            "generic",
            "s",
            "--from-literal=a=b",
            "--from-file=@D@/f1.txt",
        ],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","creationTimestamp":null},"data":{"a":"Yg==","f1.txt":"aGVsbG8K"}}"#,
    );
    ok(
        &[
            "secret",
            "generic",
            "s",
            "--from-literal=a=b",
            "--append-hash",
        ],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s-7fd2tm89d8","creationTimestamp":null},"data":{"a":"Yg=="}}"#,
    );
    ok(
        &[
            "secret",
            "generic",
            "s",
            "--from-file=@D@/bin.dat",
            "--append-hash",
            "--type=foo",
        ],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s-58gddhd849","creationTimestamp":null},"data":{"bin.dat":"AAH/"},"type":"foo"}"#,
    );
    ok(
        &[
            "secret",
            "generic",
            "s",
            "--from-literal=a=b",
            "--type=Opaque",
        ],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","creationTimestamp":null},"data":{"a":"Yg=="},"type":"Opaque"}"#,
    );
    ok(
        &["secret", "generic", "s", "--from-env-file=@D@/env3"],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","creationTimestamp":null},"data":{"W":"","Z":"MyA=","a":"MQ==","q":"YT1i"}}"#,
    );
    ok(
        &["secret", "generic", "s"],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","creationTimestamp":null}}"#,
    );
    fail(
        &[
            "secret",
            "generic",
            "s",
            "--from-literal=a=b",
            "--from-literal=a=c",
        ],
        "cannot add key a, another key by that name already exists",
    );
    fail(&["secret", "generic", "s", "--from-literal=a/b=c"], "\"a/b\" is not valid key name for a Secret a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
    fail(&["secret", "generic", "s", "--from-env-file=@D@/env2"], "\"export X\" is not a valid key name: a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')");
    fail(
        &["secret", "generic", "s", "--from-env-file=@D@/dir"],
        "env secret file cannot be a directory",
    );
    ok(
        &[
            "secret",
            "generic",
            "s",
            "--from-file=@D@/dir",
            "--append-hash",
        ],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s-899kdcckbt","creationTimestamp":null},"data":{"k1":"eA==","k2":"eQ=="}}"#,
    );
    ok(
        &[
            "secret",
            "docker-registry",
            "reg",
            "--docker-server=srv",
            "--docker-username=u",
            "--docker-password=p",
            "--docker-email=e@x",
        ],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"reg","creationTimestamp":null},"data":{".dockerconfigjson":"eyJhdXRocyI6eyJzcnYiOnsidXNlcm5hbWUiOiJ1IiwicGFzc3dvcmQiOiJwIiwiZW1haWwiOiJlQHgiLCJhdXRoIjoiZFRwdyJ9fX0="},"type":"kubernetes.io/dockerconfigjson"}"#,
    );
    ok(
        &[
            "secret",
            "docker-registry",
            "reg",
            "--docker-username=u",
            "--docker-password=p",
        ],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"reg","creationTimestamp":null},"data":{".dockerconfigjson":"eyJhdXRocyI6eyJodHRwczovL2luZGV4LmRvY2tlci5pby92MS8iOnsidXNlcm5hbWUiOiJ1IiwicGFzc3dvcmQiOiJwIiwiYXV0aCI6ImRUcHcifX19"},"type":"kubernetes.io/dockerconfigjson"}"#,
    );
    ok(
        &[
            "secret",
            "docker-registry",
            "reg",
            "--docker-username=u",
            "--docker-password=p<&>",
            "--docker-server=s",
            "--append-hash",
        ],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"reg-92h4h2gkh4","creationTimestamp":null},"data":{".dockerconfigjson":"eyJhdXRocyI6eyJzIjp7InVzZXJuYW1lIjoidSIsInBhc3N3b3JkIjoicFx1MDAzY1x1MDAyNlx1MDAzZSIsImF1dGgiOiJkVHB3UENZKyJ9fX0="},"type":"kubernetes.io/dockerconfigjson"}"#,
    );
    ok(
        &["secret", "docker-registry", "reg", "--from-file=@D@/f1.txt"],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"reg","creationTimestamp":null},"data":{".dockerconfigjson":"aGVsbG8K"},"type":"kubernetes.io/dockerconfigjson"}"#,
    );
    ok(
        &[
            "secret",
            "docker-registry",
            "reg",
            "--from-file=k=@D@/f1.txt",
        ],
        r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"reg","creationTimestamp":null},"data":{"k":"aGVsbG8K"},"type":"kubernetes.io/dockerconfigjson"}"#,
    );
    fail(&["secret", "docker-registry", "reg"], "either --from-file or the combination of --docker-username, --docker-password and --docker-server is required");
    fail(&["secret", "docker-registry", "reg", "--docker-username=u", "--docker-server=s"], "either --from-file or the combination of --docker-username, --docker-password and --docker-server is required");
    fail(&["secret", "tls", "t"], "key and cert must be specified");
    fail(
        &[
            "secret",
            "tls",
            "t",
            "--cert=@D@/f1.txt",
            "--key=@D@/f1.txt",
        ],
        "tls: failed to find any PEM data in certificate input",
    );
    fail(
        &["secret", "tls", "t", "--cert=@D@/nope", "--key=@D@/f1.txt"],
        "Cannot read file @D@/nope, open @D@/nope: no such file or directory",
    );
    ok(
        &[
            "deployment",
            "web",
            "--image=nginx",
            "--replicas=2",
            "--port=80",
        ],
        r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80}],"resources":{}}]}},"strategy":{}},"status":{}}"#,
    );
    ok(
        &["deployment", "web", "--image=a/b:c@sha256:1234"],
        r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"b","image":"a/b:c@sha256:1234","resources":{}}]}},"strategy":{}},"status":{}}"#,
    );
    ok(
        &[
            "deployment",
            "web",
            "--image=nginx",
            "--image=busybox:1.2",
            "--image=busybox:1.3",
        ],
        r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}},{"name":"busybox","image":"busybox:1.2","resources":{}},{"name":"busybox","image":"busybox:1.3","resources":{}}]}},"strategy":{}},"status":{}}"#,
    );
    ok(
        &["deployment", "web", "--image=nginx,redis"],
        r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}},{"name":"redis","image":"redis","resources":{}}]}},"strategy":{}},"status":{}}"#,
    );
    ok(
        &["deployment", "web", "--image=nginx", "--port=-1"],
        r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},"strategy":{}},"status":{}}"#,
    );
    ok(
        &["deployment", "web", "--image=nginx", "-r", "-3"],
        r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":-3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}}]}},"strategy":{}},"status":{}}"#,
    );
    ok(
        &[
            "deployment",
            "web",
            "--image=localhost:5000/x:1",
            "--port=0",
            "--",
            "sleep",
            "10",
        ],
        r#"{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"web","creationTimestamp":null,"labels":{"app":"web"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"web"}},"spec":{"containers":[{"name":"x","image":"localhost:5000/x:1","command":["sleep","10"],"ports":[{"containerPort":0}],"resources":{}}]}},"strategy":{}},"status":{}}"#,
    );
    fail(
        &[
            "deployment",
            "web",
            "--image=nginx",
            "--image=busybox",
            "--",
            "sleep",
            "10",
        ],
        "cannot specify multiple --image options and command",
    );
    ok(
        &["service", "clusterip", "svc", "--tcp=80:8080", "--tcp=443"],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080},{"name":"443","protocol":"TCP","port":443,"targetPort":443}],"selector":{"app":"svc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["service", "clusterip", "svc", "--tcp=80,81:http"],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"80","protocol":"TCP","port":80,"targetPort":80},{"name":"81-http","protocol":"TCP","port":81,"targetPort":"http"}],"selector":{"app":"svc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["service", "clusterip", "svc", "--clusterip=None"],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"selector":{"app":"svc"},"clusterIP":"None","type":"ClusterIP"},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &[
            "service",
            "clusterip",
            "svc",
            "--tcp=80",
            "--clusterip=1.2.3.4",
        ],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"80","protocol":"TCP","port":80,"targetPort":80}],"selector":{"app":"svc"},"clusterIP":"1.2.3.4","type":"ClusterIP"},"status":{"loadBalancer":{}}}"#,
    );
    fail(
        &["service", "clusterip", "svc"],
        "at least one tcp port specifier must be provided",
    );
    fail(
        &["service", "clusterip", "svc", "--tcp=abc"],
        "strconv.ParseUint: parsing \"abc\": invalid syntax",
    );
    fail(
        &["service", "clusterip", "svc", "--tcp=:80"],
        "strconv.ParseUint: parsing \"\": invalid syntax",
    );
    fail(
        &["service", "clusterip", "svc", "--tcp=70000"],
        "strconv.ParseUint: parsing \"70000\": value out of range",
    );
    ok(
        &["service", "clusterip", "svc", "--tcp=0"],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"0","protocol":"TCP","port":0,"targetPort":0}],"selector":{"app":"svc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}"#,
    );
    fail(
        &["service", "clusterip", "svc", "--tcp=80:0"],
        "must be between 1 and 65535, inclusive",
    );
    fail(&["service", "clusterip", "svc", "--tcp=80:"], "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-),must contain at least one letter (a-z)");
    fail(
        &["service", "clusterip", "svc", "--tcp=80:-5"],
        "must be between 1 and 65535, inclusive",
    );
    fail(
        &["service", "clusterip", "svc", "--tcp=80:a--b"],
        "must not contain consecutive hyphens",
    );
    fail(
        &["service", "clusterip", "svc", "--tcp=80:-ab"],
        "must not begin or end with a hyphen",
    );
    fail(
        &["service", "clusterip", "svc", "--tcp=80:abcdefghijklmnop"],
        "must be no more than 15 characters",
    );
    fail(&["service", "clusterip", "svc", "--tcp=80:ABC"], "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-),must contain at least one letter (a-z)");
    fail(
        &["service", "clusterip", "svc", "--tcp=+80"],
        "strconv.ParseUint: parsing \"+80\": invalid syntax",
    );
    ok(
        &["service", "clusterip", "svc", "--tcp=080:+90"],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"080-+90","protocol":"TCP","port":80,"targetPort":90}],"selector":{"app":"svc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["service", "clusterip", "svc", "--tcp=80:8080:9"],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"80-8080-9","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"svc"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &[
            "service",
            "nodeport",
            "svc",
            "--tcp=80:8080",
            "--node-port=30000",
        ],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30000}],"selector":{"app":"svc"},"type":"NodePort"},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["service", "nodeport", "svc", "--tcp=80"],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"80","protocol":"TCP","port":80,"targetPort":80}],"selector":{"app":"svc"},"type":"NodePort"},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["service", "loadbalancer", "svc", "--tcp=80"],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"80","protocol":"TCP","port":80,"targetPort":80}],"selector":{"app":"svc"},"type":"LoadBalancer"},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &[
            "service",
            "externalname",
            "svc",
            "--external-name=example.com",
        ],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"selector":{"app":"svc"},"type":"ExternalName","externalName":"example.com"},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &[
            "service",
            "externalname",
            "svc",
            "--external-name=a.com",
            "--tcp=80:90",
        ],
        r#"{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc","creationTimestamp":null,"labels":{"app":"svc"}},"spec":{"ports":[{"name":"80-90","protocol":"TCP","port":80,"targetPort":90}],"selector":{"app":"svc"},"type":"ExternalName","externalName":"a.com"},"status":{"loadBalancer":{}}}"#,
    );
    fail(
        &["service", "externalname", "svc", "--external-name=ex_ample"],
        "invalid service external name ex_ample",
    );
    fail(
        &["service", "externalname", "svc", "--external-name=Ex.com"],
        "invalid service external name Ex.com",
    );
    ok(
        &["job", "j", "--image=busybox"],
        r#"{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"j","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"j","image":"busybox","resources":{}}],"restartPolicy":"Never"}}},"status":{}}"#,
    );
    fail(&["job", "j"], "either --image or --from must be specified");
    fail(
        &["job", "j", "--image=x", "--from=cronjob/a"],
        "either --image or --from must be specified",
    );
    ok(
        &[
            "cronjob",
            "cj",
            "--image=busybox",
            "--schedule=*/1 * * * *",
            "--restart=Never",
        ],
        r#"{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"cj","creationTimestamp":null},"spec":{"schedule":"*/1 * * * *","jobTemplate":{"metadata":{"name":"cj","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"cj","image":"busybox","resources":{}}],"restartPolicy":"Never"}}}}},"status":{}}"#,
    );
    ok(
        &["cronjob", "cj", "--image=busybox", "--schedule=@hourly"],
        r#"{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"cj","creationTimestamp":null},"spec":{"schedule":"@hourly","jobTemplate":{"metadata":{"name":"cj","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"cj","image":"busybox","resources":{}}],"restartPolicy":"OnFailure"}}}}},"status":{}}"#,
    );
    ok(
        &[
            "ingress",
            "ing",
            "--rule=foo.com/bar=svc:8080",
            "--rule=foo.com/*=svc2:http,tls=my-cert",
            "--class=nginx",
            "--annotation=a=b",
        ],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null,"annotations":{"a":"b"}},"spec":{"ingressClassName":"nginx","tls":[{"hosts":["foo.com"],"secretName":"my-cert"}],"rules":[{"host":"foo.com","http":{"paths":[{"path":"/bar","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":8080}}}},{"path":"/","pathType":"Prefix","backend":{"service":{"name":"svc2","port":{"name":"http"}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["ingress", "ing", "--default-backend=svc:80"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"defaultBackend":{"service":{"name":"svc","port":{"number":80}}}},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["ingress", "ing", "--default-backend=svc:"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"defaultBackend":{"service":{"name":"svc","port":{}}}},"status":{"loadBalancer":{}}}"#,
    );
    fail(
        &["ingress", "ing", "--default-backend=svc"],
        "default-backend should be in format servicename:serviceport",
    );
    fail(
        &["ingress", "ing", "--default-backend=a:b:c"],
        "default-backend should be in format servicename:serviceport",
    );
    fail(
        &["ingress", "ing", "--rule=bad"],
        "rule bad is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]",
    );
    fail(&["ingress", "ing"], "not enough information provided: every ingress has to either specify a default-backend (which catches all traffic) or a list of rules (which catch specific paths)");
    ok(
        &["ingress", "ing", "--rule=/path=svc:80"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"rules":[{"http":{"paths":[{"path":"/path","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["ingress", "ing", "--rule=foo.com/=svc:80"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"rules":[{"host":"foo.com","http":{"paths":[{"path":"/","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    fail(&["ingress", "ing", "--rule=foo.com=svc:80"], "rule foo.com=svc:80 is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]");
    ok(
        &["ingress", "ing", "--rule=foo.com/a=svc:80,tls"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"tls":[{"hosts":["foo.com"]}],"rules":[{"host":"foo.com","http":{"paths":[{"path":"/a","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["ingress", "ing", "--rule=foo.com/a=svc:80,tls="],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"tls":[{"hosts":["foo.com"]}],"rules":[{"host":"foo.com","http":{"paths":[{"path":"/a","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["ingress", "ing", "--rule=foo.com/a=svc:80,tlsabc"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"tls":[{"hosts":["foo.com"]}],"rules":[{"host":"foo.com","http":{"paths":[{"path":"/a","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["ingress", "ing", "--rule=foo.com/a*=svc:80"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"rules":[{"host":"foo.com","http":{"paths":[{"path":"/a","pathType":"Prefix","backend":{"service":{"name":"svc","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["ingress", "ing", "--rule=*.foo.com/a=svc:80"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"rules":[{"host":"*.foo.com","http":{"paths":[{"path":"/a","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    fail(&["ingress", "ing", "--rule=foo.com/a=svc"], "rule foo.com/a=svc is invalid and should be in format host/path=svcname:svcport[,tls[=secret]]");
    ok(
        &["ingress", "ing", "--rule=foo.com/a=svc:80,x"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"tls":[{"hosts":["foo.com"]}],"rules":[{"host":"foo.com","http":{"paths":[{"path":"/a","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &["ingress", "ing", "--rule=foo.com/a=svc:80:90"],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"rules":[{"host":"foo.com","http":{"paths":[{"path":"/a","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    fail(
        &[
            "ingress",
            "ing",
            "--rule=foo.com/a=svc:80",
            "--annotation=bad",
        ],
        "annotation bad is invalid and should be in format key=[value]",
    );
    ok(
        &[
            "ingress",
            "ing",
            "--rule=foo.com/a=svc:http,tls=s1",
            "--rule=bar.com/b=svc:80,tls=s1",
            "--rule=/c=svc:80,tls",
            "--rule=/d=svc:80,tls=s2",
            "--rule=x.com/e=s:0",
        ],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"tls":[{"hosts":["foo.com","bar.com"],"secretName":"s1"}],"rules":[{"host":"foo.com","http":{"paths":[{"path":"/a","pathType":"Exact","backend":{"service":{"name":"svc","port":{"name":"http"}}}}]}},{"host":"bar.com","http":{"paths":[{"path":"/b","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}},{"http":{"paths":[{"path":"/c","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}},{"path":"/d","pathType":"Exact","backend":{"service":{"name":"svc","port":{"number":80}}}}]}},{"host":"x.com","http":{"paths":[{"path":"/e","pathType":"Exact","backend":{"service":{"name":"s","port":{}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &[
            "ingress",
            "ing",
            "--rule=a.com/x=s:1",
            "--rule=b.com/y=s:2,tls=c",
            "--rule=a.com/z=s:3,tls=c",
            "--rule=b.com/w=s:4,tls=d",
        ],
        r#"{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing","creationTimestamp":null},"spec":{"tls":[{"hosts":["b.com","a.com"],"secretName":"c"}],"rules":[{"host":"a.com","http":{"paths":[{"path":"/x","pathType":"Exact","backend":{"service":{"name":"s","port":{"number":1}}}},{"path":"/z","pathType":"Exact","backend":{"service":{"name":"s","port":{"number":3}}}}]}},{"host":"b.com","http":{"paths":[{"path":"/y","pathType":"Exact","backend":{"service":{"name":"s","port":{"number":2}}}},{"path":"/w","pathType":"Exact","backend":{"service":{"name":"s","port":{"number":4}}}}]}}]},"status":{"loadBalancer":{}}}"#,
    );
    ok(
        &[
            "quota",
            "q",
            "--hard=cpu=1,memory=1G,pods=2",
            "--scopes=BestEffort,NotTerminating",
        ],
        r#"{"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q","creationTimestamp":null},"spec":{"hard":{"cpu":"1","memory":"1G","pods":"2"},"scopes":["BestEffort","NotTerminating"]},"status":{}}"#,
    );
    ok(
        &["quota", "q"],
        r#"{"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q","creationTimestamp":null},"spec":{},"status":{}}"#,
    );
    fail(
        &["quota", "q", "--hard=cpu"],
        "Invalid argument syntax cpu, expected <resource>=<value>",
    );
    fail(
        &["quota", "q", "--hard=cpu=1,"],
        "Invalid argument syntax , expected <resource>=<value>",
    );
    ok(
        &["quota", "q", "--hard==1"],
        r#"{"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q","creationTimestamp":null},"spec":{"hard":{"":"1"}},"status":{}}"#,
    );
    fail(&["quota", "q", "--hard=cpu="], "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    fail(&["quota", "q", "--hard=cpu=abc"], "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
    fail(
        &["quota", "q", "--scopes=A,,B"],
        "invalid resource quota scope \"\"",
    );
    ok(
        &["quota", "q", "--scopes=Foo"],
        r#"{"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q","creationTimestamp":null},"spec":{"scopes":["Foo"]},"status":{}}"#,
    );
    ok(
        &[
            "priorityclass",
            "pc",
            "--value=1000",
            "--global-default",
            "--description=hi",
        ],
        r#"{"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc","creationTimestamp":null},"value":1000,"globalDefault":true,"description":"hi","preemptionPolicy":"PreemptLowerPriority"}"#,
    );
    ok(
        &[
            "priorityclass",
            "pc",
            "--value=10",
            "--preemption-policy=Never",
            "--description=",
        ],
        r#"{"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc","creationTimestamp":null},"value":10,"preemptionPolicy":"Never"}"#,
    );
    ok(
        &["priorityclass", "pc"],
        r#"{"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc","creationTimestamp":null},"value":0,"preemptionPolicy":"PreemptLowerPriority"}"#,
    );
    ok(
        &["priorityclass", "pc", "--value=-5"],
        r#"{"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc","creationTimestamp":null},"value":-5,"preemptionPolicy":"PreemptLowerPriority"}"#,
    );
}

#[test]
fn sanitized_container_names_get_a_random_suffix() {
    let v = run(&["deployment", "web", "--image=reg/a.b_c:1"]).unwrap();
    let name = v["spec"]["template"]["spec"]["containers"][0]["name"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(name.starts_with("a-b-c-") && name.len() == 11, "{name}");
}

#[test]
fn job_from_cronjob_needs_the_server() {
    assert_eq!(
        run(&["job", "j", "--from=cronjob/nightly"]),
        Err(format!("{FROM_CRONJOB_MARKER}cronjob/nightly"))
    );
    assert_eq!(
        run(&["job", "j", "--from=cronjob/x", "--", "a"]),
        Err("cannot specify --from and command".into())
    );
}

#[test]
fn sha256_and_base64_known_answers() {
    let hex: String = sha256(b"abc").iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    let long = vec![b'a'; 1000];
    let hex: String = sha256(&long).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3"
    );
    assert_eq!(
        [base64(b""), base64(b"f"), base64(b"fo"), base64(b"foo")],
        ["", "Zg==", "Zm8=", "Zm9v"]
    );
}
