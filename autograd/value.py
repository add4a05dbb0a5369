"""`Value`: one node of the computation graph, and its operators.

A node holds its number (`data`), the gradient of the last root it was differentiated from
(`grad`), the rule that made it and its inputs. Inputs that are plain numbers (``x * 2``) are kept
as constants inside the node rather than as nodes of their own, as PyTorch does with scalars: no
node, no gradient nobody asked for. The local partials for the Value inputs are computed once, when
the node is made, so a backward step is one multiply-add per edge.

Layout: no closures, only slots holding floats and references to the inputs (one or two of
them; a `linear` node, which has any number, keeps them and their partials in two tuples), so a
node is a single object for the garbage collector and a graph is freed by reference counting as
soon as its root is dropped.

The fast paths below build nodes inline, once per operator, rather than through one helper: a
call per operation costs about a quarter of the time it takes to build a node (measured).

micrograd's node API is here too: ``Value(data, _children, _op)``, ``_prev``, ``_op`` and
``_backward``. An operation written micrograd's way (a node made with children, then
``out._backward = fn``) is recorded like any other: `fn` is run once to read its local partials,
which the node then keeps as numbers (see `Value._backward`). So is microgpt's:
``Value(data, children, local_grads)`` with a tuple of numbers as the third argument is a node
whose local partials are those numbers, and ``_children`` / ``_local_grads`` read any node's
inputs and partials as microgpt's Value keeps them.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator
import sys
import threading
import weakref
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from autograd import floats, graph
from autograd.modes import ANOMALY, MODE, NO_GRAD, AnomalyError
from autograd.ops import RULES, Arg, Rule

__all__ = ["RULE_METHODS", "USER_BACKWARD", "VALUE_MATH", "Value", "apply", "linear"]

_new = object.__new__
LEAF = graph.LEAF
_LINEAR = RULES["linear"]
_POW = RULES["pow"]
_MUL = RULES["mul"]
_STRONG = floats.StrongZero
# Types that can never be operands; anything else unknown gets NotImplemented, so that types
# which know how to combine with a Value (through their reflected operators) still can.
_NEVER_NUMBERS = (str, bytes, bytearray, complex, list, tuple, dict, set, frozenset, type(None))


#: While set, each user operation's ``_backward`` function is handed to it as (node, fn) instead
#: of being probed: `autograd.audit` calls the user's function itself, as micrograd's sweep would.
USER_BACKWARD: ContextVar[Callable[[Value, Callable[[], None]], None] | None] = ContextVar(
    "kuibu_user_backward", default=None
)


def _short(obj: object) -> str:
    text = repr(obj)
    return text if len(text) <= 60 else text[:57] + "..."


def _to_float(data: object, where: str) -> float:
    """data as a float, or a TypeError naming where, the type and the value."""
    if isinstance(data, (int, float, numbers.Real)) and not isinstance(data, Value):
        try:
            return float(data)
        except OverflowError:
            raise OverflowError(
                f"{where}: the number {_short(data)} is too large for a float (about 1.8e308 "
                "at most)"
            ) from None
    hint = " (use the Value itself, or v.detach() for a copy)" if isinstance(data, Value) else ""
    raise TypeError(
        f"{where} must be an int, float or bool, not {type(data).__name__}: {_short(data)}{hint}"
    )


def _constant(other: object, rule: Rule, node: Value, reflected: bool) -> Any:
    """The operand beside a Value as a float; a Value; NotImplemented; or a TypeError."""
    cls = other.__class__
    if cls is float or cls is _STRONG:  # a masked zero stays one (create_graph multiplies by it)
        return other
    if cls is int:  # sum()'s start 0, x * 2: no error message is built unless it is needed
        try:
            return float(other)  # type: ignore[arg-type]
        except OverflowError:
            pass
    if cls is int or cls is bool or (
        isinstance(other, (int, float, numbers.Real)) and not isinstance(other, Value)
    ):
        return _to_float(other, f"{rule.name} ({rule.symbol})")
    if isinstance(other, Value):
        return other
    if isinstance(other, _NEVER_NUMBERS):
        pair = f"{_short(other)} and {node!r}" if reflected else f"{node!r} and {_short(other)}"
        raise TypeError(
            f"{rule.name} ({rule.symbol}): cannot combine {pair}: "
            f"{type(other).__name__} is not a number; a Value combines with another Value or "
            "an int, float or bool"
        )
    return NotImplemented


def _make(rule: Rule, a: Any, b: Any, out: float) -> Value:
    """The slow way to make a node, under no_grad or detect_anomaly (or for any rule)."""
    mode = MODE.get()
    if mode & NO_GRAD:
        leaf = _new(Value)
        leaf.data = out
        leaf.grad = 0.0
        leaf._rule = leaf._a = leaf._b = leaf._da = leaf._db = None
        leaf._n = LEAF
        return leaf
    inputs = (a,) if rule.arity == 1 else (a, b)
    if mode & ANOMALY and not math.isfinite(out):
        raise AnomalyError(
            f"detect_anomaly: {rule.name} ({rule.text}) gave {out} from {_describe(inputs)}"
        )
    numbers_in = [x.data if isinstance(x, Value) else x for x in inputs]
    n = _new(Value)
    n.data = out
    n.grad = 0.0
    n._n = 0
    n._rule = rule
    n._a = a
    n._b = b
    n._da = n._db = None
    if isinstance(a, Value):
        n._da = _partial_number(rule.partial(0, floats, *numbers_in, out))
    if isinstance(b, Value):
        n._db = _partial_number(rule.partial(1, floats, *numbers_in, out))
    return n


def _partial_number(d: Any) -> float:
    """A partial as a float, keeping `floats`' special partials (a masked zero, a reciprocal
    that overflowed) what they are."""
    return d if isinstance(d, float) else float(d)


def _describe(inputs: tuple[Any, ...], names: Sequence[str] = ("x", "y")) -> str:
    return ", ".join(
        f"{names[i]} = {x!r}" if isinstance(x, Value) else f"{names[i]} = {x} (a constant)"
        for i, x in enumerate(inputs)
    )


# How a factory-made method computes a partial: a constant, input x, input y, or a function.
_CONST, _X, _Y, _FN = range(4)


def _kinds(rule: Rule) -> list[tuple[int, Any]]:
    """Each partial of `rule` as (kind, constant or function), read once when a method is made."""
    kinds: list[tuple[int, Any]] = []
    for p in rule.partials:
        if isinstance(p, float):
            kinds.append((_CONST, p))
        elif isinstance(p, Arg):
            kinds.append((_X if p.index == 0 else _Y, None))
        else:
            kinds.append((_FN, p))
    return kinds


def _unary(rule: Rule) -> Callable[[Value], Value]:
    forward = rule.forward
    mode = MODE.get  # bound once: one call per operation
    ((k, d),) = _kinds(rule)
    c, fn, fl = k == _CONST, k == _FN, floats  # decided once, read per operation

    def method(self: Value) -> Value:
        x = self.data
        out = forward(x)
        if mode():
            return _make(rule, self, None, out)
        n = _new(Value)
        n.data = out
        n.grad = 0.0
        n._n = 0
        n._rule = rule
        n._a = self
        n._b = None
        n._da = d if c else (d(fl, x, out) if fn else x)
        n._db = None
        return n

    method.__name__ = method.__qualname__ = rule.name
    method.__doc__ = f"The `{rule.name}` operation: {rule.text}. {rule.note}".strip()
    return method


def _binary(rule: Rule) -> Callable[[Value, Any], Value]:
    forward = rule.forward
    mode = MODE.get  # bound once: one call per operation
    (k0, d0), (k1, d1) = _kinds(rule)
    c0, x0, y0 = k0 == _CONST, k0 == _X, k0 == _Y  # decided once, read per operation
    c1, x1, y1 = k1 == _CONST, k1 == _X, k1 == _Y
    fl = floats

    def method(self: Value, other: Any) -> Value:
        x = self.data
        cls = other.__class__
        if cls is Value or (cls is not float and isinstance(other, Value)):  # (or a subclass)
            y = other.data
            out = forward(x, y)
            if mode():
                return _make(rule, self, other, out)
            n = _new(Value)
            n.data = out
            n.grad = 0.0
            n._n = 0
            n._rule = rule
            n._a = self
            n._b = other
            n._da = d0 if c0 else (
                y if y0 else x if x0 else d0(fl, x, y, out))
            n._db = d1 if c1 else (
                x if x1 else y if y1 else d1(fl, x, y, out))
            return n
        y = _constant(other, rule, self, reflected=False)
        if y.__class__ is not float and y.__class__ is not _STRONG:
            # NotImplemented, or a Value of a subclass
            return y if y is NotImplemented else RULE_METHODS[rule.name](self, y)
        out = forward(x, y)
        if mode():
            return _make(rule, self, y, out)
        n = _new(Value)
        n.data = out
        n.grad = 0.0
        n._n = 0
        n._rule = rule
        n._a = self
        n._b = y  # a constant: only self gets a partial
        n._da = d0 if c0 else (
            y if y0 else x if x0 else d0(fl, x, y, out))
        n._db = None
        return n

    method.__name__ = method.__qualname__ = rule.name
    method.__doc__ = f"The `{rule.name}` operation: {rule.text}. {rule.note}".strip()
    return method


def _reflected(rule: Rule) -> Callable[[Value, Any], Value]:
    """The operator with the Value on the right and a number on the left: ``2 - v``, ``2 ** v``."""
    forward = rule.forward
    mode = MODE.get  # bound once: one call per operation
    _, (k1, d1) = _kinds(rule)
    c1, x1, y1, fl = k1 == _CONST, k1 == _X, k1 == _Y, floats

    def method(self: Value, other: Any) -> Value:
        x = _constant(other, rule, self, reflected=True)
        if x.__class__ is not float and x.__class__ is not _STRONG:
            return x if x is NotImplemented else RULE_METHODS[rule.name](x, self)
        y = self.data
        out = forward(x, y)
        if mode():
            return _make(rule, x, self, out)
        n = _new(Value)
        n.data = out
        n.grad = 0.0
        n._n = 0
        n._rule = rule
        n._a = x  # a constant
        n._b = self
        n._da = None
        n._db = d1 if c1 else (
            x if x1 else y if y1 else d1(fl, x, y, out))
        return n

    method.__name__ = method.__qualname__ = "r" + rule.name
    return method


def _common(rule: Rule, general: Callable[[Value, Any], Value],
            reflected: Callable[[Value, Any], Value]) -> tuple[Callable[..., Value], ...]:
    """`add` and `mul` written out by hand: the nodes the factories would make, made directly.

    They are most of what a network's graph is made of (microgpt's is 97% sums and products),
    and these skip what a factory-made method decides per operation (the rule's forward
    function called through a variable, which kind each partial is): measured about a fifth
    faster per node. Anything unusual (another kind of operand, no_grad or detect_anomaly,
    an int too large for a float) goes to the factory-made method, which handles it.
    """
    mode = MODE.get
    new = _new
    is_mul = rule is _MUL
    d = 1.0  # add's partials: ∂(x+y)/∂x = ∂(x+y)/∂y = 1

    def method(self: Value, other: Any) -> Value:
        cls = other.__class__
        if cls is Value:
            if mode():
                return general(self, other)
            x = self.data
            y = other.data
            n = new(Value)
            n.grad = 0.0
            n._n = 0
            n._rule = rule
            n._a = self
            n._b = other
            if is_mul:
                n.data = x * y
                n._da = y  # ∂(x·y)/∂x = y
                n._db = x
            else:
                n.data = x + y
                n._da = d
                n._db = d
            return n
        if cls is float:
            if mode():
                return general(self, other)
            n = new(Value)
            n.grad = 0.0
            n._n = 0
            n._rule = rule
            n._a = self
            n._b = other  # a constant: only self gets a partial
            n._db = None
            if is_mul:
                n.data = self.data * other
                n._da = other
            else:
                n.data = self.data + other
                n._da = d
            return n
        return general(self, other)

    def rmethod(self: Value, other: Any) -> Value:
        # A number on the left: ``sum()``'s start 0 + v, ``2 * v``. The constant stays first,
        # as the factory-made method keeps it (0.0 + x, not x + 0.0: the same float, but the
        # node's inputs are in the order written).
        cls = other.__class__
        if cls is int and -_EXACT_INT <= other <= _EXACT_INT:
            x = float(other)
        elif cls is float:
            x = other
        else:
            return reflected(self, other)
        if mode():
            return reflected(self, other)
        y = self.data
        n = new(Value)
        n.grad = 0.0
        n._n = 0
        n._rule = rule
        n._a = x  # a constant
        n._b = self
        n._da = None
        if is_mul:
            n.data = x * y
            n._db = x
        else:
            n.data = x + y
            n._db = d
        return n

    method.__name__ = method.__qualname__ = rule.name
    method.__doc__ = general.__doc__
    rmethod.__name__ = rmethod.__qualname__ = "r" + rule.name
    return method, rmethod


#: Ints that convert to a float exactly (and so without an OverflowError to word).
_EXACT_INT = 2**53


class Value:
    """A number that remembers how it was computed, so its gradient can be found.

    >>> w, x = Value(0.5, label="w"), Value(1.5, label="x")
    >>> y = (w * x).sigmoid()
    >>> y.backward()
    >>> round(w.grad, 6)  # dy/dw = x * y * (1 - y)
    0.326842
    """

    __slots__ = (
        "__weakref__", "_a", "_b", "_da", "_db", "_g", "_label", "_n", "_rule", "data", "grad"
    )

    data: float
    grad: float
    _rule: Rule | None
    _a: Any  # first input: a Value, a float constant, or None for a leaf
    # second input, or None; for a rule of any arity, the tuple of Value inputs; for a leaf made
    # with micrograd's ``_op`` text (``Value(1.0, _op='+')``), that text
    _b: Any
    _da: float | None  # ∂self/∂_a when _a is a Value, else None
    _db: Any  # ∂self/∂_b (float or None); for a rule of any arity, the tuple of their partials
    _n: int  # LEAF for a leaf; else, during a sweep, uses not yet swept (0 outside a sweep)
    _g: Any  # during a backward sweep: the gradient gathered so far
    _label: str

    def __init__(
        self,
        data: float,
        _children: Sequence[Value] = (),
        _op: str | Sequence[float] = "",
        label: str = "",
        *,
        children: Sequence[Value] | None = None,
        local_grads: Sequence[float] | None = None,
    ) -> None:
        """A leaf holding `data`; with children, a node of an operation defined by the user.

        ``Value(data, label="w")`` is what most code writes. Two ways of defining an operation
        of one's own make a node from its children:

        - micrograd's, ``Value(out, (self,), 'sigmoid')``, the third argument the op's text:
          its inputs are the distinct children in order, and it passes no gradient until
          ``_backward`` is set;
        - microgpt's, ``Value(out, (self,), (d,))``, the third argument a tuple (or list) of
          numbers: one local partial ∂out/∂child per child, in order (a child listed twice
          gets both). The node is named for the function that made it (``tanh`` when a method
          ``tanh`` makes it), so drawings and explanations write it as that call.

        `children` and `local_grads` may also be given by those names, as microgpt calls them.
        """
        self.data = data if data.__class__ is float else _to_float(data, "Value(data)")
        self.grad = 0.0
        self._rule = self._a = self._b = self._da = self._db = None
        self._n = LEAF
        if children is not None or local_grads is not None:
            _children, _op = _by_keyword(_children, _op, children, local_grads)
        if _children or _op:
            if _op.__class__ is str:
                _user_node(self, _children, _op)
            else:
                _local_grads_node(self, _children, _op, sys._getframe(1).f_code.co_name)
        if label:
            self.label = label

    # -- what a node is -----------------------------------------------------------------------

    @property
    def label(self) -> str:
        """The node's name in drawings, explanations and error messages ('' if none)."""
        try:
            return self._label
        except AttributeError:
            return ""

    @label.setter
    def label(self, label: str) -> None:
        if not isinstance(label, str):
            raise TypeError(f"label must be a str, not {type(label).__name__}: {_short(label)}")
        self._label = label

    @property
    def rule(self) -> Rule | None:
        """The table entry of the operation that made this node; None for a leaf."""
        return self._rule

    @property
    def op(self) -> str:
        """The operation's name ('mul', 'tanh', ...); '' for a leaf."""
        return self._rule.name if self._rule is not None else ""

    @property
    def inputs(self) -> tuple[Value | float, ...]:
        """The operation's inputs in order: Values, and plain numbers kept as constants."""
        rule = self._rule
        if rule is None:
            return ()
        if rule.arity == 0:
            return self._a  # type: ignore[no-any-return]
        return (self._a,) if rule.arity == 1 else (self._a, self._b)

    @property
    def parents(self) -> tuple[Value, ...]:
        """The Values this node was computed from, in input order (``a*a`` lists ``a`` twice)."""
        return tuple(x for x in self.inputs if isinstance(x, Value))

    @property
    def params(self) -> tuple[float, ...]:
        """The constant (plain-number) inputs, in input order: the 2 of ``x ** 2``."""
        return tuple(x for x in self.inputs if not isinstance(x, Value))

    @property
    def partials(self) -> tuple[float, ...]:
        """The local derivatives ∂self/∂parent recorded for each parent, in `parents` order."""
        if self._rule is not None and self._rule.arity == 0:
            return self._db  # type: ignore[no-any-return]
        return tuple(d for d in (self._da, self._db) if d is not None)

    @property
    def is_leaf(self) -> bool:
        """True for a Value made by the user (or under no_grad), not by an operation."""
        return self._rule is None

    @property
    def symbol(self) -> str:
        """The operation's symbol as drawings show it ('×', '−', 'σ'); '' for a leaf."""
        return self._rule.symbol if self._rule is not None else ""

    # micrograd's names, so that code written for it (its draw_dot, say) runs unchanged.
    @property
    def _prev(self) -> tuple[Value, ...]:
        """The inputs (`parents`): an ordered tuple where micrograd keeps a set."""
        return self.parents

    @property
    def _op(self) -> str:
        """The operation as micrograd's ``_op`` writes it: '+', '*', '**2', 'ReLU', 'tanh'.

        Operations micrograd composes are one node here, written '-' (sub and neg) and '/';
        the rest by their names ('log', 'sigmoid'). `symbol` is what drawings show.
        """
        rule = self._rule
        if rule is None:
            return self._b if self._b.__class__ is str else ""
        if rule.user:
            return rule.micrograd
        text = rule.micrograd or rule.name
        if rule is _POW and self._b.__class__ is not Value:
            y = self._b  # micrograd writes f'**{exponent}'; a whole number without '.0'
            text += str(int(y)) if y.is_integer() and abs(y) < 1e16 else repr(y)
        return text

    # microgpt's names: its Value keeps the inputs and their local partials in two tuples.
    @property
    def _children(self) -> tuple[Value, ...]:
        """The Value inputs in order, as microgpt's ``_children`` (plain-number inputs are
        constants inside the node, not children); `_local_grads` pairs with it."""
        db = self._db
        if db is None:
            return () if self._da is None else (self._a,)
        b = self._b
        if b.__class__ is tuple:  # a node of any number of inputs
            return b
        return (b,) if self._da is None else (self._a, b)

    @property
    def _local_grads(self) -> tuple[float, ...]:
        """∂self/∂child for each of `_children`, in the same order: microgpt's ``_local_grads``.

        So microgpt's backward step, ``child.grad += local_grad * v.grad`` over
        ``zip(v._children, v._local_grads)``, runs on kuibu's nodes as on its own.
        """
        db = self._db
        if db is None:
            return () if self._da is None else (self._da,)
        if db.__class__ is tuple:
            return db
        return (db,) if self._da is None else (self._da, db)

    @property
    def _backward(self) -> Callable[[], None]:
        """micrograd's backward step for this node alone: adds ``self.grad`` × each recorded
        local partial into its input's ``.grad``.

        Set ``o.grad = 1.0`` and call ``_backward()`` on each node from the output back (as
        micrograd's lecture does by hand, or over a topological order) and the inputs' gradients
        are what ``backward()`` gives. A method reading the recorded partials: no closure per node.
        Assigning a function instead defines a user operation's derivative (see the setter).
        """
        return self._backward_step

    @_backward.setter
    def _backward(self, fn: Callable[[], None]) -> None:
        """Record a user operation's local partials by running its micrograd-style `fn` once.

        `fn` must add ``out.grad ×`` its partial into each child's ``.grad`` (as micrograd's
        closures do): it is called once with ``out.grad = 1`` and the children's grads at 0, each
        child's grad then is its partial, and every grad is put back. So `fn` must be linear in
        ``out.grad`` and read only ``.data`` (true of micrograd's); a child listed twice gets the
        sum of its partials once. On a node made by kuibu's own rules this is refused.
        """
        if not callable(fn):
            raise TypeError(
                f"_backward must be a function taking no arguments, not {type(fn).__name__}: "
                f"{_short(fn)}"
            )
        rule = self._rule
        watch = USER_BACKWARD.get()
        if watch is not None and (rule is None or rule.user):
            watch(self, fn)
            return
        if rule is None:
            return  # a leaf has no inputs to pass a gradient to; micrograd's is a no-op too
        if not rule.user:
            raise TypeError(
                f"{self!r} was made by kuibu's {rule.name!r} rule, whose partials come from the "
                "rule table; to define an operation of your own, make its node with "
                "Value(data, children, op) and set _backward on that, or register a Rule"
            )
        children = self.parents
        saved = [c.grad for c in children]
        saved_out = self.grad
        try:
            for c in children:
                c.grad = 0.0
            self.grad = 1.0
            fn()
            found = [c.grad for c in children]
        finally:
            for c, g in zip(children, saved, strict=True):
                c.grad = g
            self.grad = saved_out
        partials = []
        for i, (c, d) in enumerate(zip(children, found, strict=True)):
            if not isinstance(d, (int, float, numbers.Real)) or isinstance(d, bool):
                raise TypeError(
                    f"the _backward of {rule.micrograd!r} left child {i} ({c!r}) with grad "
                    f"{_short(d)}, not a number"
                )
            partials.append(float(d))
        _record_user_partials(self, partials)

    def _backward_step(self) -> None:
        g = self.grad
        for parent, d in zip(self.parents, self.partials, strict=True):
            parent.grad += g * d

    def detach(self) -> Value:
        """A new leaf with the same data (and label), cut off from this node's graph."""
        return Value(self.data, label=self.label)

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{label})"

    # -- gradients ----------------------------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Add ∂self/∂n (times `grad`) into ``n.grad`` for every node n this one depends on.

        One reverse topological sweep, computed fresh each call (so calling it twice adds the
        same gradients twice, as in PyTorch), without recursion.
        """
        graph.backward(self, grad)

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on this node and every node behind it."""
        graph.zero_grad(self)

    # -- operations (all of them entries of autograd.ops.RULES) -------------------------------

    __add__, __radd__ = _common(RULES["add"], _binary(RULES["add"]), _reflected(RULES["add"]))
    __sub__ = _binary(RULES["sub"])
    __rsub__ = _reflected(RULES["sub"])
    __mul__, __rmul__ = _common(_MUL, _binary(_MUL), _reflected(_MUL))
    __truediv__ = _binary(RULES["div"])
    __rtruediv__ = _reflected(RULES["div"])
    __pow__ = _binary(RULES["pow"])
    __rpow__ = _reflected(RULES["pow"])
    __neg__ = _unary(RULES["neg"])
    __abs__ = _unary(RULES["abs"])
    # Each rule's name is a method too (``a.mul(b)`` is ``a * b``), as the table promises.
    add = __add__
    sub = __sub__
    mul = __mul__
    div = __truediv__
    pow = __pow__
    neg = __neg__
    abs = __abs__
    exp = _unary(RULES["exp"])
    log = _unary(RULES["log"])
    sqrt = _unary(RULES["sqrt"])
    sin = _unary(RULES["sin"])
    cos = _unary(RULES["cos"])
    tan = _unary(RULES["tan"])
    tanh = _unary(RULES["tanh"])
    sigmoid = _unary(RULES["sigmoid"])
    softplus = _unary(RULES["softplus"])
    relu = _unary(RULES["relu"])
    _leaky_relu = _binary(RULES["leaky_relu"])
    max = _binary(RULES["max"])  # the larger of self and the other (torch.maximum)

    def leaky_relu(self, slope: float = 0.01) -> Value:
        """x if x > 0 else slope * x; the slope may be a number or a Value."""
        return self._leaky_relu(slope)

    def linear(self, *inputs: Any) -> Value:
        """The `linear` rule with this Value first: ``w.linear(x, b)`` is w·x + b as one node
        (inputs w0, x0, w1, x1, …, b; see the module function `linear`)."""
        return _variadic(_LINEAR, (self, *inputs))

    def __pos__(self) -> Value:
        return self

    # -- copying and pickling: the whole graph behind a node, any depth (see the end) --------

    def __copy__(self) -> Value:
        """A new node with this one's number, gradient, label, rule and inputs (the same
        inputs, not copies of them)."""
        twin = _new(Value)
        _fill(twin, _state(self))
        return twin

    def __deepcopy__(self, memo: dict[int, Any]) -> Value:
        """A copy of the node and of every node behind it not yet copied (`memo`, as `copy`
        keeps it), made in a loop, so a graph a million operations deep copies too."""
        return _copy_graph(self, memo)

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """How pickle writes a node: first the nodes behind it not yet written, inputs first,
        then its own fields, which name its inputs; so pickling never recurses deeper than one
        node, whatever the graph's depth."""
        return _reduce(self)

    def __setstate__(self, state: tuple[Any, ...]) -> None:
        _fill(self, state)


