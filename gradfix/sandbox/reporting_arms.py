"""Arms of a watched ``if`` that only report: print, log, save a checkpoint, write to a metrics
writer, or run an evaluation pass. Not reaching such an arm hides no training, so a loop is not held
open past its cut to reach it (loops.py).

Decided from the code alone, and conservatively: a loop held open too long is slower, a loop cut
before a branch that unfreezes a layer misses a fault. So an arm reports only when every call in it
is a known output idiom, a read (``loss.item()``, ``model.state_dict()``), a function of the script
whose own body passes the same test, or (inside an evaluation pass: after ``model.eval()``, under
``torch.no_grad()`` or ``torch.inference_mode()``) any call that is not a training action. And every
name it binds must be read by nothing but output: ``acc = evaluate(model)`` is a report, unless the
training later reads ``acc`` (``scheduler.step(acc)`` waits on it).
"""

from __future__ import annotations

import ast
from typing import Iterator, Optional

# Calls that only write out what they are given: what is read inside them feeds no training.
_OUTPUT = {
    "print", "open", "torch.save", "numpy.save", "numpy.savez", "numpy.savez_compressed", "numpy.savetxt",
    "json.dump", "pickle.dump", "yaml.dump", "os.makedirs", "os.mkdir", "shutil.copy", "shutil.copyfile",
    "shutil.copy2", "wandb.log", "wandb.save", "tqdm.write",
}
_OUTPUT_PREFIXES = ("logging.", "mlflow.log_")
# Calls that compute a value from their arguments and change nothing.
_READS = {"time.time", "time.perf_counter", "time.strftime", "copy.deepcopy", "json.dumps", "pickle.dumps"}
_READ_PREFIXES = ("os.path.", "datetime.", "math.")
_LOGGER_NAMES = {"logging", "logger", "log", "_logger", "LOGGER", "LOG", "_log"}
# Methods that only write (a file's write, a progress bar's text) or read a value.
_OUTPUT_METHODS = {"write", "flush", "writelines", "set_postfix", "set_description", "set_postfix_str"}
_READ_METHODS = {
    "item", "tolist", "cpu", "detach", "numpy", "state_dict", "mean", "sum", "std", "max", "min",
    "argmax", "argmin", "float", "double", "size", "numel", "norm", "abs", "eq", "ne", "format",
    "join", "keys", "values", "items", "get", "get_last_lr", "upper", "lower", "strip",
}
_READ_BUILTINS = {
    "str", "repr", "int", "float", "bool", "round", "len", "min", "max", "sum", "abs", "sorted",
    "enumerate", "zip", "range", "format", "isinstance", "list", "dict", "tuple", "set",
}
# A mode switch changes dropout and batch-norm statistics, never which parameters get a gradient.
_MODE_SWITCHES = {"eval", "train"}
# Grad mode off: what runs under it cannot train anything by backward().
_NO_GRAD = {"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad", "torch.autograd.grad_mode.no_grad"}
# What changes training wherever it is called or assigned, even in an evaluation pass.
_TRAINING_ACTIONS = {
    "backward", "step", "zero_grad", "requires_grad", "requires_grad_", "param_groups", "lr",
    "add_param_group", "load_state_dict", "register_parameter", "register_buffer", "register_hook",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook", "apply",
    "setattr", "delattr", "exec", "eval", "globals", "vars", "grad", "data",
}


