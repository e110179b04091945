"""Running the user's script in a child process under the probe; see runner.py and probe.py."""

from gradfix.sandbox.runner import RunResult, Sandbox, clean_environment, end_runs

__all__ = ["RunResult", "Sandbox", "clean_environment", "end_runs"]
