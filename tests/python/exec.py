"""Exec through the official Python client (Debian's python3-kubernetes): output, exit code and stdin."""
import sys

from kubernetes import client, config
from kubernetes.stream import stream

config.load_kube_config()
core = client.CoreV1Api()
pod = sys.argv[1]

out = stream(core.connect_get_namespaced_pod_exec, pod, "default",
             command=["sh", "-c", "echo out; echo err >&2"], container="main", stderr=True, stdin=False, stdout=True, tty=False)
resp = stream(core.connect_get_namespaced_pod_exec, pod, "default",
              command=["sh", "-c", "head -c 5; exit 3"], container="main", stderr=True, stdin=True, stdout=True, tty=False,
              _preload_content=False)
resp.write_stdin("hello")
echoed = ""
while resp.is_open():
    resp.update(timeout=5)
    echoed += resp.read_stdout()
resp.close()
print(repr(out), repr(echoed), resp.returncode)
