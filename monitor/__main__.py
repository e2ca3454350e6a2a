"""`python -m monitor` runs the `orglife` command line."""

from monitor.cli import main

main(prog_name="orglife")