#: Each rule's function on Values, by rule name: what formulas and parsers call.
RULE_METHODS: dict[str, Callable[..., Value]] = {
    **{name: getattr(Value, name) for name in RULES},
    "linear": lambda *inputs: _variadic(_LINEAR, inputs),
}
assert set(RULE_METHODS) == set(RULES), "every rule needs its Value method"
_BUILTIN = frozenset(RULES)


def _variadic(rule: Rule, inputs: Sequence[Any]) -> Value:
    """A node of a rule that takes any number of inputs (Values or numbers, in order)."""
    # Comprehensions and slices, not loops: a neuron's node has dozens of inputs.
    args = list(inputs)
    numbers_in = [x.data if x.__class__ is Value else x for x in args]
    constants = [i for i, x in enumerate(args) if x.__class__ is not Value]
    for i in constants:
        x = args[i]
        if x.__class__ is not float:
            x = args[i] = x if isinstance(x, Value) else _to_float(x, f"{rule.name} input {i}")
            numbers_in[i] = x.data if isinstance(x, Value) else x
    out = rule.forward(*numbers_in)
    mode = MODE.get()
    if mode & NO_GRAD:
        return _make(rule, None, None, out)
    if mode & ANOMALY and not math.isfinite(out):
        names, text, _ = rule.formulas(len(args))
        raise AnomalyError(
            f"detect_anomaly: {rule.name} ({text}) gave {out} from {_describe(tuple(args), names)}"
        )
    every = rule.partials[0](floats, numbers_in, out)  # type: ignore[operator]
    n = _new(Value)
    n.data = out
    n.grad = 0.0
    n._n = 0
    n._rule = rule
    n._a = tuple(args)
    n._da = None
    # The Value inputs and their partials, in input order: what the sweep walks.
    if constants:
        n._b = tuple([x for x in args if x.__class__ is not float])
        n._db = tuple([d for x, d in zip(args, every) if x.__class__ is not float])  # noqa: B905
    else:
        n._b = n._a
        n._db = tuple(every)
    return n


