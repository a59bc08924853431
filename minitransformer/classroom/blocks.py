"""Finding, stubbing and splicing `# BEGIN SOLUTION <id> <title>` / `# END SOLUTION` blocks in source text."""
import re
from dataclasses import dataclass

BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION (?P<id>\S+)[ \t]*(?P<title>.*?)[ \t]*$")
END = re.compile(r"^[ \t]*# END SOLUTION[ \t]*$")
WELL_FORMED_ID = re.compile(r"^t\d+\.\d+$")


class MarkerError(ValueError):
    """Unbalanced or malformed markers, with the file and line."""


@dataclass
class Block:
    id: str
    title: str
    path: str
    begin: int  # 0-based line index of the BEGIN marker
    end: int  # 0-based line index of the END marker
    indent: str

    def body(self, lines):
        """The lines strictly between the markers."""
        return lines[self.begin + 1:self.end]


def find_blocks(text, path="<text>"):
    """Every solution block of a file, in order; raises MarkerError for nesting, a stray END or a missing END."""
    blocks, open_block = [], None
    for number, line in enumerate(text.splitlines()):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_block:
                raise MarkerError(f"{path}:{number + 1}: BEGIN SOLUTION {begin['id']} inside the open block "
                                  f"{open_block.id} (line {open_block.begin + 1}); blocks cannot nest")
            open_block = Block(begin["id"], begin["title"], path, number, -1, begin["indent"])
        elif end:
            if not open_block:
                raise MarkerError(f"{path}:{number + 1}: END SOLUTION without a BEGIN SOLUTION before it")
            open_block.end = number
            blocks.append(open_block)
            open_block = None
    if open_block:
        raise MarkerError(f"{path}:{open_block.begin + 1}: BEGIN SOLUTION {open_block.id} has no END SOLUTION")
    return blocks


def stub_lines(block, lesson):
    """What a student sees instead of the solution: one raise, at the block's indentation."""
    message = f"{block.id}: {block.title} — see {lesson}"
    return [f"{block.indent}raise NotImplementedError({message!r})"]


def replace_bodies(text, new_bodies, path="<text>"):
    """Replace the body of each block whose id is in `new_bodies` (id -> list of lines); markers stay."""
    lines = text.splitlines()
    for block in reversed(find_blocks(text, path)):
        if block.id in new_bodies:
            lines[block.begin + 1:block.end] = new_bodies[block.id]
    return "\n".join(lines) + ("\n" if text.endswith("\n") else "")
