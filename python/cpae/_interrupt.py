# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Ctrl-C during long C calls: a SIGINT handler that only sets a flag,
installed on the main thread for the duration of a call and then restored.

libcpae's progress callbacks run on the calling thread between steps; they
read the flag and ask the library to stop (a non-zero return), so the call
returns CPAE_E_CANCELLED with a consistent state and the caller re-raises
KeyboardInterrupt. Raising from the handler itself would unwind a ctypes
callback, which cannot propagate through C.
"""

import signal
import threading

__all__ = []


class SigintFlag:
    """Context manager: ``with SigintFlag() as flag: ... flag.set`` is True
    once SIGINT arrived while it was active (main thread only; elsewhere it
    does nothing and ``active`` is False)."""

    def __init__(self):
        self.set = False
        self.active = False
        self._previous = None

    def _handler(self, signum, frame):
        self.set = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGINT)
            if previous is not None:  # None: installed from C, cannot be restored
                self._previous = previous
                signal.signal(signal.SIGINT, self._handler)
                self.active = True
        return self

    def __exit__(self, *exc):
        if self.active:
            signal.signal(signal.SIGINT, self._previous)
            self.active = False
        return False
