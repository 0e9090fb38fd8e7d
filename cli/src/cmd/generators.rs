//! `kubectl create <generator>`: turns a generator subcommand and its flags into the object kubectl would send.
//!
//! Pure apart from reading the files named by `--from-file`/`--from-env-file`/`--cert`/`--key`. Flag names,
//! defaults, validation order and error texts follow kubectl 1.32 (checked against `--dry-run=client -o json`).

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Error prefix for `create job --from=cronjob/NAME`: building that Job needs the CronJob from the server, so
/// [`build`] returns `Err(format!("{FROM_CRONJOB_MARKER}{from}"))` with `--from`'s raw value for the caller to handle.
pub const FROM_CRONJOB_MARKER: &str = "kyb:needs-server:job-from:";

/// The generator subcommands of `create`, with kubectl's flag names.
#[derive(Debug, clap::Subcommand)]
pub enum Generator {
    /// A namespace.
    #[command(alias = "ns")]
    Namespace { name: String },
    /// A config map from literals, files, folders or env files.
    #[command(alias = "cm")]
    Configmap {
        name: String,
        #[arg(long = "from-literal")]
        from_literal: Vec<String>,
        #[arg(long = "from-file", value_delimiter = ',')]
        from_file: Vec<String>,
        #[arg(long = "from-env-file", value_delimiter = ',')]
        from_env_file: Vec<String>,
        #[arg(long)]
        append_hash: bool,
    },
    /// A secret: `generic`, `docker-registry` or `tls`.
    #[command(subcommand)]
    Secret(SecretCmd),
    /// A deployment running the given images.
    #[command(alias = "deploy")]
    Deployment {
        name: String,
        #[arg(long, required = true, value_delimiter = ',')]
        image: Vec<String>,
        #[arg(short = 'r', long, default_value_t = 1, allow_negative_numbers = true)]
        replicas: i32,
        #[arg(long, allow_negative_numbers = true)]
        port: Option<i32>,
        /// The container command, after `--`.
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// A service: `clusterip`, `nodeport`, `loadbalancer` or `externalname`.
    #[command(subcommand, alias = "svc")]
    Service(ServiceCmd),
    /// A job running an image (or, with `--from`, copied from a cronjob: see [`FROM_CRONJOB_MARKER`]).
    Job {
        name: String,
        #[arg(long)]
        image: Option<String>,
        #[arg(long)]
        from: Option<String>,
        /// The container command, after `--`.
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// A cronjob running an image on a schedule.
    #[command(alias = "cj")]
    Cronjob {
        name: String,
        #[arg(long)]
        image: String,
        #[arg(long)]
        schedule: String,
        #[arg(long, default_value = "OnFailure")]
        restart: String,
        /// The container command, after `--`.
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// A service account.
    #[command(alias = "sa")]
    Serviceaccount { name: String },
    /// An ingress from `host/path=svc:port[,tls[=secret]]` rules.
    #[command(alias = "ing")]
    Ingress {
        name: String,
        #[arg(long = "rule")]
        rules: Vec<String>,
        #[arg(long)]
        class: Option<String>,
        #[arg(long = "default-backend")]
        default_backend: Option<String>,
        #[arg(long)]
        annotation: Vec<String>,
    },
    /// A resource quota.
    #[command(alias = "resourcequota")]
    Quota {
        name: String,
        #[arg(long)]
        hard: Option<String>,
        #[arg(long)]
        scopes: Option<String>,
    },
    /// A priority class.
    #[command(alias = "pc")]
    Priorityclass {
        name: String,
        // kubectl's --value defaults to 0 rather than being required.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        value: i32,
        #[arg(long)]
        global_default: bool,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, default_value = "PreemptLowerPriority")]
        preemption_policy: String,
    },
}

/// `create secret` kinds.
#[derive(Debug, clap::Subcommand)]
pub enum SecretCmd {
    /// An Opaque (or `--type`) secret from literals, files, folders or env files.
    Generic {
        name: String,
        #[arg(long = "from-literal")]
        from_literal: Vec<String>,
        #[arg(long = "from-file", value_delimiter = ',')]
        from_file: Vec<String>,
        #[arg(long = "from-env-file", value_delimiter = ',')]
        from_env_file: Vec<String>,
        #[arg(long = "type")]
        type_: Option<String>,
        #[arg(long)]
        append_hash: bool,
    },
    /// A `kubernetes.io/dockerconfigjson` secret from credentials or files.
    DockerRegistry {
        name: String,
        #[arg(long = "docker-username", default_value = "")]
        docker_username: String,
        #[arg(long = "docker-password", default_value = "")]
        docker_password: String,
        #[arg(long = "docker-email", default_value = "")]
        docker_email: String,
        #[arg(long = "docker-server", default_value = "https://index.docker.io/v1/")]
        docker_server: String,
        #[arg(long = "from-file", value_delimiter = ',')]
        from_file: Vec<String>,
        #[arg(long)]
        append_hash: bool,
    },
    /// A `kubernetes.io/tls` secret from PEM files.
    Tls {
        name: String,
        #[arg(long)]
        cert: Option<String>,
        #[arg(long)]
        key: Option<String>,
        #[arg(long)]
        append_hash: bool,
    },
}

/// `create service` kinds.
#[derive(Debug, clap::Subcommand)]
pub enum ServiceCmd {
    /// A ClusterIP service (`--clusterip=None` for headless).
    Clusterip {
        name: String,
        #[arg(long, value_delimiter = ',')]
        tcp: Vec<String>,
        #[arg(long)]
        clusterip: Option<String>,
    },
    /// A NodePort service.
    Nodeport {
        name: String,
        #[arg(long, value_delimiter = ',')]
        tcp: Vec<String>,
        #[arg(long = "node-port", default_value_t = 0)]
        node_port: i32,
    },
    /// A LoadBalancer service.
    Loadbalancer {
        name: String,
        #[arg(long, value_delimiter = ',')]
        tcp: Vec<String>,
    },
    /// An ExternalName service.
    Externalname {
        name: String,
        #[arg(long = "external-name")]
        external_name: String,
        #[arg(long, value_delimiter = ',')]
        tcp: Vec<String>,
    },
}

impl Generator {
    /// How kubectl words a failed create for this generator, before the server's message (`failed to
    /// create configmap: `); None where it prints the server's error as it is (namespaces).
    pub fn failure_prefix(&self) -> Option<&'static str> {
        Some(match self {
            Generator::Namespace { .. } => return None,
            Generator::Configmap { .. } => "failed to create configmap: ",
            // kubectl's secret subcommands leave out the colon.
            Generator::Secret(_) => "failed to create secret ",
            Generator::Deployment { .. } => "failed to create deployment: ",
            Generator::Service(ServiceCmd::Clusterip { .. }) => {
                "failed to create ClusterIP service: "
            }
            Generator::Service(ServiceCmd::Nodeport { .. }) => {
                "failed to create NodePort service: "
            }
            Generator::Service(ServiceCmd::Loadbalancer { .. }) => {
                "failed to create LoadBalancer service: "
            }
            Generator::Service(ServiceCmd::Externalname { .. }) => {
                "failed to create ExternalName service: "
            }
            Generator::Job { .. } => "failed to create job: ",
            Generator::Cronjob { .. } => "failed to create cronjob: ",
            Generator::Serviceaccount { .. } => "failed to create serviceaccount: ",
            Generator::Ingress { .. } => "failed to create ingress: ",
            Generator::Quota { .. } => "failed to create quota: ",
            Generator::Priorityclass { .. } => "failed to create priorityclass: ",
        })
    }
}

