"""Attack: make gradfix write the script's own code into a "verified safe fix".

The optimizer is built with an empty list, and the only module in scope is bound, through
``globals()``, to a name that is a Python expression. GF001 fixes an empty list with
``<name>.parameters()``: pasted as it came from the run, the expression runs during the
verification run (it prints ``gfinjected-ran``) and, as it also returns the real module, the fix
verifies and is offered as safe. tests/test_hostile.py checks that no output carries the
expression, that no fix is offered, and that the names in the messages are only those the source
binds. It also prints a workflow command, which ``--verbose`` shows, disarmed.
"""

import torch
import torch.nn as nn

print("::warning title=gfhostile::forged from stdout \x1b[2J")
holder = [nn.Linear(4, 1)]
globals()["print('gfinjected-ran') or holder[0]"] = holder[0]
optimizer = torch.optim.SGD([], lr=0.1)
for step in range(3):
    loss = holder[0](torch.randn(8, 4)).pow(2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
