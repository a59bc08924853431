"""The assignment table: every classroom task, its points, the lesson that teaches it and what it builds on.

A task is a `# BEGIN SOLUTION <id> <title>` ... `# END SOLUTION` block in the source (the title lives there)
plus the tests that carry its pytest marker (`t3.2` -> `@pytest.mark.t3_2`). `check` keeps the two in step.
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
    # week 1: autograd
    Task("t1.1", 5, "lessons/01_autograd.py"),
    Task("t1.2", 5, "lessons/01_autograd.py", ("t1.1",)),
    Task("t1.3", 10, "lessons/01_autograd.py"),
    Task("t1.4", 5, "lessons/01_autograd.py", ("t1.1",)),
    # week 2: the fused ops of attention
    Task("t2.1", 5, "lessons/02_attention.py", ("t1.3",)),
    Task("t2.2", 5, "lessons/02_attention.py", ("t1.3",)),
    Task("t2.3", 10, "lessons/04_transformer_block.py", ("t1.3",)),
    Task("t2.4", 5, "lessons/04_transformer_block.py", ("t1.3",)),
    Task("t2.5", 10, "lessons/02_attention.py", ("t2.1",)),
    # week 3: the transformer
    Task("t3.1", 5, "lessons/04_transformer_block.py", ("t2.5",)),
    Task("t3.2", 5, "lessons/03_positional_encoding.py"),
    Task("t3.3", 10, "lessons/04_transformer_block.py", ("t2.3", "t3.1")),
    # week 4: training
    Task("t4.1", 5, "lessons/06_adamw.py"),
    Task("t4.2", 5, "lessons/06_adamw.py"),
    Task("t4.3", 5, "lessons/07_train_classifier.py", ("t2.2", "t4.1")),
    # week 5: the tokenizer
    Task("t5.1", 5, "lessons/05_wordpiece.py"),
    Task("t5.2", 10, "lessons/05_wordpiece.py"),
]}
