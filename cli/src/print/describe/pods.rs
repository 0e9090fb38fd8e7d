//! Pods and the pieces other describers share with them: containers, volumes, pod templates, QoS class.

use super::events::describe_events;
use super::quantity::{canonical, from_json};
use super::util::{
    annotations, arr, at, b, controller_of, i, labels, labels_block, map, opt_i, or_none, rfc1123z,
    s, since, title_bool, tolerations,
};
use super::writer::{Writer, L0, L1, L2, L3};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// kubectl's `describePod`.
pub fn describe_pod(pod: &Value, events: &[Value], now: DateTime<Utc>) -> String {
    let mut w = Writer::new();
    w.w(L0, &format!("Name:\t{}\n", s(pod, "/metadata/name")));
    w.w(
        L0,
        &format!("Namespace:\t{}\n", s(pod, "/metadata/namespace")),
    );
    if let Some(p) = opt_i(pod, "/spec/priority") {
        w.w(L0, &format!("Priority:\t{p}\n"));
    }
    let pcn = s(pod, "/spec/priorityClassName");
    if !pcn.is_empty() {
        w.w(L0, &format!("Priority Class Name:\t{pcn}\n"));
    }
    let rcn = s(pod, "/spec/runtimeClassName");
    if !rcn.is_empty() {
        w.w(L0, &format!("Runtime Class Name:\t{rcn}\n"));
    }
    let sa = s(pod, "/spec/serviceAccountName");
    if !sa.is_empty() {
        w.w(L0, &format!("Service Account:\t{sa}\n"));
    }
    let node = s(pod, "/spec/nodeName");
    if node.is_empty() {
        w.w(L0, "Node:\t<none>\n");
    } else {
        w.w(L0, &format!("Node:\t{node}/{}\n", s(pod, "/status/hostIP")));
    }
    let start = s(pod, "/status/startTime");
    if !start.is_empty() {
        w.w(L0, &format!("Start Time:\t{}\n", rfc1123z(start)));
    }
    labels(&mut w, "Labels", pod, "/metadata/labels");
    annotations(&mut w, "Annotations", pod, "/metadata/annotations");
    let phase = s(pod, "/status/phase");
    let deletion = s(pod, "/metadata/deletionTimestamp");
    if !deletion.is_empty() && phase != "Failed" && phase != "Succeeded" {
        w.w(
            L0,
            &format!("Status:\tTerminating (lasts {})\n", since(deletion, now)),
        );
        w.w(
            L0,
            &format!(
                "Termination Grace Period:\t{}s\n",
                i(pod, "/metadata/deletionGracePeriodSeconds")
            ),
        );
    } else {
        w.w(L0, &format!("Status:\t{phase}\n"));
    }
    for (key, title) in [("/status/reason", "Reason"), ("/status/message", "Message")] {
        let v = s(pod, key);
        if !v.is_empty() {
            w.w(L0, &format!("{title}:\t{v}\n"));
        }
    }
    let seccomp = at(pod, "/spec/securityContext/seccompProfile");
    if !seccomp.is_null() {
        let t = s(seccomp, "/type");
        w.w(L0, &format!("SeccompProfile:\t{t}\n"));
        if t == "Localhost" {
            w.w(
                L0,
                &format!("LocalhostProfile:\t{}\n", s(seccomp, "/localhostProfile")),
            );
        }
    }
    w.w(L0, &format!("IP:\t{}\n", s(pod, "/status/podIP")));
    let ips = arr(pod, "/status/podIPs");
    if ips.is_empty() {
        w.w(L0, "IPs:\t<none>\n");
    } else {
        w.w(L0, "IPs:\n");
        for ip in ips {
            w.w(L1, &format!("IP:\t{}\n", s(ip, "/ip")));
        }
    }
    if let Some(c) = controller_of(pod) {
        w.w(L0, &format!("Controlled By:\t{c}\n"));
    }
    let nominated = s(pod, "/status/nominatedNodeName");
    if !nominated.is_empty() {
        w.w(L0, &format!("NominatedNodeName:\t{nominated}\n"));
    }
    let pod_resources = at(pod, "/spec/resources");
    if !pod_resources.is_null() {
        w.w(L0, "Resources:\n");
        describe_resources(&mut w, pod_resources, L1);
    }
    let init = arr(pod, "/spec/initContainers");
    if !init.is_empty() {
        containers(
            &mut w,
            "Init Containers",
            init,
            Some(arr(pod, "/status/initContainerStatuses")),
            Some(pod),
            "",
        );
    }
    containers(
        &mut w,
        "Containers",
        arr(pod, "/spec/containers"),
        Some(arr(pod, "/status/containerStatuses")),
        Some(pod),
        "",
    );
    let eph = arr(pod, "/spec/ephemeralContainers");
    if !eph.is_empty() {
        let statuses = arr(pod, "/status/ephemeralContainerStatuses");
        containers(
            &mut w,
            "Ephemeral Containers",
            eph,
            Some(statuses),
            Some(pod),
            "",
        );
    }
    let conditions = arr(pod, "/status/conditions");
    let gates = arr(pod, "/spec/readinessGates");
    if !gates.is_empty() {
        w.w(L0, "Readiness Gates:\n  Type\tStatus\n");
        for g in gates {
            let t = s(g, "/conditionType");
            let status = conditions
                .iter()
                .find(|c| s(c, "/type") == t)
                .map(|c| s(c, "/status").to_string())
                .unwrap_or_else(|| "<none>".to_string());
            w.w(L1, &format!("{t} \t{status} \n"));
        }
    }
    if !conditions.is_empty() {
        w.w(L0, "Conditions:\n  Type\tStatus\n");
        for c in conditions {
            w.w(L1, &format!("{} \t{} \n", s(c, "/type"), s(c, "/status")));
        }
    }
    volumes(&mut w, arr(pod, "/spec/volumes"), "");
    let qos = s(pod, "/status/qosClass");
    let qos = if qos.is_empty() {
        compute_qos(pod)
    } else {
        qos.to_string()
    };
    w.w(L0, &format!("QoS Class:\t{qos}\n"));
    labels(&mut w, "Node-Selectors", pod, "/spec/nodeSelector");
    tolerations(&mut w, "", "Tolerations", arr(pod, "/spec/tolerations"));
    topology_spread(&mut w, arr(pod, "/spec/topologySpreadConstraints"), "");
    describe_events(&mut w, events, now);
    w.finish()
}

