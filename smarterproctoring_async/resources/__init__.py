"""Resource handles: what to fetch from where, and which model to build from it."""

from .install import Install
from .session import Exam, Session

__all__ = ["Exam", "Install", "Session"]
