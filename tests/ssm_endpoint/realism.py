"""How messy the endpoint is: the "realistic" profile (the default, after every reset) or "tidy".

The endpoint is a model of AWS, not a convenience. Each knob below models behaviour AWS documents or
that is publicly reported (README, "Behaviours AWS has that we model"); "tidy" turns the lags and the
messy paging/agents off for the few tests that need exact timing. Lags are seconds of endpoint time
(``CLOCK.now()``), which wall time, clock steps and ``clock/advance`` all move forward.
"""

import threading
from typing import Any

PROFILES: dict[str, dict[str, Any]] = {
    "realistic": {
        # A deregistered node keeps listing for a while: aws/eks-hybrid's e2e tests poll
        # DescribeInstanceInformation for up to 3 minutes after `nodeadm uninstall` until it is gone.
        "deregister_lag_s": 3.0,
        # ListCommandInvocations right after SendCommand answers 200 and an empty list
        # (aws-cli#3546, aws/aws-sdk#190: "if I sleep for a second it works").
        "command_visibility_lag_s": 1.5,
        # Not documented for SSM tags; modelled as the messier legal behaviour (reads may be stale).
        "tag_lag_s": 1.0,
        # DescribeInstanceInformation's default MaxResults is 10 (documented; not messiness).
        "describe_default_page": 10,
        # Filtered describes return short/empty pages with a NextToken (aws-cli#2626).
        "sparse_pages": True,
        # An offline agent cannot progress or cancel an invocation (user guide, "Understanding command statuses").
        "offline_agents": True,
    },
    "tidy": {
        "deregister_lag_s": 0.0,
        "command_visibility_lag_s": 0.0,
        "tag_lag_s": 0.0,
        "describe_default_page": 10,
        "sparse_pages": False,
        "offline_agents": False,
    },
}
LAGS = ("deregister_lag_s", "command_visibility_lag_s", "tag_lag_s")
FLAGS = ("sparse_pages", "offline_agents")


class Realism:
    """The current knob values, shared by every account and region backend."""

    def __init__(self, profile: str = "realistic") -> None:
        self._lock = threading.Lock()
        self.start_profile = profile
        # Knobs set at start (python -m ssm_endpoint --realism KNOB=VALUE): every reset applies them again.
        self.start_knobs: dict[str, Any] = {}
        self.profile = profile
        self.knobs: dict[str, Any] = dict(PROFILES[profile])

    def __getattr__(self, name: str) -> Any:
        knobs = self.__dict__.get("knobs") or {}
        if name in knobs:
            return knobs[name]
        raise AttributeError(name)

    def settings(self) -> dict[str, Any]:
        """Profile name plus every knob."""
        return {"profile": self.profile, **self.knobs}

    def configure(self, body: dict[str, Any]) -> dict[str, Any]:
        """Set a profile (its defaults first) and/or single knobs; returns the settings."""
        unknown = set(body) - set(PROFILES["realistic"]) - {"profile"}
        if unknown:
            raise ValueError(f"unknown realism fields: {sorted(unknown)}")
        knobs = dict(self.knobs)
        profile = body.get("profile")
        if profile is not None:
            if profile not in PROFILES:
                raise ValueError(f"profile must be one of {sorted(PROFILES)}, not {profile!r}")
            knobs = dict(PROFILES[profile])
        for name in LAGS:
            if body.get(name) is not None:
                value = float(body[name])
                if value < 0:
                    raise ValueError(f"{name} must be >= 0, not {value}")
                knobs[name] = value
        if body.get("describe_default_page") is not None:
            page = int(body["describe_default_page"])
            if not 1 <= page <= 50:
                raise ValueError(f"describe_default_page must be 1..50, not {page}")
            knobs["describe_default_page"] = page
        for name in FLAGS:
            if body.get(name) is not None:
                if not isinstance(body[name], bool):
                    raise ValueError(f"{name} must be true or false, not {body[name]!r}")
                knobs[name] = body[name]
        with self._lock:
            self.knobs = knobs
            self.profile = profile or self.profile
        return self.settings()

    def reset(self) -> None:
        """Back to the profile the endpoint was started with (realistic unless --profile tidy) and its --realism knobs."""
        self.configure({"profile": self.start_profile, **self.start_knobs})


REALISM = Realism()
