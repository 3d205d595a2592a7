"""The renderer is a closed world: hostile workbook text renders as text and fetches nothing;
the fetcher serves only files inside the template folders; a desk's templates override ours."""

from __future__ import annotations

import io
import logging
import os
import re
import shutil

import pdfplumber
import pytest
from needs import needs
from test_report_plans import HOSTILE_ASSET, HOSTILE_CLIENT, HOSTILE_TITLE, hostile_plan

from derisk_xl.core.issues import EnvironmentProblem
from derisk_xl.report import ReportRenderer, default_template_dir, render_html


def text_of(pdf: bytes) -> str:
    needs("dejavu")
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        text = "\n".join(p.extract_text() or "" for p in doc.pages)
    return re.sub(r"[ \u00a0]+", " ", text)


# -- hostile workbook text -------------------------------------------------------------------

def test_hostile_text_renders_as_literal_text_and_fetches_nothing(caplog):
    caplog.set_level(logging.INFO, logger="derisk_xl.report.fetch")
    renderer = ReportRenderer()
    log: list = []
    pdf = renderer.render_pdf(hostile_plan(), fetch_log=log)
    text = text_of(pdf)
    flat = text.replace("\n", " ")
    assert HOSTILE_ASSET in flat              # the tag is printed, not obeyed
    assert HOSTILE_CLIENT in flat             # the CSS is printed, nothing hidden
    assert HOSTILE_TITLE in flat
    assert "<script>x()</script>" in flat
    assert "Where the money sits" in text     # body{display:none} did not apply
    # nothing was fetched but the two charts this render made: not /etc/passwd, not
    # 127.0.0.1:9, no file at all
    assert [(r.url, r.served) for r in log] == [("generated:buckets.svg", True),
                                                ("generated:stress.svg", True)]
    assert renderer.stylesheet_fetches == ()
    fetch_lines = [r.getMessage() for r in caplog.records if r.name == "derisk_xl.report.fetch"]
    assert len(fetch_lines) == 2 and all("made by this render" in m for m in fetch_lines)


def test_hostile_text_is_escaped_in_the_html():
    html = render_html(hostile_plan())
    assert '<img src="file:///etc/passwd">' not in html
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    assert "</style><style>" not in html
    assert "<script>" not in html
    assert html.count("<style") == 0  # the only stylesheet is ours, given to WeasyPrint


# -- the fetcher alone -----------------------------------------------------------------------

@pytest.fixture
def folders(tmp_path):
    root = tmp_path / "templates"
    (root / "report").mkdir(parents=True)
    (root / "report" / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, root / "report" / "link.txt")
    os.symlink(tmp_path, root / "report" / "up")
    return root, outside


def fetcher_for(root):
    from derisk_xl.report.fetcher import ClosedFetcher

    return ClosedFetcher([root])


def test_fetcher_serves_a_file_in_the_folder(folders):
    root, _ = folders
    f = fetcher_for(root)
    response = f.fetch((root / "report" / "logo.svg").as_uri())
    assert response.read().startswith(b"<svg")
    assert response.content_type == "image/svg+xml"
    assert [r.served for r in f.log] == [True]


@pytest.mark.parametrize("make_url, reason", [
    (lambda root, out: "http://127.0.0.1:9/x", "http URLs are not allowed"),
    (lambda root, out: "https://example.invalid/x.css", "https URLs are not allowed"),
    (lambda root, out: "ftp://127.0.0.1/x", "ftp URLs are not allowed"),
    (lambda root, out: out.as_uri(), "outside the template folder"),
    (lambda root, out: "file:///etc/passwd", "outside the template folder"),
    (lambda root, out: root.as_uri() + "/report/../../secret.txt", "outside the template folder"),
    (lambda root, out: root.as_uri() + "/report/%2e%2e/%2e%2e/secret.txt",
     "outside the template folder"),
    (lambda root, out: root.as_uri() + "/report/link.txt", "outside the template folder"),
    (lambda root, out: root.as_uri() + "/report/up/secret.txt", "outside the template folder"),
    (lambda root, out: "file://otherhost" + str(root / "report" / "logo.svg"), "on host"),
    (lambda root, out: root.as_uri() + "/report/missing.png", "no such file"),
    (lambda root, out: "data:text/plain;base64," + "A" * 20_000, "data: URL of"),
])
def test_fetcher_refuses(folders, make_url, reason):
    from derisk_xl.report.fetcher import FetchRefused

    root, outside = folders
    f = fetcher_for(root)
    url = make_url(root, outside)
    with pytest.raises(FetchRefused, match=re.escape(reason)):
        f.fetch(url)
    assert len(f.log) == 1 and not f.log[0].served and reason in f.log[0].reason


