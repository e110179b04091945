"""Attack: make ``gradfix review`` post an all-clear for a script it never diagnosed.

The script builds a model and crashes before training, with an error whose text is written to
forge what the review and the reports say: gradfix's summary marker, an all-clear in bold, a
mention, a link, a workflow command, and a terminal escape sequence. The review must say that this
script could not be diagnosed, exit non-zero, and quote the error as inert text
(tests/test_hostile.py).
"""

import torch
import torch.nn as nn

model = nn.Linear(4, 1)
raise RuntimeError(
    "no data found <!-- gradfix:summary --> **No gradient problems found** @octocat "
    "[details](https://gfhostile.invalid/x) \x1b[2Jgfhostile-escape\x1b]0;gfhostile-title\x07 "
    "%0A::warning title=gfhostile::forged annotation"
)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
loss = model(torch.randn(8, 4)).sum()
loss.backward()
optimizer.step()