/// The object kubectl's generator builds (no namespace: the caller sets it), exactly as
/// `kubectl create ... --dry-run=client -o json` prints it; `Err` holds kubectl's error text without `error: `.
pub fn build(g: &Generator) -> Result<Value, String> {
    match g {
        Generator::Namespace { name } => Ok(
            json!({"kind": "Namespace", "apiVersion": "v1", "metadata": meta(name), "spec": {}, "status": {}}),
        ),
        Generator::Serviceaccount { name } => {
            Ok(json!({"kind": "ServiceAccount", "apiVersion": "v1", "metadata": meta(name)}))
        }
        Generator::Configmap {
            name,
            from_literal,
            from_file,
            from_env_file,
            append_hash,
        } => configmap(name, from_literal, from_file, from_env_file, *append_hash),
        Generator::Secret(s) => secret(s),
        Generator::Deployment {
            name,
            image,
            replicas,
            port,
            command,
        } => deployment(name, image, *replicas, *port, command),
        Generator::Service(s) => service(s),
        Generator::Job {
            name,
            image,
            from,
            command,
        } => {
            let image = image.as_deref().unwrap_or("");
            let from = from.as_deref().unwrap_or("");
            if image.is_empty() == from.is_empty() {
                return Err("either --image or --from must be specified".into());
            }
            if !from.is_empty() {
                if !command.is_empty() {
                    return Err("cannot specify --from and command".into());
                }
                return Err(format!("{FROM_CRONJOB_MARKER}{from}"));
            }
            Ok(
                json!({"kind": "Job", "apiVersion": "batch/v1", "metadata": meta(name),
                "spec": {"template": pod_template(name, image, command, "Never")}, "status": {}}),
            )
        }
        Generator::Cronjob {
            name,
            image,
            schedule,
            restart,
            command,
        } => Ok(json!({
            "kind": "CronJob", "apiVersion": "batch/v1", "metadata": meta(name),
            "spec": {"schedule": schedule, "jobTemplate": {"metadata": meta(name),
                "spec": {"template": pod_template(name, image, command, restart)}}},
            "status": {}})),
        Generator::Ingress {
            name,
            rules,
            class,
            default_backend,
            annotation,
        } => ingress(
            name,
            rules,
            class.as_deref(),
            default_backend.as_deref(),
            annotation,
        ),
        Generator::Quota { name, hard, scopes } => quota(name, hard.as_deref(), scopes.as_deref()),
        Generator::Priorityclass {
            name,
            value,
            global_default,
            description,
            preemption_policy,
        } => {
            let mut o = json!({"kind": "PriorityClass", "apiVersion": "scheduling.k8s.io/v1",
                "metadata": meta(name), "value": value, "preemptionPolicy": preemption_policy});
            // Go's omitempty drops false and "".
            if *global_default {
                o["globalDefault"] = json!(true);
            }
            if let Some(d) = description.as_deref().filter(|d| !d.is_empty()) {
                o["description"] = json!(d);
            }
            Ok(o)
        }
    }
}