# -- operations defined by the user ----------------------------------------------------------


def _user_node(node: Value, children: Any, op: str) -> None:
    """Make `node` micrograd's ``Value(data, children, op)``: a user operation of its children."""
    if not isinstance(op, str):
        raise TypeError(f"Value(_op) must be a str, not {type(op).__name__}: {_short(op)}")
    distinct: list[Value] = []
    seen: set[int] = set()
    for c in _child_values(children, "Value(data, _children, _op, label)"):
        if id(c) not in seen:  # micrograd keeps children in a set: a child listed twice is one
            seen.add(id(c))
            distinct.append(c)
    if not distinct:  # Value(1.0, _op='+'): a leaf that carries micrograd's op text
        node._b = op
        return
    if MODE.get() & NO_GRAD:  # as every operation under no_grad: a leaf, no graph
        return
    node._n = 0
    node._a = distinct[0] if len(distinct) <= 2 else tuple(distinct)
    # No gradient passes until _backward is set, as micrograd's default does nothing.
    _record_user_partials(node, [floats.STRONG_ZERO] * len(distinct), op, tuple(distinct))


def _by_keyword(
    _children: Any, _op: Any, children: Any, local_grads: Any
) -> tuple[Any, Any]:
    """The children and third argument, given by position or by microgpt's keyword names."""
    if children is not None:
        if len(_children) if isinstance(_children, (tuple, list)) else _children:
            raise TypeError("Value: the children were given twice, by position and as children=")
        _children = children
    if local_grads is not None:
        if _op:
            raise TypeError(
                "Value: give the op text (micrograd) or local_grads= (microgpt), not both"
            )
        _op = local_grads
    return _children, _op


