"""python -m minitransformer.classroom {tasks,student,check,grade}: build assignments from this very source."""
import argparse
import sys

from .check import check
from .grade import format_table, grade, write_json
from .student import generate
from .table import guide_section, update_guide
from .tasks import TASKS, task_key
from .tree import source_root


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m minitransformer.classroom", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    table = commands.add_parser("tasks", help="print the task table and the suggested weeks (Markdown)")
    table.add_argument("--guide", metavar="PATH", help="rewrite the generated table section of this guide instead")
    student = commands.add_parser("student", help="write a student copy with the chosen tasks stubbed out")
    student.add_argument("outdir", help="a new directory for the student copy")
    student.add_argument("--tasks", help="comma-separated task ids (default: all), e.g. t1.1,t3.2")
    commands.add_parser("check", help="markers balanced, ids well-formed and unique, every task tested")
    grader = commands.add_parser("grade", help="grade each task of a working copy on its own")
    grader.add_argument("path", nargs="?", default=".", help="the student's working copy (default: .)")
    grader.add_argument("--reference", help="the reference tree with solutions (default: this package's repo)")
    grader.add_argument("--tasks", help="comma-separated task ids (default: all)")
    grader.add_argument("--timeout", type=float, default=300, help="seconds per task before it is stopped")
    grader.add_argument("--json", metavar="PATH", help="also write the scores as JSON to PATH (parent directories "
                        "are created; default: no file, so no grades land in the source tree unasked)")
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    tasks = [t.strip() for t in args.tasks.split(",")] if getattr(args, "tasks", None) else None
    try:
        if args.command == "tasks":
            if args.guide:
                changed = update_guide(args.guide, source_root())
                print(f"{args.guide}: task table {'updated' if changed else 'already up to date'}")
            else:
                print(guide_section(source_root()))
        elif args.command == "student":
            chosen = generate(args.outdir, tasks)
            print(f"student copy written to {args.outdir} with {len(chosen)} task(s) stubbed: {', '.join(chosen)}")
        elif args.command == "check":
            problems = check(source_root())
            for problem in problems:
                print(problem)
            print(f"{len(TASKS)} tasks: " + ("markers and tests agree" if not problems else f"{len(problems)} problem(s)"))
            return 1 if problems else 0
        else:
            unknown = sorted(set(tasks or ()) - set(TASKS), key=task_key)
            if unknown:
                raise ValueError(f"unknown task id(s) {', '.join(unknown)}")
            results = grade(args.path, args.reference, tasks, args.timeout)
            print(format_table(results))
            if args.json:
                write_json(results, args.json)
                print(f"scores written to {args.json}")
    except (ValueError, OSError, RuntimeError) as exc:  # bad ids, paths, markers: one line, exit 2
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
