"""Smoke test of the README's first command: ``zhujian demo`` comes up on SQLite and a district
user sees the project list of 南京市. Bounded in time; talks only to 127.0.0.1."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    demo = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "zhujian.cli", "demo", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        start_new_session=True,
    )
    try:
        with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as client:
            while True:
                if demo.poll() is not None:
                    print("demo exited early", demo.returncode)
                    return 1
                if time.monotonic() - started > 240:
                    print("demo did not come up within 240 s")
                    return 1
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                time.sleep(1)
            print(f"demo up after {time.monotonic() - started:.1f} s")
            client.get("/accounts/login/")
            response = client.post(
                "/accounts/login/",
                data={
                    "username": "gulou",
                    "password": "Zhujian@2026",
                    "csrfmiddlewaretoken": client.cookies.get("csrftoken", ""),
                },
                headers={"Referer": f"{base}/accounts/login/"},
            )
            assert response.status_code == 200, response.status_code
            page = client.get("/registry/projects/").text
            count = re.search(r"共 (\d+) 条", page)
            assert "项目库" in page and "南京市" in page and count and int(count.group(1)) > 50, page[:500]
            assert "鼓楼区" in page and "江宁区" not in page.split("<tbody>")[1], "district scope"
            print(f"project list of 南京市 shown to the 鼓楼区 user: {count.group(1)} projects")
        return 0
    finally:
        os.killpg(demo.pid, signal.SIGTERM)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)


if __name__ == "__main__":
    raise SystemExit(main())