def _child_values(children: Any, where: str) -> tuple[Value, ...]:
    """The children as a tuple of Values, or a TypeError naming the one that is not."""
    if isinstance(children, str):
        raise TypeError(
            f"{where}: the children must be a tuple of Values, not the str {_short(children)}; "
            f"to name the node write label={children!r}"
        )
    try:
        items = tuple(children)
    except TypeError:
        raise TypeError(
            f"{where}: the children must be a tuple of Values, not {type(children).__name__}: "
            f"{_short(children)}"
        ) from None
    for i, c in enumerate(items):
        if not isinstance(c, Value):
            raise TypeError(
                f"{where}: child {i} must be a Value, not {type(c).__name__}: "
                f"{_short(c)} (a constant belongs in the data, not among the children)"
            )
    return items


def _local_grads_node(node: Value, children: Any, local_grads: Any, caller: str) -> None:
    """Make `node` microgpt's ``Value(data, children, local_grads)``: a user operation of its
    children whose local partials are the numbers given, named for the function `caller`."""
    where = "Value(data, children, local_grads)"
    if not isinstance(local_grads, (tuple, list)):
        raise TypeError(
            f"Value(data, children, ...): the third argument is micrograd's op text (a str) or "
            f"microgpt's local gradients (a tuple of numbers, one per child), not "
            f"{type(local_grads).__name__}: {_short(local_grads)}"
        )
    kids = _child_values(children, where)
    if not local_grads:  # as Value(data, children): no partials until _backward is set
        _user_node(node, kids, "")
        return
    if len(local_grads) != len(kids):
        raise ValueError(
            f"{where}: {len(kids)} children but {len(local_grads)} local gradients; give one "
            "local gradient (∂out/∂child) per child, in the children's order"
        )
    partials: list[float] = []
    for i, d in enumerate(local_grads):
        if d.__class__ is float:
            partials.append(d)
        elif isinstance(d, Value):
            raise TypeError(
                f"{where}: local gradient {i} is a Value ({d!r}); local gradients are numbers "
                "(write its .data)"
            )
        else:
            partials.append(_to_float(d, f"{where}: local gradient {i}"))
    mode = MODE.get()
    if mode & NO_GRAD:  # as every operation under no_grad: a leaf, no graph
        return
    name = caller.strip("_")
    op = name if name.isidentifier() else ""
    if mode & ANOMALY and not all(math.isfinite(x) for x in (node.data, *partials)):
        raise AnomalyError(
            f"detect_anomaly: the user operation {op or '(unnamed)'} gave {node.data} with "
            f"local gradients {tuple(partials)} from {_describe(kids)}"
        )
    node._n = 0
    _record_user_partials(node, partials, op, kids, call=False)