/// Metadata as kubectl prints it for a fresh object.
fn meta(name: &str) -> Value {
    json!({"name": name, "creationTimestamp": null})
}

/// The single-container pod template of jobs and cronjobs.
fn pod_template(name: &str, image: &str, command: &[String], restart: &str) -> Value {
    let mut c = json!({"name": name, "image": image, "resources": {}});
    if !command.is_empty() {
        c["command"] = json!(command);
    }
    json!({"metadata": {"creationTimestamp": null}, "spec": {"containers": [c], "restartPolicy": restart}})
}

// ---------------------------------------------------------------- configmaps and secrets

/// Keys and values collected from the `--from-*` sources, in insertion-independent (sorted) order.
#[derive(Default)]
struct Entries {
    data: BTreeMap<String, Vec<u8>>,
    binary: BTreeMap<String, Vec<u8>>,
}

/// `key=value` from `--from-literal`; the value may itself contain `=`.
fn parse_literal(src: &str) -> Result<(&str, &str), String> {
    match src.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k, v)),
        _ => Err(format!("invalid literal source {src}, expected key=value")),
    }
}

/// `path` or `key=path` from `--from-file`; the key defaults to the path's last element.
fn parse_file_source(src: &str) -> Result<(String, &str), String> {
    match src.matches('=').count() {
        0 => {
            let trimmed = src.trim_end_matches('/');
            let base = trimmed.rsplit('/').next().unwrap_or("");
            let key = if base.is_empty() {
                if src.is_empty() {
                    "."
                } else {
                    "/"
                }
            } else {
                base
            };
            Ok((key.to_string(), src))
        }
        1 if src.starts_with('=') => Err(format!("key name for file path {} missing", &src[1..])),
        1 if src.ends_with('=') => Err(format!(
            "file path for key name {} missing",
            &src[..src.len() - 1]
        )),
        1 => {
            let (k, p) = src.split_once('=').unwrap_or_default();
            Ok((k.to_string(), p))
        }
        _ => Err("key names or file paths cannot contain '='".into()),
    }
}

