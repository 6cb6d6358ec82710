"""Resource handles: what to fetch from where, and which model to build from it."""

from .exam import Exam
from .install import Install
from .session import Session

__all__ = ["Exam", "Install", "Session"]
