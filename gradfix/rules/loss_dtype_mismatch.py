"""GF096: a loss given predictions and a target of two floating dtypes (float32 predictions, a
float64 target), which it refuses: "Found dtype Double but expected Float". Nothing trains.

Targets read from NumPy arrays or pandas columns are float64 (``torch.from_numpy``,
``torch.tensor(df.values)``), while the model is float32. Some losses refuse the mix:
``nn.BCELoss`` in its forward, ``nn.HuberLoss`` in its backward, after a forward that promoted both
to float64, so the loss's value prints fine and the first ``loss.backward()`` fails. Which losses
refuse depends on the torch version (MSE and L1 once did, and promote now).

The evidence comes from the run: the script raised torch's "Found dtype X but expected Y", and the
probe saw a loss function called from the user's code with gradients on and an input and a target
of two floating dtypes. The fix casts the target to the dtype of the predictions at that call
(``criterion(pred, y.float())``, ``target=y.float()`` when passed by keyword); a second candidate
casts the predictions to the target's dtype. The re-run decides. Safe: the target's values are the
same numbers in the model's precision.
"""

from __future__ import annotations

import re

import libcst as cst

from gradfix.expressions import call_argument
from gradfix.findings import Applicability, Candidate, Finding
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.torch_api import CAST_METHODS
from gradfix.trace import MixedDtypeLoss, Trace

_MESSAGE = re.compile(r"Found dtype (\w+) but expected (\w+)")


class LossDtypeMismatch(Rule):
    code = "GF096"
    title = "loss given predictions and a target of two dtypes"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.site is None or not _MESSAGE.search(crash.message) or not trace.mixed_dtype_losses:
            return []
        candidates = []
        for loss in trace.mixed_dtype_losses:
            if project.is_editable(loss.site.file):
                candidates += self._candidates(project.source(loss.site.file), loss)
        first = trace.mixed_dtype_losses[0]
        message = (
            f"the script crashed: {crash.type}: {crash.message}; the loss at line {first.site.line} ({first.op}) was given "
            f"{first.input_dtype} predictions and a {first.target_dtype} target, which its backward refuses; nothing trains"
        )
        return [self.finding(project, crash.site, message, trace.meant_to_train(), candidates, blocking=True)]

    def _candidates(self, source: SourceFile, loss: MixedDtypeLoss) -> list[Candidate]:
        calls = [
            c for c in source.nodes_at(loss.site, cst.Call)
            if call_argument(c, 0, "input") is not None and call_argument(c, 1, "target") is not None
        ]
        if not calls:
            return []
        call = calls[-1]
        found = []
        for index, keyword, dtype, what in ((1, "target", loss.input_dtype, "target"), (0, "input", loss.target_dtype, "predictions")):
            method = CAST_METHODS.get(dtype)
            given = call_argument(call, index, keyword)
            if method is None or given is None:
                continue
            value = given.value
            if not isinstance(value, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
                value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            cast = cst.Call(func=cst.Attribute(value=value, attr=cst.Name(method)))
            found.append(self.candidate(
                f"cast the {what} to {dtype} where the loss is computed, at line {loss.site.line}: "
                f"`{source.code(given.value)}.{method}()`",
                source.path, [source.replace_node(given.value, cast)],
            ))
        return found
