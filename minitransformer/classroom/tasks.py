"""The assignment table: every classroom task, its points, the lesson that teaches it and what it builds on.

A task is a `# BEGIN SOLUTION <id> <title>` ... `# END SOLUTION` block in the source (the title lives there)
plus the tests that carry its pytest marker (`t3.2` -> `@pytest.mark.t3_2`). `check` keeps the two in step.

`prerequisites` are the tasks whose stubs make this task's tests fail: a student's tests for a task pass only
once those are done too (and what they build on in turn). They are measured, not wished for: the slow test
tests/test_classroom.py::test_stubbing_one_task_fails_its_tests_and_only_those_that_build_on_it stubs each task
alone and fails when a listed prerequisite is not needed or a needed one is missing.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    id: str
    points: int
    lesson: str
    prerequisites: tuple = ()

    @property
    def marker(self):
        """The pytest marker of the task's tests: "t3.2" -> "t3_2"."""
        return self.id.replace(".", "_")


TASKS = {t.id: t for t in [
    # autograd: the engine's tests bring their own ops, so t1.1 and t1.3 need nothing; op tests use gradcheck
    Task("t1.1", 5, "lessons/01_autograd.py"),
    Task("t1.2", 5, "lessons/01_autograd.py", ("t1.1", "t1.3")),
    Task("t1.3", 10, "lessons/01_autograd.py"),
    Task("t1.4", 5, "lessons/01_autograd.py", ("t1.2",)),  # gradcheck multiplies by random weights: t1.2
    # the fused ops of attention; every gradcheck runs through t1.1-t1.3
    Task("t2.1", 5, "lessons/02_attention.py", ("t1.2",)),
    Task("t2.2", 5, "lessons/02_attention.py", ("t1.2",)),
    Task("t2.3", 10, "lessons/04_transformer_block.py", ("t1.2",)),
    Task("t2.4", 5, "lessons/04_transformer_block.py", ("t1.2",)),
    Task("t2.5", 10, "lessons/02_attention.py", ("t2.1",)),
    # the transformer
    Task("t3.1", 5, "lessons/04_transformer_block.py", ("t2.5",)),
    Task("t3.2", 5, "lessons/03_positional_encoding.py"),
    Task("t3.3", 10, "lessons/04_transformer_block.py", ("t2.3", "t2.4", "t3.1")),
    # training; the training step's tests train a WordPiece vocabulary and run the whole classifier
    Task("t4.1", 5, "lessons/06_adamw.py"),
    Task("t4.2", 5, "lessons/06_adamw.py"),
    Task("t4.3", 5, "lessons/07_train_classifier.py", ("t2.2", "t3.2", "t3.3", "t4.2", "t5.1", "t5.2")),
    # the tokenizer
    Task("t5.1", 5, "lessons/05_wordpiece.py"),
    Task("t5.2", 10, "lessons/05_wordpiece.py"),
]}

# A suggested four-week course: each task once, in an order that puts every prerequisite first (`check` says
# so), so one student copy with all tasks stubbed can be worked through top to bottom.
WEEKS = [
    ("Week 1: autograd", ("t1.1", "t1.3", "t1.2", "t1.4")),
    ("Week 2: the fused ops of attention", ("t2.1", "t2.2", "t2.5", "t2.3", "t2.4")),
    ("Week 3: the transformer and its tokenizer", ("t3.1", "t3.2", "t3.3", "t5.1", "t5.2")),
    ("Week 4: training", ("t4.1", "t4.2", "t4.3")),
]


def closure(task_id):
    """Every task that `task_id` builds on, directly or through another."""
    found, todo = set(), list(TASKS[task_id].prerequisites)
    while todo:
        current = todo.pop()
        if current not in found and current in TASKS:
            found.add(current)
            todo += TASKS[current].prerequisites
    return found
