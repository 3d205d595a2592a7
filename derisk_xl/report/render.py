"""Plan → HTML (Jinja) → PDF (WeasyPrint), with everything expensive made once per renderer.

A :class:`ReportRenderer` holds the Jinja environment, the compiled templates, the parsed print
stylesheet and WeasyPrint's font configuration; batch workers keep one per (template folder,
paper) through :func:`renderer_for`, so the hundredth report costs only its own layout.

Templates: ours live in the top-level ``templates/`` folder of the repository and ship in the
wheel as ``derisk_xl/templates``. ``template_dir`` (``--template-dir``) puts a desk's folder in
front of ours: any file it has (``report/base.html``, one section partial, ``report/report.css``,
a logo) wins, and any file it lacks falls back to ours, so a desk can rebrand by overriding
a single partial. A folder that does not exist, or lacks ``report/`` entirely, is an error.
"""

from __future__ import annotations

import functools
import importlib.resources
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..core.issues import EnvironmentProblem
from ..core.model import Plan
from . import charts
from . import format as fmt

PAPERS = {"a4": "A4", "letter": "letter"}
BASE_TEMPLATE = "report/base.html"
STYLESHEET = "report/report.css"


def default_template_dir() -> Path:
    """Our templates: inside the installed package when it is a wheel, else the repo's folder."""
    try:
        packaged = importlib.resources.files("derisk_xl") / "templates"
        if packaged.is_dir():
            return Path(str(packaged))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - odd loaders
        pass
    return Path(__file__).resolve().parent.parent.parent / "templates"


def template_dirs(template_dir: Path | None) -> tuple[Path, ...]:
    """The search path: the desk's folder (when given) then ours."""
    ours = default_template_dir().resolve()
    if template_dir is None:
        return (ours,)
    desk = Path(template_dir).expanduser().resolve()
    if not desk.is_dir():
        raise EnvironmentProblem(f"template folder {template_dir} does not exist")
    if not (desk / "report").is_dir():
        raise EnvironmentProblem(
            f"template folder {template_dir} has no report/ subfolder: copy templates/report "
            "from derisk_xl and change what you need (missing files fall back to ours)"
        )
    return (desk,) if desk == ours else (desk, ours)


def _bytecode_cache():
    """Jinja's per-user cache of compiled templates (keyed by each source's checksum, so an
    edited template is recompiled): a fresh process skips ~35 ms of compiling the partials.
    None where no safe per-user folder can be had; templates are then compiled each time."""
    from jinja2 import FileSystemBytecodeCache

    try:
        return FileSystemBytecodeCache()
    except (OSError, RuntimeError):  # pragma: no cover - read-only or shared temp folder
        return None


@dataclass(frozen=True)
class Chart:
    """A chart of this render: its SVG, and the ``generated:`` URL the template shows it by.

    An ``<img>`` of an SVG costs WeasyPrint a fraction of the same SVG inline (whose every
    element goes through the CSS cascade): about 0.3 s less per report.
    """

    name: str
    svg: Markup

    @property
    def url(self) -> str:
        return f"generated:{self.name}.svg"


def _paper(paper: str) -> str:
    try:
        return PAPERS[paper.lower()]
    except KeyError:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}") from None


