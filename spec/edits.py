"""Single edits of GPT-2's code: generic mutation operators over the reference's syntax tree.

An edit changes one thing at one place of a reference/ file, the way a participant's slip does: a number (``c`` to
``c - 1``, ``c + 1``, ``-c``), an operator (``+`` and ``-``, ``*`` and ``/``, ``<`` and ``<=``), a name for another
name of the same function, an attribute for another attribute of the same object, a function for a near-namesake
(``mean``/``sum``, ``triu``/``tril``, ``.T``/``.mT``), an argument dropped or two swapped (or two elements of a
tuple: ``B, C, T = x.shape``), a call skipped (``f(x)`` becomes ``x``), a 0/1 mask made boolean
(``masked_fill(m.bool(), v)``), an expression off by one, an operand moved into or out of a call (``rsqrt(var +
eps)`` and ``rsqrt(var) + eps``), the input added to what a function returns, a string option for its sibling
(``errors="replace"``, ``"ignore"``), two parameters of a signature swapped, a statement deleted, two statements
swapped, a statement moved into or out of its loop, a dropped result assigned back, a ``with`` or decorator dropped,
a method named but not called (``loader.state_dict`` for ``loader.state_dict()``) or called where it was named, an
exception class for a sibling (``except IndexError`` for ``except KeyError``). Nothing here names a bug: the
operators are the ones mutation testing uses, applied to every node of the chosen functions in source order.

spec/probes_search.py runs each edited copy next to a participant's code and keeps the ones that behave the same.
"""

from __future__ import annotations

import ast
import copy
import functools
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

# Near-namesakes a participant types for each other (torch, Python): either direction
_CONFUSABLE = [
    ("mean", "sum"), ("var", "std"), ("triu", "tril"), ("softmax", "log_softmax"), ("max", "min"),
    ("argmax", "argmin"), ("amax", "amin"), ("sqrt", "rsqrt"), ("exp", "log"), ("split", "chunk"),
    ("cat", "stack"), ("squeeze", "unsqueeze"), ("gelu", "relu"), ("gelu", "silu"), ("zeros", "ones"),
    ("zeros_", "ones_"), ("randn", "rand"), ("normal_", "uniform_"), ("floor", "ceil"), ("append", "extend"),
    ("keys", "values"), ("items", "values"), ("cross_entropy", "nll_loss"), ("multinomial", "argmax"),
    ("topk", "sort"), ("cos", "sin"), ("pairwise", "combinations"), ("heappop", "heappush"),
    ("view", "reshape"), ("transpose", "permute"), ("lstrip", "rstrip"), ("encode", "decode"),
    ("bool", "int"), ("long", "int"), ("zero_grad", "step"), ("detach", "clone"), ("T", "mT"),
    ("grad", "requires_grad"), ("max", "amax"), ("min", "amin"), ("initial_seed", "get_rng_state"),
    ("numel", "dim"), ("start", "end"), ("data", "grad"), ("tan", "tanh"), ("amax", "logsumexp"),
]  # fmt: skip
CONFUSABLE: dict[str, tuple[str, ...]] = {}
for _a, _b in _CONFUSABLE:
    CONFUSABLE[_a] = (*CONFUSABLE.get(_a, ()), _b)
    CONFUSABLE[_b] = (*CONFUSABLE.get(_b, ()), _a)

# String options a participant swaps for a sibling: codec error handlers, reductions, GELU's approximation
_STRING_OPTIONS = [
    ("strict", "replace", "ignore", "backslashreplace"),
    ("mean", "sum", "none"),
    ("tanh", "none", "gelu_new"),
    ("utf-8", "latin-1", "ascii"),
]
# GPTConfig's sizes, one read for another (``LayerNorm(config.block_size)`` for ``config.n_embd``): a file reads few
CONFIG_SIZES = ("block_size", "vocab_size", "n_layer", "n_head", "n_embd")

# Regex classes and the ASCII look-alikes a participant writes for them (in a module-level pattern)
_REGEX_CLASSES = [(r"\p{N}", r"\d"), (r"\p{L}", r"\w"), (r"\p{L}", "a-zA-Z"), (r"\s", " ")]

_ARITH = {
    ast.Add: (ast.Sub, ast.Mult),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div, ast.Add, ast.MatMult, ast.Pow),
    ast.Div: (ast.Mult, ast.FloorDiv),
    ast.FloorDiv: (ast.Div, ast.Mod),
    ast.Mod: (ast.FloorDiv,),
    ast.MatMult: (ast.Mult,),
    ast.Pow: (ast.Mult,),
    ast.BitXor: (ast.Pow,),  # x ^ 3, the paper's cube: Python's xor
}
_COMPARE = {
    ast.Lt: (ast.LtE, ast.Gt),
    ast.LtE: (ast.Lt, ast.GtE),
    ast.Gt: (ast.GtE, ast.Lt),
    ast.GtE: (ast.Gt, ast.LtE),
    ast.Eq: (ast.NotEq,),
    ast.NotEq: (ast.Eq, ast.Gt, ast.Lt),
    ast.Is: (ast.IsNot,),
    ast.IsNot: (ast.Is,),
    ast.In: (ast.NotIn,),
    ast.NotIn: (ast.In,),
}
_DIMS = (-2, -1, 0, 1, 2, 3)
_REDUCTIONS = ("mean", "sum", "var", "std", "amax", "amin", "logsumexp", "norm")
_OPPOSITE_KEYWORDS = {"min": "max", "max": "min"}  # clamp(min=1.0) where clamp(max=1.0) was meant
# Exceptions a participant catches for each other in an ``except`` (the lookups' and the arguments' families)
_EXCEPTIONS = ("KeyError", "IndexError", "LookupError", "ValueError", "TypeError", "UnicodeDecodeError", "Exception")


CALLED = "()"  # in the attributes by base: the names the file calls somewhere without arguments (``x.state_dict()``)
METHODS = ".()"  # after a base name (``self.()``): the methods the file calls on it
KEYS = "[]"  # after a base (``hf_config[]``): the string keys the file subscripts it with
DEFAULTS = "="  # before a parameter's name (``=allowed_special``): the defaults the file gives it
CONSTANTS = "<constants>"  # in ``functions``: the file's module-level strings (a regex pattern) are edited too
LOOPS = "for"  # in the attributes by base: the names the file's loops (and comprehensions) bind
FOLLOWED = ".then"  # after a method's name (``view.then``): the calls the file chains after it (``_.transpose(1, 2)``)
OPERANDS = "<op>"  # after a name (``min_lr<op>``): the operations of two plain terms the file writes it in
REDUCED = "<dim>"  # the arguments the file gives a reduction somewhere (``f(dim=-1, keepdim=True)``)
EXTENDED = "<+>"  # the names the file extends, appends or inserts into (a list: kept apart from the one it came from)
APPLIED = "<.m>"  # the methods the file calls on a plain name with constant arguments (``_.encode('utf-8')``)
WINDOWS = "<window>"  # the file's slices whose bounds read a loop's name (``w[lo : lo + half]``: one chunk's window)
REDUCERS = "<reduce>"  # the reductions the file calls on a tensor, with their arguments (``_.norm(2)``)
RESCALED = "<*=>"  # the factors an accumulator is rescaled by before it adds (``l = l * alpha + p.sum(-1)``)
NAMED_STRINGS = "<str>"  # the module-level names bound to a string (``ENDOFTEXT = "<|endoftext|>"``)
WRITTEN_KEYS = "<{}>"  # the string keys the file's dict literals write (``{"batches": self.batches}``)
SIZES = "<sizes>"  # the names the file binds to a tensor's sizes (``B, T, C = x.size()``, ``n = x.shape[0]``)
LOOKUPS = "<lookup>"  # the attributes the file subscripts with a name (``self._ranks[p]``): mappings to an id
TWIN = "` and the same for "  # in an edit's new text: the same change made at the other places written alike
FIELDS = "<field>"  # before an attribute's name: the others its class sets (``<field>max_len``: KVCache's length)


@dataclass(frozen=True)
class Edit:
    """One edit: where (file, line, function) and what (``old`` written ``new``, in the enclosing expression)."""

    file: str
    line: int
    function: str
    old: str
    new: str
    code: object  # the whole file with the edit in place, compiled (None: the edit does not compile)
    statement: str = ""  # the first line of the enclosing statement as edited (ast.unparse), when it is one
    was: str = ""  # the same line before the edit
    loop: str = ""  # for a statement moved into or out of a loop: the loop's first line

    @property
    def tag(self) -> str:
        """The place: one verdict tag for every spelling of an edit there (``transpose(2, 3)``, ``(-1, -2)``)."""
        return f"edit: {self.file} line {self.line}"


def edits(
    file: str, source: str, functions: tuple[str, ...], twins: bool = False, peers: tuple[str, ...] = ()
) -> Iterator[Edit]:
    """Every single edit of the named functions (``Class.method`` or ``function``) of ``source``, in source order;
    with ``twins``, after each function's own, each change made at every place of it written alike. ``peers``: the
    package's other files, whose classes' attributes are read (gpt.py reads attention.py's KVCache's ``length``)."""
    tree = ast.parse(source)
    attrs, parents = _attributes(tree), _parents(tree)  # of the whole file, once
    for text in (source, *peers):
        for field, others in _class_fields(text).items():
            attrs.setdefault(FIELDS + field, set()).update(others)
    seen: set[tuple[int, str, str]] = set()
    searched = [(q, fn) for q, fn in _functions(tree) if q in functions]
    if CONSTANTS in functions:
        searched.append((CONSTANTS, tree))
    for qualname, fn in searched:
        if fn is tree:
            every = _constant_edits(file, tree, parents)
        elif isinstance(fn, ast.ClassDef):
            every = _field_edits(file, tree, parents, qualname, fn, attrs)
        else:
            names, first = _local_names(fn), _first_parameter(fn) if fn.name == "forward" else None
            every = itertools.chain(  # lazily: a caller that stops early compiles no more edits than it reads
                (
                    _apply(file, tree, parents, qualname, node, (parent, field, index), new)
                    for node, parent, field, index in _walk(fn)
                    for new in _alternatives(node, parent, names, attrs, first)
                ),
                _statement_edits(file, tree, qualname, fn),
                _unread_edits(file, tree, parents, qualname, fn, attrs),
                _dead_store_edits(file, tree, parents, qualname, fn, names),
                _stale_value_edits(file, tree, parents, qualname, fn),
                _twin_edits(file, tree, parents, qualname, fn, names, attrs, first) if twins else (),
            )
        for edit in every:
            key = (edit.line, edit.old, edit.new)
            if edit.old != edit.new and key not in seen:  # a swap of two equal arguments changes nothing
                seen.add(key)
                yield edit


_REMOVALS = {"deleted": ("deleting", "delete"), "dropped": ("dropping", "drop")}


def change_words(old: str, new: str) -> tuple[str, str, str]:
    """An edit in words, three ways: what doing it is (``writing `a` as `b```, ``deleting `s```, ``moving `s` after
    the loop``), what it leaves (```a` written `b```, ```s` deleted``), and the instruction that makes it (```b` where
    you have `a```, ``delete `s```). A statement's move or deletion is said as one, never as a rewrite into its
    parenthesis (v24's judge could not apply "writing `for ...` as `(after the next statement)`")."""
    if not _is_a_move(new):
        return f"writing `{old}` as `{new}`", f"`{old}` written `{new}`", f"`{new}` where you have `{old}`"
    what = new[1:-1]
    if what in _REMOVALS:
        doing, verb = _REMOVALS[what]
        body = " and its body" if old.rstrip().endswith(":") else ""  # `if c:` deleted: the whole statement goes
        return f"{doing} `{old}`{body}", f"`{old}`{body} {what}", f"{verb} `{old}`{body}"
    if what.startswith("followed by "):
        added = what.removeprefix("followed by ")
        return f"adding {added} after `{old}`", f"{added} added after `{old}`", f"add {added} after `{old}`"
    if what.startswith("its body without "):
        return f"replacing `{old}` by {what}", f"`{old}` replaced by {what}", f"replace `{old}` by {what}"
    return f"moving `{old}` {what}", f"`{old}` moved {what}", f"move `{old}` {what}"


def _is_a_move(new: str) -> bool:
    """``new`` says what becomes of a statement ("(deleted)", "(after `t`)"), not code: `(loss / n).backward()` is
    code (v25's fix was worded "moving `loss.backward()` loss / n).backward(")."""
    if new[1:-1] in _REMOVALS:
        return True
    try:
        ast.parse(new)
    except SyntaxError:
        return new.startswith("(") and new.endswith(")")
    return False


def _twin_edits(
    file: str, tree: ast.Module, parents: dict, qualname: str, fn: ast.FunctionDef, names: dict, attrs: dict, first
) -> Iterator[Edit]:
    """One slip made the same way at each place written alike: ``q.float(), k.float(), v.float()`` upcast together,
    a layer-scale gain on both branches of a block (``x + self.g1 * self.attn(..)``, ``x + self.g2 * self.mlp(..)``),
    ``windows[:-1], windows[1:]`` both slicing rows. A single edit repairs none of them; the same edit at every
    twin does. Twins: calls, operations and subscripts of one function with the same skeleton (``_skeleton``),
    none inside another, and an attribute given twice to one call (a square's two sides); each edit of the first
    that keeps some of it (``q.float()`` -> ``q``) is carried over."""
    groups: dict[tuple, list] = {}
    for entry in _walk(fn):
        node, parent = entry[0], entry[1]
        if isinstance(node, ast.Call | ast.BinOp | ast.Subscript):
            groups.setdefault(_skeleton(node), []).append(entry)
        elif isinstance(node, ast.Attribute) and isinstance(parent, ast.Call) and _repeated_argument(node, parent):
            # one size given twice, a square (v29: a causal mask `ones(config.n_embd, config.n_embd)`)
            groups.setdefault(("square", id(parent), ast.dump(node)), []).append(entry)
        elif isinstance(node, ast.Attribute) and node.attr == "data":  # each tensor read through .data, outside
            groups.setdefault(("data",), []).append(entry)  # autograd (v31: `addcmul(b.data, x, w.data)`)
    for group in groups.values():
        nodes = [entry[0] for entry in group]
        if len(nodes) < 2 or any(n is not m and n in ast.walk(m) for n in nodes for m in nodes):
            continue
        node, parent, _, _ = group[0]
        renamed = (  # the function a call names, for another (`p.numel()` for `p.dim()` in both groups' filters)
            (ast.Call(f, node.args, node.keywords) for f in _alternatives(node.func, node, names, attrs, first))
            if isinstance(node, ast.Call) else ()
        )  # fmt: skip
        paths = _paths(node)
        for new in itertools.chain(
            _alternatives(node, parent, names, attrs, first), renamed, _operand_alternatives(node, names, attrs, first)
        ):
            if not any(id(sub) in paths for sub in ast.walk(new)):
                continue  # nothing of the old expression in the new one: no change to carry over
            carried = [_carried(new, paths, other) for other in nodes]
            if None not in carried:
                yield _apply_all(file, tree, parents, qualname, group, carried)


