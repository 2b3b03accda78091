"""A hostile or careless browser against luoshu serve: connections reset mid-request, responses
nobody reads, garbage instead of HTTP. Each once printed a traceback (303 of them, 6,305 lines,
burying the rebuild messages); now a debug line at most, and the preview keeps answering."""

from __future__ import annotations

import http.client
import logging
import socket
import struct
import time

import pytest
from helpers.bad_projects import write

from luoshu.serve.server import LivePreview

LONG_SECTION = "# 甲\n\n" + "正文很长。" * 40_000 + "\n"  # a response larger than a socket buffer


@pytest.fixture(scope="module")
def preview(tmp_path_factory):
    project = write(tmp_path_factory.mktemp("serve") / "book",
                    {"manuscript/01-a.md": LONG_SECTION})
    reports: list[str] = []
    with LivePreview(project, port=0, report=reports.append, print_pages=False,
                     interval=0.1) as running:
        deadline = time.monotonic() + 60
        while running.state.view.text is None:
            assert time.monotonic() < deadline, reports
            time.sleep(0.05)
        yield running


def connect(preview) -> socket.socket:
    host, port = preview.server.server_address[:2]
    return socket.create_connection((host, port), timeout=10)


def reset(connection: socket.socket) -> None:
    """Close with a RST, as a browser tab killed mid-request does."""
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()


def get(preview, path: str) -> int:
    host, port = preview.server.server_address[:2]
    client = http.client.HTTPConnection(host, port, timeout=10)
    client.request("GET", path, headers={"Host": "localhost"})
    status = client.getresponse().status
    client.close()
    return status


def test_dropped_and_garbled_requests_print_no_traceback(preview, capfd, caplog):
    caplog.set_level(logging.DEBUG, logger="luoshu")
    for number in range(30):
        connection = connect(preview)
        kind = number % 3
        if kind == 0:  # the request cut off: the server's read is reset
            connection.sendall(b"GET /book/te")
        elif kind == 1:  # a whole request, then gone before the answer is read
            connection.sendall(b"GET /book/text/01-a.xhtml HTTP/1.1\r\nHost: localhost\r\n\r\n")
        else:  # not HTTP at all
            connection.sendall(bytes(range(256)) * 4 + b"\r\n\r\n")
            time.sleep(0.01)
        reset(connection)
    time.sleep(0.5)  # the handler threads finish
    assert get(preview, "/book/text/01-a.xhtml") == 200  # still serving
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "Error" not in captured.err, captured.err[:2000]
    dropped = [r for r in caplog.records if "closed the connection" in r.getMessage()]
    assert dropped and all(r.levelno == logging.DEBUG for r in dropped)


def test_a_bug_in_a_handler_is_still_reported(preview, capfd, monkeypatch):
    """Only a client that went away is quiet: any other exception is a bug, and says so."""
    from luoshu.serve import server

    def broken(view, target):
        raise RuntimeError("a bug")

    monkeypatch.setattr(server, "route", broken)
    connection = connect(preview)
    connection.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
    connection.recv(1)  # the server closes without an answer
    connection.close()
    time.sleep(0.3)
    assert "RuntimeError: a bug" in capfd.readouterr().err
