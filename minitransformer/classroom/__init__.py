"""Classroom tools: turn marked solution blocks into student stubs, check the markers, grade each task."""
from .check import check  # noqa: F401
from .grade import grade  # noqa: F401
from .student import generate  # noqa: F401
from .tasks import TASKS, Task  # noqa: F401