/// `describeTopologySpreadConstraints`, sorted by topology key.
fn topology_spread(w: &mut Writer, list: &[Value], space: &str) {
    if list.is_empty() {
        return;
    }
    let mut items: Vec<&Value> = list.iter().collect();
    items.sort_by(|a, c| s(a, "/topologyKey").cmp(s(c, "/topologyKey")));
    w.w(L0, &format!("{space}Topology Spread Constraints:\t"));
    for (n, t) in items.iter().enumerate() {
        if n != 0 {
            w.w(L0, space);
            w.w(L0, "\t");
        }
        let mut text = format!(
            "{}:{} when max skew {} is exceeded",
            s(t, "/topologyKey"),
            s(t, "/whenUnsatisfiable"),
            i(t, "/maxSkew")
        );
        let sel = at(t, "/labelSelector");
        if !sel.is_null() {
            text.push_str(&format!(
                " for selector {}",
                super::util::format_selector(sel)
            ));
        }
        w.w(L0, &format!("{text}\n"));
    }
}

/// `DescribePodTemplate`: the template block of controllers, indented one level.
pub fn pod_template(w: &mut Writer, template: &Value) {
    w.w(L0, "Pod Template:\n");
    if template.is_null() {
        w.w(L1, "<unset>");
        return;
    }
    labels(w, "  Labels", template, "/metadata/labels");
    if !map(template, "/metadata/annotations").is_empty() {
        annotations(w, "  Annotations", template, "/metadata/annotations");
    }
    let sa = s(template, "/spec/serviceAccountName");
    if !sa.is_empty() {
        w.w(L1, &format!("Service Account:\t{sa}\n"));
    }
    let init = arr(template, "/spec/initContainers");
    if !init.is_empty() {
        containers(w, "Init Containers", init, None, None, "  ");
    }
    containers(
        w,
        "Containers",
        arr(template, "/spec/containers"),
        None,
        None,
        "  ",
    );
    volumes(w, arr(template, "/spec/volumes"), "  ");
    topology_spread(w, arr(template, "/spec/topologySpreadConstraints"), "  ");
    let pcn = s(template, "/spec/priorityClassName");
    if !pcn.is_empty() {
        w.w(L1, &format!("Priority Class Name:\t{pcn}\n"));
    }
    labels(w, "  Node-Selectors", template, "/spec/nodeSelector");
    tolerations(w, "  ", "Tolerations", arr(template, "/spec/tolerations"));
}

