"""Resource handles: what to fetch from where, and which model to build from it.

The handles load on first use (PEP 562): the command line reads the report
declarations of :mod:`.reports` to build its parser without the transport.
"""

from __future__ import annotations

from importlib import import_module

# Not typing.TYPE_CHECKING, for the reason given in the package's __init__.
TYPE_CHECKING = False
if TYPE_CHECKING:
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

_WHERE = {
    "Course": ".discovery",
    "CourseExam": ".discovery",
    "CourseOffering": ".install",
    "Enrollment": ".discovery",
    "EnrollmentExam": ".discovery",
    "Exam": ".exam",
    "Install": ".install",
    "Reports": ".reports",
    "Session": ".session",
}

# Hidden from type checkers, so that a misspelt name stays an error for them.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        """Load a handle class on first use (PEP 562); cached in the package afterwards."""
        module = _WHERE.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(import_module(module, __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value


def __dir__() -> list[str]:
    """The handle classes too, loaded or not."""
    return sorted(set(globals()) | set(__all__))
