"""The `cvpair` console script (`cvpair.cli.run`): the command's exit status, its output flushed and
every exit handler run, although it skips the interpreter's teardown."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

CVPAIR = Path(sys.executable).with_name("cvpair")

# A command standing in for the work: it registers an exit handler (as FiftyOne does for its database),
# leaves output unflushed in both streams, and ends with the status given.
COMMAND_THEN_EXIT = """
import atexit, sys
import cvpair.cli as cli
def command(prog_name):
    atexit.register(lambda: print("exit handler ran", flush=True))
    sys.stdout.write("unflushed output")
    sys.stderr.write("unflushed error")
    sys.exit({status})
cli.main.main = command
cli.run()
"""


def test_the_installed_script_runs_a_command_and_exits_with_its_status():
    done = subprocess.run([CVPAIR, "--version"], capture_output=True, text=True)
    assert (done.returncode, done.stdout) == (0, f"cvpair, version {version('cvpair')}\n")
    wrong = subprocess.run([CVPAIR, "no-such-command"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "No such command 'no-such-command'" in wrong.stderr


def test_exit_handlers_run_and_output_is_flushed_whatever_the_status():
    for status in (0, 3):
        done = subprocess.run(
            [sys.executable, "-c", COMMAND_THEN_EXIT.format(status=status)], capture_output=True, text=True
        )
        assert done.returncode == status
        assert done.stdout == "unflushed outputexit handler ran\n"
        assert done.stderr == "unflushed error"


def test_an_unexpected_exception_prints_its_traceback_and_exits_1():
    crash = COMMAND_THEN_EXIT.replace("sys.exit({status})", "raise RuntimeError('boom')")
    done = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True)
    assert done.returncode == 1
    assert "RuntimeError: boom" in done.stderr and done.stdout.endswith("exit handler ran\n")
