"""Typed CRUD, list and watch-with-resume through the official Python client (Debian's python3-kubernetes)."""
import sys

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

config.load_kube_config()
core = client.CoreV1Api()
apps = client.AppsV1Api()
ns = "py"


def check(cond, what):
    if not cond:
        print("FAILED:", what)
        sys.exit(1)


core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=ns)))
cm = core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="one", labels={"app": "py"}), data={"k": "v"}))
check(cm.metadata.uid and cm.metadata.resource_version, "create returns uid and resourceVersion")
got = core.read_namespaced_config_map("one", ns)
check(got.data == {"k": "v"}, "read returns data")

try:
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="one")))
    check(False, "duplicate create must fail")
except ApiException as e:
    check(e.status == 409, "duplicate create is 409, got %s" % e.status)

got.data["k"] = "w"
updated = core.replace_namespaced_config_map("one", ns, got)
check(updated.data["k"] == "w", "replace")
stale = got
stale.data["k"] = "stale"
try:
    core.replace_namespaced_config_map("one", ns, stale)
    check(False, "stale update must conflict")
except ApiException as e:
    check(e.status == 409, "stale update is 409 Conflict, got %s" % e.status)

patched = core.patch_namespaced_config_map("one", ns, {"metadata": {"labels": {"extra": "yes"}}})
check(patched.metadata.labels == {"app": "py", "extra": "yes"}, "strategic patch merges labels")

dep = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="web"),
    spec=client.V1DeploymentSpec(
        replicas=2,
        selector=client.V1LabelSelector(match_labels={"app": "web"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "web"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]),
        ),
    ),
)
d = apps.create_namespaced_deployment(ns, dep)
check(d.spec.strategy.type == "RollingUpdate" and d.spec.revision_history_limit == 10, "deployment defaults")
check(d.spec.template.spec.containers[0].image_pull_policy == "Always", "no tag means Always")
scale = apps.read_namespaced_deployment_scale("web", ns)
check(scale.spec.replicas == 2, "scale subresource")
apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 3}})
check(apps.read_namespaced_deployment("web", ns).spec.replicas == 3, "scale patch writes spec.replicas")

lst = core.list_namespaced_config_map(ns, label_selector="app=py")
check([i.metadata.name for i in lst.items] == ["one"], "label selector list")
rv = lst.metadata.resource_version

for i in range(3):
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="w%d" % i)))
core.delete_namespaced_config_map("w0", ns)

# Resume the watch from the list's resourceVersion: every change after it arrives, in order.
seen = []
w = watch.Watch()
for ev in w.stream(core.list_namespaced_config_map, ns, resource_version=rv, timeout_seconds=5):
    seen.append((ev["type"], ev["object"].metadata.name))
    if len(seen) == 4:
        w.stop()
check(seen == [("ADDED", "w0"), ("ADDED", "w1"), ("ADDED", "w2"), ("DELETED", "w0")], "watch resume: %s" % seen)

page = core.list_namespaced_config_map(ns, limit=2)
check(len(page.items) == 2 and page.metadata._continue, "first page with continue")
rest = core.list_namespaced_config_map(ns, limit=2, _continue=page.metadata._continue)
names = [i.metadata.name for i in page.items + rest.items]
check(names == sorted(names) and len(set(names)) == len(names) and "w2" in names, "paging: %s" % names)

core.delete_namespaced_config_map("one", ns)
try:
    core.read_namespaced_config_map("one", ns)
    check(False, "read after delete must 404")
except ApiException as e:
    check(e.status == 404, "404 after delete")
print("ok")