def _record_user_partials(
    node: Value, partials: Sequence[float], op: str | None = None,
    children: tuple[Value, ...] | None = None, call: bool = True,
) -> None:
    """Store a user operation's partials in the node's slots, with a rule describing them.

    `call`: whether a table rule that `op` names writes the node's value (micrograd's op text
    is the user's word for what the node computes; a name found from the calling function is
    not).
    """
    rule = node._rule
    if op is None:
        assert rule is not None
        op = rule.micrograd
    kids = children if children is not None else node.parents
    node._rule = _user_rule(op, node, partials, call)
    if len(kids) == 1:
        node._a, node._da = kids[0], partials[0]
    elif len(kids) == 2:
        node._a, node._b = kids
        node._da, node._db = partials
    else:
        node._a = node._b = kids
        node._db = tuple(partials)


def _formula_number(v: float) -> str:
    """A number as formula text that reads back as the same float (inf and nan included)."""
    if math.isfinite(v):
        return repr(float(v))
    if v != v:
        return "1e+308 * 10 - 1e+308 * 10"
    return "1e+308 * 10" if v > 0 else "-1e+308 * 10"


def _user_rule(op: str, node: Value, partials: Sequence[float], call: bool = True) -> Rule:
    """The rule of one user-operation node: its own op text, its partials as recorded numbers.

    The formula language knows only the table's functions, so the value is written as a call
    when `op` names one of the same arity (``tanh(x)``) and `call` trusts it to, else as its
    number; each partial is the number the user gave (through ``_backward`` or local_grads).
    """
    n = len(partials)
    names = ("x",) if n == 1 else ("x", "y") if n == 2 else tuple(f"x{i}" for i in range(n))
    known = RULES.get(op) if call else None
    if known is not None and known.arity == n and op not in ("add", "sub", "mul", "div", "pow",
                                                             "neg"):
        text = f"{op}({', '.join(names)})"
    else:
        text = _formula_number(node.data)
    partial_texts = tuple(_formula_number(d) for d in partials)
    recorded = tuple(partials)
    symbol = op or "f"
    if call:
        note = (f"a user operation {op!r} (micrograd style): its partials are the numbers its "
                "_backward gave, constants for higher derivatives")
    else:
        note = (f"a user operation {op!r} (microgpt style): its partials are the local "
                "gradients given, constants for higher derivatives")
    if n <= 2:
        return Rule(
            op or "user", n, _no_forward, tuple(float(d) for d in recorded), symbol, text,
            partial_texts, (WIDE_DOMAIN,) * n, note=note, micrograd=op, user=True,
        )
    return Rule(
        op or "user", 0, _no_forward, (lambda M, inputs, out: recorded,), symbol, text,
        (", ".join(partial_texts),), (WIDE_DOMAIN,), note=note,
        expand=lambda k: (names, text, partial_texts), micrograd=op, user=True,
    )


