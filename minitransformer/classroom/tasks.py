"""The assignment table: every classroom task, its points, the lesson that teaches it and what it builds on.

A task is a `# BEGIN SOLUTION <id> <title>` ... `# END SOLUTION` block in the source (the title lives there)
plus the tests that carry its pytest marker (`t3.2` -> `@pytest.mark.t3_2`). `check` keeps the two in step.

`prerequisites` are the tasks that some of this task's tests need written first: in a student copy where one of
them is still a stub, those tests are skipped with a reason naming it ("needs task t1.3 (backward engine) first:
see lessons/01_autograd.py"), while the task's other tests already grade its own code. Every task has tests that
need no other task (an op's backward called directly, t4.3's step on a model written in the test, t3.3's wiring
with a stand-in attention), so a task's own failures always come from its own code. The column is measured, not
wished for: the slow test tests/test_classroom.py::test_stubbing_one_task_fails_its_tests_and_only_those stubs
each task alone and fails when a listed prerequisite is not needed or a needed one is missing.

Points follow the work: about 5 for a few lines from a given formula, 10 for a longer piece with cases to get
right (the engine, matmul with 1-D and batched operands, LayerNorm's derivation, masking, AdamW, WordPiece, the
training step's order).
"""
import re
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
    # autograd: the engine's tests bring their own ops; the ops' backwards are also tested without the engine
    Task("t1.1", 5, "lessons/01_autograd.py"),
    Task("t1.2", 5, "lessons/01_autograd.py", ("t1.1", "t1.3")),   # calls unbroadcast; gradcheck runs the engine
    Task("t1.3", 10, "lessons/01_autograd.py"),
    Task("t1.4", 10, "lessons/01_autograd.py", ("t1.1", "t1.3")),
    # the fused ops of attention: each backward is called directly, and gradchecked through the engine
    Task("t2.1", 5, "lessons/02_attention.py", ("t1.3",)),
    Task("t2.2", 5, "lessons/02_attention.py", ("t1.3",)),
    Task("t2.3", 10, "lessons/04_transformer_block.py", ("t1.3",)),
    Task("t2.4", 5, "lessons/04_transformer_block.py", ("t1.3",)),
    Task("t2.5", 10, "lessons/02_attention.py", ("t1.3", "t2.1")),  # its gradient runs through softmax's
    # the transformer
    Task("t3.1", 5, "lessons/04_transformer_block.py", ("t1.3", "t2.5")),
    Task("t3.2", 5, "lessons/03_positional_encoding.py"),
    Task("t3.3", 5, "lessons/04_transformer_block.py", ("t2.5", "t3.1")),  # the tests with the real attention
    # training; the training step's tests use a model written in the test, one of them with a real backward()
    Task("t4.1", 10, "lessons/06_adamw.py"),
    Task("t4.2", 5, "lessons/06_adamw.py"),
    Task("t4.3", 10, "lessons/07_train_classifier.py", ("t1.3",)),
    # the tokenizer
    Task("t5.1", 10, "lessons/05_wordpiece.py"),
    Task("t5.2", 5, "lessons/05_wordpiece.py"),
]}

# A suggested four-week course: each task once, in an order that puts every prerequisite first (`check` says
# so), so one student copy with all tasks stubbed can be worked through top to bottom.
WEEKS = [
    ("Week 1: autograd", ("t1.1", "t1.3", "t1.2", "t1.4")),
    ("Week 2: the fused ops of attention", ("t2.1", "t2.2", "t2.5", "t2.3", "t2.4")),
    ("Week 3: the transformer and its tokenizer", ("t3.1", "t3.2", "t3.3", "t5.1", "t5.2")),
    ("Week 4: training", ("t4.1", "t4.2", "t4.3")),
]


def task_key(task_id):
    """Sort key of a task id by its numbers, so t1.10 comes after t1.2 (as strings it would come before);
    ids that are not of the form t<unit>.<n> go last, alphabetically."""
    match = re.fullmatch(r"t(\d+)\.(\d+)", task_id)
    return (0, int(match[1]), int(match[2]), "") if match else (1, 0, 0, task_id)


def closure(task_id):
    """Every task that `task_id` builds on, directly or through another."""
    found, todo = set(), list(TASKS[task_id].prerequisites)
    while todo:
        current = todo.pop()
        if current not in found and current in TASKS:
            found.add(current)
            todo += TASKS[current].prerequisites
    return found
