"""What one sandbox run needs: the script, its arguments, the candidate sources and the limits."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class RunRequest:
    script: str
    args: list[str]
    cwd: str
    env: dict[str, str]
    user_roots: list[str]
    stdout_path: str
    stderr_path: str
    steps: int = 3
    max_backwards: int = 128  # a run that never steps still ends (and gradient accumulation fits)
    timeout: float = 60.0
    memory_mb: int = 8192
    # path -> source text that replaces the file on disk for this run (a candidate fix)
    overlay: dict[str, str] = field(default_factory=dict)
    scratch: str = ""  # the run's own folder: captured writes, the fallback working directory
    protect: list[str] = field(default_factory=list)  # folders whose writes must not reach the disk
    # Wall the run in (isolate.py), or fail; False only where the walls are not available at all.
    isolate: bool = False
    # Run the script as `torchrun --nproc-per-node N` would (ranks.py); 0: as a plain script.
    nproc_per_node: int = 0
    # torch's intra-op threads for the run (0: torch's own default, which the user's
    # OMP_NUM_THREADS sets). Runs side by side share the cores: each with a pool as large as the
    # machine would spin-wait on the others' cores and run several times slower.
    threads: int = 0
    # A fresh interpreter's descriptors (inherited): the channel's write end, and a pipe holding
    # the channel's key, read and closed before the script starts. A forked run gets both from
    # the warm process instead (zygote.py); the key is never in this request.
    channel_fd: int = -1
    key_fd: int = -1
