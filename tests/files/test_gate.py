"""ProjectFiles: only regular files inside the project; data: URIs; media types."""

from __future__ import annotations

import base64
import os

import pytest

from luoshu.files.gate import ProjectFiles, RefusedResource, decode_data_uri, media_type


@pytest.fixture
def files(tmp_path, make_project, make_image):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("秘密", encoding="utf-8")
    project = make_project(tmp_path / "book", {
        "manuscript/photos/a.jpg": make_image(),
        "manuscript/photos/洛河 码头.png": make_image("PNG"),
        "styles/house.css": "p { margin: 0; }\n",
    })
    os.symlink(outside / "secret.txt", project / "manuscript" / "photos" / "link-out.jpg")
    os.symlink(outside, project / "manuscript" / "outdir")
    os.symlink(project / "manuscript" / "photos" / "a.jpg", project / "manuscript" / "link-in.jpg")
    return ProjectFiles.of(project)


def refused(files, reference, **kwargs):
    with pytest.raises(RefusedResource) as caught:
        files.resolve(reference, **kwargs)
    (problem,) = caught.value.problems
    return problem


def test_resolves_relative_to_base(files):
    path = files.resolve("photos/a.jpg", base="manuscript")
    assert path == files.root / "manuscript" / "photos" / "a.jpg"
    assert files.relative(path) == "manuscript/photos/a.jpg"
    assert files.resolve("styles/house.css") == files.root / "styles" / "house.css"


def test_dot_dot_inside_the_project_is_fine(files):
    path = files.resolve("../styles/house.css", base="manuscript")
    assert files.relative(path) == "styles/house.css"


def test_percent_encoded_and_non_ascii_names(files):
    path = files.resolve("photos/洛河%20码头.png", base="manuscript")
    assert path.name == "洛河 码头.png"
    assert files.resolve("photos/洛河 码头.png", base="manuscript").is_file()


def test_symlink_inside_the_project_is_fine(files):
    assert files.resolve("link-in.jpg", base="manuscript") == (
        files.root / "manuscript" / "photos" / "a.jpg")


@pytest.mark.parametrize("reference", ["/etc/passwd", "\\windows\\win.ini", "//host/share/x"])
def test_refuses_absolute_paths(files, reference):
    problem = refused(files, reference, base="manuscript", referrer="manuscript/01-a.md")
    assert problem.code == "resource-outside"
    assert problem.path == "manuscript/01-a.md"
    assert repr(reference) in problem.message


@pytest.mark.parametrize("reference", [
    "http://example.com/a.jpg", "https://example.com/a.jpg", "file:///etc/passwd",
    "ftp://example.com/a.jpg", "C:/Windows/win.ini", "javascript:alert(1)"])
def test_refuses_urls(files, reference):
    assert refused(files, reference, base="manuscript").code == "resource-outside"


@pytest.mark.parametrize("reference", ["../../outside/secret.txt", "photos/../../../etc/passwd",
                                       "%2e%2e/%2e%2e/outside/secret.txt"])
def test_refuses_dot_dot_escapes(files, reference):
    problem = refused(files, reference, base="manuscript")
    assert problem.code == "resource-outside"
    assert "outside the project" in problem.message


@pytest.mark.parametrize("reference", ["photos/link-out.jpg", "outdir/secret.txt"])
def test_refuses_symlinks_pointing_outside(files, reference):
    assert refused(files, reference, base="manuscript").code == "resource-outside"


@pytest.mark.parametrize("reference", ["photos/none.jpg", "photos", ""])
def test_missing_files_and_folders(files, reference):
    problem = refused(files, reference, base="manuscript", referrer="manuscript/captions.toml")
    assert problem.code == "resource-missing"
    assert problem.path == "manuscript/captions.toml"


def test_problem_location_defaults_to_base(files):
    assert refused(files, "none.css", base="styles").path == "styles"


def test_read_bytes_of_a_file(files, make_image):
    assert files.read_bytes("photos/a.jpg", base="manuscript") == make_image()
    with pytest.raises(RefusedResource):
        files.read_bytes("../../outside/secret.txt", base="manuscript")


def test_serves_data_uris(files):
    png = b"\x89PNG\r\n\x1a\n\x00"
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    assert files.read_bytes(uri) == png
    assert decode_data_uri(uri) == ("image/png", png)
    assert decode_data_uri("data:,%E6%B4%9B%E4%B9%A6") == ("text/plain", "洛书".encode())
    assert decode_data_uri("data:text/css,p%7Bmargin:0%7D") == ("text/css", b"p{margin:0}")


def test_root_is_resolved(tmp_path, make_project):
    project = make_project(tmp_path / "real", {})
    os.symlink(project, tmp_path / "alias")
    assert ProjectFiles.of(tmp_path / "alias").root == project.resolve()


@pytest.mark.parametrize("name, expected", [
    ("a.JPG", "image/jpeg"), ("a.jpeg", "image/jpeg"), ("a.png", "image/png"),
    ("house.css", "text/css"), ("f.otf", "font/otf"), ("f.ttc", "font/collection"),
    ("f.woff2", "font/woff2"), ("noext", "application/octet-stream")])
def test_media_type(name, expected):
    assert media_type(name) == expected