WIDE_DOMAIN = ((-3.0, 3.0),)


def _no_forward(*inputs: float) -> float:
    raise TypeError(
        "a user-defined operation (made micrograd's or microgpt's way) has no forward function "
        "in kuibu: its node holds the value the user's code computed, so kuibu cannot compute it "
        "again (for other inputs, or in a generated program); register a Rule "
        "(autograd.register) to have one"
    )


def linear(weights: Sequence[Any], inputs: Sequence[Any], bias: Any = 0.0) -> Value:
    """w0·x0 + w1·x1 + … + b as one `linear` node: a neuron's net input in one step.

    Each of the weights, inputs and the bias is a Value or a number (numbers are constants).

    >>> w, b = [Value(0.5, label="w0"), Value(-1.0, label="w1")], Value(0.1, label="b")
    >>> net = linear(w, [2.0, 3.0], b)
    >>> net.data, net.op
    (-1.9, 'linear')
    >>> net.backward()
    >>> [x.grad for x in w], b.grad
    ([2.0, 3.0], 1.0)
    """
    k = len(weights)
    if len(inputs) != k:
        raise ValueError(f"linear: {k} weights but {len(inputs)} inputs; they pair up")
    flat: list[Any] = [bias] * (2 * k + 1)
    flat[0 : 2 * k : 2] = weights
    flat[1 : 2 * k : 2] = inputs
    if k and not MODE.get():
        node = _linear_node(weights, inputs, bias, flat)
        if node is not None:
            return node
    return _variadic(_LINEAR, flat)