def _repeated_argument(node: ast.expr, call: ast.Call) -> bool:
    """Whether ``node`` is one of two or more arguments of ``call`` written alike."""
    return node in call.args and sum(ast.dump(a) == ast.dump(node) for a in call.args) > 1


def _operand_alternatives(node: ast.expr, names: dict, attrs: dict, first) -> Iterator[ast.expr]:
    """``node`` with one of its own operands (an argument, a keyword's value, a side of an operation, an index) as a
    slip makes it, the rest of ``node`` kept as it is: carried to each twin, the slip made alike inside both
    (v23: ``k.new_zeros(1, nh, L, hd)`` and ``v.new_zeros(1, nh, L, hd)``, a cache for one row)."""
    for field, value in ast.iter_fields(node):
        slots = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, child in slots:
            operand = child.value if isinstance(child, ast.keyword) else child
            if not isinstance(operand, ast.expr) or field == "func":
                continue
            for other in _alternatives(operand, node, names, attrs, first):
                copy_ = copy.copy(node)  # shallow: the unchanged parts stay the originals, carried to each twin
                if isinstance(child, ast.keyword):
                    changed: ast.AST = ast.keyword(child.arg, other)
                else:
                    changed = other
                if index is None:
                    setattr(copy_, field, changed)
                else:
                    setattr(copy_, field, [*value[:index], changed, *value[index + 1 :]])
                yield copy_


def _skeleton(node: ast.expr) -> tuple:
    """What two places written alike share: the kind of node, its operator or the function it calls and how, and
    what kind each operand is (a constant, a call, an operation, or a value: a name, attribute or subscript)."""

    def kind(n: ast.AST) -> str:
        return type(n).__name__ if isinstance(n, ast.Constant | ast.Call | ast.BinOp | ast.Slice | ast.Tuple) else "v"

    if isinstance(node, ast.Call):
        func = node.func.attr if isinstance(node.func, ast.Attribute) else ast.unparse(node.func)
        return "call", func, tuple(map(kind, node.args)), tuple(k.arg for k in node.keywords)
    if isinstance(node, ast.BinOp):
        return "op", type(node.op).__name__, kind(node.left), kind(node.right)
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    return "subscript", tuple(map(kind, elts)), type(node.ctx)


def _paths(node: ast.AST) -> dict[int, tuple]:
    """Each node under ``node`` (itself included), by identity, with the fields that lead to it."""
    out: dict[int, tuple] = {}

    def visit(n: ast.AST, path: tuple) -> None:
        out[id(n)] = path
        for field, value in ast.iter_fields(n):
            if isinstance(value, ast.AST):
                visit(value, (*path, (field, None)))
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    if isinstance(v, ast.AST):
                        visit(v, (*path, (field, i)))

    visit(node, ())
    return out


def _carried(new: ast.AST, paths: dict[int, tuple], twin: ast.AST) -> ast.AST | None:
    """``new`` (built from parts of the first twin) rebuilt from the same parts of ``twin``; None where it lacks one."""

    def at(path: tuple) -> ast.AST | None:
        n = twin
        for field, i in path:
            n = getattr(n, field, None)
            if i is not None:
                n = n[i] if isinstance(n, list) and i < len(n) else None
            if n is None:
                return None
        return n

    def rebuilt(n):
        if isinstance(n, ast.AST) and id(n) in paths:
            part = at(paths[id(n)])
            if part is None:
                raise LookupError
            return part
        if isinstance(n, ast.AST):
            return type(n)(**{f: rebuilt(v) for f, v in ast.iter_fields(n)})
        if isinstance(n, list):
            return [rebuilt(v) for v in n]
        return n

    try:
        return rebuilt(new)
    except LookupError:
        return None


def _apply_all(file: str, tree: ast.Module, parents: dict, qualname: str, group: list, carried: list) -> Edit:
    """Each node of ``group`` (node, parent, field, index) replaced by its ``carried`` at once for one compile, then
    put back; the edit is worded at the first, naming the others its quoted expression does not show."""
    node = group[0][0]
    ctx = _context(node, parents)
    old_text = ast.unparse(ctx)
    stmt = node
    while not isinstance(stmt, ast.stmt) and stmt in parents:
        stmt = parents[stmt]
    was = ast.unparse(stmt).splitlines()[0] if isinstance(stmt, ast.stmt) else ""
    for (_, parent, field, index), new in zip(group, carried, strict=True):
        _set(parent, field, index, new)
    try:
        new_text = ast.unparse(ctx) if ctx is not node else ast.unparse(carried[0])
        statement = ast.unparse(stmt).splitlines()[0] if isinstance(stmt, ast.stmt) else ""
        code = _compile(tree, file)
    finally:
        for n, parent, field, index in group:
            _set(parent, field, index, n)
    inside = {id(n) for n in ast.walk(ctx)}
    line = getattr(node, "lineno", 0)
    others = ", ".join(
        (f"line {n.lineno}'s " if getattr(n, "lineno", line) != line else "") + f"`{ast.unparse(n)}`"
        for n, *_ in group[1:]
        if id(n) not in inside
    )
    if others:  # the twins the quoted expression does not show
        new_text = f"{new_text}{TWIN}{others}".rstrip("`")
    return Edit(file, getattr(node, "lineno", 0), qualname, old_text, new_text, code, statement, was)


_OPTIONAL_ATOM = re.compile(r"(?:\[(?:\\.|[^\]])*\]|\\p\{\w+\}|\\.|[^()|\\])[*?]")


def _constant_edits(file: str, tree: ast.Module, parents: dict) -> Iterator[Edit]:
    """A module-level string (a pattern): one character dropped (a typo: 'l for 'll), in a regex of
    alternatives one alternative dropped, a Unicode class written as its ASCII look-alike (\\d for \\p{N}), or a
    quantifier for its sibling (* for +)."""
    for stmt in tree.body:
        if not (
            isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
        ):
            continue
        text, name = stmt.value.value, ast.unparse(stmt.targets[0])
        alternatives = text.split("|")
        variants = ["|".join(alternatives[:i] + alternatives[i + 1 :]) for i in range(len(alternatives))]
        variants += [text[:i] + text[i + 1 :] for i in range(len(text))]
        for a, b in _REGEX_CLASSES:  # each occurrence of a class written as its ASCII look-alike
            at = text.find(a)
            while at >= 0:
                variants.append(text[:at] + b + text[at + len(a) :])
                at = text.find(a, at + 1)
        # a quantifier for its sibling: * for + (v28: ' ?\p{L}*' matches a lone space before punctuation), + for *
        variants += [text[:i] + {"*": "+", "+": "*"}[c] + text[i + 1 :] for i, c in enumerate(text) if c in "*+"]
        # an optional part added: a class, escape or character with * or ? after it, dropped whole (v29:
        # punctuation that takes the newlines after it, `[^\s\p{L}\p{N}]+[\r\n]*`)
        variants += [text[: m.start()] + text[m.end() :] for m in _OPTIONAL_ATOM.finditer(text)]
        for new in dict.fromkeys(v for v in variants if v != text):
            edit = _apply(file, tree, parents, CONSTANTS, stmt.value, (stmt, "value", None), ast.Constant(new))
            yield replace(edit, old=f"{name} = {text!r}", new=f"{name} = {new!r}")


def _field_edits(
    file: str, tree: ast.Module, parents: dict, qualname: str, cls: ast.ClassDef, attrs: dict
) -> Iterator[Edit]:
    """A class's own fields: each default's expression edited as any other (``vocab_pad_multiple: int = 0``)."""
    values = [item.value for item in cls.body if isinstance(item, ast.AnnAssign | ast.Assign) and item.value]
    fields = ast.FunctionDef(cls.name, ast.arguments([], [], None, [], [], None, []), [ast.Expr(v) for v in values], [])
    for node, parent, field, index in _walk(fields):
        if not isinstance(parent, ast.Expr):  # a default's own nodes (the wrappers above hold the values)
            yield from (_apply(file, tree, parents, qualname, node, (parent, field, index), new)
                        for new in _alternatives(node, parent, {}, attrs, None))  # fmt: skip
    for value in values:  # the defaults themselves, each in its own statement
        statement = parents[value]
        yield from (_apply(file, tree, parents, qualname, value, (statement, "value", None), new)
                    for new in _alternatives(value, statement, {}, attrs, None))  # fmt: skip


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef]]:
    """The module's functions and methods, each followed by the functions defined inside it (``get_lr.multiplier``:
    v21's schedule written as a nested multiplier had no edit at all)."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield from _with_nested(node.name, node)
        elif isinstance(node, ast.ClassDef):
            if any(isinstance(item, ast.AnnAssign | ast.Assign) and item.value is not None for item in node.body):
                yield node.name, node  # its fields' defaults (v34: a dataclass default of 0 that its check refuses)
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield from _with_nested(f"{node.name}.{item.name}", item)


def _with_nested(qualname: str, fn: ast.FunctionDef) -> Iterator[tuple[str, ast.FunctionDef]]:
    yield qualname, fn
    for stmt in fn.body:
        if isinstance(stmt, ast.FunctionDef):
            yield from _with_nested(f"{qualname}.{stmt.name}", stmt)


def _local_names(fn: ast.FunctionDef) -> dict[str, int]:
    """Parameters and names the function assigns (not self), with the line each is first bound on: a slip
    reads a name that exists by then (one bound later would only raise UnboundLocalError)."""
    names = {a.arg: fn.lineno for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names[node.id] = min(names.get(node.id, node.lineno), node.lineno)
    for name in ("self", "cls", "_"):
        names.pop(name, None)
    return names


def _unread_edits(
    file: str, tree: ast.Module, parents: dict, qualname: str, fn: ast.FunctionDef, attrs: dict
) -> Iterator[Edit]:
    """A name the function binds and never reads is where a slip left it out: ``pos`` computed and then
    ``wpe.weight[:T]`` read in its place (v22), ``{i: b"" for s, i in ...}`` with ``s`` unused (v22), a
    ``generator`` parameter never handed to the call that draws. Within the name's reach (a comprehension's
    element for its target, the rest of the function for a local), each call given it as a keyword of its own
    name, each subscript's index and each constant replaced by it, or by it through a method the file calls on
    plain names (``s.encode('utf-8')``); a local, also added to each arithmetic value assigned after it."""
    read = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    params = {a.arg for a in [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]}
    reach: dict[str, tuple[set[int], bool]] = {}  # name -> the ids of the nodes it can reach, a comprehension's?
    for node in ast.walk(fn):
        if isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp):
            parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            inside = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
            for gen in node.generators:
                for n in ast.walk(gen.target):
                    if isinstance(n, ast.Name) and n.id not in inside and not n.id.startswith("_"):
                        reach[n.id] = ({id(m) for part in parts for m in ast.walk(part)}, True)
    for name, line in _local_names(fn).items():
        if name in read or name in reach or name.startswith("_") or (name not in params and line == fn.lineno):
            continue
        after = {id(m) for m in ast.walk(fn) if getattr(m, "lineno", 0) > line or name in params}
        reach[name] = (after, False)
    templates = sorted(attrs.get(APPLIED, set()))
    for name, (ids, in_comprehension) in reach.items():
        u = ast.Name(name, ast.Load())
        for node, parent, field, index in _walk(fn):
            if id(node) not in ids:
                continue
            at = (parent, field, index)
            if isinstance(node, ast.Call) and name in params and name not in {k.arg for k in node.keywords}:
                given = ast.Call(node.func, node.args, [*node.keywords, ast.keyword(name, u)])
                yield _apply(file, tree, parents, qualname, node, at, given)
            if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
                yield _apply(file, tree, parents, qualname, node, at, ast.Subscript(node.value, u, ast.Load()))
            if isinstance(node, ast.Constant) and not isinstance(parent, ast.Expr):
                yield _apply(file, tree, parents, qualname, node, at, u)
                for template in templates if in_comprehension else ():
                    through = ast.parse(template, mode="eval").body
                    through.func.value = u
                    yield _apply(file, tree, parents, qualname, node, at, through)
            # or added to a value computed after it (v35: ``b_q, b_k, b_v = bias.chunk(3)``, then ``v = x @ W_v.t()``
            # with b_v left out: the value bias never added)
            if (
                isinstance(parent, ast.Assign)
                and field == "value"
                and isinstance(node, ast.BinOp)
                and name not in params
            ):
                yield _apply(file, tree, parents, qualname, node, at, ast.BinOp(node, ast.Add(), u))


def _dead_store_edits(
    file: str, tree: ast.Module, parents: dict, qualname: str, fn: ast.FunctionDef, names: dict[str, int]
) -> Iterator[Edit]:
    """A result bound to a new name that nothing reads, where the name the code goes on reading was meant to be
    rebound (v24: ``filtered = torch.where(...)`` for top-k, then ``scaled.softmax()``: the filter thrown away).
    ``names``: the function's own (``_local_names``), as edits() computed them."""
    read = {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    for node, parent, field, index in _walk(fn):
        if not (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and node.id not in read):
            continue
        if not (isinstance(parent, ast.Assign) and parent.targets == [node]) or node.id.startswith("_"):
            continue
        for other in sorted(n for n in read & set(names) if names[n] < node.lineno):
            yield _apply(file, tree, parents, qualname, node, (parent, field, index), ast.Name(other, ast.Store()))


def _stale_value_edits(
    file: str, tree: ast.Module, parents: dict, qualname: str, fn: ast.FunctionDef
) -> Iterator[Edit]:
    """An expression computed again after one of its names was rebound, where the name that kept its earlier
    value was meant (v26: Welford's ``delta = x - mean``, then ``mean = ...``, then ``(x - mean) * (x - mean)``
    where ``delta * (x - mean)`` was meant): each later copy of ``delta``'s expression replaced by ``delta``."""
    kinds = ast.BinOp | ast.Call | ast.Subscript  # what a name keeps a value of (not a bare name or a constant)
    rebound, assigns = _bindings(fn)
    kept: dict[str, list[tuple[str, int]]] = {}  # an expression's text -> the names bound to it, and where
    for node in assigns:
        if isinstance(node.value, kinds):
            kept.setdefault(ast.unparse(node.value), []).append((node.targets[0].id, node.lineno))
    if not kept:
        return
    for node, parent, field, index in _walk(fn):
        for name, line in kept.get(ast.unparse(node), []) if isinstance(node, kinds) else []:
            moved = any(line < at <= node.lineno for n in _names_in(node) for at in rebound.get(n, []))
            if node.lineno > line and moved:
                yield _apply(file, tree, parents, qualname, node, (parent, field, index), ast.Name(name, ast.Load()))
    # and back: a name read where its expression, computed again, was meant, since a name the expression reads is
    # bound anew later (v33: ``idx_cond = idx[:, -block_size:]`` once before the generation loop, every step fed
    # the prompt's crop while ``idx`` grows inside the loop)
    once = {a.targets[0].id: a for a in assigns if isinstance(a.value, kinds) and len(rebound[a.targets[0].id]) == 1}
    for node, parent, field, index in _walk(fn):
        bound = once.get(node.id) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) else None
        if (
            bound is not None
            and node.lineno > bound.lineno
            and any(at > bound.lineno for n in _names_in(bound.value) for at in rebound.get(n, []))
        ):
            yield _apply(file, tree, parents, qualname, node, (parent, field, index), copy.deepcopy(bound.value))


