"""Attack: carry a secret into every output, and into the pull-request comment, as a name.

A script can read what the user can (a token in a file, say) and bind it as a name: a global whose
name is the token, and the key of a dict of modules. GF001's message lists the modules in scope
("in scope: ...") and the parameters no optimizer holds; its fix passes ``<name>.parameters()``.
The token here is made at run time (tests/test_hostile.py computes the same one), so the source
never spells it: gradfix may quote and write only names the source binds.
"""

import hashlib

import torch
import torch.nn as nn

token = "ghp_" + hashlib.sha256(b"gradfix hostile bound secret").hexdigest()[:32]
globals()[token] = nn.Linear(4, 1)
layers = {token.replace("ghp_", "gho_"): nn.Linear(4, 1)}
optimizer = torch.optim.SGD([], lr=0.1)
for step in range(3):
    loss = globals()[token](torch.randn(8, 4)).sum() + layers[token.replace("ghp_", "gho_")](torch.randn(8, 4)).sum()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
