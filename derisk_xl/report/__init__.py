"""The PDF plan report: Jinja templates rendered by WeasyPrint with a closed-world URL fetcher.

    from derisk_xl.report import render_pdf, ReportRenderer
    pdf = render_pdf(plan, paper="letter")            # a cached renderer per (folder, paper)
    renderer = ReportRenderer(template_dir, "a4")      # or hold one yourself, warm

Importing this package is cheap; WeasyPrint is imported on the first PDF.
"""

from .render import (
    PAPERS,
    ReportRenderer,
    default_template_dir,
    render_html,
    render_pdf,
    renderer_for,
    template_dirs,
)

__all__ = ["PAPERS", "ReportRenderer", "default_template_dir", "render_html", "render_pdf",
           "renderer_for", "template_dirs"]
