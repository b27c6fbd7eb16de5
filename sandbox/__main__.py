"""`python -m sandbox`: the same as `casebot run --sandbox`."""

from bot.cli import main

raise SystemExit(main(["run", "--sandbox"]))
