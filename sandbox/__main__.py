"""`python -m sandbox`: the same as `casebot run --sandbox`."""

from casebot.cli import main

raise SystemExit(main(["run", "--sandbox"]))
