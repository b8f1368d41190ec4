"""RDS parameter values: the DB parameter formula language (`{DBInstanceClassMemory/12582880}`,
`LEAST({DBInstanceClassMemory/9531392},5000)`, `GREATEST({log(DBInstanceClassMemory/805306368)*45},...)`)
evaluated safely, and the memory a DB instance class gives the database (DBInstanceClassMemory).

The language (RDS User Guide, "Specifying DB parameters"): a formula is `{...}` holding variables,
integers, `*` and `/` (integer results, decimals truncated) and `log(...)` (log base 2, truncated);
functions GREATEST, LEAST and SUM (case-insensitive) take integers or formulas. Anything else is
refused with FormulaError, never evaluated as code.

DBInstanceClassMemory is "the memory available to the database processes: the class's total memory
minus what is reserved for the operating system and the RDS processes that manage the instance"; AWS
publishes no table of it. srvmon estimates it as the nominal memory of the class (MEMORY_GIB below,
from the RDS instance class tables) minus RESERVE_BASE_MIB + RESERVE_FRACTION of it: 1 GiB -> 793 MiB,
2 GiB -> 1787 MiB, 4 GiB -> 3773 MiB, 8 GiB -> 7746 MiB, 16 GiB -> 15692 MiB. With the MySQL default
`{DBInstanceClassMemory/12582880}` that gives 66, 148, 314 and 645 connections for 1-8 GiB classes
(commonly reported: 66, 150, 312, 648), and the Aurora defaults give the round figures Aurora documents
(Aurora MySQL db.t3.medium 90, db.r6g.large 1000). The estimate can be off by a few %; set
`rds_max_connections` for an instance whose exact figure matters, or an integer max_connections in its
parameter group.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

MIB = 1024 * 1024
GIB = 1024 * MIB
#: The reserve srvmon subtracts from a class's nominal memory: 200 MiB + 3% of it.
RESERVE_BASE_MIB = 200
RESERVE_FRACTION = 0.03
#: Aurora Serverless v2: one ACU is about 2 GiB of memory; a db.serverless instance sizes
#: max_connections on the cluster's maximum capacity.
GIB_PER_ACU = 2.0

#: Burstable classes: size -> GiB.
_T_SIZES = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}
#: General purpose (m) 8 GiB, memory optimised (r) 16 GiB and x2g 32 GiB per "large" unit; an NxLarge
#: size is 2N units (xlarge = 2 units, 2xlarge = 4 ...).
_PER_LARGE = {"m": 8, "r": 16, "x2g": 32}
_T_FAMILIES = frozenset({"t2", "t3", "t4g"})
_M_FAMILIES = frozenset(
    {"m4", "m5", "m5d", "m6g", "m6gd", "m6i", "m6id", "m6in", "m6idn", "m7g", "m7i", "m8g"}
)
_R_FAMILIES = frozenset(
    {"r5", "r5b", "r5d", "r6g", "r6gd", "r6i", "r6id", "r6in", "r6idn", "r7g", "r7i", "r8g"}
)
_SIZE = re.compile(r"^(?:(\d+)xlarge|xlarge|large)$")

#: Engine -> the default max_connections formula of its default parameter group.
ENGINE_DEFAULTS: dict[str, str] = {
    "mysql": "{DBInstanceClassMemory/12582880}",
    "mariadb": "{DBInstanceClassMemory/12582880}",
    "postgres": "LEAST({DBInstanceClassMemory/9531392},5000)",
    "aurora-postgresql": "LEAST({DBInstanceClassMemory/9531392},5000)",
    "aurora-mysql": "GREATEST({log(DBInstanceClassMemory/805306368)*45},{log(DBInstanceClassMemory/8187281408)*1000})",
    "aurora": "GREATEST({log(DBInstanceClassMemory/805306368)*45},{log(DBInstanceClassMemory/8187281408)*1000})",
}  # fmt: skip


class FormulaError(ValueError):
    """A parameter value srvmon cannot evaluate; the message says what is wrong."""


def nominal_gib(instance_class: str) -> float | None:
    """The memory of an RDS instance class in GiB ('db.r6g.large' -> 16), None when not in the table."""
    parts = instance_class.split(".")
    if len(parts) != 3 or parts[0] != "db":
        return None
    family, size = parts[1], parts[2]
    if family in _T_FAMILIES:
        return float(_T_SIZES[size]) if size in _T_SIZES else None
    per = _PER_LARGE["m"] if family in _M_FAMILIES else _PER_LARGE["r"] if family in _R_FAMILIES else None
    if family == "x2g":
        per = _PER_LARGE["x2g"]
    m = _SIZE.match(size)
    if per is None or m is None:
        return None
    units = 1 if size == "large" else 2 if size == "xlarge" else 2 * int(m.group(1))
    return float(per * units)


def class_memory(nominal_gib_: float) -> int:
    """srvmon's estimate of DBInstanceClassMemory (bytes) for a class with this much memory."""
    total = nominal_gib_ * GIB
    return int(total - RESERVE_BASE_MIB * MIB - RESERVE_FRACTION * total)


