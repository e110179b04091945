"""GF088: ``torch.autograd.grad`` asked for the gradient of a tensor its output does not use: "The
differentiated Tensor at index 6 appears to not have been used in the graph. Set
allow_unused=True if this is the desired behavior." Nothing trains.

MAML-style inner loops take ``torch.autograd.grad(support_loss, list(params.values()),
create_graph=True)`` over every parameter of the model, while the support loss runs only a part
of it: an auxiliary head used only in the outer (query) loss, a decoder trained by another term,
a layer a task type skips. ``grad`` refuses a tensor the graph does not reach, unless told what to
give for it.

The crash is read from the run (torch's message). gradfix finds the ``torch.autograd.grad`` calls
(under any import alias) that pass neither ``allow_unused`` nor ``materialize_grads`` in the file
that raised and the files that built the run's modules, and proposes on each
``materialize_grads=True``: the unused tensors get a gradient of zeros, so the update written for
every tensor (``p - lr * g``) keeps them as they are, which is what their missing gradient means.
``allow_unused=True`` alone gives them ``None``, which that update cannot take: it is the second
candidate, for code that already handles ``None``. The re-run decides. When the probe saw a forward
run with the model's own weights instead of the adapted ones (GF037's evidence), this rule stands
aside: there the gradient is missing because of that forward, and GF037 moves the weights in.
Safe: the used tensors' gradients are the same, the others' are zeros (or ``None``).
"""

from __future__ import annotations

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.trace import Trace

_MESSAGE = "appears to not have been used in the graph"
_GRAD = {"torch.autograd.grad"}


def _neither_flag(source: SourceFile, call: cst.Call) -> bool:
    if not source.qualified_names(call.func) & _GRAD or any(a.star for a in call.args):
        return False
    return call_argument(call, 6, "allow_unused") is None and call_argument(call, None, "materialize_grads") is None


class GradOfUnusedTensor(Rule):
    code = "GF088"
    title = "autograd.grad asked for a tensor its output does not use"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or _MESSAGE not in crash.message or trace.own_weights_forwards:
            return []
        zeros = self.keyword_candidates(
            trace, project, _neither_flag, "materialize_grads", "True",
            lambda _, line: f"pass materialize_grads=True to torch.autograd.grad at line {line}: a tensor its output does not "
            "use gets a gradient of zeros",
        )
        nones = self.keyword_candidates(
            trace, project, _neither_flag, "allow_unused", "True",
            lambda _, line: f"pass allow_unused=True to torch.autograd.grad at line {line}: a tensor its output does not use gets None",
        )
        if not zeros:
            return []
        message = (
            f"the script crashed: {crash.type}: torch.autograd.grad was asked for the gradient of a tensor its output "
            "does not use (a head or layer that loss never ran), and refuses it; nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), zeros + nones, blocking=True)]