def dotted_name(node: ast.AST) -> Optional[str]:
    """``model.fc``: a name and its attributes, joined by dots; None for anything else. The ast
    twin of gradfix.expressions.dotted_path: the sandbox child reads the script with ast, and
    does not import libcst."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = dotted_name(node.value)
        return None if owner is None else f"{owner}.{node.attr}"
    return None


def own_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node the statements run each time they run: nested blocks and loops, not the bodies
    of the functions, classes and lambdas they define (those run when called)."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def _stored_names(body: list[ast.stmt]) -> set[str]:
    return {n.id for n in own_nodes(body) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


_FRESH_CALLS = {"list", "dict", "set", "defaultdict", "OrderedDict", "collections.defaultdict", "collections.OrderedDict"}


def _fresh_containers(body: list[ast.stmt]) -> set[str]:
    """Names bound only to a new list, dict or set (``history = []``): filling one changes nothing
    else. A name bound by ``for g in opt.param_groups`` is someone else's dict: writing into it may
    set a learning rate."""
    fresh, other = set(), set()
    made: set[int] = set()
    for node in own_nodes(body):
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = node.value
            new = isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)) or (
                isinstance(value, ast.Call) and dotted_name(value.func) in _FRESH_CALLS
            )
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if new:
                made.update(id(t) for t in targets if isinstance(t, ast.Name))
    for node in own_nodes(body):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            (fresh if id(node) in made else other).add(node.id)
    return fresh - other


def _declared(body: list[ast.stmt]) -> set[str]:
    """Names a function declares ``global`` or ``nonlocal``."""
    return {name for n in own_nodes(body) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}


def _is_mark(statement: ast.stmt, mark: str) -> bool:
    """The store loops.py puts at the start of a watched arm: not the user's code."""
    return (
        isinstance(statement, ast.Assign) and len(statement.targets) == 1 and isinstance(statement.targets[0], ast.Subscript)
        and isinstance(statement.targets[0].value, ast.Name) and statement.targets[0].value.id == mark
    )