def _linear_node(
    weights: Sequence[Any], inputs: Sequence[Any], bias: Any, flat: list[Any]
) -> Value | None:
    """The `linear` node `_variadic` would make, built directly in the common cases (measured
    about twice as fast): the weights all Values or all floats, the inputs too (not both
    floats), the bias a Value or a float. None otherwise, for `_variadic` to make."""
    kinds_w = {w.__class__ for w in weights}
    kinds_x = {x.__class__ for x in inputs}
    if len(kinds_w) != 1 or len(kinds_x) != 1:
        return None
    w_values, x_values = Value in kinds_w, Value in kinds_x
    if not (w_values or float in kinds_w) or not (x_values or float in kinds_x) or not (
        w_values or x_values
    ):
        return None
    cls = bias.__class__
    if cls is Value:
        bias_data, bias_value = bias.data, True
    elif cls is float:
        bias_data, bias_value = bias, False
    else:
        return None
    wd: Sequence[Any] = [w.data for w in weights] if w_values else weights
    xd: Sequence[Any] = [x.data for x in inputs] if x_values else inputs
    n = _new(Value)
    # Left to right, as the rule's forward (and w0*x0 + w1*x1 + ... + b written out) adds them.
    n.data = functools.reduce(operator.add, map(operator.mul, wd, xd)) + bias_data
    n.grad = 0.0
    n._n = 0
    n._rule = _LINEAR
    n._a = tuple(flat)
    n._da = None
    # The Value inputs and their partials (∂/∂wₖ = xₖ, ∂/∂xₖ = wₖ, ∂/∂b = 1), in input order.
    if w_values and x_values:
        k2 = 2 * len(wd)
        partials = [1.0] * (k2 + bias_value)
        partials[0:k2:2] = xd
        partials[1:k2:2] = wd
        n._b = n._a if bias_value else n._a[:-1]
        n._db = tuple(partials)
    else:
        values, numbers_ = (weights, xd) if w_values else (inputs, wd)
        n._b = (*values, bias) if bias_value else tuple(values)
        n._db = (*numbers_, 1.0) if bias_value else tuple(numbers_)
    return n


def apply(rule: Rule | str, *inputs: Any) -> Any:
    """Apply one rule of the table to its inputs, Values or numbers in any position.

    ``apply("sub", 2, v)`` is ``2 - v``; with no Value among the inputs the result is the float.
    """
    if isinstance(rule, str):
        if rule not in RULES:
            raise ValueError(f"unknown operation {rule!r}; the table has {', '.join(RULES)}")
        rule = RULES[rule]
    if rule.arity == 0:
        rule.formulas(len(inputs))  # refuses a count the rule does not take, saying why
        if not any(isinstance(x, Value) for x in inputs):
            return rule.forward(*[_to_float(x, f"{rule.name} input") for x in inputs])
        return _variadic(rule, inputs)
    if len(inputs) != rule.arity:
        raise TypeError(f"{rule.name} takes {rule.arity} input(s), got {len(inputs)}")
    if isinstance(inputs[0], Value):
        return RULE_METHODS[rule.name](*inputs)
    args = [_to_float(x, f"{rule.name} input") if not isinstance(x, Value) else x for x in inputs]
    if not any(isinstance(x, Value) for x in args):
        return rule.forward(*args)
    numbers_in = [x.data if isinstance(x, Value) else x for x in args]
    return _make(rule, args[0], args[1], rule.forward(*numbers_in))


class _ValueMath:
    """The namespace in which a rule's partials build Values (for create_graph)."""

    @staticmethod
    def val(x: Any) -> float:
        return x.data if isinstance(x, Value) else float(x)

    @staticmethod
    def div(x: Any, y: Any) -> Any:
        if isinstance(x, Value) or isinstance(y, Value):
            return x / y
        return floats.div(x, y)

    @staticmethod
    def pow(x: Any, y: Any) -> Any:
        if isinstance(x, Value) or isinstance(y, Value):
            return x**y
        return floats.pow(x, y)

    @staticmethod
    def reciprocal(x: Any) -> Any:
        return 1.0 / x if isinstance(x, Value) else floats.reciprocal(x)

    @staticmethod
    def varies(x: Any) -> bool:
        return isinstance(x, Value)

    @staticmethod
    def finite(x: Any) -> bool:
        return math.isfinite(_ValueMath.val(x))

    @staticmethod
    def step(x: Any) -> float:
        return floats.step(_ValueMath.val(x))  # flat: the derivative of a step is 0

    @staticmethod
    def sign(x: Any) -> float:
        return floats.sign(_ValueMath.val(x))


