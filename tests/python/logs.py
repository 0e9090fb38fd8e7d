"""Pod logs through the official Python client (Debian's python3-kubernetes): whole, tailed, and streamed."""
import sys

from kubernetes import client, config

config.load_kube_config()
core = client.CoreV1Api()
pod = sys.argv[1]

whole = core.read_namespaced_pod_log(pod, "default")
tail = core.read_namespaced_pod_log(pod, "default", tail_lines=1)
resp = core.read_namespaced_pod_log(pod, "default", follow=False, _preload_content=False)
streamed = b"".join(resp.stream()).decode()
print(repr(whole), repr(tail), repr(streamed))
