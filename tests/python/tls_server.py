"""A TLS API endpoint for kyb's client tests: recorded answers, a bearer token, optionally client certificates.

Usage: tls_server.py CERT KEY TOKEN [CLIENT_CA]. Prints the port, then serves until killed.
"""
import http.server
import json
import ssl
import sys

CERT, KEY, TOKEN = sys.argv[1], sys.argv[2], sys.argv[3]
CLIENT_CA = sys.argv[4] if len(sys.argv) > 4 else None

ANSWERS = {
    "/api": {"kind": "APIVersions", "versions": ["v1"]},
    "/apis": {"kind": "APIGroupList", "apiVersion": "v1", "groups": []},
    "/api/v1": {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
        {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod", "verbs": ["get", "list"], "shortNames": ["po"]}]},
    "/api/v1/namespaces/default/pods": {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": "1"},
        "columnDefinitions": [{"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
                              {"name": "Status", "type": "string", "format": "", "description": "", "priority": 0}],
        "rows": [{"cells": ["secure-pod", "Running"], "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": {"name": "secure-pod", "namespace": "default"}}}]},
}


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.headers.get("Authorization") != "Bearer " + TOKEN:
            return self.reply(401, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
        answer = ANSWERS.get(self.path.split("?")[0])
        if answer is None:
            return self.reply(404, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "not found", "reason": "NotFound", "code": 404})
        self.reply(200, answer)

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(CERT, KEY)
if CLIENT_CA:
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(CLIENT_CA)
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