class ReportingArms:
    """Reads one file: which arms only report. ``tree`` is the file's module."""

    def __init__(self, tree: ast.Module, mark: str):
        self.mark = mark
        self.imports = self._imports(tree)
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef]] = {}
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.setdefault(node.name, []).append(node)
        self._checking: set[int] = set()  # functions being read (a recursive call passes on its body)
        self._mutated: set[str] = set()  # containers the arm being read changes in place

    @staticmethod
    def _imports(tree: ast.Module) -> dict[str, str]:
        """What each imported name stands for: ``np`` -> ``numpy``, ``save`` -> ``torch.save``."""
        names: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        return names

    def _resolved(self, node: ast.AST) -> Optional[str]:
        path = dotted_name(node)
        if path is None:
            return None
        head, _, rest = path.partition(".")
        head = self.imports.get(head, head)
        return f"{head}.{rest}" if rest else head

    # -- the question loops.py asks ------------------------------------------------------------------

    def only_reports(self, arm: list[ast.stmt], scope: ast.AST) -> bool:
        """Whether an arm, in ``scope`` (the module or the function its loop is in), only reports."""
        stored: set[str] = set()
        self._mutated = set()
        if not self._block(arm, False, stored, None):
            return False
        if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if stored & _declared(scope.body):
                return False  # a global: the rest of the program may train with it
        statements = scope.body if isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)) else []
        if self._mutated - _fresh_containers(statements):
            return False  # a list or dict the arm did not make itself: a param group, a config, the caller's
        mine = {id(n) for n in own_nodes(arm)}
        return not self._read_outside([scope], stored, mine)

    def _read_outside(self, nodes: list[ast.AST], names: set[str], skip: set[int]) -> bool:
        """Whether anything in ``nodes`` but the arm (``skip``) and output reads one of ``names``."""
        if not names:
            return False
        stack = list(nodes)
        while stack:
            node = stack.pop()
            if id(node) in skip:
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in names:
                return True
            if isinstance(node, ast.Call) and self._output_call(node):
                continue  # printed or saved: read by no training
            if node not in nodes and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                # The function's own locals and parameters are other variables of the same name.
                args = node.args
                params = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg] if a is not None}
                body: list[ast.AST] = list(node.body) if isinstance(node.body, list) else [node.body]
                statements = [s for s in body if isinstance(s, ast.stmt)]
                local = (params | _stored_names(statements)) - _declared(statements)
                if self._read_outside(body, names - local, skip):
                    return True
                continue
            stack.extend(ast.iter_child_nodes(node))
        return False

    # -- statements ---------------------------------------------------------------------------------

    def _block(self, body: list[ast.stmt], evaluating: bool, stored: set[str], local: Optional[set[str]]) -> bool:
        """``local``: in a function of the script, the containers it makes itself (None in an arm)."""
        for statement in body:
            if _is_mark(statement, self.mark):
                continue
            switch = _mode_switch(statement)
            if switch is not None:
                evaluating = evaluating or switch == "eval"  # what follows model.eval() is an evaluation pass
                continue
            if not self._statement(statement, evaluating, stored, local):
                return False
        return True

    def _statement(self, node: ast.stmt, evaluating: bool, stored: set[str], local: Optional[set[str]]) -> bool:
        block = lambda body, ev=evaluating: self._block(body, ev, stored, local)  # noqa: E731
        expr = lambda e: e is None or self._expr(e, evaluating, stored, local)  # noqa: E731
        if isinstance(node, (ast.Pass, ast.Break, ast.Continue, ast.Raise, ast.Import, ast.ImportFrom)):
            return True
        if isinstance(node, ast.Return):
            return expr(node.value)
        if isinstance(node, (ast.Expr, ast.Assert)):
            return expr(node.value if isinstance(node, ast.Expr) else node.test)
        if isinstance(node, ast.Assign):
            return all(self._target(t, stored, local) for t in node.targets) and expr(node.value)
        if isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            return self._target(node.target, stored, local) and expr(node.value)
        if isinstance(node, ast.If):
            return expr(node.test) and block(node.body) and block(node.orelse)
        if isinstance(node, (ast.For, ast.AsyncFor)):
            return self._target(node.target, stored, local) and expr(node.iter) and block(node.body) and block(node.orelse)
        if isinstance(node, ast.While):
            return expr(node.test) and block(node.body) and block(node.orelse)
        if isinstance(node, (ast.With, ast.AsyncWith)):
            no_grad = evaluating
            for item in node.items:
                if self._grad_off(item.context_expr):
                    no_grad = True
                elif not expr(item.context_expr):
                    return False
                if item.optional_vars is not None and not self._target(item.optional_vars, stored, local):
                    return False
            return block(node.body, no_grad)
        if isinstance(node, ast.Try):
            handlers = all(block(h.body) for h in node.handlers)
            return block(node.body) and handlers and block(node.orelse) and block(node.finalbody)
        return False  # del, global, a def or class inside the arm, match: not judged, so waited on

    def _target(self, target: ast.expr, stored: set[str], local: Optional[set[str]]) -> bool:
        """A binding the arm may make: a plain name (checked for readers later), or an item of a
        container the arm or the function made (``metrics["acc"] = acc``). Never an attribute:
        ``model.head = ...``, ``p.requires_grad = True``, ``self.lr = ...`` change what trains."""
        if isinstance(target, ast.Name):
            stored.add(target.id)
            return True
        if isinstance(target, (ast.Tuple, ast.List)):
            return all(self._target(t, stored, local) for t in target.elts)
        if isinstance(target, ast.Starred):
            return self._target(target.value, stored, local)
        if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
            return self._container(target.value.id, stored, local)
        return False

    def _container(self, name: str, stored: set[str], local: Optional[set[str]]) -> bool:
        if local is not None:
            return name in local  # the function's own new list or dict, not one its caller passed in
        stored.add(name)
        self._mutated.add(name)
        return True

    # -- expressions --------------------------------------------------------------------------------

    def _expr(self, node: ast.AST, evaluating: bool, stored: set[str], local: Optional[set[str]]) -> bool:
        for sub in own_nodes([node]):  # type: ignore[list-item]
            if isinstance(sub, (ast.Lambda, ast.Await, ast.Yield, ast.YieldFrom)):
                return False
            if isinstance(sub, ast.NamedExpr) and not self._target(sub.target, stored, local):
                return False
            if isinstance(sub, ast.Call) and not self._call(sub, evaluating, stored, local):
                return False
        return True

    def _call(self, call: ast.Call, evaluating: bool, stored: set[str], local: Optional[set[str]]) -> bool:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name is None:
            return False
        if name in _TRAINING_ACTIONS or "freeze" in name.lower():
            return False
        if self._output_call(call) or self._read_call(call):
            return True
        if isinstance(func, ast.Attribute) and name in ("append", "extend") and isinstance(func.value, ast.Name):
            return self._container(func.value.id, stored, local)
        own = self._own_function(func)
        if own is not None:
            return self._function(own, evaluating)
        if evaluating:
            # In an evaluation pass the model's forward, a loss, a metric are read-only; an in-place
            # method (``p.mul_(...)``, ``w.copy_(...)``) may write a weight.
            return not name.endswith("_") or name.startswith("__")
        return False  # an unknown call: no evidence it trains nothing

    def _output_call(self, call: ast.Call) -> bool:
        path = self._resolved(call.func)
        if path is None:
            return False
        if path in _OUTPUT or path.startswith(_OUTPUT_PREFIXES):
            return True
        owner, _, method = path.rpartition(".")
        if not owner:
            return False
        receiver = owner.rpartition(".")[2]
        if receiver in _LOGGER_NAMES or method in _OUTPUT_METHODS:
            return True
        # TensorBoard's SummaryWriter and its kin: writer.add_scalar, self.writer.add_histogram.
        return "writer" in receiver.lower() and method.startswith("add_")

    def _read_call(self, call: ast.Call) -> bool:
        func = call.func
        path = self._resolved(func)
        if path is not None and (path in _READS or path.startswith(_READ_PREFIXES)):
            return True
        if isinstance(func, ast.Name):
            return func.id in _READ_BUILTINS and func.id not in self.functions and func.id not in self.imports
        return isinstance(func, ast.Attribute) and func.attr in _READ_METHODS

    def _own_function(self, func: ast.expr) -> Optional[ast.FunctionDef | ast.AsyncFunctionDef]:
        """The script's function a call runs, when its name says which: ``evaluate(...)``,
        ``self.validate(...)``. Two functions of one name: not known which."""
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "self":
            name = func.attr
        else:
            return None
        found = self.functions.get(name, [])
        return found[0] if len(found) == 1 else None

    def _function(self, function: ast.FunctionDef | ast.AsyncFunctionDef, evaluating: bool) -> bool:
        if id(function) in self._checking:
            return True  # being read: its body decides
        if _declared(function.body):
            return False
        evaluating = evaluating or any(self._grad_off(d) for d in function.decorator_list)
        if function.decorator_list and not evaluating:
            return False  # a decorator may do anything
        self._checking.add(id(function))
        try:
            return self._block(function.body, evaluating, set(), local=_fresh_containers(function.body))
        finally:
            self._checking.discard(id(function))

    def _grad_off(self, node: ast.expr) -> bool:
        """``torch.no_grad()``, ``torch.inference_mode()``, ``torch.set_grad_enabled(False)``, or
        the decorator forms."""
        func = node.func if isinstance(node, ast.Call) else node
        path = self._resolved(func)
        if path in _NO_GRAD:
            return True
        if path == "torch.set_grad_enabled" and isinstance(node, ast.Call) and node.args:
            first = node.args[0]
            return isinstance(first, ast.Constant) and first.value is False
        return False


def _mode_switch(statement: ast.stmt) -> Optional[str]:
    """``model.eval()`` or ``model.train()`` (``train(False)``, ``train(was_training)``) as a statement."""
    if not isinstance(statement, ast.Expr) or not isinstance(statement.value, ast.Call):
        return None
    call = statement.value
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in _MODE_SWITCHES or call.keywords:
        return None
    if call.func.attr == "eval" and call.args:
        return None
    if len(call.args) > 1 or any(not isinstance(a, (ast.Constant, ast.Name)) for a in call.args):
        return None
    return call.func.attr
