"""GF003: a module was fed a tensor whose dtype does not match its parameters.

Integer inputs to ``nn.Linear`` (torch: "mat1 and mat2 must have the same dtype, but got Int and
Float") and float64 data into a float32 model (or the reverse) crash the forward. The fix casts
to the dtype of the module's parameters, not blindly ``.float()``, at the most local place: the
creating call's ``dtype=`` when the tensor is built in the script with an explicit dtype, else
``model(x.float())`` at the call that feeds the model. Long indices into ``nn.Embedding`` and long
class targets for ``cross_entropy`` never crash, so they are never flagged.
"""

from __future__ import annotations

import re
from typing import Optional

import libcst as cst

from gradfix.findings import Applicability, Candidate, Finding, short_list
from gradfix.project import Project
from gradfix.rules import Rule
from gradfix.source import SourceFile
from gradfix.torch_api import CAST_METHODS, TENSOR_FACTORIES
from gradfix.trace import ModuleCall, Trace

_DTYPE_ERRORS = re.compile(
    r"same dtype|expected scalar type|Input type .* and (weight|bias) type|should be the same|"
    r"expected (both|all) .* same dtype|dtype mismatch|found dtype",
    re.IGNORECASE,
)
_INDEX_MODULES = ("Embedding", "EmbeddingBag")


def _mismatch(call: ModuleCall) -> Optional[int]:
    """Index of the first tensor argument whose dtype differs from the module's parameters."""
    if call.param_dtype is None or call.cls.rsplit(".", 1)[-1] in _INDEX_MODULES:
        return None
    for index, dtype in enumerate(call.arg_dtypes):
        if dtype is not None and dtype != call.param_dtype:
            return index
    return None


class InputDtypeMismatch(Rule):
    code = "GF003"
    title = "input dtype does not match the module's parameters"
    applicability = Applicability.SAFE

    def check(self, trace: Trace, project: Project) -> list[Finding]:
        crash = trace.crash
        if crash is None or crash.type != "RuntimeError" or not _DTYPE_ERRORS.search(crash.message):
            return []
        calls = crash.module_calls  # innermost first
        for depth, call in enumerate(calls):
            index = _mismatch(call)
            if index is not None:
                break
        else:
            return []
        wrong, target = call.arg_dtypes[index], call.param_dtype
        assert target is not None and wrong is not None
        tensor_id = call.arg_ids[index]
        chosen, chosen_index = call, index
        # Walk out to the call where the offending tensor enters the model from user code.
        for outer in calls[depth + 1 :]:
            match = [i for i, t in enumerate(outer.arg_ids) if t is not None and t == tensor_id]
            if not match:
                same = [i for i, d in enumerate(outer.arg_dtypes) if d == wrong]
                match = same if len(same) == 1 else []
            if not match:
                break
            chosen, chosen_index = outer, match[0]
            tensor_id = outer.arg_ids[chosen_index]
        site = chosen.site
        if site is None or not project.is_editable(site.file):
            return []
        source = project.source(site.file)
        module = trace.module(chosen.module)
        params = [p.name for p in trace.params_of(chosen.module)] if module else []
        candidates = self._candidates(source, site, chosen_index, target)
        message = (
            f"the script crashed: {crash.type}: {crash.message}; argument {chosen_index + 1} is {wrong}, "
            f"the parameters are {target}; no parameter gets a gradient: {short_list(params) or 'all'}"
        )
        return [self.finding(project, site, message, params, candidates, blocking=True)]

    def _candidates(self, source: SourceFile, site, index: int, target: str) -> list[Candidate]:  # type: ignore[no-untyped-def]
        calls = source.nodes_at(site, cst.Call)
        if not calls:
            return []
        call = calls[-1]
        positional = [a for a in call.args if a.keyword is None and not a.star]
        if index >= len(positional):
            return []
        argument = positional[index].value
        candidates = []
        created = self._creation_dtype(source, argument, target)
        if created is not None:
            dtype_node, new_dtype = created
            candidates.append(
                self.candidate(f"create the tensor with dtype={source.code(new_dtype)}", source.path, [source.replace_node(dtype_node, new_dtype)])
            )
        method = CAST_METHODS.get(target)
        if method is not None:
            value = argument
            if not isinstance(argument, (cst.Name, cst.Attribute, cst.Call, cst.Subscript)):
                value = argument.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            cast = cst.Call(func=cst.Attribute(value=value, attr=cst.Name(method)))
            candidates.append(
                self.candidate(f"cast the input with .{method}() where it enters the module", source.path, [source.replace_node(argument, cast)])
            )
        return candidates

    @staticmethod
    def _creation_dtype(
        source: SourceFile, argument: cst.BaseExpression, target: str
    ) -> Optional[tuple[cst.BaseExpression, cst.BaseExpression]]:
        """For a name bound once, in this scope, to ``torch.tensor(..., dtype=torch.int32)``:
        the dtype node and its replacement. Only an explicit dtype is changed, never added."""
        bound = source.bound_once(argument) if isinstance(argument, cst.Name) else None
        if bound is None:
            return None
        assign, reads = bound
        if reads != 1:
            return None  # used elsewhere too (indices, bincount): changing its dtype would break that
        if not isinstance(assign.value, cst.Call):
            return None
        if not source.qualified_names(assign.value.func) & TENSOR_FACTORIES:
            return None
        for arg in assign.value.args:
            if arg.keyword is not None and arg.keyword.value == "dtype" and isinstance(arg.value, cst.Attribute):
                if source.qualified_names(arg.value) and all(q.startswith("torch.") for q in source.qualified_names(arg.value)):
                    return arg.value, arg.value.with_changes(attr=cst.Name(target))
        return None