def _lift(name: str) -> Callable[[Any], Any]:
    float_fn = getattr(floats, name)
    method = RULE_METHODS[name]

    def fn(x: Any) -> Any:
        return method(x) if isinstance(x, Value) else float_fn(x)

    return fn


for _name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "softplus"):
    setattr(_ValueMath, _name, staticmethod(_lift(_name)))

VALUE_MATH: Any = _ValueMath


# -- copying and pickling ----------------------------------------------------------------------
#
# A node's state is its number, gradient, label, a reference to its rule and its four input
# slots (inputs and partials). Rules are referred to by name, so a table's rule stays the one
# object it is (a registered rule must be registered again before loading); a user operation's
# rule (micrograd style) is made again from its op text and its recorded partials.


def _rule_reference(rule: Rule | None) -> Any:
    if rule is None:
        return None
    if rule.user:
        return ("user", rule.micrograd)
    return rule.name


def _state(node: Value) -> tuple[Any, ...]:
    return (node.data, node.grad, getattr(node, "_label", ""), _rule_reference(node._rule),
            node._a, node._b, node._da, node._db)


def _value_inputs(node: Value) -> tuple[Value, ...]:
    """The node's Value inputs read from its slots, as the sweep reads them (`parents`)."""
    if node._db is not None:
        b = node._b
        if b.__class__ is tuple:
            return b
        return (node._a, b) if node._da is not None else (b,)
    return (node._a,) if node._da is not None else ()


def _fill(node: Value, state: tuple[Any, ...]) -> None:
    """Set a new node's fields from `_state`'s tuple."""
    data, grad, label, rule, a, b, da, db = state
    node.data = data
    node.grad = grad
    node._a, node._b, node._da, node._db = a, b, da, db
    if label:
        node._label = label
    if rule is None:
        node._rule = None
        node._n = LEAF
        return
    node._n = 0
    if isinstance(rule, str):
        found = RULES.get(rule)
        if found is None:
            raise ValueError(
                f"a pickled node was made by the operation {rule!r}, which is not in this "
                "process's rule table; register it (autograd.register) before loading"
            )
        node._rule = found
        return
    _, op = rule
    partials = list(db) if da is None and isinstance(db, tuple) else [
        d for d in (da, db) if d is not None]
    node._rule = _user_rule(op, node, partials)


def _behind(node: Value, known: Any) -> list[Value]:
    """The nodes behind `node` (itself excluded) that `known` does not hold (by id), inputs
    first, in `topological_order`'s order; a known node's own inputs are not visited."""
    order: list[Value] = []
    seen: set[int] = set()
    stack: list[Any] = [node]
    done = graph._DONE  # on the stack above a node whose inputs are all finished
    while stack:
        n = stack.pop()
        if n is done:
            order.append(stack.pop())
            continue
        if id(n) in seen:
            continue
        seen.add(id(n))
        stack.append(n)
        stack.append(done)
        for p in reversed(_value_inputs(n)):
            if id(p) not in seen and id(p) not in known:
                stack.append(p)
    order.pop()  # the node itself, last
    return order


def _copy_graph(node: Value, memo: dict[int, Any]) -> Value:
    found = memo.get(id(node))
    if found is not None:
        return found  # type: ignore[no-any-return]
    for n in [*_behind(node, memo), node]:
        twin = _new(Value)
        data, grad, label, _, a, b, da, db = _state(n)
        a = memo[id(a)] if a.__class__ is Value else (
            tuple(memo[id(x)] if isinstance(x, Value) else x for x in a)
            if isinstance(a, tuple) else a)
        b = memo[id(b)] if b.__class__ is Value else (
            tuple(memo[id(x)] if isinstance(x, Value) else x for x in b)
            if isinstance(b, tuple) else b)
        if n._rule is not None and n._rule.arity == 0 and n._a is n._b:
            a = b  # a node of any arity whose inputs are all Values keeps one tuple
        twin.data, twin.grad, twin._a, twin._b, twin._da, twin._db = data, grad, a, b, da, db
        twin._rule = n._rule  # rules are shared, never copied: they are the table's entries
        twin._n = n._n if n._rule is None else 0
        if label:
            twin._label = label
        memo[id(n)] = twin
    return memo[id(node)]  # type: ignore[no-any-return]


class _Session:
    """One pickling: the pickler keeps this object in its memo, so it lives exactly as long as
    the pickling does (a weak reference tells a later pickling from this one)."""

    __slots__ = ("__weakref__",)

    def __reduce__(self) -> tuple[Any, ...]:
        return (bool, ())  # nothing to load: a placeholder in the first node's arguments


_PICKLING = threading.local()


def _reduce(node: Value) -> tuple[Any, ...]:
    ctx = _PICKLING
    try:
        session = ctx.session()
        written: set[int] = ctx.written
    except AttributeError:  # this thread's first pickling
        session = None
    first: tuple[Any, ...] = ()
    if session is None:  # a new pickling: nothing of any graph written yet
        session = _Session()
        written = set()
        # When the pickler lets the session go, the ids it wrote go too (not kept till the next).
        ctx.session = weakref.ref(session, lambda _: written.clear())
        ctx.written = written
        first = (session,)
    before: Any = ()
    if node._rule is not None:
        for p in _value_inputs(node):
            if id(p) not in written:  # some input is not written yet: everything behind, first
                before = tuple(_behind(node, written))
                written.update(map(id, before))
                break
    written.add(id(node))
    return (_unpickle, (before, *first), _state(node))


def _unpickle(*before: Any) -> Value:
    """A blank node, filled by `__setstate__`; its arguments (the nodes written before it) are
    already loaded and need nothing more."""
    return _new(Value)
