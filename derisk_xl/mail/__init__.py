"""Email delivery of plan reports: message building, SMTP, and the outbox that makes sends
exactly-once. See :func:`deliver_report` (the pipeline) and :func:`send_pending` (``derisk send``)."""

from .config import SmtpConfig, load_config
from .delivery import Delivery, deliver_report, send_pending
from .message import build_message, message_bytes

__all__ = ["Delivery", "SmtpConfig", "build_message", "deliver_report", "load_config",
           "message_bytes", "send_pending"]