# ---- the formula language --------------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(\d+)|([A-Za-z_][A-Za-z0-9_]*)|(.))")
_FUNCTIONS: dict[str, Callable[[list[float]], float]] = {"GREATEST": max, "LEAST": min, "SUM": sum}
MAX_LENGTH = 1000


class _Parser:
    def __init__(self, text: str, variables: dict[str, float]) -> None:
        self.tokens: list[tuple[str, str]] = []
        for m in _TOKEN.finditer(text):
            num, name, sym = m.groups()
            if num is not None:
                self.tokens.append(("num", num))
            elif name is not None:
                self.tokens.append(("name", name))
            elif sym is not None and not sym.isspace():
                self.tokens.append(("sym", sym))
        self.i = 0
        self.vars = variables

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, sym: str | None = None) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FormulaError("the value ends too early")
        if sym is not None and tok != ("sym", sym):
            raise FormulaError(f"expected {sym!r}, found {tok[1]!r}")
        self.i += 1
        return tok

    # value := function '(' value (',' value)* ')' | '{' product '}' | integer
    def value(self) -> float:
        kind, text = self.take()
        if kind == "num":
            return float(int(text))
        if kind == "sym" and text == "{":
            out = self.product()
            self.take("}")
            return out
        if kind == "name" and text.upper() in _FUNCTIONS:
            self.take("(")
            args = [self.value()]
            while self.peek() == ("sym", ","):
                self.take(",")
                args.append(self.value())
            self.take(")")
            return float(_FUNCTIONS[text.upper()](args))
        raise FormulaError(f"unexpected {text!r}")

    # product := factor (('*' | '/') factor)*  (each step truncated to an integer)
    def product(self) -> float:
        out = self.factor()
        while self.peek() in (("sym", "*"), ("sym", "/")):
            op = self.take()[1]
            rhs = self.factor()
            if op == "*":
                out = _trunc(out * rhs)
            else:
                if rhs == 0:
                    raise FormulaError("division by zero")
                out = _trunc(out / rhs)
        return out

    # factor := integer | variable | log '(' product ')' | '(' product ')'
    def factor(self) -> float:
        kind, text = self.take()
        if kind == "num":
            return float(int(text))
        if kind == "name" and text.lower() == "log":
            self.take("(")
            inner = self.product()
            self.take(")")
            return _trunc(math.log2(inner)) if inner > 0 else -math.inf
        if kind == "name":
            if text not in self.vars:
                raise FormulaError(f"unknown variable {text!r} (srvmon knows {', '.join(sorted(self.vars))})")
            return self.vars[text]
        if kind == "sym" and text == "(":
            out = self.product()
            self.take(")")
            return out
        raise FormulaError(f"unexpected {text!r}")


def _trunc(x: float) -> float:
    return float(math.trunc(x)) if math.isfinite(x) else x


def evaluate(text: str, variables: dict[str, float]) -> int:
    """An integer parameter value or formula evaluated with `variables` (e.g. DBInstanceClassMemory).
    FormulaError when it is not one srvmon can evaluate."""
    t = text.strip()
    if not t or len(t) > MAX_LENGTH:
        raise FormulaError("empty or overlong parameter value")
    if t.isdigit():
        return int(t)
    parser = _Parser(t, variables)
    out = parser.value()
    if parser.peek() is not None:
        raise FormulaError(f"unexpected {parser.peek()[1]!r} after the value")  # type: ignore[index]
    if not math.isfinite(out):
        raise FormulaError("the value does not evaluate to a finite number")
    return int(out)