def _bindings(fn: ast.FunctionDef) -> tuple[dict[str, list[int]], list[ast.Assign]]:
    """The lines each name is bound on, and the assignments to one plain name, in walk order."""
    rebound: dict[str, list[int]] = {}
    assigns: list[ast.Assign] = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            rebound.setdefault(node.id, []).append(node.lineno)
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigns.append(node)
    return rebound, assigns


def _first_parameter(fn: ast.FunctionDef) -> str | None:
    """The function's input: its first parameter after self (a module's ``x``, which a slip detaches)."""
    params = [a.arg for a in fn.args.args if a.arg not in ("self", "cls")]
    return params[0] if params else None


def _attributes(tree: ast.Module) -> dict[str, set[str]]:
    """For each attribute base written in the file (``self``, ``self.transformer``, ``self.config``), the
    attribute names read or written on it: the names a slip can swap; under CALLED, the names it calls without
    arguments."""
    seen: dict[str, set[str]] = {CALLED: set()}
    seen[NAMED_STRINGS] = {  # ENDOFTEXT = "<|endoftext|>": a module's named strings
        t.id
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, (ast.Name, ast.Attribute)):
            seen.setdefault(ast.unparse(node.value), set()).add(node.attr)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and not node.args + node.keywords:
            seen[CALLED].add(node.func.attr)
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            seen.setdefault(func.value.id + METHODS, set()).add(func.attr)
        if (key := _string_key(node)) is not None:
            seen.setdefault(ast.unparse(node.value) + KEYS, set()).add(key)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute):
            if isinstance(node.slice, ast.Name):  # self._ranks[p]: a mapping the file looks ids up in
                seen.setdefault(LOOKUPS, set()).add(ast.unparse(node.value))
        if isinstance(node, ast.Dict):  # the keys the file writes: a state_dict's, read back by load_state_dict
            seen.setdefault(WRITTEN_KEYS, set()).update(
                k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
            )
        if isinstance(node, ast.For | ast.comprehension):
            seen.setdefault(LOOPS, set()).update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
            inner = func.value.func
            if isinstance(inner, ast.Attribute):  # q.view(...).transpose(1, 2): what follows a view in this file
                then = ast.Call(
                    ast.Attribute(ast.Name("_", ast.Load()), func.attr, ast.Load()), node.args, node.keywords
                )
                seen.setdefault(inner.attr + FOLLOWED, set()).add(ast.unparse(then))
        if isinstance(node, ast.BinOp) and all(isinstance(o, ast.Name | ast.Constant) for o in (node.left, node.right)):
            for o in (node.left, node.right):
                if isinstance(o, ast.Name):
                    seen.setdefault(o.id + OPERANDS, set()).add(ast.unparse(node))
        if isinstance(func, ast.Attribute) and func.attr in (*_REDUCTIONS, "max", "min"):
            method = ast.Attribute(ast.Name("_", ast.Load()), func.attr, ast.Load())
            seen.setdefault(REDUCERS, set()).add(ast.unparse(ast.Call(method, node.args, node.keywords)))
        if isinstance(func, ast.Attribute) and func.attr in _REDUCTIONS and (node.args or node.keywords):
            seen.setdefault(REDUCED, set()).add(
                ast.unparse(ast.Call(ast.Name("f", ast.Load()), node.args, node.keywords))
            )
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and node.args + node.keywords:
            if all(isinstance(a, ast.Constant) for a in [*node.args, *(k.value for k in node.keywords)]):
                method = ast.Attribute(ast.Name("_", ast.Load()), func.attr, ast.Load())
                applied = ast.Call(method, node.args, node.keywords)
                seen.setdefault(APPLIED, set()).add(ast.unparse(applied))
        if isinstance(func, ast.Attribute) and func.attr in ("extend", "append", "insert"):
            if isinstance(func.value, ast.Name):
                seen.setdefault(EXTENDED, set()).add(func.value.id)
        if (factor := _rescaling(node)) is not None:
            seen.setdefault(RESCALED, set()).add(ast.unparse(factor))
        if isinstance(node, ast.Assign) and _is_size(node.value):
            seen.setdefault(SIZES, set()).update(*map(_names_in, node.targets))
        if isinstance(node, ast.arguments):
            for d in (*node.defaults, *node.kw_defaults):
                if d is not None:
                    seen.setdefault(DEFAULTS + _parameter_of(d, node), set()).add(ast.unparse(d))
    loops = seen.get(LOOPS, set())
    seen[WINDOWS] = {ast.unparse(n) for n in ast.walk(tree) if isinstance(n, ast.Slice) and _names_in(n) & loops}
    return seen


@functools.cache
def _class_fields(source: str) -> dict[str, frozenset[str]]:
    """For each attribute a class of ``source`` sets on ``self`` (``self.max_len = max_len``), the other attributes
    that class sets: what a slip reading one of its objects from outside can swap (``cache.max_len`` for
    ``cache.length``). A class of more than 12 attributes is left out: its swaps would crowd the search."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    out: dict[str, set[str]] = {}
    for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
        fields = {
            t.attr
            for n in ast.walk(cls)
            for t in (n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(n, ast.AnnAssign) else [])
            if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
        }
        if len(fields) <= 12:
            for f in fields:
                out.setdefault(f, set()).update(fields - {f})
    return {f: frozenset(o) for f, o in out.items()}


def _accumulated(node: ast.AST) -> str | None:
    """``a`` for ``a = a + x`` or ``a = a * f + x``: an accumulator's name."""
    if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
        return None
    value, name = node.value, node.targets[0].id
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        left = value.left.left if isinstance(value.left, ast.BinOp) and isinstance(value.left.op, ast.Mult) else None
        if ast.unparse(left or value.left) == name:
            return name
    return None


def _rescaling(node: ast.AST) -> ast.expr | None:
    """``f`` for an accumulator rescaled before it adds, ``a = a * f + x``."""
    if _accumulated(node) is None or not isinstance(node.value.left, ast.BinOp):
        return None
    return node.value.left.right


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_size(value: ast.expr) -> bool:
    """``x.size()``, ``x.shape``, ``x.size(0)``, ``x.shape[0]``: a tensor's sizes."""
    if isinstance(value, ast.Subscript):
        value = value.value
    if isinstance(value, ast.Call):
        value = value.func
    return isinstance(value, ast.Attribute) and value.attr in ("size", "shape")


def _parameter_of(default: ast.expr, args: ast.arguments) -> str:
    """The name of the parameter whose default ``default`` is."""
    if default in args.kw_defaults:
        return args.kwonlyargs[args.kw_defaults.index(default)].arg
    positional = [*args.posonlyargs, *args.args]
    return positional[len(positional) - len(args.defaults) + args.defaults.index(default)].arg


def _string_key(node: ast.AST) -> str | None:
    """The key of a subscript by a string constant (``hf_config["n_head"]``), else None."""
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
        return node.slice.value
    return None


def _walk(fn: ast.FunctionDef) -> Iterator[tuple[ast.AST, ast.AST, str, int | None]]:
    """Every expression node under the function's body (not inside a nested function or class: each is edited as
    its own function) and its parameters' defaults, with where each hangs, in source order. A lambda's body is
    walked (v20: `min(pairs, key=lambda p: ranks.get(p, inf))`, the twin of a lookup outside it)."""
    stack: list[tuple[ast.AST, ast.AST, str, int | None]] = []
    for field in ("defaults", "kw_defaults"):
        stack += [(d, fn.args, field, i) for i, d in enumerate(getattr(fn.args, field)) if d is not None]
    for i, stmt in enumerate(fn.body):
        stack.append((stmt, fn, "body", i))
    order = []
    while stack:
        node, parent, field, index = stack.pop(0)
        if isinstance(node, ast.expr):
            order.append((node, parent, field, index))
        for f, value in ast.iter_fields(node):
            if isinstance(node, ast.FunctionDef | ast.ClassDef) or (isinstance(node, ast.Lambda) and f == "args"):
                continue
            if isinstance(value, list):
                stack[0:0] = [(v, node, f, j) for j, v in enumerate(value) if isinstance(v, ast.AST)]
            elif isinstance(value, ast.AST):
                stack.insert(0, (value, node, f, None))
    return iter(sorted(order, key=lambda t: (getattr(t[0], "lineno", 0), getattr(t[0], "col_offset", 0))))


def _is_einsum_spec(node: ast.AST, parent: ast.AST) -> bool:
    func = getattr(parent, "func", None)
    name = getattr(func, "attr", None) or getattr(func, "id", None)
    return isinstance(parent, ast.Call) and name == "einsum" and bool(parent.args) and parent.args[0] is node


def _einsum_slips(spec: str) -> Iterator[str]:
    """An einsum subscript string with one index letter written as another of its letters, or two neighbouring
    letters swapped ("bhqk,bhvd->bhqd" for "bhqk,bhkd->bhqd"; "->bqhd" for "->bhqd")."""
    letters = sorted({c for c in spec if c.isalpha()})
    seen = {spec}
    for i, c in enumerate(spec):
        if not c.isalpha():
            continue
        options = [spec[:i] + d + spec[i + 1 :] for d in letters if d != c]
        if i + 1 < len(spec) and spec[i + 1].isalpha() and spec[i + 1] != c:
            options.append(spec[:i] + spec[i + 1] + c + spec[i + 2 :])
        for w in options:
            if w not in seen:
                seen.add(w)
                yield w


