"""Finding a strategy: a built-in name (``dca``, ``safety-dca``, ``guard``, ``grid``, ``triarb``), a file path, or
``module:Class``; and showing a strategy's own frames when its code raises."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from types import ModuleType

from minance.bots.errors import StrategyLoadError
from minance.bots.strategy import Strategy

__all__ = ["BUILTINS", "builtin_path", "load_strategy", "user_traceback"]

BUILTINS = {"dca": "dca", "safety-dca": "safety_dca", "guard": "guard", "grid": "grid", "triarb": "triarb"}
_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # minance/
_BUILTIN_DIR = Path(__file__).resolve().parent / "builtins"


def builtin_path(name: str) -> Path:
    return _BUILTIN_DIR / f"{BUILTINS[name]}.py"


def _is_user_frame(filename: str) -> bool:
    path = Path(filename).resolve()
    if _BUILTIN_DIR in path.parents:
        return True  # built-ins are ordinary strategy files: their frames are the strategy's
    return _PACKAGE_DIR not in path.parents and "importlib" not in filename


def user_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` with minance's own frames left out (the user's code is what to fix)."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_user_frame(f.filename)]
    lines = traceback.format_list(frames) if frames else []
    return "".join(lines) + "".join(traceback.format_exception_only(type(exc), exc))


def _strategy_in(module: ModuleType, origin: str) -> type[Strategy]:
    found = [obj for obj in vars(module).values()
             if inspect.isclass(obj) and issubclass(obj, Strategy) and obj is not Strategy
             and obj.__module__ == module.__name__]
    if not found:
        raise StrategyLoadError(f"{origin} defines no Strategy subclass (class MyBot(Strategy): ...)")
    if len(found) > 1:
        marked = [c for c in found if getattr(module, "STRATEGY", None) is c]
        if marked:
            return marked[0]
        names = ", ".join(c.__name__ for c in found)
        raise StrategyLoadError(f"{origin} defines several strategies ({names}): set STRATEGY = TheOne in it")
    return found[0]


def _import_file(path: Path) -> ModuleType:
    name = f"minance_strategy_{path.stem}_{abs(hash(str(path))) % 10**8}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise StrategyLoadError(f"cannot load {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise StrategyLoadError(f"{path}:{exc.lineno}: syntax error: {exc.msg}",
                                "".join(traceback.format_exception_only(type(exc), exc))) from None
    except Exception as exc:
        sys.modules.pop(name, None)
        raise StrategyLoadError(f"{path} raised {type(exc).__name__} while loading: {exc}",
                                user_traceback(exc)) from None
    return module


def load_strategy(ref: str | type[Strategy]) -> type[Strategy]:
    """A Strategy class from a built-in name, a ``.py`` file, ``module:Class``, or the class itself."""
    if inspect.isclass(ref) and issubclass(ref, Strategy):
        return ref
    text = str(ref)
    if text in BUILTINS:
        cls = _strategy_in(_import_file(builtin_path(text)), text)
        cls.name = cls.name or text
        return cls
    path = Path(text).expanduser()
    if text.endswith(".py") or path.exists():
        if not path.is_file():
            raise StrategyLoadError(f"no strategy file {text}: give a built-in ({', '.join(BUILTINS)}) or a .py file")
        return _strategy_in(_import_file(path), str(path))
    if ":" in text:
        module_name, _, attr = text.partition(":")
        try:
            module = importlib.import_module(module_name)
            cls = getattr(module, attr)
        except (ImportError, AttributeError) as exc:
            raise StrategyLoadError(f"cannot load {text}: {exc}") from None
        if not (inspect.isclass(cls) and issubclass(cls, Strategy)):
            raise StrategyLoadError(f"{text} is not a Strategy subclass")
        return cls
    raise StrategyLoadError(f"unknown strategy {text!r}: use a built-in ({', '.join(BUILTINS)}) or a .py file")