/// Go's `os.PathError` text for a failed stat/read (`no such file or directory`, ...).
fn io_text(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => {
            // Rust appends " (os error N)"; Go prints only the message, lower-cased.
            let s = e.to_string();
            let s = s.split(" (os error").next().unwrap_or(&s).to_string();
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_lowercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

/// Calls `add(key, path)` for a file source, or for each regular file of a folder source.
fn for_each_file(
    src: &str,
    add: &mut dyn FnMut(&str, &str) -> Result<(), String>,
) -> Result<(), String> {
    let (key, path) = parse_file_source(src)?;
    let md =
        std::fs::metadata(path).map_err(|e| format!("error reading {path}: {}", io_text(&e)))?;
    if !md.is_dir() {
        return add(&key, path);
    }
    if src.contains('=') {
        return Err("cannot give a key name for a directory path".into());
    }
    let listing = std::fs::read_dir(path)
        .map_err(|e| format!("error listing files in {path}: {}", io_text(&e)))?;
    let mut names: Vec<String> = listing
        .flatten()
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    // Go's ReadDir returns entries sorted by name, which decides which duplicate is reported.
    names.sort();
    for n in names {
        add(&n, &format!("{}/{n}", path.trim_end_matches('/')))?;
    }
    Ok(())
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("open {path}: {}", io_text(&e)))
}

/// Calls `add(key, value)` for each `KEY=value` line of an env file, like kubectl's `AddFromEnvFile`.
fn for_each_env(
    path: &str,
    dir_msg: &str,
    add: &mut dyn FnMut(&str, &str) -> Result<(), String>,
) -> Result<(), String> {
    let md =
        std::fs::metadata(path).map_err(|e| format!("error reading {path}: {}", io_text(&e)))?;
    if md.is_dir() {
        return Err(dir_msg.into());
    }
    let bytes = read(path)?;
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let Ok(mut line) = std::str::from_utf8(raw) else {
            return Err(format!(
                "env file {path} contains invalid utf8 bytes at line {}: {raw:?}",
                i + 1
            ));
        };
        if i == 0 {
            line = line.strip_prefix('\u{feff}').unwrap_or(line);
        }
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (key, value) = match line.split_once('=') {
            Some((k, v)) => (k, v.to_string()),
            // No `=`: kubectl takes the value from its own environment.
            None => (line, std::env::var(line).unwrap_or_default()),
        };
        let errs = env_var_name_errs(key);
        if !errs.is_empty() {
            return Err(format!(
                "{key:?} is not a valid key name: {}",
                errs.join(";")
            ));
        }
        add(key, &value)?;
    }
    Ok(())
}

fn regex_error(msg: &str, re: &str, examples: &[&str]) -> String {
    let ex: Vec<String> = examples.iter().map(|e| format!("'{e}', ")).collect();
    format!(
        "{msg} (e.g. {}regex used for validation is '{re}')",
        ex.join(" or ")
    )
}

fn chdir_errs(key: &str) -> Option<&'static str> {
    match key {
        "." => Some("must not be '.'"),
        ".." => Some("must not be '..'"),
        k if k.starts_with("..") => Some("must not start with '..'"),
        _ => None,
    }
}

fn env_var_name_errs(key: &str) -> Vec<String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "-._".contains(c);
    let mut errs = Vec::new();
    let first_ok = key
        .chars()
        .next()
        .is_some_and(|c| ok_char(c) && !c.is_ascii_digit());
    if !first_ok || !key.chars().all(ok_char) {
        errs.push(regex_error(
            "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
            "[-._a-zA-Z][-._a-zA-Z0-9]*",
            &["my.env-name", "MY_ENV.NAME", "MyEnvName1"],
        ));
    }
    errs.extend(chdir_errs(key).map(String::from));
    errs
}

fn config_key_errs(key: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if key.len() > 253 {
        errs.push("must be no more than 253 characters".to_string());
    }
    if key.is_empty()
        || !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
    {
        errs.push(regex_error(
            "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
            "[-._a-zA-Z0-9]+",
            &["key.name", "KEY_NAME", "key-name"],
        ));
    }
    errs.extend(chdir_errs(key).map(String::from));
    errs
}