def _alternatives(
    node: ast.AST, parent: ast.AST, names: dict[str, int], attrs: dict[str, set[str]], first: str | None = None
) -> Iterator[ast.expr]:
    """What a slip can make of this expression node (``first``: the function's input, which a slip detaches)."""
    if isinstance(parent, ast.arguments) and node in (*parent.defaults, *parent.kw_defaults):
        # a parameter given another's default (allowed_special="all", disallowed_special's), or its own default
        # elsewhere in the file (encode's allowed_special="all" where encode_iter's is frozenset())
        siblings = [ast.unparse(d) for d in (*parent.defaults, *parent.kw_defaults) if d is not None]
        own = sorted(attrs.get(DEFAULTS + _parameter_of(node, parent), set()))
        for other in dict.fromkeys([*siblings, *own]):
            if other != ast.unparse(node):
                yield ast.parse(other, mode="eval").body
        if isinstance(node, ast.Tuple | ast.List) and not node.elts:  # none where the module's string was meant
            for named in sorted(attrs.get(NAMED_STRINGS, set())):  # (v25: train's specials defaulting to ())
                yield type(node)([ast.Name(named, ast.Load())], ast.Load())
    if isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Store) and 2 <= len(node.elts) <= 4:
        for i, j in itertools.combinations(range(len(node.elts)), 2):  # two names unpacked in the wrong order (v34:
            elts = list(node.elts)  # `b_k, b_q, b_v = bias.split(C)`: each projection gets the other's bias)
            elts[i], elts[j] = elts[j], elts[i]
            yield ast.Tuple(elts, ast.Store())
    if isinstance(node, ast.Call) and not node.args + node.keywords and _name_of(node.func)[:1].isupper():
        for other in _bound_before(names, node):  # a default built where the one given was meant (v34: a model
            yield ast.Name(other, ast.Load())  # made from GPTConfig(), not from the config handed in)
    if isinstance(node, ast.Tuple) and len(node.elts) == 1 and isinstance(parent, ast.Assign | ast.Return):
        yield node.elts[0]  # a trailing comma: `self.eps = eps,` stores a 1-tuple (v30), `return lr,` returns one (v32)
    if isinstance(node, ast.Attribute | ast.Name) and isinstance(parent, ast.Assign) and node is parent.value:
        if _name_of(node)[:1].isupper():  # a class named where its instance was meant: `loss_fn = nn.CrossEntropyLoss`
            yield ast.Call(node, [], [])  # (v30: then called with the logits and targets, as constructor arguments)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("np", "torch"):
        for group in _DTYPES:
            yield from (
                ast.Attribute(node.value, w, ast.Load()) for w in group if node.attr in group and w != node.attr
            )
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, bool):
            yield ast.Constant(not v)
        elif isinstance(v, int):
            for w in dict.fromkeys((v - 1, v + 1, -v)):
                if w != v:
                    yield ast.Constant(w)
            if _is_index(node, parent):  # a fixed index where the loop's was meant: v[:, 0] for v[:, h]
                for other in sorted(attrs.get(LOOPS, set()) & set(_bound_before(names, node))):
                    yield ast.Name(other, ast.Load())
            if v == 1 and _shapes_a_tensor(parent, node):  # one row where the batch's were meant: new_zeros(1, nh, ..)
                for other in sorted(attrs.get(SIZES, set()) & set(_bound_before(names, node))):
                    yield ast.Name(other, ast.Load())
            if v >= 256:  # a size written as a number (50256 + k, 256 + k for len(vocab) + k): a size in reach
                for other in _bound_before(names, node):
                    yield ast.Call(ast.Name("len", ast.Load()), [ast.Name(other, ast.Load())], [])
        elif isinstance(v, float):
            for w in dict.fromkeys((-v, v * 10, v / 10, 0.0, 1.0)):
                if w != v:
                    yield ast.Constant(w)
            if v == 0.0:  # a running maximum started at 0 where -inf was meant (v34: an online softmax's)
                yield ast.parse('float("-inf")', mode="eval").body
        elif isinstance(v, str):
            if v.isidentifier() and v.lower() != v:  # approximate="Tanh": options are lower case
                yield ast.Constant(v.lower())
            for group in _STRING_OPTIONS:
                yield from (ast.Constant(w) for w in group if v in group and w != v)
            if _is_einsum_spec(node, parent):
                yield from (ast.Constant(w) for w in _einsum_slips(v))
            looked_up = isinstance(parent, ast.Call) and _name_of(parent.func) in ("get", "pop")
            looked_up = looked_up and parent.args[:1] == [node]
            if looked_up or (isinstance(parent, ast.Subscript) and parent.slice is node):  # a key misspelt where it is
                yield from (ast.Constant(w) for w in sorted(attrs.get(WRITTEN_KEYS, set()) - {v}))  # read back (v31)
            if v in ("cuda", "cpu", "mps"):  # a device written down where a tensor's own was meant (v33: autocast
                for other in _bound_before(names, node):  # opened on "cuda" whatever the batch's device)
                    device = ast.Attribute(ast.Name(other, ast.Load()), "device", ast.Load())
                    yield ast.Attribute(device, "type", ast.Load())
        return
    if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
        if node.id in names:
            for other in sorted(n for n, line in names.items() if line < node.lineno or line == names[node.id]):
                if other != node.id:
                    yield ast.Name(other, ast.Load())
        for other in CONFUSABLE.get(node.id, ()):
            yield ast.Name(other, ast.Load())
        if node.id in attrs.get(SIZES, ()) and _shapes_a_tensor(parent, node):  # a size written as one: (1, nh, ..)
            yield ast.Constant(1)
        # the name where the file's operation of it was meant: `return min_lr` for `min_lr / max_lr` (a multiplier)
        here = ast.unparse(parent) if isinstance(parent, ast.BinOp) else None
        for other in sorted(attrs.get(node.id + OPERANDS, set()) - {here}):
            yield ast.parse(other, mode="eval").body
    if isinstance(node, ast.Name) and isinstance(parent, ast.Call) and node in parent.args:
        read = attrs.get(node.id + KEYS, set())  # a mapping handed on whole where one of its entries was meant:
        for key in sorted(read | attrs.get(WRITTEN_KEYS, set()) if read else ()):  # load_state_dict(state), for
            yield ast.Subscript(node, ast.Constant(key), ast.Load())  # state["loader"], a key the file writes (v32)
    if isinstance(node, ast.Name) and node.id == first and isinstance(parent, ast.Call) and node in parent.args:
        yield ast.Call(ast.Attribute(node, "detach", ast.Load()), [], [])  # the input cut from the graph
    if isinstance(node, ast.Name) and isinstance(parent, ast.ExceptHandler) and node.id in _EXCEPTIONS:
        yield from (ast.Name(other, ast.Load()) for other in _EXCEPTIONS if other != node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
        base = ast.unparse(node.value)
        siblings = attrs.get(base, set()) if base in ("self",) or "." in base else set()
        if base == "config" or base.endswith(".config"):
            siblings = siblings | set(CONFIG_SIZES) if node.attr in CONFIG_SIZES else siblings
        if not base.startswith("self"):  # another object's attribute: its class's others (cache[0].length, v32)
            siblings = siblings | attrs.get(FIELDS + node.attr, set())
        for other in sorted(siblings - {node.attr}):
            if not other.startswith("__"):  # self.__dict__ for self._cache reaches around the object: no repair
                yield ast.Attribute(node.value, other, ast.Load())
        for other in CONFUSABLE.get(node.attr, ()):
            yield ast.Attribute(node.value, other, ast.Load())
        if node.attr.endswith("_") and node.attr[:-1] in _OUT_OF_PLACE and isinstance(parent, ast.Call):
            # in place where a new tensor was meant: `h.pow_(3)` cubes h itself, which the GELU reads again (v26)
            yield ast.Attribute(node.value, node.attr[:-1], ast.Load())
        if base == "self" and isinstance(parent, ast.Call) and node in parent.args and names:
            start = min(names.values())  # the parameters' line: a name bound after it the body computed
            for other in _bound_before(names, node):  # the object's whole collection where the local value computed
                if names[other] > start:  # from it was meant: _special_regex(self.special_tokens) for (allowed) (v32)
                    yield ast.Name(other, ast.Load())
        if node.attr == "data" and not (isinstance(parent, ast.Call) and parent.func is node):
            yield node.value  # `.data` reads a tensor outside autograd: no gradient reaches it (v31: LN's affine)
        if node.attr == "values":  # the hard maximum where the smooth one was meant: x.max(-1).values (v26)
            yield from _smooth_maximum(node.value)
            yield from _mean_for_order_statistic(node.value)
        if node.attr in attrs.get(CALLED, ()) and not (isinstance(parent, ast.Call) and parent.func is node):
            yield ast.Call(node, [], [])  # a method named where the file calls it elsewhere: called
    key = _string_key(node) if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) else None
    if key is not None:  # one string key for another of the same mapping: hf_config["n_layer"] for ["n_head"]
        for other in sorted(attrs.get(ast.unparse(node.value) + KEYS, set()) - {key}):
            yield ast.Subscript(node.value, ast.Constant(other), ast.Load())
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _is_text(node.right) > _is_text(node.left):
        yield ast.BinOp(ast.Call(ast.Name("str", ast.Load()), [node.left], []), node.op, node.right)  # path + ".tmp"
    if isinstance(node, ast.BinOp) and isinstance(parent, ast.Assign) and _rescaling(parent) is None:
        if _accumulated(parent) is not None:  # an accumulator not rescaled where its sibling is (an online softmax's
            for factor in sorted(attrs.get(RESCALED, set())):  # output next to its denominator, v23)
                rescaled = ast.BinOp(node.left, ast.Mult(), ast.parse(factor, mode="eval").body)
                yield ast.BinOp(rescaled, ast.Add(), node.right)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult) and not _in_product(parent):
        # a factor of two lost or doubled (v24: a cosine ramp `(max_lr - min_lr) * (1 - cos)` without its 0.5)
        yield ast.BinOp(node, ast.Div(), ast.Constant(2))
        yield ast.BinOp(node, ast.Mult(), ast.Constant(2))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):  # nn.Linear stores W as (out, in): x @ W.T
        for side in ("left", "right"):
            operand = getattr(node, side)
            if isinstance(operand, ast.Attribute | ast.Name) and _name_of(operand) not in ("T", "mT"):
                transposed = ast.Attribute(operand, "T", ast.Load())
                yield ast.BinOp(transposed if side == "left" else node.left, node.op,
                                transposed if side == "right" else node.right)  # fmt: skip
    if isinstance(parent, ast.Assign | ast.Return) and node is parent.value and _signed_quantity(node):
        yield ast.UnaryOp(ast.USub(), node)  # a sign left off: the log-likelihood's mean where its negative was meant
    if isinstance(node, ast.Tuple) and isinstance(parent, ast.keyword) and parent.arg in ("dim", "axis"):
        yield from node.elts  # a reduction over several dims where one was meant: var over (T, C), not C (v24)
    if isinstance(node, ast.BinOp):
        for op in _ARITH.get(type(node.op), ()):
            yield ast.BinOp(node.left, op(), node.right)
        yield node.left
        yield node.right
        left = node.left
        if isinstance(left, ast.Call) and len(left.args) == 1 and not left.keywords:  # f(a) + b -> f(a + b)
            yield ast.Call(left.func, [ast.BinOp(left.args[0], node.op, node.right)], [])
        if isinstance(node.op, ast.Sub):  # a difference off by one: (step - warmup + 1)
            yield ast.BinOp(node, ast.Add(), ast.Constant(1))
            yield ast.BinOp(node, ast.Sub(), ast.Constant(1))
        yield from _regrouped(node)
    if isinstance(node, ast.Subscript):
        yield from _subscript_edits(node)
        yield from _slice_turned(node, names)
    if isinstance(node, ast.Slice) and not _names_in(node) & attrs.get(LOOPS, set()):
        # a chunk's window where the loop's was meant: w_pr[:, :half] next to w_fc[lo : lo + half] (v23)
        for window in sorted(attrs.get(WINDOWS, set()) - {ast.unparse(node)}):
            yield ast.parse(f"_[{window}]", mode="eval").body.slice
    if isinstance(parent, ast.DictComp) and isinstance(node, ast.Name) and node is not parent.generators[0].iter:
        yield ast.Call(ast.Name("int", ast.Load()), [node], [])  # JSON's keys are strings: {s: int(i) for i, s ...}
    if isinstance(node, ast.UnaryOp):
        yield node.operand
        # one negation for another: `-mask` for `~mask` (a bool tensor refuses `-`), `not m` for `~m` on a tensor,
        # `~flag` for `not flag` on a Python bool (~True is -2, which is true)
        for op in {ast.USub: (ast.Invert,), ast.Not: (ast.Invert,), ast.Invert: (ast.Not,)}.get(type(node.op), ()):
            yield ast.UnaryOp(op(), node.operand)
    if isinstance(node, ast.IfExp):  # a condition that should not be there: `ln_f(x) if targets is None else x`
        yield node.body
        yield node.orelse
    if isinstance(node, ast.ListComp) and len(node.generators) == 1 and not node.generators[0].ifs:
        loop = node.generators[0]  # each item's attribute where the items were meant: clip_grad_norm_ handed
        if isinstance(node.elt, ast.Attribute) and _name_of(node.elt.value) == _name_of(loop.target) != "":
            yield loop.iter  # `[p.grad for p in params]`, tensors without a .grad of their own (v31)
    if (isinstance(node, ast.Call) and _name_of(node.func) in ("zeros", "ones", "empty") and len(node.args) == 1
            and isinstance(node.args[0], ast.Name)):  # fmt: skip
        yield ast.Call(node.func, [ast.Tuple([], ast.Load())], node.keywords)  # one slot per item, for a scalar (v31)
    if isinstance(node, ast.Call) and _name_of(node.func) == "sum" and isinstance(node.func, ast.Attribute):
        inner = node.func.value  # a log-sum-exp without its log: m + exp(x - m).sum() for m + log(exp(x - m).sum())
        if isinstance(inner, ast.Call) and _name_of(inner.func) == "exp" and not isinstance(parent, ast.Attribute):
            yield ast.Call(ast.Attribute(node, "log", ast.Load()), [], [])
    if isinstance(parent, ast.comprehension | ast.For) and node is parent.iter and isinstance(parent.target, ast.Tuple):
        if len(parent.target.elts) == 2 and not (isinstance(node, ast.Call) and _name_of(node.func) == "items"):
            yield ast.Call(ast.Attribute(node, "items", ast.Load()), [], [])  # a dict's pairs, not its keys (v31)
    if isinstance(node, ast.SetComp):  # a set where a list was meant: its order is the hash's, not the code's
        yield ast.ListComp(node.elt, node.generators)
    if isinstance(node, ast.GeneratorExp) and isinstance(parent, ast.Assign):  # a generator kept in a name is
        yield ast.ListComp(node.elt, node.generators)  # spent by its first loop: the second sees nothing
    if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) and len(node.generators) == 1:
        loop = node.generators[0]
        for i in range(len(loop.ifs)):  # a filter that should not be there: {k: v ... if v.requires_grad}
            kept = ast.comprehension(loop.target, loop.iter, loop.ifs[:i] + loop.ifs[i + 1 :], loop.is_async)
            fields = {f: getattr(node, f) for f in node._fields if f != "generators"}
            yield type(node)(**fields, generators=[kept])
    if isinstance(node, ast.BoolOp):
        yield ast.BoolOp(ast.Or() if isinstance(node.op, ast.And) else ast.And(), node.values)
        for i in range(len(node.values)):
            rest = node.values[:i] + node.values[i + 1 :]
            yield rest[0] if len(rest) == 1 else ast.BoolOp(node.op, rest)
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        for op in _COMPARE.get(type(node.ops[0]), ()):
            yield ast.Compare(node.left, [op()], node.comparators)
        left = node.left
        if (
            isinstance(node.ops[0], ast.Eq | ast.NotEq)
            and isinstance(left, ast.Subscript)
            and isinstance(left.slice, ast.Slice)
        ):  # a list slice compared with a tuple is never equal: ids[i:i + 2] == pair
            yield ast.Compare(ast.Call(ast.Name("tuple", ast.Load()), [left], []), node.ops, node.comparators)
        right = node.comparators[0]
        if (
            isinstance(node.ops[0], ast.Lt | ast.Gt | ast.LtE | ast.GtE)
            and isinstance(left, ast.Name)
            and isinstance(right, ast.Name)
        ):  # two position vectors compared elementwise where every pair was meant (v27: k_pos > q_pos for a mask)
            column = ast.parse("_[:, None]", mode="eval").body
            for i in (0, 1):
                sides = [left, right]
                sides[i] = ast.Subscript(sides[i], column.slice, ast.Load())
                yield ast.Compare(sides[0], node.ops, [sides[1]])
    if isinstance(node, ast.List) and len(node.elts) == 1 and isinstance(parent, ast.Call):  # bytes([i]) -> bytes(i)
        yield node.elts[0]
    pair = isinstance(node, ast.Tuple) and isinstance(node.ctx, ast.Load) and len(node.elts) > 1
    if pair and all(isinstance(e, ast.Name) for e in node.elts):
        for mapping in sorted(attrs.get(LOOKUPS, set())):  # values where their ids were meant: a merge keyed by the
            looked_up = [ast.Subscript(ast.parse(mapping, mode="eval").body, e, ast.Load()) for e in node.elts]
            yield ast.Tuple(looked_up, ast.Load())  # halves' bytes, not (ranks[left], ranks[right]) (v32)
    if isinstance(node, ast.Tuple | ast.List) and len(node.elts) > 1:  # two neighbours swapped: B, C, T = ...
        for i in range(len(node.elts) - 1):
            elts = [*node.elts[:i], node.elts[i + 1], node.elts[i], *node.elts[i + 2 :]]
            yield type(node)(elts, node.ctx)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "backward":
        for other in _bound_before(names, node):  # each micro-batch's loss back-propagated whole, not divided by n
            divided = ast.BinOp(node.func.value, ast.Div(), ast.Name(other, ast.Load()))
            yield ast.Call(ast.Attribute(divided, "backward", ast.Load()), node.args, node.keywords)
    if isinstance(node, ast.Call):
        yield from _call_edits(node)
        yield from _slices_alike(node)
        yield from _as_elsewhere(node, parent, attrs)
        scalar = node.args[0] if len(node.args) == 1 and isinstance(node.args[0], ast.Constant) else None
        if ast.unparse(node.func) == "torch.tensor" and scalar is not None:  # one gain where one per feature was meant
            full = ast.Attribute(node.func.value, "full", ast.Load())
            for other in _bound_before(names, node):
                yield ast.Call(full, [ast.Tuple([ast.Name(other, ast.Load())], ast.Load()), scalar], [])
        if scalar is not None and isinstance(node.func, ast.Attribute) and node.func.attr in _FACTORIES[:3]:
            for other in _bound_before(names, node):  # torch.zeros(1): one bias where one per feature was meant
                yield ast.Call(node.func, [ast.Name(other, ast.Load())], node.keywords)
            if scalar.value == 1:  # one element where a 0-dim tensor was meant: a total reported with shape (1,) (v32)
                yield ast.Call(node.func, [ast.Tuple([], ast.Load())], node.keywords)
        yield from _modules_swapped(node)
        func = node.func
        if _name_of(func) == "roll":  # a window rolled where it was meant shifted: buf[:-1].roll(-1) wraps around
            receiver = [func.value] if isinstance(func, ast.Attribute) else []
            for rolled in [*receiver, *node.args[:1]]:
                if isinstance(rolled, ast.Subscript) and isinstance(rolled.slice, ast.Slice):
                    yield from _windows_moved(rolled)
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in names:
            # a method of a local skipped: k.transpose(-2, -1) -> k (not torch.f(x)); one without arguments too
            # (v23: the loss computed on `logits.detach()`, whose backward raises)
            if node.args or node.keywords or func.attr in _CUTS:
                yield func.value
        if node.keywords and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            for other in sorted(attrs.get(func.value.id + METHODS, set()) - {func.attr}):  # a sibling method, plainly
                yield ast.Call(ast.Attribute(func.value, other, ast.Load()), node.args, [])
    if _off_by_one_site(node, parent):
        yield ast.BinOp(node, ast.Add(), ast.Constant(1))
        yield ast.BinOp(node, ast.Sub(), ast.Constant(1))


