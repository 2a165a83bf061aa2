"""The endpoint's clock: what "now" is and when command invocations advance.

Manual mode lets tests move commands forward deterministically with ``step()``; realtime mode runs a
daemon thread that steps every ``step_interval`` seconds. An endpoint in a test process starts manual;
``python -m ssm_endpoint`` starts realtime unless told ``--manual-clock``, so a person who starts it by
hand sees commands finish. ``reset()`` goes back to the mode the endpoint started with.
In manual mode each step also moves "now" forward by ``step_interval`` seconds, so
timestamps of finished invocations look plausible; in realtime mode "now" is wall-clock time.
"""

import datetime
import threading
from typing import Callable


def _idle(steps: int) -> None:
    """Stepper used until extend.install() plugs in the real one."""
    del steps


class Clock:
    """Endpoint time plus the stepping machinery."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self.mode = "manual"
        self.step_interval = 2.0
        # What reset() restores: the mode and interval the endpoint started with.
        self.start: tuple[str, float] = ("manual", 2.0)
        self._stepper: Callable[[int], None] = _idle
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def set_stepper(self, stepper: Callable[[int], None]) -> None:
        """Install the function that advances every command store by N steps."""
        self._stepper = stepper

    def now(self) -> datetime.datetime:
        """Current endpoint time (UTC, timezone-aware)."""
        return datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=self._offset)

    def step(self, steps: int = 1) -> None:
        """Advance commands by ``steps``; in manual mode also advance time."""
        with self._lock:
            for _unused in range(max(0, int(steps))):
                if self.mode == "manual":
                    self._offset += self.step_interval
                self._stepper(1)

    def advance(self, seconds: float) -> None:
        """Move "now" forward by ``seconds`` without stepping commands (lags and timeouts pass)."""
        if float(seconds) < 0:
            raise ValueError("seconds must be >= 0")
        with self._lock:
            self._offset += float(seconds)

    def configure(self, mode: str | None = None, step_interval: float | None = None) -> None:
        """Switch mode and/or interval; (re)starts or stops the realtime thread."""
        if mode not in (None, "manual", "realtime"):
            raise ValueError(f"unknown clock mode {mode!r}")
        if step_interval is not None:
            if float(step_interval) <= 0:
                raise ValueError("step_interval must be > 0")
            self.step_interval = float(step_interval)
        if mode is not None:
            self.mode = mode
        self._stop_thread()
        if self.mode == "realtime":
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="ssm-endpoint-clock", daemon=True)
            self._thread.start()

    def reset(self) -> None:
        """No offset; mode and interval back to those the endpoint started with (``start``)."""
        self.stop()
        self.configure(*self.start)

    def stop(self) -> None:
        """Stop the realtime thread and drop the offset (the server is going away); manual from now on."""
        self._stop_thread()
        with self._lock:
            self._offset = 0.0
            self.mode = "manual"

    def _run(self) -> None:
        while not self._stop.wait(self.step_interval):
            self.step(1)

    def _stop_thread(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=5)
            self._thread = None


CLOCK = Clock()
