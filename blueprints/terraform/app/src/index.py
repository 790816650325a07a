"""Health check of the application: the environment, and whether the
database answers on its port through the VPC path (security groups, routes,
DNS)."""

import json
import os
import socket
import time


def handler(event, context):
    body = {"status": "ok", "environment": os.environ["ENVIRONMENT"], "database": None}
    host, port = os.environ.get("DB_HOST", ""), int(os.environ.get("DB_PORT") or 0)
    if host and port:
        started = time.monotonic()
        try:
            with socket.create_connection((host, port), timeout=3):
                reachable = True
        except OSError:
            reachable = False
        elapsed = round((time.monotonic() - started) * 1000)
        body["database"] = {"host": host, "port": port, "reachable": reachable, "ms": elapsed}
        if not reachable:
            body["status"] = "degraded"
    print(json.dumps({"health": body}))
    return {
        "statusCode": 200 if body["status"] == "ok" else 503,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