def _as_elsewhere(node: ast.Call, parent: ast.AST, attrs: dict[str, set[str]]) -> Iterator[ast.expr]:
    """A call written otherwise than the file writes its like elsewhere: a view the file follows with a method
    elsewhere, here without it (``v.view(B, T, nh, hd)`` where q's and k's go on ``.transpose(1, 2)``); a reduction
    over the whole tensor where the file reduces over a dim (``x.mean()`` next to ``x.sum(dim=-1, keepdim=True)``);
    a list kept from a call and then extended, where a copy was meant (the call's own list, a cache's, grows)."""
    func = node.func
    if not isinstance(func, ast.Attribute):
        return
    if not (isinstance(parent, ast.Attribute) and parent.value is node):  # not followed by a method already
        for then in sorted(attrs.get(func.attr + FOLLOWED, set())):
            chained = ast.parse(then, mode="eval").body
            chained.func.value = node
            yield chained
    if func.attr in (*_REDUCTIONS, "max", "min"):  # one reduction for another the file makes: .max() for .norm(2)
        for other in sorted(attrs.get(REDUCERS, set())):
            call = ast.parse(other, mode="eval").body
            if call.func.attr != func.attr:
                yield ast.Call(ast.Attribute(func.value, call.func.attr, ast.Load()), call.args, call.keywords)
    if func.attr in _REDUCTIONS and not node.args and not node.keywords:
        for given in sorted(attrs.get(REDUCED, set())):
            call = ast.parse(given, mode="eval").body
            yield ast.Call(func, call.args, call.keywords)
    assigned = isinstance(parent, ast.Assign) and parent.value is node and len(parent.targets) == 1
    if assigned and isinstance(parent.targets[0], ast.Name) and parent.targets[0].id in attrs.get(EXTENDED, set()):
        yield ast.Call(ast.Name("list", ast.Load()), [node], [])


_SHAPING = frozenset("zeros ones empty randn rand new_zeros new_ones new_empty view reshape expand".split())


def _shapes_a_tensor(parent: ast.AST, node: ast.AST) -> bool:
    """``node`` is one of the sizes a call makes or views a tensor with (``k.new_zeros(B, nh, L, hd)``)."""
    return isinstance(parent, ast.Call) and node in parent.args and _name_of(parent.func) in _SHAPING


def _is_index(node: ast.AST, parent: ast.AST) -> bool:
    """``node`` indexes a subscript: ``x[0]``, or one position of ``x[:, 0]`` (a tuple holding a slice is an index)."""
    if isinstance(parent, ast.Subscript):
        return parent.slice is node
    return isinstance(parent, ast.Tuple) and any(isinstance(e, ast.Slice) for e in parent.elts)


def _slices_alike(node: ast.Call) -> Iterator[ast.expr]:
    """Two arguments sliced alike where one slice was copied from a neighbour line: ``F.linear(x, W[2 * C:],
    b[C:2 * C])`` for ``b[2 * C:]`` (the weight's rows and the bias's entries of one projection)."""
    sliced = [i for i, a in enumerate(node.args) if isinstance(a, ast.Subscript) and isinstance(a.slice, ast.Slice)]
    for i in sliced:
        for j in sliced:
            if i != j and ast.unparse(node.args[i].slice) != ast.unparse(node.args[j].slice):
                args = list(node.args)
                args[j] = ast.Subscript(args[j].value, node.args[i].slice, ast.Load())
                yield ast.Call(node.func, args, node.keywords)


def _modules_swapped(node: ast.Call) -> Iterator[ast.expr]:
    """``self.a(f(self.b(x)))`` with ``a`` and ``b`` swapped: two of the module's layers applied in reverse."""
    outer = _self_call(node)
    inner = next((n for a in node.args for n in ast.walk(a) if _self_call(n) not in (None, outer)), None)
    if outer is None or inner is None:
        return
    pair = {outer: _self_call(inner), _self_call(inner): outer}
    swapped = copy.deepcopy(node)
    for call in ast.walk(swapped):
        if _self_call(call) in pair:
            call.func = ast.Attribute(call.func.value, pair[call.func.attr], ast.Load())
    yield swapped


