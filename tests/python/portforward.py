"""Port-forward through the official Python client (Debian's python3-kubernetes): an HTTP GET to the pod."""
import sys

from kubernetes import client, config
from kubernetes.stream import portforward

config.load_kube_config()
core = client.CoreV1Api()
port = int(sys.argv[2])
pf = portforward(core.connect_get_namespaced_pod_portforward, sys.argv[1], "default", ports=str(port))
sock = pf.socket(port)
sock.setblocking(True)
sock.sendall(b"GET / HTTP/1.0\r\nHost: pod\r\n\r\n")
data = b""
while True:
    chunk = sock.recv(4096)
    if not chunk:
        break
    data += chunk
sock.close()
print(data.split(b"\r\n")[0].decode(), repr(data.split(b"\r\n\r\n", 1)[1].decode()))