def test_fetcher_serves_only_the_generated_resources_it_was_given(folders):
    from derisk_xl.report.fetcher import ClosedFetcher, FetchRefused

    f = ClosedFetcher([folders[0]], generated={"generated:a.svg": (b"<svg/>", "image/svg+xml")})
    assert f.fetch("generated:a.svg").read() == b"<svg/>"
    with pytest.raises(FetchRefused, match="generated URLs are not allowed"):
        f.fetch("generated:b.svg")


def test_fetcher_serves_a_small_data_url(folders):
    f = fetcher_for(folders[0])
    assert f.fetch("data:text/plain,hello").read() == b"hello"


# -- a desk's own templates ------------------------------------------------------------------

@pytest.fixture
def desk(tmp_path):
    """A desk folder overriding only the title partial, with its own logo."""
    folder = tmp_path / "desk"
    (folder / "report").mkdir(parents=True)
    (folder / "report" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
        '<rect width="40" height="20" fill="#333"/></svg>')
    ours = (default_template_dir() / "report" / "title.html").read_text()
    (folder / "report" / "title.html").write_text(
        '<img src="logo.svg" alt="logo"><p>Acme Desk research</p>\n' + ours)
    return folder


def test_desk_template_overrides_one_partial_and_inherits_the_rest(desk):
    renderer = ReportRenderer(desk)
    log: list = []
    text = text_of(renderer.render_pdf(hostile_plan(), fetch_log=log))
    assert "Acme Desk research" in text
    assert "If prices move at once" in text        # our partials, by fallback
    assert [r.url for r in log if not r.url.startswith("generated:")] == [
        (desk / "report" / "logo.svg").resolve().as_uri()]
    assert all(r.served for r in log)


def test_desk_template_reaching_out_fails_the_render(desk):
    (desk / "report" / "title.html").write_text(
        '<img src="http://127.0.0.1:9/pixel.png"><h1>{{ title }}</h1>')
    renderer = ReportRenderer(desk)
    log: list = []
    with pytest.raises(EnvironmentProblem, match="127.0.0.1:9"):
        renderer.render_pdf(hostile_plan(), fetch_log=log)
    assert [(r.url, r.served) for r in log] == [("http://127.0.0.1:9/pixel.png", False)]


def test_desk_stylesheet_importing_a_file_outside_fails(desk, tmp_path):
    (tmp_path / "outside.css").write_text("body { color: red }")
    (desk / "report" / "report.css").write_text(
        f'@import url("{(tmp_path / "outside.css").as_uri()}");\nbody {{ color: black }}')
    with pytest.raises(EnvironmentProblem, match="outside.css"):
        ReportRenderer(desk).render_pdf(hostile_plan())


def test_missing_or_empty_template_folder_is_a_clear_error(tmp_path):
    with pytest.raises(EnvironmentProblem, match="does not exist"):
        ReportRenderer(tmp_path / "nope")
    with pytest.raises(EnvironmentProblem, match="no report/ subfolder"):
        ReportRenderer(tmp_path)


def test_a_copy_of_our_templates_works_as_a_desk_folder(tmp_path):
    shutil.copytree(default_template_dir(), tmp_path / "copy")
    text = text_of(ReportRenderer(tmp_path / "copy", "letter").render_pdf(hostile_plan()))
    assert "How this plan was made" in text
