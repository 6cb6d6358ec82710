"""Resource handles: what to fetch from where, and which model to build from it."""

from .discovery import Course, CourseExam, Enrollment, EnrollmentExam
from .exam import Exam
from .install import CourseOffering, Install
from .reports import Reports
from .session import Session

__all__ = [
    "Course",
    "CourseExam",
    "CourseOffering",
    "Enrollment",
    "EnrollmentExam",
    "Exam",
    "Install",
    "Reports",
    "Session",
]