class ReportRenderer:
    """Renders plans to HTML and PDF with one template folder and one paper size.

    Made once, used many times: the Jinja environment and compiled templates, the stylesheet
    (parsed by WeasyPrint) and the font configuration are built in the constructor.
    """

    def __init__(self, template_dir: Path | None = None, paper: str = "a4"):
        from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined

        self.paper = _paper(paper)
        self.dirs = template_dirs(template_dir)
        self.env = Environment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in self.dirs]),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            bytecode_cache=_bytecode_cache(),
        )
        self.env.filters.update(
            money=fmt.money, amount=fmt.amount, number=fmt.number, price=fmt.price,
            qty=fmt.quantity, pct=fmt.pct, rate=fmt.rate, multiple=fmt.multiple, shock=fmt.shock,
            date=fmt.date, step=fmt.step, bucket=fmt.bucket, status=fmt.status,
        )
        try:
            self.template = self.env.get_template(BASE_TEMPLATE)
        except Exception as exc:  # TemplateNotFound, TemplateSyntaxError
            raise EnvironmentProblem(f"report template {BASE_TEMPLATE} in "
                                     f"{', '.join(map(str, self.dirs))}: {exc}") from exc
        self.stylesheet_path = next(
            (d / STYLESHEET for d in self.dirs if (d / STYLESHEET).is_file()), None
        )
        if self.stylesheet_path is None:
            raise EnvironmentProblem(f"no {STYLESHEET} in {', '.join(map(str, self.dirs))}")
        self._weasy: tuple[Any, Any] | None = None  # (font_config, stylesheets), made on demand
        self._lock = threading.Lock()

    # -- HTML ---------------------------------------------------------------------------------

    def context(self, plan: Plan) -> dict[str, Any]:
        """What the templates see: the plan itself plus the pieces that need code."""
        from .. import __version__

        s = plan.settings
        ccy = s.base_currency or "USD"
        funding = s.hedge_funding_rate_8h if plan.hedge and plan.hedge.carry else None
        return {
            "plan": plan,
            "settings": s,
            "ccy": ccy,
            "title": s.report_title or "De-risk plan",
            "client": s.client,
            "version": __version__,
            "paper": self.paper,
            "carry_text": fmt.carry_words(plan.hedge.carry if plan.hedge else None, ccy, funding),
            "charts": {
                "buckets": Chart("buckets", charts.buckets_chart(plan.buckets, ccy)),
                "stress": Chart("stress", charts.stress_chart(plan.stress, ccy)),
            },
            "signals_on": [g for g in plan.signals if g.on],
            "signals_off": [g for g in plan.signals if not g.on],
            "sold": [t for t in plan.trades if t.side == "sell"],
        }

    def render_html(self, plan: Plan) -> str:
        """The HTML WeasyPrint lays out; charts are ``generated:`` images served from memory."""
        return self._html(plan)[0]

    def _html(self, plan: Plan) -> tuple[str, dict[str, tuple[bytes, str]]]:
        from jinja2 import TemplateError

        context = self.context(plan)
        generated = {c.url: (str(c.svg).encode(), "image/svg+xml")
                     for c in context["charts"].values()}
        try:
            return self.template.render(context), generated
        except TemplateError as exc:  # StrictUndefined, a missing partial, a syntax error
            raise EnvironmentProblem(
                f"report templates in {', '.join(map(str, self.dirs))}: "
                f"{type(exc).__name__}: {exc}") from exc

    # -- PDF ----------------------------------------------------------------------------------

    def _weasyprint(self) -> tuple[Any, Any]:
        """Font configuration and parsed stylesheets, once (WeasyPrint imported here only)."""
        with self._lock:
            if self._weasy is None:
                from weasyprint import CSS
                from weasyprint.text.fonts import FontConfiguration
                from weasyprint.urls import FatalURLFetchingError

                from .fetcher import ClosedFetcher
                from .weasy import lean_ua_stylesheets

                lean_ua_stylesheets()  # parsed here, once, with the rest
                fonts = FontConfiguration()
                fetcher = ClosedFetcher(self.dirs)
                try:
                    sheets = [
                        CSS(filename=str(self.stylesheet_path), url_fetcher=fetcher,
                            font_config=fonts),
                        CSS(string=f"@page {{ size: {self.paper}; }}", font_config=fonts),
                    ]
                except FatalURLFetchingError as exc:
                    refused = [r for r in fetcher.log if not r.served]
                    raise EnvironmentProblem(
                        f"{self.stylesheet_path} asked for "
                        f"{refused[-1].url if refused else exc!r}, which the PDF renderer may "
                        "not fetch; only files inside the template folder are served") from exc
                self.stylesheet_fetches = tuple(fetcher.log)
                self._weasy = (fonts, sheets)
            return self._weasy

    def render_pdf(self, plan: Plan, *, fetch_log: list | None = None) -> bytes:
        """The PDF's bytes. ``fetch_log`` (a list) receives a FetchRecord per URL requested."""
        from weasyprint.urls import FatalURLFetchingError

        from .fetcher import ClosedFetcher
        from .weasy import LeanHTML

        fonts, sheets = self._weasyprint()
        text, generated = self._html(plan)
        fetcher = ClosedFetcher(self.dirs, generated=generated)
        html = LeanHTML(string=text, base_url=self.dirs[0].as_uri() + "/report/",
                        url_fetcher=fetcher)
        try:
            document = html.render(stylesheets=sheets, font_config=fonts)
            return document.write_pdf()
        except FatalURLFetchingError as exc:  # a BaseException: callers must see a DeriskError
            refused = [r for r in fetcher.log if not r.served]
            what = refused[-1].url if refused else str(exc)
            why = refused[-1].reason if refused else str(exc.__cause__ or exc)
            raise EnvironmentProblem(
                f"the report templates in {self.dirs[0]} asked for {what!r}, which the PDF "
                f"renderer may not fetch ({why}); only files inside the template folder are "
                "served") from exc
        finally:
            if fetch_log is not None:
                fetch_log.extend(fetcher.log)


@functools.lru_cache(maxsize=8)
def _cached(dirs: tuple[Path, ...], paper: str) -> ReportRenderer:
    return ReportRenderer(dirs[0] if len(dirs) > 1 else None, paper)


def renderer_for(template_dir: Path | None = None, paper: str = "a4") -> ReportRenderer:
    """A renderer kept warm for this (template folder, paper), shared by every later call."""
    return _cached(template_dirs(template_dir), _paper(paper))


def render_html(plan: Plan, *, template_dir: Path | None = None, paper: str = "a4") -> str:
    """The report as HTML (what WeasyPrint lays out), for previews and tests."""
    return renderer_for(template_dir, paper).render_html(plan)


def render_pdf(plan: Plan, *, template_dir: Path | None = None, paper: str = "a4") -> bytes:
    """The report as PDF bytes; A4 or Letter."""
    return renderer_for(template_dir, paper).render_pdf(plan)


__all__ = ["PAPERS", "ReportRenderer", "default_template_dir", "render_html", "render_pdf",
           "renderer_for", "template_dirs"]