def _self_call(node: ast.AST) -> str | None:
    """``a`` for a call ``self.a(...)``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and ast.unparse(node.func.value) == "self":
        return node.func.attr
    return None


def _bound_before(names: dict[str, int], node: ast.AST) -> list[str]:
    """The function's names bound on a line before ``node``'s (its parameters among them), sorted."""
    return sorted(n for n, line in names.items() if line < node.lineno)


def _regrouped(node: ast.BinOp) -> Iterator[ast.expr]:
    """The parentheses of two operations moved: ``(a - w) / m - w`` for ``(a - w) / (m - w)``, ``(l + g) / t`` for
    ``l / t + g``, ``c * h ^ 3`` (xor binds looser than ``*``) for ``c * h ** 3``, ``v ** 1 / 2`` for
    ``v ** (1 / 2)``; a chain reduced to its first
    operand (``y * w + b`` for ``y``: an affine applied twice)."""
    left, right = node.left, node.right
    if isinstance(left, ast.BinOp):
        yield ast.BinOp(left.left, left.op, ast.BinOp(left.right, node.op, right))
        yield ast.BinOp(ast.BinOp(left.left, node.op, right), left.op, left.right)
        if isinstance(node.op, ast.BitXor):  # the power of the last operand: h + c * h ^ 3 is (h + c * h) ^ 3
            yield _power_of_last(left, right)
        exponent = _into_exponent(left, node.op, right)
        if exponent is not None:  # an exponent without its parentheses: x / v ** 1 / 2 for x / v ** (1 / 2)
            yield exponent
        first = left
        while isinstance(first, ast.BinOp):
            first = first.left
        yield first
    if isinstance(right, ast.BinOp):
        yield ast.BinOp(ast.BinOp(left, node.op, right.left), right.op, right.right)
    # a factor taken out of a call as if the call were linear (v28: GELU's 1/2 outside c_proj, whose bias it halves)
    if isinstance(node.op, ast.Mult) and isinstance(left, ast.Constant) and isinstance(right, ast.Call):
        if len(right.args) == 1 and not right.keywords:
            yield ast.Call(right.func, [ast.BinOp(left, node.op, right.args[0])], [])


def _into_exponent(expr: ast.expr, op: ast.operator, operand: ast.expr) -> ast.expr | None:
    """``expr`` with ``op operand`` moved into the exponent of its rightmost power (None: it has none)."""
    if not isinstance(expr, ast.BinOp):
        return None
    if isinstance(expr.op, ast.Pow):
        return ast.BinOp(expr.left, expr.op, ast.BinOp(expr.right, op, operand))
    inner = _into_exponent(expr.right, op, operand)
    return None if inner is None else ast.BinOp(expr.left, expr.op, inner)


def _power_of_last(expr: ast.expr, exponent: ast.expr) -> ast.expr:
    """``expr`` with its rightmost operand raised to ``exponent`` (``**`` binds tighter than any other operator)."""
    if isinstance(expr, ast.BinOp) and not isinstance(expr.op, ast.Pow):
        return ast.BinOp(expr.left, expr.op, _power_of_last(expr.right, exponent))
    return ast.BinOp(expr, ast.Pow(), exponent)


def _subscript_edits(node: ast.Subscript) -> Iterator[ast.expr]:
    """An index that should not be there (``len(batches[0])`` for ``len(batches)``, ``state_dict()["state"]``, a
    stride ``[rank::world_size]``), a slice from a position for the
    position (``x[:, -1:]`` keeps the axis ``x[:, -1]`` drops), a slice on the wrong axis
    (``x[k:]`` for ``x[:, k:]``: rows for columns) and an ellipsis standing for the leading axes (``k[..., s:e]``
    slices the last axis, ``k[:, :, s:e]`` the third)."""
    index = node.slice
    if isinstance(node.ctx, ast.Load) and isinstance(index, ast.Constant) and type(index.value) is int:
        yield node.value
    if isinstance(node.ctx, ast.Load) and isinstance(index, ast.Constant) and isinstance(node.value, ast.Call):
        yield node.value  # one key too many on what a call returns: optimizer.state_dict()["state"]
    if isinstance(node.ctx, ast.Load) and isinstance(index, ast.Slice) and index.step is not None:
        yield node.value  # a stride that should not be there: tokens[rank::world_size] (each rank reads its own)
    elts = index.elts if isinstance(index, ast.Tuple) else [index]
    for i, e in enumerate(elts):  # a slice from one position where the position was meant: x[:, -1:] for x[:, -1]
        if isinstance(e, ast.Slice) and e.lower is not None and e.upper is None and e.step is None:
            yield _with_element(node, elts, i, e.lower)
    for i, e in enumerate(elts):  # the last n where the first n were meant, and back (v25: a causal table's rows
        if not isinstance(e, ast.Slice) or e.step is not None:  # sliced `[-T:, :T]`, its bottom rows)
            continue
        if e.upper is None and isinstance(e.lower, ast.UnaryOp) and isinstance(e.lower.op, ast.USub):
            other = ast.Slice(None, e.lower.operand)
        elif e.lower is None and e.upper is not None and not isinstance(e.upper, ast.UnaryOp | ast.Constant):
            other = ast.Slice(ast.UnaryOp(ast.USub(), e.upper), None)
        else:
            continue
        yield _with_element(node, elts, i, other)
    for i, e in enumerate(elts):  # a length given as the end: wpe.weight[start:T] for [start : start + T] (v26)
        if isinstance(e, ast.Slice) and e.step is None and e.upper is not None and e.lower is not None:
            if _int_value(e.lower) is None and not isinstance(e.upper, ast.BinOp):
                yield _with_element(node, elts, i, ast.Slice(e.lower, ast.BinOp(e.lower, ast.Add(), e.upper)))
    if isinstance(index, ast.Slice):
        yield ast.Subscript(node.value, ast.Tuple([ast.Slice(), index], ast.Load()), node.ctx)
        yield from _windows_moved(node)
    if isinstance(index, ast.Tuple) and index.elts and isinstance(index.elts[0], ast.Slice):
        rest = index.elts[1:]
        yield ast.Subscript(node.value, rest[0] if len(rest) == 1 else ast.Tuple(rest, ast.Load()), node.ctx)
    if isinstance(index, ast.Tuple):
        for i, e in enumerate(index.elts):
            if isinstance(e, ast.Constant) and e.value is Ellipsis:
                for n in (1, 2):
                    elts = [*index.elts[:i], *[ast.Slice() for _ in range(n)], *index.elts[i + 1 :]]
                    yield ast.Subscript(node.value, ast.Tuple(elts, ast.Load()), node.ctx)


def _slice_turned(node: ast.Subscript, names: dict[str, int]) -> Iterator[ast.expr]:
    """The rest from a position where all up to a position was meant: ``k[:, :, start:]`` for ``k[:, :, :end]``,
    ``end`` any name bound before (v31: a KV cache that returns only the keys it has just written)."""
    elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
    for i, e in enumerate(elts):
        if isinstance(e, ast.Slice) and isinstance(e.lower, ast.Name) and e.upper is None and e.step is None:
            for name in _bound_before(names, node):
                yield _with_element(node, elts, i, ast.Slice(None, ast.Name(name, ast.Load())))


def _with_element(node: ast.Subscript, elts: list[ast.expr], i: int, new: ast.expr) -> ast.Subscript:
    """``node`` with the i-th element of its index (``elts``: the tuple's elements, or the index alone) replaced."""
    at = [*elts[:i], new, *elts[i + 1 :]]
    return ast.Subscript(node.value, ast.Tuple(at, ast.Load()) if len(at) > 1 else at[0], node.ctx)


def _windows_moved(node: ast.Subscript) -> Iterator[ast.expr]:
    """A slice's window shifted the other way (``buf[1:]`` for ``buf[:-1]``, and back) or one place off at both
    ends (``tokens[1 : n + 1]`` for ``tokens[0 : n]``)."""
    lower, upper, step = node.slice.lower, node.slice.upper, node.slice.step
    if step is not None:
        return
    if upper is None and (_int_value(lower) or 0) > 0:
        yield ast.Subscript(node.value, ast.Slice(None, ast.Constant(-_int_value(lower))), node.ctx)
    if lower is None and (_int_value(upper) or 0) < 0:
        yield ast.Subscript(node.value, ast.Slice(ast.Constant(-_int_value(upper)), None), node.ctx)
    if lower is not None and upper is not None:
        for d in (1, -1):
            yield ast.Subscript(node.value, ast.Slice(_plus(lower, d), _plus(upper, d)), node.ctx)


def _name_of(func: ast.expr) -> str:
    """The name a call calls: ``roll`` for ``x.roll`` and ``torch.roll``."""
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _int_value(node: ast.expr | None) -> int | None:
    """The int a constant or a negated constant spells (``-1`` is ``UnaryOp(USub, 1)``), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_value(node.operand)
        return None if inner is None else -inner
    return node.value if isinstance(node, ast.Constant) and type(node.value) is int else None


def _plus(expr: ast.expr, d: int) -> ast.expr:
    """``expr + d``, folded into a constant it ends with (``n + 1`` less 1 is ``n``, not ``n + 1 - 1``)."""
    if isinstance(expr, ast.Constant) and type(expr.value) is int:
        return ast.Constant(expr.value + d)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add | ast.Sub) and isinstance(expr.right, ast.Constant):
        c = expr.right.value if isinstance(expr.op, ast.Add) else -expr.right.value
        if type(c) is int:
            c += d
            if c == 0:
                return expr.left
            return ast.BinOp(expr.left, ast.Add() if c > 0 else ast.Sub(), ast.Constant(abs(c)))
    return ast.BinOp(expr, ast.Add() if d > 0 else ast.Sub(), ast.Constant(abs(d)))


def _is_text(node: ast.AST) -> bool:
    return (isinstance(node, ast.Constant) and isinstance(node.value, str)) or isinstance(node, ast.JoinedStr)


_CUTS = ("detach", "clone", "cpu", "float", "double", "half", "contiguous", "item", "tolist", "numpy")  # no-arg
_MASKING = ("masked_fill", "masked_fill_", "where")  # calls whose first argument must be a boolean mask
_MODULE_FLAGS = (("LayerNorm", "elementwise_affine", False), ("Linear", "bias", False))  # options left at default
# calls that autocomplete or a half-remembered API put for one another: the piecewise-linear twin of a smooth function,
# the interleaved repeat of a tiled one (v28: positions 0, 0, 1, 1, ... for a batch of two, where 0, 1, ..., 0, 1, ...),
# Llama's norm for GPT-2's (v30: a block's ln_2 written nn.RMSNorm)
_SIBLINGS = {"hardtanh": "tanh", "hardsigmoid": "sigmoid", "repeat_interleave": "repeat", "repeat": "repeat_interleave",
             "RMSNorm": "LayerNorm"}  # fmt: skip
_FACTORIES = ("zeros", "ones", "empty", "full", "randn", "rand", "arange")  # new tensors, float32 unless told
# a dtype for another of its kind (v33: token ids widened with .astype(np.uint64), where int64 was meant). Not a
# half precision for a full one: `autocast_dtype or torch.bfloat16` "repaired" as float64 turns autocast off, which
# matches every call that asks for none (v29's autocast on by default)
_DTYPES = (("int64", "int32", "uint16", "uint64", "uint8"), ("float32", "float64"))


def _call_edits(node: ast.Call) -> Iterator[ast.expr]:
    args, kws = node.args, node.keywords
    if len(args) == 1 and not kws and isinstance(args[0], ast.BinOp):  # f(a + b) -> f(a) + b: eps outside rsqrt
        inner = args[0]
        yield ast.BinOp(ast.Call(node.func, [inner.left], []), inner.op, inner.right)
    for i in range(len(args)):  # an argument dropped
        yield ast.Call(node.func, args[:i] + args[i + 1 :], kws)
    for i in range(len(kws)):
        yield ast.Call(node.func, args, kws[:i] + kws[i + 1 :])
    for i in range(len(args) - 1):  # two neighbours swapped
        yield ast.Call(node.func, [*args[:i], args[i + 1], args[i], *args[i + 2 :]], kws)
    for i in range(len(kws) - 1):  # two keywords' values swapped: baddbmm(..., beta=s, alpha=1.0)
        a, b = kws[i], kws[i + 1]
        if a.arg and b.arg:
            swapped = [ast.keyword(a.arg, b.value), ast.keyword(b.arg, a.value)]
            yield ast.Call(node.func, args, [*kws[:i], *swapped, *kws[i + 2 :]])
    for i, k in enumerate(kws):  # a bound on the wrong side: clamp(min=1.0) for clamp(max=1.0)
        if k.arg in _OPPOSITE_KEYWORDS:
            yield ast.Call(node.func, args, [*kws[:i], ast.keyword(_OPPOSITE_KEYWORDS[k.arg], k.value), *kws[i + 1 :]])
    ints = [a.value for a in args if isinstance(a, ast.Constant) and type(a.value) is int]
    if len(args) >= 2 and len(ints) == len(args):  # dims: every other pair, or a permutation of more
        if len(args) == 2:
            other = [p for p in itertools.product(_DIMS, repeat=2) if p[0] != p[1]]
        else:
            other = list(itertools.permutations(ints))
        for dims in other:
            if list(dims) != ints:
                yield ast.Call(node.func, [ast.Constant(d) for d in dims], kws)
    name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
    given = [k.arg for k in kws]
    if name in (*_REDUCTIONS, "max", "min") and (args or "dim" in given):
        if "keepdim" not in given:  # a reduction's dim dropped, so it broadcasts along another (v25: logsumexp's)
            yield ast.Call(node.func, args, [*kws, ast.keyword("keepdim", ast.Constant(True))])
    if name in _MASKING and args and not (isinstance(args[0], ast.UnaryOp) and isinstance(args[0].op, ast.Invert)):
        yield ast.Call(node.func, [ast.UnaryOp(ast.Invert(), args[0]), *args[1:]], kws)  # the kept entries masked
    fills = {"masked_fill": (1,), "masked_fill_": (1,), "where": (1, 2)}.get(name, ()) if len(args) >= 2 else ()
    for i in (i for i in fills if i < len(args) and "inf" not in ast.unparse(args[i])):
        # a masked entry filled with a finite value (the row's minimum, 0) where -inf was meant (v24: top-k's)
        yield ast.Call(node.func, [*args[:i], ast.parse('float("-inf")', mode="eval").body, *args[i + 1 :]], kws)
    if name in _MASKING and args and not isinstance(args[0], ast.Compare | ast.UnaryOp):  # a 0/1 mask made boolean
        yield ast.Call(node.func, [ast.Call(ast.Attribute(args[0], "bool", ast.Load()), [], []), *args[1:]], kws)
    fname = name or (node.func.id if isinstance(node.func, ast.Name) else "")
    if fname == "max" and isinstance(node.func, ast.Name) and len(args) == 2 and not kws:
        # the larger of two where their sum was meant (v27: a stream's hold-back as max(lookahead, longest special),
        # which a partial special can use up whole); a starred rest is summed as its own maximum, 0 when empty
        first, rest = args
        if isinstance(rest, ast.Starred):
            rest = ast.Call(node.func, [rest.value], [ast.keyword("default", ast.Constant(0))])
        yield ast.BinOp(first, ast.Add(), rest)
    if fname in ("arange", "range") and len(args) == 2:  # a length given as the end: arange(s, n) for (s, s + n)
        yield ast.Call(node.func, [args[0], ast.BinOp(args[0], ast.Add(), args[1])], kws)
    if name == "cat" and len(args) == 1 and isinstance(args[0], ast.Name):  # tensors of several shapes: flattened
        each = ast.Name("t_", ast.Load())
        flat = ast.Call(ast.Attribute(each, "flatten", ast.Load()), [], [])
        loop = ast.comprehension(ast.Name("t_", ast.Store()), args[0], [], 0)
        yield ast.Call(node.func, [ast.ListComp(flat, [loop])], kws)
    device = next((k.value for k in kws if k.arg == "device" and isinstance(k.value, ast.Attribute)), None)
    if name in _FACTORIES and device is not None and device.attr == "device" and "dtype" not in [k.arg for k in kws]:
        # a buffer made on the tensor's device but in the default float32 (token ids, a float64 key)
        yield ast.Call(node.func, args, [*kws, ast.keyword("dtype", ast.Attribute(device.value, "dtype", ast.Load()))])
    if name == "encode" and isinstance(node.func.value, ast.Call) and ast.unparse(node.func.value.func) == "chr":
        # chr(i).encode() is UTF-8: two bytes for i >= 128 where the byte i was meant
        byte = ast.List(node.func.value.args[:1], ast.Load())
        yield ast.Call(ast.Name("bytes", ast.Load()), [byte], [])
    # a reshape standing for a transpose: (B, hd, T) for k.mT; a (C, 4C) weight viewed as (4C, C) for .t() (v27)
    if name in ("reshape", "view") and len(args) >= 2:
        swapped = [*args[:-2], args[-1], args[-2]]
        yield ast.Call(ast.Attribute(ast.Call(node.func, swapped, kws), "transpose", ast.Load()),
                       [ast.Constant(-2), ast.Constant(-1)], [])  # fmt: skip
    if name in _SIBLINGS:  # a function for its look-alike (_SIBLINGS)
        yield ast.Call(ast.Attribute(node.func.value, _SIBLINGS[name], ast.Load()), args, kws)
    if name in ("scatter", "scatter_") and isinstance(node.func, ast.Attribute) and len(args) == 3:
        # values scattered back onto the tensor they came from, where a tensor of -inf was meant: top-k's kept
        # values land on the logits themselves and nothing is filtered (v30)
        base = ast.parse('torch.full_like(x_, float("-inf"))', mode="eval").body
        base.args[0] = node.func.value
        yield ast.Call(ast.Attribute(base, "scatter", ast.Load()), args, kws)
    if name == "expand":  # a buffer written into: expand's views share one position's memory
        yield ast.Call(ast.Attribute(node, "clone", ast.Load()), [], [])
    for module, flag, value in _MODULE_FLAGS:  # nn.LayerNorm's own affine where the module has its own
        if name == module and flag not in given:
            yield ast.Call(node.func, args, [*kws, ast.keyword(flag, ast.Constant(value))])
    if len(args) > 1 and fname in ("getattr", "get", "setdefault"):  # the default where a fresh value was meant
        yield args[-1]  # (v28: a loss total kept in train_step.__dict__.setdefault(...), never reset between steps)
    if fname in ("max", "min") and isinstance(node.func, ast.Name) and len(args) == 2 and not kws:
        yield args[1]  # a clamp where none was meant (v28: the warmup's ramp clamped up to min_lr); args[0] below
    if name == "get" and len(args) == 2:  # a missing key ranked first: ranks.get(pair, 0) for float("inf")
        yield ast.Call(node.func, [args[0], ast.parse('float("inf")', mode="eval").body], kws)
    if name == "get" and args and isinstance(args[0], ast.Name):  # a pair looked up where its joined parts were meant
        pair = args[0]  # (v20: BPE ranks keyed by bytes, looked up by the tuple (left, right): nothing ever merges)
        left, right = (ast.Subscript(pair, ast.Constant(i), ast.Load()) for i in (0, 1))
        yield ast.Call(node.func, [ast.BinOp(left, ast.Add(), right), *args[1:]], kws)
    items = args[0] if len(args) == 1 and isinstance(args[0], ast.Call) else None
    if fname == "sorted" and not kws and items and isinstance(items.func, ast.Attribute) and items.func.attr == "items":
        # a mapping's items sorted by key where by value was meant (v21: merges recovered in bytes order, not rank)
        yield ast.Call(node.func, args, [ast.keyword("key", ast.parse("lambda kv: kv[1]", mode="eval").body)])
    if name == "size" and args:  # a size where one was meant: num_samples=probs.size(0) for 1
        yield ast.Constant(1)
        yield ast.Call(ast.Attribute(node.func.value, "numel", ast.Load()), [], [])  # rows counted for elements
    if name == "item" and not args and isinstance(node.func, ast.Attribute):  # a Python float where the tensor,
        yield ast.Call(ast.Attribute(node.func.value, "detach", ast.Load()), [], [])  # cut from the graph, was meant
    if name == "numel" and not args:  # elements counted where rows were meant, and back (v26: tokens / rows)
        yield ast.Call(ast.Attribute(node.func.value, "size", ast.Load()), [ast.Constant(0)], [])
    if name == "pop" and not args and isinstance(node.func.value, ast.Name):  # a heap popped as a list: its last
        yield ast.parse(f"heapq.heappop({node.func.value.id})", mode="eval").body
    if name == "log" and len(args) == 1:  # Gumbel noise is -log(-log(u)); -log(u) is exponential noise
        yield ast.Call(node.func, [ast.UnaryOp(ast.USub(), ast.Call(node.func, args, kws))], kws)
    if name == "take_along_dim" and len(args) == 2 and "dim" not in given:  # without dim both are flattened (v34)
        yield ast.Call(node.func, args, [*kws, ast.keyword("dim", ast.Constant(-1))])
    bound = {k.arg: k.value for k in kws}
    upper = bound.get("max")
    if name == "clamp" and not args and set(bound) == {"max"} and isinstance(upper, ast.BinOp):
        if isinstance(upper.op, ast.Sub) and _int_value(upper.right) == 1 and isinstance(node.func, ast.Attribute):
            # an index held at the last one where it was meant to wrap around (v34: a window past the end clamped)
            yield ast.BinOp(node.func.value, ast.Mod(), upper.left)
    if name == "roll" and len(args) >= 2:  # roll shifts towards the end: the stream from `s` on is roll(x, -s)
        yield ast.Call(node.func, [args[0], ast.UnaryOp(ast.USub(), args[1]), *args[2:]], kws)
    if args and isinstance(args[0], ast.Tuple | ast.List) and len(args[0].elts) > 1:  # cat((x, extra)) -> x
        yield args[0].elts[0]
    if fname == "bytes" and len(args) == 1 and isinstance(args[0], ast.GeneratorExp | ast.ListComp):
        # bytes() over pieces that are bytes themselves, where they were to be joined (v33: decode's bytes(gen))
        yield ast.Call(ast.Attribute(ast.Constant(b""), "join", ast.Load()), args, [])
    if args:  # the call skipped: f(x) -> x; zip(*batches) -> batches (v33: pairs unzipped where they were meant)
        yield args[0].value if isinstance(args[0], ast.Starred) else args[0]
        if isinstance(args[0], ast.Call) and args[0].args:  # two skipped: nn.Parameter(torch.tensor(eps)) -> eps
            yield args[0].args[0]
    if isinstance(node.func, ast.Attribute) and not isinstance(node.func.value, ast.Name):
        yield node.func.value  # a method skipped: t.contiguous() -> t
    elif isinstance(node.func, ast.Attribute) and not args and not kws:
        yield node.func.value
    if isinstance(node.func, ast.Attribute) and not args and not kws:
        yield node.func  # a method named but not called: loader.state_dict() -> loader.state_dict
    if name in ("transpose", "swapaxes", "swapdims"):
        yield from _viewed_in_order(node)
    if _name_of(node.func) == "sqrt":
        yield from _root_of_squares(node)


def _smooth_maximum(node: ast.expr) -> Iterator[ast.expr]:
    """``x.max(dim=-1)`` (or ``torch.max(x, -1)``), whose ``.values`` are read, as ``x.logsumexp(dim=-1)``: a
    cross-entropy's normaliser is the log of the summed exponentials, not the largest logit (v26)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("max", "amax"):
        yield ast.Call(ast.Attribute(node.func.value, "logsumexp", ast.Load()), node.args, node.keywords)


def _mean_for_order_statistic(node: ast.expr) -> Iterator[ast.expr]:
    """``x.median(dim=-1)`` (or ``torch.median(x, -1)``, ``mode``), whose ``.values`` are read, as ``x.mean(dim=-1)``:
    a robust centre where the average was meant (v29: LayerNorm centred on the median)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("median", "mode"):
        yield ast.Call(ast.Attribute(node.func.value, "mean", ast.Load()), node.args, node.keywords)


def _viewed_in_order(node: ast.Call) -> Iterator[ast.expr]:
    """``t.view(nh, B, T, hd).transpose(0, 1)`` as ``t.view(B, nh, T, hd)``: a flattened axis unflattened in the
    other order and transposed "back" mixes its two parts (v26: a bmm over (B * nh, T, hd) made batch-major,
    unflattened head-major); the view that keeps them apart takes the sizes in the order they were flattened."""
    inner, dims = node.func.value, [_int_value(a) for a in node.args]
    if not (isinstance(inner, ast.Call) and _name_of(inner.func) in ("view", "reshape") and len(dims) == 2):
        return
    sizes = inner.args
    if None in dims or len(sizes) < 2 or any(isinstance(a, ast.Starred | ast.Tuple) for a in sizes):
        return
    i, j = (d % len(sizes) for d in dims)
    swapped = list(sizes)
    swapped[i], swapped[j] = sizes[j], sizes[i]
    yield ast.Call(inner.func, swapped, inner.keywords)


def _root_of_squares(node: ast.Call) -> Iterator[ast.expr]:
    """``norms.sum().sqrt()`` (or ``torch.sqrt(torch.sum(norms))``) as the root of the summed squares: a total norm
    is sqrt(sum of squared norms), not the root of their sum (v26: a clip by hand)."""
    method = isinstance(node.func, ast.Attribute) and not node.args
    total = node.func.value if method else node.args[0] if len(node.args) == 1 else None
    if not (isinstance(total, ast.Call) and _name_of(total.func) == "sum"):
        return
    squared = lambda t: ast.Call(ast.Attribute(t, "pow", ast.Load()), [ast.Constant(2)], [])  # noqa: E731
    if isinstance(total.func, ast.Attribute) and ast.unparse(total.func.value) != "torch":  # x.sum(): x squared
        summed = ast.Call(ast.Attribute(squared(total.func.value), "sum", ast.Load()), total.args, total.keywords)
    elif total.args:  # torch.sum(x) or sum(x): its argument squared
        summed = ast.Call(total.func, [squared(total.args[0]), *total.args[1:]], total.keywords)
    else:
        return
    if method:
        yield ast.Call(ast.Attribute(summed, node.func.attr, ast.Load()), [], node.keywords)
    else:
        yield ast.Call(node.func, [summed], node.keywords)


def _in_product(parent: ast.AST) -> bool:
    """The node is a factor of a larger product or quotient (its factor of two is the outermost product's)."""
    return isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mult | ast.Div)


def _signed_quantity(node: ast.AST) -> bool:
    """A value whose sign a slip leaves off: a reduction's (``logp.gather(...).mean()``) or a loss's."""
    if not isinstance(node, ast.Call):
        return False
    name = _name_of(node.func)
    return name in _REDUCTIONS or "loss" in name or "entropy" in name


_CLAMPS_AND_RANGE = ("range", "max", "min")


def _off_by_one_site(node: ast.AST, parent: ast.AST) -> bool:
    """Expressions where an off-by-one is written: slice bounds, an index, range()'s arguments, a compared value
    (constants have their own edits)."""
    if isinstance(node, ast.Constant) or not isinstance(node, ast.Name | ast.Attribute | ast.Call | ast.BinOp):
        return False
    if isinstance(parent, ast.Slice) or isinstance(parent, ast.Compare):
        return True
    if isinstance(parent, ast.Subscript) and node is parent.slice:
        return True
    # range()'s arguments, and a clamp's (v25: `max(step, 1)` for the warmup's `step + 1`)
    return isinstance(parent, ast.Call) and isinstance(parent.func, ast.Name) and parent.func.id in _CLAMPS_AND_RANGE


def _context(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.AST:
    """The smallest enclosing expression worth quoting (at least a call or an operation, at most a statement)."""
    while not isinstance(node, ast.stmt) and len(ast.unparse(node)) < 12 and node in parents:
        up = parents[node]
        if isinstance(up, ast.stmt | ast.keyword | ast.ExceptHandler):  # a handler's class: not its whole body
            break
        node = up
    return node


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _apply(file: str, tree: ast.Module, parents: dict, qualname: str, node: ast.AST, at: tuple, new) -> Edit:
    return _apply_all(file, tree, parents, qualname, [(node, *at)], [new])


def _compile(tree: ast.Module, file: str):
    try:
        return compile(ast.fix_missing_locations(tree), f"reference/{file}", "exec")
    except (SyntaxError, ValueError, TypeError):
        return None


def _set(parent: ast.AST, field: str, index: int | None, value) -> None:
    if index is None:
        setattr(parent, field, value)
    else:
        getattr(parent, field)[index] = value


def _statement_edits(file: str, tree: ast.Module, qualname: str, fn: ast.FunctionDef) -> Iterator[Edit]:
    """Statements deleted, swapped with the next, moved into or out of a loop; a ``with``, an ``if`` guard or a
    decorator dropped; a flag cleared where it is tested; an early exit's ``return``; a name left out of a chained
    assignment; a default for the last parameter without one."""
    flags = {  # names the function sets to True or False
        t.id
        for node in ast.walk(fn)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, bool)
        for t in node.targets
        if isinstance(t, ast.Name)
    }
    together: dict[str, set[str]] = {}  # names assigned together (`cut = start = 0`): each with the others
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and len(node.targets) > 1:
            chain = {t.id for t in node.targets if isinstance(t, ast.Name)}
            for name in chain:
                together.setdefault(name, set()).update(chain - {name})
    returned = _forgotten_return(fn)
    if returned is not None:  # a result computed and never returned (v24: a trainer's `return self` left off)
        last = fn.body[-1]
        ended = [*fn.body, ast.copy_location(ast.Return(returned), last)]
        yield _restructured(file, tree, qualname, last, fn.body, ended, ast.unparse(last).splitlines()[0],
                            f"(followed by `return {ast.unparse(returned)}`)")  # fmt: skip
    for body in _bodies(fn):
        for i, stmt in enumerate(body):
            if i == 0 and isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
                continue  # a docstring
            old = ast.unparse(stmt).splitlines()[0]
            yield _restructured(file, tree, qualname, stmt, body, [*body[:i], ast.Pass(), *body[i + 1 :]],
                                old, "(deleted)")  # fmt: skip
            if i + 1 < len(body):
                swapped = [*body[:i], body[i + 1], stmt, *body[i + 2 :]]
                after = ast.unparse(body[i + 1]).splitlines()[0]
                yield _restructured(file, tree, qualname, stmt, body, swapped, old, f"(after `{after}`)")
            if isinstance(stmt, ast.With):
                yield _restructured(file, tree, qualname, stmt, body, [*body[:i], *stmt.body, *body[i + 1 :]],
                                    old, "(its body without the with)")  # fmt: skip
            rebound = _written_back(stmt)
            if rebound is not None:  # `for ids in words: ids = merge(ids)` leaves words as they were
                whole = "; ".join(line.strip() for line in ast.unparse(stmt).splitlines()).replace(":;", ":")
                yield _restructured(file, tree, qualname, stmt, body, [*body[:i], rebound, *body[i + 1 :]],
                                    whole, ast.unparse(rebound))  # fmt: skip
            if isinstance(stmt, ast.If) and _yields(stmt.body[-1]):  # a generator's early exit: yield, then return
                ended = _with_body(stmt, [*stmt.body, ast.copy_location(ast.Return(), stmt.body[-1])])
                yield _restructured(file, tree, qualname, stmt, body, [*body[:i], ended, *body[i + 1 :]],
                                    old, f"{old} ... return")  # fmt: skip
            for new in _chained(stmt, together):  # `cut = m.end()` for `cut = start = m.end()`: one name left behind
                yield _restructured(file, tree, qualname, stmt, body, [*body[:i], new, *body[i + 1 :]],
                                    old, ast.unparse(new))  # fmt: skip
            if isinstance(stmt, ast.If) and not stmt.orelse:  # a guard that should not be there: `if rank == 0:`
                yield _restructured(file, tree, qualname, stmt, body, [*body[:i], *stmt.body, *body[i + 1 :]],
                                    old, "(its body without the if)")  # fmt: skip
            if _in_place(stmt):  # an in-place write to a parameter outside no_grad (autograd refuses it)
                guarded = ast.With([ast.withitem(_NO_GRAD, None)], [stmt])
                yield _restructured(file, tree, qualname, stmt, body, [*body[:i], guarded, *body[i + 1 :]],
                                    old, f"with torch.no_grad(): {old}")  # fmt: skip
            loop = next((j for j in range(i + 2, len(body)) if isinstance(body[j], ast.For | ast.While)), None)
            if loop is not None:  # placed before the loop it should follow (a clip before the backward passes)
                moved = [*body[:i], *body[i + 1 : loop + 1], stmt, *body[loop + 1 :]]
                yield replace(
                    _restructured(file, tree, qualname, stmt, body, moved, old, "(after the loop below)"),
                    loop=_header(body[loop]),
                )
            reset = _flag_reset(stmt, flags)
            if reset is not None:  # a flag that is set and never cleared: `if skip: continue` skips every token after
                guarded = _with_body(stmt, [reset, *stmt.body])
                yield _restructured(file, tree, qualname, stmt, body, [*body[:i], guarded, *body[i + 1 :]],
                                    old, f"{old} {ast.unparse(reset)}")  # fmt: skip
            if isinstance(stmt, ast.If) and len(stmt.body) > 1:  # put under a condition that should not guard it
                first = ast.unparse(stmt.body[0]).splitlines()[0]  # (v21: the CPU RNG restored only with CUDA)
                moved = [*body[:i], stmt.body[0], _with_body(stmt, stmt.body[1:]), *body[i + 1 :]]
                yield replace(_restructured(file, tree, qualname, stmt.body[0], body, moved, first,
                                            "(before the if above it)"), loop=_header(stmt))  # fmt: skip
            if i + 1 < len(body) and isinstance(body[i + 1], ast.If) and not isinstance(stmt, ast.If):
                moved = [*body[:i], _with_body(body[i + 1], [stmt, *body[i + 1].body]), *body[i + 2 :]]
                yield replace(_restructured(file, tree, qualname, stmt, body, moved, old, "(inside the if below)"),
                              loop=_header(body[i + 1]))  # fmt: skip
            if isinstance(stmt, ast.For | ast.While) and i + 1 < len(body):
                moved = [*body[:i], _with_body(stmt, [*stmt.body, body[i + 1]]), *body[i + 2 :]]
                first = ast.unparse(body[i + 1]).splitlines()[0]
                yield replace(_restructured(file, tree, qualname, body[i + 1], body, moved, first,
                                            "(inside the loop above)"), loop=_header(stmt))  # fmt: skip
            # any statement of a loop's body that belongs after the loop (v23: the gradients divided by n inside
            # the micro-batches' loop, before the loss's own line: each earlier micro-batch divided again)
            movable = len(stmt.body) if isinstance(stmt, ast.For | ast.While) and len(stmt.body) > 1 else 0
            for j in reversed(range(movable)):
                part = stmt.body[j]
                text = ast.unparse(part).splitlines()[0]
                moved = [*body[:i], _with_body(stmt, [*stmt.body[:j], *stmt.body[j + 1 :]]), part, *body[i + 1 :]]
                yield replace(
                    _restructured(file, tree, qualname, part, body, moved, text, "(after the loop)"),
                    loop=_header(stmt),
                )
    yield from _rewritten_statements(file, tree, qualname, fn)
    params, defaults = fn.args.args, fn.args.defaults
    if len(params) > len(defaults) + 1:  # the last parameter without a default: `cache` where callers leave it out
        last = params[len(params) - len(defaults) - 1]
        with_default = [ast.Constant(None), *defaults]
        yield _restructured(file, tree, qualname, fn, defaults, with_default, f"def {fn.name}(..., {last.arg})",
                            f"def {fn.name}(..., {last.arg}=None)")  # fmt: skip
    for i in range(len(params) - 1):  # two neighbouring parameters swapped in the signature
        if params[i].arg in ("self", "cls"):
            continue
        a, b = params[i].arg, params[i + 1].arg
        swapped = [*params[:i], params[i + 1], params[i], *params[i + 2 :]]
        yield _restructured(file, tree, qualname, fn, params, swapped, f"def {fn.name}(..., {a}, {b}, ...)",
                            f"def {fn.name}(..., {b}, {a}, ...)")  # fmt: skip
    decorators = fn.decorator_list
    for d, deco in enumerate(decorators):
        if isinstance(deco, ast.Call | ast.Attribute):
            dropped = [*decorators[:d], *decorators[d + 1 :]]
            yield _restructured(file, tree, qualname, deco, decorators, dropped, "@" + ast.unparse(deco), "(dropped)")


def _chained(stmt: ast.stmt, together: dict[str, set[str]]) -> list[ast.stmt]:
    """For ``a = value``, ``a = b = value`` for each name ``b`` the function assigns together with ``a`` elsewhere
    (``cut = start = 0``, then ``cut = m.end()`` where the scan's start should move too)."""
    if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
        return []
    target = stmt.targets[0]
    return [
        ast.copy_location(ast.Assign([target, ast.Name(other, ast.Store())], stmt.value), stmt)
        for other in sorted(together.get(target.id, set()))
    ]


def _written_back(stmt: ast.stmt) -> ast.stmt | None:
    """For a loop whose one statement rebinds its own variable (``for ids in words: ids = f(ids)``), the statement
    that writes the values back into the list it iterates (``words[:] = [f(ids) for ids in words]``)."""
    if not (isinstance(stmt, ast.For) and isinstance(stmt.target, ast.Name) and isinstance(stmt.iter, ast.Name)):
        return None
    if len(stmt.body) != 1 or stmt.orelse or not isinstance(stmt.body[0], ast.Assign):
        return None
    (target,), value = stmt.body[0].targets, stmt.body[0].value
    if not (isinstance(target, ast.Name) and target.id == stmt.target.id):
        return None
    loop = ast.comprehension(ast.Name(target.id, ast.Store()), ast.Name(stmt.iter.id, ast.Load()), [], 0)
    whole = ast.Subscript(ast.Name(stmt.iter.id, ast.Load()), ast.Slice(), ast.Store())
    return ast.fix_missing_locations(ast.copy_location(ast.Assign([whole], ast.ListComp(value, [loop])), stmt))


def _yields(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Yield | ast.YieldFrom)


def _header(stmt: ast.stmt) -> str:
    return ast.unparse(stmt).splitlines()[0]


def _flag_reset(stmt: ast.stmt, flags: set[str]) -> ast.stmt | None:
    """For ``if flag:`` (or ``if not flag:``) on a flag the function sets, the assignment that clears it there."""
    if not isinstance(stmt, ast.If):
        return None
    test, value = stmt.test, False
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        test, value = test.operand, True
    if not (isinstance(test, ast.Name) and test.id in flags):
        return None
    return ast.fix_missing_locations(
        ast.copy_location(ast.Assign([ast.Name(test.id, ast.Store())], ast.Constant(value)), stmt)
    )


_NO_GRAD = ast.Call(ast.Attribute(ast.Name("torch", ast.Load()), "no_grad", ast.Load()), [], [])


def _in_place(stmt: ast.stmt) -> bool:
    """A statement that is one call of an in-place tensor method (``w[V:].zero_()``, ``w.normal_(0, s)``)."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    func = stmt.value.func
    return isinstance(func, ast.Attribute) and func.attr.endswith("_") and not func.attr.startswith("_")


def _rewritten_statements(file: str, tree: ast.Module, qualname: str, fn: ast.FunctionDef) -> Iterator[Edit]:
    """One statement written another way: a dropped result assigned back (``x.masked_fill(...)`` for ``x =
    x.masked_fill(...)``), the input added to what is returned (a residual inside the module),
    something else returned with it (``return x, cache``), ``=`` for ``+=`` and back, an assigned value detached
    (``mean = x.mean(-1).detach()``), a counter advanced by a local name instead of its constant (``+= B``), ``+=``
    written out of place, a ratio clamped at 1, what is returned transposed back, an assert raising ValueError."""
    first = [p for p in [_first_parameter(fn)] if p]
    names = [n for n in _local_names(fn) if n != "_"]
    setters = sorted(_setters(tree))
    transposes = sorted({tuple(ast.unparse(a) for a in node.args) for node in ast.walk(fn) if isinstance(node, ast.Call)
                         and isinstance(node.func, ast.Attribute) and node.func.attr == "transpose"})  # fmt: skip
    stale = _stale_sources(fn)
    for body in _bodies(fn):
        dropped = [i for i, stmt in enumerate(body) if _dropped_result(stmt) is not None]
        if len(dropped) > 1:  # the same slip on each line (x.view(B, T); y.view(B, T)): every result kept
            kept = [ast.fix_missing_locations(ast.copy_location(next(_statement_alternatives(s, [], [])), s))
                    if i in dropped else s for i, s in enumerate(body)]  # fmt: skip
            old = ast.unparse(body[dropped[0]]).splitlines()[0]
            yield _restructured(file, tree, qualname, body[dropped[0]], body, kept, old,
                                f"each of the {len(dropped)} dropped results assigned back")  # fmt: skip
        for i, stmt in enumerate(body):
            for new in [*_statement_alternatives(stmt, first, names), *_set_by_method(stmt, setters),
                        *_transposed_back(stmt, transposes), *_updated_from_itself(stmt, stale)]:  # fmt: skip
                new = ast.fix_missing_locations(ast.copy_location(new, stmt))
                yield _restructured(file, tree, qualname, stmt, body, [*body[:i], new, *body[i + 1 :]],
                                    ast.unparse(stmt).splitlines()[0], ast.unparse(new))  # fmt: skip


# methods that return a new tensor or string and leave their object as it was: a statement that calls one and drops
# the result (``att.masked_fill(mask, -inf)`` for ``att = att.masked_fill(...)``) changes nothing
_OUT_OF_PLACE = frozenset({
    "masked_fill", "clamp", "clamp_min", "clamp_max", "add", "sub", "mul", "div", "tril", "triu", "t", "transpose",
    "permute", "view", "reshape", "contiguous", "float", "double", "to", "softmax", "unsqueeze", "squeeze", "detach",
    "clone", "scatter", "index_fill", "exp", "sqrt", "pow", "neg", "abs", "relu", "replace", "strip", "lower",
})  # fmt: skip


def _dropped_result(stmt: ast.stmt) -> ast.Name | None:
    """The name a result-dropping statement meant to reassign: ``x.masked_fill(...)`` or ``torch.tril(x)``."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return None
    func = stmt.value.func
    if not isinstance(func, ast.Attribute) or func.attr not in _OUT_OF_PLACE:
        return None
    if isinstance(func.value, ast.Name) and func.value.id not in ("torch", "F"):
        return func.value  # a method of the object
    args = stmt.value.args
    if isinstance(func.value, ast.Name) and args and isinstance(args[0], ast.Name):
        return args[0]  # torch.f(x) / F.f(x)
    return None


def _statement_alternatives(stmt: ast.stmt, first: list[str], names: list[str]) -> Iterator[ast.stmt]:
    target = _dropped_result(stmt)
    if target is not None:  # the result kept: assigned back to the name it was computed from
        yield ast.Assign([ast.Name(target.id, ast.Store())], stmt.value)
    if _in_place(stmt) and stmt.value.func.attr[:-1] in _OUT_OF_PLACE and isinstance(stmt.value.func.value, ast.Name):
        # in place where autograd needs a new tensor (v31: `q.mul_(scale)` on a view of the split): out of place
        call, name = stmt.value, stmt.value.func.value.id
        method = ast.Attribute(ast.Name(name, ast.Load()), call.func.attr[:-1], ast.Load())
        yield ast.Assign([ast.Name(name, ast.Store())], ast.Call(method, call.args, call.keywords))
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        if first:
            yield ast.Return(ast.BinOp(ast.Name(first[0], ast.Load()), ast.Add(), stmt.value))
        for name in names:
            yield ast.Return(ast.Tuple([stmt.value, ast.Name(name, ast.Load())], ast.Load()))
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and not isinstance(stmt.targets[0], ast.Tuple):
        yield ast.AugAssign(stmt.targets[0], ast.Add(), stmt.value)
        if isinstance(stmt.value, ast.Call | ast.BinOp | ast.Subscript):
            yield ast.Assign(stmt.targets, ast.Call(ast.Attribute(stmt.value, "detach", ast.Load()), [], []))
        if isinstance(stmt.value, ast.BinOp) and isinstance(stmt.value.op, ast.Div):  # a progress past its end
            yield ast.Assign(stmt.targets, ast.Call(ast.Name("min", ast.Load()), [stmt.value, ast.Constant(1.0)], []))
    if isinstance(stmt, ast.Assert):  # the contract's ValueError where an assert refuses bad input (v35)
        error = ast.Call(ast.Name("ValueError", ast.Load()), [stmt.msg] if stmt.msg else [], [])
        yield ast.If(ast.UnaryOp(ast.Not(), stmt.test), [ast.Raise(error, None)], [])
    if isinstance(stmt, ast.AugAssign):
        yield ast.Assign([stmt.target], stmt.value)
        if isinstance(stmt.target, ast.Name):  # in place keeps the target's dtype: `acc += loss` rounds a float64 loss
            yield ast.Assign([stmt.target], ast.BinOp(ast.Name(stmt.target.id, ast.Load()), stmt.op, stmt.value))
        if isinstance(stmt.value, ast.Constant):
            for name in names:
                yield ast.AugAssign(stmt.target, stmt.op, ast.Name(name, ast.Load()))


def _stale_sources(fn: ast.FunctionDef) -> dict[int, str]:
    """For each assignment ``b = f(a)`` that updates a name ``b`` already bound from ``a`` (``b = g(a)``, ``a``
    not rebound between), ``id`` of that assignment -> ``a``: the update that reads the source again where ``b``
    itself was meant (v31: ``scaled = logits / t``, then ``scaled = logits.masked_fill(logits < kth, ...)``)."""
    rebound, assigns = _bindings(fn)  # stores: (line, target, names read, assignment)
    stores = [(node.lineno, node.targets[0].id, _names_in(node.value), node) for node in assigns]
    stale: dict[int, str] = {}
    for line, b, reads, assign in stores:
        if b in reads:
            continue
        for a in sorted(reads):
            earlier = [at for at, t, r, _ in stores if t == b and at < line and a in r]
            if earlier and not any(max(earlier) < at < line for at in rebound.get(a, [])):
                stale[id(assign)] = a
    return stale


def _updated_from_itself(stmt: ast.stmt, stale: dict[int, str]) -> Iterator[ast.stmt]:
    """The update ``b = f(a)`` read from ``b`` itself: every ``a`` in its value written ``b``."""
    source = stale.get(id(stmt))
    if source is None:
        return
    target = stmt.targets[0].id

    class Rename(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.Name:
            return ast.Name(target, ast.Load()) if node.id == source and isinstance(node.ctx, ast.Load) else node

    yield ast.Assign([ast.Name(target, ast.Store())], Rename().visit(copy.deepcopy(stmt.value)))


def _transposed_back(stmt: ast.stmt, transposes: list[tuple[str, ...]]) -> Iterator[ast.stmt]:
    """What is returned, each part transposed as the function transposes elsewhere (a cache that stores keys
    time-major with ``k.transpose(1, 2)`` and returns them without the transpose back)."""
    if not (isinstance(stmt, ast.Return) and stmt.value is not None):
        return
    parts = stmt.value.elts if isinstance(stmt.value, ast.Tuple) else [stmt.value]
    for dims in transposes:
        args = [ast.parse(d, mode="eval").body for d in dims]
        moved = [ast.Call(ast.Attribute(p, "transpose", ast.Load()), args, []) for p in parts]
        yield ast.Return(ast.Tuple(moved, ast.Load()) if isinstance(stmt.value, ast.Tuple) else moved[0])


def _setters(tree: ast.Module) -> set[str]:
    """Methods the file calls with one value to restore or set something (``x.load_state_dict(s)``)."""
    return {
        node.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and len(node.args) == 1
        and not node.keywords and node.func.attr.startswith(("load", "set_", "update"))
    }  # fmt: skip


def _set_by_method(stmt: ast.stmt, setters: list[str]) -> Iterator[ast.stmt]:
    """``loader.batches = state["loader"]`` for ``loader.load_state_dict(state["loader"])``: an attribute assigned
    the value a method of its object should have restored."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Attribute):
        owner = stmt.targets[0].value
        values = [stmt.value]
        if isinstance(stmt.value, ast.Subscript):  # `opt.state = saved["state"]`: the whole of what was saved
            values.append(stmt.value.value)
        for name in setters:
            for value in values:
                yield ast.Expr(ast.Call(ast.Attribute(owner, name, ast.Load()), [value], []))


def _bodies(fn: ast.FunctionDef) -> Iterator[list[ast.stmt]]:
    yield fn.body
    for node in ast.walk(fn):
        if node is fn or isinstance(node, ast.FunctionDef | ast.ClassDef):
            continue
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                yield body


def _with_body(stmt: ast.stmt, body: list[ast.stmt]) -> ast.stmt:
    new = copy.copy(stmt)
    new.body = body
    return new


def _forgotten_return(fn: ast.FunctionDef) -> ast.expr | None:
    """What a function that returns nothing (no ``return`` of a value, no ``yield``, not ``__init__``) may have
    been meant to return: ``self`` for a method, else the last name its body binds."""
    own, stack = [], list(fn.body)  # its own nodes: a nested function's returns are its own (v24: train's `entry`)
    while stack:
        node = stack.pop()
        own.append(node)
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))
    if fn.name.startswith("__") or any(isinstance(n, ast.Yield | ast.YieldFrom) for n in own):
        return None
    if any(isinstance(n, ast.Return) and n.value is not None for n in own) or isinstance(fn.body[-1], ast.Return):
        return None
    if fn.args.args and fn.args.args[0].arg == "self":
        return ast.Name("self", ast.Load())
    bound = [t.id for s in fn.body if isinstance(s, ast.Assign) for t in s.targets if isinstance(t, ast.Name)]
    return ast.Name(bound[-1], ast.Load()) if bound else None


def _restructured(
    file: str, tree: ast.Module, qualname: str, at: ast.AST, body: list, replacement: list, old: str, new: str
) -> Edit:
    """``body`` (a list of the tree: statements, decorators) replaced for one compile, then put back."""
    was = ast.unparse(at).splitlines()[0] if isinstance(at, ast.stmt) else ""
    saved = list(body)
    body[:] = replacement
    try:
        code = _compile(tree, file)
    finally:
        body[:] = saved
    return Edit(file, at.lineno, qualname, old, new, code, was=was)
