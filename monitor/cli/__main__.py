"""`python -m monitor.cli` runs the `orglife` command line (as `python -m monitor` does)."""

from monitor.cli import main

main(prog_name="orglife")
