"""argparse options declared ``type=bool``: ``bool("False")`` is True, so ``--freeze_embedding
False`` turns the option on. The probe notes where user code declared such an option
(``add_argument``) and, when argparse then made it True from a string that means false (an
argument, or a string default), where it was parsed and which spelling of false it was (GF070):
the index of one of the probe's own spellings, never the script's text."""

from __future__ import annotations

import argparse
import functools
import sys
from typing import Any

from gradfix.sandbox.facts import site_of
from gradfix.trace import FALSE_SPELLINGS, BoolOption

_FALSE_WORDS = frozenset(s.lower() for s in FALSE_SPELLINGS)
_RECORDS = 64  # add_argument sites kept, at most


class ArgumentWatch:
    """The probe's part that watches argparse; mixed into :class:`~gradfix.sandbox.probe.Probe`."""

    def _install_argument_tracking(self) -> None:
        probe = self
        # id(action) -> (the action, held so that its id is never another's; the fact)
        self._bool_actions: dict[int, tuple[Any, BoolOption]] = {}
        container = argparse._ActionsContainer
        parser = argparse.ArgumentParser
        add_argument = container.add_argument
        get_value = parser._get_value

        @functools.wraps(add_argument)
        def watched_add_argument(self: Any, *args: Any, **kwargs: Any) -> Any:
            action = add_argument(self, *args, **kwargs)
            try:
                probe._note_bool_option(action)
            except Exception:  # the script's own parser subclass may do anything; watching must not fail it
                pass
            return action

        @functools.wraps(get_value)
        def watched_get_value(self: Any, action: Any, arg_string: Any) -> Any:
            value = get_value(self, action, arg_string)
            try:
                if value is True and type(arg_string) is str:
                    probe._note_bool_parse(action, arg_string)
            except Exception:
                pass
            return value

        container.add_argument = watched_add_argument  # type: ignore[method-assign]
        parser._get_value = watched_get_value  # type: ignore[method-assign]

    def _note_bool_option(self, action: Any) -> None:
        if not isinstance(action, argparse.Action) or action.type is not bool or len(self._bool_actions) >= _RECORDS:
            return
        # The call itself must be user code: the site is where the fix edits `type=bool`.
        frame = sys._getframe(2)
        if frame.f_code.co_filename in self.user:  # type: ignore[attr-defined]
            self._bool_actions.setdefault(id(action), (action, BoolOption(site=site_of(frame))))

    def _note_bool_parse(self, action: Any, arg_string: str) -> None:
        entry = self._bool_actions.get(id(action))
        if entry is None or entry[0] is not action or action.type is not bool:
            return
        said = str.strip(arg_string)
        if str.lower(said) not in _FALSE_WORDS:
            return
        fact = entry[1]
        fact.count += 1
        # The spelling as typed, or else its lower case
        fact.spelling = FALSE_SPELLINGS.index(said if said in FALSE_SPELLINGS else str.lower(said))
        fact.from_default = arg_string is action.default
        if fact.parsed is None:
            frame = self.user_frame(sys._getframe(2))  # type: ignore[attr-defined]
            fact.parsed = site_of(frame) if frame is not None else None

    def bool_option_facts(self) -> list[BoolOption]:
        return [fact for _, fact in self._bool_actions.values() if fact.count]