/// `describeContainers`; `statuses` is `None` for templates, `pod` resolves downward-API env values.
fn containers(
    w: &mut Writer,
    label: &str,
    list: &[Value],
    statuses: Option<&[Value]>,
    pod: Option<&Value>,
    space: &str,
) {
    let none = if list.is_empty() { " <none>" } else { "" };
    w.w(L0, &format!("{space}{label}:{none}\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for c in list {
        let name = s(c, "/name");
        let status = statuses.and_then(|st| st.iter().find(|x| s(x, "/name") == name));
        w.w(L1, &format!("{name_indent}{name}:\n"));
        if let Some(st) = status {
            w.w(L2, &format!("Container ID:\t{}\n", s(st, "/containerID")));
        }
        w.w(L2, &format!("Image:\t{}\n", s(c, "/image")));
        if let Some(st) = status {
            w.w(L2, &format!("Image ID:\t{}\n", s(st, "/imageID")));
        }
        let ports = arr(c, "/ports");
        let port_text = |field: &str| {
            ports
                .iter()
                .map(|p| {
                    let proto = s(p, "/protocol");
                    format!(
                        "{}/{}",
                        i(p, field),
                        if proto.is_empty() { "TCP" } else { proto }
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let cp = port_text("/containerPort");
        if cp.contains(',') {
            w.w(L2, &format!("Ports:\t{cp}\n"));
        } else {
            w.w(L2, &format!("Port:\t{}\n", or_none(&cp)));
        }
        let hp = port_text("/hostPort");
        if hp.contains(',') {
            w.w(L2, &format!("Host Ports:\t{hp}\n"));
        } else {
            w.w(L2, &format!("Host Port:\t{}\n", or_none(&hp)));
        }
        let seccomp = at(c, "/securityContext/seccompProfile");
        if !seccomp.is_null() {
            let t = s(seccomp, "/type");
            w.w(L2, &format!("SeccompProfile:\t{t}\n"));
            if t == "Localhost" {
                w.w(
                    L3,
                    &format!("LocalhostProfile:\t{}\n", s(seccomp, "/localhostProfile")),
                );
            }
        }
        for (field, title) in [("/command", "Command"), ("/args", "Args")] {
            let items = arr(c, field);
            if !items.is_empty() {
                w.w(L2, &format!("{title}:\n"));
                for item in items {
                    for part in item.as_str().unwrap_or("").split('\n') {
                        w.w(L3, &format!("{part}\n"));
                    }
                }
            }
        }
        if let Some(st) = status {
            container_state(w, "State", at(st, "/state"));
            if !at(st, "/lastState/terminated").is_null() {
                container_state(w, "Last State", at(st, "/lastState"));
            }
            w.w(L2, &format!("Ready:\t{}\n", title_bool(b(st, "/ready"))));
            w.w(L2, &format!("Restart Count:\t{}\n", i(st, "/restartCount")));
        }
        describe_resources(w, at(c, "/resources"), L2);
        for (field, title) in [
            ("/livenessProbe", "Liveness"),
            ("/readinessProbe", "Readiness"),
            ("/startupProbe", "Startup"),
        ] {
            let p = at(c, field);
            if !p.is_null() {
                w.w(L2, &format!("{title}:\t{}\n", probe(p)));
            }
        }
        env_from(w, arr(c, "/envFrom"));
        env(w, c, pod);
        mounts(w, c);
    }
}

/// `describeResources`: limits then requests, each sorted by resource name.
pub fn describe_resources(w: &mut Writer, resources: &Value, level: usize) {
    for (field, title) in [("/limits", "Limits"), ("/requests", "Requests")] {
        let list = map(resources, field);
        if !list.is_empty() {
            w.w(level, &format!("{title}:\n"));
        }
        for (name, q) in list {
            w.w(level + 1, &format!("{name}:\t{}\n", canonical(&q)));
        }
    }
}

/// `describeStatus` for one container state.
fn container_state(w: &mut Writer, title: &str, state: &Value) {
    let running = at(state, "/running");
    let waiting = at(state, "/waiting");
    let term = at(state, "/terminated");
    if !running.is_null() {
        w.w(L2, &format!("{title}:\tRunning\n"));
        w.w(
            L3,
            &format!("Started:\t{}\n", rfc1123z(s(running, "/startedAt"))),
        );
    } else if !waiting.is_null() {
        w.w(L2, &format!("{title}:\tWaiting\n"));
        let r = s(waiting, "/reason");
        if !r.is_empty() {
            w.w(L3, &format!("Reason:\t{r}\n"));
        }
    } else if !term.is_null() {
        w.w(L2, &format!("{title}:\tTerminated\n"));
        for (field, label) in [("/reason", "Reason"), ("/message", "Message")] {
            let v = s(term, field);
            if !v.is_empty() {
                w.w(L3, &format!("{label}:\t{v}\n"));
            }
        }
        w.w(L3, &format!("Exit Code:\t{}\n", i(term, "/exitCode")));
        let signal = i(term, "/signal");
        if signal > 0 {
            w.w(L3, &format!("Signal:\t{signal}\n"));
        }
        w.w(
            L3,
            &format!("Started:\t{}\n", rfc1123z(s(term, "/startedAt"))),
        );
        w.w(
            L3,
            &format!("Finished:\t{}\n", rfc1123z(s(term, "/finishedAt"))),
        );
    } else {
        w.w(L2, &format!("{title}:\tWaiting\n"));
    }
}

/// `DescribeProbe`: the probe kind and its timing attributes, with API defaults applied.
fn probe(p: &Value) -> String {
    let or = |field: &str, def: i64| opt_i(p, field).unwrap_or(def);
    let attrs = format!(
        "delay={}s timeout={}s period={}s #success={} #failure={}",
        or("/initialDelaySeconds", 0),
        or("/timeoutSeconds", 1),
        or("/periodSeconds", 10),
        or("/successThreshold", 1),
        or("/failureThreshold", 3)
    );
    let exec = at(p, "/exec");
    let http = at(p, "/httpGet");
    let tcp = at(p, "/tcpSocket");
    let grpc = at(p, "/grpc");
    if !exec.is_null() {
        let cmd: Vec<&str> = arr(exec, "/command")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        format!("exec [{}] {attrs}", cmd.join(" "))
    } else if !http.is_null() {
        let scheme = s(http, "/scheme").to_lowercase();
        let host = s(http, "/host");
        let port = super::util::int_or_string(at(http, "/port"));
        let hostport = if port.is_empty() {
            host.to_string()
        } else if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let path = s(http, "/path");
        let mut url = String::new();
        if !scheme.is_empty() {
            url.push_str(&scheme);
            url.push(':');
        }
        if !scheme.is_empty() || !hostport.is_empty() {
            url.push_str("//");
            url.push_str(&hostport);
        }
        if !path.is_empty() && !path.starts_with('/') && !hostport.is_empty() {
            url.push('/');
        }
        url.push_str(path);
        format!("http-get {url} {attrs}")
    } else if !tcp.is_null() {
        format!(
            "tcp-socket {}:{} {attrs}",
            s(tcp, "/host"),
            super::util::int_or_string(at(tcp, "/port"))
        )
    } else if !grpc.is_null() {
        format!(
            "grpc <pod>:{} {} {attrs}",
            i(grpc, "/port"),
            s(grpc, "/service")
        )
    } else {
        format!("unknown {attrs}")
    }
}

/// `describeContainerEnvFrom`.
fn env_from(w: &mut Writer, list: &[Value]) {
    if list.is_empty() {
        return;
    }
    w.w(L2, "Environment Variables from:\n");
    for e in list {
        let (from, r) = if !at(e, "/configMapRef").is_null() {
            ("ConfigMap", at(e, "/configMapRef"))
        } else if !at(e, "/secretRef").is_null() {
            ("Secret", at(e, "/secretRef"))
        } else {
            ("", &Value::Null)
        };
        let optional = b(r, "/optional");
        let prefix = s(e, "/prefix");
        if prefix.is_empty() {
            w.w(
                L3,
                &format!("{}\t{from}\tOptional: {optional}\n", s(r, "/name")),
            );
        } else {
            w.w(
                L3,
                &format!(
                    "{}\t{from} with prefix '{prefix}'\tOptional: {optional}\n",
                    s(r, "/name")
                ),
            );
        }
    }
}

/// `describeContainerEnvVars`; field references are resolved against the pod for the common paths.
fn env(w: &mut Writer, c: &Value, pod: Option<&Value>) {
    let list = arr(c, "/env");
    if list.is_empty() {
        w.w(L2, "Environment:\t<none>\n");
        return;
    }
    w.w(L2, "Environment:\n");
    for e in list {
        let name = s(e, "/name");
        let vf = at(e, "/valueFrom");
        if vf.is_null() {
            for (n, part) in s(e, "/value").split('\n').enumerate() {
                if n == 0 {
                    w.w(L3, &format!("{name}:\t{part}\n"));
                } else {
                    w.w(L3, &format!("\t{part}\n"));
                }
            }
            continue;
        }
        if !at(vf, "/fieldRef").is_null() {
            let path = s(vf, "/fieldRef/fieldPath");
            let mut api = s(vf, "/fieldRef/apiVersion");
            if api.is_empty() {
                api = "v1";
            }
            let value = pod.map(|p| field_path(p, path)).unwrap_or_default();
            w.w(L3, &format!("{name}:\t{value} ({api}:{path})\n"));
        } else if !at(vf, "/resourceFieldRef").is_null() {
            let resource = s(vf, "/resourceFieldRef/resource");
            let value = resource_field(c, at(vf, "/resourceFieldRef"));
            w.w(L3, &format!("{name}:\t{value} ({resource})\n"));
        } else if !at(vf, "/secretKeyRef").is_null() {
            let r = at(vf, "/secretKeyRef");
            w.w(
                L3,
                &format!(
                    "{name}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n",
                    s(r, "/key"),
                    s(r, "/name"),
                    b(r, "/optional")
                ),
            );
        } else if !at(vf, "/configMapKeyRef").is_null() {
            let r = at(vf, "/configMapKeyRef");
            w.w(
                L3,
                &format!(
                    "{name}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n",
                    s(r, "/key"),
                    s(r, "/name"),
                    b(r, "/optional")
                ),
            );
        }
    }
}

/// `fieldpath.ExtractFieldPathAsString` for the paths the downward API allows.
fn field_path(pod: &Value, path: &str) -> String {
    let meta_map = |field: &str, key: &str| {
        at(pod, &format!("/metadata/{field}"))
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    if let Some(rest) = path
        .strip_prefix("metadata.labels['")
        .and_then(|r| r.strip_suffix("']"))
    {
        return meta_map("labels", rest);
    }
    if let Some(rest) = path
        .strip_prefix("metadata.annotations['")
        .and_then(|r| r.strip_suffix("']"))
    {
        return meta_map("annotations", rest);
    }
    let pointer = match path {
        "metadata.name" => "/metadata/name",
        "metadata.namespace" => "/metadata/namespace",
        "metadata.uid" => "/metadata/uid",
        "spec.nodeName" => "/spec/nodeName",
        "spec.serviceAccountName" => "/spec/serviceAccountName",
        "status.hostIP" => "/status/hostIP",
        "status.podIP" => "/status/podIP",
        "status.podIPs" => "/status/podIPs/0/ip",
        "status.hostIPs" => "/status/hostIPs/0/ip",
        _ => return String::new(),
    };
    s(pod, pointer).to_string()
}

/// `ExtractContainerResourceValue` for limits/requests of cpu and memory, "node allocatable" for unset limits.
fn resource_field(c: &Value, r: &Value) -> String {
    let resource = s(r, "/resource");
    let (kind, name) = resource.split_once('.').unwrap_or(("", resource));
    let q = from_json(at(c, &format!("/resources/{kind}/{name}")));
    let divisor = from_json(at(r, "/divisor"));
    let value = match q {
        Some(q) => {
            let div = divisor.map(|d| d.nanos).filter(|n| *n > 0);
            let div = div.unwrap_or(1_000_000_000);
            let v = q.nanos / div + i128::from(q.nanos % div != 0);
            v.to_string()
        }
        None => "0".to_string(),
    };
    if value == "0" && (resource == "limits.cpu" || resource == "limits.memory") {
        "node allocatable".to_string()
    } else {
        value
    }
}

/// `describeContainerVolumes`: mounts sorted by path, then devices.
fn mounts(w: &mut Writer, c: &Value) {
    let list = arr(c, "/volumeMounts");
    let none = if list.is_empty() { "\t<none>" } else { "" };
    w.w(L2, &format!("Mounts:{none}\n"));
    let mut items: Vec<&Value> = list.iter().collect();
    items.sort_by(|a, x| s(a, "/mountPath").cmp(s(x, "/mountPath")));
    for m in items {
        let mut flags = vec![if b(m, "/readOnly") {
            "ro".to_string()
        } else {
            "rw".to_string()
        }];
        let sub = s(m, "/subPath");
        if !sub.is_empty() {
            flags.push(format!("path={}", go_quote(sub)));
        }
        w.w(
            L3,
            &format!(
                "{} from {} ({})\n",
                s(m, "/mountPath"),
                s(m, "/name"),
                flags.join(",")
            ),
        );
    }
    let devices = arr(c, "/volumeDevices");
    if !devices.is_empty() {
        w.w(L2, &format!("Devices:{none}\n"));
        let mut items: Vec<&Value> = devices.iter().collect();
        items.sort_by(|a, x| s(a, "/devicePath").cmp(s(x, "/devicePath")));
        for d in items {
            w.w(
                L3,
                &format!("{} from {}\n", s(d, "/devicePath"), s(d, "/name")),
            );
        }
    }
}

/// Go's `%q` for ordinary strings.
fn go_quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `describeVolumes` for the common volume sources; others print as kubectl's `<unknown>`.
pub fn volumes(w: &mut Writer, list: &[Value], space: &str) {
    if list.is_empty() {
        w.w(L0, &format!("{space}Volumes:\t<none>\n"));
        return;
    }
    w.w(L0, &format!("{space}Volumes:\n"));
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in list {
        w.w(L1, &format!("{name_indent}{}:\n", s(v, "/name")));
        volume_source(w, v);
    }
}

/// One volume source's lines at LEVEL_2 (also used for persistent volume sources).
pub fn volume_source(w: &mut Writer, v: &Value) {
    let has = |k: &str| !at(v, &format!("/{k}")).is_null();
    if has("hostPath") {
        let t = s(v, "/hostPath/type");
        w.w(
            L2,
            &format!(
                "Type:\tHostPath (bare host directory volume)\n    Path:\t{}\n    HostPathType:\t{}\n",
                s(v, "/hostPath/path"),
                or_none(t)
            ),
        );
    } else if has("emptyDir") {
        let limit = at(v, "/emptyDir/sizeLimit");
        let limit = from_json(limit)
            .filter(|q| q.nanos > 0)
            .map(|q| q.to_string_canonical())
            .unwrap_or_else(|| "<unset>".to_string());
        w.w(
            L2,
            &format!(
                "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\n    Medium:\t{}\n    SizeLimit:\t{limit}\n",
                s(v, "/emptyDir/medium")
            ),
        );
    } else if has("secret") {
        w.w(
            L2,
            &format!(
                "Type:\tSecret (a volume populated by a Secret)\n    SecretName:\t{}\n    Optional:\t{}\n",
                s(v, "/secret/secretName"),
                b(v, "/secret/optional")
            ),
        );
    } else if has("configMap") {
        w.w(
            L2,
            &format!(
                "Type:\tConfigMap (a volume populated by a ConfigMap)\n    Name:\t{}\n    Optional:\t{}\n",
                s(v, "/configMap/name"),
                b(v, "/configMap/optional")
            ),
        );
    } else if has("nfs") {
        w.w(
            L2,
            &format!(
                "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)\n    Server:\t{}\n    Path:\t{}\n    ReadOnly:\t{}\n",
                s(v, "/nfs/server"),
                s(v, "/nfs/path"),
                b(v, "/nfs/readOnly")
            ),
        );
    } else if has("persistentVolumeClaim") {
        w.w(
            L2,
            &format!(
                "Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\n    ClaimName:\t{}\n    ReadOnly:\t{}\n",
                s(v, "/persistentVolumeClaim/claimName"),
                b(v, "/persistentVolumeClaim/readOnly")
            ),
        );
    } else if has("ephemeral") {
        w.w(L2, "Type:\tEphemeralVolume (an inline specification for a volume that gets created and deleted with the pod)\n");
    } else if has("downwardAPI") {
        w.w(
            L2,
            "Type:\tDownwardAPI (a volume populated by information about the pod)\n    Items:\n",
        );
        for item in arr(v, "/downwardAPI/items") {
            if !at(item, "/fieldRef").is_null() {
                w.w(
                    L3,
                    &format!(
                        "{} -> {}\n",
                        s(item, "/fieldRef/fieldPath"),
                        s(item, "/path")
                    ),
                );
            }
            if !at(item, "/resourceFieldRef").is_null() {
                w.w(
                    L3,
                    &format!(
                        "{} -> {}\n",
                        s(item, "/resourceFieldRef/resource"),
                        s(item, "/path")
                    ),
                );
            }
        }
    } else if has("projected") {
        w.w(
            L2,
            "Type:\tProjected (a volume that contains injected data from multiple sources)\n",
        );
        for src in arr(v, "/projected/sources") {
            let opt = |p: &str| match at(src, p) {
                Value::Bool(x) => x.to_string(),
                _ => "<nil>".to_string(),
            };
            if !at(src, "/secret").is_null() {
                w.w(
                    L2,
                    &format!(
                        "SecretName:\t{}\n    SecretOptionalName:\t{}\n",
                        s(src, "/secret/name"),
                        opt("/secret/optional")
                    ),
                );
            } else if !at(src, "/downwardAPI").is_null() {
                w.w(L2, "DownwardAPI:\ttrue\n");
            } else if !at(src, "/configMap").is_null() {
                w.w(
                    L2,
                    &format!(
                        "ConfigMapName:\t{}\n    ConfigMapOptional:\t{}\n",
                        s(src, "/configMap/name"),
                        opt("/configMap/optional")
                    ),
                );
            } else if !at(src, "/serviceAccountToken").is_null() {
                w.w(
                    L2,
                    &format!(
                        "TokenExpirationSeconds:\t{}\n",
                        opt_i(src, "/serviceAccountToken/expirationSeconds").unwrap_or(3607)
                    ),
                );
            }
        }
    } else if has("csi") {
        w.w(
            L2,
            &format!(
                "Type:\tCSI (a Container Storage Interface (CSI) volume source)\n    Driver:\t{}\n    FSType:\t{}\n    ReadOnly:\t{}\n",
                s(v, "/csi/driver"),
                s(v, "/csi/fsType"),
                b(v, "/csi/readOnly")
            ),
        );
        let attrs = map(v, "/csi/volumeAttributes");
        labels_block(w, "    ", "VolumeAttributes", "\t", &attrs);
    } else if has("local") {
        w.w(
            L2,
            &format!(
                "Type:\tLocalVolume (a persistent volume backed by local storage on a node)\n    Path:\t{}\n",
                s(v, "/local/path")
            ),
        );
    } else if has("image") {
        w.w(
            L2,
            &format!(
                "Type:\tImage (a container image or OCI artifact)\n    Reference:\t{}\n    PullPolicy:\t{}\n",
                s(v, "/image/reference"),
                s(v, "/image/pullPolicy")
            ),
        );
    } else {
        w.w(L1, "<unknown>\n");
    }
}

/// `qos.ComputePodQOS` when the server did not fill in status.qosClass.
fn compute_qos(pod: &Value) -> String {
    let mut requests = std::collections::BTreeMap::new();
    let mut limits = std::collections::BTreeMap::new();
    let mut guaranteed = true;
    let mut all: Vec<&Value> = arr(pod, "/spec/containers").iter().collect();
    all.extend(arr(pod, "/spec/initContainers"));
    let pod_level = at(pod, "/spec/resources");
    let lists: Vec<&Value> = if pod_level.is_null() {
        all.iter().map(|c| at(c, "/resources")).collect()
    } else {
        vec![pod_level]
    };
    for res in lists {
        for (target, field) in [(&mut requests, "/requests"), (&mut limits, "/limits")] {
            for (name, q) in map(res, field) {
                if name != "cpu" && name != "memory" {
                    continue;
                }
                if let Some(q) = super::quantity::Quantity::parse(&q).filter(|q| q.nanos > 0) {
                    *target.entry(name).or_insert(0i128) += q.nanos;
                }
            }
        }
        let lim = map(res, "/limits");
        let positive = |n: &str| {
            lim.iter().any(|(k, q)| {
                k == n && super::quantity::Quantity::parse(q).is_some_and(|q| q.nanos > 0)
            })
        };
        if !(positive("cpu") && positive("memory")) {
            guaranteed = false;
        }
    }
    if requests.is_empty() && limits.is_empty() {
        return "BestEffort".to_string();
    }
    if guaranteed
        && requests.iter().all(|(k, v)| limits.get(k) == Some(v))
        && requests.len() == limits.len()
    {
        return "Guaranteed".to_string();
    }
    "Burstable".to_string()
}