impl Entries {
    fn add_cm(&mut self, cm: &str, key: &str, val: Vec<u8>, binary: bool) -> Result<(), String> {
        let errs = config_key_errs(key);
        if !errs.is_empty() {
            return Err(format!(
                "{key:?} is not a valid key name for a ConfigMap: {}",
                errs.join(",")
            ));
        }
        for (map, what) in [(&self.data, "Data"), (&self.binary, "BinaryData")] {
            if map.contains_key(key) {
                return Err(format!(
                    "cannot add key {key:?}, another key by that name already exists in {what} for ConfigMap {cm:?}"
                ));
            }
        }
        if binary {
            &mut self.binary
        } else {
            &mut self.data
        }
        .insert(key.to_string(), val);
        Ok(())
    }

    fn add_secret(&mut self, key: &str, val: Vec<u8>) -> Result<(), String> {
        let errs = config_key_errs(key);
        if !errs.is_empty() {
            return Err(format!(
                "{key:?} is not valid key name for a Secret {}",
                errs.join(";")
            ));
        }
        if self.data.contains_key(key) {
            return Err(format!(
                "cannot add key {key}, another key by that name already exists"
            ));
        }
        self.data.insert(key.to_string(), val);
        Ok(())
    }
}

fn env_combo_check(env: &[String], files: &[String], literals: &[String]) -> Result<(), String> {
    if !env.is_empty() && (!files.is_empty() || !literals.is_empty()) {
        return Err("from-env-file cannot be combined with from-file or from-literal".into());
    }
    Ok(())
}

fn configmap(
    name: &str,
    literals: &[String],
    files: &[String],
    envs: &[String],
    append_hash: bool,
) -> Result<Value, String> {
    env_combo_check(envs, files, literals)?;
    let mut e = Entries::default();
    // kubectl's order: files, then literals, then env files.
    for src in files {
        for_each_file(src, &mut |k, p| {
            let bytes = read(p)?;
            let binary = std::str::from_utf8(&bytes).is_err();
            e.add_cm(name, k, bytes, binary)
        })?;
    }
    for src in literals {
        let (k, v) = parse_literal(src)?;
        e.add_cm(name, k, v.as_bytes().to_vec(), false)?;
    }
    for path in envs {
        for_each_env(
            path,
            "env config file cannot be a directory",
            &mut |k, v| e.add_cm(name, k, v.as_bytes().to_vec(), false),
        )?;
    }
    let text = |m: &BTreeMap<String, Vec<u8>>| -> Map<String, Value> {
        m.iter()
            .map(|(k, v)| (k.clone(), json!(String::from_utf8_lossy(v))))
            .collect()
    };
    let b64 = |m: &BTreeMap<String, Vec<u8>>| -> Map<String, Value> {
        m.iter()
            .map(|(k, v)| (k.clone(), json!(base64(v))))
            .collect()
    };
    let mut full_name = name.to_string();
    if append_hash {
        // Go's json.Marshal of {binaryData?, data, kind, name}: keys sorted, data always present.
        let mut enc = String::from("{");
        if !e.binary.is_empty() {
            enc += &format!("\"binaryData\":{},", go_json_map(&b64(&e.binary)));
        }
        enc += &format!(
            "\"data\":{},\"kind\":\"ConfigMap\",\"name\":{}}}",
            go_json_map(&text(&e.data)),
            go_json_str(name)
        );
        full_name = format!("{name}-{}", hash_suffix(&enc));
    }
    let mut o = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta(&full_name)});
    if !e.data.is_empty() {
        o["data"] = Value::Object(text(&e.data));
    }
    if !e.binary.is_empty() {
        o["binaryData"] = Value::Object(b64(&e.binary));
    }
    Ok(o)
}

