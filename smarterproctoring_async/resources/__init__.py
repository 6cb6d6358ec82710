"""Resource handles: what to fetch from where, and which model to build from it."""

from .discovery import Course, Enrollment, EnrollmentExam
from .exam import Exam
from .install import Install
from .reports import Reports
from .session import Session

__all__ = ["Course", "Enrollment", "EnrollmentExam", "Exam", "Install", "Reports", "Session"]