fn secret(s: &SecretCmd) -> Result<Value, String> {
    let mut e = Entries::default();
    let (name, ty, append_hash) = match s {
        SecretCmd::Generic {
            name,
            from_literal,
            from_file,
            from_env_file,
            type_,
            append_hash,
        } => {
            env_combo_check(from_env_file, from_file, from_literal)?;
            // Secrets take literals first, then files, then env files.
            for src in from_literal {
                let (k, v) = parse_literal(src)?;
                e.add_secret(k, v.as_bytes().to_vec())?;
            }
            for src in from_file {
                for_each_file(src, &mut |k, p| e.add_secret(k, read(p)?))?;
            }
            for path in from_env_file {
                for_each_env(
                    path,
                    "env secret file cannot be a directory",
                    &mut |k, v| e.add_secret(k, v.as_bytes().to_vec()),
                )?;
            }
            (name, type_.clone().unwrap_or_default(), *append_hash)
        }
        SecretCmd::DockerRegistry {
            name,
            docker_username: u,
            docker_password: p,
            docker_email: m,
            docker_server: srv,
            from_file,
            append_hash,
        } => {
            if from_file.is_empty() && (u.is_empty() || p.is_empty() || srv.is_empty()) {
                return Err("either --from-file or the combination of --docker-username, --docker-password and --docker-server is required".into());
            }
            if from_file.is_empty() {
                // ~/.docker/config.json layout; every entry field is omitempty.
                let mut entry = Vec::new();
                for (k, v) in [
                    ("username", u.clone()),
                    ("password", p.clone()),
                    ("email", m.clone()),
                    ("auth", base64(format!("{u}:{p}").as_bytes())),
                ] {
                    if !v.is_empty() {
                        entry.push(format!("\"{k}\":{}", go_json_str(&v)));
                    }
                }
                let cfg = format!(
                    "{{\"auths\":{{{}:{{{}}}}}}}",
                    go_json_str(srv),
                    entry.join(",")
                );
                e.add_secret(".dockerconfigjson", cfg.into_bytes())?;
            }
            for src in from_file {
                // A bare path becomes the .dockerconfigjson key.
                let src = if src.contains('=') {
                    src.clone()
                } else {
                    format!(".dockerconfigjson={src}")
                };
                for_each_file(&src, &mut |k, p| e.add_secret(k, read(p)?))?;
            }
            (
                name,
                "kubernetes.io/dockerconfigjson".to_string(),
                *append_hash,
            )
        }
        SecretCmd::Tls {
            name,
            cert,
            key,
            append_hash,
        } => {
            let (Some(cert), Some(key)) = (
                cert.as_deref().filter(|c| !c.is_empty()),
                key.as_deref().filter(|k| !k.is_empty()),
            ) else {
                return Err("key and cert must be specified".into());
            };
            let load = |f: &str| {
                std::fs::read(f)
                    .map_err(|err| format!("Cannot read file {f}, open {f}: {}", io_text(&err)))
            };
            let (c, k) = (load(cert)?, load(key)?);
            // Full X509KeyPair checking is not done; only the PEM presence kubectl reports first.
            let has_pem = |b: &[u8]| String::from_utf8_lossy(b).contains("-----BEGIN");
            if !has_pem(&c) {
                return Err("tls: failed to find any PEM data in certificate input".into());
            }
            if !has_pem(&k) {
                return Err("tls: failed to find any PEM data in key input".into());
            }
            e.add_secret("tls.crt", c)?;
            e.add_secret("tls.key", k)?;
            (name, "kubernetes.io/tls".to_string(), *append_hash)
        }
    };
    let data: Map<String, Value> = e
        .data
        .iter()
        .map(|(k, v)| (k.clone(), json!(base64(v))))
        .collect();
    let mut full_name = name.clone();
    if append_hash {
        let enc = format!(
            "{{\"data\":{},\"kind\":\"Secret\",\"name\":{},\"type\":{}}}",
            go_json_map(&data),
            go_json_str(name),
            go_json_str(&ty)
        );
        full_name = format!("{name}-{}", hash_suffix(&enc));
    }
    let mut o = json!({"kind": "Secret", "apiVersion": "v1", "metadata": meta(&full_name)});
    if !data.is_empty() {
        o["data"] = Value::Object(data);
    }
    if !ty.is_empty() {
        o["type"] = json!(ty);
    }
    Ok(o)
}

#[path = "generators_encoding.rs"]
mod encoding;
#[path = "generators_kinds.rs"]
mod kinds;
use encoding::{base64, go_json_map, go_json_str, hash_suffix};
use kinds::{deployment, ingress, quota, service};

#[cfg(test)]
#[path = "generators_tests.rs"]
mod tests;
